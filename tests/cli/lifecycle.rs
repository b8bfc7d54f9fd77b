//! The acknowledgement lifecycle (issue 14): due dates from the day a person is covered
//! (joining, `joined:`, `acks.start`, a wider `applies_to`, moving teams), expiry after
//! `ack_every` and renewal, exemptions, and witnessed time, on handbooks committed with
//! fixed times (Europe/Madrid, 14 days to acknowledge).

use crate::acks::{DAY, T0, at, commit, handbook};
use crate::harness::{Handbook, NORM, ROSTER, Run, SETTINGS, run_env};
use serde_json::Value;

const CY: &str =
    "  - { id: cy, name: Cy Ruiz, email: cy@example.com, teams: [tier1], roles: [agent] }\n";

/// The `acks --format json` document at `epoch`.
pub fn doc(hb: &Handbook, extra: &[&str], epoch: i64) -> Value {
    let mut args = vec!["acks", "--format", "json"];
    args.extend_from_slice(extra);
    let run = at(hb, &args, epoch);
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    run.json()
}

/// One person's row for one policy (`Null` when not listed).
pub fn row<'d>(doc: &'d Value, policy: &str, person: &str) -> &'d Value {
    doc["policies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["id"] == policy)
        .flat_map(|p| p["people"].as_array().unwrap().iter())
        .find(|r| r["person"] == person)
        .unwrap_or(&Value::Null)
}

/// `status[/overdue] due due_clock covered_since` of one row, `-` when not listed.
pub fn line(doc: &Value, policy: &str, person: &str) -> String {
    let r = row(doc, policy, person);
    if r.is_null() {
        return "-".into();
    }
    let mut s = r["status"].as_str().unwrap().to_owned();
    if r["overdue"] == true {
        s.push_str("/overdue");
    }
    for key in ["due", "due_clock", "covered_since"] {
        s.push(' ');
        s.push_str(r[key].as_str().unwrap_or("null"));
    }
    s
}

/// `ack` recorded at `claimed` (what the entry says) while reports judge at `now`.
fn ack_claiming(hb: &Handbook, args: &[&str], now: i64, claimed: i64) -> Run {
    run_env(
        hb.path(),
        args,
        &[
            ("SOURCE_DATE_EPOCH", &now.to_string()),
            ("GIT_COMMITTER_DATE", &format!("@{claimed} +0000")),
        ],
    )
}

/// `acks evidence`'s status of `person` for `policy` at `epoch`.
fn evidence_status(hb: &Handbook, person: &str, policy: &str, epoch: i64) -> String {
    let run = at(
        hb,
        &[
            "acks", "evidence", "--person", person, "--policy", policy, "--format", "json",
        ],
        epoch,
    );
    // Exit 1 when the person never acknowledged it.
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    run.json()["status"].as_str().unwrap().to_owned()
}

fn ok(run: Run) -> Run {
    assert_eq!(run.code, 0, "{run:?}");
    run
}

#[test]
fn a_joiner_is_due_from_joining_and_not_overdue_before() {
    let hb = handbook(ROSTER, "ana@example.com");
    hb.write("people.yaml", format!("{ROSTER}{CY}"));
    commit(hb.path(), "Cy joins", T0 + 30 * DAY);
    let d = doc(&hb, &[], T0 + 31 * DAY);
    // 2026-02-04 10:00 Madrid plus 14 days.
    assert_eq!(
        line(&d, "stepping-away", "cy"),
        "never 2026-02-18T10:00:00+01:00 covered 2026-02-04T10:00:00+01:00"
    );
    assert_eq!(
        line(&d, "stepping-away", "bo"),
        "never/overdue 2026-01-19T10:00:00+01:00 in-force 2026-01-05T10:00:00+01:00"
    );
    let r = row(&d, "stepping-away", "cy");
    assert_eq!(r["name"], "Cy Ruiz");
    assert_eq!(r["email"], "cy@example.com");
    assert_eq!(r["teams"], serde_json::json!(["tier1"]));
    assert_eq!(d["version"], 2);
    let late = doc(&hb, &[], T0 + 44 * DAY + 3600);
    assert!(line(&late, "stepping-away", "cy").starts_with("never/overdue "));
    // People read it too: which clock set the date.
    let human = at(&hb, &["acks", "--person", "cy"], T0 + 31 * DAY);
    assert!(
        human
            .stdout
            .contains("never    cy  Cy Ruiz  due 2026-02-18 (covered since 2026-02-04)"),
        "{}",
        human.stdout
    );
}

