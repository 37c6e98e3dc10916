use super::*;

/// The format a typical API gateway logs: combined plus timings, ids and the chain.
/// nginx's `combined`, as a user would write it.
macro_rules! combined_text {
    () => {
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#
    };
}
const COMBINED: &str = combined_text!();

const GATEWAY: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" rt=$request_time urt="$upstream_response_time" rid=$request_id xff="$http_x_forwarded_for""#;

fn one(format: &LogFormat, record: &str) -> Event<'static> {
    crate::parser::parse_one(format, record).into_owned()
}

/// The kind of the event's credential when it is a secret (`None` for none, or a public id).
fn secret_kind(ev: &Event<'_>) -> Option<CredentialKind> {
    match &ev.credential {
        Some(c @ Credential::Secret { .. }) => Some(c.kind()),
        _ => None,
    }
}

#[test]
fn a_gateway_format_with_timings_ids_and_a_chain() {
    let f = LogFormat::compile("gateway", GATEWAY, Escape::Default).unwrap();
    assert_eq!(f.variables().count(), 12);
    let ev = one(
        &f,
        r#"81.2.69.166 - - [04/Mar/2026:01:07:12 +0100] "GET /api/v1/me?access_token=tt_live_4f9KQ2mXb7Lr0pZs8VwE1nYc HTTP/1.1" 200 412 "-" "python-requests/2.31.0" rt=0.004 urt="0.003" rid=5f2b9c0d1e xff="203.0.113.9, 10.0.0.2""#,
    );
    assert_eq!(ev.ts, 1_772_582_832_000_000_000);
    assert_eq!(ev.src_ip.as_deref(), Some("81.2.69.166"));
    assert_eq!(ev.action.as_deref(), Some("GET /api/v1/me"));
    assert_eq!(
        ev.target.as_deref(),
        Some("/api/v1/me?access_token=REDACTED")
    );
    assert_eq!(ev.status, Some(200));
    assert_eq!(ev.bytes, Some(412));
    assert_eq!(ev.user_agent.as_deref(), Some("python-requests/2.31.0"));
    assert_eq!(ev.forwarded_for.as_deref(), Some("203.0.113.9, 10.0.0.2"));
    assert_eq!(ev.event_id.as_deref(), Some("5f2b9c0d1e"));
    assert_eq!(secret_kind(&ev), Some(CredentialKind::UrlToken));
    // A quote inside a value is written \x22 by nginx: it does not end the field.
    let ev = one(
        &f,
        r#"10.0.0.1 - - [04/Mar/2026:01:07:12 +0100] "GET /a HTTP/1.1" 200 1 "-" "x\x22y" rt=0.001 urt="-" rid=1 xff="-""#,
    );
    assert_eq!(ev.user_agent.as_deref(), Some("x\"y"));
    assert_eq!(ev.forwarded_for, None);
}

#[test]
fn tokens_in_their_own_fields() {
    let f = LogFormat::compile(
        "tokens",
        r#"$time_iso8601 $remote_addr "$request_method $uri" $status key=$arg_api_key sid=$cookie_session auth="$http_authorization""#,
        Escape::Default,
    )
    .unwrap();
    let ev = one(
        &f,
        r#"2026-03-04T01:07:12+01:00 81.2.69.166 "GET /v1/items" 200 key=sk_live_51HxQ sid=- auth="-""#,
    );
    assert_eq!(ev.action.as_deref(), Some("GET /v1/items"));
    assert_eq!(secret_kind(&ev), Some(CredentialKind::UrlToken));
    let ev = one(
        &f,
        r#"2026-03-04T01:07:12+01:00 81.2.69.166 "GET /v1/items" 200 key=- sid=s3ss10n auth="-""#,
    );
    assert_eq!(secret_kind(&ev), Some(CredentialKind::Cookie));
    let ev = one(
        &f,
        r#"2026-03-04T01:07:12+01:00 81.2.69.166 "GET /v1/items" 200 key=- sid=- auth="Bearer eyJhbGciOi.x.y""#,
    );
    assert_eq!(secret_kind(&ev), Some(CredentialKind::BearerToken));
}

