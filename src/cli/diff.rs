//! `normsctl diff`: parse, open, compare two states (history::compare), print.

use super::{CommandError, Global, print, print_people, print_styled};
use clap::{Args, ValueEnum};
use normsctl::diag::did_you_mean;
use normsctl::history::compare::{Entry, compare_handbooks};
use normsctl::render::{
    self,
    diff::{self, Side},
};
use normsctl::validate::impact;

/// What changed between two states of the handbook: policies added, retired and moved,
/// and for each changed policy its field changes (`target.value: 45 -> 30`) and a word
/// diff of its body. With no revisions, the working tree (uncommitted edits included)
/// against HEAD; with one, the working tree against it; with two, FROM against TO.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older state (a branch, tag or commit; default HEAD)
    #[arg(value_name = "FROM")]
    from: Option<String>,
    /// The newer state (default: the working tree)
    #[arg(value_name = "TO")]
    to: Option<String>,
    /// Only this policy
    #[arg(long, value_name = "ID")]
    policy: Option<String>,
    /// Exit 1 when something changed (0 when nothing did)
    #[arg(long)]
    exit_code: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Human,
    Json,
    /// For a pull-request comment
    Markdown,
}

pub fn run(global: &Global, args: DiffArgs) -> Result<(), CommandError> {
    let ws = global.open()?;
    if args.from.is_some() {
        // Comparing with anything but HEAD reads past it.
        ws.require_complete()?;
    } else {
        ws.head()?;
    }
    let from_rev = args.from.as_deref().unwrap_or("HEAD");
    let (old, from_commit) = ws.snapshot_at(from_rev)?;
    let from = Side {
        label: from_rev.to_owned(),
        commit: Some(from_commit.to_string()),
    };
    let (new, to, to_commit) = match &args.to {
        Some(rev) => {
            let (snap, commit) = ws.snapshot_at(rev)?;
            let label = rev.clone();
            (
                snap,
                Side {
                    label,
                    commit: Some(commit.to_string()),
                },
                Some(commit),
            )
        }
        None => {
            let label = "working tree".into();
            (
                ws.working_snapshot()?,
                Side {
                    label,
                    commit: None,
                },
                None,
            )
        }
    };
    if let Some(id) = &args.policy
        && old.get(id).is_none()
        && new.get(id).is_none()
    {
        let ids = old
            .policies
            .keys()
            .chain(new.policies.keys())
            .map(String::as_str);
        let mut err = CommandError::env(format!("no policy `{id}` in either state"));
        if let Some(near) = did_you_mean(id, ids) {
            err = err.with_hint(format!("did you mean `{near}`?"));
        }
        return Err(err);
    }
    let entries: Vec<Entry> = compare_handbooks(&old, &new)
        .into_iter()
        .filter(|e| args.policy.as_ref().is_none_or(|id| &e.id == id))
        .collect();
    // Who the change asks to acknowledge, from the roster of the newer state (in every
    // format, as `validate --base` says it).
    let roster = match to_commit {
        Some(commit) => ws.roster_at(commit),
        None => ws.roster_working(),
    };
    let today = ws.now()?.to_zoned(ws.tz.clone()).date();
    let impacts = impact::of(
        &entries,
        &old,
        &new,
        roster.as_ref(),
        ws.settings.acks.due_days,
        today,
    );
    let color = anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
    match args.format {
        Format::Human => {
            let mut text = diff::human(&entries, &from, &to, color);
            text.push_str(&render::impact::human(&impacts));
            print_styled(&text)?
        }
        Format::Json => print(&diff::json(
            &entries,
            &from,
            &to,
            render::impact::json(&impacts),
        ))?,
        Format::Markdown => {
            let mut text = diff::markdown(&entries, &from, &to);
            text.push_str(&render::impact::markdown(&impacts));
            print_people(&text)?
        }
    }
    if args.exit_code && !entries.is_empty() {
        return Err(CommandError::Findings);
    }
    Ok(())
}
