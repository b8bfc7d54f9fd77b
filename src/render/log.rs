//! `log`: the revision history, one block per landing commit (human) or one document
//! (JSON).

use super::people::Line;
use super::time::{Time, in_zone};
use super::{Palette, json};
use crate::history::Revision;
use std::fmt::Write;

/// How a moment that cannot be placed on a calendar is shown (never as 1970).
pub const UNKNOWN: &str = "at an unknown time (the commit's time is out of range)";

/// Commits among `revisions` whose landing time is out of range: what `log` warns about.
pub fn unknown_times(revisions: &[&Revision]) -> Vec<String> {
    let mut out: Vec<String> = revisions
        .iter()
        .filter(|r| !r.landed.known())
        .map(|r| r.commit.to_string())
        .collect();
    out.dedup();
    out
}

/// One block per landing commit: when it landed (the team's zone and UTC), the commit and
/// its subject, who wrote the changes, then one line per policy it changed.
pub fn human(
    revisions: &[&Revision],
    tz: &jiff::tz::TimeZone,
    tz_name: &str,
    palette: Palette,
) -> String {
    let mut out = String::new();
    let bold = palette.style(anstyle::Style::new().bold());
    let by = |r: &Revision| {
        let written = if r.authored.known() {
            r.authored
                .zoned()
                .strftime("%Y-%m-%d %H:%M %:z")
                .to_string()
        } else {
            UNKNOWN.to_owned()
        };
        format!(
            "{} <{}>, written {written}",
            Line(&r.author_name),
            Line(&r.author_email),
        )
    };
    for group in revisions.chunk_by(|a, b| a.commit == b.commit) {
        let first = group[0];
        let local = in_zone(first.landed, tz);
        let utc = in_zone(first.landed, &jiff::tz::TimeZone::UTC);
        let also_utc = if local.offset() == utc.offset() && tz_name == "UTC" {
            String::new()
        } else {
            format!(" ({})", utc.strftime("%Y-%m-%d %H:%M UTC"))
        };
        let landed = if first.landed.known() {
            format!("{} {tz_name}{also_utc}", local.strftime("%Y-%m-%d %H:%M"))
        } else {
            UNKNOWN.to_owned()
        };
        let _ = writeln!(
            out,
            "{bold}{}{bold:#}  landed {landed}  {}",
            &first.commit.to_string()[..10],
            Line(&first.subject)
        );
        let one_author = group.iter().all(|r| by(r) == by(first));
        if one_author {
            let _ = writeln!(out, "    by {}", by(first));
        }
        let width = group.iter().map(|r| r.id.len()).max().unwrap_or(0);
        for r in group {
            let revision = r
                .revision
                .map_or_else(|| "-".to_owned(), |n| format!("r{n}"));
            let moved = r
                .old_path
                .as_ref()
                .map(|p| format!(" (from {})", Line(p)))
                .unwrap_or_default();
            let (change, moved) = if r.review {
                (
                    "reviewed",
                    format!("  (reviewed by {}, no change)", Line(&r.author_name)),
                )
            } else {
                (r.change.as_str(), moved)
            };
            let _ = writeln!(
                out,
                "    {:<9} {:<4} {:<width$}  {}{moved}",
                change,
                revision,
                r.id,
                Line(&r.path)
            );
            if !one_author {
                let _ = writeln!(out, "{:>20}by {}", "", by(r));
            }
        }
        out.push('\n');
    }
    if revisions.is_empty() {
        out.push_str("no changes\n");
    }
    out
}

/// `log --format json`, serialised straight from the revisions (a log may hold tens of
/// thousands of them).
#[derive(serde::Serialize)]
struct Doc<'a> {
    version: u32,
    revisions: Vec<RevisionJson<'a>>,
}

#[derive(serde::Serialize)]
struct RevisionJson<'a> {
    id: &'a str,
    change: &'static str,
    /// Only `reviewed` changed: a review, not a change to acknowledge.
    review: bool,
    revision: Option<u32>,
    path: &'a str,
    old_path: Option<&'a str>,
    blob: String,
    commit: String,
    landed: Time,
    author: Author<'a>,
    subject: &'a str,
}

#[derive(serde::Serialize)]
struct Author<'a> {
    name: &'a str,
    email: &'a str,
    time: Time,
}

pub fn json(revisions: &[&Revision], tz: &jiff::tz::TimeZone) -> String {
    json::pretty(&Doc {
        version: 1,
        revisions: revisions
            .iter()
            .map(|r| RevisionJson {
                id: &r.id,
                change: r.change.as_str(),
                review: r.review,
                revision: r.revision,
                path: &r.path,
                old_path: r.old_path.as_deref(),
                blob: r.blob.to_string(),
                commit: r.commit.to_string(),
                landed: Time::of(r.landed, tz),
                author: Author {
                    name: &r.author_name,
                    email: &r.author_email,
                    time: Time::of(r.authored, tz),
                },
                subject: &r.subject,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Change, Stamp};

    fn revision(id: &str, change: Change, commit: &str) -> Revision {
        Revision {
            id: id.into(),
            change,
            review: false,
            revision: Some(2),
            path: format!("policies/{id}.yaml"),
            old_path: (change == Change::Moved).then(|| format!("old/{id}.yaml")),
            blob: git2::Oid::from_str("1111111111111111111111111111111111111111").unwrap(),
            commit: git2::Oid::from_str(commit).unwrap(),
            landed: Stamp {
                seconds: 1_767_603_600,
                offset_minutes: 60,
            },
            authored: Stamp {
                seconds: 1_767_600_000,
                offset_minutes: 60,
            },
            author_name: "Ana Diaz".into(),
            author_email: "ana@example.com".into(),
            subject: "Raise the bar".into(),
        }
    }

    #[test]
    fn one_block_per_landing_commit() {
        let madrid = jiff::tz::TimeZone::get("Europe/Madrid").unwrap();
        let a = revision(
            "handover",
            Change::Material,
            "2222222222222222222222222222222222222222",
        );
        let b = revision(
            "qa",
            Change::Moved,
            "2222222222222222222222222222222222222222",
        );
        let text = human(&[&a, &b], &madrid, "Europe/Madrid", Palette::default());
        insta::assert_snapshot!(text, @r"
        2222222222  landed 2026-01-05 10:00 Europe/Madrid (2026-01-05 09:00 UTC)  Raise the bar
            by Ana Diaz <ana@example.com>, written 2026-01-05 09:00 +01:00
            material  r2   handover  policies/handover.yaml
            moved     r2   qa        policies/qa.yaml (from old/qa.yaml)
        ");
        assert_eq!(
            human(&[], &madrid, "Europe/Madrid", Palette::default()),
            "no changes\n"
        );
    }

    #[test]
    fn json_has_every_revision() {
        let a = revision(
            "handover",
            Change::Added,
            "2222222222222222222222222222222222222222",
        );
        let doc: serde_json::Value =
            serde_json::from_str(&json(&[&a], &jiff::tz::TimeZone::UTC)).unwrap();
        assert_eq!(doc["version"], 1);
        assert_eq!(doc["revisions"][0]["change"], "added");
        assert_eq!(doc["revisions"][0]["landed"]["unix"], 1_767_603_600);
    }
}
