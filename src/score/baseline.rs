//! What is normal for one credential (or one principal): learned from its own history, in
//! time order, so each event is compared with what came before it and nothing after.
//!
//! The baseline adapts: a network, country or client that the credential keeps using on
//! two distinct days becomes normal (CI runners move, people travel), unless an event from
//! it scored as suspicious: a tainted sighting never becomes normal, so an attacker cannot
//! launder a network by coming back to it.

use crate::score::FastMap;
use std::collections::VecDeque;

use super::table::EventTable;

pub const NS_PER_SEC: i64 = 1_000_000_000;
pub const NS_PER_MIN: i64 = 60 * NS_PER_SEC;
pub const NS_PER_HOUR: i64 = 60 * NS_PER_MIN;
pub const NS_PER_DAY: i64 = 24 * NS_PER_HOUR;

/// A baseline needs this many events over this many distinct days before novelty means
/// anything: the first events of every credential are all "new".
pub const MATURE_EVENTS: u32 = 10;
pub const MATURE_DAYS: u32 = 2;
/// Distinct days a network or client must be used on before it counts as normal.
pub const ESTABLISH_DAYS: u32 = 2;

/// One value (an IP, a network, a client) seen by a credential.
#[derive(Clone, Debug)]
pub struct Sighting {
    pub first: i64,
    pub last: i64,
    pub count: u32,
    pub days: u32,
    last_day: i64,
    /// An event from it scored as suspicious.
    pub tainted: bool,
}

impl Sighting {
    fn new(ts: i64) -> Sighting {
        Sighting {
            first: ts,
            last: ts,
            count: 0,
            days: 0,
            last_day: i64::MIN,
            tainted: false,
        }
    }

    fn see(&mut self, ts: i64, suspicious: bool) {
        // Only what was not yet normal is tainted: an attack from the owner's own office
        // does not make the office suspicious.
        self.tainted |= suspicious && !self.established();
        let day = ts.div_euclid(NS_PER_DAY);
        if day != self.last_day {
            self.days += 1;
            self.last_day = day;
        }
        self.count += 1;
        self.last = ts;
    }

    pub fn established(&self) -> bool {
        !self.tainted && self.days >= ESTABLISH_DAYS
    }
}

/// How well a value is known to a baseline.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Familiarity {
    /// Never seen before.
    New,
    /// Seen, but not on enough days yet (or only in suspicious events).
    Recent,
    Established,
}

/// The values of one kind a baseline has seen (networks, clients…), and the order in which
/// they became established, so a reason can name the usual ones without sorting.
#[derive(Clone, Debug)]
pub struct Seen<K> {
    map: FastMap<K, Sighting>,
    established: Vec<K>,
}

impl<K> Default for Seen<K> {
    fn default() -> Self {
        Seen {
            map: FastMap::default(),
            established: Vec::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Clone + std::fmt::Display> Seen<K> {
    pub fn familiarity(&self, key: &K) -> Familiarity {
        match self.map.get(key) {
            None => Familiarity::New,
            Some(s) if s.established() => Familiarity::Established,
            Some(_) => Familiarity::Recent,
        }
    }

    fn see(&mut self, key: K, ts: i64, suspicious: bool) {
        let s = self
            .map
            .entry(key.clone())
            .or_insert_with(|| Sighting::new(ts));
        let was = s.established();
        s.see(ts, suspicious);
        if !was && s.established() {
            self.established.push(key);
        }
    }

    /// How many distinct values were seen.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.map.keys()
    }

    /// The established values, first established first, as a short list for a reason.
    pub fn known(&self) -> String {
        let shown: Vec<String> = self.established.iter().take(4).map(K::to_string).collect();
        let more = self.established.len().saturating_sub(shown.len());
        match (shown.is_empty(), more) {
            (true, _) => "none established".to_string(),
            (false, 0) => shown.join(", "),
            (false, n) => format!("{} and {n} more", shown.join(", ")),
        }
    }
}

/// The learned profile of one credential or principal.
#[derive(Default, Clone, Debug)]
pub struct Baseline<'a> {
    pub events: u32,
    pub days: u32,
    last_day: i64,
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub networks: Seen<&'a str>,
    pub asns: Seen<u32>,
    pub countries: Seen<&'a str>,
    /// Client families without their version: a browser update is not a new client.
    pub clients: Seen<&'a str>,
    /// Route templates or event names, by [`super::actions::ActionIndex`] id.
    pub actions: Seen<u32>,
    /// Events per hour of day (UTC) and per day of week (0 = Monday).
    pub hours: [u32; 24],
    pub weekdays: [u32; 7],
    /// The longest quiet gap between two events.
    pub longest_gap: i64,
    /// Highest counts seen in any sliding window, from unsuspicious events only.
    pub max_events_10m: u32,
    pub max_denied_10m: u32,
    pub max_services_10m: u32,
    pub max_events_1h: u32,
    pub max_bytes_1h: u64,
    pub failures: u32,
    /// A person (a browser, or interactive sign-ins) rather than automation.
    pub human: bool,
}

impl<'a> Baseline<'a> {
    pub fn mature(&self) -> bool {
        self.events >= MATURE_EVENTS && self.days >= MATURE_DAYS
    }

