//! Any nginx `log_format`, compiled into a parser at run time.
//!
//! Real gateways never log plain `combined`: they add request times, upstream fields,
//! request ids, and often the very token being hunted. Given the user's own `log_format`
//! (from `--nginx-log-format`, or read from their nginx.conf), each line is cut at the
//! literal text between the variables, and the variables are mapped to the event by their
//! nginx names, the same mapping as JSON access logs (`nginx_json.rs`); `$request_id`
//! becomes the event id. Variables that have no column are read and skipped, never an
//! error.

use std::borrow::Cow;

use crate::error::{ParseError, ParseErrorKind};
use crate::event::{Credential, CredentialKind, Event, Outcome};
use crate::framing::Framing;
use crate::nginx::line_share;
use crate::nginx::request_fields;
use crate::nginx_json::{Line, authorization_credential, build_into, present};
use crate::parser::{Confidence, Example, LogParser};
use crate::secret::{
    Secret, holds_no_secret, is_secret_param, redact_pairs, redact_query, redact_text,
};
use crate::source::SourceId;
use crate::text::{RecordText, unescape};
use crate::time::clf_timestamp;

#[cfg(test)]
mod tests;

/// Words in a variable's name that say it may hold a secret: such a variable is never kept
/// as an extra column.
const SECRET_WORDS: &[&str] = &[
    "token",
    "key",
    "auth",
    "cookie",
    "secret",
    "session",
    "passw",
    "jwt",
    "signature",
    "credential",
];

/// `$time_local` is always `dd/Mon/yyyy:hh:mm:ss +zzzz`.
const TIME_LOCAL_WIDTH: usize = 26;

/// The most characters of a token prefix kept: what a fingerprint shows of a long token.
pub const PREFIX_SHOWN: usize = 14;

/// How nginx escaped the variables (`log_format name escape=…`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Escape {
    /// `\xHH` for `"`, `\` and bytes outside printable ASCII.
    Default,
    /// JSON string escapes.
    Json,
    None,
}

/// One variable of a format and the literal text that ends it: cutting a line is one
/// search per variable (the literal found is the literal checked).
#[derive(Clone, Debug)]
struct Step {
    name: String,
    var: Var,
    /// Its extra-column slot, when it has no column of its own.
    slot: Option<u16>,
    /// A declared token-prefix field (`--token-prefix-field`).
    prefix: bool,
    scan: Scan,
    /// The literal after it; `None` for the last item.
    next: Option<Literal>,
}

/// Literal text between two variables, with what finds and checks it, built once.
#[derive(Clone, Debug)]
struct Literal {
    bytes: Vec<u8>,
    finder: Box<memchr::memmem::Finder<'static>>,
    /// Its first eight bytes (zero-padded) and the mask of those that count. Checking a
    /// literal is then one load and one compare, the same code for every literal: a byte
    /// loop whose length changes from one variable to the next mispredicted its exit at
    /// almost every variable.
    word: u64,
    mask: u64,
}

impl Literal {
    fn new(bytes: Vec<u8>) -> Literal {
        let finder = Box::new(memchr::memmem::Finder::new(&bytes).into_owned());
        let mut word = [0u8; 8];
        let mut mask = [0u8; 8];
        for (i, &b) in bytes.iter().take(8).enumerate() {
            word[i] = b;
            mask[i] = 0xff;
        }
        Literal {
            bytes,
            finder,
            word: u64::from_le_bytes(word),
            mask: u64::from_le_bytes(mask),
        }
    }

    /// `hay` starts with this literal.
    #[inline]
    fn starts(&self, hay: &[u8]) -> bool {
        match hay.first_chunk::<8>() {
            Some(w) if self.bytes.len() <= 8 => u64::from_le_bytes(*w) & self.mask == self.word,
            _ => has_prefix(hay, &self.bytes),
        }
    }
}

/// How the end of a variable's value is found, decided once per format from what the
/// variable can hold and what follows it. Each quick cut is checked against the literal
/// that must follow; when it does not match, the general search decides.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Scan {
    /// Digits only (a status, a byte count; `-` when absent).
    Digits,
    /// Always this many bytes (`$time_local`: `04/Mar/2026:01:07:12 +0100`).
    Width(usize),
    /// A quoted value under default escaping, which writes `"` as `\x22`: the first `"`
    /// ends it, and the same scan sees whether it holds a backslash.
    Quoted,
    /// Search for the next literal.
    Search,
}

/// What a variable fills, decided once at compile time rather than per line.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Var {
    RemoteAddr,
    RemoteUser,
    TimeLocal,
    TimeIso8601,
    Msec,
    Request,
    Method,
    Uri,
    Args,
    Protocol,
    Status,
    BodyBytes,
    Bytes,
    Referer,
    UserAgent,
    ForwardedFor,
    Host,
    Authorization,
    RequestId,
    SecretArg,
    Cookie,
    /// A request header whose name says it holds a secret (`$http_x_api_key`,
    /// `$http_x_auth_token`): the credential of a gateway that takes its keys there.
    HeaderToken,
    /// The whole `Cookie` header (`$http_cookie`): its first cookie with a secret's name.
    CookieHeader,
    /// Read and skipped (or a token prefix field, decided per format).
    Other,
}

