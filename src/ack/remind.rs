//! The `acks remind` use case: from the acknowledgement report (who must acknowledge what,
//! overdue or not) and the roster, each person's digest, each team lead's digest of their
//! team, and each team's summary for a chat channel; with, for each stale item, a briefing
//! of what changed since the text the person last acknowledged. [`gather`] reads git;
//! [`compose`] is pure. Nothing here sends: delivery is [`super::deliver`]'s.

use super::AckError;
use super::Context;
use super::report::{Inputs, Query};
use crate::diff::{self, Op};
use crate::model::ack::{Need, Row, State};
use crate::model::remind::{
    Briefing, Digests, Item, LeadDigest, PersonDigest, PolicyCount, Recipient, TeamSummary, WordOp,
};
use crate::model::{Roster, labels::field_label};
use std::collections::HashMap;
use std::sync::Arc;

/// Whose digests a run composes.
#[derive(Clone, Copy, Debug, Default)]
pub struct RemindQuery<'q> {
    /// Only this person's own digest.
    pub person: Option<&'q str>,
    /// Only this team: its members' digests, its lead's and its summary.
    pub team: Option<&'q str>,
    /// Only what is overdue.
    pub only_overdue: bool,
}

/// Whether a person in `state` is asked to acknowledge. Every state is named, so a new
/// one (the lifecycle's expired and exempt) must say here whether it asks: an expired
/// acknowledgement asks again; an exempt person gets nothing.
pub fn asks(state: State) -> bool {
    match state {
        State::Current | State::Exempt => false,
        State::Stale | State::Never | State::Expired => true,
    }
}

/// Reads the report, the roster and the texts people last acknowledged, and composes.
pub fn gather(
    cx: &Context,
    q: RemindQuery,
    note: &mut dyn FnMut(String),
) -> Result<Digests, AckError> {
    let inputs = Inputs::gather(
        cx,
        Query {
            policy: None,
            person: q.person,
            only_overdue: false,
            at: None,
        },
        note,
        &|_| {},
    )?;
    let report = inputs.report(
        Query {
            policy: None,
            person: q.person,
            only_overdue: false,
            at: None,
        },
        &cx.ws.tz,
    );
    let line = cx.line()?;
    let snap = super::snapshot::Snapshot::at(cx.repo, line.tip, &cx.layout)?;
    let roster = snap
        .roster
        .and_then(|blob| cx.repo.find_blob(blob).ok())
        .and_then(|b| super::snapshot::parse_roster(&cx.layout.roster, b.content()))
        .ok_or_else(|| AckError::NoRoster(cx.layout.roster.clone()))?;
    if let Some(team) = q.team
        && roster.team(team).is_none()
    {
        return Err(AckError::Io(format!("no team `{team}` in the roster")));
    }
    for hook in &cx.ws.settings.remind.webhooks {
        if roster.team(&hook.team.value).is_none() {
            note(format!(
                "warning: {}:{}:{}: `remind.webhooks` names `{}`, which is not a team on the roster: no summary goes to it",
                hook.file, hook.team.pos.line, hook.team.pos.column, hook.team.value
            ));
        }
    }
    let briefings = briefings(cx, line.tip, &inputs.needs, &report.rows, note);
    let settings = &cx.ws.settings;
    Ok(compose(
        &Composing {
            needs: &inputs.needs,
            rows: &report.rows,
            roster: &roster,
            briefings: &briefings,
            base_url: settings.base_url.as_deref(),
            title: &settings.title,
            now: inputs.now,
        },
        q,
    ))
}

