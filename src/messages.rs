//! The one place that writes diagnostics to stderr. Results go to stdout elsewhere.
#![allow(clippy::print_stderr)]

use std::sync::atomic::{AtomicBool, Ordering};

static QUIET: AtomicBool = AtomicBool::new(false);

/// `--quiet`: drop notes and warnings; errors are still printed.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// A problem the run went past (malformed line, skipped file).
pub fn warn(msg: impl std::fmt::Display) {
    if !QUIET.load(Ordering::Relaxed) {
        eprintln!("tokentrail: {msg}");
    }
}

/// A fatal error, or a problem `--strict` turns into a failure.
pub fn error(msg: impl std::fmt::Display) {
    eprintln!("tokentrail: error: {msg}");
}

/// A phase timing line for `--timings`; printed even under `--quiet`, which it is used with.
pub fn timing(phase: &str, started: std::time::Instant) {
    eprintln!(
        "tokentrail: timing: {phase}: {:.3} s",
        started.elapsed().as_secs_f64()
    );
}
