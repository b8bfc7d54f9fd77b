//! The handbook's revision history, read from git in one walk.
//!
//! One pass over the first-parent line of the handbook branch compares each commit's
//! policy folder with its first parent's, descending only into subtrees whose ids differ,
//! and reads blobs only for the policies that changed. A policy is its id (the file's
//! stem), not its path: a file moved to another folder keeps its history, and a policy
//! whose file is removed is retired. Nothing here prints.

pub mod snapshot;
pub mod standing;

use git2::{ObjectType, Oid, Repository, Tree};
use std::collections::BTreeMap;

/// What a commit did to one policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// The policy's file appeared.
    Added,
    /// The declared revision rose: earlier acknowledgements become stale.
    Material,
    /// The text changed, the revision did not.
    Editorial,
    /// The file moved to another folder, unchanged.
    Moved,
    /// The policy's file was removed.
    Retired,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Material => "material",
            Change::Editorial => "editorial",
            Change::Moved => "moved",
            Change::Retired => "retired",
        }
    }
}

/// A moment with the UTC offset it was recorded in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    pub seconds: i64,
    pub offset_minutes: i32,
}

impl Stamp {
    fn of(time: git2::Time) -> Stamp {
        Stamp {
            seconds: time.seconds(),
            offset_minutes: time.offset_minutes(),
        }
    }

    /// The moment as a zoned time in its own offset.
    pub fn zoned(self) -> jiff::Zoned {
        let ts = jiff::Timestamp::from_second(self.seconds).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let offset = jiff::tz::Offset::from_seconds(self.offset_minutes * 60)
            .unwrap_or(jiff::tz::Offset::UTC);
        ts.to_zoned(jiff::tz::TimeZone::fixed(offset))
    }
}

/// One change to one policy, as it landed on the first-parent line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    pub id: String,
    pub change: Change,
    /// The declared `revision` after the change (`None` when retired or unreadable).
    pub revision: Option<u32>,
    /// The file after the change (before it, for a retirement), relative to the work tree.
    pub path: String,
    /// Where the file was before a move.
    pub old_path: Option<String>,
    /// The file's blob after the change (before it, for a retirement).
    pub blob: Oid,
    /// The first-parent commit that landed the change.
    pub commit: Oid,
    /// When it landed: that commit's committer time.
    pub landed: Stamp,
    pub author_name: String,
    pub author_email: String,
    pub authored: Stamp,
    pub subject: String,
}

/// Problems reading history.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(
        "this is a shallow clone: the handbook's history is incomplete, so dates would be wrong"
    )]
    Shallow,
    #[error(
        "this is a partial clone (objects were filtered out): the handbook's history may be incomplete"
    )]
    Partial,
    #[error("git: {0}")]
    Git(#[from] git2::Error),
}

/// Every policy change on the first-parent line ending at `head`, newest first.
pub fn walk(
    repo: &Repository,
    head: Oid,
    policies_dir: &str,
) -> Result<Vec<Revision>, HistoryError> {
    require_complete(repo)?;
    let mut line = Vec::new();
    let mut next = Some(repo.find_commit(head)?);
    while let Some(commit) = next {
        next = if commit.parent_count() > 0 {
            Some(commit.parent(0)?)
        } else {
            None
        };
        line.push(commit);
    }
    line.reverse();

    let dir = policies_dir.trim_end_matches('/');
    let mut landed: Vec<Vec<Revision>> = Vec::new();
    let mut declared = Declared::default();
    let mut previous: Option<Tree> = None;
    for commit in &line {
        let tree = subtree(repo, &commit.tree()?, dir)?;
        let mut changes = Vec::new();
        diff(repo, previous.as_ref(), tree.as_ref(), dir, &mut changes)?;
        previous = tree;
        if changes.is_empty() {
            continue;
        }
        let subject = commit
            .summary()
            .ok()
            .flatten()
            .unwrap_or_default()
            .to_owned();
        let side = merged_side(repo, commit)?;
        let mut here = Vec::new();
        for (id, kind, path, old_path, blob) in classify(repo, changes, &mut declared) {
            // For a merge, the change's author is whoever last touched the file on the
            // merged side; the landing time stays the merge's.
            let author = side
                .iter()
                .find(|c| touches(c, &path, old_path.as_deref()))
                .map_or_else(|| commit.author(), |c| c.author());
            here.push(Revision {
                revision: (kind != Change::Retired)
                    .then(|| declared.get(repo, blob))
                    .flatten(),
                id,
                change: kind,
                path,
                old_path,
                blob,
                commit: commit.id(),
                landed: Stamp::of(commit.committer().when()),
                author_name: author.name().unwrap_or_default().to_owned(),
                author_email: author.email().unwrap_or_default().to_owned(),
                authored: Stamp::of(author.when()),
                subject: subject.clone(),
            });
        }
        landed.push(here);
    }
    Ok(landed.into_iter().rev().flatten().collect())
}

