//! `ingest` without the whole event frame in memory.
//!
//! The frame of a 2 GB nginx log needs 6 GB; an archive of months would need more than any
//! laptop has. Each chunk is finished as soon as it is parsed (the reader counts lines, so
//! a chunk knows its first line before the chunks before it are parsed), enriched, and cut
//! into one piece per UTC hour. Pieces stay in memory up to a budget; beyond it the hour
//! holding most is written to a spill folder beside the output, all its pieces in one
//! file. Then the hours are written in order: each
//! hour's pieces joined in input order, sorted, rid of repeated deliveries and linked to
//! full tokens exactly as the whole frame would be (a repeated delivery has its original's
//! time, so both are in one hour; the full tokens are gathered from every chunk while they
//! are read), and appended to the output. Memory follows the budget and the busiest hour,
//! not the input; the rows written are the rows the whole frame held, in the same order.
//!
//! `hunt` and `score` by parts (`parts.rs`) cut each chunk by the part its events' groups
//! go to instead of by hour ([`Cut::Parts`]), held and spilled the same way; once every
//! input is read, each part is made whole in turn ([`PartDrain`]) and scored as it is.
//! Each row carries its chunk and row ([`PLACE`]), of which its place in the whole frame
//! is made when every chunk has been counted.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use polars::prelude::*;
use rayon::prelude::*;

use super::order::{ExtraLayout, remove_duplicates, sorted_concat};
use super::records::{FileJob, Sink};
use super::{FileReport, FullTokens, HourWriter, link};
use crate::config::Cidr;
use crate::enrich::GeoDatabases;
use crate::frame::{FrameBuilder, col};
use crate::output::{ParquetSettings, RowGroupWriter};
use crate::secrets::SECRET_KINDS;

const HOUR: i64 = 3_600_000_000_000;

/// The rows of one chunk in one hour.
struct Piece {
    input: u32,
    chunk: u32,
    source: &'static str,
    frame: DataFrame,
    /// What it counts for in the bytes held (`frame::held_bytes`).
    bytes: usize,
}

/// Pieces of one hour written together to one spill file, in this order.
struct Spilled {
    path: PathBuf,
    /// Each piece's input, chunk, source and rows.
    pieces: Vec<(u32, u32, &'static str, usize)>,
}

/// One hour's (or part's) pieces: those in memory, and the spill files holding the others.
#[derive(Default)]
struct Hour {
    memory: Vec<Piece>,
    /// `memory[..settled]` came before the last batch of inputs ended
    /// ([`Spill::join_small_pieces`]).
    settled: usize,
    /// Whether pieces went to disk since the last batch of inputs ended.
    spilled_in_batch: bool,
    bytes: usize,
    disk: Vec<Spilled>,
}

/// Every hour's (or part's, by its number) pieces, and the bytes of those in memory.
#[derive(Default)]
struct Hours {
    by_hour: BTreeMap<i64, Hour>,
    held: usize,
    /// Bytes of pieces being written to disk.
    writing: usize,
    /// Every schema a piece has had (extra columns differ between inputs), once each:
    /// kept per piece, they grew with the input.
    schemas: Vec<SchemaRef>,
    files: usize,
    /// Bytes of small pieces held since the bytes held were last brought under the budget
    /// less the room kept for them ([`Spill::room`]); they wait for the end of their batch
    /// ([`Spill::join_small_pieces`]) while they fit in it.
    deferred: usize,
    /// Each chunk cut into parts ([`Cut::Parts`]), by the number [`PLACE`] gives it: its
    /// input and chunk, and its rows.
    chunks: Vec<((u32, u32), usize)>,
}

/// What a chunk's rows are cut by: the UTC hour of their time (`ingest` writing hour by
/// hour), or the part their group's events go to (`hunt` and `score` by parts, `parts.rs`).
/// Each hour, or part, is then one key of [`Hours`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Cut {
    Hours,
    Parts(usize),
}

/// The key of the events cut into parts whose part is not known until every input is read:
/// token prefixes without a principal go to their full token's part, and which token that
/// is the whole run says ([`Spill::place_prefixes`]).
const UNPLACED: i64 = -1;

/// The key of the chunks to be cut into parts that are too small to be cut alone (fewer
/// than [`small_below`] events: a CloudTrail file of a few records would become a dozen
/// pieces of one or two rows, each with every column's allocations): they are joined at
/// the end of their batch of inputs, as small pieces are, and then cut
/// ([`Spill::cut_small`]).
const SMALL: i64 = -2;

/// The events below which a chunk is too small to be cut into `parts` parts alone: 16 a
/// part on average, at most `frame::COMPACT_BELOW`. A CloudTrail file of 1,000 records
/// in 16 parts is cut alone: held whole, 500 of them filled the room kept for small
/// pieces, went to disk unjoined and were read back to be cut, 1.2-1.5 s more on 500,000
/// records (docs/performance.md).
fn small_below(parts: usize) -> usize {
    parts.saturating_mul(16).min(crate::frame::COMPACT_BELOW)
}

/// A column the rows of a chunk cut into parts carry: the chunk's number in the run (high
/// 32 bits) and the row in the chunk (low 32). Each event's place in the whole frame
/// (`parts::SEQ`) is made of it once every chunk's rows are counted ([`PartDrain::drain`]);
/// a piece joined from several chunks' small pieces keeps each row's own.
const PLACE: &str = "_place";

/// The most bytes of the budget kept for a batch's small pieces waiting for the batch's
/// end ([`Spill::room`]).
const DEFERRED: usize = 192 << 20;

/// The least room kept for them, whatever the budget: with none (a budget of 0, as the
/// by-parts read gives), each of 8,004 CloudTrail files went to disk alone, 6.2 -> 7.7 s
/// for `hunt` by parts.
const MIN_ROOM: usize = 32 << 20;

/// Order of an event in the whole frame: time, then input, chunk and row.
type Place = (i64, u32, u32, usize);

/// The run's pieces, budget and full tokens, shared by every chunk.
pub(crate) struct Spill<'a> {
    geo: Option<&'a GeoDatabases>,
    real_ip_from: &'a [Cidr],
    cut: Cut,
    budget: usize,
    /// The part of the budget kept for small pieces waiting for the end of their batch
    /// (a quarter, from [`MIN_ROOM`] to [`DEFERRED`]): other pieces go to disk once the
    /// bytes held pass the rest, so that those waiting do not take the bytes held past the
    /// budget (they took it 192 MiB past).
    room: usize,
    dir: PathBuf,
    hours: Mutex<Hours>,
    /// Every full token (secret kinds) by id: the kind of its last event in frame order.
    tokens: Mutex<HashMap<String, (Place, String)>>,
    error: Mutex<Option<PolarsError>>,
}

