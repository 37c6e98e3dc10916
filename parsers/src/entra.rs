//! Microsoft Entra ID sign-in logs in their four shapes: Microsoft Graph `signIn` objects
//! (`{"value":[…]}` pages, arrays, single responses), Azure Monitor diagnostic records
//! (`{"time","category":"SignInLogs","properties":{…}}`, one per line, or an Event Hub
//! `{"records":[…]}` batch), and Log Analytics exports with PascalCase columns whose
//! nested values are JSON strings. Directory audit records of the same diagnostic streams
//! (`AuditLogs` and friends) are read too, so an export never loses a line.
//!
//! The credential of a sign-in is its session (`sessionId`, one root authentication and
//! every token derived from it), else the token it minted (`uniqueTokenIdentifier`).

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::csv_export::{CsvForm, Target};
use crate::error::{ParseError, ParseErrorKind};
use crate::event::{CallerKind, Credential, CredentialKind, Event, Outcome, notes};
use crate::framing::Framing;
use crate::json::walk::{
    Seen, Walk, Walked, front_walk_agrees, front_walked_or_parsed, line_front_walked, walk_agrees,
    walked_or_parsed,
};
use crate::json::{
    Flag, Str, contains, detail, detail_seq, first_key, lenient, lenient_number, lenient_obj,
    non_empty, sniff_json_lines, unless_identity,
};
use crate::parser::{Confidence, Example, LogParser};
use crate::source::SourceId;
use crate::time::{Zone, rfc3339};

#[cfg(test)]
mod tests;

/// Parser for Microsoft Entra ID sign-in (and directory audit) logs.
pub struct EntraSignInParser;

/// Sign-in fields without a column of their own, in `Event::extra` slot order
/// (`x_client_app_used`, …).
static EXTRA_COLUMNS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    [
        "client_app_used",
        "token_issuer_type",
        "incoming_token_type",
    ]
    .map(String::from)
    .to_vec()
});

/// The admin center's sign-in download (labels as of late 2024: the header checked by
/// published incident-response scripts, with its doubled "Incoming token type" and the
/// double space in "Autonomous system  number") and Log Analytics / Sentinel query
/// results, whose PascalCase columns are this parser's aliases and whose dynamic columns
/// hold JSON text.
static CSV_FORMS: &[CsvForm] = &[
    CsvForm {
        name: "Entra admin center sign-in download (CSV)",
        signature: &[
            "date (utc)",
            "request id",
            "correlation id",
            "unique token identifier",
            "session id",
            "sign-in error code",
            "ip address",
            "username",
        ],
        min_signature: 4,
        labels: &[
            ("date (utc)", Target::Path("createdDateTime")),
            ("request id", Target::Path("id")),
            ("user agent", Target::Path("userAgent")),
            ("correlation id", Target::Path("correlationId")),
            ("user id", Target::Path("userId")),
            ("user", Target::Path("userDisplayName")),
            ("username", Target::Path("userPrincipalName")),
            ("user type", Target::Path("userType")),
            (
                "cross tenant access type",
                Target::Path("crossTenantAccessType"),
            ),
            ("incoming token type", Target::Path("incomingTokenType")),
            (
                "authentication protocol",
                Target::Path("authenticationProtocol"),
            ),
            (
                "unique token identifier",
                Target::Path("uniqueTokenIdentifier"),
            ),
            (
                "client credential type",
                Target::Path("clientCredentialType"),
            ),
            ("application", Target::Path("appDisplayName")),
            ("application id", Target::Path("appId")),
            ("resource", Target::Path("resourceDisplayName")),
            ("resource id", Target::Path("resourceId")),
            ("resource tenant id", Target::Path("resourceTenantId")),
            ("home tenant id", Target::Path("homeTenantId")),
            ("ip address", Target::Path("ipAddress")),
            (
                "location",
                Target::Place {
                    city: "location.city",
                    state: "location.state",
                    country: "location.countryOrRegion",
                },
            ),
            // "Success"/"Failure"/"Interrupted": the error code says it exactly.
            ("status", Target::Ignore),
            ("sign-in error code", Target::Path("status.errorCode")),
            ("failure reason", Target::Path("status.failureReason")),
            ("client app", Target::Path("clientAppUsed")),
            ("device id", Target::Path("deviceDetail.deviceId")),
            ("browser", Target::Path("deviceDetail.browser")),
            (
                "operating system",
                Target::Path("deviceDetail.operatingSystem"),
            ),
            (
                "authentication requirement",
                Target::Path("authenticationRequirement"),
            ),
            ("session id", Target::Path("sessionId")),
            (
                "autonomous system number",
                Target::Path("autonomousSystemNumber"),
            ),
            ("token issuer type", Target::Path("tokenIssuerType")),
            ("token issuer name", Target::Path("tokenIssuerName")),
            (
                "conditional access",
                Target::Path("conditionalAccessStatus"),
            ),
        ],
        embedded_record: None,
    },
    CsvForm {
        name: "Log Analytics sign-in query results (CSV)",
        signature: &[
            "timegenerated",
            "userprincipalname",
            "resulttype",
            "ipaddress",
            "uniquetokenidentifier",
            "sessionid",
            "correlationid",
            "appdisplayname",
        ],
        min_signature: 4,
        labels: &[],
        embedded_record: None,
    },
];