/// Two policies with different `ack_due_days` give a joiner two due dates from the same
/// day of joining (the report once shared one due date per starting moment across
/// policies).
#[test]
fn a_joiners_due_dates_follow_each_policys_days() {
    let hb = handbook(ROSTER, "ana@example.com");
    hb.write(
        "policies/norms/stepping-away.yaml",
        format!("{NORM}ack_due_days: 7\n"),
    );
    commit(hb.path(), "A week for stepping away", T0 + DAY);
    hb.write("people.yaml", format!("{ROSTER}{CY}"));
    commit(hb.path(), "Cy joins", T0 + 30 * DAY);
    let d = doc(&hb, &[], T0 + 31 * DAY);
    assert_eq!(
        line(&d, "stepping-away", "cy"),
        "never 2026-02-11T10:00:00+01:00 covered 2026-02-04T10:00:00+01:00"
    );
    assert_eq!(
        line(&d, "qa-score", "cy"),
        "never 2026-02-18T10:00:00+01:00 covered 2026-02-04T10:00:00+01:00"
    );
}

#[test]
fn joined_replaces_a_first_appearance_on_the_roster() {
    let hb = handbook(ROSTER, "ana@example.com");
    // Added to the roster late, with the HR start date.
    hb.write(
        "people.yaml",
        format!("{ROSTER}{}", CY.replace(" }\n", ", joined: 2026-01-20 }\n")),
    );
    commit(hb.path(), "Cy joins (added late)", T0 + 30 * DAY);
    let d = doc(&hb, &[], T0 + 31 * DAY);
    assert_eq!(
        line(&d, "stepping-away", "cy"),
        "never/overdue 2026-02-03T00:00:00+01:00 joined 2026-01-20T00:00:00+01:00"
    );
    // Coverage that starts later than the first appearance keeps its own start: cy
    // becomes a lead (qa-score widened to leads) after joining.
    let roster = format!("{ROSTER}{CY}")
        .replace("roles: [agent] }\n", "roles: [agent] }\n")
        .replace(
            "email: cy@example.com, teams: [tier1], roles: [agent] }",
            "email: cy@example.com, teams: [tier1], roles: [lead], joined: 2026-01-20 }",
        );
    hb.write("people.yaml", &roster);
    commit(hb.path(), "Cy is a lead now", T0 + 32 * DAY);
    hb.write(
        "policies/metrics/qa-score.yaml",
        crate::harness::METRIC.replace("applies_to: [agent]", "applies_to: [agent, lead]"),
    );
    commit(hb.path(), "QA score for leads too", T0 + 33 * DAY);
    let d = doc(&hb, &[], T0 + 34 * DAY);
    assert_eq!(
        line(&d, "qa-score", "cy"),
        "never 2026-02-21T10:00:00+01:00 covered 2026-02-07T10:00:00+01:00"
    );
}

#[test]
fn nothing_is_due_before_acks_start() {
    let hb = handbook(ROSTER, "ana@example.com");
    hb.write(
        "normsctl.yaml",
        format!("{SETTINGS}acks:\n  start: 2026-03-01\n"),
    );
    commit(hb.path(), "Roll out on 1 March", T0 + DAY);
    let d = doc(&hb, &[], T0 + 40 * DAY);
    assert_eq!(
        line(&d, "stepping-away", "bo"),
        "never 2026-03-15T00:00:00+01:00 acks-start 2026-03-01T00:00:00+01:00"
    );
}

