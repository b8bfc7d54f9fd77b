//! `normsctl acks evidence`: parse, open, gather (ack::evidence), print the bundle.

use super::{CommandError, Global, print, print_people};
use clap::{Args, ValueEnum};
use normsctl::ack::evidence;
use normsctl::render;

/// One bundle that settles a dispute: the exact text the person acknowledged, when, at
/// which handbook commit, who wrote the entry, the diff from that text to today's, and the
/// verification result (of the entry and of the whole ledger).
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// The person: an id, or any of their e-mail addresses
    #[arg(long, value_name = "ID")]
    person: String,
    /// The policy
    #[arg(long, value_name = "ID")]
    policy: String,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    format: Format,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Markdown,
    Json,
}

pub fn run(global: &Global, args: EvidenceArgs) -> Result<(), CommandError> {
    let ws = global.open()?;
    let cx = normsctl::ack::Context::open(&ws)?;
    // An e-mail address (any of the person's, any case) names the person too.
    let person = if args.person.contains('@') {
        cx.person_id(&args.person)?
    } else {
        args.person.clone()
    };
    let ev = evidence::gather(&cx, &person, &args.policy)?;
    let generated = jiff::Timestamp::from_second(ws.now()?.as_second())
        .map(|t| t.to_string())
        .unwrap_or_default();
    match args.format {
        Format::Json => print(&render::evidence::json(&ev, &generated))?,
        Format::Markdown => print_people(&render::evidence::markdown(&ev))?,
    }
    if ev.items.is_empty() {
        return Err(CommandError::Findings);
    }
    Ok(())
}
