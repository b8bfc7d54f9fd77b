//! Reading many ledger objects at once through git's own programs, for the first
//! whole-ledger report in a clone.
//!
//! libgit2's pack cache keeps only the base of a delta chain, so an object at depth d of a
//! chain costs d inflations and d delta applications on every read, and `git gc` stores a
//! ledger's small, alike files and trees in chains up to 50 deep. git's own readers keep
//! each chain's intermediate results: `git cat-file --batch` reads 200,000 entry files,
//! and `git diff-tree --stdin` diffs 20,000 ledger commits, several times cheaper than
//! libgit2 does (see `bench/README.md`).
//!
//! Nothing read here is taken on trust: every file's bytes are hashed here and dropped
//! unless they hash to the id asked for, and replacement objects are off (as in libgit2).
//! Whatever goes wrong (no `git` on `PATH`, a git that refuses the repository, an error
//! exit, output out of step with the request, a process silent for [`IDLE`], which is then
//! killed) gives `None`, and the caller reads through libgit2 as it always could. Nothing
//! here prints.

use super::quiet::Quiet;
use git2::{ObjectType, Oid};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// Below this many files, starting a process costs more than it saves.
pub const MIN_BLOBS: usize = 4096;
/// Below this many commits, likewise.
pub const MIN_COMMITS: usize = 256;
/// A process that writes nothing for this long is killed (the read falls back to libgit2).
pub const IDLE: Duration = Duration::from_secs(60);

/// One file a commit changed against one parent: its path, the blob before and after
/// (`None`: absent).
pub type Change = (String, Option<Oid>, Option<Oid>);

/// Whether `n` objects (or commits, or folders) are worth a git process, `min` being where
/// it starts to pay; `NORMSCTL_BATCH=always` or `never` decides instead (to compare both
/// ways of reading, in tests and benchmarks).
pub fn worth(n: usize, min: usize) -> bool {
    match std::env::var("NORMSCTL_BATCH").as_deref() {
        Ok("always") => true,
        Ok("never") => false,
        _ => n >= min,
    }
}

pub(super) fn git(git_dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("--git-dir")
        .arg(git_dir)
        .arg("--no-replace-objects")
        // A partial clone must not go to the network for a missing object.
        .env("GIT_NO_LAZY_FETCH", "1")
        // The objects libgit2 reads, from the repository's own object folder and its
        // alternates file only.
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env_remove("GIT_ALTERNATE_OBJECT_DIRECTORIES");
    cmd
}

/// The bytes of each blob of `ids`, in order (`None`: missing, not a blob, or bytes that
/// do not hash to its id); `None` when git could not give them.
pub fn blobs(git_dir: &Path, ids: &[Oid]) -> Option<Vec<Option<Vec<u8>>>> {
    let mut input = Vec::with_capacity(ids.len() * 41);
    for id in ids {
        writeln!(input, "{id}").ok()?;
    }
    let mut cmd = git(git_dir);
    cmd.args(["cat-file", "--batch", "--buffer"]);
    let read = run(cmd, input, |r, tick| {
        let mut out = Vec::with_capacity(ids.len());
        let mut header = Vec::with_capacity(64);
        for id in ids {
            header.clear();
            r.read_until(b'\n', &mut header).ok()?;
            let line = std::str::from_utf8(header.strip_suffix(b"\n")?).ok()?;
            let mut parts = line.split(' ');
            if parts.next()? != id.to_string() {
                return None;
            }
            let (kind, size) = (parts.next()?, parts.next());
            let Some(size) = size else {
                // "<id> missing" (or "ambiguous"): nothing follows.
                out.push(None);
                continue;
            };
            let mut bytes = vec![0; size.parse::<usize>().ok()? + 1];
            r.read_exact(&mut bytes).ok()?;
            if bytes.pop() != Some(b'\n') {
                return None;
            }
            out.push((kind == "blob").then_some(bytes));
            tick();
        }
        Some(out)
    })?;
    use rayon::prelude::*;
    Some(
        read.into_par_iter()
            .zip(ids)
            .map(|(bytes, id)| {
                bytes.filter(|b| Oid::hash_object(ObjectType::Blob, b).ok() == Some(*id))
            })
            .collect(),
    )
}

