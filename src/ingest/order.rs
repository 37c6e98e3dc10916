//! Joining the chunk frames in time order, and removing repeated deliveries.

use std::collections::BTreeMap;
use std::hash::BuildHasher;

use polars::prelude::*;
use rayon::prelude::*;
use tokentrail_parsers::SourceId;

use super::FileReport;
use crate::enrich::GeoDatabases;
use crate::frame::{self, Rows, col};

/// Remove repeated deliveries of one event (CloudTrail delivers some events twice, and
/// exports overlap): same source, event id, recipient account, time, action, credential,
/// principal, client address and outcome. A copy is the same record; requiring more than
/// the id keeps hand-edited or re-used ids (rule test data), and a forged record that
/// borrows a real one's id, from erasing an event. The first in time order is kept; each
/// removal is counted on the file the copy came from. `credentials::tally` removes the
/// same copies without a frame.
pub(super) fn remove_duplicates(
    frame: DataFrame,
    files: &mut [FileReport],
) -> PolarsResult<DataFrame> {
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
    let ts = frame.column(col::TS)?.datetime()?.physical();
    let action = frame.column(col::ACTION)?.str()?;
    let who = (
        frame.column(col::CREDENTIAL_ID)?.str()?,
        frame.column(col::PRINCIPAL)?.str()?,
        frame.column(col::SRC_IP)?.str()?,
        frame.column(col::OUTCOME)?.str()?,
    );
    // The keys are hashed side by side, slice by slice; the pass in time order below then
    // looks up numbers, and reads a key again only when its hash was seen before.
    let hasher = PlRandomState::default();
    let height = frame.height();
    let hashes: Vec<Option<u64>> = (0..height.div_ceil(HASH_SLICE))
        .into_par_iter()
        .flat_map_iter(|n| {
            let (from, len) = (n * HASH_SLICE, HASH_SLICE.min(height - n * HASH_SLICE));
            let slice = |c: &StringChunked| c.slice(from as i64, len);
            let (s, id, acct, act) = (
                slice(source),
                slice(event_id),
                slice(account),
                slice(action),
            );
            let t = ts.slice(from as i64, len);
            let (cred, principal, ip, outcome) =
                (slice(who.0), slice(who.1), slice(who.2), slice(who.3));
            let keys = s
                .iter()
                .zip(id.iter())
                .zip(acct.iter())
                .zip(t.iter())
                .zip(act.iter())
                .zip(cred.iter().zip(principal.iter()))
                .zip(ip.iter().zip(outcome.iter()));
            keys.map(|((((((s, id), acct), t), act), who), how)| match (s, id) {
                (Some(s), Some(id)) if id_sources.contains(&s) => {
                    Some(hasher.hash_one((s, id, acct, t, act, who, how)))
                }
                _ => None,
            })
            .collect::<Vec<_>>()
        })
        .collect();
    let rows = (
        Rows::new(source),
        Rows::new(event_id),
        Rows::new(account),
        Rows::new(ts),
        Rows::new(action),
    );
    let who_rows = (
        Rows::new(who.0),
        Rows::new(who.1),
        Rows::new(who.2),
        Rows::new(who.3),
    );
    let key = |row: usize| {
        (
            (
                rows.0.get(row),
                rows.1.get(row),
                rows.2.get(row),
                rows.3.get(row),
                rows.4.get(row),
            ),
            (
                who_rows.0.get(row),
                who_rows.1.get(row),
                who_rows.2.get(row),
                who_rows.3.get(row),
            ),
        )
    };
    let file = Rows::new(frame.column(col::FILE)?.str()?);
    let mut first_with: PlHashMap<u64, usize> = PlHashMap::with_capacity(height);
    // Keys whose hash was another key's: exact, and almost always empty.
    let mut collided = PlHashSet::new();
    let mut keep = vec![true; height];
    let mut removed: BTreeMap<String, u64> = BTreeMap::new();
    for (row, hash) in hashes.into_iter().enumerate() {
        let Some(hash) = hash else { continue };
        let first = *first_with.entry(hash).or_insert(row);
        if first == row {
            continue;
        }
        let copy = key(first) == key(row) || !collided.insert(key(row));
        if copy {
            keep[row] = false;
            *removed
                .entry(file.get(row).unwrap_or_default().to_string())
                .or_default() += 1;
        }
    }
    Ok((keep, removed))
}

/// Rows hashed per task when looking for repeated deliveries.
const HASH_SLICE: usize = 1 << 16;

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

