//! The first whole-ledger report in a clone reads the ledger through git's own programs
//! (`git ls-tree`, `git cat-file --batch`, `git diff-tree --stdin`) when it is large; a
//! small one through libgit2. `NORMSCTL_BATCH=always` and `never` force either way: on a
//! tampered ledger (an edited entry, a removed one, a decoy, a junk file where a folder
//! goes, a merge) both must give the same report, byte for byte, tampering included.

use crate::acks::{DAY, T0, entries};
use crate::acks_tamper::{acked, add_file, tamper};
use crate::harness::{Handbook, run_env};

/// `acks --format json` with nothing kept in `.git/normsctl`, read the way `how` says.
fn cold_report(hb: &Handbook, how: &str) -> String {
    let _ = std::fs::remove_dir_all(hb.path().join(".git/normsctl"));
    let run = run_env(
        hb.path(),
        &["acks", "--format", "json"],
        &[
            ("SOURCE_DATE_EPOCH", &(T0 + 10 * DAY).to_string()),
            ("NORMSCTL_BATCH", how),
        ],
    );
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    run.stdout
}

#[test]
fn git_batch_reads_give_the_report_libgit2_gives_on_a_tampered_ledger() {
    let hb = acked();
    let all = entries(hb.path());
    let bo = all.iter().find(|p| p.contains("/bo/")).unwrap().clone();
    let ana = all.iter().find(|p| !p.contains("/bo/")).unwrap().clone();
    let edited = add_file(hb.path(), "Edit bo's entry", &bo, b"{\"format\": 1}\n");
    let removed = tamper(hb.path(), "Remove ana's entry", |_, u| {
        u.remove(&ana);
    });
    // A decoy borrowing bo's entry id under another bucket, and junk where a folder goes.
    let name = bo.rsplit('/').next().unwrap();
    add_file(hb.path(), "Decoy", &format!("00/bo/{name}"), b"{}\n");
    let bucket = bo.split('/').next().unwrap();
    add_file(hb.path(), "Junk", &format!("{bucket}-1"), b"junk\n");

    let never = cold_report(&hb, "never");
    let always = cold_report(&hb, "always");
    assert_eq!(always, never, "the two ways of reading disagree");
    // Control: what both say is the tampering, next to the originals, which still count.
    let doc: serde_json::Value = serde_json::from_str(&always).unwrap();
    let reasons: Vec<&str> = doc["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains(&format!("changed in ledger commit {edited}"))),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains(&format!("removed in ledger commit {removed}"))),
        "{reasons:?}"
    );
    let current = |policy: &str, person: &str| {
        doc["policies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["id"] == policy)
            .flat_map(|p| p["people"].as_array().unwrap())
            .any(|r| r["person"] == person && r["status"] == "current")
    };
    assert!(current("qa-score", "bo"), "{doc}");
    assert!(current("stepping-away", "ana"), "{doc}");
}

#[test]
fn without_git_on_the_path_the_report_reads_through_libgit2() {
    let hb = acked();
    let with_git = cold_report(&hb, "always");
    let _ = std::fs::remove_dir_all(hb.path().join(".git/normsctl"));
    // A PATH with no git: every batch read falls back, and the report is the same.
    let empty = tempfile::tempdir().unwrap();
    let run = run_env(
        hb.path(),
        &["acks", "--format", "json"],
        &[
            ("SOURCE_DATE_EPOCH", &(T0 + 10 * DAY).to_string()),
            ("NORMSCTL_BATCH", "always"),
            ("PATH", empty.path().to_str().unwrap()),
        ],
    );
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    assert_eq!(run.stdout, with_git);
}
