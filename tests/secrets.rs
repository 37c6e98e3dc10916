//! Secrets in logs: `tokentrail secrets` lists them, and no clear token survives anywhere
//! in any output of the whole pipeline (stdout, stderr, Parquet, CSV, NDJSON, reports).

use crate::util::*;

const FORMAT: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" auth="$http_authorization" sid=$cookie_sid rid=$request_id"#;

/// Every token the log below holds, in clear.
const TOKENS: &[&str] = &[
    "tt_live_4f9KQ2mXb7Lr0pZs8VwE1nYc",
    "xoxb-2048163351-5524196612-Zx8QpL0mW3nT",
    "ghp_a1B2a1B2a1B2a1B2a1B2a1B2a1B2a1B2a1B2",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.SflKxwRJSMeKKF2QT4fwpM",
    "sk_live_51HxQbCdEfGhIjKlMn",
    "s3ss10nC00k1eV4lu3xyz",
    "tt_live_guess0000000000000000000",
];

fn log() -> String {
    let line = |t: &str, ip: &str, req: &str, status: u16, auth: &str, sid: &str, rid: &str| {
        format!(
            r#"{ip} - - [{t} +0100] "{req} HTTP/1.1" {status} 10 "https://app.example.com/cb?access_token=tt_live_4f9KQ2mXb7Lr0pZs8VwE1nYc" "curl/8.4.0" auth="{auth}" sid={sid} rid={rid}"#
        )
    };
    [
        line("04/Mar/2026:01:00:00", "81.2.69.166", "GET /api/v1/me?access_token=tt_live_4f9KQ2mXb7Lr0pZs8VwE1nYc", 200, "-", "-", "r1"),
        line("04/Mar/2026:01:00:01", "81.2.69.166", "POST /hooks/xoxb-2048163351-5524196612-Zx8QpL0mW3nT/notify", 200, "-", "-", "r2"),
        line("04/Mar/2026:01:00:02", "81.2.69.166", "GET /repos?t=ghp_a1B2a1B2a1B2a1B2a1B2a1B2a1B2a1B2a1B2", 200, "-", "-", "r3"),
        line("04/Mar/2026:01:00:03", "81.2.69.166", "GET /api/v1/users", 200, "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.SflKxwRJSMeKKF2QT4fwpM", "-", "r4"),
        line("04/Mar/2026:01:00:04", "81.2.69.166", "GET /v1/charges?key=sk_live_51HxQbCdEfGhIjKlMn", 402, "-", "-", "r5"),
        line("04/Mar/2026:01:00:05", "89.160.20.130", "GET /dashboard", 200, "-", "s3ss10nC00k1eV4lu3xyz", "r6"),
        line("04/Mar/2026:01:00:06", "38.0.0.9", "GET /api/v1/me?access_token=tt_live_guess0000000000000000000", 401, "-", "-", "r7"),
        // Malformed on purpose: the diagnostic excerpt must not print the token either.
        "81.2.69.166 - - [04/Mar/2026:01:00:07 +0100] \"GET /x?access_token=tt_live_4f9KQ2mXb7Lr0pZs8VwE1nYc".to_string(),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn no_clear_token_in_any_output() {
    let dir = TestDir::new();
    let path = dir.write("access.log", log().as_bytes());
    let p = path.to_str().unwrap();
    let mut outputs: Vec<String> = Vec::new();
    let fmt = ["--nginx-log-format", FORMAT];
    let mut run = |args: Vec<&str>| {
        let mut all = args.clone();
        all.extend_from_slice(&fmt);
        let r = tokentrail(&all);
        assert!(r.code == 0 || r.code == 1, "{all:?}: {}", r.stderr);
        outputs.push(r.stdout.clone());
        outputs.push(r.stderr.clone());
        r
    };
    let secrets = run(vec!["secrets", p, "--format", "json"]).json();
    let kinds: Vec<&str> = secrets["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        secrets["secrets"].as_array().unwrap().len(),
        7,
        "{secrets:#}"
    );
    for kind in ["url_token", "shaped_token", "bearer_token", "cookie"] {
        assert!(kinds.contains(&kind), "{kind} not in {kinds:?}");
    }
    let guess = secrets["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["refused"] == 1 && s["first"]["src_ip"] == "38.0.0.9")
        .expect("the guessed token, refused");
    assert_eq!(guess["first"]["event_id"], "r7");
    let table = run(vec!["secrets", p]).stdout;
    let header = table
        .lines()
        .find(|l| l.starts_with('│') && l.contains("secret"))
        .unwrap_or_default()
        .to_string();
    for column in [
        "kind",
        "events",
        "by prefix",
        "refused",
        "addresses",
        "first seen",
        "last seen",
    ] {
        assert!(
            header.contains(column),
            "{column} not in the header: {table}"
        );
    }
    run(vec!["stats", p, "--format", "json"]);
    run(vec!["score", p, "--format", "json", "--min-score", "0"]);
    for format in ["table", "json", "md", "html", "csv", "jsonl"] {
        run(vec!["hunt", p, "--format", format]);
    }
    let mut files = Vec::new();
    for ext in ["parquet", "csv", "ndjson"] {
        let out = dir.path().join(format!("events.{ext}"));
        run(vec!["ingest", p, "-o", out.to_str().unwrap()]);
        files.push(out);
    }
    for f in files {
        outputs.push(String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned());
    }
    for text in &outputs {
        for token in TOKENS {
            assert!(!text.contains(token), "{token} in clear in:\n{text}");
        }
    }
}

/// `--secret-param`: an API's own token parameter is fingerprinted and redacted too.
#[test]
fn a_secret_parameter_of_your_own() {
    let dir = TestDir::new();
    let log = dir.write(
        "access.log",
        b"81.2.69.166 - - [04/Mar/2026:01:00:00 +0100] \"GET /v1/items?sid=Zx8QpL0mW3nTq7Rv HTTP/1.1\" 200 1 \"-\" \"curl/8\"\n",
    );
    let out = dir.path().join("events.ndjson");
    let run = tokentrail(&[
        "ingest",
        log.to_str().unwrap(),
        "-q",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("Zx8QpL0mW3nTq7Rv"),
        "not a known parameter"
    );
    let run = tokentrail(&[
        "ingest",
        log.to_str().unwrap(),
        "-q",
        "-o",
        out.to_str().unwrap(),
        "--secret-param",
        "sid",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!text.contains("Zx8QpL0mW3nTq7Rv"), "{text}");
    assert!(
        text.contains("sid=REDACTED") && text.contains("\"credential_kind\":\"url_token\""),
        "{text}"
    );
}

/// A gateway that takes keys in a header, a session in the Cookie header and refresh
/// tokens in form bodies: each is a credential, none is ever written in clear.
#[test]
fn keys_in_headers_cookies_and_form_bodies_are_credentials_never_text() {
    const FORMAT: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent key="$http_x_api_key" c="$http_cookie" body="$request_body" rid=$request_id"#;
    const KEY: &str = "k_9f8e7d6c5b4a39281706f5e4d3c2b1a0";
    const SESSION: &str = "s3ss10nC00k1eV4lu3xyz";
    const REFRESH: &str = "rt_77aa66bb55cc44dd33ee22ff11";
    const CLIENT_SECRET: &str = "cs_0a1b2c3d4e5f6a7b8c9d";
    let line = |n: u32, req: &str, key: &str, cookie: &str, body: &str| {
        format!(
            r#"81.2.69.166 - - [04/Mar/2026:01:00:{n:02} +0100] "{req} HTTP/1.1" 200 10 key="{key}" c="{cookie}" body="{body}" rid=r{n}"#
        )
    };
    let log = [
        line(1, "GET /v1/items", KEY, "-", "-"),
        line(2, "GET /v1/items/7", KEY, "theme=dark", "-"),
        line(3, "GET /account", "-", &format!("theme=dark; sessionid={SESSION}"), "-"),
        line(
            4,
            "POST /oauth/token",
            "-",
            "-",
            &format!("grant_type=refresh_token&refresh_token={REFRESH}&client_id=app&client_secret={CLIENT_SECRET}"),
        ),
        // Malformed on purpose (cut): its excerpt must not show the body's secrets.
        format!(r#"81.2.69.166 - - [04/Mar/2026:01:00:05 +0100] "POST /oauth/token HTTP/1.1" 200 10 key="-" c="-" body="refresh_token={REFRESH}&client_secret={CLIENT_SECRET}"#),
    ]
    .join("\n")
        + "\n";
    let dir = TestDir::new();
    let path = dir.write("gateway.log", log.as_bytes());
    let p = path.to_str().unwrap();
    let mut outputs: Vec<String> = Vec::new();
    let mut run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--nginx-log-format", FORMAT]);
        let r = tokentrail(&all);
        assert!(r.code == 0 || r.code == 1, "{all:?}: {}", r.stderr);
        outputs.push(r.stdout.clone());
        outputs.push(r.stderr.clone());
        r
    };
    let secrets = run(&["secrets", p, "--format", "json"]).json();
    let found: Vec<(&str, u64)> = secrets["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["kind"].as_str().unwrap(), s["events"].as_u64().unwrap()))
        .collect();
    for expected in [("header_token", 2), ("cookie", 1), ("form_token", 1)] {
        assert!(found.contains(&expected), "{expected:?} not in {found:?}");
    }
    assert_eq!(found.len(), 3, "{secrets:#}");
    let stats = run(&["stats", p, "--format", "json"]).stdout;
    assert!(stats.contains("\"malformed\""), "{stats}");
    run(&["hunt", p, "--format", "json"]);
    run(&["hunt", p, "--format", "md"]);
    let mut files = Vec::new();
    for ext in ["ndjson", "parquet", "csv"] {
        let out = dir.path().join(format!("events.{ext}"));
        run(&["ingest", p, "-o", out.to_str().unwrap()]);
        files.push(String::from_utf8_lossy(&std::fs::read(&out).unwrap()).into_owned());
    }
    let events = &files[0];
    assert!(
        events.contains(
            "\"x_request_body\":\"grant_type=refresh_token&refresh_token=REDACTED&client_id=app&client_secret=REDACTED\""
        ),
        "{events}"
    );
    for text in outputs.iter().chain(&files) {
        for secret in [KEY, SESSION, REFRESH, CLIENT_SECRET] {
            assert!(!text.contains(secret), "{secret} in clear in:\n{text}");
        }
    }
}
