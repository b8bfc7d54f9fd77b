//! The handbook line (issue 11): an acknowledgement counts only when it is bound to a
//! commit on the first-parent line of the published branch, to that policy's very text
//! there, with exactly the revision that text declares. Built with the plumbing an
//! attacker with push access would use; the auditor is `acks verify` and `acks evidence`.

use crate::acks::{DAY, T0, at, commit, handbook};
use crate::acks_tamper::{add_file, forge, keygen, template, with_key};
use crate::harness::{NORM, ROSTER};
use git2::{Oid, Repository};
use std::path::Path;

/// A commit on a side branch `name` (never merged) whose tree is HEAD's with `edits`
/// applied, made with the same calls `git commit` makes; HEAD stays where it was.
fn side_commit(dir: &Path, name: &str, edits: &[(&str, &str)]) -> Oid {
    let repo = Repository::open(dir).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    let mut builder = git2::build::TreeUpdateBuilder::new();
    for (path, text) in edits {
        let blob = repo.blob(text.as_bytes()).unwrap();
        builder.upsert(*path, blob, git2::FileMode::Blob);
    }
    let tree = builder
        .create_updated(&repo, &head.tree().unwrap())
        .unwrap();
    let tree = repo.find_tree(tree).unwrap();
    let sig = git2::Signature::new(
        "Mallory",
        "mallory@example.com",
        &git2::Time::new(T0 + 6 * DAY, 0),
    )
    .unwrap();
    repo.commit(
        Some(&format!("refs/heads/{name}")),
        &sig,
        &sig,
        "side",
        &tree,
        &[&head],
    )
    .unwrap()
}

/// The blob of `path` at `commit`.
fn blob_at(dir: &Path, commit: Oid, path: &str) -> Oid {
    let repo = Repository::open(dir).unwrap();
    let tree = repo.find_commit(commit).unwrap().tree().unwrap();
    tree.get_path(Path::new(path)).unwrap().id()
}

const NORM_PATH: &str = "policies/norms/stepping-away.yaml";

#[test]
fn a_side_branch_roster_cannot_drop_a_signing_key() {
    let keys = tempfile::tempdir().unwrap();
    let (_, ana_pub) = keygen(keys.path(), "ana");
    let hb = handbook(&with_key(&ana_pub), "ana@example.com");
    // Positive control: an honest, signed-free entry of bo (no key) verifies.
    assert_eq!(
        at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + DAY).code,
        0
    );
    assert_eq!(at(&hb, &["acks", "verify"], T0 + DAY).code, 0);

    // Mallory commits a roster without ana's key on a side branch and writes an unsigned
    // entry for ana bound to that commit.
    let side = side_commit(hb.path(), "side", &[("people.yaml", ROSTER)]);
    let (_, mut entry) = template(hb.path());
    entry["person"] = "ana".into();
    entry["commit"] = side.to_string().into();
    entry["blob"] = blob_at(hb.path(), side, NORM_PATH).to_string().into();
    entry["writer"]["email"] = "ana@example.com".into();
    let (path, bytes) = forge(&entry, None);
    let bad = add_file(hb.path(), "forged", &path, &bytes);

    let run = at(&hb, &["acks", "verify", "--format", "json"], T0 + 7 * DAY);
    assert_eq!(run.code, 1, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["first_bad_commit"], bad.to_string());
    let problem = &doc["problems"][0];
    assert_eq!(problem["path"], path.as_str());
    let message = problem["message"].as_str().unwrap();
    assert!(
        message.contains(&side.to_string()[..10])
            && message.contains("not on the handbook line (refs/heads/main)"),
        "{message}"
    );

    // The evidence bundle for ana says why the entry does not count.
    let run = at(
        &hb,
        &[
            "acks",
            "evidence",
            "--person",
            "ana",
            "--policy",
            "stepping-away",
            "--format",
            "json",
        ],
        T0 + 7 * DAY,
    );
    assert!(run.stdout.contains("not on the handbook line"), "{run:?}");
}

/// A handbook where bo acknowledged stepping-away honestly, plus a forged entry of bo bound
/// to a side-branch text declaring revision 4294967295; the ledger commit that added it.
fn inflated_entry() -> (crate::harness::Handbook, Oid) {
    let hb = handbook(ROSTER, "ana@example.com");
    let huge = NORM.replace("revision: 1", "revision: 4294967295");
    let side = side_commit(hb.path(), "huge", &[(NORM_PATH, &huge)]);
    assert_eq!(
        at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + DAY).code,
        0
    );
    let (_, mut entry) = template(hb.path());
    entry["commit"] = side.to_string().into();
    entry["blob"] = blob_at(hb.path(), side, NORM_PATH).to_string().into();
    entry["revision"] = 4_294_967_295_u32.into();
    let (path, bytes) = forge(&entry, None);
    let bad = add_file(hb.path(), "huge revision", &path, &bytes);
    (hb, bad)
}

