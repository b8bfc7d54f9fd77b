//! Reading and appending to the ledger branch.
//!
//! Appends write objects straight to the object database (never the index or a work tree)
//! and move the branch with compare-and-swap: the ref moves only if it still holds the
//! commit the new one was built on, else the append is rebuilt on the new tip and tried
//! again after a jittered pause. Nothing here prints.

use super::AckError;
use super::entry::{self, PathInfo};
use git2::{ErrorCode, ObjectType, Oid, Repository, Signature, Tree};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long a ref lock may be held before it counts as left behind by a killed process.
pub const STALE_LOCK: Duration = Duration::from_secs(60);
/// How long an append keeps retrying a contended ref.
const DEADLINE: Duration = Duration::from_secs(45);

/// How an append moves the ledger ref. Only the compare-and-swap exists outside this
/// module's own tests: the forced update is the control experiment that shows the
/// concurrency test can see a lost entry, and no build a user runs contains it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Move {
    CompareAndSwap,
    #[cfg(test)]
    Forced,
}

/// The ledger branch of one repository and its remote-tracking twin.
#[derive(Clone, Debug)]
pub struct Ledger {
    /// `refs/heads/normsctl/acks`.
    pub name: String,
    /// `refs/remotes/<remote>/normsctl/acks`, when the ledger is a branch.
    pub tracking: Option<String>,
}

impl Ledger {
    pub fn new(settings: &crate::model::AckSettings) -> Ledger {
        let tracking = settings
            .git_ref
            .strip_prefix("refs/heads/")
            .map(|b| format!("refs/remotes/{}/{b}", settings.remote));
        Ledger {
            name: settings.git_ref.clone(),
            tracking,
        }
    }

    /// The commit the local ledger branch points at.
    pub fn local(&self, repo: &Repository) -> Result<Option<Oid>, AckError> {
        tip(repo, &self.name)
    }

    /// The commit the remote-tracking ledger points at.
    pub fn remote(&self, repo: &Repository) -> Result<Option<Oid>, AckError> {
        match &self.tracking {
            Some(t) => tip(repo, t),
            None => Ok(None),
        }
    }

    /// The commit an append builds on: the local branch, or the remote-tracking one when
    /// the local branch is absent or behind it (a fresh clone, or after a fetch).
    pub fn base(&self, repo: &Repository) -> Result<Option<Oid>, AckError> {
        let local = self.local(repo)?;
        let remote = self.remote(repo)?;
        Ok(match (local, remote) {
            (None, r) => r,
            (Some(l), Some(r)) if l != r && repo.graph_descendant_of(r, l)? => Some(r),
            (l, _) => l,
        })
    }

    /// The tips whose entries together make up everything this clone has seen: the local
    /// branch and the remote-tracking one, unless one contains the other.
    pub fn tips(&self, repo: &Repository) -> Result<Vec<Oid>, AckError> {
        let local = self.local(repo)?;
        let remote = self.remote(repo)?;
        Ok(match (local, remote) {
            (Some(l), Some(r)) if l == r || repo.graph_descendant_of(l, r)? => vec![l],
            (Some(l), Some(r)) if repo.graph_descendant_of(r, l)? => vec![r],
            (l, r) => l.into_iter().chain(r).collect(),
        })
    }
}

impl Ledger {
    /// Whether `git fetch <remote>` brings the ledger branch into this clone: `None` when
    /// there is no such remote (a repository without one), `Some(false)` for a clone that
    /// fetches only other branches (`git clone --single-branch`, most CI checkouts).
    pub fn fetched_from(&self, repo: &Repository, remote: &str) -> Option<bool> {
        let r = repo.find_remote(remote).ok()?;
        Some(
            r.refspecs().any(|spec| {
                spec.direction() == git2::Direction::Fetch && spec.src_matches(&self.name)
            }),
        )
    }

