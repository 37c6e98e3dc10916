//! `hunt` and `timeline` over more than memory, by parts (`--memory-budget`).
//!
//! The in-memory hunt holds every attributable event (about 1 KB each) from the scoring to
//! the report. Yet each event is judged only against its own group's history (a principal
//! or a credential: `score::group_key`), the signals that look across groups read few
//! events, and the investigation reads a fraction of a percent of them
//! (docs/scale.md). So:
//!
//! 1. The events are read into parts, each group's events in one part: raw logs as
//!    `ingest` reads them, each chunk cut by part as it is parsed (pieces held up to a
//!    quarter of the budget, the others in a temporary folder: `ingest/spill.rs`); tables
//!    written into parts as they are read ([`PartWriter`]). Each event has [`SEQ`], its
//!    place among the events of its time in the whole frame's order.
//! 2. Each part is scored on its own (`score::score_events`): the same reasons as in one
//!    table. Kept: the events with a reason and those a signal looking across reads
//!    (`Signal::reads_across`), and what the others tell those signals ([`Outside`]). A
//!    part of raw logs is made whole for it (its pieces joined in the whole frame's order,
//!    repeated deliveries removed, token prefixes linked: [`PartSource::Drained`]), and
//!    written for the steps after.
//! 3. The signals looking across run on the events kept, each bringing in first every
//!    event of the networks and credentials it asks for (`Signal::wants`).
//! 4. Each part is read again for what the investigation knows of every network and
//!    credential ([`Estate`]): who uses a network, which are shared, when each credential
//!    was born.
//! 5. The investigation reads every event of the credentials it can reach (those with a
//!    suspicious event, the ones they made, those used from their networks), to a fixed
//!    point, and runs on them as on the whole table.
//!
//! Memory then: one part's frame, the events kept (a few percent on the incident
//! benchmarks), the estate (per network and credential, not per event) and the events the
//! investigation reads. The report is the one the in-memory hunt writes, byte for byte
//! (`tests::assert_same_by_parts` under every investigation scenario, and the benchmarks).

use std::collections::BTreeSet;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::frame::col;
use crate::hunt::{Estate, MAX_FANOUT, NormalUse, first_hostile, is_shared};
use crate::ingest::{HourFrame, HourWriter};
use crate::output::{ParquetSettings, RowGroupWriter};
use crate::score::baseline::NS_PER_HOUR;
use crate::score::signals::{Across, FirstEvent, Outside, Reason, SIGNALS, Wanted};
use crate::score::table::EventTable;
use crate::score::{
    FastMap, FastSet, NOTABLE, SUSPICIOUS, ScoreOptions, Scored, group_key, group_key_of,
    score_events, total,
};
use crate::score_report::matches_credential;

/// Each event's place in the order of the whole frame among the events of its time: the
/// frame is in order of time, then `SEQ` (input, then line and record).
pub const SEQ: &str = "_seq";

/// Which part a group's events go to: the same in every run.
pub(crate) fn part_of(key: &str, parts: usize) -> usize {
    // SipHash with zero keys, not a randomly keyed hasher: a part is found again by key.
    let mut h = std::hash::DefaultHasher::new();
    key.hash(&mut h);
    (h.finish() % parts as u64) as usize
}

/// Bytes of events waiting to be written, at most (less if the budget is small): then
/// every part's go to disk at once, in one file (a run), a row group per part. A file per
/// part, appended to at each flush, needed more memory the more row groups it had (Polars'
/// writer keeps what it needs for the footer until it finishes): 1.4 GB for a 120 MB log
/// in 480 parts.
const PENDING_BYTES: usize = 64 << 20;

/// Bytes of events pending that make a run, for a memory budget: a quarter of it, from
/// [`MIN_RUN_BYTES`] to [`PENDING_BYTES`].
pub fn run_bytes(budget: usize) -> usize {
    (budget / 4).clamp(MIN_RUN_BYTES, PENDING_BYTES)
}

/// The least a run holds, whatever the budget: each run's footer is kept once read (a row
/// group per part), and small runs made many (16 MiB runs of a 2 GB log in 126 parts held
/// 0.1 GB of footers).
const MIN_RUN_BYTES: usize = 32 << 20;

/// The parts of tables, written as the tables are read (row groups, one after the other),
/// or of any frames given in the whole frame's order.
pub struct PartWriter {
    dir: PathBuf,
    schema: Option<Schema>,
    parts: usize,
    /// Hours not yet written, each with its parts' rows together: (part, first row,
    /// rows). A slice of a frame costs some 300 bytes a column: a slice per hour and part
    /// held until written was 0.9 GB for a 120 MB log in 480 parts.
    pending: Vec<(DataFrame, Vec<PartRows>)>,
    pending_bytes: usize,
    /// Pending bytes that make a run.
    run_bytes: usize,
    runs: Vec<Run>,
    next_seq: u64,
    /// Whether the events came in time order (raw logs hour by hour), and the latest
    /// time so far. Tables come one after the other: each part is then put in order as
    /// it is read.
    in_time_order: bool,
    latest: i64,
    /// Whether the events' texts are repacked as they wait (see `write`).
    repack: bool,
}

/// A failure to write in `dir`.
fn output_error(dir: &Path, e: impl std::fmt::Display) -> Error {
    Error::Output {
        path: dir.to_path_buf(),
        source: e.to_string().into(),
    }
}

/// A part's rows in an hour's frame: part, first row, rows.
type PartRows = (u32, usize, usize);

/// One file of every part's events of a span of hours, the parts one after the other.
struct Run {
    path: PathBuf,
    /// Each part's first row in the file, and its rows.
    parts: Vec<(usize, usize)>,
    /// Its footer, once read: each part's read of each run parsed the whole footer (a row
    /// group per part), and a 2 GB log in 126 parts took 58 s instead of 21.
    footer: std::sync::OnceLock<polars::io::parquet::metadata::FileMetadataRef>,
}

impl PartWriter {
    /// `parts` parts in `dir`, the events held until written up to `pending` bytes (see
    /// [`run_bytes`]).
    pub fn new(dir: PathBuf, parts: usize, pending: usize) -> PartWriter {
        PartWriter {
            dir,
            schema: None,
            parts: parts.max(1),
            pending: Vec::new(),
            pending_bytes: 0,
            run_bytes: pending,
            runs: Vec::new(),
            next_seq: 0,
            in_time_order: true,
            latest: i64::MIN,
            repack: true,
        }
    }

    /// Events whose texts are their own (a row group read from a table, not a piece of
    /// a chunk of logs) wait as they come: repacking them saved no memory and cost 1-1.4
    /// s of 10-19 s on the gateway and CloudTrail datasets.
    pub fn without_repacking(mut self) -> PartWriter {
        self.repack = false;
        self
    }

