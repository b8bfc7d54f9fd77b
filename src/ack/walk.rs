//! One walk over the ledger's commits, oldest first: what each commit added (every entry's
//! first appearance, which stays the truth whatever later commits do to it) and what it
//! removed or changed (which an append-only ledger never does: tampering, shown as such
//! next to the original). `verify` and the reports read the ledger through this walk.
//! Nothing here prints.

use super::AckError;
use crate::history::trees;
use git2::{Oid, Repository, Sort};
use std::collections::HashSet;

/// A file a ledger commit added (in every one of its parents' absence).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Addition {
    pub commit: Oid,
    pub path: String,
    pub blob: Oid,
}

/// A file a ledger commit removed or replaced, against one of its parents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alteration {
    pub commit: Oid,
    pub parent: Oid,
    pub path: String,
    /// The blob the parent held.
    pub old: Oid,
    /// What the commit holds there instead (`None`: removed).
    pub new: Option<Oid>,
}

/// What a walk found.
#[derive(Clone, Debug, Default)]
pub struct Walked {
    /// The commits walked, oldest first.
    pub commits: Vec<Oid>,
    /// Oldest first (a commit's additions in path order).
    pub additions: Vec<Addition>,
    pub alterations: Vec<Alteration>,
}

/// Walks the commits reachable from `tips` but not from `hide`, oldest first.
pub fn walk(repo: &Repository, tips: &[Oid], hide: &[Oid]) -> Result<Walked, AckError> {
    let mut out = Walked::default();
    if tips.is_empty() {
        return Ok(out);
    }
    let mut revwalk = repo.revwalk()?;
    revwalk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    for tip in tips {
        revwalk.push(*tip)?;
    }
    for h in hide {
        revwalk.hide(*h)?;
    }
    for oid in revwalk {
        let oid = oid?;
        out.commits.push(oid);
        let commit = repo.find_commit(oid)?;
        let tree = commit.tree()?;
        let mut added: Option<HashSet<(String, Oid)>> = None;
        if commit.parent_count() == 0 {
            // Compared with nothing: bounded in depth, unlike libgit2's recursive walk.
            let mut changes = Vec::new();
            trees::diff(repo, None, Some(&tree), "", &|_, _| true, &mut changes)?;
            added = Some(
                changes
                    .into_iter()
                    .filter_map(|(path, _, new)| Some((path, new?)))
                    .collect(),
            );
        }
        for parent in commit.parents() {
            let mut changes = Vec::new();
            trees::diff(
                repo,
                Some(&parent.tree()?),
                Some(&tree),
                "",
                &|_, _| true,
                &mut changes,
            )?;
            let mut here = HashSet::new();
            for (path, old, new) in changes {
                match (old, new) {
                    (None, Some(new)) => {
                        here.insert((path, new));
                    }
                    (Some(old), new) => out.alterations.push(Alteration {
                        commit: oid,
                        parent: parent.id(),
                        path,
                        old,
                        new,
                    }),
                    (None, None) => {}
                }
            }
            // What a merge brings from one side is not new: only what no parent had.
            added = Some(match added {
                None => here,
                Some(before) => before.intersection(&here).cloned().collect(),
            });
        }
        let mut added: Vec<_> = added.unwrap_or_default().into_iter().collect();
        added.sort();
        out.additions
            .extend(added.into_iter().map(|(path, blob)| Addition {
                commit: oid,
                path,
                blob,
            }));
    }
    Ok(out)
}
