//! Activity at an hour (UTC, with the hour either side) where this credential has less
//! than 2% of its history, or on a weekend when it has never worked weekends. A nightly
//! job that always runs at 02:00 has 02:00 in its history and never fires.

use super::{Ctx, Reason, Signal};
use crate::score::baseline::{NS_PER_DAY, NS_PER_HOUR};

pub struct OffHours;

pub const HOUR: u32 = 10;
pub const WEEKEND: u32 = 5;
const MIN_EVENTS: u32 = 30;
const MIN_DAYS: u32 = 3;

impl Signal for OffHours {
    fn id(&self) -> &'static str {
        "off_hours"
    }

    fn event(&self, c: &Ctx, out: &mut Vec<Reason>) {
        let b = c.baseline;
        if b.events < MIN_EVENTS || b.days < MIN_DAYS {
            return;
        }
        let ts = c.t.ts[c.i];
        let hour = ts.div_euclid(NS_PER_HOUR).rem_euclid(24) as usize;
        let weekday = (ts.div_euclid(NS_PER_DAY) + 3).rem_euclid(7) as usize;
        let weekend = weekday >= 5;
        let weekend_share = f64::from(b.weekdays[5] + b.weekdays[6]) / f64::from(b.events);
        let odd_hour = b.hour_share(hour) < 0.02;
        let odd_day = weekend && weekend_share < 0.02;
        if !odd_hour && !odd_day {
            return;
        }
        let minute = ts.div_euclid(60_000_000_000).rem_euclid(60);
        let day = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][weekday];
        out.push(Reason::new(
            self.id(),
            u32::from(odd_hour) * HOUR + u32::from(odd_day) * WEEKEND,
            format!("{day} {hour:02}:{minute:02} UTC"),
            format!(
                "usual hours of {}: {}{}",
                c.scope_text(),
                b.usual_hours(),
                if odd_day { ", weekdays only" } else { "" }
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::score::baseline::{NS_PER_DAY, NS_PER_HOUR};
    use crate::score::testkit::*;

    #[test]
    fn night_and_weekend_for_office_workers_not_for_a_nightly_job() {
        let mut rows = office_days(4, 10);
        rows.push(office(MONDAY + 4 * NS_PER_DAY + NS_PER_HOUR));
        rows.push(office(MONDAY + 5 * NS_PER_DAY + 10 * NS_PER_HOUR));
        let n = rows.len();
        let s = run(&rows);
        assert_eq!(&*s.reasons_of(n - 2)[0].value, "Fri 01:00 UTC");
        assert_eq!(
            &*s.reasons_of(n - 2)[0].baseline,
            "usual hours of this credential: 08-15 UTC"
        );
        assert_eq!(s.reasons_of(n - 1)[0].weight, super::WEEKEND);
        let nightly: Vec<Row> = (0..10)
            .flat_map(|d| {
                (0..4).map(move |k| {
                    office(MONDAY + d * NS_PER_DAY + 2 * NS_PER_HOUR + k * 60_000_000_000)
                })
            })
            .collect();
        let s = run(&nightly);
        assert!(s.reasons.is_empty(), "{:?}", s.reasons);
    }
}
