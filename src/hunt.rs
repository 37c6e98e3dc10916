//! The investigation: from scored events to findings. For each compromised credential, the
//! attacker's fingerprint, the walk back to the first suspicious call, the last known good
//! call, the credentials the attacker created or also used, and the blast radius.
//!
//! Steps (docs/investigation.md):
//! 1. Seeds: credentials with a suspicious event (`hunt`), or the ones named (`timeline`).
//! 2. Attacker fingerprint: the networks and clients of the seed's suspicious calls that
//!    were new to it (its owner's own office is never the attacker's network).
//! 3. Walk back: every event of the credential from those networks, or suspicious, or
//!    notable with the attacker's client, however quiet. The earliest is the first
//!    suspicious call; the last normal call before it is the last known good.
//! 4. Pivot to a fixed point: children (keys and sessions created by attacker events,
//!    tokens first used from an attacker network right after a minting call) and every
//!    other credential used from an attacker network. Shared infrastructure (trusted
//!    networks, AWS service callers, private addresses, networks many credentials use
//!    normally) never becomes a pivot.
//! 5. Attribute: a credential's calls that match neither the fingerprint nor any signal
//!    stay its owner's.
//! 6. Link: findings that share an attacker network are one attacker's, and each is
//!    investigated again with all their networks.

use crate::score::{FastMap, FastSet};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use rayon::prelude::*;

use crate::config::Config;
use crate::score::actions::ActionClass;
use crate::score::baseline::{ESTABLISH_DAYS, NS_PER_DAY, NS_PER_HOUR, client_base};
use crate::score::table::EventTable;
use crate::score::{NOTABLE, SHARED_BY, SUSPICIOUS, Scored, Severity};
use crate::score_report::matches_credential;

/// How many credentials one finding may pull in, so a shared network cannot turn one
/// finding into the whole estate.
const MAX_CREDENTIALS: usize = 50;
/// A network used successfully by more credentials than this is shared too (a mobile
/// carrier's NAT, a proxy pool): an attacker's own host uses a handful of stolen
/// credentials, and pivoting through a network everyone uses would pull in the whole
/// estate.
pub(crate) const MAX_FANOUT: usize = 10;

/// How a credential came into a finding, which decides which of its events are the
/// attacker's.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Role {
    Seed,
    Child,
    Related,
}

/// What the investigation is asked.
pub enum Seeds<'s> {
    /// Every credential with a suspicious event.
    Hunt,
    /// The credentials the responder names (id, fingerprint or prefix, session, principal).
    Named(&'s [String]),
}

#[derive(Debug, Clone)]
pub struct Child {
    pub id: String,
    pub kind: Option<String>,
    /// The event that created it.
    pub created_by: usize,
    /// Linked by a minting call and a first use from the attacker's network, not by a
    /// logged id (APIs rarely log the token they issue).
    pub inferred: bool,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub credential: String,
    pub kind: Option<String>,
    pub principal: Option<String>,
    /// Other ids of the same secret: sessions it opened or was seen with.
    pub aliases: Vec<String>,
    pub severity: Severity,
    pub score: u32,
    pub first_suspicious: Option<usize>,
    pub last_known_good: Option<usize>,
    pub last_seen: Option<usize>,
    pub attacker_ips: BTreeSet<String>,
    pub attacker_networks: BTreeSet<String>,
    /// The attacker networks known only in hindsight: a network its owner never used,
    /// with a client the owner does not use elsewhere (the quiet probe; see `Habits`).
    pub hindsight_networks: BTreeSet<String>,
    pub attacker_asns: BTreeSet<u32>,
    pub attacker_countries: BTreeSet<String>,
    pub attacker_user_agents: BTreeSet<String>,
    pub children: Vec<Child>,
    /// Other credentials used from the attacker's networks, and why.
    pub related: Vec<(String, String)>,
    /// Every event attributed to the attacker, in time order.
    pub events: Vec<usize>,
}

pub struct Investigator<'i, 'a> {
    t: &'i EventTable<'a>,
    scored: &'i Scored,
    config: &'i Config,
    /// Event indices per credential (or principal, for events without one), in time
    /// order. Made when first read, as the estate is: a hunt that finds no suspicious
    /// credential needs neither (a clean log is the common case, and both cost as much as
    /// scoring: 1,000,000 Okta events, 1.2 s and 112 MB).
    by_credential: OnceLock<FastMap<&'a str, Vec<usize>>>,
    /// What it knows of every network and credential.
    estate: OnceLock<Estate<'a>>,
}

/// The attacker's networks of one finding: in order for the report and the pivot, and in
/// a hash set for the membership test every event of the finding's credentials makes.
#[derive(Default)]
struct Networks<'a> {
    order: BTreeSet<&'a str>,
    members: FastSet<&'a str>,
}

impl<'a> Networks<'a> {
    fn insert(&mut self, n: &'a str) {
        if self.members.insert(n) {
            self.order.insert(n);
        }
    }

    fn contains(&self, n: &str) -> bool {
        self.members.contains(n)
    }
}

/// What a credential's owner does, in hindsight, from the calls that were not suspicious:
/// on how many days each network was used, and on which days each client was used from
/// which networks. A network used on two days is the owner's, as a baseline makes it
/// normal; so is a call whose client the owner uses on two days from other networks (a
/// hotel with the owner's browser). A probe's client counts only the days it was used from
/// elsewhere: the attacker's own visits do not make their tool the owner's.
struct Habits<'a> {
    network_days: FastMap<&'a str, u32>,
    clients: FastMap<&'a str, ClientDays<'a>>,
    /// The actions (route templates) the owner calls from their own networks.
    actions: FastSet<u32>,
}

#[derive(Default)]
struct ClientDays<'a> {
    days: u32,
    /// The days each network was the only one the client was used from.
    only_from: FastMap<&'a str, u32>,
}

