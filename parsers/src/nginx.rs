//! nginx access logs in the predefined `combined` and `common` formats and their common
//! extensions (`main` with a trailing `"$http_x_forwarded_for"`, a leading `$host`, an
//! X-Forwarded-For list logged in place of `$remote_addr`, extra trailing fields).
//!
//! The line grammar is written as nom parsers over bytes; scanning for delimiters uses
//! memchr, which is what keeps this above 1 GB/s per core.

use std::borrow::Cow;
use std::net::IpAddr;

use nom::IResult;

use crate::error::{ParseError, ParseErrorKind};
use crate::event::{Credential, CredentialKind, Event, Outcome, notes};
use crate::framing::{Framing, lines};
use crate::parser::{Confidence, Example, LogParser};
use crate::secret::{Secret, find_token_shape, redact_query, redact_text, redact_token_shapes};
use crate::source::SourceId;
use crate::text::{RecordText, Text, dash_is_none};
use crate::time::clf_timestamp;

#[cfg(test)]
mod tests;

/// Parser for nginx access logs (combined, common and their usual extensions).
pub struct NginxParser;

impl LogParser for NginxParser {
    fn id(&self) -> SourceId {
        SourceId::Nginx
    }

    fn framing(&self, _head: &[u8]) -> Framing {
        Framing::Lines
    }

    fn sniff(&self, head: &[u8]) -> Confidence {
        let first = head.iter().position(|b| !b.is_ascii_whitespace());
        if matches!(first.map(|i| head[i]), Some(b'{' | b'[') | None) {
            return Confidence::NONE;
        }
        line_share(head, &|line| self.parse(line, &mut Vec::new()).is_ok())
    }

    fn parse<'a>(&self, record: &'a [u8], out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        let result = parse_into(record, Event::push_default(out));
        if result.is_err() {
            out.pop();
        }
        result
    }

    fn examples(&self) -> &'static [Example] {
        EXAMPLES
    }
}

/// Confidence that `head` is lines of a format: the share of its first non-blank lines (up
/// to 33) that `parses` reads. The head may end inside its last line: a failing last line
/// is not evidence.
pub(crate) fn line_share(head: &[u8], parses: &dyn Fn(&[u8]) -> bool) -> Confidence {
    let mut ok = 0u32;
    let mut bad = 0u32;
    let mut tried = lines(head)
        .filter(|l| !l.bytes.is_empty())
        .take(33)
        .peekable();
    while let Some(line) = tried.next() {
        let last = tried.peek().is_none();
        match parses(line.bytes) {
            true => ok += 1,
            false if last && ok + bad > 0 => {}
            false => bad += 1,
        }
    }
    if ok == 0 {
        return Confidence::NONE;
    }
    Confidence((ok * 100 / (ok + bad)).min(100) as u8)
}

type Res<'a, T> = IResult<&'a [u8], T, LineError<'a>>;

/// A nom error that carries our closed set of kinds; the offset is derived from the
/// remaining input at the top.
#[derive(Debug)]
struct LineError<'a> {
    input: &'a [u8],
    kind: ParseErrorKind,
}

impl<'a> nom::error::ParseError<&'a [u8]> for LineError<'a> {
    fn from_error_kind(input: &'a [u8], _kind: nom::error::ErrorKind) -> Self {
        LineError {
            input,
            kind: ParseErrorKind::TrailingGarbage,
        }
    }

    fn append(_: &'a [u8], _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

fn fail<T>(input: &[u8], kind: ParseErrorKind) -> Res<'_, T> {
    Err(nom::Err::Error(LineError { input, kind }))
}

/// Expect a literal, failing with `kind`.
fn expect<'a>(lit: &'static str, kind: ParseErrorKind) -> impl Fn(&'a [u8]) -> Res<'a, ()> {
    move |input| match input.strip_prefix(lit.as_bytes()) {
        Some(rest) => Ok((rest, ())),
        None => fail(input, kind),
    }
}

/// A quoted field's content, whether it holds a backslash (so needs unescaping), and
/// whether its closing quote was found.
#[derive(Copy, Clone)]
struct Quoted<'a> {
    content: &'a [u8],
    escaped: bool,
    closed: bool,
}