/// For each `(commit, parent)` of `pairs`, the files of the parent's tree that the
/// commit's changes or lacks, in git's order (`git diff-tree -r`; added files and a change
/// of mode alone are left out); `None` when git could not give them. The pairs are split
/// between one process per core.
pub fn altered(git_dir: &Path, pairs: &[(Oid, Oid)]) -> Option<Vec<Vec<Change>>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let part = pairs.len().div_ceil(cores).max(MIN_COMMITS);
    std::thread::scope(|scope| {
        let parts: Vec<_> = pairs
            .chunks(part)
            .map(|chunk| scope.spawn(move || altered_in(git_dir, chunk)))
            .collect();
        let mut out = Vec::with_capacity(pairs.len());
        for p in parts {
            out.extend(p.join().ok()??);
        }
        Some(out)
    })
}

fn altered_in(git_dir: &Path, pairs: &[(Oid, Oid)]) -> Option<Vec<Vec<Change>>> {
    let mut input = Vec::with_capacity(pairs.len() * 82);
    for (commit, parent) in pairs {
        writeln!(input, "{commit} {parent}").ok()?;
    }
    let mut cmd = git(git_dir);
    cmd.args([
        "diff-tree",
        "--stdin",
        "-r",
        "--always",
        "--no-abbrev",
        "--raw",
        "-z",
        "--no-renames",
        // What a parent held and the commit does not: deleted, modified, type changed.
        "--diff-filter=DMT",
    ]);
    run(cmd, input, |r, tick| {
        let mut out: Vec<Vec<Change>> = Vec::with_capacity(pairs.len());
        let mut token = Vec::with_capacity(128);
        let next = |r: &mut dyn BufRead, token: &mut Vec<u8>| -> Option<bool> {
            token.clear();
            r.read_until(0, token).ok()?;
            Some(token.pop() == Some(0))
        };
        while next(r, &mut token)? {
            if token.first() == Some(&b':') {
                // ":<mode> <mode> <old> <new> <status>", then the path.
                let meta = std::str::from_utf8(&token[1..]).ok()?.to_owned();
                let mut f = meta.split(' ').skip(2);
                let id = |s: Option<&str>| -> Option<Option<Oid>> {
                    let oid = Oid::from_str(s?).ok()?;
                    Some((!oid.is_zero()).then_some(oid))
                };
                let (old, new) = (id(f.next())?, id(f.next())?);
                if !next(r, &mut token)? {
                    return None;
                }
                if old != new {
                    let path = String::from_utf8_lossy(&token).into_owned();
                    out.last_mut()?.push((path, old, new));
                }
            } else {
                // The header of the next pair's diff: its commit.
                let (commit, _) = pairs.get(out.len())?;
                if token != commit.to_string().as_bytes() {
                    return None;
                }
                out.push(Vec::new());
                tick();
            }
        }
        (token.is_empty() && out.len() == pairs.len()).then_some(out)
    })
}

/// Runs `cmd` with `input` on its stdin (written from a thread of its own) and `read`
/// taking its stdout (calling `tick` as it goes); the result only when `read` gives one and
/// the process then ends well. A process silent for [`IDLE`] is killed.
pub(super) fn run<T>(
    mut cmd: Command,
    input: Vec<u8>,
    read: impl FnOnce(&mut dyn BufRead, &dyn Fn()) -> Option<T>,
) -> Option<T> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let stdout = child.stdout.take()?;
    widen(&stdin);
    widen(&stdout);
    let child: Mutex<Child> = Mutex::new(child);
    // When `read` last made progress.
    let quiet = Quiet::new();
    let kill = || {
        if let Ok(mut c) = child.lock() {
            let _ = c.kill();
        }
    };
    let out = std::thread::scope(|scope| {
        scope.spawn(move || {
            // Ends with an error when the process was killed or stopped reading.
            let _ = stdin.write_all(&input);
        });
        let watchdog = scope.spawn(|| {
            loop {
                std::thread::park_timeout(Duration::from_millis(200));
                if quiet.finished() {
                    return;
                }
                if quiet.silent_for() > IDLE {
                    kill();
                    return;
                }
            }
        });
        let tick = || quiet.heard();
        let mut r = BufReader::with_capacity(1 << 20, stdout);
        let out = read(&mut r, &tick);
        if out.is_none() {
            kill();
        }
        quiet.finish();
        watchdog.thread().unpark();
        out
    });
    let status = child.into_inner().ok()?.wait().ok()?;
    out.filter(|_| status.success())
}

