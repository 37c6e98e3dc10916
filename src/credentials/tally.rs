//! Credential summaries tallied while the logs are read. `credentials` and `secrets` need
//! one small record per credential, not a frame of every event: each event joins its
//! credential's summary as it is parsed, on every core, so their memory grows with the
//! credentials of the logs, not with the logs (docs/performance.md); `stats` only counts. A frame (the Parquet tables of `ingest`) is
//! tallied the same way, row by row, so that both answers come from one piece of code.
//!
//! The summary is the frame's: events at the same time are ordered as the frame orders
//! them (input, line, record); a repeated delivery is removed as `ingest` removes it (the
//! copy first in that order is kept, each other copy is counted on its file); token
//! prefixes are linked to their tokens as `ingest` links them.

use std::hash::BuildHasher;
use std::sync::Mutex;

use polars::prelude::*;
use rayon::prelude::*;
use tokentrail_parsers::{Event, SourceId};
use xxhash_rust::xxh3::{SecretInput, xxh3_128_with_secret_input};

use super::{By, CredentialSummary, Few, PrincipalSummary, Sighting};
use crate::config::Cidr;
use crate::enrich::{Client, client_address};
use crate::fingerprint::Fingerprinter;
use crate::frame::{col, is_refused};
use distinct::value_hash;

mod counts;
mod distinct;
mod keys;
mod share;
mod sighting;

use counts::{Counts, distinct_counts};
use distinct::Distinct;
pub use keys::{KEY_MEMORY, SPILL_PREFIX as KEY_SPILL_PREFIX};
use keys::{Key, KeyStore};
use share::Share;
use sighting::{EventId, Last, Moment, Place, Seen};

/// One event as a tally reads it.
#[derive(Clone, Copy)]
struct Row<'a> {
    credential: &'a str,
    kind: &'a str,
    source: Option<SourceId>,
    principal: Option<&'a str>,
    src_ip: Option<&'a str>,
    refused: bool,
    linked: bool,
    at: Moment,
    event_id: Option<&'a str>,
    /// Has a delivery key (see [`Seen::keyed`]).
    keyed: bool,
}

/// What the logs say of one credential so far.
#[derive(Debug)]
struct Body {
    /// Its kind at its first sighting.
    kind: PlSmallStr,
    /// Bits of `SourceId::ALL`.
    sources: u32,
    events: u64,
    refused: u64,
    linked: u64,
    first: Seen,
    /// `None` while the first sighting is the only one (most credentials of a large
    /// identity-provider log are sessions seen once).
    last: Option<Box<Last>>,
    principals: Distinct,
    ips: Distinct,
}

/// What of a summary [`ChunkTally::flush`] asks for ahead of the event it adds, and how many
/// events ahead: its own lines; then what they point to (its last sighting, the rest of
/// its distinct sets), read from those lines once they have come; then the ends of those
/// sets' fresh hashes, where the event will write. A principal's summary is read by each
/// of its events long after the last one (the Okta bench's 10,000 principals hold some 45
/// MB), and one at a time each read waited on memory: asked for ahead, several come at
/// once.
#[derive(Clone, Copy)]
enum Ahead {
    Summary,
    Pointed,
    FreshEnds,
}

const AHEAD: [(usize, Ahead); 3] = [
    (12, Ahead::Summary),
    (6, Ahead::Pointed),
    (3, Ahead::FreshEnds),
];

/// Asks the CPU for the cache line holding `t`: a hint, which changes no result (nothing
/// where the target has no such instruction).
#[inline(always)]
pub(super) fn prefetch<T>(t: &T) {
    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "sse"
    ))]
    safe_arch::prefetch_t0(t);
    #[cfg(not(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "sse"
    )))]
    let _ = t;
}

fn source_bit(source: Option<SourceId>) -> u32 {
    source
        .and_then(|s| SourceId::ALL.iter().position(|a| *a == s))
        .map_or(0, |i| 1 << i)
}

fn seen(row: &Row) -> Seen {
    Seen {
        at: row.at,
        event_id: row.event_id.map(EventId::new),
        src_ip: row.src_ip.map(PlSmallStr::from),
        keyed: row.keyed,
    }
}

impl Body {
    /// A credential first seen in `row`.
    fn new(row: &Row) -> Body {
        let mut body = Body {
            kind: row.kind.into(),
            sources: 0,
            events: 0,
            refused: 0,
            linked: 0,
            first: seen(row),
            last: None,
            principals: Distinct::default(),
            ips: Distinct::default(),
        };
        body.count(row);
        body
    }

    /// Asks for `part` of the summary's memory, to be read a few events later.
    fn prefetch(&self, part: Ahead) {
        match part {
            Ahead::Summary => {
                prefetch(&self.events);
                prefetch(&self.first);
                prefetch(&self.principals);
                prefetch(&self.ips);
            }
            Ahead::Pointed => {
                if let Some(last) = &self.last {
                    prefetch(&**last);
                }
                self.principals.prefetch_rest();
                self.ips.prefetch_rest();
            }
            Ahead::FreshEnds => {
                self.principals.prefetch_fresh_end();
                self.ips.prefetch_fresh_end();
            }
        }
    }

