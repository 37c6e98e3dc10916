use crate::util::*;

/// The three real elastic/beats nginx test files: exact line counts, nothing malformed.
#[test]
fn stats_on_real_nginx_samples_counts_every_line() {
    let (run, json) = stats_json(&[&fixture("nginx")], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for (file, lines) in [
        ("access.log", 13),
        ("access-test.log", 7),
        ("access-test-with-host.log", 10),
        ("apache_logs.gz", 10_000),
    ] {
        let f = file_report(&json, &format!("/{file}"));
        assert_eq!(f["source"], "nginx", "{file}");
        assert_eq!(f["lines"], lines, "{file}");
        assert_eq!(f["events"], lines, "{file}");
        assert_eq!(f["malformed"], 0, "{file}");
    }
    // The Elastic sample is not in time order: 4,915 backward steps (SOURCES.md).
    assert_eq!(file_report(&json, "apache_logs.gz")["out_of_order"], 4915);
    assert_eq!(json["totals"]["events"], 10_030);
}

/// The samples as the generator wrote them (samples/truth.json): every event counted,
/// nothing malformed, the digest skipped, no token in clear.
#[test]
fn stats_on_samples_counts_what_the_generator_wrote_and_never_prints_a_token() {
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("samples/truth.json")).unwrap())
            .unwrap();
    let want = |src: &str| truth["sources"][src].as_u64().unwrap();
    let run = tokentrail(&["stats", "samples/logs"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("access.log.2.gz"), "{}", run.stdout);
    let (_, json) = stats_json(&[&root().join("samples/logs")], &[]);
    let total: u64 = ["nginx", "cloudtrail", "okta", "auth0"]
        .iter()
        .map(|s| want(s))
        .sum();
    assert_eq!(json["totals"]["events"], total);
    assert_eq!(json["totals"]["malformed"], 0);
    assert_eq!(
        json["totals"]["files_with_problems"], 0,
        "the digest is skipped, not a problem"
    );
    let source = |id: &str| {
        json["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["source"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(source("nginx")["events"], want("nginx"));
    assert_eq!(source("nginx")["first"], "2026-02-02T00:05:08Z");
    assert_eq!(source("cloudtrail")["events"], want("cloudtrail"));
    assert_eq!(
        source("cloudtrail")["files"],
        22,
        "21 daily deliveries and the digest"
    );
    assert_eq!(source("okta_system_log")["events"], want("okta"));
    assert_eq!(source("auth0")["events"], want("auth0"));
    for (file, lines) in truth["nginx_files"].as_object().unwrap() {
        assert_eq!(file_report(&json, file)["events"], *lines, "{file}");
    }
    for out in [&run.stdout, &run.stderr, &json.to_string()] {
        assert_no_clear_token(out);
    }
}

#[test]
fn ingest_writes_parquet_csv_and_ndjson_without_secrets() {
    let dir = TestDir::new();
    for ext in ["parquet", "csv", "ndjson"] {
        let out = dir.path().join(format!("events.{ext}"));
        let run = tokentrail(&["ingest", "samples/logs", "-o", out.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{ext}: {}", run.stderr);
        assert!(run.stderr.contains("wrote 5506 events"), "{}", run.stderr);
        let bytes = std::fs::read(&out).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        // Every token of the samples starts tt_live_ (guessed ones too).
        assert_no_clear_token(&text);
        if ext == "csv" {
            assert_eq!(text.lines().count(), 5507, "header + one row per event");
            assert!(
                text.lines()
                    .next()
                    .unwrap()
                    .starts_with("ts,ts_raw,source,event_id,file,line")
            );
            assert!(text.contains("access_token=REDACTED"));
        }
        if ext == "ndjson" {
            assert_eq!(text.lines().count(), 5506);
            let first: serde_json::Value =
                serde_json::from_str(text.lines().next().unwrap()).unwrap();
            assert_eq!(first["source"], "nginx");
        }
    }
    use polars::prelude::{ParquetReader, SerReader};
    let file = std::fs::File::open(dir.path().join("events.parquet")).unwrap();
    let df = ParquetReader::new(file).finish().unwrap();
    assert_eq!(df.height(), 5506);
}

#[test]
fn unknown_output_extension_is_a_usage_error() {
    let dir = TestDir::new();
    let out = dir.path().join("events.xlsx");
    let run = tokentrail(&["ingest", "samples/logs", "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown output format"),
        "{}",
        run.stderr
    );
}

#[test]
fn stdin_is_read_plain_or_gzip() {
    let plain = std::fs::read(fixture("nginx/access.log")).unwrap();
    for input in [plain.clone(), gzip(&plain)] {
        let run = tokentrail_stdin(&["stats", "--format", "json", "-"], Some(&input));
        assert_eq!(run.code, 0, "{}", run.stderr);
        let f = file_report(&run.json(), "<stdin>").clone();
        assert_eq!(f["events"], 13);
        assert_eq!(f["source"], "nginx");
    }
}

#[test]
fn forced_source_and_unknown_source_id() {
    let run = tokentrail(&[
        "stats",
        "--format",
        "json",
        "--source",
        "nginx",
        "tests/fixtures/nginx/access.log",
    ]);
    assert_eq!(run.code, 0);
    assert_eq!(run.json()["files"][0]["detection"], "forced");
    let run = tokentrail(&["stats", "--source", "apache", "samples/logs"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown source `apache`"),
        "{}",
        run.stderr
    );
}

#[test]
fn missing_path_is_fatal_and_named() {
    let run = tokentrail(&["stats", "no/such/file.log"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no/such/file.log"), "{}", run.stderr);
}

#[test]
fn sources_lists_every_parser() {
    let run = tokentrail(&["sources"]);
    assert_eq!(run.code, 0);
    for id in [
        "nginx",
        "nginx_json",
        "nginx_error",
        "cloudtrail",
        "okta_system_log",
        "auth0",
        "entra_signin",
    ] {
        assert!(run.stdout.contains(id), "{id}: {}", run.stdout);
    }
    // The CSV forms each source reads, so that a responder knows before trying.
    assert!(
        run.stdout
            .contains("Entra admin center sign-in download (CSV)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("CloudTrail event history download (CSV)")
    );
}

/// JSON access logs (`log_format … escape=json`) beside text ones: each detected as its
/// own format, every line counted, a line written without escape=json repaired.
#[test]
fn nginx_json_access_logs_are_detected_and_counted() {
    let dir = TestDir::new();
    let lines = [
        r#"{"time":"2026-03-04T01:07:12+01:00","remote_addr":"81.2.69.166","request":"GET /api/v1/me HTTP/1.1","status":"200","body_bytes_sent":"412","http_user_agent":"python-requests/2.31.0"}"#,
        r#"{"time":"2026-03-04T01:07:13+01:00","remote_addr":"81.2.69.166","request":"GET /api/v1/users?page=1 HTTP/1.1","status":"200","body_bytes_sent":"24000","http_user_agent":"python-requests/2.31.0"}"#,
        r#"{"time":"2026-03-04T01:07:14+01:00","remote_addr":"198.51.100.7","request":"\x16\x03\x01","status":400,"body_bytes_sent":157,"upstream_response_time":-}"#,
    ];
    dir.write("json/access.log", (lines.join("\n") + "\n").as_bytes());
    dir.write(
        "json/plain.log",
        &std::fs::read(fixture("nginx/access.log")).unwrap(),
    );
    let (run, json) = stats_json(&[&dir.path().join("json")], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let f = file_report(&json, "json/access.log");
    assert_eq!(f["source"], "nginx_json");
    assert_eq!(f["events"], 3);
    assert_eq!(f["malformed"], 0);
    assert_eq!(file_report(&json, "json/plain.log")["source"], "nginx");
}

/// `credentials` agrees with the events themselves: for every credential in the ingested
/// frame, the same count, first and last time and first line, computed here independently
/// from the NDJSON; and no token in clear in any format.
#[test]
fn credentials_lists_each_credential_with_its_first_and_last_sighting() {
    let dir = TestDir::new();
    let out = dir.path().join("events.ndjson");
    // credential -> (events, first ts, first locator, last ts)
    let mut expected: std::collections::BTreeMap<String, (u64, String, String, String)> =
        Default::default();
    for v in ingest_rows(&out, &["samples/logs", "-q"]) {
        let Some(c) = v["credential_id"].as_str() else {
            continue;
        };
        let ts = v["ts"].as_str().unwrap().to_string();
        let at = format!("{}:{}:{}", v["file"], v["line"], v["record_index"]);
        let e = expected
            .entry(c.to_string())
            .or_insert((0, ts.clone(), at, ts.clone()));
        e.0 += 1;
        e.3 = ts; // the frame is in time order
    }
    let run = tokentrail(&["credentials", "samples/logs", "-q", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    let listed = json["credentials"].as_array().unwrap();
    assert_eq!(listed.len(), expected.len());
    let rfc = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    let mut previous_first = None;
    for c in listed {
        let id = c["credential_id"].as_str().unwrap();
        let (events, first, first_at, last) = &expected[id];
        assert_eq!(c["events"].as_u64(), Some(*events), "{id}");
        assert_eq!(rfc(c["first"]["ts"].as_str().unwrap()), rfc(first), "{id}");
        assert_eq!(rfc(c["last"]["ts"].as_str().unwrap()), rfc(last), "{id}");
        let at = format!(
            "{}:{}:{}",
            c["first"]["file"], c["first"]["line"], c["first"]["record_index"]
        );
        assert_eq!(&at, first_at, "{id}");
        let f = rfc(c["first"]["ts"].as_str().unwrap());
        assert!(
            previous_first.is_none_or(|p| p <= f),
            "in the order first seen"
        );
        previous_first = Some(f);
    }
    let leaked = listed
        .iter()
        .find(|c| c["credential_id"] == "AKIAQ3EGALICE0260302")
        .unwrap();
    assert_eq!(
        leaked["principals"][0],
        "arn:aws:iam::111122223333:user/alice"
    );
    assert_eq!(leaked["sources"], serde_json::json!(["cloudtrail"]));
    let csv = tokentrail(&["credentials", "samples/logs", "-q", "--format", "csv"]);
    assert_eq!(csv.stdout.lines().count(), listed.len() + 1);
    let table = tokentrail(&["credentials", "samples/logs", "-q"]);
    for text in [&run.stdout, &csv.stdout, &table.stdout, &table.stderr] {
        assert_no_clear_token(text);
    }
}

/// A `credentials` or `secrets` table shows the first `--limit` rows in the listing's
/// order and says how many it left out; `--limit 0` shows them all.
#[test]
fn tables_show_the_first_rows_up_to_the_limit_and_say_what_they_left_out() {
    let json = tokentrail(&["credentials", "samples/logs", "-q", "--format", "json"]);
    let listed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let ids: Vec<String> = listed["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["credential_id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.len() > 3, "{}", ids.len());
    // A row shows its id at the start of its first line.
    let rows = |table: &str| -> Vec<String> {
        table
            .lines()
            .filter_map(|l| l.strip_prefix("│ "))
            .filter_map(|l| l.split(' ').next())
            .filter(|id| !id.is_empty() && *id != "credential" && *id != "secret")
            .map(str::to_string)
            .collect()
    };
    let cut = tokentrail(&["credentials", "samples/logs", "-q", "--limit", "2"]);
    assert_eq!(cut.code, 0, "{}", cut.stderr);
    assert_eq!(rows(&cut.stdout), ids[..2].to_vec(), "{}", cut.stdout);
    assert!(
        cut.stdout.contains(&format!(
            "{} credentials, in the order first seen",
            ids.len()
        )),
        "{}",
        cut.stdout
    );
    assert!(
        cut.stdout
            .contains(&format!("{} more not shown", ids.len() - 2)),
        "{}",
        cut.stdout
    );
    let all = tokentrail(&["credentials", "samples/logs", "-q", "--limit", "0"]);
    assert_eq!(rows(&all.stdout), ids, "{}", all.stdout);
    assert!(!all.stdout.contains("more not shown"), "{}", all.stdout);

    let secrets = tokentrail(&["secrets", "samples/logs", "-q", "--format", "json"]);
    let secrets: serde_json::Value = serde_json::from_str(&secrets.stdout).unwrap();
    let n = secrets["secrets"].as_array().unwrap().len();
    let cut = tokentrail(&["secrets", "samples/logs", "-q", "--limit", "1"]);
    assert_eq!(rows(&cut.stdout).len(), 1, "{}", cut.stdout);
    assert!(
        cut.stdout.contains(&format!("{} more not shown", n - 1)),
        "{}",
        cut.stdout
    );
}

/// `credentials --by principal`: one row per principal, with every event of it counted
/// (with or without a credential, repeated deliveries removed), its first and last time,
/// its distinct addresses and credentials and its refusals, as the events `ingest`
/// writes say, counted here independently.
#[test]
fn credentials_by_principal_summarise_each_principals_events() {
    let dir = TestDir::new();
    let out = dir.path().join("events.ndjson");
    let run = tokentrail(&["ingest", "-q", "samples/logs", "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    #[derive(Default, Debug, PartialEq)]
    struct Want {
        events: u64,
        refused: u64,
        first: String,
        last: String,
        ips: std::collections::BTreeSet<String>,
        credentials: std::collections::BTreeSet<String>,
    }
    let mut want: std::collections::BTreeMap<String, Want> = Default::default();
    for row in json_lines(&std::fs::read_to_string(&out).unwrap()) {
        let Some(principal) = row["principal"].as_str() else {
            continue;
        };
        let w = want.entry(principal.to_string()).or_default();
        w.events += 1;
        w.refused += u64::from(matches!(
            row["outcome"].as_str(),
            Some("failure" | "denied")
        ));
        // Events are in time order: the first one seen is the earliest.
        let ts = row["ts"].as_str().unwrap().to_string();
        if w.first.is_empty() {
            w.first = ts.clone();
        }
        w.last = ts;
        if let Some(ip) = row["src_ip"].as_str() {
            w.ips.insert(ip.to_string());
        }
        if let Some(c) = row["credential_id"].as_str() {
            w.credentials.insert(c.to_string());
        }
    }
    assert!(want.len() >= 8, "{want:?}");
    let run = tokentrail(&[
        "credentials",
        "--by",
        "principal",
        "-q",
        "--format",
        "json",
        "samples/logs",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listed = run.json();
    let listed = listed["principals"].as_array().unwrap();
    assert_eq!(listed.len(), want.len());
    let seconds = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .unwrap()
            .timestamp_millis()
    };
    for p in listed {
        let name = p["principal"].as_str().unwrap();
        let w = &want[name];
        assert_eq!(p["events"], w.events, "{name}");
        assert_eq!(p["refused"], w.refused, "{name}");
        assert_eq!(p["distinct_src_ips"], w.ips.len() as u64, "{name}");
        assert_eq!(
            p["distinct_credentials"],
            w.credentials.len() as u64,
            "{name}"
        );
        assert_eq!(
            seconds(p["first"]["ts"].as_str().unwrap()),
            seconds(&w.first),
            "{name}"
        );
        assert_eq!(
            seconds(p["last"]["ts"].as_str().unwrap()),
            seconds(&w.last),
            "{name}"
        );
        for c in p["credentials"].as_array().unwrap() {
            assert!(w.credentials.contains(c.as_str().unwrap()), "{name}: {c}");
        }
    }
}

/// `credentials` (by credential and by principal) and `secrets` tally raw logs without a
/// frame; their answer is the one the full frame gives (the table `ingest` writes, and the dataset folder of the
/// samples), behind trusted proxies too.
#[test]
fn credentials_from_raw_logs_match_the_full_frame() {
    let format = PROXIED_FORMAT;
    let log = concat!(
        "10.0.0.5 - - [04/Mar/2026:01:00:00 +0100] \"GET /a?access_token=tt_live_9f8e7d6c5b4a3f2e1d0c HTTP/1.1\" 200 1 \"curl/8\" \"81.2.69.166, 10.0.0.7\"\n",
        "10.0.0.5 - - [04/Mar/2026:01:00:01 +0100] \"GET /b?access_token=tt_live_9f8e7d6c5b4a3f2e1d0c HTTP/1.1\" 401 1 \"curl/8\" \"198.51.100.9, 81.2.69.166\"\n",
        "203.0.113.4 - - [04/Mar/2026:01:00:02 +0100] \"GET /c?api_key=ak_0123456789abcdef0123 HTTP/1.1\" 200 1 \"curl/8\" \"81.2.69.166\"\n",
    );
    let dir = TestDir::new();
    let proxied = dir.write("proxied.log", log.as_bytes());
    let proxied = proxied.to_str().unwrap();
    let cases: [&[&str]; 3] = [
        &["samples/logs"],
        // Identity providers: read with only the identity of each event (`Detail`).
        &[
            "tests/fixtures/okta",
            "tests/fixtures/auth0",
            "tests/fixtures/entra",
        ],
        &[
            proxied,
            "--nginx-log-format",
            format,
            "--real-ip-from",
            "10.0.0.0/8",
        ],
    ];
    for (n, inputs) in cases.iter().enumerate() {
        // The first case also as a dataset partitioned by source and day.
        let table = match n {
            0 => dir.path().join("dataset/"),
            _ => dir.path().join(format!("events-{n}.parquet")),
        };
        let mut ingest = vec!["ingest", "-q", "-o", table.to_str().unwrap()];
        ingest.extend_from_slice(inputs);
        let run = tokentrail(&ingest);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let commands: [&[&str]; 3] = [
            &["credentials"],
            &["secrets"],
            &["credentials", "--by", "principal"],
        ];
        for command in commands {
            let mut raw = command.to_vec();
            raw.extend(["-q", "--format", "json"]);
            let mut full = raw.clone();
            raw.extend_from_slice(inputs);
            full.push(table.to_str().unwrap());
            let (raw, full) = (tokentrail(&raw), tokentrail(&full));
            assert_eq!(raw.code, 0, "{}", raw.stderr);
            assert_eq!(full.code, 0, "{}", full.stderr);
            assert_eq!(raw.json(), full.json(), "{command:?} {inputs:?}");
        }
    }
}
