//! The delivery keys of a run: one for each event of a source with event ids (CloudTrail,
//! Okta, Auth0, Entra ID), kept until the inputs are read to tell repeated deliveries
//! apart. At 40 bytes an event they were the one thing of `credentials`, `secrets` and
//! `stats` that grew with the events rather than the credentials (a 200 million record
//! archive: 8 GB). Beyond what a run holds of them, they wait on disk, in a file per
//! bucket, and each bucket is read back on its own at the end: copies of an event have
//! the same hash, so they are in the same bucket.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::sighting::Place;

/// How many buckets hold the delivery keys (a power of two): in memory, many short vectors
/// grow without copying every key again at each doubling of one long vector, and are
/// sorted in parallel; on disk, a bucket is what is read back at once (a 256th of the
/// keys).
const KEY_BUCKETS: usize = 256;

/// Delivery keys held in memory before they go to disk (`--key-memory`): 1.7 million
/// events' worth (`credentials` on 8 million CloudTrail records: 398 MB of memory with
/// every key held, 189 MB so, 142 MB with half as many; the same time).
pub const KEY_MEMORY: usize = 64 << 20;

/// An event of a source with event ids, by its delivery key.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Key {
    pub(super) hash: [u64; 2],
    pub(super) place: Place,
    /// Its credential (`slot` of `share`; `NO_CREDENTIAL`: none).
    pub(super) share: u16,
    pub(super) slot: u32,
    pub(super) refused: bool,
}

/// Bytes of a key on disk.
const KEY_BYTES: usize = 40;

impl Key {
    fn bucket(&self) -> usize {
        (self.hash[0] >> (64 - KEY_BUCKETS.trailing_zeros())) as usize
    }

    fn to_bytes(self) -> [u8; KEY_BYTES] {
        let (file, line, record) = self.place.to_parts();
        let mut b = [0u8; KEY_BYTES];
        b[0..8].copy_from_slice(&self.hash[0].to_le_bytes());
        b[8..16].copy_from_slice(&self.hash[1].to_le_bytes());
        b[16..20].copy_from_slice(&file.to_le_bytes());
        b[20..28].copy_from_slice(&line.to_le_bytes());
        b[28..32].copy_from_slice(&record.to_le_bytes());
        b[32..34].copy_from_slice(&self.share.to_le_bytes());
        b[34..38].copy_from_slice(&self.slot.to_le_bytes());
        b[38] = u8::from(self.refused);
        b
    }

    fn from_bytes(b: &[u8; KEY_BYTES]) -> Key {
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or_default());
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap_or_default());
        Key {
            hash: [u64_at(0), u64_at(8)],
            place: Place::from_parts(u32_at(16), u64_at(20), u32_at(28)),
            share: u16::from_le_bytes([b[32], b[33]]),
            slot: u32_at(34),
            refused: b[38] != 0,
        }
    }
}

/// The run's delivery keys, in [`KEY_BUCKETS`] buckets by the top bits of their hash.
pub(super) struct KeyStore {
    buckets: Vec<Vec<Key>>,
    /// Keys in `buckets`.
    held: usize,
    /// Keys held at most: then every bucket's go to its file.
    most: usize,
    disk: Option<KeyFiles>,
}

impl Default for KeyStore {
    fn default() -> KeyStore {
        KeyStore::holding(KEY_MEMORY)
    }
}

impl KeyStore {
    /// A store that holds `bytes` of keys in memory at most.
    pub(super) fn holding(bytes: usize) -> KeyStore {
        KeyStore {
            buckets: Vec::new(),
            held: 0,
            most: (bytes / KEY_BYTES).max(1),
            disk: None,
        }
    }

