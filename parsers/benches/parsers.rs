//! Parse throughput per parser on one core (`cargo bench -p tokentrail-parsers`).
//!
//! The nginx input is the real 10,000-line Apache combined log from elastic/examples
//! (tests/fixtures/nginx/apache_logs.gz), repeated to ~20 MB so the timing is not dominated
//! by cache warm-up. Throughput is reported in bytes, so criterion prints MB/s.

use std::io::Read;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tokentrail_parsers::framing::lines;
use tokentrail_parsers::{LogParser, NginxParser};

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
    group.finish();
}

criterion_group!(benches, nginx);
criterion_main!(benches);
