//! Secret credential values. A [`Secret`] has no `Display`, a redacted `Debug`, and one
//! accessor that the main crate's fingerprint module alone may call (enforced by
//! `clippy.toml`'s `disallowed-methods`).

use std::borrow::Cow;
use std::fmt;

/// The clear bytes of a token, cookie or password found in a log. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<'a>(Cow<'a, [u8]>);

impl<'a> Secret<'a> {
    pub fn new(bytes: impl Into<Cow<'a, [u8]>>) -> Secret<'a> {
        Secret(bytes.into())
    }

    /// The clear value. Only `fingerprint.rs` in the main crate may call this.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_owned(self) -> Secret<'static> {
        Secret(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Debug for Secret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<{} bytes redacted>)", self.0.len())
    }
}

/// What a redacted value is replaced with in text columns (target, referer, raw request)
/// and in diagnostics. The credential itself lives in the `credential_id` column as a
/// fingerprint.
pub const REDACTED: &str = "REDACTED";

/// Query parameter names whose values are credentials. Compared ASCII case-insensitively.
pub const SECRET_QUERY_PARAMS: &[&str] = &[
    "access_token",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "key",
    "auth",
    "auth_token",
    "id_token",
    "refresh_token",
    "session",
    "sessionid",
    "code",
    "client_secret",
    "password",
    "passwd",
    "secret",
    "sig",
    "signature",
    "x-amz-security-token",
    "x-amz-signature",
];

/// Parameter names the user adds (`--secret-param`), set once before parsing starts.
static EXTRA_SECRET_PARAMS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

/// Add query parameter names whose values are credentials (an API's own `?sid=`,
/// `?private_key=`). Effective for the whole run; only the first call counts.
pub fn add_secret_params(names: &[String]) {
    let _ = EXTRA_SECRET_PARAMS.set(names.iter().map(|n| n.to_ascii_lowercase()).collect());
}

/// Whether a query parameter with this name carries a secret value.
pub fn is_secret_param(name: &[u8]) -> bool {
    if (3..=20).contains(&name.len())
        && SECRET_QUERY_PARAMS
            .iter()
            .any(|p| p.as_bytes().eq_ignore_ascii_case(name))
    {
        return true;
    }
    EXTRA_SECRET_PARAMS.get().is_some_and(|extra| {
        extra
            .iter()
            .any(|p| p.as_bytes().eq_ignore_ascii_case(name))
    })
}

/// A secret found in a query string: the parameter name and its clear value.
pub struct QuerySecret<'a> {
    pub param: &'a str,
    pub value: &'a str,
}

/// Redact the values of secret parameters in a URL or query string.
///
/// Returns the text unchanged (borrowed) when nothing is secret, and the first secret
/// found, so the caller can make it the event's credential.
pub fn redact_query(url: &str) -> (Cow<'_, str>, Option<QuerySecret<'_>>) {
    let b = url.as_bytes();
    let Some(q) = memchr::memchr(b'?', b) else {
        return (Cow::Borrowed(url), None);
    };
    // Byte ranges (name, value) of each `name=value` pair; `&`, `=` and `?` are ASCII,
    // so every range edge is a char boundary.
    let pairs = || {
        let mut pos = q + 1;
        std::iter::from_fn(move || {
            if pos > b.len() {
                return None;
            }
            let end = memchr::memchr(b'&', &b[pos..]).map_or(b.len(), |i| pos + i);
            let pair = (pos, end);
            pos = end + 1;
            Some(pair)
        })
    };
    let secret_at = |(start, end): (usize, usize)| {
        let eq = start + memchr::memchr(b'=', &b[start..end])?;
        (eq + 1 < end && is_secret_param(&b[start..eq])).then_some((start, eq, end))
    };
    let Some((start, eq, end)) = pairs().find_map(secret_at) else {
        return (Cow::Borrowed(url), None);
    };
    let text = |a: usize, z: usize| url.get(a..z).unwrap_or("");
    let first = QuerySecret {
        param: text(start, eq),
        value: text(eq + 1, end),
    };
    let mut out = String::with_capacity(url.len());
    out.push_str(text(0, q + 1));
    for (i, (start, end)) in pairs().enumerate() {
        if i > 0 {
            out.push('&');
        }
        match secret_at((start, end)) {
            Some((start, eq, _)) => {
                out.push_str(text(start, eq + 1));
                out.push_str(REDACTED);
            }
            None => out.push_str(text(start, end)),
        }
    }
    (Cow::Owned(out), Some(first))
}

