//! Who must acknowledge what, who has, and what is overdue: a pure computation over the
//! committed handbook, the roster and the ledger's entries. No I/O.

use super::coverage::Start;
use super::due::{Clock, Since, add_days, add_months, latest, midnight};
use super::people::People;
pub use crate::model::ack::{Former, Held, Need, Report, Row, State, Totals};
use crate::model::{AckMode, Policy};
use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeMap;

impl Need {
    /// The need for `policy` (`None` for `ack: none`). `landed` is when its current revision
    /// landed; `tz` is the handbook's zone, for the `effective` date.
    pub fn of(
        policy: &Policy,
        blob: String,
        landed: Option<i64>,
        settings: &crate::model::AckSettings,
        tz: &jiff::tz::TimeZone,
    ) -> Option<Need> {
        if policy.ack == AckMode::None {
            return None;
        }
        let effective = policy
            .effective
            .as_ref()
            .and_then(|d| d.value.to_zoned(tz.clone()).ok())
            .map(|z| z.timestamp().as_second());
        let due_days = policy.ack_due_days.unwrap_or(settings.due_days);
        let in_force = landed.map(|l| effective.map_or(l, |e| e.max(l)));
        Some(Need {
            id: policy.id.value.clone(),
            title: policy.title.clone(),
            revision: policy.revision.value,
            path: policy.file.clone(),
            blob,
            applies_to: policy.applies_to().into_iter().map(str::to_owned).collect(),
            due: in_force.and_then(|t| add_days(t, due_days, tz)),
            in_force,
            due_days,
            every: policy.ack_every.unwrap_or(settings.every),
        })
    }
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Current => "current",
            State::Stale => "stale",
            State::Never => "never",
            State::Expired => "expired",
            State::Exempt => "exempt",
        }
    }

    /// Whether the person still has to acknowledge (the states that can be overdue).
    pub fn outstanding(self) -> bool {
        matches!(self, State::Stale | State::Never | State::Expired)
    }
}

/// Which rows to keep.
#[derive(Clone, Copy, Debug, Default)]
pub struct Filter<'f> {
    pub person: Option<&'f str>,
    pub only_overdue: bool,
    /// Keep only the rows still to acknowledge (the totals still count every row): the
    /// whole handbook's report for people shows no others.
    pub only_outstanding: bool,
}

/// What due dates are counted from, besides the texts and the ledger.
pub struct Clocks<'c> {
    /// The moment judged (now, or `acks --at`).
    pub now: i64,
    /// `acks.start` at 00:00 in the handbook's zone.
    pub start: Option<i64>,
    /// The handbook's zone (calendar days and months).
    pub tz: &'c jiff::tz::TimeZone,
    /// When member `i`'s current coverage by `needs[j]` began (`None`: unknown).
    pub covered: &'c (dyn Fn(usize, usize) -> Option<Start> + Sync),
}

/// The acknowledgements one person holds of one policy that decide their state.
#[derive(Clone, Copy, Default)]
struct Slot<'a> {
    /// Of the current revision (or a later one), first recorded.
    first: Option<&'a Held>,
    /// Of the current revision, the newest and the one before it.
    newest: Option<&'a Held>,
    before: Option<&'a Held>,
    /// Of an older revision, the newest.
    stale: Option<&'a Held>,
}

impl<'a> Slot<'a> {
    fn add(&mut self, h: &'a Held) {
        // Only an entry the judge found to count for this very text is current: a higher
        // revision is never "at least" the current one, and the same revision of an
        // earlier text (a policy retired and added again) is not this text.
        if h.current {
            let key = |h: &'a Held| (h.recorded, h.id.as_str());
            if self.first.is_none_or(|c| key(h) < key(c)) {
                self.first = Some(h);
            }
            if self.newest.is_none_or(|c| key(h) > key(c)) {
                self.before = self.newest;
                self.newest = Some(h);
            } else if self.before.is_none_or(|c| key(h) > key(c)) {
                self.before = Some(h);
            }
        } else {
            let key = |h: &'a Held| (h.revision, h.recorded, h.id.as_str());
            if self.stale.is_none_or(|s| key(h) >= key(s)) {
                self.stale = Some(h);
            }
        }
    }
}

