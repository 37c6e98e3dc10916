//! Ingest: detect each input's source, cut it into records, parse them in parallel and
//! build one event frame sorted by time. Bad input is counted per file, never dropped
//! silently.

use std::io::{self, Read};

use indicatif::ProgressBar;
use polars::prelude::*;
use rayon::prelude::*;
use tokentrail_parsers::framing::Framing;
use tokentrail_parsers::nginx_format::LogFormat;
use tokentrail_parsers::registry::{self, Detection};
use tokentrail_parsers::{Detail, Event, LogParser, SourceId};

use crate::credentials::tally::{Accumulator, ChunkTally, Tally};
use crate::enrich::GeoDatabases;
use crate::fingerprint::Fingerprinter;
use crate::frame::{FileContext, FrameBuilder, col};
use crate::input::{Input, open};

mod document;
mod lines;
mod link;
pub(crate) mod order;
mod records;
mod report;
mod spill;

use document::{ingest_csv, ingest_document};
use lines::ingest_lines;
pub use link::{FullTokens, TOKEN_PREFIX_KIND};
use order::{remove_duplicates, sorted_concat};
use records::{FileJob, Sink};
pub use report::{FileReport, MalformedExample, Problem, ProblemKind};
pub use spill::{BusiestHour, HourFrame, PartDrain};
use spill::{Spill, SpillSink};

/// How much decompressed input detection looks at.
pub const HEAD_BYTES: usize = 64 * 1024;
/// How many malformed records per file are kept as examples.
pub const MAX_EXAMPLES: usize = 5;
/// A user's `log_format` is used for a file when this share of its first lines parse.
const CUSTOM_FORMAT_CONFIDENCE: u8 = 80;

/// Logs compress about 10:1 and very repetitive ones under 100:1; deflate cannot pass
/// about 1,030:1, which is what a bomb of zeros or blank lines reaches.
pub const DEFAULT_MAX_GZIP_RATIO: u64 = 200;

#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// Skip detection and read every input as this source.
    pub source: Option<SourceId>,
    /// Size of the line-aligned chunks parsed in parallel; a JSON array is read in pieces
    /// of at least half of it.
    pub chunk_bytes: usize,
    /// Longer records are counted as `line too long` and skipped.
    pub max_line_bytes: usize,
    /// The most of a document held at once (`--max-document-bytes`): a JSON document
    /// that is one record, a record of a JSON array, a CSV download that is read.
    pub max_document_bytes: usize,
    /// The user's own nginx `log_format`s (`--nginx-log-format`, `--nginx-conf`), tried
    /// before the built-in formats. Leaked once per run: parsers live for the whole run.
    pub nginx_formats: Vec<&'static LogFormat>,
    /// Trusted proxies (`--real-ip-from`): their requests' client is taken from the
    /// forwarded chain.
    pub real_ip_from: Vec<crate::config::Cidr>,
    /// `--tz`: the zone of times logged without one (nginx error.log).
    pub local_zone: Option<crate::timezone::LocalZone>,
    /// A gzip input inflating more than this to one is stopped (0: never).
    pub max_gzip_ratio: u64,
    /// Which plain files are mapped in memory rather than read (`--no-mmap`: none).
    pub map: Option<MapRule>,
    /// The text columns the command reads (see `FrameBuilder::keeping`); `None`: all.
    /// Those the ingest reads itself ([`READ_BY_INGEST`]) are always kept. A list that
    /// names no enrichment column gets them all null (`enrich::enrich_keeping`), and one
    /// made only of identity columns lets parsers skip the rest of each record
    /// ([`IngestOptions::detail`]).
    pub columns: Option<&'static [&'static str]>,
    /// Keep only the events with a credential or a principal (`frame::attributable`):
    /// all that `hunt`, `timeline` and `score` look at. The others are counted, never put
    /// in the frame.
    pub attributable_only: bool,
    /// Bytes of delivery keys a tally holds in memory before the rest wait on disk
    /// (`--key-memory`; `credentials::tally::KEY_MEMORY`).
    pub key_memory: usize,
    /// `--since` / `--until`: events outside are counted per input
    /// (`FileReport::outside_window`), never kept.
    pub window: crate::window::TimeWindow,
}

