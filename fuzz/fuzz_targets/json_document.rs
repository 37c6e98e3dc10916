//! A whole JSON document cut into records (CloudTrail `{"Records":[…]}`, API pages,
//! pretty-printed responses), then each record parsed by the parser that claims the head.
//! Properties: no panic, no hang, records lie inside the document in order, and every
//! error's offset lies inside its record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentrail_parsers::framing::{Framing, json_records};
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
});
