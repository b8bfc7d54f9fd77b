//! `acks remind`: the digests as text, Markdown and JSON for standard output, and as the
//! messages that are sent (see [`mail`]): pure functions of [`Digests`].
//!
//! A person's digest names only their own items; a lead's, their team's people; a team's
//! chat summary, counts and titles and never a name.

mod as_json;
pub mod mail;

pub use as_json::{json, write_json};

use super::markdown as md;
use super::people::{Line, clean, one_line};
use super::time;
use crate::diff::{Chunk, Op};
use crate::model::ack::State;
use crate::model::remind::{
    Briefing, Digests, Item, LeadDigest, PersonDigest, TeamSummary, WordOp,
};
use jiff::tz::TimeZone;
use std::collections::HashMap;
use std::fmt::Write;

/// The handbook's zone, with what many digests share rendered once: the due dates, each
/// briefing's text and HTML (a briefing is shared by everyone holding one revision), and
/// each item's lines (an item is shared by everyone who owes the same revision by the same
/// date, see `ack::remind::compose`): thousands of digests are then mostly copies of
/// bytes rendered once.
pub struct Zone<'a> {
    pub tz: &'a TimeZone,
    dates: HashMap<i64, String>,
    pub(super) briefings: HashMap<usize, (String, String)>,
    items: HashMap<usize, Shared>,
}

/// One item as every digest shows it.
#[derive(Clone)]
pub(super) struct Shared {
    /// A personal digest's entry after its number (`Title (id), revision 2: …` with the
    /// why, the link and the briefing).
    pub text: String,
    /// The HTML part's `<li>…</li>` line.
    pub html: String,
    /// A lead's digest: `Title (overdue by 3 days …)`, as text and as HTML.
    pub short: String,
    pub short_html: String,
}

fn key<T>(b: &std::sync::Arc<T>) -> usize {
    std::sync::Arc::as_ptr(b) as *const u8 as usize
}

impl<'a> Zone<'a> {
    /// Renders the shared parts of `d` once.
    pub fn of(d: &Digests, tz: &'a TimeZone) -> Zone<'a> {
        use rayon::prelude::*;
        let mut zone = Zone {
            tz,
            dates: HashMap::new(),
            briefings: HashMap::new(),
            items: HashMap::new(),
        };
        let mut unique: Vec<&std::sync::Arc<Item>> = Vec::new();
        let mut seen: std::collections::HashSet<usize> = std::collections::HashSet::new();
        let all = d
            .people
            .iter()
            .chain(d.leads.iter().flat_map(|l| l.people.iter()));
        for p in all {
            for i in &p.items {
                if !seen.insert(key(i)) {
                    continue;
                }
                unique.push(i);
                if let Some(due) = i.due {
                    zone.dates.entry(due).or_insert_with(|| time::date(due, tz));
                }
                if let Some(b) = &i.briefing {
                    zone.briefings.entry(key(b)).or_insert_with(|| {
                        let mut text = String::new();
                        briefing_text(&mut text, b, "   ");
                        (text, mail::briefing_html(b))
                    });
                }
            }
        }
        // Usually a few hundred; as many as the digests' items when every due date
        // differs: then on every core.
        let rendered: Vec<(usize, Shared)> = unique
            .par_iter()
            .map(|i| (key(i), zone.render(i)))
            .collect();
        zone.items = rendered.into_iter().collect();
        zone
    }

    fn date(&self, seconds: i64) -> String {
        self.dates
            .get(&seconds)
            .cloned()
            .unwrap_or_else(|| time::date(seconds, self.tz))
    }

    fn render(&self, i: &Item) -> Shared {
        let when = when(i, self);
        let mut text = String::new();
        let _ = writeln!(
            text,
            "{} ({}), revision {}: {when}",
            Line(&i.title),
            Line(&i.policy),
            i.revision,
        );
        let _ = writeln!(text, "   {}", why(i));
        if let Some(link) = &i.link {
            let _ = writeln!(text, "   {}", Line(link));
        }
        if let Some(b) = &i.briefing {
            match self.briefings.get(&key(b)) {
                Some((t, _)) => text.push_str(t),
                None => briefing_text(&mut text, b, "   "),
            }
        }
        let mut html = String::new();
        mail::item_html(&mut html, i, &when, self);
        Shared {
            text,
            html,
            short: format!("{} ({when})", one_line(&i.title)),
            short_html: format!("{} ({})", mail::link(i), mail::escape(&when)),
        }
    }

    /// The item's lines, rendered once for the run (or now, for an item not seen).
    pub(super) fn item(&self, i: &std::sync::Arc<Item>) -> std::borrow::Cow<'_, Shared> {
        match self.items.get(&key(i)) {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => std::borrow::Cow::Owned(self.render(i)),
        }
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
    let mut out = String::new();
    how_to_into(&mut out, items);
    out
}

fn how_to_into(out: &mut String, items: &[std::sync::Arc<Item>]) {
    out.push_str("How to acknowledge: read each policy, then, in a clone of the handbook repository, run\n  normsctl ack");
    for i in items {
        out.push(' ');
        out.push_str(&i.policy);
    }
    out.push_str("\n(or `normsctl ack --pending` for everything outstanding).\n");
}

/// A person's digest as plain text (the e-mail's text part and `--format text`).
pub fn person_text(d: &PersonDigest, all: &Digests, tz: &Zone) -> String {
    let mut out = String::new();
    person_text_into(&mut out, d, all, tz);
    out
}

/// [`person_text`] written at the end of `out`.
pub fn person_text_into(out: &mut String, d: &PersonDigest, all: &Digests, tz: &Zone) {
    let overdue = d.items.iter().filter(|i| i.overdue()).count();
    let _ = writeln!(out, "Hello {},\n", Line(&d.to.name));
    let _ = write!(
        out,
        "You have {} of {} to acknowledge",
        plural(d.items.len(), "policy", "policies"),
        Line(&all.title),
    );
    if overdue > 0 {
        let _ = write!(out, " ({overdue} overdue)");
    }
    out.push_str(".\n\n");
    for (n, i) in d.items.iter().enumerate() {
        let _ = write!(out, "{}. ", n + 1);
        out.push_str(&tz.item(i).text);
    }
    out.push('\n');
    how_to_into(out, &d.items);
}

/// One line per item, for a lead: "Title: overdue by 3 days".
fn short(i: &std::sync::Arc<Item>, tz: &Zone) -> String {
    tz.item(i).short.clone()
}

/// A lead's digest of their team as plain text.
pub fn lead_text(d: &LeadDigest, tz: &Zone) -> String {
    let mut out = String::new();
    lead_text_into(&mut out, d, tz);
    out
}

/// [`lead_text`] written at the end of `out`.
pub fn lead_text_into(out: &mut String, d: &LeadDigest, tz: &Zone) {
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
        let _ = write!(out, "- {}: ", Line(&p.to.name));
        for (n, i) in p.items.iter().enumerate() {
            if n > 0 {
                out.push_str("; ");
            }
            out.push_str(&tz.item(i).short);
        }
        out.push('\n');
    }
    out.push_str("\nBy policy:\n");
    for (title, names, overdue) in by_policy(d) {
        let _ = write!(
            out,
            "- {}: {} to acknowledge, {overdue} overdue: ",
            one_line(title),
            names.len(),
        );
        for (n, name) in names.iter().enumerate() {
            if n > 0 {
                out.push_str(", ");
            }
            out.push_str(&one_line(name));
        }
        out.push('\n');
    }
    out.push_str("\nEach person has their own digest with what changed and how to acknowledge.\n");
}

