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
            if next == b'x'
                && i + 3 < bytes.len()
                && let (Some(h), Some(l)) = (hex(bytes[i + 2]), hex(bytes[i + 3]))
            {
                out.push(h << 4 | l);
                i += 4;
                continue;
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

/// A record's bytes with their UTF-8 validity checked once, so every field can then be
/// borrowed as text in O(1) instead of being validated again (validation per field was
/// the largest cost of the nginx parser).
#[derive(Copy, Clone)]
pub struct RecordText<'a> {
    bytes: &'a [u8],
    text: Option<&'a str>,
}

impl<'a> RecordText<'a> {
    pub fn new(bytes: &'a [u8]) -> RecordText<'a> {
        RecordText {
            bytes,
            text: simdutf8::basic::from_utf8(bytes).ok(),
        }
    }

    pub fn is_utf8(&self) -> bool {
        self.text.is_some()
    }

    /// A field (a sub-slice of the record) as text: borrowed when the record is valid
    /// UTF-8, lossy otherwise.
    #[inline]
    pub fn field(&self, field: &'a [u8]) -> Text<'a> {
        if let Some(text) = self.text {
            let start = (field.as_ptr() as usize).wrapping_sub(self.bytes.as_ptr() as usize);
            if let Some(s) = start
                .checked_add(field.len())
                .and_then(|end| text.get(start..end))
            {
                return Cow::Borrowed(s);
            }
        }
        lossy(field)
    }

    /// A field written with nginx or Apache escaping, as text.
    #[inline]
    pub fn unescaped(&self, field: &'a [u8]) -> Text<'a> {
        self.field_escaped(field, memchr::memchr(b'\\', field).is_some())
    }

    /// As [`RecordText::unescaped`], when the caller already knows whether the field has
    /// a backslash (it scanned the field to find its end).
    #[inline]
    pub fn field_escaped(&self, field: &'a [u8], has_backslash: bool) -> Text<'a> {
        if has_backslash {
            unescape(field)
        } else {
            self.field(field)
        }
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
