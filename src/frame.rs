//! The normalized event frame: column names, types, and the builders parsers fill.
//!
//! Every column is documented in docs/schema.md. Names are constants here and nowhere
//! else are they spelled out.

use polars::prelude::*;
use tokentrail_parsers::event::notes_text;
use tokentrail_parsers::text::Text;
use tokentrail_parsers::{Credential, Event, ServiceFields, SourceId};

use crate::fingerprint::Fingerprinter;

pub mod col {
    pub const TS: &str = "ts";
    pub const TS_RAW: &str = "ts_raw";
    pub const SOURCE: &str = "source";
    pub const EVENT_ID: &str = "event_id";
    pub const FILE: &str = "file";
    pub const LINE: &str = "line";
    pub const RECORD_INDEX: &str = "record_index";
    pub const BYTE_OFFSET: &str = "byte_offset";
    pub const CREDENTIAL_ID: &str = "credential_id";
    pub const CREDENTIAL_KIND: &str = "credential_kind";
    pub const PRINCIPAL: &str = "principal";
    pub const SESSION_ID: &str = "session_id";
    pub const SRC_IP: &str = "src_ip";
    pub const USER_AGENT: &str = "user_agent";
    pub const ACTION: &str = "action";
    pub const TARGET: &str = "target";
    pub const OUTCOME: &str = "outcome";
    pub const STATUS: &str = "status";
    pub const BYTES: &str = "bytes";
    pub const HTTP_METHOD: &str = "http_method";
    pub const HTTP_VERSION: &str = "http_version";
    pub const REFERER: &str = "referer";
    pub const FORWARDED_FOR: &str = "forwarded_for";
    pub const HOST: &str = "host";
    pub const REQUEST_RAW: &str = "request_raw";
    pub const PARSE_NOTES: &str = "parse_notes";
    pub const REGION: &str = "region";
    pub const ACCOUNT_ID: &str = "account_id";
    pub const RECIPIENT_ACCOUNT_ID: &str = "recipient_account_id";
    pub const READ_ONLY: &str = "read_only";
    pub const EVENT_TYPE: &str = "event_type";
    pub const ERROR_CODE: &str = "error_code";
    pub const CALLER_KIND: &str = "caller_kind";
    pub const CHILD_CREDENTIAL_ID: &str = "child_credential_id";
    pub const CHILD_CREDENTIAL_KIND: &str = "child_credential_kind";
    pub const CHILD_PRINCIPAL: &str = "child_principal";
    pub const LINEAGE: &str = "lineage";
    pub const APP: &str = "app";
    pub const PROVIDER_COUNTRY: &str = "provider_country";
    pub const PROVIDER_CITY: &str = "provider_city";
    pub const PROVIDER_ASN: &str = "provider_asn";
    pub const PROVIDER_AS_ORG: &str = "provider_as_org";
    pub const PROVIDER_PROXY: &str = "provider_proxy";
    pub const RISK: &str = "risk";

    /// Every column, in frame order.
    pub const ALL: &[&str] = &[
        TS,
        TS_RAW,
        SOURCE,
        EVENT_ID,
        FILE,
        LINE,
        RECORD_INDEX,
        BYTE_OFFSET,
        CREDENTIAL_ID,
        CREDENTIAL_KIND,
        PRINCIPAL,
        SESSION_ID,
        SRC_IP,
        USER_AGENT,
        ACTION,
        TARGET,
        OUTCOME,
        STATUS,
        BYTES,
        HTTP_METHOD,
        HTTP_VERSION,
        REFERER,
        FORWARDED_FOR,
        HOST,
        REQUEST_RAW,
        PARSE_NOTES,
        REGION,
        ACCOUNT_ID,
        RECIPIENT_ACCOUNT_ID,
        READ_ONLY,
        EVENT_TYPE,
        ERROR_CODE,
        CALLER_KIND,
        CHILD_CREDENTIAL_ID,
        CHILD_CREDENTIAL_KIND,
        CHILD_PRINCIPAL,
        LINEAGE,
        APP,
        PROVIDER_COUNTRY,
        PROVIDER_CITY,
        PROVIDER_ASN,
        PROVIDER_AS_ORG,
        PROVIDER_PROXY,
        RISK,
    ];
}

/// Where the events of one builder come from.
pub struct FileContext<'a> {
    pub source: SourceId,
    pub file: &'a str,
    /// Short stable key of the file, for event ids of sources that have none.
    pub file_key: &'a str,
}

/// Column buffers for one chunk of one file (struct of arrays). Line numbers are relative
/// to the chunk until [`FrameBuilder::finish`] learns where the chunk starts.
pub struct FrameBuilder {
    fingerprints: Fingerprinter,
    ts: Vec<i64>,
    line: Vec<u64>,
    record_index: Vec<Option<u32>>,
    byte_offset: Vec<u64>,
    status: Vec<Option<i32>>,
    bytes: Vec<Option<u64>>,
    ts_raw: Strings,
    event_id: Vec<Option<Box<str>>>,
    credential_id: Strings,
    credential_kind: Strings,
    principal: Strings,
    session_id: Strings,
    src_ip: Strings,
    user_agent: Strings,
    action: Strings,
    target: Strings,
    outcome: Strings,
    http_method: Strings,
    http_version: Strings,
    referer: Strings,
    forwarded_for: Strings,
    host: Strings,
    request_raw: Strings,
    parse_notes: Strings,
    region: Strings,
    account_id: Strings,
    recipient_account_id: Strings,
    read_only: Sparse<bool>,
    event_type: Strings,
    error_code: Strings,
    caller_kind: Strings,
    child_credential_id: Strings,
    child_credential_kind: Strings,
    child_principal: Strings,
    lineage: Strings,
    app: Strings,
    provider_country: Strings,
    provider_city: Strings,
    provider_asn: Sparse<u32>,
    provider_as_org: Strings,
    provider_proxy: Sparse<bool>,
    risk: Strings,
    any_event_id: bool,
    /// The parser's extra columns (a user's `log_format` variables), by slot, and the
    /// type each becomes.
    extra: Vec<(StringChunkedBuilder, DataType)>,
    /// [`FrameBuilder::repack_texts`] ran: the text columns of [`FrameBuilder::CHOSEN`]
    /// hold their distinct texts already.
    repacked: bool,
}

/// A frame of `height` rows made column by column with `f`, except that a column null in
/// every row is made again as nulls instead of by `f`: most of a source's optional
/// columns (and every column a command did not keep) are, and gathering or filtering
/// them writes 16 bytes a row of fresh memory each, page faults this VM is slowest at.
pub fn map_valued_columns(
    df: &DataFrame,
    height: usize,
    f: impl Fn(&Column) -> PolarsResult<Column> + Sync,
) -> PolarsResult<DataFrame> {
    use rayon::prelude::*;
    let columns = df
        .columns()
        .par_iter()
        .map(|c| match c.null_count() == c.len() {
            true => Ok(Column::full_null(c.name().clone(), height, c.dtype())),
            false => f(c),
        })
        .collect::<PolarsResult<Vec<Column>>>()?;
    DataFrame::new(height, columns)
}

/// Chunks of fewer rows than this have their text columns repacked (see
/// [`compact_small_chunk`]).
pub const COMPACT_BELOW: usize = 4096;

/// A small chunk's text columns, each repacked into one buffer of exactly its texts.
/// Polars' string builder gives every column that holds a text longer than a view (12
/// bytes) a block of at least 8 KiB: a CloudTrail tree of 8,004 five-minute files (12
/// records each) held 760 MB of such blocks for 100,000 events. Larger chunks fill their
/// blocks and are left as they are here ([`compact_chunk`] repacks them for a frame held
/// whole). Only the columns `made` names are repacked: a chunk's columns once built, then
/// those enrichment adds, not all of them again.
pub fn compact_small_chunk(df: &mut DataFrame, made: impl Fn(&str) -> bool) -> PolarsResult<()> {
    if df.height() >= COMPACT_BELOW {
        return Ok(());
    }
    compact_chunk(df, made)
}

