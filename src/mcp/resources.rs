//! The resources: the handbook's overview (`normsctl://handbook`) and one per policy in
//! force or upcoming (`normsctl://policy/<id>`: the site's `policies/<id>.md`, the text in
//! force now with its metric in words, revision, in force since and what is upcoming).
//! Titles and descriptions are one line, capped.

use super::answers::{SUMMARY_CHARS, TITLE_CHARS};
use super::capped;
use super::served::Served;
use crate::model::Kind;
use crate::site::collect::Site;
use rmcp::model::Resource;
use std::fmt::Write;
use std::sync::Arc;

pub const OVERVIEW: &str = "normsctl://handbook";
pub const POLICY: &str = "normsctl://policy/";

/// Every resource as of `now` (Unix seconds), as the protocol's `resources/list` entries.
/// Made once for each collection of the site's data, and shared until the next.
pub fn list(s: &Served, now: i64) -> Arc<Vec<Resource>> {
    let site = s.site(now);
    let mut kept = s.resource_list.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((of, list)) = kept.as_ref()
        && std::ptr::eq(of.as_ptr(), Arc::as_ptr(&site))
    {
        return Arc::clone(list);
    }
    let list = Arc::new(made(&site));
    *kept = Some((Arc::downgrade(&site), Arc::clone(&list)));
    list
}

/// The resources of a collected site.
fn made(site: &Site) -> Vec<Resource> {
    let mut out = vec![
        Resource::new(OVERVIEW, "handbook")
            .with_title(format!(
                "Handbook overview: {}",
                capped(&site.info.title, TITLE_CHARS)
            ))
            .with_description("Every policy in force by kind, and the commit served")
            .with_mime_type("text/markdown"),
    ];
    for p in site.policies.values().filter(|p| p.status == "current") {
        let mut description = capped(&p.summary, SUMMARY_CHARS);
        if let Some(m) = &p.metric {
            description = capped(&format!("{}. {description}", m.rule), SUMMARY_CHARS);
        }
        out.push(
            Resource::new(format!("{POLICY}{}", p.id), p.id.clone())
                .with_title(capped(&p.title, TITLE_CHARS))
                .with_description(description)
                .with_mime_type("text/markdown"),
        );
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
