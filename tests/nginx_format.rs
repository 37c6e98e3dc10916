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
    assert!(!run.stdout.contains("tt_live_") && !run.stderr.contains("tt_live_"));
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