/// Whether the event's credential is the secret `expected` (compared, never shown).
fn holds_secret(ev: &Event<'_>, expected: &[u8]) -> bool {
    matches!(&ev.credential, Some(Credential::Secret { value, .. }) if *value == Secret::new(expected))
}

#[test]
fn keys_in_headers_cookie_headers_and_form_bodies() {
    let f = LogFormat::compile(
        "keys",
        r#"$remote_addr [$time_local] "$request" $status key="$http_x_api_key" c="$http_cookie" body="$request_body""#,
        Escape::Default,
    )
    .unwrap();
    // `$http_x_api_key` is a credential, never a column.
    assert!(
        f.extra_columns().iter().all(|c| c != "http_x_api_key"),
        "{:?}",
        f.extra_columns()
    );
    assert!(f.extra_columns().iter().any(|c| c == "request_body"));
    let line = |key: &str, cookie: &str, body: &str| {
        format!(
            r#"81.2.69.166 [04/Mar/2026:01:07:12 +0100] "POST /oauth/token HTTP/1.1" 200 key="{key}" c="{cookie}" body="{body}""#
        )
    };
    let ev = one(
        &f,
        &line("k_9f8e7d6c5b4a3928", "sessionid=s3ss10n; theme=dark", "-"),
    );
    assert_eq!(secret_kind(&ev), Some(CredentialKind::HeaderToken));
    assert!(holds_secret(&ev, b"k_9f8e7d6c5b4a3928"));
    // No key header: the session cookie of the Cookie header.
    let ev = one(&f, &line("-", "theme=dark; sessionid=s3ss10n", "-"));
    assert_eq!(secret_kind(&ev), Some(CredentialKind::Cookie));
    assert!(holds_secret(&ev, b"s3ss10n"));
    // Neither: the refresh token of the form body, which is stored redacted.
    let ev = one(
        &f,
        &line(
            "-",
            "theme=dark",
            "grant_type=refresh_token&refresh_token=rt_9f8e7d6c5b4a&client_id=app",
        ),
    );
    assert_eq!(secret_kind(&ev), Some(CredentialKind::FormToken));
    assert!(holds_secret(&ev, b"rt_9f8e7d6c5b4a"));
    let body = ev.extra.iter().map(|(_, v)| v.as_ref()).collect::<Vec<_>>();
    assert_eq!(
        body,
        ["grant_type=refresh_token&refresh_token=REDACTED&client_id=app"]
    );
    // A token in the URL comes first.
    let ev = one(
        &f,
        &line("-", "-", "refresh_token=rt_9f8e7d6c5b4a")
            .replace("/oauth/token", "/v1?access_token=tt_live_4f9KQ2"),
    );
    assert_eq!(secret_kind(&ev), Some(CredentialKind::UrlToken));
    // Nothing secret anywhere: no credential.
    let ev = one(&f, &line("-", "theme=dark", "page=2"));
    assert_eq!(ev.credential, None);
}

#[test]
fn escape_json_values() {
    let f = LogFormat::compile(
        "j",
        r#"{"t":"$msec","ip":"$remote_addr","r":"$request","s":$status,"ua":"$http_user_agent"}"#,
        Escape::Json,
    )
    .unwrap();
    let ev = one(
        &f,
        r#"{"t":"1772582832.250","ip":"10.0.0.1","r":"GET /q?x=\"y\" HTTP/1.1","s":404,"ua":"a\u00e9b"}"#,
    );
    assert_eq!(ev.ts, 1_772_582_832_250_000_000);
    assert_eq!(ev.target.as_deref(), Some("/q?x=\"y\""));
    assert_eq!(ev.user_agent.as_deref(), Some("aéb"));
    assert_eq!(ev.status, Some(404));
}

