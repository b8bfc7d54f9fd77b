//! Following one policy back from HEAD, the way `git log --follow -- PATH` does: each
//! first-parent commit is read raw for its root tree and first parent only, and the trees
//! along the policy's path are opened only below the first folder whose id differs from
//! the commit after it. Full commits are read only where the file changed. Nothing here
//! prints.

use super::*;
use git2::Odb;

/// The changes to one policy, newest first: the same answer as filtering [`walk`], found
/// the way `git log --follow` does. From HEAD back, only the trees along the policy's
/// path are read; a full comparison is made only where its file appeared there (a move,
/// or its addition). Before the addition, the rest of the line is walked in full, so an
/// id that was retired and later reused keeps its earlier history too.
pub fn walk_one(
    repo: &Repository,
    head: Oid,
    policies_dir: &str,
    id: &str,
) -> Result<Vec<Revision>, HistoryError> {
    require_complete(repo)?;
    let dir = policies_dir.trim_end_matches('/');
    let odb = repo.odb()?;
    let head_tree = subtree(repo, &repo.find_commit(head)?.tree()?, dir)?;
    let Some(mut path) = head_tree
        .as_ref()
        .map(|t| locate(repo, t, dir, id))
        .transpose()?
        .flatten()
    else {
        // Retired (or never there) at HEAD: nothing to follow back from.
        let mut oldest_first = first_parent_line(repo, head)?;
        oldest_first.reverse();
        return full_walk(repo, &oldest_first, None, dir, Some(id));
    };
    let mut current = (head, read_commit(&odb, head)?);
    let mut chain = follow(&odb, current.1.tree, &path, &[])?;
    let mut blob = chain.blob(&path);
    let mut out = Vec::new();
    let mut declared = Declared::default();
    loop {
        let (commit_id, commit) = current;
        let parent = match commit.parent {
            Some(p) => {
                let raw = read_commit(&odb, p)?;
                let along = follow(&odb, raw.tree, &path, &chain.0)?;
                Some((p, raw, along))
            }
            None => None,
        };
        let before = parent.as_ref().and_then(|(_, _, along)| along.blob(&path));
        let mut moved = false;
        if before != blob {
            let full = repo.find_commit(commit_id)?;
            let changes = match before {
                Some(old) => vec![(path.clone(), Some(old), blob)],
                None => {
                    let old_tree = match &parent {
                        Some((p, _, _)) => subtree(repo, &repo.find_commit(*p)?.tree()?, dir)?,
                        None => None,
                    };
                    let new_tree = subtree(repo, &full.tree()?, dir)?;
                    let mut all = Vec::new();
                    trees::diff(
                        repo,
                        old_tree.as_ref(),
                        new_tree.as_ref(),
                        dir,
                        &policy_entry,
                        &mut all,
                    )?;
                    all.retain(|(p, _, _)| stem(p) == id);
                    all
                }
            };
            let came_from = changes
                .iter()
                .find_map(|(p, old, new)| (new.is_none()).then(|| (p.clone(), *old)));
            out.push(revisions_at(repo, &full, changes, &mut declared)?);
            match (before, came_from) {
                (Some(old), _) => blob = Some(old),
                (None, Some((old_path, old))) => {
                    (path, blob, moved) = (old_path, old, true);
                }
                (None, None) => {
                    // Added here: whatever came before is an earlier life of the id.
                    let mut rest = match &parent {
                        Some((p, _, _)) => first_parent_line(repo, *p)?,
                        None => Vec::new(),
                    };
                    rest.reverse();
                    let mut earlier = full_walk(repo, &rest, None, dir, Some(id))?;
                    let mut newest_first: Vec<Revision> = out.into_iter().flatten().collect();
                    newest_first.append(&mut earlier);
                    return Ok(newest_first);
                }
            }
        }
        let Some((p, raw, along)) = parent else {
            break;
        };
        // After a move, the parent is read again along the file's earlier path.
        chain = if moved {
            follow(&odb, raw.tree, &path, &[])?
        } else {
            along
        };
        current = (p, raw);
    }
    Ok(out.into_iter().flatten().collect())
}

