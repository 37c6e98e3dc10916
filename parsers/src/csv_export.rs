//! Spreadsheet (CSV) downloads of the JSON sources: the Entra admin center's sign-in
//! download, Log Analytics and Sentinel query results, CloudTrail event history and Lake
//! query results, and Okta System Log exports with dotted field names.
//!
//! A row is rebuilt as the JSON object its source's parser already reads (labels become
//! field paths, `a.b` becomes `{"a":{"b":…}}`), so a sign-in means the same thing whether
//! it came as JSON or as CSV, and duplicates across both forms are removed as one. The
//! downloads are small (the Entra admin center caps one at 100,000 rows), so the cost of
//! writing JSON twice is not worth a second mapping of every field.

use csv::{ByteRecord, ReaderBuilder};

use crate::parser::{Confidence, LogParser};

/// One CSV form of a source: the header labels that identify it and what they mean.
pub struct CsvForm {
    /// Shown as the input's format (`stats`): "Entra admin center sign-in download".
    pub name: &'static str,
    /// Labels (as normalised by [`normalise`]) that mark this form.
    pub signature: &'static [&'static str],
    /// How many signature labels a header needs.
    pub min_signature: usize,
    /// Labels (normalised) whose field path differs from the label; any other label is
    /// itself a path (`actor.alternateId`, `TimeGenerated`).
    pub labels: &'static [(&'static str, Target)],
    /// A key that marks a cell holding the whole record as JSON (CloudTrail's event history
    /// carries the record in one column): such a cell is the record, the other cells are
    /// ignored.
    pub embedded_record: Option<&'static str>,
}

/// Where a labelled column goes.
#[derive(Copy, Clone, Debug)]
pub enum Target {
    /// A dotted field path.
    Path(&'static str),
    /// `City, State, Country` (the Entra admin center's Location) into three paths.
    Place {
        city: &'static str,
        state: &'static str,
        country: &'static str,
    },
    /// A column that has no field (a display form of another column).
    Ignore,
}

/// A header label reduced for matching: trimmed, lower case, runs of spaces as one, and a
/// Log Analytics ` [UTC]` unit suffix removed (`TimeGenerated [UTC]` → `timegenerated`).
/// Also returns the label as written without that suffix, and whether it had it.
pub fn normalise(label: &str) -> (String, &str, bool) {
    let label = label.trim_start_matches('\u{feff}').trim();
    let cut = label.len().checked_sub(6);
    let unit = cut.and_then(|i| label.get(i..));
    let (bare, utc) = match (cut.and_then(|i| label.get(..i)), unit) {
        (Some(bare), Some(unit)) if unit.eq_ignore_ascii_case(" [utc]") => (bare.trim_end(), true),
        _ => (label, false),
    };
    let key = bare
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    (key, bare, utc)
}

/// The header row at the start of `head`, if it looks like one: at least three fields,
/// all non-empty UTF-8 text without JSON or markup at its start.
pub fn header(head: &[u8]) -> Option<Vec<String>> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    if matches!(head.first(), Some(b'{' | b'[' | b'<') | None) {
        return None;
    }
    let line = &head[..memchr::memchr(b'\n', head)?];
    let mut reader = ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line);
    let mut rec = ByteRecord::new();
    if !reader.read_byte_record(&mut rec).ok()? || rec.len() < 3 {
        return None;
    }
    rec.iter()
        .map(|f| {
            let s = std::str::from_utf8(f).ok()?.trim();
            (!s.is_empty() && s.len() <= 200).then(|| s.to_string())
        })
        .collect()
}

/// The parser's CSV form that `head` is, and how sure that is.
pub fn form_of(parser: &dyn LogParser, head: &[u8]) -> Option<(&'static CsvForm, Confidence)> {
    let forms = parser.csv_forms();
    if forms.is_empty() {
        return None;
    }
    let labels: Vec<String> = header(head)?.iter().map(|l| normalise(l).0).collect();
    forms
        .iter()
        .filter_map(|form| {
            let hits = form
                .signature
                .iter()
                .filter(|s| labels.iter().any(|l| l == *s))
                .count();
            (hits >= form.min_signature).then(|| {
                (
                    form,
                    Confidence((60 + 40 * hits / form.signature.len()) as u8),
                )
            })
        })
        .max_by_key(|(_, c)| *c)
}

