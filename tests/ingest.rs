use polars::prelude::*;
use tokentrail::ingest::{IngestOptions, ingest};
use tokentrail::input::{Input, discover};

use crate::util::*;

fn frame_of(inputs: &[Input], chunk_bytes: usize) -> DataFrame {
    let opts = IngestOptions {
        chunk_bytes,
        ..IngestOptions::default()
    };
    ingest(inputs, &opts, &indicatif::ProgressBar::hidden(), None)
        .unwrap()
        .frame
}

/// Cutting a file into chunks of any size, parsed in any order on any thread, gives the
/// same frame: tiny chunks force every line across a chunk edge.
#[test]
fn chunk_size_does_not_change_the_frame() {
    let dir = TestDir::new();
    let text = gunzip(&std::fs::read(fixture("nginx/apache_logs.gz")).unwrap());
    let head: Vec<u8> = text
        .split(|b| *b == b'\n')
        .take(600)
        .flat_map(|l| [l, b"\n"].concat())
        .collect();
    let path = dir.write("access.log", &head);
    let inputs = vec![Input::File(path)];
    let reference = frame_of(&inputs, 16 << 20);
    assert_eq!(reference.height(), 600);
    for chunk in [1, 7, 64, 1000, 4096] {
        let df = frame_of(&inputs, chunk);
        assert!(
            reference.equals_missing(&df),
            "chunk size {chunk} changed the frame"
        );
    }
}

#[test]
fn frame_is_sorted_by_time_and_locators_point_at_the_line() {
    let inputs = discover(&[fixture("nginx/apache_logs.gz")]).unwrap();
    let df = frame_of(&inputs, 1 << 16);
    let ts = df
        .column("ts")
        .unwrap()
        .datetime()
        .unwrap()
        .physical()
        .clone();
    let v: Vec<i64> = ts.into_no_null_iter().collect();
    assert!(v.windows(2).all(|w| w[0] <= w[1]));
    // Line 1 of the file is 83.149.9.216 at 17/May/2015:10:05:03 +0000.
    let mask = df.column("line").unwrap().u64().unwrap().equal(1);
    let first = df.filter(&mask).unwrap();
    assert_eq!(first.height(), 1);
    let get = |c: &str| first.column(c).unwrap().get(0).unwrap().to_string();
    assert_eq!(get("src_ip"), "\"83.149.9.216\"");
    assert_eq!(get("ts_raw"), "\"17/May/2015:10:05:03 +0000\"");
    assert_eq!(get("byte_offset"), "0");
    assert!(get("event_id").ends_with(":1\""), "{}", get("event_id"));
}

#[test]
fn gzip_members_rotation_and_crlf() {
    let dir = TestDir::new();
    let a = std::fs::read(fixture("nginx/access.log")).unwrap();
    let b = std::fs::read(fixture("nginx/access-test.log")).unwrap();
    // Two gzip members in one file, as `cat a.gz b.gz` or nginx `gzip=` buffers make.
    dir.write("logs/access.log.2.gz", &[gzip(&a), gzip(&b)].concat());
    dir.write("logs/access.log.1", &a);
    let crlf: Vec<u8> = String::from_utf8(b.clone())
        .unwrap()
        .replace('\n', "\r\n")
        .into_bytes();
    dir.write("logs/access.log", &crlf);
    dir.write("logs/.hidden", b"not read");
    let (run, json) = stats_json(&[&dir.path().join("logs")], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let names: Vec<&str> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3);
    assert!(
        names[0].ends_with("access.log") && names[1].ends_with(".1") && names[2].ends_with(".2.gz")
    );
    assert_eq!(file_report(&json, ".2.gz")["events"], 13 + 7);
    assert_eq!(file_report(&json, ".2.gz")["gzip"], true);
    assert_eq!(file_report(&json, "/access.log")["events"], 7);
    assert_eq!(file_report(&json, "/access.log")["malformed"], 0);
}

/// One thread or several, big chunks or small: byte-identical output.
#[test]
fn thread_count_does_not_change_the_output() {
    let dir = TestDir::new();
    let mut outputs = Vec::new();
    for (threads, chunk) in [("1", "16777216"), ("2", "4096"), ("3", "777")] {
        let out = dir.path().join(format!("events-{threads}.ndjson"));
        let run = tokentrail(&[
            "ingest",
            "-j",
            threads,
            "--chunk-bytes",
            chunk,
            "tests/fixtures/nginx",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        outputs.push(std::fs::read(out).unwrap());
    }
    assert!(outputs[0].len() > 1_000_000);
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));
}