impl<'a> Spill<'a> {
    /// `budget`: bytes of pieces kept in memory before pieces go to `dir` (made when
    /// first needed, removed when the spill is dropped).
    pub(crate) fn new(
        geo: Option<&'a GeoDatabases>,
        real_ip_from: &'a [Cidr],
        budget: usize,
        dir: PathBuf,
    ) -> Spill<'a> {
        Spill {
            geo,
            real_ip_from,
            cut: Cut::Hours,
            budget,
            room: (budget / 4).clamp(MIN_ROOM, DEFERRED),
            dir,
            hours: Mutex::new(Hours::default()),
            tokens: Mutex::new(HashMap::new()),
            error: Mutex::new(None),
        }
    }

    /// Rows cut into `parts` parts rather than hours (see [`Cut`]).
    pub(crate) fn by_parts(mut self, parts: usize) -> Spill<'a> {
        self.cut = Cut::Parts(parts.max(1));
        self
    }

    /// The first error a chunk met while it was finished, held or spilled.
    fn check(&self) -> PolarsResult<()> {
        match self.error.lock().ok().and_then(|mut e| e.take()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Whether any piece went to disk.
    pub(crate) fn spilled(&self) -> bool {
        self.dir.exists()
    }

    fn fail(&self, e: PolarsError) {
        if let Ok(mut slot) = self.error.lock()
            && slot.is_none()
        {
            *slot = Some(e);
        }
    }

    /// A finished chunk: enriched, its full tokens noted, cut by hour, held or written.
    fn take(&self, job: &FileJob<'_>, chunk: u32, frame: PolarsResult<DataFrame>) {
        if let Err(e) = frame.and_then(|df| self.take_frame(job, chunk, df)) {
            self.fail(e);
        }
    }

    fn take_frame(&self, job: &FileJob<'_>, chunk: u32, mut df: DataFrame) -> PolarsResult<()> {
        crate::enrich::enrich_keeping(&mut df, self.geo, self.real_ip_from, None)?;
        // As `ingest::ingest` does: what enrichment made, repacked in a small chunk.
        crate::frame::compact_small_chunk(&mut df, crate::enrich::enriched::made)?;
        let ts: Vec<i64> = df
            .column(col::TS)?
            .datetime()?
            .physical()
            .into_no_null_iter()
            .collect();
        self.note_tokens(&df, &ts, job.file_index, chunk)?;
        self.cut(job.file_index, chunk, job.ctx.source.as_str(), df, &ts)
    }

    /// Chunk `chunk` of input `input` (its times `ts`) cut by hour or part, and held.
    fn cut(
        &self,
        input: u32,
        chunk: u32,
        source: &'static str,
        mut df: DataFrame,
        ts: &[i64],
    ) -> PolarsResult<()> {
        let in_keys = match self.cut {
            Cut::Hours => rows_by_hour(ts),
            Cut::Parts(parts) => {
                let rows = df.height();
                let id = {
                    let mut hours = self.lock_hours()?;
                    hours.chunks.push(((input, chunk), rows));
                    (hours.chunks.len() - 1) as u64
                };
                let place = (0..rows as u64).map(|row| (id << 32) | row).collect();
                df.with_column(UInt64Chunked::from_vec(PLACE.into(), place).into_column())?;
                match rows < small_below(parts) {
                    true => BTreeMap::from([(SMALL, (0..rows as IdxSize).collect())]),
                    false => rows_by_part(&df, parts, true)?,
                }
            }
        };
        self.hold(input, chunk, source, df, in_keys)
    }

    /// A chunk's rows in each hour (or part: [`Cut`]), each hour's piece held, and hours
    /// written to disk while the pieces held pass the budget. A row in none is left out.
    fn hold(
        &self,
        input: u32,
        chunk: u32,
        source: &'static str,
        mut df: DataFrame,
        in_hours: BTreeMap<i64, Vec<IdxSize>>,
    ) -> PolarsResult<()> {
        let cut = in_hours.len() > 1 || in_hours.values().any(|r| r.len() < df.height());
        // Cut into parts, a piece keeps its chunk's texts: `held_bytes` counts them whole for
        // each piece, so that pieces go to disk sooner than their share would send them,
        // never later; gathered anew, the gateway bench held 60 MB more for the same time
        // (docs/performance.md).
        let own_texts = self.budget > 0 && self.cut == Cut::Hours;
        for (hour, rows) in in_hours {
            let piece = match cut {
                false => std::mem::take(&mut df),
                // Column by column on this thread: see `write_pieces`.
                true => hour_piece(&df, &rows, own_texts)?,
            };
            let size = crate::frame::held_bytes(&piece);
            let schema = piece.schema().clone();
            // Held without the schema the frame keeps once asked (enrichment asks): 14
            // KB of names and types per piece, where a CloudTrail file is a piece of a
            // few records.
            let at_rows = piece.height();
            let mut piece = DataFrame::new(at_rows, piece.into_columns())?;
            let mut hours = self.lock_hours()?;
            if !hours.schemas.contains(&schema) {
                hours.schemas.push(schema);
            }
            let at = hours.by_hour.entry(hour).or_default();
            at.memory.push(Piece {
                input,
                chunk,
                source,
                frame: std::mem::take(&mut piece),
                bytes: size,
            });
            at.bytes += size;
            hours.held += size;
            // A small piece waits for the end of its batch of inputs, where it is joined
            // with its neighbours, before anything goes to disk for it (up to a part of
            // the budget kept for them, `room`): spilled as they came, a piece a
            // file, 99,813 CloudTrail records in 10,979 files took 10.5 s to ingest at
            // --memory-budget 0.
            let small = at_rows < crate::frame::COMPACT_BELOW;
            if small {
                hours.deferred += size;
            }
            if !small || hours.deferred > self.room {
                self.spill_over_budget(hours)?;
            }
        }
        Ok(())
    }

    /// Over budget: the hour holding most goes to disk whole, as one file (a spill of many
    /// small pieces, one CloudTrail file each, cost more than its bytes), until under it.
    /// Pieces being written still count: they are in memory until written. Under it means
    /// under the budget less the room kept for small pieces waiting ([`Spill::room`]), which
    /// is then free again.
    fn spill_over_budget<'s>(
        &'s self,
        mut hours: std::sync::MutexGuard<'s, Hours>,
    ) -> PolarsResult<()> {
        let limit = self.budget.saturating_sub(self.room);
        while hours.held + hours.writing > limit && hours.held > 0 {
            let Some((&largest, _)) = hours.by_hour.iter().max_by_key(|(_, h)| h.bytes) else {
                break;
            };
            let Some(at) = hours.by_hour.get_mut(&largest) else {
                break;
            };
            let pieces = std::mem::take(&mut at.memory);
            let bytes = std::mem::take(&mut at.bytes);
            at.settled = 0;
            at.spilled_in_batch = true;
            hours.held -= bytes;
            hours.writing += bytes;
            let n = hours.files;
            hours.files += 1;
            // Written without the lock: other chunks go on meanwhile.
            drop(hours);
            let spilled = self.write_pieces(pieces, n);
            hours = self.lock_hours()?;
            hours.writing -= bytes;
            hours
                .by_hour
                .entry(largest)
                .or_default()
                .disk
                .push(spilled?);
        }
        hours.deferred = 0;
        Ok(())
    }

    /// A batch of inputs is read: each hour's small pieces from it that follow each
    /// other in input order become one piece. A tree of small files (CloudTrail's
    /// five-minute deliveries) gives a piece a file, and each piece's columns cost their
    /// allocations whatever its rows (100,000 records in 10,979 files: 573 MB held for
    /// 14 MB of logs). Only pieces of this batch are joined: every piece of an earlier
    /// batch comes before them in input order and every later one after, so the joined
    /// piece takes its first piece's place. An hour that went to disk during the batch is
    /// left as it is (a piece on disk may lie between two in memory).
    pub(crate) fn join_small_pieces(&self) -> PolarsResult<()> {
        let mut guard = self.lock_hours()?;
        let hours = &mut *guard;
        hours.deferred = 0;
        for at in hours.by_hour.values_mut() {
            let spilled = std::mem::replace(&mut at.spilled_in_batch, false);
            if spilled || at.memory.len() - at.settled < 2 {
                at.settled = at.memory.len();
                continue;
            }
            let mut batch = at.memory.split_off(at.settled);
            batch.sort_by_key(|p| (p.input, p.chunk));
            let mut run: Vec<Piece> = Vec::new();
            let mut rows = 0;
            for piece in batch {
                let small = piece.frame.height() < crate::frame::COMPACT_BELOW;
                let joins = run.first().is_some_and(|first| {
                    first.source == piece.source
                        && crate::frame::same_columns(&first.frame, &piece.frame)
                });
                if !small || !joins || rows >= crate::frame::COMPACT_BELOW {
                    at.memory.extend(join_run(
                        std::mem::take(&mut run),
                        &mut at.bytes,
                        &mut hours.held,
                    )?);
                    rows = 0;
                }
                match small {
                    true => {
                        rows += piece.frame.height();
                        run.push(piece);
                    }
                    false => at.memory.push(piece),
                }
            }
            at.memory
                .extend(join_run(run, &mut at.bytes, &mut hours.held)?);
            at.settled = at.memory.len();
        }
        // What the batch's small pieces held beyond the budget goes now, joined.
        self.spill_over_budget(guard)
    }

    /// The small chunks to be cut into parts ([`SMALL`]), joined at the end of their
    /// batch, each cut now and held in its parts.
    pub(crate) fn cut_small(&self) -> PolarsResult<()> {
        self.cut_again(SMALL, true, Ok)
    }

    /// The pieces held under `key` (those on disk read back), each made anew by `make` and
    /// cut into parts (token prefixes without a principal under [`UNPLACED`] if
    /// `unplaced`), and held again.
    fn cut_again(
        &self,
        key: i64,
        unplaced: bool,
        make: impl Fn(DataFrame) -> PolarsResult<DataFrame>,
    ) -> PolarsResult<()> {
        let Cut::Parts(parts) = self.cut else {
            return Ok(());
        };
        let taken = {
            let mut hours = self.lock_hours()?;
            let at = hours.by_hour.remove(&key);
            if let Some(at) = &at {
                hours.held = hours.held.saturating_sub(at.bytes);
            }
            at
        };
        let Some(at) = taken else {
            return Ok(());
        };
        for piece in hour_pieces(at)? {
            let frame = make(piece.frame)?;
            let in_parts = rows_by_part(&frame, parts, unplaced)?;
            self.hold(piece.input, piece.chunk, piece.source, frame, in_parts)?;
        }
        Ok(())
    }

    fn lock_hours(&self) -> PolarsResult<std::sync::MutexGuard<'_, Hours>> {
        lock(&self.hours)
    }

    fn note_tokens(&self, df: &DataFrame, ts: &[i64], input: u32, chunk: u32) -> PolarsResult<()> {
        let kind = df.column(col::CREDENTIAL_KIND)?.str()?;
        let id = df.column(col::CREDENTIAL_ID)?.str()?;
        let mut tokens = lock(&self.tokens)?;
        for (row, (k, c)) in kind.iter().zip(id.iter()).enumerate() {
            let (Some(k), Some(c)) = (k, c) else { continue };
            if !SECRET_KINDS.contains(&k) {
                continue;
            }
            let place = (ts[row], input, chunk, row);
            match tokens.get_mut(c) {
                Some(seen) if seen.0 >= place => {}
                Some(seen) => *seen = (place, k.to_string()),
                None => {
                    tokens.insert(c.to_string(), (place, k.to_string()));
                }
            }
        }
        Ok(())
    }

    /// One hour's pieces, in one spill file.
    fn write_pieces(&self, pieces: Vec<Piece>, n: usize) -> PolarsResult<Spilled> {
        std::fs::create_dir_all(&self.dir).map_err(|e| spill_error(&self.dir, e))?;
        let path = self.dir.join(format!("{n}.parquet"));
        let layout = ExtraLayout::of(pieces.iter().map(|p| p.frame.schema().as_ref()));
        let schema = match pieces.first() {
            Some(p) => {
                let mut schema = layout.apply_schema(p.frame.schema());
                if p.frame.schema().contains(PLACE) {
                    schema.insert(PLACE.into(), DataType::UInt64);
                }
                schema
            }
            None => Schema::default(),
        };
        let file = File::create(&path).map_err(|e| spill_error(&path, e))?;
        let failed = |e: PolarsError| spill_error(&path, std::io::Error::other(e.to_string()));
        // Fast to write and read back: the spill lives for one run. Each piece is a row
        // group of its own (joining them first copied the hour). Written on this thread:
        // this runs on a worker of the parse pool, and a worker that waits for Polars'
        // pool runs other inputs' work meanwhile, each of which may spill and wait again
        // (2,000 CloudTrail files overflowed the stack).
        let mut writer = RowGroupWriter::new(
            std::io::BufWriter::new(file),
            &schema,
            ParquetSettings::SCRATCH,
        )
        .map_err(failed)?
        .on_this_thread();
        let mut placed = Vec::with_capacity(pieces.len());
        for p in pieces {
            placed.push((p.input, p.chunk, p.source, p.frame.height()));
            let mut frame = with_place(p.frame, |f| layout.apply(f))?;
            frame.rechunk_mut();
            writer.write(&frame).map_err(failed)?;
        }
        writer.finish().map_err(failed)?;
        Ok(Spilled {
            path,
            pieces: placed,
        })
    }

    /// Every hour in order, its rows as the whole frame would hold them (with the source
    /// of each row kept), to `out`, after its schema; repeated deliveries counted on
    /// `files`. Returns the rows written, and the busiest hour.
    pub(crate) fn drain(
        self,
        files: &mut [FileReport],
        out: &mut dyn HourWriter,
    ) -> crate::error::Result<(usize, BusiestHour)> {
        // A chunk that could not be held or spilled fails the run before any output.
        self.check()?;
        let hours = std::mem::take(&mut *self.lock_hours()?);
        let (layout, columns) = self.layout_of(&hours.schemas)?;
        out.start(&columns)?;
        let tokens = self.full_tokens()?;
        let full = FullTokens::new(tokens.iter().map(|(id, kind)| (id.as_str(), kind.as_str())));
        let make = |hour: i64, at: Hour, files: &mut [FileReport]| -> PolarsResult<HourFrame> {
            let pieces = hour_pieces(at)?;
            let sources = pieces.iter().map(|p| p.source).collect();
            let chunks = pieces
                .into_iter()
                .map(|p| layout.apply(p.frame))
                .collect::<PolarsResult<Vec<_>>>()?;
            let frame = sorted_concat(chunks, self.geo, self.real_ip_from, false)?;
            let frame = remove_duplicates(frame, files)?;
            let frame = link::link_token_prefixes_with(frame, &full)?;
            Ok(HourFrame {
                hour,
                sources,
                frame,
            })
        };
        // The next hour is made while this one is written.
        let (tx, rx) = std::sync::mpsc::sync_channel::<PolarsResult<HourFrame>>(1);
        std::thread::scope(|scope| {
            let maker = scope.spawn(move || {
                for (hour, at) in hours.by_hour {
                    let made = make(hour, at, files);
                    let failed = made.is_err();
                    if tx.send(made).is_err() || failed {
                        return;
                    }
                }
            });
            let mut rows = 0;
            let mut busiest = BusiestHour::default();
            let written = rx.into_iter().try_for_each(|made| {
                let hour = made?;
                rows += hour.frame.height();
                let bytes = crate::frame::held_bytes(&hour.frame);
                if bytes > busiest.bytes {
                    busiest = BusiestHour {
                        start: hour.hour.saturating_mul(HOUR),
                        events: hour.frame.height(),
                        bytes,
                    };
                }
                out.write(hour)
            });
            let _ = maker.join();
            written.map(|()| (rows, busiest))
        })
    }
}

