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