/// The end of a quoted field's content: the first `"` (not escaped by `\`) for which
/// `closes` accepts the bytes after it; `None` when the line ends first. Also says
/// whether a backslash was seen, which saves a second scan to decide on unescaping.
fn quoted_end(input: &[u8], closes: impl Fn(&[u8]) -> bool) -> (Option<usize>, bool) {
    let mut pos = 0;
    let mut escaped = false;
    while let Some(i) = memchr::memchr2(b'"', b'\\', &input[pos..]) {
        let at = pos + i;
        if input[at] == b'\\' {
            escaped = true;
            pos = at + 2;
            if pos >= input.len() {
                return (None, escaped);
            }
            continue;
        }
        if closes(&input[at + 1..]) {
            return (Some(at), escaped);
        }
        pos = at + 1;
    }
    (None, escaped)
}

/// A quoted field: its content runs to the first unescaped `"` that `closes` accepts.
/// `truncated_ok` keeps a field that runs to the end of the line (a cut last field) instead
/// of failing with `UnterminatedQuote`.
fn quoted_field<'a>(
    input: &'a [u8],
    field: &'static str,
    closes: impl Fn(&[u8]) -> bool,
    truncated_ok: bool,
) -> Res<'a, Quoted<'a>> {
    let (input, ()) = expect("\"", ParseErrorKind::MissingField(field))(input)?;
    let (end, escaped) = match quoted_end(input, closes) {
        (Some(end), escaped) => (end, escaped),
        (None, escaped) if truncated_ok => (input.len(), escaped),
        (None, _) => return fail(input, ParseErrorKind::UnterminatedQuote),
    };
    let closed = end < input.len();
    let rest = if closed {
        &input[end + 1..]
    } else {
        &input[end..]
    };
    Ok((
        rest,
        Quoted {
            content: &input[..end],
            escaped,
            closed,
        },
    ))
}

/// A quoted field whose closing quote is followed by a space or the end of the line.
fn quoted(input: &[u8]) -> Res<'_, Quoted<'_>> {
    let space_or_end = |after: &[u8]| matches!(after.first(), None | Some(b' '));
    quoted_field(input, "quoted field", space_or_end, true)
}

/// The quoted request line: its closing quote is followed by ` <status>`, which lets a
/// raw `"` inside a hostile URI (`escape=none`, Apache) stay inside the field.
fn request(input: &[u8]) -> Res<'_, Quoted<'_>> {
    let status_follows =
        |after: &[u8]| after.first() == Some(&b' ') && after.get(1).is_some_and(u8::is_ascii_digit);
    quoted_field(input, "request", status_follows, false)
}

fn number<'a>(input: &'a [u8], field: &'static str) -> Res<'a, Option<u64>> {
    if let Some(rest) = input.strip_prefix(b"-")
        && matches!(rest.first(), None | Some(b' '))
    {
        return Ok((rest, None));
    }
    // A digit loop beats memchr on fields this short.
    let mut v = 0u64;
    let mut n = 0;
    for &b in input {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        v = v.wrapping_mul(10).wrapping_add(u64::from(d));
        n += 1;
    }
    let ends = matches!(input.get(n), None | Some(b' '));
    if n == 0 || n > 19 || !ends {
        return fail(input, ParseErrorKind::BadField(field));
    }
    Ok((&input[n..], Some(v)))
}

/// `[$time_local]`
fn time_local(input: &[u8]) -> Res<'_, (&[u8], i64)> {
    let (after_bracket, ()) = expect("[", ParseErrorKind::MissingField("time_local"))(input)?;
    let Ok((rest, ts)) = clf_timestamp(after_bracket) else {
        return fail(after_bracket, ParseErrorKind::BadTimestamp);
    };
    let raw = &after_bracket[..after_bracket.len() - rest.len()];
    let (rest, ()) = expect("]", ParseErrorKind::BadTimestamp)(rest)?;
    Ok((rest, (raw, ts)))
}

