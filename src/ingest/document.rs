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
use super::report::MalformedExample;
use super::{FileReport, read_failure};
use crate::input::map::{Bytes, Map, MapProgress};

/// Whole-document JSON sources (an array, or a `Records` wrapper): read the document,
/// frame its records, parse them; a large array in pieces on every core.
pub(super) fn ingest_document<S: Sink>(
    job: &FileJob<'_>,
    framing: Framing,
    whole: Whole<'_>,
    report: &mut FileReport,
) -> PolarsResult<Vec<S::Done>> {
    let map = whole.map();
    let doc = whole.bytes(job, report);
    // Windows tools write a BOM, which JSON parsers reject; offsets stay file offsets.
    let skip = bom_len(&doc);
    let body = &doc[skip..];
    // Pages of a mapped document read and no longer needed are let go as the passes over
    // it go: its resident memory is then the stretches being read, not the document.
    let release = |read: Range<usize>| {
        if let Some(map) = map {
            map.release(skip + read.start..skip + read.end);
        }
    };
    let let_go = LetGo::new(job, &release);
    let pieces = pieces_of(body, framing, job.opts.chunk_bytes / 2, let_go);
    let read = |(i, piece): (usize, &Piece)| {
        let end = pieces.get(i + 1).map(|next| next.start);
        let cursor = match i {
            0 => ArrayRecords::new(body, framing),
            _ => ArrayRecords::resume(body, piece.start, piece.index),
        };
        let bytes = end.unwrap_or(body.len()) - piece.start;
        let read = read_piece::<S>(job, (cursor, end), (skip, let_go), (i, bytes));
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
    let mut error = None;
    let mut sinks = Vec::with_capacity(parts.len());
    for (part, piece) in parts.into_iter().zip(&pieces) {
        error = part.error.or(error);
        // Piece 0 counts the lines of the document; the others from their first line.
        sinks.push((part.sink, piece.line - 1));
    }
    let done = finish(job, sinks, report, records)?;
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
            record_index: Some(records),
            reason: format!("document: {e}"),
            byte: 0,
            excerpt: String::new(),
        });
    }
    Ok(done)
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
fn pieces_of(body: &[u8], framing: Framing, min_bytes: usize, let_go: LetGo<'_>) -> Vec<Piece> {
    let threads = rayon::current_num_threads();
    let min_bytes = min_bytes.max(1);
    if framing == Framing::JsonDocument || threads < 2 || body.len() < 2 * min_bytes {
        return vec![Piece::FIRST];
    }
    let piece_bytes = (body.len() / (threads * 4)).max(min_bytes);
    guessed_pieces(body, framing, piece_bytes, let_go)
        .unwrap_or_else(|| framed_pieces(body, framing, piece_bytes, let_go))
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
    framing: Framing,
    piece_bytes: usize,
    let_go: LetGo<'_>,
) -> Vec<Piece> {
    let mut cursor = ArrayRecords::new(body, framing);
    let mut pieces = vec![Piece::FIRST];
    let mut cut = cursor.position().unwrap_or(0).saturating_add(piece_bytes);
    let mut behind = Behind::new(let_go, 0);
    while let Some(pos) = cursor.position() {
        behind.reached(pos);
        if pos >= cut
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
    framing: Framing,
    piece_bytes: usize,
    let_go: LetGo<'_>,
) -> Option<Vec<Piece>> {
    let first = ArrayRecords::new(body, framing).position()?;
    let line_start = memchr::memrchr(b'\n', &body[..first])? + 1;
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
                0 => ArrayRecords::new(body, framing),
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
    let mut index = counts[0]?;
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
/// lines at most.
fn record_line_after(body: &[u8], at: usize, indent: &[u8]) -> Option<usize> {
    let mut from = at;
    for _ in 0..4096 {
        let newline = from + memchr::memchr(b'\n', body.get(from..)?)?;
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
}

/// The records of one piece, up to where the next piece starts (`end`; `None`: to the
/// end of the array).
fn read_piece<'j, 'd, S: Sink>(
    job: &'j FileJob<'j>,
    (mut cursor, end): (ArrayRecords<'d>, Option<usize>),
    (skip, let_go): (usize, LetGo<'_>),
    (chunk, bytes): (usize, usize),
) -> PieceRead<'j, S> {
    let chunk = u32::try_from(chunk).unwrap_or(u32::MAX);
    let mut sink = RecordSink::<S>::new(job, chunk, bytes / RECORD_BYTES_GUESS);
    let mut out = Vec::new();
    let mut records = 0u64;
    // Records are read from the front of the text (each scanned once), by parsers that
    // can, where the text is UTF-8: checked a window at a time as the piece is read.
    let start = cursor.position().unwrap_or(0);
    let mut windows = TextWindows::new(cursor.document(), end.unwrap_or(usize::MAX));
    let mut behind = Behind::new(let_go, start);
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
            break;
        };
        records += 1;
        sink.stats.lines += 1;
        let index = Some(rec.index as u64);
        let offset = (rec.offset + skip) as u64;
        match read_whole {
            true => sink.record_parsed(rec.bytes, (rec.line, index, offset), &mut out),
            false => sink.record(rec.bytes, rec.line, index, offset, &mut out),
        }
    }
    PieceRead {
        sink,
        records,
        error: cursor.error,
    }
}

/// Bytes per record assumed to size a document's columns before its records are counted
/// (CloudTrail records are 0.5 to 2 KB).
const RECORD_BYTES_GUESS: usize = 1024;

/// A spreadsheet download: the header row names the fields, each row becomes the JSON
/// object its source's parser reads. Rows are cited by the line they start on (a quoted
/// cell may hold newlines); a row whose field count differs from the header's is counted
/// as malformed, not guessed at.
pub(super) fn ingest_csv<S: Sink>(
    job: &FileJob<'_>,
    whole: Whole<'_>,
    report: &mut FileReport,
) -> PolarsResult<Vec<S::Done>> {
    let map = whole.map();
    let doc = whole.bytes(job, report);
    let skip = bom_len(&doc);
    // A mapped download's rows read are let go of as the read goes (see `ingest_document`),
    // its lines counted in the same stretches rather than by a pass over all of it after.
    let release = |read: Range<usize>| {
        if let Some(map) = map {
            map.release(read);
        }
    };
    let mut behind = Behind::new(LetGo::new(job, &release), 0);
    let mut lines = 0u64;
    let newlines = |stretch: &[u8]| memchr::memchr_iter(b'\n', stretch).count() as u64;
    let Some((form, _)) = csv_export::form_of(job.parser, &doc[skip..]) else {
        return Ok(Vec::new());
    };
    report.form = Some(form.name);
    let mut rows = CsvRows::new(&doc[skip..]);
    let header = match rows.next_row() {
        Some(h) => h.labels(),
        None => return Ok(Vec::new()),
    };
    let layout = CsvLayout::new(form, &header);
    let mut sink = RecordSink::<S>::new(job, 0, 0);
    let mut json = Vec::new();
    while let Some(row) = rows.next_row() {
        let offset = row.offset + skip as u64;
        behind.reached_then(offset as usize, |read| lines += newlines(&doc[read]));
        if row.record.len() != layout.columns() {
            sink.stats.records += 1;
            // The row as written (its first line), not its cells run together.
            let raw = &doc[offset as usize..];
            let raw = &raw[..memchr::memchr(b'\n', raw).unwrap_or(raw.len())];
            sink.stats
                .malformed(row.line, None, ParseErrorKind::CsvFieldCount, 0, raw);
            continue;
        }
        let lossy = layout.row_to_json(&row.record, &mut json);
        let mut out = Vec::new();
        sink.record(&json, row.line, None, offset, &mut out);
        if lossy {
            sink.stats.invalid_utf8 += 1;
        }
    }
    // Lines of the file (a row may span several): rows are cited by the line they start on.
    lines += newlines(&doc[behind.from..]) + u64::from(!doc.is_empty() && !doc.ends_with(b"\n"));
    finish(job, vec![(sink, 0)], report, lines)
}

/// A document's counters into its report, and the frames of its sinks (one, or one per
/// piece), each with the line its lines count from (0: lines of the document).
fn finish<S: Sink>(
    job: &FileJob<'_>,
    sinks: Vec<(RecordSink<'_, S>, u64)>,
    report: &mut FileReport,
    lines: u64,
) -> PolarsResult<Vec<S::Done>> {
    let mut done = Vec::with_capacity(sinks.len());
    let mut last_seen = None;
    for (RecordSink { builder, stats, .. }, first_line) in sinks {
        let builder = builder.parsed(job, Some(first_line));
        stats.merge_into(report, first_line, &mut last_seen);
        if !builder.is_empty() {
            done.push(builder.finish(job, first_line)?);
        }
    }
    report.lines = lines;
    Ok(done)
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
    fn bytes(self, job: &FileJob<'_>, report: &mut FileReport) -> Bytes<'a, Document> {
        match self {
            Whole::Read(reader, size, head) => {
                Bytes::Read(read_document(job, (reader, size), head, report))
            }
            Whole::Mapped(map, mut progress) => {
                let all = map.bytes();
                let cap = super::HEAD_BYTES.saturating_add(job.opts.max_document_bytes);
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

/// The rest of a whole-document input after `head`, up to the document cap. `size`: what
/// the document will hold, when known (0: not), to size its buffer once.
fn read_document(
    job: &FileJob<'_>,
    (mut reader, size): (Box<dyn Read + Send>, usize),
    head: Vec<u8>,
    report: &mut FileReport,
) -> Document {
    let mut doc = Document::new(&head, size);
    let end = head.len().saturating_add(job.opts.max_document_bytes);
    while doc.len < end {
        match reader.read(doc.room(end)) {
            Ok(0) => break,
            Ok(n) => doc.len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                read_failure(report, &e, doc.len as u64, report.gzip);
                break;
            }
        }
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
            let pieces =
                guessed_pieces(body, Framing::JsonArray, 4096, NO_LET_GO).expect("guessed");
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
            guessed_pieces(misleading.as_bytes(), Framing::JsonArray, 4096, NO_LET_GO).is_none()
        );
        let pieces = framed_pieces(misleading.as_bytes(), Framing::JsonArray, 4096, NO_LET_GO);
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
            guessed_pieces(body.as_bytes(), Framing::JsonArray, piece_bytes, NO_LET_GO).is_none()
        );
    }
}
