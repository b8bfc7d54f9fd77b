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
use raw::Hold;
use std::collections::BTreeMap;
use std::sync::mpsc::Sender;
use trees::{FileChange, subtree};
mod classify;
use classify::*;
mod follow;
pub mod ids;
mod landing;
mod packs;
mod raw;
mod readers;
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
    let dir = policies_dir.trim_end_matches('/');
    Ok(walk_line(repo, Line::FromHead(head), dir, None, None)?.0)
}

/// [`walk`] on a line already checked complete (`dir` without a trailing `/`), with the
/// number of first-parent commits it walked.
pub(crate) fn walk_counted(
    repo: &Repository,
    head: Oid,
    dir: &str,
) -> Result<(Vec<Revision>, usize), HistoryError> {
    walk_line(repo, Line::FromHead(head), dir, None, None)
}

/// Policy texts by blob.
pub type Texts = ids::IdMap<Oid, std::sync::Arc<str>>;

/// [`walk`], with the text of every blob the revisions point at (invalid UTF-8 replaced):
/// the walk inflates each of them once anyway, to read its declared revision.
pub fn walk_with_texts(
    repo: &Repository,
    head: Oid,
    policies_dir: &str,
) -> Result<(Vec<Revision>, Texts), HistoryError> {
    require_complete(repo)?;
    let dir = policies_dir.trim_end_matches('/');
    let mut texts = Texts::default();
    let (revisions, _) = walk_line(repo, Line::FromHead(head), dir, None, Some(&mut texts))?;
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
    Ok(walk_line(repo, Line::Given(line, before), dir, only, None)?.0)
}

/// Where a walk's commits come from.
enum Line<'a, 'r> {
    /// These commits, oldest first; the first is compared with the second field (or with
    /// nothing, when it is a root).
    Given(&'a [git2::Commit<'r>], Option<&'a git2::Commit<'r>>),
    /// The first-parent line ending at this commit, read as the walk goes.
    FromHead(Oid),
}

/// [`full_walk`] along `line`, keeping the texts of the blobs read in `texts` when given;
/// also the number of commits walked.
fn walk_line(
    repo: &Repository,
    line: Line,
    dir: &str,
    only: Option<&str>,
    texts: Option<&mut Texts>,
) -> Result<(Vec<Revision>, usize), HistoryError> {
    // libgit2 gives a commit the parents `info/grafts` names; the walk from the newest
    // commit reads parents raw, so a repository with grafts is walked along libgit2's line.
    let grafted: Vec<git2::Commit>;
    let line = match line {
        Line::FromHead(head) if has_grafts(repo) => {
            grafted = first_parent_line(repo, head)?.into_iter().rev().collect();
            Line::Given(&grafted, None)
        }
        line => line,
    };
    let packs = packs::Packs::open(&repo.commondir().join("objects"));
    let (changed, mut declared) = readers::with_readers(repo, &packs, texts, |blobs| {
        let objects = packs::Objects::new(repo.odb()?, packs.clone());
        match line {
            Line::Given(line, before) => {
                let mut changed = tree_changes(objects, line, before, dir, only, blobs)?;
                changed.reverse();
                Ok((changed, line.len()))
            }
            Line::FromHead(head) => tree_changes_from(objects, head, dir, only, blobs),
        }
    });
    let (changed, walked) = changed?;
    // The plain commits read raw become revisions on every core; the others (merges, odd
    // forms, commits libgit2 read, and any with a blob the readers could not read) become
    // revisions here, in order.
    let plain: Vec<Option<Vec<Revision>>> = {
        use rayon::prelude::*;
        // A commit read raw: its id, its bytes and its changed files.
        type Job<'a> = Option<(Oid, &'a [u8], &'a [FileChange])>;
        let jobs: Vec<Job> = changed
            .iter()
            .map(|(commit, changes)| match commit {
                Walked::Raw(id, raw) => Some((*id, &raw[..], &changes[..])),
                Walked::Full(_) => None,
            })
            .collect();
        let known = &declared;
        jobs.par_iter()
            .map(|job| {
                let (id, raw, changes) = (*job)?;
                let landing = landing::Landing::parse(id, raw)?;
                let mut unread = false;
                let mut facts = |blob| {
                    let known = known.0.get(&blob).copied();
                    unread |= known.is_none();
                    known.unwrap_or_default()
                };
                let revisions = revisions_of(&landing, &[], changes.to_vec(), &mut facts);
                (!unread).then_some(revisions)
            })
            .collect()
    };
    let count = plain.iter().map(|p| p.as_ref().map_or(1, Vec::len)).sum();
    let mut landed = Vec::with_capacity(count);
    for ((commit, changes), plain) in changed.into_iter().zip(plain) {
        match plain {
            Some(revisions) => landed.extend(revisions),
            None => landed.extend(revisions_at(repo, commit, changes, &mut declared)?),
        }
    }
    Ok((landed, walked))
}

