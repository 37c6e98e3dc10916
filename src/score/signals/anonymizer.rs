//! Calls from Tor, public or residential proxies, anonymizing VPNs and hosting networks
//! (MaxMind Anonymous-IP, or the identity provider's own proxy flag), unless the credential
//! uses that network normally (a CI runner lives in a hosting network).

use super::{Ctx, Reason, Signal};

pub struct Anonymizer;

pub fn weight(kind: &str) -> u32 {
    match kind {
        "tor" => 30,
        "public_proxy" | "residential_proxy" | "vpn" | "anonymous" => 20,
        "hosting" => 15,
        _ => 10,
    }
}

impl Signal for Anonymizer {
    fn id(&self) -> &'static str {
        "anonymizer"
    }

    fn event(&self, c: &Ctx, out: &mut Vec<Reason>) {
        if c.trusted_address || c.network_established() {
            return;
        }
        let kind = match (c.t.anonymizer[c.i], c.t.provider_proxy[c.i]) {
            (Some(k), _) => k,
            (None, Some(true)) => "proxy (identity provider)",
            _ => return,
        };
        let ip = c.t.src_ip[c.i].unwrap_or("?");
        out.push(Reason::new(
            self.id(),
            weight(kind),
            format!("{ip} is {kind}"),
            format!("{} has not used this network normally", c.scope_text()),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::score::baseline::NS_PER_DAY;
    use crate::score::testkit::*;

    #[test]
    fn tor_fires_even_on_a_new_credential_hosting_does_not_once_normal() {
        let s = run(&[attacker(MONDAY)]);
        assert_eq!(signals_of(&s, 0), vec!["anonymizer"]);
        assert_eq!(s.reasons_of(0)[0].weight, 30);
        // A CI runner in a hosting network, every day: normal after two days.
        let ci = |d: i64, k: i64| Row {
            anonymizer: Some("hosting"),
            ..office(MONDAY + d * NS_PER_DAY + k * 3_600_000_000_000)
        };
        let rows: Vec<Row> = (0..4).flat_map(|d| (0..6).map(move |k| ci(d, k))).collect();
        let s = run(&rows);
        assert!(signals_of(&s, 0).contains(&"anonymizer"));
        assert!(signals_of(&s, rows.len() - 1).is_empty());
    }
}
