//! The report of `hunt` and `timeline`: one model, rendered as a terminal table or as the
//! versioned JSON contract of docs/report-contract.md.

use std::io::{Read, Write};

use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::hunt::{BlastRadius, Finding, blast_radius};
use crate::ingest::FileReport;
use crate::score::signals::SIGNALS;
use crate::score::table::EventTable;
use crate::score::{SUSPICIOUS, Scored, Severity};
use crate::score_report::{Locators, ScoredEvent, short_time, table};
use crate::stats::rfc3339;

/// Bump the major number when a field changes meaning or goes away.
pub const REPORT_VERSION: &str = "1.0";

#[derive(Debug, Serialize)]
pub struct Report {
    pub report_version: &'static str,
    pub tokentrail_version: &'static str,
    pub inputs: Vec<InputEntry>,
    pub method: Method,
    pub findings: Vec<FindingJson>,
}

#[derive(Debug, Serialize)]
pub struct InputEntry {
    pub file: String,
    pub source: Option<&'static str>,
    /// Of the file as read (compressed bytes for gzip); null for standard input.
    pub sha256: Option<String>,
    pub events: u64,
    pub malformed: u64,
}

#[derive(Debug, Serialize)]
pub struct Method {
    pub suspicious_threshold: u32,
    pub signals: Vec<&'static str>,
    pub geoip: Vec<String>,
    pub config: Option<String>,
    pub baseline_until: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CredentialJson {
    pub id: String,
    pub kind: Option<String>,
    pub principal: Option<String>,
    pub aliases: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Window {
    pub last_known_good: Option<ScoredEvent>,
    pub first_suspicious: Option<String>,
    pub last_seen: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Attacker {
    pub ips: Vec<String>,
    pub networks: Vec<String>,
    pub asns: Vec<u32>,
    pub countries: Vec<String>,
    pub user_agents: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ChildJson {
    pub id: String,
    pub kind: Option<String>,
    pub created_at: String,
    pub created_by_event_id: Option<String>,
    pub created_by_action: Option<String>,
    pub inferred: bool,
}

#[derive(Debug, Serialize)]
pub struct RelatedJson {
    pub id: String,
    pub why: String,
}

#[derive(Debug, Serialize)]
pub struct FindingJson {
    pub credential: CredentialJson,
    pub severity: Severity,
    pub score: u32,
    pub first_suspicious: Option<ScoredEvent>,
    pub compromise_window: Window,
    pub attacker: Attacker,
    pub child_credentials: Vec<ChildJson>,
    pub related_credentials: Vec<RelatedJson>,
    pub blast_radius: BlastRadius,
    pub events: Vec<ScoredEvent>,
}

/// What the report says about how it was made.
pub struct MethodInput<'m> {
    pub geoip: &'m [String],
    pub config: Option<String>,
    pub baseline_until: Option<i64>,
}

pub fn build(
    df: &DataFrame,
    t: &EventTable,
    scored: &Scored,
    findings: &[Finding],
    files: &[FileReport],
    method: MethodInput,
) -> PolarsResult<Report> {
    let loc = Locators::new(df)?;
    let ev = |i: usize| ScoredEvent::new(t, &loc, scored, i);
    let findings = findings
        .iter()
        .map(|f| FindingJson {
            credential: CredentialJson {
                id: f.credential.clone(),
                kind: f.kind.clone(),
                principal: f.principal.clone(),
                aliases: f.aliases.clone(),
            },
            severity: f.severity,
            score: f.score,
            first_suspicious: f.first_suspicious.map(ev),
            compromise_window: Window {
                last_known_good: f.last_known_good.map(ev),
                first_suspicious: f.first_suspicious.map(|i| rfc3339(t.ts[i])),
                last_seen: f.last_seen.map(|i| rfc3339(t.ts[i])),
            },
            attacker: Attacker {
                ips: f.attacker_ips.iter().cloned().collect(),
                networks: f.attacker_networks.iter().cloned().collect(),
                asns: f.attacker_asns.iter().copied().collect(),
                countries: f.attacker_countries.iter().cloned().collect(),
                user_agents: f.attacker_user_agents.iter().cloned().collect(),
            },
            child_credentials: f
                .children
                .iter()
                .map(|c| ChildJson {
                    id: c.id.clone(),
                    kind: c.kind.clone(),
                    created_at: rfc3339(t.ts[c.created_by]),
                    created_by_event_id: loc.of(c.created_by).event_id,
                    created_by_action: t.action[c.created_by].map(str::to_string),
                    inferred: c.inferred,
                })
                .collect(),
            related_credentials: f
                .related
                .iter()
                .map(|(id, why)| RelatedJson {
                    id: id.clone(),
                    why: why.clone(),
                })
                .collect(),
            blast_radius: blast_radius(t, scored, f),
            events: f.events.iter().map(|&i| ev(i)).collect(),
        })
        .collect();
    Ok(Report {
        report_version: REPORT_VERSION,
        tokentrail_version: env!("CARGO_PKG_VERSION"),
        inputs: manifest(files),
        method: Method {
            suspicious_threshold: SUSPICIOUS,
            signals: SIGNALS.iter().map(|s| s.id()).collect(),
            geoip: method.geoip.to_vec(),
            config: method.config,
            baseline_until: method.baseline_until.map(rfc3339),
        },
        findings,
    })
}

/// Every input with its checksum, so a post-mortem can prove which bytes it read.
fn manifest(files: &[FileReport]) -> Vec<InputEntry> {
    files
        .par_iter()
        .map(|f| InputEntry {
            file: f.file.clone(),
            source: f.source,
            sha256: (f.file != "-").then(|| sha256(&f.file)).flatten(),
            events: f.events,
            malformed: f.malformed,
        })
        .collect()
}

fn sha256(path: &str) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Some(
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

pub fn write_json(out: &mut dyn Write, report: &Report) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

/// The terminal view: a headline per finding, then its timeline.
pub fn write_table(out: &mut dyn Write, report: &Report, limit: usize) -> std::io::Result<()> {
    if report.findings.is_empty() {
        writeln!(
            out,
            "No compromised credential found: no event scored {}+ (see `tokentrail score`).",
            SUSPICIOUS
        )?;
        return Ok(());
    }
    for (n, f) in report.findings.iter().enumerate() {
        let c = &f.credential;
        writeln!(
            out,
            "{}. {} {} ({}){} score {}",
            n + 1,
            f.severity.as_str().to_uppercase(),
            c.id,
            c.kind.as_deref().unwrap_or("?"),
            c.principal
                .as_deref()
                .map(|p| format!(" of {p}"))
                .unwrap_or_default(),
            f.score
        )?;
        if let Some(first) = &f.first_suspicious {
            let reasons: Vec<&str> = first.reasons.iter().map(|r| r.signal).collect();
            writeln!(
                out,
                "   first suspicious: {} UTC {} from {} ({}) at {}",
                short_time(&first.ts),
                first.action.as_deref().unwrap_or("?"),
                first.src_ip.as_deref().unwrap_or("?"),
                reasons.join(", "),
                first.locator_text()
            )?;
        }
        if let Some(good) = &f.compromise_window.last_known_good {
            writeln!(
                out,
                "   last known good:  {} UTC {} from {} at {}",
                short_time(&good.ts),
                good.action.as_deref().unwrap_or("?"),
                good.src_ip.as_deref().unwrap_or("?"),
                good.locator_text()
            )?;
        }
        if let Some(last) = &f.compromise_window.last_seen {
            writeln!(out, "   last seen:        {} UTC", short_time(last))?;
        }
        let a = &f.attacker;
        let mut attacker = a.ips.join(", ");
        if !a.countries.is_empty() {
            attacker.push_str(&format!(" [{}]", a.countries.join(", ")));
        }
        if !a.asns.is_empty() {
            let asns: Vec<String> = a.asns.iter().map(|n| format!("AS{n}")).collect();
            attacker.push_str(&format!(" {}", asns.join(", ")));
        }
        writeln!(out, "   attacker: {attacker}")?;
        for ua in &a.user_agents {
            writeln!(out, "   attacker client: {ua}")?;
        }
        for child in &f.child_credentials {
            writeln!(
                out,
                "   child credential: {} created {} UTC by {}{}",
                child.id,
                short_time(&child.created_at),
                child.created_by_action.as_deref().unwrap_or("?"),
                if child.inferred { " (inferred)" } else { "" }
            )?;
        }
        for r in &f.related_credentials {
            writeln!(out, "   related: {} ({})", r.id, r.why)?;
        }
        let mut t = table();
        t.set_header([
            "time (UTC)",
            "credential",
            "action",
            "src_ip",
            "outcome",
            "why",
        ]);
        for e in f.events.iter().take(limit) {
            let why = e
                .reasons
                .iter()
                .max_by_key(|r| r.weight)
                .map(|r| format!("{} {}", r.signal, e.score))
                .unwrap_or_else(|| "attacker network".to_string());
            t.add_row([
                short_time(&e.ts),
                e.credential_id.clone().unwrap_or_default(),
                e.action.clone().unwrap_or_default(),
                e.src_ip.clone().unwrap_or_default(),
                e.outcome.clone().unwrap_or_default(),
                why,
            ]);
        }
        writeln!(out, "{t}")?;
        if f.events.len() > limit {
            writeln!(
                out,
                "   … {} more events (--limit, or --format json for all)",
                f.events.len() - limit
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}