impl<'a> Habits<'a> {
    /// The habits shown by the events `evs` (in time order) that `normal` accepts;
    /// `action` gives an event's action (its route template's id).
    fn of(
        t: &EventTable<'a>,
        evs: &[usize],
        normal: impl Fn(usize) -> bool,
        action: impl Fn(usize) -> u32,
    ) -> Habits<'a> {
        let normal: Vec<usize> = evs.iter().copied().filter(|&i| normal(i)).collect();
        let mut last_day: FastMap<&'a str, i64> = FastMap::default();
        let mut network_days: FastMap<&'a str, u32> = FastMap::default();
        // Per client and day: the first network, and whether there were others.
        let mut client_days: FastMap<(&'a str, i64), (&'a str, bool)> = FastMap::default();
        for &i in &normal {
            let day = t.ts[i].div_euclid(NS_PER_DAY);
            let Some(n) = t.network[i] else { continue };
            if last_day.insert(n, day) != Some(day) {
                *network_days.entry(n).or_default() += 1;
            }
            if let Some(f) = t.client_family[i].map(client_base) {
                let e = client_days.entry((f, day)).or_insert((n, false));
                e.1 |= e.0 != n;
            }
        }
        let mut clients: FastMap<&'a str, ClientDays<'a>> = FastMap::default();
        for ((f, _), (n, many)) in client_days {
            let c = clients.entry(f).or_default();
            c.days += 1;
            if !many {
                *c.only_from.entry(n).or_default() += 1;
            }
        }
        let mut habits = Habits {
            network_days,
            clients,
            actions: FastSet::default(),
        };
        habits.actions = normal
            .iter()
            .filter(|&&i| t.network[i].is_some_and(|n| habits.owners_network(n)))
            .map(|&i| action(i))
            .collect();
        habits
    }

    /// Whether network `n` is the owner's: used on as many days as make a network normal
    /// to a baseline.
    fn owners_network(&self, n: &str) -> bool {
        self.network_days
            .get(n)
            .is_some_and(|&d| d >= ESTABLISH_DAYS)
    }

    /// Whether the owner has a network of their own: without one (a credential seen on
    /// one day, or only ever from changing addresses) nothing tells their calls from a
    /// probe's.
    fn known(&self) -> bool {
        self.network_days.values().any(|&d| d >= ESTABLISH_DAYS)
    }

    /// Whether calls from network `n` with client `f` (a family, its version aside, as
    /// baselines compare clients) are the owner's.
    fn owners(&self, n: &str, f: &str) -> bool {
        let f = client_base(f);
        let elsewhere = self
            .clients
            .get(f)
            .map_or(0, |c| c.days - c.only_from.get(n).copied().unwrap_or(0));
        self.owners_network(n) || elsewhere >= ESTABLISH_DAYS
    }
}

/// Which findings are one attacker's: for each, the index of a finding standing for its
/// group, findings joined when their attacker networks meet (union-find).
fn attacker_groups(findings: &[Finding]) -> Vec<usize> {
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut parent: Vec<usize> = (0..findings.len()).collect();
    let mut holder: FastMap<&str, usize> = FastMap::default();
    for (k, f) in findings.iter().enumerate() {
        for n in &f.attacker_networks {
            let other = *holder.entry(n.as_str()).or_insert(k);
            let (a, b) = (root(&mut parent, other), root(&mut parent, k));
            parent[a] = b;
        }
    }
    (0..findings.len()).map(|k| root(&mut parent, k)).collect()
}

/// One credential's calls of no note from one network, as far as they tell whether the
/// network is the estate's. An attacker's host used with several stolen and minted
/// credentials at once must not look like an office NAT: their quiet calls there come
/// after the first suspicious call from it, on the night of the attack.
#[derive(Default)]
pub(crate) struct NormalUse {
    /// Its distinct days, up to as many as make a habit.
    days: Vec<i64>,
    before_hostile: bool,
}

impl NormalUse {
    /// A call at `ts` (calls may come in any order); `before_hostile`: before the
    /// network's first suspicious call.
    pub(crate) fn add(&mut self, ts: i64, before_hostile: bool) {
        let day = ts.div_euclid(NS_PER_DAY);
        if self.days.len() < ESTABLISH_DAYS as usize && !self.days.contains(&day) {
            self.days.push(day);
        }
        self.before_hostile |= before_hostile;
    }

    /// Used there before anything suspicious came from it, or on days enough to be its
    /// habit.
    pub(crate) fn established(&self) -> bool {
        self.before_hostile || self.days.len() >= ESTABLISH_DAYS as usize
    }
}

/// Whether a network is the estate's or shared, from how many credentials use it normally
/// ([`NormalUse::established`]) and how many used it with success.
pub(crate) fn is_shared(established: usize, succeeded: usize) -> bool {
    established >= SHARED_BY || succeeded > MAX_FANOUT
}

/// Whether event `i`'s network may never be the attacker's: the estate's own or shared.
fn infrastructure(t: &EventTable<'_>, config: &Config, shared: &FastSet<&str>, i: usize) -> bool {
    !t.public_address(i)
        || t.is_service_caller(i)
        || t.network[i].is_none_or(|n| shared.contains(n))
        || config.trusts_address(t.src_ip[i], t.asn[i])
}

/// What the investigation knows of every network and credential, beyond the events it
/// reads: which networks are the estate's or shared, who uses each of the others, and
/// when each credential was first seen. Made from the table ([`Estate::of`]), or from
/// every event while a table by parts holds only some (`crate::parts`).
pub struct Estate<'a> {
    /// Networks that may never be an attacker's: the estate's own (used normally by
    /// several credentials) or shared (used by many).
    pub shared: FastSet<&'a str>,
    /// The credentials (or principals) seen from each network that is not shared, in
    /// the order first seen there (calls from infrastructure aside), and whether they only
    /// failed to sign in from it (sprayed): who an attacker network leads to.
    pub subjects_by_network: FastMap<&'a str, Vec<(&'a str, bool)>>,
    /// Every credential (or principal) by the time of its first event, with that event's
    /// network and source: the candidates for a credential minted at a given time.
    pub births: Vec<Birth<'a>>,
}

/// A credential's (or principal's) first event: time, name, network, source.
pub type Birth<'a> = (i64, &'a str, Option<&'a str>, Option<&'a str>);

impl<'a> Estate<'a> {
    /// The estate as the events of `t` show it.
    pub fn of(t: &EventTable<'a>, scored: &Scored, config: &Config) -> Estate<'a> {
        let mut by_network: FastMap<&str, Vec<usize>> = FastMap::default();
        let mut normal_users: FastMap<&str, FastMap<&str, NormalUse>> = FastMap::default();
        let mut all_users: FastMap<&str, FastSet<&str>> = FastMap::default();
        let mut born: FastMap<&str, usize> = FastMap::default();
        let first_hostile = first_hostile(t, scored);
        for &i in &time_order(t) {
            if let Some(c) = t.subject(i) {
                born.entry(c).or_insert(i);
            }
            if let Some(n) = t.network[i] {
                by_network.entry(n).or_default().push(i);
                if let Some(c) = t.subject(i) {
                    // Failures do not count: a spray against a hundred accounts is one
                    // attacker, not shared infrastructure.
                    if !t.is_failure(i) {
                        all_users.entry(n).or_default().insert(c);
                    }
                    if scored.scores[i] < NOTABLE {
                        let before = first_hostile.get(n).is_none_or(|&h| t.ts[i] < h);
                        normal_users
                            .entry(n)
                            .or_default()
                            .entry(c)
                            .or_insert_with(NormalUse::default)
                            .add(t.ts[i], before);
                    }
                }
            }
        }
        let shared: FastSet<&str> = by_network
            .keys()
            .copied()
            .filter(|n| {
                let established = normal_users.get(n).map_or(0, |users| {
                    users.values().filter(|u| u.established()).count()
                });
                is_shared(established, all_users.get(n).map_or(0, FastSet::len))
            })
            .collect();
        // Each network's users once, instead of each of its events for every finding
        // that pivots through it (a busy network of a large log was walked thousands of
        // times).
        let subjects_by_network = by_network
            .into_iter()
            .filter(|(n, _)| !shared.contains(n))
            .map(|(n, evs)| {
                let mut seen: FastMap<&str, usize> = FastMap::default();
                let mut subjects: Vec<(&str, bool)> = Vec::new();
                for &j in evs
                    .iter()
                    .filter(|&&j| !infrastructure(t, config, &shared, j))
                {
                    let Some(c) = t.subject(j) else { continue };
                    let k = *seen.entry(c).or_insert_with(|| {
                        subjects.push((c, true));
                        subjects.len() - 1
                    });
                    subjects[k].1 &= t.is_failure(j);
                }
                (n, subjects)
            })
            .collect();
        let mut births: Vec<Birth> = born
            .into_iter()
            .map(|(c, first)| (t.ts[first], c, t.network[first], t.source[first]))
            .collect();
        births.sort_unstable();
        Estate {
            shared,
            subjects_by_network,
            births,
        }
    }
}

/// The events of `t` in time order, ties in row order.
fn time_order(t: &EventTable) -> Vec<usize> {
    let mut order: Vec<usize> = (0..t.len()).collect();
    order.sort_by_key(|&i| (t.ts[i], i));
    order
}

/// Each network's first suspicious call: quiet calls from there after it may be the
/// attacker's own (a stolen session's, a minted token's), not the estate's.
pub fn first_hostile<'a>(t: &EventTable<'a>, scored: &Scored) -> FastMap<&'a str, i64> {
    let mut first: FastMap<&str, i64> = FastMap::default();
    for i in 0..t.len() {
        if let (Some(n), true) = (t.network[i], scored.scores[i] >= SUSPICIOUS) {
            let at = first.entry(n).or_insert(t.ts[i]);
            *at = (*at).min(t.ts[i]);
        }
    }
    first
}

