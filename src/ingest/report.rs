//! What ingest learnt about each input: problems, malformed records, counters.

use std::collections::BTreeMap;

use serde::Serialize;
use tokentrail_parsers::ParseErrorKind;
use tokentrail_parsers::secret::redact_text;

use super::MAX_EXAMPLES;
use crate::input::Input;

/// Events more than this far after the run are flagged as clock oddities.
const FUTURE_SLACK_NS: i64 = 24 * 3600 * 1_000_000_000;

/// What kind of problem an input had as a whole.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Could not be opened or read: data was lost.
    Unreadable,
    /// A gzip stream ends early: the records before the cut were read.
    TruncatedGzip,
    /// Nothing to read.
    Empty,
    /// Binary content (NUL bytes), an archive, or another compression.
    Binary,
    /// A text encoding other than UTF-8 (UTF-16).
    Encoding,
    /// No parser recognised the content.
    UnknownFormat,
    /// Two parsers claim the content with close confidence.
    AmbiguousFormat,
    /// A file of a known source that holds no events (a CloudTrail digest file), or a
    /// file or folder met a second time (links).
    Skipped,
    /// A gzip stream that inflates far beyond any log (a bomb): stopped, data lost.
    Inflation,
    /// A JSON document or CSV download, or one record of an array, larger than the most
    /// held at once (`--max-document-bytes`): the rest of the file is not read.
    TooLarge,
}

impl ProblemKind {
    /// Whether the problem fails the run even without `--strict` (input was lost).
    pub fn loses_data(self) -> bool {
        matches!(
            self,
            ProblemKind::Unreadable
                | ProblemKind::TruncatedGzip
                | ProblemKind::Inflation
                | ProblemKind::TooLarge
        )
    }

    /// Whether `--strict` turns it into a failure.
    pub fn fails_strict(self) -> bool {
        !matches!(self, ProblemKind::Empty | ProblemKind::Skipped)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub message: String,
}

/// One malformed record, as evidence: where, why, and a short redacted excerpt.
#[derive(Clone, Debug, Serialize)]
pub struct MalformedExample {
    pub line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_index: Option<u64>,
    pub reason: String,
    pub byte: usize,
    pub excerpt: String,
}

/// What was read from one input.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    pub file: String,
    pub source: Option<&'static str>,
    pub confidence: Option<u8>,
    /// `detected`, `forced` (`--source`), `skipped` (a known source's file without
    /// events, such as a CloudTrail digest), `before_window` (a CloudTrail file delivered
    /// before `--since`, not opened) or `none` (not read: see `problems`).
    pub detection: &'static str,
    /// The user's `log_format` the file was read with, when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<String>,
    /// The download form the file was read as, when it is not the source's JSON: a CSV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<&'static str>,
    pub gzip: bool,
    pub bytes_on_disk: Option<u64>,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// Lines read (line sources) or records framed (JSON documents), blank lines included.
    pub lines: u64,
    pub blank_lines: u64,
    /// Non-blank records parsed or rejected.
    pub records: u64,
    /// Events read and kept: those in `--since`/`--until` when given.
    pub events: u64,
    /// Events parsed but outside `--since`/`--until`: counted here, not kept, and not in
    /// `events`, `first_ts`, `last_ts`, `out_of_order` or `future_events`.
    pub outside_window: u64,
    /// Events dropped as repeated deliveries of an event already read (same id).
    pub duplicates_removed: u64,
    pub malformed: u64,
    pub malformed_by_reason: BTreeMap<String, u64>,
    pub malformed_examples: Vec<MalformedExample>,
    /// Parsed records with bytes that are not UTF-8 (fields decoded with U+FFFD).
    pub invalid_utf8_records: u64,
    /// Events whose time is earlier than the event before them in the file.
    pub out_of_order: u64,
    /// Events more than a day after the moment of the run.
    pub future_events: u64,
    pub first_ts: Option<i64>,
    pub last_ts: Option<i64>,
    pub problems: Vec<Problem>,
}

impl FileReport {
    pub(super) fn new(input: &Input) -> FileReport {
        FileReport {
            file: input.display_name(),
            source: None,
            confidence: None,
            detection: "none",
            log_format: None,
            form: None,
            gzip: false,
            bytes_on_disk: None,
            bytes: 0,
            lines: 0,
            blank_lines: 0,
            records: 0,
            events: 0,
            outside_window: 0,
            duplicates_removed: 0,
            malformed: 0,
            malformed_by_reason: BTreeMap::new(),
            malformed_examples: Vec::new(),
            invalid_utf8_records: 0,
            out_of_order: 0,
            future_events: 0,
            first_ts: None,
            last_ts: None,
            problems: Vec::new(),
        }
    }

