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

    /// Its file, line and record as stored (see [`Place::from_parts`]).
    pub(super) fn to_parts(self) -> (u32, u64, u32) {
        (self.file, self.line, self.record)
    }

    pub(super) fn from_parts(file: u32, line: u64, record: u32) -> Place {
        Place { file, line, record }
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

/// Bytes of an event id kept in the sighting itself: UUIDs (Okta's, CloudTrail's, Entra
/// ID's) are 36.
const INLINE_ID: usize = 38;

/// An event's id, owned: in the sighting itself when it is short enough, so that a later
/// sighting writes its id where the last one's was, not into a string elsewhere in memory
/// (a cache miss for each event of a busy credential or principal: most of them are the
/// latest so far when a log is read in time order).
#[derive(Clone, Debug)]
pub(super) enum EventId {
    Inline { len: u8, bytes: [u8; INLINE_ID] },
    Long(String),
}

impl EventId {
    pub(super) fn new(id: &str) -> EventId {
        let mut kept = EventId::Inline {
            len: 0,
            bytes: [0; INLINE_ID],
        };
        kept.set(id);
        kept
    }

    /// Now `id`, in the memory this one has.
    pub(super) fn set(&mut self, id: &str) {
        match self {
            EventId::Inline { len, bytes } if id.len() <= INLINE_ID => {
                bytes[..id.len()].copy_from_slice(id.as_bytes());
                *len = id.len() as u8;
            }
            EventId::Long(kept) => {
                kept.clear();
                kept.push_str(id);
            }
            _ => *self = EventId::Long(id.to_string()),
        }
    }

    pub(super) fn as_str(&self) -> &str {
        match self {
            // The bytes of a `str`, whole: always UTF-8.
            EventId::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            EventId::Long(id) => id,
        }
    }
}

/// One sighting of a credential, owned: the logs it was read from are gone.
#[derive(Clone, Debug)]
pub(super) struct Seen {
    pub(super) at: Moment,
    pub(super) event_id: Option<EventId>,
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
            (Some(kept), Some(id)) => kept.set(id),
            (kept, id) => *kept = id.map(EventId::new),
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

#[cfg(test)]
mod tests {
    use super::{EventId, INLINE_ID};

    /// An id is kept whole whatever its length and whatever the one before it was: a UUID
    /// in the sighting itself, a longer one (Auth0's log ids) in a string, and a short id
    /// after a long one reads as the short one.
    #[test]
    fn an_event_id_reads_back_whole_after_any_other() {
        let uuid = "48034630-8b82-4e2d-f8f4-28bcadabdd61";
        let long = "90020240101120000000000000000000000000000000000000000001";
        let edge = "é".repeat(INLINE_ID / 2);
        let mut id = EventId::new(uuid);
        assert!(matches!(id, EventId::Inline { .. }));
        for next in [long, uuid, "", &edge, "x", long, "é", uuid] {
            id.set(next);
            assert_eq!(id.as_str(), next);
            assert_eq!(EventId::new(next).as_str(), next);
        }
        assert!(matches!(EventId::new(&edge), EventId::Inline { .. }));
        assert!(matches!(EventId::new(long), EventId::Long(_)));
    }
}
