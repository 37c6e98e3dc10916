//! A plain file mapped in memory, read-only.
//!
//! One of the two places in tokentrail with `unsafe` code (the other: the allocator
//! option in main.rs). Reading a large file in the page cache copies every byte from the
//! kernel into the reader's buffers: a tenth of the CPU of `credentials` on a gigabyte of
//! Okta NDJSON (docs/performance.md). A map lets the parsers read the page cache itself,
//! as ripgrep does for single large files.

#![allow(unsafe_code)]

use std::fs::File;
use std::ops::Range;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::Thread;

/// A read-only map of a whole file.
pub struct Map {
    map: memmap2::Mmap,
}

/// Ranges given back are cut to this alignment, a multiple of every page size in use
/// (4 KiB to 64 KiB).
const ALIGN: usize = 64 * 1024;

impl Map {
    /// Maps `file` read-only: the file whose head was read to detect its format, even if
    /// its name has since gone to another (log rotation).
    ///
    /// A map is only as steady as the file: a file truncated while it is read
    /// (logrotate's `copytruncate` on a live log) or a disk that fails to read ends the
    /// process with SIGBUS, where reading would have ended early or returned an error,
    /// each said with the file's name (docs/exit-codes.md). `--no-mmap` reads instead.
    pub fn of(file: &File) -> std::io::Result<Map> {
        // SAFETY: the map is read-only; tokentrail never writes to its inputs. Another
        // process changing the file while it is mapped is the hazard described above,
        // which the user accepts unless `--no-mmap` is given.
        let map = unsafe { memmap2::MmapOptions::new().map(file) }?;
        Ok(Map { map })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// Lets go of the pages wholly inside `range`, read and no longer needed: the
    /// process's resident memory then holds the chunks being parsed, not the whole file
    /// (the pages stay in the page cache).
    pub fn release(&self, range: Range<usize>) {
        #[cfg(unix)]
        {
            let start = range.start.next_multiple_of(ALIGN);
            let end = range.end / ALIGN * ALIGN;
            if start < end {
                // SAFETY: the map is of a file, shared and never written: a page let go
                // is read again from the file if it is touched again, with the same bytes
                // (no byte in `range` is read again by the parsers anyway).
                let _ = unsafe {
                    self.map.unchecked_advise_range(
                        memmap2::UncheckedAdvice::DontNeed,
                        start,
                        end - start,
                    )
                };
            }
        }
        #[cfg(not(unix))]
        let _ = range;
    }
}

/// Pages of a map brought in from disk ahead of the parse, by a thread of their own.
///
/// A file not yet in the page cache (a log just copied off a disk or out of an evidence
/// image) is read by the parse's page faults: each fault on a page not yet read waits for
/// the disk, on a core that then does nothing, and workers faulting at two places of the
/// file at once defeat the kernel's read-ahead, which follows one reader (it then reads
/// around each fault in small pages, which cost more to map). A thread that touches the
/// pages in order, a little ahead of the chunks handed out, has them read by the kernel's
/// read-ahead, in large pieces, while the workers parse the chunks before them: the parse
/// waits on the disk only where the disk is slower than it (docs/performance.md, "Logs not
/// yet in memory"). A stretch already in the page cache, the usual case of a second run,
/// is left alone.
pub struct PagesAhead<'m> {
    map: &'m Map,
    /// Where the parse has reached: the end of the last chunk handed out.
    reached: AtomicUsize,
    stop: AtomicBool,
    /// The thread in [`PagesAhead::run`], woken when the parse moves on.
    runner: OnceLock<Thread>,
}

/// How far ahead of the chunks handed out the pages are touched.
const READ_AHEAD: usize = 64 << 20;

/// The stretches asked of [`resident`] one at a time: a line chunk, larger than the
/// kernel's read-ahead (128 KiB to 8 MiB), so that a stretch its read-ahead started on is
/// seen as not yet read and touched on, which keeps the read-ahead going.
const STRETCH: usize = 16 << 20;

/// The step of the touches in a stretch not in memory: a fault on a page not yet read
/// starts the kernel's read-ahead there, and the marks its read-ahead leaves start the next.
const STEP: usize = 64 << 10;

