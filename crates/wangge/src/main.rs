//! `wangge`: one binary for the server, demo data, accounts, imports, backups and benchmarks (DESIGN.md §3).

mod backup;
mod bench;
mod cli;

use clap::Parser;
use std::process::ExitCode;

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