/// The briefings of the stale rows: per policy and held revision, what changed from the
/// last text of that revision on the handbook line to the current one.
fn briefings(
    cx: &Context,
    tip: git2::Oid,
    needs: &[Need],
    rows: &[Row],
    note: &mut dyn FnMut(String),
) -> HashMap<(String, u32), Arc<Briefing>> {
    let mut wanted: HashMap<(&str, u32), ()> = HashMap::new();
    for r in rows.iter().filter(|r| r.state == State::Stale) {
        if let Some(h) = r.held {
            wanted.insert((r.policy, h.revision), ());
        }
    }
    let mut out = HashMap::new();
    if wanted.is_empty() {
        return out;
    }
    let revisions = match crate::history::cache::walk(cx.repo, tip, &cx.layout.policies) {
        Ok(c) => c.revisions,
        Err(e) => {
            note(format!("warning: {e}; digests go without what changed"));
            return out;
        }
    };
    let text = |blob: git2::Oid| {
        cx.repo
            .find_blob(blob)
            .ok()
            .map(|b| String::from_utf8_lossy(b.content()).into_owned())
    };
    for (policy, held) in wanted.into_keys() {
        let Some(need) = needs.iter().find(|n| n.id == policy) else {
            continue;
        };
        // Newest first: the first record of that revision is its last text.
        let old = revisions
            .iter()
            .find(|r| r.id == policy && r.revision == Some(held))
            .and_then(|r| text(r.blob));
        let new = git2::Oid::from_str(&need.blob).ok().and_then(text);
        if let (Some(old), Some(new)) = (old, new) {
            out.insert(
                (policy.to_owned(), held),
                Arc::new(briefing(&old, &new, held, need.revision)),
            );
        }
    }
    out
}

/// What changed between two texts of a policy, in words.
pub fn briefing(old: &str, new: &str, from: u32, to: u32) -> Briefing {
    let d = diff::compare(old, new);
    Briefing {
        from_revision: from,
        to_revision: to,
        fields: d
            .fields
            .iter()
            .filter(|f| f.path != "revision")
            .map(|f| {
                let shown = |v: Option<&serde_json::Value>| v.map(|v| diff::display(Some(v)));
                (
                    field_label(&f.path),
                    shown(f.old.as_ref()),
                    shown(f.new.as_ref()),
                )
            })
            .collect(),
        body: d.body.map(|chunks| {
            chunks
                .into_iter()
                .map(|c| {
                    let op = match c.op {
                        Op::Equal => WordOp::Equal,
                        Op::Delete => WordOp::Delete,
                        Op::Insert => WordOp::Insert,
                    };
                    (op, c.text)
                })
                .collect()
        }),
    }
}

/// What [`compose`] works from.
pub struct Composing<'a> {
    pub needs: &'a [Need],
    /// The report's rows (every person, every need).
    pub rows: &'a [Row<'a>],
    pub roster: &'a Roster,
    pub briefings: &'a HashMap<(String, u32), Arc<Briefing>>,
    pub base_url: Option<&'a str>,
    pub title: &'a str,
    pub now: i64,
}

const DAY: i64 = 86_400;

/// What makes two people's items the same: policy, revision, state, held revision, due
/// date and days overdue (title, link and briefing follow from these).
type ItemKey<'a> = (
    &'a str,
    u32,
    &'static str,
    Option<u32>,
    Option<i64>,
    Option<i64>,
);

