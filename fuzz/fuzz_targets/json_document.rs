//! A whole JSON document cut into records (CloudTrail `{"Records":[…]}`, API pages,
//! pretty-printed responses), then each record parsed by the parser that claims the head.
//! Properties: no panic, no hang, records lie inside the document in order, every
//! error's offset lies inside its record, and records read from the front of the rest of
//! the document (`parse_front`, as ingest reads it: the whole text of a valid UTF-8
//! document, or text windows checked one at a time, `TextWindows`) are the framed records
//! with the events a parse of their bytes gives; and a large array's pieces read as the
//! whole does (records stepped over where they start, a cursor resumed at a record
//! reading the same records from there); and the document cut short frames its first
//! records, the rest lost to the cut alone (as a window of a decompressed document is).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentrail_parsers::framing::{ArrayRecords, Framing, TextWindows, json_records};
use tokentrail_parsers::registry::PARSERS;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, doc)) = data.split_first() else {
        return;
    };
    let parser = PARSERS[usize::from(pick) % PARSERS.len()];
    let framing = match parser.framing(doc) {
        Framing::Lines => Framing::JsonArray,
        f => f,
    };
    let framed = json_records(doc, framing);
    let mut previous_end = 0;
    let mut out = Vec::new();
    for record in &framed.records {
        assert!(record.offset >= previous_end, "records out of order");
        assert!(
            record.offset + record.bytes.len() <= doc.len(),
            "record past the end"
        );
        previous_end = record.offset + record.bytes.len();
        out.clear();
        if let Err(e) = parser.parse(record.bytes, &mut out) {
            assert!(
                e.offset <= record.bytes.len(),
                "error offset past the record"
            );
        }
    }
    if framing != Framing::JsonDocument {
        // Pieces (ingest reads a large array on every core): stepping over records finds
        // each one's start, index and line, and a cursor resumed at a record with its
        // index reads the records from there as the whole array does.
        let mut stepper = ArrayRecords::new(doc, framing);
        for want in &framed.records {
            assert_eq!(
                stepper.position(),
                Some(want.offset),
                "a step missed a record"
            );
            assert_eq!(stepper.index(), want.index);
            assert_eq!(stepper.next_line(), Some(want.line));
            assert!(
                stepper.skip_record().is_some(),
                "a record could not be stepped over"
            );
        }
        for (k, start) in framed.records.iter().enumerate().take(4) {
            let mut resumed = ArrayRecords::resume(doc, start.offset, start.index);
            for want in &framed.records[k..] {
                let (got, _) = resumed
                    .next_record(None, |_| None)
                    .expect("a record the resumed cursor did not find");
                let line = got.line + start.line - 1;
                assert_eq!(
                    (got.offset, got.bytes, got.index, line),
                    (want.offset, want.bytes, want.index, want.line)
                );
            }
            assert!(resumed.next_record(None, |_| None).is_none());
        }
    }
    if framing != Framing::JsonDocument {
        // Windows (ingest reads a document it decompresses a window of whole records at a
        // time): the records of the document cut short are its first records, and a record
        // the cut loses is lost to the text's end (`is_cut`: the window is read again with
        // more), never to an error of its own.
        let cut = doc.len() * usize::from(doc.last().copied().unwrap_or(0)) / 255;
        let prefix = json_records(&doc[..cut], framing);
        assert!(prefix.records.len() <= framed.records.len());
        for (got, want) in prefix.records.iter().zip(&framed.records) {
            assert_eq!(
                (got.offset, got.bytes, got.index, got.line),
                (want.offset, want.bytes, want.index, want.line)
            );
        }
        if prefix.records.len() < framed.records.len() {
            assert!(
                prefix.error.as_ref().is_some_and(|e| e.is_cut()),
                "a cut not said to be one: {:?}",
                prefix.error
            );
        }
    }
    // Read from the front of the whole text (a valid UTF-8 document), then through text
    // windows checked one at a time (as ingest reads a large document: any document).
    let text = std::str::from_utf8(doc).ok();
    let mut windows = TextWindows::of(doc, doc.len(), 1 + doc.len() % 197);
    for windowed in [false, true] {
        if !windowed && text.is_none() {
            continue;
        }
        let mut cursor = ArrayRecords::new(doc, framing);
        let mut framed_records = framed.records.iter();
        loop {
            let mut front = Vec::new();
            let read = |rest| parser.parse_front(rest, &mut front);
            let around = match (windowed, cursor.position()) {
                (true, Some(pos)) => windows.at(pos),
                _ => text.map(|t| (0, t)),
            };
            let Some((record, read_whole)) = cursor.next_record(around, read) else {
                break;
            };
            let want = framed_records
                .next()
                .expect("a record the framing did not find");
            assert_eq!((record.offset, record.bytes), (want.offset, want.bytes));
            if read_whole {
                let mut parsed = Vec::new();
                assert!(parser.parse(record.bytes, &mut parsed).is_ok());
                assert_eq!(front, parsed, "events read from the front differ");
            }
        }
        assert!(
            framed_records.next().is_none(),
            "a framed record was not read"
        );
    }
});