/// One record in any of the shapes; PascalCase aliases cover Log Analytics columns.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Record<'a> {
    #[serde(alias = "Id", borrow, deserialize_with = "lenient")]
    id: Str<'a>,
    #[serde(
        rename = "createdDateTime",
        alias = "CreatedDateTime",
        borrow,
        deserialize_with = "lenient"
    )]
    created: Str<'a>,
    #[serde(rename = "activityDateTime", borrow, deserialize_with = "lenient")]
    activity_time: Str<'a>,
    #[serde(alias = "TimeGenerated", borrow, deserialize_with = "lenient")]
    time: Str<'a>,
    #[serde(
        rename = "userPrincipalName",
        alias = "UserPrincipalName",
        borrow,
        deserialize_with = "lenient"
    )]
    user_principal_name: Str<'a>,
    #[serde(
        rename = "userId",
        alias = "UserId",
        borrow,
        deserialize_with = "lenient"
    )]
    user_id: Str<'a>,
    #[serde(
        rename = "servicePrincipalName",
        alias = "ServicePrincipalName",
        borrow,
        deserialize_with = "lenient"
    )]
    service_principal_name: Str<'a>,
    #[serde(
        rename = "appId",
        alias = "AppId",
        borrow,
        deserialize_with = "lenient"
    )]
    app_id: Str<'a>,
    #[serde(
        rename = "appDisplayName",
        alias = "AppDisplayName",
        borrow,
        deserialize_with = "lenient"
    )]
    app_display_name: Str<'a>,
    #[serde(
        rename = "ipAddress",
        alias = "IPAddress",
        borrow,
        deserialize_with = "lenient"
    )]
    ip_address: Str<'a>,
    #[serde(
        rename = "callerIpAddress",
        alias = "CallerIpAddress",
        alias = "calleripaddress",
        borrow,
        deserialize_with = "lenient"
    )]
    caller_ip: Str<'a>,
    #[serde(
        rename = "userAgent",
        alias = "UserAgent",
        borrow,
        deserialize_with = "detail"
    )]
    user_agent: Str<'a>,
    #[serde(
        alias = "LocationDetails",
        deserialize_with = "detail_object_or_json_string"
    )]
    location: Option<Location>,
    #[serde(alias = "Status", deserialize_with = "object_or_json_string")]
    status: Option<Status>,
    #[serde(
        rename = "resultType",
        alias = "ResultType",
        borrow,
        deserialize_with = "lenient"
    )]
    result_type: Str<'a>,
    #[serde(alias = "Result", borrow, deserialize_with = "lenient")]
    result: Str<'a>,
    #[serde(
        rename = "correlationId",
        alias = "CorrelationId",
        alias = "correlationid",
        borrow,
        deserialize_with = "lenient"
    )]
    correlation_id: Str<'a>,
    #[serde(
        rename = "sessionId",
        alias = "SessionId",
        borrow,
        deserialize_with = "lenient"
    )]
    session_id: Str<'a>,
    #[serde(
        rename = "uniqueTokenIdentifier",
        alias = "UniqueTokenIdentifier",
        borrow,
        deserialize_with = "lenient"
    )]
    unique_token_identifier: Str<'a>,
    #[serde(rename = "isInteractive", alias = "IsInteractive")]
    is_interactive: Flag,
    #[serde(
        rename = "clientAppUsed",
        alias = "ClientAppUsed",
        borrow,
        deserialize_with = "detail"
    )]
    client_app_used: Str<'a>,
    #[serde(
        rename = "tokenIssuerType",
        alias = "TokenIssuerType",
        borrow,
        deserialize_with = "detail"
    )]
    token_issuer_type: Str<'a>,
    #[serde(
        rename = "incomingTokenType",
        alias = "IncomingTokenType",
        borrow,
        deserialize_with = "lenient"
    )]
    incoming_token_type: Str<'a>,
    #[serde(
        rename = "resourceDisplayName",
        alias = "ResourceDisplayName",
        borrow,
        deserialize_with = "detail"
    )]
    resource_display_name: Str<'a>,
    #[serde(
        rename = "conditionalAccessStatus",
        alias = "ConditionalAccessStatus",
        borrow,
        deserialize_with = "detail"
    )]
    conditional_access_status: Str<'a>,
    #[serde(
        rename = "riskLevelDuringSignIn",
        alias = "RiskLevelDuringSignIn",
        borrow,
        deserialize_with = "detail"
    )]
    risk_level: Str<'a>,
    #[serde(
        rename = "riskState",
        alias = "RiskState",
        borrow,
        deserialize_with = "detail"
    )]
    risk_state: Str<'a>,
    #[serde(
        rename = "autonomousSystemNumber",
        alias = "AutonomousSystemNumber",
        deserialize_with = "detail_number"
    )]
    asn: Option<u32>,
    #[serde(alias = "Category", borrow, deserialize_with = "lenient")]
    category: Str<'a>,
    #[serde(
        rename = "operationName",
        alias = "OperationName",
        alias = "operationname",
        borrow,
        deserialize_with = "lenient"
    )]
    operation_name: Str<'a>,
    #[serde(
        rename = "activityDisplayName",
        alias = "ActivityDisplayName",
        borrow,
        deserialize_with = "lenient"
    )]
    activity_display_name: Str<'a>,
    #[serde(
        rename = "initiatedBy",
        alias = "InitiatedBy",
        borrow,
        deserialize_with = "lenient_obj"
    )]
    initiated_by: Option<InitiatedBy<'a>>,
    #[serde(
        rename = "targetResources",
        alias = "TargetResources",
        borrow,
        deserialize_with = "detail_seq"
    )]
    target_resources: Option<Vec<TargetResource<'a>>>,
    /// Azure Monitor diagnostic records carry the sign-in or audit record here.
    #[serde(borrow, deserialize_with = "lenient_obj")]
    properties: Option<Box<Record<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Location {
    city: Option<String>,
    #[serde(rename = "countryOrRegion")]
    country: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Status {
    #[serde(rename = "errorCode", deserialize_with = "lenient_number")]
    error_code: Option<i64>,
    #[serde(rename = "failureReason")]
    failure_reason: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InitiatedBy<'a> {
    #[serde(borrow, deserialize_with = "lenient_obj")]
    user: Option<Initiator<'a>>,
    #[serde(borrow, deserialize_with = "lenient_obj")]
    app: Option<Initiator<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Initiator<'a> {
    #[serde(rename = "userPrincipalName", borrow, deserialize_with = "lenient")]
    user_principal_name: Str<'a>,
    #[serde(rename = "displayName", borrow, deserialize_with = "lenient")]
    display_name: Str<'a>,
    #[serde(rename = "ipAddress", borrow, deserialize_with = "lenient")]
    ip_address: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TargetResource<'a> {
    #[serde(rename = "displayName", borrow, deserialize_with = "lenient")]
    display_name: Str<'a>,
    #[serde(rename = "userPrincipalName", borrow, deserialize_with = "lenient")]
    user_principal_name: Str<'a>,
    #[serde(rename = "type", borrow, deserialize_with = "lenient")]
    kind: Str<'a>,
}

/// A nested object, or (Log Analytics exports) the same object as a JSON string.
/// [`object_or_json_string`] for a field outside the identity of an event.
fn detail_object_or_json_string<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    unless_identity(d, object_or_json_string)
}