/// A lead digest per policy: `(title, names, overdue count)`, most overdue first.
pub(super) fn by_policy(d: &LeadDigest) -> Vec<(&str, Vec<&str>, usize)> {
    let mut out: Vec<(&str, &str, Vec<&str>, usize)> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for p in &d.people {
        for i in &p.items {
            let slot = *at.entry(i.policy.as_str()).or_insert_with(|| {
                out.push((&i.policy, &i.title, Vec::new(), 0));
                out.len() - 1
            });
            out[slot].2.push(&p.to.name);
            out[slot].3 += usize::from(i.overdue());
        }
    }
    out.sort_by(|a, b| {
        b.3.cmp(&a.3)
            .then_with(|| b.2.len().cmp(&a.2.len()))
            .then_with(|| a.1.cmp(b.1))
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

/// Every digest as text for people (`--format text`), every hostile character escaped
/// ([`clean`]).
pub fn text(d: &Digests, tz: &TimeZone) -> String {
    let mut out = Vec::new();
    let _ = write_text(&mut out, d, tz);
    String::from_utf8(out).unwrap_or_default()
}

/// [`text`] written to `w` as it is rendered: thousands of digests, a batch at a time on
/// every core, never the whole output in memory.
pub fn write_text(w: &mut dyn std::io::Write, d: &Digests, tz: &TimeZone) -> std::io::Result<()> {
    let tz = &Zone::of(d, tz);
    stream(w, &d.people, |p, out| {
        let _ = writeln!(out, "=== for {} ({})\n", Line(&p.to.name), Line(&p.to.id));
        person_text_into(out, p, d, tz);
        out.push('\n');
    })?;
    stream(w, &d.leads, |l, out| {
        let _ = writeln!(
            out,
            "=== for {} ({}), lead of {}\n",
            Line(&l.to.name),
            Line(&l.to.id),
            Line(&l.team)
        );
        lead_text_into(out, l, tz);
        out.push('\n');
    })?;
    stream(w, &d.teams, |t, out| {
        let _ = writeln!(out, "=== for the channel of {}\n", Line(&t.team));
        out.push_str(&team_text(t, &d.title));
        out.push('\n');
    })?;
    if d.people.is_empty() && d.leads.is_empty() && d.teams.is_empty() {
        w.write_all(b"nothing to remind: everyone is up to date\n")?;
    }
    Ok(())
}

/// How many blocks [`stream`] renders before it writes them.
const BATCH: usize = 256;

/// Renders each of `items` with `render` (a batch at a time, on every core), passes each
/// block through [`clean`] and writes the blocks to `w` in order.
pub(super) fn stream<T: Sync>(
    w: &mut dyn std::io::Write,
    items: &[T],
    render: impl Fn(&T, &mut String) + Sync,
) -> std::io::Result<()> {
    stream_as(w, items, true, render)
}

/// [`stream`], with `for_people` false for a machine document (JSON), which is written as
/// rendered.
fn stream_as<T: Sync>(
    w: &mut dyn std::io::Write,
    items: &[T],
    for_people: bool,
    render: impl Fn(&T, &mut String) + Sync,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    // Each block starts as large as the largest so far: digests are alike in size, and a
    // growing buffer would copy itself a dozen times.
    let largest = AtomicUsize::new(256);
    for batch in items.chunks(BATCH) {
        let blocks: Vec<String> = batch
            .par_iter()
            .map(|x| {
                let mut out = String::with_capacity(largest.load(Ordering::Relaxed));
                render(x, &mut out);
                largest.fetch_max(out.len(), Ordering::Relaxed);
                if !for_people {
                    return out;
                }
                match clean(&out) {
                    std::borrow::Cow::Borrowed(_) => out,
                    std::borrow::Cow::Owned(cleaned) => cleaned,
                }
            })
            .collect();
        for b in blocks {
            w.write_all(b.as_bytes())?;
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests;
