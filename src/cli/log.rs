use super::{CliError, Global, print};
use clap::{Args, ValueEnum};
use normsctl::history::{self, HistoryError, Revision, Stamp};
use normsctl::load;
use serde_json::json;
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
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Human,
    Json,
}

pub fn run(global: &Global, args: LogArgs) -> Result<(), CliError> {
    let loc = global.location()?;
    let mut findings = Vec::new();
    let (settings, _) = load::load_settings(&loc, &mut findings);
    let tz = jiff::tz::TimeZone::get(&settings.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let since = args
        .since
        .as_deref()
        .map(|t| parse_time(t, &tz, false))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|t| parse_time(t, &tz, true))
        .transpose()?;
    // Reading history only: skip re-hashing every object read (about a fifth of the walk).
    // Never do this in a process that verifies the acknowledgement ledger; the option is
    // global to the process.
    git2::opts::strict_hash_verification(false);
    let repo = git2::Repository::discover(&loc.root).map_err(|_| {
        CliError::env("the handbook is not inside a git repository, so it has no history")
            .with_hint("run `git init` and commit the handbook")
    })?;
    let head = repo.head().ok().and_then(|h| h.target()).ok_or_else(|| {
        CliError::env("the repository has no commits yet").with_hint("commit the handbook first")
    })?;
    let dir = format!("{}{}", loc.prefix, settings.policies);
    let revisions = history::walk(&repo, head, &dir).map_err(|e| match e {
        HistoryError::Shallow => CliError::env(e.to_string())
            .with_hint("fetch the whole history: `git fetch --unshallow` (GitHub Actions: `fetch-depth: 0` in actions/checkout)"),
        other => CliError::env(other.to_string()),
    })?;
    let shown: Vec<&Revision> = revisions
        .iter()
        .filter(|r| args.id.as_ref().is_none_or(|id| &r.id == id))
        .filter(|r| since.is_none_or(|s| r.landed.seconds >= s))
        .filter(|r| until.is_none_or(|u| r.landed.seconds <= u))
        .collect();
    let text = match args.format {
        Format::Human => human(&shown, &tz, &settings.timezone),
        Format::Json => json(&shown, &tz),
    };
    print(&text)
}

/// A date (start or end of that day in `tz`) or an RFC 3339 time, as Unix seconds.
fn parse_time(text: &str, tz: &jiff::tz::TimeZone, end_of_day: bool) -> Result<i64, CliError> {
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(ts.as_second());
    }
    let bad = || {
        CliError::env(format!(
            "`{text}` is neither a date (YYYY-MM-DD) nor an RFC 3339 time (2026-03-01T09:00:00+01:00)"
        ))
    };
    let date: jiff::civil::Date = text.parse().map_err(|_| bad())?;
    let zoned = if end_of_day {
        date.tomorrow()
            .map_err(|_| bad())?
            .to_zoned(tz.clone())
            .map_err(|_| bad())?
            .timestamp()
            .as_second()
            - 1
    } else {
        date.to_zoned(tz.clone())
            .map_err(|_| bad())?
            .timestamp()
            .as_second()
    };
    Ok(zoned)
}

fn in_zone(stamp: Stamp, tz: &jiff::tz::TimeZone) -> jiff::Zoned {
    stamp.zoned().with_time_zone(tz.clone())
}

fn human(revisions: &[&Revision], tz: &jiff::tz::TimeZone, tz_name: &str) -> String {
    let mut out = String::new();
    for r in revisions {
        let utc = in_zone(r.landed, &jiff::tz::TimeZone::UTC);
        let local = in_zone(r.landed, tz);
        let revision = r
            .revision
            .map_or_else(|| "-".to_owned(), |n| format!("r{n}"));
        let _ = writeln!(
            out,
            "{}  {}  {:<9}  {:<4}  {}  {}",
            &r.commit.to_string()[..10],
            r.id,
            r.change.as_str(),
            revision,
            utc.strftime("%Y-%m-%d %H:%M UTC"),
            r.subject
        );
        let moved = r
            .old_path
            .as_ref()
            .map(|p| format!("  (from {p})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    landed {} {tz_name}; by {} <{}>, written {}; {}{moved}",
            local.strftime("%Y-%m-%d %H:%M"),
            r.author_name,
            r.author_email,
            r.authored.zoned().strftime("%Y-%m-%d %H:%M %:z"),
            r.path,
        );
    }
    if revisions.is_empty() {
        out.push_str("no changes\n");
    }
    out
}

fn json(revisions: &[&Revision], tz: &jiff::tz::TimeZone) -> String {
    let time = |s: Stamp| {
        json!({
            "time": s.zoned().strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            "utc": in_zone(s, &jiff::tz::TimeZone::UTC).strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "local": in_zone(s, tz).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            "unix": s.seconds,
        })
    };
    let doc = json!({
        "version": 1,
        "revisions": revisions.iter().map(|r| json!({
            "id": r.id,
            "change": r.change.as_str(),
            "revision": r.revision,
            "path": r.path,
            "old_path": r.old_path,
            "blob": r.blob.to_string(),
            "commit": r.commit.to_string(),
            "landed": time(r.landed),
            "author": { "name": r.author_name, "email": r.author_email, "time": time(r.authored) },
            "subject": r.subject,
        })).collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("JSON values serialise");
    s.push('\n');
    s
}
