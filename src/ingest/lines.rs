//! Line sources: a reader thread cuts line-aligned chunks, rayon workers parse them.

use std::io::{self, Read};
use std::sync::mpsc::{SyncSender, sync_channel};

use polars::prelude::*;
use rayon::prelude::*;
use tokentrail_parsers::framing::first_line;
use tokentrail_parsers::{Detail, ParseErrorKind, parse_line_front_keeping};

use super::records::{FileJob, RecordSink, Sink};
use super::report::ChunkStats;
use super::{FileReport, IngestOptions, read_failure};
use crate::input::map::{Bytes, Map, MapProgress, PagesAhead};

/// A piece of a line-framed input: whole lines, or one line that was too long to keep.
enum Chunk<'m> {
    Lines {
        index: usize,
        offset: u64,
        /// The chunk's first line in its file and its line count, when the reader
        /// counts lines.
        counted: Option<(u64, u64)>,
        /// Read into a buffer of the pool, or a piece of a mapped file.
        data: Bytes<'m, Vec<u8>>,
    },
    TooLong {
        index: usize,
        first_line: Option<u64>,
        len: u64,
    },
}

impl Chunk<'_> {
    fn index(&self) -> usize {
        match self {
            Chunk::Lines { index, .. } | Chunk::TooLong { index, .. } => *index,
        }
    }

    fn first_line(&self) -> Option<u64> {
        match self {
            Chunk::Lines { counted, .. } => counted.map(|(first, _)| first),
            Chunk::TooLong { first_line, .. } => *first_line,
        }
    }
}

pub(super) fn ingest_lines<S: Sink>(
    job: &FileJob<'_>,
    reader: Box<dyn Read + Send>,
    head: Vec<u8>,
    report: &mut FileReport,
) -> PolarsResult<Vec<S::Done>> {
    let opts = job.opts;
    let queue = rayon::current_num_threads() * 2;
    let (tx, rx) = sync_channel::<Chunk<'static>>(queue);
    let pool = BufferPool::new(queue + rayon::current_num_threads() + 1);
    let (read, outputs) = std::thread::scope(|s| {
        let reader_thread =
            s.spawn(|| read_chunks(reader, head, tx, opts, &pool, S::FIRST_LINE_EARLY));
        let outputs = parse_chunks::<S>(job, rx.into_iter(), GiveBack::Pool(&pool));
        (reader_thread.join(), outputs)
    });
    let (bytes, error) =
        read.unwrap_or_else(|_| (0, Some(io::Error::other("reader thread panicked"))));
    report.bytes = bytes;
    if let Some(e) = error {
        read_failure(report, &e, bytes, report.gzip);
    }
    finish_chunks(job, outputs, report)
}

/// A plain file mapped in memory: its chunks are pieces of the map, cut as the reader
/// cuts a stream, with no copy of the bytes (the kernel's copy into the reader's buffers
/// was a tenth of `credentials`' CPU on a large file in the page cache).
pub(super) fn ingest_mapped_lines<S: Sink>(
    job: &FileJob<'_>,
    map: &Map,
    progress: MapProgress<'_>,
    report: &mut FileReport,
) -> PolarsResult<Vec<S::Done>> {
    let data = map.bytes();
    let outputs = PagesAhead::beside(map, |ahead| {
        let chunks = MappedChunks {
            data,
            ahead: Some(ahead),
            at: 0,
            index: 0,
            chunk_bytes: job.opts.chunk_bytes.max(1),
            next_line: S::FIRST_LINE_EARLY.then_some(1),
            progress,
        };
        parse_chunks::<S>(job, chunks, GiveBack::Map(map))
    });
    report.bytes = data.len() as u64;
    finish_chunks(job, outputs, report)
}