/// What a command reads of the events of raw logs.
#[derive(Clone, Copy, Default)]
pub struct Keep {
    /// The text columns (see [`IngestOptions::columns`]); `None`: all.
    pub columns: Option<&'static [&'static str]>,
    /// Only the events with a credential or a principal.
    pub attributable_only: bool,
}

impl Keep {
    pub fn columns(columns: &'static [&'static str]) -> Keep {
        Keep {
            columns: Some(columns),
            attributable_only: false,
        }
    }

    /// What scoring and investigation read.
    pub fn scored() -> Keep {
        Keep {
            columns: Some(crate::score::table::COLUMNS),
            attributable_only: true,
        }
    }
}

/// Text columns the ingest reads on its way to the frame, kept whatever the command: the
/// duplicate key (`action`, `recipient_account_id`, `principal`, `outcome`, with the
/// credential and address), the client behind trusted proxies (`forwarded_for`,
/// `src_ip`), network classes (`caller_kind`) and prefix links (`credential_id`,
/// `credential_kind`, `parse_notes`).
pub const READ_BY_INGEST: &[&str] = &[
    col::ACTION,
    col::RECIPIENT_ACCOUNT_ID,
    col::PRINCIPAL,
    col::OUTCOME,
    col::FORWARDED_FOR,
    col::SRC_IP,
    col::CALLER_KIND,
    col::CREDENTIAL_ID,
    col::CREDENTIAL_KIND,
    col::PARSE_NOTES,
];

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            source: None,
            chunk_bytes: 16 << 20,
            max_line_bytes: 1 << 20,
            max_document_bytes: 4 << 30,
            nginx_formats: Vec::new(),
            real_ip_from: Vec::new(),
            local_zone: None,
            columns: None,
            attributable_only: false,
            key_memory: crate::credentials::tally::KEY_MEMORY,
            window: crate::window::TimeWindow::default(),
            max_gzip_ratio: DEFAULT_MAX_GZIP_RATIO,
            map: Some(MapRule::default()),
        }
    }
}

impl IngestOptions {
    /// How much of each record the parsers read: only the identity of events when every
    /// text column kept is one that such a parse fills (`credentials`, `secrets`, `stats`),
    /// so that Okta's targets, user agents and debug data are skipped unread.
    pub(crate) fn detail(&self) -> Detail {
        let identity = |c: &&str| {
            Event::IDENTITY_FIELDS.contains(c)
                || (*c == col::CREDENTIAL_ID || *c == col::CREDENTIAL_KIND)
                    && Event::IDENTITY_FIELDS.contains(&"credential")
        };
        match self.columns {
            Some(kept) if kept.iter().chain(READ_BY_INGEST).all(identity) => Detail::Identity,
            _ => Detail::Full,
        }
    }
}

/// The result of ingest: one frame sorted by `ts`, and a report per input in input order.
pub struct Ingested {
    pub frame: DataFrame,
    pub files: Vec<FileReport>,
    /// The GeoIP databases used (`file: type (build date)`), for reports.
    pub geoip: Vec<String>,
}

