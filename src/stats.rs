//! `tokentrail stats`: what each input holds, and a summary per source.

use std::collections::BTreeMap;
use std::io::Write;

use comfy_table::{ContentArrangement, Table, presets};
use serde::Serialize;

use tokentrail_parsers::SourceId;

use crate::credentials::Tally;
use crate::frame::col;
use crate::ingest::{FileReport, ProblemKind};

/// Totals of one source over all its inputs.
#[derive(Debug, Serialize)]
pub struct SourceSummary {
    pub source: String,
    pub files: u64,
    pub events: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    pub distinct_credentials: u64,
    pub distinct_src_ips: u64,
}

#[derive(Serialize)]
struct FileJson<'a> {
    #[serde(flatten)]
    report: &'a FileReport,
    first: Option<String>,
    last: Option<String>,
}

#[derive(Serialize)]
struct StatsJson<'a> {
    files: Vec<FileJson<'a>>,
    sources: &'a [SourceSummary],
    totals: Totals,
}

#[derive(Serialize)]
struct Totals {
    files: u64,
    bytes: u64,
    records: u64,
    events: u64,
    outside_window: u64,
    duplicates_removed: u64,
    malformed: u64,
    files_with_problems: u64,
}

/// RFC 3339 in UTC with as many fractional digits as needed.
pub fn rfc3339(ns: i64) -> String {
    let mut out = Vec::with_capacity(30);
    push_rfc3339(&mut out, ns);
    String::from_utf8(out).unwrap_or_default()
}

/// [`rfc3339`] written at the end of `out`: chrono's `to_rfc3339_opts(AutoSi, true)`
/// (0, 3, 6 or 9 fractional digits, `Z`) without its formatting machinery and a `String`
/// per time, which were a tenth of the `credentials` CSV of a million sessions. Every
/// time an `i64` of nanoseconds holds has a four-digit year (1677 to 2262).
pub fn push_rfc3339(out: &mut Vec<u8>, ns: i64) {
    const DAY: i64 = 86_400_000_000_000;
    let (days, in_day) = (ns.div_euclid(DAY), ns.rem_euclid(DAY));
    // Days since 1970-01-01 to a civil date (H. Hinnant's `civil_from_days`).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let secs = in_day / 1_000_000_000;
    let nanos = in_day % 1_000_000_000;
    let digits = |out: &mut Vec<u8>, v: i64, width: u32| {
        for p in (0..width).rev() {
            out.push(b'0' + (v / 10i64.pow(p) % 10) as u8);
        }
    };
    digits(out, year, 4);
    out.push(b'-');
    digits(out, month, 2);
    out.push(b'-');
    digits(out, day, 2);
    out.push(b'T');
    digits(out, secs / 3600, 2);
    out.push(b':');
    digits(out, secs / 60 % 60, 2);
    out.push(b':');
    digits(out, secs % 60, 2);
    match nanos {
        0 => {}
        n if n % 1_000_000 == 0 => {
            out.push(b'.');
            digits(out, n / 1_000_000, 3);
        }
        n if n % 1_000 == 0 => {
            out.push(b'.');
            digits(out, n / 1_000, 6);
        }
        n => {
            out.push(b'.');
            digits(out, n, 9);
        }
    }
    out.push(b'Z');
}

/// The text columns the summary reads: `stats` reads only these (and those the ingest
/// reads itself) from the logs, and keeps no frame of them.
pub const COLUMNS: &[&str] = &[col::CREDENTIAL_ID, col::SRC_IP];

/// Per-source totals: events from the inputs' reports (parsed, less repeated deliveries
/// removed), distinct credentials and client addresses from the tally.
pub fn summarize(files: &[FileReport], tally: &Tally) -> Vec<SourceSummary> {
    let mut by_source: BTreeMap<&str, Vec<&FileReport>> = BTreeMap::new();
    for f in files {
        if let Some(s) = f.source {
            by_source.entry(s).or_default().push(f);
        }
    }
    by_source
        .into_iter()
        .map(|(source, files)| {
            let id = SourceId::from_id(source);
            let (credentials, addresses) = id.map_or((0, 0), |s| tally.distinct_of(s));
            let first = files.iter().filter_map(|f| f.first_ts).min();
            let last = files.iter().filter_map(|f| f.last_ts).max();
            SourceSummary {
                source: source.to_string(),
                files: files.len() as u64,
                events: files.iter().map(|f| f.events - f.duplicates_removed).sum(),
                first: first.map(rfc3339),
                last: last.map(rfc3339),
                distinct_credentials: credentials,
                distinct_src_ips: addresses,
            }
        })
        .collect()
}

fn totals(files: &[FileReport]) -> Totals {
    Totals {
        files: files.len() as u64,
        bytes: files.iter().map(|f| f.bytes).sum(),
        records: files.iter().map(|f| f.records).sum(),
        events: files.iter().map(|f| f.events).sum(),
        outside_window: files.iter().map(|f| f.outside_window).sum(),
        duplicates_removed: files.iter().map(|f| f.duplicates_removed).sum(),
        malformed: files.iter().map(|f| f.malformed).sum(),
        // Skipped files (digests) are recognised, not problems.
        files_with_problems: files
            .iter()
            .filter(|f| f.problems.iter().any(|p| p.kind != ProblemKind::Skipped))
            .count() as u64,
    }
}

