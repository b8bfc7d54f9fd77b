//! Who a change will ask to acknowledge, before it merges (`validate --base`, `diff`): for
//! each policy that changed, the people its `applies_to` covers on the roster of the newer
//! state, counted per team, and by when. Computed from the roster and the policies only,
//! never from the ledger: a pull request's comment is no place for who acknowledged what.

use crate::diff::Fields;
use crate::history::Change;
use crate::history::compare::Entry;
use crate::history::snapshot::Snapshot;
use crate::model::{EVERYONE, Roster};
use serde_json::Value as Json;

/// What a change asks of the people its policy covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asks {
    /// A new policy: everyone covered acknowledges it for the first time.
    Acknowledge,
    /// The revision rose: every earlier acknowledgement goes stale.
    Reacknowledge,
    /// An editorial change that widened `applies_to`: only the newly covered are asked.
    NewlyCovered,
    /// An editorial change (or a policy with `ack: none`): nobody is asked.
    Nobody,
}

impl Asks {
    pub fn as_str(self) -> &'static str {
        match self {
            Asks::Acknowledge => "acknowledge",
            Asks::Reacknowledge => "re-acknowledge",
            Asks::NewlyCovered => "acknowledge (newly covered)",
            Asks::Nobody => "nobody",
        }
    }

    /// The JSON name (`acknowledge`, `reacknowledge`, `newly_covered`, `nobody`).
    pub fn key(self) -> &'static str {
        match self {
            Asks::Acknowledge => "acknowledge",
            Asks::Reacknowledge => "reacknowledge",
            Asks::NewlyCovered => "newly_covered",
            Asks::Nobody => "nobody",
        }
    }
}

/// How many of the people asked are on one team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamCount {
    /// `None`: people on no team.
    pub id: Option<String>,
    pub name: String,
    pub people: usize,
}

/// What merging one changed policy asks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Impact {
    pub id: String,
    pub title: String,
    pub change: Change,
    pub asks: Asks,
    /// Why nobody is asked, when that is not plain editorial (`ack: none`).
    pub reason: Option<&'static str>,
    /// The people asked, by id, in roster order.
    pub people: Vec<String>,
    /// Per team, in roster order; people on several teams count on each.
    pub teams: Vec<TeamCount>,
    /// Days after merge (or after `from`) until a missing acknowledgement is overdue.
    pub due_days: u32,
    /// The effective date that starts the count, when it is later than today: the count
    /// then runs from it (or from the merge, if that is later still).
    pub from: Option<jiff::civil::Date>,
}

/// The impact of every added, material and editorial change in `entries` (moves and
/// retirements ask nobody and are left out), judged on `new` and the roster of that state.
/// `today` is in the handbook's zone; `due_days` the `acks.due_days` setting.
pub fn of(
    entries: &[Entry],
    old: &Snapshot,
    new: &Snapshot,
    roster: Option<&Roster>,
    due_days: u32,
    today: jiff::civil::Date,
) -> Vec<Impact> {
    let empty = Roster::default();
    let roster = roster.unwrap_or(&empty);
    let mut out = Vec::new();
    for e in entries {
        let Some(file) = new.get(&e.id) else { continue };
        let fields = Fields::of(&file.text);
        let groups = applies_to(&fields);
        let mut asks = match e.change {
            Change::Added => Asks::Acknowledge,
            Change::Material => Asks::Reacknowledge,
            Change::Editorial => Asks::NewlyCovered,
            Change::Moved | Change::Retired => continue,
        };
        let mut reason = None;
        if fields.get("ack").and_then(Json::as_str) == Some("none") {
            asks = Asks::Nobody;
            reason = Some("ack: none");
        }
        let before: Option<Vec<String>> = (asks == Asks::NewlyCovered)
            .then(|| old.get(&e.id).map(|f| applies_to(&Fields::of(&f.text))))
            .flatten();
        let people: Vec<&crate::model::Person> = match asks {
            Asks::Nobody => Vec::new(),
            _ => roster
                .people
                .iter()
                .filter(|p| covers(&groups, p))
                .filter(|p| before.as_ref().is_none_or(|b| !covers(b, p)))
                .collect(),
        };
        if asks == Asks::NewlyCovered && people.is_empty() {
            asks = Asks::Nobody;
        }
        let days = fields
            .get("ack_due_days")
            .and_then(Json::as_u64)
            .and_then(|d| u32::try_from(d).ok())
            .unwrap_or(due_days);
        let from = fields
            .get("effective")
            .and_then(Json::as_str)
            .and_then(|d| d.parse::<jiff::civil::Date>().ok())
            .filter(|d| *d > today);
        out.push(Impact {
            id: e.id.clone(),
            title: fields.text("title").to_owned(),
            change: e.change,
            asks,
            reason,
            people: people.iter().map(|p| p.id.value.clone()).collect(),
            teams: team_counts(roster, &people),
            due_days: days,
            from,
        });
    }
    out
}

/// The impact of merging the working tree onto `rev` (what `validate --base` shows), with
/// `roster` the working tree's.
pub fn against(
    ws: &crate::workspace::Workspace,
    rev: &str,
    roster: Option<&Roster>,
) -> Result<Vec<Impact>, crate::workspace::WorkspaceError> {
    let (old, _) = ws.snapshot_at(rev)?;
    let new = ws.working_snapshot()?;
    let entries = crate::history::compare::compare_handbooks(&old, &new);
    let today = ws.now()?.to_zoned(ws.tz.clone()).date();
    Ok(of(
        &entries,
        &old,
        &new,
        roster,
        ws.settings.acks.due_days,
        today,
    ))
}

