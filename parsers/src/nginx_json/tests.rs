use super::*;

fn one(record: &str) -> Event<'static> {
    crate::parser::parse_one(&NginxJsonParser, record).into_owned()
}

#[test]
fn time_local_msec_and_split_request_fields() {
    let ev = one(
        r#"{"time_local":"04/Mar/2026:01:07:12 +0100","client_ip":"2001:db8::9","method":"POST","uri":"/api/v1/tokens","args":"scope=admin","server_protocol":"HTTP/2.0","status":201,"bytes_sent":188,"user_agent":"curl/8.4.0"}"#,
    );
    assert_eq!(ev.ts, 1_772_582_832_000_000_000);
    assert_eq!(ev.action.as_deref(), Some("POST /api/v1/tokens"));
    assert_eq!(ev.target.as_deref(), Some("/api/v1/tokens?scope=admin"));
    assert_eq!(ev.http_version.as_deref(), Some("HTTP/2.0"));
    assert_eq!(ev.src_ip.as_deref(), Some("2001:db8::9"));
    assert_eq!(ev.bytes, Some(188));
    let ev = one(
        r#"{"msec":"1772582832.250","remote_addr":"10.0.0.1","request":"GET / HTTP/1.1","status":"404"}"#,
    );
    assert_eq!(ev.ts, 1_772_582_832_250_000_000);
    assert_eq!(ev.outcome, Outcome::Failure);
}

#[test]
fn lines_written_without_escape_json_are_repaired_and_noted() {
    let ev = one(
        r#"{"time":"2026-03-04T01:07:12+01:00","remote_addr":"198.51.100.7","request":"\x16\x03\x01\x00","status":400,"body_bytes_sent":157,"upstream_response_time":-,"http_user_agent":"-"}"#,
    );
    assert_eq!(
        ev.field("parse_notes").as_deref(),
        Some("non_http_request,repaired_json")
    );
    assert_eq!(ev.request_raw.as_deref(), Some("\u{16}\u{3}\u{1}\u{0}"));
    assert_eq!(ev.user_agent, None);
}

#[test]
fn a_logged_authorization_header_is_a_secret_credential() {
    let ev = one(
        r#"{"time":"2026-03-04T01:07:12Z","remote_addr":"203.0.113.5","request":"GET /v1/me HTTP/1.1","status":200,"http_authorization":"Bearer eyJhbGciOiJIUzI1NiJ9.e30.SECRETSIG"}"#,
    );
    assert_eq!(
        ev.field("credential").as_deref(),
        Some("<secret bearer_token>")
    );
    assert!(!format!("{ev:?}").contains("SECRETSIG"));
}

#[test]
fn other_json_logs_are_not_access_logs() {
    let okta = br#"{"uuid":"a","published":"2024-01-02T03:04:05Z","eventType":"user.session.start","client":{"ipAddress":"1.2.3.4"}}"#;
    assert_eq!(NginxJsonParser.sniff(okta), Confidence::NONE);
    let mut out = Vec::new();
    let e = NginxJsonParser
        .parse(
            br#"{"time":"2026-03-04T01:07:12Z","remote_addr":"1.2.3.4","status":200}"#,
            &mut out,
        )
        .unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::MissingField("request"));
}