/// What a token found by its shape is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TokenShape {
    /// An AWS access key id (`AKIA…`, `ASIA…`): a public identifier, never redacted.
    AwsKeyId,
    /// A GitHub token: `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`.
    GitHub,
    /// A Slack token: `xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxs-`.
    Slack,
    /// A Stripe live key: `sk_live_`, `rk_live_`.
    Stripe,
    /// A JSON Web Token: three base64url parts, the first two starting `eyJ`.
    Jwt,
}

impl TokenShape {
    pub fn is_secret(self) -> bool {
        self != TokenShape::AwsKeyId
    }
}

/// `(prefix, shape, characters allowed after it, shortest run after it)`.
type Shape = (&'static str, TokenShape, fn(u8) -> bool, usize);

const SHAPES: &[Shape] = &[
    ("AKIA", TokenShape::AwsKeyId, upper_digit, 16),
    ("ASIA", TokenShape::AwsKeyId, upper_digit, 16),
    ("github_pat_", TokenShape::GitHub, word, 22),
    ("ghp_", TokenShape::GitHub, alnum, 36),
    ("gho_", TokenShape::GitHub, alnum, 36),
    ("ghu_", TokenShape::GitHub, alnum, 36),
    ("ghs_", TokenShape::GitHub, alnum, 36),
    ("ghr_", TokenShape::GitHub, alnum, 36),
    ("xoxb-", TokenShape::Slack, dashed, 10),
    ("xoxp-", TokenShape::Slack, dashed, 10),
    ("xoxa-", TokenShape::Slack, dashed, 10),
    ("xoxr-", TokenShape::Slack, dashed, 10),
    ("xoxs-", TokenShape::Slack, dashed, 10),
    ("sk_live_", TokenShape::Stripe, alnum, 16),
    ("rk_live_", TokenShape::Stripe, alnum, 16),
    ("eyJ", TokenShape::Jwt, jwt, 30),
];

fn upper_digit(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}
fn alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}
fn word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}
fn dashed(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}
fn jwt(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.')
}

/// The first well-known token shape in `text`: `(start, end, shape)`, byte offsets. A
/// token must start the text, a path segment or a value, and be long enough; an AWS key
/// id is exactly 20 characters.
pub fn find_token_shape(text: &str) -> Option<(usize, usize, TokenShape)> {
    // Tokens in URLs start a path segment or a value (after `/`, `=` or `&`), or the text:
    // only those places are looked at closer. Measured on the nginx parse (one core):
    // 960 MiB/s without this scan, 800 MiB/s with it; a SIMD search of the separators
    // was slower (770) on URLs this short. Never storing a token in clear is worth it.
    let b = text.as_bytes();
    if let Some(found) = shape_at(b, 0) {
        return Some(found);
    }
    // A plain loop: URLs are short, and an iterator of SIMD searches costs more to set
    // up than it saves on 50 bytes.
    let mut i = 0;
    while i + 3 < b.len() {
        if matches!(b[i], b'/' | b'=' | b'&')
            && let Some(found) = shape_at(b, i + 1)
        {
            return Some(found);
        }
        i += 1;
    }
    None
}

/// The token shape starting exactly at `i`, if any.
fn shape_at(b: &[u8], i: usize) -> Option<(usize, usize, TokenShape)> {
    if i + 2 >= b.len()
        || !matches!(
            (b[i], b[i + 1]),
            (b'A', b'K' | b'S')
                | (b'g', b'h' | b'i')
                | (b'x', b'o')
                | (b's' | b'r', b'k')
                | (b'e', b'y')
        )
    {
        return None;
    }
    for &(prefix, shape, allowed, min) in SHAPES {
        if !b[i..].starts_with(prefix.as_bytes()) {
            continue;
        }
        let body = i + prefix.len();
        let run = b[body..].iter().take_while(|&&c| allowed(c)).count();
        let ok = match shape {
            TokenShape::AwsKeyId => {
                run == min || (run > min && !b[body + min].is_ascii_alphanumeric())
            }
            TokenShape::Jwt => {
                let token = &b[body..body + run];
                run >= min
                    && token.iter().filter(|&&c| c == b'.').count() == 2
                    && memchr::memmem::find(token, b".eyJ").is_some()
            }
            _ => run >= min,
        };
        if ok {
            let end = body
                + if shape == TokenShape::AwsKeyId {
                    min
                } else {
                    run
                };
            return Some((i, end, shape));
        }
    }
    None
}