/// What a frame holds in memory, about: Polars' `estimated_size` but, for each text
/// column, its views (16 bytes a row, the short texts inside them) and every buffer they
/// point into, once per column, where `estimated_size` counts only the bytes of the texts
/// shown (on a gateway log, a third to a quarter of what held pieces took). Buffers another
/// frame shares are counted whole: a frame that shares them keeps them alive whole
/// (`ingest` gives each hour's piece of a chunk buffers of its own).
pub fn held_bytes(df: &DataFrame) -> usize {
    use polars_arrow::array::Array as _;
    df.columns()
        .iter()
        .map(|c| {
            // A column of one value (`nulls_as_scalars`) holds no rows until it is read
            // row by row, and then what it made.
            let series = match (c.as_series(), c.as_scalar_column()) {
                (Some(s), _) => s,
                (None, Some(one)) => match one.lazy_as_materialized_series() {
                    Some(s) => s,
                    None => return 0,
                },
                (None, None) => return c.as_materialized_series().estimated_size(),
            };
            let Some(texts) = series.str().ok() else {
                return series.estimated_size();
            };
            let mut seen: PlHashSet<*const u8> = PlHashSet::default();
            texts
                .downcast_iter()
                .map(|a| {
                    let buffers: usize = a
                        .data_buffers()
                        .iter()
                        .filter(|b| seen.insert(b.as_ptr()))
                        .map(|b| b.len())
                        .sum();
                    let validity = a.validity().map_or(0, |v| v.len().div_ceil(8));
                    a.views().len() * 16 + buffers + validity
                })
                .sum()
        })
        .sum()
}

/// `c` when some row holds a value, to be read row by row; `None` when it is null in
/// every row. Ask before reading: a column of one null ([`nulls_as_scalars`]) read as an
/// array is made a null a row inside the frame, which keeps it as long as the frame.
pub fn valued(c: &Column) -> Option<&Column> {
    (c.null_count() < c.len()).then_some(c)
}

/// Every column null in every row of `df` as a column of one null value: an array of
/// nulls costs 16 bytes a row for a text column (4-8 for a number), and an nginx chunk has
/// 27 such text columns (CloudTrail's and the providers' fields): 432 of its 1,058 bytes
/// a row held by `ingest`, copied again into each hour's piece.
pub fn nulls_as_scalars(df: &mut DataFrame) -> PolarsResult<()> {
    let height = df.height();
    if height == 0 {
        return Ok(());
    }
    for i in 0..df.width() {
        let c = &df.columns()[i];
        if c.as_series().is_some() && c.null_count() == height {
            let nulls = Column::full_null(c.name().clone(), height, c.dtype());
            df.replace_column(i, nulls)?;
        }
    }
    Ok(())
}

/// A chunk's text columns that `made` names, whatever its size, each repacked into one
/// buffer of its distinct texts ([`compact_column`]). For a frame held whole (`hunt`,
/// `timeline`, `score`), where the repeats of a large chunk's texts (user agents, routes,
/// referers: 96% of an nginx log's long texts' bytes) cost memory for the whole run.
pub fn compact_chunk(df: &mut DataFrame, made: impl Fn(&str) -> bool) -> PolarsResult<()> {
    for i in 0..df.width() {
        let c = &df.columns()[i];
        if c.dtype() != &DataType::String || c.null_count() == c.len() || !made(c.name()) {
            continue;
        }
        let packed = compact_column(c)?;
        df.replace_column(i, packed)?;
    }
    Ok(())
}

/// Finished chunks in input order, with runs of small ones joined into one chunk of at
/// least [`COMPACT_BELOW`] rows. Every chunk's columns cost their few allocations whatever
/// its size: a CloudTrail tree of 4,927 five-minute files (two records each) held 220 MB
/// for 10,079 events, one chunk a file, although each had its texts repacked.
#[derive(Default)]
pub struct SmallChunks {
    run: Vec<DataFrame>,
    rows: usize,
    done: Vec<DataFrame>,
}