    pub fn network(&self, net: &str) -> Familiarity {
        self.networks.familiarity(&net)
    }
    pub fn asn(&self, asn: u32) -> Familiarity {
        self.asns.familiarity(&asn)
    }
    pub fn country(&self, c: &str) -> Familiarity {
        self.countries.familiarity(&c)
    }
    pub fn client(&self, family: &str) -> Familiarity {
        self.clients.familiarity(&client_base(family))
    }
    pub fn action(&self, id: u32) -> Familiarity {
        self.actions.familiarity(&id)
    }

    /// Share of this baseline's events in `hour` and the hours either side of it.
    pub fn hour_share(&self, hour: usize) -> f64 {
        if self.events == 0 {
            return 0.0;
        }
        let near = self.hours[(hour + 23) % 24] + self.hours[hour] + self.hours[(hour + 1) % 24];
        f64::from(near) / f64::from(self.events)
    }

    /// The usual hours as a short text: `08-17 UTC`.
    pub fn usual_hours(&self) -> String {
        let active: Vec<usize> = (0..24)
            .filter(|&h| f64::from(self.hours[h]) >= 0.02 * f64::from(self.events.max(1)))
            .collect();
        match (active.first(), active.last()) {
            (Some(a), Some(b)) if active.len() == b - a + 1 => format!("{a:02}-{b:02} UTC"),
            _ => {
                let hs: Vec<String> = active.iter().map(|h| format!("{h:02}")).collect();
                format!("{} UTC", hs.join(","))
            }
        }
    }

    /// Learn the busiest windows. Called with an hour's lag (see [`Lagged`]), so a burst
    /// is compared with what came before it, not with its own first minutes.
    pub fn learn_window(&mut self, w: &WindowCounts) {
        self.max_events_10m = self.max_events_10m.max(w.events_10m);
        self.max_denied_10m = self.max_denied_10m.max(w.denied_10m);
        self.max_services_10m = self.max_services_10m.max(w.services_10m);
        self.max_events_1h = self.max_events_1h.max(w.events_1h);
        self.max_bytes_1h = self.max_bytes_1h.max(w.bytes_1h);
    }

    /// Learn one event. Suspicious events still count as seen, but taint what they used;
    /// notable ones do not teach hours or gaps.
    pub fn learn(&mut self, t: &EventTable<'a>, i: usize, action: u32, how: Learning) {
        let suspicious = how.suspicious;
        let ts = t.ts[i];
        if let Some(last) = self.last
            && !how.notable
        {
            self.longest_gap = self.longest_gap.max(ts - last);
        }
        self.first.get_or_insert(ts);
        self.last = Some(ts);
        self.events += 1;
        let day = ts.div_euclid(NS_PER_DAY);
        if self.days == 0 || day != self.last_day {
            self.days += 1;
            self.last_day = day;
        }
        if let Some(n) = t.network[i] {
            self.networks.see(n, ts, suspicious);
        }
        if let Some(a) = t.asn[i] {
            self.asns.see(a, ts, suspicious);
        }
        if let Some(c) = t.country[i] {
            self.countries.see(c, ts, suspicious);
        }
        if let Some(f) = t.client_family[i] {
            self.clients.see(client_base(f), ts, suspicious);
        }
        if action != super::actions::NO_ACTION {
            self.actions.see(action, ts, suspicious);
        }
        if t.is_failure(i) {
            self.failures += 1;
        }
        if t.client_kind[i] == Some("browser") {
            self.human = true;
        }
        if how.notable {
            return;
        }
        let hour = ts.div_euclid(NS_PER_HOUR).rem_euclid(24) as usize;
        self.hours[hour] += 1;
        // 1970-01-01 was a Thursday.
        let weekday = (day + 3).rem_euclid(7) as usize;
        self.weekdays[weekday] += 1;
    }
}

/// How an event's score lets the baselines learn from it.
#[derive(Copy, Clone, Debug, Default)]
pub struct Learning {
    /// At or above the suspicious threshold: taints the new values it used.
    pub suspicious: bool,
    /// At or above the notable threshold: kept out of hours, gaps and rates.
    pub notable: bool,
}

/// `chrome/122` → `chrome`: versions change without the client changing.
pub fn client_base(family: &str) -> &str {
    family.split('/').next().unwrap_or(family)
}

/// The counts of a window at one moment.
#[derive(Copy, Clone, Debug, Default)]
pub struct WindowCounts {
    pub events_10m: u32,
    pub denied_10m: u32,
    pub services_10m: u32,
    pub events_1h: u32,
    pub bytes_1h: u64,
}

/// Window counts waiting an hour before a baseline learns them. Counts of suspicious
/// events are dropped: an attack's rate is never normal.
#[derive(Default, Debug)]
pub struct Lagged {
    pending: VecDeque<(i64, WindowCounts)>,
}

impl Lagged {
    pub fn push(&mut self, ts: i64, counts: WindowCounts, suspicious: bool) {
        if !suspicious {
            self.pending.push_back((ts, counts));
        }
    }

