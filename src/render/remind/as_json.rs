//! `acks remind --format json`: every digest as one JSON document, streamed exactly as
//! `serde_json`'s pretty printer would write it whole.

use super::{key, stream_as};
use crate::model::remind::{Digests, Item, LeadDigest, PersonDigest, TeamSummary, WordOp};
use crate::render::{json, time};
use jiff::tz::TimeZone;
use serde_json::json;
use std::collections::HashMap;

fn item_json(i: &Item, tz: &TimeZone) -> serde_json::Value {
    json!({
        "policy": i.policy,
        "title": i.title,
        "revision": i.revision,
        "status": i.state.as_str(),
        "held_revision": i.held_revision,
        "due": i.due.map(|d| time::rfc3339(d, tz)),
        "overdue": i.overdue(),
        "overdue_days": i.overdue_days,
        "link": i.link,
        "briefing": i.briefing.as_ref().map(|b| json!({
            "from_revision": b.from_revision,
            "to_revision": b.to_revision,
            "fields": b.fields.iter().map(|(label, old, new)| json!({"label": label, "old": old, "new": new})).collect::<Vec<_>>(),
            "body": b.body.as_ref().map(|body| body.iter().map(|(op, text)| json!({
                "op": match op { WordOp::Equal => "equal", WordOp::Delete => "delete", WordOp::Insert => "insert" },
                "text": text,
            })).collect::<Vec<_>>()),
        })),
    })
}

fn to_json(r: &crate::model::remind::Recipient) -> serde_json::Value {
    json!({ "id": r.id, "name": r.name, "email": r.email })
}

/// Every digest as one JSON document (`--format json`).
pub fn json(d: &Digests, tz: &TimeZone) -> String {
    let mut out = Vec::new();
    let _ = write_json(&mut out, d, tz);
    String::from_utf8(out).unwrap_or_default()
}

/// [`json`] written to `w` as it is rendered, exactly as `serde_json`'s pretty printer
/// would write the whole document (two spaces a level): the people's and leads' entries
/// a batch at a time on every core, each distinct item serialised once.
pub fn write_json(w: &mut dyn std::io::Write, d: &Digests, tz: &TimeZone) -> std::io::Result<()> {
    use rayon::prelude::*;
    // Each distinct item as it reads at depth 4 (in `people`) and 6 (in `leads`).
    let mut unique: Vec<&std::sync::Arc<Item>> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in d
        .people
        .iter()
        .chain(d.leads.iter().flat_map(|l| l.people.iter()))
    {
        for i in &p.items {
            if seen.insert(key(i)) {
                unique.push(i);
            }
        }
    }
    let items: HashMap<usize, (String, String)> = unique
        .par_iter()
        .map(|i| {
            let v = item_json(i, tz);
            (key(i), (nested(&v, 4), nested(&v, 6)))
        })
        .collect();
    let item = |out: &mut String, i: &std::sync::Arc<Item>, deep: bool| match items.get(&key(i)) {
        Some((four, six)) => out.push_str(if deep { six } else { four }),
        None => out.push_str(&nested(&item_json(i, tz), if deep { 6 } else { 4 })),
    };
    let items_array =
        |out: &mut String, list: &[std::sync::Arc<Item>], depth: usize, deep: bool| {
            if list.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (n, i) in list.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push('\n');
                indent(out, depth + 1);
                item(out, i, deep);
            }
            out.push('\n');
            indent(out, depth);
            out.push(']');
        };
    w.write_all(b"{\n  \"version\": 1,\n  \"now\": ")?;
    w.write_all(nested(&json!(time::rfc3339(d.now, tz)), 1).as_bytes())?;
    w.write_all(b",\n  \"people\": ")?;
    let people: Vec<(usize, &PersonDigest)> = d.people.iter().enumerate().collect();
    array(w, &people, |(n, p), out| {
        element(out, *n);
        out.push_str("{\n      \"to\": ");
        out.push_str(&nested(&to_json(&p.to), 3));
        out.push_str(",\n      \"items\": ");
        items_array(out, &p.items, 3, false);
        out.push_str("\n    }");
    })?;
    w.write_all(b",\n  \"leads\": ")?;
    let leads: Vec<(usize, &LeadDigest)> = d.leads.iter().enumerate().collect();
    array(w, &leads, |(n, l), out| {
        element(out, *n);
        out.push_str("{\n      \"to\": ");
        out.push_str(&nested(&to_json(&l.to), 3));
        out.push_str(",\n      \"team\": ");
        out.push_str(&nested(&json!({ "id": l.team_id, "name": l.team }), 3));
        out.push_str(",\n      \"people\": ");
        if l.people.is_empty() {
            out.push_str("[]");
        } else {
            out.push('[');
            for (n, p) in l.people.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                out.push_str("\n        {\n          \"person\": ");
                out.push_str(&nested(&to_json(&p.to), 5));
                out.push_str(",\n          \"items\": ");
                items_array(out, &p.items, 5, true);
                out.push_str("\n        }");
            }
            out.push_str("\n      ]");
        }
        out.push_str("\n    }");
    })?;
    w.write_all(b",\n  \"teams\": ")?;
    let teams: Vec<(usize, &TeamSummary)> = d.teams.iter().enumerate().collect();
    array(w, &teams, |(n, t), out| {
        element(out, *n);
        let v = json!({
            "team": { "id": t.team_id, "name": t.team },
            "people_outstanding": t.people_outstanding,
            "people_overdue": t.people_overdue,
            "policies": t.policies.iter().map(|p| json!({
                "policy": p.policy, "title": p.title, "outstanding": p.outstanding,
                "overdue": p.overdue, "link": p.link,
            })).collect::<Vec<_>>(),
        });
        out.push_str(&nested(&v, 2));
    })?;
    w.write_all(b"\n}\n")
}

