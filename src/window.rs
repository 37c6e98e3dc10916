//! `--since` / `--until`: the span of time a run reads. A responder knows roughly when a
//! leak can have begun; an archive holds years. Events outside the window are counted
//! per input and not kept, and a dataset's day partitions outside it are not opened, so
//! that a hunt over a long archive costs what the window holds, not what the archive
//! holds.

/// Nanoseconds in a day: a dataset's `date=YYYY-MM-DD` partition holds that UTC day.
const DAY_NS: i64 = 86_400 * 1_000_000_000;

/// Events at or after `since` and before `until` (ns since the epoch, UTC); either end
/// may be open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeWindow {
    pub since: Option<i64>,
    pub until: Option<i64>,
}

impl TimeWindow {
    /// The window of `--since` and `--until`, or why it is empty.
    pub fn new(since: Option<i64>, until: Option<i64>) -> Result<TimeWindow, String> {
        if let (Some(s), Some(u)) = (since, until)
            && s >= u
        {
            return Err(format!(
                "--since {} is not before --until {}: no event could be read",
                crate::stats::rfc3339(s),
                crate::stats::rfc3339(u)
            ));
        }
        Ok(TimeWindow { since, until })
    }

    /// No bound: every event is read.
    pub fn is_unbounded(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    pub fn contains(&self, ts: i64) -> bool {
        self.since.is_none_or(|s| ts >= s) && self.until.is_none_or(|u| ts < u)
    }

    /// Whether some instant of `[start, end)` is in the window.
    pub fn overlaps(&self, start: i64, end: i64) -> bool {
        start < end && self.since.is_none_or(|s| end > s) && self.until.is_none_or(|u| start < u)
    }

    /// Whether the UTC day `YYYY-MM-DD` (a dataset's `date=` partition) overlaps the
    /// window; `None` when `day` is not such a date (then the table is read and filtered).
    pub fn overlaps_day(&self, day: &str) -> Option<bool> {
        let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
        let start = date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_nanos_opt()?;
        Some(self.overlaps(start, start.checked_add(DAY_NS)?))
    }
}

#[cfg(test)]
mod tests {
    use super::TimeWindow;
    use crate::cli::parse_time;

    fn at(text: &str) -> i64 {
        parse_time(text).unwrap()
    }

    #[test]
    fn since_is_inclusive_and_until_exclusive() {
        let w = TimeWindow::new(Some(at("2026-02-17")), Some(at("2026-02-18"))).unwrap();
        assert!(!w.contains(at("2026-02-16T23:59:59.999999999Z")));
        assert!(w.contains(at("2026-02-17T00:00:00Z")));
        assert!(w.contains(at("2026-02-17T23:59:59.999999999Z")));
        assert!(!w.contains(at("2026-02-18T00:00:00Z")));
        let open = TimeWindow::new(None, Some(at("2026-02-18"))).unwrap();
        assert!(open.contains(i64::MIN) && !open.contains(at("2026-02-18")));
        assert!(TimeWindow::default().is_unbounded() && TimeWindow::default().contains(0));
    }

    /// `--since`/`--until` text: a date, RFC 3339 with any offset; a date the table's
    /// nanoseconds cannot hold is out of range, other text is not a time.
    #[test]
    fn window_ends_are_dates_or_rfc3339_times() {
        assert_eq!(at("2026-02-17T02:00:00+02:00"), at("2026-02-17T00:00:00Z"));
        assert_eq!(at("2026-02-17"), at("2026-02-17T00:00:00Z"));
        assert_eq!(at("1970-01-01"), 0);
        for far in ["3000-01-01", "1600-01-01", "2263-01-01T00:00:00Z"] {
            let err = parse_time(far).unwrap_err();
            assert!(err.contains("out of range"), "{far}: {err}");
        }
        for wrong in ["yesterday", "2026-02-30", "17/02/2026", ""] {
            let err = parse_time(wrong).unwrap_err();
            assert!(err.contains("is not a time"), "{wrong}: {err}");
        }
    }

    #[test]
    fn an_empty_window_is_refused() {
        let day = Some(at("2026-02-17"));
        let err = TimeWindow::new(day, day).unwrap_err();
        assert!(err.contains("2026-02-17T00:00:00Z"), "{err}");
        assert!(TimeWindow::new(Some(at("2026-02-18")), day).is_err());
    }

    /// A day partition is read when any instant of its day is in the window: the day
    /// `until` falls on (after its midnight) is read, the day it starts is not.
    #[test]
    fn day_partitions_in_and_out_of_the_window() {
        let w = TimeWindow::new(Some(at("2026-02-17T12:00:00Z")), Some(at("2026-02-19"))).unwrap();
        assert_eq!(w.overlaps_day("2026-02-16"), Some(false));
        assert_eq!(w.overlaps_day("2026-02-17"), Some(true));
        assert_eq!(w.overlaps_day("2026-02-18"), Some(true));
        assert_eq!(w.overlaps_day("2026-02-19"), Some(false));
        let mid = TimeWindow::new(None, Some(at("2026-02-19T00:00:01Z"))).unwrap();
        assert_eq!(mid.overlaps_day("2026-02-19"), Some(true));
        assert_eq!(w.overlaps_day("unknown"), None);
        assert_eq!(w.overlaps_day("2026-02-30"), None);
        assert_eq!(TimeWindow::default().overlaps_day("1970-01-01"), Some(true));
    }
}
