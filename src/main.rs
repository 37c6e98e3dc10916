use std::io::{BufWriter, IsTerminal, Write};

use clap::Parser;
use tokentrail::cli::{Cli, Command};
use tokentrail::error::Error;
use tokentrail::exit::ExitStatus;
use tokentrail::{app, messages};

// glibc's malloc hands the large, growing column buffers back to the kernel and faults
// fresh zeroed pages in for the next chunk; mimalloc keeps and reuses them. Measured on
// a 1.1 GB nginx log (docs/performance.md).
#[cfg(not(feature = "heap-stats"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
#[cfg(feature = "heap-stats")]
#[global_allocator]
static GLOBAL: tokentrail::heap::Counting<mimalloc::MiMalloc> =
    tokentrail::heap::Counting(mimalloc::MiMalloc);

/// mimalloc v3 keeps freed memory for a second (arenas ten) before it goes back to the
/// system, for reuse. `hunt`, `timeline` and `score` hold one frame of every event to the
/// end, built from chunks freed as they are joined and sorted: with the delay, what was
/// freed while the frame grew stayed resident on top of it. 10 ms (mimalloc v2's delay):
/// `hunt` peak 2.8-3.2 -> 2.3-2.4 GB on 2 M CloudTrail records, 1.10-1.13 -> 0.79-0.82
/// GB on 0.8 M Okta events, for 0-8% more time (docs/performance.md). Not for `ingest`,
/// whose hour frames come and go (10-15% more time for no less memory), nor the
/// summaries.
fn return_freed_memory_sooner() {
    /// `mi_option_purge_delay` in `mi_option_e` (the same in mimalloc v2 and v3; the
    /// crate names only some of the options).
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: `mi_option_set` stores the value of an option mimalloc reads when it
    // purges; any delay is valid, and nothing else touches options concurrently (no
    // thread has started yet).
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 10)
    };
}

fn main() -> ExitStatus {
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Hunt { .. } | Command::Timeline { .. } | Command::Score { .. }
    ) {
        return_freed_memory_sooner();
    }
    let stdout = std::io::stdout().lock();
    // Rust's stdout flushes at every newline: 27 million write calls for the JSON of a
    // 1M-event Okta summary (16.5 s, 6.6 s as CSV). A terminal keeps line buffering so
    // that results and stderr messages still appear in order.
    let mut out: Box<dyn Write> = if stdout.is_terminal() {
        Box::new(stdout)
    } else {
        Box::new(BufWriter::with_capacity(1 << 16, stdout))
    };
    let ran = app::run(cli, &mut out)
        .and_then(|status| out.flush().map(|()| status).map_err(app::stdout_error));
    match ran {
        Ok(status) => status,
        // A closed pipe (`tokentrail stats … | head`) is how the reader says it has enough.
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitStatus::Success
        }
        Err(e) => {
            messages::error(e);
            ExitStatus::Fatal
        }
    }
}