    /// An error when this clone's remote does not fetch the ledger branch: reports would
    /// otherwise say that everyone never acknowledged anything.
    pub fn require_fetched(&self, repo: &Repository, remote: &str) -> Result<(), AckError> {
        match self.fetched_from(repo, remote) {
            Some(false) => Err(AckError::LedgerNotFetched {
                remote: remote.to_owned(),
                branch: self.name.clone(),
            }),
            _ => Ok(()),
        }
    }
}

fn tip(repo: &Repository, name: &str) -> Result<Option<Oid>, AckError> {
    match repo.find_reference(name) {
        Ok(r) => {
            let c = r
                .peel_to_commit()
                .map_err(|_| AckError::BadRef(name.to_owned()))?;
            Ok(Some(c.id()))
        }
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// One entry as its path names it, and the file's blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub info: PathInfo,
    pub path: String,
    pub blob: Oid,
}

/// Every entry in the trees of `tips`, from paths alone (no entry is read), once each.
pub fn list(repo: &Repository, tips: &[Oid]) -> Result<Vec<Listed>, AckError> {
    list_where(repo, tips, None)
}

/// One person's entries in the trees of `tips`: reads a few small trees per tip.
pub fn list_person(repo: &Repository, tips: &[Oid], person: &str) -> Result<Vec<Listed>, AckError> {
    list_where(repo, tips, Some(person))
}

/// Where a new entry of `person` goes in the tree `root`: `xx/person/x/<name>` (`x`: the
/// folder of the entry's policy, see [`entry::sub`]), or the first spare folder (`x-1`,
/// ..., then the spare buckets `xx-1`, ...) whose way is not blocked by something that is
/// not a folder (a file committed at `xx`, `xx/person` or `xx/person/x` must not stop
/// anyone acknowledging for good).
pub fn entry_path(
    repo: &Repository,
    root: Option<&Tree>,
    person: &str,
    name: &str,
) -> Result<String, AckError> {
    // `Some(None)`: absent; `Some(Some(tree))`: a folder; `None`: blocked.
    let open = |tree: Option<&Tree>, dir: &str| -> Result<Option<Option<Tree<'_>>>, AckError> {
        Ok(match tree.and_then(|t| t.get_name(dir)) {
            None => Some(None),
            Some(e) if e.kind() == Some(ObjectType::Tree) => Some(Some(repo.find_tree(e.id())?)),
            Some(_) => None,
        })
    };
    let policy = name.split('.').next().unwrap_or(name);
    for bucket in entry::bucket_names(person) {
        let Some(folder) = open(root, &bucket)? else {
            continue;
        };
        let Some(mine) = open(folder.as_ref(), person)? else {
            continue;
        };
        for sub in entry::sub_names(policy) {
            if open(mine.as_ref(), &sub)?.is_some() {
                return Ok(format!("{bucket}/{person}/{sub}/{name}"));
            }
        }
    }
    Err(AckError::Collision {
        path: format!("{}/{person}", entry::bucket(person)),
    })
}

/// The entry files of one person's folder `folder` (at `prefix`, `xx/person`): see
/// [`super::listing::folder_entries`].
pub fn folder_entries(
    repo: &Repository,
    prefix: &str,
    person: &str,
    folder: &Tree,
) -> Result<Vec<(String, PathInfo, Oid)>, AckError> {
    super::listing::folder_entries(repo, prefix, person, folder.id())
}

