use super::ack::{Ctx, ack_error};
use super::output::{Format, HumanOrJson};
use super::{CliError, Global, note, print};
use clap::Args;
use normsctl::ack::verify;
use serde_json::json;
use std::fmt::Write;

/// Check the whole ledger with git's hash checks on: append-only history (nothing edited,
/// removed or rewritten since this clone last verified it), well-formed entries bound to
/// policy texts that exist, and valid signatures wherever the roster had a key. Exit 1
/// naming the first bad commit.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    output: HumanOrJson,
}

pub fn run(global: &Global, args: VerifyArgs) -> Result<(), CliError> {
    let ctx = Ctx::open(global)?;
    let line = ctx.line()?;
    let outcome = verify::verify(&ctx.repo, &ctx.ledger, &ctx.layout, &line).map_err(ack_error)?;
    let ok = outcome.problems.is_empty();
    if ok && !outcome.newer.is_empty() {
        for p in outcome.newer.iter().take(20) {
            note(&format!(
                "  {}{}: {}",
                &p.commit.to_string()[..10],
                p.path.as_ref().map(|p| format!(" {p}")).unwrap_or_default(),
                p.message
            ));
        }
        return Err(CliError::env(format!(
            "{} entries were written by a newer normsctl and cannot be checked by this one",
            outcome.newer.len()
        ))
        .with_hint("upgrade normsctl (cargo install --locked normsctl, or your distribution's package), then run `normsctl acks verify` again"));
    }
    if ok && let Err(e) = verify::record_checkpoints(&ctx.repo, &outcome) {
        // A read-only clone (an auditor's mount) still gets the verdict.
        note(&format!(
            "warning: the checkpoint of this verification cannot be written ({e}); the next run will not know this tip was verified"
        ));
    }
    let text = match args.output.format {
        Format::Human => {
            let mut out = String::new();
            if outcome.tips.is_empty() {
                out.push_str("no ledger yet\n");
            } else if ok {
                let tips: Vec<String> = outcome
                    .tips
                    .iter()
                    .map(|(n, t)| format!("{} at {}", n, &t.to_string()[..10]))
                    .collect();
                let _ = writeln!(
                    out,
                    "ledger ok: {} entries in {} commits, {} signed, {} written by someone other than the person named; {}",
                    outcome.entries,
                    outcome.commits,
                    outcome.signed,
                    outcome.by_other,
                    tips.join(", ")
                );
            }
            out
        }
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&json!({
                "version": 1,
                "ok": ok,
                "tips": outcome.tips.iter().map(|(n, t)| json!({"ref": n, "commit": t.to_string()})).collect::<Vec<_>>(),
                "commits": outcome.commits,
                "entries": outcome.entries,
                "signed": outcome.signed,
                "written_by_other": outcome.by_other,
                "first_bad_commit": outcome.problems.first().map(|p| p.commit.to_string()),
                "problems": outcome.problems.iter().map(|p| json!({
                    "commit": p.commit.to_string(),
                    "path": p.path,
                    "message": p.message,
                })).collect::<Vec<_>>(),
            }))
            .expect("JSON values serialise");
            s.push('\n');
            s
        }
    };
    print(&text)?;
    if ok {
        return Ok(());
    }
    if matches!(args.output.format, Format::Human) {
        let first = &outcome.problems[0];
        note(&format!(
            "error: the ledger fails verification; first bad commit {}",
            first.commit
        ));
        for p in outcome.problems.iter().take(20) {
            note(&format!(
                "  {}{}: {}",
                &p.commit.to_string()[..10],
                p.path.as_ref().map(|p| format!(" {p}")).unwrap_or_default(),
                p.message
            ));
        }
        if outcome.problems.len() > 20 {
            note(&format!("  ... and {} more", outcome.problems.len() - 20));
        }
    }
    Err(CliError::Findings)
}
