//! Cutting a decompressed byte stream into records, separately from parsing them.

use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

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
        let rest = &chunk[pos..];
        let (len, step) = match memchr::memchr(b'\n', rest) {
            Some(i) => (i, i + 1),
            None => (rest.len(), rest.len()),
        };
        let mut bytes = &rest[..len];
        if let [head @ .., b'\r'] = bytes {
            bytes = head;
        }
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

/// One record of a JSON document: its index in the array, its byte offset in the
/// document, the 1-based line it starts on, and its bytes.
#[derive(Copy, Clone, Debug)]
pub struct JsonRecord<'a> {
    pub index: usize,
    pub offset: usize,
    pub line: u64,
    pub bytes: &'a [u8],
}

/// Why a JSON document could not be framed.
#[derive(Debug, thiserror::Error)]
pub enum JsonFramingError {
    #[error("not valid JSON: {0}")]
    BadJson(String),
    #[error("the document has no `{0}` array")]
    MissingField(&'static str),
}

/// Cut a whole JSON document into its records, borrowing each record's bytes.
pub fn json_records(doc: &[u8], framing: Framing) -> Result<Vec<JsonRecord<'_>>, JsonFramingError> {
    let bad = |e: serde_json::Error| JsonFramingError::BadJson(e.to_string());
    let raws: Vec<&RawValue> = match framing {
        Framing::JsonArray => serde_json::from_slice(doc).map_err(bad)?,
        Framing::JsonRecordsField(field) => {
            #[derive(Deserialize)]
            struct Wrapper<'a>(#[serde(borrow)] BTreeMap<&'a str, &'a RawValue>);
            let Wrapper(map) = serde_json::from_slice(doc).map_err(bad)?;
            let records = map
                .get(field)
                .ok_or(JsonFramingError::MissingField(field))?;
            serde_json::from_str(records.get()).map_err(bad)?
        }
        Framing::Lines => Vec::new(),
    };
    let base = doc.as_ptr() as usize;
    let mut line = 1u64;
    let mut counted_to = 0usize;
    let mut out = Vec::with_capacity(raws.len());
    for (index, raw) in raws.into_iter().enumerate() {
        let text = raw.get();
        let offset = (text.as_ptr() as usize).saturating_sub(base).min(doc.len());
        line += memchr::memchr_iter(b'\n', &doc[counted_to..offset]).count() as u64;
        counted_to = offset;
        out.push(JsonRecord {
            index,
            offset,
            line,
            bytes: text.as_bytes(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let recs = json_records(doc, Framing::JsonArray).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].bytes, b"{\"a\": 1}");
        assert_eq!(recs[0].line, 2);
        assert_eq!(recs[1].line, 3);
        assert_eq!(&doc[recs[1].offset..recs[1].offset + 2], b"{\"");
    }

    #[test]
    fn records_field_wrapper_is_unwrapped() {
        let doc = br#"{"Records":[{"eventID":"x"},{"eventID":"y"}]}"#;
        let recs = json_records(doc, Framing::JsonRecordsField("Records")).unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].index, 1);
        assert_eq!(recs[1].bytes, br#"{"eventID":"y"}"#);
        assert!(matches!(
            json_records(br#"{"Other":[]}"#, Framing::JsonRecordsField("Records")),
            Err(JsonFramingError::MissingField("Records"))
        ));
        assert!(json_records(b"[{", Framing::JsonArray).is_err());
    }
}
