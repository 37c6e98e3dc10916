//! Cutting a decompressed byte stream into records, separately from parsing them.

/// How a source's byte stream is cut into records.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Framing {
    /// One record per line (LF or CRLF). Large inputs are cut into line-aligned chunks and
    /// parsed in parallel.
    Lines,
    /// A whole-document JSON array `[{…}, …]`, possibly pretty-printed over many lines.
    JsonArray,
    /// A whole-document JSON object whose named field is the array of records, e.g.
    /// CloudTrail's `{"Records": […]}`.
    JsonRecordsField(&'static str),
    /// The whole document is one record (a pretty-printed API response for one event).
    JsonDocument,
    /// A spreadsheet download: a header row, then one record per row (a quoted cell may
    /// hold newlines). Each row becomes its source's JSON object (`csv_export`).
    Csv,
}

/// A document's text checked as UTF-8 a window at a time, from the record being read on:
/// a large mapped document is then read (and its pages can be let go) as it goes, rather
/// than all of it brought in by one check before its first record. A record that runs
/// past its window is read as bytes, as one in a window that is not UTF-8.
pub struct TextWindows<'a> {
    doc: &'a [u8],
    /// Windows end here at the latest (where the piece being read ends).
    end: usize,
    window: usize,
    /// The window checked last: where it starts and ends, its text (`None`: not UTF-8).
    base: usize,
    to: usize,
    text: Option<&'a str>,
}

impl<'a> TextWindows<'a> {
    /// Bytes checked at a time.
    pub const WINDOW: usize = 8 << 20;

    /// Windows of `doc` up to `end`, [`TextWindows::WINDOW`] bytes each.
    pub fn new(doc: &'a [u8], end: usize) -> TextWindows<'a> {
        TextWindows::of(doc, end, TextWindows::WINDOW)
    }

    /// Windows of `window` bytes (tests cut them small).
    pub fn of(doc: &'a [u8], end: usize, window: usize) -> TextWindows<'a> {
        TextWindows {
            doc,
            end: end.min(doc.len()),
            window: window.max(1),
            base: 0,
            to: 0,
            text: None,
        }
    }

    /// The text for a record that starts at `pos`, for [`ArrayRecords::next_record`]: the
    /// window checked last while it reaches an eighth of a window past `pos` (or to the
    /// end), else a new one from `pos`. Each byte is checked about once: windows overlap
    /// by at most an eighth.
    pub fn at(&mut self, pos: usize) -> Option<(usize, &'a str)> {
        let stale = pos < self.base
            || pos >= self.to
            || (self.to < self.end && self.to - pos < self.window / 8);
        if stale && pos < self.end {
            let mut to = pos.saturating_add(self.window).min(self.end);
            // A window ends before a character's first byte, never inside a character.
            while to > pos + 1 && to < self.end && self.doc[to] & 0xC0 == 0x80 {
                to -= 1;
            }
            self.base = pos;
            self.to = to;
            self.text = simdutf8::basic::from_utf8(&self.doc[pos..to]).ok();
        }
        Some((self.base, self.text?))
    }
}

/// One line of a chunk: its index within the chunk (0-based), the byte offset of its first
/// byte within the chunk, and its bytes without the line terminator.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LineRecord<'a> {
    pub index: usize,
    pub offset: usize,
    pub bytes: &'a [u8],
}

/// Iterate the lines of `chunk`. A final line without a terminator is yielded too; a
/// trailing `\r` is removed.
pub fn lines(chunk: &[u8]) -> impl Iterator<Item = LineRecord<'_>> {
    let mut pos = 0usize;
    let mut index = 0usize;
    std::iter::from_fn(move || {
        if pos >= chunk.len() {
            return None;
        }
        let (bytes, step) = first_line(&chunk[pos..]);
        let rec = LineRecord {
            index,
            offset: pos,
            bytes,
        };
        pos += step;
        index += 1;
        Some(rec)
    })
}

/// The first line of `rest` as [`lines`] cuts it (without its terminator and a `\r`
/// before it), and how many bytes it takes with its newline.
pub fn first_line(rest: &[u8]) -> (&[u8], usize) {
    let (len, step) = match memchr::memchr(b'\n', rest) {
        Some(i) => (i, i + 1),
        None => (rest.len(), rest.len()),
    };
    let bytes = &rest[..len];
    match bytes {
        [head @ .., b'\r'] => (head, step),
        _ => (bytes, step),
    }
}