/// The client part before `[`: `[$host ]$remote_addr $ident $remote_user `, where the
/// address may be a comma-separated list or preceded by a quoted forwarded-for list.
struct ClientPart<'a> {
    host: Option<&'a [u8]>,
    addresses: &'a [u8],
    forwarded: Option<&'a [u8]>,
    remote_user: Option<&'a [u8]>,
}

/// Where `byte` first is in `field`, a field of a few bytes (an address, a user): a loop
/// the compiler inlines, where memchr's call and set-up for fewer than 32 bytes cost more
/// than the search (its path for short haystacks was 6% of `credentials` on the nginx
/// bench, docs/performance.md).
#[inline(always)]
fn find_in_short(byte: u8, field: &[u8]) -> Option<usize> {
    field.iter().position(|&c| c == byte)
}

/// [`find_in_short`] from the end.
#[inline(always)]
fn rfind_in_short(byte: u8, field: &[u8]) -> Option<usize> {
    field.iter().rposition(|&c| c == byte)
}

fn client_part(prefix: &[u8]) -> Option<ClientPart<'_>> {
    let prefix = prefix.strip_suffix(b" ")?;
    let user_sp = rfind_in_short(b' ', prefix)?;
    let remote_user = dash_is_none(&prefix[user_sp + 1..]);
    let before_user = &prefix[..user_sp];
    let ident_sp = rfind_in_short(b' ', before_user)?;
    let addr_part = &before_user[..ident_sp];
    if addr_part.is_empty() {
        return None;
    }
    if let Some(open) = find_in_short(b'"', addr_part) {
        // `[$host ]"$http_x_forwarded_for" $remote_addr`
        let host = match open {
            0 => None,
            _ => Some(addr_part[..open].strip_suffix(b" ")?),
        };
        let quoted = &addr_part[open + 1..];
        let close = memchr::memchr(b'"', quoted)?;
        let forwarded = &quoted[..close];
        let addresses = quoted[close + 1..].strip_prefix(b" ")?;
        return Some(ClientPart {
            host,
            addresses,
            forwarded: Some(forwarded),
            remote_user,
        });
    }
    // Tokens separated by a space not preceded by a comma belong to different fields:
    // `[$host ][$http_x_forwarded_for ]$remote_addr`, where a list has ", " inside.
    let mut groups: [&[u8]; 3] = [b""; 3];
    let mut n = 0;
    let mut start = 0;
    for i in (0..addr_part.len()).filter(|&i| addr_part[i] == b' ') {
        if i > 0 && addr_part[i - 1] != b',' {
            if n == 2 {
                return None;
            }
            groups[n] = &addr_part[start..i];
            n += 1;
            start = i + 1;
        }
    }
    groups[n] = &addr_part[start..];
    let is_list = |g: &[u8]| find_in_short(b',', g).is_some();
    let (host, forwarded, addresses) = match n {
        0 => (None, None, groups[0]),
        1 if is_list(groups[0]) => (None, Some(groups[0]), groups[1]),
        1 => (Some(groups[0]), None, groups[1]),
        _ => (Some(groups[0]), Some(groups[1]), groups[2]),
    };
    Some(ClientPart {
        host,
        addresses,
        forwarded,
        remote_user,
    })
}

fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private() || v4.is_loopback() || v4.is_link_local() || v4.is_unspecified()
        }
        IpAddr::V6(v6) => {
            let seg = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (seg & 0xfe00) == 0xfc00
                || (seg & 0xffc0) == 0xfe80
        }
    }
}

/// From a forwarded chain, the address that stands for the client: the first public one
/// (the left-most entry a proxy vouched for), else the last entry (the nearest peer).
fn client_from_chain(chain: &str) -> &str {
    let entries = || chain.split(',').map(str::trim).filter(|s| !s.is_empty());
    entries()
        .find(|e| e.parse::<IpAddr>().is_ok_and(|ip| !is_internal(ip)))
        .or_else(|| entries().next_back())
        .unwrap_or(chain)
}

