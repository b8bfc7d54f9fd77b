//! `acks remind`: the digests as text, Markdown and JSON for standard output, and as the
//! messages that are sent (see [`mail`]): pure functions of [`Digests`].
//!
//! A person's digest names only their own items; a lead's, their team's people; a team's
//! chat summary, counts and titles and never a name.

pub mod mail;

use super::json;
use super::markdown as md;
use super::people::{Line, one_line};
use super::time;
use crate::diff::{Chunk, Op};
use crate::model::ack::State;
use crate::model::remind::{
    Briefing, Digests, Item, LeadDigest, PersonDigest, TeamSummary, WordOp,
};
use jiff::tz::TimeZone;
use serde_json::json;
use std::collections::HashMap;
use std::fmt::Write;

/// The handbook's zone, with what many digests share rendered once: the due dates, and
/// each briefing's text and HTML (a briefing is shared by everyone holding one revision).
pub struct Zone<'a> {
    pub tz: &'a TimeZone,
    dates: HashMap<i64, String>,
    pub(super) briefings: HashMap<usize, (String, String)>,
}

fn key(b: &std::sync::Arc<Briefing>) -> usize {
    std::sync::Arc::as_ptr(b) as usize
}

impl<'a> Zone<'a> {
    /// Renders the shared parts of `d` once.
    pub fn of(d: &Digests, tz: &'a TimeZone) -> Zone<'a> {
        let mut dates = HashMap::new();
        let mut briefings = HashMap::new();
        for p in &d.people {
            for i in &p.items {
                if let Some(due) = i.due {
                    dates.entry(due).or_insert_with(|| time::date(due, tz));
                }
                if let Some(b) = &i.briefing {
                    briefings.entry(key(b)).or_insert_with(|| {
                        let mut text = String::new();
                        briefing_text(&mut text, b, "   ");
                        (text, mail::briefing_html(b))
                    });
                }
            }
        }
        Zone {
            tz,
            dates,
            briefings,
        }
    }

    fn date(&self, seconds: i64) -> String {
        self.dates
            .get(&seconds)
            .cloned()
            .unwrap_or_else(|| time::date(seconds, self.tz))
    }
}

/// At most this many lines of a body's word diff in a briefing: a digest points at the
/// site for the rest.
pub const BRIEFING_LINES: usize = 12;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "overdue by 3 days (was due 2026-11-28)", "due 2026-12-16" or "due date unknown".
pub fn when(i: &Item, tz: &Zone) -> String {
    match (i.overdue_days, i.due) {
        (Some(0), Some(d)) => format!("overdue since today (was due {})", tz.date(d)),
        (Some(n), Some(d)) => format!(
            "overdue by {} (was due {})",
            plural(n as usize, "day", "days"),
            tz.date(d)
        ),
        (Some(_), None) => "overdue".to_owned(),
        (None, Some(d)) => format!("due {}", tz.date(d)),
        (None, None) => "due date unknown".to_owned(),
    }
}

/// Why the item is asked, in words.
pub fn why(i: &Item) -> String {
    match (i.state, i.held_revision) {
        (State::Stale, Some(h)) => format!(
            "revision {} replaces revision {h}, the one you acknowledged: a material change, so please re-acknowledge",
            i.revision
        ),
        (State::Stale, None) => "a material change: please re-acknowledge".to_owned(),
        (State::Never, _) => "you have not acknowledged it yet".to_owned(),
        (State::Expired, Some(h)) => format!(
            "your acknowledgement of revision {h} has expired: the policy asks to be read again every so often, so please acknowledge it again"
        ),
        (State::Expired, None) => {
            "your acknowledgement has expired: please acknowledge it again".to_owned()
        }
        (State::Current, _) => "acknowledged".to_owned(),
        (State::Exempt, _) => "exempt".to_owned(),
    }
}

/// The body's word diff as lines (`[-deleted-]`, `{+inserted+}`), changed lines with one
/// line of context, cut at [`BRIEFING_LINES`]; `mark` writes a changed run, `plain` kept
/// text.
pub fn body_lines(
    b: &Briefing,
    plain: impl Fn(&str) -> String,
    mark: impl Fn(Op, &str) -> String,
) -> Vec<String> {
    let Some(body) = &b.body else {
        return Vec::new();
    };
    let chunks: Vec<Chunk> = body
        .iter()
        .map(|(op, text)| Chunk {
            op: match op {
                WordOp::Equal => Op::Equal,
                WordOp::Delete => Op::Delete,
                WordOp::Insert => Op::Insert,
            },
            text: text.clone(),
        })
        .collect();
    let lines = super::diff::in_context(super::diff::marked_lines(&chunks, plain, mark));
    let total = lines.len();
    let mut out: Vec<String> = lines
        .into_iter()
        .take(BRIEFING_LINES)
        .map(|l| l.unwrap_or_else(|| "…".to_owned()))
        .collect();
    if total > BRIEFING_LINES {
        out.push(format!("… ({} more lines)", total - BRIEFING_LINES));
    }
    out
}

/// The text of a briefing for people, each line indented by `indent`.
fn briefing_text(out: &mut String, b: &Briefing, indent: &str) {
    let _ = writeln!(
        out,
        "{indent}What changed since revision {}:",
        b.from_revision
    );
    for (label, old, new) in &b.fields {
        let v = |x: &Option<String>| {
            x.as_deref()
                .map_or("(none)".to_owned(), |s| one_line(s).into_owned())
        };
        let _ = writeln!(out, "{indent}  {}: {} -> {}", Line(label), v(old), v(new));
    }
    let plain = |t: &str| one_line(t).into_owned();
    let mark = |op: Op, t: &str| match op {
        Op::Insert => format!("{{+{}+}}", one_line(t)),
        _ => format!("[-{}-]", one_line(t)),
    };
    let lines = body_lines(b, plain, mark);
    if !lines.is_empty() {
        let _ = writeln!(out, "{indent}  Text ([-removed-] {{+added+}}):");
        for l in lines {
            let _ = writeln!(out, "{indent}    {l}");
        }
    }
}

/// How to acknowledge the items of a digest.
pub fn how_to(items: &[std::sync::Arc<Item>]) -> String {
    let ids: Vec<&str> = items.iter().map(|i| i.policy.as_str()).collect();
    format!(
        "How to acknowledge: read each policy, then, in a clone of the handbook repository, run\n  normsctl ack {}\n(or `normsctl ack --pending` for everything outstanding).\n",
        ids.join(" ")
    )
}

/// A person's digest as plain text (the e-mail's text part and `--format text`).
pub fn person_text(d: &PersonDigest, all: &Digests, tz: &Zone) -> String {
    let mut out = String::new();
    let overdue = d.items.iter().filter(|i| i.overdue()).count();
    let _ = writeln!(out, "Hello {},\n", Line(&d.to.name));
    let _ = writeln!(
        out,
        "You have {} of {} to acknowledge{}.\n",
        plural(d.items.len(), "policy", "policies"),
        Line(&all.title),
        if overdue > 0 {
            format!(" ({overdue} overdue)")
        } else {
            String::new()
        }
    );
    for (n, i) in d.items.iter().enumerate() {
        let _ = writeln!(
            out,
            "{}. {} ({}), revision {}: {}",
            n + 1,
            Line(&i.title),
            Line(&i.policy),
            i.revision,
            when(i, tz)
        );
        let _ = writeln!(out, "   {}", why(i));
        if let Some(link) = &i.link {
            let _ = writeln!(out, "   {}", Line(link));
        }
        if let Some(b) = &i.briefing {
            match tz.briefings.get(&key(b)) {
                Some((text, _)) => out.push_str(text),
                None => briefing_text(&mut out, b, "   "),
            }
        }
    }
    out.push('\n');
    out.push_str(&how_to(&d.items));
    out
}

/// One line per item, for a lead: "Title: overdue by 3 days".
fn short(i: &Item, tz: &Zone) -> String {
    format!("{} ({})", one_line(&i.title), when(i, tz))
}

/// A lead's digest of their team as plain text.
pub fn lead_text(d: &LeadDigest, tz: &Zone) -> String {
    let mut out = String::new();
    let overdue = d
        .people
        .iter()
        .filter(|p| p.items.iter().any(|i| i.overdue()))
        .count();
    let _ = writeln!(out, "Hello {},\n", Line(&d.to.name));
    let _ = writeln!(
        out,
        "In {}, {} policies to acknowledge ({overdue} with something overdue).\n",
        Line(&d.team),
        plural(d.people.len(), "person has", "people have"),
    );
    out.push_str("By person (overdue first):\n");
    for p in &d.people {
        let items: Vec<String> = p.items.iter().map(|i| short(i, tz)).collect();
        let _ = writeln!(out, "- {}: {}", Line(&p.to.name), items.join("; "));
    }
    out.push_str("\nBy policy:\n");
    for (title, names, overdue) in by_policy(d) {
        let _ = writeln!(
            out,
            "- {}: {} to acknowledge, {overdue} overdue: {}",
            one_line(&title),
            names.len(),
            names
                .iter()
                .map(|n| one_line(n).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out.push_str("\nEach person has their own digest with what changed and how to acknowledge.\n");
    out
}

/// A lead digest per policy: `(title, names, overdue count)`, most overdue first.
pub(super) fn by_policy(d: &LeadDigest) -> Vec<(String, Vec<String>, usize)> {
    let mut out: Vec<(String, String, Vec<String>, usize)> = Vec::new();
    for p in &d.people {
        for i in &p.items {
            let at = match out.iter().position(|(id, ..)| *id == i.policy) {
                Some(at) => at,
                None => {
                    out.push((i.policy.clone(), i.title.clone(), Vec::new(), 0));
                    out.len() - 1
                }
            };
            out[at].2.push(p.to.name.clone());
            out[at].3 += usize::from(i.overdue());
        }
    }
    out.sort_by(|a, b| {
        b.3.cmp(&a.3)
            .then_with(|| b.2.len().cmp(&a.2.len()))
            .then_with(|| a.1.cmp(&b.1))
    });
    out.into_iter().map(|(_, t, n, o)| (t, n, o)).collect()
}

/// A team's summary for its chat channel: counts and titles, no names.
pub fn team_text(s: &TeamSummary, title: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} reminders for {}: {} policies to acknowledge, {} overdue.",
        one_line(title),
        one_line(&s.team),
        plural(s.people_outstanding, "person has", "people have"),
        s.people_overdue
    );
    for p in &s.policies {
        let _ = write!(
            out,
            "- {}: {} to acknowledge, {} overdue",
            one_line(&p.title),
            p.outstanding,
            p.overdue
        );
        if let Some(link) = &p.link {
            let _ = write!(out, " ({})", one_line(link));
        }
        out.push('\n');
    }
    out.push_str("Each person has their own digest by e-mail; `normsctl ack --pending` records what you have read.\n");
    out
}

/// Every digest as text for people (`--format text`).
pub fn text(d: &Digests, tz: &TimeZone) -> String {
    let tz = &Zone::of(d, tz);
    let mut out = String::new();
    for p in &d.people {
        let _ = writeln!(out, "=== for {} ({})\n", Line(&p.to.name), Line(&p.to.id));
        out.push_str(&person_text(p, d, tz));
        out.push('\n');
    }
    for l in &d.leads {
        let _ = writeln!(
            out,
            "=== for {} ({}), lead of {}\n",
            Line(&l.to.name),
            Line(&l.to.id),
            Line(&l.team)
        );
        out.push_str(&lead_text(l, tz));
        out.push('\n');
    }
    for t in &d.teams {
        let _ = writeln!(out, "=== for the channel of {}\n", Line(&t.team));
        out.push_str(&team_text(t, &d.title));
        out.push('\n');
    }
    if out.is_empty() {
        out.push_str("nothing to remind: everyone is up to date\n");
    }
    out
}

/// Every digest as Markdown (`--format markdown`).
pub fn markdown(d: &Digests, tz: &TimeZone) -> String {
    let tz = &Zone::of(d, tz);
    let mut out = String::new();
    for p in &d.people {
        let _ = writeln!(
            out,
            "## {} (`{}`)\n",
            md::text(&p.to.name),
            md::code(&p.to.id)
        );
        for i in &p.items {
            let title = match &i.link {
                Some(l) if l.starts_with("https://") || l.starts_with("http://") => {
                    format!(
                        "[{}](<{}>)",
                        md::text(&i.title),
                        l.replace(['<', '>', '\n', '\r', ' '], "")
                    )
                }
                _ => md::text(&i.title),
            };
            let _ = writeln!(
                out,
                "- **{title}** (`{}`), revision {}: {}; {}",
                md::code(&i.policy),
                i.revision,
                md::text(&when(i, tz)),
                md::text(&why(i))
            );
            if let Some(b) = &i.briefing {
                for (label, old, new) in &b.fields {
                    let v = |x: &Option<String>| x.as_deref().map_or("(none)".to_owned(), md::code);
                    let _ = writeln!(out, "  - {}: `{}` → `{}`", md::text(label), v(old), v(new));
                }
                let mark = |op: Op, t: &str| {
                    let m = if op == Op::Insert { "**" } else { "~~" };
                    format!("{m}{}{m}", md::text(t))
                };
                for l in body_lines(b, md::text, mark) {
                    let _ = writeln!(out, "  > {l}");
                }
            }
        }
        out.push('\n');
    }
    for l in &d.leads {
        let _ = writeln!(
            out,
            "## Team {} (lead `{}`)\n",
            md::text(&l.team),
            md::code(&l.to.id)
        );
        for p in &l.people {
            let items: Vec<String> = p.items.iter().map(|i| md::text(&short(i, tz))).collect();
            let _ = writeln!(out, "- {}: {}", md::text(&p.to.name), items.join("; "));
        }
        out.push('\n');
    }
    for t in &d.teams {
        let _ = writeln!(out, "## Channel of {}\n", md::text(&t.team));
        for p in &t.policies {
            let _ = writeln!(
                out,
                "- {}: {} to acknowledge, {} overdue",
                md::text(&p.title),
                p.outstanding,
                p.overdue
            );
        }
        out.push('\n');
    }
    if out.is_empty() {
        out.push_str("Nothing to remind: everyone is up to date.\n");
    }
    out
}

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
