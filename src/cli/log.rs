//! `normsctl log`: parse, open, walk (Workspace::walk), print.

use super::output::{Format, HumanOrJson};
use super::{CommandError, Global, note, parse_time, print, print_styled};
use clap::Args;
use normsctl::history::Revision;
use normsctl::render::{Palette, log};
use normsctl::workspace::git as git_switches;

/// Revision history of the handbook, newest first: when each change landed on the
/// first-parent line (UTC and the team's zone), its author, commit, the declared revision
/// and whether it was material, editorial, an addition, a move or a retirement.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only this policy
    #[arg(value_name = "ID")]
    id: Option<String>,
    /// Only changes that landed at or after this date (start of the day in the team's zone)
    /// or RFC 3339 time
    #[arg(long, value_name = "DATE|TIME")]
    since: Option<String>,
    /// Only changes that landed at or before this date (end of the day in the team's zone)
    /// or RFC 3339 time
    #[arg(long, value_name = "DATE|TIME")]
    until: Option<String>,
    #[command(flatten)]
    output: HumanOrJson,
}

pub fn run(global: &Global, args: LogArgs) -> Result<(), CommandError> {
    git_switches::reads_each_object_once();
    let ws = global.open()?;
    let since = args
        .since
        .as_deref()
        .map(|t| parse_time(t, &ws.tz, false))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|t| parse_time(t, &ws.tz, true))
        .transpose()?;
    let revisions = ws.walk(ws.head()?, args.id.as_deref())?;
    let shown: Vec<&Revision> = revisions
        .iter()
        .filter(|r| args.id.as_ref().is_none_or(|id| &r.id == id))
        .filter(|r| since.is_none_or(|s| r.landed.seconds >= s))
        .filter(|r| until.is_none_or(|u| r.landed.seconds <= u))
        .collect();
    for commit in log::unknown_times(&shown) {
        note(&format!(
            "warning: commit {} has a time out of range; it is shown as landed at an unknown time",
            &commit[..10]
        ));
    }
    match args.output.format {
        Format::Human => print_styled(&log::human(
            &shown,
            &ws.tz,
            &ws.settings.timezone,
            Palette { color: true },
        ))?,
        Format::Json => print(&log::json(&shown, &ws.tz))?,
    }
    ws.release();
    std::mem::forget(revisions);
    Ok(())
}
