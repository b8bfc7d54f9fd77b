//! The template override folder: which files a build may read from it.
//!
//! Templates are published (a `style.css` override is copied to the site as it is, an
//! `llms.txt` override may include any file of the folder), so only regular files that sit in
//! the folder itself are ever opened. A symbolic link anywhere (an entry, the folder, a
//! folder on the way to it) is a finding, never a path to follow, whatever it points at:
//! `/proc/self/environ` or `../.git/config` would otherwise be published. This module reads
//! metadata only; opening is [`read_regular`]'s job. It never prints.

use super::Location;
use crate::diag::{Finding, Pos};
use crate::model::Settings;
use crate::rules::file as rules;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The override files of a handbook's templates folder, by file name, sorted; problems
/// (links, non-files) go to `findings`. No folder means no overrides.
pub fn template_files(
    loc: &Location,
    settings: &Settings,
    findings: &mut Vec<Finding>,
) -> Vec<(String, PathBuf)> {
    let rel = Path::new(&settings.templates);
    // Every folder on the way, the templates folder included, must be a real folder.
    let mut dir = loc.root.clone();
    let mut shown_rel = PathBuf::new();
    for part in rel.components() {
        dir.push(part);
        shown_rel.push(part);
        match std::fs::symlink_metadata(&dir) {
            Err(_) => return Vec::new(),
            Ok(m) if m.file_type().is_symlink() => {
                findings.push(link_finding(loc, &shown_rel, &dir, true));
                return Vec::new();
            }
            Ok(m) if !m.is_dir() => return Vec::new(),
            Ok(_) => {}
        }
    }
    let shown = loc.display(&shown_rel);
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) => {
            findings.push(Finding::new(
                &rules::UNREADABLE,
                &shown,
                Pos::START,
                format!("cannot be read: {e}"),
            ));
            return Vec::new();
        }
    };
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_symlink() {
            findings.push(link_finding(loc, &shown_rel.join(&name), &path, false));
        } else if kind.is_file() {
            files.push((name, path));
        } else if !kind.is_dir() {
            findings.push(
                Finding::new(
                    &rules::UNREADABLE,
                    &loc.display(&shown_rel.join(&name)),
                    Pos::START,
                    "not a regular file (a pipe, socket or device): templates are never read from it",
                )
                .hint("replace it with a template file, or remove it"),
            );
        }
    }
    files.sort();
    files
}

fn link_finding(loc: &Location, rel: &Path, path: &Path, folder: bool) -> Finding {
    let target = std::fs::read_link(path)
        .map(|t| t.display().to_string())
        .unwrap_or_else(|_| "somewhere".into());
    let what = if folder {
        "the templates folder is reached through a symbolic link"
    } else {
        "a symbolic link in the templates folder"
    };
    Finding::new(
        &rules::TEMPLATE_LINK,
        &loc.display(rel),
        Pos::START,
        format!("{what} (to {target}); a build never reads templates through links"),
    )
    .hint(
        "copy the file into the templates folder and commit it: what a template shows is published",
    )
}

/// Reads a file only if it is still the regular file that was listed (not swapped for a link
/// since): the metadata of the opened file must match the entry's own.
pub fn read_regular(path: &Path) -> std::io::Result<String> {
    let listed = std::fs::symlink_metadata(path)?;
    if !listed.file_type().is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut file = std::fs::File::open(path)?;
    let opened = file.metadata()?;
    if opened.dev() != listed.dev() || opened.ino() != listed.ino() {
        return Err(std::io::Error::other("the file changed while it was read"));
    }
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(dir: &Path) -> Location {
        Location {
            root: dir.canonicalize().unwrap(),
            work_tree: None,
            prefix: String::new(),
        }
    }

    #[test]
    fn regular_files_are_listed_and_links_are_findings() {
        let tmp = tempfile::tempdir().unwrap();
        let t = tmp.path().join("templates");
        std::fs::create_dir(&t).unwrap();
        std::fs::write(t.join("llms.txt"), "x").unwrap();
        std::fs::write(t.join(".hidden"), "x").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", t.join("notes.txt")).unwrap();
        std::os::unix::fs::symlink("llms.txt", t.join("inside.txt")).unwrap();
        let mut findings = Vec::new();
        let files = template_files(&loc(tmp.path()), &Settings::default(), &mut findings);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["llms.txt"]);
        let mut rules: Vec<(String, &str)> = findings
            .iter()
            .map(|f| (f.file.clone(), f.rule.name))
            .collect();
        rules.sort();
        assert_eq!(
            rules,
            [
                ("templates/inside.txt".to_owned(), "template-link"),
                ("templates/notes.txt".to_owned(), "template-link")
            ]
        );
        assert!(findings.iter().any(|f| f.message.contains("/etc/passwd")));
    }

    #[test]
    fn a_linked_templates_folder_is_a_finding() {
        let tmp = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/etc", tmp.path().join("templates")).unwrap();
        let mut findings = Vec::new();
        let files = template_files(&loc(tmp.path()), &Settings::default(), &mut findings);
        assert!(files.is_empty());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].rule.name, "template-link");
        assert_eq!(findings[0].file, "templates");
    }

    #[test]
    fn no_folder_no_overrides() {
        let tmp = tempfile::tempdir().unwrap();
        let mut findings = Vec::new();
        assert!(template_files(&loc(tmp.path()), &Settings::default(), &mut findings).is_empty());
        assert!(findings.is_empty());
    }

    #[test]
    fn read_regular_refuses_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let link = tmp.path().join("l");
        std::os::unix::fs::symlink("/etc/hostname", &link).unwrap();
        assert!(read_regular(&link).is_err());
        std::fs::write(tmp.path().join("f"), "ok").unwrap();
        assert_eq!(read_regular(&tmp.path().join("f")).unwrap(), "ok");
    }
}
