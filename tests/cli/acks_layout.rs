//! The ledger's folders: `ack` writes each entry to `xx/person/x/` (`x`: one hex digit of a
//! hash of the policy's id, so an append rewrites small trees however many entries a person
//! has); entries written before those folders, straight in `xx/person/`, stay where they
//! are and still count and verify; and no file at an `x` folder's place can jam an `ack`.

use crate::acks::{DAY, T0, at, entries, handbook};
use crate::acks_tamper::{add_file, forge, template};
use crate::harness::{Handbook, ROSTER};
use git2::{ObjectType, Oid};

fn hash(text: &str) -> String {
    Oid::hash_object(ObjectType::Blob, text.as_bytes())
        .unwrap()
        .to_string()
}

/// `xx/person/x/policy.r`: where `ack` puts `person`'s entries of `policy`.
fn new_prefix(person: &str, policy: &str) -> String {
    format!(
        "{}/{person}/{}/{policy}.r",
        &hash(person)[..2],
        &hash(policy)[..1]
    )
}

/// The status of `person` for `policy` in `acks --person`.
fn status(hb: &Handbook, person: &str, policy: &str) -> String {
    let run = at(
        hb,
        &["acks", "--person", person, "--format", "json"],
        T0 + 2 * DAY,
    );
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    let doc = run.json();
    doc["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["id"] == policy)
        .flat_map(|p| p["people"].as_array().unwrap().iter())
        .find(|r| r["person"] == person)
        .map_or("-".to_owned(), |r| r["status"].as_str().unwrap().to_owned())
}

/// The same, from the whole-handbook report (which keeps the ledger's trees between runs).
fn status_whole(hb: &Handbook, person: &str, policy: &str) -> String {
    let run = at(hb, &["acks", "--format", "json"], T0 + 2 * DAY);
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    let doc = run.json();
    doc["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["id"] == policy)
        .flat_map(|p| p["people"].as_array().unwrap().iter())
        .find(|r| r["person"] == person)
        .map_or("-".to_owned(), |r| r["status"].as_str().unwrap().to_owned())
}

#[test]
fn new_entries_go_to_the_policys_folder_and_old_ones_still_count() {
    let hb = handbook(ROSTER, "ana@example.com");
    assert_eq!(at(&hb, &["ack", "stepping-away"], T0 + DAY).code, 0);
    let paths = entries(hb.path());
    assert_eq!(paths.len(), 1, "{paths:?}");
    assert!(
        paths[0].starts_with(&new_prefix("ana", "stepping-away")),
        "{paths:?}"
    );

    // bo's entry where `ack` wrote before the x folders (made with the plumbing).
    let (_, mut entry) = template(hb.path());
    entry["person"] = "bo".into();
    entry["writer"]["email"] = "bo@example.com".into();
    let (old_path, bytes) = forge(&entry, None);
    assert_eq!(old_path.matches('/').count(), 2, "{old_path}");
    add_file(hb.path(), "an entry in the old layout", &old_path, &bytes);
    assert_eq!(status(&hb, "bo", "stepping-away"), "current");
    assert_eq!(status_whole(&hb, "bo", "stepping-away"), "current");
    let run = at(&hb, &["acks", "verify", "--format", "json"], T0 + 2 * DAY);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["entries"], 2, "{}", run.stdout);
    let run = at(
        &hb,
        &[
            "acks",
            "evidence",
            "--person",
            "bo",
            "--policy",
            "stepping-away",
            "--format",
            "json",
        ],
        T0 + 2 * DAY,
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["status"], "current", "{}", run.stdout);

    // Acknowledging again finds the old entry (a no-op); a new policy goes to the new place
    // beside it, and the old entry stays where it is.
    let run = at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + 2 * DAY);
    assert!(run.stdout.contains("had already acknowledged"), "{run:?}");
    assert_eq!(
        at(&hb, &["ack", "qa-score", "--as", "bo"], T0 + 2 * DAY).code,
        0
    );
    let paths = entries(hb.path());
    assert_eq!(paths.len(), 3, "{paths:?}");
    assert!(paths.contains(&old_path), "{paths:?}");
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with(&new_prefix("bo", "qa-score"))),
        "{paths:?}"
    );
    assert_eq!(status(&hb, "bo", "qa-score"), "current");
    assert_eq!(status_whole(&hb, "bo", "qa-score"), "current");
    assert_eq!(status_whole(&hb, "bo", "stepping-away"), "current");
    let run = at(&hb, &["acks", "verify", "--format", "json"], T0 + 2 * DAY);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.json()["entries"], 3, "{}", run.stdout);
}

#[test]
fn a_file_where_a_policy_folder_goes_cannot_jam_an_acknowledgement() {
    let hb = handbook(ROSTER, "ana@example.com");
    assert_eq!(at(&hb, &["ack", "qa-score"], T0 + DAY).code, 0);
    let own = new_prefix("ana", "stepping-away");
    let folder = own.rsplit_once('/').unwrap().0.to_owned();
    add_file(hb.path(), "junk where a folder goes", &folder, b"junk\n");
    let run = at(&hb, &["ack", "stepping-away"], T0 + DAY);
    assert_eq!(run.code, 0, "{run:?}");
    let paths = entries(hb.path());
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with(&format!("{folder}-1/stepping-away.r"))),
        "{paths:?}"
    );
    assert_eq!(status(&hb, "ana", "stepping-away"), "current");
    assert_eq!(status_whole(&hb, "ana", "stepping-away"), "current");
    let run = at(&hb, &["acks", "verify", "--format", "json"], T0 + DAY);
    assert_eq!(run.code, 1, "the junk file is reported: {run:?}");
    let doc = run.json();
    assert_eq!(doc["problems"].as_array().unwrap().len(), 1, "{doc}");
    assert_eq!(doc["problems"][0]["path"], folder.as_str());
}
