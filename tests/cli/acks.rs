//! `normsctl ack` and `normsctl acks`: statuses, refusals, identity, concurrency and
//! tampering, on handbooks committed with fixed times.

use crate::harness::{Handbook, METRIC, NORM, ROSTER, Run, SETTINGS, command, run_env};
use git2::{Oid, Repository};
use serde_json::Value;
use std::path::Path;

// 2026-01-05 09:00:00 UTC
pub const T0: i64 = 1_767_603_600;
pub const DAY: i64 = 86_400;
pub const LEDGER: &str = "refs/heads/normsctl/acks";

/// Commits the work tree's current state on `main` with a fixed time, by "Lead".
pub fn commit(dir: &Path, message: &str, time: i64) -> Oid {
    let repo = Repository::open(dir).unwrap();
    let parents: Vec<Oid> = repo
        .head()
        .ok()
        .and_then(|h| h.target())
        .into_iter()
        .collect();
    let oid = crate::history::commit(&repo, message, ("Lead", time, 60), (time, 60), &parents);
    crate::history::set_head(&repo, oid);
    oid
}

/// A committed handbook (the harness's norm and metric) whose git identity is `email`.
pub fn handbook(roster: &str, email: &str) -> Handbook {
    let hb = Handbook::empty();
    let repo = Repository::init(hb.path()).unwrap();
    repo.set_head("refs/heads/main").unwrap();
    let mut config = repo.config().unwrap();
    config.set_str("user.name", "Writer").unwrap();
    config.set_str("user.email", email).unwrap();
    hb.write("normsctl.yaml", SETTINGS);
    hb.write("people.yaml", roster);
    hb.write("policies/norms/stepping-away.yaml", NORM);
    hb.write("policies/metrics/qa-score.yaml", METRIC);
    commit(hb.path(), "Start", T0);
    hb
}

/// A roster of `n` agents `p00`.. in team tier1, plus the harness's ana and bo.
pub fn big_roster(n: usize) -> String {
    let mut s = ROSTER.to_owned();
    for i in 0..n {
        s.push_str(&format!(
            "  - {{ id: p{i:02}, name: P{i}, email: p{i:02}@example.com, teams: [tier1], roles: [agent] }}\n"
        ));
    }
    s
}

/// Runs normsctl with "now" at `epoch`: `SOURCE_DATE_EPOCH` for what reports judge,
/// `GIT_COMMITTER_DATE` for when an `ack` records an entry.
pub fn at(hb: &Handbook, args: &[&str], epoch: i64) -> Run {
    run_env(
        hb.path(),
        args,
        &[
            ("SOURCE_DATE_EPOCH", &epoch.to_string()),
            ("GIT_COMMITTER_DATE", &format!("@{epoch} +0000")),
        ],
    )
}

fn status(hb: &Handbook, extra: &[&str], epoch: i64) -> Value {
    let mut args = vec!["acks", "--format", "json"];
    args.extend_from_slice(extra);
    let run = at(hb, &args, epoch);
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    run.json()
}

/// `status[/overdue]` of one person for one policy, or `-` when not listed.
fn state(doc: &Value, policy: &str, person: &str) -> String {
    doc["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["id"] == policy)
        .flat_map(|p| p["people"].as_array().unwrap().iter())
        .find(|r| r["person"] == person)
        .map_or("-".to_owned(), |r| {
            let mut s = r["status"].as_str().unwrap().to_owned();
            if r["overdue"] == true {
                s.push_str("/overdue");
            }
            s
        })
}

pub fn tip(dir: &Path) -> Option<Oid> {
    Repository::open(dir)
        .unwrap()
        .find_reference(LEDGER)
        .ok()
        .and_then(|r| r.target())
}

/// Every entry file in the ledger tip's tree.
pub fn entries(dir: &Path) -> Vec<String> {
    let repo = Repository::open(dir).unwrap();
    let Some(t) = tip(dir) else { return Vec::new() };
    let tree = repo.find_commit(t).unwrap().tree().unwrap();
    let mut out = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |d, e| {
        if e.kind() == Some(git2::ObjectType::Blob) {
            out.push(format!("{d}{}", e.name().unwrap()));
        }
        git2::TreeWalkResult::Ok
    })
    .unwrap();
    out
}

