//! Turns a loaded handbook, its committed history and the working tree into the data the
//! pages show ([`Site`]). Pure: files are read by the caller ([`WorkingFile`]s) and git by
//! [`super::timeline`].

use super::markdown;
use super::timeline::{Timeline, diff_view};
use super::view::*;
use crate::history::standing;
use crate::history::{Change, Revision, Stamp};
use crate::model::{
    EVERYONE, Handbook, Level, Located, Metric, Policy, Roster, Target, Visibility,
};
use foldhash::{HashMap, HashMapExt};
use git2::Oid;
use std::collections::BTreeMap;
use std::sync::Arc;

mod current;
mod history;
mod page;
pub use history::HistoryViews;
use page::*;
pub use page::{rule_words, statistic_words, target_words};

/// Everything the site shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Site {
    pub info: SiteInfo,
    /// Current and retired policies by id.
    pub policies: BTreeMap<String, PolicyPage>,
    /// Every committed change, newest first (shown without diffs; those are on policy pages).
    pub changelog: Arc<ChangeList>,
    /// Where each policy's changes are in `changelog` (ascending: newest first), so a
    /// policy's or a team's feed does not scan the whole changelog.
    pub changes_by_policy: Arc<HashMap<String, Vec<usize>>>,
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

/// Rendered bodies by source, so a rebuild renders only bodies that changed. Keyed by
/// whole bodies with a fast hasher: SipHash over every body, four times a build, was a
/// serial step of the collect.
#[derive(Debug, Default)]
pub struct MarkdownCache(foldhash::HashMap<String, String>);

impl MarkdownCache {
    /// Renders the bodies it does not hold yet, on every core.
    fn fill<'s>(&mut self, sources: impl Iterator<Item = &'s str>) {
        use rayon::prelude::*;
        let mut missing: Vec<&str> = sources.filter(|s| !self.0.contains_key(*s)).collect();
        missing.sort_unstable();
        missing.dedup();
        let rendered: Vec<(String, String)> = missing
            .into_par_iter()
            .map(|s| (s.to_owned(), markdown::to_html(s)))
            .collect();
        self.0.extend(rendered);
    }

    /// Forgets bodies no longer in use (kept small across many rebuilds).
    fn retain_only(&mut self, sources: &foldhash::HashSet<String>) {
        self.0.retain(|k, _| sources.contains(k));
    }
}

/// Rendered bodies read from a [`MarkdownCache`] shared between threads, with those it
/// lacks rendered here and kept (`fresh`) to be added to it afterwards.
pub(super) struct Bodies<'c> {
    cache: &'c MarkdownCache,
    fresh: Vec<(String, String)>,
}

