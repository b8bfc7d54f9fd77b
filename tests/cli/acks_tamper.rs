//! `normsctl acks verify` against a tampered ledger, and SSH-signed entries.

use crate::acks::{DAY, LEDGER, T0, at, commit, entries, handbook, tip};
use crate::harness::{Handbook, ROSTER};
use git2::build::TreeUpdateBuilder;
use git2::{FileMode, ObjectType, Oid, Repository, Signature, Time};
use serde_json::Value;
use std::path::Path;

/// Adds a commit on the ledger's tip that applies `edit` to its tree.
pub(crate) fn tamper(
    dir: &Path,
    message: &str,
    edit: impl FnOnce(&Repository, &mut TreeUpdateBuilder),
) -> Oid {
    let repo = Repository::open(dir).unwrap();
    let parent = repo.find_commit(tip(dir).unwrap()).unwrap();
    let mut update = TreeUpdateBuilder::new();
    edit(&repo, &mut update);
    let tree = update
        .create_updated(&repo, &parent.tree().unwrap())
        .unwrap();
    let tree = repo.find_tree(tree).unwrap();
    let sig = Signature::new(
        "Mallory",
        "mallory@example.com",
        &Time::new(T0 + 9 * DAY, 0),
    )
    .unwrap();
    repo.commit(Some(LEDGER), &sig, &sig, message, &tree, &[&parent])
        .unwrap()
}

/// The JSON of the first entry in the ledger.
pub(crate) fn template(dir: &Path) -> (String, Value) {
    let repo = Repository::open(dir).unwrap();
    let path = entries(dir).remove(0);
    let tree = repo.find_commit(tip(dir).unwrap()).unwrap().tree().unwrap();
    let blob = repo
        .find_blob(tree.get_path(Path::new(&path)).unwrap().id())
        .unwrap();
    let text = String::from_utf8_lossy(blob.content()).into_owned();
    let json = text.split("-----BEGIN SSH SIGNATURE-----").next().unwrap();
    (path, serde_json::from_str(json).unwrap())
}

/// An entry file for `entry` (plus a signature): its ledger path and bytes.
pub(crate) fn forge(entry: &Value, signature: Option<&str>) -> (String, Vec<u8>) {
    let mut payload = serde_json::to_vec_pretty(entry).unwrap();
    payload.push(b'\n');
    let id = Oid::hash_object(ObjectType::Blob, &payload).unwrap();
    let person = entry["person"].as_str().unwrap();
    let bucket = Oid::hash_object(ObjectType::Blob, person.as_bytes())
        .unwrap()
        .to_string();
    let path = format!(
        "{}/{person}/{}.r{}.{id}.ack",
        &bucket[..2],
        entry["policy"].as_str().unwrap(),
        entry["revision"]
    );
    let mut bytes = payload;
    if let Some(s) = signature {
        bytes.extend_from_slice(s.as_bytes());
    }
    (path, bytes)
}

pub(crate) fn add_file(dir: &Path, message: &str, path: &str, bytes: &[u8]) -> Oid {
    tamper(dir, message, |repo, u| {
        let blob = repo.blob(bytes).unwrap();
        u.upsert(path, blob, FileMode::Blob);
    })
}

fn verify_fails_at(hb: &Handbook, bad: Oid, words: &str) {
    let run = at(hb, &["acks", "verify"], T0 + 10 * DAY);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!("first bad commit {bad}")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(words),
        "expected `{words}` in {}",
        run.stderr
    );
}

pub(crate) fn acked() -> Handbook {
    let hb = handbook(ROSTER, "ana@example.com");
    assert_eq!(at(&hb, &["ack", "stepping-away"], T0 + DAY).code, 0);
    assert_eq!(
        at(&hb, &["ack", "qa-score", "--as", "bo"], T0 + DAY).code,
        0
    );
    assert_eq!(at(&hb, &["acks", "verify"], T0 + DAY).code, 0);
    hb
}

#[test]
fn an_edited_entry_is_detected() {
    let hb = acked();
    let (path, mut entry) = template(hb.path());
    entry["time"] = "2026-01-01T09:00:00+00:00".into();
    let (_, bytes) = forge(&entry, None);
    let bad = add_file(hb.path(), "Backdate", &path, &bytes);
    verify_fails_at(&hb, bad, "changes an entry");
}

