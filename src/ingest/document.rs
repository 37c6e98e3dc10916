//! Whole-document sources (JSON documents, CSV downloads): read the document, frame its
//! records, parse them.

use std::io::Read;
use std::ops::Range;

use polars::prelude::*;
use rayon::prelude::*;
use tokentrail_parsers::ParseErrorKind;
use tokentrail_parsers::csv_export::{self, CsvLayout, CsvRows};
use tokentrail_parsers::framing::{ArrayRecords, Framing, TextWindows};
use tokentrail_parsers::parse_front_keeping;

use super::records::{FileJob, RecordSink, Sink};
use super::report::{MalformedExample, ProblemKind};
use super::{FileReport, read_failure};
use crate::input::map::{Bytes, Map, MapProgress};

/// Whole-document JSON sources (an array, or a `Records` wrapper): frame the document's
/// records and parse them, a large array in pieces on every core. A mapped document is
/// read whole, its pages let go of as the read goes; one that is read (decompressed, or
/// not mapped) a window of whole records at a time, so that neither holds the document.
pub(super) fn ingest_document<S: Sink>(
    job: &FileJob<'_>,
    framing: Framing,
    whole: Whole<'_>,
    report: &mut FileReport,
) -> PolarsResult<Vec<S::Done>> {
    let mut read = DocumentRead::default();
    let error = match whole {
        // A document that is one record is held whole whichever way it is read.
        Whole::Read(reader, size, head) if framing != Framing::JsonDocument => {
            stream_document::<S>(job, framing, (reader, size, head), report, &mut read)?
        }
        whole => {
            let map = whole.map();
            let cap = match framing {
                Framing::JsonDocument => job.opts.max_document_bytes,
                _ => usize::MAX,
            };
            let doc = whole.bytes(job, report, cap);
            // Windows tools write a BOM, which JSON parsers reject; offsets stay file
            // offsets.
            let skip = bom_len(&doc);
            // Pages of a mapped document read and no longer needed are let go as the
            // passes over it go: its resident memory is then the stretches being read,
            // not the document.
            let release = |read: Range<usize>| {
                if let Some(map) = map {
                    map.release(skip + read.start..skip + read.end);
                }
            };
            let window = Window {
                body: &doc[skip..],
                base: skip,
                start: Start::Head,
                line: 1,
                last: true,
            };
            let window = read_window::<S>(job, framing, &window, read.chunks, &release);
            read.add(job, window, report)?
                .error
                .map(|e| format!("document: {e}"))
        }
    };
    report.lines = read.records;
    if let Some(e) = error {
        // The document could not be framed to its end: the records before the fault are
        // kept; the fault counts as one malformed record (the one that was cut).
        report.records += 1;
        report.malformed += 1;
        *report
            .malformed_by_reason
            .entry(ParseErrorKind::BadJson.reason())
            .or_default() += 1;
        report.malformed_examples.push(MalformedExample {
            line: 0,
            record_index: Some(read.records),
            reason: e,
            byte: 0,
            excerpt: String::new(),
        });
    }
    Ok(read.done)
}

/// What the windows of a document made so far.
struct DocumentRead<D> {
    done: Vec<D>,
    records: u64,
    /// Pieces read so far: each piece is a chunk of its own, numbered in file order.
    chunks: u32,
    last_seen: Option<i64>,
}

impl<D> Default for DocumentRead<D> {
    fn default() -> Self {
        DocumentRead {
            done: Vec::new(),
            records: 0,
            chunks: 0,
            last_seen: None,
        }
    }
}

impl<D: Send> DocumentRead<D> {
    /// A window's sinks, finished into its counters and frames: what a window made is
    /// not held past the window. Gives back where the window stopped.
    fn add<'j, S: Sink<Done = D>>(
        &mut self,
        job: &FileJob<'_>,
        window: WindowRead<'j, S>,
        report: &mut FileReport,
    ) -> PolarsResult<WindowEnd> {
        self.records += window.records;
        self.add_sinks(job, window.sinks, report)?;
        Ok(window.end)
    }

    /// Sinks (one per piece, each with the line its lines count from) into the file's
    /// counters and frames.
    fn add_sinks<'j, S: Sink<Done = D>>(
        &mut self,
        job: &FileJob<'_>,
        sinks: Vec<(RecordSink<'j, S>, u64)>,
        report: &mut FileReport,
    ) -> PolarsResult<()> {
        self.chunks = self.chunks.saturating_add(sinks.len() as u32);
        let mut finishing = Vec::with_capacity(sinks.len());
        for (RecordSink { builder, stats, .. }, first_line) in sinks {
            stats.merge_into(report, first_line, &mut self.last_seen);
            finishing.push((builder, first_line));
        }
        // On every core: a frame's texts are repacked as it is finished.
        let done: Vec<Option<D>> = finishing
            .into_par_iter()
            .map(|(builder, first_line)| {
                let builder = builder.parsed(job, Some(first_line));
                match builder.is_empty() {
                    true => Ok(None),
                    false => builder.finish(job, first_line).map(Some),
                }
            })
            .collect::<PolarsResult<_>>()?;
        self.done.extend(done.into_iter().flatten());
        Ok(())
    }
}

