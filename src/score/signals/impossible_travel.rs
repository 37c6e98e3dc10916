//! A person in two places too far apart for the time between: the previous located event
//! of the same person and this one, more than 500 km apart at more than 1,000 km/h. Only
//! for people (a browser, an interactive sign-in), never for automation that legitimately
//! runs in several regions at once.

use super::{Ctx, Reason, Signal, human_duration};
use crate::score::table::{EventTable, is_identity_provider};

pub struct ImpossibleTravel;

pub const WEIGHT: u32 = 30;
const MIN_KM: f64 = 500.0;
const MAX_KMH: f64 = 1_000.0;

/// Great-circle distance in km.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// A browser, or an identity provider's interactive sign-in: a person, not a program.
fn is_person(t: &EventTable, i: usize) -> bool {
    t.client_kind[i] == Some("browser")
        || is_identity_provider(t.source[i])
            && t.action[i]
                .is_some_and(|a| a == "sign_in" || a.contains("session.start") || a == "login")
}

impl Signal for ImpossibleTravel {
    fn id(&self) -> &'static str {
        "impossible_travel"
    }

    fn event(&self, c: &Ctx, out: &mut Vec<Reason>) {
        let (t, i) = (c.t, c.i);
        if c.trusted_address || !is_person(t, i) {
            return;
        }
        let (Some(j), Some(lat), Some(lon)) = (c.previous_located, t.lat[i], t.lon[i]) else {
            return;
        };
        if !is_person(t, j) {
            return;
        }
        let (Some(plat), Some(plon)) = (t.lat[j], t.lon[j]) else {
            return;
        };
        if c.config.trusts_address(t.src_ip[j], t.asn[j]) && c.trusted_address {
            return;
        }
        let km = distance_km((plat, plon), (lat, lon));
        let dt = (t.ts[i] - t.ts[j]).max(1);
        let hours = dt as f64 / 3.6e12;
        let speed = km / hours;
        if km < MIN_KM || speed < MAX_KMH {
            return;
        }
        let place = |k: usize| {
            format!(
                "{} ({})",
                t.src_ip[k].unwrap_or("?"),
                t.country[k].unwrap_or("?")
            )
        };
        out.push(Reason::new(
            self.id(),
            WEIGHT,
            format!(
                "{} → {}: {:.0} km in {} ({:.0} km/h)",
                place(j),
                place(i),
                km,
                human_duration(dt),
                speed
            ),
            format!("a person travels at most {MAX_KMH:.0} km/h"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::score::baseline::{NS_PER_HOUR, NS_PER_MIN};
    use crate::score::testkit::*;

    #[test]
    fn distance() {
        let km = super::distance_km((59.33, 18.06), (51.5, -0.1));
        assert!((km - 1430.0).abs() < 30.0, "{km}");
    }

    #[test]
    fn stockholm_to_london_in_20_minutes_not_in_9_hours() {
        let far = |ts| Row {
            ip: "81.2.69.160",
            network: "81.2.69.0/24",
            country: Some("GB"),
            location: Some((51.5, -0.1)),
            ..office(ts)
        };
        let s = run(&[office(MONDAY), far(MONDAY + 20 * NS_PER_MIN)]);
        assert_eq!(signals_of(&s, 1), vec!["impossible_travel"]);
        let s = run(&[office(MONDAY), far(MONDAY + 9 * NS_PER_HOUR)]);
        assert!(signals_of(&s, 1).is_empty());
        // Automation is not a person.
        let bot = |r: Row| Row {
            client_kind: "library",
            client_family: "go-http-client/1",
            ..r
        };
        let s = run(&[bot(office(MONDAY)), bot(far(MONDAY + 20 * NS_PER_MIN))]);
        assert!(signals_of(&s, 1).is_empty());
    }
}