impl Var {
    fn of(name: &str) -> Var {
        match name {
            "remote_addr" | "realip_remote_addr" => Var::RemoteAddr,
            "remote_user" => Var::RemoteUser,
            "time_local" => Var::TimeLocal,
            "time_iso8601" => Var::TimeIso8601,
            "msec" => Var::Msec,
            "request" => Var::Request,
            "request_method" => Var::Method,
            "request_uri" | "uri" | "document_uri" => Var::Uri,
            "args" | "query_string" => Var::Args,
            "server_protocol" => Var::Protocol,
            "status" => Var::Status,
            "body_bytes_sent" => Var::BodyBytes,
            "bytes_sent" => Var::Bytes,
            "http_referer" => Var::Referer,
            "http_user_agent" => Var::UserAgent,
            "http_x_forwarded_for" => Var::ForwardedFor,
            "host" | "http_host" | "server_name" => Var::Host,
            "http_authorization" => Var::Authorization,
            "request_id" => Var::RequestId,
            n if n
                .strip_prefix("arg_")
                .is_some_and(|a| is_secret_param(a.as_bytes())) =>
            {
                Var::SecretArg
            }
            n if n.starts_with("cookie_") => Var::Cookie,
            "http_cookie" => Var::CookieHeader,
            n if n
                .strip_prefix("http_")
                .is_some_and(|h| SECRET_WORDS.iter().any(|w| h.contains(w))) =>
            {
                Var::HeaderToken
            }
            _ => Var::Other,
        }
    }
}

/// A status or byte count: digits are read directly (the common case), anything else
/// through the float parser.
fn fast_number(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    if !b.is_empty() && b.len() <= 18 && b.iter().all(u8::is_ascii_digit) {
        let n = b
            .iter()
            .fold(0u64, |acc, &c| acc * 10 + u64::from(c - b'0'));
        return Some(n as f64);
    }
    text.trim().parse::<f64>().ok()
}

/// A compiled `log_format`.
#[derive(Clone, Debug)]
pub struct LogFormat {
    pub name: String,
    pub escape: Escape,
    /// Literal text before the first variable.
    lead: Vec<u8>,
    steps: Vec<Step>,
    /// Variables that log only a token's first characters (`--token-prefix-field`).
    prefix_fields: Vec<String>,
    /// Variables without a column of their own, kept as extra columns (slot order).
    extras: Vec<String>,
    /// The format begins with `combined`'s eight variables and their literals, and what
    /// follows sets none of their columns again: those eight are cut by
    /// [`LogFormat::cut_combined_head`] (see there).
    combined_head: bool,
}

impl LogFormat {
    /// Compile a format string: `$name` and `${name}` are variables, the rest literal text.
    /// Two variables need literal text between them, or a line could not be cut.
    pub fn compile(name: &str, format: &str, escape: Escape) -> Result<LogFormat, String> {
        let b = format.as_bytes();
        let mut lead = Vec::new();
        let mut steps: Vec<Step> = Vec::new();
        let mut literal = Vec::new();
        let mut i = 0;
        // A literal closes the variable before it (or is the lead).
        let close =
            |literal: Vec<u8>, steps: &mut Vec<Step>, lead: &mut Vec<u8>| match steps.last_mut() {
                Some(step) => step.next = Some(Literal::new(literal)),
                None => *lead = literal,
            };
        while i < b.len() {
            if b[i] != b'$' {
                literal.push(b[i]);
                i += 1;
                continue;
            }
            let (start, end, next) = if b.get(i + 1) == Some(&b'{') {
                let close = b[i + 2..]
                    .iter()
                    .position(|&c| c == b'}')
                    .ok_or_else(|| format!("log_format {name}: `${{` without `}}`"))?;
                (i + 2, i + 2 + close, i + 3 + close)
            } else {
                let len = b[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                (i + 1, i + 1 + len, i + 1 + len)
            };
            if start == end {
                literal.push(b'$');
                i += 1;
                continue;
            }
            if !literal.is_empty() {
                close(std::mem::take(&mut literal), &mut steps, &mut lead);
            } else if !steps.is_empty() {
                return Err(format!(
                    "log_format {name}: ${} follows another variable with nothing between them",
                    String::from_utf8_lossy(&b[start..end])
                ));
            }
            let name = String::from_utf8_lossy(&b[start..end]).to_ascii_lowercase();
            let var = Var::of(&name);
            steps.push(Step {
                name,
                var,
                slot: None,
                prefix: false,
                scan: Scan::Search,
                next: None,
            });
            i = next;
        }
        if !literal.is_empty() {
            close(literal, &mut steps, &mut lead);
        }
        let has = |names: &[&str]| steps.iter().any(|s| names.contains(&s.name.as_str()));
        if !has(&["time_local", "time_iso8601", "msec"]) {
            return Err(format!(
                "log_format {name}: no time variable ($time_local, $time_iso8601 or $msec)"
            ));
        }
        if !has(&["request", "request_uri", "uri"]) {
            return Err(format!(
                "log_format {name}: no request variable ($request, $request_uri or $uri)"
            ));
        }
        for step in &mut steps {
            step.scan = match (step.next.as_ref().and_then(|n| n.bytes.first()), step.var) {
                // The last variable runs to the end of the line: no scan.
                (None, _) => Scan::Search,
                (Some(b), Var::Status | Var::BodyBytes | Var::Bytes) if !b.is_ascii_digit() => {
                    Scan::Digits
                }
                (Some(_), Var::TimeLocal) => Scan::Width(TIME_LOCAL_WIDTH),
                (Some(b'"'), _) if escape == Escape::Default => Scan::Quoted,
                _ => Scan::Search,
            };
        }
        let combined_head = lead.is_empty() && begins_with_combined(&steps);
        let mut format = LogFormat {
            name: name.to_string(),
            escape,
            lead,
            steps,
            prefix_fields: Vec::new(),
            extras: Vec::new(),
            combined_head,
        };
        format.assign_extra_slots();
        Ok(format)
    }

    /// Declare the variables that log a token's prefix (`--token-prefix-field`): they
    /// become the credential, never an extra column.
    pub fn set_prefix_fields(&mut self, fields: Vec<String>) {
        self.prefix_fields = fields;
        self.assign_extra_slots();
    }

    pub fn prefix_fields(&self) -> &[String] {
        &self.prefix_fields
    }

    /// Give every variable without a column a slot, except token prefixes and variables
    /// whose name says they hold a secret (`$http_x_api_key`, `$cookie`, `$ssl_session_id`):
    /// those are never stored, not even redacted.
    fn assign_extra_slots(&mut self) {
        self.extras.clear();
        for step in &mut self.steps {
            step.slot = None;
            step.prefix = self.prefix_fields.contains(&step.name);
            let secretish = SECRET_WORDS.iter().any(|w| step.name.contains(w));
            if step.var == Var::Other
                && !secretish
                && !step.prefix
                && !self.extras.contains(&step.name)
                && self.extras.len() < usize::from(u16::MAX)
            {
                step.slot = Some(self.extras.len() as u16);
                self.extras.push(step.name.clone());
            }
        }
    }

    /// The variables in the order they are logged.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().map(|s| s.name.as_str())
    }