fn set_policy(hb: &Handbook, revision: u32, body: &str) {
    hb.write(
        "policies/norms/stepping-away.yaml",
        NORM.replace("revision: 1", &format!("revision: {revision}"))
            .replace("Tell the channel.", body),
    );
}

#[test]
fn ack_binds_the_committed_text_and_acks_tracks_revisions() {
    let hb = handbook(ROSTER, "ana@example.com");
    let run = at(&hb, &["ack", "stepping-away"], T0 + DAY);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("ana acknowledged stepping-away r1"),
        "{run:?}"
    );
    let doc = status(&hb, &[], T0 + DAY);
    assert_eq!(state(&doc, "stepping-away", "ana"), "current");
    assert_eq!(state(&doc, "stepping-away", "bo"), "never");
    assert_eq!(state(&doc, "qa-score", "bo"), "never");
    // qa-score applies to agents only.
    assert_eq!(state(&doc, "qa-score", "ana"), "-");

    // The entry says exactly what was read, where, when and by whom.
    let files = entries(hb.path());
    assert_eq!(files.len(), 1);
    let repo = Repository::open(hb.path()).unwrap();
    let tree = repo
        .find_commit(tip(hb.path()).unwrap())
        .unwrap()
        .tree()
        .unwrap();
    let blob = tree.get_path(Path::new(&files[0])).unwrap().id();
    let entry: Value = serde_json::from_slice(repo.find_blob(blob).unwrap().content()).unwrap();
    let policy_blob = repo
        .head()
        .unwrap()
        .peel_to_tree()
        .unwrap()
        .get_path(Path::new("policies/norms/stepping-away.yaml"))
        .unwrap()
        .id();
    assert_eq!(entry["blob"], policy_blob.to_string());
    assert_eq!(entry["revision"], 1);
    assert_eq!(entry["time"], "2026-01-06T09:00:00+00:00");
    assert_eq!(entry["writer"]["email"], "ana@example.com");
    assert_eq!(
        entry["commit"],
        repo.head().unwrap().target().unwrap().to_string()
    );

    // Editorial change: still current.
    set_policy(&hb, 1, "Tell the channel, please.");
    commit(hb.path(), "Reword", T0 + 2 * DAY);
    let doc = status(&hb, &[], T0 + 2 * DAY);
    assert_eq!(state(&doc, "stepping-away", "ana"), "current");

    // Material change: stale, and overdue once due_days (14) after it landed.
    set_policy(&hb, 2, "Tell the channel and your lead.");
    commit(hb.path(), "Tighten", T0 + 3 * DAY);
    let doc = status(&hb, &[], T0 + 3 * DAY);
    assert_eq!(state(&doc, "stepping-away", "ana"), "stale");
    let doc = status(&hb, &[], T0 + 17 * DAY - 1);
    assert_eq!(state(&doc, "stepping-away", "ana"), "stale");
    let doc = status(&hb, &[], T0 + 17 * DAY);
    assert_eq!(state(&doc, "stepping-away", "ana"), "stale/overdue");
    assert_eq!(state(&doc, "stepping-away", "bo"), "never/overdue");
    let overdue = status(&hb, &["--overdue", "--person", "bo"], T0 + 17 * DAY);
    assert_eq!(state(&overdue, "stepping-away", "bo"), "never/overdue");
    assert_eq!(state(&overdue, "stepping-away", "ana"), "-");

    // --require-complete: exit 1 while anything is outstanding, 0 after.
    let run = at(
        &hb,
        &["acks", "--require-complete", "--policy", "stepping-away"],
        T0 + 4 * DAY,
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("stale    ana"), "{}", run.stdout);
    assert_eq!(at(&hb, &["ack", "stepping-away"], T0 + 4 * DAY).code, 0);
    assert_eq!(
        at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + 4 * DAY).code,
        0
    );
    let run = at(
        &hb,
        &["acks", "--require-complete", "--policy", "stepping-away"],
        T0 + 20 * DAY,
    );
    assert_eq!(run.code, 0, "{run:?}");

    // CSV: one row per person and policy.
    let run = at(
        &hb,
        &["acks", "--format", "csv", "--policy", "stepping-away"],
        T0 + 20 * DAY,
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(
        lines[0]
            .starts_with("version,policy,title,revision,person,name,email,teams,status,overdue")
    );
    assert!(
        lines[2].starts_with("2,stepping-away,Say when you step away,2,bo,Bo Chen,bo@example.com,tier1,current,false,"),
        "{}",
        lines[2]
    );
    assert!(lines[2].contains(",ana@example.com,true,"), "{}", lines[2]);
}