/// Which part of a cell a field takes.
#[derive(Copy, Clone, Debug, PartialEq)]
enum Part {
    Whole,
    City,
    State,
    Country,
}

#[derive(Clone, Debug)]
struct Column {
    index: usize,
    part: Part,
    /// Log Analytics' `M/D/YYYY, h:mm:ss.fff AM` display time, in UTC.
    display_time: bool,
}

#[derive(Debug)]
enum Node {
    /// The columns that may fill a field, first non-empty wins (a label can repeat: the
    /// Entra download has "Incoming token type" twice).
    Leaf(Vec<Column>),
    Object(Vec<(String, Node)>),
}

/// A header turned into the shape of the JSON object each row becomes.
#[derive(Debug)]
pub struct CsvLayout {
    root: Vec<(String, Node)>,
    columns: usize,
    /// The form's `embedded_record` key, quoted as it appears in the cell.
    embedded_record: Option<String>,
}

impl CsvLayout {
    pub fn new(form: &CsvForm, header: &[String]) -> CsvLayout {
        let mut root = Vec::new();
        for (index, label) in header.iter().enumerate() {
            let (key, bare, utc) = normalise(label);
            let target = form.labels.iter().find(|(l, _)| *l == key).map(|(_, t)| *t);
            let column = |part| Column {
                index,
                part,
                display_time: utc,
            };
            match target {
                None => insert(&mut root, bare, column(Part::Whole)),
                Some(Target::Path(path)) => insert(&mut root, path, column(Part::Whole)),
                Some(Target::Place {
                    city,
                    state,
                    country,
                }) => {
                    insert(&mut root, city, column(Part::City));
                    insert(&mut root, state, column(Part::State));
                    insert(&mut root, country, column(Part::Country));
                }
                Some(Target::Ignore) => {}
            }
        }
        CsvLayout {
            root,
            columns: header.len(),
            embedded_record: form.embedded_record.map(|k| format!("\"{k}\"")),
        }
    }

    /// How many fields a row must have.
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// Write `row` as a JSON object into `out` (cleared first). Returns whether a cell was
    /// not valid UTF-8 (replaced, and to be counted).
    pub fn row_to_json(&self, row: &ByteRecord, out: &mut Vec<u8>) -> bool {
        out.clear();
        if let Some(quoted) = &self.embedded_record
            && let Some(cell) = row.iter().find(|c| {
                c.trim_ascii_start().starts_with(b"{")
                    && memchr::memmem::find(c, quoted.as_bytes()).is_some()
            })
        {
            out.extend_from_slice(cell);
            return std::str::from_utf8(cell).is_err();
        }
        let mut lossy = false;
        write_object(&self.root, row, out, &mut lossy);
        lossy
    }
}

fn insert(nodes: &mut Vec<(String, Node)>, path: &str, column: Column) {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) if !h.is_empty() && !r.is_empty() => (h, Some(r)),
        _ => (path, None),
    };
    let at = match nodes.iter().position(|(k, _)| k == head) {
        Some(i) => i,
        None => {
            let node = match rest {
                Some(_) => Node::Object(Vec::new()),
                None => Node::Leaf(Vec::new()),
            };
            nodes.push((head.to_string(), node));
            nodes.len() - 1
        }
    };
    // A path that is both a field and an object's parent (`debugData` as `""` in one
    // export, with `debugData.requestUri` in another) is the object: it says more.
    if rest.is_some() && matches!(nodes[at].1, Node::Leaf(_)) {
        nodes[at].1 = Node::Object(Vec::new());
    }
    match (&mut nodes[at].1, rest) {
        (Node::Leaf(cols), None) => cols.push(column),
        (Node::Object(children), Some(rest)) => insert(children, rest, column),
        (Node::Object(_), None) | (Node::Leaf(_), Some(_)) => {}
    }
}

