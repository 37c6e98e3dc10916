//! One outside network new to several credentials: the same attacker host trying each
//! leaked secret (an API token in nginx and an AWS key in CloudTrail, minutes apart), or
//! spraying passwords at the identity provider. Runs after every event has its own reasons,
//! on the events a network signal (or a spray) already flagged.

use crate::score::{FastMap, FastSet};
use std::sync::Arc;

use rayon::prelude::*;

use super::{Across, Findings, Reason, Signal, Wanted};
use crate::score::table::EventTable;
use crate::score::{SHARED_BY, SUSPICIOUS, group_key, total};

pub struct SharedNetwork;

pub const WEIGHT: u32 = 20;
pub const BORN_HOSTILE: u32 = 40;

impl Signal for SharedNetwork {
    fn id(&self) -> &'static str {
        "shared_network"
    }

    fn wants(&self, t: &EventTable, found: &Findings) -> Wanted {
        // Any network could be the estate's for all the events held tell: the hostile
        // ones are among those that would be if none were.
        let (by_network, odd) = novel_calls(t, found, |_| false);
        let mut networks: Vec<String> = hostile(t, found, &by_network, &odd)
            .into_keys()
            .map(str::to_string)
            .collect();
        networks.sort_unstable();
        Wanted {
            networks,
            credentials: Vec::new(),
        }
    }

    fn across(&self, t: &EventTable, ctx: &Across, found: &mut Findings) {
        // A network that several people (or credentials without one) use with no reason
        // at all is the estate's own (an office NAT): when young credentials' baselines
        // still find it new, it is new to several of them at once without being one host
        // trying stolen secrets.
        let mut normal_users: FastMap<&str, FastSet<&str>> = FastMap::default();
        for i in 0..t.len() {
            if let (Some(net), Some(owner)) = (t.network[i], group_key(t, i))
                && found.get(&(i as u32)).is_none_or(Vec::is_empty)
            {
                normal_users.entry(net).or_default().insert(owner);
            }
        }
        if let Some(outside) = ctx.outside {
            for (net, owners) in &outside.normal_owners {
                normal_users
                    .entry(net)
                    .or_default()
                    .extend(owners.iter().map(|o| &**o));
            }
        }
        let estate = |net: &str| normal_users.get(net).is_some_and(|u| u.len() >= SHARED_BY);
        let (by_network, odd) = novel_calls(t, found, estate);
        let hostile = hostile(t, found, &by_network, &odd);
        // Each credential's first call: its time and network.
        let mut born: FastMap<&str, (i64, Option<&str>)> = FastMap::default();
        match ctx.outside {
            Some(outside) => born.extend(
                outside
                    .born
                    .iter()
                    .map(|(s, first)| (&**s, (first.ts, first.network.as_deref()))),
            ),
            None => {
                for i in 0..t.len() {
                    if let Some(s) = t.subject(i) {
                        let e = born.entry(s).or_insert((t.ts[i], t.network[i]));
                        if t.ts[i] < e.0 {
                            *e = (t.ts[i], t.network[i]);
                        }
                    }
                }
            }
        }
        // Which calls get a reason, decided on every core; added in the events' order.
        let other_calls: Vec<(u32, bool, &Hostile)> = (0..t.len())
            .into_par_iter()
            .filter_map(|i| {
                let (net, subject) = (t.network[i]?, t.subject(i)?);
                let network = hostile.get(net)?;
                let first = network.first;
                // A credential whose very first call came from there was born in the
                // attack.
                let born_there = born
                    .get(subject)
                    .is_some_and(|&(ts, n)| n == Some(net) && ts >= t.ts[first as usize]);
                let flagged = by_network
                    .get(net)
                    .is_some_and(|novel| novel.subjects.contains(subject));
                let skip = flagged || i as u32 == first || t.is_service_caller(i);
                (!skip).then_some((i as u32, born_there, network))
            })
            .collect();
        for (i, born_there, hostile) in other_calls {
            let (weight, value) = match born_there {
                true => (BORN_HOSTILE, &hostile.born_there),
                false => (WEIGHT, &hostile.used_there),
            };
            found.entry(i).or_default().push(Reason::shared(
                self.id(),
                weight,
                value.clone(),
                hostile.baseline.clone(),
            ));
        }
        for (
            net,
            Novel {
                subjects,
                owners,
                events,
            },
        ) in by_network
        {
            if owners.len() < 2 || !odd.contains(net) {
                continue;
            }
            // The first few by name, as the report lists them.
            let mut names: Vec<&str> = subjects.iter().copied().collect();
            names.sort_unstable();
            names.truncate(4);
            let more = subjects.len().saturating_sub(names.len());
            let value: Arc<str> = format!("{net} is new to {} credentials", subjects.len()).into();
            let baseline: Arc<str> = format!(
                "{}{}",
                names.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
            .into();
            for i in events {
                found.entry(i).or_default().push(Reason::shared(
                    self.id(),
                    WEIGHT,
                    value.clone(),
                    baseline.clone(),
                ));
            }
        }
    }
}

