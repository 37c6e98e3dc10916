//! nginx access logs written as JSON, one object per line: a `log_format … escape=json
//! '{"time":"$time_iso8601","remote_addr":"$remote_addr",…}'`. The keys are the author's
//! choice, so the usual names of each variable are accepted (`remote_addr`, `client_ip`,
//! `ip`; `request` or `request_method` + `request_uri`; …).
//!
//! Lines written without `escape=json` (an old habit) hold `\xHH` escapes, and an unquoted
//! variable that is `-` leaves `"key":-`; both are invalid JSON, so a failed line is
//! repaired once (`\xHH` → `\u00HH`, `:-` → `:null`) and parsed again.

use std::borrow::Cow;

use serde::Deserialize;

use crate::error::{ParseError, ParseErrorKind};
use crate::event::{Credential, CredentialKind, Event, Outcome, notes};
use crate::framing::Framing;
use crate::json::{Str, contains, lenient, lenient_number, parse_object, sniff_json_lines};
use crate::nginx::request_fields;
use crate::parser::{Confidence, Example, LogParser};
use crate::secret::{Secret, redact_query};
use crate::source::SourceId;
use crate::time::{clf_timestamp, rfc3339};

#[cfg(test)]
mod tests;

/// Parser for nginx JSON access logs.
pub struct NginxJsonParser;

/// The variables of one access-log line, by their nginx names (JSON keys here; fields of a
/// compiled `log_format` in `nginx_format.rs`).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct Line<'a> {
    #[serde(
        alias = "timestamp",
        alias = "@timestamp",
        alias = "time_iso8601",
        borrow,
        deserialize_with = "lenient"
    )]
    pub(crate) time: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    pub(crate) time_local: Str<'a>,
    #[serde(deserialize_with = "number_text")]
    pub(crate) msec: Option<String>,
    #[serde(
        alias = "client_ip",
        alias = "clientip",
        alias = "ip",
        alias = "remote_ip",
        borrow,
        deserialize_with = "lenient"
    )]
    pub(crate) remote_addr: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    pub(crate) remote_user: Str<'a>,
    #[serde(borrow, deserialize_with = "lenient")]
    pub(crate) request: Str<'a>,
    #[serde(alias = "method", borrow, deserialize_with = "lenient")]
    pub(crate) request_method: Str<'a>,
    #[serde(alias = "uri", alias = "path", borrow, deserialize_with = "lenient")]
    pub(crate) request_uri: Str<'a>,
    #[serde(alias = "query_string", borrow, deserialize_with = "lenient")]
    pub(crate) args: Str<'a>,
    #[serde(alias = "server_protocol", borrow, deserialize_with = "lenient")]
    pub(crate) protocol: Str<'a>,
    #[serde(deserialize_with = "lenient_number")]
    pub(crate) status: Option<f64>,
    #[serde(alias = "bytes_sent", deserialize_with = "lenient_number")]
    pub(crate) body_bytes_sent: Option<f64>,
    #[serde(
        alias = "referer",
        alias = "referrer",
        borrow,
        deserialize_with = "lenient"
    )]
    pub(crate) http_referer: Str<'a>,
    #[serde(
        alias = "user_agent",
        alias = "useragent",
        borrow,
        deserialize_with = "lenient"
    )]
    pub(crate) http_user_agent: Str<'a>,
    #[serde(
        alias = "x_forwarded_for",
        alias = "xff",
        borrow,
        deserialize_with = "lenient"
    )]
    pub(crate) http_x_forwarded_for: Str<'a>,
    #[serde(
        alias = "http_host",
        alias = "server_name",
        borrow,
        deserialize_with = "lenient"
    )]
    pub(crate) host: Str<'a>,
    #[serde(alias = "authorization", borrow, deserialize_with = "lenient")]
    pub(crate) http_authorization: Str<'a>,
}

/// A number's text as written (`1772582832.250`), so that seconds with a fraction are
/// read exactly, not through a float.
fn number_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) => Some(s.trim().to_string()),
        _ => None,
    })
}

