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

/// Whether a query parameter with this name carries a secret value.
pub fn is_secret_param(name: &[u8]) -> bool {
    if !(3..=20).contains(&name.len()) {
        return false;
    }
    SECRET_QUERY_PARAMS
        .iter()
        .any(|p| p.as_bytes().eq_ignore_ascii_case(name))
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

/// Redact secrets in free text meant for a diagnostic (an excerpt of a malformed line):
/// secret query parameters anywhere in the text and `Authorization`-style bearer values.
pub fn redact_text(text: &str) -> Cow<'_, str> {
    let (mut s, _) = redact_query_everywhere(text);
    for marker in ["Bearer ", "bearer ", "Basic ", "SSWS "] {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn debug_does_not_show_the_value() {
        let s = Secret::new(&b"hunter2"[..]);
        assert_eq!(format!("{s:?}"), "Secret(<7 bytes redacted>)");
    }
}
