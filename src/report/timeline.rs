//! The attacker timeline as rows, for spreadsheets (CSV) and SIEMs (JSON Lines): every
//! attributed event of every finding, with the finding it belongs to and its phase.

use std::io::Write;

use serde::Serialize;

use super::Report;
use crate::output::write_csv_field;
use crate::score_report::ScoredEvent;

#[derive(Serialize)]
struct Row<'r> {
    finding: usize,
    finding_credential: &'r str,
    severity: &'static str,
    #[serde(flatten)]
    event: &'r ScoredEvent<'r>,
}

pub fn write_jsonl(out: &mut dyn Write, report: &Report) -> std::io::Result<()> {
    for (n, f) in report.findings.iter().enumerate() {
        for e in &f.events {
            let row = Row {
                finding: n + 1,
                finding_credential: &f.credential.id,
                severity: f.severity.as_str(),
                event: e,
            };
            serde_json::to_writer(&mut *out, &row)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

pub const CSV_HEADER: &str = "finding,finding_credential,severity,ts,phase,source,event_id,file,line,record_index,credential_id,principal,action,target,src_ip,outcome,score,reasons";

pub fn write_csv(out: &mut dyn Write, report: &Report) -> std::io::Result<()> {
    writeln!(out, "{CSV_HEADER}")?;
    for (n, f) in report.findings.iter().enumerate() {
        for e in &f.events {
            let reasons: Vec<String> = e
                .reasons
                .iter()
                .map(|r| format!("{} +{}: {}", r.signal, r.weight, r.value))
                .collect();
            let cells = [
                (n + 1).to_string(),
                f.credential.id.clone(),
                f.severity.as_str().to_string(),
                e.ts.clone(),
                e.phase.unwrap_or("").to_string(),
                e.source.unwrap_or_default().to_string(),
                e.event_id.unwrap_or_default().to_string(),
                e.file.to_string(),
                e.line.to_string(),
                e.record_index.map(|r| r.to_string()).unwrap_or_default(),
                e.credential_id.unwrap_or_default().to_string(),
                e.principal.unwrap_or_default().to_string(),
                e.action.unwrap_or_default().to_string(),
                e.target.unwrap_or_default().to_string(),
                e.src_ip.unwrap_or_default().to_string(),
                e.outcome.unwrap_or_default().to_string(),
                e.score.to_string(),
                reasons.join("; "),
            ];
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",")?;
                }
                write_csv_field(out, cell)?;
            }
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}
