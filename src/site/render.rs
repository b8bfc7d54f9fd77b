//! From a [`Site`] to the bytes of each output file: pages through the templates, and
//! `handbook.json` and the search index directly. Pure; writing is [`super::output`]'s.

use super::collect::{Site, uuid_urn};
use super::markdown;
use super::templates::{TemplateError, Templates};
use super::view::*;
use minijinja::Value;
use serde::Serialize;
use std::collections::BTreeSet;
use std::sync::Arc;

/// How many changes the changelog's first page and the feed show.
pub const CHANGELOG_FIRST_PAGE: usize = 200;
pub const FEED_ENTRIES: usize = 50;
/// How many changes "recent changes" on the index lists, and how many days count as new.
pub const RECENT: usize = 10;
pub const NEW_DAYS: i64 = 14;

/// One output file of the site.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Page {
    Index,
    Policy(String),
    Changelog,
    ChangelogYear(String),
    Feed,
    Json,
    Llms,
    SearchIndex,
    Asset(&'static str),
}

impl Page {
    /// The file's path in the site, with `/`.
    pub fn path(&self) -> String {
        match self {
            Page::Index => "index.html".into(),
            Page::Policy(id) => format!("policies/{id}.html"),
            Page::Changelog => "changelog.html".into(),
            Page::ChangelogYear(y) => format!("changelog/{y}.html"),
            Page::Feed => "feed.xml".into(),
            Page::Json => "handbook.json".into(),
            Page::Llms => "llms.txt".into(),
            Page::SearchIndex => "search-index.js".into(),
            Page::Asset(name) => format!("assets/{name}"),
        }
    }
}

/// Every file of the site.
pub fn pages(site: &Site, templates: &Templates) -> Vec<Page> {
    let mut out = vec![
        Page::Index,
        Page::Changelog,
        Page::Feed,
        Page::Json,
        Page::Llms,
        Page::SearchIndex,
    ];
    out.extend(years(site).into_iter().map(Page::ChangelogYear));
    out.extend(site.policies.keys().cloned().map(Page::Policy));
    out.extend(templates.assets().iter().map(|(n, _)| Page::Asset(n)));
    out
}

/// The years the changelog spans, newest first.
fn years(site: &Site) -> Vec<String> {
    let set: BTreeSet<&str> = site
        .changelog
        .iter()
        .filter_map(|r| r.landed.as_ref().map(|t| &t.date[..4]))
        .collect();
    set.into_iter().rev().map(str::to_owned).collect()
}

/// Renders one file.
pub fn render(site: &Site, templates: &Templates, page: &Page) -> Result<Vec<u8>, TemplateError> {
    render_with(site, templates, page, None)
}

/// Renders one file, taking the policies' entries in the site-wide files from
/// `fragments` (brought up to date with `site`) when given.
pub fn render_with(
    site: &Site,
    templates: &Templates,
    page: &Page,
    fragments: Option<&Fragments>,
) -> Result<Vec<u8>, TemplateError> {
    let text = match page {
        Page::Index => templates.render("index.html", index_context(site))?,
        Page::Policy(id) => {
            let Some(policy) = site.policies.get(id) else {
                return Ok(Vec::new());
            };
            templates.render(
                "policy.html",
                minijinja::context! {
                    site => Value::from(minijinja::value::Serde(&site.info)),
                    root => "../",
                    page => "policy",
                    kind_label => kind_label(policy.kind),
                    policy => Value::from(minijinja::value::Serde(policy)),
                },
            )?
        }
        Page::Changelog => templates.render("changelog.html", changelog_context(site, None))?,
        Page::ChangelogYear(y) => {
            templates.render("changelog.html", changelog_context(site, Some(y)))?
        }
        Page::Feed => templates.render("feed.xml", feed_context(site))?,
        Page::Llms => templates.render("llms.txt", llms_context(site))?,
        Page::Json => handbook_json(site, fragments),
        Page::SearchIndex => search_index(site, fragments),
        Page::Asset(name) => {
            return Ok(templates
                .assets()
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, b)| b.to_vec())
                .unwrap_or_default());
        }
    };
    Ok(text.into_bytes())
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "expectation" => "Expectations",
        "norm" => "Norms",
        _ => "Metrics",
    }
}

fn kind_intro(kind: &str) -> &'static str {
    match kind {
        "expectation" => "What the company requires to keep the job.",
        "norm" => "How the team agrees to work with each other.",
        _ => "The level of work expected, and how it is measured fairly.",
    }
}