/// Makes a pipe to a git process hold up to 1 MiB (as much as the system lets a process
/// ask for, else it stays as it is, 64 KiB on Linux): git writes its output a few KiB at
/// a time, and with a small pipe each of those wakes the other side.
#[cfg(target_os = "linux")]
fn widen(pipe: &impl std::os::fd::AsRawFd) {
    // SAFETY: `fcntl` on a pipe's descriptor this process holds open; no memory is shared.
    unsafe {
        libc::fcntl(pipe.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20);
    }
}

#[cfg(not(target_os = "linux"))]
fn widen<T>(_pipe: &T) {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git_in(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .current_dir(dir)
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "T")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "T")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .expect("git runs");
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    #[test]
    fn blobs_come_back_in_order_checked_against_their_ids() {
        let dir = tempfile::tempdir().unwrap();
        git_in(dir.path(), &["init", "-q"]);
        std::fs::write(dir.path().join("a"), "one\n").unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        std::fs::write(dir.path().join("d/b"), "two\n\0binary").unwrap();
        git_in(dir.path(), &["add", "."]);
        git_in(dir.path(), &["commit", "-qm", "c"]);
        let a = Oid::from_str(&git_in(dir.path(), &["rev-parse", "HEAD:a"])).unwrap();
        let b = Oid::from_str(&git_in(dir.path(), &["rev-parse", "HEAD:d/b"])).unwrap();
        let tree = Oid::from_str(&git_in(dir.path(), &["rev-parse", "HEAD:d"])).unwrap();
        let absent = Oid::from_str(&"ab".repeat(20)).unwrap();
        let got = blobs(&dir.path().join(".git"), &[b, absent, a, tree, a]).unwrap();
        assert_eq!(
            got,
            vec![
                Some(b"two\n\0binary".to_vec()),
                None,
                Some(b"one\n".to_vec()),
                None,
                Some(b"one\n".to_vec())
            ]
        );
        // No repository there: no answer (the caller reads through libgit2).
        assert!(blobs(&dir.path().join("nothing"), &[a]).is_none());
    }

    #[test]
    fn altered_names_what_each_commit_changed_or_dropped_against_each_parent() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git_in(d, &["init", "-q"]);
        std::fs::create_dir_all(d.join("x/y")).unwrap();
        std::fs::write(d.join("x/y/f"), "1\n").unwrap();
        git_in(d, &["add", "."]);
        git_in(d, &["commit", "-qm", "1"]);
        let first = git_in(d, &["rev-parse", "HEAD"]);
        let f1 = Oid::from_str(&git_in(d, &["rev-parse", "HEAD:x/y/f"])).unwrap();
        std::fs::write(d.join("x/y/f"), "2\n").unwrap();
        std::fs::write(d.join("g h"), "3\n").unwrap();
        git_in(d, &["add", "."]);
        git_in(d, &["commit", "-qm", "2"]);
        let second = git_in(d, &["rev-parse", "HEAD"]);
        let f2 = Oid::from_str(&git_in(d, &["rev-parse", "HEAD:x/y/f"])).unwrap();
        let g = Oid::from_str(&git_in(d, &["rev-parse", "HEAD:g h"])).unwrap();
        // A change of mode alone is not a change of the file.
        git_in(d, &["update-index", "--chmod=+x", "g h"]);
        git_in(d, &["commit", "-qm", "3"]);
        let third = git_in(d, &["rev-parse", "HEAD"]);
        let (c1, c2, c3) = (
            Oid::from_str(&first).unwrap(),
            Oid::from_str(&second).unwrap(),
            Oid::from_str(&third).unwrap(),
        );
        let got = altered_in(&d.join(".git"), &[(c2, c1), (c1, c2), (c3, c2), (c2, c2)]).unwrap();
        assert_eq!(
            got,
            vec![
                vec![("x/y/f".to_owned(), Some(f1), Some(f2))],
                vec![
                    ("g h".to_owned(), Some(g), None),
                    ("x/y/f".to_owned(), Some(f2), Some(f1)),
                ],
                vec![],
                vec![],
            ]
        );
    }
}
