//! `build --rev REV`: the handbook as committed at REV, written out of the object database
//! into a fresh folder, so that a build reads nothing from the work tree (no uncommitted
//! edit, no untracked or ignored file). Only regular blobs are written: a link blob (mode
//! 120000) or a submodule in the parts a build reads is an error, never a path to open.

use super::{Workspace, WorkspaceError};
use crate::load::{self, Location};
use git2::{ObjectType, Oid, Repository, Tree};
use jiff::tz::TimeZone;
use std::path::Path;

impl Workspace {
    /// The handbook as committed at `rev` (settings, roster, policies, templates), written
    /// into `into` (an empty folder), as a workspace whose HEAD is that commit. The
    /// repository is this one's.
    pub fn at_revision(&self, rev: &str, into: &Path) -> Result<Workspace, WorkspaceError> {
        let repo = self.repo()?;
        let commit = self.commit(rev)?;
        let top = into
            .canonicalize()
            .map_err(|e| WorkspaceError::Export(format!("{}: {e}", into.display())))?;
        let root = top.join(self.loc.prefix.trim_end_matches('/'));
        std::fs::create_dir_all(&root)
            .map_err(|e| WorkspaceError::Export(format!("{}: {e}", root.display())))?;
        let tree = commit.tree()?;
        let write = |rel: &str| export(repo, &tree, &self.loc.prefix, rel, &root);
        write(load::SETTINGS_FILE)?;
        let loc = Location::with_work_tree(root.clone(), Some(top));
        let mut settings_findings = Vec::new();
        let (settings, settings_read) = load::load_settings(&loc, &mut settings_findings);
        write(&settings.roster)?;
        write(&settings.policies)?;
        write(&settings.templates)?;
        let tz = TimeZone::get(&settings.timezone).unwrap_or(TimeZone::UTC);
        Ok(Workspace {
            loc,
            settings,
            settings_findings,
            settings_read,
            tz,
            repo: Some(Repository::open(repo.path())?),
            fixed_now: self.fixed_now.clone(),
            pinned_head: Some(commit.id()),
        })
    }
}

/// Writes the entry `prefix + rel` of `tree` (a file or a folder, recursively) under
/// `root`. A missing entry writes nothing (the loader reports what is missing).
fn export(
    repo: &Repository,
    tree: &Tree,
    prefix: &str,
    rel: &str,
    root: &Path,
) -> Result<(), WorkspaceError> {
    let rel = rel.trim_end_matches('/');
    let full = format!("{prefix}{rel}");
    let Ok(entry) = tree.get_path(Path::new(&full)) else {
        return Ok(());
    };
    write_entry(
        repo,
        &full,
        entry.id(),
        entry.filemode(),
        entry.kind(),
        &root.join(rel),
    )
}

fn write_entry(
    repo: &Repository,
    shown: &str,
    id: Oid,
    mode: i32,
    kind: Option<ObjectType>,
    path: &Path,
) -> Result<(), WorkspaceError> {
    let io = |e: std::io::Error| WorkspaceError::Export(format!("{}: {e}", path.display()));
    match (kind, mode) {
        (Some(ObjectType::Blob), 0o100644 | 0o100755) => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            std::fs::write(path, repo.find_blob(id)?.content()).map_err(io)
        }
        (Some(ObjectType::Tree), _) => {
            std::fs::create_dir_all(path).map_err(io)?;
            let tree = repo.find_tree(id)?;
            for e in tree.iter() {
                let name = e.name().map_err(|_| {
                    WorkspaceError::Export(format!("{shown}: a name that is not UTF-8"))
                })?;
                // Tree names never hold `/`, `.` or `..` in a sound repository; refuse
                // them all the same rather than write outside the folder.
                if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\']) {
                    return Err(WorkspaceError::Export(format!(
                        "{shown}/{name}: not a file name"
                    )));
                }
                write_entry(
                    repo,
                    &format!("{shown}/{name}"),
                    e.id(),
                    e.filemode(),
                    e.kind(),
                    &path.join(name),
                )?;
            }
            Ok(())
        }
        (Some(ObjectType::Blob), 0o120000) => Err(WorkspaceError::CommittedLink(shown.to_owned())),
        _ => Err(WorkspaceError::Export(format!(
            "{shown}: neither a file nor a folder in the commit (a submodule?)"
        ))),
    }
}