impl SmallChunks {
    pub fn push(&mut self, df: DataFrame) -> PolarsResult<()> {
        if df.height() >= COMPACT_BELOW {
            self.join_run()?;
            self.done.push(df);
            return Ok(());
        }
        // Chunks of different sources have different columns (nginx keeps its own).
        if self
            .run
            .first()
            .is_some_and(|first| !same_columns(first, &df))
        {
            self.join_run()?;
        }
        self.rows += df.height();
        self.run.push(df);
        if self.rows >= COMPACT_BELOW {
            self.join_run()?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> PolarsResult<Vec<DataFrame>> {
        self.join_run()?;
        Ok(self.done)
    }

    fn join_run(&mut self) -> PolarsResult<()> {
        self.rows = 0;
        let run = std::mem::take(&mut self.run);
        match run.len() {
            0 | 1 => self.done.extend(run),
            _ => self.done.push(join_small(run)?),
        }
        Ok(())
    }
}

/// Whether two frames have the same columns (names and types, in order), without the
/// schema each would build and keep to be compared.
pub fn same_columns(a: &DataFrame, b: &DataFrame) -> bool {
    a.width() == b.width()
        && a.columns()
            .iter()
            .zip(b.columns())
            .all(|(x, y)| x.name() == y.name() && x.dtype() == y.dtype())
}

/// Frames of the same columns as one frame, one array per column and the texts in one
/// exact buffer (see [`SmallChunks`]).
pub fn join_small(frames: Vec<DataFrame>) -> PolarsResult<DataFrame> {
    let mut frames = frames.into_iter();
    let Some(mut joined) = frames.next() else {
        return empty_frame();
    };
    for df in frames {
        joined.vstack_mut_owned(df)?;
    }
    compact_joined(joined)
}

fn compact_joined(joined: DataFrame) -> PolarsResult<DataFrame> {
    if joined.columns().iter().all(|c| c.n_chunks() <= 1) {
        return Ok(joined);
    }
    let height = joined.height();
    let columns = joined
        .into_columns()
        .into_iter()
        .map(joined_column)
        .collect::<PolarsResult<Vec<Column>>>()?;
    DataFrame::new(height, columns)
}

/// The rows `order` names of `df`, in that order, each column as one array: a text column
/// of its distinct texts ([`compact_gathered`]), a column null in every row as one null
/// ([`nulls_as_scalars`]). With no order, every row as it is, a column of several chunks
/// joined as [`compact_joined`] joins them (a text column of one chunk is left as it is).
pub fn packed_gather(df: DataFrame, order: Option<&[IdxSize]>) -> PolarsResult<DataFrame> {
    use rayon::prelude::*;
    let height = order.map_or(df.height(), <[IdxSize]>::len);
    let idx = order.map(|o| IdxCa::from_vec("".into(), o.to_vec()));
    let columns = df
        .into_columns()
        .into_par_iter()
        .map(|c: Column| match (c.dtype(), order, &idx) {
            (dtype, ..) if c.null_count() == c.len() => {
                Ok(Column::full_null(c.name().clone(), height, dtype))
            }
            (DataType::String, Some(order), _) => {
                Ok(compact_gathered(c.str()?, order).into_column())
            }
            (.., Some(idx)) => c.take(idx),
            (.., None) => joined_column(c),
        })
        .collect::<PolarsResult<Vec<Column>>>()?;
    DataFrame::new(height, columns)
}

/// A column of many chunks as one: a text column as one array of its distinct texts.
fn joined_column(c: Column) -> PolarsResult<Column> {
    match c.dtype() {
        _ if c.n_chunks() <= 1 => Ok(c),
        // No array of nulls (16 bytes a row for a text column), as `map_valued_columns`.
        dtype if c.null_count() == c.len() => {
            Ok(Column::full_null(c.name().clone(), c.len(), dtype))
        }
        DataType::String => compact_column(&c),
        _ => Ok(c.rechunk()),
    }
}

/// A text column as one array whose texts longer than a view share one exactly sized
/// buffer, each distinct text once: a text repeated down the rows (the file's name on
/// every event of it, a role's ARN, a client's user agent) is one copy that every row's
/// view points to. On a CloudTrail tree 83% of the long texts' bytes were repeats
/// (docs/performance.md). A column whose first 1,024 long texts are 90% distinct is packed
/// without lookups.
pub fn compact_column(c: &Column) -> PolarsResult<Column> {
    let ca = c.str()?;
    Ok(compact_values(ca.name().clone(), ca.len(), || ca.iter(), BUFFER_LIMIT).into_column())
}

/// The rows `order` names of a text column (of any number of chunks), in that order, as
/// one array of their distinct texts ([`compact_column`]): a sort's gather and repacking in
/// one pass, with no gathered copy in between.
pub fn compact_gathered(ca: &StringChunked, order: &[IdxSize]) -> StringChunked {
    let rows = Rows::new(ca);
    let values = || order.iter().map(|&i| rows.get(i as usize));
    compact_values(ca.name().clone(), order.len(), values, BUFFER_LIMIT)
}

/// The most bytes of one text buffer: a view addresses its text by a 32-bit offset, and a
/// frame held whole can have more distinct text in one column than that (a column of URLs
/// of 40 M events).
const BUFFER_LIMIT: usize = u32::MAX as usize;

/// [`compact_column`] of the `len` values `values` gives (read twice: once to write the
/// distinct texts, once for the views), into buffers of at most `limit` bytes ([`BUFFER_LIMIT`];
/// tests give a small one).
fn compact_values<'a, I: Iterator<Item = Option<&'a str>>>(
    name: PlSmallStr,
    len: usize,
    values: impl Fn() -> I,
    limit: usize,
) -> StringChunked {
    /// Long texts looked up before deciding whether the column repeats at all.
    const SAMPLED: usize = 1024;
    use polars_arrow::array::{MutableBinaryViewArray, Utf8ViewArray, View};
    const INLINE: usize = View::MAX_INLINE_SIZE as usize;
    // Where each text is: its buffer and its offset there.
    let mut at: PlHashMap<&str, (u32, u32)> = PlHashMap::default();
    let mut buffers: Vec<Vec<u8>> = vec![Vec::new()];
    let mut places = Vec::with_capacity(len);
    let mut dedupe = true;
    // A text not seen before (or not looked up) is written at the end of the last buffer,
    // or of a new one when it would pass the limit.
    let mut write = |v: &str| {
        if buffers
            .last()
            .is_some_and(|b| !b.is_empty() && b.len() + v.len() > limit)
        {
            buffers.push(Vec::new());
        }
        let n = buffers.len() - 1;
        let place = (n as u32, buffers[n].len() as u32);
        buffers[n].extend_from_slice(v.as_bytes());
        place
    };
    for v in values().flatten().filter(|v| v.len() > INLINE) {
        let place = match dedupe {
            true => *at.entry(v).or_insert_with(|| write(v)),
            false => write(v),
        };
        places.push(place);
        // Texts that hardly repeat (event ids, times to the millisecond) are not looked
        // up: the table would cost more than it saves.
        if places.len() == SAMPLED && at.len() * 10 > SAMPLED * 9 {
            dedupe = false;
        }
    }
    drop(at);
    // Polars' `Buffer<u8>`s, known by where they go.
    let buffers: Vec<_> = buffers
        .into_iter()
        .map(|mut b| {
            b.shrink_to_fit();
            b.into()
        })
        .collect();
    let mut out = MutableBinaryViewArray::<str>::with_capacity(len);
    let mut places = places.into_iter();
    for v in values() {
        match v {
            None => out.push_null(),
            Some(v) if v.len() <= INLINE => out.push_value(v),
            Some(v) => {
                let (buffer, offset) = places.next().unwrap_or_default();
                out.push_view(View::new_from_bytes(v.as_bytes(), buffer, offset), &buffers);
            }
        }
    }
    let arr: Utf8ViewArray = out.into();
    StringChunked::with_chunk(name, arr)
}

/// The events with a credential or a principal: all that scoring and investigation read.
/// Anonymous web traffic has no baseline to depart from and no credential to compromise
/// (four nginx lines in five). One chunk per column.
pub fn attributable(df: &DataFrame) -> PolarsResult<DataFrame> {
    let (mask, height) = attributable_mask(df)?;
    filtered(df, &mask, height)
}

/// The `height` rows of `df` that `mask` keeps, one chunk per column.
fn filtered(df: &DataFrame, mask: &BooleanChunked, height: usize) -> PolarsResult<DataFrame> {
    if height == df.height() {
        // Already so: no filtered copy of every column (a rechunk of a column in one
        // chunk is no copy either).
        return map_valued_columns(df, height, |c| Ok(c.rechunk()));
    }
    map_valued_columns(df, height, |c| Ok(c.filter(mask)?.rechunk()))
}

/// [`attributable`] of a frame no longer needed whole. Raw logs and tables read for
/// `hunt` hold only attributable events already: their columns then keep their chunks
/// (the scoring table reads them in order, reports find single rows with [`Rows`]).
/// Joining each column into one chunk only copied its views, and the pages the old views
/// were freed from were not yet reused when the new ones were written: it made the peak
/// of `hunt`, 100-250 MB above the live heap (docs/performance.md).
pub fn into_attributable(mut df: DataFrame) -> PolarsResult<DataFrame> {
    let (mask, height) = attributable_mask(&df)?;
    if height != df.height() {
        return filtered(&df, &mask, height);
    }
    // As in `map_valued_columns`: a column null in every row holds no rows.
    nulls_as_scalars(&mut df)?;
    Ok(df)
}

fn attributable_mask(df: &DataFrame) -> PolarsResult<(BooleanChunked, usize)> {
    let credential = df.column(col::CREDENTIAL_ID)?.is_not_null();
    let principal = df.column(col::PRINCIPAL)?.is_not_null();
    let mask = credential | principal;
    let height = mask.sum().unwrap_or(0) as usize;
    Ok((mask, height))
}

/// Single rows of a column of many chunks. `ChunkedArray::get` walks the chunks one by one
/// to find a row, and an ingested frame keeps a chunk per piece of input it was read in
/// (hundreds for a gigabyte): this finds the chunk by binary search.
pub struct Rows<'a, T: PolarsDataType> {
    /// The first row of each chunk.
    starts: Vec<usize>,
    arrays: Vec<&'a T::Array>,
}

impl<'a, T: PolarsDataType> Rows<'a, T> {
    pub fn new(ca: &'a ChunkedArray<T>) -> Rows<'a, T> {
        let mut starts = Vec::with_capacity(ca.chunks().len());
        let mut arrays = Vec::with_capacity(ca.chunks().len());
        let mut start = 0;
        // An empty chunk starts where the next one does; the search takes the last.
        for (a, len) in ca.downcast_iter().zip(ca.chunk_lengths()) {
            starts.push(start);
            start += len;
            arrays.push(a);
        }
        Rows { starts, arrays }
    }

    /// The value of `row`; `None` when it is null or past the end.
    pub fn get(&self, row: usize) -> Option<<T::Array as StaticArray>::ValueT<'a>> {
        let chunk = self.starts.partition_point(|&s| s <= row).checked_sub(1)?;
        let array: &'a T::Array = self.arrays.get(chunk)?;
        array.get(row - self.starts.get(chunk)?)
    }
}

/// The frame column of a parser's extra column: `x_` and the variable's name.
pub fn extra_column_name(variable: &str) -> String {
    format!("x_{variable}")
}

/// nginx variables that always hold one number (or `-`): their extra columns are typed,
/// so that `x_request_time > 2` or a sum of `x_request_length` needs no cast. Variables
/// that can hold lists (`$upstream_response_time`: `0.004, 0.120` after a retry) stay text.
pub fn extra_column_type(variable: &str) -> DataType {
    match variable {
        "request_time" | "msec" | "gzip_ratio" | "upstream_queue_time" => DataType::Float64,
        "request_length"
        | "bytes_received"
        | "connection"
        | "connection_requests"
        | "connections_active"
        | "pid"
        | "content_length"
        | "server_port"
        | "remote_port" => DataType::Int64,
        _ => DataType::String,
    }
}

/// A string column builder that touches no memory until its first value. Most optional
/// columns are null in every row of a chunk (nginx has no session id), and writing a null
/// view per row for each of them cost more page faults than the parse itself.
struct Strings {
    name: &'static str,
    cap: usize,
    nulls: usize,
    builder: Option<StringChunkedBuilder>,
    /// Not wanted by the command (`FrameBuilder::keeping`): every value is a null.
    skip: bool,
    /// The texts, repacked ([`Strings::repack`]): nothing more is pushed.
    packed: Option<Column>,
}

impl Strings {
    fn new(name: &'static str, cap: usize) -> Strings {
        Strings {
            name,
            cap,
            nulls: 0,
            builder: None,
            skip: false,
            packed: None,
        }
    }

