//! A spreadsheet download: the header matched against each source's CSV forms, every row
//! rebuilt as JSON and parsed. Properties: no panic, no hang, rows lie inside the document
//! in order, the rebuilt record is valid JSON, and every error's offset lies inside it;
//! and the rows of the document cut short that the cut did not stop are its first rows
//! (as a window of a decompressed download reads them).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentrail_parsers::csv_export::{CsvLayout, CsvRows, form_of, header};
use tokentrail_parsers::registry::PARSERS;

fuzz_target!(|doc: &[u8]| {
    let _ = header(doc);
    // Windows (ingest reads a download it decompresses a window of whole rows at a time):
    // the rows of the document cut short that the cut did not stop (`end` before it) are
    // its first rows, where they lie in the whole.
    let rows_of = |doc: &[u8]| {
        let mut rows = CsvRows::new(doc);
        std::iter::from_fn(move || rows.next_row())
            .map(|r| (r.line, r.offset, r.end, r.record))
            .collect::<Vec<_>>()
    };
    let whole = rows_of(doc);
    let cut = doc.len() * usize::from(doc.last().copied().unwrap_or(0)) / 255;
    let stopped_before = |row: &(u64, u64, u64, _)| (row.2 as usize) < cut;
    let prefix: Vec<_> = rows_of(&doc[..cut])
        .into_iter()
        .take_while(stopped_before)
        .collect();
    assert!(
        prefix.len() <= whole.len(),
        "more rows in a part than in the whole"
    );
    for (got, want) in prefix.iter().zip(&whole) {
        assert_eq!(got, want, "a row read in a window differs from the whole's");
    }
    for parser in PARSERS {
        let Some((form, _)) = form_of(*parser, doc) else {
            continue;
        };
        let mut rows = CsvRows::new(doc);
        let Some(head) = rows.next_row() else {
            continue;
        };
        let layout = CsvLayout::new(form, &head.labels());
        let mut previous = head.offset;
        let mut json = Vec::new();
        while let Some(row) = rows.next_row() {
            assert!(row.offset >= previous, "rows out of order");
            assert!(row.offset as usize <= doc.len(), "row past the end");
            previous = row.offset;
            layout.row_to_json(&row.record, &mut json);
            if form.embedded_record.is_none() {
                assert!(
                    serde_json::from_slice::<serde::de::IgnoredAny>(&json).is_ok(),
                    "rebuilt row is not JSON: {}",
                    String::from_utf8_lossy(&json)
                );
            }
            let mut out = Vec::new();
            if let Err(e) = parser.parse(&json, &mut out) {
                assert!(e.offset <= json.len(), "error offset past the record");
            }
        }
    }
});
