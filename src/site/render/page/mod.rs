//! A policy page written here, not by the template engine, when the four templates that
//! make it (`policy.html`, `base.html`, `macros.html`, `words.html`) are the built-in
//! ones: a build writes one page per policy, and the engine's evaluation of `policy.html`
//! and `base.html` (the context made into values, the `facts` macro twice or more, a few
//! hundred lookups of words) was the largest part of rendering. The bytes are the
//! templates' own: what `base.html` writes around the page's blocks is rendered once per
//! build by the engine itself ([`Chrome`]); the blocks are written here, with the words
//! of the table, the revisions and diffs by the built-in macros' Rust ([`macros::Words`]).
//! A page with a value the templates would print as `none` is left to the templates, and
//! so is every page of a handbook that overrides any of the four. Never prints.

use super::super::collect::Site;
use super::super::macros;
use super::super::macros::typed::truthy;
use super::super::view::*;
use super::feed::esc;
use minijinja::value::ValueKind;
use minijinja::{Environment, HtmlEscape, Value};
use std::fmt::Write;
use std::sync::Arc;

macro_rules! page_words {
    ($($name:ident),* $(,)?) => {
        /// The words the built-in `policy.html` prints, unescaped, from the table `w`.
        #[derive(Debug)]
        pub(crate) struct PageWords {
            macros: Arc<macros::Words>,
            $($name: String,)*
        }

        impl PageWords {
            /// From the table `w`; `None` when a word is not a plain string.
            pub(crate) fn read(w: &Value, macros: Arc<macros::Words>) -> Option<PageWords> {
                let raw = |key: &str| -> Option<String> {
                    let v = w.get_attr(key).ok()?;
                    if v.kind() != ValueKind::String || v.is_safe() {
                        return None;
                    }
                    v.as_str().map(str::to_owned)
                };
                Some(PageWords {
                    macros,
                    $($name: raw(stringify!($name))?,)*
                })
            }
        }
    };
}

page_words!(
    breadcrumb,
    kind_expectations,
    kind_norms,
    kind_metrics,
    kind_expectation,
    kind_norm,
    kind_metric,
    retired,
    from,
    in_force_since,
    uncommitted_new,
    uncommitted_modified,
    uncommitted_removed,
    no_longer_applies,
    retired_on,
    continues_as,
    upcoming_only,
    as_of,
    revision_n,
    text_of_policy,
    revision,
    now_in_force,
    acknowledge_now,
    landed_applies,
    until_replaced,
    what_changed_prev,
    what_changes,
    whole_text,
    the_metric,
    what_is_measured,
    data_source,
    unit,
    statistic,
    target,
    window,
    each,
    level,
    level_individual,
    level_team,
    controllable,
    yes,
    no,
    who_sees,
    visibility_private,
    visibility_team,
    visibility_public,
    gaming_risk,
    guardrails,
    waived_fairness,
    about,
    applies_to,
    owner,
    effective,
    as_soon_as_landed,
    applies_from,
    last_changed,
    by,
    commit,
    not_committed_yet,
    acknowledgement,
    ack_required,
    ack_within,
    days,
    ack_not_needed,
    tags,
    file,
    see_also,
    related,
    replaces,
    retired_history_stays,
    replaced_by,
    history,
    history_hint,
    no_history,
    follow_policy,
);

/// The markers that stand for the page's four blocks when [`Chrome`] is rendered.
const MARKS: [&str; 4] = [
    "<!--normsctl-block-title-->",
    "<!--normsctl-block-description-->",
    "<!--normsctl-block-feeds-->",
    "<!--normsctl-block-main-->",
];

/// What `base.html` writes around a policy page's blocks, for one site: the text before
/// the title block, between the blocks, and after the main block.
#[derive(Debug)]
pub(crate) struct Chrome {
    pub(crate) info: SiteInfo,
    parts: Option<[String; 5]>,
}