#[test]
fn lines_of_another_format_are_rejected_with_a_position() {
    let f = LogFormat::compile("gateway", GATEWAY, Escape::Default).unwrap();
    let combined =
        br#"81.2.69.166 - - [04/Mar/2026:01:07:12 +0100] "GET / HTTP/1.1" 200 412 "-" "curl/8""#;
    let mut out = Vec::new();
    let err = f.parse_own(combined, &mut out).unwrap_err();
    assert!(err.offset > 60, "{err:?}");
    assert_eq!(f.sniff(combined), Confidence::NONE);
    // A line the format cannot cut falls back to the built-in formats.
    f.parse(combined, &mut out).unwrap();
    assert_eq!(
        out.pop().unwrap().field("user_agent").as_deref(),
        Some("curl/8")
    );
    assert!(f.parse(b"not a log line", &mut out).is_err());
}

#[test]
fn compile_errors_say_what_is_missing() {
    let e = LogFormat::compile(
        "x",
        "$remote_addr$remote_user [$time_local] \"$request\"",
        Escape::Default,
    )
    .unwrap_err();
    assert!(e.contains("nothing between"), "{e}");
    let e = LogFormat::compile("x", "$remote_addr \"$request\"", Escape::Default).unwrap_err();
    assert!(e.contains("no time variable"), "{e}");
    let e = LogFormat::compile("x", "$remote_addr [$time_local]", Escape::Default).unwrap_err();
    assert!(e.contains("no request variable"), "{e}");
    // `${var}` and a lone `$` are fine.
    let f = LogFormat::compile(
        "x",
        "${remote_addr}$ [$time_local] \"$request\" $status",
        Escape::Default,
    )
    .unwrap();
    assert_eq!(f.variables().next(), Some("remote_addr"));
}

#[test]
fn formats_read_from_nginx_conf_with_includes() {
    let files = |p: &std::path::Path| -> Result<String, String> {
        match p.to_str().unwrap() {
            "/etc/nginx/nginx.conf" => Ok(r#"
                # the main file
                http {
                    include conf.d/logging.conf;
                    log_format combined_plus '$remote_addr - $remote_user [$time_local] '
                                             '"$request" $status $body_bytes_sent '
                                             '"$http_referer" "$http_user_agent" $request_time';
                    access_log /var/log/nginx/access.log combined_plus;
                }
            "#
            .into()),
            "/etc/nginx/conf.d/logging.conf" => {
                Ok(r#"log_format api escape=json '{"time":"$time_iso8601",'
                '"ip":"$remote_addr","request":"$request","status":$status}';"#
                    .into())
            }
            other => Err(format!("{other}: no such file")),
        }
    };
    let formats = formats_from_conf(std::path::Path::new("/etc/nginx/nginx.conf"), &files).unwrap();
    let names: Vec<&str> = formats.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["api", "combined_plus"]);
    assert_eq!(formats[0].escape, Escape::Json);
    let ev = one(
        &formats[1],
        r#"81.2.69.166 - alice [04/Mar/2026:01:07:12 +0100] "GET /x HTTP/1.1" 200 5 "-" "curl/8" 0.010"#,
    );
    assert_eq!(ev.principal.as_deref(), Some("alice"));
    let missing = formats_from_conf(std::path::Path::new("/nope.conf"), &files).unwrap_err();
    assert!(missing.contains("no such file"));
}

/// A file that includes itself, or a ring of files, is an error that names it, found at
/// once: each include is read again, so without the check ten includes per file would
/// mean ten to the sixteenth reads before the depth limit.
#[test]
fn include_loops_are_refused_at_once() {
    let reads = std::cell::Cell::new(0);
    let looping = |p: &std::path::Path| -> Result<String, String> {
        reads.set(reads.get() + 1);
        Ok(match p.to_str().unwrap() {
            "/etc/nginx/a.conf" => "include b.conf; include b.conf; include b.conf;".into(),
            _ => "include a.conf; include b.conf;".into(),
        })
    };
    let err = formats_from_conf(std::path::Path::new("/etc/nginx/a.conf"), &looping).unwrap_err();
    assert!(err.contains("a.conf: includes itself"), "{err}");
    assert!(reads.get() <= 2, "{} reads", reads.get());
}

