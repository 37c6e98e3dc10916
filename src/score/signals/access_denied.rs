//! A burst of denied calls (AccessDenied, UnauthorizedOperation, HTTP 401/403): someone
//! finding out what a key may do. Compared with the credential's own worst ten minutes.

use super::{Ctx, Reason, Signal};

pub struct AccessDenied;

pub const WEIGHT: u32 = 20;
const MIN_DENIED: u32 = 5;

impl Signal for AccessDenied {
    fn id(&self) -> &'static str {
        "access_denied"
    }

    fn event(&self, c: &Ctx, out: &mut Vec<Reason>) {
        if !c.t.is_denied(c.i) || !c.mature() {
            return;
        }
        let denied = c.window.denied_10m;
        let before = c.baseline.max_denied_10m;
        if denied >= MIN_DENIED && denied > 2 * before + 2 {
            out.push(Reason::new(
                self.id(),
                WEIGHT,
                format!("{denied} denied calls in 10 min"),
                format!("at most {before} denied in 10 min before"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::score::baseline::{NS_PER_DAY, NS_PER_SEC};
    use crate::score::testkit::*;

    #[test]
    fn five_denied_in_ten_minutes() {
        let mut rows = office_days(3, 10);
        let t = MONDAY + 3 * NS_PER_DAY + 9 * 3_600_000_000_000;
        let n = rows.len();
        for k in 0..6 {
            rows.push(Row {
                status: Some(403),
                action: "GET /api/v1/projects/9/secrets",
                ..office(t + k * 3 * NS_PER_SEC)
            });
        }
        let s = run(&rows);
        let fired: Vec<bool> = (n..n + 6)
            .map(|i| signals_of(&s, i).contains(&"access_denied"))
            .collect();
        assert_eq!(fired, [false, false, false, false, true, true]);
    }
}
