//! One share of a run's credentials: each credential's summary, found by its id.
//!
//! Summaries are kept in blocks of fixed size that never move. A vector grown by doubling
//! (an index map's entries) copied every summary again at each doubling, touched twice
//! the memory it kept and gave the old memory back under the other threads' feet (TLB
//! shootdowns): on the Okta bench, 812,835 sessions of 272 bytes each, that was a tenth
//! of `credentials`. A credential keeps its slot for the run: the delivery keys of its
//! events point at it.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use polars::prelude::{PlRandomState, PlSmallStr};

use super::{Body, Row};

/// Summaries per block (a block is about 300 KB).
const BLOCK: usize = 1024;

#[derive(Default)]
pub(super) struct Share {
    /// Slots by the hash of their id, with that hash: a table that grows moves its
    /// entries without reading each id again.
    slots: HashTable<(u64, u32)>,
    blocks: Vec<Vec<(PlSmallStr, Body)>>,
    len: usize,
    hasher: PlRandomState,
}

impl Share {
    fn hash(&self, id: &str) -> u64 {
        self.hasher.hash_one(id)
    }

    pub(super) fn get(&self, slot: usize) -> Option<&(PlSmallStr, Body)> {
        self.blocks.get(slot / BLOCK)?.get(slot % BLOCK)
    }

    pub(super) fn get_mut(&mut self, slot: usize) -> Option<&mut (PlSmallStr, Body)> {
        self.blocks.get_mut(slot / BLOCK)?.get_mut(slot % BLOCK)
    }

    /// `row` into its credential's summary; that summary's slot.
    pub(super) fn add(&mut self, row: &Row<'_>) -> usize {
        match self.slot_of(row.credential) {
            Some(slot) => self.add_at(slot, row),
            None => self.insert(row.credential.into(), Body::new(row)),
        }
    }

    /// `row` into the summary at `slot` (found by [`Share::slot_of`]).
    pub(super) fn add_at(&mut self, slot: usize, row: &Row<'_>) -> usize {
        if let Some((_, body)) = self.get_mut(slot) {
            body.add(row);
        }
        slot
    }

    /// Asks for `part` of the memory of the summary at `slot` ([`super::Ahead`]).
    pub(super) fn prefetch(&self, slot: usize, part: super::Ahead) {
        if let Some((_, body)) = self.get(slot) {
            body.prefetch(part);
        }
    }

    /// The slot of credential `id`.
    pub(super) fn slot_of(&self, id: &str) -> Option<usize> {
        let blocks = &self.blocks;
        let id_at = |slot: u32| {
            let slot = slot as usize;
            blocks
                .get(slot / BLOCK)
                .and_then(|b| b.get(slot % BLOCK))
                .map(|(id, _)| id.as_str())
        };
        let hash = self.hash(id);
        self.slots
            .find(hash, |&(h, s)| h == hash && id_at(s) == Some(id))
            .map(|&(_, s)| s as usize)
    }

    pub(super) fn contains_key(&self, id: &str) -> bool {
        self.slot_of(id).is_some()
    }

    /// A credential not in the share yet; its slot.
    pub(super) fn insert(&mut self, id: PlSmallStr, body: Body) -> usize {
        let slot = self.len;
        let hash = self.hash(&id);
        if self.blocks.last().is_none_or(|b| b.len() == BLOCK) {
            self.blocks.push(Vec::with_capacity(BLOCK));
        }
        if let Some(block) = self.blocks.last_mut() {
            block.push((id, body));
        }
        self.len += 1;
        self.slots
            .insert_unique(hash, (hash, slot as u32), |&(h, _)| h);
        slot
    }

    /// Credential `id` taken out of the share; the last credential takes its slot (slots
    /// change: only once delivery keys are done with).
    pub(super) fn swap_remove(&mut self, id: &str) -> Option<Body> {
        let slot = self.slot_of(id)?;
        let last = self.len.checked_sub(1)?;
        let hash = self.hash(id);
        if let Ok(entry) = self.slots.find_entry(hash, |&(_, s)| s as usize == slot) {
            entry.remove();
        }
        if slot != last {
            let moved_hash = self.get(last).map(|(id, _)| self.hash(id))?;
            if let Some(s) = self
                .slots
                .find_mut(moved_hash, |&(_, s)| s as usize == last)
            {
                s.1 = slot as u32;
            }
        }
        let tail = self.blocks.last_mut()?.pop()?;
        if self.blocks.last().is_some_and(Vec::is_empty) {
            self.blocks.pop();
        }
        self.len = last;
        let removed = match slot == last {
            true => tail,
            false => std::mem::replace(self.get_mut(slot)?, tail),
        };
        Some(removed.1)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&PlSmallStr, &Body)> {
        self.blocks.iter().flatten().map(|(id, b)| (id, b))
    }

    pub(super) fn values_mut(&mut self) -> impl Iterator<Item = &mut Body> {
        self.blocks.iter_mut().flatten().map(|(_, b)| b)
    }

    pub(super) fn body_mut(&mut self, id: &str) -> Option<&mut Body> {
        let slot = self.slot_of(id)?;
        self.get_mut(slot).map(|(_, b)| b)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Body, Moment, Place, Row};
    use super::*;

    fn body(events: u64) -> Body {
        let row = Row {
            credential: "",
            kind: "okta_session",
            source: None,
            principal: None,
            src_ip: None,
            refused: false,
            linked: false,
            at: Moment {
                ts: 0,
                place: Place::new(0, 1, None),
            },
            event_id: None,
            keyed: false,
        };
        let mut b = Body::new(&row);
        b.events = events;
        b
    }

    /// Credentials across several blocks are found by id at the slot they were given,
    /// and taking some out (first, middle, last, the only one of a block) leaves every
    /// other one found, with its own summary, and the blocks dense.
    #[test]
    fn credentials_are_found_by_id_after_inserts_and_removals() {
        let mut share = Share::default();
        let n = BLOCK * 2 + 1;
        for i in 0..n {
            let slot = share.insert(format!("id{i}").into(), body(i as u64));
            assert_eq!(slot, i);
        }
        assert_eq!(share.slot_of("id5"), Some(5));
        assert_eq!(share.slot_of("nope"), None);
        let gone = [0, 700, n - 1, BLOCK * 2 - 1];
        for i in gone {
            let removed = share.swap_remove(&format!("id{i}")).map(|b| b.events);
            assert_eq!(removed, Some(i as u64), "id{i}");
            assert!(!share.contains_key(&format!("id{i}")));
        }
        assert_eq!(share.swap_remove("id0").map(|b| b.events), None);
        assert_eq!(share.iter().count(), n - gone.len());
        for i in (0..n).filter(|i| !gone.contains(i)) {
            let id = format!("id{i}");
            let slot = share.slot_of(&id).unwrap_or_else(|| panic!("{id} lost"));
            let (at, b) = share.get(slot).expect("a slot in the share");
            assert_eq!((at.as_str(), b.events), (id.as_str(), i as u64));
            assert_eq!(share.body_mut(&id).map(|b| b.events), Some(i as u64));
        }
        assert!(share.blocks.iter().rev().skip(1).all(|b| b.len() == BLOCK));
    }
}
