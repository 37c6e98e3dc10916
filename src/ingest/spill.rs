//! `ingest` without the whole event frame in memory.
//!
//! The frame of a 2 GB nginx log needs 6 GB; an archive of months would need more than any
//! laptop has. Each chunk is finished as soon as it is parsed (the reader counts lines, so
//! a chunk knows its first line before the chunks before it are parsed), enriched, and cut
//! into one piece per UTC hour. Pieces stay in memory up to a budget and are written to a
//! spill folder beside the output beyond it. Then the hours are written in order: each
//! hour's pieces joined in input order, sorted, rid of repeated deliveries and linked to
//! full tokens exactly as the whole frame would be (a repeated delivery has its original's
//! time, so both are in one hour; the full tokens are gathered from every chunk while they
//! are read), and appended to the output. Memory follows the budget and the busiest hour,
//! not the input; the rows written are the rows the whole frame held, in the same order.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use polars::prelude::*;
use rayon::prelude::*;

use super::order::{ExtraLayout, remove_duplicates, sorted_concat};
use super::records::{FileJob, Sink};
use super::{FileReport, FullTokens, link};
use crate::config::Cidr;
use crate::enrich::GeoDatabases;
use crate::frame::{FrameBuilder, col};
use crate::secrets::SECRET_KINDS;

const HOUR: i64 = 3_600_000_000_000;

/// Where a piece's rows are until its hour is written.
enum Held {
    Memory(DataFrame),
    Disk(PathBuf),
}

/// The rows of one chunk in one hour.
struct Piece {
    hour: i64,
    input: u32,
    chunk: u32,
    source: &'static str,
    schema: SchemaRef,
    held: Held,
}

/// Order of an event in the whole frame: time, then input, chunk and row.
type Place = (i64, u32, u32, usize);