/// A document that is read (decompressed, or a file not mapped), a window of whole
/// records at a time: memory holds one window (a line chunk per core), the record cut at
/// its end and the window read ahead, not the document. Each window is read in pieces on
/// every core, as a mapped document is. Gives back why the document could not be framed
/// to its end.
fn stream_document<S: Sink>(
    job: &FileJob<'_>,
    framing: Framing,
    input: (Box<dyn Read + Send>, usize, Vec<u8>),
    report: &mut FileReport,
    read: &mut DocumentRead<S::Done>,
) -> PolarsResult<Option<String>> {
    let mut windows = WindowReader::new(job, input);
    let (mut line, mut start) = (1u64, Start::Head);
    let stop = loop {
        let (body, base, last) = windows.next(report);
        let window = Window {
            body,
            base,
            start,
            line,
            last,
        };
        let records = read.records;
        let window = read_window::<S>(job, framing, &window, read.chunks, &|_| {});
        let end = read.add(job, window, report)?;
        let Some((next, next_start)) = end.next else {
            break end.error.map(|e| format!("document: {e}"));
        };
        line += memchr::memchr_iter(b'\n', &body[..next]).count() as u64;
        start = next_start;
        if !windows.advance(next, read.records > records, (job, report, "a record")) {
            break None;
        }
    };
    windows.finish(report);
    Ok(stop)
}

/// A document that is read (decompressed, or a file not mapped) a window at a time: what
/// is held is the record carried from the window before, and a window more.
struct WindowReader {
    reader: Box<dyn Read + Send>,
    doc: Document,
    /// The file's byte at `doc`'s first; the window starts `from` bytes into it (after a
    /// BOM, which JSON parsers reject: offsets stay file offsets).
    base: usize,
    from: usize,
    /// How much `doc` is to hold when the next window is read.
    want: usize,
    window_bytes: usize,
    /// The most held at once (`--max-document-bytes`).
    cap: usize,
    ended: bool,
    /// The read stopped at a record longer than the cap.
    too_large: bool,
    /// `reader` is read ahead on a thread of its own ([`ReadAhead`]).
    ahead: bool,
}

impl WindowReader {
    fn new(
        job: &FileJob<'_>,
        (reader, size, head): (Box<dyn Read + Send>, usize, Vec<u8>),
    ) -> WindowReader {
        let window_bytes = window_bytes(job);
        let doc = Document::new(&head, size);
        let from = bom_len(&doc);
        WindowReader {
            reader,
            doc,
            base: 0,
            from,
            want: first_want(size, from, window_bytes),
            window_bytes,
            cap: job.opts.max_document_bytes,
            ended: false,
            too_large: false,
            ahead: false,
        }
    }

    /// The next window: its bytes, the file's byte they start at, and whether the
    /// document ends with them.
    fn next(&mut self, report: &mut FileReport) -> (&[u8], usize, bool) {
        if !self.ended {
            match fill(&mut self.reader, &mut self.doc, self.want) {
                Ok(at_end) => self.ended = at_end,
                Err(e) => {
                    let at = (self.base + self.doc.len) as u64;
                    read_failure(report, &e, at, report.gzip);
                    self.ended = true;
                }
            }
            if !self.ended && !self.ahead {
                // More than a window: the rest is inflated on a thread of its own while
                // each window is parsed (inflating is one core's work, parsing every
                // core's).
                let reader = std::mem::replace(&mut self.reader, Box::new(std::io::empty()));
                let blocks = self.window_bytes.div_ceil(AHEAD_BLOCK);
                self.reader = Box::new(ReadAhead::new(reader, blocks));
                self.ahead = true;
            }
        }
        (&self.doc[self.from..], self.base + self.from, self.ended)
    }

    /// The window was read up to its byte `at` (`progressed`: a record in it was read);
    /// what follows is carried into the next. False when that is more than the most held
    /// at once: the report says so, of `what` (a record, a row) at its byte.
    fn advance(
        &mut self,
        at: usize,
        progressed: bool,
        (job, report, what): (&FileJob<'_>, &mut FileReport, &str),
    ) -> bool {
        let at = self.from + at;
        self.doc.consume(at);
        (self.base, self.from) = (self.base + at, 0);
        if self.doc.len > self.cap {
            too_large(report, job, format!("{what} at byte {}", self.base));
            self.too_large = true;
            return false;
        }
        // What is held and a window more; for a record longer than a window, at least as
        // much again as is held, so that it is read again only as often as it doubles.
        let more = match progressed {
            true => self.window_bytes,
            false => self.window_bytes.max(self.doc.len),
        };
        self.want = self.doc.len.saturating_add(more);
        true
    }

    /// The document's bytes into its report: when the array closed before the stream
    /// did, the rest is read, not kept, so that its bytes (and a fault in them) are
    /// counted as a whole read's are; past the cap, nothing more is read.
    fn finish(mut self, report: &mut FileReport) {
        let mut bytes = (self.base + self.doc.len) as u64;
        if !self.ended && !self.too_large {
            let mut block = vec![0u8; 64 << 10];
            loop {
                match self.reader.read(&mut block) {
                    Ok(0) => break,
                    Ok(n) => bytes += n as u64,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        read_failure(report, &e, bytes, report.gzip);
                        break;
                    }
                }
            }
        }
        report.bytes = bytes;
    }
}

/// The most held at once was reached at `what`: the rest of the file is not read.
fn too_large(report: &mut FileReport, job: &FileJob<'_>, what: String) {
    report.problem(
        ProblemKind::TooLarge,
        format!(
            "{what} runs past {} bytes, the most held at once (--max-document-bytes): the rest of the file was not read",
            job.opts.max_document_bytes
        ),
    );
}

/// The bytes a window of a document that is read holds, besides the record carried into
/// it: a line chunk per core (32 MiB on two), each window read in pieces on every core.
/// Half the most held at once at most: a record larger than that cap is then always cut
/// by a window's end, and caught as it is carried into the next.
fn window_bytes(job: &FileJob<'_>) -> usize {
    let threads = rayon::current_num_threads();
    (job.opts.chunk_bytes.max(1).saturating_mul(threads))
        .min((job.opts.max_document_bytes / 2).max(1))
}

/// How much of a document of `size` bytes (0: not known) the first window reads: a
/// document not much larger than a window in one (CloudTrail's files are), to one byte
/// past its size to see its end; a larger one a window, the head read with it.
fn first_want(size: usize, from: usize, window_bytes: usize) -> usize {
    match size {
        1.. if size <= window_bytes.saturating_add(window_bytes / 2) => size.saturating_add(1),
        _ => from.saturating_add(window_bytes),
    }
}

