use std::io::{BufWriter, IsTerminal, Write};

use clap::Parser;
use tokentrail::cli::Cli;
use tokentrail::error::Error;
use tokentrail::exit::ExitStatus;
use tokentrail::{app, messages};

// glibc's malloc hands the large, growing column buffers back to the kernel and faults
// fresh zeroed pages in for the next chunk; mimalloc keeps and reuses them. Measured on
// a 1.1 GB nginx log (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitStatus {
    let cli = Cli::parse();
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
