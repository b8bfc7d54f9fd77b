//! `acks --format json`, serialised straight from the report (one value per row would be
//! millions of allocations for a whole handbook).

use super::{Held, Need, Report, State};
use serde::Serialize;
use serde::ser::Serializer;

pub struct Policies<'a> {
    pub report: &'a Report<'a>,
    pub needs: &'a [Need],
    pub tz: &'a jiff::tz::TimeZone,
}

impl<'a> Policies<'a> {
    /// The policy of `needs[i]`, with its rows.
    pub fn one(&self, i: usize) -> Policy<'a> {
        let need = &self.needs[i];
        let rows = &self.report.rows[self.report.spans[i].clone()];
        let count = |st: State| rows.iter().filter(|r| r.state == st).count();
        Policy {
            id: &need.id,
            title: &need.title,
            revision: need.revision,
            path: &need.path,
            blob: &need.blob,
            applies_to: &need.applies_to,
            due: need.due.map(|d| super::rfc3339(d, self.tz)),
            counts: Counts {
                must: rows.len(),
                current: count(State::Current),
                stale: count(State::Stale),
                never: count(State::Never),
                overdue: rows.iter().filter(|r| r.overdue).count(),
            },
            people: People(rows),
        }
    }
}

#[derive(Serialize)]
pub struct Policy<'a> {
    id: &'a str,
    title: &'a str,
    revision: u32,
    path: &'a str,
    blob: &'a str,
    applies_to: &'a [String],
    due: Option<String>,
    counts: Counts,
    people: People<'a>,
}

#[derive(Serialize)]
struct Counts {
    must: usize,
    current: usize,
    stale: usize,
    never: usize,
    overdue: usize,
}

struct People<'a>(&'a [crate::model::ack::Row<'a>]);

impl Serialize for People<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|r| Row {
            person: r.person,
            status: r.state.as_str(),
            overdue: r.overdue,
            acknowledgement: r.held.map(Ack::of),
        }))
    }
}

#[derive(Serialize)]
struct Row<'a> {
    person: &'a str,
    status: &'a str,
    overdue: bool,
    acknowledgement: Option<Ack<'a>>,
}

#[derive(Serialize)]
pub struct Ack<'a> {
    revision: u32,
    entry: &'a str,
    time: &'a str,
    writer: Writer<'a>,
    written_by_other: bool,
}

impl Ack<'_> {
    pub fn of(h: &Held) -> Ack<'_> {
        Ack {
            revision: h.revision,
            entry: &h.id,
            time: &h.time,
            writer: Writer {
                name: &h.writer_name,
                email: &h.writer_email,
            },
            written_by_other: h.by_other,
        }
    }
}

#[derive(Serialize)]
struct Writer<'a> {
    name: &'a str,
    email: &'a str,
}

#[derive(Serialize)]
pub struct Former<'a> {
    pub person: &'a str,
    pub acknowledgements: Vec<FormerAck<'a>>,
}

/// An acknowledgement of someone no longer on the roster: the policy comes last.
#[derive(Serialize)]
pub struct FormerAck<'a> {
    #[serde(flatten)]
    pub ack: Ack<'a>,
    pub policy: &'a str,
}

/// An entry that does not count (or cannot be checked here), and why.
#[derive(Serialize)]
pub struct Apart<'a> {
    pub person: &'a str,
    pub policy: &'a str,
    pub revision: u32,
    pub path: &'a str,
    pub reason: &'a str,
}

impl<'a> Apart<'a> {
    pub fn of(r: &'a crate::model::ack::Rejected) -> Apart<'a> {
        Apart {
            person: &r.person,
            policy: &r.policy,
            revision: r.revision,
            path: &r.path,
            reason: &r.reason,
        }
    }
}
