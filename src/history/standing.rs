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
    /// When `next` comes into force, as Unix seconds.
    pub next_from: Option<i64>,
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
    // Sized at once: this runs for every policy of a `what_applies`.
    let mut landed: Vec<&Revision> = Vec::with_capacity(history.len());
    landed.extend(
        history
            .iter()
            // A change whose landing time is unknown (out of range) never counts as landed.
            .filter(|r| r.id == id && r.landed.known() && r.landed.seconds <= at),
    );
    // Oldest first; the walk's order breaks ties between commits with equal times.
    landed.reverse();
    let mut answer = At {
        standing: Standing::NotYet,
        revision: None,
        path: None,
        in_force_from: None,
        next: None,
        next_from: None,
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
    let mut texts: Vec<(&Revision, &str)> = Vec::with_capacity(landed.len() - since);
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
            if let Some((next, next_from)) = waiting {
                answer.next = Some(next);
                answer.next_from = Some(next_from);
            }
            return answer;
        }
        answer.standing = Standing::Upcoming;
        waiting = Some((r, from));
    }
    answer
}

/// One landed text of a policy and when it comes into force.
#[derive(Clone, Copy, Debug)]
pub struct Text<'h> {
    pub revision: &'h Revision,
    /// Unix seconds: the later of its landing and its effective date.
    pub from: i64,
}

/// What a reader is shown at a moment: the text in force (if any) and the later landed
/// texts that will still come into force, in the order they will (the rule of [`at`],
/// applied to every moment after `now`).
#[derive(Clone, Debug, Default)]
pub struct Schedule<'h> {
    pub in_force: Option<Text<'h>>,
    /// Oldest first; each comes into force after the one before it.
    pub upcoming: Vec<Text<'h>>,
}

/// The texts of policy `id` since its last retirement (every landed revision in
/// `history`, whatever its landing time), judged at `now`: the newest-landed text whose
/// instant has come is in force; a later text applies from its instant unless a text
/// landed after it comes into force first (then it never applies, and is left out).
pub fn schedule<'h>(
    history: &'h [Revision],
    id: &str,
    now: i64,
    tz: &TimeZone,
    effective: impl Fn(&Revision) -> Option<jiff::civil::Date>,
) -> Schedule<'h> {
    schedule_of(history.iter().filter(|r| r.id == id), now, tz, effective)
}

/// [`schedule`] from one policy's changes alone, newest first (what a caller that keeps
/// the history by policy passes, instead of the whole history to filter again).
pub fn schedule_of<'h>(
    changes: impl Iterator<Item = &'h Revision>,
    now: i64,
    tz: &TimeZone,
    effective: impl Fn(&Revision) -> Option<jiff::civil::Date>,
) -> Schedule<'h> {
    let mut landed: Vec<&Revision> = changes.collect();
    landed.reverse();
    if landed.last().is_none_or(|r| r.change == Change::Retired) {
        return Schedule::default();
    }
    let since = landed
        .iter()
        .rposition(|r| r.change == Change::Retired)
        .map_or(0, |i| i + 1);
    let texts: Vec<Text> = landed[since..]
        .iter()
        .filter(|r| r.change != Change::Moved)
        .map(|r| Text {
            revision: r,
            from: in_force_from(r, effective(r), tz),
        })
        .collect();
    let current = texts.iter().rposition(|t| t.from <= now);
    let later = current.map_or(0, |i| i + 1);
    let mut upcoming: Vec<Text> = Vec::new();
    // Newest landed first: an older text applies only before every newer one does.
    let mut cutoff = i64::MAX;
    for t in texts[later..].iter().rev() {
        if t.from < cutoff {
            upcoming.push(*t);
            cutoff = t.from;
        }
    }
    upcoming.reverse();
    Schedule {
        in_force: current.map(|i| texts[i]),
        upcoming,
    }
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

/// What `show` shows of one policy's `history`: the text in force at `at` (`Some`); as
/// committed at the tip (`as_committed`, `--rev`), judged at `now` (it may be upcoming);
/// else the text in force `now` (the newest text only when none is in force yet), with
/// that text and the subject of the commit that landed it.
pub fn shown<'h>(
    git: &git2::Repository,
    history: &'h [Revision],
    id: &str,
    at_time: Option<i64>,
    as_committed: bool,
    now: i64,
    tz: &jiff::tz::TimeZone,
) -> (At<'h>, Option<String>, String) {
    let effective = |r: &Revision| effective_of(git, r);
    let answer = match (at_time, as_committed) {
        (Some(t), _) => at(history, id, t, tz, effective),
        (None, true) => latest(history, id, now, tz, effective),
        (None, false) => {
            let in_force = at(history, id, now, tz, effective);
            if in_force.standing == Standing::InForce {
                in_force
            } else {
                latest(history, id, now, tz, effective)
            }
        }
    };
    let text = answer
        .revision
        .and_then(|r| git.find_blob(r.blob).ok())
        .map(|b| String::from_utf8_lossy(b.content()).into_owned());
    let summary = answer
        .revision
        .and_then(|r| git.find_commit(r.commit).ok())
        .and_then(|c| c.summary().ok().flatten().map(str::to_owned))
        .unwrap_or_default();
    (answer, text, summary)
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

/// Why a moment could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MomentError {
    #[error(
        "`{0}` is neither a date (YYYY-MM-DD) nor an RFC 3339 time (2026-03-01T09:00:00+01:00)"
    )]
    Unreadable(String),
    #[error("`{0}` is out of range: times end at 9999-12-30, so ask about 9999-12-29 or earlier")]
    OutOfRange(String),
}

