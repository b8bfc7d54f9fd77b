//! `init` and `new`: a scaffold that works from the first minute.

use crate::harness::{Handbook, run_in};

#[test]
fn init_writes_a_valid_handbook_and_commits_it() {
    let parent = Handbook::empty();
    let run = parent.run(&["init", "hb"]);
    assert_eq!(run.code, 0, "{run:?}");
    let dir = parent.path().join("hb");
    let repo = git2::Repository::open(&dir).expect("init made a repository");
    let head = repo.head().unwrap();
    assert_eq!(head.shorthand().unwrap(), "main");
    let commit = head.peel_to_commit().unwrap();
    let tree = commit.tree().unwrap();
    assert!(
        tree.get_path(std::path::Path::new(
            "policies/metrics/first-response-time.yaml"
        ))
        .is_ok()
    );
    assert!(
        tree.get_path(std::path::Path::new("schema/policy.schema.json"))
            .is_ok()
    );
    let statuses = repo.statuses(None).unwrap();
    assert_eq!(statuses.len(), 0, "everything init wrote is committed");

    let check = run_in(&dir, &["validate", "--strict", "--format", "json"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    assert_eq!(check.json()["files_checked"], 5);
}

#[test]
fn init_inside_a_repository_does_not_commit_and_never_overwrites() {
    let top = Handbook::empty();
    let repo = git2::Repository::init(top.path()).unwrap();
    let run = top.run(&["init", "handbook"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        repo.head().is_err(),
        "no commit was made in the existing repository"
    );
    assert!(run.stderr.contains("review and commit"), "{}", run.stderr);

    top.write("again/people.yaml", "people: []\n");
    let run = top.run(&["init", "again"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("refusing to overwrite"),
        "{}",
        run.stderr
    );
    assert_eq!(top.read("again/people.yaml"), "people: []\n");
    assert!(
        !top.path().join("again/normsctl.yaml").exists(),
        "nothing half-written"
    );
}

#[test]
fn new_writes_skeletons_that_validate() {
    let hb = Handbook::new();
    for (kind, id) in [
        ("expectation", "be-on-time"),
        ("norm", "hand-over"),
        ("metric", "replies-per-hour"),
    ] {
        let run = hb.run(&["new", kind, id]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout.trim_end().ends_with(&format!("{id}.yaml")),
            "{}",
            run.stdout
        );
    }
    assert!(
        hb.read("policies/metrics/replies-per-hour.yaml")
            .contains("kind: metric")
    );
    assert!(
        hb.read("policies/norms/hand-over.yaml")
            .contains("title: Hand over")
    );
    assert!(
        hb.path().join("policies/be-on-time.yaml").exists(),
        "no expectations/ folder: the policies folder"
    );
    let check = hb.validate(&["--strict"]);
    assert_eq!(check.code, 0, "{}", check.stdout);

    let again = hb.run(&["new", "norm", "hand-over"]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    let bad = hb.run(&["new", "norm", "Hand_Over"]);
    assert_eq!(bad.code, 2);
    let bad = hb.run(&["new", "rule", "x"]);
    assert_eq!(bad.code, 2);
    let bad = hb.run(&["new", "norm", "owned", "--owner", "tier2"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("did you mean `tier1`?"),
        "{}",
        bad.stderr
    );
    assert!(!hb.path().join("policies/norms/owned.yaml").exists());
    let good = hb.run(&["new", "norm", "owned", "--owner", "bo"]);
    assert_eq!(good.code, 0, "{good:?}");
    assert!(hb.read("policies/norms/owned.yaml").contains("owner: bo"));
}

#[test]
fn init_keeps_a_repositorys_own_files_and_writes_readable_files() {
    use std::os::unix::fs::PermissionsExt;
    let top = Handbook::empty();
    git2::Repository::init(top.path()).unwrap();
    top.write(".gitignore", "target\n");
    let run = top.run(&["init"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(top.read(".gitignore"), "target\n");
    assert!(run.stderr.contains("kept the existing"), "{}", run.stderr);
    let mode = std::fs::metadata(top.path().join("people.yaml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);

    // A file where a folder must go: refused before anything is written.
    let other = Handbook::empty();
    other.write("k/schema", "");
    let run = other.run(&["init", "k"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("k/schema"), "{}", run.stderr);
    assert!(
        !other.path().join("k/normsctl.yaml").exists(),
        "nothing half-written"
    );
}

#[test]
fn a_pipe_as_the_roster_is_a_finding_not_a_hang() {
    let hb = Handbook::new();
    std::fs::remove_file(hb.path().join("people.yaml")).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(hb.path().join("people.yaml"))
        .status()
        .unwrap();
    assert!(status.success());
    let run = hb.validate(&[]);
    assert_eq!(run.code, 1);
    assert_eq!(run.findings(), ["people.yaml:1:1 unreadable"]);
}
