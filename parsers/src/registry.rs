//! The one list of parsers, and format detection by content.

use crate::auth0::Auth0Parser;
use crate::cloudtrail::CloudTrailParser;
use crate::csv_export;
use crate::entra::EntraSignInParser;
use crate::framing::Framing;
use crate::nginx::NginxParser;
use crate::nginx_error::NginxErrorParser;
use crate::nginx_json::NginxJsonParser;
use crate::okta::OktaSystemLogParser;
use crate::parser::{Confidence, LogParser};
use crate::source::SourceId;

/// Every parser, in tie-break order for detection. Adding a source = a module + one line.
pub static PARSERS: &[&dyn LogParser] = &[
    &CloudTrailParser,
    &OktaSystemLogParser,
    &Auth0Parser,
    &EntraSignInParser,
    &NginxJsonParser,
    &NginxErrorParser,
    &NginxParser,
];

/// Below this, a parser's claim on a file is not taken.
pub const MIN_CONFIDENCE: u8 = 50;
/// The winner must lead the runner-up by this much, or the file is ambiguous.
pub const MIN_LEAD: u8 = 15;

/// The parser registered for a source id.
pub fn by_id(id: SourceId) -> &'static dyn LogParser {
    PARSERS
        .iter()
        .copied()
        .find(|p| p.id() == id)
        .unwrap_or(PARSERS[0])
}

/// The outcome of content sniffing for one input.
#[derive(Clone, Copy)]
pub enum Detection {
    Detected {
        parser: &'static dyn LogParser,
        confidence: Confidence,
    },
    /// A source's file that holds no events (a CloudTrail digest): skipped, not malformed.
    NotEvents {
        source: SourceId,
        reason: &'static str,
    },
    /// No parser is confident enough; the best score is reported.
    Unknown {
        best: Option<(SourceId, Confidence)>,
    },
    /// Two parsers claim the input with close scores.
    Ambiguous {
        first: (SourceId, Confidence),
        second: (SourceId, Confidence),
    },
}

/// Strip a UTF-8 byte-order mark and leading whitespace: Windows tools add both.
pub fn trim_head(head: &[u8]) -> &[u8] {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    &head[start..]
}

/// How `parser` cuts an input that starts with `head`: a CSV download of the source when
/// the header row is one of its forms, else what the parser says.
pub fn framing_of(parser: &dyn LogParser, head: &[u8]) -> Framing {
    let head = trim_head(head);
    match csv_export::form_of(parser, head) {
        Some(_) => Framing::Csv,
        None => parser.framing(head),
    }
}

