//! The handbook website: static files that work from any web server or straight from disk.
//!
//! The flow is one way: [`timeline`] reads the committed history once (with every
//! revision's diff), [`collect`] joins it with the loaded handbook and the working tree
//! into plain page data ([`view`]), [`render`] turns that into bytes with the
//! [`templates`], and [`output`] writes them (a whole new folder swapped in, or only the
//! changed files when serving). [`watch`] decides what a file change means for `serve`.
//! Nothing here prints; the commands in `cli` do.

pub mod collect;
pub mod markdown;
pub mod output;
pub mod render;
pub mod templates;
pub mod timeline;
pub mod view;
pub mod watch;

use crate::history::HistoryError;
use crate::load::Location;
use crate::model::{Handbook, Settings};
use collect::{WorkingFile, WorkingFiles};
use std::path::{Path, PathBuf};
use timeline::Timeline;

/// Where a handbook's history stands.
pub enum Source {
    /// A repository with commits.
    Git {
        repo: git2::Repository,
        head: git2::Oid,
    },
    /// A repository without commits yet.
    NoCommits,
    /// Not inside a git repository.
    NoGit,
}

/// Finds the handbook's repository and HEAD.
pub fn source(loc: &Location) -> Source {
    let Ok(repo) = git2::Repository::discover(&loc.root) else {
        return Source::NoGit;
    };
    match repo.head().ok().and_then(|h| h.target()) {
        Some(head) => Source::Git { repo, head },
        None => Source::NoCommits,
    }
}

/// The committed history the site shows (empty without commits).
pub fn read_timeline(
    source: &Source,
    loc: &Location,
    settings: &Settings,
) -> Result<Timeline, HistoryError> {
    match source {
        Source::Git { repo, head } => {
            let dir = format!("{}{}", loc.prefix, settings.policies);
            Timeline::read(repo, *head, &dir)
        }
        _ => Ok(Timeline::empty()),
    }
}

/// The working tree's policy files (by path relative to the top of the work tree), with the
/// blob id git would give each, to tell committed from uncommitted. With `cache` (the texts
/// the loader just read, and the files of the previous call), files are not read again
/// and unchanged texts are not hashed again.
pub fn working_files(
    loc: &Location,
    handbook: &Handbook,
    cache: Option<(&crate::load::PolicyCache, &WorkingFiles)>,
) -> WorkingFiles {
    let base = loc.work_tree.as_deref().unwrap_or(&loc.root);
    handbook
        .policies
        .iter()
        .filter_map(|p| {
            let path = base.join(&p.file);
            if let Some((texts, previous)) = cache
                && let Some(text) = texts.text(&path)
            {
                if let Some(known) = previous.get(&p.file).filter(|w| w.text == text) {
                    return Some((p.file.clone(), known.clone()));
                }
                let blob = git2::Oid::hash_object(git2::ObjectType::Blob, text.as_bytes()).ok()?;
                return Some((p.file.clone(), WorkingFile { blob, text }));
            }
            let bytes = std::fs::read(&path).ok()?;
            let blob = git2::Oid::hash_object(git2::ObjectType::Blob, &bytes).ok()?;
            Some((
                p.file.clone(),
                WorkingFile {
                    blob,
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                },
            ))
        })
        .collect()
}

/// The templates for a handbook: built-ins, overridden by its templates folder.
pub fn load_templates(
    loc: &Location,
    settings: &Settings,
) -> Result<templates::Templates, templates::TemplateError> {
    let mut refused = Vec::new();
    let files = crate::load::templates::template_files(loc, settings, &mut refused);
    if !refused.is_empty() {
        return Err(templates::TemplateError::Refused(refused));
    }
    let shown = loc.display(Path::new(&settings.templates));
    templates::Templates::load(&files, &shown)
}

/// Handbook files (settings, roster, policies, templates) that differ from HEAD, including
/// new files git does not track yet; paths relative to the top of the work tree.
pub fn uncommitted_files(
    repo: &git2::Repository,
    loc: &Location,
    settings: &Settings,
) -> Result<Vec<String>, git2::Error> {
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    for p in [
        crate::load::SETTINGS_FILE,
        settings.roster.as_str(),
        settings.policies.as_str(),
        settings.templates.as_str(),
    ] {
        opts.pathspec(format!("{}{}", loc.prefix, p.trim_end_matches('/')));
    }
    let statuses = repo.statuses(Some(&mut opts))?;
    let mut out: Vec<String> = statuses
        .iter()
        .filter(|s| s.status() != git2::Status::CURRENT && !s.status().is_ignored())
        .filter_map(|s| s.path().ok().map(str::to_owned))
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// "Now" for a build: `SOURCE_DATE_EPOCH` (Unix seconds) when given, else the clock.
pub fn now(source_date_epoch: Option<&str>) -> Result<jiff::Timestamp, String> {
    match source_date_epoch.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => s
            .parse::<i64>()
            .ok()
            .and_then(|n| jiff::Timestamp::from_second(n).ok())
            .ok_or_else(|| format!("SOURCE_DATE_EPOCH={s} is not a number of seconds since 1970")),
        None => Ok(jiff::Timestamp::now()),
    }
}

/// The paths `serve` watches for a handbook, and where its output goes.
pub fn watched(loc: &Location, settings: &Settings, out: &Path) -> watch::Watched {
    let git_dir = git2::Repository::discover(&loc.root)
        .ok()
        .and_then(|r| r.path().canonicalize().ok());
    watch::Watched {
        settings: loc.root.join(crate::load::SETTINGS_FILE),
        roster: loc.root.join(&settings.roster),
        policies: loc.root.join(&settings.policies),
        templates: loc.root.join(&settings.templates),
        git_dir,
        out: out.canonicalize().unwrap_or_else(|_| PathBuf::from(out)),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn source_date_epoch() {
        assert_eq!(super::now(Some("0")).unwrap().as_second(), 0);
        assert_eq!(
            super::now(Some(" 1767603600 ")).unwrap().as_second(),
            1_767_603_600
        );
        assert!(super::now(Some("yesterday")).is_err());
        assert!(super::now(Some("")).is_ok());
    }
}
