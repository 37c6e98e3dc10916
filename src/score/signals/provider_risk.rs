//! The identity provider's own verdicts: Okta's risk level and threat detections, Entra's
//! risk level during sign-in and risk state.

use super::{Ctx, Reason, Signal};

pub struct ProviderRisk;

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
}

#[cfg(test)]
mod tests {
    #[test]
    fn weights() {
        assert_eq!(super::weight("during sign-in: high; state: atRisk"), 30);
        assert_eq!(super::weight("{level=MEDIUM}"), 15);
        assert_eq!(super::weight("{level=LOW}"), 0);
        assert_eq!(super::weight("threatSuspected"), 25);
    }
}
