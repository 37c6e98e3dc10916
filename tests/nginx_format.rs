//! `--nginx-log-format` and `--nginx-conf`: logs in the user's own format, which the
//! built-in detection cannot read, are read with it, tokens and all.

use crate::util::*;

const FORMAT: &str = r#"$time_iso8601 $remote_addr "$request" $status $body_bytes_sent $request_time "$http_user_agent" $request_id"#;

const LOG: &str = r#"2026-03-04T01:07:12+01:00 81.2.69.166 "GET /api/v1/me?access_token=tt_live_4f9KQ2mXb7Lr0pZs8VwE1nYc HTTP/1.1" 200 412 0.004 "python-requests/2.31.0" 5f2b9c0d
2026-03-04T01:07:14+01:00 89.160.20.130 "GET /api/v1/projects HTTP/1.1" 200 5120 0.010 "Mozilla/5.0 Chrome/122.0" 5f2b9c0e
2026-03-04T01:07:15+01:00 89.160.20.130 "GET /static/app.js HTTP/1.1" 304 0 0.000 "Mozilla/5.0 Chrome/122.0" -
"#;

#[test]
fn a_custom_format_from_the_command_line_and_from_nginx_conf() {
    let dir = TestDir::new();
    let log = dir.write("access.log", LOG.as_bytes());
    let log = log.to_str().unwrap();
    // Without the format: not recognised, and nothing is read.
    let (run, json) = stats_json(&[std::path::Path::new(log)], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(json["totals"]["events"], 0);
    assert!(run.stderr.contains("unknown format"), "{}", run.stderr);
    // With it: every line, the token fingerprinted, never printed.
    let (run, json) = stats_json(
        &[std::path::Path::new(log)],
        &["--nginx-log-format", FORMAT],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let f = file_report(&json, "access.log");
    assert_eq!(f["events"], 3);
    assert_eq!(f["malformed"], 0);
    assert_eq!(f["log_format"], "--nginx-log-format");
    assert_eq!(json["sources"][0]["distinct_credentials"], 1);
    assert_no_clear_token(&run.stdout);
    assert_no_clear_token(&run.stderr);
    // From an nginx.conf that includes the file holding the format.
    dir.write(
        "nginx/nginx.conf",
        b"http {\n  include conf.d/*.conf;\n  access_log /var/log/nginx/access.log gateway;\n}\n",
    );
    dir.write(
        "nginx/conf.d/log.conf",
        format!("log_format gateway '{}'\n    ;\nlog_format other '$remote_addr [$time_local] \"$request\"';\n", FORMAT.replace('\'', "\\'")).as_bytes(),
    );
    let conf = dir.path().join("nginx/nginx.conf");
    let conf = conf.to_str().unwrap();
    let (run, json) = stats_json(&[std::path::Path::new(log)], &["--nginx-conf", conf]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let f = file_report(&json, "access.log");
    assert_eq!(
        (f["events"].as_u64(), f["log_format"].as_str()),
        (Some(3), Some("gateway"))
    );
    let run = tokentrail(&[
        "stats",
        log,
        "--nginx-conf",
        conf,
        "--log-format-name",
        "nope",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no log_format named nope"),
        "{}",
        run.stderr
    );
    let run = tokentrail(&["stats", log, "--nginx-log-format", "$remote_addr $status"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no time variable"), "{}", run.stderr);
    // Other files are still detected as usual next to the custom format.
    let (run, json) = stats_json(
        &[std::path::Path::new(log), &fixture("nginx/access.log")],
        &["--nginx-log-format", FORMAT],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        file_report(&json, "fixtures/nginx/access.log")["events"],
        13
    );
    assert!(file_report(&json, "fixtures/nginx/access.log")["log_format"].is_null());
}

/// The gateway of the issue: combined plus `rt=$request_time tid=$http_x_token_id
/// rid=$request_id`, where `tid` logs a token's first characters.
#[test]
fn token_prefix_fields_are_linked_to_their_tokens() {
    let format = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time tid=$http_x_token_id rid=$request_id"#;
    let token = "tt_live_4f9KQ2mXb7Lr0pZs8VwE1nYc";
    let prefix = "tt_live_4f9K";
    let mut log = String::new();
    for k in 0..6 {
        let (req, tid) = if k % 2 == 0 {
            (
                format!("GET /api/v1/me?access_token={token}"),
                "-".to_string(),
            )
        } else {
            ("GET /api/v1/projects".to_string(), prefix.to_string())
        };
        log.push_str(&format!(
            "81.2.69.166 - - [04/Mar/2026:01:0{k}:00 +0100] \"{req} HTTP/1.1\" 200 10 \"-\" \"curl/8.4.0\" rt=0.00{k} tid={tid} rid=req-{k}\n"
        ));
    }
    // A prefix of no token seen in full stays a prefix.
    log.push_str("10.0.0.1 - - [04/Mar/2026:01:09:00 +0100] \"GET /x HTTP/1.1\" 200 1 \"-\" \"curl/8.4.0\" rt=0.001 tid=zz_other_99 rid=req-9\n");
    // A guess at a token: 18 characters, so its fingerprint shows only `tt_l`, which
    // agrees with the prefix on fewer characters than the real token's does: the prefix
    // is still linked.
    log.push_str("10.0.0.9 - - [04/Mar/2026:01:09:30 +0100] \"GET /api/v1/me?access_token=tt_live_guess13502 HTTP/1.1\" 401 1 \"-\" \"curl/8.4.0\" rt=0.001 tid=- rid=req-10\n");
    let dir = TestDir::new();
    let path = dir.write("gateway.log", log.as_bytes());
    let p = path.to_str().unwrap();
    // The same settings given as options, or kept with the case in `[input]` of the
    // config file.
    let config = dir.write(
        "case.toml",
        format!("[input]\nnginx_log_format = '''{format}'''\ntoken_prefix_fields = [\"$http_x_token_id\"]\n")
            .as_bytes(),
    );
    let config = config.to_str().unwrap();
    let ways: [&[&str]; 2] = [
        &[
            "--nginx-log-format",
            format,
            "--token-prefix-field",
            "http_x_token_id",
            "-q",
        ],
        &["--config", config, "-q"],
    ];
    for args in ways {
        let mut all = vec!["stats", p, "--format", "json"];
        all.extend_from_slice(args);
        let run = tokentrail(&all);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let stats = run.json();
        let f = file_report(&stats, "gateway.log");
        assert_eq!(events_and_malformed(f), (Some(8), Some(0)));
        // Every call of the token, in full or by prefix, is one credential; the stray prefix
        // another, the guess a third.
        assert_eq!(stats["sources"][0]["distinct_credentials"], 3);
        let out = dir.path().join("events.ndjson");
        let mut all = vec![p];
        all.extend_from_slice(args);
        let rows = ingest_rows(&out, &all);
        assert_eq!(
            rows[1]["event_id"], "req-1",
            "the request id is the event id"
        );
        assert_eq!(rows[1]["credential_id"], rows[0]["credential_id"]);
        assert_eq!(rows[1]["parse_notes"], "prefix_linked");
        assert_eq!(rows[6]["credential_kind"], "token_prefix");
        let mut all = vec!["secrets", p, "--format", "json"];
        all.extend_from_slice(args);
        let run = tokentrail(&all);
        let secrets = run.json();
        let s = &secrets["secrets"][0];
        assert_eq!(
            (s["events"].as_u64(), s["prefix_linked"].as_u64()),
            (Some(6), Some(3))
        );
        assert!(
            s["credential_id"]
                .as_str()
                .unwrap()
                .starts_with("tt_live_4f9KQ2…")
        );
        for text in [
            &run.stdout,
            &run.stderr,
            &std::fs::read_to_string(&out).unwrap(),
        ] {
            assert!(!text.contains(token), "a token in clear");
        }
    }
    let run = tokentrail(&["stats", p, "--token-prefix-field", "x"]);
    assert_eq!(run.code, 2, "a prefix field needs a log_format");
}

/// `--real-ip-from`: behind trusted proxies the client comes from the forwarded chain, as
/// nginx's real_ip module decides, and the proxy is kept in `peer_ip`.
#[test]
fn real_ip_from_trusted_proxies() {
    let format = PROXIED_FORMAT;
    let log = concat!(
        "10.0.0.5 - - [04/Mar/2026:01:00:00 +0100] \"GET /a HTTP/1.1\" 200 1 \"curl/8\" \"81.2.69.166, 10.0.0.7\"\n",
        "10.0.0.5 - - [04/Mar/2026:01:00:01 +0100] \"GET /b HTTP/1.1\" 200 1 \"curl/8\" \"198.51.100.9, 81.2.69.166\"\n",
        "203.0.113.4 - - [04/Mar/2026:01:00:02 +0100] \"GET /c HTTP/1.1\" 200 1 \"curl/8\" \"81.2.69.166\"\n",
    );
    let dir = TestDir::new();
    let path = dir.write("proxied.log", log.as_bytes());
    let out = dir.path().join("events.ndjson");
    let rows = |extra: &[&str]| -> Vec<serde_json::Value> {
        let mut args = vec![path.to_str().unwrap(), "-q", "--nginx-log-format", format];
        args.extend_from_slice(extra);
        ingest_rows(&out, &args)
    };
    let plain = rows(&[]);
    assert_eq!(plain[0]["src_ip"], "10.0.0.5");
    assert!(plain[0]["peer_ip"].is_null());
    let real = rows(&["--real-ip-from", "10.0.0.0/8"]);
    assert_eq!(
        (real[0]["src_ip"].as_str(), real[0]["peer_ip"].as_str()),
        (Some("81.2.69.166"), Some("10.0.0.5"))
    );
    // The rightmost untrusted address: what a client adds to the left is not believed.
    assert_eq!(real[1]["src_ip"], "81.2.69.166");
    // An untrusted peer keeps its own address whatever it forwards.
    assert_eq!(real[2]["src_ip"], "203.0.113.4");
    let bad = tokentrail(&["stats", path.to_str().unwrap(), "--real-ip-from", "ten"]);
    assert_eq!(bad.code, 2);
}

/// The real elastic/beats and Apache samples through `log_format combined` compiled at run
/// time: every line read, as the built-in parser reads them (lines the format cannot cut,
/// such as an extra trailing field, fall back to the built-in formats).
#[test]
fn real_samples_through_a_compiled_combined_format() {
    let combined = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;
    let (run, json) = stats_json(&[&fixture("nginx")], &["--nginx-log-format", combined]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for (file, lines) in [
        ("access.log", 13),
        ("access-test.log", 7),
        ("access-test-with-host.log", 10),
        ("apache_logs.gz", 10_000),
    ] {
        let f = file_report(&json, &format!("/{file}"));
        assert_eq!(events_and_malformed(f), (Some(lines), Some(0)), "{file}");
    }
}

/// Variables without a column of their own become `x_<name>` columns (null for files read
/// another way); variables whose name says they hold a secret are never kept.
#[test]
fn unknown_variables_become_extra_columns() {
    let format = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_user_agent" rt=$request_time urt="$upstream_response_time" key=$http_x_api_key"#;
    let dir = TestDir::new();
    let gw = dir.write(
        "gateway.log",
        b"81.2.69.166 - - [04/Mar/2026:01:00:00 +0100] \"GET /a?x=1 HTTP/1.1\" 200 1 \"curl/8\" rt=0.012 urt=\"0.010, 0.002\" key=sk_live_51HxQbCdEfGhIjKlMn\n",
    );
    let plain = dir.write(
        "plain.log",
        b"10.0.0.1 - - [04/Mar/2026:00:59:00 +0100] \"GET /b HTTP/1.1\" 200 1 \"-\" \"curl/8\"\n",
    );
    let out = dir.path().join("events.ndjson");
    let (gw, plain) = (gw.to_str().unwrap(), plain.to_str().unwrap());
    let rows = ingest_rows(&out, &[gw, plain, "-q", "--nginx-log-format", format]);
    assert!(
        !std::fs::read_to_string(&out)
            .unwrap()
            .contains("sk_live_51HxQbCdEfGhIjKlMn"),
        "a secret kept as a column"
    );
    let gw_row = rows.iter().find(|r| r["src_ip"] == "81.2.69.166").unwrap();
    // `$request_time` is always one number: a typed column. `$upstream_response_time`
    // can be a list: text.
    assert_eq!(gw_row["x_request_time"], 0.012);
    assert_eq!(gw_row["x_upstream_response_time"], "0.010, 0.002");
    assert!(gw_row.get("x_http_x_api_key").is_none());
    let plain_row = rows.iter().find(|r| r["src_ip"] == "10.0.0.1").unwrap();
    assert!(plain_row["x_request_time"].is_null());
    // A value that is not a number is not cast away: the column stays text, in every file.
    let odd = dir.write(
        "odd.log",
        b"81.2.69.167 - - [04/Mar/2026:01:00:05 +0100] \"GET /c HTTP/1.1\" 200 1 \"curl/8\" rt=n/a urt=\"-\" key=-\n",
    );
    let odd = odd.to_str().unwrap();
    let times: Vec<serde_json::Value> =
        ingest_rows(&out, &[gw, odd, "-q", "--nginx-log-format", format])
            .iter()
            .map(|r| r["x_request_time"].clone())
            .collect();
    assert_eq!(times, ["0.012", "n/a"]);
    // The extra columns sit between the schema and the enrichment columns.
    let csv = dir.path().join("events.csv");
    let run = tokentrail(&[
        "ingest",
        gw,
        plain,
        "-q",
        "-o",
        csv.to_str().unwrap(),
        "--nginx-log-format",
        format,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let header: Vec<String> = std::fs::read_to_string(&csv)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let at = |k: &str| header.iter().position(|x| x == k).unwrap();
    assert!(at("risk") < at("x_request_time"), "{header:?}");
    assert!(at("x_upstream_response_time") < at("peer_ip"), "{header:?}");
}

/// error.log writes the server's local time without a zone: read as UTC and noted unless
/// `--tz` (or `[input] tz`) says where the server was; a wrong zone is a usage error that
/// names where it came from.
#[test]
fn error_log_times_in_the_servers_zone() {
    let log = fixture("nginx-error/error.log");
    let log = log.to_str().unwrap();
    let dir = TestDir::new();
    let out = dir.path().join("events.ndjson");
    let first = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec![log, "-q"];
        args.extend_from_slice(extra);
        ingest_rows(&out, &args).swap_remove(0)
    };
    // 2016/10/25 14:49:34: October, so Berlin is UTC+2 and New York UTC-4.
    let assumed = first(&[]);
    assert_eq!(assumed["ts"], "2016-10-25T14:49:34+00:00");
    assert_eq!(assumed["parse_notes"], "assumed_utc");
    let berlin = first(&["--tz", "Europe/Berlin"]);
    assert_eq!(berlin["ts"], "2016-10-25T12:49:34+00:00");
    assert_eq!(
        berlin["ts_raw"], "2016/10/25 14:49:34",
        "the text as logged"
    );
    assert!(berlin["parse_notes"].is_null(), "{berlin}");
    assert_eq!(
        first(&["--tz", "-04:00"])["ts"],
        "2016-10-25T18:49:34+00:00"
    );
    let config = dir.write("case.toml", b"[input]\ntz = \"America/New_York\"\n");
    let config = config.to_str().unwrap();
    assert_eq!(
        first(&["--config", config])["ts"],
        "2016-10-25T18:49:34+00:00"
    );
    assert_eq!(
        first(&["--config", config, "--tz", "UTC"])["ts"],
        "2016-10-25T14:49:34+00:00",
        "the option wins over the file"
    );

    let run = tokentrail(&["stats", log, "--tz", "Mars/Olympus"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("--tz: `Mars/Olympus` is not a time zone"),
        "{}",
        run.stderr
    );
    let bad = dir.write("bad.toml", b"[input]\ntz = \"+99\"\n");
    let run = tokentrail(&["stats", log, "--config", bad.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("bad.toml: [input] tz: `+99`"),
        "{}",
        run.stderr
    );
}

/// The samples' incident, logged by a gateway that writes only a token's first 12
/// characters (`tid=`) on every other call of that token: the hunt finds the same
/// compromised token, the same first suspicious call (its line) and the same attacker
/// calls as over the log that names the token in every URL, and no token is printed.
#[test]
fn the_samples_incident_is_found_through_token_prefixes() {
    let format = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time tid=$http_x_token_id rid=$request_id"#;
    let original = std::fs::read_to_string(root().join("samples/logs/nginx/access.log")).unwrap();
    let mut gateway = String::new();
    let mut by_prefix = 0;
    for (n, line) in original.lines().enumerate() {
        let mut line = line.to_string();
        let mut tid = "-".to_string();
        let param = line
            .find("?access_token=")
            .or_else(|| line.find("&access_token="));
        if let (Some(at), 1) = (param, n % 2) {
            let text = |from: usize, to: usize| line.get(from..to).unwrap().to_string();
            let start = at + "?access_token=".len();
            let len = line
                .get(start..)
                .unwrap()
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(line.len() - start);
            tid = text(start, start + 12.min(len));
            // `/a?access_token=T&b=1` -> `/a?b=1`, `/a?b=1&access_token=T` -> `/a?b=1`,
            // `/a?access_token=T` -> `/a`.
            let after = text(start + len, line.len());
            let rest = match (text(at, at + 1).as_str(), after.strip_prefix('&')) {
                ("?", Some(more)) => format!("?{more}"),
                _ => after.clone(),
            };
            line = format!("{}{rest}", text(0, at));
            by_prefix += 1;
        }
        gateway.push_str(&format!("{line} rt=0.{:03} tid={tid} rid=r{n}\n", n % 1000));
    }
    assert!(by_prefix > 500, "{by_prefix}");
    let dir = TestDir::new();
    let path = dir.write("gateway.log", gateway.as_bytes());
    let hunt = |args: &[&str]| {
        let mut all = vec!["hunt", "--geoip", "samples/geoip", "-q", "--format", "json"];
        all.extend_from_slice(args);
        let run = tokentrail(&all);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(!run.stdout.contains("tt_live_oSw7AeEJ"), "a token in clear");
        run.json()
    };
    let plain = hunt(&["samples/logs/nginx/access.log"]);
    let prefixed = hunt(&[
        path.to_str().unwrap(),
        "--nginx-log-format",
        format,
        "--token-prefix-field",
        "http_x_token_id",
    ]);
    let first = |report: &serde_json::Value| {
        let f = &report["findings"][0];
        (
            f["credential"]["id"].clone(),
            f["first_suspicious"]["line"].clone(),
            f["first_suspicious"]["src_ip"].clone(),
            f["events"].as_array().map(Vec::len),
        )
    };
    assert_eq!(first(&prefixed), first(&plain));
    assert_eq!(first(&plain).1, 234);
    // By parts, the same report: the calls by prefix (no principal) go to their token's
    // part once the whole log says which token that is.
    let args = [
        "hunt",
        "--geoip",
        "samples/geoip",
        "-q",
        "--format",
        "json",
        path.to_str().unwrap(),
        "--nginx-log-format",
        format,
        "--token-prefix-field",
        "http_x_token_id",
    ];
    let whole = tokentrail(&args);
    let mut by_parts = args.to_vec();
    by_parts.extend(["--memory-budget", "1"]);
    let tmp = TestDir::new();
    let parts = tokentrail_env(&by_parts, &[("TMPDIR", tmp.path())]);
    assert_eq!(parts.code, 0, "{}", parts.stderr);
    assert!(whole.stdout == parts.stdout, "by parts: the reports differ");
}
