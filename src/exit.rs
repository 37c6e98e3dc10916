//! Exit codes. Documented in docs/exit-codes.md; keep the two in step.

use std::process::{ExitCode, Termination};

/// How a run ended, as a process exit code a batch job can act on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// The run completed and every input was read.
    Success = 0,
    /// The run completed and found what `--fail-on` asked to fail on (hunt, timeline).
    Findings = 1,
    /// Usage error or a fatal error: bad arguments, no readable input, output not written.
    Fatal = 2,
    /// The run completed but some input could not be read (missing, unreadable, truncated
    /// gzip), or, under `--strict`, some input was malformed or of unknown format.
    InputProblems = 3,
}

impl Termination for ExitStatus {
    fn report(self) -> ExitCode {
        ExitCode::from(self as u8)
    }
}