/// A commit a walk met: read raw (by the walk from the newest commit), or by libgit2.
enum Walked<'r> {
    Raw(Oid, std::sync::Arc<[u8]>),
    Full(git2::Commit<'r>),
}

/// The revisions one first-parent commit landed, from its changed policy files.
fn revisions_at(
    repo: &Repository,
    commit: Walked,
    changes: Vec<FileChange>,
    declared: &mut Declared,
) -> Result<Vec<Revision>, git2::Error> {
    // A plain commit read raw is parsed here; libgit2 reads the others (merges among
    // them) in full.
    let (landing, full) = match commit {
        Walked::Raw(id, raw) => match landing::Landing::parse(id, &raw) {
            Some(landing) => (landing, None),
            None => {
                let commit = repo.find_commit(id)?;
                (landing::Landing::of(&commit), Some(commit))
            }
        },
        Walked::Full(commit) => (landing::Landing::of(&commit), Some(commit)),
    };
    let side = match &full {
        Some(commit) => merged_side(repo, commit)?,
        None => Vec::new(),
    };
    Ok(revisions_of(&landing, &side, changes, &mut |blob| {
        declared.facts(repo, blob)
    }))
}

/// The revisions a commit landed, from its changed policy files and what each blob says
/// (`facts`); `side` is a merge's merged side (empty for any other commit).
fn revisions_of(
    landing: &landing::Landing,
    side: &[git2::Commit],
    changes: Vec<FileChange>,
    facts: &mut dyn FnMut(Oid) -> TextFacts,
) -> Vec<Revision> {
    let mut here = Vec::new();
    for (id, kind, path, old_path, blob, review) in classify(changes, facts) {
        // For a merge, the change's author is whoever last touched the file on the
        // merged side; the landing time stays the merge's.
        let author = side
            .iter()
            .find(|c| touches(c, &path, old_path.as_deref()))
            .map_or_else(
                || landing.author.clone(),
                |c| landing::Signed::of(&c.author()),
            );
        here.push(Revision {
            revision: (kind != Change::Retired)
                .then(|| facts(blob).revision)
                .flatten(),
            id,
            change: kind,
            review,
            path,
            old_path,
            blob,
            commit: landing.id,
            landed: landing.landed,
            author_name: author.name,
            author_email: author.email,
            authored: author.when,
            subject: landing.subject.clone(),
        });
    }
    here
}

/// What the commits of a walk changed: each commit with its changed policy files.
type Changed<'r> = Vec<(Walked<'r>, Vec<FileChange>)>;

