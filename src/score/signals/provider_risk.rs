//! The identity provider's own verdicts: Okta's risk level and threat detections, Entra's
//! risk level during sign-in and risk state, and Auth0's detection of a reused refresh
//! token.

use super::{Across, Ctx, Findings, Reason, Signal};
use crate::config::Config;
use crate::score::FastMap;
use crate::score::baseline::NS_PER_DAY;
use crate::score::table::EventTable;

pub struct ProviderRisk;

/// A call of a refresh-token family from a network new to it, before Auth0 saw one of the
/// family's tokens used twice.
pub const REPLAYED: u32 = 25;
/// How long before the detection a replay may lie: Auth0's rotating refresh tokens live
/// 30 days at most by default.
const REUSE_LOOKBACK: i64 = 30 * NS_PER_DAY;

pub fn weight(risk: &str) -> u32 {
    let r = risk.to_ascii_lowercase();
    if r.contains("confirmedcompromised") || r.contains("high") {
        30
    } else if r.contains("threatsuspected") || r.contains("atrisk") {
        25
    } else if r.contains("medium") {
        15
    } else {
        0
    }
}

impl Signal for ProviderRisk {
    fn id(&self) -> &'static str {
        "provider_risk"
    }

    fn event(&self, c: &Ctx, out: &mut Vec<Reason>) {
        let Some(risk) = c.t.risk[c.i] else {
            return;
        };
        let w = weight(risk);
        if w > 0 {
            out.push(Reason::new(
                self.id(),
                w,
                risk.to_string(),
                "the identity provider's own risk assessment".into(),
            ));
        }
    }

    /// A rotating refresh token is used once: when Auth0 finds one reused (`ferrt`, on
    /// whichever holder came second, often the owner's app the next morning), two parties
    /// held the family, and its earlier calls from a network new to it are the other's
    /// replays. The detection itself is not marked: it is the owner's call.
    fn reads_across(&self, t: &EventTable, _config: &Config, i: usize) -> bool {
        t.source[i] == Some("auth0")
            && t.action[i] == Some("token_exchange.rotating_refresh_token")
            && t.is_failure(i)
            && t.credential[i].is_some()
    }

    fn across(&self, t: &EventTable, ctx: &Across, found: &mut Findings) {
        let mut detected: FastMap<&str, Vec<i64>> = FastMap::default();
        for i in 0..t.len() {
            if self.reads_across(t, ctx.config, i)
                && let Some(c) = t.credential[i]
            {
                detected.entry(c).or_default().push(t.ts[i]);
            }
        }
        if detected.is_empty() {
            return;
        }
        for (&i, reasons) in found.iter_mut() {
            let i = i as usize;
            let Some(times) = t.credential[i].and_then(|c| detected.get(c)) else {
                continue;
            };
            let new_network = reasons
                .iter()
                .any(|r| matches!(r.signal, "new_network" | "anonymizer"));
            let detection = times
                .iter()
                .copied()
                .filter(|&d| d > t.ts[i] && d - t.ts[i] <= REUSE_LOOKBACK)
                .min();
            if let (true, Some(at)) = (new_network, detection) {
                reasons.push(Reason::new(
                    self.id(),
                    REPLAYED,
                    format!(
                        "refresh token reused: Auth0 detected a replay at {}",
                        crate::stats::rfc3339(at)
                    ),
                    "a rotating refresh token is used once".into(),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::score::baseline::{NS_PER_DAY, NS_PER_HOUR};
    use crate::score::testkit::*;

    /// A refresh-token family replayed at night from a new network, then found reused by
    /// Auth0 when its owner's app refreshes the next morning: the replay is marked, the
    /// owner's detection is not; without the detection nothing is.
    #[test]
    fn a_reused_refresh_token_marks_the_replay_not_the_owner() {
        let exchange = "token_exchange.refresh_token";
        let family = |action: &'static str, row: Row| Row {
            source: "auth0",
            credential: Some("SPA1:auth0|bob"),
            principal: Some("auth0|bob"),
            action,
            status: None,
            ..row
        };
        let replayed = |detected: bool| {
            let mut rows: Vec<Row> = office_days(5, 8)
                .into_iter()
                .map(|r| family(exchange, r))
                .collect();
            let night = MONDAY + 5 * NS_PER_DAY + 21 * NS_PER_HOUR;
            let replay = rows.len();
            rows.push(family(
                exchange,
                Row {
                    anonymizer: None,
                    ..attacker(night)
                },
            ));
            let owner = rows.len();
            if detected {
                rows.push(family(
                    "token_exchange.rotating_refresh_token",
                    Row {
                        outcome: "failure",
                        ..office(night + 11 * NS_PER_HOUR)
                    },
                ));
            }
            let s = run(&rows);
            (
                signals_of(&s, replay).contains(&"provider_risk"),
                detected && signals_of(&s, owner).contains(&"provider_risk"),
            )
        };
        assert_eq!(replayed(true), (true, false));
        assert_eq!(replayed(false), (false, false));
    }

    #[test]
    fn weights() {
        assert_eq!(super::weight("during sign-in: high; state: atRisk"), 30);
        assert_eq!(super::weight("{level=MEDIUM}"), 15);
        assert_eq!(super::weight("{level=LOW}"), 0);
        assert_eq!(super::weight("threatSuspected"), 25);
    }
}