/// Writes `{…}` with the fields that have a value; `{}` when none has.
fn write_object(nodes: &[(String, Node)], row: &ByteRecord, out: &mut Vec<u8>, lossy: &mut bool) {
    out.push(b'{');
    let mut first = true;
    for (key, node) in nodes {
        let mark = out.len();
        if !first {
            out.push(b',');
        }
        write_string(key, out);
        out.push(b':');
        let wrote = match node {
            Node::Leaf(cols) => cols.iter().any(|c| write_cell(c, row, out, lossy)),
            Node::Object(children) => {
                let start = out.len();
                write_object(children, row, out, lossy);
                out.len() - start > 2
            }
        };
        if wrote {
            first = false;
        } else {
            out.truncate(mark);
        }
    }
    out.push(b'}');
}

/// Writes the column's value if the cell has one: JSON text as it is (Log Analytics writes
/// its dynamic columns so), anything else as a string.
fn write_cell(col: &Column, row: &ByteRecord, out: &mut Vec<u8>, lossy: &mut bool) -> bool {
    let Some(bytes) = row.get(col.index) else {
        return false;
    };
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => {
            *lossy = true;
            String::from_utf8_lossy(bytes)
        }
    };
    let value = match col.part {
        Part::Whole => text.trim(),
        part => place_part(text.trim(), part),
    };
    if value.is_empty() {
        return false;
    }
    if col.display_time
        && let Some(ts) = display_time(value)
    {
        write_string(&ts, out);
        return true;
    }
    if matches!(value.as_bytes()[0], b'{' | b'[')
        && serde_json::from_str::<serde::de::IgnoredAny>(value).is_ok()
    {
        out.extend_from_slice(value.as_bytes());
    } else {
        write_string(value, out);
    }
    true
}

/// The part of `City, State, Country`: the last is the country, the first the city, a
/// middle one the state (`Redmond, US` has no state).
fn place_part(place: &str, part: Part) -> &str {
    let parts: Vec<&str> = place.split(',').map(str::trim).collect();
    match (part, parts.len()) {
        (Part::Country, n) if n >= 2 => parts[n - 1],
        (Part::City, n) if n >= 2 => parts[0],
        (Part::State, 3) => parts[1],
        _ => "",
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Log Analytics' portal export writes times for people: `6/24/2023, 9:04:29.431 PM`, in
/// UTC by the column's ` [UTC]` suffix. Returns RFC 3339 (`2023-06-24T21:04:29.431Z`); text
/// of any other shape is left to the source's parser.
fn display_time(value: &str) -> Option<String> {
    let (date, rest) = value.split_once(',')?;
    let mut d = date.trim().split('/');
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let year: u32 = d.next()?.parse().ok()?;
    let (clock, meridiem) = rest.trim().split_once(' ')?;
    let (hms, frac) = match clock.split_once('.') {
        Some((hms, frac)) if frac.bytes().all(|b| b.is_ascii_digit()) => (hms, Some(frac)),
        Some(_) => return None,
        None => (clock, None),
    };
    let mut t = hms.split(':');
    let mut hour: u32 = t.next()?.parse().ok()?;
    let minute: u32 = t.next()?.parse().ok()?;
    let second: u32 = t.next()?.parse().ok()?;
    if !(1..=12).contains(&hour) || minute > 59 || second > 60 || month > 12 || day > 31 {
        return None;
    }
    match meridiem.trim() {
        m if m.eq_ignore_ascii_case("AM") => hour %= 12,
        m if m.eq_ignore_ascii_case("PM") => hour = hour % 12 + 12,
        _ => return None,
    }
    let frac = frac.map_or(String::new(), |f| format!(".{f}"));
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}{frac}Z"
    ))
}

/// The rows of a CSV document after its header: each with the 1-based line it starts
/// on and its byte offset. A read error ends the rows and is returned.
pub struct CsvRows<'a> {
    doc: &'a [u8],
    reader: csv::Reader<&'a [u8]>,
}

/// One data row: the line and byte it starts on, and the byte the reader stopped at after
/// it (the text's length when the text ended it rather than a line end).
pub struct CsvRow {
    pub line: u64,
    pub offset: u64,
    pub end: u64,
    pub record: ByteRecord,
}

impl CsvRow {
    /// The row's cells as text (a header row's labels), bytes that are not UTF-8 as U+FFFD.
    pub fn labels(&self) -> Vec<String> {
        self.record
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect()
    }
}

