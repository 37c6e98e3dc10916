//! `tokentrail score`: events with their score and reasons, highest first, and a summary
//! per credential. The JSON shape is documented in docs/detections.md.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use comfy_table::{ContentArrangement, Table, presets};
use polars::prelude::*;
use serde::Serialize;

use crate::frame::{Rows, col};
use crate::score::signals::Reason;
use crate::score::table::EventTable;
use crate::score::{SUSPICIOUS, Scored, Severity};
use crate::stats::rfc3339;

/// Where an event came from: enough for a reviewer to open the file at the line.
#[derive(Debug, Clone, Serialize)]
pub struct Locator<'a> {
    pub event_id: Option<&'a str>,
    pub file: &'a str,
    pub line: u64,
    pub record_index: Option<u32>,
}

/// Reads locators of single events from the frame (of any number of chunks: each row
/// found by binary search, [`Rows`]).
pub struct Locators<'a> {
    event_id: Rows<'a, StringType>,
    file: Rows<'a, StringType>,
    line: Rows<'a, UInt64Type>,
    record_index: Rows<'a, UInt32Type>,
}

impl<'a> Locators<'a> {
    pub fn new(df: &'a DataFrame) -> PolarsResult<Locators<'a>> {
        Ok(Locators {
            event_id: Rows::new(df.column(col::EVENT_ID)?.str()?),
            file: Rows::new(df.column(col::FILE)?.str()?),
            line: Rows::new(df.column(col::LINE)?.u64()?),
            record_index: Rows::new(df.column(col::RECORD_INDEX)?.u32()?),
        })
    }

    pub fn of(&self, i: usize) -> Locator<'a> {
        Locator {
            event_id: self.event_id.get(i),
            file: self.file.get(i).unwrap_or(""),
            line: self.line.get(i).unwrap_or(0),
            record_index: self.record_index.get(i),
        }
    }
}

/// One scored event as reports show it, borrowed from the frame and the scores: a report of
/// a large log holds millions.
#[derive(Debug, Serialize)]
pub struct ScoredEvent<'a> {
    pub ts: String,
    pub score: u32,
    pub severity: Severity,
    pub source: Option<&'a str>,
    // Where it came from (a `Locator`'s fields, written in place: serde's `flatten` would
    // make every event a map, a third slower to write).
    pub event_id: Option<&'a str>,
    pub file: &'a str,
    pub line: u64,
    pub record_index: Option<u32>,
    pub credential_id: Option<&'a str>,
    pub principal: Option<&'a str>,
    pub action: Option<&'a str>,
    pub target: Option<&'a str>,
    pub src_ip: Option<&'a str>,
    pub outcome: Option<&'a str>,
    pub reasons: &'a [Reason],
    /// The phase of the attack this event belongs to (investigation reports only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<&'static str>,
    /// Nanoseconds since the epoch, for charts and ordering; not in the JSON.
    #[serde(skip)]
    pub ts_ns: i64,
}

impl<'a> ScoredEvent<'a> {
    pub fn new(
        t: &EventTable<'a>,
        loc: &Locators<'a>,
        scored: &'a Scored,
        i: usize,
    ) -> ScoredEvent<'a> {
        let at = loc.of(i);
        ScoredEvent {
            ts: rfc3339(t.ts[i]),
            score: scored.scores[i],
            severity: Severity::of(scored.scores[i]),
            source: t.source[i],
            event_id: at.event_id,
            file: at.file,
            line: at.line,
            record_index: at.record_index,
            credential_id: t.credential[i],
            principal: t.principal[i],
            action: t.action[i],
            target: t.target[i],
            src_ip: t.src_ip[i],
            outcome: t.outcome[i],
            reasons: scored.reasons_of(i),
            phase: None,
            ts_ns: t.ts[i],
        }
    }

    /// The reason that weighs most: the short "why" of a timeline row.
    pub fn top_reason(&self) -> Option<&Reason> {
        self.reasons.iter().max_by_key(|r| r.weight)
    }

    /// `file:line`, or `file record N` for JSON documents.
    pub fn locator_text(&self) -> String {
        match (self.line, self.record_index) {
            (_, Some(r)) => format!("{} record {r}", self.file),
            (0, None) => self.file.to_string(),
            (l, None) => format!("{}:{l}", self.file),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CredentialSummary {
    pub credential_id: String,
    pub kind: Option<String>,
    pub principal: Option<String>,
    pub sources: Vec<String>,
    pub events: u64,
    pub first_seen: String,
    pub last_seen: String,
    pub max_score: u32,
    pub severity: Severity,
    /// Events scoring at or above the suspicious threshold.
    pub suspicious_events: u64,
    /// The first of them.
    pub first_suspicious: Option<String>,
    /// How many events each signal fired on.
    pub signals: BTreeMap<&'static str, u64>,
}

#[derive(Debug, Serialize)]
pub struct ScoreReport<'a> {
    pub suspicious_threshold: u32,
    pub credentials: Vec<CredentialSummary>,
    pub events: Vec<ScoredEvent<'a>>,
}

/// What to show.
pub struct Selection<'s> {
    /// Only these credentials (an id, a fingerprint or its prefix, a principal, a session).
    pub credentials: &'s [String],
    pub min_score: u32,
    pub top: usize,
}

