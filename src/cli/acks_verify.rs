//! `normsctl acks verify`: parse, open, verify (ack::verify), print the verdict.

use super::output::{Format, HumanOrJson};
use super::{CommandError, Global, eprint_text, print};
use clap::Args;
use normsctl::ack::verify;
use normsctl::render;

/// Check the whole ledger with git's hash checks on: append-only history (nothing edited,
/// removed or rewritten since this clone last verified it), well-formed entries bound to
/// policy texts that exist, and valid signatures wherever the roster had a key. Exit 1
/// naming the first bad commit.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    output: HumanOrJson,
}

pub fn run(global: &Global, args: VerifyArgs) -> Result<(), CommandError> {
    let ws = global.open()?;
    let cx = normsctl::ack::Context::open(&ws)?;
    let outcome = verify::verify(cx.repo, &cx.ledger, &cx.layout)?;
    let ok = outcome.problems.is_empty();
    if ok {
        verify::record_checkpoints(cx.repo, &outcome)?;
    }
    let text = match args.output.format {
        Format::Human => render::verify::human(&outcome),
        Format::Json => render::verify::json(&outcome),
    };
    print(&text)?;
    if ok {
        return Ok(());
    }
    if matches!(args.output.format, Format::Human) {
        eprint_text(&render::verify::problems(&outcome));
    }
    Err(CommandError::Findings)
}
