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
    let peak = match (memory("VmHWM:"), memory("VmRSS:")) {
        (Some(peak), Some(now)) => format!(
            ", peak memory so far {} MB, now {} MB",
            peak / 1024,
            now / 1024
        ),
        _ => String::new(),
    };
    #[cfg(feature = "heap-stats")]
    let peak = {
        let (live, most) = crate::heap::take_peak();
        format!(
            "{peak}, heap live {} MB (at most {} MB since the line before)",
            live >> 20,
            most >> 20
        )
    };
    eprintln!(
        "tokentrail: timing: {phase}: {:.3} s{peak}",
        started.elapsed().as_secs_f64()
    );
}

/// The process's resident memory in KiB, `VmHWM:` its peak or `VmRSS:` now (Linux only):
/// which phase of a run on a large input needs the memory.
fn memory(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