    /// Cut a line at the literal text, handing each variable's raw value to `each`, with
    /// whether it holds a backslash when the cut already saw it. The cut starts at step
    /// `first`, byte `at` (past the lead, or past what [`LogFormat::cut_combined_head`] read).
    fn split_from<'a>(
        &self,
        line: &'a [u8],
        first: usize,
        mut at: usize,
        mut each: impl FnMut(&Step, &'a [u8], Option<bool>),
    ) -> Result<(), ParseError> {
        for step in self.steps.get(first..).unwrap_or_default() {
            let Some(next) = &step.next else {
                each(step, &line[at..], None);
                return Ok(());
            };
            let (end, escaped) = quick_end(step.scan, line, at, next)
                .or_else(|| search(line, at, next).map(|e| (e, None)))
                .ok_or(ParseError::new(
                    ParseErrorKind::MissingField("log_format field"),
                    at,
                ))?;
            // An address never holds a space: a line whose "address" does is of another
            // layout (a host, or a forwarded-for list, logged before the address), left to
            // the built-in formats rather than read with a list as its client.
            if step.var == Var::RemoteAddr && find_byte(&line[at..end], b' ').is_some() {
                return Err(ParseError::new(ParseErrorKind::BadField("remote_addr"), at));
            }
            each(step, &line[at..end], escaped);
            at = end + next.bytes.len();
        }
        if at != line.len() {
            return Err(ParseError::new(ParseErrorKind::TrailingGarbage, at));
        }
        Ok(())
    }

    /// A variable's value as text: borrowed from the record (validated once as a whole,
    /// as the hand-written parser does), unescaped only when it holds a backslash
    /// (`escaped`, when the cut already knows). `line_escaped`: the line holds a backslash
    /// somewhere (one search per line instead of one per field: most lines hold none).
    #[inline(always)]
    fn decode<'a>(
        &self,
        rt: &RecordText<'a>,
        line_escaped: bool,
        raw: &'a [u8],
        escaped: Option<bool>,
    ) -> Option<Cow<'a, str>> {
        if raw.is_empty() || raw == b"-" {
            return None;
        }
        let escaped =
            line_escaped && escaped.unwrap_or_else(|| memchr::memchr(b'\\', raw).is_some());
        Some(match (escaped, self.escape) {
            (true, Escape::Json) => json_unescape(raw),
            (true, _) => unescape(raw),
            (false, _) => rt.field(raw),
        })
    }
}

/// `hay` starts with `lit`: a byte loop, cheaper than a `memcmp` call for the few bytes
/// of a log_format literal.
#[inline]
fn has_prefix(hay: &[u8], lit: &[u8]) -> bool {
    hay.len() >= lit.len() && hay.iter().zip(lit).all(|(a, b)| a == b)
}

