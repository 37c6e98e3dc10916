//! Auth0 tenant logs: Management API pages (JSON arrays, newest first) and log-stream
//! output (one object per line, with or without the `{"log_id":…,"data":{…}}` wrapper).
//!
//! Each event type code becomes a normalised action and outcome (see [`event_type`]);
//! unknown codes pass through as their code. The credential is what was used: the
//! Management API token (`jti`), the application of a client-credentials grant, or the
//! refresh-token family (client and user) of a refresh-token exchange.

use std::borrow::Cow;

use serde::Deserialize;

use crate::error::{ParseError, ParseErrorKind};
use crate::event::{CallerKind, Credential, CredentialKind, Event, Outcome, notes};
use crate::framing::Framing;
use crate::json::walk::{
    Seen, Walk, Walked, front_walk_agrees, front_walked_or_parsed, line_front_walked, walk_agrees,
    walked_or_parsed,
};
use crate::json::{
    Str, contains, detail, detail_obj, lenient, lenient_number, lenient_obj, non_empty,
    sniff_json_lines,
};
use crate::parser::{Confidence, Example, LogParser};
use crate::secret::redact_query;
use crate::source::SourceId;
use crate::time::{Zone, rfc3339};

#[cfg(test)]
mod tests;

/// Parser for Auth0 tenant logs.
pub struct Auth0Parser;

#[derive(Deserialize, Default)]
#[serde(default)]
struct LogEvent<'a> {
    #[serde(borrow, deserialize_with = "lenient")]
    date: Str<'a>,
    #[serde(rename = "type", borrow, deserialize_with = "lenient")]
    kind: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    log_id: Str<'a>,
    #[serde(rename = "_id", borrow, deserialize_with = "lenient")]
    underscore_id: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    client_id: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    client_name: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    ip: Str<'a>,
    #[serde(borrow, deserialize_with = "detail")]
    user_agent: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    user_id: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    user_name: Str<'a>,
    #[serde(borrow, deserialize_with = "detail")]
    connection: Str<'a>,
    #[serde(borrow, deserialize_with = "detail")]
    audience: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient_obj")]
    details: Option<Details<'a>>,
    #[serde(borrow, deserialize_with = "detail_obj")]
    location_info: Option<Location<'a>>,
    /// Log-stream wrapper: the event is here, read in the same pass as the wrapper (as a
    /// raw value it was scanned twice: once skipped, once parsed).
    #[serde(borrow, deserialize_with = "lenient_obj")]
    data: Option<Box<LogEvent<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Details<'a> {
    #[serde(borrow, deserialize_with = "lenient_obj")]
    request: Option<DetailsRequest<'a>>,
    #[serde(deserialize_with = "lenient_obj")]
    response: Option<DetailsResponse>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DetailsRequest<'a> {
    #[serde(borrow, deserialize_with = "detail")]
    method: Str<'a>,
    #[serde(borrow, deserialize_with = "detail")]
    path: Str<'a>,
    #[serde(rename = "userAgent", borrow, deserialize_with = "detail")]
    user_agent: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient_obj")]
    auth: Option<Auth<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Auth<'a> {
    #[serde(borrow, deserialize_with = "lenient_obj")]
    credentials: Option<AuthCredentials<'a>>,
    #[serde(borrow, deserialize_with = "lenient")]
    strategy: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuthCredentials<'a> {
    #[serde(borrow, deserialize_with = "lenient")]
    jti: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DetailsResponse {
    #[serde(rename = "statusCode", deserialize_with = "lenient_number")]
    status_code: Option<i32>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Location<'a> {
    #[serde(borrow, deserialize_with = "lenient")]
    country_code: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    country_name: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    city_name: Str<'a>,
}

/// What a credential-bearing event type uses as its credential.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Uses {
    Nothing,
    Client,
    RefreshToken,
    ManagementToken,
}

