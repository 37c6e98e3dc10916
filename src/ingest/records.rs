//! One record at a time, into a sink and its counters.

use polars::prelude::PolarsResult;
use tokentrail_parsers::event::notes;
use tokentrail_parsers::{Detail, Event, LogParser, ParseErrorKind, SourceId, parse_keeping};

use super::IngestOptions;
use super::report::ChunkStats;
use crate::credentials::tally::{Accumulator, ChunkTally};
use crate::fingerprint::Fingerprinter;
use crate::frame::{FileContext, FrameBuilder};

/// What every record of one input is parsed with.
pub(super) struct FileJob<'a> {
    pub(super) parser: &'static dyn LogParser,
    pub(super) ctx: FileContext<'a>,
    /// The input's place in the list of inputs: ties in time keep input order.
    pub(super) file_index: u32,
    pub(super) opts: &'a IngestOptions,
    pub(super) fingerprints: &'a Fingerprinter,
    /// Where events go when they are tallied, not kept (`credentials`, `secrets`).
    pub(super) tally: Option<&'a Accumulator>,
    /// Where finished chunks go when `ingest` writes hour by hour.
    pub(super) spill: Option<&'a super::spill::Spill<'a>>,
    /// The moment of the run, for the clock check.
    pub(super) now: i64,
    /// How much of each record is read ([`IngestOptions::detail`]).
    pub(super) detail: Detail,
}

/// Where the events of one chunk go: the columns of a frame, or the running tally of
/// each credential (`credentials` and `secrets` keep nothing else).
pub(crate) trait Sink: Sized + Send {
    type Done: Send;
    /// Whether `start`'s capacity is worth counting a chunk's lines for.
    const SIZED_BY_ROWS: bool;
    /// For chunk `chunk` of the input (0 for a whole document).
    fn start(job: &FileJob<'_>, chunk: u32, capacity: usize) -> Self;
    /// One event at `line` (relative to the chunk for line sources).
    fn push(
        &mut self,
        job: &FileJob<'_>,
        ev: &Event<'_>,
        line: u64,
        record_index: Option<u32>,
        offset: u64,
    );
    /// Whether the reader counts each chunk's lines as it cuts it, so that
    /// [`Sink::parsed`] knows where the chunk starts in its file.
    const FIRST_LINE_EARLY: bool = false;
    /// The chunk is parsed: a sink that can let go of its events now does (a tally
    /// joins the run's; a spilling frame writes them out), before every earlier chunk
    /// is. `first_line` is the chunk's first line in its file when the reader counted it
    /// ([`Sink::FIRST_LINE_EARLY`]).
    fn parsed(self, _: &FileJob<'_>, _first_line: Option<u64>) -> Self {
        self
    }
    fn is_empty(&self) -> bool;
    /// `first_line`: the 1-based line of the chunk's first line in its file.
    fn finish(self, job: &FileJob<'_>, first_line: u64) -> PolarsResult<Self::Done>;
}

impl Sink for FrameBuilder {
    type Done = polars::prelude::DataFrame;
    const SIZED_BY_ROWS: bool = true;

    fn start(job: &FileJob<'_>, _: u32, capacity: usize) -> Self {
        FrameBuilder::keeping(job.fingerprints.clone(), capacity, &|name| {
            job.opts.columns.is_none_or(|c| c.contains(&name))
                || super::READ_BY_INGEST.contains(&name)
        })
        .with_extra_columns(job.parser.extra_columns(), capacity)
    }

    fn push(
        &mut self,
        _: &FileJob<'_>,
        ev: &Event<'_>,
        line: u64,
        record_index: Option<u32>,
        offset: u64,
    ) {
        FrameBuilder::push(self, ev, line, record_index, offset);
    }

    /// The frame is held to the end of the command: the chunk's texts are repacked now,
    /// on the thread that parsed it.
    fn parsed(mut self, _: &FileJob<'_>, _: Option<u64>) -> Self {
        self.repack_texts();
        self
    }

    fn is_empty(&self) -> bool {
        FrameBuilder::is_empty(self)
    }

    fn finish(self, job: &FileJob<'_>, first_line: u64) -> PolarsResult<Self::Done> {
        FrameBuilder::finish(self, &job.ctx, first_line)
    }
}

impl Sink for ChunkTally {
    type Done = ();
    const SIZED_BY_ROWS: bool = false;

    fn start(job: &FileJob<'_>, chunk: u32, _: usize) -> Self {
        let count_only = job.tally.is_some_and(Accumulator::counts_only);
        let at = (job.ctx.source, job.file_index, chunk);
        ChunkTally::new(
            job.fingerprints.clone(),
            at,
            &job.opts.real_ip_from,
            count_only,
        )
    }

    fn push(
        &mut self,
        job: &FileJob<'_>,
        ev: &Event<'_>,
        line: u64,
        record_index: Option<u32>,
        _: u64,
    ) {
        if let Some(run) = job.tally {
            self.push_event(run, ev, line, record_index);
        }
    }

    fn parsed(mut self, job: &FileJob<'_>, _: Option<u64>) -> Self {
        if let Some(run) = job.tally {
            run.merge(&mut self);
        }
        self
    }

    fn is_empty(&self) -> bool {
        ChunkTally::is_empty(self)
    }

    fn finish(self, job: &FileJob<'_>, first_line: u64) -> PolarsResult<()> {
        if let Some(run) = job.tally {
            run.place_chunk(job.file_index, job.ctx.file_key, self.chunk(), first_line);
        }
        Ok(())
    }
}

/// Parses records one at a time into a sink and its counters: the one place where a
/// record becomes events or a counted malformed record, for line and JSON sources alike.
pub(super) struct RecordSink<'j, S> {
    pub(super) job: &'j FileJob<'j>,
    pub(super) builder: S,
    pub(super) stats: ChunkStats,
}

impl<'j, S: Sink> RecordSink<'j, S> {
    pub(super) fn new(job: &'j FileJob<'j>, chunk: u32, capacity: usize) -> RecordSink<'j, S> {
        RecordSink {
            job,
            builder: S::start(job, chunk, capacity),
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
        self.take(bytes, (line, index, offset), out, false);
    }