    #[inline]
    fn push(&mut self, value: Option<&str>) {
        debug_assert!(
            self.packed.is_none(),
            "{}: pushed to after it was repacked",
            self.name
        );
        if self.skip {
            self.nulls += 1;
            return;
        }
        match (value, &mut self.builder) {
            (None, None) => self.nulls += 1,
            (None, Some(b)) => b.append_null(),
            (Some(v), Some(b)) => b.append_value(v),
            (Some(v), None) => {
                let mut b =
                    StringChunkedBuilder::new(self.name.into(), self.cap.max(self.nulls + 1));
                for _ in 0..self.nulls {
                    b.append_null();
                }
                b.append_value(v);
                self.builder = Some(b);
            }
        }
    }

    /// The texts pushed as one array of their distinct texts ([`compact_column`]).
    fn repack(&mut self) {
        if let Some(b) = self.builder.take() {
            let ca = b.finish();
            let packed = compact_values(ca.name().clone(), ca.len(), || ca.iter(), BUFFER_LIMIT);
            self.packed = Some(packed.into_column());
        }
    }

    fn finish(self) -> Column {
        match (self.packed, self.builder) {
            (Some(packed), _) => packed,
            (None, Some(b)) => b.finish().into_column(),
            (None, None) => Column::full_null(self.name.into(), self.nulls, &DataType::String),
        }
    }
}

impl FrameBuilder {
    pub fn new(fingerprints: Fingerprinter, cap: usize) -> FrameBuilder {
        FrameBuilder::keeping(fingerprints, cap, &|_| true)
    }

    /// The text columns a command may leave null (see [`FrameBuilder::keeping`]); the
    /// others (source, event id, file, numbers and times) are always filled.
    pub const CHOSEN: &'static [&'static str] = &[
        col::TS_RAW,
        col::CREDENTIAL_ID,
        col::CREDENTIAL_KIND,
        col::PRINCIPAL,
        col::SESSION_ID,
        col::SRC_IP,
        col::USER_AGENT,
        col::ACTION,
        col::TARGET,
        col::OUTCOME,
        col::HTTP_METHOD,
        col::HTTP_VERSION,
        col::REFERER,
        col::FORWARDED_FOR,
        col::HOST,
        col::REQUEST_RAW,
        col::PARSE_NOTES,
        col::REGION,
        col::ACCOUNT_ID,
        col::RECIPIENT_ACCOUNT_ID,
        col::EVENT_TYPE,
        col::ERROR_CODE,
        col::CALLER_KIND,
        col::CHILD_CREDENTIAL_ID,
        col::CHILD_CREDENTIAL_KIND,
        col::CHILD_PRINCIPAL,
        col::LINEAGE,
        col::APP,
        col::PROVIDER_COUNTRY,
        col::PROVIDER_CITY,
        col::PROVIDER_AS_ORG,
        col::RISK,
    ];

    /// A builder whose text columns hold values only where `keep` says so (the others
    /// stay in the schema, all null): a command that reads a few columns (`credentials`)
    /// does not pay for the rest in memory, page faults and sorting.
    pub fn keeping(
        fingerprints: Fingerprinter,
        cap: usize,
        keep: &dyn Fn(&str) -> bool,
    ) -> FrameBuilder {
        let sb = |name: &'static str| Strings {
            skip: !keep(name),
            ..Strings::new(name, cap)
        };
        FrameBuilder {
            fingerprints,
            ts: Vec::with_capacity(cap),
            line: Vec::with_capacity(cap),
            record_index: Vec::with_capacity(cap),
            byte_offset: Vec::with_capacity(cap),
            status: Vec::with_capacity(cap),
            bytes: Vec::with_capacity(cap),
            ts_raw: sb(col::TS_RAW),
            event_id: Vec::new(),
            credential_id: sb(col::CREDENTIAL_ID),
            credential_kind: sb(col::CREDENTIAL_KIND),
            principal: sb(col::PRINCIPAL),
            session_id: sb(col::SESSION_ID),
            src_ip: sb(col::SRC_IP),
            user_agent: sb(col::USER_AGENT),
            action: sb(col::ACTION),
            target: sb(col::TARGET),
            outcome: sb(col::OUTCOME),
            http_method: sb(col::HTTP_METHOD),
            http_version: sb(col::HTTP_VERSION),
            referer: sb(col::REFERER),
            forwarded_for: sb(col::FORWARDED_FOR),
            host: sb(col::HOST),
            request_raw: sb(col::REQUEST_RAW),
            parse_notes: sb(col::PARSE_NOTES),
            region: sb(col::REGION),
            account_id: sb(col::ACCOUNT_ID),
            recipient_account_id: sb(col::RECIPIENT_ACCOUNT_ID),
            read_only: Sparse::default(),
            event_type: sb(col::EVENT_TYPE),
            error_code: sb(col::ERROR_CODE),
            caller_kind: sb(col::CALLER_KIND),
            child_credential_id: sb(col::CHILD_CREDENTIAL_ID),
            child_credential_kind: sb(col::CHILD_CREDENTIAL_KIND),
            child_principal: sb(col::CHILD_PRINCIPAL),
            lineage: sb(col::LINEAGE),
            app: sb(col::APP),
            provider_country: sb(col::PROVIDER_COUNTRY),
            provider_city: sb(col::PROVIDER_CITY),
            provider_asn: Sparse::default(),
            provider_as_org: sb(col::PROVIDER_AS_ORG),
            provider_proxy: Sparse::default(),
            risk: sb(col::RISK),
            any_event_id: false,
            extra: Vec::new(),
            repacked: false,
        }
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// The chunk is parsed and its frame is to be held whole (`hunt`, `timeline`,
    /// `score`): its text columns are repacked now, each to its distinct texts, on the
    /// thread that parsed it, so that what a run holds while it reads is chunks repacked,
    /// not every chunk as built (`hunt` of a 578 MB Entra array read in windows: 511 ->
    /// 353 MB live at most while reading). No more events are pushed after.
    pub fn repack_texts(&mut self) {
        self.texts_mut().into_iter().for_each(Strings::repack);
        self.repacked = true;
    }

    /// The text columns a parser fills (those of [`FrameBuilder::CHOSEN`]).
    fn texts_mut(&mut self) -> [&mut Strings; 32] {
        [
            &mut self.ts_raw,
            &mut self.credential_id,
            &mut self.credential_kind,
            &mut self.principal,
            &mut self.session_id,
            &mut self.src_ip,
            &mut self.user_agent,
            &mut self.action,
            &mut self.target,
            &mut self.outcome,
            &mut self.http_method,
            &mut self.http_version,
            &mut self.referer,
            &mut self.forwarded_for,
            &mut self.host,
            &mut self.request_raw,
            &mut self.parse_notes,
            &mut self.region,
            &mut self.account_id,
            &mut self.recipient_account_id,
            &mut self.event_type,
            &mut self.error_code,
            &mut self.caller_kind,
            &mut self.child_credential_id,
            &mut self.child_credential_kind,
            &mut self.child_principal,
            &mut self.lineage,
            &mut self.app,
            &mut self.provider_country,
            &mut self.provider_city,
            &mut self.provider_as_org,
            &mut self.risk,
        ]
    }

    /// Extra columns beyond the schema, filled from [`Event::extra`] by slot.
    pub fn with_extra_columns(mut self, names: &[String], cap: usize) -> FrameBuilder {
        self.extra = names
            .iter()
            .map(|n| {
                (
                    StringChunkedBuilder::new(extra_column_name(n).into(), cap),
                    extra_column_type(n),
                )
            })
            .collect();
        self
    }

