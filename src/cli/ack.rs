//! `normsctl ack`: parse, open, record (ack::record), print what was recorded.

use super::{CommandError, Global, note, print_people};
use clap::Args;
use normsctl::ack::record::{self, Request};
use normsctl::render;
use std::path::PathBuf;

/// Record that a person read the current revision (as committed at HEAD) of each policy.
///
/// The entry binds the person, the policy, its revision, the exact text (the file's git
/// blob), the handbook commit, the time and who wrote it, on the ledger branch
/// (`acks.ref`). Where the roster gives the person a `signing_key`, the entry is signed
/// with the matching private key (`--key`, else git's `user.signingKey`).
#[derive(Debug, Args)]
pub struct AckArgs {
    /// Policy ids
    #[arg(value_name = "ID", required_unless_present = "pending")]
    ids: Vec<String>,
    /// The person acknowledging (default: the roster person whose email is git's
    /// user.email)
    #[arg(long = "as", value_name = "PERSON")]
    person: Option<String>,
    /// Also acknowledge everything outstanding for the person
    #[arg(long)]
    pending: bool,
    /// A note kept with each entry (for example "paper form signed 2026-03-02")
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// SSH key to sign with: a private key file, or a public key whose private half is in
    /// the SSH agent (default: git's user.signingKey)
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Remove the ledger ref's lock file when it is older than a minute (left by a killed
    /// process)
    #[arg(long)]
    break_lock: bool,
}

pub fn run(global: &Global, args: AckArgs) -> Result<(), CommandError> {
    let ws = global.open()?;
    let cx = normsctl::ack::Context::open(&ws)?;
    let request = Request {
        ids: args.ids,
        person: args.person,
        pending: args.pending,
        note: args.note,
        key: args.key,
        break_lock: args.break_lock,
    };
    let recorded = record::record(&cx, &request, &mut |n| note(&n))?;
    print_people(&render::ack::recorded(&recorded))
}