    /// A record whose events are already in `out` (read from the front of its document,
    /// [`tokentrail_parsers::LogParser::parse_front`]), at (line, index, offset): taken as
    /// [`RecordSink::record`] takes a record it parsed.
    pub(super) fn record_parsed<'a>(
        &mut self,
        bytes: &'a [u8],
        at: (u64, Option<u64>, u64),
        out: &mut Vec<Event<'a>>,
    ) {
        self.take(bytes, at, out, true);
    }

    fn take<'a>(
        &mut self,
        bytes: &'a [u8],
        (line, index, offset): (u64, Option<u64>, u64),
        out: &mut Vec<Event<'a>>,
        parsed: bool,
    ) {
        let max = self.job.opts.max_line_bytes;
        self.stats.records += 1;
        if bytes.len() > max {
            self.stats
                .malformed(line, index, ParseErrorKind::LineTooLong, max, bytes);
            return;
        }
        if !parsed {
            out.clear();
            if let Err(e) = parse_keeping(self.job.parser, self.job.detail, bytes, out) {
                self.stats.malformed(line, index, e.kind, e.offset, bytes);
                return;
            }
        }
        self.accept(line, index, offset, out);
    }

    fn accept(&mut self, line: u64, index: Option<u64>, offset: u64, out: &mut [Event<'_>]) {
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
            // Outside `--since`/`--until`: counted, and nothing else about it is said
            // (its time is no order break nor a future event of what was read).
            if !self.job.opts.window.contains(ev.ts) {
                self.stats.outside_window += 1;
                continue;
            }
            self.stats.events += 1;
            self.stats.event_time(ev.ts, self.job.now);
            if self.job.opts.attributable_only && ev.credential.is_none() && ev.principal.is_none()
            {
                continue;
            }
            self.builder.push(self.job, ev, line, record_index, offset);
        }
    }
}
