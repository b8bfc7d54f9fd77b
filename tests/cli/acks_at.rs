//! `acks --at`: the whole report as it stood at a past moment (the roster then, the text
//! current then, only entries a witness held by then), on a scripted history.

use crate::acks::{DAY, T0, at, commit, handbook};
use crate::harness::{Handbook, NORM, ROSTER};
use crate::lifecycle::doc;

const CY: &str =
    "  - { id: cy, name: Cy Ruiz, email: cy@example.com, teams: [tier1], roles: [agent] }\n";

fn ok(hb: &Handbook, args: &[&str], t: i64) {
    let run = at(hb, args, t);
    assert_eq!(run.code, 0, "{run:?}");
}

/// Every row as `policy person status[/overdue] due`, sorted.
fn answers(hb: &Handbook, when: &str, now: i64) -> Vec<String> {
    let d = doc(hb, &["--at", when], now);
    let mut out = Vec::new();
    for p in d["policies"].as_array().unwrap() {
        for r in p["people"].as_array().unwrap() {
            let mut s = format!(
                "{} r{} {} {}",
                p["id"].as_str().unwrap(),
                p["revision"],
                r["person"].as_str().unwrap(),
                r["status"].as_str().unwrap()
            );
            if r["overdue"] == true {
                s.push_str("/overdue");
            }
            if let Some(due) = r["due"].as_str() {
                s.push(' ');
                s.push_str(&due[..10]);
            }
            out.push(s);
        }
    }
    out.sort();
    out
}

/// Two acknowledgements, a material change, a joiner and a late acknowledgement, with a
/// witness after each step.
fn scripted() -> Handbook {
    let hb = handbook(ROSTER, "ana@example.com");
    ok(&hb, &["ack", "stepping-away"], T0 + DAY);
    ok(&hb, &["acks", "witness"], T0 + 2 * DAY);
    hb.write(
        "policies/norms/stepping-away.yaml",
        NORM.replace("revision: 1", "revision: 2").replace(
            "Tell the channel.",
            "Tell the channel, and say when you are back.",
        ),
    );
    commit(hb.path(), "Stepping away r2", T0 + 10 * DAY);
    ok(
        &hb,
        &["ack", "stepping-away", "qa-score", "--as", "bo"],
        T0 + 12 * DAY,
    );
    ok(&hb, &["acks", "witness"], T0 + 13 * DAY);
    hb.write("people.yaml", format!("{ROSTER}{CY}"));
    commit(hb.path(), "Cy joins", T0 + 20 * DAY);
    ok(&hb, &["ack", "stepping-away"], T0 + 21 * DAY);
    ok(&hb, &["acks", "witness"], T0 + 22 * DAY);
    hb
}

#[test]
fn the_report_as_it_stood_on_three_past_days() {
    let hb = scripted();
    let now = T0 + 60 * DAY;
    assert_eq!(
        answers(&hb, "2026-01-08", now),
        [
            "qa-score r1 bo never 2026-01-19",
            "stepping-away r1 ana current",
            "stepping-away r1 bo never 2026-01-19",
        ]
    );
    // Ana's second acknowledgement was written on the 26th but witnessed on the 27th.
    assert_eq!(
        answers(&hb, "2026-01-26", now),
        [
            "qa-score r1 bo current",
            "qa-score r1 cy never 2026-02-08",
            "stepping-away r2 ana stale 2026-01-29",
            "stepping-away r2 bo current",
            "stepping-away r2 cy never 2026-02-08",
        ]
    );
    let run = at(&hb, &["acks", "--at", "2026-01-26"], now);
    assert!(
        run.stderr
            .contains("1 ledger entry is left out: no witness held it by then"),
        "{run:?}"
    );
    assert!(
        run.stdout.starts_with("as of 2026-01-26T23:59:59+01:00\n"),
        "{run:?}"
    );
    assert_eq!(
        answers(&hb, "2026-02-10", now),
        [
            "qa-score r1 bo current",
            "qa-score r1 cy never/overdue 2026-02-08",
            "stepping-away r2 ana current",
            "stepping-away r2 bo current",
            "stepping-away r2 cy never/overdue 2026-02-08",
        ]
    );
    // An exact moment works too, and one before the handbook existed is an error.
    assert_eq!(
        answers(&hb, "2026-01-08T12:00:00+01:00", now),
        answers(&hb, "2026-01-08", now)
    );
    let run = at(&hb, &["acks", "--at", "2025-12-01"], now);
    assert_eq!(run.code, 2, "{run:?}");
    let run = at(&hb, &["acks", "--at", "yesterday"], now);
    assert_eq!(run.code, 2, "{run:?}");
}

