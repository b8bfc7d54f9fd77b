//! The opened handbook: where it is, its settings (with what was found wrong in them), the
//! team's time zone, its git repository (discovered once; absent outside git) and "now".
//!
//! Every command but `init` and `schema` opens one [`Workspace`] and asks it for what it
//! needs: HEAD, a revision, the history walk. It never prints and never decides what a
//! settings error means for a command (the CLI does: `validate` and `build` report it as
//! a finding, every other command stops). It must not use anything above `history`.

mod export;
pub mod git;

use crate::diag::{Finding, Severity};
use crate::history::snapshot::Snapshot;
use crate::history::{self, HistoryError, Revision};
use crate::load::{self, LoadError, Location};
use crate::model::Settings;
use git2::{Commit, Oid, Repository};
use jiff::tz::TimeZone;
use std::path::Path;

/// Why a workspace, or something asked of it, is not there.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("cannot read the current folder: {0}")]
    CurrentDir(std::io::Error),
    #[error("the handbook is not inside a git repository, so it has no history")]
    NotGit,
    #[error("the repository has no commits yet")]
    NoCommits,
    #[error("`{0}` is not a commit in this repository")]
    UnknownRevision(String),
    #[error("{0}")]
    SourceDateEpoch(String),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error("git: {}", .0.message())]
    Git(#[from] git2::Error),
    /// A link blob (mode 120000) in the committed tree a build reads.
    #[error(
        "{0} is a symbolic link in the commit: a build from a revision reads only regular files"
    )]
    CommittedLink(String),
    #[error("cannot write the committed handbook out: {0}")]
    Export(String),
}

/// One opened handbook, for the length of a command.
pub struct Workspace {
    /// Where the handbook is.
    pub loc: Location,
    /// Its settings; a key with an error keeps its default.
    pub settings: Settings,
    /// What was found wrong in `normsctl.yaml` (errors and warnings).
    pub settings_findings: Vec<Finding>,
    /// Whether a `normsctl.yaml` was read.
    pub settings_read: bool,
    /// The team's time zone (`timezone:`).
    pub tz: TimeZone,
    repo: Option<Repository>,
    /// `SOURCE_DATE_EPOCH`, read once: `Ok(None)` when unset (the clock tells now).
    fixed_now: Result<Option<jiff::Timestamp>, String>,
    /// The commit taken as HEAD (`build --rev`), else the repository's HEAD.
    pinned_head: Option<Oid>,
}

impl Workspace {
    /// Opens the handbook named by `--repo` (`repo`), else found from the current folder.
    pub fn open(repo: Option<&Path>) -> Result<Workspace, WorkspaceError> {
        let cwd = std::env::current_dir().map_err(WorkspaceError::CurrentDir)?;
        let sde = std::env::var("SOURCE_DATE_EPOCH").ok();
        Workspace::open_in(repo, &cwd, sde.as_deref())
    }

    /// [`Workspace::open`] from `cwd`, with `SOURCE_DATE_EPOCH` given (tests feed these).
    pub fn open_in(
        repo: Option<&Path>,
        cwd: &Path,
        source_date_epoch: Option<&str>,
    ) -> Result<Workspace, WorkspaceError> {
        let (loc, repo) = Location::discover_with_repo(repo, cwd)?;
        let mut settings_findings = Vec::new();
        let (settings, settings_read) = load::load_settings(&loc, &mut settings_findings);
        let tz = TimeZone::get(&settings.timezone).unwrap_or(TimeZone::UTC);
        Ok(Workspace {
            loc,
            settings,
            settings_findings,
            settings_read,
            tz,
            repo,
            fixed_now: fixed_now(source_date_epoch),
            pinned_head: None,
        })
    }

    /// The errors among the settings findings (a setting that fell back to its default).
    pub fn settings_errors(&self) -> impl Iterator<Item = &Finding> {
        self.settings_findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }

    /// The warnings among the settings findings.
    pub fn settings_warnings(&self) -> impl Iterator<Item = &Finding> {
        self.settings_findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
    }