/// Per network, the calls new to their credential (a network signal, or a spray); and
/// the networks where something besides novelty was odd, of those `estate` does not
/// call the estate's own.
fn novel_calls<'a>(
    t: &EventTable<'a>,
    found: &Findings,
    estate: impl Fn(&str) -> bool,
) -> (FastMap<&'a str, Novel<'a>>, FastSet<&'a str>) {
    // Per network: the credentials its novel calls used, whose they are (a person's
    // weekly Okta sessions are one person's: one host trying several people's secrets,
    // not one person's new network), and the calls.
    let mut by_network: FastMap<&str, Novel> = FastMap::default();
    // A network is only worth tying credentials together if something besides its
    // novelty was odd there: one person travelling uses their Okta session, their Auth0
    // login and their API token from the same hotel, with their usual browser.
    let mut odd: FastSet<&str> = FastSet::default();
    for (&i, reasons) in found.iter() {
        // A new prefix inside a known AS (a CI runner moving) is not worth a pivot.
        let novel = reasons.iter().any(|r| {
            r.signal == "anonymizer"
                || (r.signal == "new_network" && r.weight >= super::new_network::NEW_ASN / 2)
                || (r.signal == "failed_logins" && r.weight == super::failed_logins::SPRAY)
        });
        let iu = i as usize;
        let behaviour = reasons.iter().any(|r| {
            matches!(
                r.signal,
                "anonymizer"
                    | "client"
                    | "failed_logins"
                    | "recon"
                    | "access_denied"
                    | "sensitive_action"
            )
        });
        if let (true, true, Some(net)) = (novel, behaviour, t.network[iu])
            && !estate(net)
        {
            odd.insert(net);
        }
        if let (true, Some(net), Some(subject)) = (novel, t.network[iu], t.subject(iu)) {
            let e = by_network.entry(net).or_default();
            e.subjects.insert(subject);
            e.owners.extend(group_key(t, iu));
            e.events.push(i);
        }
    }
    (by_network, odd)
}

/// Networks that carried a suspicious call new to its credential: every other call from
/// them (a token the attacker just minted has no history to differ from) is the
/// attacker's until shown otherwise. Each with its first suspicious call, and the texts
/// of the reasons its other calls get (the same for all of them: made once, shared).
fn hostile<'a>(
    t: &EventTable<'a>,
    found: &Findings,
    by_network: &FastMap<&'a str, Novel<'a>>,
    odd: &FastSet<&'a str>,
) -> FastMap<&'a str, Hostile> {
    by_network
        .iter()
        .filter(|(net, _)| odd.contains(*net))
        .filter_map(|(net, novel)| {
            novel
                .events
                .iter()
                .copied()
                .filter(|i| total(&found[i]) >= SUSPICIOUS)
                // Ties in time go to the earlier row: `events` is in hash-map order, and a
                // report must not change from one run to the next.
                .min_by_key(|&i| (t.ts[i as usize], i))
                .map(|first| (*net, Hostile::new(t, net, first)))
        })
        .collect()
}

/// The calls new to their credential from one network.
#[derive(Default)]
struct Novel<'a> {
    subjects: FastSet<&'a str>,
    owners: FastSet<&'a str>,
    events: Vec<u32>,
}

/// A network that made a suspicious call new to its credential: that first call, and the
/// texts of the reasons every other call from it gets.
struct Hostile {
    first: u32,
    born_there: Arc<str>,
    used_there: Arc<str>,
    baseline: Arc<str>,
}

