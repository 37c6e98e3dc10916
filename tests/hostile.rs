//! Hostile input: what an archive, an attacker or a full disk hands the tool. None of it
//! may crash the run, hang it, or lose data without saying so.

use std::io::Write;

use crate::util::*;

const LINE_A: &str =
    r#"81.2.69.166 - - [04/Mar/2026:01:00:00 +0100] "GET /a HTTP/1.1" 200 1 "-" "curl/8""#;
const LINE_B: &str =
    r#"81.2.69.166 - - [04/Mar/2026:01:00:01 +0100] "GET /b HTTP/1.1" 200 1 "-" "curl/8""#;

#[test]
fn a_hundred_megabyte_line_is_counted_and_skipped() {
    let dir = TestDir::new();
    let mut log = Vec::with_capacity(101 << 20);
    log.extend_from_slice(LINE_A.as_bytes());
    log.push(b'\n');
    log.extend(std::iter::repeat_n(b'a', 100 << 20));
    log.push(b'\n');
    log.extend_from_slice(LINE_B.as_bytes());
    log.push(b'\n');
    let path = dir.write("huge-line.log", &log);
    let (run, json) = stats_json(&[&path], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let f = file_report(&json, "huge-line.log");
    assert_eq!(events_and_malformed(f), (Some(2), Some(1)));
    let example = &f["malformed_examples"][0];
    assert_eq!(example["line"], 2);
    assert!(
        example["reason"].as_str().unwrap().contains("too long"),
        "{example}"
    );
    // The excerpt is a few bytes, not the line.
    assert!(
        run.stderr.len() < 10_000,
        "{} bytes of stderr",
        run.stderr.len()
    );
}

/// `[[[[…]]]]` a hundred thousand deep: never a stack overflow. Inside a record's
/// free-form fields (CloudTrail `requestParameters`, Okta `debugContext`) it is skipped
/// unread and the record kept (no shape there may cost a record); as a whole line it is
/// one counted bad record, and the records around it are kept.
#[test]
fn deeply_nested_json_never_overflows() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let record = |id: &str, params: &str| {
        format!(
            r#"{{"eventVersion":"1.08","eventTime":"2026-03-04T01:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1","sourceIPAddress":"81.2.69.166","userAgent":"aws-cli/2","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/deploy","accessKeyId":"AKIAQ3EGCIDEPLOY0001"}},"requestParameters":{params},"eventID":"{id}","recipientAccountId":"123456789012"}}"#
        )
    };
    let doc = format!(
        r#"{{"Records":[{},{},{}]}}"#,
        record("e-1", "null"),
        record("e-2", &deep),
        record("e-3", r#"{"bucketName":"b"}"#)
    );
    let okta_ok = r#"{"uuid":"u-1","published":"2026-03-04T01:00:00.000Z","eventType":"user.session.start","actor":{"id":"00u1","type":"User","alternateId":"ann@example.com"},"client":{"ipAddress":"81.2.69.166"},"outcome":{"result":"SUCCESS"}}"#;
    let okta_deep = okta_ok.replace("u-1", "u-2").replace(
        r#""outcome""#,
        &format!(r#""debugContext":{deep},"outcome""#),
    );
    let dir = TestDir::new();
    let trail = dir.write(
        "AWSLogs/123456789012/CloudTrail/eu-west-1/2026/03/04/trail.json",
        doc.as_bytes(),
    );
    let okta = dir.write(
        "okta.ndjson",
        format!(
            "{okta_ok}\n{okta_deep}\n{deep}\n{}\n",
            okta_ok.replace("u-1", "u-3")
        )
        .as_bytes(),
    );
    let (run, json) = stats_json(&[&trail, &okta], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let t = file_report(&json, "trail.json");
    assert_eq!(events_and_malformed(t), (Some(3), Some(0)));
    let o = file_report(&json, "okta.ndjson");
    assert_eq!(events_and_malformed(o), (Some(3), Some(1)));
    assert_eq!(o["malformed_examples"][0]["line"], 3);
}

/// A gzip stream that inflates far past any log is stopped with a message that says why
/// and how to go on; what was read before it is kept, and the run says input was lost.
#[test]
fn a_gzip_bomb_is_stopped_and_said() {
    let dir = TestDir::new();
    let path = dir.path().join("bomb.log.gz");
    let file = std::fs::File::create(&path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::best());
    writeln!(gz, "{LINE_A}").unwrap();
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..300 {
        gz.write_all(&spaces).unwrap();
    }
    writeln!(gz, "\n{LINE_B}").unwrap();
    gz.finish().unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() < 2 << 20);

    let (run, json) = stats_json(&[&path], &[]);
    assert_eq!(run.code, 3, "input was lost: {}", run.stderr);
    let f = file_report(&json, "bomb.log.gz");
    assert_eq!(f["events"], 1, "the line before the bomb is kept");
    assert_eq!(f["problems"][0]["kind"], "inflation");
    assert!(
        run.stderr.contains("a gzip bomb?") && run.stderr.contains("--max-gzip-ratio"),
        "{}",
        run.stderr
    );
    // Told to go on, it reads it all.
    let (run, json) = stats_json(&[&path], &["--max-gzip-ratio", "0"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let f = file_report(&json, "bomb.log.gz");
    assert_eq!(events_and_malformed(f), (Some(2), Some(1)));
}

/// A JSON array is read a window at a time, so that what is held is a window and the
/// record being read, never the document; a record larger than the most held at once
/// (`--max-document-bytes`) stops the read with a message that says so and how to go on,
/// the records before it kept and the run saying input was lost; so does a row of a CSV
/// download, read likewise. With the cap raised, all is read.
#[test]
fn a_record_larger_than_is_held_is_stopped_and_said() {
    let dir = TestDir::new();
    let record = |i: usize, pad: usize| {
        format!(
            r#"{{"uuid":"u-{i}","published":"2026-03-04T01:00:0{}.000Z","eventType":"user.session.start","actor":{{"id":"00u1","type":"User","alternateId":"ann@example.com"}},"client":{{"ipAddress":"81.2.69.166"}},"outcome":{{"result":"SUCCESS"}},"debugContext":{{"debugData":{{"pad":"{}"}}}}}}"#,
            i % 10,
            "x".repeat(pad)
        )
    };
    let records: Vec<String> = (0..40)
        .map(|i| record(i, if i == 25 { 300_000 } else { 10 }))
        .collect();
    let array = format!("[\n{}\n]\n", records.join(",\n"));
    let path = dir.write("okta/big.json.gz", &gzip(array.as_bytes()));
    // A download of 335 KB: its header and 60 copies of its rows, in the 31st a cell of
    // 200 KB.
    let csv = std::fs::read_to_string("tests/fixtures/entra/admin-center-signins.csv").unwrap();
    let (header, rows) = csv.split_once('\n').unwrap();
    let mut csv = format!("{header}\n{}", rows.repeat(30));
    csv.push_str(&rows.replacen("A User Display Name", &"x".repeat(200_000), 1));
    csv.push_str(&rows.repeat(29));
    let csv_path = dir.write("entra/signins.csv.gz", &gzip(csv.as_bytes()));

    let cap = ["--max-document-bytes", "100000"];
    let (run, json) = stats_json(&[&path, &csv_path], &cap);
    assert_eq!(run.code, 3, "input was lost: {}", run.stderr);
    let f = file_report(&json, "big.json.gz");
    assert_eq!(
        f["events"], 25,
        "the records before the large one are kept: {f}"
    );
    assert_eq!(f["problems"][0]["kind"], "too_large", "{f}");
    // Nothing past the record is read (not even to be counted).
    assert!(f["bytes"].as_u64().unwrap() < array.len() as u64, "{f}");
    let message = f["problems"][0]["message"].as_str().unwrap();
    assert!(message.contains("--max-document-bytes"), "{message}");
    assert!(
        run.stderr.contains("--max-document-bytes"),
        "{}",
        run.stderr
    );
    let c = file_report(&json, "signins.csv.gz");
    assert_eq!(c["problems"][0]["kind"], "too_large", "{c}");
    assert_eq!(
        c["records"], 90,
        "the rows before the large one are kept: {c}"
    );

    let (run, json) = stats_json(&[&path, &csv_path], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let f = file_report(&json, "big.json.gz");
    assert_eq!(events_and_malformed(f), (Some(40), Some(0)), "{f}");
    let c = file_report(&json, "signins.csv.gz");
    assert_eq!(
        (&c["records"], &c["malformed"]),
        (&180.into(), &0.into()),
        "{c}"
    );
}

/// Links in an archive: a second link to one log, a link back up the tree, a link to
/// nothing, a folder that cannot be listed. Every log is read once; every oddity is one
/// message; nothing loops.
#[test]
fn links_loops_and_locked_folders() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let dir = TestDir::new();
    let logs = dir.path().join("logs");
    let a = dir.write(
        "logs/access.log",
        format!("{LINE_A}\n{LINE_B}\n").as_bytes(),
    );
    symlink(&a, logs.join("current.log")).unwrap();
    std::fs::create_dir_all(logs.join("host1")).unwrap();
    symlink(&logs, logs.join("host1/up")).unwrap();
    symlink(logs.join("gone.log"), logs.join("dangling.log")).unwrap();
    let locked = logs.join("locked");
    dir.write("logs/locked/old.log", format!("{LINE_A}\n").as_bytes());
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root lists any folder: then the locked folder is simply read.
    let privileged = std::fs::read_dir(&locked).is_ok();

    let (run, json) = stats_json(&[&logs], &[]);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    let kind = |name: &str| file_report(&json, name)["problems"][0]["kind"].clone();
    assert_eq!(file_report(&json, "access.log")["events"], 2);
    assert_eq!(kind("current.log"), "skipped");
    assert!(
        run.stderr.contains("current.log: the same file as"),
        "{}",
        run.stderr
    );
    assert_eq!(kind("host1/up"), "skipped");
    assert!(run.stderr.contains("a link loop"), "{}", run.stderr);
    assert_eq!(kind("dangling.log"), "unreadable");
    assert!(
        run.stderr.contains("dangling.log: a link to nothing"),
        "{}",
        run.stderr
    );
    assert_eq!(run.code, 3, "a link to nothing is input lost");
    if privileged {
        eprintln!("running as root: the locked folder is readable, its refusal not tested");
        assert_eq!(file_report(&json, "locked/old.log")["events"], 1);
    } else {
        assert_eq!(kind("locked"), "unreadable");
        assert!(run.stderr.contains("cannot list folder"), "{}", run.stderr);
    }
    let total: u64 = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["events"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(total, if privileged { 3 } else { 2 }, "each log read once");
}

/// One folder of everything, each file in its own clock: every file's source detected,
/// every time in UTC, and the frame in time order across them.
#[test]
fn mixed_formats_and_time_zones_in_one_folder() {
    let dir = TestDir::new();
    dir.write(
        "mixed/access.log",
        concat!(
            "81.2.69.166 - - [04/Mar/2026:02:00:00 +0100] \"GET /paris HTTP/1.1\" 200 1 \"-\" \"curl/8\"\n",
            "81.2.69.166 - - [03/Mar/2026:20:30:00 -0500] \"GET /new-york HTTP/1.1\" 200 1 \"-\" \"curl/8\"\n",
            "81.2.69.166 - - [04/Mar/2026:06:45:00 +0530] \"GET /delhi HTTP/1.1\" 200 1 \"-\" \"curl/8\"\n",
        )
        .as_bytes(),
    );
    dir.write(
        "mixed/okta.ndjson",
        br#"{"uuid":"u-1","published":"2026-03-04T01:10:00.000+00:00","eventType":"user.session.start","actor":{"id":"00u1","type":"User","alternateId":"ann@example.com"},"client":{"ipAddress":"81.2.69.166"},"outcome":{"result":"SUCCESS"}}
"#,
    );
    dir.write(
        "mixed/trail.json",
        br#"{"Records":[{"eventVersion":"1.08","eventTime":"2026-03-04T01:05:00Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"81.2.69.166","userAgent":"aws-cli/2","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/deploy","accessKeyId":"AKIAQ3EGCIDEPLOY0001"},"eventID":"e-1","recipientAccountId":"123456789012"}]}"#,
    );
    dir.write("mixed/readme.txt", b"notes about this case\n");
    let (run, json) = stats_json(&[&dir.path().join("mixed")], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for (name, source) in [
        ("access.log", "nginx"),
        ("okta.ndjson", "okta_system_log"),
        ("trail.json", "cloudtrail"),
    ] {
        assert_eq!(file_report(&json, name)["source"], source, "{name}");
    }
    assert_eq!(
        file_report(&json, "readme.txt")["problems"][0]["kind"],
        "unknown_format"
    );
    let out = dir.path().join("events.ndjson");
    let mixed = dir.path().join("mixed");
    let order: Vec<(String, String)> = ingest_rows(&out, &[mixed.to_str().unwrap(), "-q"])
        .iter()
        .map(|v| {
            (
                v["ts"].as_str().unwrap().to_string(),
                v["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = [
        ("2026-03-04T01:00:00+00:00", "GET /paris"),
        ("2026-03-04T01:05:00+00:00", "sts:GetCallerIdentity"),
        ("2026-03-04T01:10:00+00:00", "user.session.start"),
        ("2026-03-04T01:15:00+00:00", "GET /delhi"),
        ("2026-03-04T01:30:00+00:00", "GET /new-york"),
    ];
    let got: Vec<(&str, &str)> = order
        .iter()
        .map(|(t, a)| (t.as_str(), a.as_str()))
        .collect();
    assert_eq!(got, expect);
}

/// An output that cannot be written, or fails half-way (here: a file size limit, as a
/// full disk would), is a clear error, and no file is left under the name as if complete.
#[test]
fn unwritable_and_failing_outputs_leave_no_file() {
    let dir = TestDir::new();
    let missing = dir.path().join("no/such/folder/events.parquet");
    let run = tokentrail(&[
        "ingest",
        "samples/logs",
        "-q",
        "-o",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("events.parquet: cannot write output"),
        "{}",
        run.stderr
    );

    for (command, name) in [("ingest", "events.ndjson"), ("hunt", "report.html")] {
        let out = dir.path().join(name);
        let mut args = vec![command, "samples/logs", "-q", "-o", out.to_str().unwrap()];
        if command == "hunt" {
            args.extend_from_slice(&["--format", "html"]);
        }
        // 64 blocks of 512 bytes: far less than either output.
        let (code, stderr) = under_file_size_limit(64, &args);
        assert_eq!(code, Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains("cannot write output"),
            "{command}: {stderr}"
        );
        assert!(!out.exists(), "{command}: a partial {name} left behind");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".partial"))
            .collect();
        assert!(leftovers.is_empty(), "{command}: {leftovers:?}");
    }
}

/// Events beyond `--memory-budget` wait on disk: when that disk is full (here: a file
/// size limit, as in the test above), the run stops with an error that says where and
/// what to do, and leaves neither an output nor its spill folder.
#[test]
fn a_spill_that_cannot_be_written_is_a_clear_error_and_leaves_nothing() {
    let dir = TestDir::new();
    let out = dir.path().join("events.ndjson");
    let (code, stderr) = under_file_size_limit(
        4,
        &[
            "ingest",
            "tests/fixtures/nginx",
            "-q",
            "--memory-budget",
            "0",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(".events.ndjson.spill-") && stderr.contains("--memory-budget"),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Run tokentrail with files limited to `blocks` of 512 bytes and SIGXFSZ ignored, so a
/// write past the limit fails with EFBIG the way a full disk fails with ENOSPC: its exit
/// code and stderr.
fn under_file_size_limit(blocks: u32, args: &[&str]) -> (Option<i32>, String) {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -f {blocks}; trap '' XFSZ; exec \"$@\""))
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_tokentrail"))
        .args(args)
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
