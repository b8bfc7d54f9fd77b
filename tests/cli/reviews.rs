//! Policy reviews: `review_every` and `reviewed`, `normsctl reviews`, the `review-overdue`
//! notice of `validate` (never a failure, not even with `--strict`), `validate --base`
//! refusing a `reviewed` date later than its change, `normsctl review ID` editing the file
//! in place, and `log` and the site showing a review as such.

use crate::harness::{Handbook, ROSTER, Run, run_env};
use crate::history::{T0, commit, set_head};
use git2::Repository;

/// 2026-01-20 12:00 UTC: "now" for every run here.
const NOW: &str = "1768910400";
const DAY: i64 = 86_400;

const SETTINGS: &str = "title: T\ntimezone: Europe/Madrid\nreviews:\n  every: 12 months\n";

/// Reviewed a year and ten days ago: overdue since 2026-01-10.
const LATE: &str = "\
# Lunch breaks: keep this short.
id: late
kind: norm
title: Lunch breaks
summary: Say when you go and when you are back.
owner: ana   # the support lead
revision: 3
reviewed: 2025-01-10  # last looked at with legal
body: |
  Post in the channel.
";

/// No `reviewed`: due six months after its first revision landed (2026-01-05).
const FRESH: &str = "\
id: fresh
kind: norm
title: Handover
summary: Hand over open chats.
owner: tier1
revision: 1
review_every: 6 months
body: Hand over.
";

const NEVER: &str = "\
id: never
kind: norm
title: Parking
summary: Park anywhere.
owner: bo
revision: 1
review_every: none
body: Anywhere.
";

fn handbook() -> (Handbook, Repository) {
    let hb = Handbook::empty();
    let repo = Repository::init(hb.path()).unwrap();
    hb.write("normsctl.yaml", SETTINGS);
    hb.write("people.yaml", ROSTER);
    hb.write("policies/late.yaml", LATE);
    hb.write("policies/fresh.yaml", FRESH);
    hb.write("policies/never.yaml", NEVER);
    let c = commit(&repo, "Start", ("Ana", T0, 60), (T0, 60), &[]);
    set_head(&repo, c);
    (hb, repo)
}

fn run(hb: &Handbook, args: &[&str]) -> Run {
    run_env(hb.path(), args, &[("SOURCE_DATE_EPOCH", NOW)])
}

