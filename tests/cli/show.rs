//! `normsctl show`: the text in force at a moment, around landings and effective dates.

use crate::harness::{Handbook, ROSTER, run_env};
use crate::history::{HOUR, SETTINGS, T0, commit, history, policy, set_head};
use git2::Repository;
use serde_json::Value;

fn show(hb: &Handbook, args: &[&str]) -> Value {
    let mut all = vec!["show", "--format", "json"];
    all.extend_from_slice(args);
    let run = hb.run(&all);
    assert_eq!(run.code, 0, "{run:?}");
    run.json()
}

/// `standing revision change-that-landed-it landed-utc`
fn summary(doc: &Value) -> String {
    format!(
        "{} {} {} {}",
        doc["standing"].as_str().unwrap(),
        doc["shown"]["revision"],
        doc["shown"]["change"].as_str().unwrap_or("-"),
        doc["shown"]["landed"]["utc"].as_str().unwrap_or("-"),
    )
}

#[test]
fn at_picks_the_text_in_force_around_each_landing() {
    let hb = history();
    let at = |t: &str| summary(&show(&hb, &["a", "--at", t]));
    assert_eq!(at("2026-01-05T08:59:59Z"), "not_yet null - -");
    assert_eq!(
        at("2026-01-05T09:00:00Z"),
        "in_force 1 added 2026-01-05T09:00:00Z"
    );
    assert_eq!(
        at("2026-01-05T09:59:59Z"),
        "in_force 1 added 2026-01-05T09:00:00Z"
    );
    assert_eq!(
        at("2026-01-05T10:00:00Z"),
        "in_force 1 editorial 2026-01-05T10:00:00Z"
    );
    // A date is the end of that day in the team's zone (Europe/Madrid).
    assert_eq!(at("2026-01-05"), "in_force 2 material 2026-01-05T11:00:00Z");
    assert_eq!(at("2026-01-04"), "not_yet null - -");
    let doc = show(&hb, &["a", "--at", "2026-01-05T10:30:00+01:00"]);
    assert_eq!(doc["text"], policy("a", 1, "first"));
}

