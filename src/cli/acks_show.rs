use super::ack::{Ctx, ack_error};
use super::acks::by_other;
use super::{CliError, Global, print};
use clap::Args;
use normsctl::ack::AckError;
use normsctl::ack::ledger;
use std::fmt::Write;

/// The exact text each of a person's acknowledgements was bound to, read from git.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The person
    #[arg(long, value_name = "ID")]
    person: String,
    /// Only this policy
    #[arg(long, value_name = "ID")]
    policy: Option<String>,
}

pub fn run(global: &Global, args: ShowArgs) -> Result<(), CliError> {
    let ctx = Ctx::open(global)?;
    let snap = ctx.snapshot()?;
    let people = snap.people(&ctx.repo, &ctx.layout).unwrap_or_default();
    let tips = ctx.ledger.tips(&ctx.repo).map_err(ack_error)?;
    let mut listed = ledger::list_person(&ctx.repo, &tips, &args.person).map_err(ack_error)?;
    if let Some(p) = &args.policy {
        listed.retain(|l| &l.info.policy == p);
    }
    if listed.is_empty() && people.person(&args.person).is_none() {
        return Err(ack_error(AckError::UnknownPerson(args.person)));
    }
    let mut parsed: Vec<_> = ledger::read(ctx.repo.path(), &listed)
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    parsed.sort_by(|a, b| {
        (&a.entry.policy, a.entry.revision, &a.entry.time).cmp(&(
            &b.entry.policy,
            b.entry.revision,
            &b.entry.time,
        ))
    });
    let mut out = String::new();
    for p in &parsed {
        let e = &p.entry;
        let _ = writeln!(
            out,
            "== {} r{}, acknowledged by {} at {}",
            e.policy, e.revision, e.person, e.time
        );
        let _ = writeln!(
            out,
            "   entry {}; {} (blob {}) at handbook commit {}",
            p.id, e.path, e.blob, e.commit
        );
        let _ = write!(out, "   written by {} <{}>", e.writer.name, e.writer.email);
        if by_other(p, &people) {
            let _ = write!(out, " (not {} themself)", e.person);
        }
        out.push('\n');
        if p.signature.is_some() {
            out.push_str("   signed (run `normsctl acks verify` to check)\n");
        }
        if let Some(n) = &e.note {
            let _ = writeln!(out, "   note: {n}");
        }
        out.push('\n');
        let text = git2::Oid::from_str(&e.blob)
            .ok()
            .and_then(|b| ctx.repo.find_blob(b).ok())
            .map(|b| String::from_utf8_lossy(b.content()).into_owned());
        match text {
            Some(t) => {
                out.push_str(&t);
                if !t.ends_with('\n') {
                    out.push('\n');
                }
            }
            None => out.push_str("(this text is not in this repository)\n"),
        }
        out.push('\n');
    }
    if parsed.is_empty() {
        let _ = writeln!(
            out,
            "{} has no acknowledgements{}",
            args.person,
            args.policy
                .as_ref()
                .map(|p| format!(" of {p}"))
                .unwrap_or_default()
        );
    }
    print(&out)
}