/// Reads onto the end of `doc` until it holds `want` bytes or the stream ends: whether
/// it ended.
fn fill(reader: &mut dyn Read, doc: &mut Document, want: usize) -> std::io::Result<bool> {
    while doc.len < want {
        let room = doc.room(want);
        let room_len = room.len();
        let (read, failed) = fill_block(reader, room);
        doc.len += read;
        match failed {
            Some(e) => return Err(e),
            None if read < room_len => return Ok(true),
            None => {}
        }
    }
    Ok(false)
}

/// A stream read ahead by a thread of its own, a block at a time, a few blocks ahead:
/// what reading it costs (inflating a gzip stream) is then done while what was read
/// before is parsed. Its blocks go back to the thread to be read into again.
struct ReadAhead {
    blocks: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    spare: std::sync::mpsc::SyncSender<Vec<u8>>,
    block: Vec<u8>,
    at: usize,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The thread could not be made.
    failed: Option<std::io::Error>,
}

/// The blocks a [`ReadAhead`] reads (as many ahead as make a window).
const AHEAD_BLOCK: usize = 4 << 20;

impl ReadAhead {
    fn new(mut reader: Box<dyn Read + Send>, ahead: usize) -> ReadAhead {
        let (send, blocks) = std::sync::mpsc::sync_channel(ahead);
        let (spare, spares) = std::sync::mpsc::sync_channel::<Vec<u8>>(ahead + 2);
        let read = move || {
            loop {
                let mut block = spares.try_recv().unwrap_or_default();
                block.resize(AHEAD_BLOCK, 0);
                let (len, failed) = fill_block(&mut reader, &mut block);
                block.truncate(len);
                // A send fails when the document's read stopped early: nothing to do.
                if len > 0 && send.send(Ok(block)).is_err() {
                    return;
                }
                match failed {
                    Some(e) => {
                        let _ = send.send(Err(e));
                        return;
                    }
                    None if len < AHEAD_BLOCK => return,
                    None => {}
                }
            }
        };
        // A thread that cannot be made ends the read with that error, said as any other.
        let thread = std::thread::Builder::new()
            .name("read-ahead".into())
            .spawn(read);
        let (thread, failed) = match thread {
            Ok(thread) => (Some(thread), None),
            Err(e) => (None, Some(e)),
        };
        ReadAhead {
            blocks,
            spare,
            block: Vec::new(),
            at: 0,
            thread,
            failed,
        }
    }
}

/// Reads into all of `block` unless the stream ends or fails first: how much it read, and
/// the failure.
fn fill_block(reader: &mut dyn Read, block: &mut [u8]) -> (usize, Option<std::io::Error>) {
    let mut len = 0;
    while len < block.len() {
        match reader.read(&mut block[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (len, Some(e)),
        }
    }
    (len, None)
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if let Some(e) = self.failed.take() {
            return Err(std::io::Error::other(format!(
                "no thread to read the rest with: {e}"
            )));
        }
        if self.at == self.block.len() {
            let read = std::mem::take(&mut self.block);
            if read.capacity() > 0 {
                let _ = self.spare.try_send(read);
            }
            match self.blocks.recv() {
                Ok(Ok(block)) => (self.block, self.at) = (block, 0),
                Ok(Err(e)) => return Err(e),
                // The stream is over, or the thread died: then it says so.
                Err(_) => {
                    return match self.thread.take().map(std::thread::JoinHandle::join) {
                        Some(Err(_)) => {
                            Err(std::io::Error::other("the read-ahead thread panicked"))
                        }
                        _ => Ok(0),
                    };
                }
            }
        }
        let n = out.len().min(self.block.len() - self.at);
        out[..n].copy_from_slice(&self.block[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A stretch of a document read at once: from its first byte (`Start::Head`) or from the
/// whitespace before a record (the one the window before was cut in), whole records up to
/// the last that ends in it.
struct Window<'d> {
    body: &'d [u8],
    /// Where `body` starts in the file.
    base: usize,
    start: Start,
    /// The file's line `body` starts on.
    line: u64,
    /// The document ends with `body`: nothing more is to come after it.
    last: bool,
}

/// Where a window's records start: at the head of the document (the array is found
/// first), or with the record of this index in the array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    Head,
    Record(usize),
}

impl Start {
    /// The index in the array of the window's first record.
    fn index(self) -> usize {
        match self {
            Start::Head => 0,
            Start::Record(index) => index,
        }
    }

    fn cursor(self, body: &[u8], framing: Framing) -> ArrayRecords<'_> {
        match self {
            Start::Head => ArrayRecords::new(body, framing),
            Start::Record(index) => ArrayRecords::resume(body, 0, index),
        }
    }
}

/// What reading one window made, and where it stopped.
struct WindowRead<'j, S> {
    /// One sink per piece, with the line its lines count from (0: lines of the file).
    sinks: Vec<(RecordSink<'j, S>, u64)>,
    records: u64,
    end: WindowEnd,
}

/// Where a window stopped.
struct WindowEnd {
    /// Why the document could not be framed to its end (bytes are file offsets).
    error: Option<tokentrail_parsers::framing::JsonFramingError>,
    /// The window ended inside a record and more of the document is to come: the next
    /// window starts at this byte of the window's body, with this start.
    next: Option<(usize, Start)>,
}

/// The records of one window, in pieces on every core for a large one.
fn read_window<'j, S: Sink>(
    job: &'j FileJob<'j>,
    framing: Framing,
    w: &Window<'_>,
    chunks: u32,
    release: &(dyn Fn(Range<usize>) + Sync),
) -> WindowRead<'j, S> {
    let body = w.body;
    let let_go = LetGo::new(job, release);
    let pieces = pieces_of(body, (framing, w.start), job.opts.chunk_bytes / 2, let_go);
    let read = |(i, piece): (usize, &Piece)| {
        let end = pieces.get(i + 1).map(|next| next.start);
        let cursor = match i {
            0 => w.start.cursor(body, framing),
            _ => ArrayRecords::resume(body, piece.start, piece.index),
        };
        let bytes = end.unwrap_or(body.len()) - piece.start;
        let chunk = chunks.saturating_add(i as u32);
        let mut read = read_piece::<S>(job, (cursor, end), (w.base, let_go), (chunk, bytes));
        if read.error.is_some() && read.stopped.is_none() {
            // A piece with nothing of its first record in the window (it starts at the
            // window's end) stops at that record; only the head of a document, not yet
            // whole, stops at no record.
            read.stopped = match (i, w.start) {
                (0, Start::Head) => None,
                (0, start) => Some((skip_ws_from(body, 0), start.index())),
                _ => Some((skip_ws_from(body, piece.start), piece.index)),
            };
        }
        // The whole piece once more: each stretch let go of kept the block it shares with
        // the one before (a map lets go of whole blocks only).
        release(piece.start..end.unwrap_or(body.len()));
        read
    };
    let parts: Vec<PieceRead<'_, S>> = match pieces.len() {
        1 => pieces.iter().enumerate().map(read).collect(),
        _ => pieces.par_iter().enumerate().map(read).collect(),
    };
    let records = parts.iter().map(|p| p.records).sum::<u64>();
    let (mut error, mut stopped) = (None, None);
    let mut sinks = Vec::with_capacity(parts.len());
    for (part, piece) in parts.into_iter().zip(&pieces) {
        if part.error.is_some() {
            (error, stopped) = (part.error, part.stopped);
        }
        // Piece 0 counts its lines from the window's first; the others from their own.
        sinks.push((part.sink, (w.line - 1) + (piece.line - 1)));
    }
    let end = match error {
        // Cut by the window's end, not by the document's: the next window reads the cut
        // record whole, from the start of its line (the array's layout stays whole for
        // the next window's guesses), or, with none begun, what was not yet framed.
        Some(e) if e.is_cut() && !w.last => {
            let next = match stopped {
                Some((pos, index)) => (line_start(body, pos), Start::Record(index)),
                None => (skip_ws_from(body, 0), Start::Head),
            };
            WindowEnd {
                error: None,
                next: Some(next),
            }
        }
        error => WindowEnd {
            error: error.map(|e| e.shifted(w.base)),
            next: None,
        },
    };
    WindowRead {
        sinks,
        records,
        end,
    }
}