impl Hostile {
    fn new(t: &EventTable, net: &str, first: u32) -> Hostile {
        Hostile {
            first,
            born_there: format!(
                "first used from {net}, which made suspicious calls with another credential"
            )
            .into(),
            used_there: format!("{net} made suspicious calls with another credential").into(),
            baseline: format!(
                "{} at {}",
                t.subject(first as usize).unwrap_or("?"),
                crate::stats::rfc3339(t.ts[first as usize])
            )
            .into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::score::baseline::{NS_PER_DAY, NS_PER_MIN};
    use crate::score::testkit::*;

    #[test]
    fn one_host_two_leaked_secrets() {
        let mut rows = office_days(3, 10);
        let key = |r: Row| Row {
            source: "cloudtrail",
            credential: Some("AKIAQ3EGALICE0000001"),
            action: "s3:ListBuckets",
            ..r
        };
        rows.extend(office_days(3, 10).into_iter().map(key));
        let t = MONDAY + 3 * NS_PER_DAY + 10 * 3_600_000_000_000;
        rows.push(attacker(t));
        rows.push(key(attacker(t + 2 * NS_PER_MIN)));
        let n = rows.len();
        let s = run(&rows);
        for i in [n - 2, n - 1] {
            let r = s
                .reasons_of(i)
                .iter()
                .find(|r| r.signal == "shared_network")
                .unwrap();
            assert_eq!(&*r.value, "81.2.69.0/24 is new to 2 credentials");
            assert_eq!(&*r.baseline, "AKIAQ3EGALICE0000001, tt_l…alice");
        }
    }

    /// An office NAT that three people use every day, new to two colleagues whose first
    /// days were from home and who try a new tool there: the estate's own network, not
    /// one host trying two stolen secrets.
    #[test]
    fn a_network_three_credentials_use_normally_is_the_estates() {
        let (rows, colleagues) = colleagues_new_to_the_office();
        let s = run(&rows);
        for i in colleagues {
            assert!(
                signals_of(&s, i).contains(&"new_network"),
                "{:?}",
                s.reasons_of(i)
            );
            assert!(
                !signals_of(&s, i).contains(&"shared_network"),
                "{:?}",
                s.reasons_of(i)
            );
        }
    }

    /// One person's two Okta sessions (a session a week) both new to the network of a
    /// hotel where they try a new tool: one person's new network, not one host trying
    /// two people's secrets. Two people's credentials there would be.
    #[test]
    fn one_persons_sessions_are_one_owner() {
        let session = |principal: &'static str, id: &'static str| {
            move |r: Row| Row {
                source: "okta_system_log",
                principal: Some(principal),
                credential: Some(id),
                action: "user.authentication.sso",
                ..r
            }
        };
        let hotel = |r: Row| Row {
            network: "216.160.83.0/24",
            asn: Some(209),
            client_family: "curl/8",
            client_kind: "cli",
            user_agent: "curl/8.4.0",
            ..r
        };
        let t = MONDAY + 3 * NS_PER_DAY + 10 * 3_600_000_000_000;
        let shared = |other: &'static str| {
            let mut rows: Vec<Row> = office_days(3, 10)
                .into_iter()
                .map(session("alice@acme.example", "102week1"))
                .collect();
            rows.extend(
                office_days(3, 10)
                    .into_iter()
                    .map(session(other, "102week2")),
            );
            rows.push(hotel(session("alice@acme.example", "102week1")(office(t))));
            rows.push(hotel(session(other, "102week2")(office(t + NS_PER_MIN))));
            let n = rows.len();
            let s = run(&rows);
            [n - 2, n - 1].map(|i| signals_of(&s, i).contains(&"shared_network"))
        };
        assert_eq!(shared("alice@acme.example"), [false, false]);
        assert_eq!(shared("bob@acme.example"), [true, true]);
    }

    /// Two credentials' first suspicious calls from one network in the same nanosecond:
    /// a third credential's call from there names the first of them in row order, in
    /// every run (the calls were collected in hash-map order, which changes per run).
    #[test]
    fn a_tie_in_time_names_the_same_credential_every_run() {
        let mut rows = office_days(3, 10);
        let cred = |credential: &'static str| {
            move |r: Row| Row {
                credential: Some(credential),
                ..r
            }
        };
        rows.extend(office_days(3, 10).into_iter().map(cred("tt_live_bob")));
        // A service that always calls from the attacker's network: not novel there.
        let from_there = |ts| {
            cred("tt_live_carol")(Row {
                anonymizer: None,
                ..attacker(ts)
            })
        };
        rows.extend((0..30).map(|d| from_there(MONDAY + d * NS_PER_DAY / 10)));
        let t = MONDAY + 3 * NS_PER_DAY + 10 * 3_600_000_000_000;
        rows.push(attacker(t));
        rows.push(cred("tt_live_bob")(attacker(t)));
        rows.push(from_there(t + 5 * NS_PER_MIN));
        let last = rows.len() - 1;
        for _ in 0..40 {
            let s = run(&rows);
            let r = s
                .reasons_of(last)
                .iter()
                .find(|r| r.signal == "shared_network")
                .unwrap();
            assert!(r.baseline.starts_with("tt_l…alice at "), "{}", r.baseline);
        }
    }
}
