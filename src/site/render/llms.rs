//! The outputs for AI assistants: `llms.txt` in the llms.txt proposal's shape (an H1, a
//! one-line blockquote summary, `##` sections of `- [title](url): summary` items), one
//! Markdown file per policy (`policies/<id>.md`) and `llms-full.txt` with every text in
//! force. Whatever a policy author writes is flattened to one line, or quoted, before it
//! reaches them: it can never open a section of its own.

use super::super::collect::{Site, rfc3339};
use super::*;
use serde::Serialize;
use std::fmt::Write;

/// One line of text: every run of whitespace (newlines included) becomes one space.
pub(super) fn line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A link title: one line, without the brackets that would end it.
fn link_title(text: &str) -> String {
    line(text).replace('[', "(").replace(']', ")")
}

/// Where a site file is, for a reader outside the site: absolute with `base_url`.
fn url(site: &Site, rel: &str) -> String {
    match &site.info.base_url {
        Some(base) => format!("{base}{rel}"),
        None => rel.to_owned(),
    }
}

/// Where a policy stands, in words: `revision 2, in force since 2025-03-17; revision 3
/// applies from 2026-12-07`.
fn standing_words(p: &PolicyPage) -> String {
    let mut out = match (p.revision, &p.in_force_since, p.upcoming) {
        (Some(r), Some(since), false) => format!("revision {r}, in force since {since}"),
        (Some(r), Some(since), true) => {
            format!("revision {r}, not in force yet: applies from {since}")
        }
        (Some(r), None, _) => format!("revision {r}, uncommitted"),
        (None, _, _) => "no revision".to_owned(),
    };
    for u in &p.next {
        let r = u.revision.map_or_else(|| "-".to_owned(), |r| r.to_string());
        let _ = write!(out, "; revision {r} applies from {}", u.from_date);
        if let Some(m) = &u.metric {
            let _ = write!(out, " ({})", m.rule);
        }
    }
    out
}

/// One item of `llms.txt`, already flattened.
#[derive(Serialize)]
pub(super) struct Item {
    title: String,
    url: String,
    description: String,
}

#[derive(Serialize)]
struct Section {
    label: &'static str,
    items: Vec<Item>,
}

fn item(site: &Site, p: &PolicyPage) -> Item {
    let mut description = String::new();
    if let Some(m) = &p.metric {
        let _ = write!(description, "{}. ", m.rule);
    }
    description.push_str(&p.summary);
    if !description.ends_with('.') {
        description.push('.');
    }
    let _ = write!(description, " ({})", standing_words(p));
    Item {
        title: link_title(&p.title),
        url: url(site, &format!("policies/{}.md", p.id)),
        description: line(&description),
    }
}

/// The context of the `llms.txt` template: sections by kind, then the optional files.
pub(super) fn llms_context(site: &Site) -> minijinja::Value {
    let sections: Vec<Section> = KINDS
        .iter()
        .map(|k| Section {
            label: kind_label(k),
            items: of_kind(site, k)
                .into_iter()
                .map(|p| item(site, p))
                .collect(),
        })
        .collect();
    let optional = vec![
        Item {
            title: "Every policy in force, in full".into(),
            url: url(site, "llms-full.txt"),
            description: "the text of each policy in force now, with any upcoming revision".into(),
        },
        Item {
            title: "handbook.json".into(),
            url: url(site, "handbook.json"),
            description: "every policy, its revisions and their dates, for programs".into(),
        },
        Item {
            title: "Changelog".into(),
            url: url(site, "changelog.html"),
            description: "every change, newest first".into(),
        },
    ];
    let summary = line(&format!(
        "The written rules of {}: {} expectations (what the job requires), {} norms (how the team works together) and {} metrics (the level of work expected), as in force on {}.",
        site.info
            .organization
            .as_deref()
            .unwrap_or(&site.info.title),
        site.info.counts.expectation,
        site.info.counts.norm,
        site.info.counts.metric,
        site.info.built,
    ));
    minijinja::context! {
        site => minijinja::Value::from(minijinja::value::Serde(&site.info)),
        title => line(&site.info.title),
        summary => summary,
        as_of => rfc3339(site.now),
        sections => minijinja::Value::from(minijinja::value::Serde(&sections)),
        optional => minijinja::Value::from(minijinja::value::Serde(&optional)),
    }
}

