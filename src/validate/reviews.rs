//! Policy reviews: each policy's owner reviews it every `review_every` (or the settings'
//! `reviews.every`) and records the day in `reviewed`. The next review is due that period
//! after `reviewed` or, without it, after the landing of the policy's first revision
//! (calendar months clamped to the month's end, in the handbook's zone).
//!
//! A lapsed review is a notice (`review-overdue`) that `--strict` never promotes: a gate
//! must not fail because a day passed. With `--base`, a `reviewed` date later than the
//! change that wrote it is an error. Both fields are editorial: neither asks anyone to
//! acknowledge again. Nothing here prints.

use crate::diag::{Finding, Pos, Rule, Severity};
use crate::model::{Handbook, Period};
use crate::workspace::{Workspace, WorkspaceError};
use jiff::civil::Date;
use std::collections::HashMap;

pub static REVIEW_OVERDUE: Rule = Rule {
    name: "review-overdue",
    severity: Severity::Notice,
    summary: "a policy's periodic review is past its due date",
    help: "review the policy, then run `normsctl review <id>` and commit (the commit is the record)",
};

pub static REVIEWED_IN_FUTURE: Rule = Rule {
    name: "reviewed-in-future",
    severity: Severity::Error,
    summary: "`reviewed` names a day later than the change that wrote it",
    help: "write the day the review happened (`normsctl review <id>` writes today)",
};

/// One policy's review schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Review {
    pub id: String,
    pub title: String,
    pub file: String,
    /// The owner's id (a person or a team), as the policy names it.
    pub owner: Option<String>,
    pub every: Period,
    /// The policy's `reviewed` date, if any.
    pub reviewed: Option<Date>,
    /// The day the period runs from: `reviewed`, or the first revision's landing.
    pub since: Date,
    pub due: Date,
    /// Where a finding about it stands (`reviewed`, else `review_every`, else `revision`).
    pub pos: Pos,
}

impl Review {
    /// Days past due on `today` (0 or less: not overdue).
    pub fn days_overdue(&self, today: Date) -> i64 {
        (today - self.due).get_days().into()
    }
}

/// The review schedule of every policy with a period. `first_landed` gives, by id, the
/// day (handbook zone) its first revision landed; a policy with neither `reviewed` nor a
/// landing (new, uncommitted) has no review due yet.
pub fn schedule(handbook: &Handbook, first_landed: &HashMap<String, Date>) -> Vec<Review> {
    let default = handbook.settings.review_every;
    let mut out = Vec::new();
    for p in &handbook.policies {
        let every = p.review_every.as_ref().map_or(default, |e| e.value);
        let reviewed = p.reviewed.as_ref().map(|r| r.value);
        let Some(since) = reviewed.or_else(|| first_landed.get(&p.id.value).copied()) else {
            continue;
        };
        let Some(due) = every.after(since) else {
            continue;
        };
        let pos = ["reviewed", "review_every", "revision"]
            .iter()
            .find_map(|k| p.keys.get(*k).copied())
            .unwrap_or(Pos::START);
        out.push(Review {
            id: p.id.value.clone(),
            title: p.title.clone(),
            file: p.file.clone(),
            owner: p.owner.as_ref().map(|o| o.value.clone()),
            every,
            reviewed,
            since,
            due,
            pos,
        });
    }
    out.sort_by(|a, b| (a.due, &a.id).cmp(&(b.due, &b.id)));
    out
}

/// Whether any policy's schedule needs the history (a period and no `reviewed`).
pub fn needs_history(handbook: &Handbook) -> bool {
    handbook.policies.iter().any(|p| {
        p.reviewed.is_none()
            && p.review_every
                .as_ref()
                .map_or(handbook.settings.review_every, |e| e.value)
                != Period::Never
    })
}

/// By policy id, the day (handbook zone) the policy's first revision landed on HEAD's
/// first-parent line: the landing of its latest addition (a retired id that came back
/// starts again).
pub fn first_landings(ws: &Workspace) -> Result<HashMap<String, Date>, WorkspaceError> {
    let revisions = ws.walk(ws.head()?, None)?;
    let mut out = HashMap::new();
    // Newest first: the first addition met is the latest one.
    for r in &revisions {
        if r.change == crate::history::Change::Added && !out.contains_key(&r.id) {
            let Ok(ts) = jiff::Timestamp::from_second(r.landed.seconds) else {
                continue;
            };
            out.insert(r.id.clone(), ts.to_zoned(ws.tz.clone()).date());
        }
    }
    Ok(out)
}

/// The schedule as `validate` and `reviews` need it: history is read only when a policy
/// needs it, and where it cannot be read (outside git, a shallow clone) the policies
/// without `reviewed` have no date yet.
pub fn schedule_in(ws: &Workspace, handbook: &Handbook) -> Vec<Review> {
    let landed = if needs_history(handbook) {
        first_landings(ws).unwrap_or_default()
    } else {
        HashMap::new()
    };
    schedule(handbook, &landed)
}