    fn add(&mut self, row: &Row) {
        self.count(row);
        if row.at < self.first.at {
            self.kind = row.kind.into();
            let before = std::mem::replace(&mut self.first, seen(row));
            let last = self.last.get_or_insert_with(|| Box::new(Last::of(before)));
            last.offer(seen(row));
        } else {
            let last = self.last_mut();
            // Most events of a log in time order are the latest so far; the others are
            // not copied.
            if row.at.ts >= last.seen.at.ts {
                let later = (row.at, row.event_id, row.src_ip, row.keyed);
                last.offer_later(later, || seen(row));
            }
        }
    }

    /// Everything but the sightings.
    fn count(&mut self, row: &Row) {
        self.events += 1;
        self.refused += u64::from(row.refused);
        self.linked += u64::from(row.linked);
        self.sources |= source_bit(row.source);
        if let Some(p) = row.principal {
            self.principals.see(p, row.at);
        }
        if let Some(ip) = row.src_ip {
            self.ips.see(ip, row.at);
        }
    }

    /// The last sighting, made from the first when that was the only one.
    fn last_mut(&mut self) -> &mut Last {
        let first = &self.first;
        self.last
            .get_or_insert_with(|| Box::new(Last::of(first.clone())))
    }

    fn last(&self) -> &Seen {
        self.last.as_ref().map_or(&self.first, |l| &l.seen)
    }

    fn merge(&mut self, other: Body) {
        self.events += other.events;
        self.refused += other.refused;
        self.linked += other.linked;
        self.sources |= other.sources;
        self.principals.merge(other.principals);
        self.ips.merge(other.ips);
        let theirs = match other.last {
            Some(last) => *last,
            None => Last::of(other.first.clone()),
        };
        self.last_mut().merge(theirs);
        if other.first.at < self.first.at {
            self.first = other.first;
            self.kind = other.kind;
        }
    }

    /// Lines counted in their chunk become lines of the file, and an event without an
    /// id of its own gets the one the frame derives (`<file key>:<line>`).
    fn place_lines<'k>(
        &mut self,
        line_of: &impl Fn(Place) -> u64,
        key_of: &impl Fn(u32) -> &'k str,
    ) {
        let last = self
            .last
            .iter_mut()
            .flat_map(|l| std::iter::once(&mut l.seen).chain(l.rivals.iter_mut()));
        for seen in std::iter::once(&mut self.first).chain(last) {
            seen.at.place.line = line_of(seen.at.place);
            if seen.event_id.is_none() {
                let mut id = String::new();
                let place = seen.at.place;
                crate::frame::push_derived_event_id(&mut id, key_of(place.file), place.line);
                seen.event_id = Some(EventId::new(&id));
            }
        }
        // The moments of principals and addresses only order them: lines counted in
        // their chunk order them as well.
    }
}

/// What an event with `credential` (of `kind`) and `principal` is summarised under, from
/// raw logs and tables alike: the credential, with the principal as its list; or, by
/// principal, the principal (with its credential's kind, if any), with the credential as
/// its list, events without one included. `None`: the event has no such subject.
fn subject<'a>(
    by: By,
    credential: Option<&'a str>,
    kind: Option<&'a str>,
    principal: Option<&'a str>,
) -> Option<(&'a str, &'a str, Option<&'a str>)> {
    match by {
        By::Credential => Some((credential?, kind?, principal)),
        By::Principal => Some((principal?, kind.unwrap_or(""), credential)),
    }
}

/// The hashes of a run's tallies: 128 bits that tell repeated deliveries apart, keyed
/// with a secret drawn for the run (no two distinct events share it by chance, and no log
/// writer can aim at another event's hash); and the share of each credential.
struct KeyHasher {
    secret: SecretInput<[u8; KEY_SECRET]>,
    shares: PlRandomState,
}

/// Bytes of the delivery keys' secret (xxh3's default secret size).
const KEY_SECRET: usize = 192;

impl Default for KeyHasher {
    fn default() -> KeyHasher {
        let seeds = PlRandomState::default();
        let mut secret = [0u8; KEY_SECRET];
        for (i, word) in secret.chunks_exact_mut(8).enumerate() {
            word.copy_from_slice(&seeds.hash_one(i).to_le_bytes());
        }
        KeyHasher {
            secret: SecretInput::new(secret),
            shares: PlRandomState::default(),
        }
    }
}

impl KeyHasher {
    /// Two words, not a `u128`: a key is then 40 bytes, not 48 (a `u128` aligns to 16).
    /// The key's fields are written once into `bytes` and hashed in one pass: hashing
    /// the fields one by one, twice with two seeds, was 5% of `credentials` on Okta.
    fn hash(&self, bytes: &[u8]) -> [u64; 2] {
        let h = xxh3_128_with_secret_input(bytes, &self.secret);
        [(h >> 64) as u64, h as u64]
    }

    fn share(&self, credential: &str) -> usize {
        self.shares.hash_one(credential) as usize % SHARES
    }
}

/// The fields of an event's delivery key written into one buffer, each text with its length
/// first and a missing one as a length no text has: two keys write the same bytes only
/// when their fields are the same. A length is four bytes, not eight (32 bytes fewer to hash
/// of each event's key); one of 4 GiB or more, which no log's record comes near, is
/// [`KeyBytes::LONG`] and then eight.
#[derive(Default)]
struct KeyBytes(Vec<u8>);

impl KeyBytes {
    /// The length of a missing text.
    const MISSING: u32 = u32::MAX;
    /// The length of a text whose length follows in eight bytes.
    const LONG: u32 = u32::MAX - 1;

    fn start(&mut self) -> &mut KeyBytes {
        self.0.clear();
        self
    }