/// `lenient_number` for a field outside the identity of an event.
fn detail_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    unless_identity(d, lenient_number)
}

fn object_or_json_string<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) if s.trim_start().starts_with('{') => {
            serde_json::from_str(&s).ok()
        }
        v @ serde_json::Value::Object(_) => serde_json::from_value(v).ok(),
        _ => None,
    })
}

/// Sign-in error codes: 0 is success; some codes are refusals, some are interruptions
/// (an MFA prompt, "stay signed in?") that are neither success nor failure.
fn outcome_of(code: i64) -> Outcome {
    match code {
        0 => Outcome::Success,
        50053 | 50055 | 50057 | 50126 | 50105 | 53003 | 530032 | 50034 | 700016 | 7000215
        | 7000222 => Outcome::Denied,
        50058 | 50072 | 50074 | 50076 | 50079 | 50097 | 50125 | 50140 | 16000 | 81010 | 81012 => {
            Outcome::Unknown
        }
        _ => Outcome::Failure,
    }
}

fn merge<'a>(outer: Str<'a>, inner: Str<'a>) -> Str<'a> {
    non_empty(inner).or(non_empty(outer))
}

/// The event of `outer` (read by the walk or by serde), into `ev` (a default event:
/// filled where it lies, not moved).
fn finish<'a>(outer: &mut Record<'a>, ev: &mut Event<'a>) -> Result<(), ParseError> {
    let missing = |f| ParseError::new(ParseErrorKind::MissingField(f), 0);
    // The record inside a diagnostic record, read where it lies, a field at a time (a
    // default record made and dropped for each Graph record was a tenth of `finish`).
    let mut properties = outer.properties.take();
    macro_rules! inner {
        ($field:ident) => {
            properties
                .as_deref_mut()
                .and_then(|inner| inner.$field.take())
        };
    }
    let diagnostic = outer.category.is_some() || outer.operation_name.is_some();
    let ts_raw = merge(outer.created.take(), inner!(created))
        .or(merge(outer.activity_time.take(), inner!(activity_time)))
        .or(non_empty(outer.time.take()))
        .ok_or(missing("createdDateTime"))?;
    let (ts, zone) = rfc3339(ts_raw.as_bytes())
        .map(|(_, v)| v)
        .map_err(|_| ParseError::new(ParseErrorKind::BadTimestamp, 0))?;
    let upn = merge(
        outer.user_principal_name.take(),
        inner!(user_principal_name),
    );
    let sp = merge(
        outer.service_principal_name.take(),
        inner!(service_principal_name),
    );
    let app_name = merge(outer.app_display_name.take(), inner!(app_display_name));
    let app_id = merge(outer.app_id.take(), inner!(app_id));
    let inner_is = |is: fn(&Record<'a>) -> bool| properties.as_deref().is_some_and(is);
    let audit = inner_is(|i| i.initiated_by.is_some())
        || outer.initiated_by.is_some()
        || inner_is(|i| i.activity_display_name.is_some());
    if !diagnostic && !audit && upn.is_none() && sp.is_none() && app_id.is_none() {
        return Err(missing("userPrincipalName"));
    }
    ev.ts = ts;
    ev.ts_raw = ts_raw;
    ev.event_id = merge(outer.id.take(), inner!(id));
    if zone == Zone::AssumedUtc {
        ev.notes |= notes::ASSUMED_UTC;
    }
    let category = merge(outer.category.take(), inner!(category));
    let service = &mut **ev.service.insert(Box::default());
    service.event_type = category.clone();
    if audit {
        let by = inner!(initiated_by)
            .or(outer.initiated_by.take())
            .unwrap_or_default();
        let user = by.user.unwrap_or_default();
        let app = by.app.unwrap_or_default();
        ev.principal = non_empty(user.user_principal_name).or(non_empty(app.display_name.clone()));
        ev.src_ip = non_empty(user.ip_address).or(merge(outer.caller_ip.take(), inner!(caller_ip)));
        ev.action = merge(
            outer.activity_display_name.take(),
            inner!(activity_display_name),
        )
        .or(merge(outer.operation_name.take(), inner!(operation_name)));
        let targets: Vec<String> = inner!(target_resources)
            .or(outer.target_resources.take())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|t| {
                let name = non_empty(t.user_principal_name).or(non_empty(t.display_name))?;
                Some(match t.kind {
                    Some(k) => format!("{k} {name}"),
                    None => name.into_owned(),
                })
            })
            .collect();
        ev.target = (!targets.is_empty()).then(|| Cow::Owned(targets.join("; ")));
        ev.outcome = match merge(outer.result.take(), inner!(result)).as_deref() {
            Some(r) if r.eq_ignore_ascii_case("success") => Outcome::Success,
            Some(r) if r.eq_ignore_ascii_case("failure") => Outcome::Failure,
            _ => Outcome::Unknown,
        };
        service.app = non_empty(app.display_name);
    } else {
        ev.principal = upn
            .clone()
            .or(sp.clone())
            .or(merge(outer.user_id.take(), inner!(user_id)));
        ev.src_ip = merge(outer.ip_address.take(), inner!(ip_address))
            .or(merge(outer.caller_ip.take(), inner!(caller_ip)));
        ev.user_agent = merge(outer.user_agent.take(), inner!(user_agent));
        let interactive = (properties.as_deref())
            .and_then(|i| i.is_interactive.0)
            .or(outer.is_interactive.0);
        ev.action = Some(Cow::Borrowed(
            match (category.as_deref(), sp.is_some(), interactive) {
                (Some("ServicePrincipalSignInLogs"), _, _) | (_, true, _) => {
                    "sign_in.service_principal"
                }
                (Some("ManagedIdentitySignInLogs"), _, _) => "sign_in.managed_identity",
                (Some("NonInteractiveUserSignInLogs"), _, _) | (_, _, Some(false)) => {
                    "sign_in.non_interactive"
                }
                _ => "sign_in",
            },
        ));
        ev.target = merge(
            outer.resource_display_name.take(),
            inner!(resource_display_name),
        );
        let status = inner!(status).or(outer.status.take());
        let code = status.as_ref().and_then(|s| s.error_code).or_else(|| {
            merge(outer.result_type.take(), inner!(result_type)).and_then(|r| r.trim().parse().ok())
        });
        if let Some(code) = code {
            ev.outcome = outcome_of(code);
            ev.status = i32::try_from(code).ok();
            service.error_code = (code != 0).then(|| {
                Cow::Owned(
                    match status.as_ref().and_then(|s| s.failure_reason.as_deref()) {
                        Some(reason) if !reason.is_empty() => format!("{code}: {reason}"),
                        _ => code.to_string(),
                    },
                )
            });
        }
        let session = merge(outer.session_id.take(), inner!(session_id));
        let token = merge(
            outer.unique_token_identifier.take(),
            inner!(unique_token_identifier),
        );
        ev.session_id = session
            .clone()
            .or(merge(outer.correlation_id.take(), inner!(correlation_id)));
        ev.credential = match (session, token) {
            (Some(id), _) => Some(Credential::Public {
                kind: CredentialKind::EntraSession,
                id,
            }),
            (None, Some(id)) => Some(Credential::Public {
                kind: CredentialKind::EntraToken,
                id,
            }),
            (None, None) => None,
        };
        service.app = app_name.or(app_id);
        if let Some(loc) = inner!(location).or(outer.location.take()) {
            service.provider_city = loc.city.filter(|c| !c.is_empty()).map(Cow::Owned);
            service.provider_country = loc.country.filter(|c| !c.is_empty()).map(Cow::Owned);
        }
        service.provider_asn = inner!(asn).or(outer.asn.take());
        let risk: Vec<String> = [
            (
                "during sign-in",
                merge(outer.risk_level.take(), inner!(risk_level)),
            ),
            ("state", merge(outer.risk_state.take(), inner!(risk_state))),
            (
                "conditional access",
                merge(
                    outer.conditional_access_status.take(),
                    inner!(conditional_access_status),
                ),
            ),
        ]
        .into_iter()
        .filter_map(|(k, v)| {
            v.filter(|v| v != "none" && v != "notApplied" && v != "success")
                .map(|v| format!("{k}: {v}"))
        })
        .collect();
        service.risk = (!risk.is_empty()).then(|| Cow::Owned(risk.join("; ")));
        // Legacy clients (IMAP, SMTP, ActiveSync: no MFA) and how the token was issued and
        // presented: no column of their own, kept as the source's extra columns.
        ev.extra = [
            merge(outer.client_app_used.take(), inner!(client_app_used)),
            merge(outer.token_issuer_type.take(), inner!(token_issuer_type)),
            merge(
                outer.incoming_token_type.take(),
                inner!(incoming_token_type),
            ),
        ]
        .into_iter()
        .zip(0u16..)
        .filter_map(|(value, slot)| Some((slot, value?)))
        .collect();
    }
    if ev.src_ip.is_some() {
        service.caller_kind = Some(CallerKind::Ip);
    }
    Ok(())
}

