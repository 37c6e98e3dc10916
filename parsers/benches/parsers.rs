//! Parse throughput per parser on one core (`cargo bench -p tokentrail-parsers`).
//!
//! The nginx input is the real 10,000-line Apache combined log from elastic/examples
//! (tests/fixtures/nginx/apache_logs.gz), repeated to ~20 MB so the timing is not dominated
//! by cache warm-up. Throughput is reported in bytes, so criterion prints MB/s.

use std::io::Read;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokentrail_parsers::framing::{Framing, json_records, lines};
use tokentrail_parsers::nginx_format::{Escape, LogFormat};
use tokentrail_parsers::{
    Auth0Parser, CloudTrailParser, Detail, EntraSignInParser, LogParser, NginxParser,
    OktaSystemLogParser, parse_keeping,
};

fn nginx_input() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/nginx/apache_logs.gz"
    );
    let file = std::fs::File::open(path).expect("fixture");
    let mut one = Vec::new();
    flate2_free_gunzip(file, &mut one);
    let mut all = Vec::with_capacity(one.len() * 9);
    while all.len() < 20 << 20 {
        all.extend_from_slice(&one);
    }
    all
}

/// The parsers crate has no gzip dependency; the fixture is gunzipped by the system tool.
fn flate2_free_gunzip(file: std::fs::File, out: &mut Vec<u8>) {
    let mut child = std::process::Command::new("gzip")
        .arg("-dc")
        .stdin(file)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip");
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_end(out)
        .expect("read");
    child.wait().expect("gzip exit");
}

fn nginx(c: &mut Criterion) {
    let input = nginx_input();
    let mut group = c.benchmark_group("nginx");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.sample_size(20);
    group.bench_function("combined_parse", |b| {
        let mut out = Vec::with_capacity(1);
        b.iter(|| {
            let mut events = 0usize;
            for line in lines(&input) {
                out.clear();
                if NginxParser.parse(line.bytes, &mut out).is_ok() {
                    events += out.len();
                }
            }
            events
        })
    });
    // The same lines through `log_format combined` compiled at run time.
    let combined = LogFormat::compile(
        "combined",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
        Escape::Default,
    )
    .expect("combined compiles");
    group.bench_function("log_format_combined_parse", |b| {
        let mut out = Vec::with_capacity(1);
        b.iter(|| {
            let mut events = 0usize;
            for line in lines(&input) {
                out.clear();
                if combined.parse(line.bytes, &mut out).is_ok() {
                    events += out.len();
                }
            }
            events
        })
    });
    // A gateway's format: combined plus request time, a token-prefix field and the
    // request id, on the same lines with those fields appended.
    let mut gateway_input = Vec::with_capacity(input.len() + input.len() / 3);
    for (n, line) in lines(&input).enumerate() {
        gateway_input.extend_from_slice(line.bytes);
        gateway_input.extend_from_slice(
            format!(" rt=0.{:03} tid=tt_live_4f9KQ2 rid={n:032x}\n", n % 1000).as_bytes(),
        );
    }
    let mut gateway = LogFormat::compile(
        "gateway",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time tid=$http_x_token_id rid=$request_id"#,
        Escape::Default,
    )
    .expect("gateway compiles");
    gateway.set_prefix_fields(vec!["http_x_token_id".to_string()]);
    group.throughput(Throughput::Bytes(gateway_input.len() as u64));
    group.bench_function("log_format_gateway_parse", |b| {
        let mut out = Vec::with_capacity(1);
        b.iter(|| {
            let mut events = 0usize;
            for line in lines(&gateway_input) {
                out.clear();
                if gateway.parse(line.bytes, &mut out).is_ok() {
                    events += out.len();
                }
            }
            events
        })
    });
    group.finish();
}

/// A `{"Records":[…]}` document of the real OTRF and Stratus CloudTrail records repeated
/// to ~20 MB: framing plus parsing of each record, as `ingest` does after decompression.
fn cloudtrail_input() -> (Vec<u8>, u64) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/cloudtrail");
    let mut records: Vec<String> =
        std::fs::read_to_string(format!("{dir}/otrf-ec2-proxy-s3-exfiltration.jsonl"))
            .expect("fixture")
            .lines()
            .map(str::to_string)
            .collect();
    let stratus =
        std::fs::read_to_string(format!("{dir}/stratus-ec2-steal-instance-credentials.json"))
            .expect("fixture");
    let stratus = stratus.trim().trim_start_matches('[').trim_end_matches(']');
    records.push(stratus.to_string());
    let one = records.join(",");
    let mut body = String::new();
    let mut n = 0u64;
    while body.len() < 20 << 20 {
        if !body.is_empty() {
            body.push(',');
        }
        body.push_str(&one);
        n += 103 + 45;
    }
    (format!("{{\"Records\":[{body}]}}").into_bytes(), n)
}

fn cloudtrail(c: &mut Criterion) {
    let (input, records) = cloudtrail_input();
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
    for rec in json_records(input, Framing::JsonRecordsField("Records")).records {
        out.clear();
        if CloudTrailParser.parse(rec.bytes, &mut out).is_ok() {
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
        let path = format!("{}/../tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
        let one = std::fs::read(&path).expect("fixture");
        let per_copy = lines(&one).count() as u64;
        let mut input = Vec::new();
        let mut records = 0u64;
        while input.len() < 10 << 20 {
            input.extend_from_slice(&one);
            records += per_copy;
        }
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
