//! `normsctl acks revoke`: parse, open, append a revocation (ack::revoke), print.

use super::{CommandError, Global, print};
use clap::Args;
use normsctl::ack::revoke;
use std::path::PathBuf;

/// Withdraw an acknowledgement recorded for the wrong person (a wrong --as) by appending a
/// revocation entry: nothing is removed, the original stays in the ledger, and every
/// report and `acks evidence` show it as revoked, with the reason. Where the person has a
/// signing key, the revocation must be signed with it.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The entry's id (at least 7 hex digits), as `acks show` and `acks evidence` print it
    #[arg(value_name = "ENTRY")]
    entry: String,
    /// Why (kept in the revocation, shown in every report)
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// SSH key to sign with (default: git's user.signingKey)
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Remove the ledger ref's lock file when it is older than a minute
    #[arg(long)]
    break_lock: bool,
}

pub fn run(global: &Global, args: RevokeArgs) -> Result<(), CommandError> {
    let ws = global.open()?;
    let cx = normsctl::ack::Context::open(&ws)?;
    let done = revoke::revoke(&cx, &args.entry, &args.reason, args.key, args.break_lock)?;
    let mut out = format!(
        "revoked {}'s acknowledgement of {} r{} (entry {}) with entry {}\n",
        done.person, done.policy, done.revision, done.revoked, done.revocation
    );
    if let Some(c) = done.commit {
        out.push_str(&format!(
            "recorded in {}; it is local until `normsctl acks sync`\n",
            &c.to_string()[..10]
        ));
    }
    print(&out)
}