/// The eight-bytes-at-a-time search finds what `memchr` finds, wherever the byte is (in
/// the words it reads, past them, not at all) and whatever surrounds it (bytes with the
/// high bit set, the byte just above or below the one searched for).
#[test]
fn the_word_search_finds_the_first_byte_as_memchr_does() {
    let fill = [b'!', b'#', 0x80, 0xff, b'"' + 1, b'"' - 1, 0x00, 0xa2];
    for len in 0..80 {
        for at in 0..=len {
            let mut hay: Vec<u8> = (0..len).map(|i| fill[i % fill.len()]).collect();
            if at < len {
                hay[at] = b'"';
                // A second one after the first must not be reported.
                if at + 3 < len {
                    hay[at + 3] = b'"';
                }
            }
            assert_eq!(
                find_byte(&hay, b'"'),
                memchr::memchr(b'"', &hay),
                "len {len}, at {at}"
            );
        }
    }
}

/// `log_format combined` compiled at run time reads a combined line exactly as the
/// hand-written parser does: every field of the event, on real lines (beats' test files,
/// the Apache log of elastic/examples), the samples' gateway log full of tokens, and the
/// odd lines (escapes, `-` values, a request that is not HTTP, a token shape in the path).
#[test]
fn compiled_combined_reads_a_line_as_the_hand_written_parser() {
    let f = LogFormat::compile(
        "combined",
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#,
        Escape::Default,
    )
    .unwrap();
    let mut compared = 0;
    for (n, line) in real_combined_lines().iter().enumerate() {
        let (mut compiled, mut hand) = (Vec::new(), Vec::new());
        if f.parse_own(line.as_bytes(), &mut compiled).is_err() {
            // Not a combined line (a forwarded-for prefix, a host): read by the fallback.
            continue;
        }
        crate::nginx::NginxParser
            .parse(line.as_bytes(), &mut hand)
            .unwrap_or_else(|e| panic!("line {}: {e}: {line}", n + 1));
        assert_eq!(compiled, hand, "line {}: {line}", n + 1);
        compared += 1;
    }
    assert!(compared > 12_900, "only {compared} combined lines compared");
    // A forwarded-for list before the address is not an address with spaces: the line
    // goes to the built-in formats, which read the client from the list.
    let ev = one(
        &f,
        r#"10.0.0.2, 10.0.0.1, 85.181.35.98 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571 "-" "Mozilla/5.0""#,
    );
    assert_eq!(ev.src_ip.as_deref(), Some("85.181.35.98"));
    assert_eq!(
        ev.forwarded_for.as_deref(),
        Some("10.0.0.2, 10.0.0.1, 85.181.35.98")
    );
}

/// Real combined lines (beats' test files, the samples' gateway log full of tokens, the
/// 10,000 lines of elastic/examples' Apache log, gunzipped by the system tool: this crate
/// has no gzip dependency, as in the benches), and odd ones: escapes, `-` values, a
/// request that is not HTTP, token shapes in the path, IPv6.
fn real_combined_lines() -> Vec<String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut text = String::new();
    for file in [
        "tests/fixtures/nginx/access.log",
        "tests/fixtures/nginx/access-test.log",
        "samples/logs/nginx/access.log",
        "samples/logs/nginx/access.log.1",
    ] {
        text.push_str(&std::fs::read_to_string(format!("{root}/{file}")).unwrap());
    }
    let apache = std::process::Command::new("gzip")
        .arg("-dc")
        .arg(format!("{root}/tests/fixtures/nginx/apache_logs.gz"))
        .output()
        .unwrap();
    assert!(apache.status.success());
    text.push_str(&String::from_utf8_lossy(&apache.stdout));
    text.push_str(concat!(
        "10.0.0.1 - alice [04/Mar/2026:01:07:12 +0100] \"GET /a?b=c HTTP/1.1\" 200 1 \"https://x.example/?token=abcdefabcdefabcdef\" \"x\\x22y\"\n",
        "10.0.0.1 - - [04/Mar/2026:01:07:12 -0700] \"-\" 400 0 \"-\" \"-\"\n",
        "10.0.0.1 - - [04/Mar/2026:01:07:12 +0000] \"\\x16\\x03\\x01\" 400 157 \"-\" \"-\"\n",
        "10.0.0.1 - - [04/Mar/2026:01:07:12 +0000] \"GET /hooks/xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx HTTP/1.1\" 200 - \"-\" \"curl/8\"\n",
        "10.0.0.1 - - [04/Mar/2026:01:07:12 +0000] \"POST /v1/keys/AKIAIOSFODNN7EXAMPLE HTTP/2.0\" 201 12 \"-\" \"aws-cli\"\n",
        "2001:db8::1 - - [04/Mar/2026:01:07:12 +0000] \"GET /v1 HTTP/1.0\" 304 0 \"-\" \"Mozilla/5.0 (X11; Linux)\"\n",
    ));
    text.lines().map(str::to_string).collect()
}