/// The end of the value starting at `at` by the variable's quick cut, when the literal
/// that must follow is there; with whether the value holds a backslash, when seen.
#[inline(always)]
fn quick_end(scan: Scan, line: &[u8], at: usize, next: &Literal) -> Option<(usize, Option<bool>)> {
    let (end, escaped) = match scan {
        Scan::Digits => {
            let digits = line[at..].iter().take_while(|b| b.is_ascii_digit()).count();
            let end = match digits == 0 && line.get(at) == Some(&b'-') {
                true => at + 1,
                false => at + digits,
            };
            (end, Some(false))
        }
        Scan::Width(w) => (at + w, None),
        Scan::Quoted => (at + find_byte(&line[at..], b'"')?, None),
        // Where the literal's first byte first appears: when the literal is there, no
        // earlier occurrence of it can exist.
        Scan::Search => (at + find_byte(&line[at..], *next.bytes.first()?)?, None),
    };
    next.starts(line.get(end..)?).then_some((end, escaped))
}

/// The first `byte` in `hay`. Most values of a log line are short (an address, a user, a
/// status, an id): eight bytes at a time finds their end before a vector search would have
/// started; a long one is left to `memchr`.
#[inline]
fn find_byte(hay: &[u8], byte: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    for word in hay.chunks_exact(8).take(4) {
        let w = u64::from_le_bytes([
            word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7],
        ]);
        let x = w ^ (ONES * u64::from(byte));
        // The lowest flagged byte is exact (a borrow only flags bytes above a match).
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    memchr::memchr(byte, hay.get(at..)?).map(|i| at + i)
}

/// The end of the value starting at `at`: the next occurrence of the literal.
#[inline]
fn search(line: &[u8], at: usize, next: &Literal) -> Option<usize> {
    let hay = &line[at..];
    // A prebuilt searcher: measured faster here than a first-byte search and a
    // comparison, even for two-byte literals.
    let found = match next.bytes.as_slice() {
        [byte] => memchr::memchr(*byte, hay),
        _ => next.finder.find(hay),
    };
    found.map(|p| at + p)
}

/// JSON string escapes (`escape=json`): `\"`, `\\`, `\/`, `\n`…, `\uXXXX`.
fn json_unescape(raw: &[u8]) -> Cow<'_, str> {
    if memchr::memchr(b'\\', raw).is_none() {
        return String::from_utf8_lossy(raw);
    }
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => out.push('\u{fffd}'),
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

/// `combined`: `$remote_addr - $remote_user [$time_local] "$request" $status
/// $body_bytes_sent "$http_referer" "$http_user_agent"`, each variable with the literal
/// that ends it (the last one's only begins with `"`: gateways append their fields there).
const COMBINED_VARS: [(Var, &[u8]); 8] = [
    (Var::RemoteAddr, b" - "),
    (Var::RemoteUser, b" ["),
    (Var::TimeLocal, b"] \""),
    (Var::Request, b"\" "),
    (Var::Status, b" "),
    (Var::BodyBytes, b" \""),
    (Var::Referer, b"\" \""),
    (Var::UserAgent, b"\""),
];

/// The steps begin with `combined`'s, and no later variable sets one of their columns
/// again (the general cut lets the last value of a column win; the head would not know of
/// it).
fn begins_with_combined(steps: &[Step]) -> bool {
    let Some((head, tail)) = steps.split_at_checked(COMBINED_VARS.len()) else {
        return false;
    };
    let head_fits = head
        .iter()
        .zip(COMBINED_VARS)
        .enumerate()
        .all(|(i, (step, (var, lit)))| {
            let next = step.next.as_ref().map(|n| n.bytes.as_slice());
            step.var == var
                && match i + 1 == COMBINED_VARS.len() {
                    true => next.is_some_and(|n| n.starts_with(lit)),
                    false => next == Some(lit),
                }
        });
    let tail_fits = tail.iter().all(|step| {
        matches!(
            step.var,
            Var::ForwardedFor
                | Var::Host
                | Var::Authorization
                | Var::RequestId
                | Var::SecretArg
                | Var::Cookie
                | Var::CookieHeader
                | Var::HeaderToken
                | Var::Other
        )
    });
    head_fits && tail_fits
}

/// Where `combined`'s eight variables lie in a line (byte ranges), with the numbers and
/// the time already read.
struct Head {
    remote_addr: (usize, usize),
    remote_user: (usize, usize),
    time_local: (usize, usize),
    ts: i64,
    request: (usize, usize),
    status: u16,
    body_bytes_sent: Option<u64>,
    http_referer: (usize, usize),
    http_user_agent: (usize, usize),
    /// Where the variables after `$http_user_agent` start.
    tail: usize,
}