#[test]
fn a_move_is_not_a_new_text_and_retirement_is_said() {
    let hb = history();
    let doc = show(&hb, &["b", "--at", "2026-01-09T08:59:59Z"]);
    assert_eq!(summary(&doc), "in_force 1 added 2026-01-05T09:00:00Z");
    assert_eq!(doc["path"], "policies/sub/b.yaml");
    assert_eq!(doc["in_force_from"]["utc"], "2026-01-05T09:00:00Z");
    // Retired when the merge landed, not when the side branch was written.
    let run = hb.run(&["show", "b", "--at", "2026-01-09T09:00:00Z"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr
            .contains("was retired 2026-01-09 10:00 Europe/Madrid"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("retired"), "{}", run.stdout);
    let doc = show(&hb, &["b"]);
    assert_eq!(doc["standing"], "retired");
    assert_eq!(doc["retired"]["landed"]["utc"], "2026-01-09T09:00:00Z");
    assert_eq!(doc["text"], policy("b", 1, "bee"));
}

/// `c` r1 lands on 5 January; r2 lands an hour later but takes effect on 20 January;
/// `d` lands with an effective date ahead and nothing before it.
fn effective_dates() -> Handbook {
    let hb = Handbook::empty();
    let repo = Repository::init(hb.path()).unwrap();
    hb.write("normsctl.yaml", SETTINGS);
    hb.write("people.yaml", ROSTER);
    hb.write("policies/c.yaml", policy("c", 1, "old rule"));
    let c1 = commit(&repo, "Add c", ("Ana", T0, 60), (T0, 60), &[]);
    set_head(&repo, c1);
    hb.write(
        "policies/c.yaml",
        policy("c", 2, "new rule").replace("revision: 2\n", "revision: 2\neffective: 2026-01-20\n"),
    );
    hb.write(
        "policies/d.yaml",
        policy("d", 1, "future").replace("revision: 1\n", "revision: 1\neffective: 2026-03-01\n"),
    );
    let c2 = commit(
        &repo,
        "Announce c r2",
        ("Bo", T0 + HOUR, 60),
        (T0 + HOUR, 60),
        &[c1],
    );
    set_head(&repo, c2);
    hb
}

#[test]
fn an_effective_date_holds_a_landed_revision_back() {
    let hb = effective_dates();
    let doc = show(&hb, &["c", "--at", "2026-01-10"]);
    assert_eq!(summary(&doc), "in_force 1 added 2026-01-05T09:00:00Z");
    assert_eq!(doc["next"]["revision"], 2);
    // 00:00 on the effective date in the team's zone is 23:00 UTC the day before.
    let doc = show(&hb, &["c", "--at", "2026-01-19T22:59:59Z"]);
    assert_eq!(doc["shown"]["revision"], 1);
    let doc = show(&hb, &["c", "--at", "2026-01-19T23:00:00Z"]);
    assert_eq!(summary(&doc), "in_force 2 material 2026-01-05T10:00:00Z");
    assert_eq!(doc["in_force_from"]["local"], "2026-01-20T00:00:00+01:00");
    assert_eq!(doc["next"], Value::Null);

    let run = hb.run(&["show", "d", "--at", "2026-02-01"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("not yet in force"), "{}", run.stderr);
    assert!(run.stdout.contains("upcoming"), "{}", run.stdout);
}

#[test]
fn without_flags_the_text_in_force_now_comes_first_and_rev_head_is_as_committed() {
    let hb = effective_dates();
    let now = |epoch: &str, extra: &[&str]| {
        let mut args = vec!["show", "c", "--format", "json"];
        args.extend_from_slice(extra);
        let run = run_env(hb.path(), &args, &[("SOURCE_DATE_EPOCH", epoch)]);
        assert_eq!(run.code, 0, "{run:?}");
        run.json()
    };
    // 2026-01-10: r2 is committed but upcoming; r1 is in force, r2 noted beside it.
    let doc = now("1768003200", &[]);
    assert_eq!(doc["standing"], "in_force");
    assert_eq!(doc["shown"]["revision"], 1);
    assert_eq!(doc["next"]["revision"], 2);
    assert!(doc["next_in_force_from"]["unix"].as_i64().unwrap() > 1_768_003_200);
    // --rev HEAD keeps the text as committed, judged now
    let doc = now("1768003200", &["--rev", "HEAD"]);
    assert_eq!(summary(&doc), "upcoming 2 material 2026-01-05T10:00:00Z");
    // 2026-02-01: in force.
    assert_eq!(now("1769904000", &[])["standing"], "in_force");
    assert_eq!(now("1769904000", &[])["shown"]["revision"], 2);
}

#[test]
fn rev_shows_the_text_as_committed_then() {
    let hb = effective_dates();
    let doc = show(&hb, &["c", "--rev", "HEAD~1"]);
    assert_eq!(doc["shown"]["revision"], 1);
    assert_eq!(doc["text"], policy("c", 1, "old rule"));
    let run = hb.run(&["show", "d", "--rev", "HEAD~1"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no policy `d`"), "{}", run.stderr);
}

#[test]
fn bad_ids_revisions_and_times_exit_2() {
    let hb = history();
    let run = hb.run(&["show", "aa"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("did you mean `a`?"), "{}", run.stderr);
    let run = hb.run(&["show", "a", "--rev", "no-such-branch"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not a commit"), "{}", run.stderr);
    let run = hb.run(&["show", "a", "--at", "2026-13-01"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("neither a date"), "{}", run.stderr);
    let outside = Handbook::new();
    let run = outside.run(&["show", "stepping-away"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("not inside a git repository"),
        "{}",
        run.stderr
    );
}