/// One record of a JSON document: its index in the array, its byte offset in the
/// document, the 1-based line it starts on, and its bytes.
#[derive(Copy, Clone, Debug)]
pub struct JsonRecord<'a> {
    pub index: usize,
    pub offset: usize,
    pub line: u64,
    pub bytes: &'a [u8],
}

/// Why a JSON document could not be framed. Bytes are offsets in the text framed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum JsonFramingError {
    #[error("not valid JSON: expected {what} at byte {at}")]
    Expected { what: &'static str, at: usize },
    /// The text ends inside a value: a cut document, or (read a window at a time) one
    /// whose next bytes are not read yet.
    #[error("not valid JSON: the document ends inside a value (byte {at})")]
    Ends { at: usize },
    #[error("the document has no `{0}` array")]
    MissingField(&'static str),
}

impl JsonFramingError {
    /// Whether more of the document could have made it a record: the text ends first.
    pub fn is_cut(&self) -> bool {
        matches!(self, JsonFramingError::Ends { .. })
    }

    /// The error with its byte an offset in a text that starts `by` bytes earlier (a
    /// window of a document read a window at a time).
    pub fn shifted(self, by: usize) -> JsonFramingError {
        match self {
            JsonFramingError::Expected { what, at } => {
                JsonFramingError::Expected { what, at: at + by }
            }
            JsonFramingError::Ends { at } => JsonFramingError::Ends { at: at + by },
            missing => missing,
        }
    }
}

/// Cut a whole JSON document into its records, borrowing each record's bytes.
///
/// A structural scan (strings and nesting only, memchr over string bodies) finds the
/// records; each record is then parsed on its own, so one bad record is one counted error
/// and not a lost file, and no tree of the whole document is ever built.
pub fn json_records(doc: &[u8], framing: Framing) -> JsonRecords<'_> {
    let mut cursor = ArrayRecords::new(doc, framing);
    let mut records = Vec::new();
    while let Some((record, _)) = cursor.next_record(None, |_| None) {
        records.push(record);
    }
    JsonRecords {
        records,
        error: cursor.error,
    }
}

/// The records of a JSON array found one at a time, each one's end given by whoever parsed
/// it or, when nobody did, found by the structural scan. A parser that reads a record from
/// the front of the rest of the document knows where it ends: the record is then scanned
/// once instead of twice (the framing scan was a tenth of reading CloudTrail).
pub struct ArrayRecords<'a> {
    doc: &'a [u8],
    /// Where the current record starts; `None` once the array is over or broken.
    pos: Option<usize>,
    index: usize,
    line: u64,
    counted_to: usize,
    /// The document is one record (`Framing::JsonDocument`), not an array.
    whole: bool,
    /// Why framing stopped before the end of the array, if it did.
    pub error: Option<JsonFramingError>,
}