impl LogFormat {
    /// Almost every gateway format is `combined` with fields appended. Its eight
    /// variables are cut here with their literals known at compile time, in one pass with
    /// no dispatch per variable. Only the common shape is taken: an address and a user
    /// without a space, a `$time_local` of its fixed width that reads as a time, a status
    /// of 1-3 digits, a size of at most 15 digits or `-`, and each quoted value ending at
    /// its first `"`. Anything else returns `None`, and the general cut reads the line
    /// from its start: both give the same event or the same error (test
    /// `the_combined_head_reads_lines_as_the_general_cut`, and the fuzz target
    /// `log_format`).
    fn cut_combined_head(&self, record: &[u8]) -> Option<Head> {
        // To the first `byte` from `at`, which must begin `lit`; where `lit` ends. A
        // `long` value (a request) is searched by `memchr`, short ones (an address, a
        // user, a referer that is mostly `-`) eight bytes at a time.
        let cut = |at: usize, byte: u8, lit: &[u8], long: bool| -> Option<(usize, usize)> {
            let hay = record.get(at..)?;
            let end = at
                + match long {
                    true => memchr::memchr(byte, hay)?,
                    false => find_byte(hay, byte)?,
                };
            has_prefix(&record[end..], lit).then_some((end, end + lit.len()))
        };
        // Up to `most` digits from `at` and their value: `None` when there are more.
        let digits = |at: usize, most: usize| {
            let mut value = 0u64;
            let mut n = 0;
            for &b in record.get(at..).unwrap_or_default() {
                let d = b.wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                if n == most {
                    return None;
                }
                value = value * 10 + u64::from(d);
                n += 1;
            }
            Some((n, value))
        };
        let (addr_end, user_at) = cut(0, b' ', b" - ", false)?;
        let (user_end, time_at) = cut(user_at, b' ', b" [", false)?;
        let time_end = time_at + TIME_LOCAL_WIDTH;
        let (_, ts) = clf_timestamp(record.get(time_at..time_end)?).ok()?;
        if !has_prefix(&record[time_end..], b"] \"") {
            return None;
        }
        let request_at = time_end + 3;
        let (request_end, status_at) = cut(request_at, b'"', b"\" ", true)?;
        let (status_len, status) = digits(status_at, 3)?;
        if status_len == 0 || record.get(status_at + status_len) != Some(&b' ') {
            return None;
        }
        let bytes_at = status_at + status_len + 1;
        let (bytes_end, body_bytes_sent) = match digits(bytes_at, 15)? {
            (0, _) if record.get(bytes_at) == Some(&b'-') => (bytes_at + 1, None),
            (0, _) => return None,
            (n, value) => (bytes_at + n, Some(value)),
        };
        if !has_prefix(&record[bytes_end..], b" \"") {
            return None;
        }
        let referer_at = bytes_end + 2;
        let (referer_end, agent_at) = cut(referer_at, b'"', b"\" \"", false)?;
        // The user agent is long: `memchr`; the literal after it is the format's.
        let agent_end = agent_at + memchr::memchr(b'"', &record[agent_at..])?;
        let next = self.steps.get(COMBINED_VARS.len() - 1)?.next.as_ref()?;
        if !next.starts(&record[agent_end..]) {
            return None;
        }
        Some(Head {
            remote_addr: (0, addr_end),
            remote_user: (user_at, user_end),
            time_local: (time_at, time_end),
            ts,
            request: (request_at, request_end),
            status: status as u16,
            body_bytes_sent,
            http_referer: (referer_at, referer_end),
            http_user_agent: (agent_at, agent_end),
            tail: agent_end + next.bytes.len(),
        })
    }

    /// For tests and the fuzz target: the line read with the `combined` head and by the
    /// general cut alone gives the same events, or the same error.
    #[doc(hidden)]
    pub fn combined_head_agrees(&self, record: &[u8]) -> bool {
        let (mut head, mut general) = (Vec::new(), Vec::new());
        let a = self.parse_cut(record, &mut head, true);
        let b = self.parse_cut(record, &mut general, false);
        a == b && head == general
    }

    /// Whether lines are read with the `combined` head.
    #[doc(hidden)]
    pub fn has_combined_head(&self) -> bool {
        self.combined_head
    }

    /// For tests: the line is read with the `combined` head, not left to the general cut.
    #[doc(hidden)]
    pub fn reads_with_head(&self, record: &[u8]) -> bool {
        let rt = RecordText::new(record);
        let escaped = self.line_escaped(record);
        self.combined_head
            && self
                .parse_with_head(record, &rt, escaped, &mut Vec::new())
                .is_some()
    }
}

impl LogParser for LogFormat {
    fn id(&self) -> SourceId {
        SourceId::Nginx
    }

    fn framing(&self, _head: &[u8]) -> Framing {
        Framing::Lines
    }

    fn sniff(&self, head: &[u8]) -> Confidence {
        // Only the user's format counts here: the built-in fallback would claim every
        // access log.
        line_share(head, &|line| self.parse_own(line, &mut Vec::new()).is_ok())
    }

    fn parse<'a>(&self, record: &'a [u8], out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        // A line the user's format cannot cut (an extra field some lines carry, a
        // malformed request) is tried with the built-in formats before it is malformed.
        self.parse_own(record, out).or_else(|own| {
            crate::nginx::NginxParser
                .parse(record, out)
                .map_err(|_| own)
        })
    }

    fn examples(&self) -> &'static [Example] {
        &[]
    }

    fn extra_columns(&self) -> &[String] {
        &self.extras
    }
}

