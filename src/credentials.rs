//! `tokentrail credentials`: every credential in the logs with its first and last sighting
//! (time, file and line), uses, refusals, sources, principals and addresses. The first
//! question of an incident: which credentials exist here, and since when is each one
//! used? `tokentrail secrets` is the same summary restricted to secrets in clear.

use std::hash::BuildHasher;
use std::io::Write;

use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;

use crate::frame::{Rows, col};
use crate::output::write_csv_field as field;
use crate::stats::rfc3339;

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
    pub sources: Vec<&'a str>,
    /// The principals it acted as (users, roles), the first few.
    pub principals: Vec<&'a str>,
    pub events: u64,
    pub first: Sighting<'a>,
    pub last: Sighting<'a>,
    /// How many distinct addresses used it, and the first few.
    pub distinct_src_ips: u64,
    pub src_ips: Vec<&'a str>,
    /// Calls that were refused (401/403, failures): a guessed or revoked credential.
    pub refused: u64,
    /// Calls where only the token's prefix was logged (`--token-prefix-field`), linked to
    /// it.
    pub prefix_linked: u64,
}

/// The text columns a summary reads (with those the ingest reads itself): the others
/// (user agents, targets, requests…) are not kept from raw logs.
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

/// The columns a summary reads, borrowed from the frame.
struct Columns<'a> {
    kind: &'a StringChunked,
    cred: &'a StringChunked,
    source: &'a StringChunked,
    principal: &'a StringChunked,
    ip: &'a StringChunked,
    outcome: &'a StringChunked,
    notes: &'a StringChunked,
    ts: &'a Int64Chunked,
}

/// One credential's counts while the rows are read.
struct Acc<'a> {
    id: &'a str,
    kind: &'a str,
    sources: Vec<&'a str>,
    principals: Vec<&'a str>,
    events: u64,
    first: (i64, usize),
    last: (i64, usize),
    /// The first few addresses, in the order seen, and how many there are in all.
    ips: Vec<&'a str>,
    distinct_ips: u64,
    refused: u64,
    linked: u64,
}

/// One summary per credential whose kind `keep` accepts, in no particular order.
pub fn summarize<'a>(
    df: &'a DataFrame,
    keep: impl Fn(&str) -> bool + Sync,
) -> PolarsResult<Vec<CredentialSummary<'a>>> {
    let cols = Columns {
        kind: df.column(col::CREDENTIAL_KIND)?.str()?,
        cred: df.column(col::CREDENTIAL_ID)?.str()?,
        source: df.column(col::SOURCE)?.str()?,
        principal: df.column(col::PRINCIPAL)?.str()?,
        ip: df.column(col::SRC_IP)?.str()?,
        outcome: df.column(col::OUTCOME)?.str()?,
        notes: df.column(col::PARSE_NOTES)?.str()?,
        ts: df.column(col::TS)?.datetime()?.physical(),
    };
    // Each core takes the credentials whose hash falls to it, so that the tables of a
    // million sessions are built side by side and never merged.
    let parts = rayon::current_num_threads().max(1);
    let part_of = PlRandomState::default();
    let mine = |c: &str, part: usize| parts == 1 || part_of.hash_one(c) as usize % parts == part;
    let accs: Vec<Acc> = (0..parts)
        .into_par_iter()
        .flat_map_iter(|part| accumulate(&cols, |k, c| keep(k) && mine(c, part)))
        .collect();
    let event_id = Rows::new(df.column(col::EVENT_ID)?.str()?);
    let file = Rows::new(df.column(col::FILE)?.str()?);
    let line = Rows::new(df.column(col::LINE)?.u64()?);
    let record_index = Rows::new(df.column(col::RECORD_INDEX)?.u32()?);
    let ip = Rows::new(cols.ip);
    let sighting = |(ts, row): (i64, usize)| Sighting {
        ts,
        event_id: event_id.get(row),
        file: file.get(row).unwrap_or_default(),
        line: line.get(row).unwrap_or_default(),
        record_index: record_index.get(row),
        src_ip: ip.get(row),
    };
    Ok(accs
        .into_par_iter()
        .map(|mut a| {
            a.sources.sort_unstable();
            CredentialSummary {
                credential_id: a.id,
                kind: a.kind,
                sources: a.sources,
                principals: a.principals,
                events: a.events,
                first: sighting(a.first),
                last: sighting(a.last),
                distinct_src_ips: a.distinct_ips,
                src_ips: a.ips,
                refused: a.refused,
                prefix_linked: a.linked,
            }
        })
        .collect())
}

