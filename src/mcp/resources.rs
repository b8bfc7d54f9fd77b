//! The resources: the handbook's overview (`normsctl://handbook`) and one per policy in
//! force or upcoming (`normsctl://policy/<id>`: the site's `policies/<id>.md`, the text in
//! force now with its metric in words, revision, in force since and what is upcoming).
//! Titles and descriptions are one line, capped.

use super::answers::{SUMMARY_CHARS, TITLE_CHARS};
use super::capped;
use super::served::Served;
use crate::model::Kind;
use serde_json::{Value, json};
use std::fmt::Write;

pub const OVERVIEW: &str = "normsctl://handbook";
pub const POLICY: &str = "normsctl://policy/";

/// Every resource as of `now` (Unix seconds), as the protocol's `resources/list` entries.
pub fn list(s: &Served, now: i64) -> Vec<Value> {
    let site = s.site(now);
    let mut out = vec![json!({
        "uri": OVERVIEW,
        "name": "handbook",
        "title": format!("Handbook overview: {}", capped(&site.info.title, TITLE_CHARS)),
        "description": "Every policy in force by kind, and the commit served",
        "mimeType": "text/markdown",
    })];
    for p in site.policies.values().filter(|p| p.status == "current") {
        let mut description = capped(&p.summary, SUMMARY_CHARS);
        if let Some(m) = &p.metric {
            description = capped(&format!("{}. {description}", m.rule), SUMMARY_CHARS);
        }
        out.push(json!({
            "uri": format!("{POLICY}{}", p.id),
            "name": p.id,
            "title": capped(&p.title, TITLE_CHARS),
            "description": description,
            "mimeType": "text/markdown",
        }));
    }
    out
}

/// The text of a resource as of `now` (Unix seconds: the texts in force then), or `None`
/// for a URI this server does not have.
pub fn read(s: &Served, uri: &str, now: i64) -> Option<String> {
    if uri == OVERVIEW {
        return Some(overview(s, now));
    }
    let id = uri.strip_prefix(POLICY)?;
    let site = s.site(now);
    let mut text = crate::site::render::policy_markdown_as_of(&site, id, now)?;
    let _ = write!(
        text,
        "\n---\nPage: {}\nServed from commit {} of {}.\n",
        s.page(id),
        s.commit,
        s.line_ref
    );
    Some(text)
}

/// The overview: the handbook's policies in force by kind, and where they come from.
fn overview(s: &Served, now: i64) -> String {
    let site = s.site(now);
    let mut out = format!("# {}\n\n", capped(&site.info.title, TITLE_CHARS));
    let _ = writeln!(
        out,
        "As of {} ({}). Served from commit {} of {}.",
        crate::site::collect::rfc3339(now),
        site.info.timezone,
        s.commit,
        s.line_ref
    );
    if let Some(k) = s.skipped.first() {
        let _ = writeln!(
            out,
            "\nThe newest commit of the line, {}, fails validation: this is the last valid committed state.",
            k.commit
        );
    }
    for kind in Kind::ALL {
        let _ = writeln!(out, "\n## {}s\n", kind.as_str());
        for p in site
            .policies
            .values()
            .filter(|p| p.status == "current" && p.kind == kind.as_str())
        {
            let _ = writeln!(
                out,
                "- [{}]({POLICY}{}): {}",
                capped(&p.title, TITLE_CHARS).replace(['[', ']'], ""),
                p.id,
                capped(&p.summary, SUMMARY_CHARS)
            );
        }
    }
    out
}