impl<'a> CsvRows<'a> {
    /// The header and the rows of `doc` (a UTF-8 BOM is skipped; offsets stay file offsets).
    pub fn new(doc: &'a [u8]) -> CsvRows<'a> {
        CsvRows {
            doc,
            reader: ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(doc),
        }
    }

    /// The next row, blank lines skipped.
    pub fn next_row(&mut self) -> Option<CsvRow> {
        let mut record = ByteRecord::new();
        loop {
            match self.reader.read_byte_record(&mut record) {
                Ok(true) => {
                    let (mut line, mut offset) =
                        record.position().map_or((0, 0), |p| (p.line(), p.byte()));
                    // After a CRLF row end the reader's position is the `\n` of the row
                    // before (after CR CR LF, a CRLF file converted again, its second
                    // CR): the row starts after them, on the next line. No row starts
                    // with either byte (a blank line is no row).
                    while let Some(&end @ (b'\r' | b'\n')) = self.doc.get(offset as usize) {
                        offset += 1;
                        line += u64::from(end == b'\n');
                    }
                    if record.len() == 1 && record[0].iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some(CsvRow {
                        line,
                        offset,
                        end: self.reader.position().byte(),
                        record,
                    });
                }
                // Byte records have no UTF-8 errors; the reader's only other errors are
                // I/O, and a slice has none.
                Ok(false) | Err(_) => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORM: CsvForm = CsvForm {
        name: "test",
        signature: &["date (utc)", "request id"],
        min_signature: 2,
        labels: &[
            ("date (utc)", Target::Path("createdDateTime")),
            ("request id", Target::Path("id")),
            ("incoming token type", Target::Path("incomingTokenType")),
            ("status", Target::Ignore),
            (
                "location",
                Target::Place {
                    city: "location.city",
                    state: "location.state",
                    country: "location.countryOrRegion",
                },
            ),
        ],
        embedded_record: Some("eventVersion"),
    };

    fn rows(doc: &str) -> (Vec<String>, Vec<CsvRow>) {
        let mut rows = CsvRows::new(doc.as_bytes());
        let header = rows.next_row().unwrap().labels();
        let mut all = Vec::new();
        while let Some(r) = rows.next_row() {
            all.push(r);
        }
        (header, all)
    }

    fn json(doc: &str) -> Vec<serde_json::Value> {
        let (header, rows) = rows(doc);
        let layout = CsvLayout::new(&FORM, &header);
        let mut out = Vec::new();
        rows.iter()
            .map(|r| {
                layout.row_to_json(&r.record, &mut out);
                serde_json::from_slice(&out).unwrap()
            })
            .collect()
    }

    #[test]
    fn labels_become_nested_fields() {
        let doc = "\u{feff}\"Date (UTC)\",\"Request ID\",\"Location\",\"Status\",\"actor.alternateId\",\"Incoming token type\",\"Incoming token type\"\n\
                   2024-10-14T12:34:56Z,r-1,\"Redmond, Washington, US\",Failure,a@x.io,,primaryRefreshToken\n\
                   2024-10-14T12:35:00Z,r-2,\"Paris, FR\",Success,,none,other\n";
        let rows = json(doc);
        assert_eq!(
            rows[0],
            serde_json::json!({
                "createdDateTime": "2024-10-14T12:34:56Z", "id": "r-1",
                "location": {"city": "Redmond", "state": "Washington", "countryOrRegion": "US"},
                "actor": {"alternateId": "a@x.io"},
                "incomingTokenType": "primaryRefreshToken"
            })
        );
        // Two parts: no state; an empty cell is no field; the first of two columns wins.
        assert_eq!(
            rows[1],
            serde_json::json!({
                "createdDateTime": "2024-10-14T12:35:00Z", "id": "r-2",
                "location": {"city": "Paris", "countryOrRegion": "FR"},
                "incomingTokenType": "none"
            })
        );
    }

    #[test]
    fn json_cells_stay_json_and_quoted_newlines_stay_in_the_row() {
        let doc = "Date (UTC),Request ID,Status,LocationDetails,Note\n\
                   2024-01-01T00:00:00Z,r-1,x,\"{\"\"city\"\":\"\"Oslo\"\"}\",\"two\nlines\"\n\
                   2024-01-01T00:00:01Z,r-2,x,{not json,\n";
        let (_, raw) = rows(doc);
        assert_eq!(raw.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4]);
        // Windows line ends: rows still start where they start.
        let crlf = doc.replace('\n', "\r\n");
        let (_, raw) = rows(&crlf);
        assert_eq!(raw.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4]);
        let starts: Vec<&[u8]> = raw
            .iter()
            .map(|r| &crlf.as_bytes()[r.offset as usize..][..10])
            .collect();
        assert_eq!(starts, [b"2024-01-01", b"2024-01-01"]);
        let rows = json(doc);
        assert_eq!(rows[0]["LocationDetails"]["city"], "Oslo");
        assert_eq!(rows[0]["Note"], "two\nlines");
        assert_eq!(rows[1]["LocationDetails"], "{not json");
    }

    /// A row ended by its line end stops the reader before the text's end; one the text's
    /// end stopped (a window of a download that cuts it, even inside a quoted cell, or
    /// before its line end) stops it at the end: it may go on after.
    #[test]
    fn a_row_the_text_cut_ends_at_the_text_end() {
        let doc = "a,b\r\n1,\"two\nlines\"\r\n3,4\n5,6";
        let ends = |doc: &[u8]| -> Vec<(u64, u64, u64)> {
            let mut rows = CsvRows::new(doc);
            std::iter::from_fn(|| rows.next_row())
                .map(|r| (r.line, r.offset, r.end))
                .collect()
        };
        let len = doc.len() as u64;
        assert_eq!(
            ends(doc.as_bytes()),
            [(1, 0, 4), (2, 5, 19), (4, 20, 24), (5, 24, len)]
        );
        // CR CR LF (a CRLF file converted again): each row starts after its line end.
        let twice = doc.replace("\r\n", "\r\r\n");
        let len = twice.len() as u64;
        assert_eq!(
            ends(twice.as_bytes()),
            [(1, 0, 4), (2, 6, 20), (4, 22, 26), (5, 26, len)]
        );
        // Cut inside the quoted cell, then between the \r and \n of its line end.
        assert_eq!(ends(&doc.as_bytes()[..12])[1], (2, 5, 12));
        assert_eq!(ends(&doc.as_bytes()[..19])[1], (2, 5, 19));
    }

    #[test]
    fn a_cell_holding_the_record_is_the_record() {
        let doc = "Event name,Request ID,Date (UTC),CloudTrail event\n\
                   ConsoleLogin,r-1,x,\"{\"\"eventVersion\"\":\"\"1.08\"\",\"\"eventName\"\":\"\"ConsoleLogin\"\"}\"\n";
        let rows = json(doc);
        assert_eq!(
            rows[0],
            serde_json::json!({"eventVersion": "1.08", "eventName": "ConsoleLogin"})
        );
    }

    #[test]
    fn log_analytics_display_times_become_rfc3339() {
        assert_eq!(
            display_time("6/24/2023, 9:04:29.431 PM").as_deref(),
            Some("2023-06-24T21:04:29.431Z")
        );
        assert_eq!(
            display_time("1/2/2024, 12:00:05 AM").as_deref(),
            Some("2024-01-02T00:00:05Z")
        );
        assert_eq!(
            display_time("1/2/2024, 12:00:05 PM").as_deref(),
            Some("2024-01-02T12:00:05Z")
        );
        for bad in [
            "2024-01-02T00:00:05Z",
            "13/2/2024, 1:00:00 PM",
            "1/2/2024, 0:00:00 AM",
        ] {
            assert_eq!(display_time(bad), None, "{bad}");
        }
        assert_eq!(
            normalise("TimeGenerated [UTC]"),
            ("timegenerated".into(), "TimeGenerated", true)
        );
        assert_eq!(
            normalise(" Autonomous system  number "),
            (
                "autonomous system number".into(),
                "Autonomous system  number",
                false
            )
        );
    }

    #[test]
    fn only_a_header_row_is_a_header() {
        assert!(header(b"a,b,c\n1,2,3\n").is_some());
        for not in [
            &b"{\"a\":1,\"b\":2,\"c\":3}\n"[..],
            b"a,b\n",
            b"a,,c\n",
            b"a,b,c",
            b"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326\n",
        ] {
            assert!(header(not).is_none(), "{}", String::from_utf8_lossy(not));
        }
    }
}
