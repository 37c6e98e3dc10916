//! Writing the event frame to a file, in the format its extension names.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::error::{Error, Result};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FrameFormat {
    Parquet,
    Csv,
    NdJson,
}

impl FrameFormat {
    pub fn from_path(path: &Path) -> Option<FrameFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "parquet" => Some(FrameFormat::Parquet),
            "csv" => Some(FrameFormat::Csv),
            "ndjson" | "jsonl" => Some(FrameFormat::NdJson),
            _ => None,
        }
    }
}

pub fn write_frame(df: &mut DataFrame, path: &Path) -> Result<()> {
    let format =
        FrameFormat::from_path(path).ok_or_else(|| Error::OutputFormat(path.to_path_buf()))?;
    write_atomically(path, |w| {
        match format {
            FrameFormat::Parquet => write_parquet(w, df),
            FrameFormat::Csv => CsvWriter::new(w).include_header(true).finish(df),
            FrameFormat::NdJson => JsonWriter::new(w)
                .with_json_format(JsonFormat::JsonLines)
                .finish(align_for_json(df)),
        }
        .map_err(|e| Box::new(e) as BoxError)
    })
}

/// `df` made safe for Polars' JSON writer, which stops at a chunk of no rows: an hour
/// joined from the pieces of many chunks and then rid of repeated deliveries holds some
/// (a piece whose rows were all copies), and the rows after them were lost (296 of 363
/// written). Such a frame is joined into one chunk per column, a column at a time; any
/// other is written as it is (no copy).
fn align_for_json(df: &mut DataFrame) -> &mut DataFrame {
    let empty_chunk = df.columns().iter().any(|c| {
        c.n_chunks() > 1
            && c.as_series()
                .is_some_and(|s| s.chunk_lengths().any(|n| n == 0))
    });
    if empty_chunk {
        df.rechunk_mut();
    }
    df.align_chunks()
}

/// A frame as Parquet, one row group at a time: `ParquetWriter::finish` first copies the
/// whole frame into row-group chunks, twice the frame's memory at the end of an `ingest`.
/// The rows and schema are the same (row groups of 262,144 rows, the last one shorter).
fn write_parquet(w: &mut BufWriter<File>, df: &DataFrame) -> PolarsResult<()> {
    let mut writer = RowGroupWriter::new(w, df.schema(), ParquetSettings::OUTPUT)?;
    write_row_groups(&mut writer, df)?;
    writer.finish().map(|_| ())
}

fn write_row_groups<W: std::io::Write>(
    writer: &mut RowGroupWriter<W>,
    df: &DataFrame,
) -> PolarsResult<()> {
    const ROW_GROUP: usize = 512 * 512;
    for offset in (0..df.height().max(1)).step_by(ROW_GROUP) {
        let mut group = df.slice(offset as i64, ROW_GROUP);
        group.rechunk_mut_par();
        writer.write(&group)?;
    }
    Ok(())
}

/// How a Parquet file is compressed and what statistics it keeps.
#[derive(Copy, Clone, Debug)]
pub struct ParquetSettings {
    pub compression: ParquetCompression,
    pub statistics: StatisticsOptions,
}

impl ParquetSettings {
    /// What `ingest` writes: small, with each column's min, max and nulls per row group
    /// (readers skip row groups by them, `hunt` by `ts`).
    pub const OUTPUT: ParquetSettings = ParquetSettings {
        compression: ParquetCompression::Zstd(None),
        statistics: StatisticsOptions {
            min_value: true,
            max_value: true,
            distinct_count: false,
            null_count: true,
            binary_statistics_truncate_length: None,
        },
    };

    /// Scratch files that live for one run (`hunt`'s parts): fast to write and read back.
    pub const SCRATCH: ParquetSettings = ParquetSettings {
        compression: ParquetCompression::Lz4Raw,
        statistics: StatisticsOptions {
            min_value: false,
            max_value: false,
            distinct_count: false,
            null_count: false,
            binary_statistics_truncate_length: None,
        },
    };
}

