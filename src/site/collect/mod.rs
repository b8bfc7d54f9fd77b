//! Turns a loaded handbook, its committed history and the working tree into the data the
//! pages show ([`Site`]). Pure: files are read by the caller ([`WorkingFile`]s) and git by
//! [`super::timeline`].

use super::markdown;
use super::timeline::{Timeline, diff_view};
use super::view::*;
use crate::history::{Change, Revision, Stamp};
use crate::model::{
    EVERYONE, Handbook, Level, Located, Metric, Policy, Roster, Target, Visibility,
};
use git2::Oid;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

mod page;
pub use page::target_words;
use page::*;

/// Everything the site shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    pub info: SiteInfo,
    /// Current and retired policies by id.
    pub policies: BTreeMap<String, PolicyPage>,
    /// Every committed change, newest first (without diffs; those are on policy pages).
    pub changelog: Arc<Vec<RevisionView>>,
    /// "Now" for this build, in Unix seconds (what counts as a recent change).
    pub now: i64,
}

/// A policy file as it is in the working tree: its git blob id and text.
#[derive(Clone, Debug)]
pub struct WorkingFile {
    pub blob: Oid,
    pub text: String,
}

/// Policy files in the working tree by path (relative to the top of the work tree).
pub type WorkingFiles = HashMap<String, WorkingFile>;

/// Rendered bodies by source, so a rebuild renders only bodies that changed.
#[derive(Debug, Default)]
pub struct MarkdownCache(HashMap<String, String>);

impl MarkdownCache {
    fn html(&mut self, source: &str) -> String {
        if let Some(html) = self.0.get(source) {
            return html.clone();
        }
        let html = markdown::to_html(source);
        self.0.insert(source.to_owned(), html.clone());
        html
    }

    /// Forgets bodies no longer in use (kept small across many rebuilds).
    fn retain_only(&mut self, sources: &std::collections::HashSet<&str>) {
        self.0.retain(|k, _| sources.contains(k.as_str()));
    }
}

/// The committed history as the pages show it (times in the team's zone, diffs attached),
/// by policy and as the changelog. It depends only on the timeline and the time zone, so
/// `serve` makes it once per HEAD, not once per edit.
#[derive(Debug, Default)]
pub struct HistoryViews {
    /// The time zone the times are shown in.
    pub timezone: String,
    /// Each policy's committed revisions, newest first: index in the timeline's
    /// revisions, and view.
    by_id: HashMap<String, Vec<(usize, RevisionView)>>,
    /// The same views, as the history a page shows when nothing is uncommitted.
    shared: HashMap<String, Arc<Vec<RevisionView>>>,
    changelog: Arc<Vec<RevisionView>>,
}

impl HistoryViews {
    /// The views of `timeline`'s revisions, with times in `timezone`.
    pub fn new(timeline: &Timeline, timezone: &str) -> HistoryViews {
        let tz = jiff::tz::TimeZone::get(timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        let clock = Clock {
            tz: &tz,
            today: jiff::civil::Date::default(),
        };
        let previous = timeline.previous_blobs();
        let mut by_id: HashMap<String, Vec<(usize, RevisionView)>> = HashMap::new();
        let mut changelog = Vec::with_capacity(timeline.revisions.len());
        for (i, (r, before)) in timeline.revisions.iter().zip(previous).enumerate() {
            let diff = match r.change {
                Change::Added | Change::Material | Change::Editorial => {
                    timeline.diff_of(before, r.blob).cloned()
                }
                _ => None,
            };
            let view = revision_view(r, &clock, diff);
            changelog.push(RevisionView {
                diff: None,
                ..view.clone()
            });
            by_id.entry(r.id.clone()).or_default().push((i, view));
        }
        let shared = by_id
            .iter()
            .map(|(id, revs)| {
                let views = revs.iter().map(|(_, v)| v.clone()).collect();
                (id.clone(), Arc::new(views))
            })
            .collect();
        HistoryViews {
            timezone: timezone.to_owned(),
            by_id,
            shared,
            changelog: Arc::new(changelog),
        }
    }
}

/// What the site is made from.
pub struct Inputs<'a> {
    pub handbook: &'a Handbook,
    pub timeline: &'a Timeline,
    /// `timeline`'s revisions as the pages show them, in the handbook's time zone.
    pub history: &'a HistoryViews,
    pub working: &'a WorkingFiles,
    /// "Now" (`SOURCE_DATE_EPOCH` when set): what is upcoming and recent depends on it.
    pub now: jiff::Timestamp,
    /// Where the handbook sits in the work tree (`docs/handbook/`), for the feed's id.
    pub prefix: &'a str,
}