/// Whether event `i` belongs to a credential the user named.
pub fn matches_credential(t: &EventTable, i: usize, wanted: &str) -> bool {
    t.credential[i].is_some_and(|c| c == wanted || (wanted.len() >= 4 && c.starts_with(wanted)))
        || t.principal[i] == Some(wanted)
        || t.session_id[i] == Some(wanted)
}

pub fn build<'a>(
    df: &'a DataFrame,
    t: &EventTable<'a>,
    scored: &'a Scored,
    sel: &Selection,
) -> PolarsResult<ScoreReport<'a>> {
    let mut summaries = Summaries::default();
    for i in 0..t.len() {
        if sel.wants(t, i) {
            summaries.see(t, i, i as u64);
            summaries.score(t, i, i as u64, scored.scores[i], scored.reasons_of(i));
        }
    }
    let flagged = sel.flagged(t, scored, |i| i as u64);
    Ok(ScoreReport {
        suspicious_threshold: SUSPICIOUS,
        credentials: summaries.finish(sel.min_score),
        events: scored_events(df, t, scored, &flagged)?,
    })
}

/// The events `rows` of `t` as the report shows them, in that order.
pub fn scored_events<'a>(
    df: &'a DataFrame,
    t: &EventTable<'a>,
    scored: &'a Scored,
    rows: &[usize],
) -> PolarsResult<Vec<ScoredEvent<'a>>> {
    let loc = Locators::new(df)?;
    Ok(rows
        .iter()
        .map(|&i| ScoredEvent::new(t, &loc, scored, i))
        .collect())
}

impl Selection<'_> {
    /// Whether event `i` has a credential, one the user asked for if any.
    pub fn wants(&self, t: &EventTable, i: usize) -> bool {
        t.credential[i].is_some() && self.wants_event(t, i)
    }

    /// The rows of the events shown, highest score first (then time, then `place`: the
    /// event's place in the whole frame), at most `top`.
    pub fn flagged(
        &self,
        t: &EventTable,
        scored: &Scored,
        place: impl Fn(usize) -> u64,
    ) -> Vec<usize> {
        let mut flagged: Vec<usize> = scored
            .reasons
            .keys()
            .map(|&i| i as usize)
            .filter(|&i| scored.scores[i] >= self.min_score && self.wants_event(t, i))
            .collect();
        flagged.sort_by(|&a, &b| {
            scored.scores[b]
                .cmp(&scored.scores[a])
                .then(t.ts[a].cmp(&t.ts[b]))
                .then(place(a).cmp(&place(b)))
        });
        flagged.truncate(self.top);
        flagged
    }

    /// Whether event `i` is one the user asked for (any, credential or not, if none named).
    fn wants_event(&self, t: &EventTable, i: usize) -> bool {
        self.credentials.is_empty() || self.credentials.iter().any(|w| matches_credential(t, i, w))
    }
}

