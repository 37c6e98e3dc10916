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
