//! Which text of a policy applied at a moment (SPEC "Time"): a revision is in force from
//! the later of its landing and its `effective` date (00:00 in the handbook's zone).

use super::{Change, Revision};
use jiff::tz::TimeZone;

/// Where a policy stood at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// A text had landed and come into force.
    InForce,
    /// A text had landed but its effective date was still ahead, and no earlier one was in
    /// force.
    Upcoming,
    /// Its file had been removed.
    Retired,
    /// Nothing of it had landed yet.
    NotYet,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::InForce => "in_force",
            Standing::Upcoming => "upcoming",
            Standing::Retired => "retired",
            Standing::NotYet => "not_yet",
        }
    }
}

/// The answer for one policy at one moment.
#[derive(Clone, Debug)]
pub struct At<'h> {
    pub standing: Standing,
    /// The change that landed the text that applied (in force), the one waiting
    /// (upcoming), or the last one (retired); `None` when nothing had landed. Moves are
    /// not changes of the text: this is the change before them.
    pub revision: Option<&'h Revision>,
    /// Where that text's file was then (after any later moves).
    pub path: Option<&'h str>,
    /// When `revision` came (or comes) into force, as Unix seconds.
    pub in_force_from: Option<i64>,
    /// A later text that had landed but was not in force yet, while `revision` was.
    pub next: Option<&'h Revision>,
    /// The retirement, when retired.
    pub retired: Option<&'h Revision>,
}

/// When a revision comes into force: the later of its landing and its effective date.
pub fn in_force_from(
    revision: &Revision,
    effective: Option<jiff::civil::Date>,
    tz: &TimeZone,
) -> i64 {
    let start = effective
        .and_then(|d| d.to_zoned(tz.clone()).ok())
        .map(|z| z.timestamp().as_second());
    start.map_or(revision.landed.seconds, |s| s.max(revision.landed.seconds))
}

/// Where policy `id` stood at `at` (Unix seconds), given the history (any order) and a
/// way to learn each revision's `effective` date.
pub fn at<'h>(
    history: &'h [Revision],
    id: &str,
    at: i64,
    tz: &TimeZone,
    effective: impl Fn(&Revision) -> Option<jiff::civil::Date>,
) -> At<'h> {
    let mut landed: Vec<&Revision> = history
        .iter()
        // A change whose landing time is unknown (out of range) never counts as landed.
        .filter(|r| r.id == id && r.landed.known() && r.landed.seconds <= at)
        .collect();
    // Oldest first; the walk's order breaks ties between commits with equal times.
    landed.reverse();
    let mut answer = At {
        standing: Standing::NotYet,
        revision: None,
        path: None,
        in_force_from: None,
        next: None,
        retired: None,
    };
    let Some(last) = landed.last() else {
        return answer;
    };
    if last.change == Change::Retired {
        answer.standing = Standing::Retired;
        answer.revision = landed
            .iter()
            .rev()
            .skip(1)
            .find(|r| r.change != Change::Moved)
            .copied()
            .or(Some(last));
        answer.path = Some(&last.path);
        answer.retired = Some(last);
        return answer;
    }
    // Texts since the last retirement (an id may come back), each with where its file
    // ended up: a move carries the text before it along.
    let since = landed
        .iter()
        .rposition(|r| r.change == Change::Retired)
        .map_or(0, |i| i + 1);
    let mut texts: Vec<(&Revision, &str)> = Vec::new();
    for r in &landed[since..] {
        match texts.last_mut() {
            Some(last) if r.change == Change::Moved => last.1 = &r.path,
            _ => texts.push((r, &r.path)),
        }
    }
    let mut waiting = None;
    for &(r, path) in texts.iter().rev() {
        let from = in_force_from(r, effective(r), tz);
        answer.revision = Some(r);
        answer.path = Some(path);
        answer.in_force_from = Some(from);
        if from <= at {
            answer.standing = Standing::InForce;
            answer.next = waiting;
            return answer;
        }
        answer.standing = Standing::Upcoming;
        waiting = Some(r);
    }
    answer
}

/// The newest text at the tip, in force now or upcoming (or its last text, if retired).
pub fn latest<'h>(
    history: &'h [Revision],
    id: &str,
    now: i64,
    tz: &jiff::tz::TimeZone,
    effective: impl Fn(&Revision) -> Option<jiff::civil::Date>,
) -> At<'h> {
    let mut answer = at(history, id, i64::MAX, tz, effective);
    if answer.standing == Standing::InForce && answer.in_force_from.is_some_and(|f| f > now) {
        answer.standing = Standing::Upcoming;
    }
    answer
}

/// The `effective` date a revision's text declares (none for a retirement).
pub fn effective_of(git: &git2::Repository, r: &Revision) -> Option<jiff::civil::Date> {
    if r.change == Change::Retired {
        return None;
    }
    let blob = git.find_blob(r.blob).ok()?;
    let text = std::str::from_utf8(blob.content()).ok()?;
    crate::diff::Fields::of(text).text("effective").parse().ok()
}
