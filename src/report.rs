//! The report of `hunt` and `timeline`: one model, rendered as a terminal table or as the
//! versioned JSON contract of docs/report-contract.md.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};

use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

pub mod html;
pub mod markdown;
pub mod terminal;
pub mod timeline;

use crate::hunt::{BlastRadius, Finding, Investigator};
use crate::ingest::FileReport;
use crate::score::actions::ActionClass;
use crate::score::baseline::NS_PER_HOUR;
use crate::score::signals::SIGNALS;
use crate::score::{FastMap, SUSPICIOUS, Severity};
use crate::score_report::{Locators, ScoredEvent};
use crate::stats::rfc3339;

/// Why an event with no reason of its own is the attacker's.
pub const NO_REASON: &str = "from an attacker network";

/// Why an event with no reason of its own from a network in `networks_in_hindsight` is
/// the attacker's.
pub const HINDSIGHT_REASON: &str = "from a network and with a client its owner never used";

/// `n word` or `n words`: `1 input`, `2 inputs`.
pub fn count_of(n: usize, word: &str) -> String {
    match n {
        1 => format!("1 {word}"),
        n => format!("{n} {word}s"),
    }
}

/// Bump the major number when a field changes meaning or goes away.
pub const REPORT_VERSION: &str = "1.0";

#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub report_version: &'static str,
    pub tokentrail_version: &'static str,
    pub inputs: Vec<InputEntry>,
    pub method: Method,
    pub findings: Vec<FindingJson<'a>>,
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
    /// `--since` / `--until`: the span of time read (events outside were not).
    pub since: Option<String>,
    pub until: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CredentialJson {
    pub id: String,
    pub kind: Option<String>,
    pub principal: Option<String>,
    pub aliases: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Window<'a> {
    pub last_known_good: Option<ScoredEvent<'a>>,
    pub first_suspicious: Option<String>,
    pub last_seen: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Attacker {
    pub ips: Vec<String>,
    pub networks: Vec<String>,
    /// The networks among `networks` known only in hindsight (docs/investigation.md).
    pub networks_in_hindsight: Vec<String>,
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
pub struct FindingJson<'a> {
    pub credential: CredentialJson,
    pub severity: Severity,
    pub score: u32,
    pub first_suspicious: Option<ScoredEvent<'a>>,
    pub compromise_window: Window<'a>,
    pub attacker: Attacker,
    pub child_credentials: Vec<ChildJson>,
    pub related_credentials: Vec<RelatedJson>,
    pub blast_radius: BlastRadius,
    /// The earlier finding (1-based) with exactly these attacker events, if any.
    #[serde(skip)]
    pub same_events_as: Option<usize>,
    pub events: Vec<ScoredEvent<'a>>,
    /// Phases in the order they began, with their events (indices into `events`).
    #[serde(skip)]
    pub phases: Vec<(Phase, Vec<usize>)>,
    /// Every credential of the finding, per source, with its normal activity by hour and
    /// its attacker events: the lanes of the HTML timeline.
    #[serde(skip)]
    pub lanes: Vec<Lane>,
    /// Events of the finding's credential per hour of day (UTC): (normal, attacker).
    #[serde(skip)]
    pub hours: [(u32, u32); 24],
}

impl FindingJson<'_> {
    /// Why `e`, an event of this finding with no reason of its own, is the attacker's.
    pub fn unscored_reason(&self, e: &ScoredEvent) -> &'static str {
        let ip = e.src_ip.and_then(|ip| ip.parse().ok());
        let hindsight = self
            .attacker
            .networks_in_hindsight
            .iter()
            .filter_map(|n| crate::config::Cidr::parse(n))
            .any(|n| ip.is_some_and(|ip| n.contains(ip)));
        match hindsight {
            true => HINDSIGHT_REASON,
            false => NO_REASON,
        }
    }
}

/// One lane of the timeline chart: a credential in one source.
#[derive(Debug, Clone)]
pub struct Lane {
    pub credential: String,
    pub source: String,
    /// Normal events bucketed per hour: (hour start in ns, count).
    pub normal: Vec<(i64, u32)>,
    /// Attacker events (indices into the finding's `events`).
    pub attacker: Vec<usize>,
}

/// The phases of an intrusion, in the order a post-mortem tells them.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Quiet calls before the attack proper: checking that the credential works.
    Probe,
    Recon,
    Access,
    Persistence,
    Escalation,
    DataAccess,
    Evasion,
    Other,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Probe => "probe",
            Phase::Recon => "recon",
            Phase::Access => "access",
            Phase::Persistence => "persistence",
            Phase::Escalation => "escalation",
            Phase::DataAccess => "data access",
            Phase::Evasion => "evasion",
            Phase::Other => "other activity",
        }
    }

    fn of(class: ActionClass) -> Phase {
        match class {
            ActionClass::IdentityCheck | ActionClass::Enumeration => Phase::Recon,
            ActionClass::SignIn => Phase::Access,
            ActionClass::CredentialMinting => Phase::Persistence,
            ActionClass::PrivilegeChange => Phase::Escalation,
            ActionClass::DataAccess => Phase::DataAccess,
            ActionClass::Evasion => Phase::Evasion,
            ActionClass::Other => Phase::Other,
        }
    }
}

