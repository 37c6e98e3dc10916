//! Writing the event frame to a file, in the format its extension names.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, Result};

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FrameFormat {
    Parquet,
    Csv,
    NdJson,
}

impl FrameFormat {
    pub fn from_path(path: &Path) -> Option<FrameFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "parquet" => Some(FrameFormat::Parquet),
            "csv" => Some(FrameFormat::Csv),
            "ndjson" | "jsonl" => Some(FrameFormat::NdJson),
            _ => None,
        }
    }
}

pub fn write_frame(df: &mut DataFrame, path: &Path) -> Result<()> {
    let format =
        FrameFormat::from_path(path).ok_or_else(|| Error::OutputFormat(path.to_path_buf()))?;
    write_atomically(path, |w| {
        match format {
            FrameFormat::Parquet => ParquetWriter::new(w)
                .with_compression(ParquetCompression::Zstd(None))
                .finish(df)
                .map(|_| ()),
            FrameFormat::Csv => CsvWriter::new(w).include_header(true).finish(df),
            FrameFormat::NdJson => JsonWriter::new(w)
                .with_json_format(JsonFormat::JsonLines)
                .finish(df),
        }
        .map_err(|e| Box::new(e) as BoxError)
    })
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Write `path` under a temporary name beside it and rename it into place only once
/// complete and synced: a full disk, a kill or an error never leaves a file under the
/// final name that looks finished. A destination that exists and is not a regular file
/// (`/dev/stdout`, a fifo) is written directly.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> std::result::Result<(), BoxError>,
) -> Result<()> {
    let fail = |source: BoxError| Error::Output {
        path: path.to_path_buf(),
        source,
    };
    let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file());
    if special {
        let mut w = BufWriter::new(File::create(path).map_err(|e| fail(Box::new(e)))?);
        write(&mut w).map_err(fail)?;
        return std::io::Write::flush(&mut w).map_err(|e| fail(Box::new(e)));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = path.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    let result = (|| {
        let mut w = BufWriter::new(File::create(&partial).map_err(|e| fail(Box::new(e)))?);
        write(&mut w).map_err(fail)?;
        let file = w.into_inner().map_err(|e| fail(Box::new(e.into_error())))?;
        file.sync_all().map_err(|e| fail(Box::new(e)))?;
        std::fs::rename(&partial, path).map_err(|e| fail(Box::new(e)))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}
