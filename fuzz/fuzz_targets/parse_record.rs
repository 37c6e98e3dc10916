//! Every registered parser on one arbitrary record, as `ingest` calls it: detection on
//! the bytes as a file head, then `parse`. The properties: no panic, no hang, and every
//! error's offset lies inside the record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentrail_parsers::registry::{PARSERS, detect};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, record)) = data.split_first() else {
        return;
    };
    let _ = detect(record);
    let parser = PARSERS[usize::from(pick) % PARSERS.len()];
    let _ = parser.sniff(record);
    let _ = parser.framing(record);
    let _ = parser.skip_reason(record);
    let mut out = Vec::new();
    if let Err(e) = parser.parse(record, &mut out) {
        assert!(
            e.offset <= record.len(),
            "{}: error offset {} past a {}-byte record",
            parser.id().as_str(),
            e.offset,
            record.len()
        );
    }
});
