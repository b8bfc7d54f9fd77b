//! Many entries are judged on every core (each thread with its own repository handle):
//! the verdicts, their order and the first bad commit must be those of one judge.

use crate::acks::{DAY, T0, at, big_roster, handbook};
use crate::acks_tamper::{forge, tamper, template};
use git2::FileMode;

#[test]
fn judging_on_every_core_gives_one_judges_verdicts() {
    let hb = handbook(&big_roster(700), "ana@example.com");
    assert_eq!(at(&hb, &["ack", "stepping-away"], T0 + DAY).code, 0);
    let (_, entry) = template(hb.path());
    let mut files = Vec::new();
    for i in 0..700 {
        let mut e = entry.clone();
        e["person"] = format!("p{i:02}").into();
        e["writer"]["email"] = format!("p{i:02}@example.com").into();
        if i == 350 {
            // One forgery among them: a revision the text does not declare.
            e["revision"] = 7.into();
        }
        files.push(forge(&e, None));
    }
    let bad_path = files[350].0.clone();
    let bad = tamper(hb.path(), "700 entries", |repo, u| {
        for (path, bytes) in &files {
            u.upsert(path, repo.blob(bytes).unwrap(), FileMode::Blob);
        }
    });
    let run = at(&hb, &["acks", "verify", "--format", "json"], T0 + 2 * DAY);
    assert_eq!(run.code, 1, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["first_bad_commit"], bad.to_string());
    let problems = doc["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{doc}");
    assert_eq!(problems[0]["path"], bad_path.as_str());
    assert!(
        problems[0]["message"]
            .as_str()
            .unwrap()
            .contains("says revision 7 of stepping-away"),
        "{doc}"
    );
    // The reports: 700 + ana current, the forgery rejected, and the same again from what
    // was kept.
    for _ in 0..2 {
        let run = at(&hb, &["acks", "--format", "json"], T0 + 2 * DAY);
        let doc = run.json();
        let rejected = doc["rejected"].as_array().unwrap();
        assert_eq!(rejected.len(), 1, "{}", run.stdout.len());
        assert_eq!(rejected[0]["path"], bad_path.as_str());
        let current = doc["policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == "stepping-away")
            .unwrap()["people"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["status"] == "current")
            .count();
        assert_eq!(current, 700, "ana and 699 of the 700");
    }
}