/// Each credential's summary gathered an event at a time, in any order: each event comes
/// with its place in the whole frame, which with its time orders them (`hunt`'s parts
/// hold a credential's events in one part or several, and tables' events are placed one
/// table after the other).
#[derive(Default)]
pub struct Summaries {
    by_credential: HashMap<Box<str>, Gathered>,
}

/// An event's order in the whole frame: time, then place.
type At = (i64, u64);

#[derive(Default)]
struct Gathered {
    /// The first event, whose kind and principal the summary shows.
    first: At,
    kind: Option<Box<str>>,
    principal: Option<Box<str>>,
    last: At,
    events: u64,
    /// Each source with its first event.
    sources: Vec<(At, Box<str>)>,
    max_score: u32,
    suspicious: u64,
    first_suspicious: Option<At>,
    signals: BTreeMap<&'static str, u64>,
}

impl Summaries {
    /// Event `i` of `t` (at `place`), counted for its credential.
    pub fn see(&mut self, t: &EventTable, i: usize, place: u64) {
        let Some(c) = t.credential[i] else { return };
        let at = (t.ts[i], place);
        let owned = |v: Option<&str>| v.map(Box::from);
        let g = match self.by_credential.get_mut(c) {
            Some(g) => g,
            None => self
                .by_credential
                .entry(c.into())
                .or_insert_with(|| Gathered {
                    first: at,
                    last: at,
                    kind: owned(t.credential_kind[i]),
                    principal: owned(t.principal[i]),
                    ..Gathered::default()
                }),
        };
        g.events += 1;
        if at < g.first {
            g.first = at;
            g.kind = owned(t.credential_kind[i]);
            g.principal = owned(t.principal[i]);
        }
        g.last = g.last.max(at);
        if let Some(src) = t.source[i] {
            match g.sources.iter_mut().find(|(_, s)| &**s == src) {
                Some(known) => known.0 = known.0.min(at),
                None => g.sources.push((at, src.into())),
            }
        }
    }

    /// Event `i` of `t` (at `place`, already seen) scored `score` for `reasons`.
    pub fn score(&mut self, t: &EventTable, i: usize, place: u64, score: u32, reasons: &[Reason]) {
        let Some(g) = t.credential[i].and_then(|c| self.by_credential.get_mut(c)) else {
            return;
        };
        g.max_score = g.max_score.max(score);
        if score >= SUSPICIOUS {
            g.suspicious += 1;
            let at = (t.ts[i], place);
            g.first_suspicious = Some(g.first_suspicious.map_or(at, |known| known.min(at)));
        }
        for r in reasons {
            *g.signals.entry(r.signal).or_default() += 1;
        }
    }

    /// The summaries of the credentials scoring at least `min_score`, highest first.
    pub fn finish(self, min_score: u32) -> Vec<CredentialSummary> {
        let mut credentials: Vec<CredentialSummary> = self
            .by_credential
            .into_iter()
            .filter(|(_, g)| g.max_score >= min_score)
            .map(|(c, mut g)| {
                g.sources.sort();
                CredentialSummary {
                    credential_id: c.into(),
                    kind: g.kind.map(Into::into),
                    principal: g.principal.map(Into::into),
                    sources: g.sources.into_iter().map(|(_, s)| s.into()).collect(),
                    events: g.events,
                    first_seen: rfc3339(g.first.0),
                    last_seen: rfc3339(g.last.0),
                    max_score: g.max_score,
                    severity: Severity::of(g.max_score),
                    suspicious_events: g.suspicious,
                    first_suspicious: g.first_suspicious.map(|(ts, _)| rfc3339(ts)),
                    signals: g.signals,
                }
            })
            .collect();
        credentials.sort_by(|a, b| {
            b.max_score
                .cmp(&a.max_score)
                .then(b.suspicious_events.cmp(&a.suspicious_events))
                .then(a.credential_id.cmp(&b.credential_id))
        });
        credentials
    }
}

pub fn write_json(out: &mut dyn Write, report: &ScoreReport) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

/// `2026-03-04 00:07:12`: table cells, always UTC.
pub fn short_time(rfc: &str) -> String {
    rfc.replace('T', " ").trim_end_matches('Z').to_string()
}

