//! The committed history as the pages show it, made once per HEAD.

use super::*;

/// The committed history as the pages show it (times in the team's zone, diffs attached),
/// by policy and as the changelog. It depends only on the timeline and the time zone, so
/// `serve` makes it once per HEAD, not once per edit.
#[derive(Debug, Default)]
pub struct HistoryViews {
    /// The time zone the times are shown in.
    pub timezone: String,
    /// Each policy's committed revisions, newest first, by index in the timeline's
    /// revisions.
    pub(super) by_id: HashMap<String, Vec<usize>>,
    /// Their views, in the same order: the history a page shows when nothing is
    /// uncommitted.
    pub(super) shared: HashMap<String, Arc<Vec<RevisionView>>>,
    pub(super) changelog: Arc<ChangeList>,
    pub(super) changes_by_policy: Arc<HashMap<String, Vec<usize>>>,
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
        // A commit's time is formatted once for all the revisions it landed (they are next
        // to each other), on every core: formatting times is most of the work.
        use rayon::prelude::*;
        let mut commits: Vec<(Oid, Stamp)> = Vec::new();
        for r in &timeline.revisions {
            if commits.last().is_none_or(|(c, _)| *c != r.commit) {
                commits.push((r.commit, r.landed));
            }
        }
        let landed: crate::history::ids::IdMap<Oid, TimeView> = commits
            .into_par_iter()
            .map(|(c, at)| (c, clock.stamp(at)))
            .collect();
        // The revisions' indices filed by policy (under borrowed ids), in the timeline's
        // order.
        let mut filed: foldhash::HashMap<&str, Vec<usize>> = foldhash::HashMap::default();
        for (i, r) in timeline.revisions.iter().enumerate() {
            filed.entry(&r.id).or_default().push(i);
        }
        let filed: Vec<(&str, Vec<usize>)> = filed.into_iter().collect();
        // Each policy's views on every core, made where they are kept: nothing is moved
        // afterwards (moving 20,000 views into their lists was a serial tenth of `build`'s
        // collect phase).
        let view_of = |i: usize| {
            let (r, before) = (&timeline.revisions[i], previous[i]);
            let diff = match r.change {
                Change::Added | Change::Material | Change::Editorial => {
                    timeline.diff_of(before, r.blob).cloned()
                }
                _ => None,
            };
            let mut view = revision_view(r, landed[&r.commit].clone(), diff);
            let effective = effective_in(timeline, r);
            view.effective = effective.map(|d| d.to_string());
            view.subject = Some(timeline.title_of(r).to_owned());
            if let Some(d) = &view.diff {
                if !d.added {
                    // The revision is named beside the entry already.
                    view.changed = d
                        .fields
                        .iter()
                        .filter(|f| f.path != "revision")
                        .map(|f| FieldName {
                            path: f.path.clone(),
                            label: f.label.clone(),
                        })
                        .collect();
                    view.changed.dedup_by(|a, b| a.label == b.label);
                    if !d.body_html.is_empty() {
                        view.changed.push(FieldName {
                            path: "body".to_owned(),
                            label: crate::model::labels::field_label("body"),
                        });
                    }
                    // Only the `reviewed` line changed: the owner's review, not a change to
                    // read (as `log` shows it).
                    if r.review {
                        view.change = "reviewed";
                        view.changed.clear();
                    }
                }
                view.takes_effect =
                    Some(clock.date(ts(standing::in_force_from(r, effective, &tz))));
            }
            view
        };
        let views: Vec<Arc<Vec<RevisionView>>> = filed
            .par_iter()
            .map(|(_, indices)| Arc::new(indices.iter().map(|&i| view_of(i)).collect()))
            .collect();
        // The changelog: where each view is, in the timeline's order. Moves are kept in
        // `log`; readers' changelog and feed leave them out.
        let mut place = vec![(0, 0); timeline.revisions.len()];
        for (f, (_, indices)) in filed.iter().enumerate() {
            for (k, &i) in indices.iter().enumerate() {
                place[i] = (f, k);
            }
        }
        let listed: Vec<usize> = (0..timeline.revisions.len())
            .filter(|&i| timeline.revisions[i].change != Change::Moved)
            .collect();
        // Where each policy's changes are in the changelog.
        let mut changes: Vec<Vec<usize>> = vec![Vec::new(); filed.len()];
        for (at, &i) in listed.iter().enumerate() {
            changes[place[i].0].push(at);
        }
        let changelog = ChangeList::new(views.clone(), listed.iter().map(|&i| place[i]).collect());
        let mut by_id = HashMap::with_capacity(filed.len());
        let mut shared = HashMap::with_capacity(filed.len());
        let mut changes_by_policy = HashMap::with_capacity(filed.len());
        for (((id, indices), views), changes) in filed.into_iter().zip(views).zip(changes) {
            by_id.insert(id.to_owned(), indices);
            shared.insert(id.to_owned(), views);
            if !changes.is_empty() {
                changes_by_policy.insert(id.to_owned(), changes);
            }
        }
        HistoryViews {
            timezone: timezone.to_owned(),
            by_id,
            shared,
            changelog: Arc::new(changelog),
            changes_by_policy: Arc::new(changes_by_policy),
        }
    }
}
