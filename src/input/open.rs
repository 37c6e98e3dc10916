use flate2::bufread::MultiGzDecoder;
use indicatif::ProgressBar;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::Input;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// An opened input: a reader of decompressed bytes and what was learnt opening it.
pub struct Opened {
    pub reader: Box<dyn Read + Send>,
    pub gzip: bool,
    /// Bytes on disk, when known (for the progress bar and the report).
    pub size: Option<u64>,
    /// A gzip file's own word for its inflated size (see [`gzip_inflated_size`]): a hint
    /// to size a whole document's buffer once, never trusted beyond that.
    pub inflated_hint: Option<u64>,
    /// Bytes read from the file so far (and shown on the progress bar).
    pub read_from_disk: Arc<AtomicU64>,
    /// When the file was last written, when known.
    pub modified: Option<std::time::SystemTime>,
    /// A second handle on the file, the one a map is made of: a file renamed away (log
    /// rotation) after its head was read is still the one read, whatever now has its
    /// name.
    pub file: Option<File>,
}

/// The most a deflate stream inflates: 1,032 bytes out for a byte in.
const DEFLATE_MAX_RATIO: u64 = 1032;

/// What a gzip file's trailer says it inflates to (`ISIZE`, its last four bytes: the
/// last member's size modulo 2^32), no more than deflate can make of the file's size.
/// Only a hint: several members (`cat a.gz b.gz`), a member of 4 GiB or more, or a
/// damaged or hostile trailer make it wrong, and the reader then grows its buffer as
/// without one.
fn gzip_inflated_size(path: &std::path::Path, size: u64) -> Option<u64> {
    use std::io::{Seek, SeekFrom};
    // A header (10 bytes) and a trailer (8) at least.
    if size < 18 {
        return None;
    }
    // A handle of its own: the one the input is read through stays at its start.
    let mut file = File::open(path).ok()?;
    file.seek(SeekFrom::End(-4)).ok()?;
    let mut trailer = [0u8; 4];
    file.read_exact(&mut trailer).ok()?;
    let inflated = u64::from(u32::from_le_bytes(trailer));
    Some(inflated.min(size.saturating_mul(DEFLATE_MAX_RATIO)))
}

/// Advances the progress bar by bytes read from the underlying file, compressed or not:
/// the bar is sized by bytes on disk.
struct CountingReader<R> {
    inner: R,
    progress: ProgressBar,
    /// Bytes read from the file so far, shared with the [`InflationGuard`].
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.inc(n as u64);
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Decompressed bytes read before the ratio is checked: small bombs cost nothing, and
/// short, repetitive logs never trip it.
pub const INFLATION_CHECK_AFTER: u64 = 256 << 20;

/// Why decompression stopped: more out per byte in than any log gives.
#[derive(Debug)]
pub struct InflationStopped {
    pub decompressed: u64,
    pub compressed: u64,
    pub max_ratio: u64,
}

impl std::fmt::Display for InflationStopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "decompression stopped after {} MiB from {} KiB (over {}:1; logs compress about 10:1): \
             a gzip bomb? records before it were read; --max-gzip-ratio raises the limit",
            self.decompressed >> 20,
            self.compressed >> 10,
            self.max_ratio
        )
    }
}

impl std::error::Error for InflationStopped {}

/// Stops a decompressed stream whose ratio to the compressed bytes read passes
/// `max_ratio`, once past [`INFLATION_CHECK_AFTER`]: a gzip bomb must not fill memory and
/// hours before anything is said.
struct InflationGuard<R> {
    inner: R,
    compressed: Arc<AtomicU64>,
    decompressed: u64,
    max_ratio: u64,
}

impl<R: Read> Read for InflationGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.decompressed += n as u64;
        if self.max_ratio > 0 && self.decompressed > INFLATION_CHECK_AFTER {
            let compressed = self.compressed.load(Ordering::Relaxed).max(1);
            if self.decompressed / compressed > self.max_ratio {
                return Err(io::Error::other(InflationStopped {
                    decompressed: self.decompressed,
                    compressed,
                    max_ratio: self.max_ratio,
                }));
            }
        }
        Ok(n)
    }
}

/// Open an input; gzip is recognised by its magic bytes, never by the name, and read with
/// a multi-member decoder (logrotate and `cat a.gz b.gz` make several members), stopped
/// when it inflates more than `max_gzip_ratio` to one (0: never).
pub fn open(input: &Input, progress: ProgressBar, max_gzip_ratio: u64) -> io::Result<Opened> {
    let (mut modified, mut handle) = (None, None);
    let (raw, size): (Box<dyn Read + Send>, Option<u64>) = match input {
        Input::File(path) => {
            let file = File::open(path)?;
            let meta = file.metadata().ok();
            modified = meta.as_ref().and_then(|m| m.modified().ok());
            handle = file.try_clone().ok();
            (Box::new(file), meta.map(|m| m.len()))
        }
        Input::Stdin => (Box::new(io::stdin()), None),
        Input::Unreadable(_, why) | Input::Duplicate(_, why) => {
            return Err(io::Error::other(why.clone()));
        }
    };
    let read = Arc::new(AtomicU64::new(0));
    let mut buffered = BufReader::with_capacity(
        256 * 1024,
        CountingReader {
            inner: raw,
            progress,
            read: Arc::clone(&read),
        },
    );
    let head = buffered.fill_buf()?;
    let gzip = head.starts_with(&GZIP_MAGIC);
    let read_from_disk = Arc::clone(&read);
    let reader: Box<dyn Read + Send> = if gzip {
        Box::new(InflationGuard {
            inner: MultiGzDecoder::new(buffered),
            compressed: read,
            decompressed: 0,
            max_ratio: max_gzip_ratio,
        })
    } else {
        Box::new(buffered)
    };
    let inflated_hint = match (gzip, input, size) {
        (true, Input::File(path), Some(size)) => gzip_inflated_size(path, size),
        _ => None,
    };
    Ok(Opened {
        reader,
        gzip,
        size,
        inflated_hint,
        read_from_disk,
        modified,
        file: handle,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(data).unwrap();
        gz.finish().unwrap()
    }

    fn hint_of(bytes: &[u8]) -> Option<u64> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("doc.json.gz");
        std::fs::write(&path, bytes).unwrap();
        let opened = open(&Input::File(path), ProgressBar::hidden(), 0).unwrap();
        opened.inflated_hint
    }

    /// The trailer of one member is its size; several members give the last one's (too
    /// small: the buffer then grows); a trailer that claims more than deflate can make of
    /// the file is cut to that; a plain file has no hint.
    #[test]
    fn a_gzip_trailer_hints_the_inflated_size_within_what_deflate_can_make() {
        let doc = br#"[{"uuid":"a"},{"uuid":"b"}]"#.repeat(1000);
        assert_eq!(hint_of(&gzip(&doc)), Some(doc.len() as u64));

        let mut two = gzip(&doc[..100]);
        two.extend(gzip(&doc[100..]));
        assert_eq!(hint_of(&two), Some((doc.len() - 100) as u64));

        let mut liar = gzip(b"{}");
        let n = liar.len();
        liar[n - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(hint_of(&liar), Some(n as u64 * DEFLATE_MAX_RATIO));

        assert_eq!(hint_of(&doc), None);
        assert_eq!(hint_of(&GZIP_MAGIC), None);
    }
}