    /// The policy folder relative to the top of the work tree, as git paths are.
    pub fn policies_dir(&self) -> String {
        format!("{}{}", self.loc.prefix, self.settings.policies)
    }

    /// Reads the whole handbook (settings as opened), reusing decoded policy files from
    /// `cache`.
    pub fn load(&self, cache: &load::PolicyCache) -> Result<load::Loaded, LoadError> {
        let settings = (
            self.settings.clone(),
            self.settings_findings.clone(),
            self.settings_read,
        );
        load::load_with_settings(&self.loc, settings, cache)
    }

    /// The repository holding the handbook, if any.
    pub fn git(&self) -> Option<&Repository> {
        self.repo.as_ref()
    }

    /// The repository holding the handbook.
    pub fn repo(&self) -> Result<&Repository, WorkspaceError> {
        self.repo.as_ref().ok_or(WorkspaceError::NotGit)
    }

    /// The commit HEAD points at.
    pub fn head(&self) -> Result<Oid, WorkspaceError> {
        if let Some(pinned) = self.pinned_head {
            return Ok(pinned);
        }
        head_of(self.repo()?).ok_or(WorkspaceError::NoCommits)
    }

    /// The commit a revision names (`HEAD~2`, a tag, a branch, a commit id).
    pub fn commit(&self, rev: &str) -> Result<Commit<'_>, WorkspaceError> {
        self.repo()?
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map_err(|_| WorkspaceError::UnknownRevision(rev.to_owned()))
    }

    /// The policy files as committed at `rev`, and the commit's id.
    pub fn snapshot_at(&self, rev: &str) -> Result<(Snapshot, Oid), WorkspaceError> {
        let commit = self.commit(rev)?;
        let snapshot = Snapshot::at_tree(self.repo()?, &commit.tree()?, &self.policies_dir())?;
        Ok((snapshot, commit.id()))
    }

    /// The roster as committed at `commit` (`None` when absent or unreadable).
    pub fn roster_at(&self, commit: Oid) -> Option<crate::model::Roster> {
        let repo = self.repo().ok()?;
        let path = format!("{}{}", self.loc.prefix, self.settings.roster);
        let entry = repo
            .find_commit(commit)
            .ok()?
            .tree()
            .ok()?
            .get_path(Path::new(&path))
            .ok()?;
        let blob = repo.find_blob(entry.id()).ok()?;
        let text = std::str::from_utf8(blob.content()).ok()?;
        let node = crate::yaml::parse(text).ok()??;
        let mut d = load::decode::Decoder::new(&path, text);
        load::roster::decode(&mut d, &node)
    }

    /// The working tree's roster read on its own (`None` when missing or unreadable; its
    /// findings are `validate`'s to report).
    pub fn roster_working(&self) -> Option<crate::model::Roster> {
        let text = std::fs::read_to_string(self.loc.root.join(&self.settings.roster)).ok()?;
        let node = crate::yaml::parse(&text).ok()??;
        let name = self.loc.display(Path::new(&self.settings.roster));
        let mut d = load::decode::Decoder::new(&name, &text);
        load::roster::decode(&mut d, &node)
    }

    /// The ids of the policies committed at `tip` (none when it cannot be read).
    pub fn ids_at(&self, tip: Oid) -> Vec<String> {
        let Ok(repo) = self.repo() else {
            return Vec::new();
        };
        repo.find_commit(tip)
            .and_then(|c| c.tree())
            .and_then(|t| Snapshot::at_tree(repo, &t, &self.policies_dir()))
            .map(|s| s.policies.into_keys().collect())
            .unwrap_or_default()
    }

    /// The policy files of the working tree (uncommitted edits included).
    pub fn working_snapshot(&self) -> Result<Snapshot, WorkspaceError> {
        let files = load::policy_paths(&self.loc, &self.settings)?;
        Ok(Snapshot::from_files(
            &self.loc.root,
            &self.loc.prefix,
            &files,
        ))
    }

    /// Refuses shallow and partial clones, for commands that read past HEAD.
    pub fn require_complete(&self) -> Result<(), WorkspaceError> {
        Ok(history::require_complete(self.repo()?)?)
    }

    /// Every policy change (or only policy `id`'s) on the first-parent line ending at
    /// `tip`, newest first; answered from the history cache when it may be used.
    pub fn walk(&self, tip: Oid, id: Option<&str>) -> Result<Vec<Revision>, WorkspaceError> {
        let repo = self.repo()?;
        let dir = self.policies_dir();
        let cache = crate::cache::enabled();
        Ok(match id {
            // Following one policy back is quicker than a whole walk, unless a cache holds it.
            Some(id) if !(cache && history::cache::path(repo, &dir).exists()) => {
                history::walk_one(repo, tip, &dir, id)?
            }
            Some(id) => {
                let mut revisions = history::cache::walk(repo, tip, &dir)?.revisions;
                revisions.retain(|r| r.id == id);
                revisions
            }
            // `NORMSCTL_CACHE=0` is honoured inside: the whole line is walked.
            None => history::cache::walk(repo, tip, &dir)?.revisions,
        })
    }

    /// Now, or `SOURCE_DATE_EPOCH` when set (reproducible output; read once at opening).
    pub fn now(&self) -> Result<jiff::Timestamp, WorkspaceError> {
        match &self.fixed_now {
            Ok(Some(t)) => Ok(*t),
            Ok(None) => Ok(jiff::Timestamp::now()),
            Err(e) => Err(WorkspaceError::SourceDateEpoch(e.clone())),
        }
    }

    /// Lets the process end without tearing down the repository's object cache: after a
    /// walk it holds tens of thousands of parsed objects, and freeing them one by one
    /// took a fifth of `log ID`'s time. Only for a command's last use of the workspace;
    /// the operating system reclaims the memory at exit.
    pub fn release(self) {
        std::mem::forget(self);
    }
}

