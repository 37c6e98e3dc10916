//! Rate and data volume against the credential's own history: more calls in an hour than
//! three times its busiest hour, or more bytes out in an hour than three times its largest
//! hour (and at least 10 MB).

use super::{Ctx, Reason, Signal, human_bytes};

pub struct Volume;

pub const RATE: u32 = 15;
pub const DATA: u32 = 20;
const MIN_CALLS_1H: u32 = 30;
const MIN_BYTES_1H: u64 = 10_000_000;
/// The event itself must move a real share of it: the calls after an export are not.
const MIN_BYTES_EVENT: u64 = 100_000;

impl Signal for Volume {
    fn id(&self) -> &'static str {
        "volume"
    }

    fn event(&self, c: &Ctx, out: &mut Vec<Reason>) {
        if !c.mature() {
            return;
        }
        let (w, b) = (c.window, c.baseline);
        if c.t.bytes[c.i].unwrap_or(0) >= MIN_BYTES_EVENT
            && w.bytes_1h >= MIN_BYTES_1H
            && w.bytes_1h > 3 * b.max_bytes_1h
        {
            out.push(Reason::new(
                self.id(),
                DATA,
                format!("{} out in 1 h", human_bytes(w.bytes_1h)),
                format!("at most {} in 1 h before", human_bytes(b.max_bytes_1h)),
            ));
        }
        if w.events_1h >= MIN_CALLS_1H && w.events_1h > 3 * b.max_events_1h {
            out.push(Reason::new(
                self.id(),
                RATE,
                format!("{} calls in 1 h", w.events_1h),
                format!("at most {} calls in 1 h before", b.max_events_1h),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::score::baseline::{NS_PER_DAY, NS_PER_SEC};
    use crate::score::testkit::*;

    #[test]
    fn a_bulk_export_and_a_crawl() {
        let mut rows = office_days(3, 10);
        let t = MONDAY + 3 * NS_PER_DAY + 9 * 3_600_000_000_000;
        rows.push(Row {
            bytes: Some(48_213_004),
            action: "GET /api/v1/export",
            ..office(t)
        });
        let n = rows.len();
        for k in 0..40 {
            rows.push(office(t + (k + 1) * 5 * NS_PER_SEC));
        }
        let s = run(&rows);
        assert_eq!(
            &*s.reasons_of(n - 1)
                .iter()
                .find(|r| r.signal == "volume")
                .unwrap()
                .value,
            "48.2 MB out in 1 h"
        );
        assert!(
            signals_of(&s, n + 10).is_empty(),
            "31 calls: not yet 3x the busiest hour of 2"
        );
        assert!(
            s.reasons_of(n + 39)
                .iter()
                .any(|r| &*r.value == "41 calls in 1 h")
        );
    }
}