/// Read every input into one event frame.
pub fn ingest(
    inputs: &[Input],
    opts: &IngestOptions,
    progress: &ProgressBar,
    geo: Option<&GeoDatabases>,
) -> PolarsResult<Ingested> {
    let mut small = crate::frame::SmallChunks::default();
    let mut files = read_all::<FrameBuilder>(inputs, opts, progress, None, None, &mut |done| {
        done.into_iter().try_for_each(|df| small.push(df))
    })?;
    let mut chunks = small.finish()?;
    // Enrich chunk by chunk, in parallel, before the chunks are joined. The frame is held
    // whole to the end: every chunk's texts were repacked as it was built (the `Sink`
    // impl of `FrameBuilder`), the columns enrichment adds are here. A frame that must
    // then be sorted is repacked again as it is gathered; repacking first still pays, as
    // the chunks are what the sort holds while it gathers (Okta, 0.8 M events: 821 -> 631
    // MB peak, 0.2-0.3 s).
    chunks.par_iter_mut().try_for_each(|df| {
        crate::enrich::enrich_keeping(df, geo, &opts.real_ip_from, opts.columns)?;
        crate::frame::compact_chunk(df, crate::enrich::enriched::made)
    })?;
    let frame = sorted_concat(chunks, geo, &opts.real_ip_from, true)?;
    let frame = remove_duplicates(frame, &mut files)?;
    let frame = link::link_token_prefixes(frame)?;
    Ok(Ingested {
        frame,
        files,
        geoip: geo.map(|g| g.loaded.clone()).unwrap_or_default(),
    })
}

/// Where [`ingest_by_hour`] writes.
pub trait HourWriter {
    /// Before the first hour: the columns of every hour's frame.
    fn start(&mut self, schema: &Schema) -> crate::error::Result<()>;
    /// The next hour, in time order.
    fn write(&mut self, hour: HourFrame) -> crate::error::Result<()>;
}

/// [`ingest`] hour by hour, for `ingest` writing its output: the frame is never whole in
/// memory (`spill.rs`). `budget`: bytes of events held in memory before they go to
/// `spill_dir`. `out` gets each hour in order, as the whole frame would hold it, once
/// every input is read (`read` is then called: `--timings`).
#[allow(clippy::too_many_arguments)]
pub fn ingest_by_hour(
    inputs: &[Input],
    opts: &IngestOptions,
    progress: &ProgressBar,
    geo: Option<&GeoDatabases>,
    budget: usize,
    spill_dir: std::path::PathBuf,
    out: &mut dyn HourWriter,
    read: &dyn Fn(),
) -> crate::error::Result<ByHour> {
    let spill = Spill::new(geo, &opts.real_ip_from, budget, spill_dir);
    let mut files = read_all::<SpillSink>(inputs, opts, progress, None, Some(&spill), &mut |_| {
        spill.join_small_pieces()
    })?;
    read();
    let spilled = spill.spilled();
    let (events, busiest) = spill.drain(&mut files, out)?;
    Ok(ByHour {
        files,
        events,
        spilled,
        busiest,
    })
}

/// The inputs read into `parts` parts, for `hunt` and `score` by parts: each chunk cut by
/// the part its events' groups go to as it is read, held up to `budget` bytes and the rest
/// in `spill_dir`, to be made whole a part at a time ([`PartDrain`]).
pub fn ingest_into_parts(
    inputs: &[Input],
    opts: &IngestOptions,
    progress: &ProgressBar,
    geo: Option<&GeoDatabases>,
    (budget, parts): (usize, usize),
    spill_dir: std::path::PathBuf,
) -> crate::error::Result<(Vec<FileReport>, PartDrain)> {
    let spill = Spill::new(geo, &opts.real_ip_from, budget, spill_dir).by_parts(parts);
    let files = read_all::<SpillSink>(inputs, opts, progress, None, Some(&spill), &mut |_| {
        spill.join_small_pieces()?;
        spill.cut_small()
    })?;
    Ok((files, spill.into_part_drain()?))
}

/// What [`ingest_by_hour`] read and wrote.
pub struct ByHour {
    pub files: Vec<FileReport>,
    /// Events written.
    pub events: usize,
    /// Whether events went to disk before they were written.
    pub spilled: bool,
    /// The hour that took the most memory as it was written.
    pub busiest: BusiestHour,
}