    /// Append one event found at `line` (relative to the chunk), `record_index` (for
    /// records inside a JSON array) and absolute `byte_offset`.
    pub fn push(&mut self, ev: &Event<'_>, line: u64, record_index: Option<u32>, byte_offset: u64) {
        if !self.extra.is_empty() {
            // `ev.extra` is in slot order: one pass fills every extra column.
            let mut values = ev.extra.iter().peekable();
            for (slot, (builder, _)) in self.extra.iter_mut().enumerate() {
                match values.next_if(|(s, _)| usize::from(*s) == slot) {
                    Some((_, v)) => builder.append_value(v),
                    None => builder.append_null(),
                }
            }
        }
        self.ts.push(ev.ts);
        self.line.push(line);
        self.record_index.push(record_index);
        self.byte_offset.push(byte_offset);
        self.status.push(ev.status);
        self.bytes.push(ev.bytes);
        self.ts_raw.push(Some(&*ev.ts_raw));
        if let Some(id) = &ev.event_id {
            if !self.any_event_id {
                self.any_event_id = true;
                self.event_id.resize(self.ts.len() - 1, None);
            }
            self.event_id.push(Some(id.as_ref().into()));
        } else if self.any_event_id {
            self.event_id.push(None);
        }
        Self::push_credential(
            &mut self.fingerprints,
            &mut self.credential_id,
            &mut self.credential_kind,
            ev.credential.as_ref(),
        );
        self.principal.push(ev.principal.as_deref());
        self.session_id.push(ev.session_id.as_deref());
        self.src_ip.push(ev.src_ip.as_deref());
        self.user_agent.push(ev.user_agent.as_deref());
        self.action.push(ev.action.as_deref());
        self.target.push(ev.target.as_deref());
        self.outcome.push(Some(ev.outcome.as_str()));
        self.http_method.push(ev.http_method.as_deref());
        self.http_version.push(ev.http_version.as_deref());
        self.referer.push(ev.referer.as_deref());
        self.forwarded_for.push(ev.forwarded_for.as_deref());
        self.host.push(ev.host.as_deref());
        self.request_raw.push(ev.request_raw.as_deref());
        match ev.notes {
            0 => self.parse_notes.push(None),
            n => self.parse_notes.push(notes_text(n).as_deref()),
        }
        let service = ev.service.as_deref();
        let text = |f: for<'c> fn(&'c ServiceFields<'_>) -> &'c Option<Text<'c>>| {
            service.and_then(|c| f(c).as_deref())
        };
        self.region.push(text(|c| &c.region));
        self.account_id.push(text(|c| &c.account_id));
        self.recipient_account_id
            .push(text(|c| &c.recipient_account_id));
        self.event_type.push(text(|c| &c.event_type));
        self.error_code.push(text(|c| &c.error_code));
        self.caller_kind
            .push(service.and_then(|c| c.caller_kind).map(|k| k.as_str()));
        self.child_principal.push(text(|c| &c.child_principal));
        self.lineage.push(service.and_then(|c| c.lineage));
        Self::push_credential(
            &mut self.fingerprints,
            &mut self.child_credential_id,
            &mut self.child_credential_kind,
            service.and_then(|c| c.child_credential.as_ref()),
        );
        let row = self.ts.len() - 1;
        self.read_only.push(row, service.and_then(|c| c.read_only));
        self.app.push(text(|c| &c.app));
        self.provider_country.push(text(|c| &c.provider_country));
        self.provider_city.push(text(|c| &c.provider_city));
        self.provider_asn
            .push(row, service.and_then(|c| c.provider_asn));
        self.provider_as_org.push(text(|c| &c.provider_as_org));
        self.provider_proxy
            .push(row, service.and_then(|c| c.provider_proxy));
        self.risk.push(text(|c| &c.risk));
    }

    /// A credential as id and kind columns: public ids as they are, secrets as their
    /// fingerprint (the only way a secret reaches a column).
    fn push_credential(
        fingerprints: &mut Fingerprinter,
        id_col: &mut Strings,
        kind_col: &mut Strings,
        credential: Option<&Credential<'_>>,
    ) {
        match credential {
            None => {
                id_col.push(None);
                kind_col.push(None);
            }
            Some(c) => {
                kind_col.push(Some(c.kind().as_str()));
                id_col.push(Some(fingerprints.credential_id(c)));
            }
        }
    }

    /// Build the chunk's DataFrame; `first_line` is the 1-based line number of the chunk's
    /// first line in its file.
    pub fn finish(mut self, ctx: &FileContext<'_>, first_line: u64) -> PolarsResult<DataFrame> {
        let n = self.ts.len();
        let packed: Vec<&'static str> = (self.texts_mut().into_iter())
            .filter(|t| t.packed.is_some())
            .map(|t| t.name)
            .collect();
        let lines: Vec<u64> = self.line.iter().map(|l| l + first_line).collect();
        // Derived ids are written through one reused buffer: this runs once per event.
        let mut event_id = StringChunkedBuilder::new(col::EVENT_ID.into(), n);
        let mut buf = String::with_capacity(ctx.file_key.len() + 21);
        for (i, line) in lines.iter().enumerate() {
            match self.event_id.get(i).and_then(Option::as_deref) {
                Some(id) => event_id.append_value(id),
                None => {
                    buf.clear();
                    push_derived_event_id(&mut buf, ctx.file_key, *line);
                    event_id.append_value(&buf);
                }
            }
        }
        let event_id = event_id.finish();
        let ts = Int64Chunked::from_vec(col::TS.into(), self.ts)
            .into_datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC));
        let columns = vec![
            ts.into_column(),
            self.ts_raw.finish(),
            StringChunked::full(col::SOURCE.into(), ctx.source.as_str(), n).into_column(),
            event_id.into_column(),
            StringChunked::full(col::FILE.into(), ctx.file, n).into_column(),
            UInt64Chunked::from_vec(col::LINE.into(), lines).into_column(),
            UInt32Chunked::from_iter_options(
                col::RECORD_INDEX.into(),
                self.record_index.into_iter(),
            )
            .into_column(),
            UInt64Chunked::from_vec(col::BYTE_OFFSET.into(), self.byte_offset).into_column(),
            self.credential_id.finish(),
            self.credential_kind.finish(),
            self.principal.finish(),
            self.session_id.finish(),
            self.src_ip.finish(),
            self.user_agent.finish(),
            self.action.finish(),
            self.target.finish(),
            self.outcome.finish(),
            Int32Chunked::from_iter_options(col::STATUS.into(), self.status.into_iter())
                .into_column(),
            UInt64Chunked::from_iter_options(col::BYTES.into(), self.bytes.into_iter())
                .into_column(),
            self.http_method.finish(),
            self.http_version.finish(),
            self.referer.finish(),
            self.forwarded_for.finish(),
            self.host.finish(),
            self.request_raw.finish(),
            self.parse_notes.finish(),
            self.region.finish(),
            self.account_id.finish(),
            self.recipient_account_id.finish(),
            self.read_only.finish_bool(col::READ_ONLY, n),
            self.event_type.finish(),
            self.error_code.finish(),
            self.caller_kind.finish(),
            self.child_credential_id.finish(),
            self.child_credential_kind.finish(),
            self.child_principal.finish(),
            self.lineage.finish(),
            self.app.finish(),
            self.provider_country.finish(),
            self.provider_city.finish(),
            self.provider_asn.finish_u32(col::PROVIDER_ASN, n),
            self.provider_as_org.finish(),
            self.provider_proxy.finish_bool(col::PROVIDER_PROXY, n),
            self.risk.finish(),
        ];
        let mut columns = columns;
        for (builder, dtype) in self.extra {
            let text = builder.finish().into_column();
            // Typed only when every value is a number (nginx writes digits or `-`): a
            // value that is not one keeps the column text, so nothing is lost to a cast.
            columns.push(match dtype {
                DataType::String => text,
                dtype => {
                    let typed = text.cast(&dtype)?;
                    match typed.null_count() == text.null_count() {
                        true => typed,
                        false => text,
                    }
                }
            });
        }
        let mut df = DataFrame::new(n, columns)?;
        // What no event of the chunk filled (a line source's record index, a typed extra
        // column of `-` only).
        nulls_as_scalars(&mut df)?;
        // A small chunk's texts are repacked in any case, a repacked chunk's columns made
        // here (ids, the file's name, extra columns) too; neither those repacked already.
        if n < COMPACT_BELOW || self.repacked {
            compact_chunk(&mut df, |c| !packed.contains(&c))?;
        }
        Ok(df)
    }
}

/// A non-string column that most sources never fill: nothing is stored until the first
/// value, then missing rows before it are filled with nulls.
#[derive(Default)]
struct Sparse<T> {
    values: Vec<Option<T>>,
}

impl<T: Copy> Sparse<T> {
    fn push(&mut self, row: usize, value: Option<T>) {
        match value {
            Some(v) => {
                self.values.resize(row, None);
                self.values.push(Some(v));
            }
            None if !self.values.is_empty() => self.values.push(None),
            None => {}
        }
    }

    fn filled(mut self, n: usize) -> Option<Vec<Option<T>>> {
        if self.values.is_empty() {
            return None;
        }
        self.values.resize(n, None);
        Some(self.values)
    }
}