impl Chrome {
    /// Rendered by `env` (whose `base.html` is the built-in one) with the context of a
    /// policy page; without parts when a marker is not written exactly once.
    pub(crate) fn render(env: &Environment<'static>, info: &SiteInfo) -> Chrome {
        let mut src = String::from("{% extends \"base.html\" %}");
        for (block, mark) in ["title", "description", "feeds", "main"].iter().zip(MARKS) {
            src.push_str(&format!("{{% block {block} %}}{mark}{{% endblock %}}"));
        }
        let ctx = minijinja::context! {
            site => Value::from(minijinja::value::Serde(info)),
            root => "../",
            page => "policy",
        };
        let parts = env
            .render_named_str("normsctl-policy-chrome.html", &src, ctx)
            .ok()
            .and_then(|out| {
                let mut rest = out.as_str();
                let mut parts: [String; 5] = Default::default();
                for (i, mark) in MARKS.iter().enumerate() {
                    let (before, after) = rest.split_once(mark)?;
                    parts[i] = before.to_owned();
                    rest = after;
                }
                if MARKS.iter().any(|m| out.matches(m).count() != 1) {
                    return None;
                }
                parts[4] = rest.to_owned();
                Some(parts)
            });
        Chrome {
            info: info.clone(),
            parts,
        }
    }
}

/// `{{ value }}` of a string in an HTML template.
fn w(out: &mut String, s: &str) {
    esc(out, s);
}

/// What `|e` writes (minijinja's own escaping, `/` and `'` as `&#x2f;` and `&#x27;`).
fn e(s: &str) -> String {
    HtmlEscape(s).to_string()
}

/// A metric's rule in large type, under a title.
fn target_line(out: &mut String, mc: &MetricCard) {
    out.push_str("<p class=\"target-line\"><span class=\"target-big\">");
    w(out, &mc.rule);
    out.push_str("</span></p>");
}

/// `a or b` of two optional strings, printed: `None` when the template would print none.
fn or<'a>(a: &'a Option<String>, b: &'a Option<String>) -> Option<&'a str> {
    truthy(a).or(b.as_deref())
}

/// The page as the built-in `policy.html` writes it; `None` to leave it to the templates.
pub(super) fn write(
    site: &Site,
    words: &PageWords,
    chrome: &Chrome,
    p: &PolicyPage,
) -> Option<String> {
    let parts = chrome.parts.as_ref()?;
    let info = &site.info;
    let mut out = String::with_capacity(16 * 1024 + 2 * p.body_html.len());
    out.push_str(&parts[0]);
    w(&mut out, &p.title);
    out.push_str(" · ");
    w(&mut out, &info.title);
    out.push_str(&parts[1]);
    w(&mut out, &p.summary);
    if let Some(mc) = &p.metric {
        out.push(' ');
        let mut chars = mc.rule.chars();
        let first: String = chars
            .next()
            .map(|c| c.to_uppercase().collect())
            .unwrap_or_default();
        w(&mut out, &first);
        w(&mut out, chars.as_str());
        out.push('.');
    }
    out.push_str(&parts[2]);
    out.push_str("<link rel=\"alternate\" type=\"application/atom+xml\" title=\"");
    w(&mut out, &words.follow_policy);
    out.push_str(": ");
    w(&mut out, &p.title);
    out.push_str("\" href=\"../feeds/policy-");
    w(&mut out, &p.id);
    out.push_str(".xml\">\n");
    out.push_str(&parts[3]);
    main(&mut out, site, words, p)?;
    out.push_str(&parts[4]);
    Some(out)
}

