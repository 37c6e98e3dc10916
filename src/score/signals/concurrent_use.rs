//! One credential used from two unrelated networks within ten minutes: a stolen session or
//! token replayed while its owner still uses it. Fires on the call from the network the
//! credential does not normally use, so the owner's own calls stay clean.

use super::{Ctx, Reason, Signal};
use crate::score::baseline::Familiarity;

pub struct ConcurrentUse;

pub const WEIGHT: u32 = 25;

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
        if let Some(j) = other {
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
}
