//! nginx `error.log`: `YYYY/MM/DD HH:MM:SS [level] PID#TID: *CID message, client: IP,
//! server: NAME, request: "GET / HTTP/1.1", upstream: "…", host: "…", referrer: "…"`.
//!
//! The time has no zone (server local time): it is read as UTC and the event says so
//! (`assumed_utc`). The request, when logged, gives the action, the target and the
//! credential exactly as in the access log (`limiting requests`, `access forbidden`, an
//! upstream timing out for a stolen token all show here). A multi-line message (FastCGI
//! stderr, Lua tracebacks) continues on lines that do not start with a date: those are
//! counted as records and carry no event of their own.

use std::borrow::Cow;

use crate::error::{ParseError, ParseErrorKind};
use crate::event::{Event, Outcome, ServiceFields, notes};
use crate::framing::{Framing, lines};
use crate::nginx::request_fields;
use crate::parser::{Confidence, Example, LogParser};
use crate::secret::{redact_query, redact_text};
use crate::source::SourceId;
use crate::text::RecordText;
use crate::time::civil_to_utc_nanos;

#[cfg(test)]
mod tests;

pub struct NginxErrorParser;

/// `YYYY/MM/DD HH:MM:SS` at the start of a line.
fn timestamp(b: &[u8]) -> Option<i64> {
    if b.len() < 19
        || b[4] != b'/'
        || b[7] != b'/'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    civil_to_utc_nanos(
        i64::from(num(0..4)?),
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
        0,
    )
}

const LEVELS: &[&str] = &[
    "debug", "info", "notice", "warn", "error", "crit", "alert", "emerg",
];

/// The value of `key` (`, name: `) in the context part: quoted values end at their
/// closing quote, bare ones at the next `, `.
fn context<'t>(rest: &'t str, key: &str) -> Option<&'t str> {
    let at = rest.rfind(key)? + key.len();
    let value = rest.get(at..)?;
    if let Some(quoted) = value.strip_prefix('"') {
        let end = quoted.find('"')?;
        quoted.get(..end)
    } else {
        Some(value.split(", ").next().unwrap_or(value))
    }
}

/// The action of an event without a request: its level, as `error_log.LEVEL`.
fn level_action(level: &str) -> &'static str {
    match level {
        "debug" => "error_log.debug",
        "info" => "error_log.info",
        "notice" => "error_log.notice",
        "warn" => "error_log.warn",
        "error" => "error_log.error",
        "crit" => "error_log.crit",
        "alert" => "error_log.alert",
        _ => "error_log.emerg",
    }
}

/// At most the first `n` characters of `text`.
fn first_chars(text: &str, n: usize) -> &str {
    match text.char_indices().nth(n) {
        Some((cut, _)) => text.get(..cut).unwrap_or(text),
        None => text,
    }
}

impl LogParser for NginxErrorParser {
    fn id(&self) -> SourceId {
        SourceId::NginxError
    }

    fn framing(&self, _head: &[u8]) -> Framing {
        Framing::Lines
    }

    fn sniff(&self, head: &[u8]) -> Confidence {
        let mut dated = 0u32;
        let mut total = 0u32;
        for line in lines(head).filter(|l| !l.bytes.is_empty()).take(33) {
            total += 1;
            let b = line.bytes;
            if timestamp(b).is_some() && b.get(19..21) == Some(b" [") {
                dated += 1;
            }
        }
        if dated == 0 {
            return Confidence::NONE;
        }
        // Continuation lines of multi-line messages are not evidence against.
        Confidence(if dated * 2 >= total { 95 } else { 60 })
    }

    fn parse<'a>(&self, record: &'a [u8], out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        let Some(ts) = timestamp(record) else {
            // A continuation of the message above (FastCGI stderr, a traceback).
            return Ok(());
        };
        let rt = RecordText::new(record);
        let ts_raw = rt.field(&record[..19]);
        // Fields borrow the record when it is UTF-8 (every line nginx writes for a
        // request it could read); a line with invalid bytes is read lossily, and its
        // fields copied out of that text.
        let ev = match rt.field(&record[19..]) {
            Cow::Borrowed(text) => event_of(ts, ts_raw, text, Cow::Borrowed)?,
            Cow::Owned(text) => event_of(ts, ts_raw, &text, |s| Cow::Owned(s.to_string()))?,
        };
        out.push(ev);
        Ok(())
    }

    fn examples(&self) -> &'static [Example] {
        EXAMPLES
    }
}

