//! The rule in force first (issue 13): a handbook whose first-response target goes from 45 to
//! 30 minutes on 2026-12-07, merged on 2026-11-30, built before and after that instant. Every
//! output must state the text in force at build time with its own date first, and the
//! upcoming one beside it with its date.

use crate::harness::{Handbook, ROSTER, run_env};
use git2::{Oid, Repository};
use serde_json::Value;
use std::path::Path;

const SETTINGS: &str =
    "title: Support Handbook\norganization: Example Co\ntimezone: Europe/Madrid\n";

/// 2025-03-10 09:00 UTC, 2025-03-12 09:00 UTC, 2026-11-30 10:00 UTC.
const LANDED: [i64; 3] = [1_741_597_200, 1_741_770_000, 1_796_032_800];
/// 2026-12-02 12:00 UTC: revision 2 in force, revision 3 upcoming.
pub const BEFORE: &str = "1796212800";
/// 2026-12-08 12:00 UTC: revision 3 in force.
pub const AFTER: &str = "1796731200";
/// Revision 3's in-force instant: 2026-12-07 00:00 in Madrid.
pub const FROM: &str = "2026-12-06T23:00:00Z";

fn frt(revision: u32, minutes: u32, effective: &str, body: &str) -> String {
    format!(
        "id: first-response-time\nkind: metric\ntitle: First response time\n\
         summary: Customers hear from us within {minutes} minutes.\nowner: ana\n\
         applies_to: [agent]\nrevision: {revision}\neffective: {effective}\n\
         level: team\nmeasures: Minutes from a new ticket to its first human reply\n\
         source: Helpdesk reports\nunit: minutes\nstatistic: median\n\
         target: {{ op: \"<=\", value: {minutes} }}\nwindow: week\n\
         body: |\n  {body}\n"
    )
}

/// A norm with a body as people write them: headings, a list, a table.
const STEPPING_AWAY: &str = "id: stepping-away
kind: norm
title: Say when you step away
summary: Post in the team channel when you leave your desk and when you will be back.
owner: tier1
applies_to: [tier1]
revision: 1
body: |
  ## Why

  A queue with nobody watching it looks staffed. Saying when you step away lets the
  others cover your chats.

  ## How

  - Post `brb 15` (or the minutes you expect) before you leave.
  - Hand over any open chat first.

  | Shift | Breaks |
  |---|---|
  | 08:00–16:00 | 10:30, 13:00 |
  | 16:00–00:00 | 18:30, 21:00 |
";

fn commit(repo: &Repository, message: &str, time: i64, parents: &[Oid]) -> Oid {
    let oid = crate::history::commit(repo, message, ("Lucia", time, 60), (time, 60), parents);
    crate::history::set_head(repo, oid);
    oid
}

/// The handbook: revision 1 (60 minutes), revision 2 (45, from 2025-03-17), revision 3
/// (30, from 2026-12-07, merged 2026-11-30).
pub fn handbook() -> Handbook {
    let hb = Handbook::empty();
    let repo = Repository::init(hb.path()).unwrap();
    hb.write("normsctl.yaml", SETTINGS);
    hb.write("people.yaml", ROSTER);
    let path = "policies/metrics/first-response-time.yaml";
    hb.write(path, frt(1, 60, "2025-03-10", "Reply within an hour."));
    hb.write("policies/norms/stepping-away.yaml", STEPPING_AWAY);
    let c1 = commit(&repo, "Add first response time", LANDED[0], &[]);
    hb.write(path, frt(2, 45, "2025-03-17", "Reply within 45 minutes."));
    let c2 = commit(&repo, "Tighten to 45 minutes", LANDED[1], &[c1]);
    // Revision 3 arrives as a pull request, merged on 2026-11-30.
    hb.write(path, frt(3, 30, "2026-12-07", "Reply within 30 minutes."));
    let side = crate::history::commit(
        &repo,
        "frt: 30 minutes",
        ("Lucia", LANDED[2] - 86_400, 60),
        (LANDED[2] - 86_400, 60),
        &[c2],
    );
    commit(
        &repo,
        "Merge pull request #12 from lucia/frt-30min\n\nFirst response within 30 minutes from 7 December\n",
        LANDED[2],
        &[c2, side],
    );
    hb
}