/// The `start..end` bytes of `whole` as text: borrowed when `whole` is borrowed.
/// `start` and `end` sit next to ASCII delimiters, so they are char boundaries.
fn sub<'a>(whole: &Cow<'a, str>, start: usize, end: usize) -> Text<'a> {
    match whole {
        Cow::Borrowed(w) => Cow::Borrowed(w.get(start..end).unwrap_or("")),
        Cow::Owned(w) => Cow::Owned(w.get(start..end).unwrap_or("").to_owned()),
    }
}

fn is_method(m: &[u8]) -> bool {
    (1..=24).contains(&m.len())
        && m.iter()
            .all(|b| b.is_ascii_uppercase() || *b == b'-' || *b == b'_')
}

/// Fill the request-derived fields: method, path, version, action, target, and the
/// credential found in the query string.
fn apply_request<'a>(ev: &mut Event<'a>, rt: &RecordText<'a>, raw: Quoted<'a>) {
    request_fields(ev, rt.field_escaped(raw.content, raw.escaped));
}

/// Fill the request-derived fields from a request line (`GET /path?query HTTP/1.1`), for
/// every nginx format: method, path, version, action, target, and the credential found in
/// the query string. A line that is not HTTP is kept as `request_raw`, redacted.
pub(crate) fn request_fields<'a>(ev: &mut Event<'a>, line: Text<'a>) {
    request_line(ev, line);
    shaped_tokens(ev);
}

/// Well-known token shapes anywhere in the URL (a Slack token in a webhook path, a JWT in
/// a callback): redacted from the action and target, and the event's credential when it
/// has none from a query parameter. An AWS key id is a public identifier: kept, and the
/// credential.
fn shaped_tokens(ev: &mut Event<'_>) {
    let Some(target) = ev.target.as_deref() else {
        return;
    };
    let Some((start, end, shape)) = find_token_shape(target) else {
        return;
    };
    let token = target.get(start..end).unwrap_or("").to_string();
    if ev.credential.is_none() {
        ev.credential = Some(if shape.is_secret() {
            Credential::Secret {
                kind: CredentialKind::ShapedToken,
                value: Secret::new(token.into_bytes()),
            }
        } else {
            let kind = if token.starts_with("ASIA") {
                CredentialKind::AwsTemporaryKey
            } else {
                CredentialKind::AwsLongTermKey
            };
            Credential::Public {
                kind,
                id: Cow::Owned(token),
            }
        });
    }
    for field in [&mut ev.target, &mut ev.action] {
        if let Some(text) = field.as_deref()
            && let Cow::Owned(redacted) = redact_token_shapes(text)
        {
            *field = Some(Cow::Owned(redacted));
        }
    }
}

fn request_line<'a>(ev: &mut Event<'a>, line: Text<'a>) {
    let b = line.as_bytes();
    // Methods are short: a plain loop beats a memchr call here.
    let method_end = b.iter().position(|&c| c == b' ').unwrap_or(b.len());
    if !is_method(&b[..method_end]) || method_end + 1 >= b.len() {
        ev.notes |= notes::NON_HTTP_REQUEST;
        ev.request_raw = Some(match redact_text(&line) {
            Cow::Borrowed(_) => line.clone(),
            Cow::Owned(s) => Cow::Owned(s),
        });
        return;
    }
    let uri_start = method_end + 1;
    let (uri_end, version) = match memchr::memrchr(b' ', &b[uri_start..]) {
        Some(i) if b[uri_start + i + 1..].starts_with(b"HTTP/") => {
            (uri_start + i, Some(sub(&line, uri_start + i + 1, b.len())))
        }
        _ => (b.len(), None),
    };
    let path_end = memchr::memchr(b'?', &b[uri_start..uri_end]).map_or(uri_end, |i| uri_start + i);
    ev.action = Some(sub(&line, 0, path_end));
    ev.http_method = Some(sub(&line, 0, method_end));
    ev.http_version = version;
    if path_end == uri_end {
        ev.target = Some(sub(&line, uri_start, uri_end));
        return;
    }
    let uri = line.get(uri_start..uri_end).unwrap_or("");
    let (target, secret) = redact_query(uri);
    if let Some(secret) = secret {
        ev.credential = Some(Credential::Secret {
            kind: CredentialKind::UrlToken,
            value: Secret::new(secret.value.as_bytes().to_vec()),
        });
    }
    ev.target = Some(match target {
        Cow::Borrowed(_) => sub(&line, uri_start, uri_end),
        Cow::Owned(t) => Cow::Owned(t),
    });
}

