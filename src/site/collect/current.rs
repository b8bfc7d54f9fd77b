//! One current policy's page, made on any core: what [`super::collect`] does for each
//! policy of the working tree. Pure; nothing here prints.

use super::*;

/// What the pages of the current policies are made from, shared by the threads.
pub(super) struct Context<'a, 'i> {
    pub(super) inputs: &'a Inputs<'i>,
    /// Committed history by policy, newest first.
    pub(super) by_id: &'a HashMap<&'a str, Vec<(&'a Revision, &'a RevisionView)>>,
    pub(super) links: &'a Links<'a>,
    pub(super) clock: &'a Clock<'a>,
    pub(super) tz: &'a jiff::tz::TimeZone,
    /// Who continues whom.
    pub(super) replaced_by: &'a HashMap<&'a str, Vec<&'a str>>,
    pub(super) cache: &'a MarkdownCache,
}

/// A current policy's page, with what the whole site learns from it.
pub(super) struct Current {
    pub(super) page: PolicyPage,
    /// Whether the working tree differs from what is committed.
    pub(super) uncommitted: bool,
    /// The bodies the page shows (the cache keeps these).
    pub(super) bodies: Vec<String>,
    /// Bodies the cache lacked, rendered for this page: (source, HTML).
    pub(super) rendered: Vec<(String, String)>,
}

impl Context<'_, '_> {
    /// Policy `p`'s page.
    pub(super) fn page(&self, p: &Policy) -> Current {
        let Context {
            inputs,
            by_id,
            links,
            clock,
            tz,
            replaced_by,
            cache,
        } = *self;
        let roster = inputs.handbook.roster.as_ref();
        let mut rendered = Bodies::new(cache);
        let mut bodies = Vec::new();
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
        let mut history: Vec<RevisionView> = Vec::new();
        if uncommitted.is_some() {
            let before = latest.and_then(|r| inputs.timeline.text(r.blob));
            let after = working.map_or("", |w| w.text.as_str());
            let d = crate::diff::compare(before.as_deref().unwrap_or(""), after);
            history.push(RevisionView {
                id: id.to_owned(),
                change: "uncommitted",
                revision: Some(p.revision.value),
                effective: p.effective.as_ref().map(|e| e.value.to_string()),
                commit: None,
                short: None,
                landed: None,
                author: None,
                subject: None,
                changed: Vec::new(),
                takes_effect: None,
                path: p.file.clone(),
                old_path: latest.filter(|r| r.path != p.file).map(|r| r.path.clone()),
                anchor: "rev-uncommitted".into(),
                diff: Some(Arc::new(diff_view(&d))),
            });
        }
        let in_force_since = if uncommitted.is_some() {
            None
        } else {
            in_force(p, &committed, clock)
        };
        // A committed policy shows the text in force now, whatever HEAD says, and every
        // later text beside it; an uncommitted one is a preview of the working tree.
        let schedule = match uncommitted {
            Some(_) => standing::Schedule::default(),
            None => standing::schedule_of(
                committed.iter().map(|(r, _)| *r),
                inputs.now.as_second(),
                tz,
                |r| effective_in(inputs.timeline, r),
            ),
        };
        let (shown, later) = match (schedule.in_force, schedule.upcoming.split_first()) {
            (Some(t), _) => (Some(t), &schedule.upcoming[..]),
            (None, Some((first, rest))) => (Some(*first), rest),
            (None, None) => (None, &[][..]),
        };
        // The shown text is read only where it is needed: when it is older than the
        // latest (its page shows it), or to diff the upcoming texts against.
        let shown_is_older =
            shown.is_some_and(|t| latest.is_some_and(|l| l.blob != t.revision.blob));
        let shown_text = if shown_is_older || !later.is_empty() {
            shown.and_then(|t| inputs.timeline.text(t.revision.blob))
        } else {
            None
        };
        let older = shown
            .filter(|_| shown_is_older)
            .zip(shown_text.clone())
            .and_then(|(_, text)| decode(&p.file, &text, id));
        let base = older.as_ref().unwrap_or(p);
        let mut page = page_of(base, roster, links, clock, &mut rendered);
        page.path = p.file.clone();
        // The waivers of the file as it is now, on the card of the text it holds.
        if older.is_none()
            && let (Some(card), Some(waived)) =
                (page.metric.as_mut(), inputs.handbook.waived.get(&p.file))
        {
            card.waived = waived.clone();
        }
        bodies.push(base.body.clone().unwrap_or_default());
        if let Some(t) = shown {
            page.upcoming = schedule.in_force.is_none();
            page.in_force_from = Some(rfc3339(t.from));
            let mut next = Vec::new();
            for (k, u) in later.iter().enumerate() {
                let Some(text) = inputs.timeline.text(u.revision.blob) else {
                    continue;
                };
                let Some(q) = decode(&p.file, &text, id) else {
                    continue;
                };
                let d = crate::diff::compare(shown_text.as_deref().unwrap_or(""), &text);
                let body = q.body.clone().unwrap_or_default();
                bodies.push(body.clone());
                next.push(UpcomingText {
                    revision: Some(q.revision.value),
                    from: rfc3339(u.from),
                    from_date: clock.date(ts(u.from)),
                    until: later.get(k + 1).map(|n| rfc3339(n.from)),
                    effective: q.effective.as_ref().map(|e| e.value.to_string()),
                    title: q.title.clone(),
                    summary: q.summary.clone(),
                    body_html: rendered.html(&body),
                    body,
                    metric: q.metric.as_ref().map(|m| metric_card(m, links)),
                    diff: Some(Arc::new(diff_view(&d))),
                    anchor: format!("rev-{}", &u.revision.commit.to_string()[..12]),
                });
            }
            page.next = next;
        }
        page.replaced_by = links.many(replaced_by.get(id).into_iter().flatten().copied());
        page.uncommitted = uncommitted;
        page.in_force_since = match shown {
            Some(t) => Some(clock.date(ts(t.from))),
            None => in_force_since,
        };
        page.last_changed = last_changed(committed.iter().map(|(_, v)| *v));
        page.history = if history.is_empty() {
            // Nothing uncommitted: the committed views, shared (and cheap to compare).
            inputs.history.shared.get(id).cloned().unwrap_or_default()
        } else {
            history.extend(committed.iter().map(|(_, v)| (*v).clone()));
            Arc::new(history)
        };
        Current {
            page,
            uncommitted: uncommitted.is_some(),
            bodies,
            rendered: rendered.fresh,
        }
    }
}
