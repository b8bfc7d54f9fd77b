//! Key changes anchored in the ledger (issue 11): which key an entry must be signed with is
//! decided by whether the ledger already held it when the change took effect, never by a
//! commit or a time its writer picks. Built with the plumbing an attacker with push access
//! to the ledger would use.

use crate::acks::{DAY, LEDGER, T0, at, commit, handbook, tip};
use crate::acks_tamper::{add_file, forge, keygen, sign, template};
use crate::harness::{Handbook, ROSTER};
use git2::{Oid, Repository, Signature, Time};
use std::path::Path;

/// The roster with ana's `signing_key` set to `value` (a quoted key, or a mapping).
fn ana_key(value: &str) -> String {
    ROSTER.replace(
        "roles: [lead] }",
        &format!("roles: [lead], signing_key: {value} }}"),
    )
}

/// What `acks key` prints for ana, as the value to commit.
fn anchored(hb: &Handbook, args: &[&str], epoch: i64) -> String {
    let run = at(hb, args, epoch);
    assert_eq!(run.code, 0, "{run:?}");
    run.stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("signing_key: "))
        .unwrap_or_else(|| panic!("no signing_key line in {}", run.stdout))
        .to_owned()
}

/// Grows a branch from the ledger commit `base` with one entry file, then merges it into
/// the ledger's tip (a merge a protected branch accepts as a fast-forward of the tip).
fn merge_forked(dir: &Path, base: Oid, path: &str, bytes: &[u8]) -> Oid {
    let repo = Repository::open(dir).unwrap();
    let sig = Signature::new("Mallory", "mallory@example.com", &Time::new(T0 + DAY, 0)).unwrap();
    let base = repo.find_commit(base).unwrap();
    let mut update = git2::build::TreeUpdateBuilder::new();
    update.upsert(path, repo.blob(bytes).unwrap(), git2::FileMode::Blob);
    let forked_tree = update.create_updated(&repo, &base.tree().unwrap()).unwrap();
    let forked_tree = repo.find_tree(forked_tree).unwrap();
    let fork = repo
        .commit(None, &sig, &sig, "offline entry", &forked_tree, &[&base])
        .unwrap();
    let fork = repo.find_commit(fork).unwrap();
    let head = repo.find_commit(tip(dir).unwrap()).unwrap();
    let mut update = git2::build::TreeUpdateBuilder::new();
    update.upsert(path, repo.blob(bytes).unwrap(), git2::FileMode::Blob);
    let merged = update.create_updated(&repo, &head.tree().unwrap()).unwrap();
    let merged = repo.find_tree(merged).unwrap();
    repo.commit(Some(LEDGER), &sig, &sig, "Merge", &merged, &[&head, &fork])
        .unwrap()
}

/// Makes `entry` one of qa-score, bound to its text at the handbook commit `commit`.
fn bind_to_qa_score(repo: &Repository, entry: &mut serde_json::Value, commit: Oid) {
    let path = "policies/metrics/qa-score.yaml";
    let blob = repo
        .find_commit(commit)
        .unwrap()
        .tree()
        .unwrap()
        .get_path(Path::new(path))
        .unwrap()
        .id();
    entry["policy"] = "qa-score".into();
    entry["path"] = path.into();
    entry["commit"] = commit.to_string().into();
    entry["blob"] = blob.to_string().into();
}