/// Every credential (or principal) of the inputs, tallied into `run` while they are
/// read: `credentials` and `secrets` over raw logs keep one small record per credential
/// ([`Accumulator::summarising`]), never a frame of every event, so their memory grows
/// with the credentials, not with the logs; `stats` ([`Accumulator::counting`]) keeps only
/// each source's distinct credentials and addresses. Repeated deliveries are removed and
/// counted as [`ingest`] removes them.
pub fn tally(
    inputs: &[Input],
    opts: &IngestOptions,
    progress: &ProgressBar,
    run: Accumulator,
) -> crate::error::Result<(Tally, Vec<FileReport>)> {
    let run = run.holding_keys(opts.key_memory);
    let mut files =
        read_all::<ChunkTally>(inputs, opts, progress, Some(&run), None, &mut |_| Ok(()))?;
    let names = files.iter().map(|f| f.file.clone()).collect();
    let mut tally = run
        .finish(names, |file| {
            if let Some(report) = files.get_mut(file as usize) {
                report.duplicates_removed += 1;
            }
        })
        .map_err(crate::error::Error::TempFiles)?;
    tally.link_token_prefixes();
    Ok((tally, files))
}

/// Inputs read at once: a batch's finished chunks are handed to `keep` before the next
/// batch is read, so that a tree of many small files (CloudTrail's five-minute deliveries)
/// can have its small chunks joined as it is read rather than all held first.
const READ_BATCH: usize = 512;

/// Each input into its report, in input order; the finished sinks of each batch's
/// chunks go to `keep`, in input order too, once the batch is read.
fn read_all<S: Sink>(
    inputs: &[Input],
    opts: &IngestOptions,
    progress: &ProgressBar,
    tally: Option<&Accumulator>,
    spill: Option<&Spill<'_>>,
    keep: &mut dyn FnMut(Vec<S::Done>) -> PolarsResult<()>,
) -> PolarsResult<Vec<FileReport>> {
    let fingerprints = Fingerprinter::from_env();
    let shared = Shared {
        opts,
        fingerprints: &fingerprints,
        tally,
        spill,
        now: now_ns(),
        progress,
    };
    let mut files = Vec::with_capacity(inputs.len());
    for (b, batch) in inputs.chunks(READ_BATCH).enumerate() {
        let results: Vec<(FileReport, Vec<S::Done>)> = batch
            .par_iter()
            .enumerate()
            .map(|(i, input)| ingest_one::<S>(input, (b * READ_BATCH + i) as u32, &shared))
            .collect::<PolarsResult<_>>()?;
        let mut done = Vec::new();
        for (report, d) in results {
            files.push(report);
            done.extend(d);
        }
        keep(done)?;
    }
    document::let_go_of_spares();
    Ok(files)
}

/// What every input of a run is read with.
struct Shared<'a> {
    opts: &'a IngestOptions,
    fingerprints: &'a Fingerprinter,
    tally: Option<&'a Accumulator>,
    spill: Option<&'a Spill<'a>>,
    now: i64,
    progress: &'a ProgressBar,
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

/// `FileReport::detection` of a CloudTrail file not opened: delivered before `--since`.
pub const BEFORE_WINDOW: &str = "before_window";

/// How much later than its events a CloudTrail file's name may say it was delivered, at
/// the least: clocks of AWS's services agree far better than this.
const DELIVERY_SKEW_NS: i64 = 3_600 * 1_000_000_000;

