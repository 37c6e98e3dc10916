//! The inputs of the parser benchmarks (`parsers.rs`: time; `allocations.rs`: heap
//! allocations): real records from tests/fixtures, repeated to a size where warm-up does
//! not count, and the forms derived from them where no real sample exists.

use std::io::Read;

use tokentrail_parsers::framing::{Framing, json_records, lines};

/// nginx's `combined`, as a user would pass it to `--nginx-log-format`.
pub const COMBINED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;

/// A gateway's format: combined plus request time, a token-prefix field and the request
/// id (the format of issue 5's "Done when").
pub const GATEWAY: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time tid=$http_x_token_id rid=$request_id"#;

/// The real 10,000-line Apache combined log from elastic/examples
/// (tests/fixtures/nginx/apache_logs.gz), repeated to ~20 MB.
pub fn nginx_input() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/nginx/apache_logs.gz"
    );
    let file = std::fs::File::open(path).expect("fixture");
    let mut one = Vec::new();
    gunzip(file, &mut one);
    repeated(&one, 20 << 20)
}

/// The parsers crate has no gzip dependency; the fixture is gunzipped by the system tool.
fn gunzip(file: std::fs::File, out: &mut Vec<u8>) {
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

fn repeated(one: &[u8], size: usize) -> Vec<u8> {
    let mut all = Vec::with_capacity(size + one.len());
    while all.len() < size {
        all.extend_from_slice(one);
    }
    all
}

/// The nginx lines in the [`GATEWAY`] format: each with those fields appended.
pub fn gateway_input(nginx: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nginx.len() + nginx.len() / 3);
    for (n, line) in lines(nginx).enumerate() {
        out.extend_from_slice(line.bytes);
        out.extend_from_slice(
            format!(" rt=0.{:03} tid=tt_live_4f9KQ2 rid={n:032x}\n", n % 1000).as_bytes(),
        );
    }
    out
}

/// The nginx lines as a JSON access log (`log_format … escape=json`, one object per line),
/// the same fields as combined plus the request time: there is no real sample of one.
/// Lines that do not cut into combined's fields are left out.
pub fn nginx_json_input(nginx: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nginx.len() * 2);
    for (n, line) in lines(nginx).enumerate() {
        let Ok(text) = std::str::from_utf8(line.bytes) else {
            continue;
        };
        let Some(fields) = combined_fields(text) else {
            continue;
        };
        let [addr, user, time, request, status, bytes, referer, agent] = fields;
        let quoted = |s: &str| serde_json::to_string(s).expect("a string");
        out.extend_from_slice(
            format!(
                "{{\"time_local\":{},\"remote_addr\":{},\"remote_user\":{},\"request\":{},\
                 \"status\":{status},\"body_bytes_sent\":{},\"request_time\":0.{:03},\
                 \"http_referer\":{},\"http_user_agent\":{}}}\n",
                quoted(time),
                quoted(addr),
                quoted(user),
                quoted(request),
                bytes.parse::<u64>().unwrap_or(0),
                n % 1000,
                quoted(referer),
                quoted(agent),
            )
            .as_bytes(),
        );
    }
    out
}

/// A combined line's eight fields, when it has exactly them and no escaped quote.
fn combined_fields(line: &str) -> Option<[&str; 8]> {
    let (addr, rest) = line.split_once(" - ")?;
    let (user, rest) = rest.split_once(" [")?;
    let (time, rest) = rest.split_once("] \"")?;
    let (request, rest) = rest.split_once("\" ")?;
    let (status, rest) = rest.split_once(' ')?;
    let (bytes, rest) = rest.split_once(" \"")?;
    let (referer, rest) = rest.split_once("\" \"")?;
    let agent = rest.strip_suffix('"')?;
    let all = [addr, user, time, request, status, bytes, referer, agent];
    (!all.iter().any(|f| f.contains('"') || f.contains('\\'))).then_some(all)
}

/// The real nginx error.log of elastic/beats (tests/fixtures/nginx-error), repeated to
/// ~10 MB.
pub fn nginx_error_input() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/nginx-error/error.log"
    );
    repeated(&std::fs::read(path).expect("fixture"), 10 << 20)
}

/// A `{"Records":[…]}` document of the real OTRF and Stratus CloudTrail records repeated
/// to ~20 MB: framing plus parsing of each record, as `ingest` does after decompression.
/// With its number of records.
pub fn cloudtrail_input() -> (Vec<u8>, u64) {
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
    while body.len() < 20 << 20 {
        if !body.is_empty() {
            body.push(',');
        }
        body.push_str(&one);
    }
    let document = format!("{{\"Records\":[{body}]}}").into_bytes();
    let records = cloudtrail_records(&document).len() as u64;
    (document, records)
}

/// The records of a [`cloudtrail_input`] document.
pub fn cloudtrail_records(document: &[u8]) -> Vec<&[u8]> {
    json_records(document, Framing::JsonRecordsField("Records"))
        .records
        .into_iter()
        .map(|r| r.bytes)
        .collect()
}

/// A JSON Lines fixture of tests/fixtures (the real rule-test records of a provider)
/// repeated to ~10 MB, with its number of records.
pub fn ndjson_fixture(fixture: &str) -> (Vec<u8>, u64) {
    let path = format!("{}/../tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let one = std::fs::read(&path).expect("fixture");
    let input = repeated(&one, 10 << 20);
    let records = lines(&input).count() as u64;
    (input, records)
}
