//! From a [`Site`] to the bytes of each output file: pages through the templates, and
//! `handbook.json` and the search index directly. Pure; writing is [`super::output`]'s.

use super::collect::Site;
use super::templates::{TemplateError, Templates};
use super::view::*;
use minijinja::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

mod changelog;
mod context;
mod data;
mod feed;
mod llms;
pub(super) mod objects;
mod page;

pub(crate) use changelog::{built_in_text as changelog_text, changes as changelog_changes};
use context::*;
pub use data::Fragments;
use data::{handbook_json, search_index};
pub(crate) use feed::FeedWords;
use llms::{llms_context, llms_full, policy_md};
pub(crate) use page::{Chrome, PageWords};

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
    /// `policies/<id>.md`, for assistants.
    PolicyMd(String),
    Changelog,
    ChangelogYear(String),
    Feed,
    /// `feeds/<team|role|policy>-<id>.xml`: the changes to the policies that apply to one
    /// team or role, or to one policy.
    GroupFeed(FeedOf, String),
    Json,
    Llms,
    LlmsFull,
    SearchIndex,
    Asset(&'static str),
}

impl Page {
    /// The file's path in the site, with `/`.
    pub fn path(&self) -> String {
        match self {
            Page::Index => "index.html".into(),
            Page::Policy(id) => format!("policies/{id}.html"),
            Page::PolicyMd(id) => format!("policies/{id}.md"),
            Page::Changelog => "changelog.html".into(),
            Page::ChangelogYear(y) => format!("changelog/{y}.html"),
            Page::Feed => "feed.xml".into(),
            Page::GroupFeed(of, id) => format!("feeds/{}-{id}.xml", of.as_str()),
            Page::Json => "handbook.json".into(),
            Page::Llms => "llms.txt".into(),
            Page::LlmsFull => "llms-full.txt".into(),
            Page::SearchIndex => "search-index.js".into(),
            Page::Asset(name) => format!("assets/{name}"),
        }
    }
}

/// What a [`Page::GroupFeed`] follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FeedOf {
    Team,
    Role,
    Policy,
}

impl FeedOf {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedOf::Team => "team",
            FeedOf::Role => "role",
            FeedOf::Policy => "policy",
        }
    }
}