    /// Every part's pending events into a new run.
    fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let dir = &self.dir;
        let path = dir.join(format!("run-{}.parquet", self.runs.len()));
        let Some(schema) = &self.schema else {
            return Err(output_error(dir, "parts written before their columns"));
        };
        let mut writer = run_writer(dir, &path, schema)?;
        // Each hour's next part, as the parts are written in order.
        let mut next = vec![0usize; self.pending.len()];
        let mut parts = Vec::with_capacity(self.parts);
        let mut row = 0;
        for p in 0..self.parts as u32 {
            let mut pieces = Vec::new();
            for (h, (hour, ranges)) in self.pending.iter().enumerate() {
                if let Some(&(q, first, rows)) = ranges.get(next[h])
                    && q == p
                {
                    pieces.push(hour.slice(first as i64, rows));
                    next[h] += 1;
                }
            }
            let rows: usize = pieces.iter().map(DataFrame::height).sum();
            parts.push((row, rows));
            row += rows;
            if rows == 0 {
                continue;
            }
            let mut group = concat(pieces)?;
            group.rechunk_mut_par();
            writer.write(&group).map_err(|e| output_error(dir, e))?;
        }
        writer.finish().map_err(|e| output_error(dir, e))?;
        self.runs.push(Run {
            path,
            parts,
            footer: std::sync::OnceLock::new(),
        });
        self.pending.clear();
        self.pending_bytes = 0;
        Ok(())
    }

    /// The parts written, to be read.
    pub fn finish(mut self) -> Result<Parts> {
        self.flush()?;
        let schema = match self.schema {
            Some(s) => s,
            // No hour: the columns of a frame of no events.
            None => {
                let mut empty = crate::frame::empty_frame()?;
                crate::enrich::enrich(&mut empty, None, &[])?;
                let mut s = empty.schema().as_ref().clone();
                s.insert(SEQ.into(), DataType::UInt64);
                s
            }
        };
        Ok(Parts {
            parts: self.parts,
            runs: self.runs,
            schema,
            in_time_order: self.in_time_order,
        })
    }
}

/// Frames joined one after the other.
fn concat(frames: Vec<DataFrame>) -> Result<DataFrame> {
    let mut all: Option<DataFrame> = None;
    for f in frames.into_iter().filter(|f| f.width() > 0) {
        match all.as_mut() {
            None => all = Some(f),
            Some(a) => {
                a.vstack_mut_owned(f)?;
            }
        }
    }
    Ok(all.unwrap_or_default())
}

impl HourWriter for PartWriter {
    fn start(&mut self, schema: &Schema) -> Result<()> {
        let mut schema = schema.clone();
        schema.insert(SEQ.into(), DataType::UInt64);
        self.schema = Some(schema);
        std::fs::create_dir_all(&self.dir).map_err(|e| output_error(&self.dir, e))
    }

    fn write(&mut self, hour: HourFrame) -> Result<()> {
        self.push(hour.frame)
    }
}

impl PartWriter {
    /// The next events, after every event written before them in the order of the whole
    /// frame: in time order (raw logs hour by hour), or the tables one after the other
    /// (the frame is then their events in time order, those of equal time in the order
    /// written: `tables::in_time_order`).
    pub fn push(&mut self, mut df: DataFrame) -> Result<()> {
        let height = df.height();
        for t in df.column(col::TS)?.datetime()?.physical().iter() {
            let t = t.unwrap_or(i64::MIN);
            self.in_time_order &= t >= self.latest;
            self.latest = self.latest.max(t);
        }
        let seq: Vec<u64> = (self.next_seq..self.next_seq + height as u64).collect();
        self.next_seq += height as u64;
        df.with_column(UInt64Chunked::from_vec(SEQ.into(), seq).into_column())?;
        let parts = self.parts;
        let part: Vec<u32> = {
            let principal = df.column(col::PRINCIPAL)?.str()?;
            let credential = df.column(col::CREDENTIAL_ID)?.str()?;
            principal
                .iter()
                .zip(credential.iter())
                .map(|(p, c)| group_key_of(p, c).map_or(u32::MAX, |k| part_of(k, parts) as u32))
                .collect()
        };
        // The rows of each part together (in frame order within it): one gather, then
        // a slice per part.
        let mut order: Vec<u32> = (0..height as u32)
            .filter(|&i| part[i as usize] != u32::MAX)
            .collect();
        order.sort_by_key(|&i| part[i as usize]);
        let mut ranges = Vec::new();
        let mut start = 0;
        while start < order.len() {
            let p = part[order[start] as usize];
            let end = start
                + order[start..]
                    .iter()
                    .take_while(|&&i| part[i as usize] == p)
                    .count();
            ranges.push((p, start, end - start));
            start = end;
        }
        let mut grouped = df.take(&IdxCa::from_vec("".into(), order))?;
        drop(df);
        // The hour's texts point into the buffers of every chunk it came from, repeats
        // and all: repacked, its pieces hold only what they show until written.
        if self.repack {
            crate::frame::compact_chunk(&mut grouped, |_| true)?;
        }
        self.pending_bytes += grouped.estimated_size();
        self.pending.push((grouped, ranges));
        if self.pending_bytes >= self.run_bytes {
            self.flush()?;
        }
        Ok(())
    }
}

