//! Comparing two git trees without reading what did not change: entries are merged in
//! git's own order and only subtrees whose ids differ are opened. The history walk and the
//! acknowledgement ledger's verification both compare trees this way. Nothing here prints.

use git2::{ObjectType, Oid, Repository, Tree, TreeEntry};
use std::cmp::Ordering;

/// The folder at `dir` (a `/` path; empty for the root itself) in `root`, if it is one.
pub fn subtree<'r>(
    repo: &'r Repository,
    root: &Tree<'r>,
    dir: &str,
) -> Result<Option<Tree<'r>>, git2::Error> {
    if dir.is_empty() {
        return Ok(Some(root.clone()));
    }
    match root.get_path(std::path::Path::new(dir)) {
        Ok(entry) if entry.kind() == Some(ObjectType::Tree) => {
            Ok(Some(repo.find_tree(entry.id())?))
        }
        Ok(_) => Ok(None),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// How many folders deep a comparison or a walk goes. Nothing a handbook or a ledger holds
/// is nested this deep, and a hostile tree thousands of levels deep must not exhaust the
/// stack: below this depth a folder is not entered (a comparison reports it as a changed
/// entry of its own id, so the ledger's verification sees it as what it is: not an entry).
pub const MAX_DEPTH: usize = 64;

/// The number of folders in a `/` path (0 for a name at the root).
pub fn depth(prefix: &str) -> usize {
    if prefix.is_empty() {
        0
    } else {
        prefix.bytes().filter(|b| *b == b'/').count() + 1
    }
}

/// A changed file: path, blob before, blob after.
pub type FileChange = (String, Option<Oid>, Option<Oid>);

/// Compares two trees entry by entry, descending only into subtrees whose ids differ.
///
/// Both entry lists are already in git's order (names compared bytewise, a subtree's
/// name as if it ended in `/`), so one merge pass pairs them without sorting or copying
/// names; only a changed entry's path is built. `keep(name, is_tree)` says which entries
/// count: a folder it refuses is not entered, a file it refuses is not reported. Paths in
/// `out` are `prefix/name` (just `name` for an empty prefix).
pub fn diff(
    repo: &Repository,
    old: Option<&Tree>,
    new: Option<&Tree>,
    prefix: &str,
    keep: &dyn Fn(&str, bool) -> bool,
    out: &mut Vec<FileChange>,
) -> Result<(), git2::Error> {
    if let (Some(a), Some(b)) = (old, new)
        && a.id() == b.id()
    {
        return Ok(());
    }
    let (mut a, mut b) = (old.map(Tree::iter), new.map(Tree::iter));
    let (mut ea, mut eb) = (
        a.as_mut().and_then(Iterator::next),
        b.as_mut().and_then(Iterator::next),
    );
    loop {
        let order = match (&ea, &eb) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(x), Some(y)) => git_order(x, y),
        };
        let (left, right) = match order {
            Ordering::Less => (ea.take(), None),
            Ordering::Greater => (None, eb.take()),
            Ordering::Equal => (ea.take(), eb.take()),
        };
        if left.as_ref().map(TreeEntry::id) != right.as_ref().map(TreeEntry::id) {
            changed(repo, left.as_ref(), right.as_ref(), prefix, keep, out)?;
        }
        if ea.is_none() {
            ea = a.as_mut().and_then(Iterator::next);
        }
        if eb.is_none() {
            eb = b.as_mut().and_then(Iterator::next);
        }
    }
    Ok(())
}

/// One name whose entry differs between the two trees (either side may be absent).
fn changed(
    repo: &Repository,
    old: Option<&TreeEntry>,
    new: Option<&TreeEntry>,
    prefix: &str,
    keep: &dyn Fn(&str, bool) -> bool,
    out: &mut Vec<FileChange>,
) -> Result<(), git2::Error> {
    let name = old.or(new).map(TreeEntry::name_bytes).unwrap_or_default();
    let name = String::from_utf8_lossy(name);
    let path = if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    };
    let is_tree = |e: &TreeEntry| e.kind() == Some(ObjectType::Tree);
    let too_deep = depth(prefix) >= MAX_DEPTH;
    let tree = |e: Option<&TreeEntry>| match e {
        Some(e) if is_tree(e) && !too_deep && keep(&name, true) => repo.find_tree(e.id()).map(Some),
        _ => Ok(None),
    };
    let (ta, tb) = (tree(old)?, tree(new)?);
    if ta.is_some() || tb.is_some() {
        diff(repo, ta.as_ref(), tb.as_ref(), &path, keep, out)?;
    }
    let blob = |e: Option<&TreeEntry>| match e {
        Some(e) if (!is_tree(e) || too_deep) && keep(&name, false) => Some(e.id()),
        _ => None,
    };
    let (ba, bb) = (blob(old), blob(new));
    if (ba.is_some() || bb.is_some()) && ba != bb {
        out.push((path, ba, bb));
    }
    Ok(())
}

/// Git's order of tree entries: names bytewise, a subtree's name as if followed by `/`.
fn git_order(a: &TreeEntry, b: &TreeEntry) -> Ordering {
    let (x, y) = (a.name_bytes(), b.name_bytes());
    let n = x.len().min(y.len());
    x[..n].cmp(&y[..n]).then_with(|| {
        let next = |name: &[u8], e: &TreeEntry| {
            name.get(n)
                .copied()
                .unwrap_or(if e.kind() == Some(ObjectType::Tree) {
                    b'/'
                } else {
                    0
                })
        };
        next(x, a).cmp(&next(y, b))
    })
}