/// Give every chunk the same columns in the same order: the schema, then every extra
/// column any chunk has (`x_…`, sorted; null where a file had none), then the enrichment
/// columns. Files read with different `log_format`s carry different extras (and so do
/// the Parquet files of a dataset written by several `ingest` jobs).
pub(crate) fn align_extra_columns(chunks: Vec<DataFrame>) -> PolarsResult<Vec<DataFrame>> {
    let layout = ExtraLayout::of(chunks.iter().map(|df| df.schema().as_ref()));
    if layout.extras.is_empty() {
        return Ok(chunks);
    }
    chunks.into_iter().map(|df| layout.apply(df)).collect()
}

/// The columns frames with different extra columns are given: see [`align_extra_columns`].
pub(crate) struct ExtraLayout {
    /// Every extra column and its type.
    extras: BTreeMap<String, DataType>,
    order: Vec<String>,
}

impl ExtraLayout {
    /// The layout of frames with these schemas.
    pub(crate) fn of<'a>(schemas: impl Iterator<Item = &'a Schema> + Clone) -> ExtraLayout {
        let names: std::collections::BTreeSet<&str> = schemas
            .clone()
            .flat_map(|s| s.iter_names().map(|n| n.as_str()))
            .filter(|n| n.starts_with("x_"))
            .collect();
        // Enrichment columns are in every frame or in none (a table read before enrichment).
        let first = schemas.clone().next();
        let enriched = crate::enrich::enriched::ALL
            .iter()
            .filter(|c| first.is_some_and(|s| s.contains(c)));
        let order: Vec<String> = col::ALL
            .iter()
            .map(|s| s.to_string())
            .chain(names.iter().map(|s| s.to_string()))
            .chain(enriched.map(|s| s.to_string()))
            .collect();
        // A typed column (`x_request_time`) stays typed when every frame typed it; a frame
        // that kept it as text (a value that is not a number) makes it text everywhere.
        let extras = names
            .iter()
            .map(|name| {
                let mut seen = schemas.clone().filter_map(|s| s.get(name));
                let first = seen.next().cloned().unwrap_or(DataType::String);
                let dtype = match seen.all(|d| *d == first) {
                    true => first,
                    false => DataType::String,
                };
                (name.to_string(), dtype)
            })
            .collect();
        ExtraLayout { extras, order }
    }

    /// `df` with every extra column (null where it had none), in the layout's order.
    pub(crate) fn apply(&self, mut df: DataFrame) -> PolarsResult<DataFrame> {
        if self.extras.is_empty() {
            return Ok(df);
        }
        for (name, dtype) in &self.extras {
            match df.column(name) {
                Err(_) => {
                    let nulls = Column::full_null(name.as_str().into(), df.height(), dtype);
                    df.with_column(nulls)?;
                }
                Ok(c) if c.dtype() != dtype => {
                    let text = c.cast(dtype)?;
                    df.with_column(text)?;
                }
                Ok(_) => {}
            }
        }
        df.select(self.order.iter().map(String::as_str))
    }

    /// The schema [`ExtraLayout::apply`] gives a frame of schema `schema`.
    pub(crate) fn apply_schema(&self, schema: &Schema) -> Schema {
        if self.extras.is_empty() {
            return schema.clone();
        }
        self.order
            .iter()
            .filter_map(|name| {
                let dtype = self.extras.get(name).or_else(|| schema.get(name))?;
                Some(Field::new(name.as_str().into(), dtype.clone()))
            })
            .collect()
    }
}

/// Concatenate chunk frames (in input order) into one frame sorted by `ts`, equal times in
/// input order (file, then line).
///
/// Logs are mostly in time order already, file by file: when the chunks, taken in order of
/// their first time, follow each other without overlap, concatenating them in that order
/// *is* the stable sort, and the full sort (which copies every column twice) is skipped.
///
/// `held`: the frame is kept to the end of the command (`hunt`, `timeline`, `score`), and
/// the texts of a sorted one are repacked as they are gathered (see [`sorted_by_time`]).
pub(super) fn sorted_concat(
    chunks: Vec<DataFrame>,
    geo: Option<&GeoDatabases>,
    real_ip_from: &[crate::config::Cidr],
    held: bool,
) -> PolarsResult<DataFrame> {
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
    let chunks = align_extra_columns(chunks)?;
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
            crate::enrich::enrich(&mut empty, geo, real_ip_from)?;
            empty
        }
    };
    // A presorted frame keeps its chunks: rechunking would copy every column for nothing.
    if !presorted {
        frame = sorted_by_time(frame, held)?;
    }
    Ok(frame)
}