/// A folder of this run's own, removed with what it holds when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// The folder's name, before the process id.
    pub const PREFIX: &str = "tokentrail-parts-";

    pub fn new(parent: &Path) -> Result<TempDir> {
        let dir = parent.join(format!("{}{}", Self::PREFIX, std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| output_error(&dir, e))?;
        Ok(TempDir(dir))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// How many parts the logs of `input_bytes` (as read, decompressed) are written to, so
/// that each part scored fits in `budget` bytes: a part per `budget` of the events' size
/// in memory, which is about their size in the logs (docs/scale.md), four times over for
/// what scoring builds; at least 16, and at most 1,000 (a file open for each).
pub fn parts_for(input_bytes: u64, budget: u64) -> usize {
    let need = input_bytes.saturating_mul(4) / budget.max(1 << 20);
    (need as usize + 1).clamp(16, 1000)
}

/// The parts on disk, each scored on its own: a group's events all go to one.
pub struct Parts {
    parts: usize,
    runs: Vec<Run>,
    /// Their columns.
    schema: Schema,
    /// Whether the events were written in time order: else each part is put in order as
    /// it is read.
    in_time_order: bool,
}

impl Parts {
    /// Part `p`'s events, in the order of the whole frame (runs follow each other in
    /// time, and a part's events in a run are in order).
    fn read(&self, p: usize) -> Result<DataFrame> {
        self.read_columns(p, None)
    }

    /// Part `p`'s events with only the columns `only` names read (the others null in
    /// every row, as a frame of the parts' columns), or all; in the order of the whole
    /// frame.
    fn read_columns(&self, p: usize, only: Option<&[&str]>) -> Result<DataFrame> {
        // Events written out of time order are put in order by time and place.
        let mut only: Option<Vec<&str>> = only.map(<[&str]>::to_vec);
        if let Some(only) = only.as_mut().filter(|_| !self.in_time_order) {
            for c in [col::TS, SEQ] {
                if !only.contains(&c) {
                    only.push(c);
                }
            }
        }
        let mut pieces = Vec::new();
        for run in &self.runs {
            let (first, rows) = run.parts[p];
            if rows == 0 {
                continue;
            }
            let file = File::open(&run.path).map_err(|e| Error::Io {
                path: run.path.clone(),
                source: e,
            })?;
            let mut reader = ParquetReader::new(file);
            match run.footer.get() {
                Some(footer) => reader.set_metadata(footer.clone()),
                None => {
                    let footer = reader.get_metadata()?.clone();
                    let _ = run.footer.set(footer);
                }
            }
            pieces.push(
                reader
                    .with_columns(
                        only.as_ref()
                            .map(|c| c.iter().map(|c| c.to_string()).collect()),
                    )
                    .with_slice(Some((first, rows)))
                    .finish()?,
            );
        }
        if !self.in_time_order {
            let pieces = pieces
                .into_iter()
                .map(|df| with_every_column(df, &self.schema))
                .collect();
            return in_order(pieces, &self.schema);
        }
        // Packed as `in_order` packs: as Parquet gives them, a part's texts are a copy a
        // row (the largest part of a 2 GB gateway log's tables, 416,888 events, held 332
        // MB).
        let df = crate::frame::packed_gather(concat(pieces)?, None)?;
        Ok(with_every_column(df, &self.schema))
    }

    /// Every part's events that `keep` selects (reading only the columns `by` names), in
    /// the order of the whole frame, with the columns `only` names (the others null) or
    /// all: a part with none is not read further.
    fn select(
        &self,
        by: &[&str],
        only: Option<&[&str]>,
        keep: impl Fn(&DataFrame) -> PolarsResult<BooleanChunked>,
    ) -> Result<DataFrame> {
        let mut pieces = Vec::new();
        for p in 0..self.parts {
            let mask = keep(&self.read_columns(p, Some(by))?)?;
            if mask.any() {
                // Repacked: a filtered text column still holds the whole part's buffers
                // (`score` showing 30 events of 16 parts held them all: 596 MB, not 330).
                let mut piece = self.read_columns(p, only)?.filter(&mask)?;
                crate::frame::compact_chunk(&mut piece, |_| true)?;
                pieces.push(piece);
            }
        }
        in_order(pieces, &self.schema)
    }
}

/// Where the first pass over the parts takes each one's events from.
pub enum PartSource {
    /// Parts written as read (tables).
    Written(Parts),
    /// Raw logs read into parts: each part made whole from the read's spill as the first
    /// pass comes to it, and written then into `dir` for the passes after. The first pass
    /// so reads no part back, and no pass between the read and it goes over every event
    /// (each read hour made whole, then cut into parts and written, took 1.1-1.6 s of the
    /// 3.4-3.9 s of a 500 MB gateway log's hunt, docs/performance.md).
    Drained {
        drain: crate::ingest::PartDrain,
        dir: PathBuf,
    },
}

impl PartSource {
    /// The columns of every part.
    fn schema(&self) -> Schema {
        match self {
            PartSource::Written(parts) => parts.schema.clone(),
            PartSource::Drained { drain, .. } => drain.schema(),
        }
    }

    /// Each part's events, whole and in the order of the whole frame, to `each` (a
    /// repeated delivery removed is counted on `files`); then the parts, to be read
    /// again.
    fn each(
        self,
        files: &mut [crate::ingest::FileReport],
        each: &mut dyn FnMut(DataFrame) -> Result<()>,
    ) -> Result<Parts> {
        let (drain, dir) = match self {
            PartSource::Written(parts) => {
                for p in 0..parts.parts {
                    each(parts.read(p)?)?;
                }
                return Ok(parts);
            }
            PartSource::Drained { drain, dir } => (drain, dir),
        };
        std::fs::create_dir_all(&dir).map_err(|e| output_error(&dir, e))?;
        let (parts, schema) = (drain.parts(), drain.schema());
        // Each part written on a thread of its own while it is scored.
        let runs = std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, DataFrame)>(1);
            let (dir, schema) = (&dir, &schema);
            let writer = scope.spawn(move || {
                rx.into_iter()
                    .map(|(p, frame)| write_part(dir, p, parts, &frame, schema))
                    .collect::<Result<Vec<Run>>>()
            });
            let drained = drain.drain(files, &mut |p, frame| {
                // The writer stopped: its error is the one told.
                if frame.height() > 0 && tx.send((p, frame.clone())).is_err() {
                    return Err(output_error(dir, "a part was not written"));
                }
                each(frame)
            });
            drop(tx);
            let runs = match writer.join() {
                Ok(runs) => runs,
                Err(_) => Err(output_error(dir, "the thread writing the parts failed")),
            };
            runs.and_then(|runs| drained.map(|()| runs))
        })?;
        Ok(Parts {
            parts,
            runs,
            schema,
            in_time_order: false,
        })
    }
}

/// Part `p` (of `parts`) whole, in a run of its own in `dir`.
fn write_part(
    dir: &Path,
    p: usize,
    parts: usize,
    frame: &DataFrame,
    schema: &Schema,
) -> Result<Run> {
    let path = dir.join(format!("part-{p}.parquet"));
    let mut writer = run_writer(dir, &path, schema)?;
    writer.write(frame).map_err(|e| output_error(dir, e))?;
    writer.finish().map_err(|e| output_error(dir, e))?;
    let mut placed = vec![(0, 0); parts];
    placed[p] = (0, frame.height());
    Ok(Run {
        path,
        parts: placed,
        footer: std::sync::OnceLock::new(),
    })
}

/// A run's file at `path` in `dir`, written a part's row group at a time: fast to write
/// and read back, as the runs live for one run of tokentrail.
fn run_writer(dir: &Path, path: &Path, schema: &Schema) -> Result<RowGroupWriter<BufWriter<File>>> {
    let file = File::create(path).map_err(|e| output_error(dir, e))?;
    RowGroupWriter::new(BufWriter::new(file), schema, ParquetSettings::SCRATCH)
        .map_err(|e| output_error(dir, e))
}

/// `df` with every column of `schema`, in its order: those it lacks null in every row
/// (as `FrameBuilder::keeping` leaves the columns a command does not read).
fn with_every_column(df: DataFrame, schema: &Schema) -> DataFrame {
    let height = df.height();
    let mut have: FastMap<PlSmallStr, Column> = df
        .into_columns()
        .into_iter()
        .map(|c| (c.name().clone(), c))
        .collect();
    let columns = schema
        .iter()
        .map(|(name, dtype)| {
            have.remove(name)
                .unwrap_or_else(|| Column::full_null(name.clone(), height, dtype))
        })
        .collect();
    DataFrame::new(height, columns).unwrap_or_default()
}

/// The columns the signals looking across read, and the investigation's estate: the
/// events held for those signals and the second read of the parts keep only these.
const ACROSS_COLUMNS: &[&str] = &[
    SEQ,
    col::TS,
    col::SOURCE,
    col::CREDENTIAL_ID,
    col::PRINCIPAL,
    col::SRC_IP,
    col::ACTION,
    col::OUTCOME,
    col::CHILD_CREDENTIAL_ID,
    crate::enrich::enriched::IP_CLASS,
    crate::enrich::enriched::NETWORK,
    crate::enrich::enriched::ASN,
];

/// The columns of the events `score` shows (`score_report::ScoredEvent`, and what
/// selects them).
const SHOWN_COLUMNS: &[&str] = &[
    SEQ,
    col::TS,
    col::SOURCE,
    col::CREDENTIAL_ID,
    col::PRINCIPAL,
    col::SESSION_ID,
    col::ACTION,
    col::TARGET,
    col::SRC_IP,
    col::OUTCOME,
    col::EVENT_ID,
    col::FILE,
    col::LINE,
    col::RECORD_INDEX,
];

/// Pieces of parts joined in the order of the whole frame: by time, then [`SEQ`] (raw
/// logs: their input, chunk and row; tables: their events' order one table after the
/// other); no piece, a frame of no events with the columns of `schema`. Packed
/// (`frame::packed_gather`): each text column one array of its distinct texts, each
/// column null in every row one null. Gathered plainly, the pieces' texts were copied row
/// by row and their columns of nulls took 16 bytes a row each: the 483,223 events an
/// adversarial CloudTrail hunt reached held 558 MB (a file's name once per event, 7 MB
/// for each of some twenty columns of nulls).
pub(crate) fn in_order(pieces: Vec<DataFrame>, schema: &Schema) -> Result<DataFrame> {
    let all = concat(pieces)?;
    if all.width() == 0 {
        return Ok(DataFrame::empty_with_schema(schema));
    }
    let ts = all.column(col::TS)?.datetime()?.physical();
    let seq = all.column(SEQ)?.u64()?;
    let keys: Vec<(i64, u64)> = ts
        .iter()
        .zip(seq.iter())
        .map(|(t, s)| (t.unwrap_or(i64::MIN), s.unwrap_or(0)))
        .collect();
    let order = (!keys.is_sorted()).then(|| {
        let mut order: Vec<IdxSize> = (0..keys.len() as IdxSize).collect();
        // No two events share a place: unstable is stable here.
        order.sort_unstable_by_key(|&i| keys[i as usize]);
        order
    });
    Ok(crate::frame::packed_gather(all, order.as_deref())?)
}

