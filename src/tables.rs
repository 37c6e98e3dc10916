//! The Parquet event tables `ingest` writes, read back: one table, or a dataset folder
//! (`source=…/date=…/part-….parquet`, docs/scale.md). Read in memory (`app`) or a piece at
//! a time into parts (`hunt --memory-budget`): both give every piece the same treatment
//! ([`TableReader`], then [`TableLayout`]), so both see the same events.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::enrich::GeoDatabases;
use crate::error::{Error, Result};
use crate::frame::col;
use crate::ingest::FileReport;
use crate::ingest::order::ExtraLayout;
use crate::input::{Input, discover};
use crate::window::TimeWindow;

pub fn is_parquet(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    path.is_file()
        && std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
            .is_ok()
        && &magic == b"PAR1"
}

/// The Parquet tables a path names: itself, or every file of a dataset folder (all of
/// its files must be tables); `None` for raw logs.
pub fn parquet_files(path: &Path) -> Result<Option<Vec<PathBuf>>> {
    if path.as_os_str() == "-" || !path.is_dir() {
        return Ok(is_parquet(path).then(|| vec![path.to_path_buf()]));
    }
    let found = discover(&[path.to_path_buf()])?;
    let tables: Vec<PathBuf> = found
        .iter()
        .filter_map(|i| match i {
            Input::File(p) if is_parquet(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    match (tables.len(), found.len()) {
        (0, _) => Ok(None),
        (t, f) if t == f => Ok(Some(tables)),
        _ => Err(Error::Usage(format!(
            "{}: holds both Parquet tables and other files; give the dataset folder or the logs",
            path.display()
        ))),
    }
}

/// `value` of a `name=value` folder in a dataset path (`source=nginx`).
pub fn partition_value(path: &Path, name: &str) -> Option<String> {
    path.components().rev().find_map(|c| {
        c.as_os_str()
            .to_str()?
            .strip_prefix(name)?
            .strip_prefix('=')
            .map(str::to_string)
    })
}

/// What an event read from a table takes in memory, about, once `hunt` has scored it: it
/// measured 0.58 KB per event kept on a gateway log's dataset, 0.75 KB on CloudTrail's,
/// 0.85 KB on Okta's (peak memory over events). A table's uncompressed size says less:
/// its texts are dictionary-encoded, a seventh to a ninth of that.
pub const EVENT_BYTES: u64 = 800;

/// What a command reads of each table.
pub struct TableReader<'a> {
    /// `--since`/`--until`: events outside are counted, never kept.
    pub window: TimeWindow,
    /// Only these columns, in this order; `None`: every column.
    pub only: Option<&'a [&'a str]>,
    /// Text columns not read, null in their place (what the command would not keep of raw
    /// logs either).
    pub unread: &'a [&'a str],
    /// Only the events with a credential or a principal (`frame::attributable`).
    pub attributable_only: bool,
}

/// How one table is read: the columns read, and the file's columns in its order when
/// some are left null in their place.
struct Plan {
    read: Option<Vec<String>>,
    columns: Vec<String>,
}

