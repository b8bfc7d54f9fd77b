//! The handbook's revision history, read from git in one walk.
//!
//! One pass over the first-parent line of the handbook branch compares each commit's
//! policy folder with its first parent's, descending only into subtrees whose ids differ,
//! and reads blobs only for the policies that changed. A policy is its id (the file's
//! stem), not its path: a file moved to another folder keeps its history, and a policy
//! whose file is removed is retired. Nothing here prints.

pub mod cache;
pub mod compare;
pub mod review;
pub mod snapshot;
pub mod standing;
pub mod trees;

use git2::{Oid, Repository, Tree};
use std::collections::BTreeMap;
use trees::{FileChange, subtree};
mod classify;
use classify::*;
mod follow;
mod raw;
pub use classify::{declared_revision, revision_of, stem};
pub use follow::walk_one;

/// What a commit did to one policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

    /// Whether the moment can be placed on a calendar (git stores any 64-bit number of
    /// seconds; one past year 9999 cannot). An unknown moment is shown as unknown, and a
    /// text that landed at one is never in force because of it.
    pub fn known(self) -> bool {
        jiff::Timestamp::from_second(self.seconds).is_ok()
    }

    /// The moment as a zoned time in its own offset (check [`Stamp::known`] first: an
    /// unknown moment gives 1970 here).
    pub fn zoned(self) -> jiff::Zoned {
        let ts = jiff::Timestamp::from_second(self.seconds).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let offset = jiff::tz::Offset::from_seconds(self.offset_minutes * 60)
            .unwrap_or(jiff::tz::Offset::UTC);
        ts.to_zoned(jiff::tz::TimeZone::fixed(offset))
    }
}

/// One change to one policy, as it landed on the first-parent line.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Revision {
    pub id: String,
    pub change: Change,
    /// An editorial change of the `reviewed:` line only: the owner's review, shown as
    /// such, never as a change to acknowledge.
    #[serde(default)]
    pub review: bool,
    /// The declared `revision` after the change (`None` when retired or unreadable).
    pub revision: Option<u32>,
    /// The file after the change (before it, for a retirement), relative to the work tree.
    pub path: String,
    /// Where the file was before a move.
    pub old_path: Option<String>,
    /// The file's blob after the change (before it, for a retirement).
    #[serde(with = "cache::oid")]
    pub blob: Oid,
    /// The first-parent commit that landed the change.
    #[serde(with = "cache::oid")]
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
    #[error("git: {}", .0.message())]
    Git(#[from] git2::Error),
}

/// Every policy change on the first-parent line ending at `head`, newest first.
pub fn walk(
    repo: &Repository,
    head: Oid,
    policies_dir: &str,
) -> Result<Vec<Revision>, HistoryError> {
    require_complete(repo)?;
    let mut line = first_parent_line(repo, head)?;
    line.reverse();
    full_walk(repo, &line, None, policies_dir.trim_end_matches('/'), None)
}

/// Policy texts by blob.
pub type Texts = std::collections::HashMap<Oid, std::sync::Arc<str>>;

/// [`walk`], with the text of every blob the revisions point at (invalid UTF-8 replaced):
/// the walk inflates each of them once anyway, to read its declared revision.
pub fn walk_with_texts(
    repo: &Repository,
    head: Oid,
    policies_dir: &str,
) -> Result<(Vec<Revision>, Texts), HistoryError> {
    require_complete(repo)?;
    let mut line = first_parent_line(repo, head)?;
    line.reverse();
    let mut texts = Texts::new();
    let revisions = walk_line(
        repo,
        &line,
        None,
        policies_dir.trim_end_matches('/'),
        None,
        Some(&mut texts),
    )?;
    Ok((revisions, texts))
}

/// Where policy `id`'s file is in `tree` (the policy folder, at `prefix`), reading tree
/// entries only; the first in git's order when several files share the stem.
fn locate(
    repo: &Repository,
    tree: &Tree,
    prefix: &str,
    id: &str,
) -> Result<Option<String>, git2::Error> {
    let mut found = None;
    snapshot::each_policy_file(repo, tree, prefix, &mut |path, _| {
        if stem(&path) == id {
            found = Some(path);
        }
        found.is_none()
    })?;
    Ok(found)
}