fn seqs(df: &DataFrame) -> Result<Vec<u64>> {
    if df.height() == 0 {
        return Ok(Vec::new());
    }
    Ok(df.column(SEQ)?.u64()?.into_no_null_iter().collect())
}

/// What [`of_subjects_or_networks`] reads.
const SUBJECT_AND_NETWORK: &[&str] = &[
    SEQ,
    col::CREDENTIAL_ID,
    col::PRINCIPAL,
    crate::enrich::enriched::NETWORK,
];

/// Rows of `df` whose subject (credential, else principal) is in `subjects`, or whose
/// network is in `networks`.
fn of_subjects_or_networks(
    df: &DataFrame,
    subjects: &FastSet<&str>,
    networks: &FastSet<&str>,
) -> PolarsResult<BooleanChunked> {
    let credential = df.column(col::CREDENTIAL_ID)?.str()?;
    let principal = df.column(col::PRINCIPAL)?.str()?;
    let network = df.column(crate::enrich::enriched::NETWORK)?.str()?;
    Ok(credential
        .iter()
        .zip(principal.iter())
        .zip(network.iter())
        .map(|((c, p), n)| {
            c.or(p).is_some_and(|s| subjects.contains(s)) || n.is_some_and(|n| networks.contains(n))
        })
        .collect())
}

/// The events held for the signals looking across, and their reasons so far.
struct Held {
    frame: DataFrame,
    seqs: Vec<u64>,
    /// The row of each place.
    rows: FastMap<u64, u32>,
}

impl Held {
    /// `found` keyed by [`SEQ`] instead of row.
    fn to_seqs(&self, found: crate::score::signals::Findings) -> FastMap<u64, Vec<Reason>> {
        found
            .into_iter()
            .map(|(i, r)| (self.seqs[i as usize], r))
            .collect()
    }

    /// `found` keyed by row of this frame.
    fn to_rows(&self, found: FastMap<u64, Vec<Reason>>) -> crate::score::signals::Findings {
        found
            .into_iter()
            .filter_map(|(s, r)| self.rows.get(&s).map(|&i| (i, r)))
            .collect()
    }

    /// With every event of the wanted networks and credentials brought in.
    fn bring_in(self, parts: &Parts, wanted: &Wanted) -> Result<Held> {
        let subjects: FastSet<&str> = wanted.credentials.iter().map(String::as_str).collect();
        let networks: FastSet<&str> = wanted.networks.iter().map(String::as_str).collect();
        let held: FastSet<u64> = self.seqs.iter().copied().collect();
        let extra = parts.select(SUBJECT_AND_NETWORK, None, |df| {
            let seq = df.column(SEQ)?.u64()?;
            let wanted = of_subjects_or_networks(df, &subjects, &networks)?;
            Ok(wanted
                .iter()
                .zip(seq.iter())
                .map(|(w, s)| w == Some(true) && s.is_some_and(|s| !held.contains(&s)))
                .collect())
        })?;
        Held::new(in_order(vec![self.frame, extra], &parts.schema)?)
    }

    fn new(frame: DataFrame) -> Result<Held> {
        let seqs = seqs(&frame)?;
        let rows = seqs
            .iter()
            .enumerate()
            .map(|(i, &s)| (s, i as u32))
            .collect();
        Ok(Held { frame, seqs, rows })
    }
}

/// What a network's use by one credential tells the estate.
#[derive(Default)]
struct Use {
    /// Its calls of no note.
    normal: NormalUse,
    /// The first call not from infrastructure, and whether all such calls failed.
    first: Option<(i64, u64)>,
    failed_only: bool,
}

#[derive(Default)]
struct NetworkUse {
    users: FastMap<Box<str>, Use>,
    /// Credentials that used it with success, up to one more than make it shared.
    succeeded: FastSet<Box<str>>,
}

/// The owned texts an [`Estate`] borrows.
struct EstateFacts {
    networks: FastMap<Box<str>, NetworkUse>,
    born: FastMap<Box<str>, FirstEvent>,
}

/// Event `i` of `t` (`at` its place in the whole frame) as its subject's first, if it
/// comes before the one known.
fn note_birth(born: &mut FastMap<Box<str>, FirstEvent>, t: &EventTable, i: usize, at: u64) {
    let Some(c) = t.subject(i) else { return };
    let earlier = |b: &FirstEvent| (t.ts[i], at) < (b.ts, b.seq);
    let first = || FirstEvent {
        ts: t.ts[i],
        seq: at,
        network: t.network[i].map(Into::into),
        source: t.source[i].map(Into::into),
    };
    match born.get_mut(c) {
        Some(b) if earlier(b) => *b = first(),
        Some(_) => {}
        None => {
            born.insert(c.into(), first());
        }
    }
}

impl EstateFacts {
    /// What `rows` of `t` tell (`seq`: each row's place in the whole frame; `score`: an
    /// event's final score by its place; `first_hostile`: each network's first suspicious
    /// call). Rows may come in any order, and a network's or credential's in several
    /// tables.
    fn learn(
        &mut self,
        t: &EventTable,
        seq: &[u64],
        rows: impl Iterator<Item = usize>,
        score: &dyn Fn(u64) -> u32,
        first_hostile: &FastMap<Box<str>, i64>,
        config: &Config,
    ) {
        for i in rows {
            let at = seq[i];
            let (Some(n), Some(c)) = (t.network[i], t.subject(i)) else {
                continue;
            };
            let net = match self.networks.get_mut(n) {
                Some(net) => net,
                None => self.networks.entry(n.into()).or_default(),
            };
            if !t.is_failure(i) && net.succeeded.len() <= MAX_FANOUT && !net.succeeded.contains(c) {
                net.succeeded.insert(c.into());
            }
            let u = match net.users.get_mut(c) {
                Some(u) => u,
                None => net.users.entry(c.into()).or_insert_with(|| Use {
                    failed_only: true,
                    ..Use::default()
                }),
            };
            if score(at) < NOTABLE {
                let before = first_hostile.get(n).is_none_or(|&h| t.ts[i] < h);
                u.normal.add(t.ts[i], before);
            }
            // Calls from infrastructure aside (as `hunt::infrastructure`, the network
            // being shared or not decided later).
            if t.public_address(i)
                && !t.is_service_caller(i)
                && !config.trusts_address(t.src_ip[i], t.asn[i])
            {
                let first = (t.ts[i], at);
                if u.first.is_none_or(|f| first < f) {
                    u.first = Some(first);
                }
                u.failed_only &= t.is_failure(i);
            }
        }
    }

    fn estate(&self) -> Estate<'_> {
        let shared: FastSet<&str> = self
            .networks
            .iter()
            .filter(|(_, n)| {
                let established = n.users.values().filter(|u| u.normal.established()).count();
                is_shared(established, n.succeeded.len())
            })
            .map(|(k, _)| &**k)
            .collect();
        let subjects_by_network = self
            .networks
            .iter()
            .filter(|(k, _)| !shared.contains(&***k))
            .map(|(k, n)| {
                let mut users: Vec<(&(i64, u64), &str, bool)> = n
                    .users
                    .iter()
                    .filter_map(|(c, u)| u.first.as_ref().map(|f| (f, &**c, u.failed_only)))
                    .collect();
                users.sort_unstable();
                (&**k, users.into_iter().map(|(_, c, f)| (c, f)).collect())
            })
            .collect();
        let mut births: Vec<crate::hunt::Birth> = self
            .born
            .iter()
            .map(|(c, b)| (b.ts, &**c, b.network.as_deref(), b.source.as_deref()))
            .collect();
        births.sort_unstable();
        Estate {
            shared,
            subjects_by_network,
            births,
        }
    }
}

