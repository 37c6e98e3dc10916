//! The principals and addresses of a credential: the first few seen, and how many.

use std::hash::BuildHasher;
use std::sync::LazyLock;

use polars::prelude::{PlRandomState, PlSmallStr};

use super::Moment;
use crate::credentials::{Few, LISTED};

/// The values a credential was seen with (principals, addresses) and how many there are.
/// Only the [`LISTED`] first seen are kept as text, each with the moment it was first seen;
/// beyond them a value is counted by its hash: a key used from a million addresses keeps
/// five of them and a million numbers. The first is inline: most credentials have one
/// principal and one address, and a million of them would otherwise be a million lists.
#[derive(Debug, Default)]
pub(super) struct Distinct {
    first: Option<Listed>,
    rest: Option<Box<Rest>>,
}

/// A listed value, with its hash: an event is matched against the list by hash first
/// (comparing the text of five addresses on every event of a busy key was 4% of
/// `credentials` on CloudTrail).
#[derive(Debug)]
struct Listed {
    value: PlSmallStr,
    hash: u64,
    at: Moment,
}

#[derive(Debug, Default)]
struct Rest {
    /// The hashes of `listed`, in its order: a value that is not listed (most values of a
    /// busy principal or key) is told apart from all of them by reading these 32 bytes,
    /// not each listed value where it lies (11.3 M misses of a 2 MB cache against 12.2 M
    /// on the Okta bench's first 250,000 events, docs/performance.md).
    hashes: [u64; LISTED - 1],
    /// With `first`, at most [`LISTED`] values: those first seen earliest.
    listed: Vec<Listed>,
    /// The hash of every value, once there have been more than [`LISTED`] (both empty
    /// until then: every value is listed): `counted` sorted and distinct, `fresh` as seen
    /// since, sorted into `counted` when it has grown. Appending is a write to the end of
    /// a short vector; a hash set probed a random place of a large table on every event,
    /// a cache miss for each of a busy key's events (8% of `credentials` on CloudTrail).
    counted: Vec<u64>,
    fresh: Vec<u64>,
    /// Once values are counted by hash: no listed value was first seen after this (most
    /// values of a log read in time order are seen after every listed one).
    latest: Moment,
}

/// `fresh` is sorted into `counted` once it holds this many hashes, or half as many as
/// `counted` (so that each hash is merged a bounded number of times).
const FRESH: usize = 256;

impl Rest {
    fn counting(&self) -> bool {
        !self.counted.is_empty() || !self.fresh.is_empty()
    }

    /// `hashes` made again from `listed` (whenever the list changes: its first values).
    fn sync_hashes(&mut self) {
        for (h, l) in self.hashes.iter_mut().zip(&self.listed) {
            *h = l.hash;
        }
    }

    fn count(&mut self, hash: u64) {
        self.fresh.push(hash);
        if self.fresh.len() >= FRESH.max(self.counted.len() / 2) {
            self.settle();
        }
    }

    /// `fresh` sorted into `counted`: one merge of two sorted runs.
    fn settle(&mut self) {
        if self.fresh.is_empty() {
            return;
        }
        self.fresh.sort_unstable();
        self.fresh.dedup();
        if self.counted.is_empty() {
            std::mem::swap(&mut self.counted, &mut self.fresh);
            return;
        }
        let (old, new) = (&self.counted, &self.fresh);
        let mut merged = Vec::with_capacity(old.len() + new.len());
        let (mut i, mut j) = (0, 0);
        while i < old.len() && j < new.len() {
            let (a, b) = (old[i], new[j]);
            merged.push(a.min(b));
            i += usize::from(a <= b);
            j += usize::from(b <= a);
        }
        merged.extend_from_slice(&old[i..]);
        merged.extend_from_slice(&new[j..]);
        self.counted = merged;
        self.fresh.clear();
    }

    /// How many distinct hashes, settled or not.
    fn len(&self) -> usize {
        if self.fresh.is_empty() {
            return self.counted.len();
        }
        let mut all = [self.counted.as_slice(), self.fresh.as_slice()].concat();
        all.sort_unstable();
        all.dedup();
        all.len()
    }
}

/// Values are counted by a 64-bit hash seeded for the run: two of a credential's
/// addresses would share one by chance once in 10^13 credentials of a million addresses.
static VALUE_HASH: LazyLock<PlRandomState> = LazyLock::new(PlRandomState::default);

pub(super) fn value_hash(value: &str) -> u64 {
    VALUE_HASH.hash_one(value)
}

impl Distinct {
    /// Asks for the lines of the rest of the set that an event reads ([`super::Ahead`]).
    pub(super) fn prefetch_rest(&self) {
        if let Some(rest) = &self.rest {
            super::prefetch(&rest.fresh);
            super::prefetch(&rest.latest);
        }
    }

    /// Asks for the line where the next hash counted is written.
    pub(super) fn prefetch_fresh_end(&self) {
        if let Some(last) = self.rest.as_ref().and_then(|r| r.fresh.last()) {
            super::prefetch(last);
        }
    }

    pub(super) fn see(&mut self, value: &str, at: Moment) {
        self.see_with(value, value_hash(value), at, || value.into());
    }

    fn listed_mut(&mut self) -> impl Iterator<Item = &mut Listed> {
        let rest = self.rest.iter_mut().flat_map(|r| r.listed.iter_mut());
        self.first.iter_mut().chain(rest)
    }

    fn listed(&self) -> impl Iterator<Item = &Listed> {
        let rest = self.rest.iter().flat_map(|r| r.listed.iter());
        self.first.iter().chain(rest)
    }