    /// A chunk's keys join the run's; to disk if the run then holds too many.
    /// `keys` is left empty, its room kept for the next chunk's.
    pub(super) fn add(&mut self, keys: &mut Vec<Key>) -> std::io::Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        if self.buckets.is_empty() {
            self.buckets.resize_with(KEY_BUCKETS, Vec::new);
        }
        self.held += keys.len();
        for key in keys.drain(..) {
            if let Some(b) = self.buckets.get_mut(key.bucket()) {
                b.push(key);
            }
        }
        if self.held > self.most {
            let disk = match &mut self.disk {
                Some(disk) => disk,
                None => self.disk.insert(KeyFiles::create()?),
            };
            disk.append(&mut self.buckets)?;
            self.held = 0;
        }
        Ok(())
    }

    /// Every repeated delivery: the keys whose hash an earlier key in input order has
    /// (the first of each hash is the one kept). A bucket at a time, read back from disk
    /// with its keys still in memory.
    pub(super) fn copies(self) -> std::io::Result<Vec<Key>> {
        let KeyStore {
            mut buckets, disk, ..
        } = self;
        buckets.resize_with(KEY_BUCKETS, Vec::new);
        let found: Vec<std::io::Result<Vec<Key>>> = buckets
            .into_par_iter()
            .enumerate()
            .map(|(b, held)| {
                let mut all = match &disk {
                    Some(disk) => disk.read(b)?,
                    None => Vec::new(),
                };
                all.extend(held);
                Ok(copies_in(&mut all))
            })
            .collect();
        let mut copies = Vec::new();
        for f in found {
            copies.extend(f?);
        }
        Ok(copies)
    }
}

/// Every copy in `keys` but the first in input order, ordered by hash then place. The
/// keys are sorted by their first word alone (a compare of one integer, where the whole
/// hash and place took a third of `copies` on the Okta bench); only the rare runs that
/// share it are ordered by the rest.
fn copies_in(keys: &mut [Key]) -> Vec<Key> {
    keys.sort_unstable_by_key(|k| k.hash[0]);
    let mut copies = Vec::new();
    for run in keys.chunk_by_mut(|a, b| a.hash[0] == b.hash[0]) {
        if run.len() < 2 {
            continue;
        }
        run.sort_unstable_by_key(|k| (k.hash, k.place));
        copies.extend(
            run.windows(2)
                .filter(|pair| pair[0].hash == pair[1].hash)
                .map(|pair| pair[1]),
        );
    }
    copies
}

/// The keys that went to disk: a file per bucket in a folder of the run's own, removed
/// with it.
struct KeyFiles {
    dir: PathBuf,
}

impl KeyFiles {
    /// The folder's name in the system's temporary folder, before the process id.
    const PREFIX: &str = "tokentrail-keys-";

    fn create() -> std::io::Result<KeyFiles> {
        let dir = std::env::temp_dir().join(format!("{}{}", Self::PREFIX, std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| named(&dir, e))?;
        Ok(KeyFiles { dir })
    }

    fn path(&self, bucket: usize) -> PathBuf {
        self.dir.join(format!("{bucket:03}.keys"))
    }

    /// Every bucket's keys appended to its file; the buckets emptied (their memory too).
    fn append(&mut self, buckets: &mut [Vec<Key>]) -> std::io::Result<()> {
        for (b, keys) in buckets.iter_mut().enumerate() {
            if keys.is_empty() {
                continue;
            }
            let path = self.path(b);
            let file = File::options()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| named(&path, e))?;
            let mut out = BufWriter::with_capacity(1 << 16, file);
            for key in keys.iter() {
                out.write_all(&key.to_bytes())
                    .map_err(|e| named(&path, e))?;
            }
            out.into_inner().map_err(|e| named(&path, e.into_error()))?;
            *keys = Vec::new();
        }
        Ok(())
    }

    /// Bucket `bucket`'s keys on disk.
    fn read(&self, bucket: usize) -> std::io::Result<Vec<Key>> {
        let path = self.path(bucket);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(named(&path, e)),
        };
        let len = file.metadata().map_err(|e| named(&path, e))?.len() as usize;
        let mut keys = Vec::with_capacity(len / KEY_BYTES);
        let mut input = BufReader::with_capacity(1 << 16, file);
        let mut b = [0u8; KEY_BYTES];
        for _ in 0..len / KEY_BYTES {
            input.read_exact(&mut b).map_err(|e| named(&path, e))?;
            keys.push(Key::from_bytes(&b));
        }
        Ok(keys)
    }
}