/// HEAD and its first parents, newest first.
pub fn first_parent_line(
    repo: &Repository,
    head: Oid,
) -> Result<Vec<git2::Commit<'_>>, git2::Error> {
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
    Ok(line)
}

/// Every change along `line` (oldest first; its first commit is compared with `before`,
/// or with nothing when it is a root), or only those of policy `only`, newest first.
pub(crate) fn full_walk(
    repo: &Repository,
    line: &[git2::Commit],
    before: Option<&git2::Commit>,
    dir: &str,
    only: Option<&str>,
) -> Result<Vec<Revision>, HistoryError> {
    walk_line(repo, line, before, dir, only, None)
}

/// [`full_walk`], keeping the texts of the blobs read in `texts` when given.
fn walk_line(
    repo: &Repository,
    line: &[git2::Commit],
    before: Option<&git2::Commit>,
    dir: &str,
    only: Option<&str>,
    texts: Option<&mut Texts>,
) -> Result<Vec<Revision>, HistoryError> {
    // The tree walk finds what changed; the declared revisions of the changed texts are
    // read meanwhile on the other cores (inflating blobs is a third of the work). A
    // pipeline, not a parallel map: the walk runs on this thread's repository handle,
    // which cannot be shared, while each reader opens its own, so rayon does not fit.
    let (tx, rx) = std::sync::mpsc::channel::<Oid>();
    let rx = std::sync::Mutex::new(rx);
    let keep = texts.is_some();
    let objects = repo.commondir().join("objects");
    let (changed, mut declared) = std::thread::scope(|scope| {
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get().saturating_sub(1))
            .max(1);
        let (path, objects, rx) = (repo.path(), objects.as_path(), &rx);
        let handles: Vec<_> = (0..workers)
            .map(|_| scope.spawn(move || read_declared(path, objects, rx, keep)))
            .collect();
        let changed = tree_changes(repo, line, before, dir, only, &tx);
        drop(tx);
        // The walk done, this thread reads what is left too (the readers are the longer
        // half of the work).
        let mine = repo
            .odb()
            .map_or_else(|_| Vec::new(), |odb| read_blobs(&odb, rx, keep));
        let mut declared = Declared::default();
        let mut texts = texts;
        let theirs = handles
            .into_iter()
            .map(|h| h.join().expect("blob reader thread panicked"));
        for read in std::iter::once(mine).chain(theirs) {
            for (blob, facts, text) in read {
                declared.0.insert(blob, facts);
                if let (Some(texts), Some(text)) = (texts.as_deref_mut(), text) {
                    texts.insert(blob, text);
                }
            }
        }
        (changed, declared)
    });
    let mut landed: Vec<Vec<Revision>> = Vec::new();
    for (index, changes) in changed? {
        landed.push(revisions_at(repo, &line[index], changes, &mut declared)?);
    }
    Ok(landed.into_iter().rev().flatten().collect())
}