/// Every event's reasons after steps 2 and 3, and the events held for the signals
/// looking across (every event with a reason among them).
struct ScoredParts {
    /// Reasons by place; none empty.
    found: FastMap<u64, Vec<Reason>>,
    held: Held,
    outside: Outside,
}

/// The largest part scored, when it took more than the budget leaves a part (three
/// quarters: the rest holds the pieces of parts read ahead). A part holds each of its
/// principals' events whole, since a baseline needs all of them, so a principal with most
/// of the events makes a part the budget does not bound; the run says so, and whose.
#[derive(Default)]
struct LargestPart {
    bytes: usize,
    events: usize,
    /// The group (`score::group_key`) with the most events in it, and how many.
    busiest: Option<(String, usize)>,
}

impl LargestPart {
    /// Scoring a part holds about twice its frame (the table, the groups, the reasons):
    /// one principal's events of the adversarial CloudTrail bench, a frame holding 111 MB
    /// (`frame::held_bytes`), took the run from 236 MB to 437 MB while they were scored
    /// (docs/performance.md).
    const SCORING: usize = 2;

    /// Whether a frame of `bytes` takes more, to score, than `budget` leaves a part.
    fn beyond(bytes: usize, budget: u64) -> bool {
        bytes.saturating_mul(Self::SCORING) as u64 > budget / 4 * 3
    }

    fn see(&mut self, df: &DataFrame, t: &EventTable, budget: u64) {
        let bytes = crate::frame::held_bytes(df);
        if bytes <= self.bytes || !Self::beyond(bytes, budget) {
            return;
        }
        let mut events: FastMap<&str, usize> = FastMap::default();
        for i in 0..t.len() {
            if let Some(k) = group_key(t, i) {
                *events.entry(k).or_default() += 1;
            }
        }
        let busiest = events
            .into_iter()
            .max_by_key(|&(k, n)| (n, std::cmp::Reverse(k)));
        *self = LargestPart {
            bytes,
            events: t.len(),
            busiest: busiest.map(|(k, n)| (k.to_string(), n)),
        };
    }

    fn warn(&self, budget: u64) {
        let Some((key, n)) = &self.busiest else {
            return;
        };
        crate::messages::warn(format!(
            "warning: a part of the events is more than --memory-budget {} MiB allows: {} \
             events, {} in memory and about twice that to score, {n} of them {key}'s; the \
             events of a principal (or of a credential without one) are scored together, \
             its baseline needing all of them (docs/scale.md)",
            budget >> 20,
            self.events,
            crate::app::gb(self.bytes as u64),
        ));
    }
}

/// The events the investigation reached, read whole, when they take more than the
/// budget leaves a part (as [`LargestPart`] reckons): a log where every credential is
/// used from hostile networks has the investigation reach them all.
fn warn_if_reached_beyond(frame: &DataFrame, t: &EventTable, budget: u64) {
    let bytes = crate::frame::held_bytes(frame);
    if !LargestPart::beyond(bytes, budget) {
        return;
    }
    let credentials: FastSet<&str> = (0..t.len()).filter_map(|i| t.credential[i]).collect();
    crate::messages::warn(format!(
        "warning: the investigation reached more events than --memory-budget {} MiB \
         allows: {} events of {} credentials, {} in memory; the events of every \
         credential it reaches are read whole (docs/scale.md)",
        budget >> 20,
        t.len(),
        credentials.len(),
        crate::app::gb(bytes as u64),
    ));
}

/// Steps 2 and 3: each part scored alone, then the signals looking across on the events
/// that matter, held with the columns `held_columns` names (at least [`ACROSS_COLUMNS`]).
/// `see` is shown every part's events with their places first. `budget` (bytes): what
/// the run was given, for what it says of a part beyond it ([`LargestPart`]).
fn score_parts(
    source: PartSource,
    files: &mut [crate::ingest::FileReport],
    (opts, budget): (&ScoreOptions, u64),
    held_columns: &[&str],
    see: &mut dyn FnMut(&EventTable, &[u64]),
    phase: &dyn Fn(&str),
) -> Result<(ScoredParts, Parts)> {
    let config = &opts.config;
    let mut found: FastMap<u64, Vec<Reason>> = FastMap::default();
    let mut held_pieces = Vec::new();
    let mut outside = Outside::default();
    let schema = source.schema();
    let mut largest = LargestPart::default();
    let parts = source.each(files, &mut |df| {
        let seq = seqs(&df)?;
        let t = EventTable::new(&df)?;
        largest.see(&df, &t, budget);
        see(&t, &seq);
        let (_, part_found) = score_events(&t, opts);
        let keep: Vec<bool> = (0..t.len())
            .map(|i| {
                part_found.get(&(i as u32)).is_some_and(|r| !r.is_empty())
                    || SIGNALS.iter().any(|s| s.reads_across(&t, config, i))
            })
            .collect();
        for (i, &at) in seq.iter().enumerate() {
            note_birth(&mut outside.born, &t, i, at);
            if keep[i] {
                continue;
            }
            if let (Some(net), Some(owner)) = (t.network[i], group_key(&t, i)) {
                let owners = match outside.normal_owners.get_mut(net) {
                    Some(o) => o,
                    None => outside.normal_owners.entry(net.into()).or_default(),
                };
                if !owners.contains(owner) {
                    owners.insert(owner.into());
                }
            }
        }
        found.extend(
            part_found
                .into_iter()
                .filter(|(_, r)| !r.is_empty())
                .map(|(i, r)| (seq[i as usize], r)),
        );
        drop(t);
        let mut held = df
            .filter(&keep.into_iter().collect())?
            .select(held_columns.iter().copied())?;
        drop(df);
        // A filtered text column points into the part's buffers: repacked, the events
        // held keep only their own texts, not every part's (0.4 GB held for 22,300 events
        // of a 2 GB log).
        crate::frame::compact_chunk(&mut held, |_| true)?;
        held_pieces.push(with_every_column(held, &schema));
        Ok(())
    })?;
    phase("parts scored");
    largest.warn(budget);
    // 3. The signals looking across, on the events held.
    let mut held = Held::new(in_order(held_pieces, &parts.schema)?)?;
    let ctx = Across {
        config,
        outside: Some(&outside),
    };
    // Reasons by row of the held frame, by place only while it grows.
    let mut rows = held.to_rows(found);
    for s in SIGNALS {
        let wanted = s.wants(&EventTable::new(&held.frame)?, &rows);
        if !wanted.networks.is_empty() || !wanted.credentials.is_empty() {
            let by_place = held.to_seqs(rows);
            held = held.bring_in(&parts, &wanted)?;
            rows = held.to_rows(by_place);
        }
        s.across(&EventTable::new(&held.frame)?, &ctx, &mut rows);
    }
    let mut found = held.to_seqs(rows);
    found.retain(|_, r| !r.is_empty());
    Ok((
        ScoredParts {
            found,
            held,
            outside,
        },
        parts,
    ))
}

