//! Ingest: detect each input's source, cut it into records, parse them in parallel and
//! build one event frame sorted by time. Bad input is counted per file, never dropped
//! silently.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::mpsc::{SyncSender, sync_channel};

use indicatif::ProgressBar;
use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;
use tokentrail_parsers::event::notes;
use tokentrail_parsers::framing::{Framing, json_records, lines};
use tokentrail_parsers::registry::{self, Detection};
use tokentrail_parsers::secret::redact_text;
use tokentrail_parsers::{Event, LogParser, ParseErrorKind, SourceId};

use crate::enrich::GeoDatabases;
use crate::fingerprint::Fingerprinter;
use crate::frame::{self, FileContext, FrameBuilder, col};
use crate::input::{Input, open};

/// How much decompressed input detection looks at.
pub const HEAD_BYTES: usize = 64 * 1024;
/// How many malformed records per file are kept as examples.
pub const MAX_EXAMPLES: usize = 5;
/// Events more than this far after the run are flagged as clock oddities.
const FUTURE_SLACK_NS: i64 = 24 * 3600 * 1_000_000_000;

#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// Skip detection and read every input as this source.
    pub source: Option<SourceId>,
    /// Size of the line-aligned chunks parsed in parallel.
    pub chunk_bytes: usize,
    /// Longer records are counted as `line too long` and skipped.
    pub max_line_bytes: usize,
    /// Largest whole-document JSON input read into memory.
    pub max_document_bytes: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            source: None,
            chunk_bytes: 16 << 20,
            max_line_bytes: 1 << 20,
            max_document_bytes: 4 << 30,
        }
    }
}

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
    /// A file of a known source that holds no events (a CloudTrail digest file).
    Skipped,
}