/// Where the line of `pos` starts, when only an indent stands before `pos` on it (else
/// `pos`: a run of blanks is not carried into the next window).
fn line_start(body: &[u8], pos: usize) -> usize {
    let near = pos.saturating_sub(1024);
    let from = memchr::memrchr(b'\n', &body[near..pos]).map_or(near, |i| near + i + 1);
    match body[from..pos].iter().all(u8::is_ascii_whitespace) {
        true => from,
        false => pos,
    }
}

/// The first byte at or after `at` that is not whitespace (the end when none is).
fn skip_ws_from(body: &[u8], at: usize) -> usize {
    body.len() - body[at..].trim_ascii_start().len()
}

/// Where a piece of an array starts: its first record, that record's index in the array
/// and the line it starts on.
struct Piece {
    start: usize,
    index: usize,
    line: u64,
}

impl Piece {
    /// The first piece: its cursor finds the array's first record itself.
    const FIRST: Piece = Piece {
        start: 0,
        index: 0,
        line: 1,
    };
}

/// The pieces a document is read in: one, or for a large array, pieces of whole records
/// (a few per thread, so that a slow one does not hold the rest back), whose records are
/// then read each piece on its own thread, in order, as the whole array would be.
///
/// A piece is at least `min_bytes` (half a line chunk, 8 MiB): a smaller array is read by
/// one thread, as the pass that cuts it would cost more than a second thread saves.
fn pieces_of(
    body: &[u8],
    (framing, start): (Framing, Start),
    min_bytes: usize,
    let_go: LetGo<'_>,
) -> Vec<Piece> {
    let threads = rayon::current_num_threads();
    let min_bytes = min_bytes.max(1);
    if framing == Framing::JsonDocument || threads < 2 || body.len() < 2 * min_bytes {
        return vec![Piece::FIRST];
    }
    let piece_bytes = (body.len() / (threads * 4)).max(min_bytes);
    guessed_pieces(body, (framing, start), piece_bytes, let_go)
        .unwrap_or_else(|| framed_pieces(body, (framing, start), piece_bytes, let_go))
}

/// Lets go of the pages of a stretch of a document read and not needed again soon (of a
/// mapped document; nothing for one in memory), every `every` bytes a pass reads (a line
/// chunk: 16 MiB, tests make it tiny).
#[derive(Clone, Copy)]
struct LetGo<'a> {
    release: &'a (dyn Fn(Range<usize>) + Sync),
    every: usize,
}

impl<'a> LetGo<'a> {
    fn new(job: &FileJob<'_>, release: &'a (dyn Fn(Range<usize>) + Sync)) -> LetGo<'a> {
        LetGo {
            release,
            every: job.opts.chunk_bytes.max(1),
        }
    }
}

/// Where a pass over a document let go of the pages before it last.
struct Behind<'l> {
    let_go: LetGo<'l>,
    from: usize,
}

