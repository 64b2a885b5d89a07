//! `wangge`: one binary for the server, demo data, accounts, imports, backups and benchmarks (DESIGN.md §3).

mod backup;
mod bench;
mod cli;

use clap::Parser;
use std::process::ExitCode;

// The server allocates many small short-lived buffers per request on a few threads; glibc malloc spent about
// a tenth of the report-ingest CPU in its free lists (perf, docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("错误 / error: {e:#}");
            ExitCode::from(1)
        }
    }
}
