//! The files written without a template: `handbook.json` and the search index, with the
//! per-policy fragments `serve` keeps between rebuilds.

use super::super::collect::{Site, rfc3339};
use super::super::markdown;
use super::*;
use serde::Serialize;

/// `search-index.js`: every policy's words, as a script (browsers refuse `fetch` from
/// `file://`, but load scripts).
pub(super) fn search_index(site: &Site, fragments: Option<&Fragments>) -> String {
    let mut entries: Vec<&PolicyPage> = site.policies.values().collect();
    entries.sort_by_key(|p| (p.status == "retired", p.id.as_str()));
    let mut out = String::from("window.NORMSCTL_SEARCH = [");
    for (n, p) in entries.into_iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        match fragments.and_then(|f| f.get(&p.id)) {
            Some(f) => out.push_str(&f.search),
            None => out.push_str(&search_entry(p)),
        }
    }
    out.push_str("];\n");
    out
}

/// One policy in the search index.
pub(super) fn search_entry(p: &PolicyPage) -> String {
    #[derive(Serialize)]
    struct Entry<'a> {
        id: &'a str,
        t: &'a str,
        k: &'a str,
        s: &'a str,
        g: &'a [String],
        b: String,
        r: bool,
        /// When the text above came into force (RFC 3339, UTC).
        f: Option<&'a str>,
        /// Later texts: revision, in-force instant, summary.
        u: Vec<(Option<u32>, &'a str, &'a str)>,
    }
    serde_json::to_string(&Entry {
        id: &p.id,
        t: &p.title,
        k: p.kind,
        s: &p.summary,
        g: &p.tags,
        b: markdown::to_text(&p.body),
        r: p.status == "retired",
        f: p.in_force_from.as_deref(),
        u: p.next
            .iter()
            .map(|u| (u.revision, u.from.as_str(), u.summary.as_str()))
            .collect(),
    })
    .expect("search entries serialise")
}

/// `handbook.json`: every current policy with its history, for programs (see the README).
/// Compact: it is for programs, and large handbooks make it large.
pub(super) fn handbook_json(site: &Site, fragments: Option<&Fragments>) -> String {
    let info = &site.info;
    let field = |out: &mut String, name: &str, value: &dyn erased::Json| {
        out.push('"');
        out.push_str(name);
        out.push_str("\":");
        out.push_str(&value.json());
        out.push(',');
    };
    let mut out = String::from("{\"version\":2,");
    field(&mut out, "title", &info.title);
    field(&mut out, "organization", &info.organization);
    field(&mut out, "base_url", &info.base_url);
    field(&mut out, "timezone", &info.timezone);
    field(&mut out, "commit", &info.commit);
    field(&mut out, "uncommitted", &info.uncommitted);
    field(&mut out, "built", &info.built);
    field(&mut out, "as_of", &rfc3339(site.now));
    for (name, status) in [("policies", "current"), ("retired", "retired")] {
        if status == "retired" {
            out.push(',');
        }
        out.push('"');
        out.push_str(name);
        out.push_str("\":[");
        let mut first = true;
        for p in site.policies.values().filter(|p| p.status == status) {
            if !first {
                out.push(',');
            }
            first = false;
            match fragments.and_then(|f| f.get(&p.id)) {
                Some(f) => out.push_str(&f.json),
                None => out.push_str(&policy_json(p)),
            }
        }
        out.push(']');
    }
    out.push_str("}\n");
    out
}

/// Values written into `handbook.json` by hand.
mod erased {
    pub trait Json {
        fn json(&self) -> String;
    }

    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string(self).expect("JSON values serialise")
        }
    }
}

