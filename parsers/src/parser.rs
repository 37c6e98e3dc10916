//! The one trait every log source implements.

use crate::csv_export::CsvForm;
use crate::error::ParseError;
use crate::event::Event;
use crate::framing::Framing;
use crate::source::SourceId;

/// How sure a parser is that some bytes are its format: 0 = certainly not, 100 = certain.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Confidence(pub u8);

impl Confidence {
    pub const NONE: Confidence = Confidence(0);
    pub const CERTAIN: Confidence = Confidence(100);
}

/// How much of each record the caller keeps. A command that asks only who, when, from
/// where and with which credential (`tokentrail credentials`, `stats`) lets a parser skip
/// the bulky parts of a record (user agents, targets, debug data, provider geography)
/// unread instead of decoding them into fields nobody keeps.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Detail {
    /// Every field the parser knows.
    #[default]
    Full,
    /// Only the identity of each event: time, event id, action, principal, session,
    /// credential, addresses (`src_ip`, the forwarded chain), outcome, accounts and notes.
    /// A parser may leave every other field empty ([`Event::IDENTITY_FIELDS`] lists what
    /// is kept).
    Identity,
}

/// [`LogParser::parse`] with `detail` in force: parsers that can skip parts of a record
/// read what it asks for, the others everything.
///
/// Whatever is skipped, a record the full parse reads is read alike, with the same
/// identity fields. The converse holds for bytes that are not UTF-8 (such a record is
/// always read in full: serde_json rejects bad bytes only in a string it decodes, and a
/// skipped user agent must not make a record readable for `stats` and malformed for
/// `ingest`), but not for damage serde_json sees only when it decodes a value (a lone
/// surrogate escape, a number out of range) in a skipped field: such a record is counted
/// as malformed by a full parse and read by an identity-only one.
pub fn parse_keeping<'a>(
    parser: &dyn LogParser,
    detail: Detail,
    record: &'a [u8],
    out: &mut Vec<Event<'a>>,
) -> Result<(), ParseError> {
    let detail = match detail {
        Detail::Identity if simdutf8::basic::from_utf8(record).is_err() => Detail::Full,
        d => d,
    };
    crate::json::with_detail(detail, || parser.parse(record, out))
}

/// [`LogParser::parse_front`] reading as much of each record as `detail` says, as
/// [`parse_keeping`] does (the document is valid UTF-8: no record needs a full read).
pub fn parse_front_keeping<'a>(
    parser: &dyn LogParser,
    detail: Detail,
    rest: &'a str,
    out: &mut Vec<Event<'a>>,
) -> Option<usize> {
    crate::json::with_detail(detail, || parser.parse_front(rest, out))
}

/// [`LogParser::parse_line_front`] reading as much of each record as `detail` says, as
/// [`parse_keeping`] does (the chunk is valid UTF-8: no record needs a full read).
pub fn parse_line_front_keeping<'a>(
    parser: &dyn LogParser,
    detail: Detail,
    rest: &'a str,
    out: &mut Vec<Event<'a>>,
) -> Option<usize> {
    crate::json::with_detail(detail, || parser.parse_line_front(rest, out))
}

/// Whether `parser`'s [`LogParser::parse_line_front`] keeps its promise on `rest` with only
/// the identity kept (the property the parsers' tests and the `parse_record` fuzz target
/// check): a record it reads lies on `rest`'s first line, and when JSON whitespace alone
/// follows it there, its events are those [`parse_keeping`] gives for that line.
#[doc(hidden)]
pub fn line_front_agrees(parser: &dyn LogParser, rest: &str) -> bool {
    let mut front = Vec::new();
    let Some(end) = parse_line_front_keeping(parser, Detail::Identity, rest, &mut front) else {
        return front.is_empty();
    };
    let bytes = rest.as_bytes();
    let (line, _) = crate::framing::first_line(bytes);
    let Some(after) = bytes.get(end..) else {
        return false;
    };
    if memchr::memchr(b'\n', &bytes[..end]).is_some() {
        return false;
    }
    let on_line = &after[..memchr::memchr(b'\n', after).unwrap_or(after.len())];
    if !on_line.iter().all(|c| matches!(c, b' ' | b'\t' | b'\r')) {
        // The caller drops these events and parses the line.
        return true;
    }
    let mut whole = Vec::new();
    parse_keeping(parser, Detail::Identity, line, &mut whole).is_ok() && whole == front
}