#[test]
fn a_side_branch_text_with_a_huge_revision_exempts_nobody() {
    let (hb, bad) = inflated_entry();
    let run = at(&hb, &["acks", "verify", "--format", "json"], T0 + 7 * DAY);
    assert_eq!(run.code, 1, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["first_bad_commit"], bad.to_string());
    assert!(
        doc["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not on the handbook line"),
        "{doc}"
    );
}

#[test]
fn an_entry_naming_another_revision_of_a_line_text_is_rejected() {
    let hb = handbook(ROSTER, "ana@example.com");
    assert_eq!(
        at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + DAY).code,
        0
    );
    let (_, mut entry) = template(hb.path());
    entry["revision"] = 99.into();
    let (path, bytes) = forge(&entry, None);
    let bad = add_file(hb.path(), "r99", &path, &bytes);
    let run = at(&hb, &["acks", "verify", "--format", "json"], T0 + 7 * DAY);
    assert_eq!(run.code, 1, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["first_bad_commit"], bad.to_string());
    assert!(
        doc["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("says revision 99"),
        "{doc}"
    );
}

#[test]
fn the_line_is_the_remote_branch_where_there_is_one() {
    // A published handbook and a clone; a commit only in the clone is not on the line.
    let origin = handbook(ROSTER, "ana@example.com");
    let dir = tempfile::tempdir().unwrap();
    let clone = crate::harness::git_clone(origin.path(), dir.path(), "clone", &[]);
    let repo = Repository::open(&clone).unwrap();
    let mut config = repo.config().unwrap();
    config.set_str("user.name", "Bo").unwrap();
    config.set_str("user.email", "bo@example.com").unwrap();
    let line =
        normsctl::ack::line::Line::tip_ref(&repo, &normsctl::model::Settings::default().acks)
            .unwrap()
            .unwrap();
    assert_eq!(line.0, "refs/remotes/origin/main");
    std::fs::write(
        clone.join(NORM_PATH),
        NORM.replace("Tell the channel.", "Tell the channel, kindly."),
    )
    .unwrap();
    let local = commit(&clone, "Unpublished edit", T0 + 2 * DAY);
    let run = crate::harness::run_env(
        &clone,
        &["acks", "verify"],
        &[("SOURCE_DATE_EPOCH", &(T0 + 3 * DAY).to_string())],
    );
    assert_eq!(run.code, 0, "no ledger yet: {run:?}");
    let tip = normsctl::ack::line::Line::tip_ref(&repo, &normsctl::model::Settings::default().acks)
        .unwrap()
        .unwrap()
        .1;
    assert_ne!(tip, local, "the line stays at the published tip");
}

#[test]
fn a_newer_entry_format_asks_for_an_upgrade_not_tampering() {
    let hb = handbook(ROSTER, "ana@example.com");
    assert_eq!(
        at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + DAY).code,
        0
    );
    assert_eq!(at(&hb, &["acks", "verify"], T0 + DAY).code, 0);
    let (_, mut entry) = template(hb.path());
    entry["format"] = 4.into();
    entry["via"] = serde_json::json!({ "kind": "something new" });
    let (path, bytes) = forge(&entry, None);
    add_file(hb.path(), "a future entry", &path, &bytes);
    let run = at(&hb, &["acks", "verify"], T0 + 2 * DAY);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("upgrade normsctl"), "{}", run.stderr);
    assert!(run.stderr.contains(&path), "{}", run.stderr);
    assert!(!run.stderr.contains("fails verification"), "{}", run.stderr);
}

/// bo's bucket folder name in the ledger.
fn bo_bucket() -> String {
    Oid::hash_object(git2::ObjectType::Blob, b"bo")
        .unwrap()
        .to_string()[..2]
        .to_owned()
}

fn state_of(hb: &crate::harness::Handbook, policy: &str, person: &str, epoch: i64) -> String {
    let doc = at(hb, &["acks", "--format", "json"], epoch).json();
    for p in doc["policies"].as_array().unwrap() {
        if p["id"] == policy {
            for r in p["people"].as_array().unwrap() {
                if r["person"] == person {
                    return r["status"].as_str().unwrap().to_owned();
                }
            }
        }
    }
    "-".into()
}

