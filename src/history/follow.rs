//! Following one policy back from HEAD, the way `git log --follow -- PATH` does: each
//! first-parent commit is read raw for its root tree and first parent only, and the trees
//! along the policy's path are opened only below the first folder whose id differs from
//! the commit after it. Full commits are read only where the file changed. Nothing here
//! prints.

use super::raw::{follow, read_commit};
use super::*;

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
    if has_grafts(repo) {
        // Commits are read raw here; libgit2's line honours the grafts.
        let mut oldest_first = first_parent_line(repo, head)?;
        oldest_first.reverse();
        return full_walk(repo, &oldest_first, None, dir, Some(id));
    }
    let packs = super::packs::Packs::open(&repo.commondir().join("objects"));
    let mut objects = super::packs::Objects::new(repo.odb()?, packs);
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
    let mut current = (head, read_commit(&mut objects, head)?);
    let mut chain = follow(&mut objects, current.1.tree, &path, &[])?;
    let mut blob = chain.blob(&path);
    let mut out = Vec::new();
    let mut declared = Declared::default();
    loop {
        let (commit_id, commit) = current;
        let parent = match commit.parent {
            Some(p) => {
                let raw = read_commit(&mut objects, p)?;
                let along = follow(&mut objects, raw.tree, &path, &chain.0)?;
                Some((p, raw, along))
            }
            None => None,
        };
        let before = parent.as_ref().and_then(|(_, _, along)| along.blob(&path));
        let mut moved = false;
        if before != blob {
            let changes = match before {
                Some(old) => vec![(path.clone(), Some(old), blob)],
                None => {
                    let old_tree = match &parent {
                        Some((p, _, _)) => subtree(repo, &repo.find_commit(*p)?.tree()?, dir)?,
                        None => None,
                    };
                    let new_tree = subtree(repo, &repo.find_commit(commit_id)?.tree()?, dir)?;
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
            let walked = Walked::Raw(commit_id, commit.data.clone());
            out.push(revisions_at(repo, walked, changes, &mut declared)?);
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
            follow(&mut objects, raw.tree, &path, &[])?
        } else {
            along
        };
        current = (p, raw);
    }
    Ok(out.into_iter().flatten().collect())
}
