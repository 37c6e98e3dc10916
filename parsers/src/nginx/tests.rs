use super::*;

fn one(line: &str) -> Event<'_> {
    crate::parser::parse_one(&NginxParser, line)
}

fn err(line: &str) -> ParseError {
    let mut out = Vec::new();
    NginxParser.parse(line.as_bytes(), &mut out).unwrap_err()
}

/// Every line of the real elastic/beats nginx test files (Apache-2.0), copied into
/// tests/fixtures/nginx with their licence note.
#[test]
fn every_real_beats_line_parses() {
    for file in ["access.log", "access-test.log", "access-test-with-host.log"] {
        let path = format!(
            "{}/../tests/fixtures/nginx/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            let mut out = Vec::new();
            if let Err(e) = NginxParser.parse(line.as_bytes(), &mut out) {
                panic!("{file}:{}: {e}: {line}", i + 1);
            }
        }
    }
}

#[test]
fn ipv6_client_and_host_prefix() {
    let ev = one(
        r#"2a03:0000:10ff:f00f:0000:0000:0:8000, 10.225.192.17 10.2.2.121 - - [30/Dec/2016:06:47:09 +0000] "GET /test.html HTTP/1.1" 404 8571 "-" "Mozilla/5.0 (compatible; Facebot 1.0)""#,
    );
    // `$http_x_forwarded_for $remote_addr` with an unquoted list: the first public entry.
    assert_eq!(ev.host, None);
    assert_eq!(
        ev.src_ip.as_deref(),
        Some("2a03:0000:10ff:f00f:0000:0000:0:8000")
    );
    assert_eq!(
        ev.forwarded_for.as_deref(),
        Some("2a03:0000:10ff:f00f:0000:0000:0:8000, 10.225.192.17, 10.2.2.121")
    );

    let ev = one(
        r#"example.com 10.0.0.2, 10.0.0.1, 81.2.69.143 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571 "-" "Mozilla/5.0""#,
    );
    assert_eq!(ev.host.as_deref(), Some("example.com"));
    assert_eq!(ev.src_ip.as_deref(), Some("81.2.69.143"));

    let ev = one(r#"::1 - - [07/Dec/2016:11:05:07 +0100] "GET / HTTP/2.0" 200 0 "-" "curl/8.0""#);
    assert_eq!(ev.src_ip.as_deref(), Some("::1"));
    assert_eq!(ev.http_version.as_deref(), Some("HTTP/2.0"));
}

#[test]
fn quoted_forwarded_list_before_the_address() {
    let ev = one(
        r#""10.5.102.222, 199.96.1.1, 204.246.1.1" 10.2.1.185 - - [22/Jan/2016:13:18:29 +0000] "GET /assets/xxxx?q=100 HTTP/1.1" 200 25507 "-" "Amazon CloudFront""#,
    );
    assert_eq!(
        ev.forwarded_for.as_deref(),
        Some("10.5.102.222, 199.96.1.1, 204.246.1.1, 10.2.1.185")
    );
    assert_eq!(ev.src_ip.as_deref(), Some("199.96.1.1"));
    assert_eq!(ev.target.as_deref(), Some("/assets/xxxx?q=100"));
    assert_eq!(ev.action.as_deref(), Some("GET /assets/xxxx"));
}

#[test]
fn empty_and_non_http_requests_are_kept() {
    let ev = one(r#"127.0.0.1 - - [12/Apr/2018:09:48:40 +0200] "" 400 0 "-" "-""#);
    assert_eq!(ev.request_raw.as_deref(), Some(""));
    assert_eq!(ev.action, None);
    assert_eq!(ev.user_agent, None);
    let ev = one(r#"unix: - - [12/Apr/2018:09:48:40 +0200] "hello" 400 0 "-" "-""#);
    assert_eq!(ev.request_raw.as_deref(), Some("hello"));
    assert_eq!(ev.src_ip.as_deref(), Some("unix:"));
}

#[test]
fn raw_quotes_inside_a_hostile_uri_stay_in_the_request() {
    let ev = one(
        r#"1.2.3.4 - - [25/Apr/2021:06:15:33 +0000] "GET /a?t=<script>alert("text")</script> HTTP/1.0" 404 1164"#,
    );
    assert_eq!(ev.status, Some(404));
    assert_eq!(
        ev.target.as_deref(),
        Some(r#"/a?t=<script>alert("text")</script>"#)
    );
}

#[test]
fn apache_escaped_quotes_and_hex_bytes() {
    let ev = one(
        r#"1.2.3.4 - - [25/Apr/2021:06:15:33 +0000] "GET / HTTP/1.1" 200 1 "http://\xe4\xe5/" "Agent \"quoted\"""#,
    );
    assert_eq!(ev.user_agent.as_deref(), Some(r#"Agent "quoted""#));
    assert_eq!(ev.referer.as_deref(), Some("http://\u{FFFD}\u{FFFD}/"));
}

#[test]
fn truncated_user_agent_is_kept_and_noted() {
    let ev = one(
        r#"1.2.3.4 - - [25/Apr/2021:06:15:33 +0000] "GET / HTTP/1.1" 200 1 "-" "Mozilla/5.0 (trunc"#,
    );
    assert_eq!(ev.user_agent.as_deref(), Some("Mozilla/5.0 (trunc"));
    assert_eq!(ev.notes, notes::TRUNCATED_FIELD);
}

#[test]
fn main_format_forwarded_for_and_extra_fields() {
    let ev = one(
        r#"10.1.0.5 - - [25/Apr/2021:06:15:33 +0000] "GET / HTTP/1.1" 200 1 "-" "ua" "203.0.113.50, 10.1.0.1""#,
    );
    assert_eq!(ev.forwarded_for.as_deref(), Some("203.0.113.50, 10.1.0.1"));
    assert_eq!(ev.src_ip.as_deref(), Some("10.1.0.5"));
    assert_eq!(ev.notes, 0);
    let ev = one(
        r#"10.1.0.5 - - [25/Apr/2021:06:15:33 +0000] "GET / HTTP/1.1" 200 1 "-" "ua" 512 0.004 [default-web-80] [] 10.2.0.3:80 13 0.004 200 5f2c"#,
    );
    assert_eq!(ev.notes, notes::EXTRA_FIELDS);
}

#[test]
#[allow(clippy::disallowed_methods)] // checks that the clear value is captured for hashing
fn secrets_in_query_and_referer_are_redacted() {
    let ev = one(
        r#"1.2.3.4 - - [25/Apr/2021:06:15:33 +0000] "GET /cb?state=x&code=SECRETCODE HTTP/1.1" 302 0 "https://idp/?id_token=SECRETJWT" "ua""#,
    );
    assert_eq!(ev.target.as_deref(), Some("/cb?state=x&code=REDACTED"));
    assert_eq!(
        ev.referer.as_deref(),
        Some("https://idp/?id_token=REDACTED")
    );
    match ev.credential {
        Some(Credential::Secret { kind, value }) => {
            assert_eq!(kind, CredentialKind::UrlToken);
            assert_eq!(value.expose(), b"SECRETCODE");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !format!(
            "{:?}",
            one(r#"1.2.3.4 - - [25/Apr/2021:06:15:33 +0000] "GET /?token=SECRETX HTTP/1.1" 200 0"#)
        )
        .contains("SECRETX")
    );
}

#[test]
fn malformed_lines_say_why_and_where() {
    let e = err("garbage without structure");
    assert_eq!(e.kind, ParseErrorKind::MissingField("time_local"));
    let e = err(r#"1.2.3.4 - - [25/Foo/2021:06:15:33 +0000] "GET / HTTP/1.1" 200 1"#);
    assert_eq!(e.kind, ParseErrorKind::BadTimestamp);
    assert_eq!(e.offset, 13);
    let e = err(r#"1.2.3.4 - - [25/Apr/2021:06:15:33 +0000] "GET / HTTP/1.1 200 1"#);
    assert_eq!(e.kind, ParseErrorKind::UnterminatedQuote);
    let e = err(r#"1.2.3.4 - - [25/Apr/2021:06:15:33 +0000] "GET / HTTP/1.1" 2x0 1"#);
    assert_eq!(e.kind, ParseErrorKind::BadField("status"));
    assert_eq!(e.offset, 58);
    let e = err(r#"1.2.3.4 - - [25/Apr/2021:06:15:33 +0000] "GET / HTTP/1.1" 200 abc"#);
    assert_eq!(e.kind, ParseErrorKind::BadField("body_bytes_sent"));
    let e = err(r#"1.2.3.4 - - [25/Apr/2021:06:15:33 +0000] "GET / HTTP/1.1" 200 1 junk"#);
    assert_eq!(e.kind, ParseErrorKind::MissingField("quoted field"));
}

#[test]
fn never_panics_on_prefixes_of_real_lines() {
    let line = r#"2a03:0000:10ff:f00f:0000:0000:0:8000, 10.225.192.17 10.2.2.121 - - [30/Dec/2016:06:47:09 +0000] "GET /t?token=a\x22b HTTP/1.1" 404 8571 "-" "Mozilla/5.0 \"x\"" "-""#;
    for end in 0..=line.len() {
        let mut out = Vec::new();
        let _ = NginxParser.parse(&line.as_bytes()[..end], &mut out);
    }
}

#[test]
fn token_shapes_in_the_path_are_the_credential_and_redacted() {
    let mut out = Vec::new();
    let line = r#"203.0.113.5 - - [04/Mar/2026:01:07:12 +0100] "POST /hooks/xoxb-1234567890-abcdefABCDEF/notify HTTP/1.1" 200 2 "-" "curl/8.4.0""#;
    NginxParser.parse(line.as_bytes(), &mut out).unwrap();
    let ev = out.pop().unwrap();
    assert_eq!(ev.action.as_deref(), Some("POST /hooks/REDACTED/notify"));
    assert_eq!(ev.target.as_deref(), Some("/hooks/REDACTED/notify"));
    assert!(matches!(
        ev.credential,
        Some(Credential::Secret {
            kind: CredentialKind::ShapedToken,
            ..
        })
    ));
    // A query token stays the credential; a shaped token in the path is still redacted.
    let line = r#"203.0.113.5 - - [04/Mar/2026:01:07:12 +0100] "GET /s3/AKIAQ3EGALICE0260302/x?access_token=tt_live_4f9KQ2mXb7Lr0pZs8VwE1nYc HTTP/1.1" 200 2 "-" "curl/8.4.0""#;
    NginxParser.parse(line.as_bytes(), &mut out).unwrap();
    let ev = out.pop().unwrap();
    assert!(matches!(
        ev.credential,
        Some(Credential::Secret {
            kind: CredentialKind::UrlToken,
            ..
        })
    ));
    assert_eq!(
        ev.target.as_deref(),
        Some("/s3/AKIAQ3EGALICE0260302/x?access_token=REDACTED")
    );
    // Alone, an AWS key id in a path is the (public) credential.
    let line = r#"203.0.113.5 - - [04/Mar/2026:01:07:12 +0100] "GET /s3/AKIAQ3EGALICE0260302/x HTTP/1.1" 200 2 "-" "curl/8.4.0""#;
    NginxParser.parse(line.as_bytes(), &mut out).unwrap();
    let ev = out.pop().unwrap();
    assert_eq!(
        ev.field("credential").as_deref(),
        Some("aws_long_term_key:AKIAQ3EGALICE0260302")
    );
}
