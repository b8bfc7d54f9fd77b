//! The list of changes of the built-in `changelog.html` written here, not by the template
//! engine: the changelog's pages list every change of the history (the realistic corpus:
//! twenty thousand), and each entry cost the engine a dozen lookups and three macro
//! calls. The built-in template is served with its loop wrapped (see [`built_in_text`]):
//! `_builtin_changes(entries, root)` writes the loop's bytes, or gives none (then the loop
//! runs as written) when the words are not the built-in ones or an entry is not what it
//! was written for. A handbook's own `changelog.html` runs as written. Never prints.

use super::feed::{FeedWords, change_href, changed_list, esc};
use super::objects::Change;
use crate::site::words::replace_all;
use minijinja::{State, Value};

/// The loop as the built-in `changelog.html` writes it.
const LOOP_START: &str = "{% for e in entries %}\n";
const LOOP_END: &str = "{% endfor %}\n";

/// The built-in `changelog.html` with its loop of entries tried in Rust first.
pub(crate) fn built_in_text(original: &str) -> String {
    let (Some(start), Some(end)) = (original.find(LOOP_START), original.find(LOOP_END)) else {
        return original.to_owned();
    };
    let end = end + LOOP_END.len() - 1;
    format!(
        "{}{}{}{}{}",
        &original[..start],
        "{% set _builtin_list = _builtin_changes(entries, root) %}\
         {% if _builtin_list is not none %}{{ _builtin_list }}{% else %}",
        &original[start..end],
        "{% endif %}",
        &original[end..]
    )
}

/// `_builtin_changes(entries, root)`: the loop's bytes as a safe string, or none.
pub(crate) fn changes(
    state: &mut State,
    words: Option<&FeedWords>,
    entries: &Value,
    root: &str,
) -> Value {
    words
        .and_then(|w| write(state, w, entries, root))
        .map_or(Value::from(()), Value::from_safe_string)
}

/// What the `|e` filter and `replace` with a safe argument escape with (minijinja's own
/// escaping, not the pages' formatter).
fn filter_escaped(state: &mut State, text: &str) -> Option<String> {
    let v = minijinja::filters::escape(state, &Value::from(text)).ok()?;
    v.as_str().map(str::to_owned)
}

fn write(state: &mut State, words: &FeedWords, entries: &Value, root: &str) -> Option<String> {
    let mut out = String::new();
    for e in entries.try_iter().ok()? {
        let change = e.downcast_object_ref::<Change>()?;
        let r = &change.item.list[change.item.i];
        let (Some(landed), Some(author), Some(commit), Some(short)) = (
            r.landed.as_ref(),
            r.author.as_deref(),
            r.commit.as_deref(),
            r.short.as_deref(),
        ) else {
            return None;
        };
        out.push_str("  <li class=\"change change-");
        esc(&mut out, r.change);
        out.push_str("\">\n    <div class=\"change-when\"><time datetime=\"");
        esc(&mut out, &landed.iso);
        out.push_str("\" title=\"");
        esc(&mut out, &landed.utc);
        out.push_str("\">");
        esc(&mut out, &landed.local);
        out.push_str("</time></div>\n    <div class=\"change-what\">\n");
        out.push_str("      <span class=\"badge badge-");
        esc(&mut out, r.change);
        out.push_str("\">");
        words.macros.change_label(&mut out, r.change);
        out.push_str("</span>\n      <a href=\"");
        change_href(&mut out, root, r);
        out.push_str("\">");
        esc(&mut out, &change.title);
        out.push_str("</a>");
        if let Some(n) = r.revision {
            out.push_str(" <span class=\"rev\">");
            esc(
                &mut out,
                &replace_all(&words.revision_n, "{rev}", &n.to_string()),
            );
            out.push_str("</span>");
        }
        if let Some(subject) = r.subject.as_deref().filter(|s| !s.is_empty()) {
            out.push_str("<p class=\"change-title\">");
            esc(&mut out, subject);
            out.push_str("</p>");
        }
        let takes = r.takes_effect.as_deref().filter(|t| !t.is_empty());
        if !r.changed.is_empty() || takes.is_some() {
            out.push_str("<p class=\"change-detail\">");
            if !r.changed.is_empty() {
                changed_list(&mut out, words, r);
            }
            if let Some(t) = takes {
                let word = if r.change == "added" {
                    &words.applies_from_date
                } else {
                    &words.takes_effect_from
                };
                let date = format!("<strong>{}</strong>", filter_escaped(state, t)?);
                out.push(' ');
                out.push_str(&replace_all(&filter_escaped(state, word)?, "{date}", &date));
            }
            out.push_str("</p>");
        }
        out.push_str("      <div class=\"change-meta\">");
        esc(&mut out, author);
        out.push_str(" · <code title=\"");
        esc(&mut out, commit);
        out.push_str("\">");
        esc(&mut out, short);
        out.push_str("</code>");
        if let Some(old) = r.old_path.as_deref().filter(|o| !o.is_empty()) {
            out.push_str(" · ");
            out.push_str(&words.moved_from);
            out.push_str(" <code>");
            esc(&mut out, old);
            out.push_str("</code>");
        }
        out.push_str("</div>\n    </div>\n  </li>\n");
    }
    Some(out)
}