/// The problems `acks verify --format json` reports: (path, message).
fn problems(hb: &Handbook, epoch: i64) -> Vec<(String, String)> {
    let run = at(hb, &["acks", "verify", "--format", "json"], epoch);
    run.json()["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["path"].as_str().unwrap_or_default().to_owned(),
                p["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_key_change_anchored_in_the_ledger_closes_the_fork_and_merge_bypass() {
    let keys = tempfile::tempdir().unwrap();
    let (ana_private, ana_pub) = keygen(keys.path(), "ana");
    let hb = handbook(ROSTER, "ana@example.com");
    // Before ana has a key, her entry is unsigned and valid.
    assert_eq!(at(&hb, &["ack", "stepping-away"], T0 + DAY).code, 0);
    let before_key = tip(hb.path()).unwrap();
    let pub_file = keys.path().join("ana.pub").display().to_string();
    let value = anchored(
        &hb,
        &["acks", "key", "ana", "--public", &pub_file],
        T0 + DAY,
    );
    assert_eq!(
        value,
        format!("{{ key: \"{ana_pub}\", after: {before_key} }}"),
        "the anchor is the ledger's tip"
    );
    hb.write("people.yaml", ana_key(&value));
    let key_commit = commit(hb.path(), "Ana's key", T0 + 2 * DAY);
    // The ledger held her unsigned entry when the key took effect: it stays valid.
    assert_eq!(problems(&hb, T0 + 2 * DAY), vec![]);
    // bo records on after the key change, moving the ledger on.
    assert_eq!(
        at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + 3 * DAY).code,
        0
    );

    // Mallory writes an unsigned entry for ana on a branch grown from the ledger commit
    // before the key change, bound to the handbook commit before the key was added
    // (backdated in every field she controls), and merges it in.
    let (_, mut entry) = template(hb.path());
    entry["person"] = "ana".into();
    let repo = Repository::open(hb.path()).unwrap();
    let start = repo.find_commit(key_commit).unwrap().parent_id(0).unwrap();
    bind_to_qa_score(&repo, &mut entry, start);
    entry["time"] = "2026-01-05T10:00:00+01:00".into();
    let (path, bytes) = forge(&entry, None);
    let merge = merge_forked(hb.path(), before_key, &path, &bytes);
    let found = problems(&hb, T0 + 4 * DAY);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, path);
    assert!(
        found[0]
            .1
            .contains("unsigned, but ana has a signing key that applies"),
        "{found:?}"
    );
    // The first bad commit is the forked one that added it.
    let fork = repo.find_commit(merge).unwrap().parent_id(1).unwrap();
    let run = at(&hb, &["acks", "verify"], T0 + 4 * DAY);
    assert!(
        run.stderr.contains(&format!("first bad commit {fork}")),
        "{run:?}"
    );
    // The reports never count it, and say why.
    let run = at(&hb, &["acks", "--format", "json"], T0 + 4 * DAY);
    let rejected = run.json()["rejected"].clone();
    assert!(
        rejected
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["path"] == path.as_str()
                && r["reason"].as_str().unwrap().contains("signing key")),
        "{rejected}"
    );
    // No row anywhere cites it as an acknowledgement.
    let id = path.rsplit('.').nth(1).unwrap();
    assert!(
        run.stdout.contains("\"entry\": \""),
        "rows cite their entries"
    );
    assert!(!run.stdout.contains(&format!("\"entry\": \"{id}\"")));
    assert!(run.stdout.contains(id), "it is listed, among the rejected");

    // Signed with her key, the same offline entry counts.
    let hb2 = handbook(ROSTER, "ana@example.com");
    assert_eq!(at(&hb2, &["ack", "stepping-away"], T0 + DAY).code, 0);
    let first = tip(hb2.path()).unwrap();
    let value = anchored(
        &hb2,
        &["acks", "key", "ana", "--public", &pub_file],
        T0 + DAY,
    );
    hb2.write("people.yaml", ana_key(&value));
    commit(hb2.path(), "Ana's key", T0 + 2 * DAY);
    let repo2 = Repository::open(hb2.path()).unwrap();
    let start2 = repo2.revparse_single("main~1").unwrap().id();
    let mut entry2 = entry.clone();
    entry2["commit"] = start2.to_string().into();
    let mut payload2 = serde_json::to_vec_pretty(&entry2).unwrap();
    payload2.push(b'\n');
    let (path2, bytes2) = forge(&entry2, Some(&sign(&ana_private, &payload2)));
    merge_forked(hb2.path(), first, &path2, &bytes2);
    assert_eq!(problems(&hb2, T0 + 4 * DAY), vec![]);
}

