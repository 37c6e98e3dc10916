//! Per-credential baselines and suspicion scores.
//!
//! Events are grouped by principal (a person, a role, a token without a principal) and
//! walked in time order. Each credential keeps its own [`Baseline`]; a credential too new to
//! have one is compared with its principal's. Every event is judged by every signal against
//! the history before it, then learned (only `concurrent_use` also looks at the group's
//! next hours: use from two places at once needs both to go on). Signals that look across
//! credentials and sources run last. Groups are independent, so they run in parallel.

pub mod actions;
pub mod baseline;
pub mod signals;
pub mod table;
#[cfg(test)]
pub(crate) mod testkit;

use rayon::prelude::*;

use crate::config::Config;
use actions::ActionIndex;
use baseline::{Baseline, Lagged, Learning, Window};
use signals::{Across, Ctx, Findings, Reason, SIGNALS, Scope};
use table::EventTable;

/// Hash maps keyed by short strings and ids, in every inner loop of scoring: Polars'
/// fast hasher, not SipHash (measured: SipHash alone was 5% of `score`).
pub type FastMap<K, V> = polars::prelude::PlHashMap<K, V>;
pub type FastSet<K> = polars::prelude::PlHashSet<K>;

/// An event at or above this score is suspicious: it taints what it used (its network,
/// client) so they never become normal, and it can seed an investigation.
pub const SUSPICIOUS: u32 = 40;

/// A network that this many credentials use normally is the estate's shared
/// infrastructure (an office NAT, a VPN egress): never one attacker host.
pub const SHARED_BY: usize = 3;

/// An event at or above this score is not learned into the hours and rates of a baseline:
/// the quieter calls of an attack (a listing from a new network at night) must not teach
/// the baseline that nights are normal while the attack goes on.
pub const NOTABLE: u32 = 20;

#[derive(Debug, Default, Clone)]
pub struct ScoreOptions {
    /// Events before this time (ns since the epoch, UTC) only teach the baselines.
    pub baseline_until: Option<i64>,
    pub config: Config,
}

/// The score of every event, and the reasons of those that have any.
pub struct Scored {
    pub scores: Vec<u32>,
    pub reasons: Findings,
    /// Route templates and action classes of every event.
    pub actions: ActionIndex,
}

impl Scored {
    pub fn reasons_of(&self, i: usize) -> &[Reason] {
        self.reasons.get(&(i as u32)).map_or(&[], Vec::as_slice)
    }
}

/// How bad a score is, for people and for `--fail-on`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn of(score: u32) -> Severity {
        match score {
            80.. => Severity::Critical,
            60.. => Severity::High,
            SUSPICIOUS.. => Severity::Medium,
            20.. => Severity::Low,
            _ => Severity::Info,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// The key events are grouped by: a principal without the session part of an assumed
/// role (each CI run is a new session of the same role), else the credential.
pub fn group_key<'a>(t: &EventTable<'a>, i: usize) -> Option<&'a str> {
    group_key_of(t.principal[i], t.credential[i])
}

/// [`group_key`] of an event's principal and credential.
pub fn group_key_of<'a>(
    principal: Option<&'a str>,
    credential: Option<&'a str>,
) -> Option<&'a str> {
    match principal {
        Some(p) => Some(match p.rsplit_once('/') {
            Some((role, _)) if p.contains(":assumed-role/") => role,
            _ => p,
        }),
        None => credential,
    }
}

/// Score every event of the table.
pub fn score_table(t: &EventTable, opts: &ScoreOptions) -> Scored {
    let (actions, mut found) = score_events(t, opts);
    let ctx = Across {
        config: &opts.config,
        outside: None,
    };
    for s in SIGNALS {
        s.across(t, &ctx, &mut found);
    }
    Scored::new(t.len(), found, actions)
}