/// A format that begins with `combined` reads its first eight variables with the head
/// built for them, and every line, real or damaged, gives the event (or the error) the
/// general cut gives: the real lines with gateway fields appended, then one in seven
/// damaged at a dozen places (a `"`, a space, a backslash, a comma, a `-` or a digit inserted, a
/// byte removed, a long number).
#[test]
fn the_combined_head_reads_lines_as_the_general_cut() {
    let formats = [
        (COMBINED, ""),
        (
            concat!(
                combined_text!(),
                r#" rt=$request_time tid=$http_x_token_id rid=$request_id"#
            ),
            " rt=0.004 tid=tt_live_4f9KQ2 rid=5f2b9c0d1e",
        ),
        (
            concat!(combined_text!(), r#" "$http_x_forwarded_for""#),
            r#" "203.0.113.9, 10.0.0.2""#,
        ),
        (
            concat!(
                combined_text!(),
                r#" "$http_authorization" $host $http_x_api_key"#
            ),
            r#" "Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl" api.example.com ak_9f8e7d6c5b4a"#,
        ),
    ];
    let lines = real_combined_lines();
    let mut headed = 0;
    for (format, tail) in formats {
        let mut f = LogFormat::compile("f", format, Escape::Default).unwrap();
        f.set_prefix_fields(vec!["http_x_token_id".to_string()]);
        assert!(f.has_combined_head(), "{format}");
        for (n, line) in lines.iter().enumerate() {
            let line = format!("{line}{tail}");
            if f.reads_with_head(line.as_bytes()) {
                headed += 1;
            }
            assert!(f.combined_head_agrees(line.as_bytes()), "{format}\n{line}");
            // Damaged forms of one line in seven keep the test's time in seconds.
            if n % 7 != 0 {
                continue;
            }
            let b = line.as_bytes();
            for k in 1..=12 {
                let at = b.len() * k / 13;
                for insert in [
                    &b"\""[..],
                    b" ",
                    b"\\",
                    b",",
                    b"-",
                    b"7",
                    b"123456789012345678",
                ] {
                    let mut damaged = b[..at].to_vec();
                    damaged.extend_from_slice(insert);
                    damaged.extend_from_slice(&b[at..]);
                    assert!(
                        f.combined_head_agrees(&damaged),
                        "{format}\n{}",
                        String::from_utf8_lossy(&damaged)
                    );
                }
                let mut cut = b.to_vec();
                cut.remove(at);
                assert!(
                    f.combined_head_agrees(&cut),
                    "{}",
                    String::from_utf8_lossy(&cut)
                );
            }
        }
    }
    // Nearly every real line is read by the head, in every format.
    assert!(headed > 4 * 12_900, "only {headed} lines read by the head");
    // A format that sets a head column again, or does not begin with combined, is read
    // by the general cut alone.
    for format in [
        concat!(combined_text!(), " $status"),
        concat!(combined_text!(), " $remote_addr"),
        concat!("$host ", combined_text!()),
        r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent"#,
    ] {
        let f = LogFormat::compile("f", format, Escape::Default).unwrap();
        assert!(!f.has_combined_head(), "{format}");
    }
}