impl<'c> Bodies<'c> {
    fn new(cache: &'c MarkdownCache) -> Bodies<'c> {
        Bodies {
            cache,
            fresh: Vec::new(),
        }
    }

    pub(super) fn html(&mut self, source: &str) -> String {
        if let Some(html) = self.cache.0.get(source) {
            return html.clone();
        }
        if let Some((_, html)) = self.fresh.iter().find(|(s, _)| s == source) {
            return html.clone();
        }
        let html = markdown::to_html(source);
        self.fresh.push((source.to_owned(), html.clone()));
        html
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
    /// The fixed-words table's words for metric rules.
    pub words: &'a crate::site::words::Words,
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
            let views = inputs
                .history
                .shared
                .get(id)
                .map_or(&[][..], |v| v.as_slice());
            let revs = revs.iter().map(|i| &revisions[*i]).zip(views).collect();
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
        let policy = text.and_then(|t| decode(&last.path, &t, id));
        retired_texts.push((id, last, policy));
    }
    for (id, _, p) in &retired_texts {
        titles.insert(id, (p.as_ref().map_or(*id, |p| p.title.as_str()), true));
    }
    for p in &inputs.handbook.policies {
        titles.insert(&p.id.value, (&p.title, false));
    }
    let links = Links {
        titles: &titles,
        words: inputs.words,
    };

    // Who continues whom.
    let mut replaced_by: HashMap<&str, Vec<&str>> = HashMap::new();
    for p in &inputs.handbook.policies {
        for old in &p.replaces {
            replaced_by.entry(&old.value).or_default().push(&p.id.value);
        }
    }

    cache.fill(
        inputs
            .handbook
            .policies
            .iter()
            .chain(retired_texts.iter().filter_map(|(_, _, p)| p.as_ref()))
            .map(|p| p.body.as_deref().unwrap_or_default()),
    );
    let mut policies = BTreeMap::new();
    let mut counts = Counts::default();
    let mut any_uncommitted = false;
    let mut bodies = foldhash::HashSet::default();
    // Each current policy's page on every core; the bodies the cache lacked are added to it
    // afterwards.
    let context = current::Context {
        inputs,
        by_id: &by_id,
        links: &links,
        clock: &clock,
        tz: &tz,
        replaced_by: &replaced_by,
        cache,
    };
    let pages: Vec<current::Current> = {
        use rayon::prelude::*;
        inputs
            .handbook
            .policies
            .par_iter()
            .map(|p| context.page(p))
            .collect()
    };
    let mut fresh = Vec::new();
    for (p, made) in inputs.handbook.policies.iter().zip(pages) {
        match p.kind {
            crate::model::Kind::Expectation => counts.expectation += 1,
            crate::model::Kind::Norm => counts.norm += 1,
            crate::model::Kind::Metric => counts.metric += 1,
        }
        any_uncommitted |= made.uncommitted;
        bodies.extend(made.bodies);
        fresh.extend(made.rendered);
        policies.insert(p.id.value.clone(), made.page);
    }
    let mut rendered = Bodies::new(cache);
    rendered.fresh = fresh;

    for (id, last, policy) in &retired_texts {
        let revs = &by_id[id];
        let mut page = match policy {
            Some(p) => {
                bodies.insert(p.body.clone().unwrap_or_default());
                page_of(p, roster, &links, &clock, &mut rendered)
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
    let fresh = rendered.fresh;
    cache.0.extend(fresh);
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
        built: clock.date(inputs.now),
        short: head.as_ref().map(|h| h[..12].to_owned()),
        commit: head,
        uncommitted: any_uncommitted,
        feed_id: feed_id(inputs),
        counts,
        teams: roster.map_or_else(Vec::new, |r| {
            r.teams
                .iter()
                .map(|t| Named {
                    id: t.id.value.clone(),
                    name: t.name.clone(),
                })
                .collect()
        }),
        roles: roster.map_or_else(Vec::new, |r| {
            r.roles
                .iter()
                .map(|t| Named {
                    id: t.id.value.clone(),
                    name: t.name.clone(),
                })
                .collect()
        }),
    };
    Site {
        info,
        policies,
        changelog: Arc::clone(&inputs.history.changelog),
        changes_by_policy: Arc::clone(&inputs.history.changes_by_policy),
        now: inputs.now.as_second(),
    }
}

/// A stable id for the feed: a UUID derived from the commit that added the first policy
/// (and where the handbook sits in the repository). Never the address: RFC 4287 says a
/// feed's id must not change when the feed moves, or when `base_url` is set.
fn feed_id(inputs: &Inputs<'_>) -> String {
    let seed = match inputs.timeline.revisions.last() {
        Some(first) => format!("normsctl feed {} {}", first.commit, inputs.prefix),
        None => format!("normsctl feed {}", inputs.handbook.settings.title),
    };
    uuid_urn(&seed)
}

/// A name-based (SHA-1, version 5 layout) UUID URN for `seed`: the same seed always gives
/// the same id, so feed readers never see an entry twice.
pub fn uuid_urn(seed: &str) -> String {
    use sha1::Digest;
    // The id git gives `seed` as a blob, as every id published so far was made. Hashed
    // here: libgit2's SHA-1 detects collisions, which costs several times as much and
    // would only turn a crafted collision into an error, never into another id.
    let mut sha = sha1::Sha1::new();
    sha.update(format!("blob {}\0", seed.len()));
    sha.update(seed);
    let digest = sha.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    // Written digit by digit: a feed entry's id is made for every entry of every feed.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(45);
    out.push_str("urn:uuid:");
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(x >> 4)]));
        out.push(char::from(HEX[usize::from(x & 0x0f)]));
    }
    out
}

