//! `normsctl acks audit`: parse, open, build the period report (ack::audit), print it.

use super::{CommandError, Global, note, parse_time, print};
use clap::{Args, ValueEnum};
use normsctl::render::audit;

/// A period report an auditor can read and check again offline: for each policy and
/// person, what was due, when it was acknowledged (by witnessed time), days late,
/// exemptions, the ledger commit of every entry, and what `acks verify` finds. As the
/// handbook stood at the end of the period, with only entries a witness held by then.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The period's first day (its start, in the handbook's zone) or an RFC 3339 time
    #[arg(long, value_name = "DATE|TIME")]
    from: String,
    /// The period's last day (its end) or an RFC 3339 time
    #[arg(long, value_name = "DATE|TIME")]
    to: String,
    /// Show why people are exempt (a code; never on the public site)
    #[arg(long)]
    show_reasons: bool,
    /// Output format (html: one page, printable on A4)
    #[arg(long, value_enum, default_value_t = Format::Markdown)]
    format: Format,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Markdown,
    Html,
    Json,
}

pub fn run(global: &Global, args: AuditArgs) -> Result<(), CommandError> {
    let ws = global.open()?;
    let from = parse_time(&args.from, &ws.tz, false)?;
    let to = parse_time(&args.to, &ws.tz, true)?;
    if to < from {
        return Err(CommandError::env(format!(
            "--to {} is before --from {}",
            args.to, args.from
        )));
    }
    let cx = normsctl::ack::Context::open(&ws)?;
    let a = normsctl::ack::audit::audit(&cx, from, to, &mut |n| note(&n))?;
    let text = match args.format {
        Format::Markdown => audit::markdown(&a, &ws.tz, args.show_reasons),
        Format::Html => audit::html(&a, &ws.tz, args.show_reasons),
        Format::Json => audit::json(&a, &ws.tz, args.show_reasons),
    };
    print(&text)
}