/// A Parquet file written a row group at a time, each group's columns encoded and
/// compressed in parallel before the group is written. Polars' `BatchedWriter` builds
/// only the dictionaries in parallel: it encodes plain pages and compresses every page
/// lazily while it writes, under its file lock, on one thread (`ingest` of a 1 GB nginx
/// log spent 7.4 s writing at 1.2 cores). The file is the one Polars writes (same schema,
/// encodings and footer: `write` hands the pages to its `write_row_group`).
pub struct RowGroupWriter<W: std::io::Write> {
    writer: polars::io::parquet::write::BatchedWriter<W>,
    fields: Vec<polars_parquet::write::ParquetType>,
    encodings: Vec<Vec<polars_parquet::write::Encoding>>,
    options: polars_parquet::write::WriteOptions,
    /// Per column: a text column found to have too many distinct values for a dictionary
    /// is written plain from then on.
    plain: Vec<bool>,
    /// Columns encoded on this thread, one after another (see [`RowGroupWriter::on_this_thread`]).
    sequential: bool,
}

/// The part of a column's values that may be distinct for it to be written as a
/// dictionary: Polars' own rule (beyond 128 rows).
const DICTIONARY_DISTINCT: f64 = 0.75;

/// A text column as Parquet's writer takes it, and its encoding: a dictionary of its
/// values when they repeat enough (what Polars' writer does), cast here because Polars
/// first estimates the distinct values with a HyperLogLog of 16,384 registers, whose
/// count alone cost some 25 µs per column and row group: 10-13% of `hunt` by parts, whose
/// spill writes a row group per piece (docs/performance.md). A float column plain (Polars
/// estimated it, then could not make it a dictionary); other columns as they are.
fn as_written(
    array: &polars_arrow::array::ArrayRef,
    encodings: &[polars_parquet::write::Encoding],
    plain: &mut bool,
) -> (
    Option<polars_arrow::array::ArrayRef>,
    Option<&'static [polars_parquet::write::Encoding]>,
) {
    use polars_arrow::datatypes::{ArrowDataType, IntegerType};
    use polars_parquet::write::Encoding;
    if encodings != [Encoding::RleDictionary] || array.is_empty() {
        return (None, None);
    }
    // Polars estimates these too, then finds it cannot make them a dictionary: plain.
    if matches!(
        array.dtype(),
        ArrowDataType::Float32 | ArrowDataType::Float64
    ) {
        return (None, Some(&[Encoding::Plain]));
    }
    let text = matches!(
        array.dtype(),
        ArrowDataType::Utf8View | ArrowDataType::BinaryView
    );
    if !text {
        return (None, None);
    }
    if *plain {
        return (None, Some(&[Encoding::Plain]));
    }
    let to = ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(array.dtype().clone()), false);
    let Ok(dictionary) = polars_compute::cast::cast(array.as_ref(), &to, Default::default()) else {
        return (None, None);
    };
    let distinct = dictionary
        .as_any()
        .downcast_ref::<polars_arrow::array::DictionaryArray<u32>>()
        .map_or(0, |d| d.values().len());
    if array.len() > 128 && distinct as f64 / array.len() as f64 > DICTIONARY_DISTINCT {
        *plain = true;
        return (None, Some(&[Encoding::Plain]));
    }
    (Some(dictionary), None)
}

impl<W: std::io::Write> RowGroupWriter<W> {
    pub fn new(w: W, schema: &Schema, settings: ParquetSettings) -> PolarsResult<Self> {
        let mut writer = ParquetWriter::new(w)
            .with_compression(settings.compression)
            .with_statistics(settings.statistics)
            .batched(schema)?;
        let fields = writer.parquet_schema().fields().to_vec();
        let encodings = {
            let file = writer
                .get_writer()
                .lock()
                .map_err(|_| polars_err!(ComputeError: "Parquet writer lock poisoned"))?;
            polars::io::parquet::write::get_encodings(file.schema()).to_vec()
        };
        Ok(RowGroupWriter {
            writer,
            fields,
            plain: vec![false; encodings.len()],
            encodings,
            sequential: false,
            options: polars_parquet::write::WriteOptions {
                statistics: settings.statistics,
                compression: settings.compression.into(),
                version: polars_parquet::write::Version::V1,
                data_page_size: None,
            },
        })
    }