#[test]
fn a_quarter_audit_reads_and_prints_and_escapes_everything() {
    let hb = scripted();
    // A hostile title, landed after the period: the period's report does not see it.
    let now = T0 + 100 * DAY;
    let run = at(
        &hb,
        &[
            "acks",
            "audit",
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
        ],
        now,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let md = regex_free_redact(&run.stdout);
    insta::assert_snapshot!("acks_audit_quarter", md);
    // The HTML: one well-formed page, every value escaped.
    hb.write(
        "policies/norms/stepping-away.yaml",
        NORM.replace("revision: 1", "revision: 2")
            .replace(
                "Tell the channel.",
                "Tell the channel, and say when you are back.",
            )
            .replace(
                "title: Say when you step away",
                "title: \"<script>alert(1)</script> & 'x' | # [y](z)\"",
            ),
    );
    commit(hb.path(), "Hostile title", T0 + 30 * DAY);
    let run = at(
        &hb,
        &[
            "acks",
            "audit",
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--format",
            "html",
        ],
        now,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let html = &run.stdout;
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#39;x&#39; | # [y](z)"),
        "{html}"
    );
    assert!(html.contains("@page { size: A4"), "{html}");
    let doc = roxmltree::Document::parse_with_options(
        html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}\n{html}"));
    let cells = doc.descendants().filter(|n| n.has_tag_name("td")).count();
    assert_eq!(cells, 8 * 5, "{html}");
    let md = at(
        &hb,
        &[
            "acks",
            "audit",
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
        ],
        now,
    );
    assert!(
        md.stdout
            .contains("&lt;script&gt;alert\\(1\\)&lt;/script&gt; &amp; 'x' \\| \\# \\[y\\]\\(z\\)"),
        "{}",
        md.stdout
    );
    let json = at(
        &hb,
        &[
            "acks",
            "audit",
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--format",
            "json",
        ],
        now,
    )
    .json();
    assert_eq!(json["verified"], true);
    let late = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["person"] == "cy" && r["policy"] == "stepping-away")
        .unwrap();
    assert_eq!(late["status"], "never");
    assert_eq!(late["overdue"], true);
    // Reversed periods are refused.
    let run = at(
        &hb,
        &[
            "acks",
            "audit",
            "--from",
            "2026-03-01",
            "--to",
            "2026-01-31",
        ],
        now,
    );
    assert_eq!(run.code, 2, "{run:?}");
}

/// Commit and entry ids replaced by their kind (they change with the tool's version).
fn regex_free_redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut hex = String::new();
    let flush = |hex: &mut String, out: &mut String| {
        if hex.len() >= 12 {
            out.push_str(if hex.len() == 40 { "[OID]" } else { "[SHORT]" });
        } else {
            out.push_str(hex);
        }
        hex.clear();
    };
    for c in text.chars() {
        if c.is_ascii_hexdigit() && !c.is_ascii_uppercase() {
            hex.push(c);
        } else {
            flush(&mut hex, &mut out);
            out.push(c);
        }
    }
    flush(&mut hex, &mut out);
    out
}

/// `acks --at` judges with the settings as they stood then on the handbook line: a later
/// change of `acks.due_days` or `acks.start` does not rewrite the past.
#[test]
fn the_past_is_judged_with_the_settings_of_then() {
    let hb = crate::acks::handbook(ROSTER, "ana@example.com");
    ok(&hb, &["ack", "stepping-away"], T0 + DAY);
    ok(&hb, &["acks", "witness"], T0 + 2 * DAY);
    // Later, the team gives 30 days and starts the rollout over on 2026-03-01.
    hb.write(
        "normsctl.yaml",
        format!(
            "{}acks:\n  due_days: 30\n  start: 2026-03-01\n",
            crate::harness::SETTINGS
        ),
    );
    commit(hb.path(), "Thirty days, rollout in March", T0 + 40 * DAY);
    let now = T0 + 50 * DAY;
    // As of 2026-01-25 the settings were the defaults (14 days, no rollout date).
    assert_eq!(
        answers(&hb, "2026-01-25", now),
        [
            "qa-score r1 bo never/overdue 2026-01-19",
            "stepping-away r1 ana current",
            "stepping-away r1 bo never/overdue 2026-01-19",
        ]
    );
    // Today's report uses today's settings: nothing is due before the rollout.
    assert_eq!(
        answers(&hb, "2026-02-24", now),
        [
            "qa-score r1 bo never 2026-03-31",
            "stepping-away r1 ana current",
            "stepping-away r1 bo never 2026-03-31",
        ]
    );
}

/// `acks audit`: a current row shows the due date its acknowledgement met (and the clock
/// that set it), not an empty cell.
#[test]
fn an_audits_current_rows_show_the_due_date_they_met() {
    let hb = scripted();
    let run = at(
        &hb,
        &[
            "acks",
            "audit",
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--format",
            "json",
        ],
        T0 + 100 * DAY,
    );
    assert_eq!(run.code, 0, "{run:?}");
    let doc = run.json();
    let row = |policy: &str, person: &str| {
        doc["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["policy"] == policy && r["person"] == person)
            .cloned()
            .unwrap()
    };
    // Stepping-away r2 landed 2026-01-15 10:00 (Madrid): due 14 days later. Bo met it on
    // the 17th, ana on the 26th (witnessed on the 27th).
    for person in ["bo", "ana"] {
        let r = row("stepping-away", person);
        assert_eq!(r["status"], "current", "{r}");
        assert_eq!(r["due"], "2026-01-29T10:00:00+01:00", "{r}");
        assert_eq!(r["due_clock"], "in-force", "{r}");
        assert_eq!(r["late_days"], 0, "{r}");
    }
    // Cy joined on the 25th and never acknowledged: due from joining, as before.
    let r = row("stepping-away", "cy");
    assert_eq!(r["status"], "never", "{r}");
    assert_eq!(r["due_clock"], "covered", "{r}");
}