/// Each event's own reasons, its credential's history judging it: the signals that look
/// across credentials are still to run. Groups are independent, so the events of some of
/// them give the same reasons in a table of their own (`crate::parts`).
pub fn score_events(t: &EventTable, opts: &ScoreOptions) -> (ActionIndex, Findings) {
    let actions = ActionIndex::new(t);
    let mut groups: FastMap<&str, Vec<u32>> = FastMap::default();
    for i in 0..t.len() {
        if let Some(k) = group_key(t, i) {
            groups.entry(k).or_default().push(i as u32);
        }
    }
    let mut groups: Vec<Vec<u32>> = groups.into_values().collect();
    // Largest first, so one huge group does not start last on a busy pool.
    groups.sort_by_key(|g| std::cmp::Reverse(g.len()));
    let results: Vec<Vec<(u32, Vec<Reason>)>> = groups
        .par_iter_mut()
        .map(|g| {
            g.sort_by_key(|&i| (t.ts[i as usize], i));
            score_group(t, &actions, opts, g)
        })
        .collect();
    (actions, results.into_iter().flatten().collect())
}

impl Scored {
    /// The scores of a table of `len` events from the reasons found.
    pub fn new(len: usize, mut found: Findings, actions: ActionIndex) -> Scored {
        let mut scores = vec![0u32; len];
        for (i, reasons) in &found {
            scores[*i as usize] = total(reasons);
        }
        found.retain(|_, r| !r.is_empty());
        Scored {
            scores,
            reasons: found,
            actions,
        }
    }
}

pub fn total(reasons: &[Reason]) -> u32 {
    reasons.iter().map(|r| r.weight).sum::<u32>().min(100)
}

#[derive(Default)]
struct CredentialState<'a> {
    baseline: Baseline<'a>,
    window: Window,
    lagged: Lagged,
}

/// Walk one principal's events in time order.
fn score_group<'a>(
    t: &EventTable<'a>,
    actions: &ActionIndex,
    opts: &ScoreOptions,
    group: &[u32],
) -> Vec<(u32, Vec<Reason>)> {
    let config = &opts.config;
    let mut principal: Baseline<'a> = Baseline::default();
    let mut principal_lagged = Lagged::default();
    let mut credentials: FastMap<&'a str, CredentialState<'a>> = FastMap::default();
    let mut last_located: Option<usize> = None;
    let mut out = Vec::new();
    for (pos, &idx) in group.iter().enumerate() {
        let i = idx as usize;
        let Some(subject) = t.subject(i) else {
            continue;
        };
        if config.ignores(subject) {
            continue;
        }
        let state = credentials.entry(subject).or_default();
        state.lagged.release(t.ts[i], &mut state.baseline);
        principal_lagged.release(t.ts[i], &mut principal);
        state.window.push(
            t.ts[i],
            idx,
            t.is_denied(i),
            actions.service(i),
            t.bytes[i].unwrap_or(0),
        );
        let learning_only = opts.baseline_until.is_some_and(|u| t.ts[i] < u);
        let mut reasons = Vec::new();
        if !learning_only && !t.is_service_caller(i) {
            let (baseline, scope) = if state.baseline.mature() || !principal.mature() {
                (&state.baseline, Scope::Credential)
            } else {
                (&principal, Scope::Principal)
            };
            let ctx = Ctx {
                t,
                actions,
                i,
                own: &state.baseline,
                baseline,
                scope,
                window: &state.window,
                ahead: &group[pos + 1..],
                previous_located: last_located,
                config,
                trusted_address: config.trusts_address(t.src_ip[i], t.asn[i]),
                trusted_client: config.trusts_user_agent(t.user_agent[i]),
            };
            for s in SIGNALS {
                s.event(&ctx, &mut reasons);
            }
        }
        let score = total(&reasons);
        let learning = Learning {
            suspicious: score >= SUSPICIOUS,
            notable: score >= NOTABLE,
        };
        let action = actions.of_event[i];
        state.baseline.learn(t, i, action, learning);
        principal.learn(t, i, action, learning);
        let counts = state.window.counts();
        state.lagged.push(t.ts[i], counts, learning.notable);
        principal_lagged.push(t.ts[i], counts, learning.notable);
        if t.lat[i].is_some() && !t.is_service_caller(i) {
            last_located = Some(i);
        }
        if !reasons.is_empty() {
            out.push((idx, reasons));
        }
    }
    // The group's repeated texts freed before the next group's are made.
    signals::intern(out.iter_mut().flat_map(|(_, r)| r.iter_mut()));
    out
}