/// Whether an id may name a file of the site (the roster's ids are checked by `validate`,
/// but a build never writes a path it did not choose).
fn file_safe(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The per-team, per-role and per-policy feeds.
pub fn group_feeds(site: &Site) -> Vec<Page> {
    let named = |of: FeedOf, list: &[Named]| -> Vec<Page> {
        list.iter()
            .filter(|n| file_safe(&n.id))
            .map(|n| Page::GroupFeed(of, n.id.clone()))
            .collect()
    };
    let mut out = named(FeedOf::Team, &site.info.teams);
    out.extend(named(FeedOf::Role, &site.info.roles));
    out.extend(
        site.policies
            .keys()
            .filter(|id| file_safe(id))
            .map(|id| Page::GroupFeed(FeedOf::Policy, id.clone())),
    );
    out
}

/// Every file of the site.
pub fn pages(site: &Site, templates: &Templates) -> Vec<Page> {
    let mut out = vec![
        Page::Index,
        Page::Changelog,
        Page::Feed,
        Page::Json,
        Page::Llms,
        Page::LlmsFull,
        Page::SearchIndex,
    ];
    out.extend(years(site).into_iter().map(Page::ChangelogYear));
    out.extend(group_feeds(site));
    out.extend(site.policies.keys().cloned().map(Page::Policy));
    out.extend(
        site.policies
            .values()
            .filter(|p| p.status == "current")
            .map(|p| Page::PolicyMd(p.id.clone())),
    );
    out.extend(templates.assets().iter().map(|(n, _)| Page::Asset(n)));
    out
}

/// `policies/<id>.md` of a current policy (what `mcp` serves as its resource).
pub fn policy_markdown(site: &Site, id: &str) -> Option<String> {
    policy_markdown_as_of(site, id, site.now)
}

/// [`policy_markdown`] as of `now` (Unix seconds) instead of the site's own moment: what
/// `mcp` serves from a site collected earlier whose texts in force are still the same.
pub fn policy_markdown_as_of(site: &Site, id: &str, now: i64) -> Option<String> {
    site.policies
        .get(id)
        .filter(|p| p.status == "current")
        .map(|p| llms::policy_md_as_of(site, p, now))
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
            // Written directly when its templates are the built-in ones.
            if let Some((words, chrome)) = templates.built_in_policy(&site.info)
                && let Some(text) = page::write(site, words, &chrome, policy)
            {
                return Ok(text.into_bytes());
            }
            templates.render(
                "policy.html",
                minijinja::context! {
                    site => Value::from(minijinja::value::Serde(&site.info)),
                    root => "../",
                    page => "policy",
                    kind_label => kind_label(policy.kind),
                    policy => objects::obj(policy),
                },
            )?
        }
        Page::PolicyMd(id) => match site.policies.get(id) {
            Some(policy) => policy_md(site, policy),
            None => return Ok(Vec::new()),
        },
        Page::Changelog => templates.render("changelog.html", changelog_context(site, None))?,
        Page::ChangelogYear(y) => {
            templates.render("changelog.html", changelog_context(site, Some(y)))?
        }
        Page::Feed => render_feed(site, templates, None)?,
        Page::GroupFeed(of, id) => render_feed(site, templates, Some((*of, id.as_str())))?,
        Page::Llms => templates.render("llms.txt", llms_context(site))?,
        Page::LlmsFull => llms_full(site),
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

/// A feed: written directly when its templates are the built-in ones, else by them.
fn render_feed(
    site: &Site,
    templates: &Templates,
    of: Option<(FeedOf, &str)>,
) -> Result<String, TemplateError> {
    let root = if of.is_some() { "../" } else { "" };
    let direct = templates
        .built_in_feed()
        .and_then(|words| feed::write(site, words, &feed_data(site, of), root));
    match direct {
        Some(text) => Ok(text),
        None => templates.render("feed.xml", feed_context(site, of)),
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

/// Where [`render_each`] hands each file.
pub type WriteFile<'a, E> = dyn Fn(&Page, Vec<u8>) -> Result<(), E> + Sync + 'a;

/// Renders many files on every core, handing each to `write` as soon as it is made (in no
/// particular order), so that a build writes while it renders and never holds every file.
pub fn render_each<E: From<TemplateError> + Send>(
    site: &Site,
    templates: &Templates,
    pages: &[Page],
    progress: &(dyn Fn(usize) + Sync),
    write: &WriteFile<'_, E>,
) -> Result<(), E> {
    use rayon::prelude::*;
    let done = std::sync::atomic::AtomicUsize::new(0);
    pages.par_iter().try_for_each(|page| {
        write(page, render_with(site, templates, page, None)?)?;
        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if n.is_multiple_of(64) {
            progress(n);
        }
        Ok(())
    })
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
            if page.status == "current" {
                render.push(Page::PolicyMd(id.clone()));
            }
            policies_changed = true;
            titles_changed |= before.is_none_or(|b| b.title != page.title);
        }
    }
    let removed: Vec<Page> = old
        .policies
        .keys()
        .filter(|id| !new.policies.contains_key(*id))
        .flat_map(|id| [Page::Policy(id.clone()), Page::PolicyMd(id.clone())])
        .collect();
    policies_changed |= !removed.is_empty();
    titles_changed |= !removed.is_empty();
    if info_changed || policies_changed || dirty_changed {
        render.extend([
            Page::Index,
            Page::Json,
            Page::Llms,
            Page::LlmsFull,
            Page::SearchIndex,
        ]);
    }
    if info_changed || changelog_changed || titles_changed || policies_changed {
        // The changelog and feeds show policy titles too, and a policy's `applies_to`
        // decides which feeds hold its changes.
        render.extend([Page::Changelog, Page::Feed]);
        render.extend(years(new).into_iter().map(Page::ChangelogYear));
        render.extend(group_feeds(new));
    }
    let mut remove = removed;
    let new_feeds: BTreeSet<Page> = group_feeds(new).into_iter().collect();
    remove.extend(
        group_feeds(old)
            .into_iter()
            .filter(|p| !new_feeds.contains(p)),
    );
    // A policy retired since keeps its page but has no text in force any more.
    remove.extend(
        new.policies
            .values()
            .filter(|p| p.status == "retired")
            .filter(|p| {
                old.policies
                    .get(&p.id)
                    .is_some_and(|o| o.status == "current")
            })
            .map(|p| Page::PolicyMd(p.id.clone())),
    );
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
