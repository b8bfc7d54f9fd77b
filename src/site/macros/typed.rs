//! `revision(r)` and `diff(d)` of the built-in `macros.html`, written from the site's own
//! revision and diff values. A policy page calls them for every revision it lists; read
//! field by field through the template engine, each call copied every string it printed
//! (the body's diff among them).
//!
//! Each writes what the macro writes, and gives `None` for a value the macro would print
//! as `none`, so that the macro runs instead.

use super::super::templates::escape_html;
use super::super::view::{DiffView, FieldView, RevisionView, TimeView};
use super::Words;
/// `{{ text }}` in an HTML template.
use crate::render::markdown::push_escaped as print;
use crate::site::words::replace_all;

/// A string a template tests true: present and not empty.
pub(in crate::site) fn truthy(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

impl Words {
    /// `when(t)`.
    pub(crate) fn when_of(&self, out: &mut String, t: &TimeView) {
        out.push_str("<time datetime=\"");
        print(out, &t.iso);
        out.push_str("\" title=\"");
        print(out, &t.utc);
        out.push_str("\">");
        print(out, &t.local);
        out.push_str("</time>");
    }

    /// `revision(r)`.
    pub(crate) fn revision_of(&self, out: &mut String, r: &RevisionView) -> Option<()> {
        out.push_str("<details class=\"revision change-");
        print(out, r.change);
        out.push_str("\" id=\"");
        print(out, &r.anchor);
        out.push_str("\">\n  <summary>\n    <span class=\"badge badge-");
        print(out, r.change);
        out.push_str("\">");
        self.change_label(out, r.change);
        out.push_str("</span>");
        if let Some(n) = r.revision {
            out.push_str(" <span class=\"rev\">");
            out.push_str(&escape_html(&replace_all(
                &self.revision_n,
                "{rev}",
                &n.to_string(),
            )));
            out.push_str("</span>");
        }
        out.push_str(" · ");
        match &r.landed {
            Some(t) => self.when_of(out, t),
            None => out.push_str(&self.in_working_tree),
        }
        if let Some(author) = truthy(&r.author) {
            out.push_str(" · ");
            print(out, author);
        }
        if let Some(short) = truthy(&r.short) {
            out.push_str(" · <code title=\"");
            print(out, r.commit.as_deref()?);
            out.push_str("\">");
            print(out, short);
            out.push_str("</code>");
        }
        if let Some(subject) = truthy(&r.subject) {
            out.push_str(" <span class=\"subject\">");
            print(out, subject);
            out.push_str("</span>");
        }
        out.push_str("  </summary>\n  <div class=\"revision-body\">\n");
        if let Some(old) = truthy(&r.old_path) {
            // What `|e` writes: minijinja's own escaping.
            let code = |s: &str| format!("<code>{}</code>", minijinja::HtmlEscape(s));
            out.push_str("<p class=\"moved\">");
            out.push_str(&replace_all(
                &replace_all(&self.moved_from_to, "{old}", &code(old)),
                "{new}",
                &code(&r.path),
            ));
            out.push_str("</p>");
        }
        if r.change == "moved" {
            out.push_str("<p class=\"diff-label\">");
            out.push_str(&self.moved_only);
            out.push_str("</p>");
        }
        if r.change == "retired" {
            out.push_str("<p class=\"diff-label\">");
            out.push_str(&self.retired_removed);
            out.push_str("</p>");
        }
        if let Some(d) = &r.diff {
            self.diff_of(out, d)?;
        }
        out.push_str("  </div>\n</details>\n");
        Some(())
    }

    /// `diff(d)`.
    pub(crate) fn diff_of(&self, out: &mut String, d: &DiffView) -> Option<()> {
        let label = |out: &mut String, f: &FieldView| self.field_label(out, &f.path, &f.label);
        if d.added {
            out.push_str("<p class=\"diff-label\">");
            out.push_str(&self.first_text);
            out.push_str("</p>\n");
            for f in d.fields.iter().filter(|f| f.path == "summary") {
                out.push_str("<p class=\"summary\">");
                print(out, f.new.as_deref()?);
                out.push_str("</p>");
            }
            if !d.body_html.is_empty() {
                out.push_str("<div class=\"body rendered\">");
                out.push_str(&d.body_html);
                out.push_str("</div>");
            }
            out.push_str("<details class=\"all-fields\"><summary>");
            out.push_str(&self.every_field);
            out.push_str("</summary>\n<dl class=\"fields added\">\n");
            for f in &d.fields {
                if matches!(f.path.as_str(), "id" | "kind" | "title" | "summary") {
                    continue;
                }
                out.push_str("  <div><dt>");
                label(out, f);
                out.push_str("</dt><dd>");
                print(out, f.new.as_deref()?);
                out.push_str("</dd></div>\n");
            }
            out.push_str("</dl>\n</details>\n");
            return Some(());
        }
        if !d.fields.is_empty() {
            out.push_str("<p class=\"diff-label\">");
            out.push_str(&self.what_changed);
            out.push_str("</p>\n<dl class=\"fields\">\n");
            for f in &d.fields {
                out.push_str("  <div><dt>");
                label(out, f);
                out.push_str("</dt>\n    <dd>");
                if let Some(words) = truthy(&f.words_html) {
                    out.push_str(words);
                } else if let Some(old) = &f.old {
                    out.push_str("<span class=\"absent\">");
                    out.push_str(&self.field_removed);
                    out.push_str("</span> <del>");
                    print(out, old);
                    out.push_str("</del>");
                } else {
                    out.push_str("<span class=\"absent\">");
                    out.push_str(&self.field_added);
                    out.push_str("</span> <ins>");
                    print(out, f.new.as_deref()?);
                    out.push_str("</ins>");
                }
                out.push_str("</dd></div>\n");
            }
            out.push_str("</dl>\n");
        }
        if !d.body_html.is_empty() {
            out.push_str("<p class=\"diff-label\">");
            out.push_str(&self.text_diff_label);
            if d.fields.is_empty() {
                out.push_str(&self.text_diff_marks);
            }
            out.push_str(":</p>\n<div class=\"body rendered words-rendered\">");
            out.push_str(&d.body_html);
            out.push_str("</div>\n");
        }
        if d.fields.is_empty() && d.body_html.is_empty() {
            out.push_str("<p class=\"diff-label\">");
            out.push_str(&self.no_text_change);
            out.push_str("</p>");
        }
        Some(())
    }
}
