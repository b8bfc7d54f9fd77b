//! `normsctl acks show`: parse, open, read the entries (ack::report), print them with their texts.

use super::{CommandError, Global, print_people};
use clap::Args;
use normsctl::ack::report;
use normsctl::render;

/// The exact text each of a person's acknowledgements was bound to, read from git.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The person: an id, or any of their e-mail addresses
    #[arg(long, value_name = "ID")]
    person: String,
    /// Only this policy
    #[arg(long, value_name = "ID")]
    policy: Option<String>,
}

pub fn run(global: &Global, args: ShowArgs) -> Result<(), CommandError> {
    let ws = global.open()?;
    let cx = normsctl::ack::Context::open(&ws)?;
    // An e-mail address (any of the person's, any case) names the person too.
    let person = if args.person.contains('@') {
        cx.person_id(&args.person)?
    } else {
        args.person.clone()
    };
    let entries = report::entries_of(&cx, &person, args.policy.as_deref())?;
    print_people(&render::ack::shown(
        &entries,
        &person,
        args.policy.as_deref(),
    ))
}
