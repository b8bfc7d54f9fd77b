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
/// blob id git would give each, to tell committed from uncommitted. A file whose text the
/// loader just read (`texts`) is not read again, and one whose text is as in `previous` is
/// not hashed again. Hashed on every core.
pub fn working_files(
    loc: &Location,
    handbook: &Handbook,
    texts: &crate::load::PolicyCache,
    previous: &WorkingFiles,
) -> WorkingFiles {
    use rayon::prelude::*;
    let base = loc.work_tree.as_deref().unwrap_or(&loc.root);
    handbook
        .policies
        .par_iter()
        .filter_map(|p| {
            let path = base.join(&p.file);
            let hash = |bytes: &[u8]| git2::Oid::hash_object(git2::ObjectType::Blob, bytes).ok();
            let text = match texts.text(&path) {
                Some(text) => text,
                None => match String::from_utf8(std::fs::read(&path).ok()?) {
                    Ok(text) => text,
                    // Not text: the blob id is the bytes', the text shown a lossy reading.
                    Err(e) => {
                        let (blob, bytes) = (hash(e.as_bytes())?, e.as_bytes());
                        let text = String::from_utf8_lossy(bytes).into_owned();
                        return Some((p.file.clone(), WorkingFile { blob, text }));
                    }
                },
            };
            if let Some(known) = previous.get(&p.file).filter(|w| w.text == text) {
                return Some((p.file.clone(), known.clone()));
            }
            let blob = hash(text.as_bytes())?;
            Some((p.file.clone(), WorkingFile { blob, text }))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{self, PolicyCache};

    const NORM: &str =
        "id: handover\nkind: norm\ntitle: T\nsummary: S\nowner: tier1\nrevision: 1\nbody: B\n";

    /// A committed policy file that starts with a byte-order mark (as some Windows editors
    /// save) is committed as it is: its working file must hash to the committed blob, from
    /// the texts a load kept (`build`, `serve`) as from the file itself.
    #[test]
    fn a_committed_file_with_a_byte_order_mark_is_not_uncommitted() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let repo = git2::Repository::init(&root).unwrap();
        std::fs::create_dir_all(root.join("policies")).unwrap();
        let raw = format!("\u{feff}{NORM}");
        std::fs::write(root.join("policies/handover.yaml"), &raw).unwrap();
        std::fs::write(
            root.join("policies/plain.yaml"),
            NORM.replace("handover", "plain"),
        )
        .unwrap();
        let mut index = repo.index().unwrap();
        index
            .add_all(["policies"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        let tree = index.write_tree().unwrap();
        let committed = |path: &str| {
            let tree = repo.find_tree(tree).unwrap();
            tree.get_path(Path::new(path)).unwrap().id()
        };
        let loc = Location::discover(Some(&root), &root).unwrap();
        let caches = [
            ("none", PolicyCache::none()),
            ("texts", PolicyCache::texts()),
            ("decoded", PolicyCache::default()),
        ];
        for (kept, cache) in caches {
            let loaded = load::load_cached(&loc, &cache).unwrap();
            assert_eq!(loaded.handbook.policies.len(), 2);
            let files = working_files(&loc, &loaded.handbook, &cache, &WorkingFiles::default());
            for path in ["policies/handover.yaml", "policies/plain.yaml"] {
                assert_eq!(files[path].blob, committed(path), "{path}, cache {kept}");
            }
            assert_eq!(files["policies/handover.yaml"].text, raw);
            // A second look with the first as `previous` keeps them.
            let again = working_files(&loc, &loaded.handbook, &cache, &files);
            assert_eq!(
                again["policies/handover.yaml"].blob,
                committed("policies/handover.yaml")
            );
        }
        // The mark removed: the same text, another file.
        let cache = PolicyCache::default();
        load::load_cached(&loc, &cache).unwrap();
        std::fs::write(root.join("policies/handover.yaml"), NORM).unwrap();
        let loaded = load::load_cached(&loc, &cache).unwrap();
        let files = working_files(&loc, &loaded.handbook, &cache, &WorkingFiles::default());
        let plain = git2::Oid::hash_object(git2::ObjectType::Blob, NORM.as_bytes()).unwrap();
        assert_eq!(files["policies/handover.yaml"].blob, plain);
    }
}
