//! `tokentrail credentials`: every credential in the logs with its first and last sighting
//! (time, file and line), uses, refusals, sources, principals and addresses. The first
//! question of an incident: which credentials exist here, and since when is each one
//! used? `tokentrail secrets` is the same summary restricted to secrets in clear.

pub mod tally;

use std::io::Write;

use rayon::prelude::*;
use serde::Serialize;

pub use self::tally::{Listing, Tally};
use crate::frame::col;
use crate::output::write_csv_field as field;
use crate::stats::{push_rfc3339, rfc3339};

/// One sighting of a credential: when, where in the logs, from which address. Borrowed
/// from the frame: a million summaries would otherwise be ten million small strings.
#[derive(Debug, Serialize)]
pub struct Sighting<'a> {
    #[serde(serialize_with = "time_text")]
    pub ts: i64,
    pub event_id: Option<&'a str>,
    pub file: &'a str,
    pub line: u64,
    pub record_index: Option<u32>,
    pub src_ip: Option<&'a str>,
}

fn time_text<S: serde::Serializer>(ns: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*ns))
}

impl Sighting<'_> {
    /// `time` and `file:line` (or `file record N`), for tables. A long path (an S3
    /// export tree) is shortened to `…/` and its file name, which is unique there; JSON and
    /// CSV keep the whole path.
    pub fn cell(&self) -> String {
        let file = match self.file.rsplit_once('/') {
            Some((_, name)) if self.file.chars().count() > 60 => format!("…/{name}"),
            _ => self.file.to_string(),
        };
        let ts = rfc3339(self.ts);
        match (self.line, self.record_index) {
            (_, Some(r)) => format!("{ts}\n{file} record {r}"),
            (l, None) => format!("{ts}\n{file}:{l}"),
        }
    }
}

/// What the logs say of one credential, borrowed from the frame it was read from.
#[derive(Debug, Serialize)]
pub struct CredentialSummary<'a> {
    /// As the frame shows it: an access key id, a session id, or a secret's fingerprint.
    pub credential_id: &'a str,
    pub kind: &'a str,
    pub sources: Few<'a>,
    /// The principals it acted as (users, roles), the first few.
    pub principals: Few<'a>,
    pub events: u64,
    pub first: Sighting<'a>,
    pub last: Sighting<'a>,
    /// How many distinct addresses used it, and the first few.
    pub distinct_src_ips: u64,
    pub src_ips: Few<'a>,
    /// Calls that were refused (401/403, failures): a guessed or revoked credential.
    pub refused: u64,
    /// Calls where only the token's prefix was logged (`--token-prefix-field`), linked to
    /// it.
    pub prefix_linked: u64,
}

/// What `credentials` summarises: each credential (the default), or each principal (a
/// user, a role, a service account) with the credentials it used. An identity provider's
/// log holds a session per sign-in: a million sessions, a few thousand people.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    #[default]
    Credential,
    Principal,
}

/// What the logs say of one principal: its events, with or without a credential.
#[derive(Debug, Serialize)]
pub struct PrincipalSummary<'a> {
    pub principal: &'a str,
    pub sources: Few<'a>,
    /// How many distinct credentials it used, and the first few.
    pub distinct_credentials: u64,
    pub credentials: Few<'a>,
    pub events: u64,
    pub first: Sighting<'a>,
    pub last: Sighting<'a>,
    pub distinct_src_ips: u64,
    pub src_ips: Few<'a>,
    pub refused: u64,
}

/// A few values kept in place (a credential's sources, its first principals and
/// addresses): a million summaries made as they are written would otherwise be three
/// million small allocations.
#[derive(Clone, Copy, Debug)]
pub struct Few<'a> {
    items: [&'a str; FEW],
    len: usize,
}

/// At least [`LISTED`] and one per source.
const FEW: usize = 8;
const _: () = assert!(FEW >= LISTED && FEW >= tokentrail_parsers::SourceId::ALL.len());

impl<'a> Few<'a> {
    pub fn new() -> Few<'a> {
        Few {
            items: [""; FEW],
            len: 0,
        }
    }

    /// `value` at the end; a value beyond the room is not kept (none is offered: see
    /// [`FEW`]).
    pub fn push(&mut self, value: &'a str) {
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = value;
            self.len += 1;
        }
    }
}

impl Default for Few<'_> {
    fn default() -> Self {
        Few::new()
    }
}