/// A body as a Markdown blockquote: whatever it holds stays inside the quote.
fn quoted(body: &str) -> String {
    let mut out = String::new();
    for l in body.trim_end().lines() {
        if l.trim().is_empty() {
            out.push_str(">\n");
        } else {
            out.push_str("> ");
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

/// The facts of a policy's text as a Markdown list.
fn facts(out: &mut String, p: &PolicyPage) {
    let _ = writeln!(out, "- Id: {}", p.id);
    let _ = writeln!(out, "- Kind: {}", p.kind);
    let _ = writeln!(out, "- Standing: {}", line(&standing_words(p)));
    if let Some(from) = &p.in_force_from {
        let _ = writeln!(out, "- In force from (UTC): {from}");
    }
    if let Some(e) = &p.effective {
        let _ = writeln!(out, "- Effective date: {e}");
    }
    let names: Vec<String> = p.applies_to.iter().map(|a| line(&a.name)).collect();
    let _ = writeln!(out, "- Applies to: {}", names.join(", "));
    if let Some(o) = &p.owner {
        let _ = writeln!(out, "- Owner: {}", line(&o.name));
    }
    if let Some(m) = &p.metric {
        let _ = writeln!(out, "- Target: {}", line(&m.rule));
        let _ = writeln!(out, "- Measures: {}", line(&m.measures));
        let _ = writeln!(
            out,
            "- Level: {}; who sees the numbers: {}",
            m.level, m.visibility
        );
    }
    let _ = writeln!(
        out,
        "- Acknowledgement: {}",
        if p.ack_required {
            "required"
        } else {
            "not needed"
        }
    );
}

/// The upcoming revisions of a policy, each with its date and its text, quoted.
fn upcoming(out: &mut String, p: &PolicyPage, heading: &str) {
    for (i, u) in p.next.iter().enumerate() {
        let r = u.revision.map_or_else(|| "-".to_owned(), |r| r.to_string());
        let _ = writeln!(
            out,
            "\n{heading} Upcoming: revision {r}, from {}\n",
            u.from_date
        );
        let _ = writeln!(out, "- In force from (UTC): {}", u.from);
        if let Some(m) = &u.metric {
            let _ = writeln!(out, "- Target: {}", line(&m.rule));
        }
        if i + 1 == p.next.len() {
            out.push_str("- This is the text people are asked to acknowledge now.\n");
        }
        let _ = writeln!(out, "- Summary: {}\n", line(&u.summary));
        out.push_str(&quoted(&u.body));
    }
}

/// `policies/<id>.md`: one policy's text in force, its metric in words, its revision,
/// since when it is in force, and what is upcoming.
pub(super) fn policy_md(site: &Site, p: &PolicyPage) -> String {
    policy_md_as_of(site, p, site.now)
}

/// [`policy_md`] "as of" another moment than the site's (for `mcp`, which keeps one
/// collected site while no text takes effect, and reads it at the time of each read).
pub(super) fn policy_md_as_of(site: &Site, p: &PolicyPage, now: i64) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", line(&p.title));
    let _ = writeln!(out, "> {}\n", line(&p.summary));
    let _ = writeln!(out, "As of {} ({}).\n", rfc3339(now), site.info.timezone);
    facts(&mut out, p);
    out.push_str("\n## Text in force\n\n");
    out.push_str(&quoted(&p.body));
    upcoming(&mut out, p, "##");
    out
}

/// `llms-full.txt`: every policy in force, in full, by kind.
pub(super) fn llms_full(site: &Site) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}: every policy in force\n", line(&site.info.title));
    let _ = writeln!(
        out,
        "> The text of each policy in force on {} ({}), with any revision that has landed and applies later. Policy texts are quoted.\n",
        site.info.built, site.info.timezone
    );
    let _ = writeln!(out, "As of {}.", rfc3339(site.now));
    for k in KINDS {
        let _ = writeln!(out, "\n## {}", kind_label(k));
        for p in of_kind(site, k) {
            let _ = writeln!(out, "\n### {} ({})\n", line(&p.title), p.id);
            let _ = writeln!(out, "> {}\n", line(&p.summary));
            facts(&mut out, p);
            out.push('\n');
            out.push_str(&quoted(&p.body));
            upcoming(&mut out, p, "####");
        }
    }
    out
}