fn parse_record(record: &[u8]) -> Result<Event<'_>, ParseError> {
    walked_or_parsed(record, walk_whole, finish, true)
}

/// A plain record read without serde (see `json::walk`): the fields [`Record`] reads
/// with the detail of the parse in progress (the identity only, or every one), the others
/// stepped over; `None` for a record the walk leaves to serde (a status or a location
/// written as JSON text among them).
fn walk_whole(text: &str) -> Walked<Record<'_>> {
    Walk::new(text).whole(walk_record)
}

fn walk_record<'a>(w: &mut Walk<'a>, r: &mut Record<'a>) -> Walked<()> {
    w.fields_into(r, walk_field)
}

/// The names and aliases of [`Record`]'s fields, each with its place in [`Seen`] (a
/// field named twice, under any of its names, is an error to serde).
fn walk_field<'a>(
    r: &mut Record<'a>,
    seen: &mut Seen,
    w: &mut Walk<'a>,
    key: &'a [u8],
) -> Walked<()> {
    match key {
        b"id" | b"Id" => (seen.first(0)?, r.id = w.lenient()?),
        b"createdDateTime" | b"CreatedDateTime" => (seen.first(1)?, r.created = w.lenient()?),
        b"activityDateTime" => (seen.first(2)?, r.activity_time = w.lenient()?),
        b"time" | b"TimeGenerated" => (seen.first(3)?, r.time = w.lenient()?),
        b"userPrincipalName" | b"UserPrincipalName" => {
            (seen.first(4)?, r.user_principal_name = w.lenient()?)
        }
        b"userId" | b"UserId" => (seen.first(5)?, r.user_id = w.lenient()?),
        b"servicePrincipalName" | b"ServicePrincipalName" => {
            (seen.first(6)?, r.service_principal_name = w.lenient()?)
        }
        b"appId" | b"AppId" => (seen.first(7)?, r.app_id = w.lenient()?),
        b"appDisplayName" | b"AppDisplayName" => {
            (seen.first(8)?, r.app_display_name = w.lenient()?)
        }
        b"ipAddress" | b"IPAddress" => (seen.first(9)?, r.ip_address = w.lenient()?),
        b"callerIpAddress" | b"CallerIpAddress" | b"calleripaddress" => {
            (seen.first(10)?, r.caller_ip = w.lenient()?)
        }
        b"status" | b"Status" => (seen.first(11)?, r.status = walk_status(w)?),
        b"resultType" | b"ResultType" => (seen.first(12)?, r.result_type = w.lenient()?),
        b"result" | b"Result" => (seen.first(13)?, r.result = w.lenient()?),
        b"correlationId" | b"CorrelationId" | b"correlationid" => {
            (seen.first(14)?, r.correlation_id = w.lenient()?)
        }
        b"sessionId" | b"SessionId" => (seen.first(15)?, r.session_id = w.lenient()?),
        b"uniqueTokenIdentifier" | b"UniqueTokenIdentifier" => {
            (seen.first(16)?, r.unique_token_identifier = w.lenient()?)
        }
        b"isInteractive" | b"IsInteractive" => (seen.first(17)?, r.is_interactive.0 = w.flag()?),
        b"incomingTokenType" | b"IncomingTokenType" => {
            (seen.first(18)?, r.incoming_token_type = w.lenient()?)
        }
        b"category" | b"Category" => (seen.first(19)?, r.category = w.lenient()?),
        b"operationName" | b"OperationName" | b"operationname" => {
            (seen.first(20)?, r.operation_name = w.lenient()?)
        }
        b"activityDisplayName" | b"ActivityDisplayName" => {
            (seen.first(21)?, r.activity_display_name = w.lenient()?)
        }
        b"initiatedBy" | b"InitiatedBy" => (
            seen.first(22)?,
            r.initiated_by = w.lenient_obj(walk_initiated_by)?,
        ),
        b"properties" => (
            seen.first(23)?,
            r.properties = w.lenient_obj(|w| {
                let mut properties = Box::<Record<'a>>::default();
                walk_record(w, &mut properties).map(|_| properties)
            })?,
        ),
        // Read beyond the identity, stepped over for it (still fields: a second one is
        // an error to serde).
        b"userAgent" | b"UserAgent" => (seen.first(24)?, r.user_agent = w.detail(Walk::lenient)?),
        b"location" | b"LocationDetails" => {
            (seen.first(25)?, r.location = w.detail(walk_location)?)
        }
        b"clientAppUsed" | b"ClientAppUsed" => (
            seen.first(26)?,
            r.client_app_used = w.detail(Walk::lenient)?,
        ),
        b"tokenIssuerType" | b"TokenIssuerType" => (
            seen.first(27)?,
            r.token_issuer_type = w.detail(Walk::lenient)?,
        ),
        b"resourceDisplayName" | b"ResourceDisplayName" => (
            seen.first(28)?,
            r.resource_display_name = w.detail(Walk::lenient)?,
        ),
        b"conditionalAccessStatus" | b"ConditionalAccessStatus" => (
            seen.first(29)?,
            r.conditional_access_status = w.detail(Walk::lenient)?,
        ),
        b"riskLevelDuringSignIn" | b"RiskLevelDuringSignIn" => {
            (seen.first(30)?, r.risk_level = w.detail(Walk::lenient)?)
        }
        b"riskState" | b"RiskState" => (seen.first(31)?, r.risk_state = w.detail(Walk::lenient)?),
        b"autonomousSystemNumber" | b"AutonomousSystemNumber" => {
            (seen.first(32)?, r.asn = w.detail(Walk::lenient_integer)?)
        }
        b"targetResources" | b"TargetResources" => (
            seen.first(33)?,
            r.target_resources = w.detail(|w| w.lenient_seq(walk_target_resource))?,
        ),
        _ => ((), w.skip()?),
    };
    Some(())
}