/// The hour that took the most memory as it was written (an hour is made and written
/// whole, whatever the budget): its start (UTC nanoseconds), events and size
/// (`frame::held_bytes`).
#[derive(Debug, Default, Clone, Copy)]
pub struct BusiestHour {
    pub start: i64,
    pub events: usize,
    pub bytes: usize,
}

impl BusiestHour {
    /// Said when it took more than `budget` (bytes): the budget cannot split an hour.
    pub fn warn_if_beyond(&self, budget: u64) {
        if self.bytes as u64 <= budget {
            return;
        }
        let start = chrono::DateTime::from_timestamp_nanos(self.start);
        crate::messages::warn(format!(
            "warning: the busiest hour, {} UTC, is more than --memory-budget {} MiB \
             allows: {} events, {} in memory; an hour is written whole (docs/scale.md)",
            start.format("%Y-%m-%d %H:00"),
            budget >> 20,
            self.events,
            crate::app::gb(self.bytes as u64),
        ));
    }
}

impl Spill<'_> {
    /// Every full token (secret kinds) with the kind of its last event in frame order.
    fn full_tokens(&self) -> PolarsResult<Vec<(String, String)>> {
        let mut tokens: Vec<(String, (Place, String))> = std::mem::take(&mut *lock(&self.tokens)?)
            .into_iter()
            .collect();
        // `FullTokens` keeps the last kind it is given for an id: the last in frame order.
        tokens.sort_by_key(|(_, (place, _))| *place);
        Ok(tokens
            .into_iter()
            .map(|(id, (_, kind))| (id, kind))
            .collect())
    }

    /// The token prefixes without a principal ([`UNPLACED`]), read back once every input
    /// is read, linked to their full tokens (the whole run's), and held again, each in its
    /// token's part (an unlinked one in its prefix's), as if cut there.
    fn place_prefixes(&self, full: &FullTokens<'_>) -> PolarsResult<()> {
        self.cut_again(UNPLACED, false, |frame| {
            link::link_token_prefixes_with(frame, full)
        })
    }

    /// Every input read into parts: the parts to be made whole, one after the other.
    pub(crate) fn into_part_drain(mut self) -> crate::error::Result<PartDrain> {
        self.check()?;
        let Cut::Parts(parts) = self.cut else {
            return Err(polars_err!(ComputeError: "a spill of hours drained as parts").into());
        };
        self.cut_small()?;
        let tokens = self.full_tokens()?;
        let full = FullTokens::new(tokens.iter().map(|(id, kind)| (id.as_str(), kind.as_str())));
        self.place_prefixes(&full)?;
        let hours = std::mem::take(&mut *self.lock_hours()?);
        let (layout, mut schema) = self.layout_of(&hours.schemas)?;
        let _ = schema.shift_remove(PLACE);
        schema.insert(crate::parts::SEQ.into(), DataType::UInt64);
        // The folder is the drain's to remove now.
        let dir = std::mem::take(&mut self.dir);
        Ok(PartDrain {
            parts,
            hours,
            tokens,
            layout,
            schema,
            dir,
        })
    }

    /// The layout of pieces of `schemas` (their extra columns), and the columns the
    /// frame they make has: a frame of no events' when there is no piece.
    fn layout_of(&self, schemas: &[SchemaRef]) -> PolarsResult<(ExtraLayout, Schema)> {
        let layout = ExtraLayout::of(schemas.iter().map(|s| s.as_ref()));
        let columns = match schemas.first() {
            Some(first) => layout.apply_schema(first),
            None => {
                let mut empty = crate::frame::empty_frame()?;
                crate::enrich::enrich(&mut empty, self.geo, self.real_ip_from)?;
                empty.schema().as_ref().clone()
            }
        };
        Ok((layout, columns))
    }
}