    // Written where the key is made (out of line, the eight calls of an event were 1% of
    // `credentials --by principal` on Okta).
    #[inline(always)]
    fn text(&mut self, text: Option<&str>) -> &mut KeyBytes {
        match text {
            Some(t) => {
                match u32::try_from(t.len()) {
                    Ok(len) if len < Self::LONG => self.0.extend_from_slice(&len.to_le_bytes()),
                    _ => self.long_length(t.len()),
                }
                self.0.extend_from_slice(t.as_bytes());
            }
            None => self.0.extend_from_slice(&Self::MISSING.to_le_bytes()),
        }
        self
    }

    #[cold]
    fn long_length(&mut self, len: usize) {
        self.0.extend_from_slice(&Self::LONG.to_le_bytes());
        self.0.extend_from_slice(&(len as u64).to_le_bytes());
    }

    fn number(&mut self, n: i64) -> &mut KeyBytes {
        self.0.extend_from_slice(&n.to_le_bytes());
        self
    }
}

/// Credentials are kept in this many shares, each behind its own lock.
const SHARES: usize = 64;

/// Lines are counted from their chunk's start while it is parsed (where the chunk starts
/// in its file is known once the chunks before it are read): a line is the chunk's index
/// in the high bits and the line in the chunk in the low bits, which orders lines as the
/// file does, until [`Accumulator::finish`] makes it the line of the file.
fn chunk_line(chunk: u32, line: u64) -> u64 {
    (u64::from(chunk) << 32) | (line & 0xFFFF_FFFF)
}

const NO_CREDENTIAL: u32 = u32::MAX;

/// What one chunk of one input adds to the run's [`Accumulator`]: its events join their
/// summaries a few thousand at a time, a share at a time (see [`ChunkTally::flush`]), its
/// delivery keys when the chunk is parsed.
pub struct ChunkTally {
    fingerprints: Fingerprinter,
    source: SourceId,
    /// The input's place in the list of inputs.
    file: u32,
    chunk: u32,
    /// Trusted proxies (`--real-ip-from`): the client behind them is the event's address.
    trusted: Vec<Cidr>,
    keys: Vec<Key>,
    /// The events waiting for their summaries, their texts in `texts` (see
    /// [`ChunkTally::flush`]).
    pending: Vec<Pending>,
    texts: String,
    /// The delivery key being hashed (a buffer kept from event to event).
    key_bytes: KeyBytes,
    /// What the run counts instead of summarising each credential (`stats`).
    counts: Option<Counts>,
    /// Events were tallied.
    any: bool,
}

/// Where a text of a pending event is in its chunk's `texts`.
type Span = (u32, u32);

/// An event of a chunk waiting for its summary.
#[derive(Clone, Copy)]
struct Pending {
    share: u16,
    credential: Span,
    kind: &'static str,
    principal: Option<Span>,
    src_ip: Option<Span>,
    event_id: Option<Span>,
    refused: bool,
    at: Moment,
    keyed: bool,
    /// Its delivery key in the chunk's `keys`, which learns the summary's slot when the
    /// event is added.
    key: Option<u32>,
}

/// The buffers of a thread's last parsed chunk, for its next: grown anew for each chunk
/// (a few hundred KB each, by doubling) they were copied at each doubling and their
/// memory faulted in again. A thread holds at most one chunk's worth (a 16 MiB chunk of
/// JSON records: a few MB).
#[derive(Default)]
struct Spare {
    keys: Vec<Key>,
    pending: Vec<Pending>,
    texts: String,
}

thread_local! {
    static SPARE: std::cell::RefCell<Spare> = std::cell::RefCell::default();
}

impl Spare {
    /// `chunk`'s buffers, emptied, kept for the thread's next chunk.
    fn keep(chunk: &mut ChunkTally) {
        chunk.pending.clear();
        chunk.texts.clear();
        chunk.keys.clear();
        let spare = Spare {
            keys: std::mem::take(&mut chunk.keys),
            pending: std::mem::take(&mut chunk.pending),
            texts: std::mem::take(&mut chunk.texts),
        };
        SPARE.with(|s| *s.borrow_mut() = spare);
    }

    /// The thread's spare buffers into `chunk`, which has none.
    fn take(chunk: &mut ChunkTally) {
        let spare = SPARE.with(|s| std::mem::take(&mut *s.borrow_mut()));
        chunk.keys = spare.keys;
        chunk.pending = spare.pending;
        chunk.texts = spare.texts;
    }
}

/// A chunk's pending events are added once this many wait (and when it is parsed).
const PENDING: usize = 1 << 12;

impl ChunkTally {
    /// Chunk `chunk` of input `file`, a log of `source`.
    pub fn new(
        fingerprints: Fingerprinter,
        (source, file, chunk): (SourceId, u32, u32),
        trusted: &[Cidr],
        count_only: bool,
    ) -> ChunkTally {
        let mut chunk = ChunkTally {
            fingerprints,
            source,
            file,
            chunk,
            trusted: trusted.to_vec(),
            keys: Vec::new(),
            pending: Vec::new(),
            texts: String::new(),
            key_bytes: KeyBytes::default(),
            counts: count_only.then(Counts::default),
            any: false,
        };
        Spare::take(&mut chunk);
        chunk
    }

    pub fn is_empty(&self) -> bool {
        !self.any
    }

    pub fn chunk(&self) -> u32 {
        self.chunk
    }