/// Whether `input` is a CloudTrail file delivered before `--since` (by its S3 object
/// name): its events all happened before, so it is not opened. An archive of years read
/// for the last month reads the last month's files.
fn delivered_before_window(input: &Input, opts: &IngestOptions) -> bool {
    let (Input::File(path), Some(since)) = (input, opts.window.since) else {
        return false;
    };
    if opts.source.is_some_and(|s| s != SourceId::CloudTrail) {
        return false;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    // The name gives the minute of delivery: the file was written before that minute ended.
    const MINUTE_NS: i64 = 60 * 1_000_000_000;
    tokentrail_parsers::cloudtrail::delivered_at(name)
        .is_some_and(|at| at.saturating_add(MINUTE_NS + DELIVERY_SKEW_NS) <= since)
}

fn ingest_one<S: Sink>(
    input: &Input,
    file_index: u32,
    shared: &Shared<'_>,
) -> PolarsResult<(FileReport, Vec<S::Done>)> {
    let opts = shared.opts;
    let mut report = FileReport::new(input);
    match input {
        Input::Unreadable(_, why) => {
            report.problem(ProblemKind::Unreadable, why.clone());
            return Ok((report, Vec::new()));
        }
        Input::Duplicate(_, why) => {
            report.problem(ProblemKind::Skipped, why.clone());
            return Ok((report, Vec::new()));
        }
        Input::File(_) | Input::Stdin => {}
    }
    if delivered_before_window(input, opts) {
        report.source = Some(SourceId::CloudTrail.as_str());
        report.detection = BEFORE_WINDOW;
        return Ok((report, Vec::new()));
    }
    let opened = match open(input, shared.progress.clone(), opts.max_gzip_ratio) {
        Ok(o) => o,
        Err(e) => {
            report.problem(ProblemKind::Unreadable, format!("cannot read: {e}"));
            return Ok((report, Vec::new()));
        }
    };
    report.gzip = opened.gzip;
    report.bytes_on_disk = opened.size;
    // What a whole document will hold, to size its buffer once: the file's size, or what
    // a gzip file says it inflates to.
    let size_hint = match opened.gzip {
        true => opened.inflated_hint,
        false => opened.size,
    }
    .map_or(0, |s| usize::try_from(s).unwrap_or(usize::MAX));
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
    // The user's own formats first: when they say how their nginx logs, believe them.
    let custom = (opts.source.is_none() || opts.source == Some(SourceId::Nginx))
        .then(|| {
            let trimmed = registry::trim_head(&head);
            opts.nginx_formats
                .iter()
                .map(|f| (f.sniff(trimmed), *f))
                .max_by_key(|(c, _)| *c)
        })
        .flatten()
        .filter(|(c, _)| c.0 >= CUSTOM_FORMAT_CONFIDENCE);
    let parser: &'static dyn LogParser = match (custom, opts.source) {
        (Some((confidence, format)), _) => {
            report.detection = "detected";
            report.confidence = Some(confidence.0);
            report.log_format = Some(format.name.clone());
            format
        }
        (None, Some(id)) => {
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
        (None, None) => match registry::detect(&head) {
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
        file_index,
        opts,
        fingerprints: shared.fingerprints,
        tally: shared.tally,
        spill: shared.spill,
        now: shared.now,
        detail: opts.detail(),
    };
    let framing = registry::framing_of(parser, &head);
    // A file that cannot be mapped is read.
    let now = std::time::SystemTime::now();
    let map = (opened.file.as_ref())
        .filter(|_| !opened.gzip)
        .filter(|_| (opts.map).is_some_and(|rule| rule.maps(opened.size, opened.modified, now)))
        .and_then(|f| crate::input::map::Map::of(f).ok());
    let shown = (opened.read_from_disk).load(std::sync::atomic::Ordering::Relaxed);
    let progress = crate::input::map::MapProgress::new(shared.progress, shown);
    let frames = match (framing, &map) {
        (Framing::Lines, Some(map)) => {
            lines::ingest_mapped_lines::<S>(&job, map, progress, &mut report)?
        }
        (Framing::Lines, None) => ingest_lines::<S>(&job, reader, head, &mut report)?,
        (framing, map) => {
            let doc = match map {
                Some(map) => document::Whole::Mapped(map, progress),
                None => document::Whole::Read(reader, size_hint, head),
            };
            match framing {
                Framing::Csv => ingest_csv::<S>(&job, doc, &mut report)?,
                _ => ingest_document::<S>(&job, framing, doc, &mut report)?,
            }
        }
    };
    if framing == Framing::Lines
        && !opened.gzip
        && report.problems.is_empty()
        && let Some(why) = cut_while_read(opened.size, report.bytes)
    {
        report.problem(ProblemKind::Unreadable, why);
    }
    Ok((report, frames))
}

/// Why a plain line file of `opened` bytes when opened, of which `read` bytes were read,
/// lost records: it was cut while it was read (logrotate's `copytruncate` on a live log),
/// and the reader met its new end. (A mapped file cut under the run ends it with SIGBUS;
/// a file that grew, a log being written, lost nothing.)
fn cut_while_read(opened: Option<u64>, read: u64) -> Option<String> {
    let opened = opened?;
    (read < opened).then(|| {
        format!(
            "ended after {read} of the {opened} bytes it had when opened: cut while it was read; the records past the cut were not read"
        )
    })
}

/// Which plain files are mapped rather than read (see [`crate::input::map`]).
#[derive(Clone, Copy, Debug)]
pub struct MapRule {
    /// From this size: a smaller file is read in one call anyway, for less than a map's
    /// setup.
    pub from_bytes: u64,
    /// Not written for this long: a file written in the last minute may be a live log,
    /// which logrotate's `copytruncate` can cut while it is mapped (SIGBUS). Read, it
    /// only ends early.
    pub quiet_for: std::time::Duration,
}

impl Default for MapRule {
    fn default() -> Self {
        MapRule {
            from_bytes: 16 << 20,
            quiet_for: std::time::Duration::from_secs(60),
        }
    }
}

impl MapRule {
    /// Whether a file of `size`, last written at `modified`, is mapped at `now`. A file
    /// of unknown size is not (a pipe, a device); one of unknown age is.
    pub fn maps(
        self,
        size: Option<u64>,
        modified: Option<std::time::SystemTime>,
        now: std::time::SystemTime,
    ) -> bool {
        let quiet =
            modified.is_none_or(|m| now.duration_since(m).is_ok_and(|age| age >= self.quiet_for));
        size.is_some_and(|s| s >= self.from_bytes.max(1)) && quiet
    }
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
        (
            b"PAR1",
            "a Parquet table: hunt, timeline, credentials and secrets read tables written by `ingest` (given alone, or a dataset folder); stats and ingest read raw logs",
        ),
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
    let stopped = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<crate::input::open::InflationStopped>());
    if let Some(stopped) = stopped {
        report.problem(ProblemKind::Inflation, stopped.to_string());
    } else if gzip && e.kind() == io::ErrorKind::UnexpectedEof {
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

#[cfg(test)]
mod tests {
    use super::{MapRule, cut_while_read};

    /// A file that ended before the size it had when opened was cut while it was read;
    /// one read to that size or past it (a log being written), or of unknown size, was
    /// not.
    #[test]
    fn a_file_that_ends_early_was_cut_while_read() {
        let cut = cut_while_read(Some(500_000_000), 52_428_800).unwrap();
        assert!(
            cut.contains("after 52428800 of the 500000000 bytes"),
            "{cut}"
        );
        assert_eq!(cut_while_read(Some(500), 500), None);
        assert_eq!(cut_while_read(Some(500), 900), None);
        assert_eq!(cut_while_read(None, 1), None);
    }
    use std::time::{Duration, SystemTime};

    /// A file is mapped from the rule's size, once it has not been written for the rule's
    /// time (a live log may be cut while it is mapped); a file of unknown size (a pipe)
    /// never is, one of unknown age is, and one written "in the future" (a clock ahead)
    /// is taken for a live one.
    #[test]
    fn a_file_is_mapped_when_large_and_quiet() {
        let rule = MapRule::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let old = Some(now - Duration::from_secs(3600));
        let big = Some(64 << 20);
        assert!(rule.maps(big, old, now));
        assert!(rule.maps(big, None, now));
        assert!(!rule.maps(Some(1 << 20), old, now));
        assert!(!rule.maps(None, old, now));
        assert!(!rule.maps(big, Some(now - Duration::from_secs(5)), now));
        assert!(!rule.maps(big, Some(now + Duration::from_secs(5)), now));
        assert!(rule.maps(big, Some(now - Duration::from_secs(60)), now));
        let eager = MapRule {
            from_bytes: 0,
            quiet_for: Duration::ZERO,
        };
        assert!(eager.maps(Some(1), Some(now), now));
        assert!(!eager.maps(Some(0), Some(now), now));
    }
}
