//! The `normsctl` binary: parse arguments, run the command, turn the result into an exit
//! code (0 success, 1 a finding, 2 usage or environment error).

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}
