//! Whole-document sources (JSON documents, CSV downloads): read the document, frame its
//! records, parse them.

use std::io::Read;

use polars::prelude::*;
use tokentrail_parsers::ParseErrorKind;
use tokentrail_parsers::csv_export::{self, CsvLayout, CsvRows};
use tokentrail_parsers::framing::{ArrayRecords, Framing};
use tokentrail_parsers::parse_front_keeping;

use super::records::{FileJob, RecordSink, Sink};
use super::report::MalformedExample;
use super::{FileReport, read_failure};

/// Whole-document JSON sources (an array, or a `Records` wrapper): read the document,
/// frame its records, parse them.
pub(super) fn ingest_document<S: Sink>(
    job: &FileJob<'_>,
    framing: Framing,
    reader: (Box<dyn Read + Send>, usize),
    doc: Vec<u8>,
    report: &mut FileReport,
) -> PolarsResult<Vec<S::Done>> {
    let doc = read_document(job, reader, doc, report);
    // Windows tools write a BOM, which JSON parsers reject; offsets stay file offsets.
    let skip = bom_len(&doc);
    let body = &doc[skip..];
    let mut cursor = ArrayRecords::new(body, framing);
    // A document of valid UTF-8 (checked once, not per record) is read a record at a time
    // from the front of what is left, by parsers that can: each record is scanned once.
    let text = simdutf8::basic::from_utf8(body).ok();
    let mut sink = RecordSink::<S>::new(job, 0, body.len() / RECORD_BYTES_GUESS);
    let mut out = Vec::new();
    let mut records = 0u64;
    loop {
        out.clear();
        let read = |rest| parse_front_keeping(job.parser, job.detail, rest, &mut out);
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
    if let Some(e) = cursor.error {
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
    finish(job, sink, report, records)
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
    reader: (Box<dyn Read + Send>, usize),
    doc: Vec<u8>,
    report: &mut FileReport,
) -> PolarsResult<Vec<S::Done>> {
    let doc = read_document(job, reader, doc, report);
    let skip = bom_len(&doc);
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
    let lines = memchr::memchr_iter(b'\n', &doc).count() as u64
        + u64::from(!doc.is_empty() && !doc.ends_with(b"\n"));
    finish(job, sink, report, lines)
}

/// A document's counters into its report, and its one frame.
fn finish<S: Sink>(
    job: &FileJob<'_>,
    sink: RecordSink<'_, S>,
    report: &mut FileReport,
    lines: u64,
) -> PolarsResult<Vec<S::Done>> {
    let RecordSink { builder, stats, .. } = sink;
    let builder = builder.parsed(job, Some(0));
    stats.merge_into(report, 0, &mut None);
    report.lines = lines;
    if builder.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![builder.finish(job, 0)?])
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