impl<'m> PagesAhead<'m> {
    /// Runs `parse` beside a thread reading `map` ahead of it: `parse` says where it has
    /// reached through [`PagesAhead::reached`]. The thread stops when `parse` returns or
    /// panics.
    pub fn beside<R>(map: &'m Map, parse: impl FnOnce(&PagesAhead<'m>) -> R) -> R {
        let ahead = PagesAhead {
            map,
            reached: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            runner: OnceLock::new(),
        };
        std::thread::scope(|s| {
            s.spawn(|| ahead.run());
            let _stop = StopOnDrop(&ahead);
            parse(&ahead)
        })
    }

    /// The parse has been handed the file up to byte `at`.
    pub fn reached(&self, at: usize) {
        self.reached.store(at, Ordering::Release);
        self.wake();
    }

    fn wake(&self) {
        if let Some(runner) = self.runner.get() {
            runner.unpark();
        }
    }

    /// Touches the stretches not in memory up to [`READ_AHEAD`] bytes ahead of the
    /// parse, until the file's end or the parse's.
    fn run(&self) {
        let _ = self.runner.set(std::thread::current());
        let data = self.map.bytes();
        let mut touched = 0;
        while touched < data.len() && !self.stop.load(Ordering::Acquire) {
            let reached = self.reached.load(Ordering::Acquire);
            // Behind the parse (a disk slower than it), the workers read their chunks
            // themselves: the next stretch worth reading is the first not handed out.
            touched = touched.max(reached.min(data.len()));
            let ahead = reached.saturating_add(READ_AHEAD).min(data.len());
            if touched >= ahead {
                // Woken by `reached` or the parse's end (or for nothing: the loop looks
                // again).
                std::thread::park();
                continue;
            }
            let end = (touched + STRETCH).min(ahead);
            let stretch = &data[touched..end];
            if !resident(stretch) {
                for at in (0..stretch.len()).step_by(STEP) {
                    std::hint::black_box(stretch[at]);
                }
                // Only read: the parse maps the pages as it reaches them, so that the
                // process's resident memory stays the chunks being parsed.
                self.map.release(touched..end);
            }
            touched = end;
        }
    }
}

/// Stops a [`PagesAhead`]'s thread when the parse beside it ends, by returning or by a
/// panic (the scope would otherwise wait for the thread forever).
struct StopOnDrop<'a, 'm>(&'a PagesAhead<'m>);

impl Drop for StopOnDrop<'_, '_> {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Release);
        self.0.wake();
    }
}

/// Whether `bytes` (a piece of a map) looks to be in memory: its pages at each MiB, and
/// its last. A sample: asked of every page, the kernel looked each up (22 ms a gigabyte
/// already in memory, a core's share of the parse); a page the sample misses is read by
/// the parse's own fault, as without a read-ahead. `false` when it cannot be told.
#[cfg(unix)]
fn resident(bytes: &[u8]) -> bool {
    // SAFETY: sysconf has no preconditions.
    let page = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        p if p > 0 => p as usize,
        _ => return false,
    };
    let Some(last) = bytes.len().checked_sub(1) else {
        return true;
    };
    (0..bytes.len()).step_by(SAMPLE).chain([last]).all(|at| {
        let addr = bytes[at..].as_ptr() as usize;
        let mut state: u8 = 0;
        // SAFETY: the page at `addr - addr % page` holds byte `at` of `bytes`, a piece of
        // a map, so it is mapped; mincore writes one byte for one page.
        let done = unsafe {
            libc::mincore(
                (addr - addr % page) as *mut libc::c_void,
                1,
                std::ptr::from_mut(&mut state).cast(),
            )
        };
        done == 0 && state & 1 == 1
    })
}

/// The distance between the pages [`resident`] samples.
const SAMPLE: usize = 1 << 20;

#[cfg(not(unix))]
fn resident(_: &[u8]) -> bool {
    false
}

/// The progress bar of a mapped file: its bytes count as read once the parse reaches
/// them, less those already shown (read through the stream to detect the format).
pub struct MapProgress<'p> {
    bar: &'p indicatif::ProgressBar,
    shown: u64,
}