/// Ask every parser how sure it is that `head` is its format; pick a clear winner.
pub fn detect(head: &[u8]) -> Detection {
    let head = trim_head(head);
    for p in PARSERS {
        if let Some(reason) = p.skip_reason(head) {
            return Detection::NotEvents {
                source: p.id(),
                reason,
            };
        }
    }
    let mut scores: Vec<(&'static dyn LogParser, Confidence)> = PARSERS
        .iter()
        .map(|p| {
            let csv = csv_export::form_of(*p, head).map_or(Confidence::NONE, |(_, c)| c);
            (*p, p.sniff(head).max(csv))
        })
        .collect();
    // Stable sort keeps registry order among equal scores.
    scores.sort_by_key(|s| std::cmp::Reverse(s.1));
    let best = scores.first().copied();
    let runner_up = scores.get(1).copied();
    match (best, runner_up) {
        (Some((p, c)), second) if c.0 >= MIN_CONFIDENCE => match second {
            Some((q, d)) if d.0 >= MIN_CONFIDENCE && c.0 - d.0 < MIN_LEAD => Detection::Ambiguous {
                first: (p.id(), c),
                second: (q.id(), d),
            },
            _ => Detection::Detected {
                parser: p,
                confidence: c,
            },
        },
        (best, _) => Detection::Unknown {
            best: best.filter(|(_, c)| c.0 > 0).map(|(p, c)| (p.id(), c)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    #[test]
    fn every_source_id_has_exactly_one_parser() {
        for id in SourceId::ALL {
            let n = PARSERS.iter().filter(|p| p.id() == *id).count();
            assert_eq!(n, 1, "{id} is registered {n} times");
            assert_eq!(SourceId::from_id(id.as_str()), Some(*id));
        }
        assert_eq!(PARSERS.len(), SourceId::ALL.len());
    }

    #[test]
    fn every_example_parses_to_its_expected_fields() {
        for parser in PARSERS {
            assert!(
                !parser.examples().is_empty(),
                "{} has no examples",
                parser.id()
            );
            for ex in parser.examples() {
                let mut out: Vec<Event<'_>> = Vec::new();
                parser
                    .parse(ex.record.as_bytes(), &mut out)
                    .unwrap_or_else(|e| panic!("{}: {}: {e}", parser.id(), ex.title));
                assert_eq!(out.len(), 1, "{}", ex.title);
                for (field, want) in ex.expect {
                    let got = out[0].field(field);
                    assert_eq!(got.as_deref(), *want, "{}: field {field}", ex.title);
                }
            }
        }
    }

    /// A parse that keeps only the identity of events gives the identity fields of a full
    /// parse, on every example and on the real records of the JSON sources; and it does
    /// skip the rest (user agents are not read).
    #[test]
    fn an_identity_parse_keeps_every_identity_field() {
        use crate::parser::{Detail, parse_keeping};
        let mut skipped = 0;
        let mut check = |parser: &dyn LogParser, record: &[u8]| {
            let (mut full, mut identity) = (Vec::new(), Vec::new());
            let full_ok = parse_keeping(parser, Detail::Full, record, &mut full).is_ok();
            let identity_ok = parse_keeping(parser, Detail::Identity, record, &mut identity);
            assert_eq!(full_ok, identity_ok.is_ok(), "{}", parser.id());
            assert_eq!(full.len(), identity.len(), "{}", parser.id());
            for (f, i) in full.iter().zip(&identity) {
                for field in Event::IDENTITY_FIELDS {
                    assert_eq!(f.field(field), i.field(field), "{}: {field}", parser.id());
                }
                if f.user_agent.is_some() && i.user_agent.is_none() {
                    skipped += 1;
                }
            }
            // The detail asked for ends with the parse: a plain parse reads everything.
            let mut again = Vec::new();
            let _ = parser.parse(record, &mut again);
            assert_eq!(again, full, "{}", parser.id());
        };
        for parser in PARSERS {
            for ex in parser.examples() {
                check(*parser, ex.record.as_bytes());
            }
        }
        for (id, fixture) in [
            (SourceId::OktaSystemLog, "okta/panther-rule-tests.ndjson"),
            (SourceId::Auth0, "auth0/panther-rule-tests.ndjson"),
            (SourceId::EntraSignIn, "entra/panther-rule-tests.ndjson"),
            (SourceId::CloudTrail, "cloudtrail/panther-rule-tests.ndjson"),
            (
                SourceId::CloudTrail,
                "cloudtrail/otrf-ec2-proxy-s3-exfiltration.jsonl",
            ),
        ] {
            let parser = PARSERS.iter().find(|p| p.id() == id).expect("registered");
            let path = format!("{}/../tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read(&path).expect("fixture");
            for line in crate::framing::lines(&text) {
                check(*parser, line.bytes);
            }
        }
        assert!(skipped > 10, "user agents skipped in {skipped} events");
    }

    /// Found by fuzzing: bytes that are not UTF-8 in a field an identity parse skips made
    /// the record readable for it and malformed for a full parse. Both now fail alike.
    #[test]
    fn a_record_that_is_not_utf8_fails_alike_in_full_and_for_the_identity() {
        use crate::parser::{Detail, parse_keeping};
        let record: &[u8] = b"{\"log_id\":\"1\",\"data\":{\"date\":\"2023-05-23T21:28:56.071Z\",\"type\":\"sapi\",\"client_id\":\"cl1\",\"details\":{\"request\":{\"userAgent\":\"Maci\xff\xfentosh\"}}}}";
        let parser = PARSERS
            .iter()
            .find(|p| p.id() == SourceId::Auth0)
            .expect("registered");
        let full = parse_keeping(*parser, Detail::Full, record, &mut Vec::new());
        let identity = parse_keeping(*parser, Detail::Identity, record, &mut Vec::new());
        assert!(full.is_err());
        assert_eq!(full.err(), identity.err());
    }

    #[test]
    fn every_parser_detects_its_own_examples() {
        for parser in PARSERS {
            let head: String = parser
                .examples()
                .iter()
                .map(|e| format!("{}\n", e.record))
                .collect();
            match detect(head.as_bytes()) {
                Detection::Detected { parser: p, .. } => assert_eq!(p.id(), parser.id()),
                _ => panic!("{} examples not detected", parser.id()),
            }
        }
    }

    #[test]
    fn json_and_prose_are_not_detected_as_nginx() {
        assert!(matches!(
            detect(br#"{"Records":[{"eventVersion":"1.08"}]}"#),
            Detection::Unknown { .. }
        ));
        assert!(matches!(
            detect(b"Dear reader,\nthis is not a log file.\n"),
            Detection::Unknown { .. }
        ));
        assert!(matches!(detect(b""), Detection::Unknown { best: None }));
    }

    #[test]
    fn cloudtrail_and_nginx_are_told_apart() {
        let ct = br#"{"Records":[{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject"}]}"#;
        match detect(ct) {
            Detection::Detected { parser, .. } => assert_eq!(parser.id(), SourceId::CloudTrail),
            _ => panic!("not detected"),
        }
        let digest = br#"{"awsAccountId":"111122223333","digestStartTime":"2024-01-01T00:00:00Z","digestEndTime":"2024-01-01T01:00:00Z","digestPublicKeyFingerprint":"abc","logFiles":[]}"#;
        assert!(matches!(
            detect(digest),
            Detection::NotEvents {
                source: SourceId::CloudTrail,
                ..
            }
        ));
    }

    /// Every JSON parser that reads records from the front of a document reads them as
    /// they are framed and parsed: the real records of each identity provider's fixture
    /// (some malformed) as an API page (an array) and, for Entra ID, Graph's `value` page
    /// and the real Graph example, alone and with text after it; the records
    /// pretty-printed too.
    #[test]
    fn records_read_from_the_front_are_the_framed_records() {
        let fixture = |rel: &str| {
            let path = format!("{}/../tests/fixtures/{rel}", env!("CARGO_MANIFEST_DIR"));
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
        };
        let parsers: [(&dyn LogParser, &str, Option<&str>); 3] = [
            (&crate::OktaSystemLogParser, "okta", None),
            (&crate::Auth0Parser, "auth0", None),
            (&crate::EntraSignInParser, "entra", Some("value")),
        ];
        for (parser, dir, field) in parsers {
            let lines = fixture(&format!("{dir}/panther-rule-tests.ndjson"));
            let pretty: Vec<String> = lines
                .lines()
                .map(|l| {
                    let v: serde_json::Value = serde_json::from_str(l).unwrap();
                    serde_json::to_string_pretty(&v).unwrap()
                })
                .collect();
            let array = format!("[{}]", lines.lines().collect::<Vec<_>>().join(","));
            let mut docs = vec![array, format!("[\n{}\n]", pretty.join(",\n"))];
            if let Some(field) = field {
                docs.push(format!("{{\"{field}\": {}}}", docs[0]));
                let graph = fixture("entra/msgraph-signin-get-beta.json");
                docs.push(format!("{{\"{field}\": [{graph}]}}"));
                // One record as the whole document, and the same with text after its
                // object (a fuzz finding): that record is malformed, not its first object.
                docs.push(graph.clone());
                docs.push(format!("{}ationPolicies\":[]\n}}\n", graph.trim_end()));
            }
            let mut read_from_front = 0;
            for doc in &docs {
                let framing = parser.framing(trim_head(doc.as_bytes()));
                assert_ne!(framing, Framing::Lines, "{dir}");
                read_from_front +=
                    crate::framing::assert_front_reads_as_framed(parser, doc, framing);
            }
            let records = lines.lines().count();
            assert!(
                read_from_front > records,
                "{dir}: {read_from_front} of {records}"
            );
        }
    }

    #[test]
    fn bom_and_leading_whitespace_are_skipped() {
        assert_eq!(trim_head(b"\xEF\xBB\xBF \n{"), b"{");
    }
}
