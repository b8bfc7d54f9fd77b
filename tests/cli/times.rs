//! Issue 12: times out of range are refused or said to be unknown, never replaced by 1970,
//! and the offset a writer gives `ack` is the one recorded.

use crate::acks::{DAY, T0, entries, handbook};
use crate::harness::{ROSTER, run_env};

fn entry_time(hb: &crate::harness::Handbook) -> String {
    let list = entries(hb.path());
    let repo = git2::Repository::open(hb.path()).unwrap();
    let tip = crate::acks::tip(hb.path()).unwrap();
    let tree = repo.find_commit(tip).unwrap().tree().unwrap();
    let blob = tree
        .get_path(std::path::Path::new(&list[0]))
        .unwrap()
        .to_object(&repo)
        .unwrap()
        .peel_to_blob()
        .unwrap();
    let text = String::from_utf8_lossy(blob.content()).into_owned();
    let json = &text[..text.find("\n-----BEGIN").unwrap_or(text.len())];
    let doc: serde_json::Value = serde_json::from_str(json).unwrap();
    doc["time"].as_str().unwrap().to_owned()
}

#[test]
fn an_unrepresentable_committer_date_is_refused_never_recorded_as_1970() {
    let hb = handbook(ROSTER, "ana@example.com");
    let run = run_env(
        hb.path(),
        &["ack", "stepping-away"],
        &[("GIT_COMMITTER_DATE", "@253402300800")],
    );
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("is out of range"), "{}", run.stderr);
    assert!(entries(hb.path()).is_empty());
    // Positive control: a date in range is recorded.
    let run = run_env(
        hb.path(),
        &["ack", "stepping-away"],
        &[("GIT_COMMITTER_DATE", &format!("@{} +0000", T0 + DAY))],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(entry_time(&hb), "2026-01-06T09:00:00+00:00");
}

#[test]
fn ack_records_the_offset_the_writer_gave() {
    let hb = handbook(ROSTER, "ana@example.com");
    let run = run_env(
        hb.path(),
        &["ack", "stepping-away"],
        &[("GIT_COMMITTER_DATE", "2026-12-01T10:00:00+01:00")],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(entry_time(&hb), "2026-12-01T10:00:00+01:00");
    // And git's own form with an offset.
    let hb = handbook(ROSTER, "ana@example.com");
    let run = run_env(
        hb.path(),
        &["ack", "stepping-away"],
        &[("GIT_COMMITTER_DATE", "@1796115600 -0330")],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(entry_time(&hb), "2026-12-01T05:30:00-03:30");
}

#[test]
fn show_at_a_date_past_the_range_says_so() {
    let hb = handbook(ROSTER, "ana@example.com");
    let run = hb.run(&["show", "stepping-away", "--at", "9999-12-31"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("`9999-12-31` is out of range"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("neither a date"), "{}", run.stderr);
    // Positive controls: a real date answers, a malformed one is still called malformed.
    let run = hb.run(&["show", "stepping-away", "--at", "2026-02-01"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = hb.run(&["show", "stepping-away", "--at", "2026-13-01"]);
    assert!(run.stderr.contains("neither a date"), "{}", run.stderr);
}