/// What one line's variables gave, besides the columns of the JSON-log [`Line`].
#[derive(Default)]
struct Found<'a> {
    token: Option<(CredentialKind, Cow<'a, str>)>,
    request_id: Option<Cow<'a, str>>,
    prefix: Option<Cow<'a, str>>,
    header_token: Option<Cow<'a, str>>,
    form_token: Option<Vec<u8>>,
    extra: Vec<(u16, Cow<'a, str>)>,
}

impl LogFormat {
    fn parse_own<'a>(&self, record: &'a [u8], out: &mut Vec<Event<'a>>) -> Result<(), ParseError> {
        self.parse_cut(record, out, self.combined_head)
    }

    /// `parse_own`, with the `combined` head tried first when `head` is true. The record
    /// is checked as UTF-8 and searched for a backslash once, for both paths.
    fn parse_cut<'a>(
        &self,
        record: &'a [u8],
        out: &mut Vec<Event<'a>>,
        head: bool,
    ) -> Result<(), ParseError> {
        if !has_prefix(record, &self.lead) {
            return Err(ParseError::new(ParseErrorKind::TrailingGarbage, 0));
        }
        let rt = RecordText::new(record);
        let line_escaped = self.line_escaped(record);
        if head && let Some(done) = self.parse_with_head(record, &rt, line_escaped, out) {
            return done;
        }
        self.parse_general(record, &rt, line_escaped, out)
    }

    /// Whether the line may hold an escape: one search per line rather than one per field
    /// (most lines hold no backslash).
    fn line_escaped(&self, record: &[u8]) -> bool {
        self.escape != Escape::None && memchr::memchr(b'\\', record).is_some()
    }

    /// An empty [`Found`], with room for this format's extra columns.
    fn found<'a>(&self) -> Found<'a> {
        Found {
            extra: Vec::with_capacity(self.extras.len()),
            ..Found::default()
        }
    }

    /// Every variable cut by the general cut, gathered into a [`Line`], the event built
    /// from it as a JSON access log's is. The record starts with the lead.
    fn parse_general<'a>(
        &self,
        record: &'a [u8],
        rt: &RecordText<'a>,
        line_escaped: bool,
        out: &mut Vec<Event<'a>>,
    ) -> Result<(), ParseError> {
        let mut line = Line::default();
        let mut found = self.found();
        self.split_from(record, 0, self.lead.len(), |step, raw, escaped| {
            if let Some(value) = self.decode(rt, line_escaped, raw, escaped) {
                self.take(step, value, &mut line, &mut found);
            }
        })?;
        let ev = Event::push_default(out);
        if let Err(e) = build_into(line, ev) {
            out.pop();
            return Err(e);
        }
        self.finish(ev, found);
        Ok(())
    }

    /// A line of a format that begins with `combined`: its eight variables cut by
    /// [`LogFormat::cut_combined_head`] and put in the event directly, as the hand-written
    /// parser does, the rest by the general cut. `None`, with `out` untouched, when the
    /// line is not of the common shape: the general path reads it then.
    fn parse_with_head<'a>(
        &self,
        record: &'a [u8],
        rt: &RecordText<'a>,
        line_escaped: bool,
        out: &mut Vec<Event<'a>>,
    ) -> Option<Result<(), ParseError>> {
        let head = self.cut_combined_head(record)?;
        // `present(decode(…))`, with the unescaping (rare) the only case that needs `present`.
        let text = |(at, end): (usize, usize)| {
            let raw = &record[at..end];
            match line_escaped && memchr::memchr(b'\\', raw).is_some() {
                true => present(self.decode(rt, true, raw, Some(true))),
                false => (!raw.is_empty() && raw != b"-").then(|| rt.field(raw)),
            }
        };
        // What `build_into` would fail on: left to the general path, which says so.
        let request = text(head.request)?;
        let src_ip = text(head.remote_addr)?;
        // The columns the variables after the head can set (`begins_with_combined`).
        let (mut host, mut forwarded_for, mut authorization) = (None, None, None);
        // `combined` itself has nothing after the head: no state to set up and tear down
        // for it (a tenth of the line's time).
        let found = match self.steps.len() > COMBINED_VARS.len() {
            false if head.tail != record.len() => return None,
            false => None,
            true => {
                let mut found = self.found();
                let cut = self.split_from(
                    record,
                    COMBINED_VARS.len(),
                    head.tail,
                    |step, raw, escaped| {
                        let Some(value) = self.decode(rt, line_escaped, raw, escaped) else {
                            return;
                        };
                        match step.var {
                            Var::ForwardedFor => forwarded_for = Some(value),
                            Var::Host => {
                                if host.is_none() {
                                    host = Some(value);
                                }
                            }
                            Var::Authorization => authorization = Some(value),
                            _ => self.take_found(step, value, &mut found),
                        }
                    },
                );
                if cut.is_err() {
                    return None;
                }
                Some(found)
            }
        };
        let ev = Event::push_default(out);
        // In `build_into`'s order: the request's credential comes before the header's.
        ev.ts = head.ts;
        ev.ts_raw = rt.field(&record[head.time_local.0..head.time_local.1]);
        ev.status = Some(i32::from(head.status));
        ev.outcome = Outcome::from_http_status(head.status);
        ev.bytes = head.body_bytes_sent;
        ev.principal = text(head.remote_user);
        if host.is_some() {
            ev.host = present(host);
        }
        ev.user_agent = text(head.http_user_agent);
        request_fields(ev, request);
        ev.src_ip = Some(src_ip);
        if forwarded_for.is_some() {
            ev.forwarded_for = present(forwarded_for);
        }
        ev.referer = text(head.http_referer).map(|r| {
            if memchr::memchr(b'?', r.as_bytes()).is_none() {
                return r;
            }
            match redact_query(&r) {
                (Cow::Borrowed(_), _) => r,
                (Cow::Owned(red), _) => Cow::Owned(red),
            }
        });
        if authorization.is_some() {
            authorization_credential(ev, present(authorization));
        }
        if let Some(found) = found {
            self.finish(ev, found);
        }
        Some(Ok(()))
    }

    /// Put one variable's value where it belongs.
    fn take<'a>(
        &self,
        step: &Step,
        value: Cow<'a, str>,
        line: &mut Line<'a>,
        found: &mut Found<'a>,
    ) {
        let number = || fast_number(&value);
        match step.var {
            Var::RemoteAddr => line.remote_addr = Some(value),
            Var::RemoteUser => line.remote_user = Some(value),
            Var::TimeLocal => line.time_local = Some(value),
            Var::TimeIso8601 => line.time = Some(value),
            Var::Msec => line.msec = Some(value.into_owned()),
            Var::Request => line.request = Some(value),
            Var::Method => line.request_method = Some(value),
            Var::Uri => {
                if line.request_uri.is_none() {
                    line.request_uri = Some(value);
                }
            }
            Var::Args => line.args = Some(value),
            Var::Protocol => line.protocol = Some(value),
            Var::Status => line.status = number(),
            Var::BodyBytes => line.body_bytes_sent = number(),
            Var::Bytes => {
                if line.body_bytes_sent.is_none() {
                    line.body_bytes_sent = number();
                }
            }
            Var::Referer => line.http_referer = Some(value),
            Var::UserAgent => line.http_user_agent = Some(value),
            Var::ForwardedFor => line.http_x_forwarded_for = Some(value),
            Var::Host => {
                if line.host.is_none() {
                    line.host = Some(value);
                }
            }
            Var::Authorization => line.http_authorization = Some(value),
            _ => self.take_found(step, value, found),
        }
    }

    /// Put the value of a variable that has no [`Line`] column where it belongs.
    fn take_found<'a>(&self, step: &Step, value: Cow<'a, str>, found: &mut Found<'a>) {
        match step.var {
            // nginx's own id of the request: the event's id, to cite and to join on.
            Var::RequestId => found.request_id = Some(value),
            _ if step.prefix => found.prefix = Some(value),
            // A token logged in its own field: a query argument with a secret's name, or
            // a cookie.
            Var::SecretArg => found.token = Some((CredentialKind::UrlToken, value)),
            Var::Cookie if found.token.is_none() => {
                found.token = Some((CredentialKind::Cookie, value));
            }
            Var::CookieHeader => {
                if found.token.is_none()
                    && let (_, Some(secret)) = redact_pairs(&value)
                {
                    found.token =
                        Some((CredentialKind::Cookie, Cow::Owned(secret.value.to_string())));
                }
            }
            Var::HeaderToken if found.header_token.is_none() => found.header_token = Some(value),
            Var::Other => {
                // Most such values are numbers (timings, upstream addresses): nothing to
                // look for in them.
                let plain = holds_no_secret(&value);
                // A secret `name=value` in a stored value (a form body in
                // `$request_body`): redacted there, and the event's credential when
                // nothing else names one.
                if !plain
                    && found.form_token.is_none()
                    && let (_, Some(secret)) = redact_pairs(&value)
                {
                    found.form_token = Some(secret.value.as_bytes().to_vec());
                }
                if let Some(slot) = step.slot {
                    let kept = match plain {
                        true => value,
                        false => match redact_text(&value) {
                            Cow::Borrowed(_) => value,
                            Cow::Owned(red) => Cow::Owned(red),
                        },
                    };
                    found.extra.push((slot, kept));
                }
            }
            // A column of the [`Line`] (`take` put it there), or a second cookie or key.
            _ => {}
        }
    }

    /// The event's id, extra columns, and a credential from the fields that hold one,
    /// when the request named none.
    fn finish<'a>(&self, ev: &mut Event<'a>, found: Found<'a>) {
        ev.event_id = found.request_id;
        ev.extra = found.extra;
        // A key header is what the gateway authenticated with, as an Authorization
        // header would be.
        if ev.credential.is_none()
            && let Some(value) = found.header_token
        {
            ev.credential = Some(Credential::Secret {
                kind: CredentialKind::HeaderToken,
                value: Secret::new(value.trim().as_bytes().to_vec()),
            });
        }
        if ev.credential.is_none()
            && let Some(p) = found.prefix
        {
            // Never more than a fingerprint would show of a long token.
            let cut = p
                .char_indices()
                .nth(PREFIX_SHOWN)
                .map_or(p.len(), |(i, _)| i);
            let shown = match p {
                Cow::Borrowed(b) => Cow::Borrowed(b.get(..cut).unwrap_or(b)),
                Cow::Owned(mut o) => {
                    o.truncate(cut);
                    Cow::Owned(o)
                }
            };
            ev.credential = Some(Credential::Public {
                kind: CredentialKind::TokenPrefix,
                id: shown,
            });
        }
        if ev.credential.is_none()
            && let Some((kind, value)) = found.token
        {
            ev.credential = Some(Credential::Secret {
                kind,
                value: Secret::new(value.as_bytes().to_vec()),
            });
        }
        if ev.credential.is_none()
            && let Some(value) = found.form_token
        {
            ev.credential = Some(Credential::Secret {
                kind: CredentialKind::FormToken,
                value: Secret::new(value),
            });
        }
    }
}