/// Collects the site's data.
pub fn collect(inputs: &Inputs<'_>, cache: &mut MarkdownCache) -> Site {
    let settings = &inputs.handbook.settings;
    let tz = jiff::tz::TimeZone::get(&settings.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let clock = Clock {
        tz: &tz,
        today: inputs.now.to_zoned(tz.clone()).date(),
    };
    let roster = inputs.handbook.roster.as_ref();

    // Committed history by policy, newest first.
    let revisions = &inputs.timeline.revisions;
    let by_id: HashMap<&str, Vec<(&Revision, &RevisionView)>> = inputs
        .history
        .by_id
        .iter()
        .map(|(id, revs)| {
            let revs = revs.iter().map(|(i, v)| (&revisions[*i], v)).collect();
            (id.as_str(), revs)
        })
        .collect();

    // Titles for links, current policies first.
    let mut titles: HashMap<&str, (&str, bool)> = HashMap::new();
    let current: HashMap<&str, &Policy> = inputs
        .handbook
        .policies
        .iter()
        .map(|p| (p.id.value.as_str(), p))
        .collect();
    let mut retired_texts: Vec<(&str, &Revision, Option<Policy>)> = Vec::new();
    for (id, revs) in &by_id {
        if current.contains_key(id) {
            continue;
        }
        // The newest revision that had a text: for a retirement, the text before it.
        let (last, _) = &revs[0];
        let text = inputs.timeline.text(last.blob);
        let policy = text.and_then(|t| decode(&last.path, t, id));
        retired_texts.push((id, last, policy));
    }
    for (id, _, p) in &retired_texts {
        titles.insert(id, (p.as_ref().map_or(*id, |p| p.title.as_str()), true));
    }
    for p in &inputs.handbook.policies {
        titles.insert(&p.id.value, (&p.title, false));
    }
    let links = Links { titles: &titles };

    // Who continues whom.
    let mut replaced_by: HashMap<&str, Vec<&str>> = HashMap::new();
    for p in &inputs.handbook.policies {
        for old in &p.replaces {
            replaced_by.entry(&old.value).or_default().push(&p.id.value);
        }
    }

    let mut policies = BTreeMap::new();
    let mut counts = Counts::default();
    let mut any_uncommitted = false;
    let mut bodies = std::collections::HashSet::new();
    for p in &inputs.handbook.policies {
        let id = p.id.value.as_str();
        let committed: Vec<&(&Revision, &RevisionView)> = by_id
            .get(id)
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        let latest = committed
            .first()
            .filter(|(r, _)| r.change != Change::Retired)
            .map(|(r, _)| *r);
        let working = inputs.working.get(&p.file);
        let uncommitted = match (latest, working) {
            (None, _) => Some("new"),
            (Some(r), Some(w)) if r.path != p.file || r.blob != w.blob => Some("modified"),
            (Some(r), None) if r.path != p.file => Some("modified"),
            _ => None,
        };
        any_uncommitted |= uncommitted.is_some();
        let mut history: Vec<RevisionView> = Vec::new();
        if uncommitted.is_some() {
            let before = latest.and_then(|r| inputs.timeline.text(r.blob));
            let after = working.map_or("", |w| w.text.as_str());
            let d = crate::diff::compare(before.map_or("", |t| t.as_ref()), after);
            history.push(RevisionView {
                id: id.to_owned(),
                change: "uncommitted",
                revision: Some(p.revision.value),
                commit: None,
                short: None,
                landed: None,
                author: None,
                subject: None,
                path: p.file.clone(),
                old_path: latest.filter(|r| r.path != p.file).map(|r| r.path.clone()),
                anchor: "rev-uncommitted".into(),
                diff: Some(Arc::new(diff_view(&d))),
            });
        }
        let in_force_since = if uncommitted.is_some() {
            None
        } else {
            in_force(p, &committed, &clock)
        };
        let mut page = page_of(p, roster, &links, &clock, cache);
        bodies.insert(p.body.as_deref().unwrap_or(""));
        page.replaced_by = links.many(replaced_by.get(id).into_iter().flatten().copied());
        page.uncommitted = uncommitted;
        page.in_force_since = in_force_since;
        page.last_changed = last_changed(committed.iter().map(|(_, v)| *v));
        page.history = if history.is_empty() {
            // Nothing uncommitted: the committed views, shared (and cheap to compare).
            inputs.history.shared.get(id).cloned().unwrap_or_default()
        } else {
            history.extend(committed.iter().map(|(_, v)| (*v).clone()));
            Arc::new(history)
        };
        match p.kind {
            crate::model::Kind::Expectation => counts.expectation += 1,
            crate::model::Kind::Norm => counts.norm += 1,
            crate::model::Kind::Metric => counts.metric += 1,
        }
        policies.insert(id.to_owned(), page);
    }

    for (id, last, policy) in &retired_texts {
        let revs = &by_id[id];
        let mut page = match policy {
            Some(p) => {
                bodies.insert(p.body.as_deref().unwrap_or(""));
                page_of(p, roster, &links, &clock, cache)
            }
            None => bare_page(id, &last.path),
        };
        page.status = "retired";
        page.replaced_by = links.many(replaced_by.get(id).into_iter().flatten().copied());
        if last.change == Change::Retired {
            page.retired = Some(revs[0].1.clone());
        } else {
            // Committed, but its file is gone from the working tree.
            page.uncommitted = Some("removed");
            any_uncommitted = true;
        }
        page.last_changed = last_changed(revs.iter().map(|(_, v)| *v));
        page.history = inputs.history.shared.get(*id).cloned().unwrap_or_default();
        counts.retired += 1;
        policies.insert((*id).to_owned(), page);
    }
    cache.retain_only(&bodies);

    let head = inputs.timeline.head.map(|h| h.to_string());
    let info = SiteInfo {
        title: settings.title.clone(),
        organization: settings.organization.clone(),
        base_url: settings.base_url.as_ref().map(|u| {
            if u.ends_with('/') {
                u.clone()
            } else {
                format!("{u}/")
            }
        }),
        timezone: settings.timezone.clone(),
        built: clock.time(inputs.now).date,
        short: head.as_ref().map(|h| h[..12].to_owned()),
        commit: head,
        uncommitted: any_uncommitted,
        feed_id: feed_id(inputs),
        counts,
    };
    Site {
        info,
        policies,
        changelog: Arc::clone(&inputs.history.changelog),
        now: inputs.now.as_second(),
    }
}

/// A stable id for the feed: its address when `base_url` is set, else a UUID derived from
/// the commit that added the first policy (and where the handbook sits in the repository).
fn feed_id(inputs: &Inputs<'_>) -> String {
    if let Some(base) = &inputs.handbook.settings.base_url {
        return format!("{}/feed.xml", base.trim_end_matches('/'));
    }
    let seed = match inputs.timeline.revisions.last() {
        Some(first) => format!("normsctl feed {} {}", first.commit, inputs.prefix),
        None => format!("normsctl feed {}", inputs.handbook.settings.title),
    };
    uuid_urn(&seed)
}

/// A name-based (SHA-1, version 5 layout) UUID URN for `seed`: the same seed always gives
/// the same id, so feed readers never see an entry twice.
pub fn uuid_urn(seed: &str) -> String {
    let oid = git2::Oid::hash_object(git2::ObjectType::Blob, seed.as_bytes())
        .expect("hashing a buffer cannot fail");
    let mut b = [0u8; 16];
    b.copy_from_slice(&oid.as_bytes()[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

struct Clock<'a> {
    tz: &'a jiff::tz::TimeZone,
    today: jiff::civil::Date,
}

impl Clock<'_> {
    fn time(&self, ts: jiff::Timestamp) -> TimeView {
        let local = ts.to_zoned(self.tz.clone());
        let utc = ts.to_zoned(jiff::tz::TimeZone::UTC);
        TimeView {
            iso: local.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            local: local.strftime("%Y-%m-%d %H:%M %Z").to_string(),
            date: local.strftime("%Y-%m-%d").to_string(),
            utc: utc.strftime("%Y-%m-%d %H:%M UTC").to_string(),
            unix: ts.as_second(),
        }
    }

    fn stamp(&self, s: Stamp) -> TimeView {
        match jiff::Timestamp::from_second(s.seconds) {
            Ok(ts) => self.time(ts),
            // Out of range: said to be unknown, never shown as 1970.
            Err(_) => TimeView {
                iso: String::new(),
                local: "unknown".into(),
                date: "unknown".into(),
                utc: "unknown".into(),
                unix: s.seconds,
            },
        }
    }

    /// 00:00 of a date in the team's zone.
    fn start_of(&self, date: jiff::civil::Date) -> Option<jiff::Timestamp> {
        date.to_zoned(self.tz.clone()).ok().map(|z| z.timestamp())
    }
}

fn revision_view(r: &Revision, clock: &Clock<'_>, diff: Option<Arc<DiffView>>) -> RevisionView {
    let commit = r.commit.to_string();
    RevisionView {
        id: r.id.clone(),
        change: r.change.as_str(),
        revision: r.revision,
        anchor: format!("rev-{}", &commit[..12]),
        short: Some(commit[..12].to_owned()),
        commit: Some(commit),
        landed: Some(clock.stamp(r.landed)),
        author: Some(r.author_name.clone()),
        subject: Some(r.subject.clone()),
        path: r.path.clone(),
        old_path: r.old_path.clone(),
        diff,
    }
}

/// The newest change of the text: moves and retirements are not changes of what it says.
fn last_changed<'a>(revs: impl Iterator<Item = &'a RevisionView>) -> Option<RevisionView> {
    revs.into_iter()
        .find(|v| matches!(v.change, "added" | "material" | "editorial"))
        .map(|v| RevisionView {
            diff: None,
            ..v.clone()
        })
}

/// When the current revision came into force: the later of the landing of the change that
/// declared it and its effective date.
fn in_force(
    p: &Policy,
    committed: &[&(&Revision, &RevisionView)],
    clock: &Clock<'_>,
) -> Option<String> {
    // The oldest committed change that declared the current revision.
    let declared = committed.iter().rev().find(|(r, _)| {
        r.revision == Some(p.revision.value)
            && matches!(
                r.change,
                Change::Added | Change::Material | Change::Editorial
            )
    })?;
    let landed = jiff::Timestamp::from_second(declared.0.landed.seconds).ok()?;
    let effective = p.effective.as_ref().and_then(|e| clock.start_of(e.value));
    let since = match effective {
        Some(e) if e > landed => e,
        _ => landed,
    };
    Some(clock.time(since).date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CompareOp;

    #[test]
    fn targets_in_words() {
        let t = |op, value| Target::Compare { op, value };
        assert_eq!(
            target_words(&t(CompareOp::Le, 60.0), "minutes"),
            "at most 60 minutes"
        );
        assert_eq!(
            target_words(&t(CompareOp::Ge, 85.0), "percent"),
            "at least 85%"
        );
        assert_eq!(
            target_words(&t(CompareOp::Gt, 4.5), "score"),
            "more than 4.5 score"
        );
        assert_eq!(
            target_words(&Target::Range { min: 2.0, max: 4.0 }, "tickets"),
            "between 2 and 4 tickets"
        );
    }

    #[test]
    fn uuids_are_stable_and_well_formed() {
        let a = uuid_urn("seed");
        assert_eq!(a, uuid_urn("seed"));
        assert_ne!(a, uuid_urn("other"));
        let hex = a.strip_prefix("urn:uuid:").unwrap();
        assert_eq!(hex.len(), 36);
        assert_eq!(&hex[14..15], "5", "version 5 layout: {a}");
        assert!(
            matches!(&hex[19..20], "8" | "9" | "a" | "b"),
            "variant: {a}"
        );
    }
}
