//! The `facts` macro and the "see also" section of the built-in `policy.html`, written
//! as the template writes them (see [`super`]). Never prints.

use super::*;

/// The arguments of the `facts` macro.
pub(super) struct Facts<'a> {
    pub(super) mc: Option<&'a MetricCard>,
    pub(super) revision: Option<u32>,
    pub(super) effective: &'a Option<String>,
    pub(super) since: Option<&'a str>,
    pub(super) upcoming: bool,
    pub(super) from: &'a str,
    pub(super) until: &'a str,
    pub(super) sfx: String,
    pub(super) cls: &'a str,
}

/// A link's title, as a link when it has a page.
fn link(out: &mut String, l: &Link) {
    if let Some(href) = truthy(&l.href) {
        out.push_str("<a href=\"../");
        w(out, href);
        out.push_str("\">");
        w(out, &l.title);
        out.push_str("</a>");
    } else {
        w(out, &l.title);
    }
}

/// The `facts` macro: the metric's card and the about card.
pub(super) fn facts(out: &mut String, words: &PageWords, p: &PolicyPage, f: &Facts) -> Option<()> {
    let timed = |out: &mut String, class: &str, id: &str| {
        out.push_str("  <section class=\"");
        out.push_str(class);
        out.push_str(" timed");
        w(out, f.cls);
        out.push_str("\" data-from=\"");
        w(out, f.from);
        out.push_str("\" data-until=\"");
        w(out, f.until);
        out.push_str("\" aria-labelledby=\"");
        out.push_str(id);
        w(out, &f.sfx);
        out.push_str("\">\n");
    };
    let row = |out: &mut String, dt: &str, dd: &str| {
        out.push_str("      <div><dt>");
        w(out, dt);
        out.push_str("</dt><dd>");
        w(out, dd);
        out.push_str("</dd></div>\n");
    };
    if let Some(mc) = f.mc {
        timed(out, "card", "metric-h");
        out.push_str("    <h2 id=\"metric-h");
        w(out, &f.sfx);
        out.push_str("\">");
        w(out, &words.the_metric);
        out.push_str("</h2>\n    <dl>\n");
        row(out, &words.what_is_measured, &mc.measures);
        row(out, &words.data_source, &mc.source);
        row(out, &words.unit, &mc.unit);
        row(out, &words.statistic, &mc.statistic_words);
        row(out, &words.target, &mc.target);
        out.push_str("      <div><dt>");
        w(out, &words.window);
        out.push_str("</dt><dd>");
        w(out, &words.each);
        out.push(' ');
        w(out, &mc.window);
        out.push_str("</dd></div>\n");
        let level = if mc.level == "individual" {
            &words.level_individual
        } else {
            &words.level_team
        };
        row(out, &words.level, level);
        if let Some(c) = mc.controllable {
            out.push_str("<div><dt>");
            w(out, &words.controllable);
            out.push_str("</dt><dd>");
            w(out, if c { &words.yes } else { &words.no });
            out.push_str("</dd></div>");
        }
        let visibility = match mc.visibility {
            "private" => &words.visibility_private,
            "team" => &words.visibility_team,
            _ => &words.visibility_public,
        };
        row(out, &words.who_sees, visibility);
        if let Some(g) = truthy(&mc.gaming_risk) {
            out.push_str("<div><dt>");
            w(out, &words.gaming_risk);
            out.push_str("</dt><dd>");
            w(out, g);
            out.push_str("</dd></div>");
        }
        if !mc.guardrails.is_empty() {
            out.push_str("<div><dt>");
            w(out, &words.guardrails);
            out.push_str("</dt><dd>");
            for (i, l) in mc.guardrails.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                link(out, l);
            }
            out.push_str("</dd></div>");
        }
        for wv in &mc.waived {
            out.push_str("<div class=\"waived\" data-rule=\"");
            w(out, wv.rule);
            out.push_str("\"><dt>");
            w(out, &words.waived_fairness);
            out.push_str("</dt><dd>");
            w(out, wv.summary);
            out.push_str(" (<code>");
            w(out, wv.rule);
            out.push_str("</code>): ");
            w(out, &wv.reason);
            out.push_str("</dd></div>");
        }
        out.push_str("    </dl>\n  </section>\n");
    }
    out.push('\n');
    timed(out, "about", "about-h");
    out.push_str("  <h2 id=\"about-h");
    w(out, &f.sfx);
    out.push_str("\">");
    w(out, &words.about);
    out.push_str("</h2>\n  <dl class=\"facts\">\n    <div><dt>");
    w(out, &words.applies_to);
    out.push_str("</dt><dd>");
    for (i, a) in p.applies_to.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        w(out, &a.name);
    }
    out.push_str("</dd></div>\n    <div><dt>");
    w(out, &words.owner);
    out.push_str("</dt><dd>");
    w(out, p.owner.as_ref().map_or("—", |o| o.name.as_str()));
    out.push_str("</dd></div>\n    <div><dt>");
    w(out, &words.revision);
    out.push_str("</dt><dd>");
    match f.revision {
        Some(n) => {
            let _ = write!(out, "{n}");
        }
        None => out.push('—'),
    }
    out.push_str("</dd></div>\n    <div><dt>");
    w(out, &words.effective);
    out.push_str("</dt><dd>");
    w(out, truthy(f.effective).unwrap_or(&words.as_soon_as_landed));
    out.push_str("</dd></div>\n");
    if let Some(since) = f.since {
        out.push_str("<div><dt>");
        w(
            out,
            if f.upcoming {
                &words.applies_from
            } else {
                &words.in_force_since
            },
        );
        out.push_str("</dt><dd>");
        w(out, since);
        out.push_str("</dd></div>");
    }
    out.push_str("    <div><dt>");
    w(out, &words.last_changed);
    out.push_str("</dt><dd>");
    match &p.last_changed {
        Some(r) => {
            out.push_str("<a href=\"#");
            w(out, &r.anchor);
            out.push_str("\">");
            words.macros.when_of(out, r.landed.as_ref()?);
            out.push_str("</a> ");
            w(out, &words.by);
            out.push(' ');
            w(out, r.author.as_deref()?);
            out.push_str(", ");
            w(out, &words.commit);
            out.push_str(" <code title=\"");
            w(out, r.commit.as_deref()?);
            out.push_str("\">");
            w(out, r.short.as_deref()?);
            out.push_str("</code>");
        }
        None => w(out, &words.not_committed_yet),
    }
    out.push_str("</dd></div>\n    <div><dt>");
    w(out, &words.acknowledgement);
    out.push_str("</dt><dd>");
    if p.ack_required {
        w(out, &words.ack_required);
        if let Some(days) = p.ack_due_days.filter(|d| *d != 0) {
            out.push(' ');
            w(out, &words.ack_within);
            let _ = write!(out, " {days} ");
            w(out, &words.days);
        }
    } else {
        w(out, &words.ack_not_needed);
    }
    out.push_str("</dd></div>\n");
    if !p.tags.is_empty() {
        out.push_str("<div><dt>");
        w(out, &words.tags);
        out.push_str("</dt><dd>");
        for t in &p.tags {
            out.push_str("<span class=\"tag\">");
            w(out, t);
            out.push_str("</span>");
        }
        out.push_str("</dd></div>");
    }
    out.push_str("    <div><dt>");
    w(out, &words.file);
    out.push_str("</dt><dd><code>");
    w(out, &p.path);
    out.push_str("</code></dd></div>\n  </dl>\n  </section>\n");
    Some(())
}

