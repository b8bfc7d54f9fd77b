use super::output::{Format, HumanOrJson};
use super::{CommandError, Global, note, print, print_people};
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
