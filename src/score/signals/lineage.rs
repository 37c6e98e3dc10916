//! A credential created by a suspicious call: the access key an attacker minted for a new
//! user, the session of a role they assumed. Such a credential has no history of its own,
//! so nothing else would flag it; everything done with it is the attacker's until shown
//! otherwise.

use super::{Across, Findings, Reason, Signal, Wanted};
use crate::config::Config;
use crate::score::FastMap;
use crate::score::table::EventTable;
use crate::score::{SUSPICIOUS, total};

pub struct Lineage;

pub const WEIGHT: u32 = 40;

impl Signal for Lineage {
    fn id(&self) -> &'static str {
        "lineage"
    }

    fn reads_across(&self, t: &EventTable, _config: &Config, i: usize) -> bool {
        t.child_credential[i].is_some()
    }

    fn wants(&self, t: &EventTable, found: &Findings) -> Wanted {
        let mut credentials: Vec<String> =
            tainted(t, found).into_keys().map(str::to_string).collect();
        credentials.sort_unstable();
        Wanted {
            networks: Vec::new(),
            credentials,
        }
    }

    fn across(&self, t: &EventTable, _ctx: &Across, found: &mut Findings) {
        let tainted = tainted(t, found);
        if tainted.is_empty() {
            return;
        }
        for i in 0..t.len() {
            let Some(c) = t.credential[i] else { continue };
            let Some(&origin) = tainted.get(c) else {
                continue;
            };
            if t.ts[i] < t.ts[origin] || i == origin {
                continue;
            }
            found.entry(i as u32).or_default().push(Reason::new(
                self.id(),
                WEIGHT,
                format!("{c} was created by a suspicious call"),
                format!(
                    "{} by {} at {}",
                    t.action[origin].unwrap_or("?"),
                    t.credential[origin].unwrap_or("?"),
                    crate::stats::rfc3339(t.ts[origin])
                ),
            ));
        }
    }
}

/// The credentials created by suspicious events, each with the event that created it,
/// followed to a fixed point: a key created by a key that was itself created by the
/// attacker.
fn tainted<'a>(t: &EventTable<'a>, found: &Findings) -> FastMap<&'a str, usize> {
    let mut tainted: FastMap<&str, usize> = FastMap::default();
    let mut order: Vec<usize> = (0..t.len())
        .filter(|&i| t.child_credential[i].is_some())
        .collect();
    order.sort_by_key(|&i| t.ts[i]);
    loop {
        let before = tainted.len();
        for &i in &order {
            let child = t.child_credential[i].unwrap_or_default();
            if tainted.contains_key(child) {
                continue;
            }
            let parent_suspicious = found
                .get(&(i as u32))
                .is_some_and(|r| total(r) >= SUSPICIOUS)
                || t.credential[i].is_some_and(|c| tainted.contains_key(c));
            if parent_suspicious {
                tainted.insert(child, i);
            }
        }
        if tainted.len() == before {
            return tainted;
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::score::baseline::NS_PER_MIN;
    use crate::score::table::{Column, EventTable};
    use crate::score::testkit::*;
    use crate::score::{ScoreOptions, score_table};

    #[test]
    fn the_attackers_new_key_inherits_the_suspicion() {
        let mut rows = vec![attacker(MONDAY)];
        rows[0].action = "cloudtrail:StopLogging";
        rows[0].source = "cloudtrail";
        rows.push(Row {
            credential: Some("AKIANEWKEY"),
            ..office(MONDAY + NS_PER_MIN)
        });
        rows.push(Row {
            credential: Some("AKIAOTHER"),
            ..office(MONDAY + NS_PER_MIN)
        });
        let mut t: EventTable = table(&rows);
        t.child_credential = Column::Values(
            (0..rows.len())
                .map(|i| (i == 0).then_some("AKIANEWKEY"))
                .collect(),
        );
        let s = score_table(&t, &ScoreOptions::default());
        assert!(
            s.scores[0] >= crate::score::SUSPICIOUS,
            "{:?}",
            s.reasons_of(0)
        );
        assert_eq!(signals_of(&s, 1), vec!["lineage"]);
        assert!(signals_of(&s, 2).is_empty());
    }
}
