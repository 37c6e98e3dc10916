//! Heap allocations per record of each parser, on the inputs of the throughput benchmark
//! (`cargo bench -p tokentrail-parsers --bench allocations`): a table on standard output.
//!
//! Each input is parsed once to warm up (lazily built tables, thread-local state), then
//! again with the allocator counting: allocations and reallocations, and the bytes they
//! asked for, divided by the records parsed. The events are dropped as `ingest` drops
//! them, a chunk's worth at a time, so what a record owns is counted once.
//!
//! Counting goes through the system allocator wrapped by `stats_alloc` (the tool itself
//! uses mimalloc: the counts are the same, the times are not, which is why this is a
//! separate benchmark from the timed one).

mod common;

use std::alloc::System;
use std::io::Write;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use tokentrail_parsers::framing::lines;
use tokentrail_parsers::nginx_format::{Escape, LogFormat};
use tokentrail_parsers::{
    Auth0Parser, CloudTrailParser, Detail, EntraSignInParser, Event, LogParser, NginxErrorParser,
    NginxJsonParser, NginxParser, OktaSystemLogParser, parse_keeping,
};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Events kept before they are dropped together, as a parsed chunk keeps them.
const CHUNK: usize = 4096;

/// A parser's row of the table: its name, the parser, the details measured, its records.
type Row<'p> = (&'p str, &'p dyn LogParser, &'p [Detail], Vec<&'static [u8]>);

struct Counted {
    records: u64,
    events: u64,
    failed: u64,
    allocations: u64,
    bytes: u64,
}

/// `records` parsed by `parser` with `detail` in force, twice: the second time counted.
fn count<'r>(parser: &dyn LogParser, detail: Detail, records: &[&'r [u8]]) -> Counted {
    // Made before counting starts: the chunk's list of events is not the records'.
    let mut out: Vec<Event<'r>> = Vec::with_capacity(CHUNK + 16);
    let mut run = |counted: &mut Counted| {
        out.clear();
        for record in records {
            if out.len() >= CHUNK {
                out.clear();
            }
            counted.records += 1;
            let before = out.len();
            match parse_keeping(parser, detail, record, &mut out) {
                Ok(()) => counted.events += (out.len() - before) as u64,
                Err(_) => counted.failed += 1,
            }
        }
    };
    let fresh = || Counted {
        records: 0,
        events: 0,
        failed: 0,
        allocations: 0,
        bytes: 0,
    };
    run(&mut fresh());
    let mut counted = fresh();
    let region = Region::new(GLOBAL);
    run(&mut counted);
    let change = region.change();
    counted.allocations = (change.allocations + change.reallocations) as u64;
    counted.bytes = change.bytes_allocated as u64 + change.bytes_reallocated.max(0) as u64;
    counted
}

fn main() -> std::io::Result<()> {
    // `cargo bench` passes `--bench`; a filter, when given, picks rows by name.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let nginx = common::nginx_input();
    let gateway = common::gateway_input(&nginx);
    let nginx_json = common::nginx_json_input(&nginx);
    let nginx_error = common::nginx_error_input();
    let (cloudtrail, _) = common::cloudtrail_input();
    let (okta, _) = common::ndjson_fixture("okta/panther-rule-tests.ndjson");
    let (auth0, _) = common::ndjson_fixture("auth0/panther-rule-tests.ndjson");
    let (entra, _) = common::ndjson_fixture("entra/panther-rule-tests.ndjson");
    let combined =
        LogFormat::compile("combined", common::COMBINED, Escape::Default).expect("compiles");
    let mut gateway_format =
        LogFormat::compile("gateway", common::GATEWAY, Escape::Default).expect("compiles");
    gateway_format.set_prefix_fields(vec!["http_x_token_id".to_string()]);

    let line_records =
        |input: &'static [u8]| -> Vec<&'static [u8]> { lines(input).map(|l| l.bytes).collect() };
    // The inputs live for the whole run.
    let leak = |v: Vec<u8>| -> &'static [u8] { Vec::leak(v) };
    let (nginx, gateway, nginx_json, nginx_error) = (
        leak(nginx),
        leak(gateway),
        leak(nginx_json),
        leak(nginx_error),
    );
    let (cloudtrail, okta, auth0, entra) = (leak(cloudtrail), leak(okta), leak(auth0), leak(entra));

    let both = [Detail::Full, Detail::Identity];
    let rows: Vec<Row> = vec![
        ("nginx combined", &NginxParser, &both, line_records(nginx)),
        (
            "nginx log_format combined",
            &combined,
            &both,
            line_records(nginx),
        ),
        (
            "nginx log_format gateway",
            &gateway_format,
            &both,
            line_records(gateway),
        ),
        (
            "nginx JSON",
            &NginxJsonParser,
            &both,
            line_records(nginx_json),
        ),
        (
            "nginx error.log",
            &NginxErrorParser,
            &both,
            line_records(nginx_error),
        ),
        (
            "CloudTrail records file",
            &CloudTrailParser,
            &both,
            common::cloudtrail_records(cloudtrail),
        ),
        (
            "Okta NDJSON",
            &OktaSystemLogParser,
            &both,
            line_records(okta),
        ),
        ("Auth0 NDJSON", &Auth0Parser, &both, line_records(auth0)),
        (
            "Entra NDJSON",
            &EntraSignInParser,
            &both,
            line_records(entra),
        ),
    ];
    let mut table = std::io::stdout().lock();
    let header = "| parser | detail | records | events | not parsed | allocations / record | bytes allocated / record |";
    writeln!(
        table,
        "{header}\n| --- | --- | ---: | ---: | ---: | ---: | ---: |"
    )?;
    for (name, parser, details, records) in &rows {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        for &detail in *details {
            let c = count(*parser, detail, records);
            let per = |n: u64| n as f64 / c.records.max(1) as f64;
            writeln!(
                table,
                "| {name} | {detail:?} | {} | {} | {} | {:.2} | {:.0} |",
                c.records,
                c.events,
                c.failed,
                per(c.allocations),
                per(c.bytes),
            )?;
        }
    }
    Ok(())
}