/// Where the attack proper begins: the first attacker event with at least five more in
/// the ten minutes after it. Everything before is the probe.
fn burst_start(ts: &[i64]) -> Option<i64> {
    const WINDOW: i64 = 10 * 60 * 1_000_000_000;
    (0..ts.len())
        .find(|&k| ts[k..].iter().take_while(|&&x| x - ts[k] <= WINDOW).count() >= 5)
        .map(|k| ts[k])
}

/// What the report says about how it was made.
pub struct MethodInput<'m> {
    pub geoip: &'m [String],
    pub config: Option<String>,
    pub baseline_until: Option<i64>,
    pub window: crate::window::TimeWindow,
    /// The inputs' checksums, started when they were read.
    pub checksums: Checksums,
}

pub fn build<'r>(
    df: &'r DataFrame,
    inv: &'r Investigator<'_, '_>,
    findings: &[Finding],
    method: MethodInput,
) -> PolarsResult<Report<'r>> {
    let (t, scored) = (inv.table(), inv.scored());
    let loc = Locators::new(df)?;
    let ev = |i: usize| ScoredEvent::new(t, &loc, scored, i);
    // Two leaked credentials of one incident can share every attacker event: the text
    // reports print such a timeline once and refer to it.
    let mut first_with: HashMap<&[usize], usize> = HashMap::new();
    let same_as: Vec<Option<usize>> = findings
        .iter()
        .enumerate()
        .map(|(n, f)| {
            let first = *first_with.entry(f.events.as_slice()).or_insert(n);
            (first != n).then_some(first + 1)
        })
        .collect();
    // Each finding's report is built on its own core: a large log gives thousands.
    let findings = findings
        .par_iter()
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
                networks_in_hindsight: f.hindsight_networks.iter().cloned().collect(),
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
                    created_by_event_id: loc.of(c.created_by).event_id.map(str::to_string),
                    // An Auth0 Management API call by its route: the action alone is
                    // `management_api`.
                    created_by_action: scored
                        .actions
                        .template(c.created_by)
                        .filter(|a| a.starts_with(crate::score::actions::MANAGEMENT_ROUTE))
                        .or(t.action[c.created_by])
                        .map(str::to_string),
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
            blast_radius: inv.blast_radius(f),
            same_events_as: None,
            events: Vec::new(),
            phases: Vec::new(),
            lanes: Vec::new(),
            hours: [(0, 0); 24],
        })
        .zip(findings)
        .zip(same_as)
        .map(|((mut fj, f), same)| {
            fj.same_events_as = same;
            fill_timeline(&mut fj, f, inv, &ev);
            fj
        })
        .collect();
    Ok(Report {
        report_version: REPORT_VERSION,
        tokentrail_version: env!("CARGO_PKG_VERSION"),
        inputs: method.checksums.manifest(),
        method: Method {
            suspicious_threshold: SUSPICIOUS,
            signals: SIGNALS.iter().map(|s| s.id()).collect(),
            geoip: method.geoip.to_vec(),
            config: method.config,
            baseline_until: method.baseline_until.map(rfc3339),
            since: method.window.since.map(rfc3339),
            until: method.window.until.map(rfc3339),
        },
        findings,
    })
}

/// The attacker's events with their phases, the chart lanes and the hourly activity.
fn fill_timeline<'r>(
    fj: &mut FindingJson<'r>,
    f: &Finding,
    inv: &Investigator,
    ev: &dyn Fn(usize) -> ScoredEvent<'r>,
) {
    let (t, scored) = (inv.table(), inv.scored());
    let times: Vec<i64> = f.events.iter().map(|&i| t.ts[i]).collect();
    let burst = burst_start(&times);
    let mut phases: BTreeMap<Phase, Vec<usize>> = BTreeMap::new();
    for (k, &i) in f.events.iter().enumerate() {
        let phase = match burst {
            Some(b) if t.ts[i] < b => Phase::Probe,
            _ => Phase::of(scored.actions.class(i)),
        };
        phases.entry(phase).or_default().push(k);
        let mut e = ev(i);
        e.phase = Some(phase.as_str());
        fj.events.push(e);
    }
    let mut ordered: Vec<(Phase, Vec<usize>)> = phases.into_iter().collect();
    ordered.sort_by_key(|(p, evs)| (evs[0], *p));
    fj.phases = ordered;
    // Lanes: the finding's credential first, then its children and related credentials.
    let attacker: FastMap<usize, usize> =
        f.events.iter().enumerate().map(|(k, &i)| (i, k)).collect();
    let mut credentials: Vec<&str> = vec![f.credential.as_str()];
    credentials.extend(f.children.iter().map(|c| c.id.as_str()));
    credentials.extend(f.related.iter().map(|(id, _)| id.as_str()));
    credentials.dedup();
    for c in credentials.into_iter().take(12) {
        let evs = inv.events_of(c);
        if evs.is_empty() {
            continue;
        }
        // A lane per source: a handful, found by a look along a short list.
        let mut lanes: Vec<(&str, Lane)> = Vec::new();
        for &i in evs {
            let source = t.source[i].unwrap_or("?");
            let at = match lanes.iter().position(|(s, _)| *s == source) {
                Some(at) => at,
                None => {
                    lanes.push((
                        source,
                        Lane {
                            credential: c.to_string(),
                            source: source.to_string(),
                            normal: Vec::new(),
                            attacker: Vec::new(),
                        },
                    ));
                    lanes.len() - 1
                }
            };
            let lane = &mut lanes[at].1;
            if let Some(&k) = attacker.get(&i) {
                lane.attacker.push(k);
            } else {
                let hour = t.ts[i].div_euclid(NS_PER_HOUR) * NS_PER_HOUR;
                match lane.normal.last_mut() {
                    Some((h, n)) if *h == hour => *n += 1,
                    _ => lane.normal.push((hour, 1)),
                }
            }
            if c == f.credential {
                let hour = t.ts[i].div_euclid(NS_PER_HOUR).rem_euclid(24) as usize;
                if attacker.contains_key(&i) {
                    fj.hours[hour].1 += 1;
                } else {
                    fj.hours[hour].0 += 1;
                }
            }
        }
        lanes.sort_unstable_by_key(|(s, _)| *s);
        fj.lanes.extend(lanes.into_iter().map(|(_, lane)| lane));
    }
}

