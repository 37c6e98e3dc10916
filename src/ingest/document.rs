//! Whole-document JSON sources: read the document, frame its records, parse them.

use std::io::Read;

use polars::prelude::*;
use tokentrail_parsers::ParseErrorKind;
use tokentrail_parsers::framing::{Framing, json_records};

use super::records::{FileJob, RecordSink};
use super::report::MalformedExample;
use super::{FileReport, read_failure};

/// Whole-document JSON sources (an array, or a `Records` wrapper): read the document,
/// frame its records, parse them.
pub(super) fn ingest_document(
    job: &FileJob<'_>,
    framing: Framing,
    mut reader: Box<dyn Read + Send>,
    mut doc: Vec<u8>,
    report: &mut FileReport,
) -> PolarsResult<Vec<DataFrame>> {
    let limit = job.opts.max_document_bytes as u64;
    if let Err(e) = (&mut reader).take(limit).read_to_end(&mut doc) {
        read_failure(report, &e, doc.len() as u64, report.gzip);
    }
    report.bytes = doc.len() as u64;
    // Windows tools write a BOM, which JSON parsers reject; offsets stay file offsets.
    let skip = if doc.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let framed = json_records(&doc[skip..], framing);
    let records = framed.records;
    if let Some(e) = framed.error {
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
            record_index: Some(records.len() as u64),
            reason: format!("document: {e}"),
            byte: 0,
            excerpt: String::new(),
        });
    }
    let mut sink = RecordSink::new(job, records.len());
    let mut out = Vec::new();
    for rec in &records {
        sink.stats.lines += 1;
        let index = Some(rec.index as u64);
        let offset = (rec.offset + skip) as u64;
        sink.record(rec.bytes, rec.line, index, offset, &mut out);
    }
    let RecordSink { builder, stats, .. } = sink;
    stats.merge_into(report, 0, &mut None);
    report.lines = records.len() as u64;
    if builder.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![builder.finish(&job.ctx, 0)?])
}
