use super::ack::{Ctx, ack_error, now};
use super::acks::by_other;
use super::{CliError, Global, print};
use clap::{Args, ValueEnum};
use normsctl::ack::AckError;
use normsctl::ack::ledger;
use normsctl::ack::people::People;
use normsctl::ack::verify::{self, Judge};
use normsctl::history;
use serde_json::json;
use std::fmt::Write;

/// One bundle that settles a dispute: the exact text the person acknowledged, when, at
/// which handbook commit, who wrote the entry, the diff from that text to today's, and the
/// verification result (of the entry and of the whole ledger).
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// The person
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

/// One acknowledgement with everything said about it.
struct Item {
    entry: normsctl::ack::entry::Parsed,
    by_other: bool,
    text: Option<String>,
    landed: Option<history::Revision>,
    diff: Option<String>,
    check: verify::EntryCheck,
}

pub fn run(global: &Global, args: EvidenceArgs) -> Result<(), CliError> {
    let ctx = Ctx::open(global)?;
    let snap = ctx.snapshot()?;
    // Evidence trusts nothing kept outside the object database.
    let people = snap
        .roster
        .and_then(|b| People::decode(&ctx.repo, b, &ctx.layout.roster))
        .unwrap_or_default();
    let tips = ctx.ledger.tips(&ctx.repo).map_err(ack_error)?;
    let mut listed = ledger::list_person(&ctx.repo, &tips, &args.person).map_err(ack_error)?;
    listed.retain(|l| l.info.policy == args.policy);
    if listed.is_empty() && people.person(&args.person).is_none() {
        return Err(ack_error(AckError::UnknownPerson(args.person)));
    }
    // Hash checks stay on in this process: it verifies.
    let revisions = history::walk(&ctx.repo, snap.commit, &ctx.layout.policies)
        .map_err(|e| ack_error(e.into()))?;
    let current_file = snap.files.get(&args.policy);
    let current_text = current_file.and_then(|f| text_of(&ctx.repo, &f.blob.to_string()));
    let current_revision = current_text.as_deref().and_then(history::revision_of);

    let line = ctx.line()?;
    let ledger_outcome =
        verify::verify(&ctx.repo, &ctx.ledger, &ctx.layout, &line).map_err(ack_error)?;
    let mut judge = Judge::new(&ctx.repo, &ctx.layout, &line);
    let mut items = Vec::new();
    for l in &listed {
        let blob = ctx
            .repo
            .find_blob(l.blob)
            .map_err(|e| ack_error(e.into()))?;
        let Ok((p, payload)) = normsctl::ack::entry::parse_file(&l.path, blob.content()) else {
            continue;
        };
        let check = judge.entry(&p, &payload).map_err(ack_error)?;
        let text = text_of(&ctx.repo, &p.entry.blob);
        let landed = revisions
            .iter()
            .rfind(|r| r.id == p.entry.policy && r.blob.to_string() == p.entry.blob)
            .cloned();
        let diff = match (&text, &current_text) {
            (Some(a), Some(b)) if a != b => Some(
                similar::TextDiff::from_lines(a.as_str(), b.as_str())
                    .unified_diff()
                    .context_radius(3)
                    .header("acknowledged", "today")
                    .to_string(),
            ),
            _ => None,
        };
        items.push(Item {
            by_other: by_other(&p, &people),
            entry: p,
            text,
            landed,
            diff,
            check,
        });
    }
    items.sort_by(|a, b| a.entry.entry.time.cmp(&b.entry.entry.time));
    let state = match current_revision {
        _ if items.is_empty() => "never",
        Some(c) if items.iter().any(|i| i.entry.entry.revision >= c) => "current",
        None => "retired",
        _ => "stale",
    };
    let ledger_ok = ledger_outcome.problems.is_empty();
    let first_problem = ledger_outcome.problems.first().map(|p| {
        format!(
            "first bad commit {}{}: {}",
            p.commit,
            p.path.as_ref().map(|p| format!(" {p}")).unwrap_or_default(),
            p.message
        )
    });
    let generated = jiff::Timestamp::from_second(now()?)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let text = match args.format {
        Format::Json => {
            let doc = json!({
                "version": 1,
                "generated": generated,
                "person": args.person,
                "policy": args.policy,
                "head": snap.commit.to_string(),
                "current": current_file.map(|f| json!({
                    "revision": current_revision,
                    "path": f.path,
                    "blob": f.blob.to_string(),
                })),
                "status": state,
                "ledger": {
                    "ok": ledger_ok,
                    "entries": ledger_outcome.entries,
                    "first_problem": first_problem,
                },
                "acknowledgements": items.iter().map(|i| {
                    let e = &i.entry.entry;
                    json!({
                        "entry": i.entry.id.to_string(),
                        "revision": e.revision,
                        "time": e.time,
                        "commit": e.commit,
                        "path": e.path,
                        "blob": e.blob,
                        "writer": { "name": e.writer.name, "email": e.writer.email },
                        "written_by_other": i.by_other,
                        "note": e.note,
                        "signed": i.entry.signature.is_some(),
                        "landed": i.landed.as_ref().map(|r| json!({
                            "commit": r.commit.to_string(),
                            "time": r.landed.zoned().strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                        })),
                        "text": i.text,
                        "diff_to_today": i.diff,
                        "verified": i.check.problem.is_none(),
                        "problem": i.check.problem,
                    })
                }).collect::<Vec<_>>(),
            });
            let mut s = serde_json::to_string_pretty(&doc).expect("JSON values serialise");
            s.push('\n');
            s
        }
        Format::Markdown => markdown(
            &args,
            &snap,
            state,
            &items,
            ledger_ok,
            &ledger_outcome,
            first_problem.as_deref(),
            current_revision,
        ),
    };
    print(&text)?;
    if items.is_empty() {
        return Err(CliError::Findings);
    }
    Ok(())
}