impl TableReader<'_> {
    /// The tables to open: a dataset's table holds one UTC day (`date=` in its path), and
    /// a day outside the window is not opened. Also how many are not.
    pub fn to_open(&self, tables: impl IntoIterator<Item = PathBuf>) -> (Vec<PathBuf>, usize) {
        let (open, closed): (Vec<PathBuf>, Vec<PathBuf>) = tables.into_iter().partition(|path| {
            partition_value(path, crate::output::DAY_PARTITION)
                .and_then(|day| self.window.overlaps_day(&day))
                != Some(false)
        });
        (open, closed.len())
    }

    fn open(path: &Path) -> Result<ParquetReader<std::fs::File>> {
        let file = std::fs::File::open(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(ParquetReader::new(file))
    }

    fn plan(&self, reader: &mut ParquetReader<std::fs::File>) -> Result<Plan> {
        let mut read: Option<Vec<String>> = None;
        if let Some(only) = self.only {
            let schema = reader.schema()?;
            let present = only.iter().filter(|c| schema.contains(c));
            read = Some(present.map(|c| c.to_string()).collect());
        }
        // The file's columns in its order; those `unread` names are not read but made null
        // in their place (tables stack by position).
        let mut columns: Vec<String> = Vec::new();
        if !self.unread.is_empty() {
            columns = reader
                .schema()?
                .iter_names()
                .map(|n| n.to_string())
                .collect();
            read = Some(
                columns
                    .iter()
                    .filter(|n| !self.unread.contains(&n.as_str()))
                    .cloned()
                    .collect(),
            );
        }
        Ok(Plan { read, columns })
    }

    /// Table `path`'s events, in its order, to `piece`: a row group (an hour, as `ingest`
    /// writes them) at a time when only some are kept, else the table whole. At least one
    /// piece comes, with no row if none is kept: it has the table's columns. What was read
    /// of the table is returned.
    pub fn read(
        &self,
        path: &Path,
        piece: &mut dyn FnMut(DataFrame) -> Result<()>,
    ) -> Result<FileReport> {
        let mut reader = Self::open(path)?;
        let plan = self.plan(&mut reader)?;
        let rows = reader.num_rows()?;
        let mut outside = 0;
        // Each row group filtered as it is read, as raw logs are chunk by chunk: a day of a
        // busy gateway is never whole in memory, only what the command keeps of it
        // (`hunt`: the attributable events, a fifth of an nginx log; with a window, the
        // events in it).
        let piecewise = self.attributable_only || !self.window.is_unbounded();
        if !piecewise {
            let df = reader.with_columns(plan.read.clone()).finish()?;
            piece(self.finish(path, df, &plan)?)?;
            return Ok(FileReport::parquet(
                &path.display().to_string(),
                rows as u64,
                0,
            ));
        }
        let metadata = reader.get_metadata()?.clone();
        let rows_of = |columns: Option<Vec<String>>, at: usize, n: usize| {
            let mut part = Self::open(path)?;
            part.set_metadata(metadata.clone());
            Ok::<_, Error>(
                part.with_columns(columns)
                    .with_slice(Some((at, n)))
                    .finish()?,
            )
        };
        let mut any = false;
        let mut start = 0;
        for group in &metadata.row_groups {
            let (at, n) = (start, group.num_rows());
            start += n;
            // Its times first: a group with none in the window is not read further. Its
            // bounds are in the file's footer (the statistics Parquet writers keep of each
            // column of each group); a file without them has its `ts` column read.
            if !self.window.is_unbounded() {
                let bounds = match ts_bounds(group, &metadata.footer_buf) {
                    Some(bounds) => Some(bounds),
                    None => {
                        let times = rows_of(Some(vec![col::TS.to_string()]), at, n)?;
                        let ts = times.column(col::TS)?.datetime()?.physical();
                        ts.iter().flatten().min().zip(ts.iter().flatten().max())
                    }
                };
                if let Some((first, last)) = bounds
                    && !self.window.overlaps(first, last.saturating_add(1))
                {
                    outside += n as u64;
                    continue;
                }
            }
            let df = in_window(
                rows_of(plan.read.clone(), at, n)?,
                &self.window,
                &mut outside,
            )?;
            let df = match self.attributable_only {
                true => crate::frame::attributable(&df)?,
                false => df,
            };
            any = true;
            piece(self.finish(path, df, &plan)?)?;
        }
        if !any {
            // No row group kept: the table's columns, no row.
            piece(self.finish(path, rows_of(plan.read.clone(), 0, 0)?, &plan)?)?;
        }
        Ok(FileReport::parquet(
            &path.display().to_string(),
            rows as u64,
            outside,
        ))
    }

    /// The columns of table `path`'s pieces (a frame of no row), and about how many
    /// bytes its events kept take in memory: [`EVENT_BYTES`] for each row of its row
    /// groups (those of the window, when the footer says), at most as many as can have a
    /// credential or a principal when only those are kept (from the footer's counts of
    /// nulls; all when it has none).
    pub fn columns(&self, path: &Path) -> Result<(DataFrame, u64)> {
        let mut reader = Self::open(path)?;
        let plan = self.plan(&mut reader)?;
        let metadata = reader.get_metadata()?.clone();
        let mut events = 0u64;
        for group in &metadata.row_groups {
            let n = group.num_rows() as u64;
            if let Some((first, last)) = ts_bounds(group, &metadata.footer_buf)
                && !self.window.overlaps(first, last.saturating_add(1))
            {
                continue;
            }
            let mut kept = n;
            if self.attributable_only {
                let with = |name: &str| {
                    null_count(group, &metadata.footer_buf, name).map(|nulls| n - nulls.min(n))
                };
                if let (Some(c), Some(p)) = (with(col::CREDENTIAL_ID), with(col::PRINCIPAL)) {
                    kept = (c + p).min(n);
                }
            }
            events += kept;
        }
        let df = reader
            .with_columns(plan.read.clone())
            .with_slice(Some((0, 0)))
            .finish()?;
        Ok((self.finish(path, df, &plan)?, events * EVENT_BYTES))
    }

    /// A piece of table `path` as every table's: the columns not read null in their
    /// place, the source from the dataset's folder, only the columns asked for, checked.
    fn finish(&self, path: &Path, mut df: DataFrame, plan: &Plan) -> Result<DataFrame> {
        if plan.columns.len() > df.width() {
            let n = df.height();
            let placed = plan
                .columns
                .iter()
                .map(|name| match df.column(name) {
                    Ok(read) => read.clone(),
                    Err(_) => Column::full_null(name.as_str().into(), n, &DataType::String),
                })
                .collect();
            df = DataFrame::new(n, placed)?;
        }
        // A dataset keeps the source in its folder names (`source=nginx/`), not in the files.
        if df.column(col::SOURCE).is_err()
            && let Some(source) = partition_value(path, crate::output::PARTITION_COLUMN)
        {
            let column = StringChunked::full(col::SOURCE.into(), &source, df.height());
            // At its place in the schema, so that tables of both kinds stack.
            let at = col::ALL
                .iter()
                .position(|c| *c == col::SOURCE)
                .unwrap_or(0)
                .min(df.width());
            df.insert_column(at, column.into_column())?;
        }
        if let Some(only) = self.only {
            // The same columns in the same order in every table, whatever each one holds.
            df = df.select(only.iter().copied().filter(|c| df.column(c).is_ok()))?;
        }
        for name in self.only.unwrap_or(col::ALL) {
            if df.column(name).is_err() {
                return Err(Error::Usage(format!(
                    "{}: not an event table written by `tokentrail ingest` (no column `{name}`)",
                    path.display()
                )));
            }
        }
        Ok(df)
    }

    /// A frame of no event, as read from no table.
    pub fn nothing(&self) -> Result<DataFrame> {
        let empty = crate::frame::empty_frame()?;
        Ok(match self.only {
            Some(only) => empty.select(only.iter().copied().filter(|c| empty.column(c).is_ok()))?,
            None => empty,
        })
    }
}

