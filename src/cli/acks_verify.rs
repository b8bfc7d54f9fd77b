//! `normsctl acks verify`: parse, open, verify (ack::verify), print the verdict.

use super::output::{Format, HumanOrJson};
use super::{CommandError, Global, eprint_text, note, print, print_people};
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
    let line = cx.line()?;
    let outcome = verify::verify(cx.repo, &cx.ledger, &cx.layout, &line)?;
    let ok = outcome.problems.is_empty();
    if ok && !outcome.newer.is_empty() {
        eprint_text(&render::verify::newer(&outcome));
        return Err(CommandError::env(format!(
            "{} entries were written by a newer normsctl and cannot be checked by this one",
            outcome.newer.len()
        ))
        .with_hint("upgrade normsctl (cargo install --locked normsctl, or your distribution's package), then run `normsctl acks verify` again"));
    }
    if ok && let Err(e) = verify::record_checkpoints(cx.repo, &outcome) {
        // A read-only clone (an auditor's mount) still gets the verdict.
        note(&format!(
            "warning: the checkpoint of this verification cannot be written ({e}); the next run will not know this tip was verified"
        ));
    }
    match args.output.format {
        Format::Human => print_people(&render::verify::human(&outcome))?,
        Format::Json => print(&render::verify::json(&outcome))?,
    }
    if ok {
        return Ok(());
    }
    if matches!(args.output.format, Format::Human) {
        note(render::verify::problems(&outcome).trim_end());
    }
    Err(CommandError::Findings)
}