impl<'i, 'a> Investigator<'i, 'a> {
    pub fn new(t: &'i EventTable<'a>, scored: &'i Scored, config: &'i Config) -> Self {
        Investigator {
            t,
            scored,
            config,
            by_credential: OnceLock::new(),
            estate: OnceLock::new(),
        }
    }

    /// The investigation of the events of `t`, of an estate that may hold more.
    pub fn with_estate(
        t: &'i EventTable<'a>,
        scored: &'i Scored,
        config: &'i Config,
        estate: Estate<'a>,
    ) -> Self {
        let inv = Investigator::new(t, scored, config);
        let _ = inv.estate.set(estate);
        inv
    }

    fn by_credential(&self) -> &FastMap<&'a str, Vec<usize>> {
        self.by_credential.get_or_init(|| {
            let mut by_credential: FastMap<&str, Vec<usize>> = FastMap::default();
            for &i in &time_order(self.t) {
                // Events without a credential (failed sign-ins) belong to their principal.
                if let Some(c) = self.t.subject(i) {
                    by_credential.entry(c).or_default().push(i);
                }
            }
            by_credential
        })
    }

    fn estate(&self) -> &Estate<'a> {
        self.estate
            .get_or_init(|| Estate::of(self.t, self.scored, self.config))
    }

    /// The scored table the investigation reads.
    pub fn table(&self) -> &EventTable<'a> {
        self.t
    }

    pub fn scored(&self) -> &Scored {
        self.scored
    }

    /// The events of one credential (or principal), in time order.
    pub fn events_of(&self, c: &str) -> &[usize] {
        self.by_credential().get(c).map_or(&[], Vec::as_slice)
    }

    /// What the attacker's events did: counts by action class, targets, bytes, and the
    /// targets the credential had never touched before the first suspicious call.
    pub fn blast_radius(&self, f: &Finding) -> BlastRadius {
        let (t, scored) = (self.t, self.scored);
        let mut b = BlastRadius::default();
        let before: FastSet<&str> = match f.first_suspicious {
            Some(first) => self
                .events_of(&f.credential)
                .iter()
                .copied()
                .filter(|&i| {
                    t.credential[i] == Some(f.credential.as_str()) && t.ts[i] < t.ts[first]
                })
                .filter_map(|i| scored.actions.template(i).and(t.target[i]))
                .collect(),
            None => FastSet::default(),
        };
        let mut targets: BTreeSet<&str> = BTreeSet::new();
        for &i in &f.events {
            *b.actions
                .entry(scored.actions.class(i).as_str())
                .or_default() += 1;
            if t.is_failure(i) || t.is_denied(i) {
                b.failed += 1;
            }
            b.bytes_out += t.bytes[i].unwrap_or(0);
            if let Some(target) = t.target[i] {
                targets.insert(target);
            }
        }
        b.new_targets = targets
            .iter()
            .filter(|x| !before.contains(**x))
            .take(100)
            .map(|s| s.to_string())
            .collect();
        b.targets = targets.into_iter().take(100).map(str::to_string).collect();
        b
    }

    /// Whether a network may never be the attacker's: the estate's own or shared.
    fn is_infrastructure(&self, i: usize) -> bool {
        infrastructure(self.t, self.config, &self.estate().shared, i)
    }

    fn score(&self, i: usize) -> u32 {
        self.scored.scores[i]
    }

    /// Whether a suspicious event's network was new to its credential (a reason says so).
    fn network_was_foreign(&self, i: usize) -> bool {
        self.scored.reasons_of(i).iter().any(|r| {
            matches!(
                r.signal,
                "new_network"
                    | "anonymizer"
                    | "shared_network"
                    | "impossible_travel"
                    | "concurrent_use"
                    | "failed_logins"
            )
        })
    }

    pub fn run(&self, seeds: Seeds) -> Vec<Finding> {
        let t = self.t;
        let candidates: Vec<&str> = match &seeds {
            // A seed is a credential with a suspicious event: a principal alone (sprayed,
            // not broken) is related to a finding, not one.
            Seeds::Hunt => {
                let mut v: Vec<&str> = (0..t.len())
                    .filter(|&i| self.score(i) >= SUSPICIOUS)
                    .filter_map(|i| t.credential[i])
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            }
            Seeds::Named(names) => {
                let mut v: Vec<&str> = self
                    .by_credential()
                    .iter()
                    .filter(|(_, evs)| {
                        evs.iter()
                            .any(|&i| names.iter().any(|n| matches_credential(t, i, n)))
                    })
                    .map(|(c, _)| *c)
                    .collect();
                v.sort_unstable();
                v
            }
        };
        if !candidates.is_empty() {
            // Made here, once, rather than by the first investigation to need them while
            // the others wait on their lock.
            self.by_credential();
            self.estate();
        }
        let mut findings: Vec<Finding> = candidates
            .par_iter()
            .map(|c| self.investigate(c, &[]))
            .collect();
        self.link_one_attackers_findings(&candidates, &mut findings);
        // A credential the attacker created is part of its parent's finding, not one of
        // its own (unless the responder named it).
        if matches!(seeds, Seeds::Hunt) {
            let children: FastSet<String> = findings
                .iter()
                .flat_map(|f| f.children.iter().map(|c| c.id.clone()))
                .collect();
            findings.retain(|f| !children.contains(&f.credential));
        }
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(b.score.cmp(&a.score))
                .then(
                    a.first_suspicious
                        .map(|i| t.ts[i])
                        .cmp(&b.first_suspicious.map(|i| t.ts[i])),
                )
                .then(a.credential.cmp(&b.credential))
        });
        findings
    }

    /// Findings that share an attacker network are one attacker's: each takes in the
    /// networks the others found, so that all name the same networks and hold the same
    /// events. An Okta session replayed from the host that later used a leaked API token
    /// would otherwise miss the token's probe days before from another network, which only
    /// the token's own finding connects to the host. Until no finding learns a network
    /// (each round adds one to each finding it redoes, so it ends). `seeds[k]` is the
    /// credential of `findings[k]`.
    fn link_one_attackers_findings(&self, seeds: &[&'a str], findings: &mut [Finding]) {
        loop {
            let group = attacker_groups(findings);
            let mut union: FastMap<usize, BTreeSet<&'a str>> = FastMap::default();
            for (k, f) in findings.iter().enumerate() {
                let nets = union.entry(group[k]).or_default();
                // Every attacker network is a network of the table (not shared).
                nets.extend(
                    f.attacker_networks
                        .iter()
                        .filter_map(|n| self.estate().subjects_by_network.get_key_value(n.as_str()))
                        .map(|(n, _)| *n),
                );
            }
            let redo: Vec<(usize, Vec<&'a str>)> = (0..findings.len())
                .filter_map(|k| {
                    let f = &findings[k];
                    let missing: Vec<&'a str> = union[&group[k]]
                        .iter()
                        .copied()
                        .filter(|n| !f.attacker_networks.contains(*n))
                        .collect();
                    (!missing.is_empty()).then_some((k, missing))
                })
                .collect();
            if redo.is_empty() {
                return;
            }
            let redone: Vec<Finding> = redo
                .par_iter()
                .map(|(k, extra)| self.investigate(seeds[*k], extra))
                .collect();
            for ((k, _), f) in redo.iter().zip(redone) {
                findings[*k] = f;
            }
        }
    }

    /// The whole investigation of one credential. `linked`: attacker networks other
    /// findings of the same attacker found (see [`Self::link_one_attackers_findings`]).
    fn investigate(&self, seed: &'a str, linked: &[&'a str]) -> Finding {
        let t = self.t;
        let evs = &self.by_credential()[seed];
        let mut hostile: Vec<usize> = evs
            .iter()
            .copied()
            .filter(|&i| self.score(i) >= SUSPICIOUS)
            .collect();
        if hostile.is_empty() {
            // A named credential without a suspicious call: its notable ones, if any.
            hostile = evs
                .iter()
                .copied()
                .filter(|&i| self.score(i) >= NOTABLE)
                .collect();
        }
        let mut networks = Networks::default();
        let mut clients: FastSet<&str> = FastSet::default();
        for &i in &hostile {
            if self.network_was_foreign(i)
                && !self.is_infrastructure(i)
                && let Some(n) = t.network[i]
            {
                networks.insert(n);
            }
            if self
                .scored
                .reasons_of(i)
                .iter()
                .any(|r| r.signal == "client")
                && let Some(f) = t.client_family[i]
            {
                clients.insert(f);
            }
        }
        // The quiet probe before the attack: a call from a network its owner never made
        // normal, with a client the owner does not use elsewhere (see `Habits`). Such a
        // call scores little or nothing when it comes early in a credential's life,
        // before its baseline can judge novelty, or when the burst comes later from
        // another host with another tool: its network is the attacker's all the same.
        // Also the probe that copies the owner's client: a call before the attack, from a
        // network the owner never made normal, that asks who the credential is, lists
        // what it can reach or mints a credential, as the owner never does from their
        // own networks. A traveller's hotel is used on two days, or for the owner's usual
        // calls.
        let habits = (!hostile.is_empty()).then(|| {
            Habits::of(
                t,
                evs,
                |i| self.score(i) < SUSPICIOUS,
                |i| self.scored.actions.of_event[i],
            )
        });
        let attack_began = hostile.iter().map(|&i| t.ts[i]).min().unwrap_or(i64::MAX);
        let mut hindsight: BTreeSet<&str> = BTreeSet::new();
        if let Some(habits) = habits.filter(Habits::known) {
            for &i in evs {
                let Some(n) = t.network[i] else { continue };
                let new_tool = t.client_family[i].is_some_and(|f| !habits.owners(n, f));
                let probing = t.ts[i] < attack_began
                    && !habits.owners_network(n)
                    && matches!(
                        self.scored.actions.class(i),
                        ActionClass::IdentityCheck
                            | ActionClass::Enumeration
                            | ActionClass::CredentialMinting
                    )
                    && !habits.actions.contains(&self.scored.actions.of_event[i]);
                if (new_tool || probing) && !networks.contains(n) && !self.is_infrastructure(i) {
                    networks.insert(n);
                    hindsight.insert(n);
                }
            }
        }
        for &n in linked {
            networks.insert(n);
        }
        // Sets, not ordered ones: the events are put in time order below, and the
        // credentials only counted (a tree's search was 14% of an adversarial hunt).
        let mut attributed: FastSet<usize> = FastSet::default();
        let mut children: Vec<Child> = Vec::new();
        let mut related: Vec<(String, String)> = Vec::new();
        let mut in_finding: FastSet<&str> = FastSet::from_iter([seed]);
        // Of those, accounts pulled in only by failed sign-ins (not capped).
        let mut sprayed = 0;
        let mut queue: Vec<(&str, Role)> = vec![(seed, Role::Seed)];
        // Fixed point: credentials pulled in may bring new attacker networks.
        while let Some((c, role)) = queue.pop() {
            let evs = &self.by_credential()[c];
            for &i in evs {
                let from_attacker = t.network[i].is_some_and(|n| networks.contains(n))
                    && !self.is_infrastructure(i);
                let take = match role {
                    // Everything a credential the attacker made did is theirs.
                    Role::Child => !t.is_service_caller(i),
                    // The seed's own suspicious calls, and its quiet ones from the
                    // attacker's networks or with the attacker's client.
                    Role::Seed => {
                        self.score(i) >= SUSPICIOUS
                            || from_attacker
                            || (self.score(i) >= NOTABLE
                                && t.client_family[i].is_some_and(|f| clients.contains(f)))
                    }
                    // Another credential: only what it did from an attacker network.
                    Role::Related => from_attacker,
                };
                if take {
                    attributed.insert(i);
                    if role == Role::Child
                        && !self.is_infrastructure(i)
                        && let Some(n) = t.network[i]
                    {
                        networks.insert(n);
                    }
                }
            }
            // Children: logged (`child_credential_id`) or inferred from a minting call.
            let minted: Vec<usize> = evs
                .iter()
                .copied()
                .filter(|i| attributed.contains(i))
                .collect();
            for i in minted {
                let child = match t.child_credential[i] {
                    Some(child) => Some((child, false)),
                    None if self.scored.actions.mints_unnamed(t, i) => {
                        self.inferred_child(i, &networks).map(|c| (c, true))
                    }
                    None => None,
                };
                if let Some((child, inferred)) = child
                    && in_finding.len() - sprayed < MAX_CREDENTIALS
                    && in_finding.insert(child)
                {
                    children.push(Child {
                        id: child.to_string(),
                        kind: self.by_credential().get(child).and_then(|e| {
                            e.first()
                                .and_then(|&j| t.credential_kind[j])
                                .map(str::to_string)
                        }),
                        created_by: i,
                        inferred,
                    });
                    if self.by_credential().contains_key(child) {
                        queue.push((child, Role::Child));
                    }
                }
            }
            if queue.is_empty() {
                // Pivot: other credentials seen from an attacker network. An account
                // that only failed to sign in from there was sprayed: the attacker's
                // target, not a user of a shared network, so every one is listed, beyond
                // the cap (a spray of 200 accounts is 200 passwords to reset).
                for n in &networks.order {
                    for &(other, sprayed_only) in self
                        .estate()
                        .subjects_by_network
                        .get(n)
                        .map_or(&[][..], Vec::as_slice)
                    {
                        if !sprayed_only && in_finding.len() - sprayed >= MAX_CREDENTIALS {
                            continue;
                        }
                        if in_finding.insert(other) {
                            sprayed += usize::from(sprayed_only);
                            let why = match sprayed_only {
                                true => format!("failed to sign in from {n}, an attacker network"),
                                false => format!("used from {n}, an attacker network"),
                            };
                            related.push((other.to_string(), why));
                            queue.push((other, Role::Related));
                        }
                    }
                }
            }
        }
        let mine: Vec<usize> = evs
            .iter()
            .copied()
            .filter(|i| attributed.contains(i))
            .collect();
        let first_suspicious = mine.first().copied();
        let last_known_good = first_suspicious.and_then(|f| {
            evs.iter().copied().rfind(|&i| {
                t.ts[i] < t.ts[f] && !attributed.contains(&i) && self.score(i) < NOTABLE
            })
        });
        let mut events: Vec<usize> = attributed.into_iter().collect();
        events.sort_by_key(|&i| (t.ts[i], i));
        let score = events.iter().map(|&i| self.score(i)).max().unwrap_or(0);
        let mut f = Finding {
            credential: seed.to_string(),
            kind: evs
                .first()
                .and_then(|&i| t.credential_kind[i])
                .map(str::to_string),
            principal: evs.iter().find_map(|&i| t.principal[i]).map(str::to_string),
            aliases: self.aliases(seed, &mine),
            severity: Severity::of(score),
            score,
            first_suspicious,
            last_known_good,
            last_seen: events.last().copied(),
            attacker_ips: BTreeSet::new(),
            attacker_networks: networks.order.iter().map(|n| n.to_string()).collect(),
            hindsight_networks: hindsight.iter().map(|n| n.to_string()).collect(),
            attacker_asns: BTreeSet::new(),
            attacker_countries: BTreeSet::new(),
            attacker_user_agents: BTreeSet::new(),
            children,
            related,
            events,
        };
        for &i in &f.events {
            if self.is_infrastructure(i) || !t.network[i].is_some_and(|n| networks.contains(n)) {
                continue;
            }
            if let Some(ip) = t.src_ip[i] {
                f.attacker_ips.insert(ip.to_string());
            }
            if let Some(a) = t.asn[i] {
                f.attacker_asns.insert(a);
            }
            if let Some(c) = t.country[i] {
                f.attacker_countries.insert(c.to_string());
            }
            if let Some(ua) = t.user_agent[i] {
                f.attacker_user_agents.insert(ua.to_string());
            }
        }
        // No attacker network: the calls came from addresses that are not public (an
        // internal host, a reserved or unreadable address). Those are not networks to
        // pivot on, but they are where the suspicious calls came from.
        if f.attacker_ips.is_empty() {
            for &i in &f.events {
                if self.score(i) >= NOTABLE
                    && !t.is_service_caller(i)
                    && let Some(ip) = t.src_ip[i]
                {
                    f.attacker_ips.insert(ip.to_string());
                }
            }
        }
        f
    }

    /// The credential first used from an attacker network within an hour after a minting
    /// call, that was never seen before it.
    fn inferred_child(&self, minting: usize, networks: &Networks<'a>) -> Option<&'a str> {
        let t = self.t;
        let at = t.ts[minting];
        let births = &self.estate().births;
        let from = births.partition_point(|&(born, ..)| born < at);
        births[from..]
            .iter()
            .take_while(|&&(born, ..)| born - at <= NS_PER_HOUR)
            .find(|&&(_, c, network, source)| {
                network.is_some_and(|n| networks.contains(n))
                    && source == t.source[minting]
                    && Some(c) != t.credential[minting]
            })
            .map(|&(_, c, ..)| c)
    }

    /// The sessions of credential `c`, at most 20: those of its events in `attacker`
    /// first (what to look for in other logs: an application's tokens, of which a day of
    /// its own use makes twenty), then the others from its first use on.
    fn aliases(&self, c: &str, attacker: &[usize]) -> Vec<String> {
        let mut seen: FastSet<&str> = FastSet::default();
        let mut v: Vec<String> = Vec::new();
        let mut owners: BTreeSet<&str> = BTreeSet::new();
        for &i in attacker {
            if let Some(s) = self.t.session_id[i]
                && v.len() < 20
                && seen.insert(s)
            {
                v.push(s.to_string());
            }
        }
        for &i in &self.by_credential()[c] {
            if v.len() + owners.len() >= 20 {
                break;
            }
            if let Some(s) = self.t.session_id[i]
                && !seen.contains(s)
            {
                owners.insert(s);
            }
        }
        v.extend(owners.into_iter().map(str::to_string));
        v
    }
}

/// What the attacker's events did ([`Investigator::blast_radius`]).
#[derive(Debug, Default, serde::Serialize)]
pub struct BlastRadius {
    pub actions: BTreeMap<&'static str, u64>,
    pub failed: u64,
    pub bytes_out: u64,
    pub targets: Vec<String>,
    pub new_targets: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::baseline::{NS_PER_DAY, NS_PER_MIN};
    use crate::score::testkit::*;
    use crate::score::{ScoreOptions, score_table};

    const SPRAYED: [&str; 15] = [
        "a@x", "b@x", "c@x", "d@x", "e@x", "f@x", "g@x", "h@x", "i@x", "j@x", "k@x", "l@x", "m@x",
        "n@x", "o@x",
    ];

    /// The findings of a hunt over `rows`, scored with the default options.
    /// Each one is also the hunt by parts' (`crate::parts`): every scenario below checks
    /// that scoring in parts and investigating only what can be reached finds the same.
    fn hunt(rows: &[Row]) -> Vec<Finding> {
        let t = table(rows);
        let scored = score_table(&t, &ScoreOptions::default());
        let findings = Investigator::new(&t, &scored, &Config::default()).run(Seeds::Hunt);
        crate::parts::tests::assert_same_estate(&t, &scored, &Config::default());
        crate::parts::tests::assert_same_by_parts(rows, &findings, &scored);
        crate::parts::tests::assert_same_score_by_parts(rows);
        findings
    }

    /// The findings of a hunt over `rows` given their scores: every row scores 0 but
    /// those of `suspicious`, which score as much for a network new to their credential.
    /// The investigation's own rules, apart from what the signals weigh.
    fn investigate(rows: &[Row], suspicious: &[(usize, u32)]) -> Vec<Finding> {
        use crate::score::actions::ActionIndex;
        use crate::score::signals::Reason;
        let t = table(rows);
        let mut scores = vec![0; rows.len()];
        let mut reasons = crate::score::signals::Findings::default();
        for &(i, score) in suspicious {
            scores[i] = score;
            let why = Reason::new("new_network", score, rows[i].network.into(), String::new());
            reasons.insert(i as u32, vec![why]);
        }
        let scored = Scored {
            scores,
            reasons,
            actions: ActionIndex::new(&t),
        };
        crate::parts::tests::assert_same_estate(&t, &scored, &Config::default());
        Investigator::new(&t, &scored, &Config::default()).run(Seeds::Hunt)
    }

    /// The attacker's host, quiet: no Tor, no anonymizer.
    fn host(credential: &'static str, ts: i64) -> Row {
        Row {
            credential: Some(credential),
            anonymizer: None,
            ..attacker(ts)
        }
    }

    /// Alice's token used from the attacker's host at night, then three credentials the
    /// attacker holds used quietly from there the same night: the host is not an office
    /// that three people share, it is the attacker's, and leads to the three. When the
    /// three use it on days before (their office) or on another day after, it is shared
    /// and leads nowhere.
    #[test]
    fn an_attackers_host_used_with_several_credentials_is_not_shared() {
        let night = MONDAY + 10 * NS_PER_DAY + 2 * NS_PER_HOUR;
        let others = ["tt_l…m1", "tt_l…m2", "tt_l…m3"];
        // `days`: the days the three also use the host on, in office hours; `early`: they
        // also use it an hour before the attack.
        let attacked = |days: &[i64], early: bool| {
            let mut rows = office_days(10, 6);
            if early {
                for (k, c) in others.iter().enumerate() {
                    rows.push(host(c, night - NS_PER_HOUR + k as i64 * NS_PER_MIN));
                }
            }
            let hostile = rows.len();
            rows.push(host("tt_l…alice", night));
            for (k, c) in others.iter().enumerate() {
                for m in 0..2 {
                    rows.push(host(c, night + (1 + 2 * k as i64 + m) * NS_PER_MIN));
                }
                for d in days {
                    rows.push(host(
                        c,
                        MONDAY + d * NS_PER_DAY + (9 + k as i64) * NS_PER_HOUR,
                    ));
                }
            }
            investigate(&rows, &[(hostile, 60)])
        };
        let findings = attacked(&[], false);
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        assert_eq!(
            f.attacker_networks.iter().collect::<Vec<_>>(),
            ["81.2.69.0/24"]
        );
        let related: Vec<&str> = f.related.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(related, others);
        assert_eq!(f.events.len(), 1 + 2 * others.len());
        // Used on days enough to be a habit, or before anything hostile came from it: the
        // estate's, shared.
        for (days, early) in [(&[1, 2][..], false), (&[11], false), (&[], true)] {
            let findings = attacked(days, early);
            assert!(findings[0].attacker_networks.is_empty(), "{days:?}");
            assert!(findings[0].related.is_empty(), "{days:?}");
        }
    }

    /// One attacker, two leaked tokens: Alice's probed from one host days before both are
    /// used from another. Carol's finding knows the second host only; linked through it,
    /// it names both hosts and holds Alice's probe, as Alice's does: the same attacker,
    /// the same networks and events in both.
    #[test]
    fn findings_sharing_an_attacker_network_name_all_its_networks() {
        let mut rows = office_days(10, 6);
        rows.extend(office_days(10, 6).into_iter().map(|r| Row {
            credential: Some("tt_l…carol"),
            ..r
        }));
        let probe_at = rows.len();
        rows.push(Row {
            credential: Some("tt_l…alice"),
            ..probe(MONDAY + 10 * NS_PER_DAY + 2 * NS_PER_HOUR)
        });
        let burst = MONDAY + 12 * NS_PER_DAY + NS_PER_HOUR;
        let alice_burst = rows.len();
        rows.push(host("tt_l…alice", burst));
        let carol_burst = rows.len();
        rows.push(host("tt_l…carol", burst + NS_PER_MIN));
        let findings = investigate(
            &rows,
            &[(probe_at, 50), (alice_burst, 60), (carol_burst, 60)],
        );
        assert_eq!(findings.len(), 2);
        let by = |c: &str| findings.iter().find(|f| f.credential == c).unwrap();
        let (alice, carol) = (by("tt_l…alice"), by("tt_l…carol"));
        assert_eq!(
            carol.attacker_networks.iter().collect::<Vec<_>>(),
            ["185.220.101.0/24", "81.2.69.0/24"]
        );
        assert_eq!(carol.attacker_networks, alice.attacker_networks);
        assert_eq!(carol.events, [probe_at, alice_burst, carol_burst]);
        assert_eq!(carol.events, alice.events);
        // Each still its own first suspicious call.
        assert_eq!(alice.first_suspicious, Some(probe_at));
        assert_eq!(carol.first_suspicious, Some(carol_burst));
    }

    /// A scanner's network with curl: the quiet probe before the attack.
    fn probe(ts: i64) -> Row {
        Row {
            ip: "185.220.101.47",
            network: "185.220.101.0/24",
            country: Some("DE"),
            location: Some((50.1, 8.7)),
            asn: None,
            client_family: "curl/8",
            client_kind: "cli",
            user_agent: "curl/8.4.0",
            ..office(ts)
        }
    }

    /// A young credential (six calls on two days) probed at night on its third day: too
    /// young for novelty to be judged, so the probe scores nothing. Weeks later the burst
    /// comes from another host with another tool. In hindsight the probe's network and
    /// client are ones the owner never used: the probe is the first suspicious call.
    /// `late_owner` adds what the owner does that is new without being the attacker: a
    /// call from a hotel with their own browser, a call with curl from the office.
    fn probed_then_attacked(late_owner: bool) -> (Vec<Row>, usize, usize) {
        let hour = NS_PER_HOUR;
        let mut rows: Vec<Row> = (0..2)
            .flat_map(|d| (0..3).map(move |k| office(MONDAY + d * NS_PER_DAY + (9 + k) * hour)))
            .collect();
        let first_probe = rows.len();
        rows.push(probe(MONDAY + 2 * NS_PER_DAY + 2 * hour));
        rows.push(probe(MONDAY + 2 * NS_PER_DAY + 2 * hour + NS_PER_MIN));
        for d in 2..14 {
            rows.extend((0..5).map(|k| office(MONDAY + d * NS_PER_DAY + (9 + k) * hour)));
        }
        if late_owner {
            rows.push(Row {
                ip: "216.160.83.56",
                network: "216.160.83.0/24",
                country: None,
                location: None,
                asn: Some(209),
                ..office(MONDAY + 5 * NS_PER_DAY + 16 * hour)
            });
            rows.push(Row {
                client_family: "curl/8",
                client_kind: "cli",
                user_agent: "curl/8.4.0",
                ..office(MONDAY + 6 * NS_PER_DAY + 15 * hour)
            });
        }
        let burst = rows.len();
        rows.extend((0..5).map(|k| attacker(MONDAY + 14 * NS_PER_DAY + hour + k * NS_PER_MIN)));
        (rows, first_probe, burst)
    }

    #[test]
    fn a_probe_too_early_to_be_judged_is_found_in_hindsight() {
        let (rows, first_probe, _) = probed_then_attacked(false);
        let scored = run(&rows);
        assert_eq!(
            scored.scores[first_probe], 0,
            "too young to judge: no reason"
        );
        let findings = hunt(&rows);
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        assert_eq!(f.first_suspicious, Some(first_probe));
        assert_eq!(
            f.attacker_networks.iter().collect::<Vec<_>>(),
            ["185.220.101.0/24", "81.2.69.0/24"]
        );
        assert_eq!(
            f.hindsight_networks.iter().collect::<Vec<_>>(),
            ["185.220.101.0/24"]
        );
        assert_eq!(f.events.len(), 2 + 5);
        assert_eq!(f.last_known_good, Some(first_probe - 1));
    }

    #[test]
    fn what_is_new_only_in_network_or_only_in_client_stays_the_owners() {
        let (rows, first_probe, burst) = probed_then_attacked(true);
        let findings = hunt(&rows);
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        // The hotel (a new network, the owner's browser) and curl from the office (a new
        // client, the owner's network) are not the attacker's; the probe still is.
        assert_eq!(f.first_suspicious, Some(first_probe));
        assert_eq!(f.events.len(), 2 + 5);
        assert!(!f.events.contains(&(burst - 1)) && !f.events.contains(&(burst - 2)));
        assert!(!f.attacker_networks.contains("216.160.83.0/24"));
        assert!(!f.attacker_networks.contains("89.160.20.0/24"));
    }

    /// A mature credential probed in office hours with its owner's own browser from a
    /// network it never uses: one identity check, as the owner never makes. A week later
    /// the attack, from another host. `trip` instead makes the owner spend a day at a
    /// hotel doing their usual calls: the probe lists the users, as the owner often does.
    fn copied_client(trip: bool) -> (Vec<Row>, usize) {
        let hour = NS_PER_HOUR;
        // An owner who does more than five things: a new action alone is no reason.
        const ROUTES: [&str; 6] = [
            "GET /api/v1/projects",
            "GET /api/v1/builds",
            "GET /api/v1/issues",
            "POST /api/v1/issues",
            "GET /api/v1/teams",
            "GET /api/v1/users",
        ];
        let mut rows = office_days(3, 12);
        for (k, r) in rows.iter_mut().enumerate() {
            r.action = ROUTES[k % ROUTES.len()];
        }
        let probe_at = MONDAY + 3 * NS_PER_DAY + 11 * hour;
        let at = rows.len();
        rows.push(Row {
            action: if trip {
                "GET /api/v1/users"
            } else {
                "GET /api/v1/me"
            },
            client_family: "chrome/122",
            user_agent: "Mozilla/5.0 Chrome/122.0",
            country: None,
            location: None,
            ..probe(probe_at)
        });
        for d in 4..10 {
            rows.extend((0..5).map(|k| office(MONDAY + d * NS_PER_DAY + (9 + k) * hour)));
        }
        rows.extend((0..5).map(|k| attacker(MONDAY + 10 * NS_PER_DAY + hour + k * NS_PER_MIN)));
        (rows, at)
    }

    #[test]
    fn a_probe_with_the_owners_client_is_found_by_what_it_asks() {
        let (rows, probe) = copied_client(false);
        let scored = run(&rows);
        assert!(
            scored.scores[probe] < SUSPICIOUS,
            "quiet on its own: {:?}",
            scored.reasons_of(probe)
        );
        let findings = hunt(&rows);
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        assert_eq!(f.first_suspicious, Some(probe));
        assert!(f.hindsight_networks.contains("185.220.101.0/24"));
        // The owner's day at a hotel, doing what they always do: theirs.
        let (rows, trip) = copied_client(true);
        let f = &hunt(&rows)[0];
        assert!(!f.events.contains(&trip));
        assert!(f.hindsight_networks.is_empty());
    }

    /// A credential seen on one day (a test run, a sample of a few records): no network
    /// is its owner's yet, so no call can be told apart as a probe in hindsight.
    #[test]
    fn a_credential_seen_on_one_day_has_no_habits_to_tell_a_probe_by() {
        let hour = NS_PER_HOUR;
        let mut rows: Vec<Row> = (0..3).map(|k| office(MONDAY + (9 + k) * hour)).collect();
        rows.push(probe(MONDAY + 12 * hour));
        rows.push(Row {
            client_family: "sqlmap/1",
            client_kind: "attack_tool",
            user_agent: "sqlmap/1.8",
            ..office(MONDAY + 13 * hour)
        });
        let findings = hunt(&rows);
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        assert!(f.attacker_networks.is_empty(), "{:?}", f.attacker_networks);
        assert_eq!(f.events, [rows.len() - 1]);
    }

    /// An attacker inside the network (a compromised internal host): its address is no
    /// network to pivot on, but the finding still says where the calls came from.
    #[test]
    fn calls_from_an_internal_host_name_their_address() {
        let mut rows = office_days(3, 10);
        let t0 = MONDAY + 3 * NS_PER_DAY + 2 * 3_600_000_000_000;
        for k in 0..3 {
            rows.push(Row {
                ip: "10.9.8.7",
                ip_class: "private",
                network: "10.9.8.0/24",
                country: None,
                location: None,
                ..attacker(t0 + k * NS_PER_MIN)
            });
        }
        let findings = hunt(&rows);
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        assert!(f.attacker_networks.is_empty());
        assert_eq!(
            f.attacker_ips.iter().collect::<Vec<_>>(),
            ["10.9.8.7"],
            "the office's own address is not the attacker's"
        );
    }

    /// A wrong password for `user` from the attacker's host (Okta).
    /// The office's network, which three credentials use every day, new to two
    /// colleagues whose first days were from home and who try a new tool there within
    /// minutes: the estate's own network, not one host trying two stolen secrets, so no
    /// finding. By parts, only the colleagues' calls are held for the signals looking
    /// across: what the office's other calls tell comes from `parts::Outside`.
    #[test]
    fn colleagues_new_to_the_office_network_are_not_one_attacker() {
        let (rows, _) = colleagues_new_to_the_office();
        assert!(hunt(&rows).is_empty());
    }

    /// A young token used once from home, then once quietly from the host that just
    /// attacked with another credential: used there by the attacker (related to the
    /// finding), but not born there, which would make it the attacker's own. By parts,
    /// its first call (from home, with no reason) is not held: when it was born comes from
    /// `parts::Outside`.
    #[test]
    fn a_token_first_used_elsewhere_is_not_born_on_the_attackers_host() {
        let mut rows = office_days(3, 10);
        let t = MONDAY + 3 * NS_PER_DAY + 10 * 3_600_000_000_000;
        let bob = |r: Row| Row {
            credential: Some("tt_live_bob"),
            ..r
        };
        rows.push(bob(Row {
            ip: "12.82.85.17",
            network: "12.82.85.0/24",
            asn: Some(7018),
            ..office(t - NS_PER_DAY)
        }));
        rows.push(attacker(t));
        rows.push(bob(Row {
            ip: "81.2.69.160",
            anonymizer: None,
            ..attacker(t + 5 * NS_PER_MIN)
        }));
        let findings = hunt(&rows);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!(findings[0].credential, "tt_l…alice");
        assert!(
            findings[0].related.iter().any(|(c, _)| c == "tt_live_bob"),
            "{:?}",
            findings[0].related
        );
    }

    /// The attacker mints an access key with a stolen one, and uses it from elsewhere
    /// without a call of note: every call of the new key is theirs (`lineage`), and the
    /// key is the finding's child. By parts, the new key's calls have no reason of their
    /// own and are not held: lineage brings them in (`Signal::wants`).
    #[test]
    fn a_key_minted_by_the_attacker_is_the_findings_child() {
        let mut rows = aws_days("s3:ListBuckets", 3, 10);
        let t = MONDAY + 3 * NS_PER_DAY + 10 * NS_PER_HOUR;
        rows.push(Row {
            child: Some("AKIAQ3EGMALLORY00002"),
            ..attacker(t)
        });
        let created = rows.len() - 1;
        rows[created].source = "cloudtrail";
        rows[created].credential = Some("AKIAQ3EGALICE0000001");
        rows[created].principal = Some("arn:aws:iam::111122223333:user/alice");
        rows[created].action = "iam:CreateAccessKey";
        rows[created].status = None;
        for k in 1..=5 {
            rows.push(Row {
                credential: Some("AKIAQ3EGMALLORY00002"),
                principal: Some("arn:aws:iam::111122223333:user/mallory"),
                ip: "12.82.85.17",
                network: "12.82.85.0/24",
                asn: Some(7018),
                ..aws("s3:ListBuckets", t + k * NS_PER_HOUR)
            });
        }
        let findings = hunt(&rows);
        let f = findings
            .iter()
            .find(|f| f.credential == "AKIAQ3EGALICE0000001")
            .expect("the stolen key's finding");
        assert_eq!(f.children.len(), 1, "{f:?}");
        assert_eq!(f.children[0].id, "AKIAQ3EGMALLORY00002");
        assert_eq!(f.children[0].created_by, created);
        assert_eq!(f.events.len(), 6, "{f:?}");
    }

    fn sprayed(user: &'static str, ts: i64) -> Row {
        Row {
            source: "okta_system_log",
            credential: None,
            principal: Some(user),
            action: "user.session.start",
            outcome: "failure",
            status: None,
            ..attacker(ts)
        }
    }

    /// A spray of more accounts than a finding pulls credentials in: every sprayed
    /// account is listed (each one a password to reset), said to have failed, and each
    /// failure is the attacker's; the cap still holds for credentials used from there.
    #[test]
    fn every_sprayed_account_is_listed_beyond_the_cap() {
        let mut rows = office_days(3, 10);
        let t0 = MONDAY + 3 * NS_PER_DAY + 10 * NS_PER_HOUR;
        rows.push(attacker(t0));
        let accounts = MAX_CREDENTIALS + 10;
        for k in 0..accounts {
            let user: &'static str = Box::leak(format!("u{k}@x").into_boxed_str());
            rows.push(sprayed(user, t0 + (k as i64 + 1) * NS_PER_MIN / 10));
        }
        let findings = hunt(&rows);
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        assert_eq!(f.related.len(), accounts);
        assert!(
            f.related
                .iter()
                .all(|(_, why)| why.starts_with("failed to sign in from 81.2.69.0/24")),
            "{:?}",
            f.related.first()
        );
        assert_eq!(f.events.len(), 1 + accounts);
    }

    /// A hunt with no suspicious event finds nothing and makes neither the estate nor
    /// the events by credential; one with a suspicious event makes both.
    #[test]
    fn a_clean_hunt_makes_no_estate() {
        let rows = office_days(3, 10);
        let t = table(&rows);
        let scored = score_table(&t, &ScoreOptions::default());
        assert!(scored.scores.iter().all(|&s| s < SUSPICIOUS));
        let config = Config::default();
        let inv = Investigator::new(&t, &scored, &config);
        assert!(inv.run(Seeds::Hunt).is_empty());
        assert!(inv.estate.get().is_none() && inv.by_credential.get().is_none());
        let mut rows = rows;
        rows.push(attacker(MONDAY + 3 * NS_PER_DAY + 10 * NS_PER_HOUR));
        let t = table(&rows);
        let scored = score_table(&t, &ScoreOptions::default());
        let inv = Investigator::new(&t, &scored, &config);
        assert_eq!(inv.run(Seeds::Hunt).len(), 1);
        assert!(inv.estate.get().is_some() && inv.by_credential.get().is_some());
    }

    /// The attacker's host sprays fifteen accounts: failures never make it shared
    /// infrastructure, so the spray is part of the finding.
    #[test]
    fn a_wide_spray_still_pivots_a_busy_network_does_not() {
        let mut rows = office_days(3, 10);
        let t0 = MONDAY + 3 * NS_PER_DAY + 10 * 3_600_000_000_000;
        rows.push(attacker(t0));
        for (k, user) in SPRAYED.iter().enumerate() {
            rows.push(sprayed(user, t0 + (k as i64 + 1) * NS_PER_MIN));
        }
        let findings = hunt(&rows);
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        assert_eq!(f.credential, "tt_l…alice");
        assert_eq!(f.related.len(), SPRAYED.len());
        assert_eq!(f.events.len(), 1 + SPRAYED.len());
        assert_eq!(f.first_suspicious, Some(rows.len() - SPRAYED.len() - 1));
        // Eleven credentials using one network successfully: a shared network.
        let mut busy = rows.clone();
        for (k, user) in SPRAYED.iter().enumerate().take(11) {
            busy.push(Row {
                credential: Some(user),
                ..attacker(t0 + (k as i64 + 20) * NS_PER_MIN)
            });
        }
        let t = table(&busy);
        let scored = score_table(&t, &ScoreOptions::default());
        let config = Config::default();
        let inv = Investigator::new(&t, &scored, &config);
        assert!(inv.estate().shared.contains("81.2.69.0/24"));
        crate::parts::tests::assert_same_estate(&t, &scored, &config);
    }
}