#[test]
fn effective_date_later_than_landing_moves_the_due_date() {
    let hb = handbook(ROSTER, "ana@example.com");
    // Effective 2026-02-01 in Europe/Madrid: 2026-01-31T23:00Z; due 14 days later.
    hb.write(
        "policies/norms/stepping-away.yaml",
        NORM.replace("revision: 1", "revision: 2\neffective: 2026-02-01"),
    );
    commit(hb.path(), "Tighten from February", T0 + DAY);
    let due = 1_769_900_400 + 14 * DAY;
    let doc = status(&hb, &[], due - 1);
    assert_eq!(state(&doc, "stepping-away", "bo"), "never");
    let doc = status(&hb, &[], due);
    assert_eq!(state(&doc, "stepping-away", "bo"), "never/overdue");
}

#[test]
fn widening_applies_to_asks_only_the_newly_covered_and_leavers_are_apart() {
    let hb = handbook(ROSTER, "bo@example.com");
    assert_eq!(
        at(&hb, &["ack", "qa-score", "stepping-away"], T0 + DAY).code,
        0
    );
    hb.write(
        "policies/metrics/qa-score.yaml",
        METRIC.replace("[agent]", "[everyone]"),
    );
    commit(hb.path(), "Everyone is reviewed", T0 + 2 * DAY);
    let doc = status(&hb, &[], T0 + 2 * DAY);
    assert_eq!(state(&doc, "qa-score", "bo"), "current");
    assert_eq!(state(&doc, "qa-score", "ana"), "never");

    // Bo leaves: listed apart, no longer asked.
    let roster: String = ROSTER
        .lines()
        .filter(|l| !l.contains("id: bo"))
        .map(|l| format!("{l}\n"))
        .collect();
    hb.write("people.yaml", roster);
    commit(hb.path(), "Bo left", T0 + 3 * DAY);
    let doc = status(&hb, &[], T0 + 3 * DAY);
    assert_eq!(state(&doc, "qa-score", "bo"), "-");
    let former = doc["former"].as_array().unwrap();
    assert_eq!(former.len(), 1);
    assert_eq!(former[0]["person"], "bo");
    assert_eq!(former[0]["acknowledgements"].as_array().unwrap().len(), 2);
    let run = at(&hb, &["acks"], T0 + 3 * DAY);
    assert!(
        run.stdout
            .contains("people no longer on the roster:\n  bo  qa-score r1, stepping-away r1"),
        "{}",
        run.stdout
    );
}

