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

/// The commits reachable from `tips` but not from `hide`, oldest first (parents before
/// children).
fn commits(repo: &Repository, tips: &[Oid], hide: &[Oid]) -> Result<Vec<Oid>, AckError> {
    if tips.is_empty() {
        return Ok(Vec::new());
    }
    let mut revwalk = repo.revwalk()?;
    revwalk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    for tip in tips {
        revwalk.push(*tip)?;
    }
    for h in hide {
        revwalk.hide(*h)?;
    }
    Ok(revwalk.collect::<Result<Vec<Oid>, _>>()?)
}

/// Walks the commits reachable from `tips` but not from `hide`, oldest first.
pub fn walk(repo: &Repository, tips: &[Oid], hide: &[Oid]) -> Result<Walked, AckError> {
    let mut out = Walked::default();
    for oid in commits(repo, tips, hide)? {
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

/// The alterations of [`walk`]`(repo, tips, hide)`, many commits at once through
/// `git diff-tree` (see [`super::batch`]), else through libgit2.
fn altered(repo: &Repository, tips: &[Oid], hide: &[Oid]) -> Result<Vec<Alteration>, AckError> {
    let commits = commits(repo, tips, hide)?;
    if super::batch::worth(commits.len(), super::batch::MIN_COMMITS) {
        // A commit without parents adds everything it holds: it alters nothing.
        let mut pairs = Vec::with_capacity(commits.len());
        for oid in &commits {
            for parent in repo.find_commit(*oid)?.parent_ids() {
                pairs.push((*oid, parent));
            }
        }
        if let Some(diffs) = super::batch::altered(repo.path(), &pairs) {
            let mut out = Vec::new();
            for ((commit, parent), changes) in pairs.iter().zip(diffs) {
                for (path, old, new) in changes {
                    if let Some(old) = old {
                        out.push(Alteration {
                            commit: *commit,
                            parent: *parent,
                            path,
                            old,
                            new,
                        });
                    }
                }
            }
            return Ok(out);
        }
    }
    Ok(walk(repo, tips, hide)?.alterations)
}

/// Every alteration (an entry edited or removed by a later commit) in the history of
/// `tips`, oldest first, kept in `.git/normsctl/` for the reports and extended with the
/// commits new since (an honest ledger has none, so what is kept stays small). The kept
/// list is used only while every tip it covered is still in the history of `tips`.
pub fn alterations(
    repo: &Repository,
    ledger_ref: &str,
    tips: &[Oid],
) -> Result<Vec<Alteration>, AckError> {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Kept {
        format: u32,
        tool: String,
        tips: Vec<String>,
        /// (commit, parent, path, old, new)
        alterations: Vec<(String, String, String, String, Option<String>)>,
    }
    let file = crate::cache::path(repo.path(), "alterations", ledger_ref);
    let covered = |k: &Kept| {
        k.tips.iter().all(|t| {
            Oid::from_str(t).is_ok_and(|t| {
                tips.iter()
                    .any(|now| *now == t || repo.graph_descendant_of(*now, t).unwrap_or(false))
            })
        })
    };
    let kept: Option<Kept> = crate::cache::read(&file)
        .filter(|k: &Kept| k.format == 1 && k.tool == crate::VERSION && covered(k));
    let (mut out, hide): (Vec<Alteration>, Vec<Oid>) = match &kept {
        Some(k) => (
            k.alterations
                .iter()
                .filter_map(|(c, p, path, old, new)| {
                    Some(Alteration {
                        commit: Oid::from_str(c).ok()?,
                        parent: Oid::from_str(p).ok()?,
                        path: path.clone(),
                        old: Oid::from_str(old).ok()?,
                        new: new.as_deref().map(Oid::from_str).transpose().ok()?,
                    })
                })
                .collect(),
            k.tips
                .iter()
                .filter_map(|t| Oid::from_str(t).ok())
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let same_tips = kept.as_ref().is_some_and(|k| {
        k.tips.len() == tips.len() && tips.iter().all(|t| k.tips.contains(&t.to_string()))
    });
    if same_tips {
        return Ok(out);
    }
    out.extend(altered(repo, tips, &hide)?);
    crate::cache::write(
        &file,
        &Kept {
            format: 1,
            tool: crate::VERSION.to_owned(),
            tips: tips.iter().map(Oid::to_string).collect(),
            alterations: out
                .iter()
                .map(|a| {
                    (
                        a.commit.to_string(),
                        a.parent.to_string(),
                        a.path.clone(),
                        a.old.to_string(),
                        a.new.map(|n| n.to_string()),
                    )
                })
                .collect(),
        },
    );
    Ok(out)
}
