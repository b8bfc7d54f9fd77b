//! Exchanging the ledger with a remote through the system `git`, which brings the user's
//! transports and credentials (https helpers, SSH agents, `git://`, paths).
//!
//! A round fetches the remote's ledger into the remote-tracking ref (never forced, so a
//! rewritten remote ledger is refused), joins it with the local one (fast-forward, or a
//! merge commit whose tree is the union of both: entries never collide, each has its own
//! path; never a rebase), and pushes without force. A rejected push starts another round.

use super::AckError;
use super::ledger::Ledger;
pub use crate::model::ack::Synced;
use git2::{ErrorCode, ObjectType, Oid, Repository, Signature, Tree};
use std::process::Command;
use std::time::Duration;

const ROUNDS: u32 = 40;

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("git {what} failed: {stderr}")]
    Git { what: &'static str, stderr: String },
    #[error("git {what} made no progress for {secs} s and was stopped")]
    Stalled { what: &'static str, secs: u64 },
    #[error("cannot run git: {0}")]
    Spawn(String),
    #[error(
        "the remote's ledger was rewritten: its tip does not descend from what this clone fetched before (git said: {0})"
    )]
    RemoteRewritten(String),
    #[error("the remote kept rejecting the push after {rounds} rounds: {reason}")]
    Rejected { rounds: u32, reason: String },
    #[error("{0}")]
    Ledger(#[from] AckError),
}

impl From<git2::Error> for SyncError {
    fn from(e: git2::Error) -> SyncError {
        SyncError::Ledger(e.into())
    }
}

/// Syncs the ledger of `cx` with `remote`, merge commits signed by git's identity now.
pub fn sync_as_me(cx: &super::Context, remote: &str) -> Result<Synced, SyncError> {
    if cx.repo.find_remote(remote).is_err() {
        return Err(AckError::NoRemote {
            remote: remote.to_owned(),
        }
        .into());
    }
    let (name, email) = cx.identity()?;
    let now = super::context::record_time()?;
    let (signature, _) = super::context::signature(&name, &email, now)?;
    let idle = Duration::from_secs(u64::from(cx.ws.settings.acks.sync_timeout));
    sync(cx.repo, &cx.ledger, remote, &signature, idle)
}

/// Syncs `ledger` with `remote`. Every git process is stopped when it shows no sign of
/// life (no output, with progress on) for `idle`.
pub fn sync(
    repo: &Repository,
    ledger: &Ledger,
    remote: &str,
    signature: &Signature<'_>,
    idle: Duration,
) -> Result<Synced, SyncError> {
    let run = Runner { idle };
    let mut done = Synced::default();
    let mut reason = String::new();
    let mut pause = Duration::from_millis(20);
    for round in 1..=ROUNDS {
        done.rounds = round;
        fetch(&run, repo, ledger, remote)?;
        let local = ledger.local(repo)?;
        let theirs = ledger.remote(repo)?;
        let ours = match (local, theirs) {
            (None, None) => return Ok(done),
            (None, Some(r)) => {
                if !set_local(repo, ledger, None, r)? {
                    continue;
                }
                done.fast_forwarded = true;
                done.tip = Some(r);
                return Ok(done);
            }
            (Some(l), Some(r)) if l == r => {
                done.tip = Some(r);
                return Ok(done);
            }
            (Some(l), Some(r)) if repo.graph_descendant_of(r, l)? => {
                if !set_local(repo, ledger, Some(l), r)? {
                    continue;
                }
                done.fast_forwarded = true;
                done.tip = Some(r);
                return Ok(done);
            }
            (Some(l), None) => l,
            (Some(l), Some(r)) if repo.graph_descendant_of(l, r)? => l,
            (Some(l), Some(r)) => {
                let m = merge(repo, l, r, signature)?;
                if !set_local(repo, ledger, Some(l), m)? {
                    continue;
                }
                done.merges.push(m);
                m
            }
        };
        match push(&run, repo, ledger, remote, ours)? {
            None => {
                if let Some(t) = &ledger.tracking {
                    repo.reference(t, ours, true, "normsctl acks sync: pushed")?;
                }
                done.pushed = true;
                done.tip = Some(ours);
                return Ok(done);
            }
            Some(why) => reason = why,
        }
        let ceiling = pause.as_millis() as u64;
        std::thread::sleep(Duration::from_millis(fastrand::u64(ceiling / 4..=ceiling)));
        pause = (pause * 2).min(Duration::from_millis(1000));
    }
    Err(SyncError::Rejected {
        rounds: ROUNDS,
        reason,
    })
}

