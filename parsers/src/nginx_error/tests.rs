use super::*;

const REAL: &str = include_str!("../../../tests/fixtures/nginx-error/error.log");

#[test]
fn every_real_beats_line_parses_and_continuations_carry_no_event() {
    let mut events = Vec::new();
    let mut lines_seen = 0;
    for line in REAL.lines() {
        lines_seen += 1;
        NginxErrorParser
            .parse(line.as_bytes(), &mut events)
            .unwrap_or_else(|e| panic!("{e}: {line}"));
    }
    assert_eq!(lines_seen, 6);
    assert_eq!(events.len(), 4, "four dated lines, two continuations");
    let first = &events[0];
    assert_eq!(first.src_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(first.action.as_deref(), Some("GET /favicon.ico"));
    assert_eq!(first.host.as_deref(), Some("localhost:8080"));
    assert_eq!(first.referer.as_deref(), Some("http://localhost:8080/"));
    assert_eq!(
        first.field("error_code").as_deref(),
        Some(
            "open() \"/usr/local/Cellar/nginx/1.10.2_1/html/favicon.ico\" failed (2: No such file or directory)"
        )
    );
    assert_eq!(first.field("event_type").as_deref(), Some("error"));
    assert_eq!(first.session_id.as_deref(), Some("54053#0 *1"));
    assert_eq!(NginxErrorParser.sniff(REAL.as_bytes()), Confidence(95));
}

#[test]
fn access_logs_are_not_error_logs() {
    let access =
        br#"81.2.69.166 - - [04/Mar/2026:01:07:12 +0100] "GET / HTTP/1.1" 200 1 "-" "curl/8""#;
    assert_eq!(NginxErrorParser.sniff(access), Confidence::NONE);
    let mut out = Vec::new();
    let e = NginxErrorParser
        .parse(b"2026/03/04 01:07:12 [loud] 1#1: nope", &mut out)
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::MissingField("level"));
}

#[test]
fn fields_borrow_a_utf8_line_and_copy_a_damaged_one() {
    let line = "2026/03/04 01:07:12 [warn] 8123#8123: *4821 upstream is slow, client: 81.2.69.166, server: api.example.com, host: \"api.example.com\", referrer: \"https://example.com/a\"";
    let mut out = Vec::new();
    NginxErrorParser.parse(line.as_bytes(), &mut out).unwrap();
    let ev = &out[0];
    assert!(matches!(ev.src_ip, Some(Cow::Borrowed("81.2.69.166"))));
    assert!(matches!(ev.host, Some(Cow::Borrowed("api.example.com"))));
    assert!(matches!(
        ev.referer,
        Some(Cow::Borrowed("https://example.com/a"))
    ));
    assert_eq!(ev.action.as_deref(), Some("error_log.warn"));
    assert_eq!(ev.session_id.as_deref(), Some("8123#8123 *4821"));
    assert_eq!(ev.field("error_code").as_deref(), Some("upstream is slow"));

    // One invalid byte in the message: the same fields, read lossily.
    let mut damaged = line.as_bytes().to_vec();
    let at = line.find("slow").unwrap();
    damaged[at] = 0xff;
    let mut out = Vec::new();
    NginxErrorParser.parse(&damaged, &mut out).unwrap();
    let ev = &out[0];
    assert!(matches!(ev.src_ip, Some(Cow::Owned(ref ip)) if ip == "81.2.69.166"));
    assert_eq!(ev.host.as_deref(), Some("api.example.com"));
    assert_eq!(
        ev.field("error_code").as_deref(),
        Some("upstream is \u{fffd}low")
    );
}

#[test]
fn a_long_message_is_cut_at_300_characters_and_its_token_redacted() {
    let long = "é".repeat(400);
    let line = format!(
        "2026/03/04 01:07:12 [error] 1#1: *2 {long}, client: 10.0.0.1, server: s, request: \"GET /?access_token=tt_live_4f9KQ2mXb7Lr0pZs8VwE1nYc HTTP/1.1\""
    );
    let mut out = Vec::new();
    NginxErrorParser.parse(line.as_bytes(), &mut out).unwrap();
    let code = out[0].field("error_code").unwrap();
    assert_eq!(code.chars().count(), 300);
    assert!(code.chars().all(|c| c == 'é'));
    assert_eq!(out[0].action.as_deref(), Some("GET /"));

    let secret = "2026/03/04 01:07:12 [error] 1#1: bad key access_token=tt_live_4f9KQ2mXb7Lr0pZs8VwE1nYc, client: 10.0.0.1";
    let mut out = Vec::new();
    NginxErrorParser.parse(secret.as_bytes(), &mut out).unwrap();
    let code = out[0].field("error_code").unwrap();
    assert!(!code.contains("tt_live_4f9KQ2mXb7Lr0pZs8VwE1nYc"), "{code}");
    assert!(code.starts_with("bad key access_token="), "{code}");
}