/// `score` by `parts`: every part scored alone and the signals looking across, as
/// [`hunt`] scores them; each credential summarised from every part, and the events
/// shown read again whole. `report` gets the report `score` writes in memory.
pub fn score<T>(
    source: PartSource,
    files: &mut [crate::ingest::FileReport],
    (opts, budget): (&ScoreOptions, u64),
    sel: &crate::score_report::Selection,
    phase: &dyn Fn(&str),
    report: impl FnOnce(&crate::score_report::ScoreReport, &[crate::ingest::FileReport]) -> Result<T>,
) -> Result<T> {
    let mut summaries = crate::score_report::Summaries::default();
    let mut see = |t: &EventTable, seq: &[u64]| {
        for (i, &at) in seq.iter().enumerate() {
            if sel.wants(t, i) {
                summaries.see(t, i, at);
            }
        }
    };
    // A credential the user names may be a session id.
    let held_columns = [ACROSS_COLUMNS, &[col::SESSION_ID]].concat();
    let (ScoredParts { found, held, .. }, parts) = score_parts(
        source,
        files,
        (opts, budget),
        &held_columns,
        &mut see,
        phase,
    )?;
    let parts = &parts;
    // Every event with a reason is held: their scores complete the summaries, and the
    // events shown are among them.
    let shown: FastSet<u64> = {
        let t = EventTable::new(&held.frame)?;
        let scored = scores_of(&t, &held.seqs, &found);
        for &i in scored.reasons.keys() {
            let i = i as usize;
            if sel.wants(&t, i) {
                let reasons = scored.reasons_of(i);
                summaries.score(&t, i, held.seqs[i], scored.scores[i], reasons);
            }
        }
        let flagged = sel.flagged(&t, &scored, |i| held.seqs[i]);
        flagged.into_iter().map(|i| held.seqs[i]).collect()
    };
    drop(held);
    phase("across");
    let frame = parts.select(&[SEQ], Some(SHOWN_COLUMNS), |df| {
        let seq = df.column(SEQ)?.u64()?;
        Ok(seq
            .iter()
            .map(|s| s.is_some_and(|s| shown.contains(&s)))
            .collect())
    })?;
    let seq = seqs(&frame)?;
    let t = EventTable::new(&frame)?;
    let scored = scores_of(&t, &seq, &found);
    let flagged = sel.flagged(&t, &scored, |i| seq[i]);
    let report_of = crate::score_report::ScoreReport {
        suspicious_threshold: SUSPICIOUS,
        credentials: summaries.finish(sel.min_score),
        events: crate::score_report::scored_events(&frame, &t, &scored, &flagged)?,
    };
    phase("events shown read");
    report(&report_of, files)
}

/// Hunt by `parts`: score each part alone, then look across and investigate over the
/// events that matter. `report` gets the frame of the events investigated, the
/// investigator and its findings.
pub fn hunt<T>(
    source: PartSource,
    files: &mut [crate::ingest::FileReport],
    (opts, budget): (&ScoreOptions, u64),
    seeds: crate::hunt::Seeds,
    phase: &dyn Fn(&str),
    report: impl FnOnce(
        &DataFrame,
        &crate::hunt::Investigator,
        &[crate::hunt::Finding],
        &[crate::ingest::FileReport],
    ) -> Result<T>,
) -> Result<T> {
    let config = &opts.config;
    // `timeline`: the credentials (or principals) the responder names, as the
    // investigation matches them.
    let names: &[String] = match &seeds {
        crate::hunt::Seeds::Hunt => &[],
        crate::hunt::Seeds::Named(names) => names,
    };
    let mut named: BTreeSet<Box<str>> = BTreeSet::new();
    let mut see = |t: &EventTable, _: &[u64]| {
        if names.is_empty() {
            return;
        }
        for i in 0..t.len() {
            if let Some(c) = t.subject(i)
                && names.iter().any(|n| matches_credential(t, i, n))
                && !named.contains(c)
            {
                named.insert(c.into());
            }
        }
    };
    // 2. and 3.
    let (
        ScoredParts {
            found,
            held,
            outside,
        },
        parts,
    ) = score_parts(
        source,
        files,
        (opts, budget),
        ACROSS_COLUMNS,
        &mut see,
        phase,
    )?;
    let parts = &parts;
    let score = |seq: u64| found.get(&seq).map_or(0, |r| total(r));
    // Each network's first suspicious call, and the credentials with one: every
    // suspicious event is held.
    let (first_hostile, starts): (FastMap<Box<str>, i64>, BTreeSet<Box<str>>) = {
        let t = EventTable::new(&held.frame)?;
        let scored = scores_of(&t, &held.seqs, &found);
        let first = first_hostile(&t, &scored)
            .into_iter()
            .map(|(n, ts)| (n.into(), ts))
            .collect();
        let suspicious = (0..t.len())
            .filter(|&i| scored.scores[i] >= SUSPICIOUS)
            .filter_map(|i| t.credential[i])
            .map(Into::into);
        let starts = match &seeds {
            crate::hunt::Seeds::Hunt => suspicious.collect(),
            crate::hunt::Seeds::Named(_) => std::mem::take(&mut named),
        };
        (first, starts)
    };
    drop(held);
    phase("across");
    // 4. What every event tells the investigation of its network and credential.
    let mut facts = EstateFacts {
        networks: FastMap::default(),
        born: outside.born,
    };
    drop(outside.normal_owners);
    for p in 0..parts.parts {
        let df = parts.read_columns(p, Some(ACROSS_COLUMNS))?;
        let seq = seqs(&df)?;
        let t = EventTable::new(&df)?;
        facts.learn(&t, &seq, 0..t.len(), &score, &first_hostile, config);
    }
    let estate = facts.estate();
    phase("estate");
    // 5. The events of every credential the investigation can reach, to a fixed point.
    let frame = reachable(parts, &estate, &starts, config)?;
    let seq = seqs(&frame)?;
    let t = EventTable::new(&frame)?;
    warn_if_reached_beyond(&frame, &t, budget);
    let scored = scores_of(&t, &seq, &found);
    let investigator = crate::hunt::Investigator::with_estate(&t, &scored, config, estate);
    phase("events investigated read");
    let findings = investigator.run(seeds);
    phase("investigate");
    report(&frame, &investigator, &findings, files)
}

/// The scores of the events of `t` (`seqs` their places) from the reasons found.
fn scores_of(t: &EventTable, seqs: &[u64], found: &FastMap<u64, Vec<Reason>>) -> Scored {
    let rows = seqs
        .iter()
        .enumerate()
        .filter_map(|(i, s)| found.get(s).map(|r| (i as u32, r.clone())))
        .collect();
    Scored::new(t.len(), rows, crate::score::actions::ActionIndex::new(t))
}

