//! Helpers shared by the JSON sources: tolerant field types and one entry point that turns a
//! record into a typed struct or a located, counted error.

use std::borrow::Cow;
use std::cell::Cell;

use serde::Deserialize;

use crate::error::{ParseError, ParseErrorKind};
use crate::framing::lines;
use crate::parser::{Confidence, Detail, LogParser};

pub(crate) mod walk;

/// A string field that tolerates any JSON in its place: a number, object or array where a
/// string was expected yields `None` instead of failing the whole record (exports and
/// hand-edited data put surprising things in fields), and skipping it builds nothing.
#[derive(Default)]
pub(crate) struct Lenient<'a>(pub Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for Lenient<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Lenient<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Lenient(Some(Cow::Owned(v))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Lenient(None))
            }
            fn visit_some<D: serde::Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Self::Value, D::Error> {
                d.deserialize_any(V)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Lenient(None))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Lenient(None))
            }
        }
        d.deserialize_any(V)
    }
}

pub(crate) type Str<'a> = Option<Cow<'a, str>>;

thread_local! {
    /// The [`Detail`] of the record being parsed on this thread. serde's derived
    /// deserializers take no context, so [`with_detail`] sets it around each parse.
    static DETAIL: Cell<Detail> = const { Cell::new(Detail::Full) };
}

/// Run `parse` with `detail` in force on this thread, and restore what was there (even
/// if `parse` unwinds).
pub(crate) fn with_detail<R>(detail: Detail, parse: impl FnOnce() -> R) -> R {
    struct Restore(Detail);
    impl Drop for Restore {
        fn drop(&mut self) {
            DETAIL.set(self.0);
        }
    }
    let _restore = Restore(DETAIL.replace(detail));
    parse()
}

/// Whether the parse in progress keeps only the identity of events.
#[inline]
pub(crate) fn identity_only() -> bool {
    DETAIL.get() == Detail::Identity
}

/// `read`, or skip the value unread and give `T::default()` when only the identity of
/// events is kept.
#[inline]
pub(crate) fn unless_identity<'de, D, T>(
    d: D,
    read: impl FnOnce(D) -> Result<T, D::Error>,
) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default,
{
    if identity_only() {
        return serde::de::IgnoredAny::deserialize(d).map(|_| T::default());
    }
    read(d)
}

/// [`lenient`] for a field outside [`Detail::Identity`]: skipped unread when only the
/// identity is kept.
pub(crate) fn detail<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Str<'de>, D::Error> {
    unless_identity(d, lenient)
}

/// [`lenient_obj`] for an object outside [`Detail::Identity`], as [`detail`].
pub(crate) fn detail_obj<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    unless_identity(d, lenient_obj)
}

/// [`lenient_seq`] for an array outside [`Detail::Identity`], as [`detail`].
pub(crate) fn detail_seq<'de, D, T>(d: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    unless_identity(d, lenient_seq)
}

/// `deserialize_with` for string fields: see [`Lenient`].
pub(crate) fn lenient<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Str<'de>, D::Error> {
    Lenient::deserialize(d).map(|l| l.0)
}

/// `true` or `"true"`: exports disagree on how booleans are written; anything else is
/// `None`.
#[derive(Default)]
pub(crate) struct Flag(pub Option<bool>);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(Some(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Flag, E> {
                Ok(Flag(match v {
                    _ if v.eq_ignore_ascii_case("true") => Some(true),
                    _ if v.eq_ignore_ascii_case("false") => Some(false),
                    _ => None,
                }))
            }
            fn visit_unit<E>(self) -> Result<Flag, E> {
                Ok(Flag(None))
            }
            fn visit_none<E>(self) -> Result<Flag, E> {
                Ok(Flag(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// `deserialize_with` for nested objects: an object is read as `T`; anything else in its
/// place (`"debugData": ""` in real Okta exports, `null`, a number) is `None` rather than
/// a failed record.
pub(crate) fn lenient_obj<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    d.deserialize_any(Tolerant::<T, false>(std::marker::PhantomData))
}

/// `deserialize_with` for nested arrays, as [`lenient_obj`] for objects; into a `Vec` or
/// [`Elements`].
pub(crate) fn lenient_seq<'de, D, T, C>(d: D) -> Result<Option<C>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
    C: FromIterator<T>,
{
    // An element that is not an object (rule-test data writes `resources` as strings of
    // Python reprs) is skipped, not a reason to drop the record.
    let elements =
        d.deserialize_any(Tolerant::<Vec<Element<T>>, true>(std::marker::PhantomData))?;
    Ok(elements.map(|v| v.into_iter().filter_map(|e| e.0).collect()))
}

/// The elements of an array a record keeps, the first where the record struct is: most such
/// arrays hold one (Okta's `request.ipChain`), and a `Vec` of it was an allocation and a
/// free a record (0.4% of the instructions of `credentials --by principal` on the Okta
/// bench).
pub(crate) struct Elements<T> {
    first: Option<T>,
    rest: Vec<T>,
}

impl<T> Default for Elements<T> {
    fn default() -> Elements<T> {
        Elements {
            first: None,
            rest: Vec::new(),
        }
    }
}

impl<T> Extend<T> for Elements<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        for t in items {
            match self.first {
                None => self.first = Some(t),
                Some(_) => self.rest.push(t),
            }
        }
    }
}

impl<T> FromIterator<T> for Elements<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Elements<T> {
        let mut all = Elements::default();
        all.extend(items);
        all
    }
}

impl<T> IntoIterator for Elements<T> {
    type Item = T;
    type IntoIter = std::iter::Chain<std::option::IntoIter<T>, std::vec::IntoIter<T>>;

    fn into_iter(self) -> Self::IntoIter {
        self.first.into_iter().chain(self.rest)
    }
}

/// An element of a [`lenient_seq`] array: `None` unless it is an object.
struct Element<T>(Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Element<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(Tolerant::<T, false>(std::marker::PhantomData))
            .map(Element)
    }
}