#[test]
fn widening_applies_to_makes_only_the_newly_covered_due_from_then() {
    let hb = handbook(ROSTER, "ana@example.com");
    let d = doc(&hb, &[], T0 + DAY);
    assert_eq!(line(&d, "qa-score", "ana"), "-");
    hb.write(
        "policies/metrics/qa-score.yaml",
        crate::harness::METRIC.replace("applies_to: [agent]", "applies_to: [agent, lead]"),
    );
    commit(hb.path(), "QA score for leads too", T0 + 10 * DAY);
    let d = doc(&hb, &[], T0 + 20 * DAY);
    assert_eq!(
        line(&d, "qa-score", "ana"),
        "never 2026-01-29T10:00:00+01:00 covered 2026-01-15T10:00:00+01:00"
    );
    assert_eq!(
        line(&d, "qa-score", "bo"),
        "never/overdue 2026-01-19T10:00:00+01:00 in-force 2026-01-05T10:00:00+01:00"
    );
}

#[test]
fn moving_teams_starts_coverage_and_losing_it_starts_it_again() {
    let roster = ROSTER.replace(
        "teams:\n",
        "teams:\n  - { id: tier2, name: Tier 2, timezone: Asia/Manila }\n",
    );
    let hb = handbook(&roster, "ana@example.com");
    hb.write(
        "policies/norms/stepping-away.yaml",
        format!("{NORM}applies_to: [tier2]\n"),
    );
    commit(hb.path(), "Tier 2 only", T0 + DAY);
    let move_bo = |team: &str, t: i64| {
        hb.write(
            "people.yaml",
            roster.replace(
                "email: [bo@example.com, bo@home.example], teams: [tier1]",
                &format!("email: [bo@example.com, bo@home.example], teams: [{team}]"),
            ),
        );
        commit(hb.path(), &format!("bo to {team}"), t);
    };
    move_bo("tier2", T0 + 20 * DAY);
    let d = doc(&hb, &[], T0 + 21 * DAY);
    // Dates about bo are in his team's zone (Manila, UTC+8).
    assert_eq!(
        line(&d, "stepping-away", "bo"),
        "never 2026-02-08T17:00:00+08:00 covered 2026-01-25T17:00:00+08:00"
    );
    move_bo("tier1", T0 + 25 * DAY);
    assert_eq!(
        line(&doc(&hb, &[], T0 + 26 * DAY), "stepping-away", "bo"),
        "-"
    );
    move_bo("tier2", T0 + 40 * DAY);
    assert_eq!(
        line(&doc(&hb, &[], T0 + 41 * DAY), "stepping-away", "bo"),
        "never 2026-02-28T17:00:00+08:00 covered 2026-02-14T17:00:00+08:00"
    );
}

#[test]
fn an_acknowledgement_expires_after_ack_every_and_is_renewed() {
    let hb = handbook(ROSTER, "ana@example.com");
    hb.write(
        "normsctl.yaml",
        format!("{SETTINGS}acks:\n  every: 12 months\n"),
    );
    commit(hb.path(), "Yearly", T0 + 3600);
    ok(at(&hb, &["ack", "stepping-away"], T0 + DAY));
    let d = doc(&hb, &[], T0 + 300 * DAY);
    let r = row(&d, "stepping-away", "ana");
    assert_eq!(r["status"], "current");
    assert_eq!(r["expires"], "2027-01-06T10:00:00+01:00");
    assert_eq!(r["late_days"], 0);
    // Too early to renew: a no-op, as before.
    let early = ok(at(&hb, &["ack", "stepping-away"], T0 + 330 * DAY));
    assert!(
        early.stdout.contains("had already acknowledged"),
        "{early:?}"
    );
    assert_eq!(
        evidence_status(&hb, "ana", "stepping-away", T0 + 300 * DAY),
        "current"
    );
    let d = doc(&hb, &[], T0 + 367 * DAY);
    assert_eq!(
        line(&d, "stepping-away", "ana"),
        "expired 2027-01-20T10:00:00+01:00 expired 2027-01-06T10:00:00+01:00"
    );
    // Evidence says what the report says.
    assert_eq!(
        evidence_status(&hb, "ana", "stepping-away", T0 + 367 * DAY),
        "expired"
    );
    let d = doc(&hb, &[], T0 + 382 * DAY);
    assert!(line(&d, "stepping-away", "ana").starts_with("expired/overdue "));
    // Within ack_due_days of expiring (or past it), `ack` records a new entry.
    let renewed = ok(at(&hb, &["ack", "stepping-away"], T0 + 383 * DAY));
    assert!(
        renewed.stdout.contains("ana acknowledged stepping-away r1"),
        "{renewed:?}"
    );
    let d = doc(&hb, &[], T0 + 384 * DAY);
    let r = row(&d, "stepping-away", "ana");
    assert_eq!(r["status"], "current");
    assert_eq!(r["expires"], "2028-01-23T10:00:00+01:00");
    // The newest is shown, the first is kept; renewed 3 days after its due date.
    assert_eq!(r["late_days"], 3);
    assert_eq!(
        r["first_acknowledgement"]["recorded"],
        "2026-01-06T10:00:00+01:00"
    );
    assert_ne!(
        r["acknowledgement"]["entry"],
        r["first_acknowledgement"]["entry"]
    );
}