impl Sparse<bool> {
    fn finish_bool(self, name: &str, n: usize) -> Column {
        match self.filled(n) {
            Some(v) => BooleanChunked::from_iter_options(name.into(), v.into_iter()).into_column(),
            None => Column::full_null(name.into(), n, &DataType::Boolean),
        }
    }
}

impl Sparse<u32> {
    fn finish_u32(self, name: &str, n: usize) -> Column {
        match self.filled(n) {
            Some(v) => UInt32Chunked::from_iter_options(name.into(), v.into_iter()).into_column(),
            None => Column::full_null(name.into(), n, &DataType::UInt32),
        }
    }
}

/// Whether an event's `outcome` is a refusal: a guessed, revoked or unauthorised
/// credential.
#[inline]
pub fn is_refused(outcome: Option<&str>) -> bool {
    matches!(outcome, Some("failure" | "denied"))
}

/// The id of an event whose source has none: `<file key>:<line>`.
pub fn push_derived_event_id(buf: &mut String, file_key: &str, line: u64) {
    use std::fmt::Write;
    buf.push_str(file_key);
    let _ = write!(buf, ":{line}");
}

/// An empty frame with the full schema, for runs that read no event.
pub fn empty_frame() -> PolarsResult<DataFrame> {
    FrameBuilder::new(Fingerprinter::new(b""), 0).finish(
        &FileContext {
            source: SourceId::Nginx,
            file: "",
            file_key: "",
        },
        1,
    )
}

/// `rows` distinct nginx requests (combined format), a second apart from 01:00:00 +0100
/// on one day, for tests.
#[cfg(test)]
pub(crate) fn nginx_requests(rows: usize) -> Vec<String> {
    (0..rows)
        .map(|i| {
            format!(
                "10.0.0.{} - - [04/Mar/2026:01:{:02}:{:02} +0100] \"GET /api/v1/projects/{i} HTTP/1.1\" 200 {i} \"-\" \"curl/8.4.0\"",
                i % 200,
                i / 60,
                i % 60
            )
        })
        .collect()
}