/// `$msec`: epoch seconds with a fraction, as UTC nanoseconds.
fn epoch_seconds(text: &str) -> Option<i64> {
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    let secs: i64 = secs.parse().ok()?;
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos: i64 = format!("{frac:0<9}").parse().ok()?;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

pub(crate) fn present(v: Str<'_>) -> Str<'_> {
    v.filter(|s| !s.is_empty() && s != "-")
}

/// Make a line written without `escape=json` parseable: `\xHH` → `\u00HH`, and a bare
/// `-` value → `null`. `None` when there is nothing to repair.
fn repair(record: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(record);
    let fixed = text
        .replace("\\x", "\\u00")
        .replace(":-,", ":null,")
        .replace(":-}", ":null}");
    (fixed != text).then_some(fixed)
}

fn timestamp<'a>(line: &Line<'a>) -> Result<(i64, Cow<'a, str>), ParseError> {
    let bad = || ParseError::new(ParseErrorKind::BadTimestamp, 0);
    if let Some(t) = present(line.time_local.clone()) {
        let (_, ts) = clf_timestamp(t.as_bytes()).map_err(|_| bad())?;
        return Ok((ts, t));
    }
    if let Some(t) = present(line.time.clone()) {
        let (_, (ts, _)) = rfc3339(t.as_bytes()).map_err(|_| bad())?;
        return Ok((ts, t));
    }
    match &line.msec {
        Some(text) => {
            let ts = epoch_seconds(text).filter(|ts| *ts > 0).ok_or_else(bad)?;
            Ok((ts, Cow::Owned(text.clone())))
        }
        None => Err(ParseError::new(ParseErrorKind::MissingField("time"), 0)),
    }
}

pub(crate) fn build(line: Line<'_>) -> Result<Event<'_>, ParseError> {
    let mut ev = Event::default();
    build_into(line, &mut ev)?;
    Ok(ev)
}

/// [`build`] into an event already in place (a compiled `log_format` fills the output
/// vector's last slot: moving an event through a `Result` cost a tenth of its parse).
pub(crate) fn build_into<'a>(line: Line<'a>, ev: &mut Event<'a>) -> Result<(), ParseError> {
    let missing = |f| ParseError::new(ParseErrorKind::MissingField(f), 0);
    let (ts, ts_raw) = timestamp(&line)?;
    let status = line.status.ok_or(missing("status"))?;
    ev.ts = ts;
    ev.ts_raw = ts_raw;
    ev.status = Some(status as i32);
    ev.outcome = Outcome::from_http_status(status as u16);
    ev.bytes = line.body_bytes_sent.map(|b| b.max(0.0) as u64);
    ev.principal = present(line.remote_user);
    ev.host = present(line.host);
    ev.user_agent = present(line.http_user_agent);
    let request = match (
        present(line.request),
        present(line.request_method),
        present(line.request_uri),
    ) {
        (Some(r), _, _) => r,
        (None, Some(m), Some(u)) => {
            let query = present(line.args)
                .map(|a| format!("?{a}"))
                .unwrap_or_default();
            let uri = if u.contains('?') {
                u.into_owned()
            } else {
                format!("{u}{query}")
            };
            Cow::Owned(match present(line.protocol) {
                Some(p) => format!("{m} {uri} {p}"),
                None => format!("{m} {uri}"),
            })
        }
        _ => return Err(missing("request")),
    };
    request_fields(ev, request);
    let chain = present(line.http_x_forwarded_for);
    ev.src_ip = present(line.remote_addr);
    if ev.src_ip.is_none() {
        return Err(missing("remote_addr"));
    }
    ev.forwarded_for = chain;
    ev.referer = present(line.http_referer).map(|r| match redact_query(&r) {
        (Cow::Borrowed(_), _) => r,
        (Cow::Owned(red), _) => Cow::Owned(red),
    });
    authorization_credential(ev, present(line.http_authorization));
    Ok(())
}

/// A logged Authorization header: its token is the credential (a secret), when the
/// request named none.
pub(crate) fn authorization_credential<'a>(ev: &mut Event<'a>, auth: Str<'a>) {
    if ev.credential.is_none()
        && let Some(auth) = auth
    {
        let (kind, token) = match auth.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                (CredentialKind::BearerToken, token)
            }
            _ => (CredentialKind::BearerToken, auth.as_ref()),
        };
        ev.credential = Some(Credential::Secret {
            kind,
            value: Secret::new(token.trim().as_bytes().to_vec()),
        });
    }
}

fn parse_line(record: &[u8]) -> Result<Event<'_>, ParseError> {
    match parse_object::<Line<'_>>(record) {
        Ok(line) => build(line),
        Err(e) if e.kind == ParseErrorKind::BadJson => match repair(record) {
            Some(fixed) => {
                let line: Line<'_> = parse_object(fixed.as_bytes()).map_err(|_| e)?;
                let mut ev = build(line)?.into_owned();
                ev.notes |= notes::REPAIRED_JSON;
                Ok(ev)
            }
            None => Err(e),
        },
        Err(e) => Err(e),
    }
}

impl LogParser for NginxJsonParser {
    fn id(&self) -> SourceId {
        SourceId::NginxJson
    }

    fn framing(&self, _head: &[u8]) -> Framing {
        Framing::Lines
    }

    fn sniff(&self, head: &[u8]) -> Confidence {
        let access_keys = (contains(head, b"\"remote_addr\"") || contains(head, b"\"client_ip\""))
            && (contains(head, b"\"request\"")
                || contains(head, b"\"request_uri\"")
                || contains(head, b"\"uri\""))
            && contains(head, b"\"status\"");
        if access_keys {
            sniff_json_lines(self, head)
        } else {
            Confidence::NONE
        }
    }

    fn parse<'a>(&self, record: &'a [u8], out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        out.push(parse_line(record)?);
        Ok(())
    }

    fn examples(&self) -> &'static [Example] {
        EXAMPLES
    }
}

static EXAMPLES: &[Example] = &[Example {
    title: "escape=json log_format with $time_iso8601 and string-typed numbers",
    record: r#"{"time":"2026-03-04T01:07:12+01:00","remote_addr":"81.2.69.166","remote_user":"-","request":"GET /api/v1/me?access_token=tt_live_4f9KQ2mXb7Lr0pZs8VwE1nYc HTTP/1.1","status":"200","body_bytes_sent":"412","http_referer":"-","http_user_agent":"python-requests/2.31.0","http_x_forwarded_for":"-","request_time":"0.004"}"#,
    expect: &[
        ("ts", Some("1772582832000000000")),
        ("src_ip", Some("81.2.69.166")),
        ("action", Some("GET /api/v1/me")),
        ("target", Some("/api/v1/me?access_token=REDACTED")),
        ("credential", Some("<secret url_token>")),
        ("status", Some("200")),
        ("bytes", Some("412")),
        ("principal", None),
        ("user_agent", Some("python-requests/2.31.0")),
    ],
}];