/// A policy's `applies_to` (one value or a list; `everyone` when absent).
fn applies_to(fields: &Fields) -> Vec<String> {
    match fields.get("applies_to") {
        None => vec![EVERYONE.to_owned()],
        Some(Json::Array(items)) => items.iter().map(scalar).collect(),
        Some(v) => vec![scalar(v)],
    }
}

fn scalar(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn covers(groups: &[String], p: &crate::model::Person) -> bool {
    groups.iter().any(|g| {
        g == EVERYONE
            || p.teams.iter().any(|t| &t.value == g)
            || p.roles.iter().any(|r| &r.value == g)
    })
}

fn team_counts(roster: &Roster, people: &[&crate::model::Person]) -> Vec<TeamCount> {
    let mut out: Vec<TeamCount> = roster
        .teams
        .iter()
        .map(|t| TeamCount {
            id: Some(t.id.value.clone()),
            name: t.name.clone(),
            people: people
                .iter()
                .filter(|p| p.teams.iter().any(|m| m.value == t.id.value))
                .count(),
        })
        .filter(|t| t.people > 0)
        .collect();
    let known = |id: &str| roster.teams.iter().any(|t| t.id.value == id);
    let none = people
        .iter()
        .filter(|p| !p.teams.iter().any(|t| known(&t.value)))
        .count();
    if none > 0 {
        out.push(TeamCount {
            id: None,
            name: "no team".into(),
            people: none,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::snapshot::PolicyFile;
    use crate::model::{Located, Person, Team};

    fn located(s: &str) -> Located<String> {
        Located {
            value: s.to_owned(),
            pos: crate::diag::Pos::START,
        }
    }

    fn person(id: &str, teams: &[&str], roles: &[&str]) -> Person {
        Person {
            id: located(id),
            name: id.to_uppercase(),
            emails: vec![],
            teams: teams.iter().map(|t| located(t)).collect(),
            roles: roles.iter().map(|r| located(r)).collect(),
            signing_key: None,
            key_after: None,
            joined: None,
            exempt: vec![],
        }
    }

    fn roster() -> Roster {
        Roster {
            file: "people.yaml".into(),
            teams: vec![
                Team {
                    id: located("tier1"),
                    name: "Tier 1".into(),
                    lead: None,
                    timezone: None,
                },
                Team {
                    id: located("tier2"),
                    name: "Tier 2".into(),
                    lead: None,
                    timezone: None,
                },
            ],
            roles: vec![],
            people: vec![
                person("ana", &["tier1"], &["lead"]),
                person("bo", &["tier1"], &[]),
                person("cy", &["tier2"], &[]),
                person("di", &[], &["lead"]),
            ],
        }
    }

    fn snap(files: &[(&str, &str)]) -> Snapshot {
        let mut s = Snapshot::default();
        for (id, text) in files {
            s.policies.insert(
                id.to_string(),
                PolicyFile {
                    id: id.to_string(),
                    path: format!("policies/{id}.yaml"),
                    text: text.to_string(),
                    blob: None,
                },
            );
        }
        s
    }

    fn today() -> jiff::civil::Date {
        jiff::civil::date(2026, 12, 2)
    }

    #[test]
    fn material_asks_everyone_covered_counted_per_team_and_editorial_asks_nobody() {
        let old = snap(&[
            ("a", "title: A\nrevision: 1\napplies_to: tier1\n"),
            ("b", "title: B\nrevision: 1\napplies_to: [tier1]\n"),
            ("c", "title: C\nrevision: 1\n"),
        ]);
        let new = snap(&[
            (
                "a",
                "title: A\nrevision: 2\napplies_to: tier1\neffective: 2026-12-21\n",
            ),
            ("b", "title: B\nrevision: 1\napplies_to: [tier1, tier2]\n"),
            ("c", "title: C!\nrevision: 1\n"),
            ("d", "title: D\nrevision: 1\nack: none\n"),
        ]);
        let entries = crate::history::compare::compare_handbooks(&old, &new);
        let impacts = of(&entries, &old, &new, Some(&roster()), 14, today());
        let a = &impacts[0];
        assert_eq!(
            (a.asks, a.people.clone()),
            (Asks::Reacknowledge, vec!["ana".into(), "bo".into()])
        );
        assert_eq!(a.teams.len(), 1);
        assert_eq!((a.teams[0].name.as_str(), a.teams[0].people), ("Tier 1", 2));
        assert_eq!(a.from, Some(jiff::civil::date(2026, 12, 21)));
        let b = &impacts[1];
        assert_eq!(
            (b.asks, b.people.clone()),
            (Asks::NewlyCovered, vec!["cy".into()])
        );
        let c = &impacts[2];
        assert_eq!((c.asks, c.people.len()), (Asks::Nobody, 0));
        let d = &impacts[3];
        assert_eq!((d.asks, d.reason), (Asks::Nobody, Some("ack: none")));
    }

    #[test]
    fn everyone_counts_people_on_no_team_and_a_past_effective_date_is_no_start() {
        let old = snap(&[]);
        let new = snap(&[(
            "a",
            "title: A\nrevision: 1\neffective: 2026-01-01\nack_due_days: 7\n",
        )]);
        let entries = crate::history::compare::compare_handbooks(&old, &new);
        let i = &of(&entries, &old, &new, Some(&roster()), 14, today())[0];
        assert_eq!(i.asks, Asks::Acknowledge);
        assert_eq!(i.people.len(), 4);
        assert_eq!(
            i.teams.last().map(|t| (t.id.clone(), t.people)),
            Some((None, 1))
        );
        assert_eq!((i.due_days, i.from), (7, None));
    }
}
