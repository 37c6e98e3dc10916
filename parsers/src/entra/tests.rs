use super::*;

fn fixture(rel: &str) -> String {
    let path = format!(
        "{}/../tests/fixtures/entra/{rel}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn one(record: &str) -> Event<'_> {
    crate::parser::parse_one(&EntraSignInParser, record)
}

/// Every record of the Panther Azure rule tests (Apache-2.0): sign-ins of every category
/// and the directory audit records of the same stream.
#[test]
fn every_real_record_parses() {
    let text = fixture("panther-rule-tests.ndjson");
    let mut sign_ins = 0;
    for (i, line) in text.lines().enumerate() {
        let mut out = Vec::new();
        EntraSignInParser
            .parse(line.as_bytes(), &mut out)
            .unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        if out[0]
            .action
            .as_deref()
            .is_some_and(|a| a.starts_with("sign_in"))
        {
            sign_ins += 1;
        }
    }
    assert_eq!(text.lines().count(), 46);
    assert_eq!(
        sign_ins, 25,
        "15 SignInLogs + 7 service principal + 3 non-interactive"
    );
}

/// The Graph documentation example: one pretty-printed object with duplicate keys.
#[test]
fn graph_single_response_with_duplicate_keys() {
    let doc = fixture("msgraph-signin-get-beta.json");
    assert_eq!(
        EntraSignInParser.framing(doc.as_bytes()),
        Framing::JsonDocument
    );
    let ev = one(&doc);
    assert_eq!(ev.principal.as_deref(), Some("testaccount1@contoso.com"));
    assert_eq!(ev.src_ip.as_deref(), Some("131.107.159.37"));
    assert_eq!(ev.field("app").as_deref(), Some("Azure Portal"));
    assert_eq!(ev.ts, 1_625_070_872_000_000_000);
    assert!(ev.credential.is_some());
}

#[test]
fn graph_pages_event_hub_batches_and_log_analytics_rows() {
    let f = |s: &str| EntraSignInParser.framing(s.as_bytes());
    assert_eq!(
        f(
            r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns","value":[]}"#
        ),
        Framing::JsonRecordsField("value")
    );
    assert_eq!(
        f(r#"{"records":[{"time":"x"}]}"#),
        Framing::JsonRecordsField("records")
    );
    // Log Analytics: PascalCase columns, nested values as JSON strings.
    let ev = one(
        r#"{"TimeGenerated":"2024-05-01T08:00:00.1234567Z","UserPrincipalName":"bob@contoso.com","IPAddress":"2001:db8::5","ResultType":"50126","Status":"{\"errorCode\":50126,\"failureReason\":\"Invalid username or password\"}","LocationDetails":"{\"city\":\"Oslo\",\"countryOrRegion\":\"NO\"}","SessionId":"sess-1","UniqueTokenIdentifier":"uti-1","Category":"SignInLogs","AutonomousSystemNumber":"2119"}"#,
    );
    assert_eq!(ev.outcome, Outcome::Denied);
    assert_eq!(ev.status, Some(50126));
    assert_eq!(
        ev.field("error_code").as_deref(),
        Some("50126: Invalid username or password")
    );
    assert_eq!(ev.field("provider_city").as_deref(), Some("Oslo"));
    assert_eq!(ev.field("provider_asn").as_deref(), Some("2119"));
    assert_eq!(
        ev.field("credential").as_deref(),
        Some("entra_session:sess-1")
    );
    assert_eq!(ev.ts % 1_000_000_000, 123_456_700);
}

#[test]
fn json_without_entra_fields_is_not_entra() {
    let mut out = Vec::new();
    let err = EntraSignInParser
        .parse(
            br#"{"time":"2024-05-01T08:00:00Z","msg":"hello"}"#,
            &mut out,
        )
        .unwrap_err();
    assert_eq!(err.kind, ParseErrorKind::MissingField("userPrincipalName"));
}

/// Every key the walk reads or steps over by name, and some it does not know.
const KEYS: &[&str] = &[
    "id",
    "createdDateTime",
    "CreatedDateTime",
    "time",
    "TimeGenerated",
    "userPrincipalName",
    "UserPrincipalName",
    "userId",
    "appId",
    "appDisplayName",
    "ipAddress",
    "callerIpAddress",
    "status",
    "Status",
    "errorCode",
    "failureReason",
    "resultType",
    "correlationId",
    "sessionId",
    "uniqueTokenIdentifier",
    "isInteractive",
    "incomingTokenType",
    "category",
    "operationName",
    "activityDisplayName",
    "activityDateTime",
    "initiatedBy",
    "user",
    "app",
    "displayName",
    "properties",
    "userAgent",
    "location",
    "targetResources",
    "resourceDisplayName",
    "riskState",
    "riskLevelDuringSignIn",
    "conditionalAccessStatus",
    "clientAppUsed",
    "tokenIssuerType",
    "autonomousSystemNumber",
    "city",
    "countryOrRegion",
    "geoCoordinates",
    "latitude",
    "type",
    "modifiedProperties",
    "tenantId",
];

/// Every record the walk reads, for the identity or with every field, it reads as serde
/// does (the same event, or the same error from the same fields), on the real records, as
/// Azure Monitor and Graph write them, and on thousands of damaged and unusual forms of
/// them (a status or a location written as JSON text, as a number, with a lone surrogate
/// escape, a location whose city is not text or whose coordinates are out of range); and
/// it reads the plain real records itself.
#[test]
fn the_walk_reads_records_as_serde_does() {
    let by_detail = crate::json::walk::Agreement::both(
        (identity_walk_agrees, identity_front_walk_agrees),
        (full_walk_agrees, full_front_walk_agrees),
    );
    for agreement in by_detail {
        let detail = agreement.detail;
        let checked = crate::json::walk::check_against_serde(
            "entra/panther-rule-tests.ndjson",
            KEYS,
            |record| {
                let signed_in = "\"createdDateTime\":\"2021-06-30T16:34:32Z\"";
                let mut forms = vec![
                    format!(
                        "{{\"time\":\"2025-01-15 09:30:45.123\",\"category\":\"SignInLogs\",\"properties\":{record}}}"
                    ),
                    format!("{{\"properties\":{record},\"properties\":{{}}}}"),
                    format!(
                        "{{{signed_in},\"status\":{{\"errorCode\":50126,\"failureReason\":\"Invalid\",\"additionalDetails\":\"x\"}},\"properties\":{record}}}"
                    ),
                    format!(
                        "{{{signed_in},\"status\":\"{{\\\"errorCode\\\":50126}}\",\"properties\":{record}}}"
                    ),
                    format!(
                        "{{{signed_in},\"status\":{{\"errorCode\":\"50126\",\"note\":\"\\ud800\"}},\"properties\":{record}}}"
                    ),
                    format!(
                        "{{{signed_in},\"status\":{{\"errorCode\":1e400}},\"properties\":{record}}}"
                    ),
                    format!(
                        "{{{signed_in},\"status\":{{\"failureReason\":7}},\"isInteractive\":\"TRUE\",\"properties\":{record}}}"
                    ),
                    format!(
                        "{{{signed_in},\"status\":[1e400],\"isInteractive\":1,\"properties\":{record}}}"
                    ),
                ];
                // The location as serde reads it through a `serde_json::Value`: JSON
                // text (after Unicode whitespace too), other text, a city that is not
                // text, a field named twice, values a `Value` refuses or accepts.
                let locations = [
                    "\"{\\\"city\\\":\\\"Oslo\\\",\\\"countryOrRegion\\\":\\\"NO\\\"}\"",
                    "\" {}\"",
                    "\"\u{a0}{}\"",
                    "\"{\"",
                    "\"IE\"",
                    "{\"city\":7,\"countryOrRegion\":\"NO\"}",
                    "{\"city\":null,\"countryOrRegion\":[\"NO\"]}",
                    "{\"city\":\"Oslo\",\"city\":\"Bergen\"}",
                    "{\"city\":\"Oslo\",\"geoCoordinates\":{\"latitude\":1e400}}",
                    "{\"city\":\"Oslo\",\"geoCoordinates\":{\"latitude\":59.9,\"longitude\":-10.75}}",
                    "{\"city\":\"Oslo\",\"geoCoordinates\":{\"latitude\":12345678901234567890123}}",
                    "{\"city\":\"Oslo\",\"note\":\"\\ud800\"}",
                    "{\"city\":\"Oslo\",\"note\":[true,null,{}]}",
                    "[{\"city\":\"Oslo\"}]",
                    "7",
                    "null",
                    "false",
                ];
                for location in locations {
                    forms.push(format!(
                        "{{{signed_in},\"location\":{location},\"properties\":{record}}}"
                    ));
                    forms.push(format!(
                        "{{{signed_in},\"userPrincipalName\":\"a@b\",\"LocationDetails\":{location},\"AutonomousSystemNumber\":\"2119\"}}"
                    ));
                    // Inside `properties`, where any location (even an empty one) hides
                    // the outer record's.
                    forms.push(format!(
                        "{{{signed_in},\"location\":{{\"city\":\"Oslo\"}},\"properties\":{{\"userPrincipalName\":\"a@b\",\"location\":{location}}}}}"
                    ));
                }
                forms.push(format!(
                    "{{{signed_in},\"activityDisplayName\":\"Add user\",\"targetResources\":[{{\"type\":\"User\",\"userPrincipalName\":\"x@y\"}},7,\"z\",{{\"displayName\":\"App\",\"type\":null}}],\"properties\":{record}}}"
                ));
                forms
            },
            |text| walk_whole(text).is_some(),
            agreement,
            &crate::entra::EntraSignInParser,
        );
        checked.assert_counts(detail, 46 + EXAMPLES.len(), 10_000);
    }
}