/// What the follow walk reads of a commit: its root tree and its first parent.
struct RawCommit {
    tree: Oid,
    parent: Option<Oid>,
}

fn corrupt(what: &str, id: Oid) -> git2::Error {
    git2::Error::from_str(&format!("{what} {id} is corrupt"))
}

/// The root tree and first parent of commit `id`, from its raw object (the header's
/// `tree` line, then its first `parent` line).
fn read_commit(odb: &Odb, id: Oid) -> Result<RawCommit, git2::Error> {
    let object = odb.read(id)?;
    if object.kind() != ObjectType::Commit {
        return Err(git2::Error::from_str(&format!(
            "object {id} is not a commit"
        )));
    }
    let hex = |line: Option<&[u8]>, key: &[u8]| -> Option<Oid> {
        let rest = line?.strip_prefix(key)?;
        Oid::from_str(std::str::from_utf8(rest).ok()?).ok()
    };
    let mut lines = object.data().split(|b| *b == b'\n');
    let tree = hex(lines.next(), b"tree ").ok_or_else(|| corrupt("commit", id))?;
    let parent = lines.next().and_then(|l| hex(Some(l), b"parent "));
    Ok(RawCommit { tree, parent })
}

/// The entries along a path from a root tree: the root's own id (as a folder), then the
/// entry for each name of the path, as far as they exist.
#[derive(Clone, Debug, Default)]
struct Along(Vec<(Oid, u32)>);

const FOLDER: u32 = 0o040000;
const KIND: u32 = 0o170000;
const LINK: u32 = 0o160000;

impl Along {
    /// The blob at the end of the path, if the whole path is there and ends in a file.
    fn blob(&self, path: &str) -> Option<Oid> {
        let n = path_depth(path);
        if self.0.len() != n + 1 || self.0[..n].iter().any(|(_, m)| m & KIND != FOLDER) {
            return None;
        }
        let (id, mode) = self.0[n];
        (mode & KIND != FOLDER && mode & KIND != LINK).then_some(id)
    }
}

/// The number of names in a `/` path.
fn path_depth(path: &str) -> usize {
    path.split('/').count()
}

/// The entries along `path` from the tree `root`. Where an entry has the id it has in
/// `known` (the same path in the commit after), the rest is taken from `known` unread.
fn follow(odb: &Odb, root: Oid, path: &str, known: &[(Oid, u32)]) -> Result<Along, git2::Error> {
    let mut out = vec![(root, FOLDER)];
    let mut tree = root;
    for (depth, name) in path.split('/').enumerate() {
        if known.get(depth) == out.last() {
            out.extend_from_slice(&known[depth + 1..]);
            return Ok(Along(out));
        }
        let object = odb.read(tree)?;
        if object.kind() != ObjectType::Tree {
            return Err(corrupt("tree", tree));
        }
        let Some(entry) =
            find_entry(object.data(), name.as_bytes()).ok_or_else(|| corrupt("tree", tree))?
        else {
            break;
        };
        out.push(entry);
        if entry.1 & KIND != FOLDER {
            break;
        }
        tree = entry.0;
    }
    Ok(Along(out))
}

/// The id and mode of the entry called `name` in a raw tree; `None` (outer) when the tree
/// cannot be parsed.
fn find_entry(mut data: &[u8], name: &[u8]) -> Option<Option<(Oid, u32)>> {
    while !data.is_empty() {
        let space = data.iter().position(|b| *b == b' ')?;
        let mut mode = 0u32;
        for digit in &data[..space] {
            if !(b'0'..=b'7').contains(digit) || mode > (u32::MAX >> 3) {
                return None;
            }
            mode = mode * 8 + u32::from(digit - b'0');
        }
        let rest = &data[space + 1..];
        let nul = rest.iter().position(|b| *b == 0)?;
        let id = rest.get(nul + 1..nul + 21)?;
        if &rest[..nul] == name {
            return Some(Some((Oid::from_bytes(id).ok()?, mode)));
        }
        data = &rest[nul + 21..];
    }
    Some(None)
}
