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
    let mut stdout = std::io::stdout().lock();
    match app::run(cli, &mut stdout) {
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
