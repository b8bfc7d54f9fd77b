use super::*;
use crate::model::ack::{Clock, Exempt, Former, Row, Since, State, Totals};
use crate::model::{Every, ExemptReason};

const T0: i64 = 1_767_603_600;

fn needs() -> Vec<Need> {
    vec![Need {
        id: "handover".into(),
        title: "Handover".into(),
        revision: 2,
        path: "policies/handover.yaml".into(),
        blob: "1111111111111111111111111111111111111111".into(),
        applies_to: vec!["everyone".into()],
        due: Some(T0),
        in_force: Some(T0 - 14 * 86_400),
        due_days: 14,
        every: Every::NEVER,
    }]
}

fn held() -> Vec<Held> {
    vec![Held {
        person: "bo".into(),
        policy: "handover".into(),
        revision: 1,
        id: "4444444444444444444444444444444444444444".into(),
        time: "2026-01-04T10:00:00+01:00".into(),
        seconds: T0 - 86_400,
        recorded: T0 - 86_400,
        witnessed: None,
        writer_name: "Ana Diaz".into(),
        writer_email: "ana@example.com".into(),
        by_other: true,
        current: false,
    }]
}

const TEAMS: &[String] = &[];

fn report<'a>(held: &'a [Held], exempt: &'a Exempt) -> Report<'a> {
    let row = |person, name, state, h| Row {
        policy: "handover",
        revision: 2,
        person,
        name,
        emails: &[],
        teams: TEAMS,
        timezone: None,
        state,
        held: h,
        first: None,
        due: Some(T0),
        since: Some(Since {
            clock: Clock::InForce,
            at: T0 - 14 * 86_400,
        }),
        expires: None,
        late_days: None,
        answered: None,
        answered_due: None,
        exemption: None,
        overdue: state != State::Current,
    };
    let mut cy = row("cy", "Cy Ñúñez", State::Never, None);
    cy.since = Some(Since {
        clock: Clock::Covered,
        at: T0 - 86_400,
    });
    cy.due = Some(T0 + 13 * 86_400);
    cy.overdue = false;
    let mut dee = row("dee", "Dee", State::Exempt, None);
    dee.exemption = Some(exempt);
    dee.overdue = false;
    Report {
        rows: vec![
            row("ana", "Ana", State::Current, None),
            cy,
            row("bo", "Bo", State::Stale, Some(&held[0])),
            dee,
        ],
        spans: std::iter::once(0..4).collect(),
        totals: vec![Totals {
            must: 3,
            current: 1,
            stale: 1,
            never: 1,
            exempt: 1,
            overdue: 1,
            expired: 0,
        }],
        former: vec![Former {
            person: "zed".into(),
            held: held.to_vec(),
        }],
    }
}

fn exempt() -> Exempt {
    Exempt {
        policies: None,
        until: Some("2026-03-31".into()),
        reason: ExemptReason::Leave,
        reference: Some("HR-12".into()),
    }
}

fn view(tz: &jiff::tz::TimeZone, all: bool, show_reasons: bool) -> View<'_> {
    View {
        tz,
        no_history: false,
        all,
        show_reasons,
        at: None,
    }
}

