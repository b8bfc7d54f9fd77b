//! `normsctl acks sync`: parse, open, sync (ack::sync), print what it did.

use super::{CommandError, Global, print_people};
use clap::Args;
use normsctl::ack::sync;
use normsctl::render;

/// Exchange the ledger with the remote (`acks.remote`, default origin) through the system
/// git: fetch its ledger, join both sides (a merge commit when both moved; never a rebase),
/// push without force, and repeat when the push is rejected.
#[derive(Debug, Args)]
pub struct SyncArgs {}

pub fn run(global: &Global, _args: SyncArgs) -> Result<(), CommandError> {
    let ws = global.open()?;
    let cx = normsctl::ack::Context::open(&ws)?;
    let remote = ws.settings.acks.remote.clone();
    let done = sync::sync_as_me(&cx, &remote)?;
    print_people(&render::ack::synced(&done, &remote))
}