/// The commit HEAD points at, if any.
pub fn head_of(repo: &Repository) -> Option<Oid> {
    repo.head().ok().and_then(|h| h.target())
}

/// "Now" for a run: `SOURCE_DATE_EPOCH` (Unix seconds) when given, else the clock.
pub fn now(source_date_epoch: Option<&str>) -> Result<jiff::Timestamp, String> {
    Ok(fixed_now(source_date_epoch)?.unwrap_or_else(jiff::Timestamp::now))
}

/// `SOURCE_DATE_EPOCH` (Unix seconds) when given and not empty.
fn fixed_now(source_date_epoch: Option<&str>) -> Result<Option<jiff::Timestamp>, String> {
    match source_date_epoch.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s
            .parse::<i64>()
            .ok()
            .and_then(|n| jiff::Timestamp::from_second(n).ok())
            .map(Some)
            .ok_or_else(|| format!("SOURCE_DATE_EPOCH={s} is not a number of seconds since 1970")),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(settings: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("normsctl.yaml"), settings).unwrap();
        dir
    }

    #[test]
    fn a_timezone_typo_is_an_error_not_a_silent_default() {
        let dir = folder("timezone: Europe/Madird\n");
        let ws = Workspace::open_in(Some(dir.path()), dir.path(), None).unwrap();
        let errors: Vec<_> = ws.settings_errors().collect();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].rule.name, "invalid-value");
        assert_eq!((errors[0].pos.line, errors[0].pos.column), (1, 11));
        assert_eq!(ws.tz, TimeZone::UTC);
    }

    #[test]
    fn outside_git_there_is_no_history() {
        let dir = folder("timezone: Europe/Madrid\n");
        let ws = Workspace::open_in(Some(dir.path()), dir.path(), Some("0")).unwrap();
        assert_eq!(ws.settings_errors().count(), 0);
        assert!(matches!(ws.head(), Err(WorkspaceError::NotGit)));
        assert_eq!(ws.now().unwrap().as_second(), 0);
        assert_eq!(ws.policies_dir(), "policies");
    }

    #[test]
    fn source_date_epoch() {
        assert_eq!(now(Some("0")).unwrap().as_second(), 0);
        assert_eq!(
            now(Some(" 1767603600 ")).unwrap().as_second(),
            1_767_603_600
        );
        assert!(now(Some("yesterday")).is_err());
        assert!(now(Some("")).is_ok());
    }
}