/// Where a parsed chunk's bytes go: back to the reader's pool, or out of the process's
/// resident memory.
#[derive(Clone, Copy)]
enum GiveBack<'a> {
    Pool(&'a BufferPool),
    Map(&'a Map),
}

fn parse_chunks<'m, S: Sink>(
    job: &FileJob<'_>,
    chunks: impl Iterator<Item = Chunk<'m>> + Send,
    give_back: GiveBack<'_>,
) -> Vec<(usize, S, ChunkStats)> {
    chunks
        .par_bridge()
        .map(|chunk| {
            let (b, st) = parse_chunk::<S>(job, &chunk);
            let b = b.parsed(job, chunk.first_line());
            let index = chunk.index();
            match (give_back, chunk) {
                (
                    GiveBack::Pool(pool),
                    Chunk::Lines {
                        data: Bytes::Read(data),
                        ..
                    },
                ) => pool.give(data),
                (GiveBack::Map(map), Chunk::Lines { offset, data, .. }) => {
                    let start = offset as usize;
                    map.release(start..start + data.len());
                }
                _ => {}
            }
            (index, b, st)
        })
        .collect()
}

fn finish_chunks<S: Sink>(
    job: &FileJob<'_>,
    mut outputs: Vec<(usize, S, ChunkStats)>,
    report: &mut FileReport,
) -> PolarsResult<Vec<S::Done>> {
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
        .map(|(b, first)| b.finish(job, first))
        .collect()
}

/// The lines a chunk holds, as the reader counts them: a last line without its newline
/// counts.
fn line_count(data: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', data).count() as u64
        + u64::from(!data.is_empty() && !data.ends_with(b"\n"))
}

/// Cuts a mapped file as [`read_chunks`] cuts a stream: whole lines up to the chunk
/// size, a line longer than that in a chunk of its own. Unlike the reader, which only
/// measures a line past the cap as it skips it, a mapped line past the cap is there to
/// be shown: the record check counts it with the excerpt of any over-long record.
struct MappedChunks<'m, 'p> {
    data: &'m [u8],
    /// Told where the chunks handed out end (none in tests of the cutting).
    ahead: Option<&'p PagesAhead<'m>>,
    at: usize,
    index: usize,
    chunk_bytes: usize,
    next_line: Option<u64>,
    progress: MapProgress<'p>,
}

impl<'m> Iterator for MappedChunks<'m, '_> {
    type Item = Chunk<'m>;

    fn next(&mut self) -> Option<Chunk<'m>> {
        let rest = self.data.get(self.at..).filter(|r| !r.is_empty())?;
        let window = &rest[..rest.len().min(self.chunk_bytes)];
        let end = match (window.len() == rest.len(), memchr::memrchr(b'\n', window)) {
            (true, _) => rest.len(),
            (false, Some(i)) => i + 1,
            (false, None) => memchr::memchr(b'\n', &rest[window.len()..])
                .map_or(rest.len(), |i| window.len() + i + 1),
        };
        let data = &rest[..end];
        let (index, offset) = (self.index, self.at as u64);
        self.index += 1;
        self.at += end;
        self.progress.reached(self.at as u64);
        if let Some(ahead) = self.ahead {
            ahead.reached(self.at);
        }
        let counted = self.next_line.map(|first| {
            let lines = line_count(data);
            self.next_line = Some(first + lines);
            (first, lines)
        });
        Some(Chunk::Lines {
            index,
            offset,
            counted,
            data: Bytes::Mapped(data),
        })
    }
}

/// Raw chunk buffers go back to the reader once parsed. Fresh memory costs a page fault
/// per 4 KiB, which on the VMs measured here cost more than parsing the bytes in it; the
/// pool also bounds the raw bytes in flight. A buffer is written to its length, so that
/// the reader fills it with plain `read` calls: `read_to_end` through a `dyn Read` zeroes
/// the room it reads into on every call (std's default `read_buf`), a 16 MiB memset per
/// chunk (4-6% of `credentials` on the Okta bench, docs/performance.md).
struct BufferPool {
    free: std::sync::Mutex<Vec<Vec<u8>>>,
    keep: usize,
}