/// Replace every secret token shape in `text` with [`REDACTED`].
pub fn redact_token_shapes(text: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut from = 0;
    loop {
        let current = out.as_deref().unwrap_or(text);
        let Some(rest) = current.get(from..) else {
            break;
        };
        let Some((s, e, shape)) = find_token_shape(rest) else {
            break;
        };
        if !shape.is_secret() {
            from += e;
            continue;
        }
        let mut owned = current.to_string();
        owned.replace_range(from + s..from + e, REDACTED);
        from += s + REDACTED.len();
        out = Some(owned);
    }
    match out {
        Some(s) => Cow::Owned(s),
        None => Cow::Borrowed(text),
    }
}

/// Redact secrets in free text (an excerpt of a malformed line, an error message, a
/// logged form body): secret query parameters anywhere in the text, secret `name=value`
/// pairs outside a query too ([`redact_pairs`]), tokens of a known shape and
/// `Authorization`-style bearer values.
pub fn redact_text(text: &str) -> Cow<'_, str> {
    let (mut s, _) = redact_query_everywhere(text);
    if let (Cow::Owned(paired), _) = redact_pairs(&s) {
        s = Cow::Owned(paired);
    }
    if let Cow::Owned(shaped) = redact_token_shapes(&s) {
        s = Cow::Owned(shaped);
    }
    // Every marker ends in a space: a value without one (most) needs no search.
    let markers: &[&str] = match memchr::memchr(b' ', s.as_bytes()) {
        Some(_) => &["Bearer ", "bearer ", "Basic ", "SSWS "],
        None => &[],
    };
    for marker in markers {
        if let Some(i) = s.find(marker) {
            let start = i + marker.len();
            let end = s
                .get(start..)
                .and_then(|rest| rest.find(|c: char| c.is_whitespace() || c == '"'))
                .map_or(s.len(), |j| start + j);
            if end > start {
                let mut owned = s.into_owned();
                owned.replace_range(start..end, REDACTED);
                s = Cow::Owned(owned);
            }
        }
    }
    s
}

/// The longest parameter name [`redact_pairs`] looks for (`--secret-param` names
/// included).
const MAX_NAME: usize = 64;

/// Redact the values of secret `name=value` pairs anywhere in free text, not only in a
/// query: a form body (`grant_type=refresh_token&refresh_token=…` in `$request_body`), a
/// message quoting a request's arguments. A name is a run of letters, digits, `_`, `-`
/// and `.` (up to 64) at the start of the text or after any other character; its value
/// runs to the next space, `&`, `;`, `,`, quote or angle bracket, or is what the quotes
/// right after the `=` hold. Returns the text unchanged
/// (borrowed) when nothing is secret, and the first secret found.
pub fn redact_pairs(text: &str) -> (Cow<'_, str>, Option<QuerySecret<'_>>) {
    let b = text.as_bytes();
    let is_name = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.');
    let ends_value = |c: &u8| {
        matches!(
            c,
            b' ' | b'\t' | b'\r' | b'\n' | b'&' | b';' | b',' | b'"' | b'\'' | b'<' | b'>'
        )
    };
    let mut first: Option<QuerySecret<'_>> = None;
    let mut out: Option<String> = None;
    // Bytes of `text` already copied to `out`.
    let mut copied = 0;
    for eq in memchr::memchr_iter(b'=', b) {
        if eq < copied {
            continue;
        }
        // The name first, and only then the value: a text of many `=` and no
        // delimiter is then read once, not once per `=`.
        let from = eq.saturating_sub(MAX_NAME + 1);
        let start = match b[from..eq].iter().rposition(|&c| !is_name(c)) {
            Some(i) => from + i + 1,
            None if from == 0 => 0,
            None => continue,
        };
        if !is_secret_param(&b[start..eq]) {
            continue;
        }
        // A quoted value (`api_key='…'`) is what the quotes hold.
        let quote = b.get(eq + 1).copied().filter(|c| matches!(c, b'"' | b'\''));
        let from = eq + 1 + usize::from(quote.is_some());
        let end = match quote {
            Some(q) => memchr::memchr(q, &b[from..]),
            None => b[from..].iter().position(ends_value),
        }
        .map_or(b.len(), |i| from + i);
        let value = text.get(from..end).unwrap_or("");
        if value.is_empty() || value == REDACTED {
            continue;
        }
        // Every edge is an ASCII byte or the text's end: a char boundary.
        first.get_or_insert(QuerySecret {
            param: text.get(start..eq).unwrap_or(""),
            value,
        });
        let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
        out.push_str(text.get(copied..from).unwrap_or(""));
        out.push_str(REDACTED);
        copied = end;
    }
    match out {
        Some(mut out) => {
            out.push_str(text.get(copied..).unwrap_or(""));
            (Cow::Owned(out), first)
        }
        None => (Cow::Borrowed(text), None),
    }
}