/// `review-overdue` notices: each review whose due date is before `today`.
pub fn overdue(reviews: &[Review], today: Date, findings: &mut Vec<Finding>) {
    for r in reviews.iter().filter(|r| r.due < today) {
        let from = match r.reviewed {
            Some(d) => format!("last reviewed {d}"),
            None => format!("first landed {}", r.since),
        };
        findings.push(
            Finding::new(
                &REVIEW_OVERDUE,
                &r.file,
                r.pos,
                format!(
                    "the review of `{}` was due on {} (every {}, {from})",
                    r.id, r.due, r.every
                ),
            )
            .hint(format!(
                "review it with its owner, then run `normsctl review {}` and commit",
                r.id
            )),
        );
    }
}

/// With `--base`: a `reviewed` date that changed since the base (or is new) may not be
/// later than the day of the change that wrote it: the commit that last changed the file
/// on HEAD's first-parent line when the working tree holds HEAD's text, else now.
pub fn check_reviewed_dates(
    ws: &Workspace,
    base: &crate::history::snapshot::Snapshot,
    handbook: &Handbook,
    findings: &mut Vec<Finding>,
) -> Result<(), WorkspaceError> {
    for p in &handbook.policies {
        let Some(reviewed) = &p.reviewed else {
            continue;
        };
        let before = base
            .get(&crate::history::stem(&p.file))
            .map(|f| crate::diff::Fields::of(&f.text).text("reviewed").to_owned());
        if before.as_deref() == Some(reviewed.value.to_string().as_str()) {
            continue;
        }
        let when = change_time(ws, &p.file)?;
        let day = when.to_zoned(ws.tz.clone()).date();
        if reviewed.value > day {
            findings.push(
                Finding::new(
                    &REVIEWED_IN_FUTURE,
                    &p.file,
                    reviewed.pos,
                    format!(
                        "`reviewed: {}` is later than the change that wrote it",
                        reviewed.value
                    ),
                )
                .hint(format!(
                    "write the day the review happened: the change is of {day}, so at the latest `reviewed: {day}`"
                )),
            );
        }
    }
    Ok(())
}

/// When the file at `file` (relative to the work tree) was last changed: the committer
/// time of the newest first-parent commit that changed it, when the working tree holds
/// the committed text; now otherwise.
fn change_time(ws: &Workspace, file: &str) -> Result<jiff::Timestamp, WorkspaceError> {
    let now = ws.now()?;
    let (Ok(repo), Ok(head)) = (ws.repo(), ws.head()) else {
        return Ok(now);
    };
    let rel = file.strip_prefix(&ws.loc.prefix).unwrap_or(file);
    let Ok(bytes) = std::fs::read(ws.loc.root.join(rel)) else {
        return Ok(now);
    };
    let working = git2::Oid::hash_object(git2::ObjectType::Blob, &bytes)?;
    let path = std::path::Path::new(file);
    let blob_at = |c: &git2::Commit| c.tree().ok()?.get_path(path).ok().map(|e| e.id());
    let mut commit = repo.find_commit(head)?;
    if blob_at(&commit) != Some(working) {
        return Ok(now);
    }
    loop {
        let parent = commit.parent(0).ok();
        if parent.as_ref().and_then(blob_at) != Some(working) {
            return Ok(jiff::Timestamp::from_second(commit.time().seconds()).unwrap_or(now));
        }
        commit = parent.expect("checked above");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{decode::Decoder, policy};
    use jiff::civil::date;

    fn handbook(yaml: &str, every: Period) -> Handbook {
        let node = crate::yaml::parse(yaml).unwrap().unwrap();
        let mut d = Decoder::new("policies/p.yaml", yaml);
        let p = policy::decode(&mut d, &node, "p").unwrap();
        let mut h = Handbook::default();
        h.settings.review_every = every;
        h.policies.push(p);
        h
    }

    const BASE: &str =
        "id: p\nkind: norm\ntitle: P\nsummary: S\nbody: B\nowner: ana\nrevision: 1\n";

    #[test]
    fn due_from_reviewed_or_the_first_landing_clamped_to_the_month_end() {
        let h = handbook(
            &format!("{BASE}review_every: 6 months\nreviewed: 2025-08-31\n"),
            Period::Never,
        );
        let s = schedule(&h, &HashMap::new());
        assert_eq!(s[0].due, date(2026, 2, 28));
        assert_eq!(s[0].days_overdue(date(2026, 3, 2)), 2);

        let h = handbook(BASE, Period::Months(12));
        let landed = HashMap::from([("p".to_owned(), date(2025, 1, 31))]);
        assert_eq!(schedule(&h, &landed)[0].due, date(2026, 1, 31));
        // Without a landing (uncommitted) or with no period, nothing is due.
        assert!(schedule(&h, &HashMap::new()).is_empty());
        let h = handbook(&format!("{BASE}review_every: none\n"), Period::Months(12));
        assert!(schedule(&h, &landed).is_empty());
    }

    #[test]
    fn only_a_lapsed_review_is_a_notice() {
        let h = handbook(
            &format!("{BASE}review_every: 12 months\nreviewed: 2025-06-01\n"),
            Period::Never,
        );
        let s = schedule(&h, &HashMap::new());
        let mut findings = Vec::new();
        overdue(&s, date(2026, 6, 1), &mut findings);
        assert!(findings.is_empty(), "due today is not overdue");
        overdue(&s, date(2026, 6, 2), &mut findings);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Notice);
        assert_eq!(findings[0].pos.line, 9);
    }
}
