//! What `acks remind` tells people, as plain values: each person's digest, each team
//! lead's digest of their team, and each team's summary for a chat channel (counts and
//! titles, no names). `ack::remind` computes them, `render::remind` writes them; nothing
//! here reads git, the clock or the network.

use super::ack::State;
use std::sync::Arc;

/// Someone a digest is for: a person on the roster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub id: String,
    pub name: String,
    /// The first address on the roster: a person with several gets it there.
    pub email: Option<String>,
}

/// What changed since the text a person last acknowledged (their revision) and the one
/// they are asked to acknowledge now. Shared by everyone holding the same revision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Briefing {
    pub from_revision: u32,
    pub to_revision: u32,
    /// Changed fields: `(label in words, old, new)` with values as shown (`None`: absent).
    pub fields: Vec<(String, Option<String>, Option<String>)>,
    /// The body's word diff, when the body changed: runs of kept, deleted and inserted
    /// text.
    pub body: Option<Vec<(WordOp, String)>>,
}

/// What happened to a run of words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WordOp {
    Equal,
    Delete,
    Insert,
}

/// One policy a person must acknowledge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub policy: String,
    pub title: String,
    /// The revision to acknowledge.
    pub revision: u32,
    pub state: State,
    /// The revision they hold, when they hold an older one.
    pub held_revision: Option<u32>,
    /// When it is (or was) due, as Unix seconds (`None`: unknown, as in a shallow clone).
    pub due: Option<i64>,
    /// Whole days past due, when overdue.
    pub overdue_days: Option<i64>,
    /// The policy's page on the published site (`base_url`), when there is one.
    pub link: Option<String>,
    pub briefing: Option<Arc<Briefing>>,
}

impl Item {
    pub fn overdue(&self) -> bool {
        self.overdue_days.is_some()
    }
}

/// One person's digest: what they must acknowledge, overdue first. Items are shared with
/// the lead's digest and among everyone who owes the same revision by the same date
/// (thousands of people: a clone is a reference count, and the renderers render each
/// shared item once).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonDigest {
    pub to: Recipient,
    pub items: Vec<Arc<Item>>,
}

/// A team lead's digest of their team: each member with something outstanding (overdue
/// first), and the same per policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeadDigest {
    pub to: Recipient,
    pub team_id: String,
    pub team: String,
    pub people: Vec<PersonDigest>,
}

/// One policy in a team's summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyCount {
    pub policy: String,
    pub title: String,
    /// People of the team who must still acknowledge it.
    pub outstanding: usize,
    pub overdue: usize,
    pub link: Option<String>,
}

/// A team's summary for its chat channel: counts and titles, never a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamSummary {
    pub team_id: String,
    pub team: String,
    /// People with something outstanding, and with something overdue.
    pub people_outstanding: usize,
    pub people_overdue: usize,
    pub policies: Vec<PolicyCount>,
}

/// Everything one run tells, with the empty digests already left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Digests {
    pub people: Vec<PersonDigest>,
    pub leads: Vec<LeadDigest>,
    pub teams: Vec<TeamSummary>,
    /// The handbook's title and site address, for the messages.
    pub title: String,
    pub base_url: Option<String>,
    /// Now, as Unix seconds.
    pub now: i64,
}
