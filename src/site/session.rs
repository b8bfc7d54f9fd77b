//! The site build as a session: what `build` runs once and `serve` keeps between
//! rebuilds (the decoded policy files, the history with its views, the templates, the
//! site's data and the per-policy pieces of the site-wide files), so that one edited
//! policy costs about one policy's work.
//!
//! Settings are read again on every rebuild (they may change while serving); the
//! repository is the workspace's. Nothing here prints: warnings and errors come back to
//! the caller.

use super::collect::{self, HistoryViews, Inputs, MarkdownCache, Site, WorkingFiles};
use super::output::{self, OutputError, Written};
use super::render;
use super::templates::{TemplateError, Templates};
use super::timeline::Timeline;
use super::watch::{Changes, Watched};
use crate::history::HistoryError;
use crate::load::{self, LoadError, Location, PolicyCache};
use crate::model::{Handbook, Settings};
use crate::render::findings::{self, Palette};
use crate::workspace::{Workspace, WorkspaceError};
use crate::{diag, validate};
use std::path::{Component, Path, PathBuf};

/// Why a build did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// The handbook has errors: the report of them (and of the warnings).
    #[error("the handbook has errors")]
    Invalid(String),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error("--out {} would replace the handbook itself", .0.display())]
    OutReplacesHandbook(PathBuf),
    #[error("--out points inside the .git folder")]
    OutInsideGit,
    #[error("--require-clean needs the handbook in a git repository with commits")]
    CleanNeedsCommits,
    #[error("git: {}", .0.message())]
    Git(#[from] git2::Error),
}

/// Where the handbook's history stands, for what the site can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryState {
    Commits,
    NoCommits,
    NoGit,
}

impl HistoryState {
    /// Of the workspace's repository.
    pub fn of(ws: &Workspace) -> HistoryState {
        match ws.git() {
            None => HistoryState::NoGit,
            Some(_) if ws.head().is_err() => HistoryState::NoCommits,
            Some(_) => HistoryState::Commits,
        }
    }
}

/// The output folder: `out` (relative to `cwd`) or `site/` in the handbook root. Never the
/// handbook itself, a folder holding it, or anything inside `.git`.
pub fn out_dir(loc: &Location, cwd: &Path, out: Option<&Path>) -> Result<PathBuf, SiteError> {
    let path = match out {
        Some(p) => normalize(&cwd.join(p)),
        None => loc.root.join("site"),
    };
    if loc.root.starts_with(&path) {
        return Err(SiteError::OutReplacesHandbook(path));
    }
    if let Some(top) = &loc.work_tree
        && path.starts_with(top.join(".git"))
    {
        return Err(SiteError::OutInsideGit);
    }
    Ok(path)
}

/// `a/./b/../c` as `a/c`, without touching the disk (the folder may not exist yet).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A loaded and validated handbook, and the report of its warnings (if any).
pub struct Valid {
    pub handbook: Box<Handbook>,
    pub warnings: Option<String>,
}

/// Loads and validates the handbook (policy files whose text `cache` holds are not
/// decoded again). Errors stop the build ([`SiteError::Invalid`], the report in colour
/// when `color`); warnings come back to be shown.
pub fn load_valid(loc: &Location, cache: &PolicyCache, color: bool) -> Result<Valid, SiteError> {
    let mut loaded = load::load_cached(loc, cache)?;
    let mut found = std::mem::take(&mut loaded.findings);
    found.extend(validate::check(&loaded.handbook));
    validate::waivers::check(loc, &loaded.handbook, &mut found);
    loaded.handbook.waived = validate::waivers::by_file(&found);
    found.sort();
    let counts = diag::Counts::of(&found);
    if counts.errors > 0 {
        return Err(SiteError::Invalid(findings::human(
            &found,
            loaded.files,
            Palette { color },
        )));
    }
    let warnings = (counts.warnings > 0)
        .then(|| findings::human(&found, loaded.files, Palette { color: false }));
    Ok(Valid {
        handbook: Box::new(loaded.handbook),
        warnings,
    })
}

/// Handbook files that differ from HEAD (for `--require-clean`).
pub fn uncommitted(ws: &Workspace, settings: &Settings) -> Result<Vec<String>, SiteError> {
    match (ws.git(), HistoryState::of(ws)) {
        (Some(repo), HistoryState::Commits) => {
            Ok(super::uncommitted_files(repo, &ws.loc, settings)?)
        }
        _ => Err(SiteError::CleanNeedsCommits),
    }
}

/// The committed history the site shows (empty without commits).
pub fn read_timeline(ws: &Workspace, settings: &Settings) -> Result<Timeline, SiteError> {
    match ws.git().zip(ws.head().ok()) {
        Some((repo, head)) => {
            let dir = format!("{}{}", ws.loc.prefix, settings.policies);
            Ok(Timeline::read(repo, head, &dir)?)
        }
        None => Ok(Timeline::empty()),
    }
}

