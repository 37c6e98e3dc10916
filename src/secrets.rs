//! `tokentrail secrets`: every secret found in the logs. A token in a log is an incident in
//! itself (whoever reads the logs can use it), so this is the scan a responder runs first:
//! which secrets, of what kind, where first and last seen (file and line), how often, from
//! which addresses. Secrets appear only as their fingerprints.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;

use comfy_table::{ContentArrangement, Table, presets};
use polars::prelude::*;
use serde::Serialize;

use crate::frame::col;
use crate::score_report::{Locator, Locators};
use crate::stats::rfc3339;

/// Credential kinds whose value is a secret (the others are identifiers).
pub const SECRET_KINDS: &[&str] = &["url_token", "bearer_token", "cookie", "shaped_token"];

#[derive(Debug, Serialize)]
pub struct Sighting {
    pub ts: String,
    #[serde(flatten)]
    pub at: Locator,
    pub src_ip: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ExposedSecret {
    /// The fingerprint: a few leading characters and a keyed hash, never the value.
    pub credential_id: String,
    pub kind: String,
    pub sources: Vec<String>,
    pub events: u64,
    pub first: Sighting,
    pub last: Sighting,
    /// How many distinct addresses used it, and the first few.
    pub distinct_src_ips: u64,
    pub src_ips: Vec<String>,
    /// Calls that were refused (401/403, failures): a guessed or revoked token.
    pub refused: u64,
    /// Calls where only the token's prefix was logged (`--token-prefix-field`), linked to
    /// it.
    pub prefix_linked: u64,
}

#[derive(Debug, Serialize)]
pub struct SecretsReport {
    pub secrets: Vec<ExposedSecret>,
}

pub fn scan(df: &DataFrame) -> PolarsResult<SecretsReport> {
    let kind = df.column(col::CREDENTIAL_KIND)?.str()?;
    let cred = df.column(col::CREDENTIAL_ID)?.str()?;
    let source = df.column(col::SOURCE)?.str()?;
    let ip = df.column(col::SRC_IP)?.str()?;
    let outcome = df.column(col::OUTCOME)?.str()?;
    let notes = df.column(col::PARSE_NOTES)?.str()?;
    let ts = df.column(col::TS)?.datetime()?.physical();
    let loc = Locators::new(df)?;
    struct Acc<'a> {
        kind: &'a str,
        sources: BTreeSet<&'a str>,
        events: u64,
        first: (i64, usize),
        last: (i64, usize),
        ips: BTreeSet<&'a str>,
        refused: u64,
        linked: u64,
    }
    let mut by: HashMap<&str, Acc> = HashMap::new();
    for i in 0..df.height() {
        let (Some(k), Some(c)) = (kind.get(i), cred.get(i)) else {
            continue;
        };
        if !SECRET_KINDS.contains(&k) {
            continue;
        }
        let t = ts.get(i).unwrap_or(i64::MIN);
        let a = by.entry(c).or_insert_with(|| Acc {
            kind: k,
            sources: BTreeSet::new(),
            events: 0,
            first: (t, i),
            last: (t, i),
            ips: BTreeSet::new(),
            refused: 0,
            linked: 0,
        });
        a.events += 1;
        if let Some(s) = source.get(i) {
            a.sources.insert(s);
        }
        if t < a.first.0 {
            a.first = (t, i);
        }
        if t >= a.last.0 {
            a.last = (t, i);
        }
        if let Some(ip) = ip.get(i) {
            a.ips.insert(ip);
        }
        if matches!(outcome.get(i), Some("failure" | "denied")) {
            a.refused += 1;
        }
        if notes.get(i).is_some_and(|n| n.contains("prefix_linked")) {
            a.linked += 1;
        }
    }
    let sighting = |(t, i): (i64, usize)| Sighting {
        ts: rfc3339(t),
        at: loc.of(i),
        src_ip: ip.get(i).map(str::to_string),
    };
    let mut secrets: Vec<ExposedSecret> = by
        .into_iter()
        .map(|(c, a)| ExposedSecret {
            credential_id: c.to_string(),
            kind: a.kind.to_string(),
            sources: a.sources.iter().map(|s| s.to_string()).collect(),
            events: a.events,
            first: sighting(a.first),
            last: sighting(a.last),
            distinct_src_ips: a.ips.len() as u64,
            src_ips: a.ips.iter().take(5).map(|s| s.to_string()).collect(),
            refused: a.refused,
            prefix_linked: a.linked,
        })
        .collect();
    // Most used first: a live token used all week matters more than a guessed one.
    secrets.sort_by(|a, b| {
        b.events
            .cmp(&a.events)
            .then(a.credential_id.cmp(&b.credential_id))
    });
    Ok(SecretsReport { secrets })
}

pub fn write_json(out: &mut dyn Write, report: &SecretsReport) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

pub fn write_table(out: &mut dyn Write, report: &SecretsReport) -> std::io::Result<()> {
    if report.secrets.is_empty() {
        return writeln!(out, "No secret found in these logs.");
    }
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    t.set_header([
        "secret",
        "kind",
        "events",
        "by prefix",
        "refused",
        "addresses",
        "first seen",
        "last seen",
    ]);
    let at = |s: &Sighting| match (s.at.line, s.at.record_index) {
        (_, Some(r)) => format!("{}\n{} record {r}", s.ts, s.at.file),
        (l, None) => format!("{}\n{}:{l}", s.ts, s.at.file),
    };
    for s in &report.secrets {
        t.add_row([
            s.credential_id.clone(),
            s.kind.clone(),
            s.events.to_string(),
            s.prefix_linked.to_string(),
            s.refused.to_string(),
            s.distinct_src_ips.to_string(),
            at(&s.first),
            at(&s.last),
        ]);
    }
    writeln!(
        out,
        "{} secrets in the logs: anyone who can read these logs can use them. Rotate them.",
        report.secrets.len()
    )?;
    writeln!(out, "{t}")
}