    /// One event at `line` (relative to the chunk).
    pub fn push_event(
        &mut self,
        run: &Accumulator,
        ev: &Event<'_>,
        line: u64,
        record_index: Option<u32>,
    ) {
        self.any = true;
        let (source, file) = (self.source, self.file);
        let line = chunk_line(self.chunk, line);
        let (ip, chain) = (ev.src_ip.as_deref(), ev.forwarded_for.as_deref());
        let src_ip = match client_address(ip, chain, &self.trusted) {
            Client::Direct(ip) => ip,
            Client::BehindProxy { client, .. } => Some(client),
        };
        let outcome = ev.outcome.as_str();
        let refused = is_refused(Some(outcome));
        let at = Moment {
            ts: ev.ts,
            place: Place::new(file, line, record_index),
        };
        let fingerprints = &mut self.fingerprints;
        let credential =
            (ev.credential.as_ref()).map(|c| (fingerprints.credential_id(c), c.kind().as_str()));
        let principal = ev.principal.as_deref();
        let keyed = source.has_event_ids() && ev.event_id.is_some();
        if let Some(counts) = &mut self.counts {
            counts.count(credential, src_ip);
        }
        let (id, kind) = (credential.map(|c| c.0), credential.map(|c| c.1));
        let summarised = subject(run.by, id, kind, principal).filter(|_| self.counts.is_none());
        let texts = &mut self.texts;
        let mut span = |text: &str| {
            let start = texts.len() as u32;
            texts.push_str(text);
            (start, text.len() as u32)
        };
        let pending = summarised.map(|(id, _, other)| Pending {
            share: run.hasher.share(id) as u16,
            credential: span(id),
            // What `subject` makes of `kind`, kept as the `'static` text it is.
            kind: kind.unwrap_or(""),
            principal: other.map(&mut span),
            src_ip: src_ip.map(&mut span),
            event_id: ev.event_id.as_deref().map(&mut span),
            refused,
            at,
            keyed,
            key: None,
        });
        let mut key_index = None;
        if keyed && let Some(event_id) = ev.event_id.as_deref() {
            let account = ev
                .service
                .as_deref()
                .and_then(|s| s.recipient_account_id.as_deref());
            let key = self
                .key_bytes
                .start()
                .text(Some(source.as_str()))
                .text(Some(event_id))
                .text(account)
                .number(ev.ts)
                .text(ev.action.as_deref())
                .text(credential.map(|c| c.0))
                .text(principal)
                .text(src_ip)
                .text(Some(outcome));
            key_index = Some(self.keys.len() as u32);
            self.keys.push(Key {
                hash: run.hasher.hash(&key.0),
                place: at.place,
                share: 0,
                slot: NO_CREDENTIAL,
                refused,
            });
        }
        if let Some(mut p) = pending {
            p.key = key_index;
            self.pending.push(p);
            if self.pending.len() >= PENDING {
                self.flush(run);
            }
        }
    }

    /// The pending events into their summaries, a share at a time: each share's lock is
    /// taken once, and the summaries of a share's events are read from memory once for
    /// all of them rather than once for each (an identity log's busy principals come
    /// back every few events, their summaries long gone from the cache: on the Okta
    /// bench, events in principal order tallied 15% faster than in time order). Events
    /// of one share are added in the chunk's order, as they were one at a time.
    fn flush(&mut self, run: &Accumulator) {
        if self.pending.is_empty() {
            return;
        }
        let mut starts = [0u32; SHARES + 1];
        for p in &self.pending {
            starts[usize::from(p.share) + 1] += 1;
        }
        for i in 1..=SHARES {
            starts[i] += starts[i - 1];
        }
        let mut next = starts;
        let mut order = vec![0u32; self.pending.len()];
        for (i, p) in self.pending.iter().enumerate() {
            let at = &mut next[usize::from(p.share)];
            order[*at as usize] = i as u32;
            *at += 1;
        }
        let text = |(start, len): Span| {
            let start = start as usize;
            self.texts
                .get(start..start + len as usize)
                .unwrap_or_default()
        };
        // The chunks of other threads start at other shares.
        let first = self.chunk as usize % SHARES;
        let mut slots = Vec::new();
        for share in (first..SHARES).chain(0..first) {
            let mine = &order[starts[share] as usize..starts[share + 1] as usize];
            if mine.is_empty() {
                continue;
            }
            let Ok(mut map) = run.shares[share].lock() else {
                continue;
            };
            // Each event's summary found first (the lookups of one event after another
            // overlap), then asked for ahead of its event ([`Ahead`]); a summary not there
            // yet is made by `add`.
            slots.clear();
            slots.extend(
                mine.iter()
                    .map(|&i| map.slot_of(text(self.pending[i as usize].credential))),
            );
            for (k, &i) in mine.iter().enumerate() {
                for (ahead, part) in AHEAD {
                    if let Some(&Some(slot)) = slots.get(k + ahead) {
                        map.prefetch(slot, part);
                    }
                }
                let p = self.pending[i as usize];
                let row = Row {
                    credential: text(p.credential),
                    kind: p.kind,
                    source: Some(self.source),
                    principal: p.principal.map(text),
                    src_ip: p.src_ip.map(text),
                    refused: p.refused,
                    linked: false,
                    at: p.at,
                    event_id: p.event_id.map(text),
                    keyed: p.keyed,
                };
                let slot = match slots.get(k) {
                    Some(&Some(slot)) => map.add_at(slot, &row),
                    _ => map.add(&row),
                };
                if let Some(key) = p.key.and_then(|k| self.keys.get_mut(k as usize)) {
                    key.share = share as u16;
                    key.slot = slot as u32;
                }
            }
        }
        self.pending.clear();
        self.texts.clear();
    }
}

