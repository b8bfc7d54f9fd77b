//! `feed.xml` and the group feeds written here, not by the template engine, when the three
//! templates that make them (`feed.xml`, `macros.html`, `words.html`) are the built-in
//! ones: a build writes one feed per policy, team and role, and the engine's fixed cost
//! per page (two imports, the context as values) and per entry was most of a feed's time.
//! The bytes are the template's own. A handbook that overrides any of the three gets its
//! templates run as written, and so does a feed with an entry whose fields the template
//! would print as `none` (an uncommitted change). Never prints.

use super::super::collect::Site;
use super::super::macros;
use super::context::{FeedData, entry_uid, title_of};
use crate::render::markdown::escape_html;
use crate::site::words::replace_all;
use minijinja::Value;
use minijinja::value::ValueKind;
use std::sync::Arc;

/// The words the built-in `feed.xml` and the built-in changelog's list of changes print,
/// read once per build from the built-in `words.html` (`w`) and the built-in macros' words.
#[derive(Debug)]
pub(crate) struct FeedWords {
    pub(super) macros: Arc<macros::Words>,
    /// Escaped, as printed.
    changes: String,
    pub(super) changed: String,
    from: String,
    /// Unescaped: a value is put into them before escaping.
    feed_for_team: String,
    feed_for_role: String,
    feed_for_policy: String,
    pub(super) revision_n: String,
    summary_landed: String,
    /// For the changelog: escaped, as printed.
    pub(super) moved_from: String,
    /// Unescaped, with `{date}` still in them.
    pub(super) applies_from_date: String,
    pub(super) takes_effect_from: String,
}

impl FeedWords {
    /// From the table `w`; `None` when a word is not a plain string (then the template
    /// writes the feeds).
    pub(crate) fn read(w: &Value, macros: Arc<macros::Words>) -> Option<FeedWords> {
        let raw = |key: &str| -> Option<String> {
            let v = w.get_attr(key).ok()?;
            if v.kind() != ValueKind::String || v.is_safe() {
                return None;
            }
            v.as_str().map(str::to_owned)
        };
        let printed = |key: &str| raw(key).map(|s| escape_html(&s).into_owned());
        Some(FeedWords {
            macros,
            changes: printed("changes")?,
            changed: printed("changed")?,
            from: printed("from")?,
            feed_for_team: raw("feed_for_team")?,
            feed_for_role: raw("feed_for_role")?,
            feed_for_policy: raw("feed_for_policy")?,
            revision_n: raw("revision_n")?,
            summary_landed: raw("feed_summary_landed")?,
            moved_from: printed("moved_from")?,
            applies_from_date: raw("applies_from_date")?,
            takes_effect_from: raw("takes_effect_from")?,
        })
    }

    fn feed_for(&self, kind: &str) -> &str {
        match kind {
            "team" => &self.feed_for_team,
            "role" => &self.feed_for_role,
            _ => &self.feed_for_policy,
        }
    }
}

pub(super) use crate::render::markdown::push_escaped as esc;

/// The fields a change changed, as its "Changed: Title, Target value." sentence.
pub(super) fn changed_list(
    out: &mut String,
    words: &FeedWords,
    r: &crate::site::view::RevisionView,
) {
    out.push_str(&words.changed);
    out.push_str(": ");
    for (n, f) in r.changed.iter().enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        words.macros.field_label(out, &f.path, &f.label);
    }
    out.push('.');
}

/// The link to a change on its policy's page, `{base}policies/{id}.html#{anchor}`, escaped.
pub(super) fn change_href(out: &mut String, base: &str, r: &crate::site::view::RevisionView) {
    esc(out, base);
    out.push_str("policies/");
    esc(out, &r.id);
    out.push_str(".html#");
    esc(out, &r.anchor);
}