/// The `log_format` directives of an nginx configuration, `include`s followed (relative
/// to the including file; `*` patterns in the last path part). `read` returns a file's
/// text; it is a parameter so that tests need no files.
pub fn formats_from_conf(
    path: &std::path::Path,
    read: &dyn Fn(&std::path::Path) -> Result<String, String>,
) -> Result<Vec<LogFormat>, String> {
    let mut out = Vec::new();
    let mut walk = ConfWalk {
        read,
        stack: Vec::new(),
        files: 0,
    };
    walk.collect(path, &mut out)?;
    Ok(out)
}

/// The most files one configuration may include in all: real ones include dozens.
const MAX_CONF_FILES: usize = 1000;

struct ConfWalk<'r> {
    read: &'r dyn Fn(&std::path::Path) -> Result<String, String>,
    /// The files being read, outermost first: an include of one of them is a loop.
    stack: Vec<std::path::PathBuf>,
    files: usize,
}

impl ConfWalk<'_> {
    fn collect(&mut self, path: &std::path::Path, out: &mut Vec<LogFormat>) -> Result<(), String> {
        if self.stack.iter().any(|p| p == path) {
            return Err(format!(
                "{}: includes itself (an include loop)",
                path.display()
            ));
        }
        if self.stack.len() > 16 {
            return Err(format!("{}: includes nested too deep", path.display()));
        }
        self.files += 1;
        if self.files > MAX_CONF_FILES {
            return Err(format!(
                "{}: more than {MAX_CONF_FILES} files included",
                path.display()
            ));
        }
        let text = (self.read)(path)?;
        let dir = path.parent().unwrap_or(std::path::Path::new("."));
        self.stack.push(path.to_path_buf());
        for directive in directives(&text) {
            match directive.first().map(String::as_str) {
                Some("include") if directive.len() == 2 => {
                    for file in expand(dir, &directive[1]) {
                        self.collect(&file, out)?;
                    }
                }
                Some("log_format") if directive.len() >= 3 => {
                    let name = &directive[1];
                    let mut escape = Escape::Default;
                    let mut parts = Vec::new();
                    for word in &directive[2..] {
                        match word.strip_prefix("escape=") {
                            Some("json") => escape = Escape::Json,
                            Some("none") => escape = Escape::None,
                            Some(_) => escape = Escape::Default,
                            None => parts.push(word.as_str()),
                        }
                    }
                    let format = parts.concat();
                    out.push(
                        LogFormat::compile(name, &format, escape)
                            .map_err(|e| format!("{}: {e}", path.display()))?,
                    );
                }
                _ => {}
            }
        }
        self.stack.pop();
        Ok(())
    }
}