impl Drop for KeyFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `e` saying which file, and what the file is for.
fn named(path: &Path, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(
        e.kind(),
        format!(
            "{}: {e} (the delivery keys that do not fit in memory, one for each event with an \
             id, wait in the temporary folder until the inputs are read; point TMPDIR at a \
             folder with free space)",
            path.display(),
        ),
    )
}

/// The prefix of the folders keys wait in, for the removal of those a stopped run left.
pub const SPILL_PREFIX: &str = KeyFiles::PREFIX;

#[cfg(test)]
mod tests {
    use super::*;

    fn key(hash: u64, file: u32, line: u64) -> Key {
        Key {
            // The top bits pick the bucket: spread the keys over a few.
            hash: [hash.rotate_right(3), hash],
            place: Place::new(file, line, line.is_multiple_of(3).then_some(line as u32)),
            share: (hash % 64) as u16,
            slot: line as u32,
            refused: line.is_multiple_of(2),
        }
    }

    /// A key reads back from disk as it was written.
    #[test]
    fn a_key_reads_back_as_written() {
        let k = Key {
            hash: [u64::MAX - 7, 42],
            place: Place::new(u32::MAX - 1, u64::MAX - 3, Some(u32::MAX - 2)),
            share: 63,
            slot: super::super::NO_CREDENTIAL,
            refused: true,
        };
        assert_eq!(Key::from_bytes(&k.to_bytes()), k);
    }

    /// The copies found are the same whether the keys stay in memory or most go to disk
    /// (held at most 7 keys): each later copy of an event, whichever bucket and however
    /// often it was spilled; and the folder on disk is gone once the store is.
    #[test]
    fn copies_are_the_same_from_disk_as_from_memory() {
        // 600 events, each tenth delivered again from another file, one of them three
        // times; chunks of 50 keys join the store in input order.
        let mut keys: Vec<Key> = (0..600u64)
            .map(|i| key(i * 0x9E37_79B9, 0, i + 1))
            .collect();
        let again: Vec<Key> = (0..600u64)
            .step_by(10)
            .map(|i| key(i * 0x9E37_79B9, 1, i + 7))
            .collect();
        keys.extend(again);
        keys.push(key(0, 2, 5));
        let found = |most_bytes: usize| {
            let mut store = KeyStore::holding(most_bytes);
            for chunk in keys.chunks(50) {
                store.add(&mut chunk.to_vec()).expect("keys added");
            }
            let spilled = store.disk.is_some();
            let dir = store.disk.as_ref().map(|d| d.dir.clone());
            let mut copies = store.copies().expect("copies found");
            copies.sort_unstable_by_key(|k| (k.place, k.hash));
            if let Some(dir) = dir {
                assert!(!dir.exists(), "{} left behind", dir.display());
            }
            (copies, spilled)
        };
        let (in_memory, spilled) = found(KEY_MEMORY);
        assert!(!spilled);
        assert_eq!(in_memory.len(), 61);
        assert!(in_memory.iter().all(|k| k.place.file >= 1));
        let (from_disk, spilled) = found(7 * KEY_BYTES);
        assert!(spilled);
        assert_eq!(from_disk, in_memory);
    }

    /// Keys are copies only when both words of their hash are equal (the sort looks at
    /// the first alone), and of each set of copies the one first in input order stays,
    /// whatever order the keys came in.
    #[test]
    fn copies_share_the_whole_hash_and_the_first_place_stays() {
        let with = |words: [u64; 2], file: u32, line: u64| Key {
            hash: words,
            ..key(0, file, line)
        };
        let keys = vec![
            with([7, 1], 2, 9),
            with([7, 2], 0, 4),
            with([7, 1], 0, 8),
            with([7, 3], 1, 1),
            with([7, 1], 1, 2),
            with([9, 2], 0, 1),
            with([5, 2], 0, 2),
        ];
        let mut store = KeyStore::default();
        store.add(&mut keys.clone()).expect("keys added");
        let copies = store.copies().expect("copies found");
        let places: Vec<(u32, u64)> = copies
            .iter()
            .map(|k| (k.place.file, k.place.to_parts().1))
            .collect();
        assert_eq!(places, vec![(1, 2), (2, 9)]);
        assert!(copies.iter().all(|k| k.hash == [7, 1]));
    }
}