fn redact_query_everywhere(text: &str) -> (Cow<'_, str>, bool) {
    // A line can hold several URLs (request and referer): redact each `?…` run up to the
    // next space or quote.
    if !text.contains('?') {
        return (Cow::Borrowed(text), false);
    }
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut rest = text;
    while let Some(q) = rest.find('?') {
        let end = rest
            .get(q..)
            .and_then(|r| r.find([' ', '"']))
            .map_or(rest.len(), |j| q + j);
        let (before, url_and_after) = rest.split_at(q);
        let (url, after) = url_and_after.split_at(end - q);
        out.push_str(before);
        let (red, secret) = redact_query(url);
        changed |= secret.is_some();
        out.push_str(&red);
        rest = after;
    }
    out.push_str(rest);
    if changed {
        (Cow::Owned(out), true)
    } else {
        (Cow::Borrowed(text), false)
    }
}

/// Text with no ASCII letter and no `=` (a timing, an upstream address and port, a status
/// list) holds nothing the redactions here look for: a secret parameter is `name=value`
/// with a lettered name, and every token shape and header marker begins with letters.
/// Checked first, it spares the searches on the numeric fields gateways log most.
pub fn holds_no_secret(text: &str) -> bool {
    text.bytes().all(|b| !b.is_ascii_alphabetic() && b != b'=')
}

#[cfg(test)]
mod shape_tests {
    use super::*;

