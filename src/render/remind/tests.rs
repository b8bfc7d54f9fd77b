//! Unit tests of the digests' renderers.

use super::as_json::json_whole;
use super::*;
use crate::model::remind::{PolicyCount, Recipient};
use std::sync::Arc;

fn recipient(id: &str) -> Recipient {
    Recipient {
        id: id.into(),
        name: format!("{id} \u{202e}\"Q\" <x>"),
        email: Some(format!("{id}@example.com")),
    }
}

/// Two people sharing items (one with a briefing), a lead, a team.
fn digests() -> Digests {
    let briefing = Arc::new(Briefing {
        from_revision: 1,
        to_revision: 2,
        fields: vec![("Title".into(), Some("Old".into()), None)],
        body: Some(vec![
            (WordOp::Equal, "Tell the ".into()),
            (WordOp::Delete, "channel".into()),
            (WordOp::Insert, "team\nchannel".into()),
            (WordOp::Equal, ".\n".into()),
        ]),
    });
    let stale = Arc::new(Item {
        policy: "a".into(),
        title: "A <b>".into(),
        revision: 2,
        state: State::Stale,
        held_revision: Some(1),
        due: Some(1_767_603_600),
        overdue_days: Some(3),
        link: Some("https://h.example/policies/a.html".into()),
        briefing: Some(briefing),
    });
    let never = Arc::new(Item {
        policy: "b".into(),
        title: "B\ttab".into(),
        revision: 1,
        state: State::Never,
        held_revision: None,
        due: None,
        overdue_days: None,
        link: None,
        briefing: None,
    });
    let bo = PersonDigest {
        to: recipient("bo"),
        items: vec![stale.clone(), never.clone()],
    };
    let cy = PersonDigest {
        to: recipient("cy"),
        items: vec![stale.clone()],
    };
    Digests {
        people: vec![bo.clone(), cy.clone()],
        leads: vec![LeadDigest {
            to: recipient("ana"),
            team_id: "t".into(),
            team: "Team \"T\"".into(),
            people: vec![bo, cy],
        }],
        teams: vec![TeamSummary {
            team_id: "t".into(),
            team: "Team".into(),
            people_outstanding: 2,
            people_overdue: 2,
            policies: vec![PolicyCount {
                policy: "a".into(),
                title: "A <b>".into(),
                outstanding: 2,
                overdue: 2,
                link: None,
            }],
        }],
        title: "Handbook".into(),
        base_url: Some("https://h.example/".into()),
        now: 1_767_603_600 + 3 * 86_400,
    }
}

#[test]
fn the_streamed_json_is_the_document_serde_json_writes_whole() {
    let tz = TimeZone::UTC;
    let d = digests();
    assert_eq!(json(&d, &tz), json_whole(&d, &tz));
    let empty = Digests::default();
    assert_eq!(json(&empty, &tz), json_whole(&empty, &tz));
    let mut no_leads = digests();
    no_leads.leads.clear();
    no_leads.teams.clear();
    assert_eq!(json(&no_leads, &tz), json_whole(&no_leads, &tz));
    serde_json::from_str::<serde_json::Value>(&json(&d, &tz)).unwrap();
}

#[test]
fn items_rendered_once_read_as_items_rendered_each_time() {
    let tz = TimeZone::UTC;
    let d = digests();
    let shared = Zone::of(&d, &tz);
    let bare = Zone {
        tz: &tz,
        dates: HashMap::new(),
        briefings: HashMap::new(),
        items: HashMap::new(),
    };
    for p in &d.people {
        assert_eq!(person_text(p, &d, &shared), person_text(p, &d, &bare));
        assert_eq!(
            mail::person_html(p, &d, &shared),
            mail::person_html(p, &d, &bare)
        );
    }
    let l = &d.leads[0];
    assert_eq!(lead_text(l, &shared), lead_text(l, &bare));
    let text = person_text(&d.people[0], &d, &shared);
    assert!(text.starts_with("Hello bo \\u202e\"Q\" <x>,\n\nYou have 2 policies of Handbook to acknowledge (1 overdue).\n\n1. A <b> (a), revision 2: overdue by 3 days (was due 2026-01-05)\n"), "{text}");
    assert!(
        text.contains("\n2. B\\x09tab (b), revision 1: due date unknown\n"),
        "{text}"
    );
    assert!(
        text.ends_with(
            "  normsctl ack a b\n(or `normsctl ack --pending` for everything outstanding).\n"
        ),
        "{text}"
    );
    // What is printed has every hostile character escaped.
    let printed = super::text(&d, &tz);
    assert!(
        !printed.contains('\u{202e}') && printed.contains("bo \\u202e\"Q\""),
        "{printed}"
    );
}