impl ProblemKind {
    /// Whether the problem fails the run even without `--strict` (input was lost).
    pub fn loses_data(self) -> bool {
        matches!(self, ProblemKind::Unreadable | ProblemKind::TruncatedGzip)
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
    /// events, such as a CloudTrail digest) or `none` (not read: see `problems`).
    pub detection: &'static str,
    pub gzip: bool,
    pub bytes_on_disk: Option<u64>,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// Lines read (line sources) or records framed (JSON documents), blank lines included.
    pub lines: u64,
    pub blank_lines: u64,
    /// Non-blank records parsed or rejected.
    pub records: u64,
    pub events: u64,
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
    fn new(input: &Input) -> FileReport {
        FileReport {
            file: input.display_name(),
            source: None,
            confidence: None,
            detection: "none",
            gzip: false,
            bytes_on_disk: None,
            bytes: 0,
            lines: 0,
            blank_lines: 0,
            records: 0,
            events: 0,
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

    fn problem(&mut self, kind: ProblemKind, message: impl Into<String>) {
        self.problems.push(Problem {
            kind,
            message: message.into(),
        });
    }
}

/// The result of ingest: one frame sorted by `ts`, and a report per input in input order.
pub struct Ingested {
    pub frame: DataFrame,
    pub files: Vec<FileReport>,
}

/// Read every input into one event frame.
pub fn ingest(
    inputs: &[Input],
    opts: &IngestOptions,
    progress: &ProgressBar,
    geo: Option<&GeoDatabases>,
) -> PolarsResult<Ingested> {
    let fingerprints = Fingerprinter::from_env();
    let now = now_ns();
    let results: Vec<(FileReport, Vec<DataFrame>)> = inputs
        .par_iter()
        .map(|input| ingest_one(input, opts, &fingerprints, now, progress))
        .collect::<PolarsResult<_>>()?;
    let mut files = Vec::with_capacity(results.len());
    let mut chunks = Vec::new();
    for (report, frames) in results {
        files.push(report);
        chunks.extend(frames);
    }
    // Enrich chunk by chunk, in parallel, before the chunks are joined.
    chunks
        .par_iter_mut()
        .try_for_each(|df| crate::enrich::enrich(df, geo))?;
    let frame = sorted_concat(chunks, geo)?;
    let frame = remove_duplicates(frame, &mut files)?;
    Ok(Ingested { frame, files })
}

/// Remove repeated deliveries of one event (CloudTrail delivers some events twice, and
/// exports overlap): same source, event id, recipient account, time and action. Requiring
/// time and action as well as the id keeps hand-edited or re-used ids (rule test data) from
/// erasing distinct events. The first in time order is kept; each removal is counted on the
/// file the copy came from.
fn remove_duplicates(frame: DataFrame, files: &mut [FileReport]) -> PolarsResult<DataFrame> {
    let id_sources: Vec<&str> = SourceId::ALL
        .iter()
        .filter(|s| s.has_event_ids())
        .map(|s| s.as_str())
        .collect();
    let any = files
        .iter()
        .any(|f| f.source.is_some_and(|s| id_sources.contains(&s)) && f.events > 0);
    if !any {
        return Ok(frame);
    }
    let (keep, removed) = duplicate_mask(&frame, &id_sources)?;
    if removed.is_empty() {
        return Ok(frame);
    }
    for report in files.iter_mut() {
        if let Some(n) = removed.get(report.file.as_str()) {
            report.duplicates_removed += n;
        }
    }
    frame.filter(&BooleanChunked::from_slice("keep".into(), &keep))
}

/// Which rows to keep, and how many copies each file had.
fn duplicate_mask(
    frame: &DataFrame,
    id_sources: &[&str],
) -> PolarsResult<(Vec<bool>, BTreeMap<String, u64>)> {
    let source = frame.column(col::SOURCE)?.str()?;
    let event_id = frame.column(col::EVENT_ID)?.str()?;
    let account = frame.column(col::RECIPIENT_ACCOUNT_ID)?.str()?;
    let file = frame.column(col::FILE)?.str()?;
    let ts = frame.column(col::TS)?.datetime()?.physical();
    let action = frame.column(col::ACTION)?.str()?;
    let mut seen = PlHashSet::default();
    let mut removed: BTreeMap<String, u64> = BTreeMap::new();
    let keep: Vec<bool> = source
        .iter()
        .zip(event_id.iter())
        .zip(account.iter())
        .zip(file.iter())
        .zip(ts.iter().zip(action.iter()))
        .map(|((((s, id), acct), f), (t, act))| match (s, id) {
            (Some(s), Some(id)) if id_sources.contains(&s) => {
                let first = seen.insert((s, id, acct, t, act));
                if !first {
                    *removed
                        .entry(f.unwrap_or_default().to_string())
                        .or_default() += 1;
                }
                first
            }
            _ => true,
        })
        .collect();
    Ok((keep, removed))
}

/// The time range of one chunk's frame, and whether it is in time order inside.
struct ChunkOrder {
    min: i64,
    max: i64,
    sorted: bool,
}

fn chunk_order(df: &DataFrame) -> PolarsResult<ChunkOrder> {
    let ts = df.column(col::TS)?.datetime()?.physical();
    let mut order = ChunkOrder {
        min: i64::MAX,
        max: i64::MIN,
        sorted: true,
    };
    let mut prev = i64::MIN;
    for t in ts.into_no_null_iter() {
        order.sorted &= t >= prev;
        prev = t;
        order.min = order.min.min(t);
        order.max = order.max.max(t);
    }
    Ok(order)
}

/// Concatenate chunk frames (in input order) into one frame sorted by `ts`, equal times in
/// input order (file, then line).
///
/// Logs are mostly in time order already, file by file: when the chunks, taken in order of
/// their first time, follow each other without overlap, concatenating them in that order
/// *is* the stable sort, and the full sort (which copies every column twice) is skipped.
fn sorted_concat(chunks: Vec<DataFrame>, geo: Option<&GeoDatabases>) -> PolarsResult<DataFrame> {
    let orders = chunks
        .iter()
        .map(chunk_order)
        .collect::<PolarsResult<Vec<_>>>()?;
    let mut idx: Vec<usize> = (0..chunks.len())
        .filter(|&i| chunks[i].height() > 0)
        .collect();
    idx.sort_by_key(|&i| (orders[i].min, i));
    let disjoint = idx.windows(2).all(|w| {
        let (a, b) = (&orders[w[0]], &orders[w[1]]);
        a.max < b.min || (a.max == b.min && w[0] < w[1])
    });
    let presorted = disjoint && idx.iter().all(|&i| orders[i].sorted);
    let mut slots: Vec<Option<DataFrame>> = chunks.into_iter().map(Some).collect();
    let order: Vec<usize> = if presorted {
        idx
    } else {
        (0..slots.len()).collect()
    };
    let mut frame: Option<DataFrame> = None;
    for i in order {
        let Some(df) = slots[i].take() else { continue };
        match frame.as_mut() {
            None => frame = Some(df),
            Some(all) => {
                all.vstack_mut_owned(df)?;
            }
        }
    }
    let mut frame = match frame {
        Some(f) => f,
        None => {
            let mut empty = frame::empty_frame()?;
            crate::enrich::enrich(&mut empty, geo)?;
            empty
        }
    };
    // A presorted frame keeps its chunks: rechunking would copy every column for nothing.
    if !presorted {
        frame.sort_in_place(
            [col::TS],
            SortMultipleOptions::default().with_maintain_order(true),
        )?;
    }
    Ok(frame)
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// A short key of a file name, stable across runs, for derived event ids.
fn file_key(name: &str) -> String {
    // FNV-1a, 32 bits: ids only need to tell files of one investigation apart.
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

fn ingest_one(
    input: &Input,
    opts: &IngestOptions,
    fingerprints: &Fingerprinter,
    now: i64,
    progress: &ProgressBar,
) -> PolarsResult<(FileReport, Vec<DataFrame>)> {
    let mut report = FileReport::new(input);
    let opened = match open(input, progress.clone()) {
        Ok(o) => o,
        Err(e) => {
            report.problem(ProblemKind::Unreadable, format!("cannot read: {e}"));
            return Ok((report, Vec::new()));
        }
    };
    report.gzip = opened.gzip;
    report.bytes_on_disk = opened.size;
    let mut reader = opened.reader;

    let mut head = Vec::with_capacity(HEAD_BYTES);
    let head_result = (&mut reader).take(HEAD_BYTES as u64).read_to_end(&mut head);
    if let Err(e) = head_result {
        read_failure(&mut report, &e, head.len() as u64, opened.gzip);
        if head.is_empty() {
            return Ok((report, Vec::new()));
        }
        // The stream is over: what was read is all there is, and the fault is said once.
        reader = Box::new(std::io::empty());
    }
    if head.is_empty() {
        report.problem(ProblemKind::Empty, "empty file");
        return Ok((report, Vec::new()));
    }
    if let Some((kind, why)) = unreadable_content(&head) {
        report.bytes = head.len() as u64;
        report.problem(kind, why);
        return Ok((report, Vec::new()));
    }
    let parser = match opts.source {
        Some(id) => {
            report.detection = "forced";
            let parser = registry::by_id(id);
            if let Some(reason) = parser.skip_reason(registry::trim_head(&head)) {
                report.detection = "skipped";
                report.source = Some(id.as_str());
                report.bytes = head.len() as u64;
                report.problem(ProblemKind::Skipped, format!("skipped: {reason}"));
                return Ok((report, Vec::new()));
            }
            parser
        }
        None => match registry::detect(&head) {
            Detection::Detected { parser, confidence } => {
                report.detection = "detected";
                report.confidence = Some(confidence.0);
                parser
            }
            Detection::NotEvents { source, reason } => {
                report.detection = "skipped";
                report.source = Some(source.as_str());
                report.bytes = head.len() as u64;
                report.problem(ProblemKind::Skipped, format!("skipped: {reason}"));
                return Ok((report, Vec::new()));
            }
            Detection::Unknown { best } => {
                let hint = best.map_or(String::new(), |(id, c)| {
                    format!(" (closest: {id} at {}%)", c.0)
                });
                report.bytes = head.len() as u64;
                report.problem(
                    ProblemKind::UnknownFormat,
                    format!("unknown format{hint}; use --source to name it"),
                );
                return Ok((report, Vec::new()));
            }
            Detection::Ambiguous { first, second } => {
                report.bytes = head.len() as u64;
                report.problem(
                    ProblemKind::AmbiguousFormat,
                    format!(
                        "ambiguous format: {} ({}%) vs {} ({}%); use --source to choose",
                        first.0, first.1.0, second.0, second.1.0
                    ),
                );
                return Ok((report, Vec::new()));
            }
        },
    };
    report.source = Some(parser.id().as_str());
    let name = input.display_name();
    let key = file_key(&name);
    let job = FileJob {
        parser,
        ctx: FileContext {
            source: parser.id(),
            file: &name,
            file_key: &key,
        },
        opts,
        fingerprints,
        now,
    };
    let frames = match parser.framing(registry::trim_head(&head)) {
        Framing::Lines => ingest_lines(&job, reader, head, &mut report)?,
        framing => ingest_document(&job, framing, reader, head, &mut report)?,
    };
    Ok((report, frames))
}

/// Content that no parser should be asked about.
fn unreadable_content(head: &[u8]) -> Option<(ProblemKind, String)> {
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Some((
            ProblemKind::Encoding,
            "UTF-16 text; convert it to UTF-8 first (iconv -f UTF-16 -t UTF-8)".into(),
        ));
    }
    let magic: &[(&[u8], &str)] = &[
        (b"PK\x03\x04", "a zip archive; unzip it first"),
        (b"BZh", "bzip2-compressed; decompress it first"),
        (b"\xFD7zXZ\x00", "xz-compressed; decompress it first"),
        (b"\x28\xB5\x2F\xFD", "zstd-compressed; decompress it first"),
        (b"PAR1", "a Parquet file; tokentrail reads raw logs"),
    ];
    for (m, why) in magic {
        if head.starts_with(m) {
            return Some((ProblemKind::Binary, (*why).to_string()));
        }
    }
    if head.get(257..262) == Some(b"ustar") {
        return Some((
            ProblemKind::Binary,
            "a tar archive; extract it first".into(),
        ));
    }
    let nuls = memchr::memchr_iter(0, head).count();
    if nuls > 0 {
        return Some((
            ProblemKind::Binary,
            format!(
                "binary content ({nuls} NUL bytes in the first {} bytes); not a log",
                head.len()
            ),
        ));
    }
    None
}

fn read_failure(report: &mut FileReport, e: &io::Error, decompressed: u64, gzip: bool) {
    if gzip && e.kind() == io::ErrorKind::UnexpectedEof {
        report.problem(
            ProblemKind::TruncatedGzip,
            format!(
                "truncated gzip: the stream ends after {decompressed} decompressed bytes; records before the cut were read"
            ),
        );
    } else if gzip {
        report.problem(
            ProblemKind::TruncatedGzip,
            format!("corrupt gzip after {decompressed} decompressed bytes: {e}; records before it were read"),
        );
    } else {
        report.problem(
            ProblemKind::Unreadable,
            format!("read error after {decompressed} bytes: {e}"),
        );
    }
}

/// A piece of a line-framed input: whole lines, or one line that was too long to keep.
enum Chunk {
    Lines {
        index: usize,
        offset: u64,
        data: Vec<u8>,
    },
    TooLong {
        index: usize,
        len: u64,
    },
}

impl Chunk {
    fn index(&self) -> usize {
        match self {
            Chunk::Lines { index, .. } | Chunk::TooLong { index, .. } => *index,
        }
    }
}

/// Per-chunk counters, merged in order into the file's report.
#[derive(Default)]
struct ChunkStats {
    lines: u64,
    blank: u64,
    records: u64,
    events: u64,
    invalid_utf8: u64,
    out_of_order: u64,
    future: u64,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    min_ts: Option<i64>,
    max_ts: Option<i64>,
    malformed: BTreeMap<ParseErrorKind, u64>,
    /// Relative line, record index, kind, byte, excerpt.
    examples: Vec<(u64, Option<u64>, ParseErrorKind, usize, String)>,
}

impl ChunkStats {
    fn malformed(
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

    fn event_time(&mut self, ts: i64, now: i64) {
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
    fn merge_into(self, report: &mut FileReport, first_line: u64, last_seen: &mut Option<i64>) {
        report.lines += self.lines;
        report.blank_lines += self.blank;
        report.records += self.records;
        report.events += self.events;
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
fn excerpt(record: &[u8]) -> String {
    let cut = &record[..record.len().min(240)];
    let text = String::from_utf8_lossy(cut);
    let red = redact_text(&text);
    let mut s: String = red.chars().take(120).collect();
    if record.len() > cut.len() || red.chars().count() > 120 {
        s.push('…');
    }
    s
}

/// What every record of one input is parsed with.
struct FileJob<'a> {
    parser: &'static dyn LogParser,
    ctx: FileContext<'a>,
    opts: &'a IngestOptions,
    fingerprints: &'a Fingerprinter,
    /// The moment of the run, for the clock check.
    now: i64,
}

fn ingest_lines(
    job: &FileJob<'_>,
    reader: Box<dyn Read + Send>,
    head: Vec<u8>,
    report: &mut FileReport,
) -> PolarsResult<Vec<DataFrame>> {
    let opts = job.opts;
    let queue = rayon::current_num_threads() * 2;
    let (tx, rx) = sync_channel::<Chunk>(queue);
    let pool = BufferPool::new(opts.chunk_bytes, queue + rayon::current_num_threads() + 1);
    let (read, mut outputs) = std::thread::scope(|s| {
        let reader_thread = s.spawn(|| read_chunks(reader, head, tx, opts, &pool));
        let outputs: Vec<(usize, FrameBuilder, ChunkStats)> = rx
            .into_iter()
            .par_bridge()
            .map(|chunk| {
                let (b, st) = parse_chunk(job, &chunk);
                let index = chunk.index();
                if let Chunk::Lines { data, .. } = chunk {
                    pool.give(data);
                }
                (index, b, st)
            })
            .collect();
        (reader_thread.join(), outputs)
    });
    let (bytes, error) =
        read.unwrap_or_else(|_| (0, Some(io::Error::other("reader thread panicked"))));
    report.bytes = bytes;
    if let Some(e) = error {
        read_failure(report, &e, bytes, report.gzip);
    }
    outputs.sort_by_key(|(i, _, _)| *i);
    let mut last_seen = None;
    let mut first_line = 1u64;
    let mut finishing = Vec::with_capacity(outputs.len());
    for (_, builder, stats) in outputs {
        let lines = stats.lines;
        stats.merge_into(report, first_line, &mut last_seen);
        finishing.push((builder, first_line));
        first_line += lines;
    }
    finishing
        .into_par_iter()
        .filter(|(b, _)| !b.is_empty())
        .map(|(b, first)| b.finish(&job.ctx, first))
        .collect()
}

/// Raw chunk buffers go back to the reader once parsed. Fresh memory costs a page fault
/// per 4 KiB, which on the VMs measured here cost more than parsing the bytes in it; the
/// pool also bounds the raw bytes in flight.
struct BufferPool {
    free: std::sync::Mutex<Vec<Vec<u8>>>,
    buffer_bytes: usize,
    keep: usize,
}

impl BufferPool {
    fn new(chunk_bytes: usize, keep: usize) -> BufferPool {
        BufferPool {
            free: std::sync::Mutex::new(Vec::new()),
            // Room for a chunk plus the carried-over partial line, so reads never reallocate.
            buffer_bytes: chunk_bytes.saturating_add(64 * 1024).min(1 << 30),
            keep,
        }
    }

    fn take(&self) -> Vec<u8> {
        let reused = self.free.lock().ok().and_then(|mut f| f.pop());
        reused.unwrap_or_else(|| Vec::with_capacity(self.buffer_bytes))
    }

    fn give(&self, mut buf: Vec<u8>) {
        buf.clear();
        if let Ok(mut free) = self.free.lock()
            && free.len() < self.keep
        {
            free.push(buf);
        }
    }
}

/// The reader side of the pipeline: cut the stream into line-aligned chunks. Returns the
/// decompressed byte count and the read error that ended it, if any.
fn read_chunks(
    mut reader: Box<dyn Read + Send>,
    mut buf: Vec<u8>,
    tx: SyncSender<Chunk>,
    opts: &IngestOptions,
    pool: &BufferPool,
) -> (u64, Option<io::Error>) {
    let chunk_bytes = opts.chunk_bytes.max(1);
    let mut offset = 0u64;
    let mut index = 0usize;
    let mut error = None;
    let send = |chunk: Chunk| tx.send(chunk).is_ok();
    loop {
        let want = chunk_bytes
            .saturating_sub(buf.len())
            .max(chunk_bytes.min(64 * 1024));
        let eof = match (&mut reader).take(want as u64).read_to_end(&mut buf) {
            Ok(n) => n < want,
            Err(e) => {
                error = Some(e);
                true
            }
        };
        if eof {
            if !buf.is_empty() {
                let len = buf.len() as u64;
                send(Chunk::Lines {
                    index,
                    offset,
                    data: buf,
                });
                offset += len;
            }
            return (offset, error);
        }
        match memchr::memrchr(b'\n', &buf) {
            Some(i) => {
                let mut next = pool.take();
                next.extend_from_slice(&buf[i + 1..]);
                buf.truncate(i + 1);
                let len = buf.len() as u64;
                if !send(Chunk::Lines {
                    index,
                    offset,
                    data: std::mem::replace(&mut buf, next),
                }) {
                    return (offset, error);
                }
                offset += len;
                index += 1;
            }
            None if buf.len() > opts.max_line_bytes => {
                // Inside a line longer than the cap: skip to its end without keeping it.
                let mut len = buf.len() as u64;
                buf.clear();
                let mut block = vec![0u8; 64 * 1024];
                let mut ended = false;
                loop {
                    match reader.read(&mut block) {
                        Ok(0) => break,
                        Ok(n) => match memchr::memchr(b'\n', &block[..n]) {
                            Some(i) => {
                                len += i as u64 + 1;
                                buf.extend_from_slice(&block[i + 1..n]);
                                ended = true;
                                break;
                            }
                            None => len += n as u64,
                        },
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            error = Some(e);
                            break;
                        }
                    }
                }
                send(Chunk::TooLong { index, len });
                offset += len;
                index += 1;
                if !ended {
                    return (offset, error);
                }
            }
            None => {} // a long line still under the cap: read more
        }
    }
}

/// Parses records one at a time into a builder and its counters: the one place where a
/// record becomes events or a counted malformed record, for line and JSON sources alike.
struct RecordSink<'j> {
    job: &'j FileJob<'j>,
    builder: FrameBuilder,
    stats: ChunkStats,
}

impl<'j> RecordSink<'j> {
    fn new(job: &'j FileJob<'j>, capacity: usize) -> RecordSink<'j> {
        RecordSink {
            job,
            builder: FrameBuilder::new(job.fingerprints.clone(), capacity),
            stats: ChunkStats::default(),
        }
    }

    /// One non-blank record at `line` (relative to the chunk for line sources),
    /// `index` inside a JSON array, absolute byte `offset`. `out` is scratch space.
    fn record<'a>(
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
        match self.job.parser.parse(bytes, out) {
            Ok(()) => {
                // Parsers validate UTF-8 once per record and say so in the notes.
                if out.iter().any(|ev| ev.notes & notes::INVALID_UTF8 != 0) {
                    self.stats.invalid_utf8 += 1;
                }
                let record_index = index.and_then(|i| u32::try_from(i).ok());
                for ev in out.iter() {
                    self.stats.events += 1;
                    self.stats.event_time(ev.ts, self.job.now);
                    self.builder.push(ev, line, record_index, offset);
                }
            }
            Err(e) => self.stats.malformed(line, index, e.kind, e.offset, bytes),
        }
    }
}

fn parse_chunk(job: &FileJob<'_>, chunk: &Chunk) -> (FrameBuilder, ChunkStats) {
    let (offset, data) = match chunk {
        Chunk::TooLong { len, .. } => {
            let mut sink = RecordSink::new(job, 0);
            let max = job.opts.max_line_bytes;
            let what = format!("<{len} bytes, cap {max}>");
            sink.stats.lines = 1;
            sink.stats.records = 1;
            sink.stats
                .malformed(0, None, ParseErrorKind::LineTooLong, max, what.as_bytes());
            return (sink.builder, sink.stats);
        }
        Chunk::Lines { offset, data, .. } => (*offset, data),
    };
    let mut sink = RecordSink::new(job, data.len() / 160 + 16);
    let mut out = Vec::with_capacity(4);
    for line in lines(data) {
        sink.stats.lines += 1;
        if line.bytes.iter().all(u8::is_ascii_whitespace) {
            sink.stats.blank += 1;
            continue;
        }
        let at = offset + line.offset as u64;
        sink.record(line.bytes, line.index as u64, None, at, &mut out);
    }
    (sink.builder, sink.stats)
}

/// Whole-document JSON sources (an array, or a `Records` wrapper): read the document,
/// frame its records, parse them.
fn ingest_document(
    job: &FileJob<'_>,
    framing: Framing,
    mut reader: Box<dyn Read + Send>,
    mut doc: Vec<u8>,
    report: &mut FileReport,
) -> PolarsResult<Vec<DataFrame>> {
    let limit = job.opts.max_document_bytes as u64;
    if let Err(e) = (&mut reader).take(limit).read_to_end(&mut doc) {
        read_failure(report, &e, doc.len() as u64, report.gzip);
    }
    report.bytes = doc.len() as u64;
    // Windows tools write a BOM, which JSON parsers reject; offsets stay file offsets.
    let skip = if doc.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let framed = json_records(&doc[skip..], framing);
    let records = framed.records;
    if let Some(e) = framed.error {
        // The document could not be framed to its end: the records before the fault are
        // kept; the fault counts as one malformed record (the one that was cut).
        report.records += 1;
        report.malformed += 1;
        *report
            .malformed_by_reason
            .entry(ParseErrorKind::BadJson.reason())
            .or_default() += 1;
        report.malformed_examples.push(MalformedExample {
            line: 0,
            record_index: Some(records.len() as u64),
            reason: format!("document: {e}"),
            byte: 0,
            excerpt: String::new(),
        });
    }
    let mut sink = RecordSink::new(job, records.len());
    let mut out = Vec::new();
    for rec in &records {
        sink.stats.lines += 1;
        let index = Some(rec.index as u64);
        let offset = (rec.offset + skip) as u64;
        sink.record(rec.bytes, rec.line, index, offset, &mut out);
    }
    let RecordSink { builder, stats, .. } = sink;
    stats.merge_into(report, 0, &mut None);
    report.lines = records.len() as u64;
    if builder.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![builder.finish(&job.ctx, 0)?])
}