/// The credentials of the rows whose kind and id `take` accepts, read in one pass.
fn accumulate<'a>(cols: &Columns<'a>, take: impl Fn(&str, &str) -> bool) -> Vec<Acc<'a>> {
    // One table of (credential, address) pairs for all credentials instead of a set per
    // credential: a million sessions would otherwise be a million small allocations.
    // foldhash, not SipHash: a million sessions are two million lookups.
    let mut index: PlHashMap<&str, usize> = PlHashMap::default();
    let mut accs: Vec<Acc> = Vec::new();
    let mut pairs: PlHashSet<(usize, &str)> = PlHashSet::default();
    // One pass over the columns together (a frame from many files has many chunks:
    // iterators walk them in order instead of locating each row).
    let rows = cols
        .kind
        .iter()
        .zip(cols.cred.iter())
        .zip(cols.ts.iter())
        .zip(cols.source.iter())
        .zip(cols.principal.iter())
        .zip(cols.ip.iter())
        .zip(cols.outcome.iter())
        .zip(cols.notes.iter())
        .enumerate();
    for (i, (((((((k, c), t), s), p), ip), outcome), notes)) in rows {
        let (Some(k), Some(c)) = (k, c) else {
            continue;
        };
        if !take(k, c) {
            continue;
        }
        let t = t.unwrap_or(i64::MIN);
        let at = *index.entry(c).or_insert_with(|| {
            accs.push(Acc {
                id: c,
                kind: k,
                sources: Vec::new(),
                principals: Vec::new(),
                events: 0,
                first: (t, i),
                last: (t, i),
                ips: Vec::new(),
                distinct_ips: 0,
                refused: 0,
                linked: 0,
            });
            accs.len() - 1
        });
        let a = &mut accs[at];
        a.events += 1;
        if let Some(s) = s
            && !a.sources.contains(&s)
        {
            a.sources.push(s);
        }
        if let Some(p) = p
            && a.principals.len() < LISTED
            && !a.principals.contains(&p)
        {
            a.principals.push(p);
        }
        if t < a.first.0 {
            a.first = (t, i);
        }
        if t >= a.last.0 {
            a.last = (t, i);
        }
        // The listed addresses are looked up in place; the table holds only the others
        // (of credentials used from more than LISTED addresses).
        if let Some(ip) = ip
            && !a.ips.contains(&ip)
        {
            if a.ips.len() < LISTED {
                a.ips.push(ip);
                a.distinct_ips += 1;
            } else if pairs.insert((at, ip)) {
                a.distinct_ips += 1;
            }
        }
        if matches!(outcome, Some("failure" | "denied")) {
            a.refused += 1;
        }
        if notes.is_some_and(|n| n.contains("prefix_linked")) {
            a.linked += 1;
        }
    }
    accs
}

/// Every credential, in the order they were first seen.
pub fn all(df: &DataFrame) -> PolarsResult<Vec<CredentialSummary<'_>>> {
    let mut out = summarize(df, |_| true)?;
    // By time, not by its text: `…:00.5Z` sorts before `…:00Z` as text.
    out.par_sort_unstable_by(|a, b| {
        (a.first.ts, a.credential_id).cmp(&(b.first.ts, b.credential_id))
    });
    Ok(out)
}

#[derive(Serialize)]
struct CredentialsJson<'a> {
    credentials: &'a [CredentialSummary<'a>],
}

pub fn write_json(out: &mut dyn Write, credentials: &[CredentialSummary]) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &CredentialsJson { credentials })?;
    writeln!(out)
}

/// One row per credential, for spreadsheets and batch jobs.
pub fn write_csv(out: &mut dyn Write, credentials: &[CredentialSummary]) -> std::io::Result<()> {
    writeln!(
        out,
        "credential_id,kind,sources,principals,events,refused,prefix_linked,distinct_src_ips,src_ips,first_seen,first_file,first_line,first_record_index,first_src_ip,last_seen,last_file,last_line,last_record_index,last_src_ip"
    )?;
    // Rows are formatted on every core, a block at a time, and written in order: a million
    // rows are 180 MB of text.
    const ROWS: usize = 4096;
    let group = ROWS * rayon::current_num_threads() * 4;
    for rows in credentials.chunks(group) {
        let blocks = rows
            .par_chunks(ROWS)
            .map(|block| {
                let mut text = Vec::with_capacity(block.len() * 256);
                block.iter().try_for_each(|c| csv_row(&mut text, c))?;
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
    field(out, &c.sources.join(" "))?;
    out.write_all(b",")?;
    field(out, &c.principals.join(" "))?;
    write!(
        out,
        ",{},{},{},{},",
        c.events, c.refused, c.prefix_linked, c.distinct_src_ips
    )?;
    field(out, &c.src_ips.join(" "))?;
    for s in [&c.first, &c.last] {
        out.write_all(b",")?;
        field(out, &rfc3339(s.ts))?;
        out.write_all(b",")?;
        field(out, s.file)?;
        write!(out, ",{},", s.line)?;
        if let Some(r) = s.record_index {
            write!(out, "{r}")?;
        }
        out.write_all(b",")?;
        field(out, s.src_ip.unwrap_or(""))?;
    }
    out.write_all(b"\n")
}

pub fn write_table(out: &mut dyn Write, credentials: &[CredentialSummary]) -> std::io::Result<()> {
    if credentials.is_empty() {
        return writeln!(out, "No credential found in these logs.");
    }
    let mut t = crate::stats::table();
    t.set_header([
        "credential",
        "kind",
        "principal",
        "events",
        "refused",
        "addresses",
        "first seen",
        "last seen",
    ]);
    for c in credentials {
        t.add_row([
            c.credential_id.to_string(),
            c.kind.to_string(),
            c.principals
                .first()
                .copied()
                .unwrap_or_default()
                .to_string(),
            c.events.to_string(),
            c.refused.to_string(),
            c.distinct_src_ips.to_string(),
            c.first.cell(),
            c.last.cell(),
        ]);
    }
    writeln!(
        out,
        "{} credentials, in the order first seen:",
        credentials.len()
    )?;
    writeln!(out, "{t}")
}
