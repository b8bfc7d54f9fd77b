//! The handbook website: static files that work from any web server or straight from disk.
//!
//! The flow is one way: [`timeline`] reads the committed history once (with every
//! revision's diff), [`collect`] joins it with the loaded handbook and the working tree
//! into plain page data ([`view`]), [`render`] turns that into bytes with the
//! [`templates`], and [`output`] writes them (a whole new folder swapped in, or only the
//! changed files when serving). [`session`] runs that flow once for `build` and keeps it
//! between rebuilds for `serve`; [`watch`] decides what a file change means, and
//! [`server`] answers HTTP with live reload. Nothing here prints; the commands in `cli` do.

pub mod collect;
mod macros;
pub mod markdown;
pub mod output;
pub mod readable;
pub mod render;
pub mod server;
pub mod session;
pub mod templates;
pub mod timeline;
pub mod view;
pub mod watch;
pub mod words;

use crate::load::Location;
use crate::model::{Handbook, Settings};
use collect::{WorkingFile, WorkingFiles};
use std::path::{Path, PathBuf};

/// The working tree's policy files (by path relative to the top of the work tree), with the
/// blob id git would give each, to tell committed from uncommitted. With `cache` (the texts
/// the loader just read, and the files of the previous call), files are not read again
/// and unchanged texts are not hashed again. Read and hashed on every core.
pub fn working_files(
    loc: &Location,
    handbook: &Handbook,
    cache: Option<(&crate::load::PolicyCache, &WorkingFiles)>,
) -> WorkingFiles {
    use rayon::prelude::*;
    let base = loc.work_tree.as_deref().unwrap_or(&loc.root);
    handbook
        .policies
        .par_iter()
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
    // Ignored files count: the build reads every file in these folders, so an ignored
    // policy or template override would be published without anyone reviewing it.
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(true)
        .recurse_ignored_dirs(true);
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
        .filter(|s| s.status() != git2::Status::CURRENT)
        .filter_map(|s| s.path().ok().map(str::to_owned))
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// The paths `serve` watches for a handbook, and where its output goes.
pub fn watched(
    loc: &Location,
    repo: Option<&git2::Repository>,
    settings: &Settings,
    out: &Path,
) -> watch::Watched {
    let git_dir = repo.and_then(|r| r.path().canonicalize().ok());
    watch::Watched {
        settings: loc.root.join(crate::load::SETTINGS_FILE),
        roster: loc.root.join(&settings.roster),
        policies: loc.root.join(&settings.policies),
        templates: loc.root.join(&settings.templates),
        git_dir,
        out: out.canonicalize().unwrap_or_else(|_| PathBuf::from(out)),
    }
}