    /// The writer encoding each row group's columns on the calling thread: a worker of
    /// the parse pool that waited for the pool would run other inputs' work meanwhile,
    /// each of which may write and wait again (the spill: 2,000 CloudTrail files
    /// overflowed the stack).
    pub fn on_this_thread(mut self) -> Self {
        self.sequential = true;
        self
    }

    /// `group` as one row group (its chunks aligned), none if it has no rows.
    pub fn write(&mut self, group: &DataFrame) -> PolarsResult<()> {
        use polars_parquet::write::{CompressedPage, Compressor, array_to_columns};
        use rayon::prelude::*;
        for batch in group.iter_chunks(CompatLevel::newest(), false) {
            let rows = batch.len();
            if rows == 0 {
                continue;
            }
            let options = self.options;
            let encode = |((array, field), (encodings, plain)): (
                (
                    &polars_arrow::array::ArrayRef,
                    &polars_parquet::write::ParquetType,
                ),
                (&Vec<polars_parquet::write::Encoding>, &mut bool),
            )| {
                let (cast, chosen) = as_written(array, encodings, plain);
                let array = cast.as_ref().unwrap_or(array);
                let encodings = chosen.unwrap_or(encodings);
                array_to_columns(array, field.clone(), options, encodings)?
                    .into_iter()
                    .map(|pages| {
                        // As Polars does: the page error goes through the compressor.
                        let pages = pages.map(|page| {
                            page.map_err(|e| {
                                polars_parquet::read::ParquetError::FeatureNotSupported(format!(
                                    "reraised in polars: {e}"
                                ))
                            })
                        });
                        Compressor::new_from_vec(pages, options.compression, vec![])
                            .collect::<std::result::Result<Vec<_>, _>>()
                            .map_err(PolarsError::from)
                    })
                    .collect::<PolarsResult<Vec<_>>>()
            };
            let columns = batch
                .columns()
                .iter()
                .zip(&self.fields)
                .zip(self.encodings.iter().zip(self.plain.iter_mut()));
            let columns: Vec<Vec<Vec<CompressedPage>>> = if self.sequential {
                columns.map(encode).collect::<PolarsResult<_>>()?
            } else {
                columns
                    .collect::<Vec<_>>()
                    .into_par_iter()
                    .map(encode)
                    .collect::<PolarsResult<_>>()?
            };
            let leaves: Vec<Vec<CompressedPage>> = columns.into_iter().flatten().collect();
            self.writer.write_row_group(rows as u64, &leaves)?;
        }
        Ok(())
    }