/// The `effective` date a committed text declares.
fn effective_in(timeline: &Timeline, r: &Revision) -> Option<jiff::civil::Date> {
    if r.change == Change::Retired {
        return None;
    }
    if let Some(known) = timeline.effective_of(r.blob) {
        return known;
    }
    let text = timeline.text(r.blob)?;
    crate::diff::Fields::of(&text)
        .text("effective")
        .parse()
        .ok()
}

fn ts(seconds: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(seconds).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// Unix seconds as RFC 3339 in UTC (`2026-12-06T23:00:00Z`).
pub fn rfc3339(seconds: i64) -> String {
    // From the year 0000 to jiff's last moment by arithmetic (an answer may hold thousands
    // of times); the rest as jiff writes them.
    const FIRST: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
    if !(FIRST..=jiff::Timestamp::MAX.as_second()).contains(&seconds) {
        return ts(seconds).strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    }
    let (days, secs) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil, on an era of 400 years from 0000-03-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut out = *b"0000-00-00T00:00:00Z";
    for (at, width, value) in [
        (0, 4, year),
        (5, 2, month),
        (8, 2, day),
        (11, 2, secs / 3600),
        (14, 2, secs / 60 % 60),
        (17, 2, secs % 60),
    ] {
        let mut v = value;
        for i in (at..at + width).rev() {
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    }
    String::from_utf8(out.to_vec()).unwrap_or_default()
}

struct Clock<'a> {
    tz: &'a jiff::tz::TimeZone,
    today: jiff::civil::Date,
}

impl Clock<'_> {
    fn time(&self, ts: jiff::Timestamp) -> TimeView {
        let local = ts.to_zoned(self.tz.clone());
        let utc = ts.to_zoned(jiff::tz::TimeZone::UTC);
        TimeView::from(Moment {
            iso: local.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            local: local.strftime("%Y-%m-%d %H:%M %Z").to_string(),
            date: local.strftime("%Y-%m-%d").to_string(),
            utc: utc.strftime("%Y-%m-%d %H:%M UTC").to_string(),
            unix: ts.as_second(),
        })
    }

    /// The date of `ts` in the team's zone (`time(ts).date` without the other formats).
    fn date(&self, ts: jiff::Timestamp) -> String {
        ts.to_zoned(self.tz.clone())
            .strftime("%Y-%m-%d")
            .to_string()
    }

    fn stamp(&self, s: Stamp) -> TimeView {
        match jiff::Timestamp::from_second(s.seconds) {
            Ok(ts) => self.time(ts),
            // Out of range: said to be unknown, never shown as 1970.
            Err(_) => TimeView::from(Moment {
                iso: String::new(),
                local: "unknown".into(),
                date: "unknown".into(),
                utc: "unknown".into(),
                unix: s.seconds,
            }),
        }
    }

    /// 00:00 of a date in the team's zone.
    fn start_of(&self, date: jiff::civil::Date) -> Option<jiff::Timestamp> {
        date.to_zoned(self.tz.clone()).ok().map(|z| z.timestamp())
    }
}

/// A committed revision's view, landed at `landed` (its commit's time, formatted once per
/// commit).
fn revision_view(r: &Revision, landed: TimeView, diff: Option<Arc<DiffView>>) -> RevisionView {
    let commit = r.commit.to_string();
    RevisionView {
        id: r.id.clone(),
        change: r.change.as_str(),
        revision: r.revision,
        effective: None,
        anchor: format!("rev-{}", &commit[..12]),
        short: Some(commit[..12].to_owned()),
        commit: Some(commit),
        landed: Some(landed),
        author: Some(r.author_name.clone()),
        subject: Some(r.subject.clone()),
        changed: Vec::new(),
        takes_effect: None,
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
    Some(clock.date(since))
}

#[cfg(test)]
mod tests;
