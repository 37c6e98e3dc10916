//! A whole JSON document cut into records (CloudTrail `{"Records":[…]}`, API pages,
//! pretty-printed responses), then each record parsed by the parser that claims the head.
//! Properties: no panic, no hang, records lie inside the document in order, every
//! error's offset lies inside its record, and records read from the front of the rest of
//! the document (`parse_front`, as ingest reads a valid UTF-8 document) are the framed
//! records with the events a parse of their bytes gives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentrail_parsers::framing::{ArrayRecords, Framing, json_records};
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
    let Ok(text) = std::str::from_utf8(doc) else {
        return;
    };
    let mut cursor = ArrayRecords::new(doc, framing);
    let mut framed_records = framed.records.iter();
    loop {
        let mut front = Vec::new();
        let read = |rest| parser.parse_front(rest, &mut front);
        let Some((record, read_whole)) = cursor.next_record(Some(text), read) else {
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
});