impl<'a> ArrayRecords<'a> {
    /// The records of the array that `framing` says holds them (`JsonArray`, or a
    /// `JsonRecordsField`), or the one record of a `JsonDocument`.
    pub fn new(doc: &'a [u8], framing: Framing) -> ArrayRecords<'a> {
        let start = skip_ws(doc, 0);
        let mut cursor = ArrayRecords {
            doc,
            pos: None,
            index: 0,
            line: 1,
            counted_to: 0,
            whole: framing == Framing::JsonDocument,
            error: None,
        };
        let array = match framing {
            Framing::JsonRecordsField(field) => find_field(doc, start, field),
            Framing::JsonDocument => {
                cursor.pos = (start < doc.len()).then_some(start);
                return cursor;
            }
            _ => Ok(start),
        };
        match array {
            Ok(a) if doc.get(a) == Some(&b'[') => {
                let first = skip_ws(doc, a + 1);
                if doc.get(first) != Some(&b']') {
                    cursor.pos = Some(first);
                }
            }
            Ok(a) => cursor.error = Some(expected(doc, "`[`", a)),
            Err(e) => cursor.error = Some(e),
        }
        cursor
    }

    /// The records of `doc`'s array from `pos` on, where a record known to be the
    /// `index`th starts (found by an earlier pass of [`ArrayRecords::skip_record`]): a
    /// piece of a large array read on its own thread, or the next window of one read a
    /// window at a time (which may start with the whitespace before that record). Lines
    /// are counted from `pos`, whose line is 1.
    pub fn resume(doc: &'a [u8], pos: usize, index: usize) -> ArrayRecords<'a> {
        let first = skip_ws(doc, pos);
        ArrayRecords {
            doc,
            pos: (first < doc.len()).then_some(first),
            index,
            line: 1,
            counted_to: pos,
            whole: false,
            // A record was to start here: text that ends first is cut, not an array over.
            error: (first >= doc.len()).then(|| unexpected_end(first)),
        }
    }

    /// The document the records are in.
    pub fn document(&self) -> &'a [u8] {
        self.doc
    }

    /// Where the next record starts; `None` once the array is over or broken.
    pub fn position(&self) -> Option<usize> {
        self.pos
    }

    /// The index of the next record in its array.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The line the next record starts on.
    pub fn next_line(&self) -> Option<u64> {
        let pos = self.pos?;
        let newlines = memchr::memchr_iter(b'\n', self.doc.get(self.counted_to..pos)?).count();
        Some(self.line + newlines as u64)
    }

    /// Step over the next record by the structural scan alone; `None` when there is none
    /// (the array is over, or broken: see `error`).
    pub fn skip_record(&mut self) -> Option<()> {
        self.take(None).map(|_| ())
    }

    /// The next record, or `None` when the array is over or broken (see `error`). When
    /// the document's text around the record is given (`text`: where it starts in the
    /// document, and the text, the whole document's or a [`TextWindows`] window), `read`
    /// is offered the rest of it from the record's first byte and says how many bytes it
    /// read ([`crate::LogParser::parse_front`]); the record then ends there, and the
    /// structural scan finds the end of records nobody read (or that run past the text).
    /// With the record: whether that read is the record's, true only when the record
    /// ends where the read did (a document that is one record runs to its end, whatever
    /// follows the object read at its front).
    pub fn next_record(
        &mut self,
        text: Option<(usize, &'a str)>,
        read: impl FnOnce(&'a str) -> Option<usize>,
    ) -> Option<(JsonRecord<'a>, bool)> {
        let start = self.pos?;
        let end = text
            .and_then(|(base, t)| t.get(start.checked_sub(base)?..))
            .and_then(read)
            .map(|len| start + len);
        let record = self.take(end)?;
        let read_whole = end == Some(record.offset + record.bytes.len());
        Some((record, read_whole))
    }

    /// The record that starts at `pos` and ends at `end` (where a read of it stopped) or,
    /// for `None`, where the structural scan says. `None` when it is not a record after
    /// all (the document ends inside it, or no `,` or `]` follows it): framing stops there,
    /// with `error` set.
    fn take(&mut self, end: Option<usize>) -> Option<JsonRecord<'a>> {
        let (doc, pos) = (self.doc, self.pos.take()?);
        if self.whole {
            // The record runs to the end of the document, whatever a parse made of it.
            return Some(self.record(pos, doc.trim_ascii_end().len()));
        }
        let end = match end.map_or_else(|| skip_value(doc, pos), Ok) {
            Ok(end) => end,
            Err(e) => {
                self.error = Some(e);
                return None;
            }
        };
        let mut trimmed = end;
        while trimmed > pos && doc[trimmed - 1].is_ascii_whitespace() {
            trimmed -= 1;
        }
        let next = skip_ws(doc, end);
        match doc.get(next) {
            Some(b',') => self.pos = Some(skip_ws(doc, next + 1)),
            Some(b']') => {}
            Some(_) => {
                self.error = Some(expected(doc, "`,` or `]`", next));
                return None;
            }
            // A value cut by the end of the document is not a record.
            None => {
                self.error = Some(unexpected_end(next));
                return None;
            }
        }
        Some(self.record(pos, trimmed))
    }

    fn record(&mut self, pos: usize, end: usize) -> JsonRecord<'a> {
        let doc = self.doc;
        self.line += memchr::memchr_iter(b'\n', &doc[self.counted_to..pos]).count() as u64;
        self.counted_to = pos;
        let record = JsonRecord {
            index: self.index,
            offset: pos,
            line: self.line,
            bytes: &doc[pos..end],
        };
        self.index += 1;
        record
    }
}

/// The records of a JSON document, and why framing stopped early if it did: the records
/// completed before a cut (a truncated `.gz`) or a structural error are kept.
pub struct JsonRecords<'a> {
    pub records: Vec<JsonRecord<'a>>,
    pub error: Option<JsonFramingError>,
}