/// Every event of the credentials an investigation of `seeds` can reach: the seeds; the
/// credentials made by calls of those it spreads through (logged, or first used within
/// the hour after a minting call); the credentials used from the networks of those (the
/// seeds and what they made: a related credential's networks are not followed). More
/// than it reaches is harmless: each credential's events are read whole.
fn reachable(
    parts: &Parts,
    estate: &Estate,
    seeds: &BTreeSet<Box<str>>,
    config: &Config,
) -> Result<DataFrame> {
    // Every credential (or principal) seen, as the estate names it.
    let seen: FastSet<&str> = estate.births.iter().map(|&(_, c, ..)| c).collect();
    let mut wanted: FastSet<&str> = seeds.iter().map(|s| &**s).collect();
    let mut spreading: FastSet<&str> = wanted.clone();
    let mut read: FastSet<&str> = FastSet::default();
    let mut frame = DataFrame::empty_with_schema(&parts.schema);
    let no_networks = FastSet::default();
    loop {
        let new: FastSet<&str> = wanted
            .iter()
            .copied()
            .filter(|s| !read.contains(*s))
            .collect();
        if new.is_empty() {
            return Ok(frame);
        }
        let extra = parts.select(SUBJECT_AND_NETWORK, None, |df| {
            of_subjects_or_networks(df, &new, &no_networks)
        })?;
        read.extend(&new);
        frame = in_order(vec![frame, extra], &parts.schema)?;
        let t = EventTable::new(&frame)?;
        let actions = crate::score::actions::ActionIndex::new(&t);
        let mut children: Vec<&str> = Vec::new();
        for i in 0..t.len() {
            if let Some(child) = t.child_credential[i] {
                children.push(child);
            }
            if actions.mints_unnamed(&t, i) {
                let at = t.ts[i];
                let from = estate.births.partition_point(|&(born, ..)| born < at);
                children.extend(
                    estate.births[from..]
                        .iter()
                        .take_while(|&&(born, ..)| born - at <= NS_PER_HOUR)
                        .filter(|&&(.., source)| source == t.source[i])
                        .map(|&(_, c, ..)| c),
                );
            }
        }
        // Names from `t` borrow the frame about to be replaced: the estate's own are
        // kept instead (a credential with no event is not read).
        let children: Vec<&str> = children
            .into_iter()
            .filter_map(|c| seen.get(c).copied())
            .collect();
        spreading.extend(&children);
        let mut networks: FastSet<&str> = FastSet::default();
        for i in 0..t.len() {
            if let (Some(s), Some(n)) = (t.subject(i), t.network[i])
                && spreading.contains(s)
                && !estate.shared.contains(n)
                && !config.trusts_address(t.src_ip[i], t.asn[i])
            {
                networks.insert(n);
            }
        }
        wanted.extend(children);
        for n in networks {
            if let Some(users) = estate.subjects_by_network.get(n) {
                wanted.extend(users.iter().map(|&(c, _)| c));
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::hunt::Finding;
    use crate::score::testkit::{self, Row};

    /// A finding as text, its events named by their place in the whole frame, with their
    /// reasons.
    fn render(f: &Finding, seq: &dyn Fn(usize) -> u64, scored: &Scored) -> String {
        let events: Vec<String> = f
            .events
            .iter()
            .map(|&i| {
                let reasons = scored.reasons_of(i).iter();
                let reasons: Vec<(&str, u32)> = reasons.map(|r| (r.signal, r.weight)).collect();
                format!("{} {} {reasons:?}", seq(i), scored.scores[i])
            })
            .collect();
        let children: Vec<(&str, u64, bool)> = f
            .children
            .iter()
            .map(|c| (c.id.as_str(), seq(c.created_by), c.inferred))
            .collect();
        format!(
            "{} {:?} {:?} {} first {:?} good {:?} last {:?} ips {:?} networks {:?} hindsight \
             {:?} asns {:?} countries {:?} agents {:?} children {:?} related {:?} aliases {:?} \
             events {:?}",
            f.credential,
            f.principal,
            f.severity,
            f.score,
            f.first_suspicious.map(seq),
            f.last_known_good.map(seq),
            f.last_seen.map(seq),
            f.attacker_ips,
            f.attacker_networks,
            f.hindsight_networks,
            f.attacker_asns,
            f.attacker_countries,
            f.attacker_user_agents,
            children,
            f.related,
            f.aliases,
            events,
        )
    }

    /// The findings of a hunt of `rows` in `parts` parts (a row's place is its index).
    fn hunt_by_parts(rows: &[Row], parts: usize) -> Vec<String> {
        let frame = testkit::frame(rows);
        // Three "hours" of rows, a run each: a part is read from several runs.
        let third = frame.height().div_ceil(3);
        let hours = (0..3)
            .map(|h| frame.slice(h * third as i64, third))
            .collect();
        hunt_pieces_by_parts(hours, parts, &|seq| seq)
    }

    /// The events written as `pieces`, a run each, in `parts` parts kept in the folder
    /// returned.
    fn write_parts(pieces: Vec<DataFrame>, parts: usize) -> (tempfile::TempDir, Parts) {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = PartWriter::new(dir.path().join("parts"), parts, 1);
        writer.start(pieces[0].schema()).unwrap();
        for piece in pieces {
            writer.push(piece).unwrap();
        }
        (dir, writer.finish().unwrap())
    }

    /// The findings of a hunt in `parts` parts of the events written as `pieces`, a run
    /// each, an event named by `name` of its place in them.
    fn hunt_pieces_by_parts(
        pieces: Vec<DataFrame>,
        parts: usize,
        name: &dyn Fn(u64) -> u64,
    ) -> Vec<String> {
        let runs = pieces.len();
        let (_dir, parts) = write_parts(pieces, parts);
        assert_eq!(parts.runs.len(), runs);
        hunt(
            PartSource::Written(parts),
            &mut [],
            (&ScoreOptions::default(), u64::MAX),
            crate::hunt::Seeds::Hunt,
            &|_| {},
            |frame, inv, findings, _| {
                let seq = seqs(frame)?;
                Ok(findings
                    .iter()
                    .map(|f| render(f, &|i| name(seq[i]), inv.scored()))
                    .collect())
            },
        )
        .unwrap()
    }

    /// `rows` read as two tables, one after the other (the even rows, then the odd: out
    /// of time order), in memory and in `parts` parts: the findings of both, a row named
    /// by its index in `rows`.
    fn as_tables(rows: &[Row], parts: usize) -> (Vec<String>, Vec<String>) {
        let n = rows.len();
        let order: Vec<usize> = (0..n).step_by(2).chain((1..n).step_by(2)).collect();
        let take = order.iter().map(|&i| i as IdxSize).collect();
        let tables = testkit::frame(rows)
            .take(&IdxCa::from_vec("".into(), take))
            .unwrap();
        // In memory: the tables' events in time order, as `read_tables_without` makes them.
        let mut placed = tables.clone();
        let fed: Vec<u64> = (0..n as u64).collect();
        let fed = UInt64Chunked::from_vec("_fed".into(), fed).into_column();
        placed.with_column(fed).unwrap();
        let whole = crate::tables::in_time_order(placed).unwrap();
        let fed: Vec<u64> = whole
            .column("_fed")
            .unwrap()
            .u64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        let whole = whole.drop("_fed").unwrap();
        let t = EventTable::new(&whole).unwrap();
        let scored = crate::score::score_table(&t, &ScoreOptions::default());
        let findings = crate::hunt::Investigator::new(&t, &scored, &Config::default())
            .run(crate::hunt::Seeds::Hunt);
        let in_memory = findings
            .iter()
            .map(|f| render(f, &|i| order[fed[i] as usize] as u64, &scored))
            .collect();
        let evens = n.div_ceil(2);
        let pieces = vec![
            tables.slice(0, evens),
            tables.slice(evens as i64, n - evens),
        ];
        let by_parts = hunt_pieces_by_parts(pieces, parts, &|seq| order[seq as usize] as u64);
        (in_memory, by_parts)
    }

    /// The estate that what every event tells gives ([`EstateFacts`]) is the one the table
    /// gives, the events read in any order.
    pub fn assert_same_estate(t: &EventTable, scored: &Scored, config: &Config) {
        use std::collections::BTreeMap;
        let whole = Estate::of(t, scored, config);
        let seq: Vec<u64> = (0..t.len() as u64).collect();
        let first: FastMap<Box<str>, i64> = first_hostile(t, scored)
            .into_iter()
            .map(|(n, ts)| (n.into(), ts))
            .collect();
        let mut facts = EstateFacts {
            networks: FastMap::default(),
            born: FastMap::default(),
        };
        // Last to first: nothing may depend on the order the events are read in.
        for i in (0..t.len()).rev() {
            note_birth(&mut facts.born, t, i, seq[i]);
        }
        let score = |s: u64| scored.scores[s as usize];
        facts.learn(t, &seq, (0..t.len()).rev(), &score, &first, config);
        let parts = facts.estate();
        let shared =
            |e: &Estate| -> BTreeSet<String> { e.shared.iter().map(|n| n.to_string()).collect() };
        let users = |e: &Estate| -> BTreeMap<String, String> {
            e.subjects_by_network
                .iter()
                .map(|(n, users)| (n.to_string(), format!("{users:?}")))
                .collect()
        };
        assert_eq!(shared(&parts), shared(&whole));
        assert_eq!(users(&parts), users(&whole));
        assert_eq!(parts.births, whole.births);
    }

    /// Tables come one after the other, each in time order: a part is read in the order
    /// of the whole frame they make (time, then place), whatever columns are read, as
    /// every frame scored and investigated is.
    #[test]
    fn a_part_of_tables_is_read_in_time_order() {
        let table = |ts: &[i64], credentials: &[&str]| {
            let ts = Int64Chunked::from_slice(col::TS.into(), ts)
                .into_datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC))
                .into_column();
            let credential = StringChunked::from_slice(col::CREDENTIAL_ID.into(), credentials);
            let principal = StringChunked::full_null(col::PRINCIPAL.into(), credentials.len());
            let columns = vec![ts, credential.into_column(), principal.into_column()];
            DataFrame::new(credentials.len(), columns).unwrap()
        };
        let dir = tempfile::tempdir().unwrap();
        let mut writer = PartWriter::new(dir.path().join("parts"), 1, 1);
        let first = table(&[10, 20, 30], &["a", "a", "b"]);
        writer.start(first.schema()).unwrap();
        for frame in [first, table(&[5, 20, 25], &["b", "c", "a"])] {
            writer.push(frame).unwrap();
        }
        let parts = writer.finish().unwrap();
        assert_eq!(seqs(&parts.read(0).unwrap()).unwrap(), [3, 0, 1, 4, 5, 2]);
        let credentials = parts.read_columns(0, Some(&[col::CREDENTIAL_ID])).unwrap();
        let credentials: Vec<Option<&str>> = credentials
            .column(col::CREDENTIAL_ID)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        let expected = ["b", "a", "a", "c", "a", "b"];
        assert_eq!(credentials, expected.map(Some));
        // Raw logs come in time order: read as written.
        let dir = tempfile::tempdir().unwrap();
        let mut writer = PartWriter::new(dir.path().join("parts"), 1, 1);
        let hour = table(&[5, 10, 10, 25], &["b", "a", "c", "a"]);
        writer.start(hour.schema()).unwrap();
        writer.push(hour).unwrap();
        let parts = writer.finish().unwrap();
        assert!(parts.in_time_order);
        assert_eq!(seqs(&parts.read(0).unwrap()).unwrap(), [0, 1, 2, 3]);
    }

    /// `rows` with where each came from, as `score` shows events: line place + 1 of a file.
    fn located(rows: &[Row]) -> DataFrame {
        let n = rows.len();
        let mut df = testkit::frame(rows);
        let lines: Vec<u64> = (1..=n as u64).collect();
        let ids = (0..n).map(|i| format!("e{i}"));
        let columns = [
            StringChunked::full(col::FILE.into(), "access.log", n).into_column(),
            UInt64Chunked::from_vec(col::LINE.into(), lines).into_column(),
            StringChunked::from_iter_values(col::EVENT_ID.into(), ids).into_column(),
            UInt32Chunked::full_null(col::RECORD_INDEX.into(), n).into_column(),
        ];
        for c in columns {
            df.with_column(c).unwrap();
        }
        df
    }

    /// `score`'s JSON report of `frame` in memory, and by `parts` of the events written
    /// as `pieces` (a run each).
    fn score_both(
        frame: &DataFrame,
        pieces: Vec<DataFrame>,
        parts: usize,
        sel: &crate::score_report::Selection,
    ) -> (String, String) {
        let json = |report: &crate::score_report::ScoreReport| {
            let mut out = Vec::new();
            crate::score_report::write_json(&mut out, report).unwrap();
            String::from_utf8(out).unwrap()
        };
        let opts = ScoreOptions::default();
        let t = EventTable::new(frame).unwrap();
        let scored = crate::score::score_table(&t, &opts);
        let whole = json(&crate::score_report::build(frame, &t, &scored, sel).unwrap());
        let (_dir, parts) = write_parts(pieces, parts);
        let by_parts = score(
            PartSource::Written(parts),
            &mut [],
            (&opts, u64::MAX),
            sel,
            &|_| {},
            |r, _| Ok(json(r)),
        )
        .unwrap();
        (whole, by_parts)
    }

    /// `score` of `rows` by parts reports what it reports in memory: every credential's
    /// summary and the events shown, for several selections, over runs in time order and
    /// over two tables out of it.
    pub fn assert_same_score_by_parts(rows: &[Row]) {
        use crate::score_report::Selection;
        let frame = located(rows);
        let named: Vec<String> = rows
            .iter()
            .filter_map(|r| r.credential)
            .take(1)
            .map(Into::into)
            .collect();
        let selections = [
            Selection {
                credentials: &[],
                min_score: 20,
                top: 30,
            },
            Selection {
                credentials: &[],
                min_score: 0,
                top: 10_000,
            },
            Selection {
                credentials: &[],
                min_score: 0,
                top: 2,
            },
            Selection {
                credentials: &named,
                min_score: 0,
                top: 10_000,
            },
        ];
        let third = frame.height().div_ceil(3);
        let hours: Vec<DataFrame> = (0..3)
            .map(|h| frame.slice(h * third as i64, third))
            .collect();
        // Tables: the even rows, then the odd; in memory their stable sort by time.
        let n = rows.len();
        let order: Vec<IdxSize> = (0..n)
            .step_by(2)
            .chain((1..n).step_by(2))
            .map(|i| i as IdxSize)
            .collect();
        let tables = frame.take(&IdxCa::from_vec("".into(), order)).unwrap();
        let sorted = crate::tables::in_time_order(tables.clone()).unwrap();
        let evens = n.div_ceil(2);
        let two = vec![
            tables.slice(0, evens),
            tables.slice(evens as i64, n - evens),
        ];
        for sel in &selections {
            for parts in [1, 3] {
                let (whole, by_parts) = score_both(&frame, hours.clone(), parts, sel);
                assert_eq!(
                    by_parts, whole,
                    "in {parts} parts, min {} top {}",
                    sel.min_score, sel.top
                );
                let (whole, by_parts) = score_both(&sorted, two.clone(), parts, sel);
                assert_eq!(
                    by_parts, whole,
                    "tables in {parts} parts, min {} top {}",
                    sel.min_score, sel.top
                );
            }
        }
    }

    /// `whole`, the findings of the in-memory hunt of `rows`, are those of a hunt by
    /// parts, however many.
    pub fn assert_same_by_parts(rows: &[Row], whole: &[Finding], scored: &Scored) {
        let whole: Vec<String> = whole
            .iter()
            .map(|f| render(f, &|i| i as u64, scored))
            .collect();
        for parts in [1, 3, 16] {
            assert_eq!(hunt_by_parts(rows, parts), whole, "in {parts} parts");
        }
        // Tables come one after the other, not in time order.
        for parts in [1, 3] {
            let (in_memory, by_parts) = as_tables(rows, parts);
            assert_eq!(by_parts, in_memory, "tables in {parts} parts");
        }
    }
}
