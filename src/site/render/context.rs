//! The template contexts of the index, the changelog, the feed and `llms.txt`.

use super::super::collect::{Site, uuid_urn};
use super::*;
use minijinja::Value;
use serde::Serialize;
use std::sync::Arc;

pub(super) fn kind_label(kind: &str) -> &'static str {
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
    /// The metric's rule in words (statistic, target, window).
    rule: Option<&'a str>,
    /// Who it applies to: roster ids, space-separated (`everyone` for all).
    applies: String,
    in_force_since: Option<&'a str>,
    in_force_from: Option<&'a str>,
    /// The landed revisions not in force yet, in the order they apply.
    next: Vec<Next<'a>>,
}

#[derive(Serialize)]
struct Next<'a> {
    revision: Option<u32>,
    from: &'a str,
    from_date: &'a str,
    until: Option<&'a str>,
    rule: Option<&'a str>,
    summary: &'a str,
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
            rule: p.metric.as_ref().map(|m| m.rule.as_str()),
            applies: p
                .applies_to
                .iter()
                .map(|a| a.id.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            in_force_since: p.in_force_since.as_deref(),
            in_force_from: p.in_force_from.as_deref(),
            next: p
                .next
                .iter()
                .map(|u| Next {
                    revision: u.revision,
                    from: &u.from,
                    from_date: &u.from_date,
                    until: u.until.as_deref(),
                    rule: u.metric.as_ref().map(|m| m.rule.as_str()),
                    summary: &u.summary,
                })
                .collect(),
        }
    }
}

/// Current policies of one kind, by title.
pub(super) fn of_kind<'a>(site: &'a Site, kind: &str) -> Vec<&'a PolicyPage> {
    let mut list: Vec<&PolicyPage> = site
        .policies
        .values()
        .filter(|p| p.status == "current" && p.kind == kind)
        .collect();
    list.sort_by_cached_key(|p| (p.title.to_lowercase(), p.id.clone()));
    list
}

pub(super) const KINDS: [&str; 3] = crate::model::Kind::NAMES;

pub(super) fn index_context(site: &Site) -> Value {
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
        .filter(|p| p.status == "current" && (p.upcoming || !p.next.is_empty()))
        .map(Summary::of)
        .collect();
    // By the first date something changes.
    let first = |s: &Summary| {
        s.next
            .first()
            .map(|n| n.from)
            .filter(|_| !s.upcoming)
            .or(s.in_force_from)
            .map(str::to_owned)
    };
    upcoming.sort_by(|a, b| first(a).cmp(&first(b)).then(a.id.cmp(b.id)));
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
                // Saturating: git stores any 64-bit number of seconds, and a landing
                // near i64::MIN is no recent one.
                .is_some_and(|t| t.unix <= now && now.saturating_sub(t.unix) <= NEW_DAYS * 86_400),
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

pub(super) fn title_of<'a>(site: &'a Site, id: &'a str) -> &'a str {
    site.policies.get(id).map_or(id, |p| p.title.as_str())
}

fn label(change: &str) -> &'static str {
    match change {
        "added" => "Added",
        "material" => "Material change",
        "editorial" => "Editorial change",
        "reviewed" => "Reviewed, no change",
        "moved" => "Moved",
        "retired" => "Retired",
        _ => "Change",
    }
}

/// The changelog's change at `i` as a list of changes shows it (`uid`: in a feed).
fn entry(site: &Site, i: usize, uid: Option<String>) -> Value {
    let r = &site.changelog[i];
    Value::from_object(objects::Change {
        item: objects::Listed {
            list: Arc::clone(&site.changelog),
            i,
        },
        title: title_of(site, &r.id).to_owned(),
        label: label(r.change),
        uid,
    })
}

pub(super) fn changelog_context(site: &Site, year: Option<&str>) -> Value {
    let entries: Vec<Value> = match year {
        Some(y) => site
            .changelog
            .iter()
            .enumerate()
            .filter(|(_, r)| r.landed.as_ref().is_some_and(|t| t.date.starts_with(y)))
            .map(|(i, _)| entry(site, i, None))
            .collect(),
        None => (0..site.changelog.len().min(CHANGELOG_FIRST_PAGE))
            .map(|i| entry(site, i, None))
            .collect(),
    };
    minijinja::context! {
        site => Value::from(minijinja::value::Serde(&site.info)),
        root => if year.is_some() { "../" } else { "" },
        page => "changelog",
        year => year,
        years => years(site),
        truncated => year.is_none() && site.changelog.len() > CHANGELOG_FIRST_PAGE,
        entries => Value::from(entries),
    }
}