/// The "see also" section, when there is something to link.
pub(super) fn links(out: &mut String, words: &PageWords, p: &PolicyPage) -> Option<()> {
    let retired = p.status == "retired";
    let replaced_by = !p.replaced_by.is_empty() && !retired;
    if p.related.is_empty() && p.replaces.is_empty() && !replaced_by {
        return Some(());
    }
    out.push_str(
        "  <section class=\"links\" aria-labelledby=\"links-h\">\n    <h2 id=\"links-h\">",
    );
    w(out, &words.see_also);
    out.push_str("</h2>\n    <ul class=\"plain\">\n");
    for l in &p.related {
        out.push_str("<li>");
        w(out, &words.related);
        out.push_str(": ");
        link(out, l);
        out.push_str("</li>");
    }
    for l in &p.replaces {
        out.push_str("<li>");
        w(out, &words.replaces);
        out.push_str(": ");
        link(out, l);
        out.push_str(" (");
        w(out, &words.retired_history_stays);
        out.push_str(")</li>");
    }
    if !retired {
        for l in &p.replaced_by {
            out.push_str("<li>");
            w(out, &words.replaced_by);
            out.push_str(": <a href=\"../");
            w(out, l.href.as_deref()?);
            out.push_str("\">");
            w(out, &l.title);
            out.push_str("</a></li>");
        }
    }
    out.push_str("    </ul>\n  </section>\n");
    Some(())
}
