//! Reconnaissance: a credential asking who it is for the first time (`GetCallerIdentity`,
//! `/me`), and bursts of enumeration across many services in ten minutes, well beyond the
//! credential's own busiest ten minutes.

use super::{Ctx, Reason, Signal};
use crate::score::actions::ActionClass;
use crate::score::baseline::Familiarity;

pub struct Recon;

pub const IDENTITY_CHECK: u32 = 15;
pub const ENUMERATION_BURST: u32 = 20;
const MIN_SERVICES: u32 = 4;
const MIN_LISTINGS: u32 = 10;

impl Signal for Recon {
    fn id(&self) -> &'static str {
        "recon"
    }

    fn event(&self, c: &Ctx, out: &mut Vec<Reason>) {
        if !c.mature() {
            return;
        }
        let class = c.actions.class(c.i);
        let action = c.actions.template(c.i).unwrap_or("?");
        if class == ActionClass::IdentityCheck
            && c.baseline.action(c.actions.of_event[c.i]) == Familiarity::New
        {
            out.push(Reason::new(
                self.id(),
                IDENTITY_CHECK,
                format!("first identity check: {action}"),
                format!("{} never asked who it is", c.scope_text()),
            ));
            return;
        }
        let recon_like = matches!(class, ActionClass::IdentityCheck | ActionClass::Enumeration)
            || c.t.is_denied(c.i);
        if !recon_like {
            return;
        }
        let w = c.window;
        let services = w.services_10m();
        if services >= MIN_SERVICES && services > c.baseline.max_services_10m + 2 {
            out.push(Reason::new(
                self.id(),
                ENUMERATION_BURST,
                format!("{services} services in 10 min ({action})"),
                format!(
                    "at most {} services in 10 min before",
                    c.baseline.max_services_10m
                ),
            ));
            return;
        }
        let listings = w
            .recent()
            .filter(|&j| c.actions.class(j as usize) == ActionClass::Enumeration)
            .count() as u32;
        if listings >= MIN_LISTINGS && w.events_10m > 3 * c.baseline.max_events_10m.max(1) {
            out.push(Reason::new(
                self.id(),
                ENUMERATION_BURST,
                format!("{listings} listings in 10 min ({action})"),
                format!(
                    "at most {} calls in 10 min before",
                    c.baseline.max_events_10m
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::score::baseline::{NS_PER_DAY, NS_PER_SEC};
    use crate::score::testkit::*;

    #[test]
    fn first_identity_check_and_a_burst_across_services() {
        let mut rows = aws_days("s3:ListBuckets", 3, 8);
        let t = MONDAY + 3 * NS_PER_DAY + 3 * 3_600_000_000_000;
        let burst = [
            "sts:GetCallerIdentity",
            "iam:ListUsers",
            "iam:ListAccessKeys",
            "ec2:DescribeInstances",
            "rds:DescribeDBInstances",
            "secretsmanager:ListSecrets",
        ];
        let n = rows.len();
        for (k, a) in burst.iter().enumerate() {
            rows.push(aws(a, t + k as i64 * 5 * NS_PER_SEC));
        }
        let s = run(&rows);
        let recon = |i: usize| -> Vec<String> {
            s.reasons_of(i)
                .iter()
                .filter(|r| r.signal == "recon")
                .map(|r| r.value.to_string())
                .collect()
        };
        assert_eq!(recon(n), ["first identity check: sts:GetCallerIdentity"]);
        assert!(recon(n + 1).is_empty(), "two services is not a burst");
        let last = s.reasons_of(n + 5);
        assert!(
            last.iter()
                .any(|r| r.signal == "recon" && r.value.starts_with("5 services in 10 min")),
            "{last:?}"
        );
    }
}