fn main(out: &mut String, site: &Site, words: &PageWords, p: &PolicyPage) -> Option<()> {
    let (kinds, kind) = match p.kind {
        "expectation" => (&words.kind_expectations, &words.kind_expectation),
        "norm" => (&words.kind_norms, &words.kind_norm),
        "metric" => (&words.kind_metrics, &words.kind_metric),
        _ => return None,
    };
    let retired = p.status == "retired";
    out.push_str("<nav class=\"crumbs\" aria-label=\"");
    w(out, &words.breadcrumb);
    out.push_str("\"><a href=\"../index.html\">");
    w(out, &site.info.title);
    out.push_str("</a> › <a href=\"../index.html#");
    w(out, p.kind);
    out.push_str("s\">");
    w(out, kinds);
    out.push_str("</a></nav>\n<article class=\"policy kind-");
    w(out, p.kind);
    out.push_str("\" aria-labelledby=\"policy-title\">\n  <div class=\"timed in-force-text\" id=\"in-force\" data-from=\"");
    w(out, truthy(&p.in_force_from).unwrap_or(""));
    out.push_str("\" data-until=\"");
    w(out, p.next.first().map_or("", |n| n.from.as_str()));
    out.push_str("\">\n  <header class=\"policy-head\">\n    <p class=\"kind\">");
    w(out, kind);
    out.push_str("</p>\n    <h1 id=\"policy-title\">");
    w(out, &p.title);
    out.push_str("</h1>\n    <p class=\"summary\">");
    w(out, &p.summary);
    out.push_str("</p>\n");
    if let Some(mc) = &p.metric {
        target_line(out, mc);
    }
    out.push_str("    <p class=\"flags\">\n");
    if retired {
        out.push_str("<span class=\"badge badge-retired\">");
        w(out, &words.retired);
        out.push_str("</span>");
    }
    if p.upcoming {
        out.push_str("<span class=\"badge badge-upcoming\">");
        w(out, &words.from);
        out.push(' ');
        w(out, or(&p.in_force_since, &p.effective)?);
        out.push_str("</span>\n");
    } else if let Some(since) = truthy(&p.in_force_since).filter(|_| !retired) {
        out.push_str("<span class=\"badge badge-in-force\">");
        w(out, &words.in_force_since);
        out.push(' ');
        w(out, since);
        out.push_str("</span>");
    }
    let (word, newline) = match p.uncommitted {
        Some("new") => (Some(&words.uncommitted_new), "\n"),
        Some("modified") => (Some(&words.uncommitted_modified), "\n"),
        Some("removed") => (Some(&words.uncommitted_removed), ""),
        _ => (None, ""),
    };
    if let Some(word) = word {
        out.push_str("<span class=\"badge badge-uncommitted\">");
        w(out, word);
        out.push_str("</span>");
        out.push_str(newline);
    }
    out.push_str("    </p>\n");
    notice(out, site, words, p)?;
    out.push_str("  </header>\n\n");
    if !p.body_html.is_empty() {
        out.push_str("  <section class=\"body\" aria-label=\"");
        w(out, &words.text_of_policy);
        out.push_str("\">\n    ");
        out.push_str(&p.body_html);
        out.push_str("\n  </section>\n");
    }
    out.push_str("  </div>\n\n");
    for (i, u) in p.next.iter().enumerate() {
        upcoming(out, site, words, u, i + 1 == p.next.len())?;
    }
    let current = Facts {
        mc: p.metric.as_ref(),
        revision: p.revision,
        effective: &p.effective,
        since: truthy(&p.in_force_since),
        upcoming: p.upcoming,
        from: "",
        until: p.next.first().map_or("", |n| n.from.as_str()),
        sfx: String::new(),
        cls: "",
    };
    facts(out, words, p, &current)?;
    out.push('\n');
    for u in &p.next {
        let later = Facts {
            mc: u.metric.as_ref(),
            revision: u.revision,
            effective: &u.effective,
            since: Some(u.from_date.as_str()).filter(|s| !s.is_empty()),
            upcoming: false,
            from: &u.from,
            until: truthy(&u.until).unwrap_or(""),
            sfx: format!("-{}", u.revision?),
            cls: " later-facts",
        };
        out.push_str("  ");
        facts(out, words, p, &later)?;
        out.push('\n');
    }
    out.push('\n');
    links(out, words, p)?;
    out.push_str("\n  <section class=\"history\" id=\"history\" aria-labelledby=\"history-h\">\n    <h2 id=\"history-h\">");
    w(out, &words.history);
    out.push_str("</h2>\n");
    if p.history.is_empty() {
        out.push_str("    <p>");
        w(out, &words.no_history);
        out.push_str("</p>\n");
    } else {
        out.push_str("    <p class=\"hint\">");
        w(out, &words.history_hint);
        out.push_str("</p>\n    <ol class=\"revisions\" reversed>\n");
        for r in p.history.iter() {
            out.push_str("<li>");
            words.macros.revision_of(out, r)?;
            out.push_str("</li>");
        }
        out.push_str("    </ol>\n");
    }
    out.push_str("    <p class=\"follow\"><a href=\"../feeds/policy-");
    w(out, &p.id);
    out.push_str(".xml\">");
    w(out, &words.follow_policy);
    out.push_str("</a></p>\n  </section>\n</article>\n");
    Some(())
}

