use super::*;
use crate::json::walk::Agreement;

fn one(record: &str) -> Event<'_> {
    crate::parser::parse_one(&OktaSystemLogParser, record)
}

/// Every record of the Panther Okta rule tests (Apache-2.0), lower-cased warehouse keys
/// and `"debugData": ""` included, parses, except the 7 whose time the rule authors
/// removed (`"redacted"` or absent): those are malformed for want of a time, nothing else.
#[test]
fn every_real_record_parses() {
    let path = format!(
        "{}/../tests/fixtures/okta/panther-rule-tests.ndjson",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut sessions = 0;
    let mut timeless = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut out = Vec::new();
        match OktaSystemLogParser.parse(line.as_bytes(), &mut out) {
            Ok(()) => sessions += usize::from(out[0].session_id.is_some()),
            Err(e) => {
                assert!(
                    matches!(
                        e.kind,
                        ParseErrorKind::BadTimestamp | ParseErrorKind::MissingField("published")
                    ),
                    "line {}: {e}",
                    i + 1
                );
                timeless.push(i + 1);
            }
        }
    }
    assert_eq!(timeless, [37, 38, 39, 44, 45, 47, 53]);
    assert_eq!(sessions, 38, "records with a session id");
}

#[test]
fn nulls_missing_objects_ipv6_and_unknown_types_are_kept() {
    let ev = one(
        r#"{"uuid":"u1","published":"2024-01-02T03:04:05.678Z","eventType":"some.future.event","actor":null,"client":{"ipAddress":null,"zone":"null"},"request":{"ipChain":[{"ip":"2001:db8::7","version":"V6"},{"ip":"10.0.0.1"}]},"target":null,"outcome":null}"#,
    );
    assert_eq!(ev.action.as_deref(), Some("some.future.event"));
    assert_eq!(ev.principal, None);
    assert_eq!(ev.src_ip.as_deref(), Some("2001:db8::7"));
    assert_eq!(ev.forwarded_for.as_deref(), Some("2001:db8::7, 10.0.0.1"));
    assert_eq!(ev.outcome, Outcome::Unknown);
    assert_eq!(ev.ts, 1_704_164_645_678_000_000);
}

/// The client's address is the event's; every address of the chain that is one (not an
/// empty or "null" one) is in the forwarded chain, in order; Okta's results are read in
/// any case.
#[test]
fn a_long_chain_behind_a_client_and_results_in_any_case() {
    let ev = one(
        r#"{"uuid":"u3","published":"2024-01-02T03:04:05Z","eventType":"user.session.start","client":{"ipAddress":"198.51.100.7"},"request":{"ipChain":[{"ip":"203.0.113.5"},{"ip":""},{"ip":"null"},{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}]},"outcome":{"result":"deny"}}"#,
    );
    assert_eq!(ev.src_ip.as_deref(), Some("198.51.100.7"));
    assert_eq!(
        ev.forwarded_for.as_deref(),
        Some("203.0.113.5, 10.0.0.1, 10.0.0.2")
    );
    assert_eq!(ev.outcome, Outcome::Denied);
    let allowed = |result: &str| {
        let record = format!(
            r#"{{"uuid":"u4","published":"2024-01-02T03:04:05Z","eventType":"policy.evaluate_sign_on","outcome":{{"result":"{result}"}}}}"#
        );
        one(&record).outcome
    };
    assert_eq!(allowed("Allow"), Outcome::Success);
    assert_eq!(allowed("success"), Outcome::Success);
    assert_eq!(allowed("FAILURE"), Outcome::Failure);
    assert_eq!(allowed("CHALLENGE"), Outcome::Unknown);
}

