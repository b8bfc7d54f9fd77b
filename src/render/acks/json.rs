//! `acks --format json`, serialised straight from the report (one value per row would be
//! millions of allocations for a whole handbook).

use super::{Fmt, Held, Need, Report, rfc3339};
use serde::Serialize;
use serde::ser::Serializer;

pub struct Policies<'a> {
    pub report: &'a Report<'a>,
    pub needs: &'a [Need],
    pub tz: &'a jiff::tz::TimeZone,
    pub show_reasons: bool,
}

impl<'a> Policies<'a> {
    /// The policy of `needs[i]`, with its rows.
    pub fn one(&self, i: usize) -> Policy<'a> {
        let need = &self.needs[i];
        let rows = &self.report.rows[self.report.spans[i].clone()];
        let t = &self.report.totals[i];
        Policy {
            id: &need.id,
            title: &need.title,
            revision: need.revision,
            path: &need.path,
            blob: &need.blob,
            applies_to: &need.applies_to,
            due: need.due.map(|d| rfc3339(d, self.tz)),
            in_force: need.in_force.map(|d| rfc3339(d, self.tz)),
            due_days: need.due_days,
            every: need.every.text(),
            counts: Counts {
                must: t.must,
                current: t.current,
                stale: t.stale,
                expired: t.expired,
                never: t.never,
                exempt: t.exempt,
                overdue: t.overdue,
            },
            people: People {
                rows,
                tz: self.tz,
                show_reasons: self.show_reasons,
            },
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
    in_force: Option<String>,
    due_days: u32,
    every: String,
    counts: Counts,
    people: People<'a>,
}

#[derive(Serialize)]
struct Counts {
    must: usize,
    current: usize,
    stale: usize,
    expired: usize,
    never: usize,
    exempt: usize,
    overdue: usize,
}

struct People<'a> {
    rows: &'a [crate::model::ack::Row<'a>],
    tz: &'a jiff::tz::TimeZone,
    show_reasons: bool,
}

impl<'a> Serialize for People<'a> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut f = Fmt::new(self.tz);
        s.collect_seq(self.rows.iter().map(|r| {
            let z = r.timezone;
            let mut t = |s: Option<i64>| s.map(|s| f.stamp(s, z));
            let (due, covered_since, expires) = (t(r.due), t(r.since.map(|s| s.at)), t(r.expires));
            let ack = |h: &'a Held, f: &mut Fmt<'a>| Ack::with(h, f, z);
            Row {
                person: r.person,
                name: r.name,
                email: r.emails.first().map(String::as_str),
                teams: r.teams,
                status: r.state.as_str(),
                overdue: r.overdue,
                due,
                due_clock: r.since.map(|s| s.clock.as_str()),
                covered_since,
                expires,
                late_days: r.late_days,
                acknowledgement: r.held.map(|h| ack(h, &mut f)),
                first_acknowledgement: r.first.map(|h| ack(h, &mut f)),
                exemption: r.exemption.map(|e| Exemption {
                    policies: e.policies.as_deref(),
                    until: e.until.as_deref(),
                    reason: self.show_reasons.then(|| e.reason.as_str()),
                    reference: if self.show_reasons {
                        e.reference.as_deref()
                    } else {
                        None
                    },
                }),
            }
        }))
    }
}

#[derive(Serialize)]
struct Row<'a> {
    person: &'a str,
    name: &'a str,
    email: Option<&'a str>,
    teams: &'a [String],
    status: &'a str,
    overdue: bool,
    due: Option<String>,
    due_clock: Option<&'a str>,
    covered_since: Option<String>,
    expires: Option<String>,
    late_days: Option<i64>,
    acknowledgement: Option<Ack<'a>>,
    first_acknowledgement: Option<Ack<'a>>,
    exemption: Option<Exemption<'a>>,
}

#[derive(Serialize)]
struct Exemption<'a> {
    /// `null`: every policy.
    policies: Option<&'a [String]>,
    until: Option<&'a str>,
    /// Only with `--show-reasons`.
    reason: Option<&'a str>,
    #[serde(rename = "ref")]
    reference: Option<&'a str>,
}

#[derive(Serialize)]
pub struct Ack<'a> {
    revision: u32,
    entry: &'a str,
    time: &'a str,
    recorded: String,
    witnessed: Option<String>,
    writer: Writer<'a>,
    written_by_other: bool,
}

impl<'h> Ack<'h> {
    /// With times formatted through `f`, in the zone named.
    fn with(h: &'h Held, f: &mut Fmt<'h>, zone: Option<&'h str>) -> Ack<'h> {
        Ack {
            revision: h.revision,
            entry: &h.id,
            time: &h.time,
            recorded: f.stamp(h.recorded, zone),
            witnessed: h.witnessed.map(|w| f.stamp(w, zone)),
            writer: Writer {
                name: &h.writer_name,
                email: &h.writer_email,
            },
            written_by_other: h.by_other,
        }
    }

    pub fn of(h: &'h Held, tz: &jiff::tz::TimeZone) -> Ack<'h> {
        Ack {
            revision: h.revision,
            entry: &h.id,
            time: &h.time,
            recorded: rfc3339(h.recorded, tz),
            witnessed: h.witnessed.map(|w| rfc3339(w, tz)),
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
