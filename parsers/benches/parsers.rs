//! Parse throughput per parser on one core (`cargo bench -p tokentrail-parsers --bench
//! parsers`): MB/s, and records/s where criterion is given the record count. The inputs
//! (common/mod.rs) are the real samples of tests/fixtures repeated, and the forms derived
//! from them where no real sample exists. Heap allocations per record: `--bench
//! allocations`.

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokentrail_parsers::framing::{Framing, json_records, lines};
use tokentrail_parsers::nginx_format::{Escape, LogFormat};
use tokentrail_parsers::{
    Auth0Parser, CloudTrailParser, Detail, EntraSignInParser, LogParser, NginxErrorParser,
    NginxJsonParser, NginxParser, OktaSystemLogParser, parse_keeping,
};

fn nginx(c: &mut Criterion) {
    let input = common::nginx_input();
    let mut group = c.benchmark_group("nginx");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.sample_size(20);
    group.bench_function("combined_parse", |b| {
        b.iter(|| parse_plain(&NginxParser, &input))
    });
    // The same lines through `log_format combined` compiled at run time.
    let combined =
        LogFormat::compile("combined", common::COMBINED, Escape::Default).expect("compiles");
    group.bench_function("log_format_combined_parse", |b| {
        b.iter(|| parse_plain(&combined, &input))
    });
    // A gateway's format: combined plus request time, a token-prefix field and the
    // request id, on the same lines with those fields appended.
    let gateway_input = common::gateway_input(&input);
    let mut gateway =
        LogFormat::compile("gateway", common::GATEWAY, Escape::Default).expect("compiles");
    gateway.set_prefix_fields(vec!["http_x_token_id".to_string()]);
    group.throughput(Throughput::Bytes(gateway_input.len() as u64));
    group.bench_function("log_format_gateway_parse", |b| {
        b.iter(|| parse_plain(&gateway, &gateway_input))
    });
    // The same requests as a JSON access log (`escape=json`, one object per line).
    let json_input = common::nginx_json_input(&input);
    group.throughput(Throughput::Bytes(json_input.len() as u64));
    group.bench_function("json_parse", |b| {
        b.iter(|| parse_plain(&NginxJsonParser, &json_input))
    });
    group.finish();

    let error_input = common::nginx_error_input();
    let mut group = c.benchmark_group("nginx_error");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(error_input.len() as u64));
    group.bench_function("error_log_parse", |b| {
        b.iter(|| parse_plain(&NginxErrorParser, &error_input))
    });
    group.finish();
}

fn cloudtrail(c: &mut Criterion) {
    let (input, records) = common::cloudtrail_input();
    let mut group = c.benchmark_group("cloudtrail");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function("records_file_bytes", |b| b.iter(|| parse_all(&input)));
    // The cut into records alone: the structural scan that finds where each one ends.
    group.bench_function("records_file_framing", |b| {
        b.iter(|| {
            json_records(&input, Framing::JsonRecordsField("Records"))
                .records
                .len()
        })
    });
    group.throughput(Throughput::Elements(records));
    group.bench_function("records_file_records", |b| b.iter(|| parse_all(&input)));
    group.finish();
}

fn parse_all(input: &[u8]) -> usize {
    let mut events = 0usize;
    let mut out = Vec::with_capacity(1);
    for rec in common::cloudtrail_records(input) {
        out.clear();
        if CloudTrailParser.parse(rec, &mut out).is_ok() {
            events += out.len();
        }
    }
    events
}

/// JSON Lines sources: the real rule-test records of each provider repeated to ~10 MB.
fn identity_providers(c: &mut Criterion) {
    let sources: [(&str, &dyn LogParser, &str); 3] = [
        (
            "okta",
            &OktaSystemLogParser,
            "okta/panther-rule-tests.ndjson",
        ),
        ("auth0", &Auth0Parser, "auth0/panther-rule-tests.ndjson"),
        (
            "entra",
            &EntraSignInParser,
            "entra/panther-rule-tests.ndjson",
        ),
    ];
    for (name, parser, fixture) in sources {
        let (input, records) = common::ndjson_fixture(fixture);
        let mut group = c.benchmark_group(name);
        group.sample_size(10);
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function("ndjson_bytes", |b| {
            b.iter(|| parse_lines(parser, Detail::Full, &input))
        });
        // What `credentials` and `stats` ask for: only the identity of each event.
        group.bench_function("ndjson_identity_bytes", |b| {
            b.iter(|| parse_lines(parser, Detail::Identity, &input))
        });
        group.throughput(Throughput::Elements(records));
        group.bench_function("ndjson_records", |b| {
            b.iter(|| parse_lines(parser, Detail::Full, &input))
        });
        group.finish();
    }
}

/// Each line parsed as `ingest` parses it (statically dispatched, as the figures in
/// docs/performance.md have always been measured).
fn parse_plain<P: LogParser>(parser: &P, input: &[u8]) -> usize {
    let mut events = 0usize;
    let mut out = Vec::with_capacity(1);
    for line in lines(input) {
        out.clear();
        if parser.parse(line.bytes, &mut out).is_ok() {
            events += out.len();
        }
    }
    events
}

/// Each line parsed with `detail` in force.
fn parse_lines(parser: &dyn LogParser, detail: Detail, input: &[u8]) -> usize {
    let mut events = 0usize;
    let mut out = Vec::with_capacity(1);
    for line in lines(input) {
        out.clear();
        if parse_keeping(parser, detail, line.bytes, &mut out).is_ok() {
            events += out.len();
        }
    }
    events
}

criterion_group!(benches, nginx, cloudtrail, identity_providers);
criterion_main!(benches);
