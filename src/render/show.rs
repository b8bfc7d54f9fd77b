//! `show`: one policy's text with where it stands (human), or one document (JSON).

use super::json;
use super::time::{Time, moment};
use crate::history::Revision;
use crate::history::standing::{At, Standing};
use jiff::tz::TimeZone;
use serde_json::json;
use std::fmt::Write;

/// What `show` says on stderr when the text shown was not in force at the moment asked
/// (`None` when it was).
pub fn standing_note(id: &str, a: &At, tz: &TimeZone, tz_name: &str) -> Option<String> {
    Some(match a.standing {
        Standing::NotYet => format!("`{id}` had not been added to the handbook at that time"),
        Standing::Upcoming => format!(
            "`{id}` was not yet in force: it comes into force {}",
            moment(a.in_force_from, tz, tz_name)
        ),
        Standing::Retired => format!(
            "`{id}` was retired {} (showing its last text)",
            moment(a.retired.map(|r| r.landed.seconds), tz, tz_name)
        ),
        Standing::InForce => return None,
    })
}

pub fn human(
    id: &str,
    a: &At,
    text: Option<&str>,
    summary: &str,
    tz: &TimeZone,
    tz_name: &str,
) -> String {
    let mut out = String::new();
    let Some(r) = a.revision else {
        let _ = writeln!(out, "{id}: not in the handbook at that time");
        return out;
    };
    let revision = r.revision.map_or_else(|| "-".to_owned(), |n| n.to_string());
    let _ = writeln!(
        out,
        "{id}  revision {revision}  {}  {}",
        a.standing.as_str().replace('_', " "),
        a.path.unwrap_or(&r.path)
    );
    if let Some(from) = a.in_force_from {
        let _ = writeln!(out, "in force from {}", moment(Some(from), tz, tz_name));
    }
    let _ = writeln!(
        out,
        "landed {} in {} ({summary}), by {}",
        moment(Some(r.landed.seconds), tz, tz_name),
        &r.commit.to_string()[..10],
        r.author_name
    );
    if let Some(next) = a.next {
        let revision = next.revision.map_or_else(|| "-".into(), |n| n.to_string());
        let landed = moment(Some(next.landed.seconds), tz, tz_name);
        match a.next_from {
            Some(from) => {
                let _ = writeln!(
                    out,
                    "upcoming: revision {revision} (landed {landed}) applies from {}; it is the text people are asked to acknowledge",
                    moment(Some(from), tz, tz_name)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "upcoming: a newer text (revision {revision}) landed {landed} and is not in force yet"
                );
            }
        }
    }
    out.push('\n');
    out.push_str(text.unwrap_or(""));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

pub fn json(id: &str, moment: i64, a: &At, text: Option<&str>, tz: &TimeZone) -> String {
    let stamp = |s: i64| Time::of_seconds(s, tz);
    let revision = |r: &Revision| {
        json!({
            "revision": r.revision,
            "change": r.change.as_str(),
            "path": r.path,
            "blob": r.blob.to_string(),
            "commit": r.commit.to_string(),
            "landed": Time::of(r.landed, tz),
            "author": { "name": r.author_name, "email": r.author_email, "time": Time::of(r.authored, tz) },
            "subject": r.subject,
        })
    };
    json::pretty(&json!({
        "version": 1,
        "id": id,
        "at": stamp(moment),
        "standing": a.standing.as_str(),
        "in_force_from": a.in_force_from.map(stamp),
        "path": a.path,
        "shown": a.revision.map(revision),
        "next": a.next.map(revision),
        "next_in_force_from": a.next_from.map(stamp),
        "retired": a.retired.map(revision),
        "text": text,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Change, Stamp};

    fn revision() -> Revision {
        Revision {
            id: "handover".into(),
            change: Change::Added,
            review: false,
            revision: Some(1),
            path: "policies/handover.yaml".into(),
            old_path: None,
            blob: git2::Oid::from_str("1111111111111111111111111111111111111111").unwrap(),
            commit: git2::Oid::from_str("2222222222222222222222222222222222222222").unwrap(),
            landed: Stamp {
                seconds: 1_767_603_600,
                offset_minutes: 0,
            },
            authored: Stamp {
                seconds: 1_767_603_600,
                offset_minutes: 0,
            },
            author_name: "Ana Diaz".into(),
            author_email: "ana@example.com".into(),
            subject: "Add handover".into(),
        }
    }

    #[test]
    fn the_text_with_where_it_stands() {
        let r = revision();
        let at = At {
            standing: Standing::InForce,
            revision: Some(&r),
            path: None,
            in_force_from: Some(r.landed.seconds),
            next: None,
            next_from: None,
            retired: None,
        };
        let text = human(
            "handover",
            &at,
            Some("id: handover"),
            "Add handover",
            &TimeZone::UTC,
            "UTC",
        );
        insta::assert_snapshot!(text, @r"
        handover  revision 1  in force  policies/handover.yaml
        in force from 2026-01-05 09:00 UTC
        landed 2026-01-05 09:00 UTC in 2222222222 (Add handover), by Ana Diaz

        id: handover
        ");
        assert_eq!(standing_note("handover", &at, &TimeZone::UTC, "UTC"), None);
        let doc: serde_json::Value =
            serde_json::from_str(&json("handover", 0, &at, Some("x"), &TimeZone::UTC)).unwrap();
        assert_eq!(doc["standing"], "in_force");
        assert_eq!(doc["shown"]["revision"], 1);
    }

    #[test]
    fn nothing_landed_yet() {
        let at = At {
            standing: Standing::NotYet,
            revision: None,
            path: None,
            in_force_from: None,
            next: None,
            next_from: None,
            retired: None,
        };
        assert_eq!(
            human("x", &at, None, "", &TimeZone::UTC, "UTC"),
            "x: not in the handbook at that time\n"
        );
        assert!(
            standing_note("x", &at, &TimeZone::UTC, "UTC")
                .unwrap()
                .contains("had not been added")
        );
    }
}