fn skip_ws(doc: &[u8], mut i: usize) -> usize {
    while doc.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

fn unexpected_end(at: usize) -> JsonFramingError {
    JsonFramingError::Ends { at }
}

/// `what` was expected at `at`, or the text ended first (more of it may hold it).
fn expected(doc: &[u8], what: &'static str, at: usize) -> JsonFramingError {
    match at >= doc.len() {
        true => unexpected_end(at),
        false => JsonFramingError::Expected { what, at },
    }
}

/// The index just past the string that starts (with its quote) at `i`.
fn skip_string(doc: &[u8], i: usize) -> Result<usize, JsonFramingError> {
    let mut pos = i + 1;
    loop {
        match quote_or_backslash(doc.get(pos..).unwrap_or_default()) {
            Some(j) if doc[pos + j] == b'\\' => pos += j + 2,
            Some(j) => return Ok(pos + j + 1),
            None => return Err(unexpected_end(doc.len())),
        }
    }
}

/// The first `"` or `\\` in `hay`. Most strings of a log record are short (names, ids,
/// addresses): eight bytes at a time finds their end before a vector search would have
/// started; a long one is left to `memchr2`.
#[inline]
fn quote_or_backslash(hay: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has = |w: u64, byte: u8| {
        let x = w ^ (ONES * u64::from(byte));
        x.wrapping_sub(ONES) & !x & HIGHS
    };
    let mut at = 0;
    for word in hay.chunks_exact(8).take(4) {
        let w = u64::from_le_bytes([
            word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7],
        ]);
        // The lowest flagged byte is exact (a borrow only flags bytes above a match).
        let found = has(w, b'"') | has(w, b'\\');
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    memchr::memchr2(b'"', b'\\', hay.get(at..)?).map(|i| at + i)
}

/// Scan a value starting at `i` (not whitespace); returns the index just past it. Stops at
/// a `,`, `}` or `]` at depth 0 for scalars.
fn skip_value(doc: &[u8], i: usize) -> Result<usize, JsonFramingError> {
    let mut depth = 0usize;
    let mut pos = i;
    loop {
        let Some(&b) = doc.get(pos) else {
            return if depth == 0 {
                Ok(pos)
            } else {
                Err(unexpected_end(pos))
            };
        };
        match b {
            b'"' => {
                pos = skip_string(doc, pos)?;
                if depth == 0 {
                    return Ok(pos);
                }
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => return Ok(pos),
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(pos + 1);
                }
            }
            b',' if depth == 0 => return Ok(pos),
            _ => {}
        }
        pos += 1;
    }
}

/// The index of the value of top-level key `field` in the object starting at `i`.
fn find_field(doc: &[u8], i: usize, field: &'static str) -> Result<usize, JsonFramingError> {
    if doc.get(i) != Some(&b'{') {
        return Err(expected(doc, "`{`", i));
    }
    let mut pos = skip_ws(doc, i + 1);
    while doc.get(pos) == Some(&b'"') {
        let key_end = skip_string(doc, pos)?;
        let key = &doc[pos + 1..key_end - 1];
        pos = skip_ws(doc, key_end);
        if doc.get(pos) != Some(&b':') {
            return Err(expected(doc, "`:`", pos));
        }
        let value = skip_ws(doc, pos + 1);
        if key == field.as_bytes() {
            return Ok(value);
        }
        pos = skip_ws(doc, skip_value(doc, value)?);
        match doc.get(pos) {
            Some(b',') => pos = skip_ws(doc, pos + 1),
            _ => break,
        }
    }
    // Text that stops before the object closes may have the field further on.
    match pos >= doc.len() {
        true => Err(unexpected_end(pos)),
        false => Err(JsonFramingError::MissingField(field)),
    }
}