impl BufferPool {
    fn new(keep: usize) -> BufferPool {
        BufferPool {
            free: std::sync::Mutex::new(Vec::new()),
            keep,
        }
    }

    /// A buffer given back, or a new one, empty: it grows as its input fills it (see
    /// [`fill`]), so a small file does not cost a written 16 MiB.
    fn take(&self) -> Vec<u8> {
        let reused = self.free.lock().ok().and_then(|mut f| f.pop());
        reused.unwrap_or_default()
    }

    fn give(&self, mut buf: Vec<u8>) {
        // Written to its capacity: only the room past the chunk's bytes is new (a chunk
        // fills its buffer but for its last partial line).
        buf.resize(buf.capacity(), 0);
        if let Ok(mut free) = self.free.lock()
            && free.len() < self.keep
        {
            free.push(buf);
        }
    }
}

/// A new buffer's first room: a small file needs no more.
const FIRST_ROOM: usize = 64 * 1024;

/// Reads `want` more bytes into `room` after its first `*filled` until they are read or
/// the stream ends; true at the end of the stream or on an error, as
/// `take(want).read_to_end` says it, with every byte read before an error kept. `room` is
/// written to its length, which grows when the bytes read reach it: to [`FIRST_ROOM`],
/// then to all that is asked, so a buffer is only written as far as its input needs.
fn fill(
    reader: &mut dyn Read,
    room: &mut Vec<u8>,
    filled: &mut usize,
    want: usize,
) -> (bool, Option<io::Error>) {
    let end = filled.saturating_add(want);
    while *filled < end {
        if *filled == room.len() {
            // 64 KiB first; an input with more than that gets its whole chunk at once
            // (growing by doubling left the smaller buffers behind in the allocator:
            // +45 MB on a large log).
            let grown = match room.len() < FIRST_ROOM {
                true => FIRST_ROOM.min(end),
                false => end,
            };
            room.resize(grown, 0);
        }
        let stop = end.min(room.len());
        match reader.read(&mut room[*filled..stop]) {
            Ok(0) => return (true, None),
            Ok(n) => *filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (true, Some(e)),
        }
    }
    (false, None)
}