pub fn build(dir: &Path, now: &str) -> std::path::PathBuf {
    let run = run_env(dir, &["build"], &[("SOURCE_DATE_EPOCH", now)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    dir.join("site")
}

fn read(site: &Path, rel: &str) -> String {
    std::fs::read_to_string(site.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// `a` appears in `text`, and before `b`.
fn before(text: &str, a: &str, b: &str) {
    let i = text
        .find(a)
        .unwrap_or_else(|| panic!("{a:?} missing in {text}"));
    let j = text
        .find(b)
        .unwrap_or_else(|| panic!("{b:?} missing in {text}"));
    assert!(i < j, "{a:?} should come before {b:?} in {text}");
}

#[test]
fn before_the_date_every_output_states_the_rule_in_force_and_marks_the_upcoming_one() {
    let hb = handbook();
    let site = build(hb.path(), BEFORE);

    let index = read(&site, "index.html");
    before(
        &index,
        "median at most 45 minutes, each week",
        "Revision 3 from 2026-12-07",
    );
    assert!(
        index.contains("revision 3 applies from <strong>2026-12-07</strong>"),
        "{index}"
    );

    let page = read(&site, "policies/first-response-time.html");
    before(
        &page,
        "In force since 2025-03-17",
        "Reply within 45 minutes.",
    );
    before(
        &page,
        "median at most 45 minutes, each week",
        "From 2026-12-07",
    );
    assert!(
        page.contains("As of 2026-12-02, revision 2 is in force"),
        "{page}"
    );
    assert!(page.contains(&format!("data-from=\"{FROM}\"")), "{page}");
    assert!(
        page.contains("It is the text people are asked to acknowledge now."),
        "{page}"
    );
    // the upcoming text and its diff from the text in force
    before(
        &page,
        "Reply within 45 minutes.",
        "median at most 30 minutes, each week",
    );

    let search = read(&site, "search-index.js");
    assert!(
        search.contains("Customers hear from us within 45 minutes."),
        "{search}"
    );
    assert!(
        search.contains("\"f\":\"2025-03-16T23:00:00Z\""),
        "{search}"
    );
    assert!(search.contains(&format!("[3,\"{FROM}\"")), "{search}");

    let json: Value = serde_json::from_str(&read(&site, "handbook.json")).unwrap();
    assert_eq!(json["version"], 2);
    assert_eq!(json["as_of"], "2026-12-02T12:00:00Z");
    let p = &json["policies"][0];
    assert_eq!(p["revision"], 2);
    assert_eq!(p["standing"], "in_force");
    assert_eq!(p["in_force_since"], "2025-03-16T23:00:00Z");
    assert_eq!(p["metric"]["target"]["value"], 45.0);
    assert_eq!(p["metric"]["target"]["op"], "<=");
    assert_eq!(p["metric"]["rule"], "median at most 45 minutes, each week");
    assert_eq!(p["upcoming"][0]["revision"], 3);
    assert_eq!(p["upcoming"][0]["in_force_from"], FROM);
    assert_eq!(p["upcoming"][0]["effective"], "2026-12-07");
    assert_eq!(p["upcoming"][0]["metric"]["target"]["value"], 30.0);
    assert_eq!(p["upcoming"][0]["acknowledge"], true);
    assert_eq!(p["history"][0]["effective"], "2026-12-07");

    let llms = read(&site, "llms.txt");
    assert!(
        llms.contains(
            "- [First response time](policies/first-response-time.md): median at most 45 minutes, each week."
        ),
        "{llms}"
    );
    before(
        &llms,
        "revision 2, in force since 2025-03-17",
        "revision 3 applies from 2026-12-07 (median at most 30 minutes, each week)",
    );

    let md = read(&site, "policies/first-response-time.md");
    before(
        &md,
        "Reply within 45 minutes.",
        "Upcoming: revision 3, from 2026-12-07",
    );
    before(
        &md,
        "revision 2, in force since 2025-03-17",
        "Reply within 30 minutes.",
    );
    assert!(md.contains(&format!("In force from (UTC): {FROM}")), "{md}");

    // the changelog and the feed name the pull request, what changed, and from when
    let log = read(&site, "changelog.html");
    assert!(
        log.contains("First response within 30 minutes from 7 December"),
        "{log}"
    );
    assert!(!log.contains("Merge pull request"), "{log}");
    assert!(
        log.contains("Changed: Summary, Effective date, Target value, Text."),
        "{log}"
    );
    assert!(
        log.contains("Takes effect from <strong>2026-12-07</strong>"),
        "{log}"
    );
    let feed = read(&site, "feed.xml");
    assert!(
        feed.contains("First response within 30 minutes from 7 December. Changed: Summary"),
        "{feed}"
    );

    let full = read(&site, "llms-full.txt");
    before(
        &full,
        "Reply within 45 minutes.",
        "Reply within 30 minutes.",
    );

    let show = run_env(
        hb.path(),
        &["show", "first-response-time"],
        &[("SOURCE_DATE_EPOCH", BEFORE)],
    );
    assert_eq!(show.code, 0, "{}", show.stderr);
    before(&show.stdout, "revision 2  in force", "upcoming: revision 3");
    assert!(
        show.stdout.contains("applies from 2026-12-07 00:00"),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains("value: 45"), "{}", show.stdout);
    assert!(!show.stderr.contains("not yet in force"), "{}", show.stderr);
    // --rev HEAD keeps "as committed"
    let head = run_env(
        hb.path(),
        &["show", "first-response-time", "--rev", "HEAD"],
        &[("SOURCE_DATE_EPOCH", BEFORE)],
    );
    assert!(head.stdout.contains("value: 30"), "{}", head.stdout);
    assert!(
        head.stdout.contains("revision 3  upcoming"),
        "{}",
        head.stdout
    );
}

#[test]
fn after_the_date_the_new_rule_is_simply_in_force() {
    let hb = handbook();
    let site = build(hb.path(), AFTER);

    let index = read(&site, "index.html");
    assert!(
        index.contains("median at most 30 minutes, each week"),
        "{index}"
    );
    assert!(!index.contains("id=\"upcoming-h\""), "{index}");
    assert!(!index.contains("45 minutes"), "{index}");

    let page = read(&site, "policies/first-response-time.html");
    before(
        &page,
        "In force since 2026-12-07",
        "Reply within 30 minutes.",
    );
    assert!(!page.contains("upcoming-text"), "{page}");

    let json: Value = serde_json::from_str(&read(&site, "handbook.json")).unwrap();
    let p = &json["policies"][0];
    assert_eq!(p["revision"], 3);
    assert_eq!(p["in_force_since"], FROM);
    assert_eq!(p["upcoming"], serde_json::json!([]));

    let llms = read(&site, "llms.txt");
    assert!(
        llms.contains("revision 3, in force since 2026-12-07"),
        "{llms}"
    );
    assert!(!llms.contains("45"), "{llms}");
    let md = read(&site, "policies/first-response-time.md");
    assert!(md.contains("Reply within 30 minutes."), "{md}");
    assert!(!md.contains("Upcoming"), "{md}");

    let show = run_env(
        hb.path(),
        &["show", "first-response-time"],
        &[("SOURCE_DATE_EPOCH", AFTER)],
    );
    assert!(show.stdout.contains("value: 30"), "{}", show.stdout);
    assert!(!show.stdout.contains("upcoming"), "{}", show.stdout);
}

#[test]
fn a_policy_with_nothing_in_force_yet_is_upcoming_only() {
    let hb = handbook();
    let site = build(hb.path(), "1741599960"); // 2025-03-10 09:46 UTC: revision 1 landed, 2 not yet
    let json: Value = serde_json::from_str(&read(&site, "handbook.json")).unwrap();
    // revision 1 came into force when it landed (its effective date had begun)
    assert_eq!(json["policies"][0]["standing"], "in_force");
    let hb = Handbook::empty();
    let repo = Repository::init(hb.path()).unwrap();
    hb.write("normsctl.yaml", SETTINGS);
    hb.write("people.yaml", ROSTER);
    hb.write(
        "policies/metrics/first-response-time.yaml",
        frt(1, 30, "2026-12-07", "Reply within 30 minutes."),
    );
    commit(&repo, "Add", LANDED[2], &[]);
    let site = build(hb.path(), BEFORE);
    let json: Value = serde_json::from_str(&read(&site, "handbook.json")).unwrap();
    assert_eq!(json["policies"][0]["standing"], "upcoming");
    assert_eq!(json["policies"][0]["in_force_since"], FROM);
    let index = read(&site, "index.html");
    assert!(index.contains("From 2026-12-07"), "{index}");
    let page = read(&site, "policies/first-response-time.html");
    assert!(page.contains("Until then it does not apply"), "{page}");
}