impl<'l> Behind<'l> {
    fn new(let_go: LetGo<'l>, from: usize) -> Behind<'l> {
        Behind { let_go, from }
    }

    /// The pass has read up to `at`: once that is `every` bytes since the last stretch,
    /// the stretch is let go of.
    fn reached(&mut self, at: usize) {
        self.reached_then(at, |_| {});
    }

    /// [`Behind::reached`], with `last_read` given the stretch to read once more before
    /// its pages go (read after, they would come back).
    fn reached_then(&mut self, at: usize, last_read: impl FnOnce(Range<usize>)) {
        if at >= self.from.saturating_add(self.let_go.every) {
            last_read(self.from..at);
            (self.let_go.release)(self.from..at);
            self.from = at;
        }
    }
}

/// Pieces cut by one pass of the structural scan over the whole array, on one thread.
fn framed_pieces(
    body: &[u8],
    (framing, start): (Framing, Start),
    piece_bytes: usize,
    let_go: LetGo<'_>,
) -> Vec<Piece> {
    let mut cursor = start.cursor(body, framing);
    let mut pieces = vec![Piece::FIRST];
    let mut cut = cursor.position().unwrap_or(0).saturating_add(piece_bytes);
    let mut behind = Behind::new(let_go, 0);
    while let Some(pos) = cursor.position() {
        behind.reached(pos);
        if pos >= cut
            && pos < body.len()
            && let Some(line) = cursor.next_line()
        {
            pieces.push(Piece {
                start: pos,
                index: cursor.index(),
                line,
            });
            cut = pos.saturating_add(piece_bytes);
        }
        // A broken array stops here: the last piece reads up to the fault and says so.
        if cursor.skip_record().is_none() {
            break;
        }
    }
    pieces
}

/// Pieces cut where the array's layout says a record starts, checked on every core: an
/// exported array writes its records one per line, or pretty-printed at one indent, so a
/// line that starts at the first record's indent with `{` after a line that ends with `,`
/// is almost always a record's first line. Each stretch between two such guesses is
/// stepped over by the structural scan on its own thread; a guess is kept only if the
/// stretch before it, read from a record start, lands exactly on it (so every guess is a
/// record start, and each stretch's count of records is exact). `None` (a compact array,
/// or any guess wrong) leaves the cut to the one-thread pass.
fn guessed_pieces(
    body: &[u8],
    (framing, start): (Framing, Start),
    piece_bytes: usize,
    let_go: LetGo<'_>,
) -> Option<Vec<Piece>> {
    let first = start.cursor(body, framing).position()?;
    // A window after the first starts at the line of its first record.
    let line_start = match start {
        Start::Head => memchr::memrchr(b'\n', &body[..first])? + 1,
        Start::Record(_) => memchr::memrchr(b'\n', &body[..first]).map_or(0, |i| i + 1),
    };
    let indent = &body[line_start..first];
    if !indent.iter().all(|b| matches!(b, b' ' | b'\t')) {
        return None;
    }
    let mut guesses: Vec<usize> = Vec::new();
    let mut at = first.saturating_add(piece_bytes);
    while at < body.len() {
        let Some(guess) = record_line_after(body, at, indent) else {
            break;
        };
        guesses.push(guess);
        at = guess.saturating_add(piece_bytes);
    }
    if guesses.is_empty() {
        return None;
    }
    let counts: Vec<Option<usize>> = (0..=guesses.len())
        .into_par_iter()
        .map(|i| {
            let mut cursor = match i {
                0 => start.cursor(body, framing),
                _ => ArrayRecords::resume(body, guesses[i - 1], 0),
            };
            let stop = guesses.get(i).copied();
            let mut records = 0;
            let mut behind = Behind::new(let_go, cursor.position().unwrap_or(0));
            loop {
                if let Some(pos) = cursor.position() {
                    behind.reached(pos);
                }
                match (cursor.position(), stop) {
                    (Some(pos), Some(stop)) if pos >= stop => {
                        return (pos == stop).then_some(records);
                    }
                    // The array ends (or breaks) before the next guess: left to one pass.
                    (None, Some(_)) => return None,
                    (None, None) => return Some(records),
                    _ => {}
                }
                if cursor.skip_record().is_some() {
                    records += 1;
                }
            }
        })
        .collect();
    let mut pieces = vec![Piece::FIRST];
    let mut index = start.index() + counts[0]?;
    let (mut line, mut counted_to) = (1u64, 0usize);
    for (guess, count) in guesses.iter().zip(&counts[1..]) {
        line += memchr::memchr_iter(b'\n', &body[counted_to..*guess]).count() as u64;
        counted_to = *guess;
        pieces.push(Piece {
            start: *guess,
            index,
            line,
        });
        index += (*count)?;
    }
    Some(pieces)
}

/// The first line at or after `at` that starts with `indent` then `{`, after a line that
/// ends with `,`: where the array's layout puts a record. Looked for over a few thousand
/// lines and a MiB at most: a document of a few very long lines (arrays written one after
/// the other) is cut by the one-thread pass, which lets go of what it reads, rather than
/// brought in whole by the search.
fn record_line_after(body: &[u8], at: usize, indent: &[u8]) -> Option<usize> {
    let mut from = at;
    let stop = body.len().min(at.saturating_add(1 << 20));
    for _ in 0..4096 {
        let newline = from + memchr::memchr(b'\n', body.get(from..stop)?)?;
        let start = newline + 1;
        let opens = body
            .get(start..)
            .and_then(|line| line.strip_prefix(indent))
            .is_some_and(|line| line.first() == Some(&b'{'));
        let ended = body[..newline].trim_ascii_end().last() == Some(&b',');
        if opens && ended {
            return Some(start + indent.len());
        }
        from = start;
    }
    None
}

/// What reading one piece made.
struct PieceRead<'j, S> {
    sink: RecordSink<'j, S>,
    records: u64,
    error: Option<tokentrail_parsers::framing::JsonFramingError>,
    /// Where the record framing stopped in starts, and its index (when one was begun).
    stopped: Option<(usize, usize)>,
}

