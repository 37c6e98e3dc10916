use std::path::PathBuf;

/// A fatal error: the run cannot go on. Problems with single inputs are not errors; they
/// are counted and reported (see `ingest::FileReport`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no input files found in {0}")]
    NoInputs(String),
    #[error("{}: cannot write output: {source}", path.display())]
    Output {
        path: PathBuf,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error(
        "{}: unknown output format (use a .parquet, .csv, .ndjson or .jsonl file name)",
        .0.display()
    )]
    OutputFormat(PathBuf),
    #[error("event frame: {0}")]
    Frame(#[from] polars::error::PolarsError),
    /// Files of the run's own in the temporary folder (their path in the message).
    #[error("{0}")]
    TempFiles(std::io::Error),
    #[error("{}: {message}", path.display())]
    Config { path: PathBuf, message: String },
    #[error("{0}")]
    Usage(String),
    #[error("--geoip: {0}")]
    GeoIp(String),
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

pub type Result<T> = std::result::Result<T, Error>;