#[test]
fn refusals_write_nothing() {
    let hb = handbook(ROSTER, "ana@example.com");
    let cases: [(&[&str], &str); 3] = [
        (&["ack", "stepping-away", "--as", "zed"], "no person `zed`"),
        (&["ack", "steping-away"], "did you mean `stepping-away`"),
        (&["ack", "stepping-away", "nope"], "no policy `nope`"),
    ];
    for (args, message) in cases {
        let run = at(&hb, args, T0 + DAY);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains(message), "{args:?}: {}", run.stderr);
        assert_eq!(tip(hb.path()), None);
    }
    // An unknown git identity.
    let other = handbook(ROSTER, "stranger@example.com");
    let run = at(&other, &["ack", "stepping-away"], T0 + DAY);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("stranger@example.com is not on the roster"),
        "{}",
        run.stderr
    );
    assert_eq!(tip(other.path()), None);
    // Uncommitted changes to the policy, in the work tree or staged.
    set_policy(&hb, 1, "Changed but not committed.");
    let run = at(&hb, &["ack", "stepping-away", "qa-score"], T0 + DAY);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("policies/norms/stepping-away.yaml has uncommitted changes"),
        "{}",
        run.stderr
    );
    assert_eq!(tip(hb.path()), None);
    let repo = Repository::open(hb.path()).unwrap();
    let mut index = repo.index().unwrap();
    index
        .add_path(Path::new("policies/norms/stepping-away.yaml"))
        .unwrap();
    index.write().unwrap();
    assert_eq!(at(&hb, &["ack", "stepping-away"], T0 + DAY).code, 2);
    assert_eq!(tip(hb.path()), None);
    // A policy that takes no acknowledgements.
    let none = handbook(ROSTER, "ana@example.com");
    none.write(
        "policies/norms/stepping-away.yaml",
        NORM.replace("revision: 1", "revision: 1\nack: none"),
    );
    commit(none.path(), "No ack", T0 + DAY);
    let run = at(&none, &["ack", "stepping-away"], T0 + DAY);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("takes no acknowledgements"),
        "{}",
        run.stderr
    );
    let doc = status(&none, &[], T0 + DAY);
    assert_eq!(state(&doc, "stepping-away", "ana"), "-");
}

#[test]
fn re_ack_is_a_no_op_and_pending_takes_what_is_outstanding() {
    let hb = handbook(ROSTER, "bo@example.com");
    assert_eq!(at(&hb, &["ack", "stepping-away"], T0 + DAY).code, 0);
    let first = tip(hb.path());
    let run = at(&hb, &["ack", "stepping-away"], T0 + 2 * DAY);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .contains("bo had already acknowledged stepping-away r1: nothing to record"),
        "{}",
        run.stdout
    );
    assert_eq!(tip(hb.path()), first);
    let run = at(&hb, &["ack", "--pending", "--yes"], T0 + 2 * DAY);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("bo acknowledged qa-score r1"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("stepping-away"), "{}", run.stdout);
    assert_eq!(entries(hb.path()).len(), 2);
}

#[test]
fn an_entry_written_for_someone_else_is_shown_as_such() {
    let hb = handbook(ROSTER, "ana@example.com");
    let run = at(
        &hb,
        &[
            "ack",
            "qa-score",
            "--as",
            "bo",
            "--note",
            "paper form of 2026-01-05",
        ],
        T0 + DAY,
    );
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .contains("bo acknowledged qa-score r1 (written by Writer <ana@example.com>)"),
        "{}",
        run.stdout
    );
    let doc = status(&hb, &[], T0 + DAY);
    let row = &doc["policies"][0]["people"][0];
    assert_eq!(row["person"], "bo");
    assert_eq!(row["acknowledgement"]["written_by_other"], true);
    let human = at(&hb, &["acks", "--policy", "qa-score"], T0 + DAY);
    assert!(
        human
            .stdout
            .contains("current  bo  Bo Chen  r1 on 2026-01-06 (not witnessed), on time, written by Writer <ana@example.com>"),
        "{}",
        human.stdout
    );
    let show = at(&hb, &["acks", "show", "--person", "bo"], T0 + DAY);
    assert!(
        show.stdout
            .contains("written by Writer <ana@example.com> (not bo themself)"),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains("note: paper form of 2026-01-05"));
    assert!(show.stdout.contains(METRIC), "{}", show.stdout);
    let evidence = at(
        &hb,
        &["acks", "evidence", "--person", "bo", "--policy", "qa-score"],
        T0 + DAY,
    );
    assert_eq!(evidence.code, 0, "{evidence:?}");
    assert!(
        evidence.stdout.contains("**not bo themself**"),
        "{}",
        evidence.stdout
    );
    let verify = at(&hb, &["acks", "verify"], T0 + DAY);
    assert_eq!(verify.code, 0, "{verify:?}");
    assert!(
        verify
            .stdout
            .contains("1 written by someone other than the person named"),
        "{}",
        verify.stdout
    );
}

