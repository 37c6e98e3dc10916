//! A dormant credential waking up: a gap since its last use of more than a week and more
//! than three times the longest gap it ever had.

use super::{Ctx, Reason, Signal, human_duration};
use crate::score::baseline::NS_PER_DAY;

pub struct Dormant;

pub const WEIGHT: u32 = 15;
const MIN_EVENTS: u32 = 5;

impl Signal for Dormant {
    fn id(&self) -> &'static str {
        "dormant"
    }

    fn event(&self, c: &Ctx, out: &mut Vec<Reason>) {
        let b = c.own;
        let Some(last) = b.last else {
            return;
        };
        if b.events < MIN_EVENTS {
            return;
        }
        let gap = c.t.ts[c.i] - last;
        if gap > 7 * NS_PER_DAY && gap > 3 * b.longest_gap {
            out.push(Reason::new(
                self.id(),
                WEIGHT,
                format!("first use in {}", human_duration(gap)),
                format!("longest gap before: {}", human_duration(b.longest_gap)),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::score::baseline::NS_PER_DAY;
    use crate::score::testkit::*;

    #[test]
    fn wakes_up_after_three_weeks() {
        let mut rows = office_days(3, 10);
        rows.push(office(MONDAY + 24 * NS_PER_DAY + 10 * 3_600_000_000_000));
        let s = run(&rows);
        let r = &s.reasons_of(rows.len() - 1)[0];
        assert_eq!((r.signal, &*r.value), ("dormant", "first use in 21 d 18 h"));
    }
}
