//! The policy files of one state of the handbook (a commit's tree or the working tree),
//! by id: what `diff`, `show` and `validate --base` compare.

use super::{is_policy_file, stem};
use git2::{ObjectType, Oid, Repository, Tree};
use std::collections::BTreeMap;
use std::path::Path;

/// One policy file as it stood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyFile {
    pub id: String,
    /// Relative to the top of the work tree, with `/` separators.
    pub path: String,
    pub text: String,
    /// The git blob, for a file read from a commit.
    pub blob: Option<Oid>,
}

/// Policy files by id (the file's stem). Where two files share a stem, the first by path
/// counts here; `validate` reports the duplicate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub policies: BTreeMap<String, PolicyFile>,
}

impl Snapshot {
    /// The policy files under `dir` (relative to the top of the work tree) in a commit's tree.
    pub fn at_tree(repo: &Repository, root: &Tree, dir: &str) -> Result<Snapshot, git2::Error> {
        let mut out = Snapshot::default();
        let dir = dir.trim_end_matches('/');
        if let Some(tree) = super::subtree(repo, root, dir)? {
            out.read_tree(repo, &tree, dir)?;
        }
        Ok(out)
    }

    fn read_tree(
        &mut self,
        repo: &Repository,
        tree: &Tree,
        prefix: &str,
    ) -> Result<(), git2::Error> {
        let mut files = Vec::new();
        each_policy_file(repo, tree, prefix, &mut |path, blob| {
            files.push((path, blob));
            true
        })?;
        for (path, blob) in files {
            let text = String::from_utf8_lossy(repo.find_blob(blob)?.content()).into_owned();
            self.insert(PolicyFile {
                id: stem(&path),
                path,
                text,
                blob: Some(blob),
            });
        }
        Ok(())
    }

    /// Policy files read from disk: `files` are under `root`, the handbook folder, which
    /// stands at `prefix` in the work tree. Files that cannot be read are left out
    /// (`validate` reports them).
    pub fn from_files(root: &Path, prefix: &str, files: &[std::path::PathBuf]) -> Snapshot {
        let mut out = Snapshot::default();
        for file in files {
            let Ok(bytes) = std::fs::read(file) else {
                continue;
            };
            let rel = file.strip_prefix(root).unwrap_or(file);
            let path = format!("{prefix}{}", crate::load::slash_path(rel));
            out.insert(PolicyFile {
                id: stem(&path),
                path,
                text: String::from_utf8_lossy(&bytes).into_owned(),
                blob: None,
            });
        }
        out
    }

    fn insert(&mut self, file: PolicyFile) {
        match self.policies.get(&file.id) {
            Some(kept) if kept.path <= file.path => {}
            _ => {
                self.policies.insert(file.id.clone(), file);
            }
        }
    }

    pub fn get(&self, id: &str) -> Option<&PolicyFile> {
        self.policies.get(id)
    }
}

/// Calls `visit` with the path and blob of every policy file under `tree` (which stands at
/// `prefix`), depth first in git's order, hidden names skipped, reading tree entries only.
/// `visit` returns `false` to stop; the result says whether the walk ran to the end.
pub fn each_policy_file(
    repo: &Repository,
    tree: &Tree,
    prefix: &str,
    visit: &mut dyn FnMut(String, git2::Oid) -> bool,
) -> Result<bool, git2::Error> {
    for entry in tree.iter() {
        let Ok(name) = entry.name() else { continue };
        if name.starts_with('.') {
            continue;
        }
        let path = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}/{name}")
        };
        let go_on = match entry.kind() {
            Some(ObjectType::Tree) if super::trees::depth(prefix) >= super::trees::MAX_DEPTH => {
                true
            }
            Some(ObjectType::Tree) => {
                each_policy_file(repo, &repo.find_tree(entry.id())?, &path, visit)?
            }
            Some(ObjectType::Blob) if is_policy_file(name) => visit(path, entry.id()),
            _ => true,
        };
        if !go_on {
            return Ok(false);
        }
    }
    Ok(true)
}