/// The site's data from the loaded handbook, its history (with its views) and the working
/// tree (`working`: the texts the loader read, and the files of the previous call, which
/// this call replaces).
pub fn assemble(
    loc: &Location,
    handbook: &Handbook,
    (timeline, history): (&Timeline, &HistoryViews),
    now: jiff::Timestamp,
    cache: &mut MarkdownCache,
    (texts, previous): (&PolicyCache, &mut WorkingFiles),
    words: &super::words::Words,
) -> Site {
    *previous = super::working_files(loc, handbook, texts, previous);
    let working = &*previous;
    collect::collect(
        &Inputs {
            handbook,
            timeline,
            history,
            working,
            now,
            prefix: &loc.prefix,
            words,
        },
        cache,
    )
}

/// What a rebuild did.
pub struct Rebuilt {
    /// Files written or removed.
    pub files: usize,
    /// The validation report, when there were warnings.
    pub warnings: Option<String>,
}

/// What `serve` keeps between rebuilds.
pub struct Session<'w> {
    ws: &'w Workspace,
    out: PathBuf,
    policies: PolicyCache,
    handbook: Option<Handbook>,
    timeline: Option<(Timeline, HistoryViews)>,
    templates: Option<Templates>,
    cache: MarkdownCache,
    site: Option<Site>,
    fragments: render::Fragments,
    working: WorkingFiles,
    written: Option<Written>,
}

impl<'w> Session<'w> {
    /// A session that writes the site of `ws` into `out`; nothing is built yet.
    pub fn new(ws: &'w Workspace, out: PathBuf) -> Session<'w> {
        Session {
            ws,
            out,
            policies: PolicyCache::default(),
            handbook: None,
            timeline: None,
            templates: None,
            cache: MarkdownCache::default(),
            site: None,
            fragments: render::Fragments::default(),
            working: WorkingFiles::default(),
            written: None,
        }
    }

    /// The paths to watch, with the settings of the last good build.
    pub fn watched(&self) -> Watched {
        let settings = self
            .handbook
            .as_ref()
            .map(|h| h.settings.clone())
            .unwrap_or_default();
        super::watched(&self.ws.loc, self.ws.git(), &settings, &self.out)
    }

    /// Rebuilds what `changes` call for (the first call builds everything); on an error
    /// the previous site stays. `mark` is told each phase as it ends.
    pub fn rebuild(&mut self, changes: Changes, mark: &dyn Fn(&str)) -> Result<Rebuilt, SiteError> {
        let loc = &self.ws.loc;
        let Valid { handbook, warnings } = load_valid(loc, &self.policies, false)?;
        let settings_changed = self
            .handbook
            .as_ref()
            .is_none_or(|old| old.settings != handbook.settings);
        mark("load and validate");
        if changes.history || settings_changed || self.timeline.is_none() {
            let timeline = read_timeline(self.ws, &handbook.settings)?;
            let views = HistoryViews::new(&timeline, &handbook.settings.timezone);
            self.timeline = Some((timeline, views));
        }
        if changes.templates || settings_changed || self.templates.is_none() {
            self.templates = Some(super::load_templates(loc, &handbook.settings)?);
        }
        let (Some((timeline, views)), Some(templates)) = (&self.timeline, &self.templates) else {
            unreachable!("both were just set");
        };
        mark("history, templates");
        let now = self.ws.now()?;
        let new = assemble(
            loc,
            &handbook,
            (timeline, views),
            now,
            &mut self.cache,
            (&self.policies, &mut self.working),
            &templates.words(),
        );
        mark("collect");
        let full = changes.templates || changes.settings || settings_changed;
        let plan = render::plan(self.site.as_ref(), &new, templates, full);
        self.fragments.update(self.site.as_ref(), &new);
        let files = render::render_all(
            &new,
            templates,
            &plan.render,
            Some(&self.fragments),
            &|_| {},
        )?;
        mark(&format!("render {} files", plan.render.len()));
        let borrowed = files.iter().map(|(p, b)| (p.path(), b.as_slice()));
        let written = match &mut self.written {
            None => {
                output::publish(&self.out, borrowed)?;
                let mut w = Written::default();
                w.record(files.iter().map(|(p, b)| (p.path(), b.as_slice())));
                self.written = Some(w);
                files.len()
            }
            Some(w) => {
                let remove: Vec<String> = plan.remove.iter().map(render::Page::path).collect();
                let applied = w.apply(&self.out, borrowed, &remove)?;
                applied.written.len() + applied.removed.len()
            }
        };
        mark("write");
        self.site = Some(new);
        self.handbook = Some(*handbook);
        Ok(Rebuilt {
            files: written,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_output_folder_never_holds_the_handbook() {
        let loc = Location {
            root: PathBuf::from("/work/hb"),
            work_tree: Some(PathBuf::from("/work")),
            prefix: "hb/".into(),
        };
        let cwd = Path::new("/work/hb");
        assert_eq!(
            out_dir(&loc, cwd, None).unwrap(),
            Path::new("/work/hb/site")
        );
        assert_eq!(
            out_dir(&loc, cwd, Some(Path::new("./out/../public"))).unwrap(),
            Path::new("/work/hb/public")
        );
        assert!(matches!(
            out_dir(&loc, cwd, Some(Path::new(".."))),
            Err(SiteError::OutReplacesHandbook(_))
        ));
        assert!(matches!(
            out_dir(&loc, cwd, Some(Path::new("../.git/x"))),
            Err(SiteError::OutInsideGit)
        ));
    }
}