/// Pushes one ref (a witness tag) to `remote` as it is, without force.
pub fn push_ref(
    repo: &Repository,
    remote: &str,
    name: &str,
    idle: Duration,
) -> Result<(), SyncError> {
    let run = Runner { idle };
    let out = run.output(
        "push",
        git(repo)
            .args(["push", "--porcelain", "--progress", remote])
            .arg(format!("{name}:{name}")),
    )?;
    if out.status.success() {
        return Ok(());
    }
    Err(SyncError::Git {
        what: "push",
        stderr: git_message(&out),
    })
}

/// Fetches the handbook's published branch into its remote-tracking ref (never forced: a
/// rewritten line is refused, as git refuses it), so a long-running reader (the portal)
/// sees new texts.
pub fn fetch_line(
    repo: &Repository,
    remote: &str,
    branch: &str,
    idle: Duration,
) -> Result<(), SyncError> {
    let run = Runner { idle };
    let out = run.output(
        "fetch",
        git(repo)
            .args(["fetch", "--quiet", "--no-tags", remote])
            .arg(format!(
                "refs/heads/{branch}:refs/remotes/{remote}/{branch}"
            )),
    )?;
    if out.status.success() {
        return Ok(());
    }
    Err(SyncError::Git {
        what: "fetch",
        stderr: git_message(&out),
    })
}

fn git(repo: &Repository) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("--git-dir").arg(repo.path());
    cmd
}

/// Runs git processes with an inactivity limit.
struct Runner {
    idle: Duration,
}