/// An include path: relative to the including file's folder, `*` in its last part.
fn expand(dir: &std::path::Path, pattern: &str) -> Vec<std::path::PathBuf> {
    let full = dir.join(pattern);
    let Some(name) = full.file_name().and_then(|n| n.to_str()) else {
        return vec![full];
    };
    if !name.contains('*') {
        return vec![full];
    }
    let (prefix, suffix) = name.split_once('*').unwrap_or((name, ""));
    let parent = full.parent().unwrap_or(dir);
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(parent)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(prefix) && n.ends_with(suffix))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The simple directives of an nginx configuration as words: quotes removed, `#` comments
/// dropped, blocks flattened (a `log_format` lives in `http { … }`).
fn directives(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '\'' | '"' => {
                let quote = c;
                let mut word = String::new();
                while let Some(c) = chars.next() {
                    if c == '\\' {
                        // nginx keeps the backslash unless it escapes the quote itself.
                        if let Some(n) = chars.next() {
                            if n != quote {
                                word.push('\\');
                            }
                            word.push(n);
                        }
                    } else if c == quote {
                        break;
                    } else {
                        word.push(c);
                    }
                }
                words.push(word);
            }
            ';' | '{' | '}' => {
                if !words.is_empty() {
                    out.push(std::mem::take(&mut words));
                }
            }
            c if c.is_whitespace() => {}
            c => {
                let mut word = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || matches!(n, ';' | '{' | '}' | '"' | '\'') {
                        break;
                    }
                    word.push(n);
                    chars.next();
                }
                words.push(word);
            }
        }
    }
    out
}