/// The reader side of the pipeline: cut the stream into line-aligned chunks. Returns the
/// decompressed byte count and the read error that ended it, if any.
fn read_chunks(
    mut reader: Box<dyn Read + Send>,
    head: Vec<u8>,
    tx: SyncSender<Chunk<'static>>,
    opts: &IngestOptions,
    pool: &BufferPool,
    count_lines: bool,
) -> (u64, Option<io::Error>) {
    let chunk_bytes = opts.chunk_bytes.max(1);
    let mut offset = 0u64;
    let mut index = 0usize;
    // The next chunk's first line, when counted; a chunk's lines as `lines` yields them.
    let mut next_line = count_lines.then_some(1u64);
    let mut count = |data: &[u8]| {
        let first = next_line?;
        let lines = line_count(data);
        next_line = Some(first + lines);
        Some((first, lines))
    };
    let mut error = None;
    let send = |chunk: Chunk<'static>| tx.send(chunk).is_ok();
    // `room[..filled]` holds the bytes read and not yet sent; `room` is written to its
    // length (see `BufferPool`).
    let mut room = pool.take();
    let mut filled = head.len();
    if room.len() < filled {
        room.resize(filled, 0);
    }
    room[..filled].copy_from_slice(&head);
    drop(head);
    loop {
        let want = chunk_bytes
            .saturating_sub(filled)
            .max(chunk_bytes.min(64 * 1024));
        let (eof, failed) = fill(&mut *reader, &mut room, &mut filled, want);
        if failed.is_some() {
            error = failed;
        }
        if eof {
            if filled > 0 {
                room.truncate(filled);
                let len = filled as u64;
                send(Chunk::Lines {
                    index,
                    offset,
                    counted: count(&room),
                    data: Bytes::Read(room),
                });
                offset += len;
            }
            return (offset, error);
        }
        match memchr::memrchr(b'\n', &room[..filled]) {
            Some(i) => {
                let mut next = pool.take();
                let carry = filled - (i + 1);
                if next.len() < carry {
                    next.resize(carry, 0);
                }
                next[..carry].copy_from_slice(&room[i + 1..filled]);
                room.truncate(i + 1);
                let len = room.len() as u64;
                let data = std::mem::replace(&mut room, next);
                filled = carry;
                if !send(Chunk::Lines {
                    index,
                    offset,
                    counted: count(&data),
                    data: Bytes::Read(data),
                }) {
                    return (offset, error);
                }
                offset += len;
                index += 1;
            }
            None if filled > opts.max_line_bytes => {
                // Inside a line longer than the cap: skip to its end without keeping it.
                let mut len = filled as u64;
                filled = 0;
                let mut block = vec![0u8; 64 * 1024];
                let mut ended = false;
                loop {
                    match reader.read(&mut block) {
                        Ok(0) => break,
                        Ok(n) => match memchr::memchr(b'\n', &block[..n]) {
                            Some(i) => {
                                len += i as u64 + 1;
                                let rest = &block[i + 1..n];
                                if room.len() < rest.len() {
                                    room.resize(rest.len(), 0);
                                }
                                room[..rest.len()].copy_from_slice(rest);
                                filled = rest.len();
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
                send(Chunk::TooLong {
                    index,
                    first_line: count(b"\n").map(|(first, _)| first),
                    len,
                });
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

fn parse_chunk<S: Sink>(job: &FileJob<'_>, chunk: &Chunk<'_>) -> (S, ChunkStats) {
    let (offset, data) = match chunk {
        Chunk::TooLong { len, .. } => {
            let mut sink = RecordSink::<S>::new(job, chunk.index() as u32, 0);
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
    // Columns sized to the chunk's real line count: a guess from nginx's line length
    // over-allocated JSON logs (1-2 KB a line) sevenfold, and the kernel zeroes every
    // huge page such a buffer touches (measured below, docs/performance.md). A sink that
    // holds no rows is not sized.
    let capacity = match (S::SIZED_BY_ROWS, chunk) {
        (
            true,
            Chunk::Lines {
                counted: Some((_, lines)),
                ..
            },
        ) => *lines as usize + 1,
        (true, _) => memchr::memchr_iter(b'\n', data).count() + 1,
        (false, _) => 0,
    };
    let mut sink = RecordSink::<S>::new(job, chunk.index() as u32, capacity);
    let mut out = Vec::with_capacity(4);
    let (mut pos, mut index) = (0, 0);
    // JSON Lines a parser reads from the front: the record's end is where its reader
    // stopped, with no search for the newline, and the lines are checked as UTF-8 a block
    // at a time rather than twice per record (the search and the checks were 8-10% of the
    // profile of `credentials --by principal` on Okta NDJSON; the run is 1-4% faster, as
    // the first pass over the bytes pays for reading them from memory). A block is small
    // enough to be still in the cache when its records are read: the whole chunk checked
    // first cost more than the checks it saved (docs/performance.md).
    let fronts = job.detail == Detail::Identity && job.parser.reads_line_fronts();
    let mut block: (usize, usize, Option<&str>) = (0, 0, None);
    while pos < data.len() {
        if fronts && pos >= block.1 {
            block = utf8_block(data, pos);
        }
        if let (start, _, Some(text)) = block
            && let Some(rest) = text.get(pos - start..)
        {
            out.clear();
            if let Some(end) = parse_line_front_keeping(job.parser, job.detail, rest, &mut out)
                && let Some((len, step)) = line_after(&data[pos..], end)
            {
                sink.stats.lines += 1;
                let at = (index, None, offset + pos as u64);
                sink.record_parsed(&data[pos..pos + len], at, &mut out);
                (pos, index) = (pos + step, index + 1);
                continue;
            }
        }
        // Any other line: cut where its newline is, and parsed on its own.
        let (line, step) = first_line(&data[pos..]);
        let at = offset + pos as u64;
        sink.stats.lines += 1;
        (pos, index) = (pos + step, index + 1);
        if line.iter().all(u8::is_ascii_whitespace) {
            sink.stats.blank += 1;
            continue;
        }
        sink.record(line, index - 1, None, at, &mut out);
    }
    (sink.builder, sink.stats)
}

/// Bytes of lines checked as UTF-8 at a time for `LogParser::parse_line_front`.
const UTF8_BLOCK: usize = 64 * 1024;

/// The whole lines from `start` to at least [`UTF8_BLOCK`] bytes further (or the end of
/// `data`): where they start and end, and their text when they are UTF-8. Lines before
/// one that is not are a block of their own, and that line alone is one without text.
fn utf8_block(data: &[u8], start: usize) -> (usize, usize, Option<&str>) {
    let end = match data.get(start + UTF8_BLOCK..) {
        Some(after) => {
            memchr::memchr(b'\n', after).map_or(data.len(), |i| start + UTF8_BLOCK + i + 1)
        }
        None => data.len(),
    };
    let bytes = &data[start..end];
    if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
        return (start, end, Some(text));
    }
    let valid = match simdutf8::compat::from_utf8(bytes) {
        Ok(text) => return (start, end, Some(text)),
        Err(e) => e.valid_up_to(),
    };
    match memchr::memrchr(b'\n', &bytes[..valid]) {
        Some(i) => (start, start + i + 1, std::str::from_utf8(&bytes[..=i]).ok()),
        None => {
            let line =
                memchr::memchr(b'\n', &bytes[valid..]).map_or(end, |j| start + valid + j + 1);
            (start, line, None)
        }
    }
}

/// The line of a record that took `rest[..end]`: its length as [`first_line`] cuts it
/// and the bytes to the next line; `None` when something other than JSON whitespace
/// follows the record on its line (the line is then parsed whole, and says what is
/// wrong).
fn line_after(rest: &[u8], end: usize) -> Option<(usize, usize)> {
    let mut at = end;
    while let Some(&c) = rest.get(at) {
        match c {
            b' ' | b'\t' | b'\r' => at += 1,
            b'\n' => break,
            _ => return None,
        }
    }
    let step = (at + 1).min(rest.len());
    match rest.get(..at)? {
        [.., b'\r'] => Some((at - 1, step)),
        _ => Some((at, step)),
    }
}

#[cfg(test)]
mod tests {
    use super::{Bytes, Chunk, MapProgress, MappedChunks, fill};

    /// A parser that reads no line from its front: every line is cut at its newline and
    /// parsed whole, as before `parse_line_front`.
    struct WholeLines(&'static dyn tokentrail_parsers::LogParser);

    impl tokentrail_parsers::LogParser for WholeLines {
        fn id(&self) -> tokentrail_parsers::SourceId {
            self.0.id()
        }
        fn framing(&self, head: &[u8]) -> tokentrail_parsers::framing::Framing {
            self.0.framing(head)
        }
        fn sniff(&self, head: &[u8]) -> tokentrail_parsers::Confidence {
            self.0.sniff(head)
        }
        fn parse<'a>(
            &self,
            record: &'a [u8],
            out: &mut Vec<tokentrail_parsers::Event<'a>>,
        ) -> Result<(), tokentrail_parsers::ParseError> {
            self.0.parse(record, out)
        }
        fn examples(&self) -> &'static [tokentrail_parsers::Example] {
            self.0.examples()
        }
        fn extra_columns(&self) -> &[String] {
            self.0.extra_columns()
        }
    }

    /// The events and counters of `data` read as one chunk by `parser` with only the
    /// identity kept.
    fn read_chunk(
        parser: &'static dyn tokentrail_parsers::LogParser,
        data: &[u8],
    ) -> (polars::prelude::DataFrame, super::ChunkStats) {
        let opts = super::IngestOptions {
            max_line_bytes: 8000,
            ..Default::default()
        };
        let fingerprints = crate::fingerprint::Fingerprinter::new(b"test");
        let job = super::FileJob {
            parser,
            ctx: crate::frame::FileContext {
                source: parser.id(),
                file: "test.ndjson",
                file_key: "test",
            },
            file_index: 0,
            opts: &opts,
            fingerprints: &fingerprints,
            tally: None,
            spill: None,
            now: 4_000_000_000_000_000_000,
            detail: tokentrail_parsers::Detail::Identity,
        };
        let chunk = Chunk::Lines {
            index: 0,
            offset: 0,
            counted: None,
            data: Bytes::Mapped(data),
        };
        let (builder, stats) = super::parse_chunk::<crate::frame::FrameBuilder>(&job, &chunk);
        let frame = crate::frame::FrameBuilder::finish(builder, &job.ctx, 1).unwrap();
        (frame, stats)
    }

    /// JSON Lines read from each line's front give the events, line numbers, counters and
    /// malformed records that cutting each line at its newline gives: real Okta, Auth0
    /// and Entra records, and lines around them with trailing whitespace, CRLF, a second
    /// object, an object over two lines, a leading space, bytes that are not UTF-8, a
    /// line over the cap, a cut record, blank lines, and no newline at the end.
    #[test]
    fn json_lines_read_from_the_front_read_as_whole_lines() {
        let mut events = 0;
        for (source, fixture) in [
            (tokentrail_parsers::SourceId::OktaSystemLog, "okta"),
            (tokentrail_parsers::SourceId::Auth0, "auth0"),
            (tokentrail_parsers::SourceId::EntraSignIn, "entra"),
        ] {
            let parser = tokentrail_parsers::registry::by_id(source);
            assert!(parser.reads_line_fronts());
            let whole: &'static WholeLines = Box::leak(Box::new(WholeLines(parser)));
            let path = format!(
                "{}/tests/fixtures/{fixture}/panther-rule-tests.ndjson",
                env!("CARGO_MANIFEST_DIR")
            );
            let text = std::fs::read_to_string(path).unwrap();
            let records: Vec<&str> = text.lines().collect();
            let mut data: Vec<u8> = Vec::new();
            for (i, r) in records.iter().enumerate() {
                let odd: Vec<u8> = match i % 13 {
                    1 => format!("{r}  \t\r\n").into(),
                    2 => format!("{r}\r\n").into(),
                    3 => format!("{r} {r}\n").into(),
                    4 => format!("{r}x\n").into(),
                    5 => r.replacen("\":", "\":\n", 1).into_bytes(),
                    6 => format!(" {r}\n\n \t\n").into(),
                    7 => r.replacen("\":\"", "\":\"\u{e9}\u{1F600}", 1).into_bytes(),
                    8 => {
                        let mut b = r.as_bytes().to_vec();
                        let at = r.find("\":\"").map_or(0, |i| i + 3);
                        b.insert(at, 0xe9);
                        b
                    }
                    9 => format!("{}\n", r.get(..r.len() / 2).unwrap()).into(),
                    10 => format!("{r}{}\n", " ".repeat(8100)).into(),
                    11 => format!("{r}\r\r\n").into(),
                    // At the cap without its `\r`, over it with.
                    12 => format!("{r}{}\r\n", " ".repeat(8000 - r.len())).into(),
                    _ => format!("{r}\n").into(),
                };
                data.extend_from_slice(&odd);
                if !odd.ends_with(b"\n") {
                    data.push(b'\n');
                }
            }
            data.extend_from_slice(records[0].as_bytes());
            // Each stretch that begins at a line, so that a chunk ends anywhere.
            for from in [0, data.len() / 3] {
                let from = data[..from]
                    .iter()
                    .rposition(|&c| c == b'\n')
                    .map_or(0, |i| i + 1);
                let (fronts, stats) = read_chunk(parser, &data[from..]);
                let (lines, whole_stats) = read_chunk(whole, &data[from..]);
                assert!(
                    fronts.equals_missing(&lines),
                    "{fixture} from {from}: events differ"
                );
                assert_eq!(stats, whole_stats, "{fixture} from {from}");
                assert!(stats.malformed.values().sum::<u64>() > 3, "{stats:?}");
                assert!(stats.blank > 0, "{stats:?}");
                events += fronts.height();
            }
        }
        assert!(events > 100, "{events}");
    }

    fn cut(data: &[u8], chunk_bytes: usize) -> Vec<(u64, &[u8], u64)> {
        MappedChunks {
            data,
            ahead: None,
            at: 0,
            index: 0,
            chunk_bytes,
            next_line: Some(1),
            progress: MapProgress::new(&indicatif::ProgressBar::hidden(), 0),
        }
        .enumerate()
        .map(|(i, chunk)| match chunk {
            Chunk::Lines {
                index,
                offset,
                counted: Some((first, _)),
                data: Bytes::Mapped(data),
            } if index == i => (offset, data, first),
            _ => panic!("chunk {i} is not a piece of the map in order"),
        })
        .collect()
    }

    /// A mapped file is cut into whole lines up to the chunk size, every byte in one
    /// chunk, in order, each chunk's first line counted; a line longer than the chunk is
    /// a chunk of its own.
    #[test]
    fn a_mapped_file_is_cut_into_whole_lines_every_byte_once() {
        let long = "x".repeat(300);
        let text = format!("a\nbb\n\n{long}\nccc\n{long}\nd");
        let chunks = cut(text.as_bytes(), 8);
        let firsts: Vec<u64> = chunks.iter().map(|c| c.2).collect();
        assert_eq!(firsts, [1, 4, 5, 6, 7]);
        let mut at = 0;
        for (offset, data, _) in &chunks {
            assert_eq!(*offset as usize, at);
            assert_eq!(*data, &text.as_bytes()[at..at + data.len()]);
            at += data.len();
            assert!(
                at == text.len() || data.ends_with(b"\n"),
                "a chunk cuts a line"
            );
            assert!(data.len() <= 8 || !data[..data.len() - 1].contains(&b'\n'));
        }
        assert_eq!(at, text.len());
        assert_eq!(chunks[1].1.len(), 301);
        // A chunk as big as the file is the file.
        assert_eq!(cut(text.as_bytes(), 1 << 20).len(), 1);
        assert!(cut(b"", 8).is_empty());
    }

    /// A reader that hands out at most `step` bytes per call, as a pipe or a gzip stream
    /// does.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.step).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    /// A small input asked for a whole chunk is read whole into a buffer of its own size's
    /// order, not one written to the chunk's 16 MiB; a long one fills exactly what is
    /// asked, across many short reads and the buffer's growth, and says where it ended.
    #[test]
    fn fill_reads_what_is_asked_and_grows_only_as_far_as_the_input() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let chunk = 16 << 20;

        let mut small = Trickle {
            data: &data[..100],
            step: 7,
        };
        let (mut room, mut filled) = (Vec::new(), 0);
        let (ended, error) = fill(&mut small, &mut room, &mut filled, chunk);
        assert!(ended && error.is_none());
        assert_eq!(&room[..filled], &data[..100]);
        assert!(room.len() <= 64 * 1024, "{}", room.len());

        let mut long = Trickle {
            data: &data,
            step: 5_000,
        };
        let (mut room, mut filled) = (b"carried".to_vec(), 7);
        let (ended, _) = fill(&mut long, &mut room, &mut filled, 150_000);
        assert!(!ended);
        assert_eq!(filled, 150_007);
        assert_eq!(&room[7..filled], &data[..150_000]);
        let (ended, _) = fill(&mut long, &mut room, &mut filled, 100_000);
        assert!(ended);
        assert_eq!(&room[7..filled], &data[..]);
    }
}