impl<'p> MapProgress<'p> {
    pub fn new(bar: &'p indicatif::ProgressBar, shown: u64) -> MapProgress<'p> {
        MapProgress { bar, shown }
    }

    /// The file is read up to byte `at`.
    pub fn reached(&mut self, at: u64) {
        if at > self.shown {
            self.bar.inc(at - self.shown);
            self.shown = at;
        }
    }
}

/// Bytes read into memory of their own (`T`), or a piece of a map.
pub enum Bytes<'m, T> {
    Read(T),
    Mapped(&'m [u8]),
}

impl<T: std::ops::Deref<Target = [u8]>> std::ops::Deref for Bytes<'_, T> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Read(owned) => owned,
            Bytes::Mapped(piece) => piece,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    /// A file of `len` bytes, mapped.
    fn mapped(dir: &tempfile::TempDir, len: usize) -> (File, Map) {
        let path = dir.path().join("log");
        let mut f = File::create(&path).unwrap();
        f.write_all(&vec![b'x'; len]).unwrap();
        f.sync_all().unwrap();
        let f = File::open(&path).unwrap();
        let map = Map::of(&f).unwrap();
        (f, map)
    }

    /// A mapped file of `len` bytes put out of the page cache; `None` (said) where that
    /// cannot be done: on tmpfs, which has no disk to read the pages back from. (Linux:
    /// other systems have no `posix_fadvise` to do it with.)
    #[cfg(target_os = "linux")]
    fn evicted(dir: &tempfile::TempDir, len: usize) -> Option<Map> {
        use std::os::fd::AsRawFd;
        let (f, map) = mapped(dir, len);
        // SAFETY: a plain call on an open descriptor.
        let done = unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        if done != 0 || resident(map.bytes()) {
            eprintln!("skipped: the temporary folder keeps its files in memory (tmpfs)");
            return None;
        }
        Some(map)
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn pages_not_in_memory_are_read_ahead_of_the_parse() {
        let dir = tempfile::tempdir().unwrap();
        let len = 3 * STRETCH + 12345;
        let Some(map) = evicted(&dir, len) else {
            return;
        };
        // The parse reads none of the file, shorter than the distance read ahead: only
        // the read-ahead can bring its pages in.
        let brought_in =
            within_seconds(move || PagesAhead::beside(&map, |_| until_resident(map.bytes())));
        assert_eq!(brought_in, Some(true), "the pages were not read ahead");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn pages_are_read_no_further_than_ahead_of_the_parse() {
        let dir = tempfile::tempdir().unwrap();
        let len = READ_AHEAD + 4 * STRETCH;
        let Some(map) = evicted(&dir, len) else {
            return;
        };
        // The parse has been handed nothing yet.
        let read = within_seconds(move || {
            PagesAhead::beside(&map, |_| {
                let bytes = map.bytes();
                let ahead = until_resident(&bytes[..READ_AHEAD]);
                // The kernel reads on past the last touch by up to its own read-ahead (8
                // MiB here): the last stretch, 48 MiB further, was never asked for.
                std::thread::sleep(Duration::from_millis(200));
                (ahead, resident(&bytes[len - STRETCH..]))
            })
        });
        assert_eq!(read, Some((true, false)));
    }

    /// Waits up to 10 s for `bytes` to be in memory; whether they are.
    fn until_resident(bytes: &[u8]) -> bool {
        let until = Instant::now() + Duration::from_secs(10);
        while !resident(bytes) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        resident(bytes)
    }

    /// Runs `f` on a thread of its own; `None` if it has not returned within 20 s.
    fn within_seconds<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> Option<R> {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(Duration::from_secs(20)).ok()
    }

    #[test]
    fn the_read_ahead_stops_when_the_parse_ends_early_or_panics() {
        let dir = tempfile::tempdir().unwrap();
        let (_f, map) = mapped(&dir, READ_AHEAD + 3 * STRETCH);
        let map = std::sync::Arc::new(map);
        // The parse stops before the file's end, without saying so.
        let early = std::sync::Arc::clone(&map);
        let ended = within_seconds(move || {
            PagesAhead::beside(&early, |ahead| {
                ahead.reached(STRETCH);
                7
            })
        });
        assert_eq!(ended, Some(7), "the read-ahead held the parse's end");
        let panicking = std::sync::Arc::clone(&map);
        let ended = within_seconds(move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                PagesAhead::beside(&panicking, |_| -> () { panic!("a parse that fails") })
            }))
            .is_err()
        });
        assert_eq!(ended, Some(true), "the read-ahead held a panicking parse");
    }
}