/// The frame in time order (ties keep their order); all-null columns are not gathered
/// (as in `frame::map_valued_columns`). The frame is taken apart and each column freed
/// once it is gathered: the sort holds the frame and the columns in flight, not two
/// frames (a CloudTrail tree, whose files overlap in time: docs/performance.md).
///
/// A gathered text column points into the buffers of every chunk it came from, repeats
/// and all, for as long as it lives. `repack`: each is gathered into an array of its
/// distinct texts once (`frame::compact_gathered`): `hunt` on a CloudTrail tree of 2 M
/// records held 2.0 GB after the sort, 1.5 GB so.
fn sorted_by_time(frame: DataFrame, repack: bool) -> PolarsResult<DataFrame> {
    use rayon::prelude::*;
    let order = frame
        .column(col::TS)?
        .arg_sort(SortOptions::default().with_maintain_order(true));
    let height = frame.height();
    let columns = frame
        .into_columns()
        .into_par_iter()
        .map(|c| match c.null_count() == c.len() {
            true => Ok(Column::full_null(c.name().clone(), height, c.dtype())),
            false if repack && c.dtype() == &DataType::String => {
                Ok(frame::compact_gathered(c.str()?, order.cont_slice()?).into_column())
            }
            false => c.take(&order),
        })
        .collect::<PolarsResult<Vec<Column>>>()?;
    DataFrame::new(height, columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_order_keeps_ties_in_place_and_null_columns_null() {
        let ts = Int64Chunked::from_vec(col::TS.into(), vec![30, 10, 30, 20])
            .into_datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC))
            .into_column();
        let line = UInt64Chunked::from_vec(col::LINE.into(), vec![1, 2, 3, 4]).into_column();
        let ua = StringChunked::full_null(col::USER_AGENT.into(), 4).into_column();
        let ip = StringChunked::from_iter_options(
            col::SRC_IP.into(),
            [Some("a"), None, Some("c"), Some("d")].into_iter(),
        )
        .into_column();
        let frame = DataFrame::new(4, vec![ts, line, ua, ip]).unwrap();
        let sorted = sorted_by_time(frame, false).unwrap();
        let lines: Vec<u64> = sorted
            .column(col::LINE)
            .unwrap()
            .u64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(lines, [2, 4, 1, 3]);
        let ips: Vec<Option<&str>> = sorted
            .column(col::SRC_IP)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        assert_eq!(ips, [None, Some("d"), Some("a"), Some("c")]);
        let ua = sorted.column(col::USER_AGENT).unwrap();
        assert_eq!(
            (ua.len(), ua.null_count(), ua.dtype()),
            (4, 4, &DataType::String)
        );
    }

    /// Repacked as gathered, a sorted text column reads the same, in time order, and holds
    /// each distinct text of all its chunks once.
    #[test]
    fn a_held_frame_is_sorted_with_its_texts_once() {
        let agent = |i: i64| match i % 3 {
            0 => "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
            _ => "aws-cli/2.15.0 Python/3.11.6 Linux/6.1",
        };
        // Two chunks overlapping in time, as two regions' files of a CloudTrail tree.
        let chunk = |times: Vec<i64>| {
            let n = times.len();
            let agents: Vec<&str> = times.iter().map(|&t| agent(t)).collect();
            let ts = Int64Chunked::from_vec(col::TS.into(), times)
                .into_datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC))
                .into_column();
            let ua = StringChunked::from_iter_values(col::USER_AGENT.into(), agents.into_iter())
                .into_column();
            DataFrame::new(n, vec![ts, ua]).unwrap()
        };
        let mut frame = chunk((0..100).map(|t| 2 * t).collect());
        frame
            .vstack_mut_owned(chunk((0..100).map(|t| 2 * t + 1).collect()))
            .unwrap();
        let sorted = sorted_by_time(frame, true).unwrap();
        let ua = sorted.column(col::USER_AGENT).unwrap().str().unwrap();
        let expected: Vec<&str> = (0..200).map(agent).collect();
        assert!(ua.iter().eq(expected.iter().map(|a| Some(*a))));
        let buffers: Vec<usize> = ua
            .downcast_iter()
            .flat_map(|a| a.data_buffers().iter().map(|b| b.len()))
            .collect();
        assert_eq!(buffers, [agent(0).len() + agent(1).len()]);
    }
}
