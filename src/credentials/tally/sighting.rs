//! Where and when a credential was seen: the order of events (the frame's), and the last
//! sighting that survives the removal of repeated deliveries.

use polars::prelude::{PlHashSet, PlSmallStr};

/// Where an event is in the inputs. Events of the same time are in this order, as in the
/// frame: input, then line, then record of a JSON array.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct Place {
    pub(super) file: u32,
    pub(super) line: u64,
    /// The record's index in its array plus one; 0 for a record that is a line.
    record: u32,
}

impl Place {
    pub(super) fn new(file: u32, line: u64, record_index: Option<u32>) -> Place {
        Place {
            file,
            line,
            record: record_index.map_or(0, |r| r.saturating_add(1)),
        }
    }

    pub(super) fn record_index(self) -> Option<u32> {
        self.record.checked_sub(1)
    }
}

/// When and where an event is: the order of the frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Moment {
    pub(super) ts: i64,
    pub(super) place: Place,
}

/// One sighting of a credential, owned: the logs it was read from are gone.
#[derive(Clone, Debug)]
pub(super) struct Seen {
    pub(super) at: Moment,
    /// A `String`, not a `PlSmallStr`: a later sighting writes its id into the memory of
    /// the one it replaces (most ids are longer than a small string holds inline).
    pub(super) event_id: Option<String>,
    pub(super) src_ip: Option<PlSmallStr>,
    /// An event with a delivery key: it may turn out to be a repeated delivery.
    pub(super) keyed: bool,
}

/// The last sighting of a credential: its latest event, the last in input order of those
/// at that time. While that event may be a repeated delivery, the events at the same time
/// before it are kept too: if it is one, the latest of them that is not takes its place
/// (its kept copy is among them).
#[derive(Clone, Debug)]
pub(super) struct Last {
    pub(super) seen: Seen,
    pub(super) rivals: Vec<Seen>,
}

impl Last {
    pub(super) fn of(seen: Seen) -> Last {
        Last {
            seen,
            rivals: Vec::new(),
        }
    }

    /// A sighting later than the last one so far takes its place, written into the
    /// memory of the one it replaces; any other is offered as a [`Seen`] made by `make`.
    pub(super) fn offer_later(
        &mut self,
        (at, event_id, src_ip, keyed): (Moment, Option<&str>, Option<&str>, bool),
        make: impl FnOnce() -> Seen,
    ) {
        if at.ts <= self.seen.at.ts {
            return self.offer(make());
        }
        let seen = &mut self.seen;
        seen.at = at;
        seen.keyed = keyed;
        match (&mut seen.event_id, event_id) {
            (Some(kept), Some(id)) => {
                kept.clear();
                kept.push_str(id);
            }
            (kept, id) => *kept = id.map(String::from),
        }
        if seen.src_ip.as_deref() != src_ip {
            seen.src_ip = src_ip.map(PlSmallStr::from);
        }
        self.rivals.clear();
    }

    pub(super) fn offer(&mut self, s: Seen) {
        match s.at.ts.cmp(&self.seen.at.ts) {
            std::cmp::Ordering::Less => {}
            std::cmp::Ordering::Greater => {
                self.seen = s;
                self.rivals.clear();
            }
            std::cmp::Ordering::Equal if s.at.place > self.seen.at.place => {
                let before = std::mem::replace(&mut self.seen, s);
                match self.seen.keyed {
                    true => self.rivals.push(before),
                    false => self.rivals.clear(),
                }
            }
            std::cmp::Ordering::Equal => {
                if self.seen.keyed {
                    self.rivals.push(s);
                }
            }
        }
    }

    pub(super) fn merge(&mut self, other: Last) {
        let ts = other.seen.at.ts;
        self.offer(other.seen);
        // The other's rivals are before its last at the same time: rivals here too.
        if self.seen.keyed && self.seen.at.ts == ts {
            self.rivals.extend(other.rivals);
        }
    }

    /// The sightings at `removed` places were repeated deliveries.
    pub(super) fn forget(&mut self, removed: &PlHashSet<Place>) {
        self.rivals.retain(|r| !removed.contains(&r.at.place));
        if removed.contains(&self.seen.at.place)
            && let Some(best) = (0..self.rivals.len()).max_by_key(|&i| self.rivals[i].at.place)
        {
            self.seen = self.rivals.swap_remove(best);
        }
    }
}
