//! What the history commands share: the handbook's git repository, revisions named on the
//! command line, times given as flags, and how a moment is shown.

use super::{CliError, Global};
use git2::{Commit, Oid, Repository};
use jiff::tz::TimeZone;
use normsctl::history::{self, HistoryError, Revision, Stamp};
use normsctl::load::{self, Location};
use normsctl::model::Settings;
use serde_json::{Value, json};

/// A handbook and its settings, for commands that read its history.
pub struct Context {
    pub loc: Location,
    pub settings: Settings,
    pub tz: TimeZone,
}

impl Context {
    pub fn new(global: &Global) -> Result<Context, CliError> {
        let loc = global.location()?;
        let mut findings = Vec::new();
        let (settings, _) = load::load_settings(&loc, &mut findings);
        let tz = TimeZone::get(&settings.timezone).unwrap_or(TimeZone::UTC);
        Ok(Context { loc, settings, tz })
    }

    /// The policy folder relative to the top of the work tree, as git paths are.
    pub fn policies_dir(&self) -> String {
        format!("{}{}", self.loc.prefix, self.settings.policies)
    }

    /// The repository holding the handbook.
    pub fn repo(&self) -> Result<Repository, CliError> {
        Repository::discover(&self.loc.root).map_err(|_| {
            CliError::env("the handbook is not inside a git repository, so it has no history")
                .with_hint("run `git init` and commit the handbook")
        })
    }
}

/// The commit HEAD points at.
pub fn head(repo: &Repository) -> Result<Oid, CliError> {
    repo.head().ok().and_then(|h| h.target()).ok_or_else(|| {
        CliError::env("the repository has no commits yet").with_hint("commit the handbook first")
    })
}

/// The commit a revision names (`HEAD~2`, a tag, a branch, a commit id).
pub fn commit<'r>(repo: &'r Repository, rev: &str) -> Result<Commit<'r>, CliError> {
    repo.revparse_single(rev)
        .and_then(|o| o.peel_to_commit())
        .map_err(|_| {
            CliError::env(format!("`{rev}` is not a commit in this repository"))
                .with_hint("name a branch, tag or commit id (`git log --oneline` lists them); in CI, fetch it first (`fetch-depth: 0`)")
        })
}

/// Every policy change (or only policy `id`'s) on the first-parent line ending at `head`,
/// newest first.
pub fn walk(
    repo: &Repository,
    head: Oid,
    dir: &str,
    id: Option<&str>,
) -> Result<Vec<Revision>, CliError> {
    // Reading history only: skip re-hashing every object read (about a fifth of the walk).
    // Never do this in a process that verifies the acknowledgement ledger; the option is
    // global to the process.
    git2::opts::strict_hash_verification(false);
    let cache = std::env::var_os("NORMSCTL_CACHE").is_none_or(|v| v != "0");
    match id {
        // Following one policy back is quicker than a whole walk, unless a cache holds it.
        Some(id) if !(cache && history::cache::path(repo, dir).exists()) => {
            history::walk_one(repo, head, dir, id)
        }
        Some(id) => history::cache::walk(repo, head, dir).map(|c| {
            let mut revisions = c.revisions;
            revisions.retain(|r| r.id == id);
            revisions
        }),
        None if cache => history::cache::walk(repo, head, dir).map(|c| c.revisions),
        None => history::walk(repo, head, dir),
    }
    .map_err(history_error)
}

/// Lets the process end without tearing down the repository's object cache: after a
/// walk it holds tens of thousands of parsed objects, and freeing them one by one took a
/// fifth of `log ID`'s time. Only for a command's last use of the repository; the
/// operating system reclaims the memory at exit.
pub fn release(repo: Repository) {
    std::mem::forget(repo);
}

/// Refuses shallow and partial clones for commands that read past HEAD.
pub fn require_complete(repo: &Repository) -> Result<(), CliError> {
    history::require_complete(repo).map_err(history_error)
}

fn history_error(e: HistoryError) -> CliError {
    match e {
        HistoryError::Shallow => CliError::env(e.to_string())
            .with_hint("fetch the whole history: `git fetch --unshallow` (GitHub Actions: `fetch-depth: 0` in actions/checkout)"),
        HistoryError::Partial => CliError::env(e.to_string())
            .with_hint("fetch every object: `git fetch --refetch` and unset `remote.<name>.promisor`, or clone without `--filter` (GitHub Actions: no `filter:` in actions/checkout, and `fetch-depth: 0`)"),
        other => CliError::env(other.to_string()),
    }
}

/// A date (start or end of that day in `tz`) or an RFC 3339 time, as Unix seconds.
pub fn parse_time(text: &str, tz: &TimeZone, end_of_day: bool) -> Result<i64, CliError> {
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(ts.as_second());
    }
    let bad = || {
        CliError::env(format!(
            "`{text}` is neither a date (YYYY-MM-DD) nor an RFC 3339 time (2026-03-01T09:00:00+01:00)"
        ))
    };
    let date: jiff::civil::Date = text.parse().map_err(|_| bad())?;
    let day = if end_of_day {
        date.tomorrow().map_err(|_| bad())?
    } else {
        date
    };
    let start = day
        .to_zoned(tz.clone())
        .map_err(|_| bad())?
        .timestamp()
        .as_second();
    Ok(if end_of_day { start - 1 } else { start })
}

/// Now, or `SOURCE_DATE_EPOCH` when set (reproducible output).
pub fn now() -> Result<jiff::Timestamp, CliError> {
    let sde = std::env::var("SOURCE_DATE_EPOCH").ok();
    normsctl::site::now(sde.as_deref()).map_err(CliError::env)
}

/// A moment in `tz`.
pub fn in_zone(stamp: Stamp, tz: &TimeZone) -> jiff::Zoned {
    stamp.zoned().with_time_zone(tz.clone())
}

/// A moment as JSON: in its own offset, in UTC, in the team's zone, and as Unix seconds.
#[derive(Debug, serde::Serialize)]
pub struct Time {
    time: String,
    utc: String,
    local: String,
    unix: i64,
}

impl Time {
    pub fn of(stamp: Stamp, tz: &TimeZone) -> Time {
        let zoned = stamp.zoned();
        Time {
            time: zoned.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            utc: zoned.timestamp().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            local: zoned
                .with_time_zone(tz.clone())
                .strftime("%Y-%m-%dT%H:%M:%S%:z")
                .to_string(),
            unix: stamp.seconds,
        }
    }
}

/// [`Time`] as a JSON value, for documents built with `json!`.
pub fn time_json(stamp: Stamp, tz: &TimeZone) -> Value {
    json!(Time::of(stamp, tz))
}

/// A JSON document as printed: pretty, with a final newline.
pub fn json_text(doc: &impl serde::Serialize) -> String {
    let mut s = serde_json::to_string_pretty(doc).expect("JSON values serialise");
    s.push('\n');
    s
}
