//! How a first-parent commit's changes become revisions: which paths are policy files, a
//! file's stem as its id, adds/removes/moves paired by id, and material or editorial by the
//! declared `revision` of the texts on either side.

use super::*;

/// The commits a merge brings in (reachable from its other parents, not its first), newest
/// first; empty for an ordinary commit.
pub(super) fn merged_side<'r>(
    repo: &'r Repository,
    commit: &git2::Commit<'r>,
) -> Result<Vec<git2::Commit<'r>>, git2::Error> {
    if commit.parent_count() < 2 {
        return Ok(Vec::new());
    }
    let mut walk = repo.revwalk()?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)?;
    for parent in commit.parent_ids().skip(1) {
        walk.push(parent)?;
    }
    walk.hide(commit.parent_id(0)?)?;
    walk.map(|oid| repo.find_commit(oid?)).collect()
}

/// Whether `commit` changed the file at `path` (or at `old_path`) against its first parent.
pub(super) fn touches(commit: &git2::Commit, path: &str, old_path: Option<&str>) -> bool {
    let blob_at = |c: &git2::Commit, p: &str| {
        c.tree()
            .ok()
            .and_then(|t| t.get_path(std::path::Path::new(p)).ok())
            .map(|e| e.id())
    };
    let parent = commit.parent(0).ok();
    [Some(path), old_path].into_iter().flatten().any(|p| {
        let before = parent.as_ref().and_then(|c| blob_at(c, p));
        before != blob_at(commit, p)
    })
}

/// Which tree entries the history follows: folders and policy files, nothing hidden.
pub(super) fn policy_entry(name: &str, is_tree: bool) -> bool {
    !name.starts_with('.') && (is_tree || is_policy_file(name))
}

/// Whether a tree entry's name is a policy file (`.yaml`/`.yml`, not hidden).
pub(crate) fn is_policy_file(name: &str) -> bool {
    !name.starts_with('.') && (name.ends_with(".yaml") || name.ends_with(".yml"))
}

/// A policy's id as its file names it: the file name without its extension.
pub fn stem(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.rsplit_once('.').map_or(file, |(s, _)| s).to_owned()
}

/// One id's files in one commit: removed (path, blob), added (path, blob), edited in place
/// (path, old blob, new blob).
pub(super) type IdChanges = (
    Vec<(String, Oid)>,
    Vec<(String, Oid)>,
    Vec<(String, Oid, Oid)>,
);

/// Groups one commit's file changes by policy id and names each change.
pub(super) fn classify(
    repo: &Repository,
    changes: Vec<FileChange>,
    declared: &mut Declared,
) -> Vec<(String, Change, String, Option<String>, Oid)> {
    let mut by_id: BTreeMap<String, IdChanges> = BTreeMap::new();
    for (path, old, new) in changes {
        let slot = by_id.entry(stem(&path)).or_default();
        match (old, new) {
            (Some(o), None) => slot.0.push((path, o)),
            (None, Some(n)) => slot.1.push((path, n)),
            (Some(o), Some(n)) => slot.2.push((path, o, n)),
            (None, None) => {}
        }
    }
    let mut out = Vec::new();
    for (id, (removed, added, modified)) in by_id {
        for (path, old, new) in modified {
            out.push((
                id.clone(),
                edit_kind(repo, declared, old, new),
                path,
                None,
                new,
            ));
        }
        let mut removed = removed.into_iter();
        for (path, new) in added {
            match removed.next() {
                Some((old_path, old)) if old == new => {
                    out.push((id.clone(), Change::Moved, path, Some(old_path), new))
                }
                Some((old_path, old)) => out.push((
                    id.clone(),
                    edit_kind(repo, declared, old, new),
                    path,
                    Some(old_path),
                    new,
                )),
                None => out.push((id.clone(), Change::Added, path, None, new)),
            }
        }
        for (path, old) in removed {
            out.push((id.clone(), Change::Retired, path, None, old));
        }
    }
    out
}

pub(super) fn edit_kind(repo: &Repository, declared: &mut Declared, old: Oid, new: Oid) -> Change {
    match (declared.get(repo, old), declared.get(repo, new)) {
        (Some(a), Some(b)) if b > a => Change::Material,
        _ => Change::Editorial,
    }
}

/// Declared revisions by blob: each blob is read once per walk (the new text of one change
/// is the old text of the next).
#[derive(Default)]
pub(super) struct Declared(pub(super) std::collections::HashMap<Oid, Option<u32>>);

impl Declared {
    pub(super) fn get(&mut self, repo: &Repository, blob: Oid) -> Option<u32> {
        *self
            .0
            .entry(blob)
            .or_insert_with(|| declared_revision(repo, blob))
    }
}

/// The `revision` a policy blob declares, if it can be read.
pub fn declared_revision(repo: &Repository, blob: Oid) -> Option<u32> {
    let blob = repo.find_blob(blob).ok()?;
    let text = std::str::from_utf8(blob.content()).ok()?;
    revision_of(text)
}

/// The `revision` a policy text declares. A block-style `revision: N` line at the top level
/// is read directly; anything else goes through the YAML parser.
pub fn revision_of(text: &str) -> Option<u32> {
    let mut candidates = text.lines().filter_map(|l| l.strip_prefix("revision:"));
    if let (Some(value), None) = (candidates.next(), candidates.next()) {
        let value = value.split(" #").next().unwrap_or_default().trim();
        if let Ok(n) = value.parse::<u32>() {
            return Some(n);
        }
    }
    let node = crate::yaml::parse(text).ok()??;
    let crate::yaml::Value::Map(entries) = node.value else {
        return None;
    };
    entries
        .iter()
        .find_map(|(k, v)| match (&k.value, &v.value) {
            (crate::yaml::Value::Str(k), crate::yaml::Value::Int(i)) if k == "revision" => {
                u32::try_from(*i).ok()
            }
            _ => None,
        })
}
