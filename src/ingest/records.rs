//! One record at a time, into a builder and its counters.

use tokentrail_parsers::event::notes;
use tokentrail_parsers::{Detail, Event, LogParser, ParseErrorKind, SourceId, parse_keeping};

use super::IngestOptions;
use super::report::ChunkStats;
use crate::fingerprint::Fingerprinter;
use crate::frame::{FileContext, FrameBuilder};

/// What every record of one input is parsed with.
pub(super) struct FileJob<'a> {
    pub(super) parser: &'static dyn LogParser,
    pub(super) ctx: FileContext<'a>,
    pub(super) opts: &'a IngestOptions,
    pub(super) fingerprints: &'a Fingerprinter,
    /// The moment of the run, for the clock check.
    pub(super) now: i64,
    /// How much of each record is read ([`IngestOptions::detail`]).
    pub(super) detail: Detail,
}

/// Parses records one at a time into a builder and its counters: the one place where a
/// record becomes events or a counted malformed record, for line and JSON sources alike.
pub(super) struct RecordSink<'j> {
    pub(super) job: &'j FileJob<'j>,
    pub(super) builder: FrameBuilder,
    pub(super) stats: ChunkStats,
}

impl<'j> RecordSink<'j> {
    pub(super) fn new(job: &'j FileJob<'j>, capacity: usize) -> RecordSink<'j> {
        RecordSink {
            job,
            builder: FrameBuilder::keeping(job.fingerprints.clone(), capacity, &|name| {
                job.opts.columns.is_none_or(|c| c.contains(&name))
                    || super::READ_BY_INGEST.contains(&name)
            })
            .with_extra_columns(job.parser.extra_columns(), capacity),
            stats: ChunkStats::default(),
        }
    }

    /// One non-blank record at `line` (relative to the chunk for line sources),
    /// `index` inside a JSON array, absolute byte `offset`. `out` is scratch space.
    pub(super) fn record<'a>(
        &mut self,
        bytes: &'a [u8],
        line: u64,
        index: Option<u64>,
        offset: u64,
        out: &mut Vec<Event<'a>>,
    ) {
        let max = self.job.opts.max_line_bytes;
        self.stats.records += 1;
        if bytes.len() > max {
            self.stats
                .malformed(line, index, ParseErrorKind::LineTooLong, max, bytes);
            return;
        }
        out.clear();
        match parse_keeping(self.job.parser, self.job.detail, bytes, out) {
            Ok(()) => {
                // Parsers validate UTF-8 once per record and say so in the notes.
                if out.iter().any(|ev| ev.notes & notes::INVALID_UTF8 != 0) {
                    self.stats.invalid_utf8 += 1;
                }
                let record_index = index.and_then(|i| u32::try_from(i).ok());
                if let Some(zone) = self.job.opts.local_zone
                    && self.job.parser.id() == SourceId::NginxError
                {
                    // The server's local time, now placed: no longer an assumption.
                    for ev in out.iter_mut().filter(|e| e.notes & notes::ASSUMED_UTC != 0) {
                        ev.ts = zone.local_to_utc(ev.ts);
                        ev.notes &= !notes::ASSUMED_UTC;
                    }
                }
                for ev in out.iter() {
                    self.stats.events += 1;
                    self.stats.event_time(ev.ts, self.job.now);
                    if self.job.opts.attributable_only
                        && ev.credential.is_none()
                        && ev.principal.is_none()
                    {
                        continue;
                    }
                    self.builder.push(ev, line, record_index, offset);
                }
            }
            Err(e) => self.stats.malformed(line, index, e.kind, e.offset, bytes),
        }
    }
}