fn text(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    write(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn human_lists_who_is_outstanding_overdue_first_aligned() {
    let (needs, held, ex) = (needs(), held(), exempt());
    let r = report(&held, &ex);
    let tz = jiff::tz::TimeZone::UTC;
    insta::assert_snapshot!(text(|w| human(w, &r, &needs, &view(&tz, false, false))), @r"
    handover r2  Handover: 1 of 3 acknowledged, 1 overdue, 1 exempt  (due 2026-01-05)
      stale    bo  Bo        r1 on 2026-01-04 (not witnessed), written by Ana Diaz <ana@example.com>; due 2026-01-05 (in force since 2025-12-22)  OVERDUE
      never    cy  Cy Ñúñez  due 2026-01-18 (covered since 2026-01-04)
    by person:
      cy: 1 outstanding
      bo: 1 outstanding, 1 overdue
    people no longer on the roster:
      zed  handover r1
    ");
    let all = text(|w| human(w, &r, &needs, &view(&tz, true, false)));
    assert!(all.contains("  current  ana  Ana\n"), "{all}");
    assert!(all.contains("exempt until 2026-03-31\n"), "{all}");
    assert!(!all.contains("leave"), "reasons only when asked: {all}");
    let reasons = text(|w| human(w, &r, &needs, &view(&tz, true, true)));
    assert!(
        reasons.contains("exempt until 2026-03-31 [leave, HR-12]"),
        "{reasons}"
    );
    let empty = Report {
        rows: vec![],
        spans: std::iter::once(0..0).collect(),
        totals: vec![Totals::default()],
        former: vec![],
    };
    assert_eq!(
        text(|w| human(w, &empty, &needs, &view(&tz, false, false))),
        "nothing to show\n"
    );
}

#[test]
fn entries_that_do_not_count_are_listed_with_their_reason() {
    let r = Rejected {
        person: "bo".into(),
        policy: "handover".into(),
        revision: 4_294_967_295,
        path: "05/bo/handover.r4294967295.x.ack".into(),
        reason: "bound to handbook commit 1234567890, which is not on the handbook line".into(),
    };
    let text = apart(std::slice::from_ref(&r), &[]);
    assert_eq!(
        text,
        "warning: 1 ledger entry does not count (`normsctl acks verify` tells the whole story):\n  bo handover r4294967295 (05/bo/handover.r4294967295.x.ack): bound to handbook commit 1234567890, which is not on the handbook line\n"
    );
    let u = Rejected {
        reason: "this clone does not hold the handbook's whole history".into(),
        ..r.clone()
    };
    assert!(
        apart(&[], &[u.clone(), u])
            .starts_with("warning: 2 ledger entries cannot be checked here, so they do not count")
    );
    assert_eq!(apart(&[], &[]), "");
}

#[test]
fn json_and_csv_hold_every_row() {
    let (needs, held, ex) = (needs(), held(), exempt());
    let r = report(&held, &ex);
    let tz = jiff::tz::TimeZone::UTC;
    let v = view(&tz, false, false);
    let doc: serde_json::Value =
        serde_json::from_str(&text(|w| json(w, &r, &needs, &v, T0, (&[], &[])))).unwrap();
    assert_eq!(doc["version"], 2);
    assert_eq!(doc["complete"], false);
    assert_eq!(doc["rejected"], serde_json::json!([]));
    assert_eq!(doc["now"], "2026-01-05T09:00:00+00:00");
    assert_eq!(doc["policies"][0]["counts"]["must"], 3);
    assert_eq!(doc["policies"][0]["counts"]["exempt"], 1);
    assert_eq!(doc["policies"][0]["every"], "none");
    let cy = &doc["policies"][0]["people"][1];
    assert_eq!(cy["name"], "Cy Ñúñez");
    assert_eq!(cy["due_clock"], "covered");
    assert_eq!(cy["covered_since"], "2026-01-04T09:00:00+00:00");
    let dee = &doc["policies"][0]["people"][3];
    assert_eq!(dee["exemption"]["until"], "2026-03-31");
    assert_eq!(dee["exemption"]["reason"], serde_json::Value::Null);
    assert_eq!(doc["former"][0]["person"], "zed");
    let csv = text(|w| csv(w, &r, &needs, &v));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert_eq!(lines[0], CSV_COLUMNS.join(","));
    assert_eq!(
        lines[3],
        "2,handover,Handover,2,bo,Bo,,,stale,true,2026-01-05T09:00:00+00:00,in-force,2025-12-22T09:00:00+00:00,1,2026-01-04T10:00:00+01:00,2026-01-04T09:00:00+00:00,,,,,4444444444444444444444444444444444444444,ana@example.com,true,,,"
    );
}
