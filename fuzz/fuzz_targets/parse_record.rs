//! Every registered parser on one arbitrary record, as `ingest` calls it: detection on
//! the bytes as a file head, then `parse`, in full and for the identity only. The
//! properties: no panic, no hang, every error's offset lies inside the record, and a
//! record read in full is read for the identity only with the same identity fields, and
//! an Okta, Auth0 or Entra record the walk reads (for the identity or with every field,
//! whole or from the front of the rest of an array) is the event serde reads, and one
//! read from the front of a line is on that line and gives the line's events.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentrail_parsers::registry::{PARSERS, detect};
use tokentrail_parsers::{Detail, Event, parse_keeping};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, record)) = data.split_first() else {
        return;
    };
    let _ = detect(record);
    let parser = PARSERS[usize::from(pick) % PARSERS.len()];
    let _ = parser.sniff(record);
    let _ = parser.framing(record);
    let _ = parser.skip_reason(record);
    // Where the walk over plain Okta, Auth0 and Entra records reads one, it reads what
    // serde reads, for the identity and with every field.
    assert!(tokentrail_parsers::okta::identity_walk_agrees(record));
    assert!(tokentrail_parsers::okta::full_walk_agrees(record));
    assert!(tokentrail_parsers::auth0::identity_walk_agrees(record));
    assert!(tokentrail_parsers::auth0::full_walk_agrees(record));
    assert!(tokentrail_parsers::entra::identity_walk_agrees(record));
    assert!(tokentrail_parsers::entra::full_walk_agrees(record));
    // And read from the front of the rest of an array: the same event, the same end.
    if let Ok(rest) = std::str::from_utf8(record) {
        assert!(tokentrail_parsers::okta::identity_front_walk_agrees(rest));
        assert!(tokentrail_parsers::okta::full_front_walk_agrees(rest));
        assert!(tokentrail_parsers::auth0::identity_front_walk_agrees(rest));
        assert!(tokentrail_parsers::auth0::full_front_walk_agrees(rest));
        assert!(tokentrail_parsers::entra::identity_front_walk_agrees(rest));
        assert!(tokentrail_parsers::entra::full_front_walk_agrees(rest));
        // And read from the front of a line of JSON Lines: the record on that line, the
        // events of the line.
        assert!(tokentrail_parsers::line_front_agrees(parser, rest));
    }
    let mut out = Vec::new();
    let full = parser.parse(record, &mut out);
    if let Err(e) = &full {
        assert!(
            e.offset <= record.len(),
            "{}: error offset {} past a {}-byte record",
            parser.id().as_str(),
            e.offset,
            record.len()
        );
    }
    // A record the full parse reads is read for the identity only too, with the same
    // identity fields (the converse has documented exceptions: `parse_keeping`).
    let mut identity = Vec::new();
    let lean = parse_keeping(parser, Detail::Identity, record, &mut identity);
    if full.is_err() {
        return;
    }
    assert!(lean.is_ok(), "{}", parser.id().as_str());
    assert_eq!(out.len(), identity.len());
    for (f, i) in out.iter().zip(&identity) {
        for field in Event::IDENTITY_FIELDS {
            assert_eq!(f.field(field), i.field(field), "{field}");
        }
    }
});
