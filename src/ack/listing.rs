//! The ledger's trees as the listing of entries reads them: through libgit2 one tree at a
//! time, or, for a whole ledger read the first time in a clone, every tree at once from
//! one `git ls-tree -r -t` (libgit2 would inflate each of the ledger's thousands of small,
//! delta-chained trees along its whole chain; see [`super::batch`]). Both give the same
//! entries in the same order. Nothing here prints.

use super::AckError;
use super::entry::{self, PathInfo};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use git2::{Oid, Repository};
use std::borrow::Cow;
use std::path::Path;

/// Below this many bucket folders, one tree at a time through libgit2 is cheaper.
pub const MIN_BUCKETS: usize = 64;

/// One entry of a tree: its name (names that are not UTF-8 are left out, as they never
/// name an entry), whether it is a folder, and its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub name: String,
    pub tree: bool,
    pub id: Oid,
}

/// Where the entries of a tree are read from.
pub trait Trees {
    fn items(&self, tree: Oid) -> Result<Cow<'_, [Item]>, AckError>;
}

impl Trees for Repository {
    fn items(&self, tree: Oid) -> Result<Cow<'_, [Item]>, AckError> {
        Ok(Cow::Owned(
            self.find_tree(tree)?
                .iter()
                .filter_map(|e| {
                    Some(Item {
                        name: e.name().ok()?.to_owned(),
                        tree: e.kind() == Some(git2::ObjectType::Tree),
                        id: e.id(),
                    })
                })
                .collect(),
        ))
    }
}

/// Every tree under one root, read at once: each tree's items by its id.
pub struct Listing {
    items: HashMap<Oid, Vec<Item>>,
}

impl Trees for Listing {
    fn items(&self, tree: Oid) -> Result<Cow<'_, [Item]>, AckError> {
        self.items
            .get(&tree)
            .map(|items| Cow::Borrowed(items.as_slice()))
            .ok_or_else(|| AckError::Io(format!("tree {tree} is not in the listing")))
    }
}

impl Listing {
    /// Every tree under the tree `root` of `commit`, from one `git ls-tree`; `None` when
    /// git could not give it (the caller reads through libgit2).
    pub fn read(git_dir: &Path, commit: Oid, root: Oid) -> Option<Listing> {
        let mut cmd = super::batch::git(git_dir);
        cmd.args(["ls-tree", "-r", "-t", "-z", "--full-tree"])
            .arg(commit.to_string());
        super::batch::run(cmd, Vec::new(), |r, tick| {
            let mut items: HashMap<Oid, Vec<Item>> = HashMap::new();
            items.insert(root, Vec::new());
            // The id of the tree at each folder path; `None`: a tree already listed under
            // another path (its items are its items wherever it sits).
            let mut at: HashMap<Vec<u8>, Option<Oid>> = HashMap::new();
            at.insert(Vec::new(), Some(root));
            let mut listed: HashSet<Oid> = HashSet::new();
            listed.insert(root);
            let mut line = Vec::with_capacity(256);
            loop {
                line.clear();
                r.read_until(0, &mut line).ok()?;
                if line.pop() != Some(0) {
                    break (line.is_empty()).then_some(Listing { items });
                }
                // "<mode> <type> <id>\t<path>"
                let tab = line.iter().position(|&b| b == b'\t')?;
                let (meta, path) = (std::str::from_utf8(&line[..tab]).ok()?, &line[tab + 1..]);
                let mut f = meta.split(' ').skip(1);
                let (kind, id) = (f.next()?, Oid::from_str(f.next()?).ok()?);
                let slash = path.iter().rposition(|&b| b == b'/');
                let (parent, name) = match slash {
                    Some(i) => (&path[..i], &path[i + 1..]),
                    None => (&path[..0], path),
                };
                let tree = kind == "tree";
                let parent_id = *at.get(parent)?;
                if tree {
                    let new = listed.insert(id);
                    if new {
                        items.insert(id, Vec::new());
                    }
                    at.insert(path.to_vec(), new.then_some(id));
                }
                if let (Some(parent_id), Ok(name)) = (parent_id, std::str::from_utf8(name)) {
                    items.get_mut(&parent_id)?.push(Item {
                        name: name.to_owned(),
                        tree,
                        id,
                    });
                }
                tick();
            }
        })
    }
}

/// The ids of a tree's folders, by name.
pub fn folders(trees: &dyn Trees, tree: Oid) -> Result<Vec<(String, Oid)>, AckError> {
    Ok(trees
        .items(tree)?
        .iter()
        .filter(|i| i.tree)
        .map(|i| (i.name.clone(), i.id))
        .collect())
}

/// The entry files of one person's folder tree `folder` (at `prefix`, `xx/person`): those
/// in its `x` folders, and those written before them straight in it, as (path, what the
/// path says, blob). Names that do not parse as the person's entries, and anything deeper,
/// are left out (`verify` reports them).
pub fn folder_entries(
    trees: &dyn Trees,
    prefix: &str,
    person: &str,
    folder: Oid,
) -> Result<Vec<(String, PathInfo, Oid)>, AckError> {
    let mut out = Vec::new();
    for e in trees.items(folder)?.iter() {
        if e.tree && entry::is_sub(&e.name) {
            for f in trees.items(e.id)?.iter() {
                if let Some(info) = entry::parse_name(person, &f.name) {
                    out.push((format!("{prefix}/{}/{}", e.name, f.name), info, f.id));
                }
            }
        } else if let Some(info) = entry::parse_name(person, &e.name) {
            out.push((format!("{prefix}/{}", e.name), info, e.id));
        }
    }
    Ok(out)
}

/// A kept row's name inside a person's folder: `x/policy.rN.id.ack`, or
/// `policy.rN.id.ack` for an entry written before the `x` folders.
pub fn parse_row(person: &str, name: &str) -> Option<entry::PathInfo> {
    match name.split_once('/') {
        Some((sub, file)) if entry::is_sub(sub) => entry::parse_name(person, file),
        Some(_) => None,
        None => entry::parse_name(person, name),
    }
}