/// A policy in a list: what the index, `llms.txt` and the search show.
#[derive(Serialize)]
struct Summary<'a> {
    id: &'a str,
    kind: &'a str,
    title: &'a str,
    summary: &'a str,
    revision: Option<u32>,
    effective: Option<&'a str>,
    upcoming: bool,
    uncommitted: Option<&'a str>,
    level: Option<&'a str>,
    target: Option<&'a str>,
    window: Option<&'a str>,
}

impl<'a> Summary<'a> {
    fn of(p: &'a PolicyPage) -> Summary<'a> {
        Summary {
            id: &p.id,
            kind: p.kind,
            title: &p.title,
            summary: &p.summary,
            revision: p.revision,
            effective: p.effective.as_deref(),
            upcoming: p.upcoming,
            uncommitted: p.uncommitted,
            level: p.metric.as_ref().map(|m| m.level),
            target: p.metric.as_ref().map(|m| m.target.as_str()),
            window: p.metric.as_ref().map(|m| m.window.as_str()),
        }
    }
}

/// Current policies of one kind, by title.
fn of_kind<'a>(site: &'a Site, kind: &str) -> Vec<&'a PolicyPage> {
    let mut list: Vec<&PolicyPage> = site
        .policies
        .values()
        .filter(|p| p.status == "current" && p.kind == kind)
        .collect();
    list.sort_by_cached_key(|p| (p.title.to_lowercase(), p.id.clone()));
    list
}

const KINDS: [&str; 3] = crate::model::Kind::NAMES;

fn index_context(site: &Site) -> Value {
    #[derive(Serialize)]
    struct Group<'a> {
        kind: &'a str,
        anchor: String,
        label: &'a str,
        intro: &'a str,
        policies: Vec<Summary<'a>>,
    }
    #[derive(Serialize)]
    struct Recent<'a> {
        #[serde(flatten)]
        rev: &'a RevisionView,
        title: &'a str,
        new: bool,
    }
    let groups: Vec<Group> = KINDS
        .iter()
        .map(|k| Group {
            kind: k,
            anchor: format!("{k}s"),
            label: kind_label(k),
            intro: kind_intro(k),
            policies: of_kind(site, k).into_iter().map(Summary::of).collect(),
        })
        .collect();
    let mut upcoming: Vec<Summary> = site
        .policies
        .values()
        .filter(|p| p.status == "current" && p.upcoming)
        .map(Summary::of)
        .collect();
    upcoming.sort_by(|a, b| a.effective.cmp(&b.effective).then(a.id.cmp(b.id)));
    let now = site.now;
    let recent: Vec<Recent> = site
        .changelog
        .iter()
        .take(RECENT)
        .map(|r| Recent {
            rev: r,
            title: title_of(site, &r.id),
            new: r
                .landed
                .as_ref()
                .is_some_and(|t| now - t.unix <= NEW_DAYS * 86_400 && t.unix <= now),
        })
        .collect();
    let mut retired: Vec<Summary> = site
        .policies
        .values()
        .filter(|p| p.status == "retired")
        .map(Summary::of)
        .collect();
    retired.sort_by_cached_key(|p| p.title.to_lowercase());
    minijinja::context! {
        site => Value::from(minijinja::value::Serde(&site.info)),
        root => "",
        page => "index",
        groups => Value::from(minijinja::value::Serde(&groups)),
        upcoming => Value::from(minijinja::value::Serde(&upcoming)),
        recent => Value::from(minijinja::value::Serde(&recent)),
        retired => Value::from(minijinja::value::Serde(&retired)),
    }
}

fn title_of<'a>(site: &'a Site, id: &'a str) -> &'a str {
    site.policies.get(id).map_or(id, |p| p.title.as_str())
}

#[derive(Serialize)]
struct Entry<'a> {
    #[serde(flatten)]
    rev: &'a RevisionView,
    title: &'a str,
    label: &'static str,
}

fn entry<'a>(site: &'a Site, r: &'a RevisionView) -> Entry<'a> {
    Entry {
        rev: r,
        title: title_of(site, &r.id),
        label: match r.change {
            "added" => "Added",
            "material" => "Material change",
            "editorial" => "Editorial change",
            "moved" => "Moved",
            "retired" => "Retired",
            _ => "Change",
        },
    }
}

