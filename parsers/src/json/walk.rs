//! A walk over plain JSON records for the identity of events, or every field when the
//! parse keeps them all (Okta's, Auth0's and Entra ID's walks): the fields a parser keeps
//! are read where they are, everything else is stepped over, with none of serde's
//! machinery between the bytes and the fields.
//!
//! Half of an identity-only parse through serde was not skipping the bulky parts of a
//! record but reading the few fields kept: on the Okta bench serde_json steps over whole
//! records at 1.46 GiB/s and read the identity at 0.72 GiB/s (docs/performance.md).
//!
//! The walk reads only records it can read exactly as the serde path does, and gives up
//! (`None`) on anything else, which serde then reads: escaped text where a value is kept
//! or in any key, a number where a string or an object may be (serde_json may refuse
//! one out of range there), a field seen twice, nesting deeper than [`MAX_DEPTH`]. What
//! it steps over it checks as serde_json's `IgnoredAny` does (strings with their escapes
//! and without control characters, number grammar, literals, separators), so that a record
//! it reads is a record serde reads, with the same fields; the parsers' tests hold it to
//! that on every real and damaged record they have, and so does the `parse_record` fuzz
//! target.

use std::borrow::Cow;

use serde::Deserialize;

use super::{Str, front_object, identity_only, parse_object, with_detail};
use crate::error::ParseError;
use crate::event::Event;
use crate::parser::Detail;

/// Deeper records are left to serde_json (whose limit is 128).
const MAX_DEPTH: u32 = 64;

/// `None`: not a record the walk reads; serde_json decides.
pub(crate) type Walked<T> = Option<T>;

/// How a parser makes a record struct `T` an event: into the default event it is given
/// (filled where it lies: an event is a few hundred bytes, and each move of it a copy).
pub(crate) type Finish<'a, T> = fn(&mut T, &mut Event<'a>) -> Result<(), ParseError>;

/// How a parser reads a record struct `T` (a default one, filled where it lies).
pub(crate) type Read<'a, T> = fn(&mut Walk<'a>, &mut T) -> Walked<()>;

/// The event `finish` makes of `t`.
fn event_of<'a, T>(
    finish: &impl Fn(&mut T, &mut Event<'a>) -> Result<(), ParseError>,
    t: &mut T,
) -> Result<Event<'a>, ParseError> {
    let mut event = Event::default();
    finish(t, &mut event)?;
    Ok(event)
}

/// The event `finish` makes of `t`, made in place at the end of `out`; `None` (nothing
/// pushed) when it makes none.
#[inline]
fn push_event<'a, T>(out: &mut Vec<Event<'a>>, finish: Finish<'a, T>, t: &mut T) -> Option<()> {
    if finish(t, Event::push_default(out)).is_err() {
        out.pop();
        return None;
    }
    Some(())
}

/// Whether a parser's walk serves the parse in progress: every walk reads the identity of
/// events; `every_detail`: this walk reads every field its record struct has.
#[inline]
fn walk_serves(every_detail: bool) -> bool {
    every_detail || identity_only()
}

/// A record's event: its record struct `T` read by `walk` when the walk serves this
/// parse ([`walk_serves`]) and reads the record, by serde otherwise; then made an event by
/// `finish`.
#[inline]
pub(crate) fn walked_or_parsed<'a, T: Deserialize<'a>>(
    record: &'a [u8],
    walk: impl Fn(&'a str) -> Walked<T>,
    finish: impl Fn(&mut T, &mut Event<'a>) -> Result<(), ParseError>,
    every_detail: bool,
) -> Result<Event<'a>, ParseError> {
    if walk_serves(every_detail)
        && let Ok(text) = simdutf8::basic::from_utf8(record)
        && let Some(mut walked) = walk(text)
    {
        return event_of(&finish, &mut walked);
    }
    event_of(&finish, &mut parse_object(record)?)
}

/// [`crate::LogParser::parse_front`] of a record struct `T`: the object at the front of
/// `rest` read by `read` when the walk serves this parse ([`walk_serves`]) and reads it,
/// by serde otherwise; its event into `out` and where it ended, or `None` (nothing
/// pushed).
pub(crate) fn front_walked_or_parsed<'a, T: Deserialize<'a> + Default>(
    rest: &'a str,
    read: Read<'a, T>,
    finish: Finish<'a, T>,
    out: &mut Vec<Event<'a>>,
    every_detail: bool,
) -> Option<usize> {
    let walked = walk_serves(every_detail).then(|| Walk::front(rest, read));
    let (mut t, end) = match walked.flatten() {
        Some(walked) => walked,
        None => front_object(rest)?,
    };
    push_event(out, finish, &mut t)?;
    Some(end)
}

/// [`crate::LogParser::parse_line_front`] of a record struct `T`: the object at the front
/// of `rest` read by `read` alone, when only the identity is kept and the object lies on
/// one line; its event into `out` and where it ended, or `None` (nothing pushed), and the
/// caller cuts the line and parses it as any other. Never serde: serde_json would read
/// an object across newlines, which a line's parse does not.
pub(crate) fn line_front_walked<'a, T: Default>(
    rest: &'a str,
    read: Read<'a, T>,
    finish: Finish<'a, T>,
    out: &mut Vec<Event<'a>>,
) -> Option<usize> {
    if !identity_only() {
        return None;
    }
    // Read and made an event where they lie: each move of a record struct or an event
    // was a copy of a few hundred bytes (six of the seven copies an Okta record made, 4%
    // of the walk's instructions).
    let mut t = T::default();
    let end = Walk::front_into(rest, read, true, &mut t)?;
    push_event(out, finish, &mut t)?;
    Some(end)
}