/// The policy files each commit of `line` changed against the one before, oldest first;
/// every blob met is sent to `blobs` once.
fn tree_changes<'r>(
    mut objects: packs::Objects,
    line: &[git2::Commit<'r>],
    before: Option<&git2::Commit>,
    dir: &str,
    only: Option<&str>,
    blobs: &Sender<Oid>,
) -> Result<Changed<'r>, git2::Error> {
    let mut out = Vec::new();
    let mut sent = ids::IdSet::default();
    let mut held = raw::Held::default();
    let mut previous = match before {
        Some(c) => raw::folder_at(&mut objects, c.tree_id(), dir)?,
        None => None,
    };
    // The folders of the tree before are held to compare the first commit with.
    held.diff(
        &mut objects,
        (None, previous),
        dir,
        &policy_entry,
        &mut Vec::new(),
        Hold::New,
    )?;
    for commit in line {
        let tree = raw::folder_at(&mut objects, commit.tree_id(), dir)?;
        let mut changes = Vec::new();
        held.diff(
            &mut objects,
            (previous, tree),
            dir,
            &policy_entry,
            &mut changes,
            Hold::New,
        )?;
        previous = tree;
        if let Some(changes) = keep_changes(changes, only, &mut sent, blobs) {
            out.push((Walked::Full(commit.clone()), changes));
        }
    }
    Ok(out)
}

/// [`tree_changes`] along the first-parent line ending at `head`, newest first, reading the
/// line as it goes: the blob readers start at the first change instead of after the whole
/// line is read (a tenth of a 10,000-commit walk). Also the number of commits on the line.
fn tree_changes_from<'r>(
    mut objects: packs::Objects,
    head: Oid,
    dir: &str,
    only: Option<&str>,
    blobs: &Sender<Oid>,
) -> Result<(Changed<'r>, usize), git2::Error> {
    let mut out = Vec::new();
    let mut sent = ids::IdSet::default();
    let mut held = raw::Held::default();
    let mut walked = 0;
    let mut commit = (head, raw::read_commit(&mut objects, head)?);
    let mut tree = raw::folder_at(&mut objects, commit.1.tree, dir)?;
    // The folders of the newest tree are held; each step compares the parent's with them
    // and holds the parent's instead.
    held.diff(
        &mut objects,
        (None, tree),
        dir,
        &policy_entry,
        &mut Vec::new(),
        Hold::New,
    )?;
    loop {
        walked += 1;
        let parent = match commit.1.parent {
            Some(p) => Some((p, raw::read_commit(&mut objects, p)?)),
            None => None,
        };
        let before = match &parent {
            Some((_, p)) => raw::folder_at(&mut objects, p.tree, dir)?,
            None => None,
        };
        let mut changes = Vec::new();
        held.diff(
            &mut objects,
            (before, tree),
            dir,
            &policy_entry,
            &mut changes,
            Hold::Old,
        )?;
        if let Some(changes) = keep_changes(changes, only, &mut sent, blobs) {
            out.push((Walked::Raw(commit.0, commit.1.data.clone()), changes));
        }
        match parent {
            Some(p) => (commit, tree) = (p, before),
            None => return Ok((out, walked)),
        }
    }
}

/// A commit's changed files (those of policy `only`, when given), or `None` when there are
/// none; their blobs not sent yet are sent to the readers.
fn keep_changes(
    mut changes: Vec<FileChange>,
    only: Option<&str>,
    sent: &mut ids::IdSet<Oid>,
    blobs: &Sender<Oid>,
) -> Option<Vec<FileChange>> {
    if let Some(id) = only {
        changes.retain(|(p, _, _)| stem(p) == id);
    }
    if changes.is_empty() {
        return None;
    }
    for blob in changes.iter().flat_map(|(_, a, b)| [*a, *b]).flatten() {
        if sent.insert(blob) {
            // A reader that stopped leaves the blob to be read on demand.
            let _ = blobs.send(blob);
        }
    }
    Some(changes)
}

/// Whether the repository has an `info/grafts` file (which libgit2 applies to the commits
/// it parses).
pub(super) fn has_grafts(repo: &Repository) -> bool {
    std::fs::metadata(repo.commondir().join("info").join("grafts")).is_ok_and(|m| m.len() > 0)
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