#[test]
fn no_file_in_the_ledger_can_jam_an_acknowledgement() {
    // A file where bo's bucket folder goes (on a ledger ana already wrote to).
    let hb = handbook(ROSTER, "ana@example.com");
    assert_eq!(at(&hb, &["ack", "stepping-away"], T0 + DAY).code, 0);
    add_file(hb.path(), "junk bucket", &bo_bucket(), b"junk\n");
    let run = at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + DAY);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(state_of(&hb, "stepping-away", "bo", T0 + DAY), "current");
    let run = at(&hb, &["acks", "verify", "--format", "json"], T0 + DAY);
    assert_eq!(run.code, 1, "the junk file is reported: {run:?}");
    let doc = run.json();
    assert_eq!(doc["problems"].as_array().unwrap().len(), 1, "{doc}");
    assert_eq!(doc["problems"][0]["path"], bo_bucket().as_str());

    // A file where bo's own folder goes.
    let hb = handbook(ROSTER, "ana@example.com");
    assert_eq!(at(&hb, &["ack", "qa-score"], T0 + DAY).code, 0);
    add_file(
        hb.path(),
        "junk folder",
        &format!("{}/bo", bo_bucket()),
        b"junk\n",
    );
    let run = at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + DAY);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(state_of(&hb, "stepping-away", "bo", T0 + DAY), "current");
    // Positive control: ana, whose folders are free, is unaffected.
    assert_eq!(at(&hb, &["ack", "stepping-away"], T0 + DAY).code, 0, "ana");
    assert_eq!(state_of(&hb, "stepping-away", "ana", T0 + DAY), "current");
}

#[test]
fn a_decoy_borrowing_a_real_entrys_id_hides_nothing() {
    let hb = handbook(ROSTER, "ana@example.com");
    assert_eq!(
        at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + DAY).code,
        0
    );
    assert_eq!(state_of(&hb, "stepping-away", "bo", T0 + DAY), "current");
    let (real, _) = template(hb.path());
    let name = real.rsplit('/').next().unwrap();
    let id = name.split('.').nth(2).unwrap();
    // Sorts before the real file, carries its id, and is junk.
    let decoy = format!("{}/bo/stepping-away.r0.{id}.ack", bo_bucket());
    add_file(hb.path(), "decoy", &decoy, b"{}\n");
    assert_eq!(state_of(&hb, "stepping-away", "bo", T0 + DAY), "current");
    // A re-ack is still a no-op: the decoy does not stand in for the real entry either.
    let run = at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + DAY);
    assert!(run.stdout.contains("had already acknowledged"), "{run:?}");
    let run = at(&hb, &["acks", "verify", "--format", "json"], T0 + DAY);
    assert_eq!(run.code, 1);
    assert_eq!(run.json()["problems"][0]["path"], decoy.as_str());
}

#[test]
fn a_ledger_tree_thousands_of_levels_deep_is_reported_not_a_crash() {
    let hb = handbook(ROSTER, "ana@example.com");
    assert_eq!(
        at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + DAY).code,
        0
    );
    let repo = Repository::open(hb.path()).unwrap();
    let mut id = repo.blob(b"deep\n").unwrap();
    let mut mode = git2::FileMode::Blob;
    for _ in 0..32_768 {
        let mut b = repo.treebuilder(None).unwrap();
        b.insert("a", id, mode.into()).unwrap();
        id = b.write().unwrap();
        mode = git2::FileMode::Tree;
    }
    crate::acks_tamper::tamper(hb.path(), "deep", |_, u| {
        u.upsert("zz", id, git2::FileMode::Tree);
    });
    let run = at(&hb, &["acks", "verify", "--format", "json"], T0 + DAY);
    assert_eq!(run.code, 1, "{run:?}");
    let doc = run.json();
    assert!(
        doc["problems"][0]["path"]
            .as_str()
            .unwrap()
            .starts_with("zz/a/a/"),
        "{doc}"
    );
    assert_eq!(state_of(&hb, "stepping-away", "bo", T0 + DAY), "current");
    assert_eq!(at(&hb, &["ack", "stepping-away"], T0 + DAY).code, 0);
}