/// Whether `read`, where it reads the object at the front of `rest` keeping `detail`,
/// reads what serde's front read gives: the same event (or none) and the same end.
pub(crate) fn front_walk_agrees<'a, T: Deserialize<'a> + Default>(
    rest: &'a str,
    read: Read<'a, T>,
    finish: Finish<'a, T>,
    detail: Detail,
) -> bool {
    let Some((mut walked, end)) = with_detail(detail, || Walk::front(rest, read)) else {
        return true;
    };
    match with_detail(detail, || front_object::<T>(rest)) {
        Some((mut parsed, parsed_end)) => {
            end == parsed_end
                && event_of(&finish, &mut walked).ok() == event_of(&finish, &mut parsed).ok()
        }
        None => false,
    }
}

/// Whether `walk`, where it reads `record` keeping `detail`, gives the event serde gives
/// (the property the tests and the `parse_record` fuzz target check).
pub(crate) fn walk_agrees<'a, T: Deserialize<'a>>(
    record: &'a [u8],
    walk: fn(&'a str) -> Walked<T>,
    finish: Finish<'a, T>,
    detail: Detail,
) -> bool {
    let Ok(text) = std::str::from_utf8(record) else {
        return true;
    };
    let Some(mut walked) = with_detail(detail, || walk(text)) else {
        return true;
    };
    with_detail(detail, || event_of(&finish, &mut walked))
        == with_detail(detail, || event_of(&finish, &mut parse_object(record)?))
}

pub(crate) struct Walk<'a> {
    text: &'a str,
    at: usize,
    depth: u32,
    /// A newline between values ends the walk (`None`): the record is read from a
    /// chunk of JSON Lines, where a newline ends the record.
    one_line: bool,
}

/// Where the first byte that ends a plain run of string content is: `"`, `\` or a control
/// character. Sixteen bytes at a time with SSE2 (every x86-64 has it), else eight with a
/// word: most strings of a record are short.
#[inline(always)]
fn string_stop(b: &[u8]) -> Option<usize> {
    let mut at = 0;
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        use safe_arch::{
            bitor_m128i, cmp_eq_mask_i8_m128i, load_unaligned_m128i, min_u8_m128i,
            move_mask_i8_m128i, set_splat_i8_m128i,
        };
        let quote = set_splat_i8_m128i(b'"' as i8);
        let slash = set_splat_i8_m128i(b'\\' as i8);
        let below = set_splat_i8_m128i(0x1f);
        while let Some(block) = b
            .get(at..at + 16)
            .and_then(|s| <&[u8; 16]>::try_from(s).ok())
        {
            let v = load_unaligned_m128i(block);
            let control = cmp_eq_mask_i8_m128i(min_u8_m128i(v, below), v);
            let stops = bitor_m128i(
                bitor_m128i(
                    cmp_eq_mask_i8_m128i(v, quote),
                    cmp_eq_mask_i8_m128i(v, slash),
                ),
                control,
            );
            let found = move_mask_i8_m128i(stops);
            if found != 0 {
                return Some(at + found.trailing_zeros() as usize);
            }
            at += 16;
        }
    }
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    while let Some(word) = b.get(at..at + 8).and_then(|s| <[u8; 8]>::try_from(s).ok()) {
        let w = u64::from_le_bytes(word);
        let quote = w ^ (ONES * u64::from(b'"'));
        let slash = w ^ (ONES * u64::from(b'\\'));
        // Bytes below 0x20, and bytes equal to `"` or `\`: each test flags its lowest match
        // exactly (a borrow only flags bytes above a match), so the lowest flag is exact.
        let control = w.wrapping_sub(ONES * 0x20) & !w;
        let quotes = quote.wrapping_sub(ONES) & !quote;
        let slashes = slash.wrapping_sub(ONES) & !slash;
        let found = (control | quotes | slashes) & HIGHS;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    b.get(at..)?
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|i| at + i)
}

