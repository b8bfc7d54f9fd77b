//! What the site shows, as plain serialisable data: one [`PolicyPage`] per policy (current
//! and retired), the changelog, and facts about the build. Templates receive these values;
//! [`super::plan`] compares two of them to decide which pages a rebuild must write.
//!
//! Nothing here carries an e-mail address or acknowledgement data: the site is public.

use serde::Serialize;
use std::sync::Arc;

/// A moment shown to readers, in the team's zone and in UTC: a [`Moment`], shared by every
/// revision a commit landed and every copy of them (the changelog's, the feeds').
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct TimeView(Arc<Moment>);

impl From<Moment> for TimeView {
    fn from(moment: Moment) -> TimeView {
        TimeView(Arc::new(moment))
    }
}

impl std::ops::Deref for TimeView {
    type Target = Moment;
    fn deref(&self) -> &Moment {
        &self.0
    }
}

/// A moment's words.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Moment {
    /// RFC 3339 in the team's zone, for `<time datetime>` and feeds.
    pub iso: String,
    /// `2026-01-05 10:00 CET`
    pub local: String,
    /// `2026-01-05`, in the team's zone.
    pub date: String,
    /// `2026-01-05 09:00 UTC`
    pub utc: String,
    pub unix: i64,
}

/// A person, team or role by id, with the name the roster gives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// A link to another policy's page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Link {
    pub id: String,
    /// The policy's title, or its id when the site has no page for it.
    pub title: String,
    /// `policies/<id>.html` relative to the site root, or `None` when there is no page.
    pub href: Option<String>,
    pub retired: bool,
}

/// A field's path and its name in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldName {
    pub path: String,
    pub label: String,
}

/// One field that changed, with values as a reader reads them (`None`: absent).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldView {
    pub path: String,
    /// The field's name in words (`Target value`), from [`crate::model::labels`].
    pub label: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// Both values' word diff as safe HTML (`<del>`, `<ins>`), when both are present.
    pub words_html: Option<String>,
}

/// A run of body text kept (`equal`), added (`insert`) or removed (`delete`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChunkView {
    pub op: &'static str,
    pub text: String,
}

/// What one revision changed from the one before.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DiffView {
    pub fields: Vec<FieldView>,
    /// Empty when the body did not change.
    pub body: Vec<ChunkView>,
    /// The body's diff rendered (Markdown to safe HTML, removed words in `<del>`, added in
    /// `<ins>`); empty when the body did not change.
    pub body_html: String,
    /// The policy was added: every field is new, and the page shows the text itself.
    pub added: bool,
}

/// One entry of a policy's revision history (or of the changelog).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RevisionView {
    /// The policy's id.
    pub id: String,
    /// `added`, `material`, `editorial`, `reviewed` (an editorial change of the `reviewed`
    /// date only), `moved`, `retired` or `uncommitted`.
    pub change: &'static str,
    /// The declared revision after the change.
    pub revision: Option<u32>,
    /// The `effective` date the text declares after the change.
    pub effective: Option<String>,
    /// Full commit id (`None` for uncommitted changes).
    pub commit: Option<String>,
    pub short: Option<String>,
    /// When it landed on the first-parent line.
    pub landed: Option<TimeView>,
    /// The author's name (never the address).
    pub author: Option<String>,
    pub subject: Option<String>,
    /// The fields it changed: path and words (`target.value`, `Target value`); pages take
    /// the words from the fixed-words table's `field_labels` where it has the path.
    pub changed: Vec<FieldName>,
    /// When the text it brought comes (came) into force, as a date in the team's zone.
    pub takes_effect: Option<String>,
    pub path: String,
    pub old_path: Option<String>,
    /// The fragment this revision has on its policy's page.
    pub anchor: String,
    pub diff: Option<Arc<DiffView>>,
}

/// Every committed change, newest first, as the changelog and the feeds list them: the
/// views of the policies' histories, referred to (not copied), and shown without their
/// diffs (those are on the policy pages; the templates see no `diff`).
#[derive(Debug, Default)]
pub struct ChangeList {
    /// Each policy's views.
    lists: Vec<Arc<Vec<RevisionView>>>,
    /// Each change: its policy's list and its place there.
    at: Vec<(usize, usize)>,
}

impl ChangeList {
    /// The changes at `at` (list, place) of `lists`, in that order.
    pub fn new(lists: Vec<Arc<Vec<RevisionView>>>, at: Vec<(usize, usize)>) -> ChangeList {
        ChangeList { lists, at }
    }

    pub fn len(&self) -> usize {
        self.at.len()
    }

    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &RevisionView> + '_ {
        self.at.iter().map(|&(l, k)| &self.lists[l][k])
    }
}

impl std::ops::Index<usize> for ChangeList {
    type Output = RevisionView;
    fn index(&self, i: usize) -> &RevisionView {
        let (l, k) = self.at[i];
        &self.lists[l][k]
    }
}

