//! A network this credential has not used: a new country weighs most, then a new AS, then
//! a new /24 (or /48) inside a known AS. A network used on two distinct days becomes normal
//! (people travel, CI runners move), unless an event from it was suspicious.

use super::{Ctx, Reason, Signal};
use crate::score::baseline::Familiarity;

pub struct NewNetwork;

pub const NEW_COUNTRY: u32 = 25;
pub const NEW_ASN: u32 = 20;
pub const NEW_PREFIX: u32 = 8;
/// Without GeoIP databases the prefix is all there is to go on.
pub const NEW_PREFIX_NO_GEO: u32 = 15;

impl Signal for NewNetwork {
    fn id(&self) -> &'static str {
        "new_network"
    }

    fn event(&self, c: &Ctx, out: &mut Vec<Reason>) {
        if !c.mature() || !c.foreign_address() {
            return;
        }
        let (t, i, b) = (c.t, c.i, c.baseline);
        let net = t.network[i].unwrap_or("?");
        // The coarsest level that is not established decides: country, then AS, then
        // prefix. Each level is only judged when the level above is known and normal.
        let found = match (t.country[i], t.asn[i]) {
            (Some(country), asn) if b.country(country) != Familiarity::Established => {
                let asn_text = asn.map_or(String::new(), |a| format!(" AS{a}"));
                level(
                    b.country(country),
                    NEW_COUNTRY,
                    format!("country {country} ({net}{asn_text})"),
                    format!("countries: {}", b.countries.known()),
                )
            }
            (_, Some(asn)) if b.asn(asn) != Familiarity::Established => level(
                b.asn(asn),
                NEW_ASN,
                format!("AS{asn} ({net})"),
                format!("networks (AS): {}", b.asns.known()),
            ),
            (country, asn) => {
                let (weight, inside) = match (asn, country) {
                    (Some(a), _) => (NEW_PREFIX, format!(" inside known AS{a}")),
                    (None, Some(c)) => (NEW_PREFIX, format!(" in known country {c}")),
                    (None, None) => (NEW_PREFIX_NO_GEO, String::new()),
                };
                level(
                    b.network(net),
                    weight,
                    format!("network {net}{inside}"),
                    format!("networks: {}", b.networks.known()),
                )
            }
        };
        if let Some((weight, value, baseline)) = found {
            out.push(Reason::new(
                self.id(),
                weight,
                value,
                format!("{} of {}", baseline, c.scope_text()),
            ));
        }
    }
}

/// A reason at one level: full weight when new, half when only recently first seen.
fn level(
    f: Familiarity,
    weight: u32,
    what: String,
    baseline: String,
) -> Option<(u32, String, String)> {
    match f {
        Familiarity::New => Some((weight, format!("new {what}"), baseline)),
        Familiarity::Recent => Some((weight / 2, format!("recently first seen {what}"), baseline)),
        Familiarity::Established => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::score::baseline::{NS_PER_DAY, NS_PER_HOUR};
    use crate::score::testkit::*;

    fn reason(rows: &[Row], i: usize) -> Option<(u32, String)> {
        let s = run(rows);
        s.reasons_of(i)
            .iter()
            .find(|r| r.signal == "new_network")
            .map(|r| (r.weight, r.value.to_string()))
    }

    #[test]
    fn country_then_as_then_prefix() {
        let mut rows = office_days(3, 10);
        let t = MONDAY + 3 * NS_PER_DAY + 10 * NS_PER_HOUR;
        rows.push(Row {
            country: Some("GB"),
            ip: "81.2.69.166",
            network: "81.2.69.0/24",
            asn: Some(20712),
            ..office(t)
        });
        let n = rows.len() - 1;
        let (w, v) = reason(&rows, n).unwrap();
        assert_eq!(w, super::NEW_COUNTRY);
        assert!(
            v.starts_with("new country GB (81.2.69.0/24 AS20712)"),
            "{v}"
        );
        rows[n] = Row {
            asn: Some(3301),
            network: "89.161.0.0/24",
            ..office(t)
        };
        assert_eq!(reason(&rows, n).unwrap().0, super::NEW_ASN);
        rows[n] = Row {
            network: "89.160.21.0/24",
            ..office(t)
        };
        assert_eq!(reason(&rows, n).unwrap().0, super::NEW_PREFIX);
        rows[n] = office(t);
        assert_eq!(reason(&rows, n), None);
    }

    #[test]
    fn a_network_used_on_two_days_becomes_normal() {
        let mut rows = office_days(3, 10);
        let away = |d: i64| Row {
            country: Some("US"),
            asn: Some(209),
            network: "216.160.83.0/24",
            ..office(MONDAY + d * NS_PER_DAY + 12 * NS_PER_HOUR)
        };
        rows.extend([away(3), away(4), away(5)]);
        let n = rows.len();
        let s = run(&rows);
        let w = |i: usize| {
            s.reasons_of(i)
                .iter()
                .filter(|r| r.signal == "new_network")
                .map(|r| r.weight)
                .sum::<u32>()
        };
        assert_eq!(w(n - 3), super::NEW_COUNTRY);
        assert_eq!(w(n - 2), super::NEW_COUNTRY / 2, "seen one day: recent");
        assert_eq!(w(n - 1), 0, "seen two days: normal");
    }

    #[test]
    fn no_novelty_without_history_nor_for_trusted_or_private_addresses() {
        let rows = vec![attacker(MONDAY)];
        assert_eq!(reason(&rows, 0), None);
        let mut rows = office_days(3, 10);
        rows.push(Row {
            ip_class: "private",
            network: "10.0.0.0/24",
            country: None,
            asn: None,
            ..office(MONDAY + 3 * NS_PER_DAY)
        });
        assert_eq!(reason(&rows, rows.len() - 1), None);
    }
}