impl Runner {
    /// Runs `cmd` to its end, unless it produces no output (git's progress included) for
    /// `idle`: then it is killed. A server that accepts a connection and never answers
    /// would otherwise hang the sync for ever.
    fn output(
        &self,
        what: &'static str,
        cmd: &mut Command,
    ) -> Result<std::process::Output, SyncError> {
        use std::io::Read;
        use std::sync::Arc;
        let mut child = cmd
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| SyncError::Spawn(e.to_string()))?;
        // When a byte was last read from either pipe.
        let quiet = Arc::new(super::quiet::Quiet::new());
        let reader = |mut pipe: Box<dyn Read + Send>| {
            let quiet = Arc::clone(&quiet);
            std::thread::spawn(move || {
                let mut all = Vec::new();
                let mut buf = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    all.extend_from_slice(&buf[..n]);
                    quiet.heard();
                }
                all
            })
        };
        let out = reader(Box::new(child.stdout.take().expect("piped")));
        let err = reader(Box::new(child.stderr.take().expect("piped")));
        let status = loop {
            if let Some(status) = child
                .try_wait()
                .map_err(|e| SyncError::Spawn(e.to_string()))?
            {
                break status;
            }
            if quiet.silent_for() >= self.idle {
                let _ = child.kill();
                let _ = child.wait();
                return Err(SyncError::Stalled {
                    what,
                    secs: self.idle.as_secs(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Ok(std::process::Output {
            status,
            stdout: out.join().unwrap_or_default(),
            stderr: err.join().unwrap_or_default(),
        })
    }
}

/// What git wrote on stderr, without its progress lines, or its exit status when it wrote
/// nothing else.
fn git_message(out: &std::process::Output) -> String {
    let text = String::from_utf8_lossy(&out.stderr);
    let kept: Vec<&str> = text
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty() && !is_progress(l))
        .collect();
    if kept.is_empty() {
        format!("git exited with {} and said nothing", out.status)
    } else {
        kept.join("\n")
    }
}

fn is_progress(line: &str) -> bool {
    [
        "remote: Counting",
        "remote: Compressing",
        "remote: Enumerating",
        "remote: Total",
        "Receiving objects",
        "Resolving deltas",
        "Counting objects",
        "Compressing objects",
        "Writing objects",
        "Enumerating objects",
        "Delta compression",
        "Unpacking objects",
        "remote: Finding sources",
    ]
    .iter()
    .any(|p| line.starts_with(p))
}

fn fetch(run: &Runner, repo: &Repository, ledger: &Ledger, remote: &str) -> Result<(), SyncError> {
    let Some(tracking) = &ledger.tracking else {
        return Ok(());
    };
    let out = run.output(
        "fetch",
        git(repo)
            .args([
                "fetch",
                "--progress",
                "--no-tags",
                "--no-write-fetch-head",
                remote,
            ])
            .arg(format!("{}:{tracking}", ledger.name)),
    )?;
    if out.status.success() {
        return Ok(());
    }
    let message = git_message(&out);
    if message.contains("couldn't find remote ref") {
        // The remote has no ledger yet: the first push creates it.
        return Ok(());
    }
    if message.contains("non-fast-forward") || message.contains("[rejected]") {
        return Err(SyncError::RemoteRewritten(message));
    }
    Err(SyncError::Git {
        what: "fetch",
        stderr: message,
    })
}

/// Pushes `tip` to the remote's ledger branch without force: `Ok(None)` when the remote
/// took it, `Ok(Some(reason))` when it refused.
fn push(
    run: &Runner,
    repo: &Repository,
    ledger: &Ledger,
    remote: &str,
    tip: Oid,
) -> Result<Option<String>, SyncError> {
    let out = run.output(
        "push",
        git(repo)
            .args(["push", "--porcelain", "--progress", remote])
            .arg(format!("{tip}:{}", ledger.name)),
    )?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.success() {
        return Ok(None);
    }
    // `--porcelain` marks a refused ref with `!`; anything else is a transport failure.
    if let Some(line) = stdout.lines().find(|l| l.starts_with('!')) {
        return Ok(Some(line.split('\t').nth(2).unwrap_or(line).to_owned()));
    }
    let stderr = git_message(&out);
    if stderr.contains("rejected")
        || stderr.contains("failed to lock")
        || stderr.contains("cannot lock ref")
    {
        return Ok(Some(stderr));
    }
    Err(SyncError::Git {
        what: "push",
        stderr,
    })
}

/// Moves the local ledger branch from `old` to `new` with compare-and-swap; `false` when a
/// local `ack` moved it meanwhile (the next round picks that up).
fn set_local(
    repo: &Repository,
    ledger: &Ledger,
    old: Option<Oid>,
    new: Oid,
) -> Result<bool, SyncError> {
    let msg = "normsctl acks sync";
    // "Absent" is the zero id: a create with `force = false` is checked outside the ref's
    // lock in libgit2, so it is not a compare-and-swap.
    let r = repo.reference_matching(&ledger.name, new, true, old.unwrap_or(Oid::ZERO_SHA1), msg);
    match r {
        Ok(_) => Ok(true),
        Err(e)
            if matches!(
                e.code(),
                ErrorCode::Modified | ErrorCode::Exists | ErrorCode::Locked
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// A merge commit of `ours` and `theirs` whose tree is the union of both.
fn merge(
    repo: &Repository,
    ours: Oid,
    theirs: Oid,
    signature: &Signature<'_>,
) -> Result<Oid, SyncError> {
    let a = repo.find_commit(ours)?;
    let b = repo.find_commit(theirs)?;
    let tree = union(repo, &a.tree()?, &b.tree()?, "")?;
    let tree = repo.find_tree(tree)?;
    let message = format!(
        "Merge acknowledgements from {}\n",
        &theirs.to_string()[..10]
    );
    Ok(repo.commit(None, signature, signature, &message, &tree, &[&a, &b])?)
}

/// The union of two ledger trees. The same path with different content cannot happen in
/// an honest ledger (a path names its content's hash) and is refused.
pub fn union(repo: &Repository, a: &Tree, b: &Tree, prefix: &str) -> Result<Oid, AckError> {
    if a.id() == b.id() {
        return Ok(a.id());
    }
    let mut builder = repo.treebuilder(Some(a))?;
    for e in b.iter() {
        let name = e.name().unwrap_or_default();
        let path = format!("{prefix}{name}");
        match a.get_name(name) {
            None => {
                builder.insert(name, e.id(), e.filemode())?;
            }
            Some(mine) if mine.id() == e.id() => {}
            Some(mine)
                if mine.kind() == Some(ObjectType::Tree) && e.kind() == Some(ObjectType::Tree) =>
            {
                let id = union(
                    repo,
                    &repo.find_tree(mine.id())?,
                    &repo.find_tree(e.id())?,
                    &format!("{path}/"),
                )?;
                builder.insert(name, id, 0o040000)?;
            }
            Some(_) => return Err(AckError::Collision { path }),
        }
    }
    Ok(builder.write()?)
}