/// Auth0's event type code → (normalised action, outcome, credential used). Codes not in
/// the table keep their code as action, with the outcome of their first letter.
fn event_type(code: &str) -> (&'static str, Outcome, Uses) {
    use Outcome::{Denied, Failure, Success, Unknown};
    use Uses::{Client, ManagementToken, Nothing, RefreshToken};
    match code {
        "s" => ("login", Success, Nothing),
        "f" => ("login", Failure, Nothing),
        "fp" => ("login.wrong_password", Denied, Nothing),
        "fu" => ("login.unknown_user", Denied, Nothing),
        "fcpro" => ("login.connection_provisioning", Failure, Nothing),
        "ssa" => ("silent_auth", Success, Nothing),
        "fsa" => ("silent_auth", Failure, Nothing),
        "slo" => ("logout", Success, Nothing),
        "flo" => ("logout", Failure, Nothing),
        "seacft" => ("token_exchange.authorization_code", Success, Client),
        "feacft" => ("token_exchange.authorization_code", Failure, Client),
        "seccft" => ("token_exchange.client_credentials", Success, Client),
        "feccft" => ("token_exchange.client_credentials", Failure, Client),
        "sertft" => ("token_exchange.refresh_token", Success, RefreshToken),
        "fertft" => ("token_exchange.refresh_token", Failure, RefreshToken),
        "sepft" => ("token_exchange.password", Success, Client),
        "fepft" => ("token_exchange.password", Failure, Client),
        "sede" => ("token_exchange.device_code", Success, Client),
        "fede" => ("token_exchange.device_code", Failure, Client),
        "seoobft" => ("token_exchange.mfa_oob", Success, Client),
        "feoobft" => ("token_exchange.mfa_oob", Failure, Client),
        "seotpft" => ("token_exchange.mfa_otp", Success, Client),
        "feotpft" => ("token_exchange.mfa_otp", Failure, Client),
        "sercft" => ("token_exchange.mfa_recovery_code", Success, Client),
        "fercft" => ("token_exchange.mfa_recovery_code", Failure, Client),
        "srrt" => ("refresh_token.revoke", Success, RefreshToken),
        // Real logs describe `ferrt` as "Unsuccessful Refresh Token exchange, reused refresh
        // token detected": a failed rotating-refresh-token exchange, not a revocation.
        "ferrt" => (
            "token_exchange.rotating_refresh_token",
            Failure,
            RefreshToken,
        ),
        "sapi" => ("management_api", Success, ManagementToken),
        "fapi" => ("management_api", Failure, ManagementToken),
        "mgmt_api_read" => ("management_api.read_secrets", Success, ManagementToken),
        "api_limit" => ("rate_limit", Denied, Nothing),
        "limit_wc" => ("blocked.ip", Denied, Nothing),
        "limit_mu" => ("blocked.ip_multiple_users", Denied, Nothing),
        "limit_sul" => ("blocked.user_per_ip", Denied, Nothing),
        "pwd_leak" => ("breached_password", Denied, Nothing),
        "signup_pwd_leak" => ("signup.breached_password", Denied, Nothing),
        "reset_pwd_leak" => ("password_reset.breached_password", Denied, Nothing),
        "scoa" => ("cross_origin_auth", Success, Nothing),
        "fcoa" => ("cross_origin_auth", Failure, Nothing),
        "fco" => ("cors", Denied, Nothing),
        "ss" => ("signup", Success, Nothing),
        "fs" => ("signup", Failure, Nothing),
        "scp" => ("change_password", Success, Nothing),
        "fcp" => ("change_password", Failure, Nothing),
        "scpr" => ("change_password.request", Success, Nothing),
        "fcpr" => ("change_password.request", Failure, Nothing),
        "sce" => ("change_email", Success, Nothing),
        "fce" => ("change_email", Failure, Nothing),
        "du" => ("delete_user", Success, Nothing),
        "fdu" => ("delete_user", Failure, Nothing),
        "sv" => ("verify_email", Success, Nothing),
        "fv" => ("verify_email", Failure, Nothing),
        "w" => ("warning", Unknown, Nothing),
        "depnote" => ("deprecation_notice", Unknown, Nothing),
        "sdu" => ("delete_user", Success, Nothing),
        "gd_send_pn" => ("mfa.push_sent", Success, Nothing),
        "gd_send_sms" => ("mfa.sms_sent", Success, Nothing),
        "gd_auth_succeed" => ("mfa.auth", Success, Nothing),
        "gd_auth_failed" => ("mfa.auth", Failure, Nothing),
        "gd_auth_rejected" => ("mfa.auth_rejected", Denied, Nothing),
        "gd_enrollment_complete" => ("mfa.enrollment", Success, Nothing),
        "gd_unenroll" => ("mfa.unenroll", Success, Nothing),
        "gd_recovery_succeed" => ("mfa.recovery", Success, Nothing),
        "gd_recovery_failed" => ("mfa.recovery", Failure, Nothing),
        "gd_otp_rate_limit_exceed" => ("mfa.otp_rate_limit", Denied, Nothing),
        "gd_tenant_update" => ("mfa.tenant_update", Success, Nothing),
        _ if code.starts_with('s') => ("", Success, Nothing),
        _ if code.starts_with('f') => ("", Failure, Nothing),
        _ => ("", Unknown, Nothing),
    }
}