/// The records of one piece, up to where the next piece starts (`end`; `None`: to the
/// end of the array).
fn read_piece<'j, 'd, S: Sink>(
    job: &'j FileJob<'j>,
    (mut cursor, end): (ArrayRecords<'d>, Option<usize>),
    (base, let_go): (usize, LetGo<'_>),
    (chunk, bytes): (u32, usize),
) -> PieceRead<'j, S> {
    let mut sink = RecordSink::<S>::new(job, chunk, bytes / RECORD_BYTES_GUESS);
    let mut out = Vec::new();
    let mut records = 0u64;
    // Records are read from the front of the text (each scanned once), by parsers that
    // can, where the text is UTF-8: checked a window at a time as the piece is read.
    let start = cursor.position().unwrap_or(0);
    let mut windows = TextWindows::new(cursor.document(), end.unwrap_or(usize::MAX));
    let mut behind = Behind::new(let_go, start);
    let mut stopped = None;
    loop {
        let pos = cursor.position();
        if let (Some(end), Some(pos)) = (end, pos)
            && pos >= end
        {
            break;
        }
        if let Some(pos) = pos {
            behind.reached(pos);
        }
        out.clear();
        let read = |rest| parse_front_keeping(job.parser, job.detail, rest, &mut out);
        let text = pos.and_then(|pos| windows.at(pos));
        let Some((rec, read_whole)) = cursor.next_record(text, read) else {
            stopped = pos.map(|pos| (pos, cursor.index()));
            break;
        };
        records += 1;
        sink.stats.lines += 1;
        let index = Some(rec.index as u64);
        let offset = (rec.offset + base) as u64;
        match read_whole {
            true => sink.record_parsed(rec.bytes, (rec.line, index, offset), &mut out),
            false => sink.record(rec.bytes, rec.line, index, offset, &mut out),
        }
    }
    PieceRead {
        sink,
        records,
        error: cursor.error,
        stopped,
    }
}

/// Bytes per record assumed to size a document's columns before its records are counted
/// (CloudTrail records are 0.5 to 2 KB).
const RECORD_BYTES_GUESS: usize = 1024;

/// A spreadsheet download: the header row names the fields, each row becomes the JSON
/// object its source's parser reads. Rows are cited by the line they start on (a quoted
/// cell may hold newlines); a row whose field count differs from the header's is counted
/// as malformed, not guessed at. A mapped download is read whole, its pages let go of as
/// its rows are read; one that is read (decompressed, or not mapped) a window of whole
/// rows at a time.
pub(super) fn ingest_csv<S: Sink>(
    job: &FileJob<'_>,
    whole: Whole<'_>,
    report: &mut FileReport,
) -> PolarsResult<Vec<S::Done>> {
    let head = match &whole {
        Whole::Read(_, _, head) => &head[..],
        Whole::Mapped(map, _) => map.bytes(),
    };
    let Some((form, _)) = csv_export::form_of(job.parser, &head[bom_len(head)..]) else {
        return Ok(Vec::new());
    };
    report.form = Some(form.name);
    let mut csv = CsvRead {
        form,
        layout: None,
        sink: RecordSink::<S>::new(job, 0, 0),
        json: Vec::new(),
    };
    let lines = match whole {
        Whole::Read(reader, size, head) => stream_csv(job, (reader, size, head), report, &mut csv),
        whole => {
            let map = whole.map();
            let doc = whole.bytes(job, report, usize::MAX);
            let skip = bom_len(&doc);
            // The rows read are let go of as the read goes (see `ingest_document`), the
            // lines counted in the same stretches rather than by a pass over all of it
            // after.
            let release = |read: Range<usize>| {
                if let Some(map) = map {
                    map.release(read);
                }
            };
            let mut behind = Behind::new(LetGo::new(job, &release), 0);
            let mut lines = 0u64;
            let newlines = |stretch: &[u8]| memchr::memchr_iter(b'\n', stretch).count() as u64;
            let mut at_row =
                |at: usize| behind.reached_then(skip + at, |read| lines += newlines(&doc[read]));
            csv.window((&doc[skip..], skip, 1), true, &mut at_row);
            // Lines of the file (a row may span several): rows are cited by the line they
            // start on.
            lines += newlines(&doc[behind.from..]);
            lines + u64::from(!doc.is_empty() && !doc.ends_with(b"\n"))
        }
    };
    if csv.layout.is_none() {
        return Ok(Vec::new());
    }
    let mut read = DocumentRead::default();
    read.add_sinks(job, vec![(csv.sink, 0)], report)?;
    report.lines = lines;
    Ok(read.done)
}

/// A download read a window of whole rows at a time (see [`stream_document`]): gives
/// the lines of the file.
fn stream_csv<S: Sink>(
    job: &FileJob<'_>,
    input: (Box<dyn Read + Send>, usize, Vec<u8>),
    report: &mut FileReport,
    csv: &mut CsvRead<'_, S>,
) -> u64 {
    let mut windows = WindowReader::new(job, input);
    let (mut lines, mut last_byte) = (0u64, None);
    loop {
        let (body, base, last) = windows.next(report);
        last_byte = body.last().copied().or(last_byte);
        let records = csv.sink.stats.records;
        let at = csv.window((body, base, lines + 1), last, &mut |_| {});
        lines += memchr::memchr_iter(b'\n', &body[..at]).count() as u64;
        let progressed = csv.sink.stats.records > records;
        if last || !windows.advance(at, progressed, (job, report, "a row")) {
            break;
        }
    }
    windows.finish(report);
    lines + u64::from(last_byte.is_some_and(|b| b != b'\n'))
}

/// A download's rows read so far, into one sink.
struct CsvRead<'j, S> {
    form: &'static csv_export::CsvForm,
    /// From the header row, once read.
    layout: Option<CsvLayout>,
    sink: RecordSink<'j, S>,
    json: Vec<u8>,
}