/// A real record and the fields it must produce: documentation and a test at once.
pub struct Example {
    /// What the example shows, and where the record comes from.
    pub title: &'static str,
    pub record: &'static str,
    /// `(field, expected)` pairs as rendered by [`Event::field`]; `None` = must be absent.
    pub expect: &'static [(&'static str, Option<&'static str>)],
}

/// One log source: how to recognise it, how to cut it into records, how to read a record.
pub trait LogParser: Send + Sync + 'static {
    /// Stable identity: used by `--source`, the `source` column and docs anchors.
    fn id(&self) -> SourceId;

    /// How this input is cut into records, given its head (a source can arrive in several
    /// containers: CloudTrail as a `Records` file, a bare array or JSON Lines).
    fn framing(&self, head: &[u8]) -> Framing;

    /// `Some(why)` when `head` is this source's but holds no events (CloudTrail digest
    /// files): the input is reported as skipped, never as malformed.
    fn skip_reason(&self, _head: &[u8]) -> Option<&'static str> {
        None
    }

    /// How sure we are that `head` (the first bytes of the decompressed input, BOM and
    /// leading whitespace removed) is this format. Cheap: byte checks and a few trial
    /// parses.
    fn sniff(&self, head: &[u8]) -> Confidence;

    /// Parse one record (without its line terminator) and push 0..n events borrowing from
    /// it. On failure, say what was wrong and where (byte offset inside the record).
    /// Never panics.
    fn parse<'a>(&self, record: &'a [u8], out: &mut Vec<Event<'a>>) -> Result<(), ParseError>;

    /// Parse the record at the front of `rest` (the rest of a JSON array, from a record's
    /// first byte) and say how many bytes it took: the caller then needs no scan of its own
    /// to find where the record ends. `None` (nothing pushed) when this parser does not
    /// read records this way, or when the record is not one it reads cleanly: the caller
    /// then finds the record's end and calls [`LogParser::parse`], which says what is wrong.
    /// Whatever it returns, the events are those `parse` gives for the record's bytes.
    fn parse_front<'a>(&self, _rest: &'a str, _out: &mut Vec<Event<'a>>) -> Option<usize> {
        None
    }

    /// Parse the record at the front of `rest` (the rest of a chunk of JSON Lines, from a
    /// line's first byte) when it lies on that line, and say how many bytes it took: the
    /// caller then needs no search for the line's end, and `rest`, checked as UTF-8 with
    /// its whole chunk, is not checked again record by record. `None` (nothing pushed)
    /// when this parser does not read lines this way or not this record: the caller then
    /// cuts the line and calls [`LogParser::parse`]. When the bytes after the record up to
    /// the newline are JSON whitespace, the events are those `parse` gives for the line;
    /// otherwise the caller drops them and parses the line.
    fn parse_line_front<'a>(&self, _rest: &'a str, _out: &mut Vec<Event<'a>>) -> Option<usize> {
        None
    }

    /// Whether [`LogParser::parse_line_front`] reads any record: whether a chunk is worth
    /// checking as UTF-8 whole for it.
    fn reads_line_fronts(&self) -> bool {
        false
    }

    /// Real sample records with the fields they must produce.
    fn examples(&self) -> &'static [Example];

    /// The spreadsheet (CSV) downloads of this source, recognised by their header row.
    fn csv_forms(&self) -> &'static [CsvForm] {
        &[]
    }

    /// Names of columns beyond the schema that this parser fills through
    /// [`Event::extra`] (a user's `log_format` variables without a column of their own).
    fn extra_columns(&self) -> &[String] {
        &[]
    }
}

/// Parse one record that must give exactly one event (the parsers' unit tests).
#[cfg(test)]
pub(crate) fn parse_one<'a>(parser: &dyn LogParser, record: &'a str) -> Event<'a> {
    let mut out = Vec::new();
    parser
        .parse(record.as_bytes(), &mut out)
        .unwrap_or_else(|e| panic!("{e}: {record}"));
    assert_eq!(out.len(), 1, "{record}");
    out.pop().unwrap()
}
