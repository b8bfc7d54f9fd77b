//! The impact of a change before it merges (`validate --base`, `diff`): who will be asked
//! to acknowledge, counted per team, and by when. Counts only in text for people and in
//! Markdown (a pull-request comment names nobody); the people by id in JSON.

use super::markdown as md;
use super::people::Line;
use crate::validate::impact::{Asks, Impact};
use serde_json::json;
use std::fmt::Write;

/// "14 days after merge", or "14 days from 2026-12-21 (effective date)".
pub fn by_when(i: &Impact) -> String {
    let days = if i.due_days == 1 { "day" } else { "days" };
    match i.from {
        Some(date) => format!("{} {days} from {date} (its effective date)", i.due_days),
        None => format!("{} {days} after merge", i.due_days),
    }
}

fn who(i: &Impact, name: impl Fn(&str) -> String) -> String {
    let n = i.people.len();
    let people = if n == 1 { "person" } else { "people" };
    let teams: Vec<String> = i
        .teams
        .iter()
        .map(|t| format!("{} {}", name(&t.name), t.people))
        .collect();
    if teams.is_empty() {
        format!("{n} {people}")
    } else {
        format!("{n} {people} ({})", teams.join(", "))
    }
}

fn nobody(i: &Impact) -> String {
    match i.reason {
        Some(reason) => format!("asks nobody ({reason})"),
        None if i.change == crate::history::Change::Editorial => "asks nobody".to_owned(),
        None => "asks nobody (no one on the roster is covered)".to_owned(),
    }
}

/// Text for people, after the findings of `validate --base`; empty when nothing changed.
pub fn human(impacts: &[Impact]) -> String {
    let mut out = String::new();
    if impacts.is_empty() {
        return out;
    }
    out.push_str("\nIf this merges (from the roster and `applies_to`, not the ledger):\n");
    for i in impacts {
        let what = match i.asks {
            Asks::Nobody => nobody(i),
            asks => format!(
                "{} must {}, due {}",
                who(i, |n| Line(n).to_string()),
                asks.as_str(),
                by_when(i)
            ),
        };
        let _ = writeln!(out, "  {}  {}: {what}", Line(&i.id), i.change.as_str());
    }
    out
}

/// The `impact` array of `validate --base --format json` and `diff --format json`.
pub fn json(impacts: &[Impact]) -> serde_json::Value {
    json!(
        impacts
            .iter()
            .map(|i| json!({
                "id": i.id,
                "title": i.title,
                "change": i.change.as_str(),
                "asks": i.asks.key(),
                "reason": i.reason,
                "count": i.people.len(),
                "teams": i.teams.iter().map(|t| json!({
                    "id": t.id, "name": t.name, "people": t.people,
                })).collect::<Vec<_>>(),
                "people": i.people,
                "due": (i.asks != Asks::Nobody).then(|| json!({
                    "days": i.due_days,
                    "from": i.from.map_or_else(|| "merge".to_owned(), |d| d.to_string()),
                })),
            }))
            .collect::<Vec<_>>()
    )
}

/// A section of a pull-request comment: a table of who is asked and by when.
pub fn markdown(impacts: &[Impact]) -> String {
    let mut out = String::new();
    if impacts.is_empty() {
        return out;
    }
    out.push_str(
        "\n#### Who must acknowledge if this merges\n\n\
         From the roster and `applies_to` of this change (never from the ledger).\n\n\
         | policy | change | asks | by when |\n|---|---|---|---|\n",
    );
    for i in impacts {
        let (asks, when) = match i.asks {
            Asks::Nobody => (md::text(&nobody(i)), String::new()),
            asks => (
                format!("{}: {}", asks.as_str(), who(i, md::text)),
                md::text(&by_when(i)),
            ),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {asks} | {when} |",
            md::code(&i.id),
            i.change.as_str()
        );
    }
    out
}