/// Every input read with its checksum, so a post-mortem can prove which bytes it read,
/// hashed on a thread of its own from the moment the inputs are read: beside the scoring
/// and the investigation, not after them (a 1 GB log takes some 0.6 s), and nearer the
/// bytes read should a live log grow meanwhile. A CloudTrail file left unopened by
/// `--since` gave nothing to the report and is not hashed: an archive of years would be
/// read whole for that alone.
pub struct Checksums(std::thread::JoinHandle<Vec<InputEntry>>);

impl Checksums {
    pub fn start(files: &[FileReport]) -> Checksums {
        let mut inputs: Vec<InputEntry> = files
            .iter()
            .filter(|f| f.detection != crate::ingest::BEFORE_WINDOW)
            .map(|f| InputEntry {
                file: f.file.clone(),
                source: f.source,
                sha256: None,
                events: f.events,
                malformed: f.malformed,
            })
            .collect();
        Checksums(std::thread::spawn(move || {
            for input in &mut inputs {
                input.sha256 = (input.file != "-").then(|| sha256(&input.file)).flatten();
            }
            inputs
        }))
    }

    /// The inputs with their checksums, once hashed.
    fn manifest(self) -> Vec<InputEntry> {
        self.0
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    }
}

fn sha256(path: &str) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    let mut hasher = Sha256::new();
    // A buffer the file's size, up to 1 MiB: zeroing 1 MiB for each of 50,000 CloudTrail
    // files of a few hundred bytes was an eighth of `hunt`'s time.
    let size = file.metadata().map_or(1 << 20, |m| m.len());
    let mut buf = vec![0u8; size.clamp(4096, 1 << 20) as usize];
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
    /// The report without its findings: they are written apart, below.
    #[derive(Serialize)]
    struct Head<'a> {
        report_version: &'a str,
        tokentrail_version: &'a str,
        inputs: &'a [InputEntry],
        method: &'a Method,
    }
    if report.findings.is_empty() {
        serde_json::to_writer_pretty(&mut *out, report)?;
        return writeln!(out);
    }
    let head = serde_json::to_vec_pretty(&Head {
        report_version: report.report_version,
        tokentrail_version: report.tokentrail_version,
        inputs: &report.inputs,
        method: &report.method,
    })?;
    // `{ … }` without its closing line, then the findings as `to_writer_pretty` writes
    // them two levels down: each is formatted on its own core, and its lines indented by
    // four spaces (a newline in JSON text is always a line break: strings escape theirs).
    out.write_all(head.strip_suffix(b"\n}").unwrap_or(&head))?;
    out.write_all(b",\n  \"findings\": [")?;
    // A few findings per core at a time: their text is held until written.
    let batch = 2 * rayon::current_num_threads();
    for (n, batch) in report.findings.chunks(batch).enumerate() {
        let texts = batch
            .par_iter()
            .map(|f| {
                let text = serde_json::to_vec_pretty(f)?;
                let mut indented = Vec::with_capacity(text.len() + text.len() / 8);
                for line in text.split(|b| *b == b'\n') {
                    indented.extend_from_slice(b"\n    ");
                    indented.extend_from_slice(line);
                }
                Ok(indented)
            })
            .collect::<std::io::Result<Vec<Vec<u8>>>>()?;
        for (k, text) in texts.iter().enumerate() {
            if n > 0 || k > 0 {
                out.write_all(b",")?;
            }
            out.write_all(text)?;
        }
    }
    out.write_all(b"\n  ]\n}\n")
}
