//! The first time a credential mints a credential, changes privileges, touches logging or
//! reads data, weighted by how much that class of action matters. An admin who rotates
//! keys every week did it before: the weight falls to half once seen, and to nothing once
//! seen on two days.

use super::{Ctx, Reason, Signal};
use crate::score::actions::ActionClass;
use crate::score::baseline::Familiarity;

pub struct SensitiveAction;

impl Signal for SensitiveAction {
    fn id(&self) -> &'static str {
        "sensitive_action"
    }

    fn event(&self, c: &Ctx, out: &mut Vec<Reason>) {
        let class = c.actions.class(c.i);
        let full = class.first_seen_weight();
        if full == 0 {
            narrow_credential(c, out);
            return;
        }
        // Without a history, only evasion is judged: nothing else is "first" yet.
        if !c.mature() && class != ActionClass::Evasion {
            return;
        }
        let id = c.actions.of_event[c.i];
        let familiarity = if c.mature() {
            c.baseline.action(id)
        } else {
            Familiarity::New
        };
        let mut weight = match familiarity {
            Familiarity::New => full,
            Familiarity::Recent => full / 2,
            Familiarity::Established => return,
        };
        let denied = c.t.is_denied(c.i);
        if denied {
            weight += 5;
        }
        let action = c.actions.template(c.i).unwrap_or("?");
        out.push(Reason::new(
            self.id(),
            weight,
            format!(
                "{} {}: {action}{}",
                if familiarity == Familiarity::New {
                    "first"
                } else {
                    "rare"
                },
                class.as_str().replace('_', " "),
                if denied { " (denied)" } else { "" }
            ),
            format!(
                "{} distinct actions of {} before",
                c.baseline.actions.len(),
                c.scope_text()
            ),
        ));
    }
}

/// Automation does the same few things: a deploy key that only ever assumed a role and
/// now lists users has changed hands, even if listing users is harmless for a person.
pub const NARROW_ACTIONS: usize = 5;
pub const NEW_FOR_NARROW: u32 = 10;

fn narrow_credential(c: &Ctx, out: &mut Vec<Reason>) {
    let b = c.baseline;
    let id = c.actions.of_event[c.i];
    if !c.mature()
        || b.actions.len() > NARROW_ACTIONS
        || id == crate::score::actions::NO_ACTION
        || b.action(id) != Familiarity::New
        || c.actions.class(c.i) == ActionClass::SignIn
    {
        return;
    }
    let mut usual: Vec<&str> = b
        .actions
        .keys()
        .map(|&a| c.actions.templates[a as usize].as_str())
        .collect();
    usual.sort_unstable();
    out.push(Reason::new(
        "sensitive_action",
        NEW_FOR_NARROW,
        format!(
            "first {} by a credential that does few things",
            c.actions.template(c.i).unwrap_or("?")
        ),
        format!("{} only did: {}", c.scope_text(), usual.join(", ")),
    ));
}

#[cfg(test)]
mod tests {
    use crate::score::baseline::NS_PER_DAY;
    use crate::score::testkit::*;

    #[test]
    fn first_key_minting_weighs_a_routine_rotation_fades() {
        let mut rows = aws_days("s3:ListBuckets", 3, 8);
        for week in 0..3 {
            rows.push(aws(
                "iam:CreateAccessKey",
                MONDAY + (3 + week * 7) * NS_PER_DAY,
            ));
        }
        let n = rows.len();
        let s = run(&rows);
        let w = |i: usize| {
            s.reasons_of(i)
                .iter()
                .filter(|r| r.signal == "sensitive_action")
                .map(|r| r.weight)
                .sum::<u32>()
        };
        assert_eq!(w(n - 3), 30);
        assert_eq!(
            &*s.reasons_of(n - 3)[0].value,
            "first credential minting: iam:CreateAccessKey"
        );
        assert_eq!(w(n - 2), 15);
        assert_eq!(w(n - 1), 0);
    }

    #[test]
    fn evasion_counts_even_without_history() {
        let s = run(&[Row {
            error_code: Some("AccessDenied"),
            ..aws("cloudtrail:StopLogging", MONDAY)
        }]);
        assert_eq!(s.reasons_of(0)[0].weight, 40);
    }
}
