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
    let fail = |source: Box<dyn std::error::Error + Send + Sync>| Error::Output {
        path: path.to_path_buf(),
        source,
    };
    let file = File::create(path).map_err(|e| fail(Box::new(e)))?;
    let mut w = BufWriter::new(file);
    let written = match format {
        FrameFormat::Parquet => ParquetWriter::new(&mut w)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(df)
            .map(|_| ()),
        FrameFormat::Csv => CsvWriter::new(&mut w).include_header(true).finish(df),
        FrameFormat::NdJson => JsonWriter::new(&mut w)
            .with_json_format(JsonFormat::JsonLines)
            .finish(df),
    };
    written.map_err(|e| fail(Box::new(e)))?;
    std::io::Write::flush(&mut w).map_err(|e| fail(Box::new(e)))
}