impl<'a> std::ops::Deref for Few<'a> {
    type Target = [&'a str];

    fn deref(&self) -> &[&'a str] {
        &self.items[..self.len]
    }
}

impl<'a> std::ops::DerefMut for Few<'a> {
    fn deref_mut(&mut self) -> &mut [&'a str] {
        &mut self.items[..self.len]
    }
}

impl Serialize for Few<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// The text columns a tally reads (with those the ingest reads itself): the others (user
/// agents, targets, requests…) are not read from raw logs.
pub const COLUMNS: &[&str] = &[
    col::CREDENTIAL_ID,
    col::CREDENTIAL_KIND,
    col::PRINCIPAL,
    col::SRC_IP,
    col::OUTCOME,
    col::PARSE_NOTES,
];

/// How many principals and addresses are listed (all are counted).
const LISTED: usize = 5;

/// Every credential, in the order they were first seen.
pub fn all(tally: &Tally) -> Listing<'_> {
    // By time, not by its text: `…:00.5Z` sorts before `…:00Z` as text.
    tally.sorted(|_| true, |id, first, _| (first, id))
}

#[derive(Serialize)]
struct CredentialsJson<'a> {
    credentials: &'a Listing<'a>,
}

#[derive(Serialize)]
struct PrincipalsJson<'a> {
    principals: &'a Listing<'a>,
}

pub fn write_json(out: &mut dyn Write, credentials: &Listing) -> std::io::Result<()> {
    match credentials.by() {
        By::Credential => serde_json::to_writer_pretty(&mut *out, &CredentialsJson { credentials }),
        By::Principal => serde_json::to_writer_pretty(
            &mut *out,
            &PrincipalsJson {
                principals: credentials,
            },
        ),
    }?;
    writeln!(out)
}

/// One row per credential, for spreadsheets and batch jobs.
pub fn write_csv(out: &mut dyn Write, credentials: &Listing) -> std::io::Result<()> {
    match credentials.by() {
        By::Credential => writeln!(
            out,
            "credential_id,kind,sources,principals,events,refused,prefix_linked,distinct_src_ips,src_ips,first_seen,first_file,first_line,first_record_index,first_src_ip,last_seen,last_file,last_line,last_record_index,last_src_ip"
        )?,
        By::Principal => writeln!(
            out,
            "principal,sources,distinct_credentials,credentials,events,refused,distinct_src_ips,src_ips,first_seen,first_file,first_line,first_record_index,first_src_ip,last_seen,last_file,last_line,last_record_index,last_src_ip"
        )?,
    }
    // Rows are formatted on every core, a block at a time, and written in order: a million
    // rows are 180 MB of text.
    const ROWS: usize = 4096;
    let group = ROWS * rayon::current_num_threads() * 4;
    for start in (0..credentials.len()).step_by(group) {
        let end = (start + group).min(credentials.len());
        let blocks = (start..end)
            .step_by(ROWS)
            .collect::<Vec<usize>>()
            .into_par_iter()
            .map(|from| {
                let rows = from..(from + ROWS).min(end);
                let mut text = Vec::with_capacity(rows.len() * 256);
                match credentials.by() {
                    By::Credential => credentials
                        .summaries(rows)
                        .try_for_each(|c| csv_row(&mut text, &c))?,
                    By::Principal => credentials
                        .principal_summaries(rows)
                        .try_for_each(|p| principal_csv_row(&mut text, &p))?,
                }
                Ok(text)
            })
            .collect::<std::io::Result<Vec<Vec<u8>>>>()?;
        blocks.iter().try_for_each(|b| out.write_all(b))?;
    }
    Ok(())
}

fn csv_row(out: &mut Vec<u8>, c: &CredentialSummary) -> std::io::Result<()> {
    field(out, c.credential_id)?;
    out.write_all(b",")?;
    field(out, c.kind)?;
    out.write_all(b",")?;
    joined_field(out, &c.sources)?;
    out.write_all(b",")?;
    joined_field(out, &c.principals)?;
    push_counts(
        out,
        &[c.events, c.refused, c.prefix_linked, c.distinct_src_ips],
    );
    out.push(b',');
    joined_field(out, &c.src_ips)?;
    sightings_csv(out, [&c.first, &c.last])
}

fn principal_csv_row(out: &mut Vec<u8>, p: &PrincipalSummary) -> std::io::Result<()> {
    field(out, p.principal)?;
    out.write_all(b",")?;
    joined_field(out, &p.sources)?;
    push_counts(out, &[p.distinct_credentials]);
    out.push(b',');
    joined_field(out, &p.credentials)?;
    push_counts(out, &[p.events, p.refused, p.distinct_src_ips]);
    out.push(b',');
    joined_field(out, &p.src_ips)?;
    sightings_csv(out, [&p.first, &p.last])
}

