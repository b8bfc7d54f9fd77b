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

/// A handbook whose second commit (revision 2 of stepping-away) landed at `landed`.
fn landed_at(landed: i64) -> crate::harness::Handbook {
    let hb = handbook(ROSTER, "ana@example.com");
    let repo = git2::Repository::open(hb.path()).unwrap();
    hb.write(
        "policies/norms/stepping-away.yaml",
        crate::harness::NORM
            .replace("revision: 1", "revision: 2")
            .replace("Tell the channel.", "Tell the channel and your lead."),
    );
    let head = repo.head().unwrap().target().unwrap();
    // Built by hand: libgit2 would wrap a time past 2106 when it writes a signature, git
    // does not.
    let staged = crate::history::commit(&repo, "staged", ("Ana", T0, 60), (T0, 60), &[head]);
    let tree = repo.find_commit(staged).unwrap().tree_id();
    let raw = format!(
        "tree {tree}\nparent {head}\nauthor Ana <ana@example.com> {T0} +0100\ncommitter Merger <merger@example.com> {landed} +0000\n\nFar away\n"
    );
    let c = repo
        .odb()
        .unwrap()
        .write(git2::ObjectType::Commit, raw.as_bytes())
        .unwrap();
    crate::history::set_head(&repo, c);
    hb
}

#[test]
fn a_commit_time_out_of_range_is_unknown_never_1970_never_in_force_never_overdue() {
    let hb = landed_at(253_402_300_800);
    let log = crate::acks::at(&hb, &["log"], T0 + 40 * DAY);
    assert_eq!(log.code, 0, "{log:?}");
    assert!(!log.stdout.contains("1970"), "{}", log.stdout);
    assert!(
        log.stdout.contains("landed at an unknown time"),
        "{}",
        log.stdout
    );
    assert!(
        log.stderr.contains("has a time out of range"),
        "{}",
        log.stderr
    );
    // Positive control: the first commit's time is shown.
    assert!(
        log.stdout.contains("landed 2026-01-05 10:00"),
        "{}",
        log.stdout
    );
    let json = crate::acks::at(&hb, &["log", "--format", "json"], T0 + 40 * DAY);
    let newest = &json.json()["revisions"][0];
    assert_eq!(newest["revision"], 2);
    assert!(newest["landed"]["time"].is_null(), "{newest}");

    // In force at a date: revision 1, never the text of unknown landing.
    let show = crate::acks::at(
        &hb,
        &[
            "show",
            "stepping-away",
            "--at",
            "2026-02-01",
            "--format",
            "json",
        ],
        T0 + 40 * DAY,
    );
    assert_eq!(show.code, 0, "{show:?}");
    assert_eq!(show.json()["shown"]["revision"], 1, "{}", show.stdout);

    // Never overdue because of it.
    let acks = crate::acks::at(&hb, &["acks", "--format", "json"], T0 + 40 * DAY);
    let doc = acks.json();
    let policy = doc["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "stepping-away")
        .unwrap()
        .clone();
    assert_eq!(policy["counts"]["overdue"], 0, "{policy}");
    // Positive control: a revision that landed 40 days ago is overdue.
    let normal = landed_at(T0 + DAY);
    let doc = crate::acks::at(&normal, &["acks", "--format", "json"], T0 + 40 * DAY).json();
    let policy = doc["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "stepping-away")
        .unwrap()
        .clone();
    assert!(
        policy["counts"]["overdue"].as_u64().unwrap() > 0,
        "{policy}"
    );
}

#[test]
fn a_commit_time_at_either_end_of_i64_is_unknown_never_a_panic() {
    // git stores any 64-bit number of seconds (libgit2 reads down to -(2^63 - 1)); every
    // reader of commit times sees the landing of revision 2 at each end.
    for landed in [-i64::MAX, i64::MAX] {
        let hb = landed_at(landed);
        let out = tempfile::tempdir().unwrap();
        let site = out.path().join("site");
        let site = site.to_str().unwrap();
        let commands: [&[&str]; 6] = [
            &["log"],
            &["log", "--format", "json"],
            &["show", "stepping-away", "--format", "json"],
            &["acks", "--format", "json"],
            &["validate"],
            &["build", "--out", site],
        ];
        for args in commands {
            let run = crate::acks::at(&hb, args, T0 + 40 * DAY);
            assert!(
                !run.stderr.contains("panicked"),
                "{landed} {args:?}: {run:?}"
            );
            assert_eq!(run.code, 0, "{landed} {args:?}: {run:?}");
        }
    }
}
