//! Who must acknowledge what, who has, and what is overdue: a pure computation over the
//! committed handbook, the roster and the ledger's entries. No I/O.

use super::people::People;
pub use crate::model::ack::{Former, Held, Need, Report, Row, State};
use crate::model::{AckMode, Policy};
use std::collections::{BTreeMap, HashMap};

impl Need {
    /// The need for `policy` (`None` for `ack: none`). `landed` is when its current revision
    /// landed; `tz` is the handbook's zone, for the `effective` date.
    pub fn of(
        policy: &Policy,
        blob: String,
        landed: Option<i64>,
        default_due_days: u32,
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
        let due_days = policy.ack_due_days.unwrap_or(default_due_days);
        let due = landed.and_then(|l| {
            let in_force = effective.map_or(l, |e| e.max(l));
            add_days(in_force, due_days, tz)
        });
        Some(Need {
            id: policy.id.value.clone(),
            title: policy.title.clone(),
            revision: policy.revision.value,
            path: policy.file.clone(),
            blob,
            applies_to: policy.applies_to().into_iter().map(str::to_owned).collect(),
            due,
        })
    }
}

/// `days` calendar days after `t` in `tz` (a day may have 23 or 25 hours); `None` when the
/// result falls outside what a calendar can represent (the due date is then unknown, never
/// a panic or a wrapped number).
fn add_days(t: i64, days: u32, tz: &jiff::tz::TimeZone) -> Option<i64> {
    let ts = jiff::Timestamp::from_second(t).ok()?;
    let span = jiff::Span::new().try_days(i64::from(days)).ok()?;
    let zoned = ts.to_zoned(tz.clone()).checked_add(span).ok()?;
    Some(zoned.timestamp().as_second())
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Current => "current",
            State::Stale => "stale",
            State::Never => "never",
        }
    }
}

/// Which rows to keep.
#[derive(Clone, Copy, Debug, Default)]
pub struct Filter<'f> {
    pub person: Option<&'f str>,
    pub only_overdue: bool,
}

/// The acknowledgements one person holds of one policy that decide their state.
#[derive(Clone, Copy, Default)]
struct Slot<'a> {
    /// Of the current revision (or a later one), first recorded.
    current: Option<&'a Held>,
    /// Of an older revision, the newest.
    stale: Option<&'a Held>,
}

impl<'a> Slot<'a> {
    fn add(&mut self, h: &'a Held) {
        // Only an entry the judge found to count for this very text is current: a higher
        // revision is never "at least" the current one, and the same revision of an
        // earlier text (a policy retired and added again) is not this text.
        if h.current {
            let key = |h: &'a Held| (h.seconds, h.id.as_str());
            if self.current.is_none_or(|c| key(h) < key(c)) {
                self.current = Some(h);
            }
        } else {
            let key = |h: &'a Held| (h.revision, h.seconds, h.id.as_str());
            if self.stale.is_none_or(|s| key(h) >= key(s)) {
                self.stale = Some(h);
            }
        }
    }
}

/// Computes who stands where. Status is per person against the current revision, so
/// widening `applies_to` asks only the newly covered, and an editorial change (same
/// revision) keeps every acknowledgement current.
pub fn compute<'a>(
    needs: &'a [Need],
    people: &'a People,
    held: &'a [Held],
    now: i64,
    filter: Filter<'_>,
) -> Report<'a> {
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
    let mut slots = vec![Slot::default(); members.len()];
    // At most one row per need and person; pages never written cost nothing.
    let mut rows = Vec::with_capacity(needs.len() * wanted.len());
    let mut spans = Vec::with_capacity(needs.len());
    for need in needs {
        let start = rows.len();
        let groups: Vec<&str> = need.applies_to.iter().map(String::as_str).collect();
        let mine = by_policy
            .get(need.id.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        for (at, h) in mine {
            slots[*at].add(h);
        }
        for &i in &wanted {
            let person = &members[i];
            if !person.covered_by(&groups) {
                continue;
            }
            let slot = slots[first[i]];
            let (state, chosen) = match (slot.current, slot.stale) {
                (Some(h), _) => (State::Current, Some(h)),
                (None, Some(h)) => (State::Stale, Some(h)),
                (None, None) => (State::Never, None),
            };
            let overdue = state != State::Current && need.due.is_some_and(|d| now >= d);
            if filter.only_overdue && !overdue {
                continue;
            }
            rows.push(Row {
                policy: &need.id,
                revision: need.revision,
                person: &person.id,
                state,
                held: chosen,
                due: need.due,
                overdue,
            });
        }
        for (at, _) in mine {
            slots[*at] = Slot::default();
        }
        spans.push(start..rows.len());
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

    #[test]
    fn due_dates_beyond_the_calendar_are_unknown_not_a_panic() {
        let tz = jiff::tz::TimeZone::get("Europe/Madrid").unwrap();
        // 2026-01-05 09:00 UTC plus 14 calendar days.
        assert_eq!(
            add_days(1_767_603_600, 14, &tz),
            Some(1_767_603_600 + 14 * 86_400)
        );
        assert_eq!(add_days(1_767_603_600, u32::MAX, &tz), None);
        assert_eq!(add_days(1_767_603_600, 7_304_485, &tz), None);
        assert_eq!(add_days(i64::MAX, 1, &tz), None);
    }

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
        let need = Need {
            id: "p".into(),
            title: "P".into(),
            revision: 2,
            path: "p.yaml".into(),
            blob: String::new(),
            applies_to: vec!["t".into()],
            due: Some(100),
        };
        let held = [held("a", 2, 5), held("b", 1, 3), held("gone", 1, 1)];
        let needs = [need];
        let people = People::from_roster(&roster);
        let r = compute(&needs, &people, &held, 100, Filter::default());
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
}