fn list_where(
    repo: &Repository,
    tips: &[Oid],
    person: Option<&str>,
) -> Result<Vec<Listed>, AckError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for tip in tips {
        let root = repo.find_commit(*tip)?.tree()?;
        let buckets: Vec<(String, Oid)> = match person {
            Some(p) => entry::bucket_names(p)
                .into_iter()
                .filter_map(|b| {
                    let e = root.get_name(&b)?;
                    (e.kind() == Some(ObjectType::Tree)).then(|| (b, e.id()))
                })
                .collect(),
            None => trees(&root),
        };
        for (bucket, id) in buckets {
            let bucket_tree = repo.find_tree(id)?;
            let people: Vec<(String, Oid)> = match person {
                Some(p) => bucket_tree
                    .get_name(p)
                    .filter(|e| e.kind() == Some(ObjectType::Tree))
                    .map(|e| (p.to_owned(), e.id()))
                    .into_iter()
                    .collect(),
                None => trees(&bucket_tree),
            };
            for (who, id) in people {
                let folder = repo.find_tree(id)?;
                let prefix = format!("{bucket}/{who}");
                for (path, info, blob) in folder_entries(repo, &prefix, &who, &folder)? {
                    // By path, not by id: a file elsewhere that borrows a real entry's id
                    // in its name must not hide the real one.
                    if seen.insert((path.clone(), blob)) {
                        out.push(Listed { path, info, blob });
                    }
                }
            }
        }
    }
    Ok(out)
}

fn trees(tree: &Tree) -> Vec<(String, Oid)> {
    tree.iter()
        .filter(|e| e.kind() == Some(ObjectType::Tree))
        .filter_map(|e| Some((e.name().ok()?.to_owned(), e.id())))
        .collect()
}

/// Reads and parses the files of `listed`, on every core, keeping the order. Each thread
/// opens its own handle on the repository at `git_dir`.
pub fn read(git_dir: &Path, listed: &[Listed]) -> Vec<Result<entry::Parsed, entry::Malformed>> {
    use rayon::prelude::*;
    super::files::read_files(git_dir, listed)
        .par_iter()
        .zip(listed)
        .map(|(bytes, l)| {
            let bytes = bytes
                .as_deref()
                .ok_or_else(|| entry::Malformed::Json("the file cannot be read".into()))?;
            entry::parse_blob(&l.path, bytes, l.blob).map(|(p, _)| p)
        })
        .collect()
}

/// A file to add to the ledger.
#[derive(Clone, Debug)]
pub struct NewFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// How an append ended.
#[derive(Clone, Debug)]
pub struct Appended {
    /// The new tip (`None` when there was nothing left to write).
    pub commit: Option<Oid>,
    /// The files written, after dropping those the tip already held.
    pub files: Vec<String>,
    /// Uncompressed bytes of the objects the successful attempt wrote.
    pub bytes: usize,
    /// Attempts made (1 when the ref was not contended).
    pub attempts: u32,
}

/// Options for [`append`].
pub struct AppendOptions {
    pub message: String,
    pub signature: Signature<'static>,
    /// Remove a ref lock older than [`STALE_LOCK`].
    pub break_lock: bool,
}

/// Appends the files `make` returns for the current tip's tree (it drops what is already
/// there) as one commit, moving the ledger branch with compare-and-swap and retrying on
/// contention.
pub fn append(
    repo: &Repository,
    ledger: &Ledger,
    opts: &AppendOptions,
    make: impl FnMut(Option<&Tree>) -> Result<Vec<NewFile>, AckError>,
) -> Result<Appended, AckError> {
    append_moving(repo, ledger, opts, make, Move::CompareAndSwap)
}