#[test]
fn evidence_shows_the_text_read_and_the_diff_to_today() {
    let hb = handbook(ROSTER, "bo@example.com");
    assert_eq!(at(&hb, &["ack", "stepping-away"], T0 + DAY).code, 0);
    set_policy(&hb, 2, "Tell the channel and your lead.");
    commit(hb.path(), "Tighten", T0 + 2 * DAY);
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
        T0 + 3 * DAY,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let doc = run.json();
    assert_eq!(doc["status"], "stale");
    assert_eq!(doc["ledger"]["ok"], true);
    let ack = &doc["acknowledgements"][0];
    assert_eq!(ack["text"], NORM);
    assert_eq!(ack["verified"], true);
    assert_eq!(ack["landed"]["time"], "2026-01-05T10:00:00+01:00");
    let diff = ack["diff_to_today"].as_str().unwrap();
    for line in [
        "-revision: 1\n",
        "+revision: 2\n",
        "-body: Tell the channel.\n",
        "+body: Tell the channel and your lead.\n",
        " owner: tier1\n",
    ] {
        assert!(diff.contains(line), "{line} not in {diff}");
    }
    let md = at(
        &hb,
        &[
            "acks",
            "evidence",
            "--person",
            "bo",
            "--policy",
            "stepping-away",
        ],
        T0 + 3 * DAY,
    );
    assert!(md.stdout.contains("- Status: **stale**"), "{}", md.stdout);
    assert!(md.stdout.contains("```diff\n"), "{}", md.stdout);
    let none = at(
        &hb,
        &[
            "acks",
            "evidence",
            "--person",
            "ana",
            "--policy",
            "stepping-away",
        ],
        T0 + 3 * DAY,
    );
    assert_eq!(none.code, 1);
    assert!(
        none.stdout
            .contains("ana has no acknowledgement of stepping-away")
    );
}

