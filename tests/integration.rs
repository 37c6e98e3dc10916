//! The one integration-test binary: runs the built `tokentrail` on real-shaped inputs.

mod util;

mod cli;
mod cloudtrail;
mod enrich;
mod hostile;
mod hunt;
mod identity;
mod ingest;
mod malformed;
mod nginx_format;
mod report;
mod scoring;
mod secrets;
mod window;