fn parse_into<'a>(line: &'a [u8], ev: &mut Event<'a>) -> Result<(), ParseError> {
    let at = |rest: &[u8]| line.len() - rest.len();
    match parse_fields(line, ev) {
        Ok(()) => Ok(()),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(ParseError::new(e.kind, at(e.input))),
        Err(nom::Err::Incomplete(_)) => Err(ParseError::new(ParseErrorKind::TrailingGarbage, 0)),
    }
}

fn parse_fields<'a>(line: &'a [u8], ev: &mut Event<'a>) -> Result<(), nom::Err<LineError<'a>>> {
    let Some(lb) = memchr::memchr(b'[', line) else {
        return fail::<()>(line, ParseErrorKind::MissingField("time_local")).map(|_| ());
    };
    let Some(client) = client_part(&line[..lb]) else {
        return fail::<()>(line, ParseErrorKind::BadField("remote_addr")).map(|_| ());
    };
    let (rest, (ts_raw, ts)) = time_local(&line[lb..])?;
    let (rest, ()) = expect(" ", ParseErrorKind::MissingField("request"))(rest)?;
    let (rest, request_raw) = request(rest)?;
    let (rest, ()) = expect(" ", ParseErrorKind::MissingField("status"))(rest)?;
    let (rest, status) = number(rest, "status")?;
    let Some(status) = status.filter(|s| *s <= 999) else {
        return fail::<()>(rest, ParseErrorKind::BadField("status")).map(|_| ());
    };
    let (rest, ()) = expect(" ", ParseErrorKind::MissingField("body_bytes_sent"))(rest)?;
    let (mut rest, bytes) = number(rest, "body_bytes_sent")?;

    let rt = RecordText::new(line);
    if !rt.is_utf8() {
        ev.notes |= notes::INVALID_UTF8;
    }
    ev.ts = ts;
    ev.ts_raw = rt.field(ts_raw);
    ev.status = Some(status as i32);
    ev.bytes = bytes;
    ev.outcome = Outcome::from_http_status(status as u16);
    ev.host = client.host.map(|h| rt.field(h));
    ev.principal = client.remote_user.map(|u| rt.unescaped(u));
    let addresses = rt.field(client.addresses);
    if client.forwarded.is_some() || find_in_short(b',', client.addresses).is_some() {
        ev.notes |= notes::ADDRESS_LIST;
        let chain: Text<'_> = match client.forwarded {
            Some(f) => Cow::Owned(format!("{}, {addresses}", rt.field(f))),
            None => addresses.clone(),
        };
        ev.src_ip = Some(Cow::Owned(client_from_chain(&chain).to_owned()));
        ev.forwarded_for = Some(chain);
    } else {
        ev.src_ip = Some(addresses);
    }
    apply_request(ev, &rt, request_raw);

    // combined: ` "$http_referer" "$http_user_agent"`, then tolerated extras.
    if !rest.is_empty() {
        let (r, ()) = expect(" ", ParseErrorKind::TrailingGarbage)(rest)?;
        let (r, referer) = quoted(r)?;
        let closed = referer.closed;
        ev.referer = dash_is_none(referer.content).map(|r| {
            let text = rt.field_escaped(r, referer.escaped);
            if memchr::memchr(b'?', r).is_none() {
                return text;
            }
            match redact_query(&text) {
                (Cow::Borrowed(_), _) => text,
                (Cow::Owned(red), _) => Cow::Owned(red),
            }
        });
        rest = r;
        if !closed {
            ev.notes |= notes::TRUNCATED_FIELD;
        } else if !rest.is_empty() {
            let (r, ()) = expect(" ", ParseErrorKind::TrailingGarbage)(rest)?;
            let (r, agent) = quoted(r)?;
            ev.user_agent = dash_is_none(agent.content).map(|a| rt.field_escaped(a, agent.escaped));
            if !agent.closed {
                ev.notes |= notes::TRUNCATED_FIELD;
            }
            rest = r;
        }
    }
    // `main` adds ` "$http_x_forwarded_for"`; anything else is kept as a note.
    if let Some(r) = rest.strip_prefix(b" \"") {
        let end = memchr::memchr(b'"', r).unwrap_or(r.len());
        let value = &r[..end];
        let looks_like_chain = value
            .iter()
            .all(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b':' | b',' | b' ' | b'-'));
        if looks_like_chain {
            if ev.forwarded_for.is_none() {
                ev.forwarded_for = dash_is_none(value).map(|v| rt.field(v));
            }
            rest = r.get(end + 1..).unwrap_or_default();
        }
    }
    if !rest.is_empty() {
        ev.notes |= notes::EXTRA_FIELDS;
    }
    Ok(())
}

