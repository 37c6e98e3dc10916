//! Suspicion signals: each one module behind [`Signal`], registered once in [`SIGNALS`].
//! A signal adds [`Reason`]s: what it saw, what the baseline says, and a weight. An event's
//! score is the sum of its reasons' weights (at most 100), so a reviewer can redo it by
//! hand. Every signal is documented in docs/detections.md.

mod access_denied;
mod anonymizer;
mod client;
mod concurrent_use;
mod dormant;
mod failed_logins;
mod impossible_travel;
mod lineage;
mod new_network;
mod off_hours;
mod provider_risk;
mod recon;
mod sensitive_action;
mod shared_network;
mod volume;

use std::sync::Arc;

use polars::prelude::PlHashSet;
use serde::Serialize;

use crate::score::FastMap;

use super::actions::ActionIndex;
use super::baseline::Baseline;
use super::baseline::Window;
use super::table::EventTable;
use crate::config::Config;

/// Why an event scored: one signal's finding, with the value and the baseline it was
/// compared with.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Reason {
    pub signal: &'static str,
    pub weight: u32,
    /// Shared text: a scored log holds millions of reasons, and most repeat the text of
    /// another (a credential's baseline is the same for all its events until it
    /// changes): see [`intern`].
    pub value: Arc<str>,
    pub baseline: Arc<str>,
}

impl Reason {
    pub fn new(signal: &'static str, weight: u32, value: String, baseline: String) -> Reason {
        Reason::shared(signal, weight, value.into(), baseline.into())
    }

    /// A reason whose texts are already shared (the same for many events).
    pub fn shared(
        signal: &'static str,
        weight: u32,
        value: Arc<str>,
        baseline: Arc<str>,
    ) -> Reason {
        Reason {
            signal,
            weight,
            value,
            baseline,
        }
    }
}

/// Make equal texts of `reasons` one shared text: the copies are freed. On the 500 MB
/// nginx benchmark, 1.33 million reasons held 156 MB of text in 2.7 million allocations,
/// of which 15 MB were distinct.
pub fn intern<'r>(reasons: impl Iterator<Item = &'r mut Reason>) {
    let mut seen: PlHashSet<Arc<str>> = PlHashSet::default();
    let mut one = |text: &mut Arc<str>| match seen.get(&**text) {
        Some(shared) => *text = Arc::clone(shared),
        None => {
            seen.insert(Arc::clone(text));
        }
    };
    for r in reasons {
        one(&mut r.value);
        one(&mut r.baseline);
    }
}

/// Which history an event was compared with.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Credential,
    /// The credential is too new to have a history; its principal's is used.
    Principal,
}

/// What a signal sees of one event.
pub struct Ctx<'c, 'a> {
    pub t: &'c EventTable<'a>,
    pub actions: &'c ActionIndex,
    pub i: usize,
    /// The credential's own history.
    pub own: &'c Baseline<'a>,
    /// The history to compare with: the credential's own once mature, else its
    /// principal's.
    pub baseline: &'c Baseline<'a>,
    pub scope: Scope,
    pub window: &'c Window,
    /// The group's later events, in time order: only for what a call cannot be judged
    /// without (use from two places at once needs both).
    pub ahead: &'c [u32],
    /// The last earlier event of the same person or credential with a location.
    pub previous_located: Option<usize>,
    pub config: &'c Config,
    /// The source address is in the configured trusted networks or ASNs.
    pub trusted_address: bool,
    /// The user agent is configured as known automation.
    pub trusted_client: bool,
}

impl Ctx<'_, '_> {
    /// Whether novelty can be judged: the baseline has enough history.
    pub fn mature(&self) -> bool {
        self.baseline.mature()
    }

    /// A public address that is not the estate's own: the only kind a network signal
    /// should speak about.
    pub fn foreign_address(&self) -> bool {
        self.t.public_address(self.i) && !self.trusted_address
    }

    /// The network of this event is one the credential uses normally.
    pub fn network_established(&self) -> bool {
        self.t.network[self.i].is_some_and(|n| {
            self.own.network(n) == super::baseline::Familiarity::Established
                || self.baseline.network(n) == super::baseline::Familiarity::Established
        })
    }

    pub fn scope_text(&self) -> &'static str {
        match self.scope {
            Scope::Credential => "this credential",
            Scope::Principal => "this principal",
        }
    }
}

/// Reasons found so far, by event index.
pub type Findings = FastMap<u32, Vec<Reason>>;

/// What the signals that look across credentials see besides the table.
pub struct Across<'x> {
    pub config: &'x Config,
    /// When the table holds only some of the events (`hunt` by parts, `crate::parts`):
    /// what the others tell.
    pub outside: Option<&'x Outside>,
}

