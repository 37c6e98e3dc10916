use super::*;
use crate::json::walk::Agreement;

fn one(record: &str) -> Event<'_> {
    crate::parser::parse_one(&Auth0Parser, record)
}

/// Every record of the Panther Auth0 rule tests (Apache-2.0) parses, wrapper or not.
#[test]
fn every_real_record_parses() {
    let path = format!(
        "{}/../tests/fixtures/auth0/panther-rule-tests.ndjson",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    for (i, line) in text.lines().enumerate() {
        let mut out = Vec::new();
        Auth0Parser
            .parse(line.as_bytes(), &mut out)
            .unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
    }
    assert_eq!(text.lines().count(), 50);
}

#[test]
fn token_exchanges_name_their_credential() {
    let cc = one(
        r#"{"date":"2024-03-01T10:00:00.123Z","type":"seccft","client_id":"AbCdEf123","client_name":"billing-worker","ip":"2001:db8::1","audience":"https://api.acme.io/","log_id":"900202403011000001","location_info":{"country_code":"DE","city_name":"Berlin"}}"#,
    );
    assert_eq!(
        cc.field("credential").as_deref(),
        Some("auth0_client:AbCdEf123")
    );
    assert_eq!(cc.principal.as_deref(), Some("billing-worker"));
    assert_eq!(
        cc.action.as_deref(),
        Some("token_exchange.client_credentials")
    );
    assert_eq!(cc.target.as_deref(), Some("https://api.acme.io/"));
    assert_eq!(cc.field("provider_country").as_deref(), Some("DE"));
    assert_eq!(cc.src_ip.as_deref(), Some("2001:db8::1"));
    let rt = one(
        r#"{"date":"2024-03-01T10:00:00Z","type":"sertft","client_id":"SPA1","user_id":"auth0|alice","log_id":"900202403011000002"}"#,
    );
    assert_eq!(
        rt.field("credential").as_deref(),
        Some("auth0_refresh_token:SPA1:auth0|alice")
    );
    assert_eq!(rt.principal.as_deref(), Some("auth0|alice"));
}

/// A Management API call with a token an application got by client credentials is the
/// application's (the token is its session); with a person's token (the dashboard's) it
/// is the token's, the person's.
#[test]
fn management_calls_name_the_application_or_the_persons_token() {
    let m2m = one(
        r#"{"date":"2026-02-14T01:44:39Z","type":"sapi","client_id":"Xp0rT3r","client_name":"reporting-exporter","ip":"45.155.205.22","log_id":"900202602140144390001","details":{"request":{"method":"post","path":"/api/v2/clients","auth":{"credentials":{"jti":"4b1d0c0ffee"},"strategy":"jwt"}},"response":{"statusCode":201}}}"#,
    );
    assert_eq!(
        m2m.field("credential").as_deref(),
        Some("auth0_client:Xp0rT3r")
    );
    assert_eq!(m2m.session_id.as_deref(), Some("4b1d0c0ffee"));
    assert_eq!(m2m.principal.as_deref(), Some("reporting-exporter"));
    assert_eq!(m2m.target.as_deref(), Some("POST /api/v2/clients"));
    let person = one(
        r#"{"date":"2026-02-14T09:00:00Z","type":"sapi","client_id":"D4shb04rd","client_name":"Auth0 Management Dashboard","user_id":"auth0|alice","ip":"89.160.20.130","log_id":"900202602140900000002","details":{"request":{"method":"get","path":"/api/v2/users","auth":{"credentials":{"jti":"a11ce"},"strategy":"jwt","user":{"user_id":"auth0|alice"}}}}}"#,
    );
    assert_eq!(
        person.field("credential").as_deref(),
        Some("auth0_management_token:a11ce")
    );
    assert_eq!(person.session_id, None);
    assert_eq!(person.principal.as_deref(), Some("auth0|alice"));
}

#[test]
fn unknown_codes_and_missing_details_are_kept() {
    let ev = one(
        r#"{"date":"2024-03-01T10:00:00Z","type":"brand_new_code","log_id":"1","details":"not an object","user_id":""}"#,
    );
    assert_eq!(ev.action.as_deref(), Some("brand_new_code"));
    assert_eq!(ev.outcome, Outcome::Unknown);
    assert_eq!(ev.principal, None);
    let ev = one(r#"{"date":"2024-03-01T10:00:00Z","type":"fnew","_id":"2"}"#);
    assert_eq!(ev.outcome, Outcome::Failure);
    assert_eq!(ev.event_id.as_deref(), Some("2"));
}

#[test]
fn generic_json_with_date_and_type_is_not_auth0() {
    let mut out = Vec::new();
    let err = Auth0Parser
        .parse(
            br#"{"date":"2024-03-01T10:00:00Z","type":"click"}"#,
            &mut out,
        )
        .unwrap_err();
    assert_eq!(err.kind, ParseErrorKind::MissingField("log_id"));
}

/// The wrapper is read in the same pass as the event inside: a wrapper in a wrapper is
/// unwrapped too, the outer `log_id` stands in for a missing inner one, and nesting past
/// serde_json's depth limit is a located error, not a crash.
#[test]
fn wrappers_are_unwrapped_in_one_pass() {
    let inner =
        r#"{"date":"2026-03-01T00:00:00.016Z","type":"sapi","client_id":"cl1","ip":"203.0.113.9"}"#;
    let twice = format!(r#"{{"log_id":"outer","data":{{"log_id":"middle","data":{inner}}}}}"#);
    let ev = one(&twice);
    assert_eq!(ev.event_id.as_deref(), Some("middle"));
    assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
    let deep = format!("{}{inner}{}", r#"{"data":"#.repeat(300), "}".repeat(300));
    let err = Auth0Parser
        .parse(deep.as_bytes(), &mut Vec::new())
        .unwrap_err();
    assert!(err.offset > 0 && err.offset < deep.len(), "{err}");
}

/// The keys whose values the walk's tests replace.
const KEYS: &[&str] = &[
    "date",
    "type",
    "log_id",
    "_id",
    "client_id",
    "client_name",
    "ip",
    "user_agent",
    "user_id",
    "user_name",
    "connection",
    "audience",
    "details",
    "request",
    "auth",
    "credentials",
    "jti",
    "strategy",
    "scopes",
    "response",
    "statusCode",
    "method",
    "location_info",
    "data",
    "description",
];

/// Every record the walk reads, it reads as serde does (the same event, or the same error
/// from the same fields), for the identity (`credentials`, `stats`) and with every field
/// kept (`ingest`, `hunt`), on the real records, wrapped and bare, and on thousands of
/// damaged and unusual forms of them; and it reads the plain real records itself.
#[test]
fn the_walk_reads_records_as_serde_does() {
    let by_detail = Agreement::both(
        (identity_walk_agrees, identity_front_walk_agrees),
        (full_walk_agrees, full_front_walk_agrees),
    );
    for agreement in by_detail {
        let detail = agreement.detail;
        let checked = crate::json::walk::check_against_serde(
            "auth0/panther-rule-tests.ndjson",
            KEYS,
            |record| {
                vec![
                    format!("{{\"log_id\":\"90020\",\"data\":{record}}}"),
                    format!("{{\"data\":{record},\"log_id\":7}}"),
                ]
            },
            |text| walk_record(text).is_some(),
            agreement,
            &crate::auth0::Auth0Parser,
        );
        checked.assert_counts(detail, 50 + EXAMPLES.len(), 5_000);
    }
}