#[test]
fn a_removed_entry_is_detected() {
    let hb = acked();
    let path = entries(hb.path()).remove(0);
    let bad = tamper(hb.path(), "Forget", |_, u| {
        u.remove(&path);
    });
    verify_fails_at(&hb, bad, "removes an entry");
}

#[test]
fn rewritten_history_is_detected_against_the_checkpoint() {
    let hb = acked();
    // Rebuild the same ledger as one commit: same entries, different history.
    let repo = Repository::open(hb.path()).unwrap();
    let old = repo.find_commit(tip(hb.path()).unwrap()).unwrap();
    let sig = Signature::new("Mallory", "m@example.com", &Time::new(T0, 0)).unwrap();
    let squashed = repo
        .commit(None, &sig, &sig, "squash", &old.tree().unwrap(), &[])
        .unwrap();
    repo.reference(LEDGER, squashed, true, "rewrite").unwrap();
    verify_fails_at(&hb, squashed, "was rewritten");
    // A clone without the checkpoint still sees a well-formed ledger; the witness is the
    // clone that verified before.
}

#[test]
fn an_entry_bound_to_text_that_never_existed_is_detected() {
    let hb = acked();
    let (_, mut entry) = template(hb.path());
    entry["blob"] = "1111111111111111111111111111111111111111".into();
    let (path, bytes) = forge(&entry, None);
    let bad = add_file(hb.path(), "Invent", &path, &bytes);
    verify_fails_at(&hb, bad, "bound to blob 1111111111 that is not policy");
}

#[test]
fn a_malformed_entry_is_detected() {
    let hb = acked();
    let bytes = b"not json\n";
    let id = Oid::hash_object(ObjectType::Blob, bytes).unwrap();
    let (path, _) = forge(&template(hb.path()).1, None);
    let path = path.rsplit_once('/').unwrap().0.to_owned() + &format!("/stepping-away.r1.{id}.ack");
    let bad = add_file(hb.path(), "Garbage", &path, bytes);
    verify_fails_at(&hb, bad, "malformed entry");
}