/// `status` as [`object_or_json_string`] reads it for the identity: an object's
/// `errorCode` and `failureReason`; `None` for null or a boolean. The walk gives up where
/// serde's reading through a `serde_json::Value` could differ from stepping over: a status
/// written as a JSON string, a number or an array, a `failureReason` that is not a string,
/// any other field that is not a string, boolean or null.
fn walk_status(w: &mut Walk<'_>) -> Walked<Option<Status>> {
    w.object_or_literal(|w| {
        w.fields(|s: &mut Status, seen, w, key| {
            match key {
                b"errorCode" => (seen.first(0)?, s.error_code = w.lenient_integer()?),
                b"failureReason" => (
                    seen.first(1)?,
                    s.failure_reason = w.plain_or_null()?.map(str::to_string),
                ),
                _ => ((), w.skip_scalar()?),
            };
            Some(())
        })
    })
}

/// `location` as [`object_or_json_string`] reads it beyond the identity: an object's
/// `city` and `countryOrRegion`, and no location at all when either is neither a string
/// nor null (`serde_json::from_value` refuses the struct); see [`Walk::value_object`] for
/// the other kinds of value. A field named twice is left to serde (a `Value` keeps the
/// last).
fn walk_location(w: &mut Walk<'_>) -> Walked<Option<Location>> {
    let location = w.value_object(|w| {
        let mut fits = true;
        let location = w.fields(|l: &mut Location, seen, w, key| {
            let mut text = |w: &mut Walk<'_>| {
                let text = w.value_text()?;
                fits &= text.is_ok();
                Some(text.ok().flatten().map(str::to_string))
            };
            match key {
                b"city" => (seen.first(0)?, l.city = text(w)?),
                b"countryOrRegion" => (seen.first(1)?, l.country = text(w)?),
                _ => ((), w.skip_as_value()?),
            };
            Some(())
        })?;
        Some(fits.then_some(location))
    })?;
    Some(location.flatten())
}