impl<S: Sink> CsvRead<'_, S> {
    /// The rows of a stretch of the download (`body`, at byte `base` and line `line` of
    /// the file; the first stretch starts with the header), whole rows only unless it is
    /// the `last`. `at_row` is told where each row starts before it is read. Gives where
    /// the rows read end: the next stretch starts there.
    fn window(
        &mut self,
        (body, base, line): (&[u8], usize, u64),
        last: bool,
        at_row: &mut dyn FnMut(usize),
    ) -> usize {
        let mut rows = CsvRows::new(body);
        // A row the text's end stopped may go on in the next window.
        let whole = |row: &csv_export::CsvRow| last || (row.end as usize) < body.len();
        if self.layout.is_none() {
            match rows.next_row() {
                Some(header) if whole(&header) => {
                    self.layout = Some(CsvLayout::new(self.form, &header.labels()));
                }
                Some(_) => return 0,
                None => return body.len(),
            }
        }
        let Some(layout) = &self.layout else {
            return body.len();
        };
        let sink = &mut self.sink;
        while let Some(row) = rows.next_row() {
            if !whole(&row) {
                return row.offset as usize;
            }
            at_row(row.offset as usize);
            let offset = base as u64 + row.offset;
            let row_line = line - 1 + row.line;
            if row.record.len() != layout.columns() {
                sink.stats.records += 1;
                // The row as written (its first line), not its cells run together.
                let raw = &body[row.offset as usize..];
                let raw = &raw[..memchr::memchr(b'\n', raw).unwrap_or(raw.len())];
                sink.stats
                    .malformed(row_line, None, ParseErrorKind::CsvFieldCount, 0, raw);
                continue;
            }
            let lossy = layout.row_to_json(&row.record, &mut self.json);
            let mut out = Vec::new();
            sink.record(&self.json, row_line, None, offset, &mut out);
            if lossy {
                sink.stats.invalid_utf8 += 1;
            }
        }
        body.len()
    }
}

/// A whole document to read: the rest of a stream after its head, with the size it will
/// have when known (0: not) to size its buffer once; or a mapped file and the progress
/// bar with the file's bytes already on it.
pub(super) enum Whole<'a> {
    Read(Box<dyn Read + Send>, usize, Vec<u8>),
    Mapped(&'a Map, MapProgress<'a>),
}

impl<'a> Whole<'a> {
    fn map(&self) -> Option<&'a Map> {
        match self {
            Whole::Mapped(map, _) => Some(map),
            Whole::Read(..) => None,
        }
    }

    /// The document's bytes, up to the document cap, as a stream read stops there.
    /// The document's bytes, up to `cap` bytes after its head.
    fn bytes(self, job: &FileJob<'_>, report: &mut FileReport, cap: usize) -> Bytes<'a, Document> {
        match self {
            Whole::Read(reader, size, head) => {
                Bytes::Read(read_document(job, (reader, size), head, report, cap))
            }
            Whole::Mapped(map, mut progress) => {
                let all = map.bytes();
                let cap = cap.max(super::HEAD_BYTES);
                if all.len() > cap {
                    too_large(report, job, "the document".into());
                }
                let doc = &all[..all.len().min(cap)];
                progress.reached(doc.len() as u64);
                report.bytes = doc.len() as u64;
                Bytes::Mapped(doc)
            }
        }
    }
}

/// A document's bytes, in a buffer kept by its thread for the next document: a document is
/// read by `read` calls into memory already written (a vector grown by `read_to_end`
/// was zeroed and copied at each doubling: 3.5% of `credentials` over 2,000 CloudTrail
/// files).
struct Document {
    buf: Vec<u8>,
    len: usize,
    /// The document's size when known (a plain file's size on disk, what a gzip file's
    /// trailer says it inflates to): its buffer is made that size at once. Grown by doubling, a 600 MB document was copied at each step and
    /// touched 2.1 GB (a second of page faults).
    size: usize,
}