/// The revisions one first-parent commit landed, from its changed policy files.
fn revisions_at(
    repo: &Repository,
    commit: &git2::Commit,
    changes: Vec<FileChange>,
    declared: &mut Declared,
) -> Result<Vec<Revision>, git2::Error> {
    let subject = commit
        .summary()
        .ok()
        .flatten()
        .unwrap_or_default()
        .to_owned();
    let side = merged_side(repo, commit)?;
    let mut here = Vec::new();
    for (id, kind, path, old_path, blob, review) in classify(repo, changes, declared) {
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
            review,
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
    Ok(here)
}

/// The policy files each commit of `line` changed against the one before, by the
/// commit's index; every blob met is sent to `blobs` once.
fn tree_changes(
    repo: &Repository,
    line: &[git2::Commit],
    before: Option<&git2::Commit>,
    dir: &str,
    only: Option<&str>,
    blobs: &std::sync::mpsc::Sender<Oid>,
) -> Result<Vec<(usize, Vec<FileChange>)>, git2::Error> {
    let mut out = Vec::new();
    let mut sent = std::collections::HashSet::new();
    let odb = repo.odb()?;
    let mut held = raw::Held::default();
    let mut previous = match before {
        Some(c) => raw::folder_at(&odb, c.tree_id(), dir)?,
        None => None,
    };
    // The folders of the tree before are held to compare the first commit with.
    held.diff(&odb, None, previous, dir, &policy_entry, &mut Vec::new())?;
    for (index, commit) in line.iter().enumerate() {
        let tree = raw::folder_at(&odb, commit.tree_id(), dir)?;
        let mut changes = Vec::new();
        held.diff(&odb, previous, tree, dir, &policy_entry, &mut changes)?;
        previous = tree;
        if let Some(id) = only {
            changes.retain(|(p, _, _)| stem(p) == id);
        }
        if changes.is_empty() {
            continue;
        }
        for blob in changes.iter().flat_map(|(_, a, b)| [*a, *b]).flatten() {
            if sent.insert(blob) {
                // A reader that stopped leaves the blob to be read on demand.
                let _ = blobs.send(blob);
            }
        }
        out.push((index, changes));
    }
    Ok(out)
}

/// What a blob says, and its text when asked for.
type ReadBlob = (Oid, TextFacts, Option<std::sync::Arc<str>>);

/// Reads the declared revision (and the text, when `keep`) of every blob sent, with its
/// own handle on the object database.
///
/// The handle reaches the packs through a path spelled differently (`objects/.`): libgit2
/// shares one reader per pack path across the process, locked for each object, and the walk
/// reads trees from the same packs meanwhile. With a reader of its own, this thread does
/// not wait on the walk's locks (on 2 cores the two threads spent a fifth of the walk
/// asleep, waking each other).
fn read_declared(
    git_dir: &std::path::Path,
    objects: &std::path::Path,
    blobs: &std::sync::Mutex<std::sync::mpsc::Receiver<Oid>>,
    keep: bool,
) -> Vec<ReadBlob> {
    let own = || -> Result<git2::Odb<'static>, git2::Error> {
        let odb = git2::Odb::new()?;
        odb.add_disk_alternate(&format!("{}/.", objects.display()))?;
        Ok(odb)
    };
    // An object folder the environment moved (or one without packs) is read through the
    // repository, as the walk reads it.
    if std::env::var_os("GIT_OBJECT_DIRECTORY").is_none()
        && objects.join("pack").is_dir()
        && let Ok(odb) = own()
    {
        return read_blobs(&odb, blobs, keep);
    }
    let Ok(repo) = Repository::open(git_dir) else {
        return Vec::new();
    };
    repo.odb()
        .map_or_else(|_| Vec::new(), |odb| read_blobs(&odb, blobs, keep))
}

/// [`read_declared`] on an object database already open.
fn read_blobs(
    odb: &git2::Odb,
    blobs: &std::sync::Mutex<std::sync::mpsc::Receiver<Oid>>,
    keep: bool,
) -> Vec<ReadBlob> {
    let mut out = Vec::new();
    loop {
        let next = blobs.lock().map(|rx| rx.recv());
        let Ok(Ok(blob)) = next else {
            return out;
        };
        // A blob that cannot be read is left to be read on demand (and to fail there).
        let Ok(object) = odb.read(blob) else {
            continue;
        };
        if object.kind() != git2::ObjectType::Blob {
            continue;
        }
        let content = object.data();
        if !keep {
            let facts = std::str::from_utf8(content)
                .map(TextFacts::of)
                .unwrap_or_default();
            out.push((blob, facts, None));
            continue;
        }
        let (facts, text) = match std::str::from_utf8(content) {
            Ok(text) => (TextFacts::of(text), std::sync::Arc::from(text)),
            Err(_) => (
                TextFacts::default(),
                std::sync::Arc::from(String::from_utf8_lossy(content).as_ref()),
            ),
        };
        out.push((blob, facts, Some(text)));
    }
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

#[cfg(test)]
mod tests;
