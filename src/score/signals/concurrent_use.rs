//! One credential used from two unrelated networks within ten minutes: a stolen session or
//! token replayed while its owner still uses it. Fires on the call from the network the
//! credential does not normally use, so the owner's own calls stay clean. Both places must
//! go on: when the credential is not used again from elsewhere within four hours, it moved
//! (a job's runners to another subnet of their cloud, a laptop from the office to the
//! train), it was not in two places at once.

use super::{Ctx, Reason, Signal};
use crate::score::baseline::Familiarity;

pub struct ConcurrentUse;

pub const WEIGHT: u32 = 25;
/// How long after the call the credential must be used again from elsewhere: a person's
/// session may sit idle an hour (a replay by a phishing proxy came 61 minutes before the
/// owner's next sign-in in the Entra ID benchmark).
const STILL_USED: i64 = 4 * crate::score::baseline::NS_PER_HOUR;

impl Signal for ConcurrentUse {
    fn id(&self) -> &'static str {
        "concurrent_use"
    }

    fn event(&self, c: &Ctx, out: &mut Vec<Reason>) {
        let (t, i) = (c.t, c.i);
        if !c.foreign_address() || c.network_established() {
            return;
        }
        let unrelated = |j: usize| {
            if !t.public_address(j) || t.is_service_caller(j) {
                return false;
            }
            match (t.asn[i], t.asn[j]) {
                (Some(a), Some(b)) => a != b,
                // Without both ASNs: another prefix, and not the same known country.
                _ => {
                    t.network[i] != t.network[j]
                        && (t.country[i].is_none() || t.country[i] != t.country[j])
                }
            }
        };
        let other = c
            .window
            .recent()
            .map(|j| j as usize)
            .filter(|&j| j != i && t.credential[j] == t.credential[i])
            .find(|&j| {
                unrelated(j)
                    && t.network[j].is_some_and(|n| {
                        c.own.network(n) == Familiarity::Established
                            || c.baseline.network(n) == Familiarity::Established
                    })
            });
        // Used again soon from somewhere else than this call's network: two places at
        // once.
        let goes_on = || {
            c.ahead
                .iter()
                .map(|&k| k as usize)
                .take_while(|&k| t.ts[k] - t.ts[i] <= STILL_USED)
                .any(|k| {
                    t.credential[k] == t.credential[i]
                        && t.network[k] != t.network[i]
                        && t.public_address(k)
                        && !t.is_service_caller(k)
                })
        };
        if let Some(j) = other.filter(|_| goes_on()) {
            out.push(Reason::new(
                self.id(),
                WEIGHT,
                format!(
                    "used from {} and {} within {} min",
                    t.src_ip[j].unwrap_or("?"),
                    t.src_ip[i].unwrap_or("?"),
                    (t.ts[i] - t.ts[j]) / crate::score::baseline::NS_PER_MIN
                ),
                format!(
                    "{} is normally used from {}",
                    c.scope_text(),
                    t.network[j].unwrap_or("?")
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::score::baseline::{NS_PER_DAY, NS_PER_MIN};
    use crate::score::testkit::*;

    #[test]
    fn the_replay_not_the_owner() {
        let mut rows = office_days(3, 10);
        let t = MONDAY + 3 * NS_PER_DAY + 10 * 3_600_000_000_000;
        rows.push(office(t));
        rows.push(Row {
            asn: Some(4837),
            ..attacker(t + 2 * NS_PER_MIN)
        });
        rows.push(office(t + 4 * NS_PER_MIN));
        let n = rows.len();
        let s = run(&rows);
        assert!(signals_of(&s, n - 2).contains(&"concurrent_use"));
        assert!(!signals_of(&s, n - 1).contains(&"concurrent_use"));
        assert!(!signals_of(&s, n - 3).contains(&"concurrent_use"));
    }

    /// A credential that moves (its runner to another subnet, its owner home) is not in
    /// two places at once: its calls from the new network, with none from elsewhere in the
    /// four hours after, are not concurrent use. When the usual network comes back three
    /// hours later, they are.
    #[test]
    fn a_move_is_not_concurrent_use() {
        let hour = crate::score::baseline::NS_PER_HOUR;
        let moved = |back_after: Option<i64>| {
            let mut rows = office_days(3, 10);
            let t = MONDAY + 3 * NS_PER_DAY + 10 * hour;
            rows.push(office(t));
            let first = rows.len();
            for k in 0..5 {
                rows.push(Row {
                    asn: Some(4837),
                    anonymizer: None,
                    ..attacker(t + (2 + 20 * k) * NS_PER_MIN)
                });
            }
            if let Some(after) = back_after {
                rows.push(office(t + after));
            }
            let s = run(&rows);
            signals_of(&s, first).contains(&"concurrent_use")
        };
        assert!(!moved(None));
        assert!(!moved(Some(5 * hour)));
        assert!(moved(Some(3 * hour)));
    }
}
