//! The `normsctl` binary: parse arguments, run the command, turn the result into an exit
//! code (0 success, 1 a finding, 2 usage or environment error).

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // libgit2 caches no tree over 4 KiB by default, and a folder of a hundred policies is
    // larger: every history walk would inflate it again for each commit that compares it.
    // SAFETY: set once, before any thread exists (the history walk starts threads later).
    let _ = unsafe { git2::opts::set_cache_object_limit(git2::ObjectType::Tree, 1 << 20) };
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}