/// What every piece read of the tables is given before it joins the others, the same for
/// all: every table's extra columns (`x_…`), and the enrichment made again when databases
/// are given or a table was written before an enrichment column existed.
pub struct TableLayout {
    extras: ExtraLayout,
    /// The databases and trusted proxies the pieces are enriched with again, if they are.
    enrich: Option<(Option<GeoDatabases>, Vec<crate::config::Cidr>)>,
}

impl TableLayout {
    /// The layout of pieces of these columns. `all_columns`: the command reads every
    /// column (one that names its columns reads no enrichment); `geoip`: `--geoip`;
    /// `real_ip_from`: the trusted proxies.
    pub fn of<'a>(
        schemas: impl Iterator<Item = &'a Schema> + Clone,
        all_columns: bool,
        geoip: Option<&Path>,
        real_ip_from: Vec<crate::config::Cidr>,
    ) -> Result<TableLayout> {
        use crate::enrich::enriched;
        let missing = schemas
            .clone()
            .any(|s| enriched::ALL.iter().any(|c| !s.contains(c)));
        let again = all_columns && (missing || geoip.is_some());
        let extras = match again {
            false => ExtraLayout::of(schemas),
            true => {
                // Enriched again: every piece's enrichment goes first.
                let bare: Vec<Schema> = schemas
                    .map(|s| {
                        let mut s = s.clone();
                        for c in enriched::ALL {
                            s.shift_remove(c);
                        }
                        s
                    })
                    .collect();
                ExtraLayout::of(bare.iter())
            }
        };
        let enrich = match again {
            false => None,
            true => {
                let geo = match geoip {
                    Some(dir) => Some(GeoDatabases::open_dir(dir).map_err(Error::GeoIp)?),
                    None => None,
                };
                Some((geo, real_ip_from))
            }
        };
        Ok(TableLayout { extras, enrich })
    }

    /// `df` as every piece: the enrichment made again if it is, the extra columns of all.
    pub fn apply(&self, mut df: DataFrame) -> Result<DataFrame> {
        if let Some((geo, real_ip_from)) = &self.enrich {
            for c in crate::enrich::enriched::ALL {
                let _ = df.drop_in_place(c);
            }
            df = self.extras.apply(df)?;
            crate::enrich::enrich(&mut df, geo.as_ref(), real_ip_from)?;
            return Ok(df);
        }
        Ok(self.extras.apply(df)?)
    }

    /// The databases the pieces are enriched with, for reports.
    pub fn geoip(&self) -> Vec<String> {
        match &self.enrich {
            Some((Some(geo), _)) => geo.loaded.clone(),
            _ => Vec::new(),
        }
    }
}