thread_local! {
    /// What each process of the last `concurrent_acks` printed, for failure messages.
    static OUTPUTS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Spawns `n` `normsctl ack` processes at once, one per person `pNN`; returns how many
/// reported success, and the errors of the others.
fn concurrent_acks(hb: &Handbook, n: usize, env: &[(&str, &str)]) -> (usize, Vec<String>) {
    let home = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..n)
        .map(|i| {
            let person = format!("p{i:02}");
            let mut cmd = command(
                hb.path(),
                home.path(),
                &["ack", "stepping-away", "--as", &person],
            );
            cmd.env("GIT_COMMITTER_DATE", format!("@{} +0000", T0 + DAY))
                .envs(env.iter().copied())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    let mut errors = Vec::new();
    let mut ok = 0;
    for c in children {
        let out = c.wait_with_output().unwrap();
        if out.status.success() {
            ok += 1;
        } else {
            errors.push(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        OUTPUTS.with(|o| {
            o.borrow_mut().push(format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        });
    }
    (ok, errors)
}

#[test]
fn sixty_four_concurrent_acks_keep_every_entry() {
    let hb = handbook(&big_roster(64), "lead@example.com");
    let (ok, errors) = concurrent_acks(&hb, 64, &[]);
    assert_eq!(ok, 64, "{errors:?}");
    let files = entries(hb.path());
    assert_eq!(
        files.len(),
        64,
        "{files:?}\n{:#?}",
        OUTPUTS.with(|o| o.borrow().clone())
    );
    for i in 0..64 {
        assert!(
            files
                .iter()
                .any(|f| f.contains(&format!("/p{i:02}/")) && f.contains("/stepping-away.r1.")),
            "p{i:02} missing"
        );
    }
    let verify = at(&hb, &["acks", "verify"], T0 + DAY);
    assert_eq!(verify.code, 0, "{verify:?}");
    assert!(verify.stdout.contains("64 entries"), "{}", verify.stdout);
    // The one judge counts every one of them in the report too.
    let report = at(
        &hb,
        &["acks", "--policy", "stepping-away", "--format", "json"],
        T0 + DAY,
    )
    .json();
    assert_eq!(report["rejected"], serde_json::json!([]));
    let current = report["policies"][0]["people"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["person"].as_str().unwrap().starts_with('p') && r["status"] == "current")
        .count();
    assert_eq!(current, 64, "{report}");
    let fsck = std::process::Command::new("git")
        .args(["fsck", "--strict", "--no-progress"])
        .current_dir(hb.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stderr)
    );
    assert!(
        !hb.path()
            .join(".git/refs/heads/normsctl/acks.lock")
            .exists()
    );
    assert!(!hb.path().join(".git/packed-refs.lock").exists());
}

#[test]
fn acknowledging_a_policy_one_is_not_bound_by_is_recorded_with_a_note() {
    let hb = handbook(ROSTER, "ana@example.com");
    // qa-score applies to agents; ana is a lead.
    let run = at(&hb, &["ack", "qa-score"], T0 + DAY);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("qa-score applies to agent, which does not include ana; recorded anyway"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("ana acknowledged qa-score r1"),
        "{}",
        run.stdout
    );
    let run = at(&hb, &["ack", "stepping-away"], T0 + DAY);
    assert!(!run.stderr.contains("recorded anyway"), "{}", run.stderr);
}

#[test]
fn source_date_epoch_never_dates_a_record() {
    let hb = handbook(ROSTER, "ana@example.com");
    // A reproducible-build environment sets SOURCE_DATE_EPOCH: reports follow it, but the
    // entry is dated by the clock.
    let run = run_env(
        hb.path(),
        &["ack", "stepping-away", "--as", "bo"],
        &[("SOURCE_DATE_EPOCH", &(T0 + DAY).to_string())],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let show = run_env(
        hb.path(),
        &["acks", "show", "--person", "bo"],
        &[("SOURCE_DATE_EPOCH", &(T0 + DAY).to_string())],
    );
    assert_eq!(show.code, 0, "{show:?}");
    assert!(show.stdout.contains("stepping-away"), "{}", show.stdout);
    let year = jiff::Timestamp::now().strftime("%Y-").to_string();
    assert!(
        !show.stdout.contains("2026-01-06T09:00:00") && show.stdout.contains(&year),
        "{}",
        show.stdout
    );
    let bad = run_env(
        hb.path(),
        &["ack", "qa-score", "--as", "bo"],
        &[("GIT_COMMITTER_DATE", "yesterday")],
    );
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("GIT_COMMITTER_DATE"), "{}", bad.stderr);
}

#[test]
fn normsctl_cache_0_keeps_nothing_and_answers_the_same() {
    let hb = handbook(ROSTER, "ana@example.com");
    let epoch = T0 + DAY;
    let time = [
        ("SOURCE_DATE_EPOCH", epoch.to_string()),
        ("GIT_COMMITTER_DATE", format!("@{epoch} +0000")),
    ];
    let run = |args: &[&str], cache: &str| {
        let mut env: Vec<(&str, &str)> = time.iter().map(|(k, v)| (*k, v.as_str())).collect();
        env.push(("NORMSCTL_CACHE", cache));
        let run = run_env(hb.path(), args, &env);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        run.stdout
    };
    let kept = || -> Vec<String> {
        std::fs::read_dir(hb.path().join(".git/normsctl"))
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    run(&["ack", "stepping-away"], "0");
    let reports: [&[&str]; 3] = [
        &["acks", "--format", "json"],
        &["acks", "--person", "ana", "--format", "json"],
        &["acks", "verify"],
    ];
    let off: Vec<String> = reports.iter().map(|a| run(a, "0")).collect();
    assert_eq!(
        kept(),
        Vec::<String>::new(),
        "NORMSCTL_CACHE=0 keeps nothing"
    );
    let on: Vec<String> = reports.iter().map(|a| run(a, "1")).collect();
    assert_eq!(on, off);
    assert!(!kept().is_empty(), "the caches are kept when allowed");
    let again: Vec<String> = reports.iter().map(|a| run(a, "0")).collect();
    assert_eq!(again, off);
}