/// One policy in `handbook.json`.
pub(super) fn policy_json<'a>(p: &'a PolicyPage) -> String {
    #[derive(Serialize)]
    struct Time<'a> {
        time: &'a str,
        utc: String,
        unix: i64,
    }
    #[derive(Serialize)]
    struct Revision<'a> {
        change: &'a str,
        revision: Option<u32>,
        effective: Option<&'a str>,
        commit: Option<&'a str>,
        landed: Option<Time<'a>>,
        author: Option<&'a str>,
        subject: Option<&'a str>,
        path: &'a str,
        old_path: Option<&'a str>,
        page: String,
    }
    #[derive(Serialize)]
    struct JsonNamed<'a> {
        id: &'a str,
        name: &'a str,
    }
    #[derive(Serialize)]
    struct Metric<'a> {
        level: &'a str,
        measures: &'a str,
        source: &'a str,
        unit: &'a str,
        statistic: &'a str,
        target: &'a TargetData,
        target_words: &'a str,
        rule: &'a str,
        window: &'a str,
        controllable: Option<bool>,
        visibility: &'a str,
        gaming_risk: Option<&'a str>,
        guardrails: Vec<&'a str>,
    }
    #[derive(Serialize)]
    struct Upcoming<'a> {
        revision: Option<u32>,
        in_force_from: &'a str,
        until: Option<&'a str>,
        effective: Option<&'a str>,
        title: &'a str,
        summary: &'a str,
        body: &'a str,
        metric: Option<Metric<'a>>,
        acknowledge: bool,
        page: String,
    }
    #[derive(Serialize)]
    struct Policy<'a> {
        id: &'a str,
        kind: &'a str,
        title: &'a str,
        summary: &'a str,
        body: &'a str,
        owner: Option<JsonNamed<'a>>,
        applies_to: Vec<JsonNamed<'a>>,
        revision: Option<u32>,
        effective: Option<&'a str>,
        standing: &'a str,
        in_force_since: Option<&'a str>,
        upcoming: Vec<Upcoming<'a>>,
        ack: &'a str,
        ack_due_days: Option<u32>,
        tags: &'a [String],
        related: Vec<&'a str>,
        replaces: Vec<&'a str>,
        replaced_by: Vec<&'a str>,
        metric: Option<Metric<'a>>,
        path: &'a str,
        status: &'a str,
        uncommitted: Option<&'a str>,
        page: String,
        last_changed: Option<Revision<'a>>,
        history: Vec<Revision<'a>>,
    }
    let revision = |r: &'a RevisionView| -> Revision<'a> {
        Revision {
            change: r.change,
            revision: r.revision,
            effective: r.effective.as_deref(),
            commit: r.commit.as_deref(),
            landed: r.landed.as_ref().map(|t| Time {
                time: &t.iso,
                utc: rfc3339(t.unix),
                unix: t.unix,
            }),
            author: r.author.as_deref(),
            subject: r.subject.as_deref(),
            path: &r.path,
            old_path: r.old_path.as_deref(),
            page: format!("policies/{}.html#{}", r.id, r.anchor),
        }
    };
    let named = |n: &'a Named| JsonNamed {
        id: &n.id,
        name: &n.name,
    };
    let ids = |links: &'a [Link]| links.iter().map(|l| l.id.as_str()).collect::<Vec<_>>();
    let metric = |m: &'a MetricCard| Metric {
        level: m.level,
        measures: &m.measures,
        source: &m.source,
        unit: &m.unit,
        statistic: &m.statistic,
        target: &m.target_data,
        target_words: &m.target,
        rule: &m.rule,
        window: &m.window,
        controllable: m.controllable,
        visibility: m.visibility,
        gaming_risk: m.gaming_risk.as_deref(),
        guardrails: ids(&m.guardrails),
    };
    let policy = Policy {
        id: &p.id,
        kind: p.kind,
        title: &p.title,
        summary: &p.summary,
        body: &p.body,
        owner: p.owner.as_ref().map(named),
        applies_to: p.applies_to.iter().map(named).collect(),
        revision: p.revision,
        effective: p.effective.as_deref(),
        standing: match (p.status, p.upcoming, &p.in_force_from) {
            ("retired", _, _) => "retired",
            (_, true, _) => "upcoming",
            (_, false, Some(_)) => "in_force",
            _ => "uncommitted",
        },
        in_force_since: p.in_force_from.as_deref(),
        upcoming: p
            .next
            .iter()
            .enumerate()
            .map(|(i, u)| Upcoming {
                revision: u.revision,
                in_force_from: &u.from,
                until: u.until.as_deref(),
                effective: u.effective.as_deref(),
                title: &u.title,
                summary: &u.summary,
                body: &u.body,
                metric: u.metric.as_ref().map(metric),
                acknowledge: i + 1 == p.next.len(),
                page: format!(
                    "policies/{}.html#upcoming-{}",
                    p.id,
                    u.revision.unwrap_or(0)
                ),
            })
            .collect(),
        ack: if p.ack_required { "required" } else { "none" },
        ack_due_days: p.ack_due_days,
        tags: &p.tags,
        related: ids(&p.related),
        replaces: ids(&p.replaces),
        replaced_by: ids(&p.replaced_by),
        metric: p.metric.as_ref().map(metric),
        path: &p.path,
        status: p.status,
        uncommitted: p.uncommitted,
        page: format!("policies/{}.html", p.id),
        last_changed: p.last_changed.as_ref().map(revision),
        history: p
            .history
            .iter()
            .filter(|r| r.commit.is_some())
            .map(revision)
            .collect(),
    };
    serde_json::to_string(&policy).expect("JSON values serialise")
}

/// Each policy's entries in `handbook.json` and the search index, kept between rebuilds
/// (by `serve`) so that one changed policy does not re-serialise all the others.
#[derive(Debug, Default)]
pub struct Fragments(std::collections::HashMap<String, Fragment>);

#[derive(Debug)]
struct Fragment {
    json: String,
    search: String,
}

impl Fragments {
    /// Brings the fragments up to `new`: those of policies whose data differ from `old`
    /// (or that are new) are made again, those of policies gone are dropped.
    pub fn update(&mut self, old: Option<&Site>, new: &Site) {
        self.0.retain(|id, _| new.policies.contains_key(id));
        for (id, page) in &new.policies {
            let same = old.and_then(|o| o.policies.get(id)) == Some(page);
            if !same || !self.0.contains_key(id) {
                self.0.insert(
                    id.clone(),
                    Fragment {
                        json: policy_json(page),
                        search: search_entry(page),
                    },
                );
            }
        }
    }

    fn get(&self, id: &str) -> Option<&Fragment> {
        self.0.get(id)
    }
}