/// A member's dates, read once.
struct Dates<'a> {
    joined: Option<i64>,
    /// Exemptions and when each ends (`None`: never).
    exempt: Vec<(&'a crate::model::ack::Exempt, Option<i64>)>,
}

/// Computes who stands where. Status is per person against the current revision, so
/// widening `applies_to` asks only the newly covered, and an editorial change (same
/// revision) keeps every acknowledgement current.
pub fn compute<'a>(
    needs: &'a [Need],
    people: &'a People,
    held: &'a [Held],
    clocks: &Clocks<'_>,
    filter: Filter<'_>,
) -> Report<'a> {
    let (now, tz) = (clocks.now, clocks.tz);
    let members = people.members();
    // Each member's slot is that of the first member with the same id (a repeated id is
    // a roster error, reported by validate; both rows then show the same entries).
    let first: Vec<usize> = members
        .iter()
        .enumerate()
        .map(|(i, m)| people.position(&m.id).unwrap_or(i))
        .collect();
    let mut by_policy: HashMap<&str, Vec<(usize, &Held)>> = HashMap::new();
    for h in held {
        if let Some(at) = people.position(&h.person) {
            by_policy
                .entry(h.policy.as_str())
                .or_default()
                .push((at, h));
        }
    }
    let wanted: Vec<usize> = match filter.person {
        Some(p) => (0..members.len()).filter(|&i| members[i].id == p).collect(),
        None => (0..members.len()).collect(),
    };
    let dates: Vec<Dates> = members
        .iter()
        .map(|m| Dates {
            joined: m.joined.as_deref().and_then(|d| midnight(d, 0, tz)),
            exempt: m
                .exempt
                .iter()
                .map(|e| (e, e.until.as_deref().and_then(|d| midnight(d, 1, tz))))
                .collect(),
        })
        .collect();
    let start = clocks.start.map(|at| Since {
        clock: Clock::Start,
        at,
    });
    let mut slots = vec![Slot::default(); members.len()];
    // Due dates other than the policy's own, by moment and days to acknowledge (many
    // people share one).
    let mut days: HashMap<(i64, u32), Option<i64>> = HashMap::new();
    // At most one row per need and person; pages never written cost nothing.
    let mut rows = Vec::with_capacity(needs.len() * wanted.len());
    let mut spans = Vec::with_capacity(needs.len());
    let mut totals = Vec::with_capacity(needs.len());
    for (j, need) in needs.iter().enumerate() {
        let begin = rows.len();
        let mut total = Totals::default();
        let groups: Vec<&str> = need.applies_to.iter().map(String::as_str).collect();
        let mine = by_policy
            .get(need.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (at, h) in mine {
            slots[*at].add(h);
        }
        let mut due_of = |since: Option<Since>| -> Option<i64> {
            let s = since?;
            if Some(s.at) == need.in_force {
                return need.due;
            }
            *days
                .entry((s.at, need.due_days))
                .or_insert_with(|| add_days(s.at, need.due_days, tz))
        };
        for &i in &wanted {
            let person = &members[i];
            if !person.covered_by(&groups) {
                continue;
            }
            let slot = slots[first[i]];
            let d = &dates[i];
            let mut active = None;
            let mut ended: Option<(&crate::model::ack::Exempt, i64)> = None;
            for (e, end) in &d.exempt {
                if !e.covers(&need.id) {
                    continue;
                }
                match end {
                    Some(end) if *end <= now => {
                        if ended.is_none_or(|(_, t)| *end > t) {
                            ended = Some((e, *end));
                        }
                    }
                    _ => active = active.or(Some(*e)),
                }
            }
            // The clocks every due date of this row starts from; no text in force, no
            // due date.
            let base = need.in_force.map(|in_force| {
                let covered = (clocks.covered)(i, j).map(|c| match d.joined {
                    Some(joined) if c.first_appearance => Since {
                        clock: Clock::Joined,
                        at: joined,
                    },
                    _ => Since {
                        clock: Clock::Covered,
                        at: c.time,
                    },
                });
                [
                    Some(Since {
                        clock: Clock::InForce,
                        at: in_force,
                    }),
                    covered,
                    start,
                    ended.map(|(_, at)| Since {
                        clock: Clock::Exemption,
                        at,
                    }),
                ]
            });
            let since_with = |extra: Option<Since>| {
                base.and_then(|b| latest(b.into_iter().chain(std::iter::once(extra))))
            };
            let months = need.every.months();
            let expiry = |h: &Held| months.and_then(|m| add_months(h.recorded, m, tz));
            let expires = slot.newest.and_then(expiry);
            let (mut state, chosen) = match (slot.newest, slot.stale) {
                (Some(h), _) if expires.is_some_and(|e| now >= e) => (State::Expired, Some(h)),
                (Some(h), _) => (State::Current, Some(h)),
                (None, Some(h)) => (State::Stale, Some(h)),
                (None, None) => (State::Never, None),
            };
            if state != State::Current && active.is_some() {
                state = State::Exempt;
            }
            if filter.only_outstanding && !state.outstanding() {
                // Counted, never shown: nothing else about the row is needed.
                match state {
                    State::Current => total.current += 1,
                    _ => total.exempt += 1,
                }
                continue;
            }
            let since = match state {
                State::Exempt | State::Current => None,
                State::Expired => since_with(expires.map(|at| Since {
                    clock: Clock::Expired,
                    at,
                })),
                State::Stale | State::Never => since_with(None),
            };
            let due = due_of(since);
            let overdue = state.outstanding() && due.is_some_and(|d| now >= d);
            // The due date the newest acknowledgement answered (the clock that set it), and
            // how late it came against it.
            let answered = slot.newest.and_then(|_| {
                let expired = slot.before.and_then(expiry).map(|at| Since {
                    clock: Clock::Expired,
                    at,
                });
                since_with(expired)
            });
            let answered_due = due_of(answered);
            let late_days = slot.newest.zip(answered_due).map(|(h, due)| {
                // Lateness by the time a writer cannot choose, where a witness gives one.
                let when = h.witnessed.map_or(h.recorded, |w| w.max(h.recorded));
                // Saturating: a hostile ledger's commit or witness time may be any 64-bit
                // number of seconds, however far from the due date.
                when.saturating_sub(due).max(0).saturating_add(86_399) / 86_400
            });
            match state {
                State::Current => total.current += 1,
                State::Stale => total.stale += 1,
                State::Expired => total.expired += 1,
                State::Never => total.never += 1,
                State::Exempt => total.exempt += 1,
            }
            total.overdue += usize::from(overdue);
            if filter.only_overdue && !overdue {
                continue;
            }
            rows.push(Row {
                policy: &need.id,
                revision: need.revision,
                person: &person.id,
                name: &person.name,
                emails: &person.emails,
                teams: &person.teams,
                timezone: person.timezone.as_deref(),
                state,
                held: chosen,
                first: slot.first,
                due,
                since,
                expires,
                late_days,
                answered,
                answered_due,
                exemption: active.or(ended.map(|(e, _)| e)),
                overdue,
            });
        }
        for (at, _) in mine {
            slots[*at] = Slot::default();
        }
        total.must = total.current + total.stale + total.expired + total.never;
        spans.push(begin..rows.len());
        totals.push(total);
    }
    let mut former: BTreeMap<&str, Vec<Held>> = BTreeMap::new();
    for h in held {
        if people.person(&h.person).is_none() {
            former.entry(&h.person).or_default().push(h.clone());
        }
    }
    Report {
        rows,
        spans,
        totals,
        former: former
            .into_iter()
            .map(|(person, mut held)| {
                held.sort_by(|a, b| (&a.policy, a.revision).cmp(&(&b.policy, b.revision)));
                Former {
                    person: person.to_owned(),
                    held,
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Pos;
    use crate::model::{Located, Person, Roster};

    fn person(id: &str, teams: &[&str]) -> Person {
        Person {
            id: Located::new(id.into(), Pos::START),
            name: id.into(),
            emails: vec![],
            teams: teams
                .iter()
                .map(|t| Located::new((*t).into(), Pos::START))
                .collect(),
            roles: vec![],
            signing_key: None,
            key_after: None,
            joined: None,
            exempt: vec![],
        }
    }

    /// Policy `p` at revision 2, for team `t`, due and in force at 100.
    fn need_p() -> Need {
        Need {
            id: "p".into(),
            title: "P".into(),
            revision: 2,
            path: "p.yaml".into(),
            blob: String::new(),
            applies_to: vec!["t".into()],
            due: Some(100),
            in_force: Some(100),
            due_days: 0,
            every: crate::model::Every::NEVER,
        }
    }

    fn held(person: &str, revision: u32, seconds: i64) -> Held {
        Held {
            person: person.into(),
            policy: "p".into(),
            revision,
            id: format!("{person}{revision}"),
            time: String::new(),
            seconds,
            recorded: seconds,
            witnessed: None,
            writer_name: String::new(),
            writer_email: String::new(),
            by_other: false,
            current: revision == 2,
        }
    }

    #[test]
    fn states_overdue_and_former() {
        let roster = Roster {
            people: vec![
                person("a", &["t"]),
                person("b", &["t"]),
                person("c", &["u"]),
                person("d", &["t"]),
            ],
            ..Roster::default()
        };
        let need = need_p();
        let held = [held("a", 2, 5), held("b", 1, 3), held("gone", 1, 1)];
        let needs = [need];
        let people = People::from_roster(&roster);
        let tz = jiff::tz::TimeZone::UTC;
        let clocks = Clocks {
            now: 100,
            start: None,
            tz: &tz,
            covered: &|_, _| None,
        };
        let r = compute(&needs, &people, &held, &clocks, Filter::default());
        let got: Vec<_> = r
            .rows
            .iter()
            .map(|r| (r.person, r.state, r.overdue))
            .collect();
        assert_eq!(
            got,
            [
                ("a", State::Current, false),
                ("b", State::Stale, true),
                ("d", State::Never, true)
            ]
        );
        assert_eq!(r.former.len(), 1);
        assert_eq!(r.former[0].person, "gone");
    }

    #[test]
    fn lateness_against_a_time_at_the_ends_of_i64_is_a_number_never_a_panic() {
        // git stores any 64-bit number of seconds: a hostile ledger's commit or witness
        // tag can put an acknowledgement at either end of them.
        let roster = Roster {
            people: vec![person("a", &["t"])],
            ..Roster::default()
        };
        let need = need_p();
        let people = People::from_roster(&roster);
        let tz = jiff::tz::TimeZone::UTC;
        let clocks = Clocks {
            now: 100,
            start: None,
            tz: &tz,
            covered: &|_, _| None,
        };
        let early = held("a", 2, i64::MIN + 1);
        let late = Held {
            witnessed: Some(i64::MAX),
            ..held("a", 2, 5)
        };
        for (h, days) in [(early, 0), (late, i64::MAX / 86_400)] {
            let held = [h];
            let r = compute(
                std::slice::from_ref(&need),
                &people,
                &held,
                &clocks,
                Filter::default(),
            );
            assert_eq!(r.rows[0].late_days, Some(days));
        }
    }
}