fn changelog_context(site: &Site, year: Option<&str>) -> Value {
    let entries: Vec<Entry> = match year {
        Some(y) => site
            .changelog
            .iter()
            .filter(|r| r.landed.as_ref().is_some_and(|t| t.date.starts_with(y)))
            .map(|r| entry(site, r))
            .collect(),
        None => site
            .changelog
            .iter()
            .take(CHANGELOG_FIRST_PAGE)
            .map(|r| entry(site, r))
            .collect(),
    };
    minijinja::context! {
        site => Value::from(minijinja::value::Serde(&site.info)),
        root => if year.is_some() { "../" } else { "" },
        page => "changelog",
        year => year,
        years => years(site),
        truncated => year.is_none() && site.changelog.len() > CHANGELOG_FIRST_PAGE,
        entries => Value::from(minijinja::value::Serde(&entries)),
    }
}

fn feed_context(site: &Site) -> Value {
    #[derive(Serialize)]
    struct FeedEntry<'a> {
        #[serde(flatten)]
        entry: Entry<'a>,
        uid: String,
    }
    let entries: Vec<FeedEntry> = site
        .changelog
        .iter()
        .take(FEED_ENTRIES)
        .map(|r| FeedEntry {
            uid: uuid_urn(&format!(
                "normsctl change {} {}",
                r.commit.as_deref().unwrap_or_default(),
                r.id
            )),
            entry: entry(site, r),
        })
        .collect();
    // The newest change, not the build time: a feed that did not change stays identical.
    let updated = site
        .changelog
        .first()
        .and_then(|r| r.landed.as_ref())
        .map_or_else(|| "1970-01-01T00:00:00Z".to_owned(), |t| t.iso.clone());
    minijinja::context! {
        site => Value::from(minijinja::value::Serde(&site.info)),
        updated => updated,
        entries => Value::from(minijinja::value::Serde(&entries)),
    }
}

fn llms_context(site: &Site) -> Value {
    #[derive(Serialize)]
    struct Light<'a> {
        id: &'a str,
        title: &'a str,
        summary: &'a str,
        body: &'a str,
        revision: Option<u32>,
        effective: Option<&'a str>,
        upcoming: bool,
        uncommitted: Option<&'a str>,
        applies_to: &'a [Named],
        owner: Option<&'a Named>,
        last_changed: Option<&'a RevisionView>,
        metric: Option<&'a MetricCard>,
        related: &'a [Link],
    }
    #[derive(Serialize)]
    struct LightGroup<'a> {
        label: &'a str,
        policies: Vec<Light<'a>>,
    }
    let groups: Vec<LightGroup> = KINDS
        .iter()
        .map(|k| LightGroup {
            label: kind_label(k),
            policies: of_kind(site, k)
                .into_iter()
                .map(|p| Light {
                    id: &p.id,
                    title: &p.title,
                    summary: &p.summary,
                    body: p.body.trim_end(),
                    revision: p.revision,
                    effective: p.effective.as_deref(),
                    upcoming: p.upcoming,
                    uncommitted: p.uncommitted,
                    applies_to: &p.applies_to,
                    owner: p.owner.as_ref(),
                    last_changed: p.last_changed.as_ref(),
                    metric: p.metric.as_ref(),
                    related: &p.related,
                })
                .collect(),
        })
        .collect();
    minijinja::context! {
        site => Value::from(minijinja::value::Serde(&site.info)),
        groups => Value::from(minijinja::value::Serde(&groups)),
    }
}

/// `search-index.js`: every policy's words, as a script (browsers refuse `fetch` from
/// `file://`, but load scripts).
fn search_index(site: &Site, fragments: Option<&Fragments>) -> String {
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
fn search_entry(p: &PolicyPage) -> String {
    #[derive(Serialize)]
    struct Entry<'a> {
        id: &'a str,
        t: &'a str,
        k: &'a str,
        s: &'a str,
        g: &'a [String],
        b: String,
        r: bool,
    }
    serde_json::to_string(&Entry {
        id: &p.id,
        t: &p.title,
        k: p.kind,
        s: &p.summary,
        g: &p.tags,
        b: markdown::to_text(&p.body),
        r: p.status == "retired",
    })
    .expect("search entries serialise")
}

