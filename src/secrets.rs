//! `tokentrail secrets`: every secret found in the logs. A token in a log is an incident in
//! itself (whoever reads the logs can use it), so this is the scan a responder runs first:
//! which secrets, of what kind, where first and last seen (file and line), how often, from
//! which addresses. Secrets appear only as their fingerprints.

use std::io::Write;

use serde::Serialize;

use crate::credentials::{Listing, Tally};

/// Credential kinds whose value is a secret (the others are identifiers).
pub const SECRET_KINDS: &[&str] = &[
    "url_token",
    "bearer_token",
    "cookie",
    "shaped_token",
    "header_token",
    "form_token",
];

#[derive(Serialize)]
pub struct SecretsReport<'a> {
    pub secrets: Listing<'a>,
}

pub fn scan(tally: &Tally) -> SecretsReport<'_> {
    // Most used first: a live token used all week matters more than a guessed one.
    let secrets = tally.sorted(
        |kind| SECRET_KINDS.contains(&kind),
        |id, _, events| (std::cmp::Reverse(events), id),
    );
    SecretsReport { secrets }
}

pub fn write_json(out: &mut dyn Write, report: &SecretsReport) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

pub fn write_table(
    out: &mut dyn Write,
    report: &SecretsReport,
    limit: usize,
) -> std::io::Result<()> {
    if report.secrets.is_empty() {
        return writeln!(out, "No secret found in these logs.");
    }
    let mut t = crate::stats::table();
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
    let shown = crate::credentials::shown(report.secrets.len(), limit);
    for s in report.secrets.summaries(0..shown) {
        t.add_row([
            s.credential_id.to_string(),
            s.kind.to_string(),
            s.events.to_string(),
            s.prefix_linked.to_string(),
            s.refused.to_string(),
            s.distinct_src_ips.to_string(),
            s.first.cell(),
            s.last.cell(),
        ]);
    }
    writeln!(
        out,
        "{} secrets in the logs: anyone who can read these logs can use them. Rotate them.",
        report.secrets.len()
    )?;
    writeln!(out, "{t}")?;
    match crate::credentials::cut_note(shown, report.secrets.len()) {
        Some(note) => writeln!(out, "{note}"),
        None => Ok(()),
    }
}