fn text_of(repo: &git2::Repository, blob: &str) -> Option<String> {
    let oid = git2::Oid::from_str(blob).ok()?;
    let b = repo.find_blob(oid).ok()?;
    Some(String::from_utf8_lossy(b.content()).into_owned())
}

/// A code fence longer than any run of backticks in `text`.
fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

#[allow(clippy::too_many_arguments)]
fn markdown(
    args: &EvidenceArgs,
    snap: &normsctl::ack::snapshot::Snapshot,
    state: &str,
    items: &[Item],
    ledger_ok: bool,
    outcome: &verify::Outcome,
    first_problem: Option<&str>,
    current_revision: Option<u32>,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Evidence: {} and {}\n", args.person, args.policy);
    let _ = writeln!(
        out,
        "- Handbook HEAD: `{}`; current revision: {}",
        snap.commit,
        current_revision.map_or_else(|| "none (retired)".to_owned(), |r| format!("r{r}"))
    );
    let _ = writeln!(out, "- Status: **{state}**");
    let _ = writeln!(
        out,
        "- Ledger: {}\n",
        if ledger_ok {
            format!("verified ({} entries)", outcome.entries)
        } else {
            format!("FAILS verification: {}", first_problem.unwrap_or(""))
        }
    );
    if items.is_empty() {
        let _ = writeln!(
            out,
            "{} has no acknowledgement of {} in this clone's ledger.",
            args.person, args.policy
        );
    }
    for (n, i) in items.iter().enumerate() {
        let e = &i.entry.entry;
        let _ = writeln!(
            out,
            "## Acknowledgement {}: revision {}\n",
            n + 1,
            e.revision
        );
        let _ = writeln!(out, "- Recorded: {}", e.time);
        let _ = writeln!(out, "- Handbook commit: `{}`", e.commit);
        let _ = writeln!(out, "- Text: `{}` (blob `{}`)", e.path, e.blob);
        if let Some(r) = &i.landed {
            let _ = writeln!(
                out,
                "- That text landed: {} in `{}`",
                r.landed.zoned().strftime("%Y-%m-%dT%H:%M:%S%:z"),
                r.commit
            );
        }
        let _ = write!(out, "- Written by: {} <{}>", e.writer.name, e.writer.email);
        if i.by_other {
            let _ = write!(out, " — **not {} themself**", e.person);
        }
        out.push('\n');
        let _ = writeln!(out, "- Entry: `{}` ({})", i.entry.id, e.tool);
        if let Some(note) = &e.note {
            let _ = writeln!(out, "- Note: {note}");
        }
        let _ = writeln!(
            out,
            "- Signature: {}",
            if i.entry.signature.is_some() {
                "present"
            } else {
                "none"
            }
        );
        let _ = writeln!(
            out,
            "- Verification: {}\n",
            match &i.check.problem {
                None => "entry verified".to_owned(),
                Some(p) => format!("FAILED: {p}"),
            }
        );
        let _ = writeln!(out, "### Text acknowledged\n");
        match &i.text {
            Some(t) => {
                let f = fence(t);
                let _ = writeln!(
                    out,
                    "{f}yaml\n{}{}{f}\n",
                    t,
                    if t.ends_with('\n') { "" } else { "\n" }
                );
            }
            None => out.push_str("(this text is not in this repository)\n\n"),
        }
        let _ = writeln!(out, "### Changes from that text to today's\n");
        match &i.diff {
            Some(d) => {
                let f = fence(d);
                let _ = writeln!(out, "{f}diff\n{d}{f}\n");
            }
            None => out.push_str("None: today's text is the same.\n\n"),
        }
    }
    out
}