    #[test]
    fn token_shapes_found_and_redacted() {
        let url = "/hooks/xoxb-1234567890-abcdefABCDEF/notify?x=1";
        let (s, e, shape) = find_token_shape(url).unwrap();
        assert_eq!(
            (url.get(s..e), shape),
            (Some("xoxb-1234567890-abcdefABCDEF"), TokenShape::Slack)
        );
        assert_eq!(redact_token_shapes(url), "/hooks/REDACTED/notify?x=1");
        let gh = format!("/repos?t=ghp_{}", "a1B2".repeat(9));
        assert_eq!(find_token_shape(&gh).map(|x| x.2), Some(TokenShape::GitHub));
        let jwt = "/cb?id=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpM";
        assert_eq!(find_token_shape(jwt).map(|x| x.2), Some(TokenShape::Jwt));
        assert_eq!(redact_token_shapes(jwt), "/cb?id=REDACTED");
        // An AWS key id is found but not redacted: it is a public identifier.
        let aws = "/s3/AKIAQ3EGALICE0260302/report";
        assert_eq!(find_token_shape(aws), Some((4, 24, TokenShape::AwsKeyId)));
        assert_eq!(redact_token_shapes(aws), aws);
        // Not at a word boundary, too short, or too long for a key id: not a token.
        assert_eq!(find_token_shape("/skask_live_x"), None);
        assert_eq!(find_token_shape("/sk_live_short"), None);
        assert_eq!(find_token_shape("/AKIAQ3EGALICE02603029"), None);
        assert_eq!(find_token_shape("/api/v1/projects/17/builds"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `holds_no_secret` passes, no redaction changes, and no pair is a secret: the
    /// numeric fields gateways log, and every sub-string of a text full of secrets that
    /// has no letter and no `=`.
    #[test]
    fn text_said_to_hold_no_secret_is_left_as_is_by_every_redaction() {
        let full = "/x?access_token=tt_live_8f2k&id=1 \"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln\" \
                    sk_live_51HxQ token=4242 AKIAIOSFODNN7EXAMPLE 0.004, 0.003 : 10.0.0.1:8080 - ? & ; _ / =9";
        let mut passed = 0;
        for start in 0..full.len() {
            for end in start..=full.len() {
                let Some(text) = full.get(start..end) else {
                    continue;
                };
                let untouched =
                    matches!(redact_text(text), Cow::Borrowed(_)) && redact_pairs(text).1.is_none();
                if holds_no_secret(text) {
                    passed += 1;
                    assert!(untouched, "{text:?}");
                }
            }
        }
        assert!(passed > 1_000, "{passed}");
        for plain in [
            "0.004",
            "0.003, 0.002",
            "10.0.0.1:8080",
            "502 : 200",
            "-",
            "",
        ] {
            assert!(holds_no_secret(plain), "{plain}");
        }
        for secretish in ["token=1", "sk_live_51HxQ", "Bearer 1", "x"] {
            assert!(!holds_no_secret(secretish), "{secretish}");
        }
    }

    #[test]
    fn query_without_secrets_is_borrowed() {
        let (s, secret) = redact_query("/a/b?page=2&sort=asc");
        assert!(matches!(s, Cow::Borrowed(_)));
        assert!(secret.is_none());
    }

    #[test]
    fn secret_params_are_redacted_and_the_first_is_returned() {
        let url = "/v1/items?page=2&access_token=abc123SECRET&api_key=k2&x=1";
        let (s, secret) = redact_query(url);
        assert_eq!(
            s,
            "/v1/items?page=2&access_token=REDACTED&api_key=REDACTED&x=1"
        );
        let secret = secret.unwrap();
        assert_eq!(secret.param, "access_token");
        assert_eq!(secret.value, "abc123SECRET");
    }

    #[test]
    fn secret_as_first_and_last_param() {
        let (s, _) = redact_query("/x?TOKEN=aaa");
        assert_eq!(s, "/x?TOKEN=REDACTED");
        let (s, _) = redact_query("/x?token=aaa&b=2");
        assert_eq!(s, "/x?token=REDACTED&b=2");
        let (s, _) = redact_query("/x?a=1&token=");
        assert_eq!(s, "/x?a=1&token=");
    }

    #[test]
    fn text_redaction_covers_urls_and_bearer_tokens() {
        let line = r#"1.2.3.4 - - "GET /x?token=SECRET1 HTTP/1.1" "https://r/?code=SECRET2" "Bearer SECRET3""#;
        let red = redact_text(line);
        assert!(!red.contains("SECRET"), "{red}");
    }

    #[test]
    fn secret_pairs_outside_a_query_are_redacted() {
        // A form body, as `$request_body` logs an OAuth token request.
        let body = "grant_type=refresh_token&refresh_token=rt_9f8e7d6c5b4a&client_id=app&client_secret=cs_77aa";
        let (red, first) = redact_pairs(body);
        assert_eq!(
            red,
            "grant_type=refresh_token&refresh_token=REDACTED&client_id=app&client_secret=REDACTED"
        );
        let first = first.unwrap();
        assert_eq!(
            (first.param, first.value),
            ("refresh_token", "rt_9f8e7d6c5b4a")
        );
        // In a message, names in any case, values up to a delimiter.
        let (red, _) = redact_pairs("bad key Access_Token=abc; next, api_key='xyz' ok");
        assert_eq!(
            red,
            "bad key Access_Token=REDACTED; next, api_key='REDACTED' ok"
        );
        // Not a secret's name: a longer word ending in one, a name too short, an empty
        // value, a value already redacted.
        for text in [
            "xaccess_token=abc",
            "id=abc",
            "token= next",
            "token=REDACTED",
            "no pairs here",
        ] {
            let (red, first) = redact_pairs(text);
            assert!(matches!(red, Cow::Borrowed(t) if t == text), "{text}");
            assert!(first.is_none(), "{text}");
        }
        // A value runs to the end of the text; a run of `=` is one value.
        assert_eq!(redact_pairs("token=a=b=c").0, "token=REDACTED");
        // Text with an `=` every other byte and no delimiter is read once per `=`, not
        // once per `=` to the end (this would take minutes otherwise).
        let many = "a=".repeat(500_000);
        assert_eq!(redact_pairs(&many).0.len(), many.len());
        let many = format!("x {}", "token=".repeat(200_000));
        assert_eq!(redact_pairs(&many).0, "x token=REDACTED");
    }

    #[test]
    fn text_redaction_covers_pairs_outside_urls() {
        let line = "2026/03/04 01:07:12 [error] 1#1: bad refresh_token=SECRET4 in body";
        let red = redact_text(line);
        assert!(!red.contains("SECRET"), "{red}");
        assert!(red.contains("refresh_token=REDACTED"), "{red}");
    }

    #[test]
    fn debug_does_not_show_the_value() {
        let s = Secret::new(&b"hunter2"[..]);
        assert_eq!(format!("{s:?}"), "Secret(<7 bytes redacted>)");
    }
}