impl<'a> Walk<'a> {
    pub(crate) fn new(text: &'a str) -> Walk<'a> {
        Walk {
            text,
            at: 0,
            depth: 0,
            one_line: false,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next byte that is not JSON whitespace.
    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        // Records are mostly written without whitespace: the byte at hand is the token's.
        let c = *self.bytes().get(self.at)?;
        if c > b' ' {
            return Some(c);
        }
        self.peek_past_space()
    }

    /// [`Walk::peek`] where whitespace may come first.
    #[inline(never)]
    fn peek_past_space(&mut self) -> Option<u8> {
        let b = self.bytes();
        while let Some(&c) = b.get(self.at) {
            // Every byte that starts a token is above the space.
            if c > b' ' || !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(c);
            }
            if c == b'\n' && self.one_line {
                return None;
            }
            self.at += 1;
        }
        None
    }

    #[inline(always)]
    fn eat(&mut self, c: u8) -> Walked<()> {
        // Most often the byte at hand, just peeked by the caller.
        if self.bytes().get(self.at) == Some(&c) {
            self.at += 1;
            return Some(());
        }
        (self.peek()? == c).then(|| self.at += 1)
    }

    /// The whole text is one value read by `read`, and nothing after it.
    pub(crate) fn whole<T: Default>(mut self, read: Read<'a, T>) -> Walked<T> {
        let mut t = T::default();
        read(&mut self, &mut t)?;
        match self.peek() {
            None => Some(t),
            Some(_) => None,
        }
    }

    /// The object at the front of `rest` (its first byte the `{`, as a front read is
    /// given) read by `read`, and where it ended.
    pub(crate) fn front<T: Default>(rest: &'a str, read: Read<'a, T>) -> Walked<(T, usize)> {
        let mut t = T::default();
        let end = Walk::front_into(rest, read, false, &mut t)?;
        Some((t, end))
    }

    /// [`Walk::front`] into `t` where it lies, and where the object ended; `one_line`:
    /// the object must lie on its first line.
    fn front_into<T>(rest: &'a str, read: Read<'a, T>, one_line: bool, t: &mut T) -> Walked<usize> {
        if !rest.starts_with('{') {
            return None;
        }
        let mut w = Walk::new(rest);
        w.one_line = one_line;
        read(&mut w, t)?;
        Some(w.at)
    }

    /// A string with no escape: its text, borrowed.
    #[inline(always)]
    fn plain_str(&mut self) -> Walked<&'a str> {
        let (start, end) = self.plain_span()?;
        // Both ends are next to a quote: `split_at_checked`'s boundary test is inlined
        // where `get`'s range is a call.
        let (_, rest) = self.text.split_at_checked(start)?;
        rest.split_at_checked(end - start).map(|(s, _)| s)
    }