/// The event of a dated line: `text` is the line after its time, `keep` makes a field of
/// it.
fn event_of<'a, 't>(
    ts: i64,
    ts_raw: Cow<'a, str>,
    text: &'t str,
    keep: impl Fn(&'t str) -> Cow<'a, str>,
) -> Result<Event<'a>, ParseError> {
    let bad = |kind| ParseError::new(kind, 19);
    let level_start = text
        .find('[')
        .ok_or(bad(ParseErrorKind::MissingField("level")))?;
    let level_end = text
        .find(']')
        .ok_or(bad(ParseErrorKind::MissingField("level")))?;
    let level = text.get(level_start + 1..level_end).unwrap_or("");
    if !LEVELS.contains(&level) {
        return Err(bad(ParseErrorKind::MissingField("level")));
    }
    // `PID#TID: *CID message` or `PID#TID: message`.
    let after = text.get(level_end + 1..).unwrap_or("").trim_start();
    let (worker, message) = match after.split_once(": ") {
        Some((pid, msg)) if pid.contains('#') => (Some(pid), msg),
        _ => (None, after),
    };
    let (connection, message) = match message.strip_prefix('*') {
        Some(m) => match m.split_once(' ') {
            Some((cid, msg)) => (Some(cid), msg),
            None => (None, m),
        },
        None => (None, message),
    };
    let what = message.split(", client: ").next().unwrap_or(message);
    let mut ev = Event {
        ts,
        ts_raw,
        outcome: match level {
            "error" | "crit" | "alert" | "emerg" => Outcome::Error,
            _ => Outcome::Unknown,
        },
        ..Event::default()
    };
    ev.notes |= notes::ASSUMED_UTC;
    // The worker process and its connection number: every message about one client
    // connection shares it, as the `session_id` of the event.
    ev.session_id = match (worker, connection) {
        (Some(w), Some(c)) => Some(Cow::Owned(format!("{w} *{c}"))),
        (Some(w), None) => Some(keep(w)),
        _ => None,
    };
    ev.src_ip = context(text, ", client: ").map(&keep);
    ev.host = context(text, ", host: ")
        .or(context(text, ", server: "))
        .map(&keep);
    ev.referer = context(text, ", referrer: ").map(|r| match redact_query(r) {
        (Cow::Borrowed(_), _) => keep(r),
        (Cow::Owned(red), _) => Cow::Owned(red),
    });
    match context(text, ", request: ") {
        Some(req) => request_fields(&mut ev, keep(req)),
        None => ev.action = Some(Cow::Borrowed(level_action(level))),
    }
    // The message says what went wrong; a token in it is redacted.
    let error_code = match redact_text(what) {
        Cow::Borrowed(_) => keep(first_chars(what, 300)),
        Cow::Owned(red) => Cow::Owned(first_chars(&red, 300).to_string()),
    };
    ev.service = Some(Box::new(ServiceFields {
        event_type: Some(keep(level)),
        error_code: Some(error_code),
        ..ServiceFields::default()
    }));
    Ok(ev)
}

static EXAMPLES: &[Example] = &[Example {
    title: "a request refused by limit_req, with the token in the query (redacted)",
    record: r#"2026/03/04 01:07:12 [error] 8123#8123: *4821 limiting requests, excess: 20.500 by zone "api", client: 81.2.69.166, server: api.example.com, request: "GET /api/v1/users?page=9&access_token=tt_live_4f9KQ2mXb7Lr0pZs8VwE1nYc HTTP/1.1", host: "api.example.com""#,
    expect: &[
        ("ts_raw", Some("2026/03/04 01:07:12")),
        ("src_ip", Some("81.2.69.166")),
        ("action", Some("GET /api/v1/users")),
        ("target", Some("/api/v1/users?page=9&access_token=REDACTED")),
        ("host", Some("api.example.com")),
        ("session_id", Some("8123#8123 *4821")),
        ("outcome", Some("error")),
        ("parse_notes", Some("assumed_utc")),
    ],
}];