thread_local! {
    static SPARE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The largest buffer a thread keeps between documents.
const SPARE_MAX: usize = 64 << 20;

/// Every thread's spare buffer let go of, once every input is read: what a command does
/// next is not reading documents (`hunt` of a 578 MB Entra array read in windows held its
/// last window's 64 MB to the end).
pub(super) fn let_go_of_spares() {
    let take = || drop(SPARE.with(|s| std::mem::take(&mut *s.borrow_mut())));
    rayon::broadcast(|_| take());
    take();
}

impl Document {
    fn new(head: &[u8], size: usize) -> Document {
        // Taken, not borrowed: a thread waiting in one document can be handed another.
        let mut buf = SPARE.with(|s| std::mem::take(&mut *s.borrow_mut()));
        if buf.len() < head.len() {
            buf.resize(head.len(), 0);
        }
        buf[..head.len()].copy_from_slice(head);
        Document {
            buf,
            len: head.len(),
            size,
        }
    }

    /// Lets go of the first `at` bytes: what follows them moves to the front.
    fn consume(&mut self, at: usize) {
        self.buf.copy_within(at..self.len, 0);
        self.len -= at;
    }

    /// Room for at least one more byte, none of it beyond `end`.
    fn room(&mut self, end: usize) -> &mut [u8] {
        if self.len == self.buf.len() {
            // One byte beyond a known size: the read that finds the end needs room.
            let want = (self.buf.len() * 2)
                .max(1 << 20)
                .max(self.size.saturating_add(1));
            self.buf.resize(want.min(end.max(self.len + 1)), 0);
        }
        let stop = self.buf.len().min(end);
        &mut self.buf[self.len..stop]
    }
}

impl std::ops::Deref for Document {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Drop for Document {
    fn drop(&mut self) {
        if self.buf.capacity() <= SPARE_MAX {
            let buf = std::mem::take(&mut self.buf);
            SPARE.with(|s| *s.borrow_mut() = buf);
        }
    }
}

/// The rest of a whole-document input after `head`, up to `cap` bytes more. `size`:
/// what the document will hold, when known (0: not), to size its buffer once.
fn read_document(
    job: &FileJob<'_>,
    (mut reader, size): (Box<dyn Read + Send>, usize),
    head: Vec<u8>,
    report: &mut FileReport,
    cap: usize,
) -> Document {
    let mut doc = Document::new(&head, size);
    let end = cap.max(head.len());
    match fill(&mut *reader, &mut doc, end) {
        Err(e) => read_failure(report, &e, doc.len as u64, report.gzip),
        // Held up to the cap: one byte more says whether the document goes on.
        Ok(false) if reader.read(&mut [0u8]).is_ok_and(|n| n > 0) => {
            too_large(report, job, "the document".into());
        }
        Ok(_) => {}
    }
    report.bytes = doc.len as u64;
    doc
}

fn bom_len(doc: &[u8]) -> usize {
    if doc.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record of an array: where it starts, its index and its line, by one
    /// sequential pass (the reading every piece must agree with).
    fn records(body: &[u8]) -> Vec<(usize, usize, u64)> {
        let mut cursor = ArrayRecords::new(body, Framing::JsonArray);
        let mut out = Vec::new();
        while let Some((rec, _)) = cursor.next_record(None, |_| None) {
            out.push((rec.offset, rec.index, rec.line));
        }
        assert!(cursor.error.is_none());
        out
    }

    fn assert_pieces_are_records(body: &[u8], pieces: &[Piece]) {
        let truth = records(body);
        assert_eq!(pieces[0].start, 0);
        for p in &pieces[1..] {
            assert!(
                truth.contains(&(p.start, p.index, p.line)),
                "piece at {} (record {}, line {}) is not a record",
                p.start,
                p.index,
                p.line
            );
        }
        assert!(pieces.windows(2).all(|w| w[0].start < w[1].start));
    }

    fn record(i: usize) -> serde_json::Value {
        serde_json::json!({
            "uuid": format!("u-{i}"),
            "target": [{"id": "a", "note": "},\n{"}, {"id": "b"}],
            "client": {"ipAddress": "198.51.100.7"},
        })
    }

    /// Passes that have nothing to let go of.
    const NO_LET_GO: LetGo<'static> = LetGo {
        release: &|_| {},
        every: usize::MAX,
    };

    /// A pass lets go of what it has read in stretches of at least `every` bytes, one
    /// after the other from where it started, never past where it is.
    #[test]
    fn a_pass_lets_go_only_of_what_it_has_read() {
        let gone = std::sync::Mutex::new(Vec::new());
        let record = |r: Range<usize>| gone.lock().unwrap().push(r);
        let let_go = LetGo {
            release: &record,
            every: 16 << 20,
        };
        let mut behind = Behind::new(let_go, 1000);
        let steps = [5, 1 << 20, 17 << 20, 17 << 20, 20 << 20, 40 << 20, 41 << 20];
        let mut reached = Vec::new();
        for at in steps {
            behind.reached(at);
            reached.push((at, gone.lock().unwrap().last().cloned()));
        }
        let gone = gone.into_inner().unwrap();
        assert_eq!(gone, [1000..17 << 20, 17 << 20..40 << 20]);
        for (at, last) in reached {
            assert!(last.is_none_or(|r| r.end <= at));
        }
    }

    /// A pretty-printed page and one record per line are cut where their layout puts
    /// records, each cut checked; an array whose nested objects also sit at the records'
    /// indent after a `,` is cut by the one-thread pass instead. Either way every piece
    /// starts at a record, with its index and line.
    #[test]
    fn an_array_is_cut_only_at_record_starts() {
        let all: Vec<_> = (0..400).map(record).collect();
        let pretty = serde_json::to_string_pretty(&all).unwrap();
        let lines = format!(
            "[\n{}\n]\n",
            all.iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(",\n")
        );
        for body in [pretty.as_bytes(), lines.as_bytes()] {
            let pieces = guessed_pieces(body, (Framing::JsonArray, Start::Head), 4096, NO_LET_GO)
                .expect("guessed");
            assert!(pieces.len() > 4, "{}", pieces.len());
            assert_pieces_are_records(body, &pieces);
        }
        // Records whose targets are written one per line at column 0, after a `,`: a
        // guess lands inside a record, and the check finds it.
        let misleading = format!(
            "[\n{}\n]\n",
            all.iter()
                .map(|r| r
                    .to_string()
                    .replace("},{\"id\":\"b\"}", "},\n{\"id\":\"b\"}"))
                .collect::<Vec<_>>()
                .join(",\n")
        );
        assert!(
            guessed_pieces(
                misleading.as_bytes(),
                (Framing::JsonArray, Start::Head),
                4096,
                NO_LET_GO
            )
            .is_none()
        );
        let pieces = framed_pieces(
            misleading.as_bytes(),
            (Framing::JsonArray, Start::Head),
            4096,
            NO_LET_GO,
        );
        assert!(pieces.len() > 4);
        assert_pieces_are_records(misleading.as_bytes(), &pieces);

        // One guess only, inside the last record but one: the stretch read from it ends
        // where its nested array does, as the array's end would; the stretch before it
        // lands past it, on the last record, and that is what rejects it.
        let mut written: Vec<String> = all.iter().map(|r| r.to_string()).collect();
        let n = written.len();
        written[n - 2] = written[n - 2].replace("},{\"id\":\"b\"}", "},\n{\"id\":\"b\"}");
        let body = format!("[\n{}\n]\n", written.join(",\n"));
        let inside = body.find("\n{\"id\"").unwrap() + 1;
        let piece_bytes = inside - 2 - 1;
        assert!(
            guessed_pieces(
                body.as_bytes(),
                (Framing::JsonArray, Start::Head),
                piece_bytes,
                NO_LET_GO
            )
            .is_none()
        );
    }
}