#[test]
fn reviews_lists_due_and_overdue_by_owner() {
    let (hb, _repo) = handbook();
    let out = run(&hb, &["reviews"]);
    assert_eq!(out.code, 0, "{out:?}");
    insta::assert_snapshot!(out.stdout, @r"
    ana (Ana Diaz)
      OVERDUE 10d  2026-01-10  late  Lunch breaks  (every 1 year, last reviewed 2025-01-10)

    1 due by 2026-02-19, 1 overdue; after a review: normsctl review <id>, then commit
    ");

    // Further ahead: the policy never reviewed is due six months after it first landed.
    let doc = run(&hb, &["reviews", "--within", "200", "--format", "json"]).json();
    let rows: Vec<String> = doc["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {} {}",
                r["owner"].as_str().unwrap(),
                r["id"].as_str().unwrap(),
                r["since"].as_str().unwrap(),
                r["due"].as_str().unwrap(),
                r["days_overdue"]
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            "ana late 2025-01-10 2026-01-10 10",
            "tier1 fresh 2026-01-05 2026-07-05 0"
        ]
    );
    assert_eq!(doc["reviews"][0]["overdue"], true);
    assert_eq!(doc["reviews"][0]["owner_name"], "Ana Diaz");
    assert_eq!(doc["reviews"][1]["every"], "6 months");
    assert_eq!(doc["today"], "2026-01-20");

    // A person's reviews include those of the teams they lead; an e-mail names them too.
    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["reviews", "--within", "200", "--format", "json"];
        all.extend_from_slice(args);
        run(&hb, &all).json()["reviews"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&["--owner", "ana"]), ["late", "fresh"]);
    assert_eq!(ids(&["--owner", "ANA@example.com"]), ["late", "fresh"]);
    assert_eq!(ids(&["--owner", "tier1"]), ["fresh"]);
    assert!(ids(&["--owner", "bo@home.example"]).is_empty());
    let unknown = run(&hb, &["reviews", "--owner", "anna"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("did you mean `ana`?"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn a_lapsed_review_is_a_notice_that_strict_does_not_promote() {
    let (hb, _repo) = handbook();
    let out = run(&hb, &["validate", "--strict", "--format", "json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let doc = out.json();
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["counts"]["notices"], 1);
    assert_eq!(doc["counts"]["errors"], 0);
    let f = &doc["findings"][0];
    assert_eq!(f["rule"], "review-overdue");
    assert_eq!(f["severity"], "notice");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(8), Some(1))
    );
    assert_eq!(
        f["message"],
        "the review of `late` was due on 2026-01-10 (every 1 year, last reviewed 2025-01-10)"
    );

    let human = run(&hb, &["validate", "--strict"]);
    assert_eq!(human.code, 0);
    assert!(
        human
            .stdout
            .contains("policies/late.yaml:8:1: notice[review-overdue]: the review of `late`"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .ends_with("ok: 5 files checked, no problems, 1 notice\n"),
        "{}",
        human.stdout
    );

    // Every machine format says "notice", at the level each format has for it.
    let github = run(&hb, &["validate", "--strict", "--format", "github"]);
    assert_eq!(github.code, 0);
    assert!(
        github.stdout.starts_with(
            "::notice file=policies/late.yaml,line=8,col=1,title=normsctl review-overdue::"
        ),
        "{}",
        github.stdout
    );
    let sarif = run(&hb, &["validate", "--strict", "--format", "sarif"]).json();
    assert_eq!(sarif["runs"][0]["results"][0]["level"], "note");
    let junit = run(&hb, &["validate", "--strict", "--format", "junit"]);
    assert_eq!(junit.code, 0);
    assert!(junit.stdout.contains("failures=\"0\""), "{}", junit.stdout);
    assert!(
        junit
            .stdout
            .contains("<system-out>policies/late.yaml:8:1: notice[review-overdue]"),
        "{}",
        junit.stdout
    );
    let gitlab = run(&hb, &["validate", "--strict", "--format", "gitlab"]).json();
    assert_eq!(gitlab[0]["severity"], "info");

    // The day it falls due it is not overdue yet.
    let on_the_day = run_env(
        hb.path(),
        &["validate", "--format", "json"],
        &[("SOURCE_DATE_EPOCH", &(1_768_910_400 - 10 * DAY).to_string())],
    );
    assert_eq!(on_the_day.json()["counts"]["notices"], 0);
}

#[test]
fn the_gate_refuses_a_reviewed_date_later_than_its_change() {
    let (hb, repo) = handbook();
    let gate = |hb: &Handbook| -> Vec<String> {
        run(hb, &["validate", "--base", "HEAD", "--format", "json"]).findings()
    };
    // Working tree: the change is now (2026-01-20).
    hb.write(
        "policies/late.yaml",
        LATE.replace("reviewed: 2025-01-10", "reviewed: 2026-01-21"),
    );
    assert_eq!(
        gate(&hb),
        ["policies/late.yaml:8:11 reviewed-in-future"],
        "a day after now"
    );
    hb.write(
        "policies/late.yaml",
        LATE.replace("reviewed: 2025-01-10", "reviewed: 2026-01-20"),
    );
    assert!(gate(&hb).is_empty(), "today is fine");

    // Committed on 2026-01-06: a review dated after that commit is refused even though
    // "now" is later.
    let base = repo.head().unwrap().target().unwrap();
    hb.write(
        "policies/late.yaml",
        LATE.replace("reviewed: 2025-01-10", "reviewed: 2026-01-15"),
    );
    let c = commit(
        &repo,
        "Review late",
        ("Ana", T0 + DAY, 60),
        (T0 + DAY, 60),
        &[base],
    );
    set_head(&repo, c);
    let out = run(
        &hb,
        &["validate", "--base", &base.to_string(), "--format", "json"],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.findings(),
        ["policies/late.yaml:8:11 reviewed-in-future"]
    );
    assert!(
        out.json()["findings"][0]["hint"]
            .as_str()
            .unwrap()
            .contains("the change is of 2026-01-06, so at the latest `reviewed: 2026-01-06`")
    );
}

#[test]
fn review_sets_the_date_in_place_and_log_shows_a_review() {
    let (hb, repo) = handbook();
    let out = run(
        &hb,
        &["review", "late", "--note", "no change; checked with legal"],
    );
    assert_eq!(out.code, 0, "{out:?}");
    insta::assert_snapshot!(out.stdout, @r"
    policies/late.yaml: reviewed: 2026-01-20 (was 2025-01-10); next review due 2027-01-20 (every 1 year)
    commit with: git commit -m 'Review late: no change' -m 'no change; checked with legal' -- policies/late.yaml
    ");
    // Only that line changed: comments, spacing and order are the author's.
    insta::assert_snapshot!(hb.read("policies/late.yaml"), @r"
    # Lunch breaks: keep this short.
    id: late
    kind: norm
    title: Lunch breaks
    summary: Say when you go and when you are back.
    owner: ana   # the support lead
    revision: 3
    reviewed: 2026-01-20  # last looked at with legal
    body: |
      Post in the channel.
    ");
    // A policy without the key gets one line after `revision`.
    assert_eq!(run(&hb, &["review", "fresh"]).code, 0);
    assert_eq!(
        hb.read("policies/fresh.yaml"),
        FRESH.replace("revision: 1\n", "revision: 1\nreviewed: 2026-01-20\n")
    );
    // Again the same day: nothing to change.
    let again = run(&hb, &["review", "late"]);
    assert!(
        again.stdout.contains("already says `reviewed: 2026-01-20`"),
        "{again:?}"
    );
    // An unknown id gets a near one.
    let typo = run(&hb, &["review", "lat"]);
    assert_eq!(typo.code, 2);
    assert!(
        typo.stderr.contains("did you mean `late`?"),
        "{}",
        typo.stderr
    );

    // Committed, the review is no notice any more, and `log` calls it a review.
    let head = repo.head().unwrap().target().unwrap();
    let c = commit(
        &repo,
        "Review late: no change",
        ("Ana", T0 + 15 * DAY, 60),
        (T0 + 15 * DAY, 60),
        &[head],
    );
    set_head(&repo, c);
    assert_eq!(
        run(&hb, &["validate", "--format", "json"]).json()["counts"]["notices"],
        0
    );
    let log = run(&hb, &["log", "late"]);
    assert!(
        log.stdout
            .contains("reviewed  r3   late  policies/late.yaml  (reviewed by Ana, no change)"),
        "{}",
        log.stdout
    );
    let doc = run(&hb, &["log", "--format", "json"]).json();
    let reviews: Vec<(String, bool)> = doc["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["review"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reviews,
        [
            ("fresh".to_owned(), true),
            ("late".to_owned(), true),
            ("fresh".to_owned(), false),
            ("late".to_owned(), false),
            ("never".to_owned(), false),
        ]
    );
    assert!(doc["revisions"][0]["change"] == "editorial");

    // The site's changelog says "reviewed", never a change to acknowledge.
    let build = run(&hb, &["build", "--out", "site"]);
    assert_eq!(build.code, 0, "{build:?}");
    let changelog = hb.read("site/changelog.html");
    assert!(
        changelog.contains("badge-reviewed\">Reviewed, no change<"),
        "{changelog}"
    );
}

#[test]
fn periods_are_checked_and_in_the_schema() {
    let (hb, _repo) = handbook();
    hb.write("policies/fresh.yaml", FRESH.replace("6 months", "6 weeks"));
    let out = run(&hb, &["validate", "--format", "json"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.findings(),
        [
            "policies/fresh.yaml:7:15 invalid-value",
            "policies/late.yaml:8:1 review-overdue"
        ]
    );
    let schema = run(&hb, &["schema", "--kind", "policy"]).json();
    assert!(schema["properties"]["review_every"]["pattern"].is_string());
    assert_eq!(schema["properties"]["reviewed"]["format"], "date");
    let settings = run(&hb, &["schema", "--kind", "settings"]).json();
    assert!(settings["properties"]["reviews"]["properties"]["every"].is_object());
}