    /// A string with no escape as its bytes: a key, only ever compared with names (its
    /// text is UTF-8, being part of the record's; no char boundary to check).
    #[inline(always)]
    fn plain_bytes(&mut self) -> Walked<&'a [u8]> {
        let (start, end) = self.plain_span()?;
        self.bytes().get(start..end)
    }

    /// Where the content of a string with no escape starts and ends; the walk is then
    /// past its closing quote.
    #[inline(always)]
    fn plain_span(&mut self) -> Walked<(usize, usize)> {
        self.eat(b'"')?;
        let start = self.at;
        let rest = self.bytes().get(start..)?;
        let len = string_stop(rest)?;
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        self.at = start + len + 1;
        Some((start, start + len))
    }

    /// Any string, stepped over: escapes must be JSON's, no control character.
    #[inline(always)]
    fn skip_str(&mut self) -> Walked<()> {
        self.eat(b'"')?;
        loop {
            let stop = self.at + string_stop(self.bytes().get(self.at..)?)?;
            match self.bytes()[stop] {
                b'"' => {
                    self.at = stop + 1;
                    return Some(());
                }
                b'\\' => {
                    let escaped = *self.bytes().get(stop + 1)?;
                    self.at = stop + 2;
                    match escaped {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            let hex = self.bytes().get(self.at..self.at + 4)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.at += 4;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// A number, stepped over, by JSON's grammar (serde_json's `IgnoredAny` checks no
    /// more: not its range).
    fn skip_number(&mut self) -> Walked<()> {
        let b = self.bytes();
        let digits = |at: usize| {
            b.get(at..)
                .map_or(0, |r| r.iter().take_while(|c| c.is_ascii_digit()).count())
        };
        let mut at = self.at;
        if b.get(at) == Some(&b'-') {
            at += 1;
        }
        match b.get(at)? {
            b'0' => at += 1,
            b'1'..=b'9' => at += digits(at),
            _ => return None,
        }
        if b.get(at) == Some(&b'.') {
            let n = digits(at + 1);
            if n == 0 {
                return None;
            }
            at += 1 + n;
        }
        if matches!(b.get(at), Some(b'e' | b'E')) {
            at += 1;
            if matches!(b.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            let n = digits(at);
            if n == 0 {
                return None;
            }
            at += n;
        }
        // `01`, `1.` and the like end here and fail where they are read next.
        self.at = at;
        Some(())
    }

    fn literal(&mut self, word: &str) -> Walked<()> {
        let end = self.at + word.len();
        (self.bytes().get(self.at..end)? == word.as_bytes()).then(|| self.at = end)
    }

    /// Any value, stepped over and checked as serde_json's `IgnoredAny` checks it.
    #[inline(always)]
    pub(crate) fn skip(&mut self) -> Walked<()> {
        match self.peek()? {
            b'"' => self.skip_str(),
            b'{' => self.skip_object(),
            b'[' => self.skip_array(),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => None,
        }
    }

    /// An object stepped over: with [`Walk::skip_array`], the steps of [`Walk::skip`] that
    /// are calls (most values stepped over are strings, read where they are).
    #[inline(never)]
    fn skip_object(&mut self) -> Walked<()> {
        // Of each key, only whether it is a plain string.
        self.members(|w| {
            w.plain_span()?;
            w.eat(b':')?;
            w.skip()
        })
    }

    /// An array stepped over (see [`Walk::skip_object`]).
    #[inline(never)]
    fn skip_array(&mut self) -> Walked<()> {
        self.array(|w| w.skip())
    }

    fn enter(&mut self) -> Walked<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// An object: `each` reads the value of each key, given as its bytes (a key with an
    /// escape is serde's).
    pub(crate) fn object(
        &mut self,
        mut each: impl FnMut(&mut Walk<'a>, &'a [u8]) -> Walked<()>,
    ) -> Walked<()> {
        self.members(|w| {
            let key = w.plain_bytes()?;
            w.eat(b':')?;
            each(w, key)
        })
    }

    /// An object whose members (a key, its colon and its value) `member` reads.
    #[inline(always)]
    fn members(&mut self, mut member: impl FnMut(&mut Walk<'a>) -> Walked<()>) -> Walked<()> {
        self.eat(b'{')?;
        self.enter()?;
        if self.peek()? == b'}' {
            self.at += 1;
            self.depth -= 1;
            return Some(());
        }
        loop {
            member(self)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    self.depth -= 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// An object read into a `T` field by field: `field` reads the value of each key, with
    /// the fields seen so far (a field seen twice leaves the record to serde: [`Seen`]).
    pub(crate) fn fields<T: Default>(
        &mut self,
        field: impl FnMut(&mut T, &mut Seen, &mut Walk<'a>, &'a [u8]) -> Walked<()>,
    ) -> Walked<T> {
        let mut t = T::default();
        self.fields_into(&mut t, field)?;
        Some(t)
    }

    /// [`Walk::fields`] into a `T` where it lies (a record struct of a few hundred bytes).
    pub(crate) fn fields_into<T>(
        &mut self,
        t: &mut T,
        mut field: impl FnMut(&mut T, &mut Seen, &mut Walk<'a>, &'a [u8]) -> Walked<()>,
    ) -> Walked<()> {
        let mut seen = Seen::default();
        self.object(|w, key| field(t, &mut seen, w, key))
    }

    /// An array: `each` reads each element.
    pub(crate) fn array(
        &mut self,
        mut each: impl FnMut(&mut Walk<'a>) -> Walked<()>,
    ) -> Walked<()> {
        self.eat(b'[')?;
        self.enter()?;
        if self.peek()? == b']' {
            self.at += 1;
            self.depth -= 1;
            return Some(());
        }
        loop {
            each(self)?;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    self.depth -= 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A `lenient_number` field ([`super::lenient_number`]) read as a `T` (an integer
    /// type): a plain integer (no sign, fraction or exponent: those are serde's) or a
    /// string holding one; `None` for null, a boolean, or a value `T` cannot hold.
    pub(crate) fn lenient_integer<T: std::str::FromStr>(&mut self) -> Walked<Option<T>> {
        match self.peek()? {
            b'"' => self.plain_str().map(|s| s.trim().parse().ok()),
            b't' | b'f' | b'n' => self.skip().map(|_| None),
            b'0'..=b'9' => {
                let b = self.bytes();
                let start = self.at;
                let n = b[start..].iter().take_while(|c| c.is_ascii_digit()).count();
                let leading_zero = n > 1 && b[start] == b'0';
                if n > 18 || leading_zero || matches!(b.get(start + n), Some(b'.' | b'e' | b'E')) {
                    return None;
                }
                self.at = start + n;
                // The digits as serde_json writes the number back (no leading zero), read
                // as `T`: what `lenient_number` does.
                Some(self.text.get(start..start + n)?.parse().ok())
            }
            _ => None,
        }
    }

    /// A [`super::Flag`]: `true`/`false`, or a string saying so in any case; `None` for
    /// null or any other string. A number, an array or an object is an error to serde.
    pub(crate) fn flag(&mut self) -> Walked<Option<bool>> {
        match self.peek()? {
            b't' => self.literal("true").map(|_| Some(true)),
            b'f' => self.literal("false").map(|_| Some(false)),
            b'n' => self.literal("null").map(|_| None),
            b'"' => self.plain_str().map(|s| match s {
                _ if s.eq_ignore_ascii_case("true") => Some(true),
                _ if s.eq_ignore_ascii_case("false") => Some(false),
                _ => None,
            }),
            _ => None,
        }
    }

    /// An object read by `read`, or `None` for null or a boolean; a string, a number or
    /// an array is left to serde (where a field's reader parses a string as JSON, or
    /// reads the value as a `serde_json::Value`).
    pub(crate) fn object_or_literal<T>(
        &mut self,
        read: impl FnOnce(&mut Walk<'a>) -> Walked<T>,
    ) -> Walked<Option<T>> {
        match self.peek()? {
            b'{' => read(self).map(Some),
            b't' | b'f' | b'n' => self.skip().map(|_| None),
            _ => None,
        }
    }

    /// A string without escapes, or `None` for null; anything else is left to serde.
    pub(crate) fn plain_or_null(&mut self) -> Walked<Option<&'a str>> {
        match self.peek()? {
            b'"' => self.plain_str().map(Some),
            b'n' => self.literal("null").map(|_| None),
            _ => None,
        }
    }

    /// A string without escapes, a boolean or null stepped over; `None` (serde decides)
    /// for anything else: inside a value serde reads as a `serde_json::Value`, a number
    /// is checked for its range and a `\u` escape for a lone surrogate, which stepping
    /// over does not do.
    pub(crate) fn skip_scalar(&mut self) -> Walked<()> {
        match self.peek()? {
            b'"' => self.plain_str().map(|_| ()),
            b't' | b'f' | b'n' => self.skip(),
            _ => None,
        }
    }

    /// Any value, stepped over where serde_json reading it as a `serde_json::Value` would
    /// accept it: strings without escapes (a `\u` escape may be a lone surrogate, which a
    /// `Value` refuses and stepping over does not), numbers without an exponent and under
    /// 300 bytes (a `Value` refuses one beyond `f64`'s range, and no such decimal is),
    /// literals, and objects and arrays of such; `None` (serde decides) for anything else.
    pub(crate) fn skip_as_value(&mut self) -> Walked<()> {
        match self.peek()? {
            b'"' => self.plain_str().map(|_| ()),
            b'{' => self.object(|w, _| w.skip_as_value()),
            b'[' => self.array(|w| w.skip_as_value()),
            b't' | b'f' | b'n' => self.skip(),
            b'-' | b'0'..=b'9' => {
                let start = self.at;
                self.skip_number()?;
                let number = &self.bytes()[start..self.at];
                (number.len() < 300 && !number.iter().any(|c| matches!(c, b'e' | b'E')))
                    .then_some(())
            }
            _ => None,
        }
    }

    /// A field serde reads as a `serde_json::Value` and then as an object (Entra ID's
    /// `object_or_json_string`): an object read by `read`; `None` for null, a boolean, an
    /// array, or a string whose text does not start (after whitespace) with `{`. Left to
    /// serde: a string that does (JSON text, parsed again) and a number.
    pub(crate) fn value_object<T>(
        &mut self,
        read: impl FnOnce(&mut Walk<'a>) -> Walked<T>,
    ) -> Walked<Option<T>> {
        match self.peek()? {
            b'{' => read(self).map(Some),
            b'"' => {
                let text = self.plain_str()?;
                (!text.trim_start().starts_with('{')).then_some(None)
            }
            b'[' | b't' | b'f' | b'n' => self.skip_as_value().map(|_| None),
            _ => None,
        }
    }

    /// An `Option<String>` field of a struct serde makes of a `serde_json::Value`: a string
    /// without escapes or null (`Ok`); any other value stepped over as
    /// [`Walk::skip_as_value`] is `Err` (`serde_json::from_value` refuses the struct).
    pub(crate) fn value_text(&mut self) -> Walked<Result<Option<&'a str>, ()>> {
        match self.peek()? {
            b'"' => self.plain_str().map(|s| Ok(Some(s))),
            b'n' => self.literal("null").map(|_| Ok(None)),
            _ => self.skip_as_value().map(|_| Err(())),
        }
    }

    /// A field serde reads only beyond the identity ([`super::unless_identity`]): read by
    /// `read` when the parse keeps every field, stepped over (and `T::default()`) when it
    /// keeps only the identity.
    pub(crate) fn detail<T: Default>(
        &mut self,
        read: impl FnOnce(&mut Walk<'a>) -> Walked<T>,
    ) -> Walked<T> {
        if identity_only() {
            return self.skip().map(|_| T::default());
        }
        read(self)
    }

    /// A `lenient` field ([`super::lenient`]): a string's text; `None` for null, a
    /// boolean, an array or an object.
    #[inline(always)]
    pub(crate) fn lenient(&mut self) -> Walked<Str<'a>> {
        // Most values are strings, read where the field is read, without a call.
        if self.bytes().get(self.at) == Some(&b'"') {
            return self.plain_str().map(|s| Some(Cow::Borrowed(s)));
        }
        self.lenient_other()
    }

    /// [`Walk::lenient`] of a value that may not be a string.
    #[inline(never)]
    fn lenient_other(&mut self) -> Walked<Str<'a>> {
        match self.peek()? {
            b'"' => self.plain_str().map(|s| Some(Cow::Borrowed(s))),
            b't' | b'f' | b'n' | b'[' | b'{' => self.skip().map(|_| None),
            _ => None,
        }
    }

    /// A `lenient_obj` field ([`super::lenient_obj`]): an object read by `read`; `None`
    /// for a string, null, a boolean or an array.
    pub(crate) fn lenient_obj<T>(
        &mut self,
        read: impl FnOnce(&mut Walk<'a>) -> Walked<T>,
    ) -> Walked<Option<T>> {
        match self.peek()? {
            b'{' => read(self).map(Some),
            b'"' => self.plain_str().map(|_| None),
            b't' | b'f' | b'n' | b'[' => self.skip().map(|_| None),
            _ => None,
        }
    }

    /// A `lenient_seq` field ([`super::lenient_seq`]): the objects of an array, each read
    /// by `read` (its other elements skipped), into a `Vec` or [`super::Elements`]; `None`
    /// for a string, null, a boolean or an object.
    pub(crate) fn lenient_seq<T, C: Default + Extend<T>>(
        &mut self,
        mut read: impl FnMut(&mut Walk<'a>) -> Walked<T>,
    ) -> Walked<Option<C>> {
        match self.peek()? {
            b'[' => {
                let mut all = C::default();
                self.array(|w| {
                    if let Some(t) = w.lenient_obj(&mut read)? {
                        all.extend(Some(t));
                    }
                    Some(())
                })?;
                Some(Some(all))
            }
            b'"' => self.plain_str().map(|_| None),
            b't' | b'f' | b'n' | b'{' => self.skip().map(|_| None),
            _ => None,
        }
    }
}

/// Fields of one struct seen so far: a field seen twice is an error for serde's derived
/// structs, so the walk leaves such a record to serde.
#[derive(Default)]
pub(crate) struct Seen(u64);

impl Seen {
    /// Field `i` (below 64: its name or an alias) is seen now; `None` when it was already.
    #[inline]
    pub(crate) fn first(&mut self, i: u32) -> Walked<()> {
        let bit = 1u64 << i;
        if self.0 & bit != 0 {
            return None;
        }
        self.0 |= bit;
        Some(())
    }
}

#[cfg(test)]
/// Damaged and unusual forms of a real record (the values of `keys` replaced, keys
/// repeated and escaped, cuts, stray escapes, whitespace, deep nesting, text after the
/// object): each a case where the walk must read what serde reads or leave the record to
/// serde.
pub(crate) fn variants(record: &str, keys: &[&str]) -> Vec<String> {
    // `record` with its bytes `start..end` replaced by `with` (`None` off a char boundary).
    let splice = |start: usize, end: usize, with: &str| {
        Some(format!(
            "{}{with}{}",
            record.get(..start)?,
            record.get(end..)?
        ))
    };
    let mut all = vec![record.to_string()];
    for cut in (1..record.len()).step_by(37) {
        all.extend(record.get(..cut).map(str::to_string));
    }
    for (i, _) in record.match_indices('"').step_by(3) {
        all.extend(splice(i, i, "\\"));
        all.extend(splice(i, i + 1, "x"));
    }
    for (i, _) in record.match_indices([',', ':', '{', '[']).step_by(2) {
        all.extend(splice(i + 1, i + 1, " \n\t"));
        all.extend(splice(i + 1, i + 1, "\u{c}"));
    }
    let values = [
        "1",
        "-0",
        "01",
        "1.",
        "1e400",
        "-1.5e-3",
        "null",
        "true",
        "false",
        "[]",
        "{}",
        "[1,{\"a\":[null]}]",
        "{\"ip\":\"1.2.3.4\"}",
        "\"\"",
        "\"null\"",
        "\"a\\\"b\"",
        "\"\\u00e9\"",
        "\"\\ud800\"",
        "\"\\x\"",
        "\"\u{1}\"",
        "\"é\"",
        "[{\"ip\":\"9.9.9.9\"},2,\"x\"]",
        "200",
        "\" 200 \"",
        "200.0",
        "2e2",
        "-1",
        "0200",
        "99999999999",
        "123456789012345678901",
        "\"abc\"",
    ];
    for &key in keys {
        let needle = format!("\"{key}\":");
        if let Some(at) = record.find(&needle) {
            let start = at + needle.len();
            // The value's end, for a value that is a string or a flat object.
            let rest = record.get(start..).unwrap_or_default();
            let end = match rest.as_bytes().first() {
                Some(b'"') => rest.get(1..).and_then(|r| r.find('"')).map(|e| e + 2),
                Some(b'{') => rest.find('}').map(|e| e + 1),
                // A number or a literal.
                Some(_) => rest.find([',', '}', ']']),
                None => None,
            };
            if let Some(end) = end {
                for v in values {
                    all.extend(splice(start, start + end, v));
                }
            }
        }
        // The key again (or its warehouse alias) at the front, and escaped.
        let rest = record.strip_prefix('{').unwrap_or(record);
        all.push(format!("{{\"{key}\":\"x\",{rest}"));
        all.push(format!("{{\"{}\":\"x\",{rest}", key.to_ascii_lowercase()));
        all.push(format!("{{\"{}\\u0041\":1,{rest}", key));
    }
    let rest = record.strip_prefix('{').unwrap_or(record);
    for depth in [10, 63, 64, 65, 130] {
        let deep = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        all.push(format!("{{\"deep\":{deep},{rest}"));
    }
    all.push(format!("{record} x"));
    all.push(format!("{record}}}"));
    all.push(format!("  {record}\r\n"));
    all.push(format!(
        "{{\"detail\":{record},\"detail-type\":\"SystemLog\"}}"
    ));
    all
}

/// What [`check_against_serde`] saw: the real records the walk reads, and how many forms
/// it read or left to serde.
#[cfg(test)]
pub(crate) struct Checked {
    pub(crate) real: usize,
    pub(crate) walked: usize,
    pub(crate) left: usize,
}

#[cfg(test)]
impl Checked {
    /// The walk read `real` real records itself (keeping `detail`), and of their forms
    /// more than `each` it read and more than `each` it left to serde.
    pub(crate) fn assert_counts(&self, detail: Detail, real: usize, each: usize) {
        assert_eq!(self.real, real, "{detail:?}: real records the walk reads");
        let (walked, left) = (self.walked, self.left);
        assert!(
            walked > each && left > each,
            "{detail:?}: {walked} walked, {left} left to serde"
        );
    }
}

/// What a walk must agree with serde on, keeping `detail`: a whole record (`whole`, as
/// `identity_walk_agrees`) and one at the front of a rest (`front`).
#[cfg(test)]
pub(crate) struct Agreement {
    pub(crate) detail: Detail,
    pub(crate) whole: fn(&[u8]) -> bool,
    pub(crate) front: fn(&str) -> bool,
}

/// A walk's two agreement checks with serde: a whole record, one at the front of a rest.
#[cfg(test)]
pub(crate) type AgreementChecks = (fn(&[u8]) -> bool, fn(&str) -> bool);

#[cfg(test)]
impl Agreement {
    /// The agreements of a walk that reads every field when asked: for the identity
    /// (`identity_walk_agrees`, `identity_front_walk_agrees`), then with every field kept.
    pub(crate) fn both(identity: AgreementChecks, full: AgreementChecks) -> [Agreement; 2] {
        [(Detail::Identity, identity), (Detail::Full, full)].map(|(detail, (whole, front))| {
            Agreement {
                detail,
                whole,
                front,
            }
        })
    }
}

/// A parser's walk held to serde, keeping `agreement.detail`, on the real records of
/// `fixture` (JSON Lines under tests/fixtures) and `parser`'s examples, and on their
/// [`variants`] plus the forms `wrapped` makes of each record: wherever `walks` says the
/// walk reads a form (with that detail kept), `agreement.whole` must hold of it; every
/// form at the front of three array rests must satisfy `agreement.front`, and at the front
/// of four rests of JSON Lines `parser`'s line reads must keep their promise
/// ([`crate::parser::line_front_agrees`]); a real record the walk reads whole and that
/// gives events must be read from the front of its line, and most are.
#[cfg(test)]
pub(crate) fn check_against_serde(
    fixture: &str,
    keys: &[&str],
    wrapped: fn(&str) -> Vec<String>,
    walks: fn(&str) -> bool,
    agreement: Agreement,
    parser: &dyn crate::LogParser,
) -> Checked {
    let Agreement {
        detail,
        whole: agrees,
        front: front_agrees,
    } = agreement;
    let walks = |text: &str| with_detail(detail, || walks(text));
    let path = format!("{}/../tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let records = text
        .lines()
        .map(str::to_string)
        .chain(parser.examples().iter().map(|e| e.record.to_string()));
    let mut read_from_line = 0;
    let mut checked = Checked {
        real: 0,
        walked: 0,
        left: 0,
    };
    for record in records {
        checked.real += usize::from(walks(&record));
        // A record the walk reads whole, and that gives events, is read from the front of
        // its line too.
        if walks(&record) {
            let rest = format!("{record}\n{record}");
            let (mut out, mut whole) = (Vec::new(), Vec::new());
            let line_read = crate::parser::parse_line_front_keeping(
                parser,
                crate::Detail::Identity,
                &rest,
                &mut out,
            );
            let parsed = crate::parse_keeping(
                parser,
                crate::Detail::Identity,
                record.as_bytes(),
                &mut whole,
            );
            let expected = parsed.is_ok().then_some(record.len());
            assert_eq!(line_read, expected, "{record}");
            read_from_line += usize::from(line_read.is_some());
        }
        let mut all = variants(&record, keys);
        all.extend(wrapped(&record));
        for v in all {
            for rest in [
                format!("{v},{v}]"),
                format!("{v}]"),
                format!("{v} ,\n{{}}]"),
            ] {
                assert!(front_agrees(&rest), "{rest}");
            }
            for rest in [
                format!("{v}\n{v}"),
                format!("{v} \t\r\n{{}}"),
                v.clone(),
                format!("{v} x\n"),
            ] {
                assert!(crate::parser::line_front_agrees(parser, &rest), "{rest}");
            }
            match walks(&v) {
                true => {
                    checked.walked += 1;
                    assert!(agrees(v.as_bytes()), "{v}");
                }
                false => checked.left += 1,
            }
        }
    }
    // Those that give events are read from the front of their line too (most real ones).
    assert!(
        read_from_line * 10 > checked.real * 7,
        "{read_from_line} of {} real records read from their line",
        checked.real
    );
    checked
}

#[cfg(test)]
mod tests {
    use super::string_stop;

    /// The word scan stops where a byte-by-byte search does: at the first `"`, `\` or
    /// control character, wherever it is in or after the words and whichever comes first,
    /// among the bytes next to them in value (a borrow in the word tests must not flag
    /// them) and bytes above 0x7f.
    #[test]
    fn string_stop_is_the_first_quote_backslash_or_control() {
        let naive = |b: &[u8]| b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
        let fillers = [b'a', b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0xe9, 0xff];
        let stops = [b'"', b'\\', 0x00, 0x01, 0x1f];
        let mut checked = 0;
        for len in 0..90 {
            for f in 0..fillers.len() {
                let text: Vec<u8> = (0..len)
                    .map(|i| fillers[(i * 7 + f) % fillers.len()])
                    .collect();
                assert_eq!(string_stop(&text), naive(&text), "{text:?}");
                for at in 0..len {
                    for &first in &stops {
                        let mut t = text.clone();
                        t[at] = first;
                        assert_eq!(string_stop(&t), naive(&t), "{t:?}");
                        // A second stop later, of another kind: the first one counts.
                        for &second in &stops {
                            if at + 5 < len {
                                t[at + 5] = second;
                                assert_eq!(string_stop(&t), Some(at), "{t:?}");
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(checked > 100_000);
    }
}