/// Raw logs read into parts (held, or spilled, as [`Spill`] holds hours), to be made whole
/// one part at a time ([`PartDrain::drain`]): `hunt` and `score` by parts score each part
/// as it is made, with no pass over every event between the read and the scoring.
pub struct PartDrain {
    parts: usize,
    hours: Hours,
    /// Every full token (id, kind), in frame order.
    tokens: Vec<(String, String)>,
    /// The pieces' extra columns.
    layout: ExtraLayout,
    /// The columns of every part, [`crate::parts::SEQ`] last.
    schema: Schema,
    dir: PathBuf,
}

impl PartDrain {
    /// How many parts.
    pub fn parts(&self) -> usize {
        self.parts
    }

    /// Each part in order, whole: its events as the whole frame holds them (in time
    /// order, equal times in input order, with [`crate::parts::SEQ`] their place in it;
    /// rid of repeated deliveries, counted on `files`; token prefixes linked), with the
    /// columns of [`PartDrain::schema`], handed to `each` with the part's number. A
    /// repeated delivery has its original's group, so both are in one part.
    pub fn drain(
        mut self,
        files: &mut [FileReport],
        each: &mut dyn FnMut(usize, DataFrame) -> crate::error::Result<()>,
    ) -> crate::error::Result<()> {
        let full =
            FullTokens::new((self.tokens.iter()).map(|(id, kind)| (id.as_str(), kind.as_str())));
        // The chunks in the whole frame's order: each one's first place in it.
        let mut order: Vec<usize> = (0..self.hours.chunks.len()).collect();
        order.sort_by_key(|&i| self.hours.chunks[i].0);
        let mut bases = vec![0u64; order.len()];
        let mut next = 0u64;
        for i in order {
            bases[i] = next;
            next += self.hours.chunks[i].1 as u64;
        }
        let mut by_part = std::mem::take(&mut self.hours.by_hour);
        // One part at a time: made while the last one was scored (a thread making the
        // next) was no faster, and held a part more (docs/performance.md).
        for p in 0..self.parts {
            let at = by_part.remove(&(p as i64)).unwrap_or_default();
            let frame = made_whole(at, &self.layout, &bases, &self.schema)?;
            let frame = remove_duplicates(frame, files)?;
            let frame = link::link_token_prefixes_with(frame, &full)?;
            debug_assert!(
                rows_by_part(&frame, self.parts, false)?
                    .keys()
                    .all(|&k| k == p as i64),
                "an event of part {p} is not in its group's part"
            );
            each(p, frame)?;
        }
        Ok(())
    }

