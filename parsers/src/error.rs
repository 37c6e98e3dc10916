use std::fmt;

/// Why a record could not be read. A closed set, so malformed input can be counted per
/// reason; the caller adds file and line.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ParseErrorKind {
    /// A required field is absent (the line ended early or the key is missing).
    MissingField(&'static str),
    /// A field is present but not of the expected shape.
    BadField(&'static str),
    /// The timestamp does not follow the format or names an impossible date.
    BadTimestamp,
    /// A quoted field has no closing quote.
    UnterminatedQuote,
    /// Bytes after the last field that belong to no known layout.
    TrailingGarbage,
    /// A JSON record is not valid JSON.
    BadJson,
    /// A JSON record is valid JSON but not an object.
    NotAnObject,
    /// The record is longer than the configured cap (`--max-line-bytes`).
    LineTooLong,
    /// A CSV row whose number of fields differs from the header's.
    CsvFieldCount,
}

impl ParseErrorKind {
    /// A short, stable, lowercase reason used in stats, JSON output and messages.
    pub fn reason(self) -> String {
        match self {
            ParseErrorKind::MissingField(f) => format!("missing field {f}"),
            ParseErrorKind::BadField(f) => format!("bad field {f}"),
            ParseErrorKind::BadTimestamp => "bad timestamp".into(),
            ParseErrorKind::UnterminatedQuote => "unterminated quote".into(),
            ParseErrorKind::TrailingGarbage => "trailing garbage".into(),
            ParseErrorKind::BadJson => "bad json".into(),
            ParseErrorKind::NotAnObject => "not a json object".into(),
            ParseErrorKind::LineTooLong => "line too long".into(),
            ParseErrorKind::CsvFieldCount => "csv field count differs from header".into(),
        }
    }
}

/// A parse failure: what was wrong and where, as a byte offset inside the record.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ParseErrorKind,
    pub offset: usize,
}

impl ParseError {
    pub fn new(kind: ParseErrorKind, offset: usize) -> ParseError {
        ParseError { kind, offset }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind.reason(), self.offset)
    }
}

impl std::error::Error for ParseError {}