fn parse_event<'a>(record: &'a [u8]) -> Result<Event<'a>, ParseError> {
    walked_or_parsed(record, walk_record, finish, true)
}

/// A plain record read without serde (see `json::walk`): the fields [`LogEvent`] reads
/// with the detail of the parse in progress (the identity only, or every one), the others
/// stepped over; `None` for a record the walk leaves to serde.
fn walk_record(text: &str) -> Walked<LogEvent<'_>> {
    Walk::new(text).whole(walk_top)
}

fn walk_top<'a>(w: &mut Walk<'a>, ev: &mut LogEvent<'a>) -> Walked<()> {
    w.fields_into(ev, walk_field)
}

/// The log-stream wrapper's `data`: the event inside.
fn walk_event<'a>(w: &mut Walk<'a>) -> Walked<Box<LogEvent<'a>>> {
    let mut ev = Box::<LogEvent<'a>>::default();
    walk_top(w, &mut ev)?;
    Some(ev)
}

fn walk_field<'a>(
    ev: &mut LogEvent<'a>,
    seen: &mut Seen,
    w: &mut Walk<'a>,
    key: &'a [u8],
) -> Walked<()> {
    match key {
        b"date" => (seen.first(0)?, ev.date = w.lenient()?),
        b"type" => (seen.first(1)?, ev.kind = w.lenient()?),
        b"log_id" => (seen.first(2)?, ev.log_id = w.lenient()?),
        b"_id" => (seen.first(3)?, ev.underscore_id = w.lenient()?),
        b"client_id" => (seen.first(4)?, ev.client_id = w.lenient()?),
        b"client_name" => (seen.first(5)?, ev.client_name = w.lenient()?),
        b"ip" => (seen.first(6)?, ev.ip = w.lenient()?),
        b"user_id" => (seen.first(8)?, ev.user_id = w.lenient()?),
        b"user_name" => (seen.first(9)?, ev.user_name = w.lenient()?),
        b"details" => (seen.first(12)?, ev.details = w.lenient_obj(walk_details)?),
        b"data" => (seen.first(14)?, ev.data = w.lenient_obj(walk_event)?),
        // Not kept for the identity: stepped over then, but still fields (a second one
        // is an error to serde).
        b"user_agent" => (seen.first(7)?, ev.user_agent = w.detail(Walk::lenient)?),
        b"connection" => (seen.first(10)?, ev.connection = w.detail(Walk::lenient)?),
        b"audience" => (seen.first(11)?, ev.audience = w.detail(Walk::lenient)?),
        b"location_info" => (
            seen.first(13)?,
            ev.location_info = w.detail(|w| w.lenient_obj(walk_location))?,
        ),
        _ => ((), w.skip()?),
    };
    Some(())
}