/// The earliest and latest `ts` of a row group, from the statistics in its file's footer
/// (`footer` is that footer); `None` when the file has none for it.
fn ts_bounds(
    group: &polars_parquet::parquet::metadata::RowGroupMetadata,
    footer: &[u8],
) -> Option<(i64, i64)> {
    use polars_parquet::parquet::statistics::Statistics;
    let mut columns = group.columns_under_root_iter(col::TS)?;
    let column = columns.next()?;
    match column.statistics(footer)?.ok()? {
        Statistics::Int64(s) => s.min_value.zip(s.max_value),
        _ => None,
    }
}

/// The nulls of text column `name` in a row group, from its file's footer.
fn null_count(
    group: &polars_parquet::parquet::metadata::RowGroupMetadata,
    footer: &[u8],
    name: &str,
) -> Option<u64> {
    use polars_parquet::parquet::statistics::Statistics;
    let mut columns = group.columns_under_root_iter(name)?;
    let column = columns.next()?;
    match column.statistics(footer)?.ok()? {
        Statistics::Binary(s) => s.null_count.map(|n| n.max(0) as u64),
        _ => None,
    }
}

/// The rows of `df` in the window, adding those left out to `outside`.
fn in_window(df: DataFrame, window: &TimeWindow, outside: &mut u64) -> Result<DataFrame> {
    if window.is_unbounded() {
        return Ok(df);
    }
    let ts = df.column(col::TS)?.datetime()?.physical();
    let mask: BooleanChunked = ts
        .iter()
        .map(|t| t.is_some_and(|t| window.contains(t)))
        .collect();
    let kept = df.filter(&mask)?;
    *outside += (df.height() - kept.height()) as u64;
    Ok(kept)
}

/// `frame` in time order, events of equal time in the order they came (tables read one
/// after the other): a table `ingest` wrote is in order already, and is not copied.
pub fn in_time_order(frame: DataFrame) -> Result<DataFrame> {
    let ts = frame.column(col::TS)?.datetime()?.physical();
    let mut last = i64::MIN;
    let sorted = ts.iter().all(|t| {
        let t = t.unwrap_or(i64::MIN);
        let ok = t >= last;
        last = t;
        ok
    });
    if sorted {
        return Ok(frame);
    }
    // Stable: which of two events of the same time comes first must not change from run
    // to run (nor between reading in memory and by parts).
    Ok(frame.sort(
        [col::TS],
        SortMultipleOptions::default().with_maintain_order(true),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tables read one after the other: events of the same time keep the order they came
    /// in (the hunt by parts breaks ties the same way), and a frame in order is kept.
    #[test]
    fn events_of_equal_time_keep_their_order() {
        let n = 100_000u32;
        // Three tables' worth of times, each table in order, the tables not.
        let ts: Vec<i64> = (0..n).map(|i| ((i * 7) % 1000 / 10) as i64).collect();
        let mut frame = df!(
            col::TS => ts,
            "came" => (0..n).collect::<Vec<u32>>(),
        )
        .unwrap();
        frame
            .apply(col::TS, |c| {
                c.cast(&DataType::Datetime(TimeUnit::Nanoseconds, None))
                    .unwrap()
            })
            .unwrap();
        let sorted = in_time_order(frame).unwrap();
        let ts = sorted
            .column(col::TS)
            .unwrap()
            .datetime()
            .unwrap()
            .physical();
        let came = sorted.column("came").unwrap().u32().unwrap();
        let keys: Vec<(i64, u32)> = ts
            .into_no_null_iter()
            .zip(came.into_no_null_iter())
            .collect();
        assert!(keys.is_sorted(), "ties out of the order they came in");
        let again = in_time_order(sorted.clone()).unwrap();
        assert!(again.equals(&sorted));
    }
}
