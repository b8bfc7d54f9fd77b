use super::ack::{Ctx, ack_error, identity, record_time};
use super::{CliError, Global, print};
use clap::Args;
use normsctl::ack::sync::{self, SyncError};
use std::fmt::Write;

/// Exchange the ledger with the remote (`acks.remote`, default origin) through the system
/// git: fetch its ledger, join both sides (a merge commit when both moved; never a rebase),
/// push without force, and repeat when the push is rejected.
#[derive(Debug, Args)]
pub struct SyncArgs {}

pub fn run(global: &Global, _args: SyncArgs) -> Result<(), CliError> {
    let ctx = Ctx::open(global)?;
    let remote = ctx.settings.acks.remote.clone();
    if ctx.repo.find_remote(&remote).is_err() {
        return Err(
            CliError::env(format!("no git remote named `{remote}`")).with_hint(
                "add it (`git remote add origin URL`), or set `acks.remote` in normsctl.yaml",
            ),
        );
    }
    let (name, email) = identity(&ctx)?;
    let now = record_time()?;
    let offset = jiff::tz::TimeZone::system()
        .to_offset(jiff::Timestamp::from_second(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH))
        .seconds()
        / 60;
    let signature = git2::Signature::new(&name, &email, &git2::Time::new(now, offset))
        .map_err(|e| ack_error(e.into()))?;
    let idle = std::time::Duration::from_secs(u64::from(ctx.settings.acks.sync_timeout));
    let done = sync::sync(&ctx.repo, &ctx.ledger, &remote, &signature, idle).map_err(|e| match e {
        SyncError::Ledger(e) => ack_error(e),
        SyncError::Stalled { .. } => CliError::env(e.to_string()).with_hint(
            "check the network and the remote's address (`git remote -v`); raise `acks.sync_timeout` for a slow link",
        ),
        SyncError::RemoteRewritten(_) => CliError::env(e.to_string()).with_hint(
            "the remote's ledger must only grow: find out who rewrote it; protect the branch (see README, Acknowledgements)",
        ),
        other => CliError::env(other.to_string()),
    })?;
    let mut out = String::new();
    match done.tip {
        None => out.push_str("no ledger on either side yet\n"),
        Some(tip) => {
            let what = if done.pushed {
                "pushed"
            } else if done.fast_forwarded {
                "took the remote's entries"
            } else {
                "already in step"
            };
            let _ = write!(out, "{what}: {remote} holds {}", &tip.to_string()[..10]);
            if !done.merges.is_empty() {
                let _ = write!(out, " ({} merge commit(s))", done.merges.len());
            }
            if done.rounds > 1 {
                let _ = write!(out, " after {} rounds", done.rounds);
            }
            out.push('\n');
        }
    }
    print(&out)
}