/// A chunk of nginx `lines` (combined format) as the reader finishes one, its texts
/// repacked as they are parsed when `repack` (`hunt`, `timeline`, `score`), for tests.
#[cfg(test)]
pub(crate) fn nginx_chunk(lines: &[String], repack: bool) -> DataFrame {
    let parser = tokentrail_parsers::registry::by_id(SourceId::Nginx);
    let ctx = FileContext {
        source: SourceId::Nginx,
        file: "logs/access.log",
        file_key: "0badcafe",
    };
    let mut b = FrameBuilder::new(Fingerprinter::new(b"k"), lines.len());
    for (i, line) in lines.iter().enumerate() {
        let mut events = Vec::new();
        parser
            .parse(line.as_bytes(), &mut events)
            .expect("a combined line");
        events.iter().for_each(|e| b.push(e, i as u64, None, 0));
    }
    if repack {
        b.repack_texts();
    }
    b.finish(&ctx, 1).expect("a frame")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame counts for its texts' views and buffers, not only the texts' bytes; a part
    /// filtered out of it counts the whole buffers it keeps alive.
    #[test]
    fn held_bytes_counts_views_and_shared_buffers() {
        let rows = 10_000;
        let methods: Vec<&str> = vec!["GET"; rows];
        let agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/122.0";
        let agents: Vec<String> = (0..rows).map(|i| format!("{agent} #{i}")).collect();
        let df = df!("method" => methods, "agent" => agents).unwrap();
        let texts = agent.len() * rows;
        // Polars counts the texts' bytes: 3 a row for "GET", held inline in its view.
        assert!(df.estimated_size() < texts + 10 * rows);
        let held = held_bytes(&df);
        assert!(held >= 2 * 16 * rows + texts, "{held}");
        assert!(held < 2 * 16 * rows + texts + 12 * rows, "{held}");
        // Cut in two: each half keeps the whole buffers alive.
        let mask: BooleanChunked = (0..rows).map(|i| i % 2 == 0).collect();
        let half = df.filter(&mask).unwrap();
        assert!(held_bytes(&half) >= 2 * 16 * (rows / 2) + texts);
    }

    /// Small chunks in a row are joined into one chunk in their order, one array per
    /// column and the texts in one buffer; a large chunk, or a chunk with other columns,
    /// ends the run and is kept as it is.
    #[test]
    fn runs_of_small_chunks_are_joined_in_order() {
        let chunk = |from: usize, rows: usize, extra: bool| {
            let texts: Vec<String> = (from..from + rows)
                .map(|i| format!("arn:aws:iam::111122223333:user/u{i}"))
                .collect();
            let mut columns = vec![
                UInt64Chunked::from_vec(
                    "line".into(),
                    (from as u64..(from + rows) as u64).collect(),
                )
                .into_column(),
                StringChunked::from_iter_options(
                    "t".into(),
                    texts
                        .iter()
                        .enumerate()
                        .map(|(i, t)| (i % 3 != 0).then_some(t.as_str())),
                )
                .into_column(),
            ];
            if extra {
                columns.push(Int64Chunked::full("status".into(), 200, rows).into_column());
            }
            DataFrame::new(rows, columns).unwrap()
        };
        let mut small = SmallChunks::default();
        let mut from = 0;
        // Three runs: 2,000 chunks of 3 rows (joined into one of 4,098 rows and one of
        // the 1,902 left, ended by the chunk with other columns), that chunk with two
        // more like it, then a large chunk on its own.
        let mut pushed = Vec::new();
        for (rows, extra, n) in [(3, false, 2000), (5, true, 3), (COMPACT_BELOW, false, 1)] {
            for _ in 0..n {
                let df = chunk(from, rows, extra);
                pushed.push(df.clone());
                small.push(df).unwrap();
                from += rows;
            }
        }
        let done = small.finish().unwrap();
        let heights: Vec<usize> = done.iter().map(DataFrame::height).collect();
        assert_eq!(heights, [4098, 1902, 15, COMPACT_BELOW]);
        let lines = |dfs: &[DataFrame]| -> Vec<Option<u64>> {
            dfs.iter()
                .flat_map(|df| {
                    df.column("line")
                        .unwrap()
                        .u64()
                        .unwrap()
                        .iter()
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let texts = |dfs: &[DataFrame]| -> Vec<Option<String>> {
            dfs.iter()
                .flat_map(|df| {
                    let t = df.column("t").unwrap().str().unwrap();
                    t.iter().map(|v| v.map(str::to_string)).collect::<Vec<_>>()
                })
                .collect()
        };
        assert_eq!(lines(&done), lines(&pushed));
        assert_eq!(texts(&done), texts(&pushed));
        for df in &done[..3] {
            for c in df.columns() {
                assert_eq!(c.n_chunks(), 1, "{}", c.name());
            }
            let t = df.column("t").unwrap().str().unwrap();
            let arr = t.downcast_iter().next().unwrap();
            assert_eq!(arr.data_buffers().len(), 1);
            let long: usize = t.iter().flatten().map(str::len).sum();
            assert_eq!(arr.data_buffers()[0].len(), long);
        }
        assert_eq!(done[2].width(), 3);
    }

    /// A small chunk's texts are the same after repacking (nulls, texts a view holds,
    /// longer ones, é and emoji, repeats), in one buffer of exactly their distinct bytes;
    /// a large chunk is left as built unless its frame is held whole.
    #[test]
    fn a_small_chunks_texts_are_repacked_whole() {
        let values = [
            None,
            Some("10.0.0.1"),
            Some("exactly12byte"),
            Some("arn:aws:iam::111122223333:user/alice"),
            None,
            Some("Zürich 🚀 and a long tail of text"),
            Some(""),
            Some("arn:aws:iam::111122223333:user/alice"),
            Some("10.0.0.1"),
        ];
        let build = || StringChunked::from_iter_options("t".into(), values.into_iter());
        let ca = build();
        let distinct: std::collections::BTreeSet<&str> = values.iter().flatten().copied().collect();
        let long: usize = distinct
            .iter()
            .filter(|v| v.len() > 12)
            .map(|v| v.len())
            .sum();
        // The memory of a column's one text buffer.
        let held = |ca: StringChunked| {
            let arr = ca.downcast_iter().next().unwrap().clone();
            drop(ca);
            let (_, buffers, ..) = arr.into_inner();
            let mut buffers = buffers.into_mut().right().unwrap();
            assert_eq!(buffers.len(), 1);
            buffers
                .pop()
                .unwrap()
                .into_mut()
                .right()
                .unwrap()
                .capacity()
        };
        assert!(held(build()) >= 8192, "as built: a block");
        let mut df = DataFrame::new(values.len(), vec![ca.into_column()]).unwrap();
        compact_small_chunk(&mut df, |_| true).unwrap();
        let packed = df.column("t").unwrap().str().unwrap().clone();
        drop(df);
        assert_eq!(packed.iter().collect::<Vec<_>>(), values);
        assert_eq!(held(packed), long);
        // Built texts keep their 8 KiB block; a large chunk is not repacked.
        let many: Vec<Option<String>> = (0..COMPACT_BELOW)
            .map(|i| Some(format!("a text longer than twelve {i}")))
            .collect();
        let ca = StringChunked::from_iter_options("t".into(), many.iter().map(|v| v.as_deref()));
        let buffers = |df: &DataFrame| {
            let c = df.column("t").unwrap().str().unwrap();
            c.downcast_iter()
                .map(|a| a.data_buffers().len())
                .sum::<usize>()
        };
        let mut df = DataFrame::new(many.len(), vec![ca.into_column()]).unwrap();
        let before = buffers(&df);
        compact_small_chunk(&mut df, |_| true).unwrap();
        assert_eq!(buffers(&df), before);
        assert!(before > 1);
        // Held whole, it is repacked: texts that never repeat are each written once, with
        // no lookup past the first 1,024.
        compact_chunk(&mut df, |_| true).unwrap();
        let packed = df.column("t").unwrap().str().unwrap().clone();
        drop(df);
        assert!(packed.iter().eq(many.iter().map(|v| v.as_deref())));
        let all: usize = many.iter().flatten().map(String::len).sum();
        assert_eq!(held(packed), all);
        // A large chunk of a few texts repeated down its rows holds each once.
        let agents = [
            "Mozilla/5.0 (X11; Linux x86_64)",
            "aws-cli/2.15.0 Python/3.11.6",
        ];
        let rows: Vec<&str> = (0..3 * COMPACT_BELOW).map(|i| agents[i % 7 / 6]).collect();
        let ca = StringChunked::from_iter_values("t".into(), rows.iter().copied());
        let mut df = DataFrame::new(rows.len(), vec![ca.into_column()]).unwrap();
        compact_chunk(&mut df, |_| true).unwrap();
        let packed = df.column("t").unwrap().str().unwrap().clone();
        drop(df);
        assert!(packed.iter().eq(rows.iter().map(|v| Some(*v))));
        assert_eq!(held(packed), agents[0].len() + agents[1].len());
    }

    /// More distinct text than one buffer may address goes into several: every row reads
    /// its own text, each distinct text is written once, no buffer passes the limit.
    #[test]
    fn texts_past_a_buffers_reach_start_another() {
        let texts: Vec<String> = (0..40)
            .map(|i| format!("a distinct long text {i:03}"))
            .collect();
        let rows: Vec<Option<&str>> = (0..200)
            .map(|i| match i % 9 {
                0 => None,
                1 => Some("short"),
                _ => Some(texts[i % texts.len()].as_str()),
            })
            .collect();
        let limit = 100;
        let packed = compact_values("t".into(), rows.len(), || rows.iter().copied(), limit);
        assert!(packed.iter().eq(rows.iter().copied()));
        let sizes: Vec<usize> = packed
            .downcast_iter()
            .flat_map(|a| a.data_buffers().iter().map(|b| b.len()))
            .collect();
        assert!(
            sizes.len() > 1 && sizes.iter().all(|&n| n <= limit),
            "{sizes:?}"
        );
        let distinct: std::collections::BTreeSet<&str> = rows
            .iter()
            .flatten()
            .copied()
            .filter(|t| t.len() > 12)
            .collect();
        let bytes: usize = distinct.iter().map(|t| t.len()).sum();
        assert_eq!(sizes.iter().sum::<usize>(), bytes);
    }

    /// A column no event of a chunk filled (CloudTrail's and the providers' fields in an
    /// nginx chunk, a line source's record index, geo columns without a database) holds
    /// one null, not a null a row; it reads as nulls all the same.
    #[test]
    fn columns_no_event_filled_hold_no_rows() {
        let rows = 3_000;
        let mut df = nginx_chunk(&nginx_requests(rows), false);
        crate::enrich::enrich(&mut df, None, &[]).expect("enriched");
        for name in [
            col::REGION,
            col::ACCOUNT_ID,
            col::RECORD_INDEX,
            col::PROVIDER_ASN,
            col::READ_ONLY,
            crate::enrich::enriched::GEO_COUNTRY,
            crate::enrich::enriched::ASN,
            // Read by enrichment, which must not make it a null a row.
            col::CALLER_KIND,
        ] {
            let c = df.column(name).unwrap();
            let one = c.as_scalar_column();
            assert!(one.is_some(), "{name}: an array");
            assert!(
                one.is_some_and(|o| o.lazy_as_materialized_series().is_none()),
                "{name}: made a null a row"
            );
            assert_eq!(c.len(), rows);
            assert_eq!(c.null_count(), rows, "{name}");
        }
        // A text column of nulls would count 16 bytes a row.
        let region = DataFrame::new(rows, vec![df.column(col::REGION).unwrap().clone()]).unwrap();
        assert_eq!(held_bytes(&region), 0);
        assert!(held_bytes(&df) < 30 * 16 * rows, "{}", held_bytes(&df));
        // Read row by row as any other column.
        let region = df.column(col::REGION).unwrap().str().unwrap();
        assert_eq!(region.iter().filter(Option::is_none).count(), rows);
        // A column with values stays an array.
        assert!(df.column(col::SRC_IP).unwrap().as_series().is_some());
    }

    /// Pieces gathered packed (`parts`: the events held and those the investigation
    /// reads) come out in the order asked, or as joined without one, with each long text
    /// of a column held once however many pieces and rows repeat it, and a column of
    /// nulls as one null.
    #[test]
    fn pieces_gathered_packed_hold_each_text_once_and_no_row_of_nulls() {
        let file = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01/\
                    111122223333_CloudTrail_us-east-1_20260301T0000Z_abcdefgh.json.gz";
        let rows = 1_000;
        let piece = |offset: u64| {
            let n: Vec<u64> = (0..rows as u64).map(|i| offset + i).collect();
            let files: Vec<&str> = vec![file; rows];
            let nulls: Vec<Option<&str>> = vec![None; rows];
            DataFrame::new(
                rows,
                vec![
                    Column::new("n".into(), n),
                    Column::new("file".into(), files),
                    Column::new("region".into(), nulls),
                ],
            )
            .unwrap()
        };
        let mut joined = piece(0);
        joined.vstack_mut_owned(piece(rows as u64)).unwrap();
        let order: Vec<IdxSize> = (0..2 * rows as IdxSize).rev().collect();
        // Gathered plainly, each row's name is copied.
        let plain = joined
            .take(&IdxCa::from_vec("".into(), order.clone()))
            .unwrap();
        for order in [Some(order.as_slice()), None] {
            let sorted = if order.is_some() {
                "in an order"
            } else {
                "joined"
            };
            let packed = packed_gather(joined.clone(), order).unwrap();
            let n: Vec<u64> = packed
                .column("n")
                .unwrap()
                .u64()
                .unwrap()
                .into_no_null_iter()
                .collect();
            let expected: Vec<u64> = match order {
                Some(o) => o.iter().map(|&i| u64::from(i)).collect(),
                None => (0..2 * rows as u64).collect(),
            };
            assert_eq!(n, expected);
            let files = packed.column("file").unwrap().str().unwrap();
            assert!(files.iter().all(|f| f == Some(file)));
            let only = |df: &DataFrame, name: &str| {
                let c = df.column(name).unwrap().clone();
                held_bytes(&DataFrame::new(df.height(), vec![c]).unwrap())
            };
            // The views, and the name once.
            assert_eq!(
                only(&packed, "file"),
                2 * rows * 16 + file.len(),
                "{sorted}"
            );
            assert!(only(&plain, "file") > 2 * rows * file.len());
            let region = packed.column("region").unwrap();
            assert!(
                region.as_scalar_column().is_some(),
                "{sorted}: an array of nulls"
            );
            assert_eq!((region.len(), region.null_count()), (2 * rows, 2 * rows));
        }
    }

    /// A chunk repacked as it is parsed (`hunt`, `timeline`, `score`) finishes into the
    /// same frame as one that is not, each text of a column the parsers fill held once.
    #[test]
    fn a_chunk_repacked_when_parsed_finishes_the_same_with_its_texts_once() {
        let agents = [
            "curl/8.4.0 (x86_64-pc-linux-gnu)",
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        ];
        let lines: Vec<String> = (0..COMPACT_BELOW + 100)
            .map(|i| {
                format!(
                    "10.0.{}.{} - user{} [04/Mar/2026:01:{:02}:{:02} +0100] \"GET /api/v1/projects/{i}/builds?page={} HTTP/1.1\" 200 {i} \"https://ref.example/\" \"{}\"",
                    i % 3,
                    i % 7,
                    i % 5,
                    (i / 60) % 60,
                    i % 60,
                    i % 4,
                    agents[i % 2],
                )
            })
            .collect();
        let (plain, repacked) = (nginx_chunk(&lines, false), nginx_chunk(&lines, true));
        assert!(repacked.equals_missing(&plain));
        assert!(held_bytes(&repacked) < held_bytes(&plain));
        let buffer_bytes = |name: &str| -> usize {
            let texts = repacked.column(name).unwrap().str().unwrap();
            texts
                .downcast_iter()
                .flat_map(|a| a.data_buffers().iter().map(|b| b.len()))
                .sum()
        };
        // Parsed columns and one `finish` makes: each distinct long text once.
        assert_eq!(
            buffer_bytes(col::USER_AGENT),
            agents.iter().map(|a| a.len()).sum::<usize>()
        );
        assert_eq!(buffer_bytes(col::FILE), "logs/access.log".len());
        assert_eq!(buffer_bytes(col::REFERER), "https://ref.example/".len());
    }

    /// A column a command can leave null is listed in `FrameBuilder::CHOSEN`: the tables
    /// `ingest` wrote are read without the others' values the same way
    /// (`app::read_tables`).
    #[test]
    fn every_column_a_command_can_leave_null_is_listed() {
        let records: [(SourceId, &[u8]); 2] = [
            (
                SourceId::Nginx,
                b"10.0.0.5 - alice [04/Mar/2026:01:00:00 +0100] \"GET /a?access_token=tt_live_9f8e7d6c5b4a3f2e1d0c HTTP/1.1\" 401 12 \"https://ref.example/\" \"curl/8.4.0\" \"81.2.69.166\"",
            ),
            (
                SourceId::CloudTrail,
                br#"{"eventVersion":"1.09","eventTime":"2024-07-30T10:00:05Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","awsRegion":"us-east-1","eventID":"e-1","eventType":"AwsApiCall","errorCode":"AccessDenied","sourceIPAddress":"198.51.100.2","userAgent":"aws-cli/2","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/ci","accountId":"111122223333","accessKeyId":"AKIAIOSFODNN7EXAMPLE"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/r","roleSessionName":"s"},"responseElements":{"credentials":{"accessKeyId":"ASIAIOSFODNN7EXAMPLE"}}}"#,
            ),
        ];
        for (source, record) in records {
            let mut events = Vec::new();
            tokentrail_parsers::registry::by_id(source)
                .parse(record, &mut events)
                .expect("a real-shaped record");
            let ctx = FileContext {
                source,
                file: "f",
                file_key: "k",
            };
            let build = |keep: &dyn Fn(&str) -> bool| {
                let mut b = FrameBuilder::keeping(Fingerprinter::new(b"k"), 1, keep);
                events.iter().for_each(|e| b.push(e, 0, None, 0));
                b.finish(&ctx, 1).expect("a frame")
            };
            let (all, none) = (build(&|_| true), build(&|_| false));
            for column in all.columns() {
                let name = column.name().as_str();
                let left = none.column(name).expect("same schema");
                if left.null_count() > column.null_count() {
                    assert!(FrameBuilder::CHOSEN.contains(&name), "{name} of {source:?}");
                }
            }
        }
    }

    /// Scoring reads rows by index: whatever `into_attributable` is given (a frame of
    /// many chunks, all attributable or not), it returns the attributable rows in order,
    /// one chunk per column, and a column null in every row holds no rows.
    #[test]
    fn into_attributable_keeps_or_filters_a_frame_of_many_chunks() {
        let piece = |credential: &[Option<&str>], principal: &[Option<&str>]| {
            let n = credential.len();
            let text = |name: &str, v: &[Option<&str>]| {
                StringChunked::from_iter(v.iter().copied())
                    .with_name(name.into())
                    .into_column()
            };
            let bytes: Vec<Option<u64>> = (0..n as u64).map(Some).collect();
            DataFrame::new(
                n,
                vec![
                    text(col::CREDENTIAL_ID, credential),
                    text(col::PRINCIPAL, principal),
                    text(col::SESSION_ID, &vec![None; n]),
                    UInt64Chunked::from_iter(bytes)
                        .with_name(col::BYTES.into())
                        .into_column(),
                ],
            )
            .unwrap()
        };
        let frame = |pieces: Vec<DataFrame>| {
            let mut pieces = pieces.into_iter();
            let mut df = pieces.next().unwrap();
            for p in pieces {
                df.vstack_mut_owned(p).unwrap();
            }
            df
        };
        let rows = |df: &DataFrame| -> Vec<(Option<String>, Option<String>)> {
            let c = df
                .column(col::CREDENTIAL_ID)
                .unwrap()
                .str()
                .unwrap()
                .clone();
            let p = df.column(col::PRINCIPAL).unwrap().str().unwrap().clone();
            c.iter()
                .zip(p.iter())
                .map(|(c, p)| (c.map(str::to_owned), p.map(str::to_owned)))
                .collect()
        };
        let all = frame(vec![
            piece(&[Some("k1"), None], &[None, Some("alice")]),
            piece(&[Some("k2")], &[Some("bob")]),
        ]);
        let some = frame(vec![
            piece(&[Some("k1"), None], &[None, None]),
            piece(&[None, Some("k2")], &[Some("bob"), None]),
        ]);
        // Each piece's byte counts run 0, 1, …: they follow their rows.
        let cases = [
            (all, vec![0, 1, 2], vec![Some(0), Some(1), Some(0)]),
            (some, vec![0, 2, 3], vec![Some(0), Some(0), Some(1)]),
        ];
        for (df, want, want_bytes) in cases {
            assert!(df.column(col::BYTES).unwrap().n_chunks() > 1);
            let before = rows(&df);
            let out = into_attributable(df).unwrap();
            let kept: Vec<_> = want.iter().map(|&i| before[i].clone()).collect();
            assert_eq!(rows(&out), kept);
            let bytes: Vec<Option<u64>> = out
                .column(col::BYTES)
                .unwrap()
                .u64()
                .unwrap()
                .iter()
                .collect();
            assert_eq!(bytes, want_bytes);
            // All attributable: kept as it is, chunks and all (no copy); filtered: one
            // chunk a column.
            let chunks = out.column(col::BYTES).unwrap().n_chunks();
            assert_eq!(chunks > 1, want.len() == before.len(), "{want:?}");
            assert_eq!(
                out.column(col::SESSION_ID).unwrap().null_count(),
                want.len()
            );
        }
    }

    #[test]
    fn rows_reads_every_row_of_a_column_of_many_chunks() {
        let pieces = [
            StringChunked::from_iter([Some("a"), None, Some("c")]),
            StringChunked::from_iter(Vec::<Option<&str>>::new()),
            StringChunked::from_iter([Some("d")]),
            StringChunked::from_iter([None, Some("f")]),
        ];
        let arrays = pieces
            .iter()
            .flat_map(|p| p.downcast_iter().cloned())
            .collect::<Vec<_>>();
        let ca = StringChunked::from_chunk_iter("s".into(), arrays);
        assert_eq!(ca.chunk_lengths().collect::<Vec<_>>(), [3, 0, 1, 2]);
        let rows = Rows::new(&ca);
        let read: Vec<Option<&str>> = (0..7).map(|i| rows.get(i)).collect();
        assert_eq!(
            read,
            [Some("a"), None, Some("c"), Some("d"), None, Some("f"), None]
        );
    }
}
