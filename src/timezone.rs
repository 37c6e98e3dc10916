//! `--tz`: the zone of times written without one. nginx's error.log writes the server's
//! local time (`2026/03/04 01:07:12`) with no offset; without `--tz` it is read as UTC and
//! the event says so (`assumed_utc`).

use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone};

/// A fixed offset (`+01:00`, `-0530`, `UTC`) or a named zone with its daylight-saving
/// rules (`Europe/Berlin`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LocalZone {
    Fixed(chrono::FixedOffset),
    Named(chrono_tz::Tz),
}

impl LocalZone {
    pub fn parse(text: &str) -> Result<LocalZone, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") {
            return Ok(LocalZone::Fixed(chrono::Utc.fix()));
        }
        if let Some(offset) = parse_offset(t) {
            return Ok(LocalZone::Fixed(offset));
        }
        t.parse::<chrono_tz::Tz>().map(LocalZone::Named).map_err(|_| {
            format!("`{text}` is not a time zone (use an offset such as +01:00, or a name such as Europe/Berlin)")
        })
    }

    /// A wall-clock time of this zone, given as if it were UTC nanoseconds, as true UTC
    /// nanoseconds. In the hour a clock goes back the first of the two moments is taken;
    /// in the hour it skips, the time is read with the offset before the change.
    pub fn local_to_utc(&self, as_if_utc: i64) -> i64 {
        let naive = DateTime::from_timestamp_nanos(as_if_utc).naive_utc();
        let utc = match self {
            LocalZone::Fixed(o) => resolve(o, naive),
            LocalZone::Named(tz) => resolve(tz, naive),
        };
        utc.unwrap_or(as_if_utc)
    }
}

fn resolve<Z: TimeZone>(zone: &Z, naive: NaiveDateTime) -> Option<i64> {
    let local = match zone.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t,
        chrono::LocalResult::Ambiguous(first, _) => first,
        chrono::LocalResult::None => {
            // A skipped hour: the offset an hour earlier still held.
            let before = zone
                .from_local_datetime(&(naive - Duration::hours(1)))
                .earliest()?;
            return (before.naive_utc() + Duration::hours(1))
                .and_utc()
                .timestamp_nanos_opt();
        }
    };
    local.naive_utc().and_utc().timestamp_nanos_opt()
}

/// `+01:00`, `+0100`, `-05`, `UTC+2`.
fn parse_offset(text: &str) -> Option<chrono::FixedOffset> {
    let t = text
        .strip_prefix("UTC")
        .or_else(|| text.strip_prefix("GMT"))
        .unwrap_or(text);
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, t.get(1..)?),
        b'-' => (-1, t.get(1..)?),
        _ => return None,
    };
    let digits: Vec<i32> = rest
        .bytes()
        .filter(|b| *b != b':')
        .map(|b| b.is_ascii_digit().then_some(i32::from(b - b'0')))
        .collect::<Option<_>>()?;
    let (h, m) = match digits.as_slice() {
        [h] => (*h, 0),
        [h1, h2] => (h1 * 10 + h2, 0),
        [h, m1, m2] => (*h, m1 * 10 + m2),
        [h1, h2, m1, m2] => (h1 * 10 + h2, m1 * 10 + m2),
        _ => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    chrono::FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(rfc3339: &str) -> i64 {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .timestamp_nanos_opt()
            .unwrap()
    }

    #[test]
    fn offsets_and_names_turn_wall_clock_into_utc() {
        let wall = ns("2026-03-04T01:07:12Z");
        let plus_one = LocalZone::parse("+01:00").unwrap();
        assert_eq!(plus_one.local_to_utc(wall), ns("2026-03-04T00:07:12Z"));
        assert_eq!(
            LocalZone::parse("-0530").unwrap().local_to_utc(wall),
            ns("2026-03-04T06:37:12Z")
        );
        assert_eq!(LocalZone::parse("UTC").unwrap().local_to_utc(wall), wall);
        // Berlin is UTC+1 in winter and UTC+2 in summer.
        let berlin = LocalZone::parse("Europe/Berlin").unwrap();
        assert_eq!(berlin.local_to_utc(wall), ns("2026-03-04T00:07:12Z"));
        let july = ns("2026-07-04T01:07:12Z");
        assert_eq!(berlin.local_to_utc(july), ns("2026-07-03T23:07:12Z"));
    }

    #[test]
    fn clock_changes_have_one_answer() {
        let berlin = LocalZone::parse("Europe/Berlin").unwrap();
        // 2026-03-29 02:30 does not exist in Berlin (clocks jump 02:00 -> 03:00).
        assert_eq!(
            berlin.local_to_utc(ns("2026-03-29T02:30:00Z")),
            ns("2026-03-29T01:30:00Z")
        );
        // 2026-10-25 02:30 happens twice (03:00 -> 02:00): the first, still UTC+2.
        assert_eq!(
            berlin.local_to_utc(ns("2026-10-25T02:30:00Z")),
            ns("2026-10-25T00:30:00Z")
        );
    }

    #[test]
    fn nonsense_is_refused_with_a_hint() {
        for bad in ["Mars/Olympus", "+25:00", "1:00", ""] {
            let err = LocalZone::parse(bad).unwrap_err();
            assert!(err.contains("not a time zone"), "{bad}: {err}");
        }
    }
}