fn append_moving(
    repo: &Repository,
    ledger: &Ledger,
    opts: &AppendOptions,
    mut make: impl FnMut(Option<&Tree>) -> Result<Vec<NewFile>, AckError>,
    how: Move,
) -> Result<Appended, AckError> {
    let started = Instant::now();
    let mut attempts = 0;
    let mut pause = Duration::from_millis(2);
    loop {
        attempts += 1;
        let local = ledger.local(repo)?;
        let base = ledger.base(repo)?;
        let base_commit = base.map(|b| repo.find_commit(b)).transpose()?;
        let base_tree = base_commit.as_ref().map(|c| c.tree()).transpose()?;
        let files = make(base_tree.as_ref())?;
        if files.is_empty() {
            return Ok(Appended {
                commit: None,
                files: Vec::new(),
                bytes: 0,
                attempts,
            });
        }
        let mut bytes = 0;
        let tree = insert(repo, base_tree.as_ref(), &files, &mut bytes)?;
        let tree = repo.find_tree(tree)?;
        let parents: Vec<_> = base_commit.iter().collect();
        let commit = repo.commit(
            None,
            &opts.signature,
            &opts.signature,
            &opts.message,
            &tree,
            &parents,
        )?;
        bytes += repo.odb()?.read_header(commit)?.0;
        let log = format!(
            "normsctl ack: {}",
            opts.message.lines().next().unwrap_or("")
        );
        let moved = if how != Move::CompareAndSwap {
            repo.reference(&ledger.name, commit, true, &log).map(|_| ())
        } else {
            // Creating the branch is a compare-and-swap too, against "absent" (the zero id):
            // libgit2 checks `force = false` before taking the ref's lock, so two first
            // writers could both "create" it and the second would erase the first's entry.
            repo.reference_matching(
                &ledger.name,
                commit,
                true,
                local.unwrap_or(Oid::ZERO_SHA1),
                &log,
            )
            .map(|_| ())
        };
        match moved {
            Ok(()) => {
                return Ok(Appended {
                    commit: Some(commit),
                    files: files.into_iter().map(|f| f.path).collect(),
                    bytes,
                    attempts,
                });
            }
            Err(e) if contended(&e) => {
                if let Some((path, age)) = lock_age(repo, &ledger.name)
                    && age >= STALE_LOCK
                {
                    if opts.break_lock {
                        // Only a lock still older than the limit goes; a fresh one is a
                        // live writer's.
                        if lock_age(repo, &ledger.name).is_some_and(|(_, a)| a >= STALE_LOCK) {
                            let _ = std::fs::remove_file(&path);
                        }
                        continue;
                    }
                    return Err(AckError::StaleLock {
                        path: path.display().to_string(),
                        age_secs: age.as_secs(),
                    });
                }
                if started.elapsed() > DEADLINE {
                    let path = lock_path(repo, &ledger.name);
                    return Err(AckError::Busy {
                        path: path.display().to_string(),
                        waited_secs: started.elapsed().as_secs(),
                    });
                }
                // Full jitter: sleep a random time up to the current ceiling, which doubles
                // up to a quarter of a second.
                let ceiling = pause.as_micros() as u64;
                std::thread::sleep(Duration::from_micros(fastrand::u64(ceiling / 4..=ceiling)));
                pause = (pause * 2).min(Duration::from_millis(250));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Whether a ref update failed because someone else holds or moved the ref.
fn contended(e: &git2::Error) -> bool {
    matches!(
        e.code(),
        ErrorCode::Locked | ErrorCode::Modified | ErrorCode::Exists
    )
}

/// The lock file of a loose ref.
pub fn lock_path(repo: &Repository, name: &str) -> PathBuf {
    let mut p = repo.path().join(name);
    p.as_mut_os_string().push(".lock");
    p
}

/// The ref's lock file (or `packed-refs.lock`) and how old it is, if one exists.
pub fn lock_age(repo: &Repository, name: &str) -> Option<(PathBuf, Duration)> {
    [lock_path(repo, name), repo.path().join("packed-refs.lock")]
        .into_iter()
        .find_map(|p| {
            let modified = std::fs::metadata(&p).ok()?.modified().ok()?;
            let age = modified.elapsed().unwrap_or_default();
            Some((p, age))
        })
}

/// Writes the tree `base` plus `files`, rewriting only the trees on their paths.
fn insert(
    repo: &Repository,
    base: Option<&Tree>,
    files: &[NewFile],
    bytes: &mut usize,
) -> Result<Oid, AckError> {
    // Group by first component, recurse.
    let mut groups: std::collections::BTreeMap<&str, Vec<NewFile>> = Default::default();
    let mut leaves = Vec::new();
    for f in files {
        match f.path.split_once('/') {
            Some((dir, rest)) => groups.entry(dir).or_default().push(NewFile {
                path: rest.to_owned(),
                bytes: f.bytes.clone(),
            }),
            None => leaves.push(f),
        }
    }
    let mut builder = repo.treebuilder(base)?;
    for f in leaves {
        let blob = repo.blob(&f.bytes)?;
        *bytes += f.bytes.len();
        if let Some(existing) = builder.get(&f.path)? {
            if existing.id() == blob {
                continue;
            }
            return Err(AckError::Collision {
                path: f.path.clone(),
            });
        }
        builder.insert(&f.path, blob, 0o100644)?;
    }
    for (dir, sub) in groups {
        let existing = match builder.get(dir)? {
            Some(e) if e.kind() == Some(ObjectType::Tree) => Some(repo.find_tree(e.id())?),
            Some(_) => {
                return Err(AckError::Collision {
                    path: dir.to_owned(),
                });
            }
            None => None,
        };
        let id = insert(repo, existing.as_ref(), &sub, bytes)?;
        builder.insert(dir, id, 0o040000)?;
    }
    let id = builder.write()?;
    *bytes += repo.odb()?.read_header(id)?.0;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};

    /// Two writers that both read the same tip before either moves the ref, then move it
    /// one after the other (a barrier and a signal make the race certain, on any machine);
    /// returns how many entries the ledger keeps.
    fn two_racing_writers(how: Move) -> usize {
        let dir = tempfile::tempdir().unwrap();
        Repository::init(dir.path()).unwrap();
        let ledger = Ledger {
            name: "refs/heads/normsctl/acks".into(),
            tracking: None,
        };
        let both_read = Arc::new(Barrier::new(2));
        let (first_moved, wait_first) = std::sync::mpsc::channel::<()>();
        let write = |who: &'static str, before_moving: Box<dyn FnOnce() + Send>| {
            let (path, ledger, both_read) = (
                dir.path().to_path_buf(),
                ledger.clone(),
                Arc::clone(&both_read),
            );
            std::thread::spawn(move || {
                let repo = Repository::open(&path).unwrap();
                let opts = AppendOptions {
                    message: format!("ack: {who}\n"),
                    signature: Signature::new("T", "t@example.com", &git2::Time::new(0, 0))
                        .unwrap(),
                    break_lock: false,
                };
                let mut first = Some(before_moving);
                append_moving(
                    &repo,
                    &ledger,
                    &opts,
                    |_| {
                        // Called after the tip was read, before the ref moves.
                        if let Some(hook) = first.take() {
                            both_read.wait();
                            hook();
                        }
                        Ok(vec![NewFile {
                            path: format!("00/{who}/x.r1.ack"),
                            bytes: who.as_bytes().to_vec(),
                        }])
                    },
                    how,
                )
                .unwrap();
            })
        };
        let a = write("a", Box::new(|| {}));
        let b = write("b", Box::new(move || wait_first.recv().unwrap()));
        a.join().unwrap();
        first_moved.send(()).unwrap();
        b.join().unwrap();
        let repo = Repository::open(dir.path()).unwrap();
        let tip = ledger.local(&repo).unwrap().unwrap();
        let tree = repo.find_commit(tip).unwrap().tree().unwrap();
        let mut files = 0;
        tree.walk(git2::TreeWalkMode::PreOrder, |_, e| {
            files += usize::from(e.kind() == Some(ObjectType::Blob));
            git2::TreeWalkResult::Ok
        })
        .unwrap();
        files
    }

    #[test]
    fn compare_and_swap_keeps_both_racing_entries() {
        assert_eq!(two_racing_writers(Move::CompareAndSwap), 2);
    }

    /// The control: the concurrency tests can see a lost entry, because a forced update
    /// loses one every time two writers race.
    #[test]
    fn control_a_forced_ref_update_loses_an_entry() {
        assert_eq!(two_racing_writers(Move::Forced), 1);
    }
}
