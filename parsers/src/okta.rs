//! Okta System Log `LogEvent`s: `/api/v1/logs` pages (JSON arrays), one object per line
//! (NDJSON, SIEM and warehouse exports), and EventBridge log-streaming envelopes
//! (`{"detail-type":"SystemLog","detail":{LogEvent}}`).
//!
//! The credential of an event is what an attacker would have stolen: the API token behind
//! an API request (`transaction.detail.requestApiTokenId`, an `00T…` id, never the SSWS
//! secret), else the browser session (`authenticationContext.externalSessionId`).

use std::borrow::Cow;

use serde::Deserialize;

use crate::csv_export::CsvForm;
use crate::error::{ParseError, ParseErrorKind};
use crate::event::{CallerKind, Credential, CredentialKind, Event, Outcome, notes};
use crate::framing::Framing;
use crate::json::walk::{
    Walk, Walked, front_walk_agrees, front_walked_or_parsed, line_front_walked, walk_agrees,
    walked_or_parsed,
};
use crate::json::{
    Elements, Flag, Str, contains, detail, detail_obj, detail_seq, lenient, lenient_number,
    lenient_obj, lenient_seq, sniff_json_lines,
};
use crate::parser::{Confidence, Example, LogParser};
use crate::secret::redact_query;
use crate::source::SourceId;
use crate::time::{Zone, rfc3339};

#[cfg(test)]
mod tests;

/// Parser for the Okta System Log.
pub struct OktaSystemLogParser;

// Aliases: warehouse exports lower-case the keys.
#[derive(Deserialize, Default)]
#[serde(default)]
struct LogEvent<'a> {
    #[serde(borrow, deserialize_with = "lenient")]
    uuid: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    published: Str<'a>,
    #[serde(
        rename = "eventType",
        alias = "eventtype",
        borrow,
        deserialize_with = "lenient"
    )]
    event_type: Str<'a>,
    #[serde(
        rename = "displayMessage",
        alias = "displaymessage",
        borrow,
        deserialize_with = "detail"
    )]
    display_message: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient_obj")]
    actor: Option<Entity<'a>>,
    #[serde(borrow, deserialize_with = "lenient_obj")]
    client: Option<Client<'a>>,
    #[serde(
        rename = "authenticationContext",
        alias = "authenticationcontext",
        borrow,
        deserialize_with = "lenient_obj"
    )]
    authentication_context: Option<AuthContext<'a>>,
    #[serde(
        rename = "securityContext",
        alias = "securitycontext",
        borrow,
        deserialize_with = "detail_obj"
    )]
    security_context: Option<SecurityContext<'a>>,
    #[serde(borrow, deserialize_with = "lenient_obj")]
    outcome: Option<OutcomeField<'a>>,
    #[serde(borrow, deserialize_with = "detail_seq")]
    target: Option<Vec<Entity<'a>>>,
    #[serde(borrow, deserialize_with = "lenient_obj")]
    transaction: Option<Transaction<'a>>,
    #[serde(
        rename = "debugContext",
        alias = "debugcontext",
        borrow,
        deserialize_with = "detail_obj"
    )]
    debug_context: Option<DebugContext<'a>>,
    #[serde(borrow, deserialize_with = "lenient_obj")]
    request: Option<Request<'a>>,
    /// EventBridge envelope: the LogEvent is here, read in the same pass as the envelope.
    #[serde(borrow, deserialize_with = "lenient_obj")]
    detail: Option<Box<LogEvent<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
