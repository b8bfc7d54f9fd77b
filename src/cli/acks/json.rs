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

/// Writes `value` as `serde_json::to_writer_pretty` would at nesting depth `depth`.
pub fn write(buf: &mut Vec<u8>, value: &impl Serialize, depth: usize) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(buf, Pretty::at(depth));
    value.serialize(&mut ser).map_err(std::io::Error::from)
}

/// `serde_json::ser::PrettyFormatter` (two spaces), starting at a given depth.
struct Pretty {
    depth: usize,
    has_value: bool,
}

impl Pretty {
    fn at(depth: usize) -> Pretty {
        Pretty {
            depth,
            has_value: false,
        }
    }

    fn indent<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        for _ in 0..self.depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for Pretty {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            self.indent(w)?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(w)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            self.indent(w)?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(w)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
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

struct People<'a>(&'a [super::status::Row<'a>]);

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