/// The terminal view: credentials, then the top events, each event followed by its
/// reasons on their own lines so that the reasons, the point of this command, are never
/// squeezed into a narrow column.
pub fn write_table(out: &mut dyn Write, report: &ScoreReport) -> std::io::Result<()> {
    use crate::report::terminal::{compact_credential, shorten};
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    t.set_header([
        "credential",
        "events",
        "max",
        "suspicious",
        "first suspicious",
        "top signals",
    ]);
    for c in &report.credentials {
        let mut signals: Vec<(&&str, &u64)> = c.signals.iter().collect();
        signals.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let top: Vec<String> = signals
            .iter()
            .take(3)
            .map(|(s, n)| format!("{s} {n}"))
            .collect();
        t.add_row([
            compact_credential(&c.credential_id, 24),
            c.events.to_string(),
            format!("{} {}", c.max_score, c.severity.as_str()),
            c.suspicious_events.to_string(),
            c.first_suspicious
                .as_deref()
                .map(short_time)
                .unwrap_or_default(),
            shorten(&top.join(", "), 40),
        ]);
    }
    for column in t.column_iter_mut() {
        column.set_padding((0, 1));
    }
    writeln!(
        out,
        "Credentials (suspicious at score {}+; --format json for every field)",
        report.suspicious_threshold
    )?;
    writeln!(out, "{t}\n")?;
    writeln!(out, "Top events")?;
    for e in &report.events {
        writeln!(
            out,
            "{} UTC  {:>3}  {}  {}  from {}",
            short_time(&e.ts),
            e.score,
            compact_credential(e.credential_id.or(e.principal).unwrap_or(""), 24),
            shorten(e.action.unwrap_or(""), 40),
            e.src_ip.unwrap_or("?")
        )?;
        for r in e.reasons {
            writeln!(
                out,
                "    +{:<3} {}: {}",
                r.weight,
                r.signal,
                shorten(&r.value, 80)
            )?;
        }
        writeln!(out, "    at {}", e.locator_text())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `hunt` keeps a frame of many chunks as it is (`frame::into_attributable`): every
    /// row's locator is its own, in whichever chunk it lies.
    #[test]
    fn locators_of_a_frame_of_many_chunks() {
        let chunk = |file: &str, lines: std::ops::Range<u64>| {
            let n = lines.clone().count();
            let ids: Vec<String> = lines.clone().map(|l| format!("{file}-event-{l}")).collect();
            DataFrame::new(
                n,
                vec![
                    StringChunked::from_iter_values(
                        col::EVENT_ID.into(),
                        ids.iter().map(String::as_str),
                    )
                    .into_column(),
                    StringChunked::full(col::FILE.into(), file, n).into_column(),
                    UInt64Chunked::from_iter_values(col::LINE.into(), lines.clone()).into_column(),
                    UInt32Chunked::from_iter_options(
                        col::RECORD_INDEX.into(),
                        lines.map(|l| (l % 2 == 0).then_some(l as u32)),
                    )
                    .into_column(),
                ],
            )
            .unwrap()
        };
        let mut df = chunk("a.log", 1..4);
        df.vstack_mut_owned(chunk("b.json", 10..12)).unwrap();
        df.vstack_mut_owned(chunk("c.log", 7..9)).unwrap();
        assert_eq!(df.column(col::LINE).unwrap().n_chunks(), 3);
        let loc = Locators::new(&df).unwrap();
        let rows: Vec<(Option<&str>, &str, u64, Option<u32>)> = (0..df.height())
            .map(|i| {
                let l = loc.of(i);
                (l.event_id, l.file, l.line, l.record_index)
            })
            .collect();
        assert_eq!(
            rows,
            [
                (Some("a.log-event-1"), "a.log", 1, None),
                (Some("a.log-event-2"), "a.log", 2, Some(2)),
                (Some("a.log-event-3"), "a.log", 3, None),
                (Some("b.json-event-10"), "b.json", 10, Some(10)),
                (Some("b.json-event-11"), "b.json", 11, None),
                (Some("c.log-event-7"), "c.log", 7, None),
                (Some("c.log-event-8"), "c.log", 8, Some(8)),
            ]
        );
    }
}