/// The run's credentials while its inputs are read, from every core: each share of the
/// credentials behind its own lock.
#[derive(Default)]
pub struct Accumulator {
    hasher: KeyHasher,
    shares: Vec<Mutex<Share>>,
    /// The delivery keys of the run (`keys::KeyStore`), and the first error writing
    /// those beyond what it holds to disk.
    keys: Mutex<(KeyStore, Option<std::io::Error>)>,
    /// Where each chunk of a line input starts in its file: (input, chunk) -> its first
    /// line, 1-based.
    chunk_lines: Mutex<PlHashMap<(u32, u32), u64>>,
    /// The key of each input, for the ids of events that have none (`<key>:<line>`).
    file_keys: Mutex<PlHashMap<u32, String>>,
    /// What `stats` counts of each source (`None`: each credential is summarised).
    counts: Option<Mutex<PlHashMap<SourceId, Counts>>>,
    /// What each summary is of.
    by: By,
}

impl Accumulator {
    pub fn new() -> Accumulator {
        Accumulator {
            shares: (0..SHARES).map(|_| Mutex::new(Share::default())).collect(),
            ..Accumulator::default()
        }
    }

    /// An accumulator of a summary per credential or per principal.
    pub fn summarising(by: By) -> Accumulator {
        Accumulator {
            by,
            ..Accumulator::new()
        }
    }

    /// This accumulator holding `bytes` of delivery keys in memory at most (the rest wait
    /// on disk: `keys::KeyStore`).
    pub fn holding_keys(self, bytes: usize) -> Accumulator {
        Accumulator {
            keys: Mutex::new((KeyStore::holding(bytes), None)),
            ..self
        }
    }

    pub fn counts_only(&self) -> bool {
        self.counts.is_some()
    }

    /// An accumulator that only counts each source's distinct credentials and client
    /// addresses (`stats`), with no summary of each credential.
    pub fn counting() -> Accumulator {
        Accumulator {
            counts: Some(Mutex::default()),
            ..Accumulator::new()
        }
    }

    /// `row` into its credential's summary; where that summary is (share, slot).
    fn add(&self, row: &Row) -> (u16, u32) {
        let share = self.hasher.share(row.credential);
        let Ok(mut map) = self.shares[share].lock() else {
            return (0, NO_CREDENTIAL);
        };
        (share as u16, map.add(row) as u32)
    }

    /// A parsed chunk's events, delivery keys (and counts) join the run's.
    pub fn merge(&self, chunk: &mut ChunkTally) {
        chunk.flush(self);
        if let (Some(run), Some(seen)) = (&self.counts, chunk.counts.take())
            && let Ok(mut run) = run.lock()
        {
            run.entry(chunk.source).or_default().merge(seen);
        }
        if !chunk.keys.is_empty()
            && let Ok(mut run) = self.keys.lock()
            && run.1.is_none()
            && let Err(e) = run.0.add(&mut chunk.keys)
        {
            run.1 = Some(e);
        }
        // A parsed chunk is kept until its input is read: not its buffers, which the
        // thread's next chunk takes.
        Spare::keep(chunk);
    }

    /// Chunk `chunk` of input `file` (key `file_key`) starts at `first_line`.
    pub fn place_chunk(&self, file: u32, file_key: &str, chunk: u32, first_line: u64) {
        if let Ok(mut lines) = self.chunk_lines.lock() {
            lines.insert((file, chunk), first_line);
        }
        if let Ok(mut keys) = self.file_keys.lock()
            && !keys.contains_key(&file)
        {
            keys.insert(file, file_key.to_string());
        }
    }

    /// The run's tally. Every copy of a repeated delivery but the first in input order is
    /// taken back out of its credential's counts and reported to `removed` with its input.
    pub fn finish(
        self,
        names: Vec<String>,
        mut removed: impl FnMut(u32),
    ) -> std::io::Result<Tally> {
        let mut shares: Vec<Share> = self
            .shares
            .into_iter()
            .map(|s| s.into_inner().unwrap_or_default())
            .collect();
        let (keys, failed) = self.keys.into_inner().unwrap_or_default();
        if let Some(e) = failed {
            return Err(e);
        }
        let mut copies: PlHashMap<(u16, u32), PlHashSet<Place>> = PlHashMap::default();
        for copy in keys.copies()? {
            removed(copy.place.file);
            // A copy has its kept copy's credential, address and time: the counts of the
            // credential change, and its last sighting if that was the copy.
            if let Some((_, body)) = shares
                .get_mut(usize::from(copy.share))
                .and_then(|s| s.get_mut(copy.slot as usize))
            {
                body.events -= 1;
                body.refused -= u64::from(copy.refused);
                copies
                    .entry((copy.share, copy.slot))
                    .or_default()
                    .insert(copy.place);
            }
        }
        for ((share, slot), places) in copies {
            if let Some(last) = shares
                .get_mut(usize::from(share))
                .and_then(|s| s.get_mut(slot as usize))
                .and_then(|(_, b)| b.last.as_deref_mut())
            {
                last.forget(&places);
            }
        }
        let lines = self.chunk_lines.into_inner().unwrap_or_default();
        let file_keys = self.file_keys.into_inner().unwrap_or_default();
        let line_of = |place: Place| {
            let chunk = (place.line >> 32) as u32;
            let first = lines.get(&(place.file, chunk)).copied().unwrap_or_default();
            first + (place.line & 0xFFFF_FFFF)
        };
        let key_of = |file: u32| file_keys.get(&file).map_or("", String::as_str);
        shares.par_iter_mut().for_each(|share| {
            for body in share.values_mut() {
                body.place_lines(&line_of, &key_of);
                body.principals.settle();
                body.ips.settle();
            }
        });
        let counts = self.counts.and_then(|c| c.into_inner().ok());
        Ok(Tally {
            names,
            shares,
            distinct: counts.map(distinct_counts).unwrap_or_default(),
            by: self.by,
        })
    }
}

