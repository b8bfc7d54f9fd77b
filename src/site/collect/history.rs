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
    pub(super) changelog: Arc<Vec<RevisionView>>,
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
        // Each revision's view on every core (formatting its times is most of the work),
        // then the lists in order. A commit's time is formatted once for all the revisions
        // it landed (they are next to each other).
        use rayon::prelude::*;
        let mut commits: Vec<(Oid, Stamp)> = Vec::new();
        for r in &timeline.revisions {
            if commits.last().is_none_or(|(c, _)| *c != r.commit) {
                commits.push((r.commit, r.landed));
            }
        }
        let landed: foldhash::HashMap<Oid, TimeView> = commits
            .into_par_iter()
            .map(|(c, at)| (c, clock.stamp(at)))
            .collect();
        let views: Vec<(RevisionView, Option<RevisionView>)> = timeline
            .revisions
            .par_iter()
            .zip(previous)
            .map(|(r, before)| {
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
                // The changelog's copy (without the diff) is made here too, on every core.
                // Moves are kept in `log`; readers' changelog and feed leave them out.
                let listed = (r.change != Change::Moved).then(|| RevisionView {
                    diff: None,
                    ..view.clone()
                });
                (view, listed)
            })
            .collect();
        // Filed by policy under borrowed ids (one owned id per policy, not per revision):
        // its revisions' indices, their views, and where its changes are in the changelog.
        type Filed = (Vec<usize>, Vec<RevisionView>, Vec<usize>);
        let mut filed: foldhash::HashMap<&str, Filed> = foldhash::HashMap::default();
        let mut changelog = Vec::with_capacity(timeline.revisions.len());
        for (i, (r, (view, listed))) in timeline.revisions.iter().zip(views).enumerate() {
            let (indices, views, changes) = filed.entry(&r.id).or_default();
            if let Some(listed) = listed {
                changes.push(changelog.len());
                changelog.push(listed);
            }
            indices.push(i);
            views.push(view);
        }
        let mut by_id = HashMap::with_capacity(filed.len());
        let mut shared = HashMap::with_capacity(filed.len());
        let mut changes_by_policy = HashMap::with_capacity(filed.len());
        for (id, (indices, views, changes)) in filed {
            by_id.insert(id.to_owned(), indices);
            shared.insert(id.to_owned(), Arc::new(views));
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