static EXAMPLES: &[Example] = &[
    Example {
        title: "combined, IPv4 (elastic/beats nginx module test, Apache-2.0)",
        record: r#"77.179.66.156 - - [25/Oct/2016:14:49:34 +0200] "GET /favicon.ico HTTP/1.1" 404 571 "http://localhost:8080/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_12_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/54.0.2840.59 Safari/537.36""#,
        expect: &[
            ("ts", Some("1477399774000000000")),
            ("src_ip", Some("77.179.66.156")),
            ("action", Some("GET /favicon.ico")),
            ("target", Some("/favicon.ico")),
            ("status", Some("404")),
            ("outcome", Some("failure")),
            ("bytes", Some("571")),
            ("referer", Some("http://localhost:8080/")),
            ("principal", None),
            ("credential", None),
        ],
    },
    Example {
        title: "X-Forwarded-For chain in place of $remote_addr, trailing \"-\" (elastic/beats)",
        record: r#"10.0.0.2, 10.0.0.1, 85.181.35.98 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571 "-" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.12; rv:49.0) Gecko/20100101 Firefox/49.0""#,
        expect: &[
            ("src_ip", Some("85.181.35.98")),
            ("forwarded_for", Some("10.0.0.2, 10.0.0.1, 85.181.35.98")),
            ("referer", None),
            ("parse_notes", Some("address_list")),
        ],
    },
    Example {
        title: "common format with basic-auth user (plaso test data, Apache-2.0)",
        record: r#"192.168.0.64 - pyllyukko@EXAMPLE.COM [16/Nov/2019:09:46:42 +0200] "GET / HTTP/1.1" 200 8264"#,
        expect: &[
            ("principal", Some("pyllyukko@EXAMPLE.COM")),
            ("user_agent", None),
            ("action", Some("GET /")),
        ],
    },
    Example {
        title: "token in the query string becomes a secret credential and is redacted",
        record: r#"203.0.113.9 - - [02/Mar/2026:01:12:09 +0000] "GET /api/v1/me?access_token=tt_live_8f2k2j3k4l5m6n7o8p9q HTTP/1.1" 200 312 "-" "python-requests/2.31.0""#,
        expect: &[
            ("credential", Some("<secret url_token>")),
            ("target", Some("/api/v1/me?access_token=REDACTED")),
            ("action", Some("GET /api/v1/me")),
            ("user_agent", Some("python-requests/2.31.0")),
        ],
    },
    Example {
        title: "TLS handshake on a plain-HTTP port is kept with its raw request",
        record: r#"198.51.100.7 - - [02/Mar/2026:01:12:10 +0000] "\x16\x03\x01\x00\xA5\x01\x00\x00\xA1\x03\x03" 400 157 "-" "-""#,
        expect: &[
            ("action", None),
            ("status", Some("400")),
            ("parse_notes", Some("non_http_request")),
        ],
    },
];
