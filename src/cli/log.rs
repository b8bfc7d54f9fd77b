use super::output::{Format, HumanOrJson};
use super::repo::{self, Context, Time};
use super::{CliError, Global, print};
use clap::Args;
use normsctl::history::Revision;
use std::fmt::Write;

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

pub fn run(global: &Global, args: LogArgs) -> Result<(), CliError> {
    let cx = Context::new(global)?;
    let since = args
        .since
        .as_deref()
        .map(|t| repo::parse_time(t, &cx.tz, false))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|t| repo::parse_time(t, &cx.tz, true))
        .transpose()?;
    let git = cx.repo()?;
    let head = repo::head(&git)?;
    let revisions = repo::walk(&git, head, &cx.policies_dir(), args.id.as_deref())?;
    let shown: Vec<&Revision> = revisions
        .iter()
        .filter(|r| args.id.as_ref().is_none_or(|id| &r.id == id))
        .filter(|r| since.is_none_or(|s| r.landed.seconds >= s))
        .filter(|r| until.is_none_or(|u| r.landed.seconds <= u))
        .collect();
    let text = match args.output.format {
        Format::Human => human(&shown, &cx.tz, &cx.settings.timezone),
        Format::Json => json(&shown, &cx.tz),
    };
    repo::release(git);
    print(&text)
}

/// One block per landing commit: when it landed (the team's zone and UTC), the commit and
/// its subject, who wrote the changes, then one line per policy it changed.
fn human(revisions: &[&Revision], tz: &jiff::tz::TimeZone, tz_name: &str) -> String {
    let mut out = String::new();
    let bold = anstyle::Style::new().bold();
    let by = |r: &Revision| {
        format!(
            "{} <{}>, written {}",
            r.author_name,
            r.author_email,
            r.authored.zoned().strftime("%Y-%m-%d %H:%M %:z")
        )
    };
    for group in revisions.chunk_by(|a, b| a.commit == b.commit) {
        let first = group[0];
        let local = repo::in_zone(first.landed, tz);
        let utc = repo::in_zone(first.landed, &jiff::tz::TimeZone::UTC);
        let also_utc = if local.offset() == utc.offset() && tz_name == "UTC" {
            String::new()
        } else {
            format!(" ({})", utc.strftime("%Y-%m-%d %H:%M UTC"))
        };
        let _ = writeln!(
            out,
            "{bold}{}{bold:#}  landed {} {tz_name}{also_utc}  {}",
            &first.commit.to_string()[..10],
            local.strftime("%Y-%m-%d %H:%M"),
            first.subject
        );
        let one_author = group.iter().all(|r| by(r) == by(first));
        if one_author {
            let _ = writeln!(out, "    by {}", by(first));
        }
        let width = group.iter().map(|r| r.id.len()).max().unwrap_or(0);
        for r in group {
            let revision = r
                .revision
                .map_or_else(|| "-".to_owned(), |n| format!("r{n}"));
            let moved = r
                .old_path
                .as_ref()
                .map(|p| format!(" (from {p})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "    {:<9} {:<4} {:<width$}  {}{moved}",
                r.change.as_str(),
                revision,
                r.id,
                r.path
            );
            if !one_author {
                let _ = writeln!(out, "{:>20}by {}", "", by(r));
            }
        }
        out.push('\n');
    }
    if revisions.is_empty() {
        out.push_str("no changes\n");
    }
    out
}

/// `log --format json`, serialised straight from the revisions (a log may hold tens of
/// thousands of them).
#[derive(serde::Serialize)]
struct Doc<'a> {
    version: u32,
    revisions: Vec<RevisionJson<'a>>,
}

#[derive(serde::Serialize)]
struct RevisionJson<'a> {
    id: &'a str,
    change: &'static str,
    revision: Option<u32>,
    path: &'a str,
    old_path: Option<&'a str>,
    blob: String,
    commit: String,
    landed: Time,
    author: Author<'a>,
    subject: &'a str,
}

#[derive(serde::Serialize)]
struct Author<'a> {
    name: &'a str,
    email: &'a str,
    time: Time,
}

fn json(revisions: &[&Revision], tz: &jiff::tz::TimeZone) -> String {
    repo::json_text(&Doc {
        version: 1,
        revisions: revisions
            .iter()
            .map(|r| RevisionJson {
                id: &r.id,
                change: r.change.as_str(),
                revision: r.revision,
                path: &r.path,
                old_path: r.old_path.as_deref(),
                blob: r.blob.to_string(),
                commit: r.commit.to_string(),
                landed: Time::of(r.landed, tz),
                author: Author {
                    name: &r.author_name,
                    email: &r.author_email,
                    time: Time::of(r.authored, tz),
                },
                subject: &r.subject,
            })
            .collect(),
    })
}