/// The same changes in the same order (their diffs compared too: the same change brings
/// the same text).
impl PartialEq for ChangeList {
    fn eq(&self, other: &ChangeList) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// A landed revision that is not in force yet, shown beside the text in force.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UpcomingText {
    pub revision: Option<u32>,
    /// Its in-force instant, RFC 3339 in UTC.
    pub from: String,
    /// The same instant as a date in the team's zone.
    pub from_date: String,
    /// The next upcoming text's instant (RFC 3339, UTC), when there is one: this text
    /// applies until then.
    pub until: Option<String>,
    pub effective: Option<String>,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub body_html: String,
    pub metric: Option<MetricCard>,
    /// What it changes from the text in force (from nothing when none is).
    pub diff: Option<Arc<DiffView>>,
    /// The fragment of its entry in the page's history.
    pub anchor: String,
}

/// A target as data, for programs.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum TargetData {
    Compare { op: &'static str, value: f64 },
    Range { min: f64, max: f64 },
}

/// A metric's card.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricCard {
    pub level: &'static str,
    pub measures: String,
    pub source: String,
    pub unit: String,
    pub statistic: String,
    /// The goal in words: `at most 60 minutes`, `between 2 and 4 tickets`.
    pub target: String,
    /// The goal as data: `{"op": "<=", "value": 30}` or `{"min": 2, "max": 4}`.
    pub target_data: TargetData,
    /// The whole rule in words, with the statistic and the window: `median at most 30
    /// minutes, each week`; `90th percentile at most 48 hours, each month`.
    pub rule: String,
    /// The statistic in words: `median`, `90th percentile`, `average`.
    pub statistic_words: String,
    pub window: String,
    pub controllable: Option<bool>,
    pub visibility: &'static str,
    pub gaming_risk: Option<String>,
    pub guardrails: Vec<Link>,
    /// Fairness warnings a waiver comment in the file covers, with their reasons.
    pub waived: Vec<crate::model::Waived>,
}

/// Everything one policy page shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolicyPage {
    pub id: String,
    pub kind: &'static str,
    pub title: String,
    pub summary: String,
    /// The Markdown source of the body.
    pub body: String,
    /// The body rendered safely (see [`super::markdown`]); templates may print it unescaped.
    pub body_html: String,
    pub owner: Option<Named>,
    pub applies_to: Vec<Named>,
    pub revision: Option<u32>,
    /// `YYYY-MM-DD` in the team's zone.
    pub effective: Option<String>,
    /// The text shown is not in force yet (nothing of this policy is).
    pub upcoming: bool,
    /// When the text shown came (or comes) into force: the later of its landing and its
    /// effective date, as a date in the team's zone.
    pub in_force_since: Option<String>,
    /// The same instant, RFC 3339 in UTC (for programs and for `site.js`).
    pub in_force_from: Option<String>,
    /// Landed revisions not in force yet, in the order they come into force (SPEC "Time");
    /// the last is the text people are asked to acknowledge.
    pub next: Vec<UpcomingText>,
    pub ack_required: bool,
    pub ack_due_days: Option<u32>,
    pub tags: Vec<String>,
    pub related: Vec<Link>,
    pub replaces: Vec<Link>,
    pub replaced_by: Vec<Link>,
    pub metric: Option<MetricCard>,
    /// The file, relative to the top of the work tree.
    pub path: String,
    /// `current` or `retired`.
    pub status: &'static str,
    /// `new`, `modified` or `removed` when the working tree differs from HEAD.
    pub uncommitted: Option<&'static str>,
    /// The newest change to the text (a move is not a change).
    pub last_changed: Option<RevisionView>,
    /// When it was retired.
    pub retired: Option<RevisionView>,
    /// Newest first, an uncommitted change on top.
    pub history: Arc<Vec<RevisionView>>,
}

/// Facts about the whole site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SiteInfo {
    pub title: String,
    pub organization: Option<String>,
    /// With a trailing `/`.
    pub base_url: Option<String>,
    pub timezone: String,
    /// The day of this build in the team's zone (`SOURCE_DATE_EPOCH` when set). A date,
    /// not a time, so that rebuilds within a day leave untouched pages untouched.
    pub built: String,
    /// HEAD's commit, full and short.
    pub commit: Option<String>,
    pub short: Option<String>,
    /// Some policy differs from HEAD. Shown on the index only (each policy page marks its
    /// own), so that starting to edit does not rewrite every page.
    pub uncommitted: bool,
    /// The feed's id: stable for a repository, with or without `base_url`.
    pub feed_id: String,
    /// Policies, by kind, for the counts on the index.
    pub counts: Counts,
    /// The roster's teams and roles, for "what applies to me" on the index.
    pub teams: Vec<Named>,
    pub roles: Vec<Named>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub expectation: usize,
    pub norm: usize,
    pub metric: usize,
    pub retired: usize,
}