fn walk_details<'a>(w: &mut Walk<'a>) -> Walked<Details<'a>> {
    w.fields(|d: &mut Details<'a>, seen, w, key| {
        match key {
            b"request" => (seen.first(0)?, d.request = w.lenient_obj(walk_request)?),
            b"response" => (seen.first(1)?, d.response = w.lenient_obj(walk_response)?),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_request<'a>(w: &mut Walk<'a>) -> Walked<DetailsRequest<'a>> {
    w.fields(|r: &mut DetailsRequest<'a>, seen, w, key| {
        match key {
            b"method" => (seen.first(0)?, r.method = w.detail(Walk::lenient)?),
            b"path" => (seen.first(1)?, r.path = w.detail(Walk::lenient)?),
            b"userAgent" => (seen.first(2)?, r.user_agent = w.detail(Walk::lenient)?),
            b"auth" => (seen.first(3)?, r.auth = w.lenient_obj(walk_auth)?),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_location<'a>(w: &mut Walk<'a>) -> Walked<Location<'a>> {
    w.fields(|l: &mut Location<'a>, seen, w, key| {
        match key {
            b"country_code" => (seen.first(0)?, l.country_code = w.lenient()?),
            b"country_name" => (seen.first(1)?, l.country_name = w.lenient()?),
            b"city_name" => (seen.first(2)?, l.city_name = w.lenient()?),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_auth<'a>(w: &mut Walk<'a>) -> Walked<Auth<'a>> {
    w.fields(|a: &mut Auth<'a>, seen, w, key| {
        match key {
            b"credentials" => (
                seen.first(0)?,
                a.credentials = w.lenient_obj(walk_credentials)?,
            ),
            b"strategy" => (seen.first(1)?, a.strategy = w.lenient()?),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_credentials<'a>(w: &mut Walk<'a>) -> Walked<AuthCredentials<'a>> {
    w.fields(|c: &mut AuthCredentials<'a>, seen, w, key| {
        match key {
            b"jti" => (seen.first(0)?, c.jti = w.lenient()?),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_response(w: &mut Walk<'_>) -> Walked<DetailsResponse> {
    w.fields(|r: &mut DetailsResponse, seen, w, key| {
        match key {
            b"statusCode" => (seen.first(0)?, r.status_code = w.lenient_integer()?),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

/// Whether the identity walk, where it reads `record`, reads the event serde reads with
/// only the identity kept (the property the `parse_record` fuzz target checks).
#[doc(hidden)]
pub fn identity_walk_agrees(record: &[u8]) -> bool {
    walk_agrees(record, walk_record, finish, crate::Detail::Identity)
}

/// [`identity_walk_agrees`] with every field read (`ingest`, `hunt`).
#[doc(hidden)]
pub fn full_walk_agrees(record: &[u8]) -> bool {
    walk_agrees(record, walk_record, finish, crate::Detail::Full)
}

/// [`identity_front_walk_agrees`] with every field read.
#[doc(hidden)]
pub fn full_front_walk_agrees(rest: &str) -> bool {
    front_walk_agrees(rest, walk_top, finish, crate::Detail::Full)
}

/// [`identity_walk_agrees`] for the record at the front of `rest` (a JSON array's rest),
/// with where it ends.
#[doc(hidden)]
pub fn identity_front_walk_agrees(rest: &str) -> bool {
    front_walk_agrees(rest, walk_top, finish, crate::Detail::Identity)
}

/// A record read (by the walk or by serde) made an event.
fn finish<'a>(ev: &mut LogEvent<'a>, out: &mut Event<'a>) -> Result<(), ParseError> {
    if ev.kind.is_none()
        && let Some(data) = &mut ev.data
    {
        // Log-stream wrapper `{"log_id":…,"data":{…}}`: the event is inside.
        finish(data, out)?;
        if out.event_id.is_none() {
            out.event_id = non_empty(ev.log_id.take());
        }
        return Ok(());
    }
    build(ev, out)
}

/// The event of `ev`, into `out` (a default event: filled where it lies, not moved).
fn build<'a>(ev: &mut LogEvent<'a>, out: &mut Event<'a>) -> Result<(), ParseError> {
    let missing = |f| ParseError::new(ParseErrorKind::MissingField(f), 0);
    let ts_raw = ev.date.take().ok_or(missing("date"))?;
    let (ts, zone) = rfc3339(ts_raw.as_bytes())
        .map(|(_, v)| v)
        .map_err(|_| ParseError::new(ParseErrorKind::BadTimestamp, 0))?;
    let code = ev.kind.take().ok_or(missing("type"))?;
    if ev.log_id.is_none() && ev.underscore_id.is_none() && ev.client_id.is_none() {
        return Err(missing("log_id"));
    }
    let (action, outcome, uses) = event_type(&code);
    out.ts = ts;
    out.ts_raw = ts_raw;
    out.event_id = non_empty(ev.log_id.take()).or(non_empty(ev.underscore_id.take()));
    out.outcome = outcome;
    if zone == Zone::AssumedUtc {
        out.notes |= notes::ASSUMED_UTC;
    }
    out.action = Some(match action {
        "" => code.clone(),
        a => Cow::Borrowed(a),
    });
    let client = non_empty(ev.client_id.take());
    let user = non_empty(ev.user_name.clone()).or(non_empty(ev.user_id.clone()));
    // A machine-to-machine application acting on its own: no person in the record.
    let machine = user.is_none() && client.is_some();
    out.principal = match uses {
        // A machine-to-machine application's own calls (its tokens by client credentials, the
        // Management API calls made with them) are the application's.
        Uses::Client | Uses::ManagementToken if user.is_none() => {
            non_empty(ev.client_name.clone()).or(client.clone())
        }
        _ => user,
    };
    out.src_ip = non_empty(ev.ip.take());
    let caller_kind = out.src_ip.as_ref().map(|_| CallerKind::Ip);
    let service = &mut **out.service.insert(Box::default());
    service.event_type = Some(code);
    service.app = non_empty(ev.client_name.take()).or(client.clone());
    service.caller_kind = caller_kind;
    let request = ev.details.as_ref().and_then(|d| d.request.as_ref());
    out.user_agent = request
        .and_then(|r| non_empty(r.user_agent.clone()))
        .or(non_empty(ev.user_agent.take()));
    out.status = ev
        .details
        .as_ref()
        .and_then(|d| d.response.as_ref())
        .and_then(|r| r.status_code);
    let jti = request
        .and_then(|r| r.auth.as_ref())
        .and_then(|a| a.credentials.as_ref())
        .and_then(|c| non_empty(c.jti.clone()));
    out.credential = match uses {
        // A token an application got by client credentials is the application's secret at
        // work: the application is the credential (what a leak exposes and what is
        // rotated), the token its session. A person's token (the dashboard's) is theirs.
        Uses::ManagementToken if machine => {
            out.session_id = jti;
            client.clone().map(|id| Credential::Public {
                kind: CredentialKind::Auth0Client,
                id,
            })
        }
        Uses::ManagementToken => jti.map(|id| Credential::Public {
            kind: CredentialKind::Auth0ManagementToken,
            id,
        }),
        Uses::Client => client.clone().map(|id| Credential::Public {
            kind: CredentialKind::Auth0Client,
            id,
        }),
        Uses::RefreshToken => client.clone().map(|c| Credential::Public {
            kind: CredentialKind::Auth0RefreshToken,
            id: match non_empty(ev.user_id.clone()) {
                Some(u) => Cow::Owned(format!("{c}:{u}")),
                None => c,
            },
        }),
        Uses::Nothing => None,
    };
    out.target = match request.and_then(|r| non_empty(r.path.clone())) {
        Some(path) => {
            let method = request
                .and_then(|r| r.method.as_deref())
                .map(str::to_ascii_uppercase);
            let path = redact_query(&path).0.into_owned();
            Some(Cow::Owned(match method {
                Some(m) => format!("{m} {path}"),
                None => path,
            }))
        }
        None => non_empty(ev.audience.take()).or(non_empty(ev.connection.take())),
    };
    if let Some(loc) = ev.location_info.take() {
        service.provider_country = non_empty(loc.country_code).or(non_empty(loc.country_name));
        service.provider_city = non_empty(loc.city_name);
    }
    Ok(())
}

impl LogParser for Auth0Parser {
    fn id(&self) -> SourceId {
        SourceId::Auth0
    }

    fn framing(&self, head: &[u8]) -> Framing {
        match head.first() {
            Some(b'[') => Framing::JsonArray,
            _ => Framing::Lines,
        }
    }

    fn sniff(&self, head: &[u8]) -> Confidence {
        match self.framing(head) {
            Framing::JsonArray => {
                let keys = contains(head, b"\"date\"")
                    && contains(head, b"\"type\"")
                    && (contains(head, b"\"log_id\"") || contains(head, b"\"_id\""))
                    && contains(head, b"\"client_id\"");
                if keys {
                    Confidence(90)
                } else {
                    Confidence::NONE
                }
            }
            _ => sniff_json_lines(self, head),
        }
    }

    fn parse<'a>(&self, record: &'a [u8], out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        out.push(parse_event(record)?);
        Ok(())
    }

    fn parse_front<'a>(&self, rest: &'a str, out: &mut Vec<Event<'a>>) -> Option<usize> {
        front_walked_or_parsed(rest, walk_top, finish, out, true)
    }

    fn parse_line_front<'a>(&self, rest: &'a str, out: &mut Vec<Event<'a>>) -> Option<usize> {
        line_front_walked(rest, walk_top, finish, out)
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
        title: "Management API call, log-stream wrapper (panther-analysis rule test, Apache-2.0)",
        record: r#"{"data":{"client_id":"1HXWWGKk1Zj3JF8GvMrnCSirccDs4qvr","client_name":"","date":"2025-10-03 14:09:32.149000000","description":"Update Suspicious IP Throttling settings","details":{"request":{"auth":{"credentials":{"jti":"0000000000ecaf1bfbadb06900d22049"},"strategy":"jwt","user":{"email":"denethor@lotr.com","name":"Homer Simpson","user_id":"google-oauth2|105261262156475850461"}},"body":{"enabled":true},"channel":"https://manage.auth0.com/","ip":"12.12.12.12","method":"post","path":"/v2/attack-protection/suspicious-ip-throttling","query":{},"userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/1.2.3.4 Safari/537.36"},"response":{"body":{"enabled":false},"statusCode":200}},"ip":"12.12.12.12","log_id":"90020230523204756343781000000000000001223372037583230452","type":"sapi","user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/1.2.3.4 Safari/537.36","user_id":"google-oauth2|105261262156475850461"},"log_id":"90020230523204756343781000000000000001223372037583230452","p_any_ip_addresses":["12.12.12.12"],"p_any_usernames":["google-oauth2|105261262156475850461"],"p_event_time":"2023-05-23 20:47:51.149","p_log_type":"Auth0.Events","p_parse_time":"2023-05-23 20:49:28.671","p_row_id":"00000000004a745ce33b57be383c543e","p_schema_version":0,"p_source_id":"b9031579-b2c5-45c2-b15c-632b995a4e36","p_source_label":"Org Auth0 Tenant Label"}"#,
        expect: &[
            (
                "event_id",
                Some("90020230523204756343781000000000000001223372037583230452"),
            ),
            ("action", Some("management_api")),
            ("event_type", Some("sapi")),
            ("outcome", Some("success")),
            (
                "credential",
                Some("auth0_management_token:0000000000ecaf1bfbadb06900d22049"),
            ),
            ("principal", Some("google-oauth2|105261262156475850461")),
            (
                "target",
                Some("POST /v2/attack-protection/suspicious-ip-throttling"),
            ),
            ("status", Some("200")),
            ("src_ip", Some("12.12.12.12")),
            ("parse_notes", Some("assumed_utc")),
        ],
    },
    Example {
        title: "a failed refresh-token operation (panther-analysis rule test, Apache-2.0)",
        record: r#"{"data":{"client_id":"1HXWWGKk1Zj3JF8GvMrnCSirccDs4qvr","client_name":"","date":"2025-10-03 14:09:32.149000000","description":"Unsuccessful Refresh Token exchange, reused refresh token detected","details":{"request":{"auth":{"credentials":{"jti":"0000000000ecaf1bfbadb06900d22049"},"strategy":"jwt","user":{"email":"denethor@lotr.com","name":"Homer Simpson","user_id":"google-oauth2|105261262156475850461"}},"body":{"enabled":true},"channel":"https://manage.auth0.com/","ip":"12.12.12.12","method":"post","path":"/v2/attack-protection/token-reuse","query":{},"userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/1.2.3.4 Safari/537.36"},"response":{"body":{"policy":false,"password_reset_policy":false,"passwordless_policy":false},"statusCode":200}},"ip":"12.12.12.12","log_id":"90020230523204756343781000000000000001223372037583230452","type":"ferrt","user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/1.2.3.4 Safari/537.36","user_id":"google-oauth2|105261262156475850461"},"log_id":"90020230523204756343781000000000000001223372037583230452","p_any_ip_addresses":["12.12.12.12"],"p_any_usernames":["google-oauth2|105261262156475850461"],"p_event_time":"2023-05-23 20:47:51.149","p_log_type":"Auth0.Events","p_parse_time":"2023-05-23 20:49:28.671","p_row_id":"00000000004a745ce33b57be383c543e","p_schema_version":0,"p_source_id":"b9031579-b2c5-45c2-b15c-632b995a4e36","p_source_label":"Org Auth0 Tenant Label"}"#,
        expect: &[
            ("event_type", Some("ferrt")),
            ("outcome", Some("failure")),
            ("action", Some("token_exchange.rotating_refresh_token")),
            (
                "credential",
                Some(
                    "auth0_refresh_token:1HXWWGKk1Zj3JF8GvMrnCSirccDs4qvr:google-oauth2|105261262156475850461",
                ),
            ),
        ],
    },
    Example {
        title: "an IP blocked after failed logins (panther-analysis rule test, Apache-2.0)",
        record: r#"{"log_id":"90020250930212349746493000000000000001223372122436618809","data":{"date":"2025-09-30 21:23:49.689000000","type":"limit_wc","description":"User (john@justice.org) attempted 10 consecutive logins unsuccessfully. Brute force protection is enabled for this connection, further attempts are blocked from this IP address for this user.","connection":"Username-Password-Authentication","connection_id":"con_BvGURiLLdngYaT0D","client_id":"11Qpq1o8fbGgnZuFJnQCyjuC1ll8YFt0","ip":"1.2.3.4","hostname":"auth.clientdomain.com","user_id":"","user_name":"john@justice.org","log_id":"90020250930212349746493000000000000001223372122436618809","user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"}}"#,
        expect: &[
            ("action", Some("blocked.ip")),
            ("outcome", Some("denied")),
            ("credential", None),
        ],
    },
];