/// For the parsers' tests: the records of `doc` read from the front of the rest of the
/// document ([`crate::LogParser::parse_front`], as ingest reads them) are those
/// [`json_records`] frames, at the same places, with the events a parse of their bytes
/// gives, and framing stops with the same error; and so are they read through
/// [`TextWindows`] of a few sizes (records that cross a window read as bytes), the
/// document mapped or read a window at a time. How many the whole text read from the
/// front.
#[cfg(test)]
pub(crate) fn assert_front_reads_as_framed(
    parser: &dyn crate::LogParser,
    doc: &str,
    framing: Framing,
) -> usize {
    let parsed = |bytes| {
        let mut out = Vec::new();
        if parser.parse(bytes, &mut out).is_err() {
            out.clear();
        }
        out
    };
    let framed = json_records(doc.as_bytes(), framing);
    let mut read_whole_text = 0;
    for window in [
        None,
        Some(1),
        Some(97),
        Some(700),
        Some(4096),
        Some(1 << 20),
    ] {
        let mut windows = window.map(|w| TextWindows::of(doc.as_bytes(), doc.len(), w));
        let mut cursor = ArrayRecords::new(doc.as_bytes(), framing);
        let (mut fronted, mut read_from_front) = (Vec::new(), 0);
        loop {
            let mut out = Vec::new();
            let read = |rest| {
                let end = parser.parse_front(rest, &mut out);
                assert!(end.is_some() || out.is_empty());
                end
            };
            let text = match (&mut windows, cursor.position()) {
                (Some(windows), Some(pos)) => windows.at(pos),
                _ => Some((0, doc)),
            };
            let Some((record, read_whole)) = cursor.next_record(text, read) else {
                break;
            };
            if read_whole {
                read_from_front += 1;
            } else {
                out = parsed(record.bytes);
            }
            fronted.push((record, out));
        }
        assert_eq!(fronted.len(), framed.records.len(), "{window:?}");
        for ((got, events), want) in fronted.into_iter().zip(&framed.records) {
            let at = (want.index, want.offset, want.line, want.bytes);
            assert_eq!((got.index, got.offset, got.line, got.bytes), at);
            assert_eq!(events, parsed(want.bytes), "record {}", want.index);
        }
        assert_eq!(
            cursor.error.map(|e| e.to_string()),
            framed.error.as_ref().map(|e| e.to_string())
        );
        match window {
            None => read_whole_text = read_from_front,
            // A window that holds the whole document reads what its whole text reads.
            Some(w) if w >= doc.len() => assert_eq!(read_from_front, read_whole_text),
            Some(_) => assert!(read_from_front <= read_whole_text, "{window:?}"),
        }
    }
    read_whole_text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time search finds what a byte search finds, with the bytes that
    /// trip borrow tricks (0x00, 0x01, the neighbours of `"` and `\\`, high bytes) around
    /// the match, at every place of haystacks shorter and longer than its words.
    #[test]
    fn the_end_of_a_string_is_found_as_a_byte_search_finds_it() {
        let naive = |h: &[u8]| h.iter().position(|&b| b == b'"' || b == b'\\');
        let fillers = [
            b'a', 0x00, 0x01, 0x21, 0x23, 0x5b, 0x5d, 0x80, 0xa2, 0xdc, 0xff,
        ];
        for len in 0..72 {
            for fill in fillers {
                let mut hay = vec![fill; len];
                assert_eq!(quote_or_backslash(&hay), None, "{len} {fill:#x}");
                for at in 0..len {
                    for mark in [b'"', b'\\'] {
                        hay[at] = mark;
                        assert_eq!(quote_or_backslash(&hay), naive(&hay));
                        if at + 3 < len {
                            hay[at + 3] = b'"';
                            assert_eq!(quote_or_backslash(&hay), Some(at));
                            hay[at + 3] = fill;
                        }
                        hay[at] = fill;
                    }
                }
            }
        }
    }

    /// A window is the document's text from where it was asked, ends between two
    /// characters (never inside one: it would not be UTF-8), reaches past the record
    /// asked for, and is checked again only when the reading nears its end.
    #[test]
    fn text_windows_end_between_characters() {
        let doc = "[{\"city\":\"Zürich\"},{\"city\":\"東京\"},{\"c\":\"🦀🦀\"}]".repeat(5);
        for window in 4..80 {
            let mut windows = TextWindows::of(doc.as_bytes(), doc.len(), window);
            let mut checked = 0;
            let mut last = None;
            for (pos, _) in doc.char_indices() {
                let (base, text) = windows.at(pos).expect("a window of whole characters");
                assert!(base <= pos && pos < base + text.len(), "{window} {pos}");
                assert_eq!(Some(text), doc.get(base..base + text.len()));
                checked += usize::from(last != Some(base));
                last = Some(base);
            }
            // Each window but the last holds at least 7/8 of its bytes less a character.
            let advance = (window - window / 8).saturating_sub(3).max(1);
            assert!(checked <= doc.len() / advance + 1, "{window}: {checked}");
        }
        // Bytes that are not UTF-8: no text for the window that holds them, and text again
        // for the windows after it.
        let mut bad = b"[{\"a\":\"x\"},".repeat(20);
        bad[30] = 0xff;
        let mut windows = TextWindows::of(&bad, bad.len(), 16);
        assert!(windows.at(20).is_none());
        assert!(windows.at(60).is_some());
    }

    #[test]
    fn lines_strip_crlf_and_keep_an_unterminated_last_line() {
        let got: Vec<_> = lines(b"a\r\nbb\n\nccc").collect();
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].bytes, b"a");
        assert_eq!(got[1].bytes, b"bb");
        assert_eq!(got[1].offset, 3);
        assert_eq!(got[2].bytes, b"");
        assert_eq!(got[3].bytes, b"ccc");
        assert_eq!(got[3].index, 3);
    }

    #[test]
    fn json_array_records_have_offsets_and_lines() {
        let doc = b"[\n  {\"a\": 1},\n  {\"b\": [2, 3]}\n]\n";
        let recs = json_records(doc, Framing::JsonArray).records;
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].bytes, b"{\"a\": 1}");
        assert_eq!(recs[0].line, 2);
        assert_eq!(recs[1].line, 3);
        assert_eq!(&doc[recs[1].offset..recs[1].offset + 2], b"{\"");
    }

    #[test]
    fn records_field_wrapper_is_unwrapped() {
        let doc = br#"{"Records":[{"eventID":"x"},{"eventID":"y"}]}"#;
        let recs = json_records(doc, Framing::JsonRecordsField("Records")).records;
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].index, 1);
        assert_eq!(recs[1].bytes, br#"{"eventID":"y"}"#);
        assert!(matches!(
            json_records(br#"{"Other":[]}"#, Framing::JsonRecordsField("Records")).error,
            Some(JsonFramingError::MissingField("Records"))
        ));
        assert!(json_records(b"[{", Framing::JsonArray).error.is_some());
    }

    #[test]
    fn strings_with_brackets_quotes_and_escapes_do_not_cut_records() {
        let doc = br#"{"Other":{"Records":"no"},"Records":[{"a":"x]}\"y,"},{"b":[1,{"c":"]"}]}, 7 ,"s"],"NextToken":null}"#;
        let recs = json_records(doc, Framing::JsonRecordsField("Records")).records;
        let bodies: Vec<&[u8]> = recs.iter().map(|r| r.bytes).collect();
        assert_eq!(
            bodies,
            [
                &br#"{"a":"x]}\"y,"}"#[..],
                &br#"{"b":[1,{"c":"]"}]}"#[..],
                &b"7"[..],
                &br#""s""#[..]
            ]
        );
        let empty = json_records(b" [ ] ", Framing::JsonArray);
        assert!(empty.records.is_empty() && empty.error.is_none());
        assert!(
            json_records(br#"[{"a":1} {"b":2}]"#, Framing::JsonArray)
                .error
                .is_some()
        );
        let cut = json_records(
            br#"{"Records":[{"a":"unterminated}]}"#,
            Framing::JsonRecordsField("Records"),
        );
        assert!(cut.records.is_empty() && cut.error.is_some());
    }

    #[test]
    fn a_cut_document_keeps_the_records_before_the_cut() {
        let doc = br#"{"Records":[{"a":1},{"b":[2]},{"c":"cut her"#;
        let got = json_records(doc, Framing::JsonRecordsField("Records"));
        assert_eq!(got.records.len(), 2);
        assert_eq!(got.records[1].bytes, br#"{"b":[2]}"#);
        assert!(
            got.error
                .unwrap()
                .to_string()
                .contains("ends inside a value")
        );
    }
}