fn walk_target_resource<'a>(w: &mut Walk<'a>) -> Walked<TargetResource<'a>> {
    w.fields(|t: &mut TargetResource<'a>, seen, w, key| {
        match key {
            b"displayName" => (seen.first(0)?, t.display_name = w.lenient()?),
            b"userPrincipalName" => (seen.first(1)?, t.user_principal_name = w.lenient()?),
            b"type" => (seen.first(2)?, t.kind = w.lenient()?),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_initiated_by<'a>(w: &mut Walk<'a>) -> Walked<InitiatedBy<'a>> {
    w.fields(|i: &mut InitiatedBy<'a>, seen, w, key| {
        match key {
            b"user" => (seen.first(0)?, i.user = w.lenient_obj(walk_initiator)?),
            b"app" => (seen.first(1)?, i.app = w.lenient_obj(walk_initiator)?),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_initiator<'a>(w: &mut Walk<'a>) -> Walked<Initiator<'a>> {
    w.fields(|i: &mut Initiator<'a>, seen, w, key| {
        match key {
            b"userPrincipalName" => (seen.first(0)?, i.user_principal_name = w.lenient()?),
            b"displayName" => (seen.first(1)?, i.display_name = w.lenient()?),
            b"ipAddress" => (seen.first(2)?, i.ip_address = w.lenient()?),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

/// Whether the identity walk, where it reads `record`, reads the event serde reads with
/// only the identity kept (the property the `parse_record` fuzz target checks).
#[doc(hidden)]
pub fn identity_walk_agrees(record: &[u8]) -> bool {
    walk_agrees(record, walk_whole, finish, crate::Detail::Identity)
}

/// [`identity_walk_agrees`] for the record at the front of `rest` (a JSON array's rest),
/// with where it ends.
#[doc(hidden)]
pub fn identity_front_walk_agrees(rest: &str) -> bool {
    front_walk_agrees(rest, walk_record, finish, crate::Detail::Identity)
}

/// [`identity_walk_agrees`] with every field read (`ingest`, `hunt`).
#[doc(hidden)]
pub fn full_walk_agrees(record: &[u8]) -> bool {
    walk_agrees(record, walk_whole, finish, crate::Detail::Full)
}

/// [`identity_front_walk_agrees`] with every field read.
#[doc(hidden)]
pub fn full_front_walk_agrees(rest: &str) -> bool {
    front_walk_agrees(rest, walk_record, finish, crate::Detail::Full)
}

impl LogParser for EntraSignInParser {
    fn id(&self) -> SourceId {
        SourceId::EntraSignIn
    }

    fn csv_forms(&self) -> &'static [CsvForm] {
        CSV_FORMS
    }

    fn framing(&self, head: &[u8]) -> Framing {
        match (head.first(), first_key(head)) {
            (Some(b'['), _) => Framing::JsonArray,
            (_, Some(b"records")) => Framing::JsonRecordsField("records"),
            (_, Some(b"@odata.context" | b"value")) if contains(head, b"\"value\"") => {
                Framing::JsonRecordsField("value")
            }
            _ => {
                // One pretty-printed object (a single Graph response) vs one per line.
                let first_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
                if first_line.trim_ascii() == b"{" {
                    Framing::JsonDocument
                } else {
                    Framing::Lines
                }
            }
        }
    }

    fn sniff(&self, head: &[u8]) -> Confidence {
        let graph = contains(head, b"\"createdDateTime\"")
            && (contains(head, b"\"userPrincipalName\"") || contains(head, b"\"appDisplayName\""));
        let diagnostic = contains(head, b"Microsoft.aadiam");
        let analytics = contains(head, b"\"TimeGenerated\"")
            && (contains(head, b"\"UserPrincipalName\"") || contains(head, b"\"ResultType\""));
        match self.framing(head) {
            // Other JSON Lines sources parse as sign-ins only loosely: require Entra's keys.
            Framing::Lines if graph || diagnostic || analytics => sniff_json_lines(self, head),
            Framing::Lines => Confidence::NONE,
            _ if graph || diagnostic || analytics => Confidence(90),
            _ => Confidence::NONE,
        }
    }

    fn extra_columns(&self) -> &[String] {
        &EXTRA_COLUMNS
    }

    fn parse<'a>(&self, record: &'a [u8], out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        out.push(parse_record(record)?);
        Ok(())
    }

    fn parse_front<'a>(&self, rest: &'a str, out: &mut Vec<Event<'a>>) -> Option<usize> {
        front_walked_or_parsed(rest, walk_record, finish, out, true)
    }

    fn parse_line_front<'a>(&self, rest: &'a str, out: &mut Vec<Event<'a>>) -> Option<usize> {
        line_front_walked(rest, walk_record, finish, out)
    }

    fn reads_line_fronts(&self) -> bool {
        true
    }

    fn examples(&self) -> &'static [Example] {
        EXAMPLES
    }
}