    /// The columns of every part, [`crate::parts::SEQ`] last.
    pub fn schema(&self) -> Schema {
        self.schema.clone()
    }
}

/// One part's pieces joined into its events in the whole frame's order, each with its
/// place there ([`crate::parts::SEQ`]: its chunk's first place, `bases`, and its row),
/// packed: the pieces read back from disk each hold texts of their own, which a plain
/// gather copied row by row (a 2 GB gateway log's hunt by parts peaked at 479-491 MB,
/// now 361-381 MB at 256 MiB).
fn made_whole(
    at: Hour,
    layout: &ExtraLayout,
    bases: &[u64],
    schema: &Schema,
) -> crate::error::Result<DataFrame> {
    let mut frames = Vec::new();
    for piece in hour_pieces(at)? {
        let mut frame = piece.frame;
        let place = frame.drop_in_place(PLACE)?;
        let seq: Vec<u64> = (place.u64()?.into_no_null_iter())
            .map(|p| bases.get((p >> 32) as usize).copied().unwrap_or(0) + (p & 0xFFFF_FFFF))
            .collect();
        let mut frame = layout.apply(frame)?;
        frame.with_column(UInt64Chunked::from_vec(crate::parts::SEQ.into(), seq).into_column())?;
        frames.push(frame);
    }
    crate::parts::in_order(frames, schema)
}