/// The feed as the built-in `feed.xml` writes it with `root` (`../` for the group feeds);
/// `None` when an entry lacks its author, time, commit or subject.
pub(super) fn write(site: &Site, words: &FeedWords, feed: &FeedData, root: &str) -> Option<String> {
    let info = &site.info;
    let base_url = info.base_url.as_deref().filter(|b| !b.is_empty());
    let base = base_url.unwrap_or(root);
    let mut out = String::with_capacity(1024 + 1024 * feed.changes.len());
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\"");
    if let Some(b) = base_url {
        out.push_str(" xml:base=\"");
        esc(&mut out, b);
        out.push('"');
    }
    out.push_str(">\n  <id>");
    esc(&mut out, &feed.id);
    out.push_str("</id>\n  <title>");
    esc(&mut out, &info.title);
    out.push_str(": ");
    out.push_str(&words.changes);
    if let (Some(subject), Some(kind)) = (feed.subject.as_deref(), feed.kind)
        && !subject.is_empty()
    {
        out.push_str(" · ");
        esc(&mut out, &words.feed_for(kind).replace("{name}", subject));
    }
    out.push_str("</title>\n  <author><name>");
    let author = info.organization.as_deref().filter(|o| !o.is_empty());
    esc(&mut out, author.unwrap_or(&info.title));
    out.push_str("</name></author>\n  <link rel=\"alternate\" type=\"text/html\" href=\"");
    esc(&mut out, base);
    esc(&mut out, &feed.alternate);
    out.push_str("\"/>\n  <link rel=\"self\" type=\"application/atom+xml\" href=\"");
    esc(&mut out, base);
    esc(&mut out, &feed.path);
    out.push_str("\"/>\n  <updated>");
    esc(&mut out, &feed.updated);
    out.push_str("</updated>\n  <generator>normsctl</generator>\n");
    let mut label = String::new();
    for &i in &feed.changes {
        let r = &site.changelog[i];
        let (Some(landed), Some(author), Some(short), Some(subject)) = (
            r.landed.as_ref(),
            r.author.as_deref(),
            r.short.as_deref(),
            r.subject.as_deref(),
        ) else {
            return None;
        };
        let title = title_of(site, &r.id);
        label.clear();
        words.macros.change_label(&mut label, r.change);
        let revision = r.revision.map(|n| {
            escape_html(&replace_all(&words.revision_n, "{rev}", &n.to_string())).into_owned()
        });
        out.push_str("  <entry>\n    <id>");
        esc(&mut out, &entry_uid(r));
        out.push_str("</id>\n    <title>");
        out.push_str(&label);
        out.push_str(": ");
        esc(&mut out, title);
        if let Some(rev) = &revision {
            out.push_str(" (");
            out.push_str(rev);
            out.push(')');
        }
        out.push_str("</title>\n    <link rel=\"alternate\" type=\"text/html\" href=\"");
        change_href(&mut out, base, r);
        out.push_str("\"/>\n    <updated>");
        esc(&mut out, &landed.iso);
        out.push_str("</updated>\n    <author><name>");
        esc(&mut out, author);
        out.push_str("</name></author>\n    <summary type=\"text\">");
        out.push_str(&label);
        out.push_str(": “");
        esc(&mut out, title);
        out.push('”');
        if let Some(rev) = &revision {
            out.push_str(", ");
            out.push_str(rev);
        }
        out.push_str(": ");
        esc(&mut out, subject);
        out.push('.');
        if !r.changed.is_empty() {
            out.push(' ');
            changed_list(&mut out, words, r);
        }
        if let Some(t) = r.takes_effect.as_deref().filter(|t| !t.is_empty()) {
            out.push(' ');
            out.push_str(&words.from);
            out.push(' ');
            esc(&mut out, t);
            out.push('.');
        }
        out.push(' ');
        let landed_words = replace_all(
            &replace_all(&words.summary_landed, "{when}", &landed.local),
            "{commit}",
            short,
        );
        esc(&mut out, &landed_words);
        out.push_str("</summary>\n  </entry>\n");
    }
    out.push_str("</feed>\n");
    Some(out)
}
