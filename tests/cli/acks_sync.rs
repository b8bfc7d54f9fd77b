//! `normsctl acks sync` with a path remote and with `git daemon` on 127.0.0.1: concurrent
//! clones never lose an entry, and every clone's ledger verifies afterwards.

use crate::acks::{DAY, LEDGER, T0, big_roster, entries, handbook, tip};
use crate::harness::{Run, command};
use git2::Repository;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

pub(crate) fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A bare remote holding a committed handbook with people p00..p15.
pub(crate) fn remote(root: &Path) -> PathBuf {
    let hb = handbook(&big_roster(16), "lead@example.com");
    let bare = root.join("remote.git");
    git(
        root,
        &[
            "clone",
            "--quiet",
            "--bare",
            hb.path().to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    bare
}

pub(crate) fn clone(root: &Path, url: &str, name: &str, email: &str) -> PathBuf {
    let dir = root.join(name);
    git(root, &["clone", "--quiet", url, dir.to_str().unwrap()]);
    git(&dir, &["config", "user.name", name]);
    git(&dir, &["config", "user.email", email]);
    dir
}

pub(crate) fn run(dir: &Path, args: &[&str]) -> Run {
    let home = tempfile::tempdir().unwrap();
    let out = command(dir, home.path(), args)
        .env("GIT_COMMITTER_DATE", format!("@{} +0000", T0 + DAY))
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn remote_entries(bare: &Path) -> usize {
    let repo = Repository::open_bare(bare).unwrap();
    let Ok(r) = repo.find_reference(LEDGER) else {
        return 0;
    };
    let tree = r.peel_to_commit().unwrap().tree().unwrap();
    let mut n = 0;
    tree.walk(git2::TreeWalkMode::PreOrder, |_, e| {
        n += usize::from(e.kind() == Some(git2::ObjectType::Blob));
        git2::TreeWalkResult::Ok
    })
    .unwrap();
    n
}

#[test]
fn sync_merges_diverged_ledgers_and_a_fresh_clone_builds_on_the_remote() {
    let root = tempfile::tempdir().unwrap();
    let bare = remote(root.path());
    let url = bare.to_str().unwrap();
    let a = clone(root.path(), url, "a", "p00@example.com");
    let b = clone(root.path(), url, "b", "p01@example.com");
    let nothing = run(&a, &["acks", "sync"]);
    assert_eq!(nothing.code, 0, "{nothing:?}");
    assert!(nothing.stdout.contains("no ledger on either side yet"));

    assert_eq!(run(&a, &["ack", "stepping-away"]).code, 0);
    assert_eq!(run(&b, &["ack", "stepping-away"]).code, 0);
    let pushed = run(&a, &["acks", "sync"]);
    assert_eq!(pushed.code, 0, "{pushed:?}");
    assert!(pushed.stdout.starts_with("pushed"), "{}", pushed.stdout);
    let merged = run(&b, &["acks", "sync"]);
    assert_eq!(merged.code, 0, "{merged:?}");
    assert!(
        merged.stdout.contains("1 merge commit"),
        "{}",
        merged.stdout
    );
    let repo_b = Repository::open(&b).unwrap();
    let merge = repo_b.find_commit(tip(&b).unwrap()).unwrap();
    assert_eq!(merge.parent_count(), 2);
    assert_eq!(remote_entries(&bare), 2);
    let took = run(&a, &["acks", "sync"]);
    assert!(
        took.stdout.starts_with("took the remote's entries"),
        "{}",
        took.stdout
    );
    assert_eq!(tip(&a), tip(&b));

    // A fresh clone sees the ledger as origin/normsctl/acks and builds on it.
    let c = clone(root.path(), url, "c", "p02@example.com");
    assert_eq!(tip(&c), None);
    let status = run(&c, &["acks", "--format", "json", "--person", "p00"]);
    assert!(
        status.stdout.contains("\"status\": \"current\""),
        "{}",
        status.stdout
    );
    assert_eq!(run(&c, &["ack", "stepping-away"]).code, 0);
    let repo_c = Repository::open(&c).unwrap();
    let mine = repo_c.find_commit(tip(&c).unwrap()).unwrap();
    assert_eq!(mine.parent_id(0).unwrap(), tip(&b).unwrap());
    assert_eq!(entries(&c).len(), 3);
    let up = run(&c, &["acks", "sync"]);
    assert!(up.stdout.starts_with("pushed"), "{}", up.stdout);
    assert_eq!(remote_entries(&bare), 3);
    for dir in [&a, &b, &c] {
        let v = run(dir, &["acks", "verify"]);
        assert_eq!(v.code, 0, "{v:?}");
    }
}

/// Kills the daemon when the test ends, however it ends.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn exec_path() -> PathBuf {
    let out = Command::new("git").arg("--exec-path").output().unwrap();
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn daemon(base: &Path) -> (Daemon, u16) {
    for _ in 0..20 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // The daemon binary itself, not `git daemon`: killing the `git` wrapper would
        // leave the daemon running.
        let child = Command::new(exec_path().join("git-daemon"))
            .args([
                "--export-all",
                "--enable=receive-pack",
                "--reuseaddr",
                "--listen=127.0.0.1",
            ])
            .arg(format!("--port={port}"))
            .arg(format!("--base-path={}", base.display()))
            .arg(base)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut d = Daemon(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return (d, port);
            }
            if d.0.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        drop(d);
    }
    panic!("git daemon did not start");
}

/// 16 clones ack and sync at once; then each syncs again and verifies.
fn sixteen_at_once(root: &Path, bare: &Path, url: &str) {
    let clones: Vec<PathBuf> = (0..16)
        .map(|i| {
            clone(
                root,
                url,
                &format!("c{i:02}"),
                &format!("p{i:02}@example.com"),
            )
        })
        .collect();
    let handles: Vec<_> = clones
        .iter()
        .cloned()
        .map(|dir| {
            std::thread::spawn(move || {
                let a = run(&dir, &["ack", "stepping-away"]);
                let s = run(&dir, &["acks", "sync"]);
                (a, s)
            })
        })
        .collect();
    for h in handles {
        let (a, s) = h.join().unwrap();
        assert_eq!(a.code, 0, "{a:?}");
        assert_eq!(s.code, 0, "{s:?}");
    }
    assert_eq!(remote_entries(bare), 16);
    for dir in &clones {
        let s = run(dir, &["acks", "sync"]);
        assert_eq!(s.code, 0, "{s:?}");
        assert_eq!(entries(dir).len(), 16, "{}", dir.display());
        let v = run(dir, &["acks", "verify"]);
        assert_eq!(v.code, 0, "{v:?}");
        assert!(v.stdout.contains("16 entries"), "{}", v.stdout);
        // Every clone's report counts all 16 (the one judge, against origin/main).
        let r = run(
            dir,
            &["acks", "--policy", "stepping-away", "--format", "json"],
        );
        let doc = r.json();
        assert_eq!(doc["rejected"], serde_json::json!([]), "{}", r.stderr);
        assert_eq!(doc["policies"][0]["counts"]["current"], 16, "{doc}");
    }
}

#[test]
fn sixteen_clones_sync_through_git_daemon() {
    let root = tempfile::tempdir().unwrap();
    let bare = remote(root.path());
    let (_daemon, port) = daemon(root.path());
    sixteen_at_once(
        root.path(),
        &bare,
        &format!("git://127.0.0.1:{port}/remote.git"),
    );
}

#[test]
fn sixteen_clones_sync_through_a_path_remote() {
    let root = tempfile::tempdir().unwrap();
    let bare = remote(root.path());
    sixteen_at_once(root.path(), &bare, bare.to_str().unwrap());
}
