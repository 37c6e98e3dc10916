//! Line sources: a reader thread cuts line-aligned chunks, rayon workers parse them.

use std::io::{self, Read};
use std::sync::mpsc::{SyncSender, sync_channel};

use polars::prelude::*;
use rayon::prelude::*;
use tokentrail_parsers::ParseErrorKind;
use tokentrail_parsers::framing::lines;

use super::records::{FileJob, RecordSink, Sink};
use super::report::ChunkStats;
use super::{FileReport, IngestOptions, read_failure};

/// A piece of a line-framed input: whole lines, or one line that was too long to keep.
enum Chunk {
    Lines {
        index: usize,
        offset: u64,
        /// The chunk's first line in its file and its line count, when the reader
        /// counts lines.
        counted: Option<(u64, u64)>,
        data: Vec<u8>,
    },
    TooLong {
        index: usize,
        first_line: Option<u64>,
        len: u64,
    },
}

impl Chunk {
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
    let (tx, rx) = sync_channel::<Chunk>(queue);
    let pool = BufferPool::new(queue + rayon::current_num_threads() + 1);
    let (read, mut outputs) = std::thread::scope(|s| {
        let reader_thread =
            s.spawn(|| read_chunks(reader, head, tx, opts, &pool, S::FIRST_LINE_EARLY));
        let outputs: Vec<(usize, S, ChunkStats)> = rx
            .into_iter()
            .par_bridge()
            .map(|chunk| {
                let (b, st) = parse_chunk::<S>(job, &chunk);
                let b = b.parsed(job, chunk.first_line());
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
        .map(|(b, first)| b.finish(job, first))
        .collect()
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
    tx: SyncSender<Chunk>,
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
        let lines = memchr::memchr_iter(b'\n', data).count() as u64
            + u64::from(!data.is_empty() && !data.ends_with(b"\n"));
        next_line = Some(first + lines);
        Some((first, lines))
    };
    let mut error = None;
    let send = |chunk: Chunk| tx.send(chunk).is_ok();
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
                    data: room,
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
                    data,
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

fn parse_chunk<S: Sink>(job: &FileJob<'_>, chunk: &Chunk) -> (S, ChunkStats) {
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

#[cfg(test)]
mod tests {
    use super::fill;

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