#[test]
fn an_exemption_holds_and_due_starts_from_its_end() {
    let roster = ROSTER.replace(
        "teams: [tier1], roles: [agent] }",
        "teams: [tier1], roles: [agent], exempt: [{ policies: [stepping-away], until: 2026-01-31, reason: leave, ref: HR-12 }] }",
    );
    let hb = handbook(&roster, "ana@example.com");
    assert_eq!(hb.validate(&[]).code, 0);
    let d = doc(&hb, &[], T0 + 20 * DAY);
    assert_eq!(line(&d, "stepping-away", "bo"), "exempt null null null");
    // Evidence says what the report says.
    assert_eq!(
        evidence_status(&hb, "bo", "stepping-away", T0 + 20 * DAY),
        "exempt"
    );
    assert_eq!(
        evidence_status(&hb, "bo", "stepping-away", T0 + 32 * DAY),
        "never"
    );
    assert_eq!(
        row(&d, "stepping-away", "bo")["exemption"]["reason"],
        Value::Null
    );
    assert_eq!(
        line(&d, "qa-score", "bo").split(' ').next(),
        Some("never/overdue")
    );
    let counts = &d["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "stepping-away")
        .unwrap()["counts"];
    assert_eq!(
        (counts["must"].as_u64(), counts["exempt"].as_u64()),
        (Some(1), Some(1))
    );
    let plain = at(&hb, &["acks", "--person", "bo"], T0 + 20 * DAY);
    assert!(
        plain.stdout.contains("exempt until 2026-01-31"),
        "{plain:?}"
    );
    assert!(!plain.stdout.contains("leave"), "{plain:?}");
    let reasons = at(
        &hb,
        &["acks", "--person", "bo", "--show-reasons"],
        T0 + 20 * DAY,
    );
    assert!(
        reasons
            .stdout
            .contains("exempt until 2026-01-31 [leave, HR-12]"),
        "{reasons:?}"
    );
    let d = doc(&hb, &[], T0 + 32 * DAY);
    assert_eq!(
        line(&d, "stepping-away", "bo"),
        "never 2026-02-15T00:00:00+01:00 exemption-ended 2026-02-01T00:00:00+01:00"
    );
    assert!(
        line(&doc(&hb, &[], T0 + 42 * DAY), "stepping-away", "bo").starts_with("never/overdue ")
    );
}

#[test]
fn an_exemption_naming_an_unknown_policy_is_a_finding() {
    let roster = ROSTER.replace(
        "teams: [tier1], roles: [agent] }",
        "teams: [tier1], roles: [agent], exempt: [{ policies: [steping-away], reason: out-of-scope }] }",
    );
    let hb = handbook(&roster, "ana@example.com");
    let run = hb.validate(&[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.findings(), ["people.yaml:8:126 dangling-reference"]);
    assert!(
        run.stdout.contains("`bo` is exempt from `steping-away`")
            && run.stdout.contains("did you mean `stepping-away`?"),
        "{run:?}"
    );
    let bad_reason = ROSTER.replace(
        "teams: [tier1], roles: [agent] }",
        "teams: [tier1], roles: [agent], exempt: [{ policies: all, reason: sick }] }",
    );
    hb.write("people.yaml", bad_reason);
    let run = hb.validate(&[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("`sick` is not a valid reason"),
        "{run:?}"
    );
}

#[test]
fn a_future_dated_entry_does_not_delay_its_expiry() {
    let hb = handbook(ROSTER, "ana@example.com");
    hb.write(
        "normsctl.yaml",
        format!("{SETTINGS}acks:\n  every: 12 months\n"),
    );
    commit(hb.path(), "Yearly", T0 + 3600);
    // Written on day 1, claiming a time 200 days ahead; witnessed on day 2.
    ok(ack_claiming(
        &hb,
        &["ack", "stepping-away"],
        T0 + DAY,
        T0 + 200 * DAY,
    ));
    ok(at(&hb, &["acks", "witness"], T0 + 2 * DAY));
    let d = doc(&hb, &[], T0 + 3 * DAY);
    let r = row(&d, "stepping-away", "ana");
    assert_eq!(
        r["acknowledgement"]["recorded"],
        "2026-01-07T10:00:00+01:00"
    );
    assert_eq!(
        r["acknowledgement"]["witnessed"],
        "2026-01-07T10:00:00+01:00"
    );
    assert_eq!(r["expires"], "2027-01-07T10:00:00+01:00");
    let d = doc(&hb, &[], T0 + 368 * DAY);
    assert_eq!(row(&d, "stepping-away", "ana")["status"], "expired");
}

#[test]
fn a_backdated_entry_does_not_look_on_time() {
    let hb = handbook(ROSTER, "ana@example.com");
    // Written on day 30 (due on day 14), claiming day 1; witnessed on day 31.
    ok(ack_claiming(
        &hb,
        &["ack", "stepping-away"],
        T0 + 30 * DAY,
        T0 + DAY,
    ));
    ok(at(&hb, &["acks", "witness"], T0 + 31 * DAY));
    let d = doc(&hb, &[], T0 + 32 * DAY);
    let r = row(&d, "stepping-away", "ana");
    assert_eq!(r["status"], "current");
    assert_eq!(r["late_days"], 17);
    let human = at(&hb, &["acks", "--person", "ana"], T0 + 32 * DAY);
    assert!(human.stdout.contains("17 days late"), "{human:?}");
    // Not witnessed: said so, and never later than now.
    let hb = handbook(ROSTER, "ana@example.com");
    ok(ack_claiming(
        &hb,
        &["ack", "stepping-away"],
        T0 + DAY,
        T0 + 900 * DAY,
    ));
    let d = doc(&hb, &[], T0 + 2 * DAY);
    let r = row(&d, "stepping-away", "ana");
    assert_eq!(r["acknowledgement"]["witnessed"], Value::Null);
    assert_eq!(
        r["acknowledgement"]["recorded"],
        "2026-01-07T10:00:00+01:00"
    );
    let human = at(&hb, &["acks", "--person", "ana"], T0 + 2 * DAY);
    assert!(human.stdout.contains("(not witnessed)"), "{human:?}");
}

#[test]
fn overdue_keeps_the_true_denominator_and_people_get_a_summary_line() {
    let hb = handbook(&crate::acks::big_roster(5), "ana@example.com");
    ok(at(&hb, &["ack", "stepping-away"], T0 + DAY));
    ok(at(&hb, &["ack", "stepping-away", "--as", "p00"], T0 + DAY));
    let run = at(&hb, &["acks", "--overdue"], T0 + 20 * DAY);
    assert!(
        run.stdout
            .contains("stepping-away r1  Say when you step away: 2 of 7 acknowledged, 5 overdue"),
        "{run:?}"
    );
    assert!(
        run.stdout.contains("  p01: 2 outstanding, 2 overdue\n"),
        "{run:?}"
    );
}