/// Where and when each row of a frame is, for [`Tally::from_frame`].
const ROW_COLUMNS: &[&str] = &[
    col::TS,
    col::SOURCE,
    col::EVENT_ID,
    col::FILE,
    col::LINE,
    col::RECORD_INDEX,
];

/// Every credential of a run.
pub struct Tally {
    /// Input names, by `Place::file`.
    names: Vec<String>,
    shares: Vec<Share>,
    /// Distinct credentials and client addresses of each source, when only they were
    /// counted ([`Accumulator::counting`]).
    distinct: PlHashMap<SourceId, (u64, u64)>,
    /// What each summary is of.
    by: By,
}

impl Tally {
    /// How many credentials and client addresses `source` holds (see
    /// [`Accumulator::counting`]).
    pub fn distinct_of(&self, source: SourceId) -> (u64, u64) {
        self.distinct.get(&source).copied().unwrap_or_default()
    }

    fn credentials(&self) -> impl ParallelIterator<Item = (&PlSmallStr, &Body)> {
        self.shares.par_iter().flat_map_iter(|s| s.iter())
    }

    /// The columns [`Tally::from_frame`] reads: where each row is, and what a tally
    /// reads of an event (`credentials::COLUMNS`).
    pub fn frame_columns() -> Vec<&'static str> {
        ROW_COLUMNS.iter().chain(super::COLUMNS).copied().collect()
    }

    /// A frame's credentials (a Parquet table written by `ingest`; [`Tally::frame_columns`]
    /// are all it reads), row by row in its
    /// order: repeated deliveries were removed and prefixes linked when it was written.
    pub fn from_frame(df: &DataFrame, by: By) -> PolarsResult<Tally> {
        let text = |name: &str| -> PolarsResult<&StringChunked> { df.column(name)?.str() };
        let (kind, cred, source, principal) = (
            text(col::CREDENTIAL_KIND)?,
            text(col::CREDENTIAL_ID)?,
            text(col::SOURCE)?,
            text(col::PRINCIPAL)?,
        );
        let (ip, outcome, notes, event_id, file) = (
            text(col::SRC_IP)?,
            text(col::OUTCOME)?,
            text(col::PARSE_NOTES)?,
            text(col::EVENT_ID)?,
            text(col::FILE)?,
        );
        let ts = df.column(col::TS)?.datetime()?.physical();
        let line = df.column(col::LINE)?.u64()?;
        let record = df.column(col::RECORD_INDEX)?.u32()?;
        let mut names: PlIndexMap<&str, ()> = PlIndexMap::default();
        let run = Accumulator::summarising(by);
        let rows = kind
            .iter()
            .zip(cred.iter())
            .zip(source.iter())
            .zip(principal.iter())
            .zip(ip.iter())
            .zip(outcome.iter())
            .zip(notes.iter())
            .zip(event_id.iter())
            .zip(file.iter())
            .zip(ts.iter())
            .zip(line.iter())
            .zip(record.iter());
        for (((((((((((k, c), s), p), ip), outcome), notes), id), f), t), l), r) in rows {
            let Some((subject, kind, other)) = subject(by, c, k, p) else {
                continue;
            };
            let file = names.insert_full(f.unwrap_or_default(), ()).0 as u32;
            let row = Row {
                credential: subject,
                kind,
                source: s.and_then(SourceId::from_id),
                principal: other,
                src_ip: ip,
                refused: is_refused(outcome),
                linked: notes.is_some_and(|n| n.contains("prefix_linked")),
                at: Moment {
                    ts: t.unwrap_or(i64::MIN),
                    place: Place::new(file, l.unwrap_or_default(), r),
                },
                event_id: id,
                keyed: false,
            };
            run.add(&row);
        }
        let names = names.into_keys().map(str::to_string).collect();
        // A frame's rows have no delivery keys: nothing goes to disk.
        run.finish(names, |_| {})
            .map_err(|e| polars_err!(ComputeError: "{e}"))
    }

    /// Token prefixes that one full token starts with become that token (see
    /// `ingest::link`): their events join its summary, counted as linked.
    pub fn link_token_prefixes(&mut self) {
        // Principals are not token prefixes.
        if self.by == By::Principal {
            return;
        }
        let prefix = crate::ingest::TOKEN_PREFIX_KIND;
        let all = || self.shares.iter().flat_map(|s| s.iter());
        if !all().any(|(_, b)| b.kind == prefix) {
            return;
        }
        let tokens =
            crate::ingest::FullTokens::new(all().map(|(id, b)| (id.as_str(), b.kind.as_str())));
        let moves: Vec<(PlSmallStr, PlSmallStr)> = all()
            .filter(|(_, b)| b.kind == prefix)
            .filter_map(|(id, _)| Some((id.clone(), tokens.resolve(id)?.0.into())))
            .collect();
        let hasher = |id: &str| {
            self.shares
                .iter()
                .position(|s| s.contains_key(id))
                .unwrap_or_default()
        };
        let places: Vec<(usize, usize)> =
            moves.iter().map(|(p, t)| (hasher(p), hasher(t))).collect();
        for ((from_id, to_id), (from, to)) in moves.into_iter().zip(places) {
            let Some(mut body) = self.shares[from].swap_remove(&from_id) else {
                continue;
            };
            if let Some(token) = self.shares[to].body_mut(&to_id) {
                body.linked += body.events;
                body.kind = token.kind.clone();
                token.merge(body);
            }
        }
    }

    /// The credentials whose kind `keep` accepts, in the order `key` (of the id, the
    /// first time and the event count) sorts them.
    pub fn sorted<'a, K: Ord + Send>(
        &'a self,
        keep: impl Fn(&str) -> bool + Sync,
        key: impl Fn(&'a str, i64, u64) -> K + Sync,
    ) -> Listing<'a> {
        let mut order: Vec<(K, &PlSmallStr, &Body)> = self
            .credentials()
            .filter(|(_, b)| keep(&b.kind))
            .map(|(id, b)| (key(id, b.first.at.ts, b.events), id, b))
            .collect();
        order.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Listing {
            tally: self,
            order: order.into_iter().map(|(_, id, b)| (id, b)).collect(),
        }
    }

    fn summary<'a>(&'a self, id: &'a PlSmallStr, b: &'a Body) -> CredentialSummary<'a> {
        let mut sources = Few::new();
        for (i, s) in SourceId::ALL.iter().enumerate() {
            if b.sources & (1 << i) != 0 {
                sources.push(s.as_str());
            }
        }
        sources.sort_unstable();
        CredentialSummary {
            credential_id: id,
            kind: &b.kind,
            sources,
            principals: b.principals.earliest(),
            events: b.events,
            first: sighting(&self.names, &b.first),
            last: sighting(&self.names, b.last()),
            distinct_src_ips: b.ips.len(),
            src_ips: b.ips.earliest(),
            refused: b.refused,
            prefix_linked: b.linked,
        }
    }
}

