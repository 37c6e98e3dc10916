//! Turning logged bytes into text columns: lossy UTF-8 per field (a bad byte never
//! rejects a line) and nginx's `\xHH` escapes.

use std::borrow::Cow;

/// Text of a field, borrowed when the bytes are valid UTF-8 and need no unescaping.
pub type Text<'a> = Cow<'a, str>;

/// Lossy UTF-8: borrowed when valid, U+FFFD for each invalid sequence otherwise.
#[inline]
pub fn lossy(bytes: &[u8]) -> Text<'_> {
    String::from_utf8_lossy(bytes)
}

/// Decode a field written with nginx's default escaping (`\xHH` for `"`, `\`, control
/// bytes and bytes above 0x7E) or Apache's (`\"`, `\\`), then lossy UTF-8.
pub fn unescape(bytes: &[u8]) -> Text<'_> {
    if memchr::memchr(b'\\', bytes).is_none() {
        return lossy(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\\' && i + 1 < bytes.len() {
            let next = bytes[i + 1];
            if next == b'x' && i + 3 < bytes.len() {
                if let (Some(h), Some(l)) = (hex(bytes[i + 2]), hex(bytes[i + 3])) {
                    out.push(h << 4 | l);
                    i += 4;
                    continue;
                }
            }
            if next == b'"' || next == b'\\' {
                out.push(next);
                i += 2;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    Cow::Owned(match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `-` is how nginx writes an absent value.
#[inline]
pub fn dash_is_none(bytes: &[u8]) -> Option<&[u8]> {
    if bytes == b"-" || bytes.is_empty() {
        None
    } else {
        Some(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ascii_is_borrowed() {
        assert!(matches!(unescape(b"GET / HTTP/1.1"), Cow::Borrowed(_)));
    }

    #[test]
    fn hex_escapes_become_bytes_then_lossy_utf8() {
        // TLS handshake bytes on a plain port, as nginx logs them.
        assert_eq!(unescape(br"\x16\x03\x01"), "\u{16}\u{3}\u{1}");
        // cp1251 bytes from a real referer: not UTF-8, so replacement characters.
        assert_eq!(unescape(br"http://\xe4\xe5"), "http://\u{FFFD}\u{FFFD}");
        // UTF-8 written escaped byte by byte is restored.
        assert_eq!(unescape(br"caf\xC3\xA9"), "café");
        assert_eq!(unescape(br#"a\"b\\c"#), r#"a"b\c"#);
    }

    #[test]
    fn broken_escape_is_kept_literally() {
        assert_eq!(unescape(br"\x4"), r"\x4");
        assert_eq!(unescape(br"\q"), r"\q");
    }
}
