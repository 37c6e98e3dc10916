//! The principals and addresses of a credential: the first few seen, and how many.

use std::hash::BuildHasher;
use std::sync::LazyLock;

use polars::prelude::{PlHashSet, PlRandomState, PlSmallStr};

use super::Moment;
use crate::credentials::LISTED;

/// The values a credential was seen with (principals, addresses) and how many there are.
/// Only the [`LISTED`] first seen are kept as text, each with the moment it was first seen;
/// beyond them a value is counted by its hash: a key used from a million addresses keeps
/// five of them and a million numbers. The first is inline: most credentials have one
/// principal and one address, and a million of them would otherwise be a million lists.
#[derive(Debug, Default)]
pub(super) struct Distinct {
    first: Option<(PlSmallStr, Moment)>,
    rest: Option<Box<Rest>>,
}

#[derive(Debug, Default)]
struct Rest {
    /// With `first`, at most [`LISTED`] values: those first seen earliest.
    listed: Vec<(PlSmallStr, Moment)>,
    /// The hash of every value, once there have been more than [`LISTED`] (empty until
    /// then: every value is listed).
    hashes: PlHashSet<u64>,
    /// Once values are counted by hash: no listed value was first seen after this (most
    /// values of a log read in time order are seen after every listed one).
    latest: Moment,
}

/// Values are counted by a 64-bit hash seeded for the run: two of a credential's
/// addresses would share one by chance once in 10^13 credentials of a million addresses.
static VALUE_HASH: LazyLock<PlRandomState> = LazyLock::new(PlRandomState::default);

pub(super) fn value_hash(value: &str) -> u64 {
    VALUE_HASH.hash_one(value)
}

impl Distinct {
    pub(super) fn see(&mut self, value: &str, at: Moment) {
        self.see_with(value, at, || value.into());
    }

    fn listed_mut(&mut self) -> impl Iterator<Item = &mut (PlSmallStr, Moment)> {
        let rest = self.rest.iter_mut().flat_map(|r| r.listed.iter_mut());
        self.first.iter_mut().chain(rest)
    }

    fn listed(&self) -> impl Iterator<Item = &(PlSmallStr, Moment)> {
        let rest = self.rest.iter().flat_map(|r| r.listed.iter());
        self.first.iter().chain(rest)
    }

    /// `value` seen at `at`; `owned` makes its text when it is listed.
    fn see_with(&mut self, value: &str, at: Moment, owned: impl FnOnce() -> PlSmallStr) {
        if let Some((_, m)) = self.listed_mut().find(|(v, _)| v.as_str() == value) {
            *m = (*m).min(at);
            return;
        }
        if self.first.is_none() {
            self.first = Some((owned(), at));
            return;
        }
        let rest = self.rest.get_or_insert_default();
        if rest.hashes.is_empty() {
            if rest.listed.len() + 1 < LISTED {
                rest.listed.push((owned(), at));
                return;
            }
            // One more than can be listed: from now on every value is counted by hash.
            self.count_by_hash();
        }
        let Some(rest) = self.rest.as_deref_mut() else {
            return;
        };
        rest.hashes.insert(value_hash(value));
        if at >= rest.latest {
            return;
        }
        // Listed in place of the latest listed when first seen before it (a value
        // dropped from the list can come back: its first sighting is then this one).
        if let Some(latest) = self.listed_mut().max_by_key(|(_, m)| *m)
            && at < latest.1
        {
            *latest = (owned(), at);
        }
        self.note_latest();
    }

    fn note_latest(&mut self) {
        let latest = self.listed().map(|(_, m)| *m).max().unwrap_or_default();
        if let Some(rest) = self.rest.as_deref_mut() {
            rest.latest = latest;
        }
    }

    fn count_by_hash(&mut self) {
        let hashes: Vec<u64> = self.listed().map(|(v, _)| value_hash(v)).collect();
        self.rest.get_or_insert_default().hashes.extend(hashes);
        self.note_latest();
    }

    pub(super) fn merge(&mut self, other: Distinct) {
        let Distinct { first, rest } = other;
        let (listed, hashes) = rest.map_or_else(Default::default, |r| (r.listed, r.hashes));
        for (value, at) in first.into_iter().chain(listed) {
            self.see_with(value.as_str(), at, || value.clone());
        }
        if !hashes.is_empty() {
            if self.rest.as_ref().is_none_or(|r| r.hashes.is_empty()) {
                self.count_by_hash();
            }
            if let Some(rest) = self.rest.as_deref_mut() {
                rest.hashes.extend(hashes);
            }
        }
    }

    pub(super) fn len(&self) -> u64 {
        match self.rest.as_deref() {
            Some(rest) if !rest.hashes.is_empty() => rest.hashes.len() as u64,
            _ => self.listed().count() as u64,
        }
    }

    /// The values seen first, in the order they were first seen.
    pub(super) fn earliest(&self) -> Vec<&str> {
        let mut all: Vec<(Moment, &str)> = self.listed().map(|(v, m)| (*m, v.as_str())).collect();
        all.sort_unstable();
        all.into_iter().map(|(_, v)| v).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::Place;
    use super::*;

    /// The values listed are the five first seen and every value is counted once, however
    /// the sightings are split and merged, a value dropped from the list coming back.
    #[test]
    fn the_first_values_seen_are_listed_and_all_are_counted() {
        let at = |ts| Moment {
            ts,
            place: Place::new(0, 1, None),
        };
        // (value, time): nine values, some seen several times, out of order.
        let sightings = [
            ("c", 30),
            ("a", 70),
            ("d", 40),
            ("g", 90),
            ("b", 20),
            ("h", 95),
            ("a", 10),
            ("e", 60),
            ("i", 99),
            ("f", 50),
            ("g", 5),
            ("c", 31),
        ];
        // First seen: g 5, a 10, b 20, c 30, d 40, f 50, e 60, h 95, i 99.
        for split in 0u32..(1 << sightings.len()) {
            let mut here = Distinct::default();
            let mut there = Distinct::default();
            for (i, (v, ts)) in sightings.iter().enumerate() {
                match split & (1 << i) != 0 {
                    true => here.see(v, at(*ts)),
                    false => there.see(v, at(*ts)),
                }
            }
            here.merge(there);
            assert_eq!(here.len(), 9, "split {split:012b}");
            assert_eq!(
                here.earliest(),
                ["g", "a", "b", "c", "d"],
                "split {split:012b}"
            );
        }
        let mut few = Distinct::default();
        few.see("x", at(2));
        few.see("y", at(1));
        few.see("x", at(3));
        assert_eq!((few.len(), few.earliest()), (2, vec!["y", "x"]));
    }
}