/// An actor or a target: Okta describes both the same way.
struct Entity<'a> {
    #[serde(borrow, deserialize_with = "lenient")]
    id: Str<'a>,
    #[serde(rename = "type", borrow, deserialize_with = "lenient")]
    kind: Str<'a>,
    #[serde(
        rename = "alternateId",
        alias = "alternateid",
        borrow,
        deserialize_with = "lenient"
    )]
    alternate_id: Str<'a>,
    #[serde(
        rename = "displayName",
        alias = "displayname",
        borrow,
        deserialize_with = "lenient"
    )]
    display_name: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Client<'a> {
    #[serde(
        rename = "ipAddress",
        alias = "ipaddress",
        borrow,
        deserialize_with = "lenient"
    )]
    ip_address: Str<'a>,
    #[serde(
        rename = "userAgent",
        alias = "useragent",
        borrow,
        deserialize_with = "detail_obj"
    )]
    user_agent: Option<UserAgent<'a>>,
    #[serde(
        rename = "geographicalContext",
        alias = "geographicalcontext",
        borrow,
        deserialize_with = "detail_obj"
    )]
    geo: Option<Geo<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UserAgent<'a> {
    #[serde(
        rename = "rawUserAgent",
        alias = "rawuseragent",
        borrow,
        deserialize_with = "lenient"
    )]
    raw: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Geo<'a> {
    #[serde(borrow, deserialize_with = "lenient")]
    city: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    country: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuthContext<'a> {
    #[serde(
        rename = "externalSessionId",
        alias = "externalsessionid",
        borrow,
        deserialize_with = "lenient"
    )]
    external_session_id: Str<'a>,
    #[serde(
        rename = "rootSessionId",
        alias = "rootsessionid",
        borrow,
        deserialize_with = "lenient"
    )]
    root_session_id: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SecurityContext<'a> {
    #[serde(
        rename = "asNumber",
        alias = "asnumber",
        deserialize_with = "lenient_number"
    )]
    as_number: Option<u32>,
    #[serde(
        rename = "asOrg",
        alias = "asorg",
        borrow,
        deserialize_with = "lenient"
    )]
    as_org: Str<'a>,
    #[serde(rename = "isProxy", alias = "isproxy")]
    is_proxy: Flag,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OutcomeField<'a> {
    #[serde(borrow, deserialize_with = "lenient")]
    result: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    reason: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Transaction<'a> {
    #[serde(borrow, deserialize_with = "lenient_obj")]
    detail: Option<TransactionDetail<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TransactionDetail<'a> {
    #[serde(
        rename = "requestApiTokenId",
        alias = "requestapitokenid",
        borrow,
        deserialize_with = "lenient"
    )]
    request_api_token_id: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DebugContext<'a> {
    #[serde(
        rename = "debugData",
        alias = "debugdata",
        borrow,
        deserialize_with = "lenient_obj"
    )]
    debug_data: Option<DebugData<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DebugData<'a> {
    #[serde(
        rename = "requestUri",
        alias = "requesturi",
        borrow,
        deserialize_with = "lenient"
    )]
    request_uri: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    risk: Str<'a>,
    #[serde(
        rename = "threatSuspected",
        alias = "threatsuspected",
        borrow,
        deserialize_with = "lenient"
    )]
    threat_suspected: Str<'a>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Request<'a> {
    #[serde(
        rename = "ipChain",
        alias = "ipchain",
        borrow,
        deserialize_with = "lenient_seq"
    )]
    ip_chain: Option<Elements<ChainEntry<'a>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChainEntry<'a> {
    #[serde(borrow, deserialize_with = "lenient")]
    ip: Str<'a>,
}

/// Okta writes absent values as the string `"null"` in places (`client.zone`).
fn present(v: Str<'_>) -> Str<'_> {
    v.filter(|s| !s.is_empty() && s != "null" && s != "unknown")
}

fn outcome_of(result: Option<&str>) -> Outcome {
    // In any case, with no copy made to compare.
    let is = |word: &str| result.is_some_and(|r| r.eq_ignore_ascii_case(word));
    if is("SUCCESS") || is("ALLOW") {
        Outcome::Success
    } else if is("DENY") {
        Outcome::Denied
    } else if is("FAILURE") {
        Outcome::Failure
    } else {
        Outcome::Unknown
    }
}

/// Lineage of API tokens: their creation and revocation name the token in `target[]`.
fn lineage_of(event_type: &str) -> Option<&'static str> {
    Some(match event_type {
        "system.api_token.create" => "create_api_token",
        "system.api_token.revoke" => "revoke_api_token",
        "system.api_token.update" => "update_api_token",
        _ => return None,
    })
}