/// `handbook.json`: every current policy with its history, for programs (see the README).
/// Compact: it is for programs, and large handbooks make it large.
fn handbook_json(site: &Site, fragments: Option<&Fragments>) -> String {
    let info = &site.info;
    let field = |out: &mut String, name: &str, value: &dyn erased::Json| {
        out.push('"');
        out.push_str(name);
        out.push_str("\":");
        out.push_str(&value.json());
        out.push(',');
    };
    let mut out = String::from("{\"version\":1,");
    field(&mut out, "title", &info.title);
    field(&mut out, "organization", &info.organization);
    field(&mut out, "base_url", &info.base_url);
    field(&mut out, "timezone", &info.timezone);
    field(&mut out, "commit", &info.commit);
    field(&mut out, "uncommitted", &info.uncommitted);
    field(&mut out, "built", &info.built);
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
fn policy_json<'a>(p: &'a PolicyPage) -> String {
    #[derive(Serialize)]
    struct Time<'a> {
        time: &'a str,
        utc: &'a str,
        unix: i64,
    }
    #[derive(Serialize)]
    struct Revision<'a> {
        change: &'a str,
        revision: Option<u32>,
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
        target: &'a str,
        window: &'a str,
        controllable: Option<bool>,
        visibility: &'a str,
        gaming_risk: Option<&'a str>,
        guardrails: Vec<&'a str>,
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
        upcoming: bool,
        in_force_since: Option<&'a str>,
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
            commit: r.commit.as_deref(),
            landed: r.landed.as_ref().map(|t| Time {
                time: &t.iso,
                utc: &t.utc,
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
        upcoming: p.upcoming,
        in_force_since: p.in_force_since.as_deref(),
        ack: if p.ack_required { "required" } else { "none" },
        ack_due_days: p.ack_due_days,
        tags: &p.tags,
        related: ids(&p.related),
        replaces: ids(&p.replaces),
        replaced_by: ids(&p.replaced_by),
        metric: p.metric.as_ref().map(|m| Metric {
            level: m.level,
            measures: &m.measures,
            source: &m.source,
            unit: &m.unit,
            statistic: &m.statistic,
            target: &m.target,
            window: &m.window,
            controllable: m.controllable,
            visibility: m.visibility,
            gaming_risk: m.gaming_risk.as_deref(),
            guardrails: ids(&m.guardrails),
        }),
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

/// Renders many files on every core; the result is in the given order.
pub fn render_all(
    site: &Site,
    templates: &Templates,
    pages: &[Page],
    fragments: Option<&Fragments>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<(Page, Vec<u8>)>, TemplateError> {
    use rayon::prelude::*;
    // Work stealing: the site-wide files take as long as hundreds of policy pages, so
    // fixed shares would leave one core idle at the end.
    let done = std::sync::atomic::AtomicUsize::new(0);
    pages
        .par_iter()
        .map(|page| {
            let bytes = render_with(site, templates, page, fragments)?;
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if n.is_multiple_of(64) {
                progress(n);
            }
            Ok((page.clone(), bytes))
        })
        .collect()
}

/// Which files a rebuild must render: everything when there is no previous site (or
/// `full`), else the pages whose data differ between `old` and `new`. A policy page shows
/// the titles of the policies it links to, so a changed title reaches those pages through
/// their own data.
pub fn plan(old: Option<&Site>, new: &Site, templates: &Templates, full: bool) -> Plan {
    let all = pages(new, templates);
    let Some(old) = old.filter(|_| !full) else {
        return Plan {
            render: all,
            remove: Vec::new(),
        };
    };
    let mut render = Vec::new();
    // Whether anything every page shows changed (`uncommitted` is on the index only).
    let info_changed = SiteInfo {
        uncommitted: new.info.uncommitted,
        ..old.info.clone()
    } != new.info;
    let dirty_changed = old.info.uncommitted != new.info.uncommitted;
    let changelog_changed =
        !Arc::ptr_eq(&old.changelog, &new.changelog) && old.changelog != new.changelog;
    let mut policies_changed = false;
    let mut titles_changed = false;
    for (id, page) in &new.policies {
        let before = old.policies.get(id);
        if info_changed || before != Some(page) {
            render.push(Page::Policy(id.clone()));
            policies_changed = true;
            titles_changed |= before.is_none_or(|b| b.title != page.title);
        }
    }
    let removed: Vec<Page> = old
        .policies
        .keys()
        .filter(|id| !new.policies.contains_key(*id))
        .map(|id| Page::Policy(id.clone()))
        .collect();
    policies_changed |= !removed.is_empty();
    titles_changed |= !removed.is_empty();
    if info_changed || policies_changed || dirty_changed {
        render.extend([Page::Index, Page::Json, Page::Llms, Page::SearchIndex]);
    }
    if info_changed || changelog_changed || titles_changed {
        // The changelog and feed show policy titles too.
        render.extend([Page::Changelog, Page::Feed]);
        render.extend(years(new).into_iter().map(Page::ChangelogYear));
    }
    let mut remove = removed;
    let new_years: BTreeSet<String> = years(new).into_iter().collect();
    remove.extend(
        years(old)
            .into_iter()
            .filter(|y| !new_years.contains(y))
            .map(Page::ChangelogYear),
    );
    Plan { render, remove }
}

/// What one rebuild does.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub render: Vec<Page>,
    pub remove: Vec<Page>,
}
