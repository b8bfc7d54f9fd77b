//! The `normsctl` binary: parse arguments, run the command, turn the result into an exit
//! code (0 success, 1 a finding, 2 usage or environment error).

mod cli;

use clap::Parser;
use std::process::ExitCode;

/// mimalloc instead of the system allocator: a site build makes millions of small
/// allocations on every core (template values, diff words), and glibc's allocator spent a
/// sixth of the build's instructions on them.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}
