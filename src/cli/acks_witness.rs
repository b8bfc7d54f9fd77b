//! `normsctl acks witness`: parse, open, tag the ledger's tip (ack::witness), print.

use super::{CommandError, Global, print};
use clap::Args;
use normsctl::ack::witness;

/// Tag the ledger's tip as witnessed now (refs/tags/normsctl/witness/<UTC time>), for a
/// scheduled job: every entry the tip holds was then recorded by this time, whatever time
/// its writer put in it. Protect the tag namespace on the forge so that only that job can
/// push such tags.
#[derive(Debug, Args)]
pub struct WitnessArgs {
    /// Push the tag to the remote (`acks.remote`)
    #[arg(long)]
    push: bool,
}

pub fn run(global: &Global, args: WitnessArgs) -> Result<(), CommandError> {
    let ws = global.open()?;
    let cx = normsctl::ack::Context::open(&ws)?;
    let done = witness::witness_now(&cx, args.push)?;
    let mut out = format!(
        "witnessed ledger commit {} as {}\n",
        &done.witness.target.to_string()[..10],
        done.witness.name.trim_start_matches("refs/tags/")
    );
    if let Some(remote) = &done.pushed {
        out.push_str(&format!("pushed to {remote}\n"));
    }
    print(&out)
}
