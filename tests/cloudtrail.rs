use polars::prelude::*;

use crate::util::*;

/// Records of the real Stratus Red Team detonation log, as JSON texts.
fn stratus_records() -> Vec<String> {
    let doc = std::fs::read_to_string(fixture(
        "cloudtrail/stratus-ec2-steal-instance-credentials.json",
    ))
    .unwrap();
    let v: Vec<serde_json::Value> = serde_json::from_str(&doc).unwrap();
    v.iter().map(|r| r.to_string()).collect()
}

fn records_file(records: &[String]) -> Vec<u8> {
    format!("{{\"Records\":[{}]}}", records.join(",")).into_bytes()
}

/// An S3 delivery tree as CloudTrail writes it: per-account and organization trails,
/// gzip, one line per file, a digest file beside them, one repeated delivery and one bad
/// record inside a `Records` array.
#[test]
fn s3_tree_counts_every_record_and_skips_digests() {
    let dir = TestDir::new();
    let recs = stratus_records();
    assert_eq!(recs.len(), 45);
    let base = "AWSLogs/946986569305/CloudTrail/us-east-1/2024/07/30";
    let org = "AWSLogs/o-a1b2c3d4e5/946986569305/CloudTrail/eu-west-1/2024/07/30";
    let put = |path: &str, body: &[u8]| {
        dir.write(path, &gzip(body));
    };
    put(
        &format!("{base}/946986569305_CloudTrail_us-east-1_20240730T2150Z_a.json.gz"),
        &records_file(&recs[..20]),
    );
    put(
        &format!("{base}/946986569305_CloudTrail_us-east-1_20240730T2155Z_b.json.gz"),
        &records_file(&recs[20..40]),
    );
    // Organization trail; the first record is delivered again (a duplicate), and one
    // record has no time.
    let mut org_recs = recs[40..].to_vec();
    org_recs.push(recs[0].clone());
    org_recs.insert(
        2,
        r#"{"eventVersion":"1.09","eventName":"GetObject","eventSource":"s3.amazonaws.com"}"#
            .to_string(),
    );
    put(
        &format!("{org}/946986569305_CloudTrail_eu-west-1_20240730T2200Z_c.json.gz"),
        &records_file(&org_recs),
    );
    // An empty delivery and a digest.
    dir.write(
        &format!("{base}/946986569305_CloudTrail_us-east-1_20240730T2205Z_d.json"),
        br#"{"Records":[]}"#,
    );
    put(
        "AWSLogs/946986569305/CloudTrail-Digest/us-east-1/2024/07/30/946986569305_CloudTrail-Digest_us-east-1_trail_us-east-1_20240730T2200Z.json.gz",
        br#"{"awsAccountId":"946986569305","digestStartTime":"2024-07-30T21:00:00Z","digestEndTime":"2024-07-30T22:00:00Z","digestS3Bucket":"b","digestPublicKeyFingerprint":"9a1b","digestSignatureAlgorithm":"SHA256withRSA","logFiles":[]}"#,
    );

    let (run, json) = stats_json(&[&dir.path().join("AWSLogs")], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(json["files"].as_array().unwrap().len(), 5);
    let digest = file_report(&json, "20240730T2200Z.json.gz");
    assert_eq!(digest["problems"][0]["kind"], "skipped");
    assert_eq!(digest["detection"], "skipped");
    assert_eq!(digest["malformed"], 0);
    assert_eq!(file_report(&json, "_a.json.gz")["events"], 20);
    assert_eq!(file_report(&json, "_b.json.gz")["events"], 20);
    assert_eq!(file_report(&json, "_d.json")["events"], 0);
    let org_file = file_report(&json, "_c.json.gz");
    assert_eq!(org_file["records"], 7);
    assert_eq!(org_file["events"], 6);
    assert_eq!(org_file["malformed"], 1);
    assert_eq!(org_file["malformed_examples"][0]["record_index"], 2);
    assert_eq!(
        org_file["malformed_examples"][0]["reason"],
        "missing field eventTime"
    );
    assert_eq!(org_file["duplicates_removed"], 1);
    assert_eq!(json["totals"]["events"], 46);
    assert_eq!(
        json["sources"][0]["events"], 45,
        "46 parsed, 1 duplicate removed"
    );
    assert!(run.stderr.contains("record 2"), "{}", run.stderr);
    assert!(
        run.stderr.contains("skipped: CloudTrail digest file"),
        "{}",
        run.stderr
    );

    // --strict fails on the bad record but not on the digest.
    let strict = tokentrail(&[
        "stats",
        "--strict",
        dir.path().join("AWSLogs").to_str().unwrap(),
    ]);
    assert_eq!(strict.code, 3);
}

/// The stolen-instance-credentials story of the OTRF dataset: the key used for the S3
/// exfiltration is found as the child of an AssumeRole by filtering columns.
#[test]
fn child_key_is_traced_to_its_parent_by_columns_alone() {
    let dir = TestDir::new();
    let out = dir.path().join("events.parquet");
    let run = tokentrail(&[
        "ingest",
        "tests/fixtures/cloudtrail/otrf-ec2-proxy-s3-exfiltration.jsonl",
        "tests/fixtures/cloudtrail/stratus-iam-backdoor-user.json",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let df = ParquetReader::new(std::fs::File::open(&out).unwrap())
        .finish()
        .unwrap();
    let rows_where = |column: &str, value: &str| {
        let mask = df.column(column).unwrap().str().unwrap().equal(value);
        df.filter(&mask).unwrap()
    };
    let text = |df: &DataFrame, column: &str| -> Vec<String> {
        df.column(column)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.unwrap_or("").to_string())
            .collect()
    };

    let stolen = "ASIA5FLZVX4OPVKKVBMX";
    let parent = rows_where("child_credential_id", stolen);
    assert_eq!(parent.height(), 1);
    assert_eq!(text(&parent, "lineage"), ["assume_role"]);
    assert_eq!(text(&parent, "action"), ["sts:AssumeRole"]);
    assert_eq!(text(&parent, "principal"), ["ec2.amazonaws.com"]);
    assert_eq!(
        text(&parent, "child_credential_kind"),
        ["aws_temporary_key"]
    );
    let uses = rows_where("credential_id", stolen);
    assert_eq!(uses.height(), 11);
    assert!(text(&uses, "action").iter().any(|a| a.starts_with("s3:")));

    let backdoor = rows_where("child_credential_id", "AKIAL80DWDVKKM0UXEER");
    assert_eq!(text(&backdoor, "credential_id"), ["AKIA30BEZSJBVKOFKZW0"]);
    assert_eq!(
        text(&backdoor, "child_principal"),
        ["stratus-red-team-backdoor-u-user"]
    );
    assert_eq!(text(&backdoor, "lineage"), ["create_access_key"]);

    // The session token in responseElements never reaches the frame.
    let csv = dir.path().join("events.csv");
    let run = tokentrail(&[
        "ingest",
        "tests/fixtures/cloudtrail/otrf-ec2-proxy-s3-exfiltration.jsonl",
        "-o",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0);
    let body = std::fs::read_to_string(csv).unwrap();
    assert!(
        !body.contains("IQoJb3JpZ2luX2Vj"),
        "a session token was written"
    );
}

/// Every real CloudTrail sample form is detected as CloudTrail, with its container.
#[test]
fn every_real_form_is_detected() {
    let (run, json) = stats_json(&[&fixture("cloudtrail")], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for f in json["files"].as_array().unwrap() {
        if !f["file"].as_str().unwrap().ends_with("README.md") {
            assert_eq!(f["source"], "cloudtrail", "{}", f["file"]);
        }
    }
    assert_eq!(
        file_report(&json, "otrf-ec2-proxy-s3-exfiltration.jsonl")["events"],
        103
    );
    assert_eq!(file_report(&json, "plaso-lookup-events.jsonl")["events"], 6);
    assert_eq!(
        file_report(&json, "stratus-ec2-steal-instance-credentials.json")["events"],
        45
    );
    let panther = file_report(&json, "panther-rule-tests.ndjson");
    assert_eq!(panther["lines"], 439);
    // Rule-test records with a null, "redacted" or missing time are counted, not dropped;
    // one whose `resources` are strings is read (they are skipped).
    assert_eq!(panther["malformed"], 16);
    assert_eq!(panther["events"], 423);
}

/// A delivery file cut short (a copy interrupted mid-transfer): the records before the cut
/// are read, and the cut is said twice, as a truncated gzip and as a document fault.
#[test]
fn truncated_records_file_keeps_the_records_before_the_cut() {
    let dir = TestDir::new();
    let gz = gzip(&records_file(&stratus_records()));
    let path = dir.write("cut_CloudTrail.json.gz", &gz[..gz.len() * 3 / 5]);
    let (run, json) = stats_json(&[&path], &[]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let f = file_report(&json, "cut_CloudTrail.json.gz");
    assert_eq!(f["source"], "cloudtrail");
    assert_eq!(f["problems"][0]["kind"], "truncated_gzip");
    let events = f["events"].as_u64().unwrap();
    assert!(events > 5 && events < 45, "{events}");
    assert_eq!(f["malformed"], 1);
    assert_eq!(f["malformed_examples"][0]["record_index"], events);
    assert!(
        run.stderr.contains(&format!(
            "(record {events}): document: not valid JSON: the document ends inside a value"
        )),
        "{}",
        run.stderr
    );
}

/// A record delivered twice is one event whether `credentials` tallies raw logs or reads
/// the table `ingest` wrote; a record that reuses another's id from another address is an
/// event of its own; and the last sighting is never the removed copy, even when another
/// event shares its second.
#[test]
fn repeated_deliveries_are_removed_alike_when_tallied_and_when_framed() {
    let dir = TestDir::new();
    let rec = |id: &str, second: &str, ip: &str| {
        format!(
            r#"{{"eventVersion":"1.09","eventTime":"2024-07-30T10:00:{second}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","eventID":"{id}","eventType":"AwsApiCall","sourceIPAddress":"{ip}","recipientAccountId":"111122223333","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ci","accountId":"111122223333","accessKeyId":"AKIAIOSFODNN7EXAMPLE"}}}}"#
        )
    };
    let x = rec("x-1", "05", "198.51.100.2");
    dir.write(
        "logs/a.json",
        &records_file(&[rec("w-1", "01", "198.51.100.1"), x.clone()]),
    );
    // X's id from another address, then another call in the same second.
    dir.write(
        "logs/b.json",
        &records_file(&[
            rec("x-1", "05", "203.0.113.9"),
            rec("y-1", "05", "198.51.100.3"),
        ]),
    );
    // X delivered again.
    dir.write("logs/c.json", &records_file(std::slice::from_ref(&x)));
    let logs = dir.path().join("logs");

    let raw = tokentrail(&["credentials", "--format", "json", logs.to_str().unwrap()]);
    assert_eq!(raw.code, 0, "{}", raw.stderr);
    let tallied = raw.json();
    let keys = tallied["credentials"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{tallied}");
    let key = &keys[0];
    assert_eq!(key["credential_id"], "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(key["events"], 4, "w, x, x from another address, y: {key}");
    assert_eq!(key["distinct_src_ips"], 4);
    assert_eq!(key["first"]["event_id"], "w-1");
    // Of the three calls left at 10:00:05, the last in input order: y in b.json.
    assert_eq!(key["last"]["event_id"], "y-1", "{key}");
    assert!(key["last"]["file"].as_str().unwrap().ends_with("b.json"));
    assert_eq!(key["last"]["record_index"], 1);

    let table = dir.path().join("events.parquet");
    let ingest = tokentrail(&[
        "ingest",
        logs.to_str().unwrap(),
        "-o",
        table.to_str().unwrap(),
    ]);
    assert_eq!(ingest.code, 0, "{}", ingest.stderr);
    let framed = tokentrail(&["credentials", "--format", "json", table.to_str().unwrap()]);
    assert_eq!(framed.code, 0, "{}", framed.stderr);
    assert_eq!(framed.json(), tallied);

    let (_, stats) = stats_json(&[&logs], &[]);
    assert_eq!(file_report(&stats, "c.json")["duplicates_removed"], 1);
    assert_eq!(file_report(&stats, "b.json")["duplicates_removed"], 0);
    assert_eq!(stats["totals"]["events"], 5);

    // The delivery keys on disk (each file's as it is read: a key's worth of memory) find
    // the same copy, and the folder they waited in is gone after the run.
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let logs_arg = logs.to_str().unwrap();
    let on_disk = |args: &[&str]| {
        let run = tokentrail_env(
            &[args, &["--key-memory", "40", logs_arg]].concat(),
            &[("TMPDIR", &tmp)],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.json()
    };
    assert_eq!(on_disk(&["credentials", "--format", "json"]), tallied);
    let stats = on_disk(&["stats", "--format", "json"]);
    assert_eq!(file_report(&stats, "c.json")["duplicates_removed"], 1);
    assert_eq!(file_report(&stats, "b.json")["duplicates_removed"], 0);
    assert_eq!(stats["totals"]["events"], 5);
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // A temporary folder that cannot hold them fails the run, naming the folder.
    let not_a_folder = dir.write("tmp-file", b"");
    let run = tokentrail_env(
        &["credentials", "--key-memory", "40", logs_arg],
        &[("TMPDIR", &not_a_folder)],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("tmp-file/tokentrail-keys-"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("TMPDIR"), "{}", run.stderr);
}
