//! From a [`Site`] to the bytes of each output file: pages through the templates, and
//! `handbook.json` and the search index directly. Pure; writing is [`super::output`]'s.

use super::collect::{Site, uuid_urn};
use super::markdown;
use super::templates::{TemplateError, Templates};
use super::view::*;
use minijinja::Value;
use serde::Serialize;
use serde_json::json;
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
        Page::Json => handbook_json(site),
        Page::SearchIndex => search_index(site),
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

const KINDS: [&str; 3] = ["expectation", "norm", "metric"];

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
fn search_index(site: &Site) -> String {
    let mut entries: Vec<&PolicyPage> = site.policies.values().collect();
    entries.sort_by_key(|p| (p.status == "retired", p.id.as_str()));
    let items: Vec<serde_json::Value> = entries
        .into_iter()
        .map(|p| {
            json!({
                "id": p.id,
                "t": p.title,
                "k": p.kind,
                "s": p.summary,
                "g": p.tags,
                "b": markdown::to_text(&p.body),
                "r": p.status == "retired",
            })
        })
        .collect();
    let data = serde_json::to_string(&items).expect("JSON values serialise");
    format!("window.NORMSCTL_SEARCH = {data};\n")
}

/// `handbook.json`: every current policy with its history, for programs (see the README).
fn handbook_json(site: &Site) -> String {
    let revision = |r: &RevisionView| {
        json!({
            "change": r.change,
            "revision": r.revision,
            "commit": r.commit,
            "landed": r.landed.as_ref().map(|t| json!({"time": t.iso, "utc": t.utc, "unix": t.unix})),
            "author": r.author,
            "subject": r.subject,
            "path": r.path,
            "old_path": r.old_path,
            "page": format!("policies/{}.html#{}", r.id, r.anchor),
        })
    };
    let named = |n: &Named| json!({"id": n.id, "name": n.name});
    let policy = |p: &PolicyPage| {
        json!({
            "id": p.id,
            "kind": p.kind,
            "title": p.title,
            "summary": p.summary,
            "body": p.body,
            "owner": p.owner.as_ref().map(named),
            "applies_to": p.applies_to.iter().map(named).collect::<Vec<_>>(),
            "revision": p.revision,
            "effective": p.effective,
            "upcoming": p.upcoming,
            "in_force_since": p.in_force_since,
            "ack": if p.ack_required { "required" } else { "none" },
            "ack_due_days": p.ack_due_days,
            "tags": p.tags,
            "related": p.related.iter().map(|l| &l.id).collect::<Vec<_>>(),
            "replaces": p.replaces.iter().map(|l| &l.id).collect::<Vec<_>>(),
            "replaced_by": p.replaced_by.iter().map(|l| &l.id).collect::<Vec<_>>(),
            "metric": p.metric.as_ref().map(|m| json!({
                "level": m.level,
                "measures": m.measures,
                "source": m.source,
                "unit": m.unit,
                "statistic": m.statistic,
                "target": m.target,
                "window": m.window,
                "controllable": m.controllable,
                "visibility": m.visibility,
                "gaming_risk": m.gaming_risk,
                "guardrails": m.guardrails.iter().map(|l| &l.id).collect::<Vec<_>>(),
            })),
            "path": p.path,
            "status": p.status,
            "uncommitted": p.uncommitted,
            "page": format!("policies/{}.html", p.id),
            "last_changed": p.last_changed.as_ref().map(revision),
            "history": p.history.iter().filter(|r| r.commit.is_some()).map(revision).collect::<Vec<_>>(),
        })
    };
    let info = &site.info;
    let doc = json!({
        "version": 1,
        "title": info.title,
        "organization": info.organization,
        "base_url": info.base_url,
        "timezone": info.timezone,
        "commit": info.commit,
        "uncommitted": info.uncommitted,
        "built": info.built,
        "policies": site.policies.values().filter(|p| p.status == "current").map(policy).collect::<Vec<_>>(),
        "retired": site.policies.values().filter(|p| p.status == "retired").map(policy).collect::<Vec<_>>(),
    });
    // Compact: it is for programs, and large handbooks make it large.
    let mut s = serde_json::to_string(&doc).expect("JSON values serialise");
    s.push('\n');
    s
}

/// Renders many files on every core, in the given order.
pub fn render_all(
    site: &Site,
    templates: &Templates,
    pages: &[Page],
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Vec<(Page, Vec<u8>)>, TemplateError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = pages.len().div_ceil(threads).max(16);
    let done = std::sync::atomic::AtomicUsize::new(0);
    type Part = Result<Vec<(Page, Vec<u8>)>, TemplateError>;
    let results: Vec<Part> = std::thread::scope(|scope| {
        let handles: Vec<_> = pages
            .chunks(chunk.max(1))
            .map(|part| {
                let done = &done;
                scope.spawn(move || {
                    let mut out = Vec::with_capacity(part.len());
                    for page in part {
                        out.push((page.clone(), render(site, templates, page)?));
                        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        if n.is_multiple_of(64) {
                            progress(n);
                        }
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("render thread panicked"))
            .collect()
    });
    let mut out = Vec::with_capacity(pages.len());
    for r in results {
        out.extend(r?);
    }
    Ok(out)
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