#[test]
fn api_token_lifecycle_names_the_child_token() {
    let ev = one(
        r#"{"uuid":"u2","published":"2024-01-02T03:04:05Z","eventType":"system.api_token.create","actor":{"alternateId":"admin@acme.io","type":"User"},"authenticationContext":{"externalSessionId":"102abcDEF"},"target":[{"id":"00Tnewtoken123","type":"Token","displayName":"ci-token"}],"outcome":{"result":"SUCCESS"}}"#,
    );
    assert_eq!(ev.field("lineage").as_deref(), Some("create_api_token"));
    assert_eq!(
        ev.field("child_credential").as_deref(),
        Some("okta_api_token:00Tnewtoken123")
    );
    assert_eq!(
        ev.field("credential").as_deref(),
        Some("okta_session:102abcDEF")
    );
    assert_eq!(ev.target.as_deref(), Some("Token ci-token"));
}

#[test]
fn eventbridge_envelope_is_unwrapped_and_uri_secrets_redacted() {
    let ev = one(
        r#"{"version":"0","id":"e1","detail-type":"SystemLog","source":"aws.partner/okta.com/x","detail":{"uuid":"u3","published":"2024-01-02T03:04:05Z","eventType":"user.session.start","debugContext":{"debugData":{"requestUri":"/login/token/redirect?stateToken=abc&token=SECRETVALUE","risk":"{level=HIGH}","threatSuspected":"true"}},"outcome":{"result":"FAILURE","reason":"INVALID_CREDENTIALS"}}}"#,
    );
    assert_eq!(ev.event_id.as_deref(), Some("u3"));
    assert_eq!(
        ev.target.as_deref(),
        Some("/login/token/redirect?stateToken=abc&token=REDACTED")
    );
    assert_eq!(
        ev.field("risk").as_deref(),
        Some("{level=HIGH}; threatSuspected")
    );
    assert_eq!(
        ev.field("error_code").as_deref(),
        Some("INVALID_CREDENTIALS")
    );
    assert_eq!(ev.outcome, Outcome::Failure);
}

#[test]
fn okta_is_not_taken_for_cloudtrail_and_back() {
    let okta =
        br#"[{"uuid":"a","published":"2024-01-02T03:04:05Z","eventType":"user.session.start"}]"#;
    assert_eq!(OktaSystemLogParser.sniff(okta).0, 90);
    assert_eq!(crate::CloudTrailParser.sniff(okta).0, 0);
}

/// The keys whose values the walk's tests replace.
const KEYS: &[&str] = &[
    "uuid",
    "published",
    "eventType",
    "actor",
    "alternateId",
    "id",
    "client",
    "ipAddress",
    "authenticationContext",
    "externalSessionId",
    "rootSessionId",
    "outcome",
    "result",
    "transaction",
    "detail",
    "requestApiTokenId",
    "request",
    "ipChain",
    "ip",
    "debugContext",
    "debugData",
    "target",
    "securityContext",
    "displayMessage",
    "userAgent",
    "version",
];

/// Every record the walk reads, it reads as serde does (the same event, or the same error
/// from the same fields), for the identity (`credentials`, `stats`) and with every field
/// kept (`ingest`, `hunt`), on the real records and on thousands of damaged and unusual
/// forms of them; and it reads the plain real records itself.
#[test]
fn the_walk_reads_records_as_serde_does() {
    let by_detail = Agreement::both(
        (identity_walk_agrees, identity_front_walk_agrees),
        (full_walk_agrees, full_front_walk_agrees),
    );
    for agreement in by_detail {
        let detail = agreement.detail;
        let checked = crate::json::walk::check_against_serde(
            "okta/panther-rule-tests.ndjson",
            KEYS,
            |record| {
                vec![format!(
                    "{{\"detail\":{record},\"detail-type\":\"SystemLog\"}}"
                )]
            },
            |text| walk_record(text).is_some(),
            agreement,
            &crate::okta::OktaSystemLogParser,
        );
        // Every real record is plain enough for the walk (lower-cased warehouse keys and
        // `"debugData": ""` included).
        checked.assert_counts(detail, 55 + EXAMPLES.len(), 5_000);
    }
}