fn parse_event<'a>(record: &'a [u8]) -> Result<Event<'a>, ParseError> {
    walked_or_parsed(record, walk_record, unwrap, true)
}

/// A plain record read without serde (see `json::walk`): the fields [`LogEvent`] reads
/// with the detail of the parse in progress (the identity only, or every one), the others
/// stepped over. `None` for a record the walk leaves to serde (an EventBridge envelope
/// among them).
fn walk_record(text: &str) -> Walked<LogEvent<'_>> {
    Walk::new(text).whole(walk_event)
}

fn walk_event<'a>(w: &mut Walk<'a>, ev: &mut LogEvent<'a>) -> Walked<()> {
    w.fields_into(ev, |ev: &mut LogEvent<'a>, seen, w, key| {
        match key {
            b"uuid" => (seen.first(0)?, ev.uuid = w.lenient()?),
            b"published" => (seen.first(1)?, ev.published = w.lenient()?),
            b"eventType" | b"eventtype" => (seen.first(2)?, ev.event_type = w.lenient()?),
            b"actor" => (seen.first(3)?, ev.actor = w.lenient_obj(walk_entity)?),
            b"client" => (seen.first(4)?, ev.client = w.lenient_obj(walk_client)?),
            b"authenticationContext" | b"authenticationcontext" => (
                seen.first(5)?,
                ev.authentication_context = w.lenient_obj(walk_auth_context)?,
            ),
            b"outcome" => (seen.first(6)?, ev.outcome = w.lenient_obj(walk_outcome)?),
            b"transaction" => (
                seen.first(7)?,
                ev.transaction = w.lenient_obj(walk_transaction)?,
            ),
            b"request" => (seen.first(8)?, ev.request = w.lenient_obj(walk_request)?),
            // Not kept for the identity: stepped over then, but still fields (a second
            // one is an error to serde).
            b"displayMessage" | b"displaymessage" => (
                seen.first(9)?,
                ev.display_message = w.detail(Walk::lenient)?,
            ),
            b"securityContext" | b"securitycontext" => (
                seen.first(10)?,
                ev.security_context = w.detail(|w| w.lenient_obj(walk_security_context))?,
            ),
            b"target" => (
                seen.first(11)?,
                ev.target = w.detail(|w| w.lenient_seq(walk_entity))?,
            ),
            b"debugContext" | b"debugcontext" => (
                seen.first(12)?,
                ev.debug_context = w.detail(|w| w.lenient_obj(walk_debug_context))?,
            ),
            // An EventBridge envelope: serde reads the LogEvent inside.
            b"detail" => return None,
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

/// Whether the identity walk, where it reads `record`, reads the event serde reads with
/// only the identity kept (the property the `parse_record` fuzz target checks).
#[doc(hidden)]
pub fn identity_walk_agrees(record: &[u8]) -> bool {
    walk_agrees(record, walk_record, unwrap, crate::Detail::Identity)
}

/// [`identity_walk_agrees`] for the record at the front of `rest` (a JSON array's rest),
/// with where it ends.
#[doc(hidden)]
pub fn identity_front_walk_agrees(rest: &str) -> bool {
    front_walk_agrees(rest, walk_event, unwrap, crate::Detail::Identity)
}

/// [`identity_walk_agrees`] with every field read (`ingest`, `hunt`).
#[doc(hidden)]
pub fn full_walk_agrees(record: &[u8]) -> bool {
    walk_agrees(record, walk_record, unwrap, crate::Detail::Full)
}

/// [`identity_front_walk_agrees`] with every field read.
#[doc(hidden)]
pub fn full_front_walk_agrees(rest: &str) -> bool {
    front_walk_agrees(rest, walk_event, unwrap, crate::Detail::Full)
}

fn walk_entity<'a>(w: &mut Walk<'a>) -> Walked<Entity<'a>> {
    w.fields(|e: &mut Entity<'a>, seen, w, key| {
        match key {
            b"id" => (seen.first(0)?, e.id = w.lenient()?),
            b"type" => (seen.first(1)?, e.kind = w.lenient()?),
            b"alternateId" | b"alternateid" => (seen.first(2)?, e.alternate_id = w.lenient()?),
            b"displayName" | b"displayname" => (seen.first(3)?, e.display_name = w.lenient()?),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_client<'a>(w: &mut Walk<'a>) -> Walked<Client<'a>> {
    w.fields(|c: &mut Client<'a>, seen, w, key| {
        match key {
            b"ipAddress" | b"ipaddress" => (seen.first(0)?, c.ip_address = w.lenient()?),
            b"userAgent" | b"useragent" => (
                seen.first(1)?,
                c.user_agent = w.detail(|w| w.lenient_obj(walk_user_agent))?,
            ),
            b"geographicalContext" | b"geographicalcontext" => (
                seen.first(2)?,
                c.geo = w.detail(|w| w.lenient_obj(walk_geo))?,
            ),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_user_agent<'a>(w: &mut Walk<'a>) -> Walked<UserAgent<'a>> {
    w.fields(|u: &mut UserAgent<'a>, seen, w, key| {
        match key {
            b"rawUserAgent" | b"rawuseragent" => (seen.first(0)?, u.raw = w.lenient()?),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_geo<'a>(w: &mut Walk<'a>) -> Walked<Geo<'a>> {
    w.fields(|g: &mut Geo<'a>, seen, w, key| {
        match key {
            b"city" => (seen.first(0)?, g.city = w.lenient()?),
            b"country" => (seen.first(1)?, g.country = w.lenient()?),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_security_context<'a>(w: &mut Walk<'a>) -> Walked<SecurityContext<'a>> {
    w.fields(|c: &mut SecurityContext<'a>, seen, w, key| {
        match key {
            b"asNumber" | b"asnumber" => (seen.first(0)?, c.as_number = w.lenient_integer()?),
            b"asOrg" | b"asorg" => (seen.first(1)?, c.as_org = w.lenient()?),
            b"isProxy" | b"isproxy" => (seen.first(2)?, c.is_proxy = Flag(w.flag()?)),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_debug_context<'a>(w: &mut Walk<'a>) -> Walked<DebugContext<'a>> {
    w.fields(|c: &mut DebugContext<'a>, seen, w, key| {
        match key {
            b"debugData" | b"debugdata" => (
                seen.first(0)?,
                c.debug_data = w.lenient_obj(walk_debug_data)?,
            ),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_debug_data<'a>(w: &mut Walk<'a>) -> Walked<DebugData<'a>> {
    w.fields(|d: &mut DebugData<'a>, seen, w, key| {
        match key {
            b"requestUri" | b"requesturi" => (seen.first(0)?, d.request_uri = w.lenient()?),
            b"risk" => (seen.first(1)?, d.risk = w.lenient()?),
            b"threatSuspected" | b"threatsuspected" => {
                (seen.first(2)?, d.threat_suspected = w.lenient()?)
            }
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_auth_context<'a>(w: &mut Walk<'a>) -> Walked<AuthContext<'a>> {
    w.fields(|a: &mut AuthContext<'a>, seen, w, key| {
        match key {
            b"externalSessionId" | b"externalsessionid" => {
                (seen.first(0)?, a.external_session_id = w.lenient()?)
            }
            b"rootSessionId" | b"rootsessionid" => {
                (seen.first(1)?, a.root_session_id = w.lenient()?)
            }
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_outcome<'a>(w: &mut Walk<'a>) -> Walked<OutcomeField<'a>> {
    w.fields(|o: &mut OutcomeField<'a>, seen, w, key| {
        match key {
            b"result" => (seen.first(0)?, o.result = w.lenient()?),
            b"reason" => (seen.first(1)?, o.reason = w.lenient()?),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_transaction<'a>(w: &mut Walk<'a>) -> Walked<Transaction<'a>> {
    w.fields(|t: &mut Transaction<'a>, seen, w, key| {
        match key {
            b"detail" => (
                seen.first(0)?,
                t.detail = w.lenient_obj(walk_transaction_detail)?,
            ),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_transaction_detail<'a>(w: &mut Walk<'a>) -> Walked<TransactionDetail<'a>> {
    w.fields(|d: &mut TransactionDetail<'a>, seen, w, key| {
        match key {
            b"requestApiTokenId" | b"requestapitokenid" => {
                (seen.first(0)?, d.request_api_token_id = w.lenient()?)
            }
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_request<'a>(w: &mut Walk<'a>) -> Walked<Request<'a>> {
    w.fields(|r: &mut Request<'a>, seen, w, key| {
        match key {
            b"ipChain" | b"ipchain" => (
                seen.first(0)?,
                r.ip_chain = w.lenient_seq(walk_chain_entry)?,
            ),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn walk_chain_entry<'a>(w: &mut Walk<'a>) -> Walked<ChainEntry<'a>> {
    w.fields(|e: &mut ChainEntry<'a>, seen, w, key| {
        match key {
            b"ip" => (seen.first(0)?, e.ip = w.lenient()?),
            _ => ((), w.skip()?),
        };
        Some(())
    })
}

fn unwrap<'a>(ev: &mut LogEvent<'a>, out: &mut Event<'a>) -> Result<(), ParseError> {
    match &mut ev.detail {
        // EventBridge: the LogEvent inside.
        Some(detail) if ev.event_type.is_none() => unwrap(detail, out),
        _ => build(ev, out),
    }
}

/// The event of `ev`, into `out` (a default event: filled where it lies, not moved).
fn build<'a>(ev: &mut LogEvent<'a>, out: &mut Event<'a>) -> Result<(), ParseError> {
    let missing = |f| ParseError::new(ParseErrorKind::MissingField(f), 0);
    let ts_raw = ev.published.take().ok_or(missing("published"))?;
    let (ts, zone) = rfc3339(ts_raw.as_bytes())
        .map(|(_, v)| v)
        .map_err(|_| ParseError::new(ParseErrorKind::BadTimestamp, 0))?;
    let event_type = ev.event_type.take().ok_or(missing("eventType"))?;
    out.ts = ts;
    out.ts_raw = ts_raw;
    out.event_id = present(ev.uuid.take());
    if zone == Zone::AssumedUtc {
        out.notes |= notes::ASSUMED_UTC;
    }
    let service = &mut **out.service.insert(Box::default());
    service.event_type = ev.display_message.take();
    if let Some(actor) = ev.actor.take() {
        out.principal = present(actor.alternate_id)
            .or(present(actor.id))
            .or(present(actor.display_name));
    }
    if let Some(client) = ev.client.take() {
        out.src_ip = present(client.ip_address);
        out.user_agent = client.user_agent.and_then(|u| present(u.raw));
        if let Some(geo) = client.geo {
            service.provider_country = present(geo.country);
            service.provider_city = present(geo.city);
        }
    }
    let chain = ev
        .request
        .take()
        .and_then(|r| r.ip_chain)
        .unwrap_or_default();
    let mut chain = chain.into_iter().filter_map(|e| present(e.ip));
    if let Some(first) = chain.next() {
        // Most requests have one address in their chain: no list is made for it.
        if let Some(second) = chain.next() {
            let mut all = format!("{first}, {second}");
            for ip in chain {
                all.push_str(", ");
                all.push_str(&ip);
            }
            out.forwarded_for = Some(Cow::Owned(all));
        }
        out.src_ip = out.src_ip.take().or(Some(first));
    }
    if out.src_ip.is_some() {
        service.caller_kind = Some(CallerKind::Ip);
    }
    if let Some(sec) = ev.security_context.take() {
        service.provider_asn = sec.as_number;
        service.provider_as_org = present(sec.as_org);
        service.provider_proxy = sec.is_proxy.0;
    }
    if let Some(o) = ev.outcome.take() {
        out.outcome = outcome_of(o.result.as_deref());
        service.error_code = present(o.reason);
    }
    let session = ev
        .authentication_context
        .take()
        .and_then(|a| present(a.external_session_id).or(present(a.root_session_id)));
    out.session_id = session.clone();
    let api_token = ev
        .transaction
        .take()
        .and_then(|t| t.detail)
        .and_then(|d| present(d.request_api_token_id));
    out.credential = match (api_token, session) {
        (Some(id), _) => Some(Credential::Public {
            kind: CredentialKind::OktaApiToken,
            id,
        }),
        (None, Some(id)) => Some(Credential::Public {
            kind: CredentialKind::OktaSession,
            id,
        }),
        (None, None) => None,
    };
    let targets = ev.target.take().unwrap_or_default();
    let named: Vec<String> = targets
        .iter()
        .filter_map(|t| {
            let name = present(t.alternate_id.clone())
                .or(present(t.display_name.clone()))
                .or(present(t.id.clone()))?;
            Some(match t.kind.as_deref() {
                Some(kind) => format!("{kind} {name}"),
                None => name.into_owned(),
            })
        })
        .collect();
    service.app = targets
        .iter()
        .find(|t| t.kind.as_deref() == Some("AppInstance"))
        .and_then(|t| present(t.display_name.clone()).or(present(t.alternate_id.clone())));
    if let Some(lineage) = lineage_of(&event_type) {
        service.lineage = Some(lineage);
        service.child_credential = targets
            .iter()
            .find(|t| t.kind.as_deref() == Some("Token"))
            .and_then(|t| present(t.id.clone()))
            .map(|id| Credential::Public {
                kind: CredentialKind::OktaApiToken,
                id,
            });
    }
    let debug = ev.debug_context.take().and_then(|d| d.debug_data);
    out.target = match (named.is_empty(), &debug) {
        (false, _) => Some(Cow::Owned(named.join("; "))),
        (true, Some(d)) => d
            .request_uri
            .as_deref()
            .map(|u| Cow::Owned(redact_query(u).0.into_owned())),
        (true, None) => None,
    };
    if let Some(d) = debug {
        let threat = d.threat_suspected.as_deref() == Some("true");
        service.risk = match (present(d.risk), threat) {
            (Some(r), true) => Some(Cow::Owned(format!("{r}; threatSuspected"))),
            (Some(r), false) => Some(r),
            (None, true) => Some(Cow::Borrowed("threatSuspected")),
            (None, false) => None,
        };
    }
    out.action = Some(event_type);
    Ok(())
}

/// System Log exports flattened to one column per field, named by its path
/// (`actor.alternateId`, `client.ipAddress`, as SIEM and warehouse exports write them).
static CSV_FORMS: &[CsvForm] = &[CsvForm {
    name: "Okta System Log with dotted field columns (CSV)",
    signature: &[
        "uuid",
        "published",
        "eventtype",
        "actor.alternateid",
        "actor.id",
        "client.ipaddress",
        "displaymessage",
        "outcome.result",
        "authenticationcontext.externalsessionid",
        "transaction.id",
    ],
    min_signature: 3,
    labels: &[],
    embedded_record: None,
}];

impl LogParser for OktaSystemLogParser {
    fn csv_forms(&self) -> &'static [CsvForm] {
        CSV_FORMS
    }

    fn id(&self) -> SourceId {
        SourceId::OktaSystemLog
    }

    fn framing(&self, head: &[u8]) -> Framing {
        match head.first() {
            Some(b'[') => Framing::JsonArray,
            _ => Framing::Lines,
        }
    }

    fn sniff(&self, head: &[u8]) -> Confidence {
        let okta_keys = contains(head, b"\"eventType\"")
            && contains(head, b"\"published\"")
            && !contains(head, b"\"eventName\"");
        match self.framing(head) {
            Framing::JsonArray if okta_keys => Confidence(90),
            Framing::Lines => sniff_json_lines(self, head),
            _ => Confidence::NONE,
        }
    }

    fn parse<'a>(&self, record: &'a [u8], out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        out.push(parse_event(record)?);
        Ok(())
    }

    fn parse_front<'a>(&self, rest: &'a str, out: &mut Vec<Event<'a>>) -> Option<usize> {
        front_walked_or_parsed(rest, walk_event, unwrap, out, true)
    }

    fn parse_line_front<'a>(&self, rest: &'a str, out: &mut Vec<Event<'a>>) -> Option<usize> {
        line_front_walked(rest, walk_event, unwrap, out)
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
        title: "admin privilege granted, warehouse time format (panther-analysis rule test, Apache-2.0)",
        record: r#"{"uuid":"2a992f80-d1ad-4f62-900e-8c68bb72a21b","published":"2020-11-25 21:27:03.496000000","eventType":"user.account.privilege.grant","version":"0","severity":"INFO","legacyEventType":"core.user.admin_privilege.granted","displayMessage":"Grant user privilege","actor":{"id":"00uu1uuuuIlllaaaa356","type":"User","alternateId":"jack@acme.io","displayName":"Jack Naglieri"},"client":{"userAgent":{"browser":"CHROME","os":"Mac OS X","rawUserAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/86.0.4240.198 Safari/537.36"},"geographicalContext":{"geolocation":{"lat":37.7852,"lon":-122.3874},"city":"San Francisco","state":"California","country":"United States","postalCode":"94105"},"zone":"null","ipAddress":"136.24.229.58","device":"Computer"},"request":{},"outcome":{"result":"SUCCESS"},"target":[{"id":"00u6eup97mAJZWYmP357","type":"User","alternateId":"alice@acme.io","displayName":"Alice Green"}],"transaction":{},"debugContext":{"debugData":{"privilegeGranted":"Organization administrator, Application administrator (all)","requestUri":"/api/internal/administrators/00u6eu8c68bb72a21b57","threatSuspected":"false","url":"/api/internal/administrators/00u6eu8c68bb72a21b57","requestId":"X777JJ9sssQQHHrrrQTyYQAABBE"}},"authenticationContext":{},"securityContext":{}}"#,
        expect: &[
            ("ts", Some("1606339623496000000")),
            ("parse_notes", Some("assumed_utc")),
            ("event_id", Some("2a992f80-d1ad-4f62-900e-8c68bb72a21b")),
            ("action", Some("user.account.privilege.grant")),
            ("principal", Some("jack@acme.io")),
            ("src_ip", Some("136.24.229.58")),
            ("outcome", Some("success")),
            ("provider_city", Some("San Francisco")),
            ("provider_country", Some("United States")),
        ],
    },
    Example {
        title: "a request made with an API token (panther-analysis rule test, Apache-2.0)",
        record: r#"{"actor":{"alternateId":"jim.kalafut@panther.com","displayName":"Jim Kalafut","id":"00u99ped55av2JpGs5d7","type":"User"},"authenticationContext":{"authenticationStep":0,"externalSessionId":"trsxcsf59kYRG-GwAbWjw-PZA"},"client":{"device":"Unknown","ipAddress":"11.22.33.44","userAgent":{"browser":"UNKNOWN","os":"Unknown","rawUserAgent":"Go-http-client/2.0"},"zone":"null"},"debugContext":{"debugData":{"dtHash":"53dd1a7513e0256eb13b9a47bb07ed61e8ca3d35fbdc36c909567a21a65a2b19","rateLimitBucketUuid":"b192d91c-b242-36da-9332-d97a5579f865","rateLimitScopeType":"ORG","rateLimitSecondsToReset":"6","requestId":"234cf34e0081e025e1fe14224464bbd6","requestUri":"/api/v1/logs","threshold":"20","timeSpan":"1","timeUnit":"MINUTES","url":"/api/v1/logs?since=2023-09-21T17%3A04%3A22Z&limit=1000&after=1714675441520_1","userId":"00u99ped55av2JpGs5d7","warningPercent":"60"}},"displayMessage":"Rate limit warning","eventType":"system.org.rate_limit.warning","legacyEventType":"core.framework.ratelimit.warning","outcome":{"result":"SUCCESS"},"published":"2024-05-02 18:46:21.121000000","request":{"ipChain":[{"ip":"11.22.33.44","version":"V4"}]},"securityContext":{},"severity":"WARN","target":[{"id":"/api/v1/logs","type":"URL Pattern"},{"id":"b192d91c-b242-36da-9332-d97a5579f865","type":"Bucket Uuid"}],"transaction":{"detail":{"requestApiTokenId":"00T1bjatrp6Nl1dOc5d7"},"id":"234cf34e0081e025e1fe14224464bbd6","type":"WEB"},"uuid":"44aeb388-08b4-11ef-9cec-73ffcb6f9fdd","version":"0"}"#,
        expect: &[
            ("credential", Some("okta_api_token:00T1bjatrp6Nl1dOc5d7")),
            ("session_id", Some("trsxcsf59kYRG-GwAbWjw-PZA")),
            ("principal", Some("jim.kalafut@panther.com")),
            ("action", Some("system.org.rate_limit.warning")),
            ("user_agent", Some("Go-http-client/2.0")),
            ("event_id", Some("44aeb388-08b4-11ef-9cec-73ffcb6f9fdd")),
        ],
    },
    Example {
        title: "a session with the provider's network context (panther-analysis rule test, Apache-2.0)",
        record: r#"{"actor":{"alternateId":"casey.hill@hey.com","displayName":"Casey Hill","id":"00ubewfku1EX0WCFk697","type":"User"},"authenticationContext":{"authenticationStep":0,"externalSessionId":"idxvF50v_5sT2-GOA7_K0Amyw"},"client":{"device":"Computer","geographicalContext":{"city":"Atlanta","country":"United States","geolocation":{"lat":33.9794,"lon":-84.3459},"postalCode":"30350","state":"Georgia"},"ipAddress":"99.108.5.25","userAgent":{"browser":"CHROME","os":"Mac OS 14.4.1 (Sonoma)","rawUserAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36"},"zone":"null"},"debugContext":{"debugData":{"authnRequestId":"5167029d2c8308348d651c0be650230f","dtHash":"f23be3b6d8bfd69c14e0d1b33e790b84fa5358eab0a09a1058816ad65d633da4","oktaUserAgentExtended":"okta-auth-js/7.0.1 okta-signin-widget-7.16.1","origin":"https://trial-2340039.okta.com","requestId":"601b158a3b3e23be5bbf74d0fe63cd78","requestUri":"/idp/idx/challenge/answer","threatSuspected":"false","url":"/idp/idx/challenge/answer?"}},"displayMessage":"User login to Okta","eventType":"user.session.start","legacyEventType":"core.user_auth.login_success","outcome":{"result":"SUCCESS"},"published":"2024-04-02 19:17:37.621000000","request":{"ipChain":[{"geographicalContext":{"city":"Atlanta","country":"United States","geolocation":{"lat":33.9794,"lon":-84.3459},"postalCode":"30350","state":"Georgia"},"ip":"99.108.5.25","version":"V4"}]},"securityContext":{"asNumber":7018,"asOrg":"at&t corp.","domain":"sbcglobal.net","isProxy":false,"isp":"att services inc"},"severity":"INFO","target":[{"alternateId":"unknown","displayName":"Password","id":"lae1at5k3ir9bV1gr697","type":"AuthenticatorEnrollment"},{"alternateId":"Okta Dashboard","displayName":"Okta Dashboard","id":"0oabewfkt83T8ve1o697","type":"AppInstance"}],"transaction":{"detail":{},"id":"601b158a3b3e23be5bbf74d0fe63cd78","type":"WEB"},"uuid":"aac560bd-f125-11ee-9caa-cd5d09945def","version":"0"}"#,
        expect: &[
            ("action", Some("user.session.start")),
            ("provider_asn", Some("7018")),
            ("provider_as_org", Some("at&t corp.")),
            ("provider_proxy", Some("false")),
            ("credential", Some("okta_session:idxvF50v_5sT2-GOA7_K0Amyw")),
            ("outcome", Some("success")),
        ],
    },
];