/// The run's pieces, budget and full tokens, shared by every chunk.
pub(crate) struct Spill<'a> {
    geo: Option<&'a GeoDatabases>,
    real_ip_from: &'a [Cidr],
    budget: usize,
    held: AtomicUsize,
    dir: PathBuf,
    pieces: Mutex<Vec<Piece>>,
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
            budget,
            held: AtomicUsize::new(0),
            dir,
            pieces: Mutex::new(Vec::new()),
            tokens: Mutex::new(HashMap::new()),
            error: Mutex::new(None),
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
        let ts: Vec<i64> = df
            .column(col::TS)?
            .datetime()?
            .physical()
            .into_no_null_iter()
            .collect();
        self.note_tokens(&df, &ts, job.file_index, chunk)?;
        let hours: BTreeSet<i64> = ts.iter().map(|t| t.div_euclid(HOUR)).collect();
        let source = job.ctx.source.as_str();
        for &hour in &hours {
            let mut piece = match hours.len() {
                1 => std::mem::take(&mut df),
                _ => {
                    let mask: BooleanChunked =
                        ts.iter().map(|t| t.div_euclid(HOUR) == hour).collect();
                    // Column by column on this thread: see `write_piece`.
                    let rows = mask.sum().unwrap_or(0) as usize;
                    let columns = df
                        .columns()
                        .iter()
                        .map(|c| c.filter(&mask))
                        .collect::<PolarsResult<Vec<_>>>()?;
                    DataFrame::new(rows, columns)?
                }
            };
            let size = piece.estimated_size();
            let schema = piece.schema().clone();
            let kept = self.held.fetch_add(size, Ordering::Relaxed) + size <= self.budget;
            let held = match kept {
                true => Held::Memory(piece),
                false => {
                    self.held.fetch_sub(size, Ordering::Relaxed);
                    Held::Disk(self.write_piece(&mut piece, job.file_index, chunk, hour)?)
                }
            };
            let piece = Piece {
                hour,
                input: job.file_index,
                chunk,
                source,
                schema,
                held,
            };
            self.pieces
                .lock()
                .map_err(|_| polars_err!(ComputeError: "spill lock poisoned"))?
                .push(piece);
        }
        Ok(())
    }

    fn note_tokens(&self, df: &DataFrame, ts: &[i64], input: u32, chunk: u32) -> PolarsResult<()> {
        let kind = df.column(col::CREDENTIAL_KIND)?.str()?;
        let id = df.column(col::CREDENTIAL_ID)?.str()?;
        let mut tokens = self
            .tokens
            .lock()
            .map_err(|_| polars_err!(ComputeError: "spill lock poisoned"))?;
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

    fn write_piece(
        &self,
        df: &mut DataFrame,
        input: u32,
        chunk: u32,
        hour: i64,
    ) -> PolarsResult<PathBuf> {
        std::fs::create_dir_all(&self.dir).map_err(|e| spill_error(&self.dir, e))?;
        let path = self.dir.join(format!("{input}-{chunk}-{hour}.parquet"));
        let file = File::create(&path).map_err(|e| spill_error(&path, e))?;
        // Fast to write and read back: the spill lives for one run. Written on this
        // thread: this runs on a worker of the parse pool, and a worker that waits for
        // Polars' pool runs other inputs' work meanwhile, each of which may spill and wait
        // again (2,000 CloudTrail files overflowed the stack).
        ParquetWriter::new(std::io::BufWriter::new(file))
            .with_compression(ParquetCompression::Lz4Raw)
            .set_parallel(false)
            .finish(df)
            .map_err(|e| polars_err!(ComputeError: "cannot write the spill file {}: {e}", path.display()))?;
        Ok(path)
    }

    /// Every hour in order: its rows as the whole frame would hold them, given to `write`
    /// (with the source of each row kept); repeated deliveries counted on `files`.
    /// Returns the rows given.
    pub(crate) fn drain(
        self,
        files: &mut [FileReport],
        mut write: impl FnMut(HourFrame) -> crate::error::Result<()>,
    ) -> crate::error::Result<usize> {
        if let Some(e) = self.error.lock().ok().and_then(|mut e| e.take()) {
            return Err(e.into());
        }
        let mut pieces = std::mem::take(&mut *self.pieces.lock().map_err(|_| {
            crate::error::Error::from(polars_err!(ComputeError: "spill lock poisoned"))
        })?);
        pieces.sort_by_key(|p| (p.hour, p.input, p.chunk));
        let layout = ExtraLayout::of(pieces.iter().map(|p| p.schema.as_ref()));
        let mut tokens: Vec<(String, (Place, String))> =
            std::mem::take(&mut *self.tokens.lock().map_err(|_| {
                crate::error::Error::from(polars_err!(ComputeError: "spill lock poisoned"))
            })?)
            .into_iter()
            .collect();
        // `FullTokens` keeps the last kind it is given for an id: the last in frame order.
        tokens.sort_by_key(|(_, (place, _))| *place);
        let full = FullTokens::new(
            tokens
                .iter()
                .map(|(id, (_, kind))| (id.as_str(), kind.as_str())),
        );
        let mut hours: Vec<Vec<Piece>> = Vec::new();
        for piece in pieces {
            match hours.last_mut() {
                Some(group) if group[0].hour == piece.hour => group.push(piece),
                _ => hours.push(vec![piece]),
            }
        }
        // The next hour is made while this one is written.
        let (tx, rx) = std::sync::mpsc::sync_channel::<PolarsResult<HourFrame>>(1);
        let (geo, real_ip_from) = (self.geo, self.real_ip_from);
        std::thread::scope(|scope| {
            let maker = scope.spawn(move || {
                for group in hours {
                    let hour = group[0].hour;
                    let sources: BTreeSet<&'static str> = group.iter().map(|p| p.source).collect();
                    let made = group
                        .into_par_iter()
                        .map(|p| load(p.held).and_then(|df| layout.apply(df)))
                        .collect::<PolarsResult<Vec<_>>>()
                        .and_then(|chunks| sorted_concat(chunks, geo, real_ip_from))
                        .and_then(|frame| remove_duplicates(frame, files))
                        .and_then(|frame| link::link_token_prefixes_with(frame, &full))
                        .map(|frame| HourFrame {
                            hour,
                            sources,
                            frame,
                        });
                    let failed = made.is_err();
                    if tx.send(made).is_err() || failed {
                        return;
                    }
                }
            });
            let mut rows = 0;
            let written = rx.into_iter().try_for_each(|made| {
                let hour = made?;
                rows += hour.frame.height();
                write(hour)
            });
            let _ = maker.join();
            written.map(|()| rows)
        })
    }

    /// The columns every hour's frame has, in order (for a writer made before the first).
    pub(crate) fn schema(&self) -> PolarsResult<Schema> {
        let pieces = self
            .pieces
            .lock()
            .map_err(|_| polars_err!(ComputeError: "spill lock poisoned"))?;
        let layout = ExtraLayout::of(pieces.iter().map(|p| p.schema.as_ref()));
        match pieces.first() {
            Some(p) => Ok(layout.apply_schema(&p.schema)),
            None => {
                let mut empty = crate::frame::empty_frame()?;
                crate::enrich::enrich(&mut empty, self.geo, self.real_ip_from)?;
                Ok(empty.schema().as_ref().clone())
            }
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

fn spill_error(path: &Path, e: std::io::Error) -> PolarsError {
    polars_err!(ComputeError: "cannot write the spill file {}: {e}", path.display())
}

fn load(held: Held) -> PolarsResult<DataFrame> {
    match held {
        Held::Memory(df) => Ok(df),
        Held::Disk(path) => {
            let file = File::open(&path).map_err(
                |e| polars_err!(ComputeError: "cannot read the spill file {}: {e}", path.display()),
            )?;
            let df = ParquetReader::new(file).finish()?;
            let _ = std::fs::remove_file(&path);
            Ok(df)
        }
    }
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
        (self.hour * HOUR).div_euclid(86_400_000_000_000)
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