/// Refuses shallow and partial clones: their history would give wrong dates.
pub fn require_complete(repo: &Repository) -> Result<(), HistoryError> {
    if repo.is_shallow() {
        return Err(HistoryError::Shallow);
    }
    let config = repo.config()?;
    if config.get_string("extensions.partialclone").is_ok() {
        return Err(HistoryError::Partial);
    }
    let mut promisor = false;
    if let Ok(mut entries) = config.entries(Some(r"remote\..*\.promisor")) {
        while let Some(entry) = entries.next() {
            promisor |= entry.is_ok_and(|e| e.value().is_ok_and(|v| v == "true"));
        }
    }
    if promisor {
        return Err(HistoryError::Partial);
    }
    Ok(())
}

/// The commits a merge brings in (reachable from its other parents, not its first), newest
/// first; empty for an ordinary commit.
fn merged_side<'r>(
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
fn touches(commit: &git2::Commit, path: &str, old_path: Option<&str>) -> bool {
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

pub(crate) fn subtree<'r>(
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

/// A changed policy file: path, blob before, blob after.
type FileChange = (String, Option<Oid>, Option<Oid>);

/// Compares two trees entry by entry, descending only into subtrees whose ids differ.
fn diff(
    repo: &Repository,
    old: Option<&Tree>,
    new: Option<&Tree>,
    prefix: &str,
    out: &mut Vec<FileChange>,
) -> Result<(), git2::Error> {
    if let (Some(a), Some(b)) = (old, new)
        && a.id() == b.id()
    {
        return Ok(());
    }
    let entries = |t: Option<&Tree>| -> BTreeMap<String, (Oid, Option<ObjectType>)> {
        t.map(|t| {
            t.iter()
                .map(|e| (e.name().unwrap_or_default().to_owned(), (e.id(), e.kind())))
                .collect()
        })
        .unwrap_or_default()
    };
    let (a, b) = (entries(old), entries(new));
    let names: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for name in names {
        let (ea, eb) = (a.get(name), b.get(name));
        if ea.map(|e| e.0) == eb.map(|e| e.0) {
            continue;
        }
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let tree_of = |e: Option<&(Oid, Option<ObjectType>)>| -> Result<Option<Tree>, git2::Error> {
            match e {
                Some((id, Some(ObjectType::Tree))) => repo.find_tree(*id).map(Some),
                _ => Ok(None),
            }
        };
        let blob_of = |e: Option<&(Oid, Option<ObjectType>)>| match e {
            Some((id, Some(ObjectType::Blob))) if is_policy_file(name) => Some(*id),
            _ => None,
        };
        let (ta, tb) = (tree_of(ea)?, tree_of(eb)?);
        if ta.is_some() || tb.is_some() {
            diff(repo, ta.as_ref(), tb.as_ref(), &path, out)?;
        }
        let (ba, bb) = (blob_of(ea), blob_of(eb));
        if (ba.is_some() || bb.is_some()) && ba != bb {
            out.push((path, ba, bb));
        }
    }
    Ok(())
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
type IdChanges = (
    Vec<(String, Oid)>,
    Vec<(String, Oid)>,
    Vec<(String, Oid, Oid)>,
);

/// Groups one commit's file changes by policy id and names each change.
fn classify(
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

fn edit_kind(repo: &Repository, declared: &mut Declared, old: Oid, new: Oid) -> Change {
    match (declared.get(repo, old), declared.get(repo, new)) {
        (Some(a), Some(b)) if b > a => Change::Material,
        _ => Change::Editorial,
    }
}

/// Declared revisions by blob: each blob is read once per walk (the new text of one change
/// is the old text of the next).
#[derive(Default)]
struct Declared(std::collections::HashMap<Oid, Option<u32>>);

impl Declared {
    fn get(&mut self, repo: &Repository, blob: Oid) -> Option<u32> {
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