/// Composes every digest; nobody gets an empty one.
pub fn compose(c: &Composing, q: RemindQuery) -> Digests {
    let needs: HashMap<&str, &Need> = c.needs.iter().map(|n| (n.id.as_str(), n)).collect();
    // Each person's items, in roster order of people. An item is the same for everyone
    // who owes the same revision with the same due date: one shared value (thousands of
    // people owe the same few items), which the renderers also render once.
    let mut items: HashMap<&str, Vec<Arc<Item>>> = HashMap::new();
    let mut shared: HashMap<ItemKey, Arc<Item>> = HashMap::new();
    for r in c.rows {
        if !asks(r.state) || q.only_overdue && !r.overdue {
            continue;
        }
        let Some(need) = needs.get(r.policy) else {
            continue;
        };
        let held_revision = r
            .held
            .map(|h| h.revision)
            .filter(|_| r.state == State::Stale);
        let overdue_days = r
            .overdue
            .then(|| r.due.map_or(0, |d| (c.now - d).max(0) / DAY));
        let key = (
            r.policy,
            r.revision,
            r.state.as_str(),
            held_revision,
            r.due,
            overdue_days,
        );
        let item = shared
            .entry(key)
            .or_insert_with(|| {
                let briefing = held_revision
                    .and_then(|h| c.briefings.get(&(r.policy.to_owned(), h)))
                    .cloned();
                Arc::new(Item {
                    policy: r.policy.to_owned(),
                    title: need.title.clone(),
                    revision: r.revision,
                    state: r.state,
                    held_revision,
                    due: r.due,
                    overdue_days,
                    link: c.base_url.map(|b| format!("{b}policies/{}.html", r.policy)),
                    briefing,
                })
            })
            .clone();
        items.entry(r.person).or_default().push(item);
    }
    for list in items.values_mut() {
        sort_items(list);
    }
    let recipient = |p: &crate::model::Person| Recipient {
        id: p.id.value.clone(),
        name: p.name.clone(),
        email: p.emails.first().map(|e| e.value.clone()),
    };
    let in_team = |p: &crate::model::Person, team: &str| p.teams.iter().any(|t| t.value == team);
    let digest_of = |p: &crate::model::Person| {
        items.get(p.id.value.as_str()).map(|list| PersonDigest {
            to: recipient(p),
            items: list.clone(),
        })
    };
    let mut out = Digests {
        title: c.title.to_owned(),
        base_url: c.base_url.map(str::to_owned),
        now: c.now,
        ..Digests::default()
    };
    out.people = c
        .roster
        .people
        .iter()
        .filter(|p| q.person.is_none_or(|id| p.id.value == id))
        .filter(|p| q.team.is_none_or(|t| in_team(p, t)))
        .filter_map(digest_of)
        .collect();
    if q.person.is_some() {
        return out;
    }
    for team in c
        .roster
        .teams
        .iter()
        .filter(|t| q.team.is_none_or(|id| t.id.value == id))
    {
        let members: Vec<PersonDigest> = c
            .roster
            .people
            .iter()
            .filter(|p| in_team(p, &team.id.value))
            .filter_map(digest_of)
            .collect();
        if members.is_empty() {
            continue;
        }
        out.teams
            .push(summary(&team.id.value, &team.name, &members));
        let lead = team.lead.as_ref().and_then(|l| c.roster.person(&l.value));
        if let Some(lead) = lead {
            let mut people: Vec<PersonDigest> = members
                .into_iter()
                .filter(|m| m.to.id != lead.id.value)
                .collect();
            // Overdue first: the most overdue person first, then by name.
            people.sort_by(|a, b| {
                let worst = |d: &PersonDigest| d.items.iter().filter_map(|i| i.overdue_days).max();
                worst(b)
                    .cmp(&worst(a))
                    .then_with(|| a.to.name.cmp(&b.to.name))
            });
            if !people.is_empty() {
                out.leads.push(LeadDigest {
                    to: recipient(lead),
                    team_id: team.id.value.clone(),
                    team: team.name.clone(),
                    people,
                });
            }
        }
    }
    out
}

/// Overdue first (the most overdue first), then by due date, then by title.
fn sort_items(list: &mut [Arc<Item>]) {
    list.sort_by(|a, b| {
        b.overdue_days
            .cmp(&a.overdue_days)
            .then_with(|| a.due.unwrap_or(i64::MAX).cmp(&b.due.unwrap_or(i64::MAX)))
            .then_with(|| a.title.cmp(&b.title))
            .then_with(|| a.policy.cmp(&b.policy))
    });
}

/// A team's counts and titles (no names), policies with something overdue first.
fn summary(id: &str, name: &str, members: &[PersonDigest]) -> TeamSummary {
    let mut policies: Vec<PolicyCount> = Vec::new();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for m in members {
        for i in &m.items {
            let slot = *at.entry(i.policy.as_str()).or_insert_with(|| {
                policies.push(PolicyCount {
                    policy: i.policy.clone(),
                    title: i.title.clone(),
                    outstanding: 0,
                    overdue: 0,
                    link: i.link.clone(),
                });
                policies.len() - 1
            });
            policies[slot].outstanding += 1;
            policies[slot].overdue += usize::from(i.overdue());
        }
    }
    policies.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then_with(|| b.outstanding.cmp(&a.outstanding))
            .then_with(|| a.title.cmp(&b.title))
    });
    TeamSummary {
        team_id: id.to_owned(),
        team: name.to_owned(),
        people_outstanding: members.len(),
        people_overdue: members
            .iter()
            .filter(|m| m.items.iter().any(|i| i.overdue()))
            .count(),
        policies,
    }
}
