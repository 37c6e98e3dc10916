use flate2::bufread::MultiGzDecoder;
use indicatif::ProgressBar;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};

use super::Input;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// An opened input: a reader of decompressed bytes and what was learnt opening it.
pub struct Opened {
    pub reader: Box<dyn Read + Send>,
    pub gzip: bool,
    /// Bytes on disk, when known (for the progress bar and the report).
    pub size: Option<u64>,
}

/// Advances the progress bar by bytes read from the underlying file, compressed or not:
/// the bar is sized by bytes on disk.
struct CountingReader<R> {
    inner: R,
    progress: ProgressBar,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.inc(n as u64);
        Ok(n)
    }
}

/// Open an input; gzip is recognised by its magic bytes, never by the name, and read with
/// a multi-member decoder (logrotate and `cat a.gz b.gz` make several members).
pub fn open(input: &Input, progress: ProgressBar) -> io::Result<Opened> {
    let (raw, size): (Box<dyn Read + Send>, Option<u64>) = match input {
        Input::File(path) => {
            let file = File::open(path)?;
            let size = file.metadata().ok().map(|m| m.len());
            (Box::new(file), size)
        }
        Input::Stdin => (Box::new(io::stdin()), None),
    };
    let mut buffered = BufReader::with_capacity(
        256 * 1024,
        CountingReader {
            inner: raw,
            progress,
        },
    );
    let head = buffered.fill_buf()?;
    let gzip = head.starts_with(&GZIP_MAGIC);
    let reader: Box<dyn Read + Send> = if gzip {
        Box::new(MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    Ok(Opened { reader, gzip, size })
}