/// What one feed shows: which changes (by index in the changelog, newest first), when it
/// last changed, and its own id, subject and links.
pub(super) struct FeedData {
    pub changes: Vec<usize>,
    pub updated: String,
    pub id: String,
    /// The team's or role's name, or the policy's title (`None` for `feed.xml`).
    pub subject: Option<String>,
    pub kind: Option<&'static str>,
    pub path: String,
    pub alternate: String,
}

pub(super) fn feed_data(site: &Site, of: Option<(FeedOf, &str)>) -> FeedData {
    // Which changes a feed follows (by index in the changelog): all, one policy's, or
    // those of the policies whose `applies_to` names the team or role (or `everyone`);
    // newest first.
    let mut changes: Vec<usize> = match of {
        None => (0..site.changelog.len().min(FEED_ENTRIES)).collect(),
        Some((FeedOf::Policy, p)) => site.changes_by_policy.get(p).cloned().unwrap_or_default(),
        Some((_, group)) => {
            let mut ix: Vec<usize> = site
                .policies
                .values()
                .filter(|page| {
                    page.applies_to
                        .iter()
                        .any(|a| a.id == group || a.id == crate::model::EVERYONE)
                })
                .filter_map(|page| site.changes_by_policy.get(&page.id))
                .flatten()
                .copied()
                .collect();
            ix.sort_unstable();
            ix
        }
    };
    // The newest change, not the build time: a feed that did not change stays identical.
    let updated = changes
        .first()
        .and_then(|&i| site.changelog[i].landed.as_ref())
        .map_or_else(|| "1970-01-01T00:00:00Z".to_owned(), |t| t.iso.clone());
    changes.truncate(FEED_ENTRIES);
    let name = |list: &[Named], id: &str| {
        list.iter()
            .find(|n| n.id == id)
            .map_or_else(|| id.to_owned(), |n| n.name.clone())
    };
    match of {
        None => FeedData {
            changes,
            updated,
            id: site.info.feed_id.clone(),
            subject: None,
            kind: None,
            path: "feed.xml".to_owned(),
            alternate: "changelog.html".to_owned(),
        },
        Some((of, id)) => FeedData {
            changes,
            updated,
            id: uuid_urn(&format!("{} {} {id}", site.info.feed_id, of.as_str())),
            subject: Some(match of {
                FeedOf::Team => name(&site.info.teams, id),
                FeedOf::Role => name(&site.info.roles, id),
                FeedOf::Policy => title_of(site, id).to_owned(),
            }),
            kind: Some(of.as_str()),
            path: format!("feeds/{}-{id}.xml", of.as_str()),
            alternate: match of {
                FeedOf::Policy => format!("policies/{id}.html"),
                _ => "index.html".to_owned(),
            },
        },
    }
}

/// A feed entry's id: stable for the change, whatever the feed.
pub(super) fn entry_uid(r: &RevisionView) -> String {
    uuid_urn(&format!(
        "normsctl change {} {}",
        r.commit.as_deref().unwrap_or_default(),
        r.id
    ))
}

pub(super) fn feed_context(site: &Site, of: Option<(FeedOf, &str)>) -> Value {
    let data = feed_data(site, of);
    let entries: Vec<Value> = data
        .changes
        .iter()
        .map(|&i| entry(site, i, Some(entry_uid(&site.changelog[i]))))
        .collect();
    let feed = match data.kind {
        None => minijinja::context! {
            id => data.id,
            subject => Value::from(()),
            path => data.path,
            alternate => data.alternate,
        },
        Some(kind) => minijinja::context! {
            id => data.id,
            subject => data.subject,
            kind => kind,
            path => data.path,
            alternate => data.alternate,
        },
    };
    minijinja::context! {
        site => Value::from(minijinja::value::Serde(&site.info)),
        root => if of.is_some() { "../" } else { "" },
        feed => feed,
        updated => data.updated,
        entries => Value::from(entries),
    }
}