#[test]
fn a_plain_key_added_later_applies_to_every_entry_and_the_gate_says_so() {
    let keys = tempfile::tempdir().unwrap();
    let (_, ana_pub) = keygen(keys.path(), "ana");
    let hb = handbook(ROSTER, "ana@example.com");
    assert_eq!(at(&hb, &["ack", "stepping-away"], T0 + DAY).code, 0);
    let base = Repository::open(hb.path())
        .unwrap()
        .head()
        .unwrap()
        .target()
        .unwrap()
        .to_string();
    hb.write("people.yaml", ana_key(&format!("\"{ana_pub}\"")));
    // The gate asks for an anchor.
    let run = at(&hb, &["validate", "--base", &base], T0 + 2 * DAY);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("people.yaml:")
            && run.stdout.contains("error[key-change-unanchored]")
            && run
                .stdout
                .contains("signing key of `ana` changes without `after:`"),
        "{}",
        run.stdout
    );
    // Merged anyway, the key applies to every entry: her older unsigned one no longer
    // counts (strict, never the other way round).
    commit(hb.path(), "Ana's key, unanchored", T0 + 2 * DAY);
    let found = problems(&hb, T0 + 2 * DAY);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].1.contains("unsigned, but ana has a signing key"),
        "{found:?}"
    );

    // Anchors that are not ledger commits, or that go back, are refused.
    let ledger_tip = tip(hb.path()).unwrap().to_string();
    for (after, words) in [
        (
            "1111111111111111111111111111111111111111",
            "is not the full id of a commit",
        ),
        (base.as_str(), "is not a commit of the ledger"),
    ] {
        hb.write(
            "people.yaml",
            ana_key(&format!("{{ key: \"{ana_pub}\", after: {after} }}")),
        );
        let run = at(&hb, &["validate", "--base", "HEAD"], T0 + 3 * DAY);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(
            run.stdout.contains("error[bad-key-anchor]") && run.stdout.contains(words),
            "{words}: {}",
            run.stdout
        );
    }
    hb.write(
        "people.yaml",
        ana_key(&format!("{{ key: \"{ana_pub}\", after: {ledger_tip} }}")),
    );
    let run = at(&hb, &["validate", "--base", "HEAD"], T0 + 3 * DAY);
    assert_eq!(run.code, 0, "{run:?}");
    commit(hb.path(), "Anchor ana's key", T0 + 3 * DAY);
    // bo acknowledges: the ledger moves on, and a removal is anchored at its new tip.
    assert_eq!(
        at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + 3 * DAY).code,
        0
    );
    let value = anchored(&hb, &["acks", "key", "ana", "--remove"], T0 + 4 * DAY);
    assert_eq!(value, format!("{{ after: {} }}", tip(hb.path()).unwrap()));
    hb.write("people.yaml", ana_key(&value));
    let run = at(&hb, &["validate", "--base", "HEAD"], T0 + 4 * DAY);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn a_key_stolen_before_its_rotation_signs_nothing_after_it() {
    let keys = tempfile::tempdir().unwrap();
    let (old_private, old_pub) = keygen(keys.path(), "old");
    let (_, new_pub) = keygen(keys.path(), "new");
    let hb = handbook(&ana_key(&format!("\"{old_pub}\"")), "ana@example.com");
    let old = old_private.display().to_string();
    assert_eq!(
        at(&hb, &["ack", "stepping-away", "--key", &old], T0 + DAY).code,
        0
    );
    let new_file = keys.path().join("new.pub").display().to_string();
    let value = anchored(
        &hb,
        &["acks", "key", "ana", "--public", &new_file],
        T0 + 2 * DAY,
    );
    assert!(value.contains(&new_pub));
    hb.write("people.yaml", ana_key(&value));
    commit(hb.path(), "Rotate ana's key", T0 + 2 * DAY);
    // Her entry signed before the rotation still verifies.
    assert_eq!(problems(&hb, T0 + 2 * DAY), vec![]);
    // A thief with the old key signs a new entry for her, bound to the text before the
    // rotation: judged under the new key.
    let (_, mut entry) = template(hb.path());
    let repo = Repository::open(hb.path()).unwrap();
    let start = repo.revparse_single("main~1").unwrap().id();
    bind_to_qa_score(&repo, &mut entry, start);
    let mut payload = serde_json::to_vec_pretty(&entry).unwrap();
    payload.push(b'\n');
    let (path, bytes) = forge(&entry, Some(&sign(&old_private, &payload)));
    add_file(hb.path(), "stolen", &path, &bytes);
    let found = problems(&hb, T0 + 3 * DAY);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].1.contains("bad signature for ana"), "{found:?}");
}