/// The header's notice: retired, upcoming, or in force with later texts.
fn notice(out: &mut String, site: &Site, words: &PageWords, p: &PolicyPage) -> Option<()> {
    if p.status == "retired" {
        out.push_str("    <p class=\"notice\">");
        w(out, &words.no_longer_applies);
        if let Some(r) = &p.retired {
            out.push_str(": ");
            w(out, &words.retired_on);
            out.push(' ');
            words.macros.when_of(out, r.landed.as_ref()?);
        }
        out.push_str(".\n");
        if !p.replaced_by.is_empty() {
            w(out, &words.continues_as);
            out.push(' ');
            for (i, l) in p.replaced_by.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str("<a href=\"../");
                w(out, l.href.as_deref()?);
                out.push_str("\">");
                w(out, &l.title);
                out.push_str("</a>");
            }
            out.push('.');
        }
        out.push_str("</p>\n");
    } else if p.upcoming {
        let rev = p.revision?.to_string();
        let date = format!(
            "<strong>{}</strong>",
            e(or(&p.in_force_since, &p.effective)?)
        );
        out.push_str("    <p class=\"notice\">");
        out.push_str(&e(&words.upcoming_only.replace("{rev}", &rev)).replace("{date}", &date));
        out.push_str("</p>\n");
    } else if let Some(n) = p.next.last() {
        let built = &site.info.built;
        let rev = p.revision?.to_string();
        let n_rev = n.revision?.to_string();
        let link = format!(
            "<a href=\"#upcoming-{n_rev}\">{}</a>",
            e(&words.revision_n).replace("{rev}", &e(&n_rev))
        );
        let date = format!("<strong>{}</strong>", e(&n.from_date));
        out.push_str("    <p class=\"notice as-of\" data-as-of=\"");
        w(out, built);
        out.push_str("\">");
        let text = e(&words.as_of)
            .replace("{built}", &e(built))
            .replace("{rev}", &e(&rev))
            .replace("{link}", &link)
            .replace("{date}", &date);
        out.push_str(&text);
        out.push_str("</p>\n");
    }
    Some(())
}

/// One later text's section.
fn upcoming(
    out: &mut String,
    site: &Site,
    words: &PageWords,
    u: &UpcomingText,
    last: bool,
) -> Option<()> {
    let rev = u.revision?.to_string();
    out.push_str("  <section class=\"timed upcoming-text\" id=\"upcoming-");
    out.push_str(&rev);
    out.push_str("\" data-from=\"");
    w(out, &u.from);
    out.push_str("\" data-until=\"");
    w(out, truthy(&u.until).unwrap_or(""));
    out.push_str("\" aria-labelledby=\"upcoming-");
    out.push_str(&rev);
    out.push_str("-h\">\n    <h2 id=\"upcoming-");
    out.push_str(&rev);
    out.push_str("-h\"><span class=\"badge badge-upcoming\" data-now=\"");
    w(out, &words.in_force_since);
    out.push(' ');
    w(out, &u.from_date);
    out.push_str("\">");
    w(out, &words.from);
    out.push(' ');
    w(out, &u.from_date);
    out.push_str("</span> ");
    w(out, &words.revision);
    out.push(' ');
    out.push_str(&rev);
    out.push_str(": ");
    w(out, &u.title);
    out.push_str("</h2>\n    <p class=\"notice\" data-now=\"");
    let now = words
        .now_in_force
        .replace("{rev}", &rev)
        .replace("{date}", &u.from_date)
        .replace("{built}", &site.info.built);
    w(out, &now);
    if last {
        out.push(' ');
        w(out, &words.acknowledge_now);
    }
    out.push_str("\">");
    let date = format!(
        "<time datetime=\"{}\">{}</time>",
        e(&u.from),
        e(&u.from_date)
    );
    out.push_str(&e(&words.landed_applies).replace("{date}", &date));
    if truthy(&u.until).is_some() {
        out.push(' ');
        w(out, &words.until_replaced);
    }
    out.push_str(". ");
    if last {
        w(out, &words.acknowledge_now);
    }
    out.push_str("</p>\n");
    if let Some(mc) = &u.metric {
        target_line(out, mc);
    }
    out.push_str("    <p class=\"summary\">");
    w(out, &u.summary);
    out.push_str("</p>\n");
    if let Some(d) = &u.diff {
        out.push_str("<h3 data-now=\"");
        w(out, &words.what_changed_prev);
        out.push_str("\">");
        w(out, &words.what_changes);
        out.push_str("</h3>");
        words.macros.diff_of(out, d)?;
    }
    out.push_str("    <details class=\"full-text\"><summary>");
    w(out, &words.whole_text.replace("{rev}", &rev));
    out.push_str("</summary>\n      <div class=\"body\">");
    out.push_str(&u.body_html);
    out.push_str("</div>\n    </details>\n  </section>\n");
    Some(())
}

mod facts;
use facts::{Facts, facts, links};