    /// An event table read back from Parquet: already parsed, nothing to report but its
    /// `rows` and how many of them were `outside` `--since`/`--until`.
    pub fn parquet(file: &str, rows: u64, outside: u64) -> FileReport {
        FileReport {
            file: file.to_string(),
            detection: "parquet",
            events: rows - outside,
            outside_window: outside,
            records: rows,
            ..FileReport::new(&Input::Stdin)
        }
    }

    pub(super) fn problem(&mut self, kind: ProblemKind, message: impl Into<String>) {
        self.problems.push(Problem {
            kind,
            message: message.into(),
        });
    }
}

/// Per-chunk counters, merged in order into the file's report.
#[derive(Default, Debug, PartialEq)]
pub(super) struct ChunkStats {
    pub(super) lines: u64,
    pub(super) blank: u64,
    pub(super) records: u64,
    pub(super) events: u64,
    pub(super) outside_window: u64,
    pub(super) invalid_utf8: u64,
    pub(super) out_of_order: u64,
    pub(super) future: u64,
    pub(super) first_ts: Option<i64>,
    pub(super) last_ts: Option<i64>,
    pub(super) min_ts: Option<i64>,
    pub(super) max_ts: Option<i64>,
    pub(super) malformed: BTreeMap<ParseErrorKind, u64>,
    /// Relative line, record index, kind, byte, excerpt.
    pub(super) examples: Vec<(u64, Option<u64>, ParseErrorKind, usize, String)>,
}

impl ChunkStats {
    pub(super) fn malformed(
        &mut self,
        line: u64,
        index: Option<u64>,
        kind: ParseErrorKind,
        byte: usize,
        record: &[u8],
    ) {
        *self.malformed.entry(kind).or_default() += 1;
        if self.examples.len() < MAX_EXAMPLES {
            self.examples
                .push((line, index, kind, byte, excerpt(record)));
        }
    }

    pub(super) fn event_time(&mut self, ts: i64, now: i64) {
        if self.last_ts.is_some_and(|prev| ts < prev) {
            self.out_of_order += 1;
        }
        if ts > now + FUTURE_SLACK_NS {
            self.future += 1;
        }
        self.first_ts.get_or_insert(ts);
        self.last_ts = Some(ts);
        self.min_ts = Some(self.min_ts.map_or(ts, |m| m.min(ts)));
        self.max_ts = Some(self.max_ts.map_or(ts, |m| m.max(ts)));
    }

    /// Fold this chunk's counters into the file report; `first_line` is absolute and
    /// `last_seen` the time of the last event of the chunks merged before (to count order
    /// breaks across chunk edges).
    pub(super) fn merge_into(
        self,
        report: &mut FileReport,
        first_line: u64,
        last_seen: &mut Option<i64>,
    ) {
        report.lines += self.lines;
        report.blank_lines += self.blank;
        report.records += self.records;
        report.events += self.events;
        report.outside_window += self.outside_window;
        report.invalid_utf8_records += self.invalid_utf8;
        report.out_of_order += self.out_of_order;
        report.future_events += self.future;
        if let (Some(prev), Some(first)) = (*last_seen, self.first_ts)
            && first < prev
        {
            report.out_of_order += 1;
        }
        if self.last_ts.is_some() {
            *last_seen = self.last_ts;
        }
        if let Some(min) = self.min_ts {
            report.first_ts = Some(report.first_ts.map_or(min, |m| m.min(min)));
        }
        if let Some(max) = self.max_ts {
            report.last_ts = Some(report.last_ts.map_or(max, |m| m.max(max)));
        }
        for (kind, n) in self.malformed {
            report.malformed += n;
            *report.malformed_by_reason.entry(kind.reason()).or_default() += n;
        }
        for (line, index, kind, byte, excerpt) in self.examples {
            if report.malformed_examples.len() < MAX_EXAMPLES {
                report.malformed_examples.push(MalformedExample {
                    line: first_line + line,
                    record_index: index,
                    reason: kind.reason(),
                    byte,
                    excerpt,
                });
            }
        }
    }
}

/// A short excerpt of a bad record for messages: lossy, secrets redacted, cut at 120
/// characters.
pub(super) fn excerpt(record: &[u8]) -> String {
    let cut = &record[..record.len().min(240)];
    let text = String::from_utf8_lossy(cut);
    let red = redact_text(&text);
    let mut s: String = red.chars().take(120).collect();
    if record.len() > cut.len() || red.chars().count() > 120 {
        s.push('…');
    }
    s
}