/// What the events a table by parts does not hold tell the signals that look across
/// credentials: gathered from every event while the parts are scored.
#[derive(Default)]
pub struct Outside {
    /// Per network, the owners (`score::group_key`) of its events that have no reason
    /// and that no signal reads across ([`Signal::reads_across`]).
    pub normal_owners: FastMap<Box<str>, PlHashSet<Box<str>>>,
    /// Per credential (or principal), its first event.
    pub born: FastMap<Box<str>, FirstEvent>,
}

/// A credential's (or principal's) first event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstEvent {
    pub ts: i64,
    /// Its place among the events of equal time (`crate::parts::SEQ`).
    pub seq: u64,
    pub network: Option<Box<str>>,
    pub source: Option<Box<str>>,
}

/// Every event of some networks and credentials, which a signal looking across reads
/// ([`Signal::wants`]).
#[derive(Default, Debug)]
pub struct Wanted {
    pub networks: Vec<String>,
    pub credentials: Vec<String>,
}

pub trait Signal: Sync {
    /// The name reports and docs use.
    fn id(&self) -> &'static str;
    /// Judge one event against its credential's history (called in time order).
    fn event(&self, _ctx: &Ctx, _out: &mut Vec<Reason>) {}
    /// Judge across credentials and sources, after every event has its own reasons.
    fn across(&self, _t: &EventTable, _ctx: &Across, _found: &mut Findings) {}
    /// Whether `across` reads event `i` though it may have no reason. A table by parts
    /// holds every event with a reason and every event some signal reads so.
    fn reads_across(&self, _t: &EventTable, _config: &Config, _i: usize) -> bool {
        false
    }
    /// The networks and credentials whose every event `across` reads besides, given the
    /// reasons found so far (a superset will do): a table by parts brings them in just
    /// before `across` runs.
    fn wants(&self, _t: &EventTable, _found: &Findings) -> Wanted {
        Wanted::default()
    }
}

/// Every signal, in the order their reasons are listed.
pub static SIGNALS: &[&dyn Signal] = &[
    &client::AttackToolOrNewClient,
    &new_network::NewNetwork,
    &anonymizer::Anonymizer,
    &impossible_travel::ImpossibleTravel,
    &concurrent_use::ConcurrentUse,
    &sensitive_action::SensitiveAction,
    &recon::Recon,
    &access_denied::AccessDenied,
    &volume::Volume,
    &failed_logins::FailedLogins,
    &off_hours::OffHours,
    &dormant::Dormant,
    &provider_risk::ProviderRisk,
    &shared_network::SharedNetwork,
    &lineage::Lineage,
];

/// `1.2 MB`, `48 MB`: byte counts for reasons.
pub fn human_bytes(b: u64) -> String {
    const MB: f64 = 1_000_000.0;
    if b >= 1_000_000 {
        format!("{:.1} MB", b as f64 / MB)
    } else if b >= 1_000 {
        format!("{:.1} kB", b as f64 / 1_000.0)
    } else {
        format!("{b} B")
    }
}

/// `2 d 4 h`, `35 min`: durations for reasons.
pub fn human_duration(ns: i64) -> String {
    let min = ns / super::baseline::NS_PER_MIN;
    if min < 120 {
        format!("{min} min")
    } else if min < 48 * 60 {
        format!("{} h", min / 60)
    } else {
        format!("{} d {} h", min / (24 * 60), (min / 60) % 24)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_ids_are_unique() {
        let mut ids: Vec<&str> = SIGNALS.iter().map(|s| s.id()).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(48_213_004), "48.2 MB");
        assert_eq!(human_bytes(412), "412 B");
        assert_eq!(human_duration(35 * 60 * 1_000_000_000), "35 min");
        assert_eq!(human_duration(50 * 3600 * 1_000_000_000), "2 d 2 h");
    }

    /// Equal texts end up as one shared text, each reason reading as before.
    #[test]
    fn interned_reasons_share_equal_texts() {
        let text = |t: &str| t.to_string();
        let mut reasons = vec![
            Reason::new(
                "new_network",
                25,
                text("81.2.69.0/24"),
                text("usual: 10.0.0.0/24"),
            ),
            Reason::new(
                "off_hours",
                10,
                text("Fri 01:00 UTC"),
                text("usual: 09-18 UTC"),
            ),
            Reason::new(
                "new_network",
                25,
                text("81.2.69.0/24"),
                text("usual: 10.0.0.0/24"),
            ),
        ];
        let before = reasons.clone();
        intern(reasons.iter_mut());
        assert_eq!(reasons, before);
        assert!(Arc::ptr_eq(&reasons[0].value, &reasons[2].value));
        assert!(Arc::ptr_eq(&reasons[0].baseline, &reasons[2].baseline));
        assert!(!Arc::ptr_eq(&reasons[0].value, &reasons[1].value));
    }
}