static EXAMPLES: &[Example] = &[
    Example {
        title: "device-code sign-in, Azure Monitor diagnostic record (panther-analysis rule test, Apache-2.0)",
        record: r#"{"time":"2025-01-15 09:30:45.123","resourceId":"/tenants/tenant-123/providers/Microsoft.aadiam","operationName":"Sign-in activity","operationVersion":"1.0","category":"SignInLogs","tenantId":"tenant-123","durationMs":0,"callerIpAddress":"2.2.2.2","correlationId":"device-code-001","Level":"4","properties":{"userId":"user-victim-123","userPrincipalName":"aragorn@lotr.com","ipAddress":"2.2.2.2","authenticationProtocol":"deviceCode","appDisplayName":"Microsoft Authentication Broker","appId":"29d9ed98-a469-4536-ade2-f981bc1d605e","resourceDisplayName":"Microsoft Graph","isInteractive":true,"userAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/1.1.1.1","deviceDetail":{"deviceId":"device-attacker-456","operatingSystem":"Windows 10","browser":"Chrome 120"},"conditionalAccessAudiences":[{"applicationId":"29d9ed98-a469-4536-ade2-f981bc1d605e"},{"applicationId":"00000003-0000-0000-c000-111111111111"}]},"resultSignature":"SUCCESS","resultType":"0"}"#,
        expect: &[
            ("action", Some("sign_in")),
            ("principal", Some("aragorn@lotr.com")),
            ("src_ip", Some("2.2.2.2")),
            ("outcome", Some("success")),
            ("status", Some("0")),
            ("app", Some("Microsoft Authentication Broker")),
            ("target", Some("Microsoft Graph")),
            ("event_type", Some("SignInLogs")),
            ("session_id", Some("device-code-001")),
            ("parse_notes", Some("assumed_utc")),
        ],
    },
    Example {
        title: "service principal sign-in with lower-cased outer keys (panther-analysis rule test, Apache-2.0)",
        record: r#"{"calleripaddress":"12.12.12.12","category":"ServicePrincipalSignInLogs","correlationid":"e1f237ef-6548-4172-be79-03818c04c06e","durationms":0,"Level":"4","location":"IE","operationname":"Sign-in activity","operationversion":1,"p_event_time":"2023-07-26 23:00:20.889","p_log_type":"Azure.Audit","properties":{"appId":"cfceb902-8fab-4f8c-88ba-374d3c975c3a","authenticationProcessingDetails":[{"key":"Azure AD App Authentication Library","value":""}],"authenticationProtocol":"none","clientCredentialType":"none","conditionalAccessStatus":"notApplied","correlationId":"5889315c-c4ac-4807-99da-e17417eae786","createdDateTime":"2023-07-26 22:58:30.983201900","crossTenantAccessType":"none","flaggedForReview":false,"id":"36658c78-02d9-4d8f-84ee-5ca4a3fdefef","incomingTokenType":"none","ipAddress":"12.12.12.12","isInteractive":false,"isTenantRestricted":false,"location":{"city":"Dublin","countryOrRegion":"IE","geoCoordinates":{"latitude":51.35555555555555,"longitude":-5.244444444444444},"state":"Dublin"},"managedIdentityType":"none","processingTimeInMilliseconds":0,"resourceDisplayName":"Azure Storage","resourceId":"037694de-8c7d-498d-917d-edb650090fa5","resourceServicePrincipalId":"a225221f-8cc5-411a-9cc7-5e1394b8a5b8","riskDetail":"none","riskLevelAggregated":"low","riskLevelDuringSignIn":"low","riskState":"none","servicePrincipalId":"b1c34143-e405-4058-8e29-84596ad737b8","servicePrincipalName":"some-service-principal","status":{"errorCode":7000215},"tokenIssuerType":"AzureAD","uniqueTokenIdentifier":"NDDDDDDDDDDDDDDDDDD_DD"},"resourceid":"/tenants/c0dd2fa0-71be-4df8-b2a6-24cee7de069a/providers/Microsoft.aadiam","resultsignature":"None","resulttype":7000215,"tenantid":"a2aa49aa-2c0c-49d2-af87-f402c421df0b","time":"2023-07-26 23:00:20.889"}"#,
        expect: &[
            ("action", Some("sign_in.service_principal")),
            ("event_id", Some("36658c78-02d9-4d8f-84ee-5ca4a3fdefef")),
            ("provider_city", Some("Dublin")),
            ("provider_country", Some("IE")),
            ("risk", Some("during sign-in: low")),
            ("target", Some("Azure Storage")),
        ],
    },
];