/// A JSON array at depth 1 of the document whose elements [`stream_as`] renders (each
/// starting with [`element`]).
fn array<T: Sync>(
    w: &mut dyn std::io::Write,
    items: &[T],
    render: impl Fn(&T, &mut String) + Sync,
) -> std::io::Result<()> {
    if items.is_empty() {
        return w.write_all(b"[]");
    }
    w.write_all(b"[")?;
    stream_as(w, items, false, render)?;
    w.write_all(b"\n  ]")
}

/// The separator before the `n`th element of an array at depth 1, and its indent.
fn element(out: &mut String, n: usize) {
    out.push_str(if n == 0 { "\n    " } else { ",\n    " });
}

fn indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// `v` as the pretty printer writes it at nesting depth `depth`.
fn nested(v: &serde_json::Value, depth: usize) -> String {
    let mut out = Vec::new();
    let _ = json::write_nested(&mut out, v, depth);
    String::from_utf8(out).unwrap_or_default()
}

/// The JSON document as `serde_json` writes it whole: what [`write_json`] must equal.
#[cfg(test)]
pub(super) fn json_whole(d: &Digests, tz: &TimeZone) -> String {
    json::pretty(&json!({
        "version": 1,
        "now": time::rfc3339(d.now, tz),
        "people": d.people.iter().map(|p| json!({
            "to": to_json(&p.to),
            "items": p.items.iter().map(|i| item_json(i, tz)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "leads": d.leads.iter().map(|l| json!({
            "to": to_json(&l.to),
            "team": { "id": l.team_id, "name": l.team },
            "people": l.people.iter().map(|p| json!({
                "person": to_json(&p.to),
                "items": p.items.iter().map(|i| item_json(i, tz)).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "teams": d.teams.iter().map(|t| json!({
            "team": { "id": t.team_id, "name": t.team },
            "people_outstanding": t.people_outstanding,
            "people_overdue": t.people_overdue,
            "policies": t.policies.iter().map(|p| json!({
                "policy": p.policy, "title": p.title, "outstanding": p.outstanding,
                "overdue": p.overdue, "link": p.link,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    }))
}
