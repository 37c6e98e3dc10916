//! tokentrail: trace a leaked credential through nginx, CloudTrail and identity-provider
//! logs to its first suspicious call. See docs/architecture.md for the pipeline.

pub mod app;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod enrich;
pub mod error;
pub mod exit;
pub mod fingerprint;
pub mod frame;
#[cfg(feature = "heap-stats")]
pub mod heap;
pub mod hunt;
pub mod ingest;
pub mod input;
pub mod messages;
pub mod output;
pub mod parts;
pub mod progress;
pub mod report;
pub mod score;
pub mod score_report;
pub mod secrets;
pub mod stats;
pub mod tables;
pub mod timezone;
pub mod window;