    /// The listed value `value` (of hash `hash`).
    fn find_mut(&mut self, value: &str, hash: u64) -> Option<&mut Listed> {
        if let Some(first) = &mut self.first
            && first.hash == hash
            && first.value.as_str() == value
        {
            return Some(first);
        }
        let rest = self.rest.as_deref_mut()?;
        let i = (rest.hashes.iter().zip(&rest.listed))
            .position(|(&h, l)| h == hash && l.value.as_str() == value)?;
        rest.listed.get_mut(i)
    }

    /// `value` (of hash `hash`) seen at `at`; `owned` makes its text when it is listed.
    fn see_with(&mut self, value: &str, hash: u64, at: Moment, owned: impl FnOnce() -> PlSmallStr) {
        // Counted by hash, and seen no earlier than every listed value: the list cannot
        // change (a listed value keeps its earlier first sighting), and counting a
        // listed value's hash again changes nothing. Most values of a busy principal or
        // key, in a log read in time order, end here without the list being read.
        if let Some(rest) = self.rest.as_deref_mut()
            && rest.counting()
            && at >= rest.latest
        {
            rest.count(hash);
            return;
        }
        if let Some(l) = self.find_mut(value, hash) {
            l.at = l.at.min(at);
            return;
        }
        let listed = |at| Listed {
            value: owned(),
            hash,
            at,
        };
        if self.first.is_none() {
            self.first = Some(listed(at));
            return;
        }
        let rest = self.rest.get_or_insert_default();
        if !rest.counting() {
            if rest.listed.len() + 1 < LISTED {
                rest.listed.push(listed(at));
                rest.sync_hashes();
                return;
            }
            // One more than can be listed: from now on every value is counted by hash.
            self.count_by_hash();
        }
        let Some(rest) = self.rest.as_deref_mut() else {
            return;
        };
        rest.count(hash);
        if at >= rest.latest {
            return;
        }
        // Listed in place of the latest listed when first seen before it (a value
        // dropped from the list can come back: its first sighting is then this one).
        if let Some(latest) = self.listed_mut().max_by_key(|l| l.at)
            && at < latest.at
        {
            *latest = listed(at);
            if let Some(rest) = self.rest.as_deref_mut() {
                rest.sync_hashes();
            }
        }
        self.note_latest();
    }

    fn note_latest(&mut self) {
        let latest = self.listed().map(|l| l.at).max().unwrap_or_default();
        if let Some(rest) = self.rest.as_deref_mut() {
            rest.latest = latest;
        }
    }

    fn count_by_hash(&mut self) {
        let hashes: Vec<u64> = self.listed().map(|l| l.hash).collect();
        let rest = self.rest.get_or_insert_default();
        for h in hashes {
            rest.count(h);
        }
        self.note_latest();
    }

    pub(super) fn merge(&mut self, other: Distinct) {
        let Distinct { first, rest } = other;
        let (listed, counted, fresh) = match rest {
            Some(r) => (r.listed, r.counted, r.fresh),
            None => Default::default(),
        };
        for l in first.into_iter().chain(listed) {
            self.see_with(l.value.as_str(), l.hash, l.at, || l.value.clone());
        }
        if !counted.is_empty() || !fresh.is_empty() {
            if self.rest.as_ref().is_none_or(|r| !r.counting()) {
                self.count_by_hash();
            }
            if let Some(rest) = self.rest.as_deref_mut() {
                rest.fresh.extend(counted);
                rest.fresh.extend(fresh);
            }
        }
        self.settle();
    }

    /// Every hash sorted into one list: the summaries are made from this.
    pub(super) fn settle(&mut self) {
        if let Some(rest) = self.rest.as_deref_mut() {
            rest.settle();
        }
    }

    pub(super) fn len(&self) -> u64 {
        match self.rest.as_deref() {
            Some(rest) if rest.counting() => rest.len() as u64,
            _ => self.listed().count() as u64,
        }
    }

    /// The values seen first, in the order they were first seen.
    pub(super) fn earliest(&self) -> Few<'_> {
        let mut all = [(Moment::default(), ""); LISTED];
        let mut n = 0;
        for (slot, l) in all.iter_mut().zip(self.listed()) {
            *slot = (l.at, l.value.as_str());
            n += 1;
        }
        let all = &mut all[..n];
        all.sort_unstable();
        let mut few = Few::new();
        all.iter().for_each(|(_, v)| few.push(v));
        few
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
                *here.earliest(),
                ["g", "a", "b", "c", "d"],
                "split {split:012b}"
            );
        }
        // Many values, each seen several times, split between two tallies: every one
        // counted once through the sorted merges.
        let values: Vec<String> = (0..20_000)
            .map(|i| format!("10.{}.{}.1", i / 256, i % 256))
            .collect();
        let (mut here, mut there) = (Distinct::default(), Distinct::default());
        for round in 0..3 {
            for (i, v) in values.iter().enumerate() {
                let side = if (i + round) % 3 == 0 {
                    &mut here
                } else {
                    &mut there
                };
                side.see(v, at((i * 7 % 1000 + round) as i64));
            }
        }
        assert_eq!(there.len(), 20_000);
        here.merge(there);
        assert_eq!(here.len(), 20_000);
        let mut few = Distinct::default();
        few.see("x", at(2));
        few.see("y", at(1));
        few.see("x", at(3));
        assert_eq!((few.len(), &*few.earliest()), (2, &["y", "x"][..]));
    }
}