/// A date (the start, or with `end_of_day` the last second, of that day in `tz`) or an
/// RFC 3339 time, as Unix seconds: what `show --at` and the MCP tools' `at` accept.
pub fn parse_moment(text: &str, tz: &TimeZone, end_of_day: bool) -> Result<i64, MomentError> {
    if let Ok(ts) = text.parse::<jiff::Timestamp>() {
        return Ok(ts.as_second());
    }
    let date: jiff::civil::Date = text
        .parse()
        .map_err(|_| MomentError::Unreadable(text.to_owned()))?;
    // A real date whose day cannot be placed in time (its end lies past year 9999).
    let out_of_range = || MomentError::OutOfRange(text.to_owned());
    let day = if end_of_day {
        date.tomorrow().map_err(|_| out_of_range())?
    } else {
        date
    };
    let start = day
        .to_zoned(tz.clone())
        .map_err(|_| out_of_range())?
        .timestamp()
        .as_second();
    Ok(if end_of_day { start - 1 } else { start })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Stamp;
    use git2::Oid;

    const DAY: i64 = 86_400;

    /// Revision `n` of `p`, landed on day `landed`; newest first, as the walk gives them.
    fn rev(n: u32, landed: i64) -> Revision {
        let oid = |b: u8| Oid::from_bytes(&[b; 20]).unwrap();
        Revision {
            id: "p".into(),
            change: if n == 1 {
                Change::Added
            } else {
                Change::Material
            },
            review: false,
            revision: Some(n),
            path: "policies/p.yaml".into(),
            old_path: None,
            blob: oid(n as u8),
            commit: oid(100 + n as u8),
            landed: Stamp {
                seconds: landed * DAY,
                offset_minutes: 0,
            },
            author_name: "A".into(),
            author_email: "a@example.com".into(),
            authored: Stamp {
                seconds: landed * DAY,
                offset_minutes: 0,
            },
            subject: format!("r{n}"),
        }
    }

    /// `effective` days by revision number.
    fn run(history: &[Revision], effective: &[(u32, i64)], now: i64) -> (Option<u32>, Vec<u32>) {
        let eff = |r: &Revision| {
            effective
                .iter()
                .find(|(n, _)| Some(*n) == r.revision)
                .map(|(_, d)| {
                    jiff::Timestamp::from_second(d * DAY)
                        .unwrap()
                        .to_zoned(TimeZone::UTC)
                        .date()
                })
        };
        let s = schedule(history, "p", now * DAY, &TimeZone::UTC, eff);
        (
            s.in_force.and_then(|t| t.revision.revision),
            s.upcoming
                .iter()
                .filter_map(|t| t.revision.revision)
                .collect(),
        )
    }

    #[test]
    fn several_waiting_revisions_apply_in_turn() {
        // r2 from day 20, r3 from day 30, both landed by day 12.
        let h = [rev(3, 12), rev(2, 11), rev(1, 1)];
        let eff = [(2, 20), (3, 30)];
        assert_eq!(run(&h, &eff, 15), (Some(1), vec![2, 3]));
        assert_eq!(run(&h, &eff, 25), (Some(2), vec![3]));
        assert_eq!(run(&h, &eff, 35), (Some(3), vec![]));
        // before anything is in force, the first to come is upcoming too
        let h = [rev(2, 11), rev(1, 10)];
        assert_eq!(run(&h, &[(1, 20), (2, 30)], 12), (None, vec![1, 2]));
    }

    #[test]
    fn a_newer_revision_that_overtakes_an_older_waiting_one_is_the_only_one_upcoming() {
        // r2 waits for day 30; r3 lands later but applies from day 20: r2 never applies,
        // as `show --at` answers on any day.
        let h = [rev(3, 12), rev(2, 11), rev(1, 1)];
        let eff = [(2, 30), (3, 20)];
        assert_eq!(run(&h, &eff, 15), (Some(1), vec![3]));
        assert_eq!(run(&h, &eff, 35), (Some(3), vec![]));
        for day in [15, 25, 35] {
            let a = at(&h, "p", day * DAY, &TimeZone::UTC, |r| {
                eff.iter()
                    .find(|(n, _)| Some(*n) == r.revision)
                    .map(|(_, d)| {
                        jiff::Timestamp::from_second(d * DAY)
                            .unwrap()
                            .to_zoned(TimeZone::UTC)
                            .date()
                    })
            });
            assert_eq!(
                a.revision.and_then(|r| r.revision),
                run(&h, &eff, day).0,
                "day {day}"
            );
        }
    }
}