impl Drop for PartDrain {
    fn drop(&mut self) {
        if self.dir.exists() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl Drop for Spill<'_> {
    fn drop(&mut self) {
        if self.dir.exists() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// `apply` to `df` without its [`PLACE`] column (a layout selects the columns it knows),
/// which is then put back last.
fn with_place(
    mut df: DataFrame,
    apply: impl FnOnce(DataFrame) -> PolarsResult<DataFrame>,
) -> PolarsResult<DataFrame> {
    let place = match df.schema().contains(PLACE) {
        true => Some(df.drop_in_place(PLACE)?),
        false => None,
    };
    let mut df = apply(df)?;
    if let Some(place) = place {
        df.with_column(place)?;
    }
    Ok(df)
}

fn lock<T>(m: &Mutex<T>) -> PolarsResult<std::sync::MutexGuard<'_, T>> {
    m.lock()
        .map_err(|_| polars_err!(ComputeError: "spill lock poisoned"))
}

fn spill_error(path: &Path, e: std::io::Error) -> PolarsError {
    polars_err!(
        ComputeError: "cannot write {} (events beyond --memory-budget wait there until written): {e}; \
        free space beside the output, or give a larger --memory-budget",
        path.display()
    )
}

/// Pieces that follow each other in input order, as one piece in the first one's place;
/// the bytes held (`hour`, `all`) follow the joined piece's size.
fn join_run(run: Vec<Piece>, hour: &mut usize, all: &mut usize) -> PolarsResult<Option<Piece>> {
    let Some(first) = run.first() else {
        return Ok(None);
    };
    let (input, chunk, source) = (first.input, first.chunk, first.source);
    if run.len() == 1 {
        return Ok(run.into_iter().next());
    }
    let before: usize = run.iter().map(|p| p.bytes).sum();
    let joined = crate::frame::join_small(run.into_iter().map(|p| p.frame).collect())?;
    let after = crate::frame::held_bytes(&joined);
    *hour = (*hour + after).saturating_sub(before);
    *all = (*all + after).saturating_sub(before);
    // A frame made anew: no schema cached, as `take_frame` holds pieces.
    Ok(Some(Piece {
        input,
        chunk,
        source,
        frame: joined,
        bytes: after,
    }))
}

/// An hour's pieces, those on disk read back, in input order (the order the whole frame
/// joins chunks in before its stable sort by time).
fn hour_pieces(at: Hour) -> PolarsResult<Vec<Piece>> {
    // Files read in parallel, each on one thread when there are more than threads: a
    // worker that waits for Polars' pool to read one file runs the reads of others
    // meanwhile, each waiting again, and an hour of 8,004 CloudTrail files spilled one
    // by one at budget 0 overflowed the stack.
    let parallel = match at.disk.len() > rayon::current_num_threads() {
        true => ParallelStrategy::None,
        false => ParallelStrategy::Auto,
    };
    let read = at
        .disk
        .into_par_iter()
        .map(|spilled| {
            let file = File::open(&spilled.path).map_err(|e| {
                polars_err!(ComputeError: "cannot read the spill file {}: {e}", spilled.path.display())
            })?;
            let all = ParquetReader::new(file).read_parallel(parallel).finish()?;
            let _ = std::fs::remove_file(&spilled.path);
            let mut offset = 0i64;
            Ok(spilled
                .pieces
                .into_iter()
                .map(|(input, chunk, source, rows)| {
                    let frame = all.slice(offset, rows);
                    offset += rows as i64;
                    Piece {
                        input,
                        chunk,
                        source,
                        frame,
                        // Read back to be written: no longer in the bytes held.
                        bytes: 0,
                    }
                })
                .collect::<Vec<_>>())
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    let mut pieces = at.memory;
    pieces.extend(read.into_iter().flatten());
    pieces.sort_by_key(|p| (p.input, p.chunk));
    Ok(pieces)
}

/// One hour of the output, in frame order.
pub struct HourFrame {
    pub hour: i64,
    /// The sources with rows in it.
    pub sources: BTreeSet<&'static str>,
    pub frame: DataFrame,
}

impl HourFrame {
    /// The UTC day of the hour, as days since the epoch.
    pub fn day(&self) -> i64 {
        self.hour.div_euclid(24)
    }
}

/// A chunk of events finished as soon as it is parsed, into the run's [`Spill`].
pub(crate) struct SpillSink {
    builder: Option<FrameBuilder>,
    chunk: u32,
}

impl Sink for SpillSink {
    type Done = ();
    const SIZED_BY_ROWS: bool = true;
    const FIRST_LINE_EARLY: bool = true;

    fn start(job: &FileJob<'_>, chunk: u32, capacity: usize) -> Self {
        SpillSink {
            builder: Some(<FrameBuilder as Sink>::start(job, chunk, capacity)),
            chunk,
        }
    }

    fn push(
        &mut self,
        job: &FileJob<'_>,
        ev: &tokentrail_parsers::Event<'_>,
        line: u64,
        record_index: Option<u32>,
        offset: u64,
    ) {
        if let Some(b) = self.builder.as_mut() {
            <FrameBuilder as Sink>::push(b, job, ev, line, record_index, offset);
        }
    }

    fn parsed(mut self, job: &FileJob<'_>, first_line: Option<u64>) -> Self {
        if let (Some(first), Some(spill)) = (first_line, job.spill)
            && let Some(b) = self.builder.take().filter(|b| !b.is_empty())
        {
            spill.take(job, self.chunk, b.finish(&job.ctx, first));
        }
        self
    }

    fn is_empty(&self) -> bool {
        self.builder.as_ref().is_none_or(FrameBuilder::is_empty)
    }

    fn finish(mut self, job: &FileJob<'_>, first_line: u64) -> PolarsResult<()> {
        if let (Some(b), Some(spill)) = (self.builder.take(), job.spill) {
            spill.take(job, self.chunk, b.finish(&job.ctx, first_line));
        }
        Ok(())
    }
}

/// A mask of `len` rows with those of `run` set, made a run of bits at a time.
/// The `rows` of a chunk cut into hours, its texts in buffers of its own: each distinct text
/// once ([`crate::frame::compact_gathered`]). Filtered, each piece kept the whole chunk's
/// text buffers alive while counting its share of them, so writing an hour to disk freed
/// nothing until every hour of the chunk had gone: `ingest` of a gateway log whose 16 MiB
/// chunks span 18 hours held 1.8 GB under the 1 GiB budget, 1.4 GB under 256 MiB.
/// `own_texts` false (a budget of 0: every piece goes to disk as it comes; or pieces cut
/// by part, each counted with the chunk's whole buffers): the views are gathered and the
/// chunk's buffers shared (gathering each piece's texts anew cost 9% of `ingest
/// --memory-budget 0` of a gateway log).
fn hour_piece(df: &DataFrame, rows: &[IdxSize], own_texts: bool) -> PolarsResult<DataFrame> {
    let columns = df
        .columns()
        .iter()
        .map(|c| match c.dtype() {
            DataType::String if own_texts && c.null_count() < c.len() => {
                Ok(crate::frame::compact_gathered(c.str()?, rows).into_column())
            }
            _ => c.take_slice(rows),
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    DataFrame::new(rows.len(), columns)
}

/// The rows of each UTC hour of the times `ts`, by hour. A log written in time order (or
/// newest first) holds each hour's rows in one run: one lookup a run, not a row.
fn rows_by_hour(ts: &[i64]) -> BTreeMap<i64, Vec<IdxSize>> {
    let mut by_hour: BTreeMap<i64, Vec<IdxSize>> = BTreeMap::new();
    let mut run: Option<(i64, Vec<IdxSize>)> = None;
    for (row, t) in ts.iter().enumerate() {
        let hour = t.div_euclid(HOUR);
        match &mut run {
            Some((h, rows)) if *h == hour => rows.push(row as IdxSize),
            _ => {
                if let Some((h, rows)) = run.replace((hour, vec![row as IdxSize])) {
                    by_hour.entry(h).or_default().extend(rows);
                }
            }
        }
    }
    if let Some((h, rows)) = run {
        by_hour.entry(h).or_default().extend(rows);
    }
    by_hour
}

/// The rows of each part ([`Cut::Parts`]) by part, and under [`UNPLACED`] the token
/// prefixes without a principal when `unplaced` (else in their prefix's part: linked to no
/// full token). A row of no group (no principal, no credential) is in none: `hunt` reads
/// no such event.
fn rows_by_part(
    df: &DataFrame,
    parts: usize,
    unplaced: bool,
) -> PolarsResult<BTreeMap<i64, Vec<IdxSize>>> {
    let principal = df.column(col::PRINCIPAL)?.str()?;
    let credential = df.column(col::CREDENTIAL_ID)?.str()?;
    let kind = df.column(col::CREDENTIAL_KIND)?.str()?;
    let mut by_part: Vec<Vec<IdxSize>> = vec![Vec::new(); parts];
    let mut prefixes = Vec::new();
    let rows = principal.iter().zip(credential.iter()).zip(kind.iter());
    for (row, ((p, c), k)) in rows.enumerate() {
        if unplaced && p.is_none() && k == Some(link::TOKEN_PREFIX_KIND) {
            prefixes.push(row as IdxSize);
        } else if let Some(key) = crate::score::group_key_of(p, c) {
            by_part[crate::parts::part_of(key, parts)].push(row as IdxSize);
        }
    }
    let mut by_key: BTreeMap<i64, Vec<IdxSize>> = (by_part.into_iter().enumerate())
        .filter(|(_, rows)| !rows.is_empty())
        .map(|(p, rows)| (p as i64, rows))
        .collect();
    if !prefixes.is_empty() {
        by_key.insert(UNPLACED, prefixes);
    }
    Ok(by_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chunk of `rows` events from hour `first` on, `per_hour` a hour: a long text that
    /// differs each row, one that repeats, one null in every row.
    fn chunk(first: i64, rows: usize, per_hour: usize) -> (DataFrame, Vec<i64>) {
        let ts: Vec<i64> = (0..rows)
            .map(|i| (first + (i / per_hour) as i64) * HOUR + i as i64)
            .collect();
        let paths: Vec<String> = (0..rows)
            .map(|i| format!("/api/v1/projects/{first}/builds/{i}?page=2"))
            .collect();
        let agents = [
            "curl/8.4.0 (x86_64-pc-linux-gnu)",
            "Mozilla/5.0 (X11; Linux)",
        ];
        let df = DataFrame::new(
            rows,
            vec![
                Int64Chunked::from_vec("ts".into(), ts.clone()).into_column(),
                StringChunked::from_iter_values("path".into(), paths.iter().map(|p| p.as_str()))
                    .into_column(),
                StringChunked::from_iter_values("agent".into(), (0..rows).map(|i| agents[i % 2]))
                    .into_column(),
                Column::full_null("user".into(), rows, &DataType::String),
                Int64Chunked::from_vec("status".into(), vec![200; rows]).into_column(),
            ],
        )
        .unwrap();
        (df, ts)
    }

    fn spill(budget: usize) -> (tempfile::TempDir, Spill<'static>) {
        let dir = tempfile::tempdir().unwrap();
        let spill = Spill::new(None, &[], budget, dir.path().join("spill"));
        (dir, spill)
    }

    /// Each hour cut from a chunk holds its rows' texts in buffers of its own: writing an
    /// hour to disk frees what it counted (pieces filtered from the chunk shared its
    /// buffers, and kept them alive while any hour of it stayed in memory).
    #[test]
    fn an_hour_cut_from_a_chunk_holds_its_own_texts() {
        let (_dir, spill) = spill(1 << 30);
        let (df, ts) = chunk(490_000, 9_000, 3_000);
        spill
            .hold(0, 0, "nginx", df.clone(), rows_by_hour(&ts))
            .unwrap();
        let hours = spill.hours.lock().unwrap();
        assert_eq!(hours.by_hour.len(), 3);
        let mut counted = 0;
        let mut row = 0;
        for (h, at) in &hours.by_hour {
            let [piece] = &at.memory[..] else {
                panic!("hour {h}: {} pieces", at.memory.len())
            };
            assert_eq!(piece.bytes, crate::frame::held_bytes(&piece.frame));
            counted += piece.bytes;
            let rows = piece.frame.height();
            assert!(
                piece.frame.equals_missing(&df.slice(row as i64, rows)),
                "hour {h}"
            );
            row += rows;
            for name in ["path", "agent"] {
                let texts = piece.frame.column(name).unwrap().str().unwrap();
                for a in texts.downcast_iter() {
                    for b in a.data_buffers().iter() {
                        assert_eq!(b.storage_refcount(), 1, "hour {h}, {name}: shared");
                    }
                }
            }
            // Each distinct text once: the two user agents, not one a row.
            let agents = piece.frame.column("agent").unwrap().str().unwrap();
            let bytes: usize = agents
                .downcast_iter()
                .flat_map(|a| a.data_buffers().iter().map(|b| b.len()))
                .sum();
            assert!(bytes < 64, "hour {h}: {bytes} bytes of user agents");
        }
        assert_eq!(row, 9_000);
        assert_eq!(hours.held, counted);
    }

    /// Every hour written, in order, to a list.
    #[derive(Default)]
    struct Written(Vec<HourFrame>);

    impl HourWriter for Written {
        fn start(&mut self, _: &Schema) -> crate::error::Result<()> {
            Ok(())
        }
        fn write(&mut self, hour: HourFrame) -> crate::error::Result<()> {
            self.0.push(hour);
            Ok(())
        }
    }

    /// An hour spilled as a thousand files, one a piece (nothing held: no budget and no
    /// room), is read back whole and in order: each file read on one thread, where a
    /// worker waiting for Polars' pool to read one read others meanwhile, each waiting
    /// again, until the stack overflowed (8,004 CloudTrail files by parts).
    #[test]
    fn an_hour_spilled_as_a_thousand_files_is_read_back() {
        let rows = 1_000;
        let df = crate::frame::nginx_chunk(&crate::frame::nginx_requests(rows), false);
        let ts: Vec<i64> = df
            .column(col::TS)
            .unwrap()
            .datetime()
            .unwrap()
            .physical()
            .into_no_null_iter()
            .collect();
        let (_dir, mut spill) = spill(0);
        spill.room = 0;
        for i in 0..rows {
            let one = df.slice(i as i64, 1);
            spill
                .hold(i as u32, 0, "nginx", one, rows_by_hour(&ts[i..=i]))
                .unwrap();
        }
        {
            let hours = spill.hours.lock().unwrap();
            let [(_, at)] = &hours.by_hour.iter().collect::<Vec<_>>()[..] else {
                panic!("{} hours", hours.by_hour.len())
            };
            assert_eq!((at.memory.len(), at.disk.len()), (0, rows));
        }
        let mut written = Written::default();
        assert_eq!(spill.drain(&mut [], &mut written).unwrap().0, rows);
        let [hour] = &written.0[..] else {
            panic!("{} hours written", written.0.len())
        };
        let lines: Vec<u64> = hour
            .frame
            .column(col::LINE)
            .unwrap()
            .u64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(lines, (1..=rows as u64).collect::<Vec<_>>());
    }

    /// The rows of each hour, in order, whether a chunk's hours come in runs (in time
    /// order, or newest first) or mixed.
    #[test]
    fn rows_by_hour_in_runs_or_mixed() {
        let at = |hours: &[i64]| -> Vec<(i64, Vec<IdxSize>)> {
            let ts: Vec<i64> = hours.iter().map(|h| h * HOUR + 7).collect();
            rows_by_hour(&ts).into_iter().collect()
        };
        assert_eq!(
            at(&[5, 5, 6, 6, 6]),
            vec![(5, vec![0, 1]), (6, vec![2, 3, 4])]
        );
        assert_eq!(at(&[6, 6, 5]), vec![(5, vec![2]), (6, vec![0, 1])]);
        assert_eq!(
            at(&[5, 6, 5, -1, 6]),
            vec![(-1, vec![3]), (5, vec![0, 2]), (6, vec![1, 4])]
        );
        assert!(at(&[]).is_empty());
    }

    /// The pieces held stay within the budget, small pieces waiting to be joined
    /// included; the rest goes to disk.
    #[test]
    fn pieces_held_stay_within_the_budget() {
        let budget = 2 << 20;
        let (_dir, mut spill) = spill(budget);
        // A quarter of the budget, as a budget of 128 MiB or more keeps.
        spill.room = budget / 4;
        let mut waited = false;
        for c in 0..40u32 {
            // Pieces of 1,500 rows (small: they wait for the batch's end to be joined),
            // and every fourth chunk's of 6,000.
            let per_hour = if c % 4 == 0 { 6_000 } else { 1_500 };
            let (df, ts) = chunk(490_000 + 3 * c as i64, 3 * per_hour, per_hour);
            spill.hold(c, 0, "nginx", df, rows_by_hour(&ts)).unwrap();
            let hours = spill.hours.lock().unwrap();
            // Other pieces leave the room free; small ones fill it, then all go under
            // the rest again.
            assert!(hours.held <= budget, "chunk {c}: {} held", hours.held);
            waited |= hours.held > budget - spill.room;
        }
        assert!(waited, "no small piece ever waited in the room");
        assert!(spill.spilled());
        let hours = spill.hours.lock().unwrap();
        let in_memory: usize = hours
            .by_hour
            .values()
            .flat_map(|h| &h.memory)
            .map(|p| p.bytes)
            .sum();
        assert_eq!(hours.held, in_memory);
        assert!(hours.by_hour.values().any(|h| !h.disk.is_empty()));
    }

    /// Chunks cut into parts as they come (out of input order, their times overlapping,
    /// a third of the events with no principal), some held, some spilled, small pieces of
    /// several chunks joined: each part is made whole as the whole frame holds its events
    /// (time, then input, chunk and row), every event in its group's part.
    #[test]
    fn parts_are_made_whole_in_the_order_of_the_whole_frame() {
        // The first chunk large enough for its pieces to go to disk at budget 0; the second
        // too small to be cut alone (held whole, and cut at the end of its batch); the
        // third cut alone, its pieces small (held, and joined at the end of the read).
        let sizes = [13_000, 40, 300];
        let lines = |chunk: usize| -> Vec<String> {
            (0..sizes[chunk])
                .map(|r| {
                    let i = chunk * 100_000 + r;
                    let user = match i % 3 {
                        0 => "-".to_string(),
                        _ => format!("user{}", i % 7),
                    };
                    format!(
                        "10.0.0.{} - {user} [04/Mar/2026:01:{:02}:{:02} +0000] \"GET /api/v1/items?access_token=tt_live_{}abcdefghijklmnopqrstuvwxyz0123 HTTP/1.1\" 200 {i} \"-\" \"curl/8.4.0\"",
                        i % 50,
                        (r % 300 / 5) / 60,
                        (r % 300 / 5) % 60,
                        i % 5,
                    )
                })
                .collect()
        };
        // (input, chunk) of the three chunks, in the order they are finished.
        let chunks = [(1u32, 0u32), (0, 1), (0, 0)];
        let mut frames: Vec<DataFrame> = (0..chunks.len())
            .map(|c| crate::frame::nginx_chunk(&lines(c), false))
            .collect();
        // The large chunk's log format has a field of its own (`x_…`, as a `log_format`
        // gives): its pieces on disk and the others in memory have different columns.
        let extra: Vec<String> = (0..sizes[0]).map(|r| format!("rt{r}")).collect();
        let extra =
            StringChunked::from_iter_values("x_rt".into(), extra.iter().map(|s| s.as_str()));
        frames[0].with_column(extra.into_column()).unwrap();
        let parts = 3;
        for budget in [0, 1 << 30] {
            let (_dir, spill) = spill(budget);
            let spill = spill.by_parts(parts);
            for (&(input, chunk), df) in chunks.iter().zip(&frames) {
                let ts: Vec<i64> = (df.column(col::TS).unwrap().datetime().unwrap())
                    .physical()
                    .into_no_null_iter()
                    .collect();
                spill.cut(input, chunk, "nginx", df.clone(), &ts).unwrap();
                // The first two chunks finish a batch of inputs together (the last is cut
                // when the parts are drained).
                if input == 0 && chunk == 1 {
                    spill.join_small_pieces().unwrap();
                    spill.cut_small().unwrap();
                }
            }
            assert_eq!(spill.spilled(), budget == 0);
            assert!(sizes[1] < small_below(parts) && sizes[2] >= small_below(parts));
            let drain = spill.into_part_drain().unwrap();
            let mut made = vec![DataFrame::empty(); parts];
            drain
                .drain(&mut [], &mut |p, df| {
                    made[p] = df;
                    Ok(())
                })
                .unwrap();
            // The whole frame: the chunks in input order, then in time order (stable).
            let mut in_input_order: Vec<usize> = (0..chunks.len()).collect();
            in_input_order.sort_by_key(|&c| chunks[c]);
            let mut whole: Vec<(i64, u64, String)> = Vec::new();
            for c in in_input_order {
                let df = &frames[c];
                let ts = df
                    .column(col::TS)
                    .unwrap()
                    .datetime()
                    .unwrap()
                    .physical()
                    .clone();
                let bytes = df
                    .column(col::BYTES)
                    .unwrap()
                    .cast(&DataType::UInt64)
                    .unwrap();
                let bytes = bytes.u64().unwrap().clone();
                let principal = df.column(col::PRINCIPAL).unwrap().str().unwrap().clone();
                let credential = df
                    .column(col::CREDENTIAL_ID)
                    .unwrap()
                    .str()
                    .unwrap()
                    .clone();
                for r in 0..df.height() {
                    let (p, c) = (principal.get(r), credential.get(r));
                    let key = crate::score::group_key_of(p, c).unwrap().to_string();
                    whole.push((ts.get(r).unwrap(), bytes.get(r).unwrap(), key));
                }
            }
            whole.sort_by_key(|(t, _, _)| *t);
            for (p, df) in made.iter().enumerate() {
                let expected: Vec<u64> = (whole.iter())
                    .filter(|(_, _, key)| crate::parts::part_of(key, parts) == p)
                    .map(|(_, bytes, _)| *bytes)
                    .collect();
                assert!(!expected.is_empty());
                let bytes = df
                    .column(col::BYTES)
                    .unwrap()
                    .cast(&DataType::UInt64)
                    .unwrap();
                let got: Vec<u64> = bytes.u64().unwrap().into_no_null_iter().collect();
                assert_eq!(got, expected, "part {p}, budget {budget}");
                assert!(!df.schema().contains(PLACE));
                // The extra field where the large chunk's events had it, null elsewhere.
                let x = df.column("x_rt").unwrap().str().unwrap();
                for (b, x) in got.iter().zip(x.iter()) {
                    let own = (*b < 100_000).then(|| format!("rt{b}"));
                    assert_eq!(x.map(str::to_string), own, "part {p}, budget {budget}");
                }
            }
        }
    }
}