    /// The footer. Returns the file's size.
    pub fn finish(&self) -> PolarsResult<u64> {
        self.writer.finish()
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Write `path` under a temporary name beside it and rename it into place only once
/// complete and synced: a full disk, a kill or an error never leaves a file under the
/// final name that looks finished. A destination that exists and is not a regular file
/// (`/dev/stdout`, a fifo) is written directly.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::result::Result<(), BoxError>,
) -> Result<()> {
    let fail = |source: BoxError| Error::Output {
        path: path.to_path_buf(),
        source,
    };
    let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file());
    if special {
        let mut w = BufWriter::new(File::create(path).map_err(|e| fail(Box::new(e)))?);
        write(&mut w).map_err(fail)?;
        return std::io::Write::flush(&mut w).map_err(|e| fail(Box::new(e)));
    }
    let partial = partial_name(path);
    let result = (|| {
        let mut w = BufWriter::new(File::create(&partial).map_err(|e| fail(Box::new(e)))?);
        write(&mut w).map_err(fail)?;
        let file = w.into_inner().map_err(|e| fail(Box::new(e.into_error())))?;
        file.sync_all().map_err(|e| fail(Box::new(e)))?;
        std::fs::rename(&partial, path).map_err(|e| fail(Box::new(e)))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// The least rows of a row group `ingest` writes in Parquet: whole hours, until they make
/// this many.
pub const ROW_GROUP_ROWS: usize = 1 << 16;

/// An output file written a frame at a time (`ingest` writes hour by hour), under a
/// temporary name beside its destination as [`write_atomically`] writes: renamed into
/// place once complete and synced by [`Part::commit`], removed if dropped before.
pub struct Part {
    path: PathBuf,
    partial: Option<PathBuf>,
    file: File,
    writer: Option<PartWriter>,
    /// Parquet: hours not yet written, until they make a row group.
    pending: Option<DataFrame>,
    row_group_rows: usize,
}

enum PartWriter {
    Parquet(Box<RowGroupWriter<File>>),
    Csv(polars::io::csv::write::BatchedWriter<File>),
    NdJson(File),
}

impl Part {
    /// A part at `path` for frames of `schema`, in `format`.
    pub fn create(path: &Path, format: FrameFormat, schema: &Schema) -> Result<Part> {
        let fail = |source: BoxError| Error::Output {
            path: path.to_path_buf(),
            source,
        };
        let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file());
        let partial = (!special).then(|| partial_name(path));
        let file =
            File::create(partial.as_deref().unwrap_or(path)).map_err(|e| fail(Box::new(e)))?;
        let mut part = Part {
            path: path.to_path_buf(),
            partial,
            writer: None,
            file,
            pending: None,
            row_group_rows: ROW_GROUP_ROWS,
        };
        // The writer owns a second handle: the part keeps one to sync before the rename.
        let handle = part.file.try_clone().map_err(|e| fail(Box::new(e)))?;
        part.writer = Some(match format {
            FrameFormat::Parquet => PartWriter::Parquet(Box::new(
                RowGroupWriter::new(handle, schema, ParquetSettings::OUTPUT)
                    .map_err(|e| fail(Box::new(e)))?,
            )),
            FrameFormat::Csv => PartWriter::Csv(
                CsvWriter::new(handle)
                    .include_header(true)
                    .batched(schema)
                    .map_err(|e| fail(Box::new(e)))?,
            ),
            FrameFormat::NdJson => PartWriter::NdJson(handle),
        });
        Ok(part)
    }

    /// Parquet row groups of at least `rows` rows (the last one of the file fewer).
    pub fn with_row_group_rows(mut self, rows: usize) -> Part {
        self.row_group_rows = rows;
        self
    }

    /// Append `df`. In Parquet, frames (hours) are held until they make a row group of
    /// the part's least rows (at most 262,144 a group): each row group costs every column
    /// a compressor and statistics, and a CloudTrail tree of a quiet account has hours of
    /// a few records (10,079 records in 504 row groups: `ingest` 3.2 s, three quarters
    /// of it that cost).
    pub fn write(&mut self, df: &mut DataFrame) -> Result<()> {
        let fail = |source: BoxError| Error::Output {
            path: self.path.clone(),
            source,
        };
        let result = match self.writer.as_mut() {
            Some(PartWriter::Parquet(w)) => {
                let df = std::mem::take(df);
                let pending = match self.pending.take() {
                    Some(mut pending) => pending.vstack_mut_owned(df).map(std::mem::take),
                    None => Ok(df),
                };
                match pending {
                    Ok(p) if p.height() >= self.row_group_rows => write_row_groups(w.as_mut(), &p),
                    Ok(p) => {
                        self.pending = Some(p);
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            Some(PartWriter::Csv(w)) => {
                df.rechunk_mut_par();
                w.write_batch(df)
            }
            Some(PartWriter::NdJson(f)) => {
                align_for_json(df);
                JsonWriter::new(f)
                    .with_json_format(JsonFormat::JsonLines)
                    .finish(df)
            }
            None => Ok(()),
        };
        result.map_err(|e| fail(Box::new(e)))
    }

    /// Finish the file (Parquet footer, CSV header of an empty file), sync it and move it
    /// into place.
    pub fn commit(mut self) -> Result<()> {
        let fail = |source: BoxError| Error::Output {
            path: self.path.clone(),
            source,
        };
        match self.writer.take() {
            Some(PartWriter::Parquet(mut w)) => match self.pending.take() {
                Some(pending) => write_row_groups(w.as_mut(), &pending),
                None => Ok(()),
            }
            .and_then(|()| w.finish().map(|_| ())),
            Some(PartWriter::Csv(mut w)) => w.finish(),
            Some(PartWriter::NdJson(_)) | None => Ok(()),
        }
        .map_err(|e| fail(Box::new(e)))?;
        let Some(partial) = self.partial.take() else {
            return Ok(());
        };
        let done = self
            .file
            .sync_all()
            .and_then(|()| std::fs::rename(&partial, &self.path));
        if let Err(e) = done {
            let _ = std::fs::remove_file(&partial);
            return Err(fail(Box::new(e)));
        }
        Ok(())
    }
}

impl Drop for Part {
    fn drop(&mut self) {
        if let Some(partial) = self.partial.take() {
            let _ = std::fs::remove_file(partial);
        }
    }
}

/// The temporary name a file is written under before it is complete.
fn partial_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

/// Whether `-o` names a dataset folder (ends with `/`, or is an existing folder) rather
/// than a file.
pub fn is_dataset(path: &Path) -> bool {
    path.as_os_str().to_string_lossy().ends_with('/') || path.is_dir()
}

/// The partition column written in the folder names, not in the files: Spark refuses a
/// column that is in both.
pub const PARTITION_COLUMN: &str = crate::frame::col::SOURCE;

/// The folder level of a dataset that names its tables' UTC day (`date=2026-02-17`).
pub const DAY_PARTITION: &str = "date";

/// Write the frame as a Hive-partitioned Parquet dataset,
/// `DIR/source=<source>/date=<YYYY-MM-DD>/part-<job>.parquet`, the date being the event's
/// UTC day. `job` names this run's part in every partition (a hash of its inputs): jobs
/// over disjoint slices of an archive write side by side, and a job run again replaces its
/// own parts. Returns the number of files written.
pub fn write_dataset(df: &DataFrame, dir: &Path, job: &str) -> Result<usize> {
    let fail = |source: BoxError| Error::Output {
        path: dir.to_path_buf(),
        source,
    };
    // Times as one vector: the frame's column has a chunk per input chunk, and locating
    // each row in them would cost a search per row.
    let ts: Vec<i64> = df
        .column(crate::frame::col::TS)
        .and_then(|c| {
            c.datetime()
                .map(|d| d.physical().iter().map(|t| t.unwrap_or(0)).collect())
        })
        .map_err(|e| fail(Box::new(e)))?;
    let sources = df
        .column(PARTITION_COLUMN)
        .and_then(|c| c.str().cloned())
        .map_err(|e| fail(Box::new(e)))?;
    // The frame is in time order: each day is one contiguous slice, split by source.
    let mut written = 0;
    let mut start = 0usize;
    let n = df.height();
    while start < n {
        let day = ts[start].div_euclid(DAY);
        let mut end = start + 1;
        while end < n && ts[end].div_euclid(DAY) == day {
            end += 1;
        }
        let slice = df.slice(start as i64, end - start);
        let slice_sources = sources.slice(start as i64, end - start);
        let names: std::collections::BTreeSet<&str> = slice_sources.iter().flatten().collect();
        for source in names {
            let mask = slice_sources.equal(source);
            let mut part = slice
                .filter(&mask)
                .and_then(|p| p.drop(PARTITION_COLUMN))
                .map_err(|e| fail(Box::new(e)))?;
            write_frame(&mut part, &part_path(dir, source, day, job)?)?;
            written += 1;
        }
        start = end;
    }
    Ok(written)
}

/// Nanoseconds in a day: a dataset's partitions are UTC days.
const DAY: i64 = 86_400_000_000_000;

/// `DIR/source=<source>/date=<YYYY-MM-DD>/part-<job>.parquet` for `day` (days since the
/// epoch), its folder made.
fn part_path(dir: &Path, source: &str, day: i64, job: &str) -> Result<PathBuf> {
    let date = chrono::DateTime::from_timestamp_nanos(day * DAY).format("%Y-%m-%d");
    let folder = dir
        .join(format!("source={source}"))
        .join(format!("{DAY_PARTITION}={date}"));
    std::fs::create_dir_all(&folder).map_err(|e| Error::Output {
        path: folder.clone(),
        source: Box::new(e),
    })?;
    Ok(folder.join(format!("part-{job}.parquet")))
}

/// Where `ingest` writes its hours: one file, or a dataset of one part per source and
/// day (the layout of [`write_dataset`], the parts filled an hour at a time).
pub enum IngestOutput {
    File {
        path: PathBuf,
        format: FrameFormat,
        part: Option<Part>,
        row_group_rows: usize,
    },
    Dataset {
        dir: PathBuf,
        job: String,
        schema: Schema,
        day: Option<i64>,
        parts: std::collections::BTreeMap<&'static str, Part>,
        files: usize,
        row_group_rows: usize,
    },
}

impl IngestOutput {
    /// For `-o path`: a dataset folder, else a file whose extension names its format.
    /// `row_group_rows`: the least rows of a Parquet row group ([`ROW_GROUP_ROWS`]).
    pub fn new(path: &Path, job: &str, row_group_rows: usize) -> Result<IngestOutput> {
        if is_dataset(path) {
            return Ok(IngestOutput::Dataset {
                dir: path.to_path_buf(),
                job: job.to_string(),
                schema: Schema::default(),
                day: None,
                parts: Default::default(),
                files: 0,
                row_group_rows,
            });
        }
        let format =
            FrameFormat::from_path(path).ok_or_else(|| Error::OutputFormat(path.to_path_buf()))?;
        Ok(IngestOutput::File {
            path: path.to_path_buf(),
            format,
            part: None,
            row_group_rows,
        })
    }

    /// Commit what is written; the number of files.
    pub fn finish(self) -> Result<usize> {
        match self {
            IngestOutput::File { part, .. } => {
                part.map(Part::commit).transpose()?;
                Ok(1)
            }
            IngestOutput::Dataset {
                parts, mut files, ..
            } => {
                for part in parts.into_values() {
                    part.commit()?;
                    files += 1;
                }
                Ok(files)
            }
        }
    }
}

impl crate::ingest::HourWriter for IngestOutput {
    fn start(&mut self, columns: &Schema) -> Result<()> {
        match self {
            IngestOutput::File {
                path,
                format,
                part,
                row_group_rows,
            } => {
                *part = Some(
                    Part::create(path, *format, columns)?.with_row_group_rows(*row_group_rows),
                );
            }
            IngestOutput::Dataset { schema, .. } => {
                *schema = columns.clone();
                schema.shift_remove(PARTITION_COLUMN);
            }
        }
        Ok(())
    }

    fn write(&mut self, mut hour: crate::ingest::HourFrame) -> Result<()> {
        match self {
            IngestOutput::File { part, .. } => match part.as_mut() {
                Some(p) => p.write(&mut hour.frame),
                None => Ok(()),
            },
            IngestOutput::Dataset {
                dir,
                job,
                schema,
                day,
                parts,
                files,
                row_group_rows,
            } => {
                let fail = |source: BoxError| Error::Output {
                    path: dir.to_path_buf(),
                    source,
                };
                // A day's parts are complete once a later hour comes.
                if *day != Some(hour.day()) {
                    for part in std::mem::take(parts).into_values() {
                        part.commit()?;
                        *files += 1;
                    }
                    *day = Some(hour.day());
                }
                let sources = hour
                    .frame
                    .column(PARTITION_COLUMN)
                    .and_then(|c| c.str().cloned())
                    .map_err(|e| fail(Box::new(e)))?;
                for source in &hour.sources {
                    let mut rows = match hour.sources.len() {
                        1 => hour.frame.drop(PARTITION_COLUMN),
                        _ => hour
                            .frame
                            .filter(&sources.equal(*source))
                            .and_then(|p| p.drop(PARTITION_COLUMN)),
                    }
                    .map_err(|e| fail(Box::new(e)))?;
                    if rows.height() == 0 {
                        continue;
                    }
                    let part = match parts.entry(source) {
                        std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                        std::collections::btree_map::Entry::Vacant(v) => {
                            let path = part_path(dir, source, hour.day(), job)?;
                            let part = Part::create(&path, FrameFormat::Parquet, schema)?;
                            v.insert(part.with_row_group_rows(*row_group_rows))
                        }
                    };
                    part.write(&mut rows)?;
                }
                Ok(())
            }
        }
    }
}

/// One CSV field (RFC 4180), written in place: quoted only when it holds a comma, quote or
/// line break, quotes doubled. The credentials and timeline CSVs write millions of them.
pub fn write_csv_field(out: &mut dyn std::io::Write, text: &str) -> std::io::Result<()> {
    if csv_needs_quotes(text) {
        write!(out, "\"{}\"", text.replace('"', "\"\""))
    } else {
        out.write_all(text.as_bytes())
    }
}

/// A CSV field holding these bytes is quoted.
pub fn csv_needs_quotes(text: &str) -> bool {
    text.bytes()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame whose chunks include one of no rows (an hour whose piece was all repeated
    /// deliveries) is written whole as NDJSON: Polars' writer stopped at the empty chunk.
    #[test]
    fn ndjson_holds_the_rows_after_an_empty_chunk() {
        let piece = |ids: &[&str]| {
            let n = ids.len();
            let ns: Vec<u32> = vec![1; n];
            DataFrame::new(
                n,
                vec![
                    Column::new("event_id".into(), ids),
                    Column::new("n".into(), ns),
                ],
            )
            .unwrap()
        };
        // Three pieces, the second all copies: filtered, its chunk holds no rows.
        let mut df = piece(&["a"]);
        df.vstack_mut_owned(piece(&["copy"])).unwrap();
        df.vstack_mut_owned(piece(&["b", "c"])).unwrap();
        let keep = BooleanChunked::from_slice("keep".into(), &[true, false, true, true]);
        let mut df = df.filter(&keep).unwrap();
        let lengths = |df: &DataFrame| -> Vec<usize> {
            let n = df.column("n").unwrap().as_materialized_series();
            n.chunk_lengths().collect()
        };
        assert_eq!(lengths(&df), [1, 0, 2]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hour.ndjson");
        write_frame(&mut df, &path).unwrap();
        let written = std::fs::read_to_string(&path).unwrap();
        assert_eq!(written.lines().count(), 3, "{written}");
        assert!(written.contains("\"c\""), "{written}");
    }

    /// A frame of the kinds of columns events have: time, texts of few and of many
    /// values with nulls, integers, flags.
    fn events_like(n: usize) -> DataFrame {
        let ts: Vec<i64> = (0..n as i64)
            .map(|i| 1_770_000_000_000_000_000 + i * 7)
            .collect();
        let method: Vec<Option<&str>> = (0..n)
            .map(|i| [Some("GET"), Some("POST"), None][i % 3])
            .collect();
        let path: Vec<String> = (0..n)
            .map(|i| format!("/api/v1/items/{}", i * 31))
            .collect();
        let status: Vec<u32> = (0..n).map(|i| [200, 404, 500][i % 7 % 3]).collect();
        let line: Vec<u64> = (1..=n as u64).collect();
        let proxy: Vec<Option<bool>> = (0..n).map(|i| (i % 5 != 0).then_some(i % 2 == 0)).collect();
        let mut df = DataFrame::new(
            n,
            vec![
                Column::new("ts".into(), ts),
                Column::new("http_method".into(), method),
                Column::new("path".into(), path),
                Column::new("status".into(), status),
                Column::new("line".into(), line),
                Column::new("is_proxy".into(), proxy),
            ],
        )
        .unwrap();
        df.apply("ts", |c| {
            c.cast(&DataType::Datetime(
                TimeUnit::Nanoseconds,
                Some(TimeZone::UTC),
            ))
            .unwrap()
        })
        .unwrap();
        df
    }

    /// The columns encoded in parallel make the file Polars' own writer makes, byte for
    /// byte: same pages, encodings, statistics and footer, for the output and for scratch
    /// (where the dictionary decisions agree: Polars estimates the distinct values of a
    /// text column, `as_written` counts them; on these columns the two agree).
    #[test]
    fn row_groups_encoded_in_parallel_are_the_file_polars_writes() {
        let df = events_like(30_000);
        let dir = tempfile::tempdir().unwrap();
        let (ours_at, polars_at) = (dir.path().join("ours"), dir.path().join("polars"));
        for settings in [ParquetSettings::OUTPUT, ParquetSettings::SCRATCH] {
            let groups = [
                df.slice(0, 12_000),
                df.slice(12_000, 0),
                df.slice(12_000, 18_000),
            ];
            let file = File::create(&ours_at).unwrap();
            let mut ours = RowGroupWriter::new(file, df.schema(), settings).unwrap();
            let mut polars = ParquetWriter::new(File::create(&polars_at).unwrap())
                .with_compression(settings.compression)
                .with_statistics(settings.statistics)
                .batched(df.schema())
                .unwrap();
            for group in &groups {
                ours.write(group).unwrap();
                polars.write_batch(group).unwrap();
            }
            ours.finish().unwrap();
            polars.finish().unwrap();
            drop((ours, polars));
            let ours = std::fs::read(&ours_at).unwrap();
            let polars = std::fs::read(&polars_at).unwrap();
            assert!(
                ours == polars,
                "{settings:?}: {} vs {} bytes",
                ours.len(),
                polars.len()
            );
            let back = ParquetReader::new(std::io::Cursor::new(ours))
                .finish()
                .unwrap();
            assert!(back.equals_missing(&df), "{settings:?}");
        }
    }

    /// A text column whose values repeat is written as a dictionary, one whose values are
    /// nearly all distinct is written plain, and stays plain in the file's later row groups
    /// (it is not counted again); the rows read back are those written, and a writer that
    /// encodes on its own thread writes the same bytes.
    #[test]
    fn text_columns_are_dictionaries_when_their_values_repeat() {
        let rows = 1_000;
        let distinct: Vec<String> = (0..rows).map(|i| format!("id-{i:06}")).collect();
        let repeating: Vec<&str> = (0..rows).map(|i| ["GET", "POST", "PUT"][i % 3]).collect();
        let first = df!("id" => &distinct, "method" => &repeating).unwrap();
        // The same column repeats in the second row group.
        let second = df!("id" => &repeating, "method" => &repeating).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for (name, sequential) in [("parallel", false), ("sequential", true)] {
            let path = dir.path().join(name);
            let mut writer = RowGroupWriter::new(
                File::create(&path).unwrap(),
                first.schema(),
                ParquetSettings::SCRATCH,
            )
            .unwrap();
            if sequential {
                writer = writer.on_this_thread();
            }
            writer.write(&first).unwrap();
            writer.write(&second).unwrap();
            writer.finish().unwrap();
            drop(writer);
            files.push(std::fs::read(&path).unwrap());
        }
        assert!(
            files[0] == files[1],
            "sequential and parallel writes differ"
        );
        let mut reader = ParquetReader::new(std::io::Cursor::new(files[0].clone()));
        let metadata = reader.get_metadata().unwrap().clone();
        let dictionary = |group: usize, column: &str| {
            metadata.row_groups[group]
                .columns_under_root_iter(column)
                .unwrap()
                .next()
                .unwrap()
                .dictionary_page_offset()
                .is_some()
        };
        assert!(
            !dictionary(0, "id"),
            "distinct values written as a dictionary"
        );
        assert!(dictionary(0, "method"), "repeating values written plain");
        assert!(!dictionary(1, "id"), "a plain column counted again");
        assert!(dictionary(1, "method"));
        let back = reader.finish().unwrap();
        assert!(back.equals_missing(&first.vstack(&second).unwrap()));
    }

    fn field(text: &str) -> String {
        let mut out = Vec::new();
        write_csv_field(&mut out, text).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_quoting() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("plain"), "plain");
    }
}