    /// Hand the counts older than an hour before `now` to the baseline.
    pub fn release(&mut self, now: i64, baseline: &mut Baseline) {
        while let Some(&(ts, c)) = self.pending.front() {
            if now - ts <= NS_PER_HOUR {
                break;
            }
            baseline.learn_window(&c);
            self.pending.pop_front();
        }
    }
}

/// The recent activity of one credential: sliding windows of ten minutes and one hour,
/// including the event being scored.
#[derive(Default, Debug)]
pub struct Window {
    ten: VecDeque<(i64, u32, bool, u32)>,
    hour: VecDeque<(i64, u64)>,
    services: FastMap<u32, u32>,
    pub events_10m: u32,
    pub denied_10m: u32,
    pub events_1h: u32,
    pub bytes_1h: u64,
}

impl Window {
    pub fn push(&mut self, ts: i64, idx: u32, denied: bool, service: u32, bytes: u64) {
        while let Some(&(t0, _, d, s)) = self.ten.front() {
            if ts - t0 < 10 * NS_PER_MIN {
                break;
            }
            self.ten.pop_front();
            self.events_10m -= 1;
            self.denied_10m -= u32::from(d);
            if let Some(n) = self.services.get_mut(&s) {
                *n -= 1;
                if *n == 0 {
                    self.services.remove(&s);
                }
            }
        }
        while let Some(&(t0, b)) = self.hour.front() {
            if ts - t0 < NS_PER_HOUR {
                break;
            }
            self.hour.pop_front();
            self.events_1h -= 1;
            self.bytes_1h -= b;
        }
        self.ten.push_back((ts, idx, denied, service));
        self.events_10m += 1;
        self.denied_10m += u32::from(denied);
        *self.services.entry(service).or_default() += 1;
        self.hour.push_back((ts, bytes));
        self.events_1h += 1;
        self.bytes_1h += bytes;
    }

    pub fn services_10m(&self) -> u32 {
        self.services.len() as u32
    }

    pub fn counts(&self) -> WindowCounts {
        WindowCounts {
            events_10m: self.events_10m,
            denied_10m: self.denied_10m,
            services_10m: self.services_10m(),
            events_1h: self.events_1h,
            bytes_1h: self.bytes_1h,
        }
    }

    /// Event indices in the last ten minutes, oldest first.
    pub fn recent(&self) -> impl Iterator<Item = u32> + '_ {
        self.ten.iter().map(|e| e.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sightings_become_normal_after_two_days_unless_tainted() {
        let mut s = Sighting::new(0);
        s.see(0, false);
        s.see(NS_PER_HOUR, false);
        assert!(!s.established(), "one day is not enough");
        s.see(NS_PER_DAY + 5, false);
        assert!(s.established());
        s.see(2 * NS_PER_DAY, true);
        assert!(s.established(), "what was normal stays normal");
        let mut probe = Sighting::new(0);
        probe.see(0, true);
        probe.see(NS_PER_DAY, false);
        probe.see(2 * NS_PER_DAY, false);
        assert!(
            !probe.established(),
            "a network first used in an attack never is"
        );
    }

    #[test]
    fn windows_slide() {
        let mut w = Window::default();
        w.push(0, 0, true, 1, 10);
        w.push(5 * NS_PER_MIN, 1, false, 2, 10);
        assert_eq!((w.events_10m, w.denied_10m, w.services_10m()), (2, 1, 2));
        w.push(11 * NS_PER_MIN, 2, false, 2, 5);
        assert_eq!((w.events_10m, w.denied_10m, w.services_10m()), (2, 0, 1));
        assert_eq!((w.events_1h, w.bytes_1h), (3, 25));
        w.push(70 * NS_PER_MIN, 3, false, 2, 1);
        assert_eq!((w.events_1h, w.bytes_1h), (2, 6));
        assert_eq!(w.recent().collect::<Vec<_>>(), vec![3]);
    }

    #[test]
    fn usual_hours_read_as_a_range() {
        let mut b = Baseline::default();
        for h in 8..18 {
            b.hours[h] = 10;
        }
        b.events = 100;
        assert_eq!(b.usual_hours(), "08-17 UTC");
        assert!(b.hour_share(3) < 0.01);
        assert!(b.hour_share(12) > 0.2);
    }
}