pub(crate) fn keygen(dir: &Path, name: &str) -> (std::path::PathBuf, String) {
    let key = dir.join(name);
    let ok = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(ok.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    (key, public.trim().to_owned())
}

pub(crate) fn sign(key: &Path, payload: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("entry");
    std::fs::write(&data, payload).unwrap();
    let ok = std::process::Command::new("ssh-keygen")
        .args(["-Y", "sign", "-n", "normsctl-ack", "-f"])
        .arg(key)
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    std::fs::read_to_string(dir.path().join("entry.sig")).unwrap()
}

pub(crate) fn with_key(public: &str) -> String {
    ROSTER.replace(
        "roles: [lead] }",
        &format!("roles: [lead], signing_key: \"{public}\" }}"),
    )
}

#[test]
fn signed_entries_and_forgeries() {
    let keys = tempfile::tempdir().unwrap();
    let (ana_key, ana_pub) = keygen(keys.path(), "ana");
    let (other_key, _) = keygen(keys.path(), "other");
    let hb = handbook(ROSTER, "ana@example.com");
    // Before a key is on file, Ana's entries are unsigned and valid.
    assert_eq!(at(&hb, &["ack", "stepping-away"], T0 + DAY).code, 0);
    // The key is added later, anchored after the ledger's tip (what `acks key` prints):
    // the older unsigned entry, which the ledger held then, stays valid.
    let anchor = tip(hb.path()).unwrap();
    hb.write(
        "people.yaml",
        ROSTER.replace(
            "roles: [lead] }",
            &format!("roles: [lead], signing_key: {{ key: \"{ana_pub}\", after: {anchor} }} }}"),
        ),
    );
    commit(hb.path(), "Ana's key", T0 + 2 * DAY);
    hb.write(
        "policies/norms/stepping-away.yaml",
        crate::harness::NORM.replace("revision: 1", "revision: 2"),
    );
    commit(hb.path(), "r2", T0 + 3 * DAY);
    assert_eq!(at(&hb, &["acks", "verify"], T0 + 3 * DAY).code, 0);

    // Now her entries must be signed with that key.
    let run = at(&hb, &["ack", "stepping-away"], T0 + 4 * DAY);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("signing key"), "{}", run.stderr);
    let wrong = other_key.display().to_string();
    let run = at(
        &hb,
        &["ack", "stepping-away", "--key", &wrong],
        T0 + 4 * DAY,
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("would not verify"), "{}", run.stderr);
    assert_eq!(entries(hb.path()).len(), 1);
    let right = ana_key.display().to_string();
    let run = at(
        &hb,
        &["ack", "stepping-away", "--key", &right],
        T0 + 4 * DAY,
    );
    assert_eq!(run.code, 0, "{run:?}");
    // git's user.signingKey works too.
    let repo = Repository::open(hb.path()).unwrap();
    repo.config()
        .unwrap()
        .set_str("user.signingKey", &right)
        .unwrap();
    hb.write(
        "policies/norms/stepping-away.yaml",
        crate::harness::NORM.replace("revision: 1", "revision: 3"),
    );
    commit(hb.path(), "r3", T0 + 5 * DAY);
    assert_eq!(at(&hb, &["ack", "stepping-away"], T0 + 5 * DAY).code, 0);
    let run = at(&hb, &["acks", "verify"], T0 + 5 * DAY);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("3 entries in 3 commits, 2 signed"),
        "{}",
        run.stdout
    );

    // A forgery signed with another key.
    let (_, mut entry) = template(hb.path());
    let head = repo.head().unwrap().target().unwrap().to_string();
    let blob = repo
        .head()
        .unwrap()
        .peel_to_tree()
        .unwrap()
        .get_path(Path::new("policies/norms/stepping-away.yaml"))
        .unwrap()
        .id()
        .to_string();
    entry["revision"] = 3.into();
    entry["commit"] = head.clone().into();
    entry["blob"] = blob.into();
    entry["time"] = "2026-01-12T09:00:00+00:00".into();
    entry["person"] = "ana".into();
    let mut payload = serde_json::to_vec_pretty(&entry).unwrap();
    payload.push(b'\n');
    let forged = sign(&other_key, &payload);
    let (path, bytes) = forge(&entry, Some(&forged));
    let bad = add_file(hb.path(), "Forge", &path, &bytes);
    verify_fails_at(&hb, bad, "bad signature for ana: signed with another key");

    // And one unsigned where the key is on file.
    let hb2 = handbook(&with_key(&ana_pub), "bo@example.com");
    assert_eq!(at(&hb2, &["ack", "stepping-away"], T0 + DAY).code, 0);
    let (_, mut entry) = template(hb2.path());
    entry["person"] = "ana".into();
    let (path, bytes) = forge(&entry, None);
    let bad = add_file(hb2.path(), "Unsigned", &path, &bytes);
    verify_fails_at(&hb2, bad, "unsigned, but ana has a signing key");
}

/// The whole-handbook report keeps what the ledger's trees and files say between runs
/// (in the git directory); a kept answer must be the answer: a malformed entry stays
/// ignored with a warning, and a new entry shows at once.
#[test]
fn the_kept_ledger_facts_follow_the_ledger() {
    let hb = acked();
    let bytes = b"not json\n";
    let id = Oid::hash_object(ObjectType::Blob, bytes).unwrap();
    let (path, _) = forge(&template(hb.path()).1, None);
    let path = path.rsplit_once('/').unwrap().0.to_owned() + &format!("/qa-score.r1.{id}.ack");
    add_file(hb.path(), "Garbage", &path, bytes);
    let first = at(&hb, &["acks", "--format", "json"], T0 + 2 * DAY);
    let again = at(&hb, &["acks", "--format", "json"], T0 + 2 * DAY);
    assert!(
        hb.path()
            .join(".git/normsctl")
            .read_dir()
            .unwrap()
            .any(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with("ledger-")
            })
    );
    for run in [&first, &again] {
        assert!(
            run.stderr.contains("1 ledger entry does not count")
                && run.stderr.contains("malformed entry"),
            "{}",
            run.stderr
        );
        assert_eq!(run.json()["rejected"].as_array().unwrap().len(), 1);
    }
    assert_eq!(first.stdout, again.stdout);
    let bo = |run: &crate::harness::Run| {
        run.json()["policies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["id"] == "stepping-away")
            .flat_map(|p| p["people"].as_array().unwrap().iter())
            .find(|r| r["person"] == "bo")
            .map(|r| r["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(bo(&again).as_deref(), Some("never"));
    let ack = at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + 2 * DAY);
    assert_eq!(ack.code, 0, "{ack:?}");
    let after = at(&hb, &["acks", "--format", "json"], T0 + 2 * DAY);
    assert_eq!(bo(&after).as_deref(), Some("current"), "{}", after.stdout);
}