fn sighting<'a>(names: &'a [String], seen: &'a Seen) -> Sighting<'a> {
    let place = seen.at.place;
    Sighting {
        ts: seen.at.ts,
        event_id: seen.event_id.as_ref().map(EventId::as_str),
        file: names.get(place.file as usize).map_or("", String::as_str),
        line: place.line,
        record_index: place.record_index(),
        src_ip: seen.src_ip.as_deref(),
    }
}

/// Credentials in the order they are listed. Their summaries are made as they are
/// written, a block at a time: a million summaries at once would double the memory of a
/// run.
pub struct Listing<'a> {
    tally: &'a Tally,
    order: Vec<(&'a PlSmallStr, &'a Body)>,
}

impl<'a> Listing<'a> {
    /// What each summary is of.
    pub fn by(&self) -> By {
        self.tally.by
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The summaries of the principals listed in `range` (a tally by principal).
    pub fn principal_summaries(
        &self,
        range: std::ops::Range<usize>,
    ) -> impl Iterator<Item = PrincipalSummary<'a>> + '_ {
        let listed = self.order.get(range).unwrap_or_default();
        listed.iter().map(|(id, b)| {
            let c = self.tally.summary(id, b);
            PrincipalSummary {
                principal: c.credential_id,
                sources: c.sources,
                distinct_credentials: b.principals.len(),
                credentials: c.principals,
                events: c.events,
                refused: c.refused,
                first: c.first,
                last: c.last,
                distinct_src_ips: c.distinct_src_ips,
                src_ips: c.src_ips,
            }
        })
    }

    /// The summaries of the credentials listed in `range`.
    pub fn summaries(
        &self,
        range: std::ops::Range<usize>,
    ) -> impl Iterator<Item = CredentialSummary<'a>> + '_ {
        let listed = self.order.get(range).unwrap_or_default();
        listed.iter().map(|(id, b)| self.tally.summary(id, b))
    }
}

impl serde::Serialize for Listing<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.tally.by {
            By::Credential => s.collect_seq(self.summaries(0..self.len())),
            By::Principal => s.collect_seq(self.principal_summaries(0..self.len())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, ts: i64, keyed: bool) -> Row<'static> {
        Row {
            credential: "AKIAIOSFODNN7EXAMPLE",
            kind: "aws_long_term_key",
            source: Some(SourceId::CloudTrail),
            principal: None,
            src_ip: None,
            refused: false,
            linked: false,
            at: Moment {
                ts,
                place: Place::new(0, line, None),
            },
            event_id: None,
            keyed,
        }
    }

