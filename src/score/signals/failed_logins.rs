//! Failed sign-ins: a burst against one account, lockouts and IP blocks, a success right
//! after failures (a guessed password), and one address failing against many accounts
//! (password spraying).

use super::{Across, Ctx, Findings, Reason, Signal};
use crate::config::Config;
use crate::score::baseline::NS_PER_HOUR;
use crate::score::table::{EventTable, is_identity_provider};
use crate::score::{FastMap, FastSet};

pub struct FailedLogins;

pub const BURST: u32 = 15;
pub const LOCKOUT: u32 = 20;
pub const SUCCESS_AFTER_FAILURES: u32 = 25;
pub const SPRAY: u32 = 25;
pub const UNFAMILIAR_FAILURE: u32 = 10;
const MIN_FAILURES: usize = 5;
const MIN_SPRAYED: usize = 5;

fn is_lockout(action: &str, error: Option<&str>) -> bool {
    let a = action.to_ascii_lowercase();
    a.contains("account.lock")
        || a.starts_with("blocked.")
        || error.is_some_and(|e| e.contains("LOCKED_OUT") || e.starts_with("50053"))
}

impl Signal for FailedLogins {
    fn id(&self) -> &'static str {
        "failed_logins"
    }

    fn event(&self, c: &Ctx, out: &mut Vec<Reason>) {
        let (t, i) = (c.t, c.i);
        if !matches!(
            c.actions.class(i),
            crate::score::actions::ActionClass::SignIn
        ) && !t.action[i].is_some_and(|a| a.contains("lock") || a.starts_with("blocked."))
        {
            return;
        }
        if t.action[i].is_some_and(|a| is_lockout(a, t.error_code[i])) {
            out.push(Reason::new(
                self.id(),
                LOCKOUT,
                t.action[i].unwrap_or("?").to_string(),
                "lockouts and blocks follow repeated failures".into(),
            ));
            return;
        }
        let failures = c
            .window
            .recent()
            .filter(|&j| j as usize != i && t.is_failure(j as usize))
            .count();
        let unfamiliar = c.mature() && c.foreign_address() && !c.network_established();
        if t.is_failure(i) && failures + 1 < MIN_FAILURES && unfamiliar {
            out.push(Reason::new(
                self.id(),
                UNFAMILIAR_FAILURE,
                "failed sign-in from a network this account does not use".into(),
                format!("{} failures in all before", c.baseline.failures),
            ));
        } else if t.is_failure(i) && failures + 1 >= MIN_FAILURES {
            out.push(Reason::new(
                self.id(),
                BURST,
                format!("{} failed sign-ins in 10 min", failures + 1),
                format!("{} failures in all before", c.baseline.failures),
            ));
        } else if !t.is_failure(i) && failures >= 3 && !c.network_established() {
            out.push(Reason::new(
                self.id(),
                SUCCESS_AFTER_FAILURES,
                format!("success after {failures} failures in 10 min"),
                "from a network this account does not normally use".into(),
            ));
        }
    }

    fn reads_across(&self, t: &EventTable, config: &Config, i: usize) -> bool {
        t.is_failure(i)
            && t.principal[i].is_some()
            && t.src_ip[i].is_some()
            && is_identity_provider(t.source[i])
            && !config.trusts_address(t.src_ip[i], t.asn[i])
    }

    fn across(&self, t: &EventTable, ctx: &Across, found: &mut Findings) {
        // Per source address, failures against distinct accounts within an hour.
        let mut by_ip: FastMap<&str, Vec<usize>> = FastMap::default();
        for i in 0..t.len() {
            if self.reads_across(t, ctx.config, i)
                && let Some(ip) = t.src_ip[i]
            {
                by_ip.entry(ip).or_default().push(i);
            }
        }
        for (ip, mut events) in by_ip {
            events.sort_by_key(|&i| t.ts[i]);
            // Every failure of a window that reaches the threshold is part of the spray,
            // the first ones too: count per event the largest such window it belongs to.
            let mut sprayed: FastMap<usize, usize> = FastMap::default();
            let mut start = 0;
            for end in 0..events.len() {
                while t.ts[events[end]] - t.ts[events[start]] > NS_PER_HOUR {
                    start += 1;
                }
                let accounts: FastSet<&str> = events[start..=end]
                    .iter()
                    .filter_map(|&j| t.principal[j])
                    .collect();
                if accounts.len() >= MIN_SPRAYED {
                    for &j in &events[start..=end] {
                        let n = sprayed.entry(j).or_default();
                        *n = (*n).max(accounts.len());
                    }
                }
            }
            for (j, accounts) in sprayed {
                found.entry(j as u32).or_default().push(Reason::new(
                    "failed_logins",
                    SPRAY,
                    format!("{ip} failed against {accounts} accounts in 1 h"),
                    "password spraying".into(),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::score::baseline::NS_PER_SEC;
    use crate::score::testkit::*;

    fn okta(principal: &'static str, outcome: &'static str, ts: i64) -> Row {
        Row {
            source: "okta_system_log",
            credential: None,
            principal: Some(principal),
            action: "user.session.start",
            outcome,
            status: None,
            ..attacker(ts)
        }
    }

    #[test]
    fn a_failure_from_an_unfamiliar_network_not_from_home() {
        let mut rows: Vec<Row> = office_days(3, 10)
            .into_iter()
            .map(|r| Row {
                source: "auth0",
                credential: None,
                principal: Some("alice@x"),
                action: "login",
                status: None,
                ..r
            })
            .collect();
        let t = MONDAY + 3 * 86_400 * NS_PER_SEC + 10 * 3_600 * NS_PER_SEC;
        rows.push(Row {
            outcome: "failure",
            ..rows[0].clone()
        });
        rows.last_mut().unwrap().ts = t;
        rows.push(Row {
            source: "auth0",
            credential: None,
            principal: Some("alice@x"),
            action: "login",
            outcome: "failure",
            status: None,
            ..attacker(t + 60 * NS_PER_SEC)
        });
        let n = rows.len();
        let s = run(&rows);
        let unfamiliar = |i: usize| {
            s.reasons_of(i)
                .iter()
                .any(|r| r.weight == super::UNFAMILIAR_FAILURE && r.signal == "failed_logins")
        };
        assert!(!unfamiliar(n - 2), "a typo from the office");
        assert!(unfamiliar(n - 1), "{:?}", s.reasons_of(n - 1));
    }

    #[test]
    fn burst_success_after_failures_and_spray() {
        let mut rows: Vec<Row> = (0..5)
            .map(|k| okta("bob@example.com", "failure", MONDAY + k * NS_PER_SEC))
            .collect();
        rows.push(okta("bob@example.com", "success", MONDAY + 10 * NS_PER_SEC));
        let s = run(&rows);
        assert!(
            s.reasons_of(4)
                .iter()
                .any(|r| &*r.value == "5 failed sign-ins in 10 min")
        );
        assert!(
            s.reasons_of(5)
                .iter()
                .any(|r| &*r.value == "success after 5 failures in 10 min")
        );
        let users = ["a@x", "b@x", "c@x", "d@x", "e@x"];
        let rows: Vec<Row> = users
            .iter()
            .enumerate()
            .map(|(k, u)| okta(u, "failure", MONDAY + k as i64 * 60 * NS_PER_SEC))
            .collect();
        let s = run(&rows);
        assert!(
            s.reasons_of(4)
                .iter()
                .any(|r| &*r.value == "81.2.69.166 failed against 5 accounts in 1 h")
        );
        assert!(
            s.reasons_of(0)
                .iter()
                .any(|r| r.value.contains("5 accounts")),
            "the first failure is part of it"
        );
        let s = run(&rows[..4]);
        assert!(
            s.reasons
                .values()
                .flatten()
                .all(|r| !r.value.contains("accounts"))
        );
    }
}