/// Reads a `T` from a map (or from a sequence when `SEQ`), and `None` from anything else.
struct Tolerant<T, const SEQ: bool>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de>, const SEQ: bool> serde::de::Visitor<'de> for Tolerant<T, SEQ> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        if SEQ {
            while map
                .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                .is_some()
            {}
            return Ok(None);
        }
        T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if SEQ {
            return T::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(Some);
        }
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// `deserialize_with` for numbers written as numbers or as strings (`"status":"200"`,
/// `"ResultType":"50126"`); anything else (`-`, null, an object) is `None`.
pub(crate) fn lenient_number<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
{
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n.to_string().parse().ok(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A string that is present and not empty.
pub(crate) fn non_empty(v: Str<'_>) -> Str<'_> {
    v.filter(|s| !s.is_empty())
}

/// Parse one JSON record into `T`: `NotAnObject` when it is not an object, `BadJson` at
/// the byte where serde stopped otherwise.
pub(crate) fn parse_object<'a, T: Deserialize<'a>>(record: &'a [u8]) -> Result<T, ParseError> {
    let first = record.iter().position(|b| !b.is_ascii_whitespace());
    if first.map(|i| record[i]) != Some(b'{') {
        return Err(ParseError::new(
            ParseErrorKind::NotAnObject,
            first.unwrap_or(0),
        ));
    }
    // Validated once with SIMD, the record is read as text: serde_json then checks no
    // string's UTF-8 again (from bytes it runs the standard check on every string).
    let parsed = match simdutf8::basic::from_utf8(record) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(record),
    };
    parsed.map_err(|e| ParseError::new(ParseErrorKind::BadJson, error_offset(record, &e)))
}

/// The object at the front of `rest` read into `T`, and how many bytes it took (for
/// [`crate::LogParser::parse_front`]: serde_json's stream says where the object ended, and
/// the rest of the document is not read). `None` when `rest` does not start with an object
/// that reads cleanly: the record is then framed and parsed on its own ([`parse_object`]).
pub(crate) fn front_object<'a, T: Deserialize<'a>>(rest: &'a str) -> Option<(T, usize)> {
    if !rest.starts_with('{') {
        return None;
    }
    let mut objects = serde_json::Deserializer::from_str(rest).into_iter::<T>();
    let object = objects.next()?.ok()?;
    Some((object, objects.byte_offset()))
}

/// Byte offset of serde_json's 1-based line and column in `record`.
pub(crate) fn error_offset(record: &[u8], e: &serde_json::Error) -> usize {
    let mut offset = 0;
    for _ in 1..e.line() {
        match memchr::memchr(b'\n', &record[offset..]) {
            Some(i) => offset += i + 1,
            None => break,
        }
    }
    (offset + e.column().saturating_sub(1)).min(record.len())
}

/// Whether `needle` occurs in `head`: sniffing looks for key names before parsing.
pub(crate) fn contains(head: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(head, needle).is_some()
}

/// The first key of the JSON object at the start of `head`, if it is a plain string.
pub(crate) fn first_key(head: &[u8]) -> Option<&[u8]> {
    let rest = head.strip_prefix(b"{")?;
    let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = rest[start..].strip_prefix(b"\"")?;
    let end = memchr::memchr(b'"', rest)?;
    Some(&rest[..end])
}

/// Confidence that `head` is JSON Lines of `parser`'s records: the share of its first
/// complete lines (up to 10) that parse, scaled to 95. The last line is left out when
/// others were tried, since the head may cut it.
pub(crate) fn sniff_json_lines(parser: &dyn LogParser, head: &[u8]) -> Confidence {
    if head.first() != Some(&b'{') {
        return Confidence::NONE;
    }
    let mut ok = 0u32;
    let mut tried = 0u32;
    let mut out = Vec::new();
    let mut all = lines(head)
        .filter(|l| !l.bytes.is_empty())
        .take(10)
        .peekable();
    while let Some(line) = all.next() {
        if all.peek().is_none() && tried > 0 {
            break;
        }
        tried += 1;
        out.clear();
        if parser.parse(line.bytes, &mut out).is_ok() {
            ok += 1;
        }
    }
    match ok {
        0 => Confidence::NONE,
        _ => Confidence((ok * 95 / tried) as u8),
    }
}