    fn body_of<'a>(rows: impl Iterator<Item = &'a Row<'static>>) -> Option<Body> {
        let mut rows = rows;
        let mut body = Body::new(rows.next()?);
        rows.for_each(|r| body.add(r));
        Some(body)
    }

    /// However a credential's events are split between chunks, whatever their order in
    /// a chunk and whichever chunk merges first, its first and last sightings are the
    /// same; and when the last is a repeated delivery, the latest event at its time that
    /// is not one takes its place, even one without a delivery key.
    #[test]
    fn sightings_do_not_depend_on_how_chunks_split_and_merge() {
        let rows = [
            row(1, 5, true),
            row(2, 9, true),
            row(3, 9, false),
            row(4, 9, true),
            row(5, 7, true),
            row(6, 9, true),
        ];
        // 4 and 6 are copies of 2.
        let copies: PlHashSet<Place> = [4, 6].map(|l| Place::new(0, l, None)).into_iter().collect();
        for split in 0u32..(1 << rows.len()) {
            let (a, b): (Vec<_>, Vec<_>) = rows
                .iter()
                .enumerate()
                .partition(|(i, _)| split & (1 << i) != 0);
            let (a, b): (Vec<&Row>, Vec<&Row>) = (
                a.into_iter().map(|(_, r)| r).collect(),
                b.into_iter().map(|(_, r)| r).collect(),
            );
            for (x, y) in [(&a, &b), (&b, &a)] {
                for backwards in [false, true] {
                    let part = |rows: &Vec<&Row<'static>>| match backwards {
                        true => body_of(rows.iter().rev().copied()),
                        false => body_of(rows.iter().copied()),
                    };
                    let body = match (part(x), part(y)) {
                        (Some(mut p), Some(q)) => {
                            p.merge(q);
                            p
                        }
                        (Some(p), None) | (None, Some(p)) => p,
                        (None, None) => unreachable!("six rows"),
                    };
                    let case = format!("split {split:06b}, backwards {backwards}");
                    assert_eq!(body.events, 6, "{case}");
                    assert_eq!(body.first.at.place.line, 1, "{case}");
                    assert_eq!(body.last().at.place.line, 6, "{case}");
                    let mut last = body.last.clone().expect("six sightings");
                    last.forget(&copies);
                    assert_eq!(last.seen.at.place.line, 3, "{case}");
                }
            }
        }
    }

    /// A chunk of more events than wait at once joins its summaries in several batches:
    /// a repeated delivery whose copies fall in different batches is still found, and
    /// taken back out of its credential's count (each copy's key learns its summary's
    /// slot only when its batch is added).
    #[test]
    fn copies_in_different_batches_of_a_chunk_are_removed() {
        use std::borrow::Cow;
        use tokentrail_parsers::{Credential, CredentialKind};
        let run = Accumulator::new();
        let fingerprints = Fingerprinter::new(b"test key");
        let mut chunk = ChunkTally::new(fingerprints, (SourceId::OktaSystemLog, 0, 0), &[], false);
        let n = PENDING + 10;
        let ids: Vec<String> = (0..n).map(|i| format!("uuid-{i}")).collect();
        let sessions = ["idx1", "idx2", "idx3"];
        let event = |i: usize| Event {
            ts: i as i64,
            event_id: Some(Cow::Borrowed(ids[i].as_str())),
            credential: Some(Credential::Public {
                kind: CredentialKind::OktaSession,
                id: Cow::Borrowed(sessions[i % 3]),
            }),
            src_ip: Some(Cow::Borrowed("192.0.2.1")),
            ..Event::default()
        };
        for i in 0..n {
            chunk.push_event(&run, &event(i), i as u64 + 1, None);
        }
        // The first ten again, as an overlapping export delivers them: the first batch
        // was added when it filled; these wait in the next.
        for i in 0..10 {
            chunk.push_event(&run, &event(i), (n + i) as u64 + 1, None);
        }
        run.merge(&mut chunk);
        let mut removed = 0;
        let tally = run
            .finish(vec!["okta.ndjson".into()], |_| removed += 1)
            .expect("a tally");
        assert_eq!(removed, 10);
        let mut events: Vec<(String, u64)> = tally
            .credentials()
            .map(|(id, b)| (id.to_string(), b.events))
            .collect();
        events.sort();
        let expected: Vec<(String, u64)> = sessions
            .iter()
            .enumerate()
            .map(|(s, id)| (id.to_string(), (0..n).filter(|i| i % 3 == s).count() as u64))
            .collect();
        assert_eq!(events, expected);
    }
}

#[cfg(test)]
mod delivery_keys {
    use super::{KeyBytes, KeyHasher};

    /// Every event of a source with ids keeps its delivery key to the end of the run.
    #[test]
    fn a_delivery_key_is_forty_bytes() {
        assert_eq!(std::mem::size_of::<super::Key>(), 40);
    }

    /// Fields that differ make keys that differ, however their texts split or are
    /// missing; the same fields make the same key.
    #[test]
    fn delivery_keys_differ_when_their_fields_do() {
        let hasher = KeyHasher::default();
        let key = |fields: &[Option<&str>], n: i64| {
            let mut bytes = KeyBytes::default();
            let b = bytes.start();
            for f in fields {
                b.text(*f);
            }
            hasher.hash(&b.number(n).0)
        };
        let a = key(&[Some("ab"), Some("c")], 1);
        assert_eq!(a, key(&[Some("ab"), Some("c")], 1));
        let others = [
            key(&[Some("a"), Some("bc")], 1),
            key(&[Some("abc"), Some("")], 1),
            key(&[Some("abc"), None], 1),
            key(&[Some("ab"), Some("c")], 2),
            key(&[Some("ab"), Some("c"), None], 1),
        ];
        for (i, k) in others.iter().enumerate() {
            assert_ne!(a, *k, "{i}");
            assert!(others[i + 1..].iter().all(|o| o != k), "{i}");
        }
    }
}