pub fn write_json(
    out: &mut dyn Write,
    files: &[FileReport],
    sources: &[SourceSummary],
) -> std::io::Result<()> {
    let doc = StatsJson {
        files: files
            .iter()
            .map(|report| FileJson {
                report,
                first: report.first_ts.map(rfc3339),
                last: report.last_ts.map(rfc3339),
            })
            .collect(),
        sources,
        totals: totals(files),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// The condensed table every text report uses, wrapped to the terminal.
pub(crate) fn table() -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    t
}

pub fn write_table(
    out: &mut dyn Write,
    files: &[FileReport],
    sources: &[SourceSummary],
) -> std::io::Result<()> {
    let mut t = table();
    t.set_header([
        "file",
        "source",
        "bytes",
        "lines",
        "events",
        "malformed",
        "notes",
    ]);
    for f in files {
        let source = match (f.source, f.confidence, f.detection) {
            (Some(s), Some(c), _) if f.log_format.is_some() || f.form.is_some() => {
                let form = f.log_format.as_deref().or(f.form).unwrap_or("");
                format!("{s} ({form}, {c}%)")
            }
            (Some(s), _, "skipped") => format!("{s} (skipped)"),
            (Some(s), _, crate::ingest::BEFORE_WINDOW) => format!("{s} (before --since)"),
            (Some(s), Some(c), _) => format!("{s} ({c}%)"),
            (Some(s), None, "forced") => format!("{s} (--source)"),
            (Some(s), _, _) => s.to_string(),
            (None, _, _) => "-".to_string(),
        };
        let mut notes: Vec<String> = f.problems.iter().map(|p| p.message.clone()).collect();
        if f.gzip {
            notes.insert(0, "gzip".into());
        }
        if f.invalid_utf8_records > 0 {
            notes.push(format!(
                "{} records with invalid UTF-8",
                f.invalid_utf8_records
            ));
        }
        if f.outside_window > 0 {
            notes.push(format!("{} outside --since/--until", f.outside_window));
        }
        if f.duplicates_removed > 0 {
            notes.push(format!("{} duplicate events removed", f.duplicates_removed));
        }
        if f.out_of_order > 0 {
            notes.push(format!("{} out of time order", f.out_of_order));
        }
        if f.future_events > 0 {
            notes.push(format!("{} in the future", f.future_events));
        }
        t.add_row([
            f.file.clone(),
            source,
            f.bytes.to_string(),
            f.lines.to_string(),
            f.events.to_string(),
            f.malformed.to_string(),
            notes.join("; "),
        ]);
    }
    writeln!(out, "{t}")?;
    if !sources.is_empty() {
        let mut t = table();
        t.set_header([
            "source",
            "files",
            "events",
            "first",
            "last",
            "credentials",
            "src ips",
        ]);
        for s in sources {
            t.add_row([
                s.source.clone(),
                s.files.to_string(),
                s.events.to_string(),
                s.first.clone().unwrap_or_default(),
                s.last.clone().unwrap_or_default(),
                s.distinct_credentials.to_string(),
                s.distinct_src_ips.to_string(),
            ]);
        }
        writeln!(out, "{t}")?;
    }
    for f in files.iter().filter(|f| f.malformed > 0) {
        let reasons: Vec<String> = f
            .malformed_by_reason
            .iter()
            .map(|(r, n)| format!("{r}: {n}"))
            .collect();
        writeln!(
            out,
            "{}: {} malformed ({})",
            f.file,
            f.malformed,
            reasons.join(", ")
        )?;
        for ex in &f.malformed_examples {
            writeln!(
                out,
                "  {}:{}: {}: {}",
                f.file, ex.line, ex.reason, ex.excerpt
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The hand-made format is chrono's, over the whole range of nanosecond times: both
    /// ends, the epoch, leap days, century years and each count of fractional digits.
    #[test]
    fn rfc3339_is_chronos_format() {
        let chrono = |ns| {
            chrono::DateTime::from_timestamp_nanos(ns)
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        };
        let mut times = vec![
            i64::MIN,
            i64::MAX,
            0,
            -1,
            1,
            -86_400_000_000_000,
            951_782_400_000_000_000,    // 2000-02-29
            4_107_542_400_000_000_000,  // 2100-03-01
            -2_208_988_800_000_000_000, // 1900-01-01
            1_772_323_200_014_000_000,
            1_772_323_200_014_500_000,
            1_772_323_200_014_500_001,
        ];
        // A spread over the range, each with 0, 3, 6 and 9 fractional digits.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let t = x as i64;
            times.extend([
                t,
                t - t.rem_euclid(1_000_000_000),
                t - t.rem_euclid(1_000_000),
                t - t.rem_euclid(1_000),
            ]);
        }
        for t in times {
            assert_eq!(super::rfc3339(t), chrono(t), "{t}");
        }
    }
}