#[test]
fn sync_stops_a_server_that_never_answers() {
    let root = tempfile::tempdir().unwrap();
    let bare = crate::acks_sync::remote(root.path());
    let dir = crate::acks_sync::clone(root.path(), bare.to_str().unwrap(), "a", "p00@example.com");
    assert_eq!(
        crate::acks_sync::run(&dir, &["ack", "stepping-away"]).code,
        0
    );
    // A server that accepts connections and never says a word.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        for s in listener.incoming().take(4).flatten() {
            open.push(s);
        }
        std::thread::sleep(std::time::Duration::from_secs(20));
    });
    crate::acks_sync::git(
        &dir,
        &[
            "remote",
            "set-url",
            "origin",
            &format!("git://127.0.0.1:{port}/remote.git"),
        ],
    );
    let settings = std::fs::read_to_string(dir.join("normsctl.yaml")).unwrap();
    std::fs::write(
        dir.join("normsctl.yaml"),
        format!("{settings}acks:\n  sync_timeout: 2\n"),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let run = crate::acks_sync::run(&dir, &["acks", "sync"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("git fetch made no progress for 2 s and was stopped"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("acks.sync_timeout"), "{}", run.stderr);
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    drop(held);
}

#[test]
fn sync_against_a_rewritten_remote_says_what_git_said() {
    let root = tempfile::tempdir().unwrap();
    let bare = crate::acks_sync::remote(root.path());
    let url = bare.to_str().unwrap();
    let a = crate::acks_sync::clone(root.path(), url, "a", "p00@example.com");
    assert_eq!(crate::acks_sync::run(&a, &["ack", "stepping-away"]).code, 0);
    assert_eq!(crate::acks_sync::run(&a, &["acks", "sync"]).code, 0);
    // Someone force-pushes a different ledger history to the remote.
    let b = crate::acks_sync::clone(root.path(), url, "b", "p01@example.com");
    crate::acks_sync::git(
        &b,
        &["update-ref", "-d", "refs/remotes/origin/normsctl/acks"],
    );
    assert_eq!(crate::acks_sync::run(&b, &["ack", "stepping-away"]).code, 0);
    crate::acks_sync::git(
        &b,
        &[
            "push",
            "--quiet",
            "--force",
            "origin",
            "normsctl/acks:normsctl/acks",
        ],
    );
    let run = crate::acks_sync::run(&a, &["acks", "sync"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("the remote's ledger was rewritten"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("non-fast-forward") || run.stderr.contains("rejected"),
        "git's own words: {}",
        run.stderr
    );
}

#[test]
fn verify_where_the_checkpoint_cannot_be_written_still_gives_its_verdict() {
    let hb = handbook(ROSTER, "ana@example.com");
    assert_eq!(at(&hb, &["ack", "stepping-away"], T0 + DAY).code, 0);
    // The checkpoint ref (refs/normsctl/verified/...) cannot be created: a file stands
    // where its folder goes (as on a read-only mount, but also for root).
    std::fs::write(hb.path().join(".git/refs/normsctl"), "not a folder\n").unwrap();
    let run = at(&hb, &["acks", "verify"], T0 + DAY);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("ledger ok"), "{run:?}");
    assert!(
        run.stderr
            .contains("warning: the checkpoint of this verification cannot be written"),
        "{run:?}"
    );
}

#[test]
fn ack_refuses_a_policy_that_does_not_validate_and_writes_nothing() {
    for (bad, why) in [
        ("", "missing"),
        ("revision: \"2\"\n", "wrong-type"),
        ("revision: 2.0\n", "wrong-type"),
        ("revision: 0\n", "invalid-value"),
    ] {
        let hb = handbook(ROSTER, "ana@example.com");
        let text = NORM.replace("revision: 1\n", bad);
        hb.write(NORM_PATH, &text);
        commit(hb.path(), "A broken policy", T0 + DAY);
        let run = at(&hb, &["ack", "stepping-away"], T0 + DAY);
        assert_eq!(run.code, 2, "{why}: {run:?}");
        assert!(
            run.stderr.contains("does not validate"),
            "{why}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(NORM_PATH), "{why}: {}", run.stderr);
        assert!(
            crate::acks::tip(hb.path()).is_none(),
            "{why}: nothing was written"
        );
        // Positive control: the fixed policy is acknowledged.
        hb.write(NORM_PATH, NORM);
        commit(hb.path(), "Fixed", T0 + 2 * DAY);
        assert_eq!(
            at(&hb, &["ack", "stepping-away"], T0 + 2 * DAY).code,
            0,
            "{why}"
        );
        assert_eq!(at(&hb, &["acks", "verify"], T0 + 2 * DAY).code, 0, "{why}");
    }
}

#[test]
fn ack_binds_to_the_published_text_only() {
    let origin = handbook(ROSTER, "ana@example.com");
    let dir = tempfile::tempdir().unwrap();
    let clone = crate::harness::git_clone(origin.path(), dir.path(), "clone", &[]);
    let repo = Repository::open(&clone).unwrap();
    let mut config = repo.config().unwrap();
    config.set_str("user.name", "Bo").unwrap();
    config.set_str("user.email", "bo@example.com").unwrap();
    let run_at = |args: &[&str], t: i64| {
        crate::harness::run_env(
            &clone,
            args,
            &[
                ("SOURCE_DATE_EPOCH", &t.to_string()),
                ("GIT_COMMITTER_DATE", &format!("@{t} +0000")),
            ],
        )
    };
    // A local, unpublished edit of the text: refused, naming git pull and the line.
    std::fs::write(
        clone.join(NORM_PATH),
        NORM.replace("Tell the channel.", "Tell them."),
    )
    .unwrap();
    commit(&clone, "Local edit", T0 + DAY);
    let run = run_at(&["ack", "stepping-away"], T0 + DAY);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("refs/remotes/origin/main"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("git pull"), "{}", run.stderr);
    // Another policy that the local commit did not touch binds to the published tip.
    let run = run_at(&["ack", "qa-score"], T0 + DAY);
    assert_eq!(run.code, 0, "{run:?}");
    let (_, entry) = template(&clone);
    let published = repo
        .find_reference("refs/remotes/origin/main")
        .unwrap()
        .target()
        .unwrap();
    assert_eq!(entry["commit"], published.to_string());
    assert_eq!(run_at(&["acks", "verify"], T0 + DAY).code, 0);
}

/// bo's row for `policy` in `acks --format json`, and the document.
fn bo_row(hb: &crate::harness::Handbook, policy: &str, epoch: i64) -> (String, serde_json::Value) {
    let run = at(hb, &["acks", "--format", "json"], epoch);
    let doc = run.json();
    (state_of(hb, policy, "bo", epoch), doc)
}

#[test]
fn reports_count_only_what_verify_accepts() {
    let hb = handbook(ROSTER, "ana@example.com");
    assert_eq!(at(&hb, &["ack", "stepping-away"], T0 + DAY).code, 0);
    let (_, good) = template(hb.path());
    let forged = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut e = good.clone();
        e["person"] = "bo".into();
        e["writer"]["email"] = "bo@example.com".into();
        edit(&mut e);
        e
    };
    let cases: Vec<(&str, serde_json::Value)> = vec![
        (
            "a commit that does not exist",
            forged(&|e| e["commit"] = "1".repeat(40).into()),
        ),
        (
            "a blob that does not exist",
            forged(&|e| e["blob"] = "2".repeat(40).into()),
        ),
        (
            "a path the commit lacks",
            forged(&|e| e["path"] = "policies/stepping-away.yaml".into()),
        ),
        (
            "r99 of a text declaring r1",
            forged(&|e| e["revision"] = 99.into()),
        ),
    ];
    for (why, entry) in &cases {
        let (path, bytes) = forge(entry, None);
        add_file(hb.path(), why, &path, &bytes);
    }
    let (bo, doc) = bo_row(&hb, "stepping-away", T0 + 2 * DAY);
    assert_eq!(bo, "never", "{doc}");
    assert_eq!(
        state_of(&hb, "stepping-away", "ana", T0 + 2 * DAY),
        "current"
    );
    let rejected = doc["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 4, "{doc}");
    assert!(rejected.iter().all(|r| r["person"] == "bo"));
    let reasons = rejected_reasons(&doc);
    assert!(
        reasons.iter().any(|r| r.contains("not in this repository")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("says revision 99")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .filter(|r| r.contains("that is not policy stepping-away's text"))
            .count()
            == 2,
        "{reasons:?}"
    );
    let run = at(
        &hb,
        &[
            "acks",
            "--require-complete",
            "--person",
            "bo",
            "--policy",
            "stepping-away",
        ],
        T0 + 2 * DAY,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("4 ledger entries do not count"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_inflated_revision_exempts_nobody_from_the_next_text() {
    let (hb, _) = inflated_entry();
    // A material change: bo's honest r1 is stale, and the inflated entry counts for nothing.
    hb.write(
        NORM_PATH,
        NORM.replace("revision: 1", "revision: 2")
            .replace("Tell the channel.", "Tell the channel first."),
    );
    commit(hb.path(), "r2", T0 + 2 * DAY);
    let (bo, doc) = bo_row(&hb, "stepping-away", T0 + 3 * DAY);
    assert_eq!(bo, "stale", "{doc}");
    let run = at(
        &hb,
        &["acks", "--require-complete", "--policy", "stepping-away"],
        T0 + 3 * DAY,
    );
    assert_eq!(run.code, 1, "{run:?}");
}

#[test]
fn a_policy_retired_and_added_again_asks_again() {
    let hb = handbook(ROSTER, "ana@example.com");
    assert_eq!(
        at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + DAY).code,
        0
    );
    assert_eq!(state_of(&hb, "stepping-away", "bo", T0 + DAY), "current");
    std::fs::remove_file(hb.path().join(NORM_PATH)).unwrap();
    commit(hb.path(), "Retire stepping-away", T0 + 2 * DAY);
    hb.write(
        NORM_PATH,
        NORM.replace("Tell the channel.", "A different rule altogether."),
    );
    commit(
        hb.path(),
        "A new stepping-away, revision 1 again",
        T0 + 3 * DAY,
    );
    assert_eq!(state_of(&hb, "stepping-away", "bo", T0 + 4 * DAY), "stale");
    // Acknowledging the new text makes bo current again.
    let run = at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + 4 * DAY);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("bo acknowledged stepping-away r1"),
        "{run:?}"
    );
    let run = at(
        &hb,
        &["acks", "--person", "bo", "--format", "json"],
        T0 + 4 * DAY,
    );
    assert_eq!(
        state_of(&hb, "stepping-away", "bo", T0 + 4 * DAY),
        "current",
        "{}",
        run.stdout
    );
}

#[test]
fn a_clone_that_does_not_fetch_the_ledger_says_so() {
    let root = tempfile::tempdir().unwrap();
    let bare = crate::acks_sync::remote(root.path());
    let url = bare.to_str().unwrap();
    let a = crate::acks_sync::clone(root.path(), url, "a", "p00@example.com");
    assert_eq!(crate::acks_sync::run(&a, &["ack", "stepping-away"]).code, 0);
    assert_eq!(crate::acks_sync::run(&a, &["acks", "sync"]).code, 0);
    // A CI-style checkout: only main.
    let ci = root.path().join("ci");
    crate::acks_sync::git(
        root.path(),
        &[
            "clone",
            "--quiet",
            "--single-branch",
            "--branch",
            "main",
            url,
            ci.to_str().unwrap(),
        ],
    );
    let run = crate::acks_sync::run(&ci, &["acks", "verify"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("does not fetch the ledger branch"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("remote.origin.fetch"), "{}", run.stderr);
    let run = crate::acks_sync::run(&ci, &["acks", "--require-complete"]);
    assert_eq!(run.code, 2, "{run:?}");
    let run = crate::acks_sync::run(&ci, &["acks"]);
    assert!(
        run.stderr
            .contains("warning: this clone does not fetch the ledger"),
        "{}",
        run.stderr
    );
    // Positive control: following the hint makes the clone see the ledger.
    crate::acks_sync::git(
        &ci,
        &[
            "config",
            "--add",
            "remote.origin.fetch",
            "+refs/heads/normsctl/acks:refs/remotes/origin/normsctl/acks",
        ],
    );
    crate::acks_sync::git(&ci, &["fetch", "--quiet", "origin"]);
    let run = crate::acks_sync::run(&ci, &["acks", "verify"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("ledger ok: 1 entries"), "{run:?}");
}

fn evidence_items(
    hb: &crate::harness::Handbook,
    person: &str,
    epoch: i64,
) -> Vec<serde_json::Value> {
    let run = at(
        hb,
        &[
            "acks",
            "evidence",
            "--person",
            person,
            "--policy",
            "stepping-away",
            "--format",
            "json",
        ],
        epoch,
    );
    run.json()["acknowledgements"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("{run:?}"))
}

#[test]
fn witnesses_bound_when_an_entry_was_recorded() {
    let hb = handbook(ROSTER, "ana@example.com");
    assert_eq!(at(&hb, &["ack", "stepping-away"], T0 + DAY).code, 0);
    let items = evidence_items(&hb, "ana", T0 + DAY);
    assert_eq!(
        items[0]["witnessed"],
        serde_json::Value::Null,
        "not witnessed yet"
    );
    // The scheduled job witnesses the ledger a day later.
    let run = at(&hb, &["acks", "witness"], T0 + 2 * DAY);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("as normsctl/witness/20260107T090000Z"),
        "{run:?}"
    );
    let items = evidence_items(&hb, "ana", T0 + 2 * DAY);
    assert_eq!(items[0]["witnessed"]["time"], "2026-01-07T09:00:00Z");
    assert_eq!(items[0]["time_warnings"], serde_json::json!([]));

    // A future-dated entry (claims a month ahead) and a backdated one (claims a time before
    // the text it binds was published), then a witness.
    let (_, good) = template(hb.path());
    for (who, time) in [
        ("bo", "2026-02-05T09:00:00+00:00"),
        ("p00", "2025-12-01T09:00:00+00:00"),
    ] {
        let mut e = good.clone();
        e["person"] = who.into();
        e["time"] = time.into();
        let (path, bytes) = forge(&e, None);
        add_file(hb.path(), "dated", &path, &bytes);
    }
    assert_eq!(at(&hb, &["acks", "witness"], T0 + 3 * DAY).code, 0);
    let bo = evidence_items(&hb, "bo", T0 + 3 * DAY);
    assert_eq!(bo[0]["witnessed"]["time"], "2026-01-08T09:00:00Z");
    assert!(
        bo[0]["time_warnings"][0]
            .as_str()
            .unwrap()
            .contains("later than the witness"),
        "{bo:?}"
    );
    let p00 = evidence_items(&hb, "p00", T0 + 3 * DAY);
    assert!(
        p00[0]["time_warnings"][0]
            .as_str()
            .unwrap()
            .contains("backdated"),
        "{p00:?}"
    );
    // A witness never moves.
    let run = at(&hb, &["acks", "witness"], T0 + 3 * DAY);
    assert_eq!(run.code, 2, "{run:?}");
}

#[test]
fn a_witness_is_pushed_to_the_remote() {
    let root = tempfile::tempdir().unwrap();
    let bare = crate::acks_sync::remote(root.path());
    let a = crate::acks_sync::clone(root.path(), bare.to_str().unwrap(), "a", "p00@example.com");
    assert_eq!(crate::acks_sync::run(&a, &["ack", "stepping-away"]).code, 0);
    let run = crate::acks_sync::run(&a, &["acks", "witness", "--push"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("pushed to origin"), "{run:?}");
    let remote = Repository::open_bare(&bare).unwrap();
    let tags: Vec<String> = remote
        .references_glob("refs/tags/normsctl/witness/*")
        .unwrap()
        .map(|r| r.unwrap().name().unwrap().to_owned())
        .collect();
    assert_eq!(tags.len(), 1, "{tags:?}");
}

#[test]
fn a_wrong_as_is_revoked_in_the_open() {
    let keys = tempfile::tempdir().unwrap();
    let (_, ana_pub) = keygen(keys.path(), "ana");
    let hb = handbook(&with_key(&ana_pub), "ana@example.com");
    // ana (the lead) records bo's acknowledgement by mistake.
    assert_eq!(
        at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + DAY).code,
        0
    );
    assert_eq!(state_of(&hb, "stepping-away", "bo", T0 + DAY), "current");
    let (path, _) = template(hb.path());
    let id = path
        .rsplit('/')
        .next()
        .unwrap()
        .split('.')
        .nth(2)
        .unwrap()
        .to_owned();

    // Refusals write nothing: an unknown id, an empty reason.
    let before = crate::acks::entries(hb.path()).len();
    let run = at(
        &hb,
        &["acks", "revoke", "0000000", "--reason", "x"],
        T0 + 2 * DAY,
    );
    assert_eq!(run.code, 2, "{run:?}");
    let run = at(
        &hb,
        &["acks", "revoke", &id[..8], "--reason", " "],
        T0 + 2 * DAY,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(crate::acks::entries(hb.path()).len(), before);

    let run = at(
        &hb,
        &[
            "acks",
            "revoke",
            &id[..8],
            "--reason",
            "recorded for the wrong person",
        ],
        T0 + 2 * DAY,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains(&format!("(entry {id})")), "{run:?}");
    // The original stays; the revocation is appended beside it.
    let files = crate::acks::entries(hb.path());
    assert_eq!(files.len(), before + 1);
    assert!(files.iter().any(|f| f.contains(&id)));

    // Every report shows it: bo is back to never, the entry listed with the reason.
    let (bo, doc) = bo_row(&hb, "stepping-away", T0 + 2 * DAY);
    assert_eq!(bo, "never", "{doc}");
    let rejected = doc["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{doc}");
    assert!(
        rejected[0]["reason"]
            .as_str()
            .unwrap()
            .contains("revoked by entry")
            && rejected[0]["reason"]
                .as_str()
                .unwrap()
                .contains("recorded for the wrong person"),
        "{doc}"
    );
    let items = evidence_items(&hb, "bo", T0 + 2 * DAY);
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0]["revoked_by"]["reason"],
        "recorded for the wrong person"
    );
    assert_eq!(items[1]["revokes"], id.as_str());
    // The ledger still verifies: a revocation is an entry like any other.
    let run = at(&hb, &["acks", "verify"], T0 + 2 * DAY);
    assert_eq!(run.code, 0, "{run:?}");
    // A revocation cannot itself be revoked.
    let (rev_path, _) = (files.iter().find(|f| !f.contains(&id)).unwrap().clone(), ());
    let rev_id = rev_path
        .rsplit('/')
        .next()
        .unwrap()
        .split('.')
        .nth(2)
        .unwrap()
        .to_owned();
    let run = at(
        &hb,
        &["acks", "revoke", &rev_id, "--reason", "no"],
        T0 + 3 * DAY,
    );
    assert_eq!(run.code, 2, "{run:?}");

    // Where the person has a signing key, a revocation needs it too.
    assert_eq!(
        at(
            &hb,
            &[
                "ack",
                "stepping-away",
                "--key",
                keys.path().join("ana").to_str().unwrap()
            ],
            T0 + 3 * DAY
        )
        .code,
        0
    );
    let ana_entry = crate::acks::entries(hb.path())
        .into_iter()
        .find(|f| f.contains("/ana/"))
        .unwrap();
    let ana_id = ana_entry
        .rsplit('/')
        .next()
        .unwrap()
        .split('.')
        .nth(2)
        .unwrap()
        .to_owned();
    let run = at(
        &hb,
        &["acks", "revoke", &ana_id, "--reason", "test"],
        T0 + 3 * DAY,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("signing key"), "{}", run.stderr);
}

#[test]
fn a_reviewed_exception_lets_verify_pass_and_names_the_commit() {
    let hb = crate::acks_tamper::acked();
    let (path, mut entry) = template(hb.path());
    entry["time"] = "2026-01-01T09:00:00+00:00".into();
    let (_, bytes) = forge(&entry, None);
    let bad = add_file(hb.path(), "Backdate", &path, &bytes);
    let run = at(&hb, &["acks", "verify"], T0 + 2 * DAY);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!("commit: {bad}")),
        "the YAML to add: {}",
        run.stderr
    );

    // An exception only in the work tree (not on the handbook line) excepts nothing.
    let settings = hb.read("normsctl.yaml");
    let with = format!(
        "{settings}acks:\n  exceptions:\n    - {{ commit: {bad}, reason: \"pushed by mistake on 2026-01-07; original restored\" }}\n"
    );
    hb.write("normsctl.yaml", &with);
    assert_eq!(at(&hb, &["acks", "verify"], T0 + 2 * DAY).code, 1);
    // An exception of another commit excepts nothing either.
    hb.write(
        "normsctl.yaml",
        format!(
            "{settings}acks:\n  exceptions:\n    - {{ commit: {}, reason: other }}\n",
            "1".repeat(40)
        ),
    );
    commit(hb.path(), "Except another commit", T0 + 2 * DAY);
    assert_eq!(at(&hb, &["acks", "verify"], T0 + 2 * DAY).code, 1);

    // Merged on the handbook line: verify passes, and always names the commit and why.
    hb.write("normsctl.yaml", &with);
    commit(
        hb.path(),
        "Accept the ledger commit after review",
        T0 + 3 * DAY,
    );
    let run = at(&hb, &["acks", "verify"], T0 + 3 * DAY);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("excepted after review: {bad}"))
            && run.stdout.contains("pushed by mistake on 2026-01-07"),
        "{}",
        run.stdout
    );
    let doc = at(&hb, &["acks", "verify", "--format", "json"], T0 + 3 * DAY).json();
    assert_eq!(doc["excepted"][0]["commit"], bad.to_string());
    // The edited version still does not count (an exception never makes an entry valid),
    // and the edit is still shown as tampering.
    let report = at(&hb, &["acks", "--format", "json"], T0 + 3 * DAY).json();
    let reasons = rejected_reasons(&report);
    assert!(
        reasons.iter().any(|r| r.contains("the entry was edited")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains(&format!("changed in ledger commit {bad}"))),
        "{reasons:?}"
    );
}

#[test]
fn tampering_exposes_and_never_erases() {
    // An edit of bo's entry, pushed as an ordinary commit: bo still counts as first
    // recorded, and the edit is listed as tampering.
    let hb = crate::acks_tamper::acked();
    assert_eq!(state_of(&hb, "qa-score", "bo", T0 + DAY), "current");
    let (path, _) = template(hb.path());
    let bo_path = crate::acks::entries(hb.path())
        .into_iter()
        .find(|p| p.contains("/bo/"))
        .unwrap();
    let _ = path;
    let edited = add_file(hb.path(), "Edit bo's entry", &bo_path, b"{\"format\": 1}\n");
    let (bo, doc) = bo_row(&hb, "qa-score", T0 + 2 * DAY);
    assert_eq!(bo, "current", "{doc}");
    let reasons = rejected_reasons(&doc);
    assert!(
        reasons
            .iter()
            .any(|r| r.contains(&format!("changed in ledger commit {edited}"))),
        "{reasons:?}"
    );
    assert_eq!(at(&hb, &["acks", "verify"], T0 + 2 * DAY).code, 1);

    // A removal: the same.
    let hb = crate::acks_tamper::acked();
    let bo_path = crate::acks::entries(hb.path())
        .into_iter()
        .find(|p| p.contains("/bo/"))
        .unwrap();
    let removed = crate::acks_tamper::tamper(hb.path(), "Remove bo's entry", |_, u| {
        u.remove(&bo_path);
    });
    let (bo, doc) = bo_row(&hb, "qa-score", T0 + 2 * DAY);
    assert_eq!(bo, "current", "{doc}");
    assert!(
        doc["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("removed in ledger commit {removed}")),
        "{doc}"
    );
    // Positive control: ana's untouched entry is current, and nothing else is listed.
    assert_eq!(doc["rejected"].as_array().unwrap().len(), 1, "{doc}");
}

/// The reasons of the entries an `acks --format json` report lists as not counting.
fn rejected_reasons(doc: &serde_json::Value) -> Vec<&str> {
    doc["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect()
}