/// `,n` for each count.
fn push_counts(out: &mut Vec<u8>, counts: &[u64]) {
    for n in counts {
        out.push(b',');
        out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes());
    }
}

/// The first and last sightings' columns, and the end of the row.
fn sightings_csv(out: &mut Vec<u8>, sightings: [&Sighting; 2]) -> std::io::Result<()> {
    for s in sightings {
        // A time never needs quotes.
        out.push(b',');
        push_rfc3339(out, s.ts);
        out.write_all(b",")?;
        field(out, s.file)?;
        out.push(b',');
        out.extend_from_slice(itoa::Buffer::new().format(s.line).as_bytes());
        out.push(b',');
        if let Some(r) = s.record_index {
            out.extend_from_slice(itoa::Buffer::new().format(r).as_bytes());
        }
        out.write_all(b",")?;
        field(out, s.src_ip.unwrap_or(""))?;
    }
    out.write_all(b"\n")
}

/// Values separated by spaces as one CSV field, joined only when the field needs quotes.
fn joined_field(out: &mut Vec<u8>, values: &[&str]) -> std::io::Result<()> {
    if values.iter().any(|v| crate::output::csv_needs_quotes(v)) {
        return field(out, &values.join(" "));
    }
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(v.as_bytes());
    }
    Ok(())
}

/// Rows a `credentials` or `secrets` table shows unless told (`--limit`).
pub const TABLE_ROWS: usize = 1000;

/// The rows of `len` a table shows under `limit` (0: all).
pub fn shown(len: usize, limit: usize) -> usize {
    match limit {
        0 => len,
        n => n.min(len),
    }
}

/// What a table of `shown` of `len` rows says after it, when it is cut.
pub fn cut_note(shown: usize, len: usize) -> Option<String> {
    (shown < len).then(|| {
        format!(
            "{} more not shown: --limit 0 shows every row; --format csv or json lists them all.",
            len - shown
        )
    })
}

pub fn write_table(out: &mut dyn Write, listed: &Listing, limit: usize) -> std::io::Result<()> {
    // The columns both listings end with.
    const COUNTS: [&str; 5] = ["events", "refused", "addresses", "first seen", "last seen"];
    let counts = |events: u64, refused: u64, ips: u64, first: &Sighting, last: &Sighting| {
        [
            events.to_string(),
            refused.to_string(),
            ips.to_string(),
            first.cell(),
            last.cell(),
        ]
    };
    let rows = 0..shown(listed.len(), limit);
    match listed.by() {
        By::Credential => listing_table(
            out,
            ("credential", "credentials"),
            &[&["credential", "kind", "principal"][..], &COUNTS].concat(),
            listed.len(),
            listed.summaries(rows).map(|c| {
                let principal = c.principals.first().copied().unwrap_or_default();
                let who = [c.credential_id, c.kind, principal].map(str::to_string);
                let n = counts(c.events, c.refused, c.distinct_src_ips, &c.first, &c.last);
                [&who[..], &n].concat()
            }),
        ),
        By::Principal => listing_table(
            out,
            ("principal", "principals"),
            &[&["principal", "credentials"][..], &COUNTS].concat(),
            listed.len(),
            listed.principal_summaries(rows).map(|p| {
                let who = [p.principal.to_string(), p.distinct_credentials.to_string()];
                let n = counts(p.events, p.refused, p.distinct_src_ips, &p.first, &p.last);
                [&who[..], &n].concat()
            }),
        ),
    }
}

/// `rows` (the first of `len`) under `header`, after how many there are (`what`: singular
/// and plural).
fn listing_table(
    out: &mut dyn Write,
    (one, many): (&str, &str),
    header: &[&str],
    len: usize,
    rows: impl Iterator<Item = Vec<String>>,
) -> std::io::Result<()> {
    if len == 0 {
        return writeln!(out, "No {one} found in these logs.");
    }
    let mut t = crate::stats::table();
    t.set_header(header);
    let mut shown = 0;
    for row in rows {
        t.add_row(row);
        shown += 1;
    }
    writeln!(out, "{len} {many}, in the order first seen:")?;
    writeln!(out, "{t}")?;
    match cut_note(shown, len) {
        Some(note) => writeln!(out, "{note}"),
        None => Ok(()),
    }
}
