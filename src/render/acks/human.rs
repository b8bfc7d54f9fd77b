//! `acks` for people: each policy with its true counts, its outstanding rows (overdue
//! first) in aligned columns with names, due dates and the clock that set them, then one
//! line per person. Dates about a person are in their team's zone.

use super::in_order;
use crate::model::ack::{Need, Report, Row, State, Totals};
use crate::render::people::one_line;
use crate::render::time::{date, rfc3339};
use foldhash::{HashMap, HashMapExt};

/// How a report is shown.
#[derive(Clone, Copy)]
pub struct View<'v> {
    /// The handbook's zone (a person's team zone wins for dates about them).
    pub tz: &'v jiff::tz::TimeZone,
    /// The history is incomplete: due dates are unknown.
    pub no_history: bool,
    /// List everyone (a filter was given), not only who is outstanding.
    pub all: bool,
    /// Show exemption reasons (`--show-reasons`).
    pub show_reasons: bool,
    /// The moment judged, when it is not now (`--at`).
    pub at: Option<i64>,
}

/// Dates and times as shown, each zone read and each moment formatted once (many rows
/// share a due date; formatting is what a large report spends its time on).
pub(super) struct Fmt<'r> {
    default: &'r jiff::tz::TimeZone,
    zones: HashMap<&'r str, jiff::tz::TimeZone>,
    days: HashMap<(i64, Option<&'r str>), String>,
    stamps: HashMap<(i64, Option<&'r str>), String>,
}

impl<'r> Fmt<'r> {
    pub(super) fn new(default: &'r jiff::tz::TimeZone) -> Fmt<'r> {
        Fmt {
            default,
            zones: HashMap::new(),
            days: HashMap::new(),
            stamps: HashMap::new(),
        }
    }

    fn zone(&mut self, name: Option<&'r str>) -> &jiff::tz::TimeZone {
        match name {
            None => self.default,
            Some(n) => {
                let default = self.default;
                self.zones.entry(n).or_insert_with(|| {
                    jiff::tz::TimeZone::get(n).unwrap_or_else(|_| default.clone())
                })
            }
        }
    }

    /// `YYYY-MM-DD` in the zone named (`None`: the handbook's).
    pub(super) fn date(&mut self, t: i64, zone: Option<&'r str>) -> String {
        if let Some(d) = self.days.get(&(t, zone)) {
            return d.clone();
        }
        let d = date(t, self.zone(zone));
        self.days.insert((t, zone), d.clone());
        d
    }

    /// RFC 3339 in the zone named.
    pub(super) fn stamp(&mut self, t: i64, zone: Option<&'r str>) -> String {
        if let Some(d) = self.stamps.get(&(t, zone)) {
            return d.clone();
        }
        let d = rfc3339(t, self.zone(zone));
        self.stamps.insert((t, zone), d.clone());
        d
    }
}

/// The details of one row for people: the acknowledgement held, the due date and the
/// clock that set it, the exemption.
fn details<'r>(r: &Row<'r>, f: &mut Fmt<'r>, show_reasons: bool) -> String {
    let z = r.timezone;
    use std::fmt::Write as _;
    let mut out = String::new();
    if let Some(h) = r.held {
        let _ = write!(out, "r{} on {}", h.revision, f.date(h.recorded, z));
        if h.witnessed.is_none() {
            out.push_str(" (not witnessed)");
        }
        if r.state == State::Current || r.state == State::Expired {
            match r.late_days {
                Some(0) => out.push_str(", on time"),
                Some(1) => out.push_str(", 1 day late"),
                Some(n) => {
                    let _ = write!(out, ", {n} days late");
                }
                None => {}
            }
        }
        if let Some(e) = r.expires {
            let word = if r.state == State::Expired {
                "expired"
            } else {
                "expires"
            };
            let _ = write!(out, ", {word} {}", f.date(e, z));
        }
        if h.by_other {
            let _ = write!(
                out,
                ", written by {} <{}>",
                one_line(&h.writer_name),
                one_line(&h.writer_email)
            );
        }
    }
    if r.state == State::Exempt {
        sep(&mut out);
        out.push_str("exempt");
        if let Some(e) = r.exemption {
            match &e.until {
                Some(u) => {
                    let _ = write!(out, " until {u}");
                }
                None => out.push_str(" for good"),
            }
            reason(&mut out, e, show_reasons);
        }
    }
    if r.state.outstanding() {
        if let Some(d) = r.due {
            sep(&mut out);
            let _ = write!(out, "due {}", f.date(d, z));
            if let Some(s) = r.since {
                let _ = write!(out, " ({} {})", s.clock.words(), f.date(s.at, z));
            }
        }
        if let (Some(e), Some(s)) = (r.exemption, r.since)
            && s.clock == crate::model::ack::Clock::Exemption
        {
            reason(&mut out, e, show_reasons);
        }
    }
    out
}

fn sep(out: &mut String) {
    if !out.is_empty() {
        out.push_str("; ");
    }
}

fn reason(out: &mut String, e: &crate::model::ack::Exempt, show: bool) {
    if show {
        out.push_str(" [");
        out.push_str(e.reason.as_str());
        if let Some(r) = &e.reference {
            out.push_str(", ");
            out.push_str(&one_line(r));
        }
        out.push(']');
    }
}

/// Columns `text` takes on a terminal (ids and most names are ASCII: one column a byte).
fn columns(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        unicode_width::UnicodeWidthStr::width(text)
    }
}

/// Pads `text` with spaces to `width` columns as a terminal shows them.
fn pad(out: &mut Vec<u8>, text: &str, width: usize) {
    pad_known(out, text, columns(text), width);
}

/// [`pad`] for a text whose columns are known.
fn pad_known(out: &mut Vec<u8>, text: &str, used: usize, width: usize) {
    out.extend_from_slice(text.as_bytes());
    if used < width {
        out.resize(out.len() + (width - used), b' ');
    }
}

/// One policy's part of the human report.
fn human_policy<'r>(need: &Need, rows: &[Row<'r>], totals: &Totals, view: &View<'r>) -> Vec<u8> {
    use std::io::Write as _;
    let mut out = Vec::with_capacity(64 + rows.len() * 100);
    let _ = write!(
        out,
        "{} r{}  {}: {} of {} acknowledged",
        need.id,
        need.revision,
        one_line(&need.title),
        totals.current,
        totals.must
    );
    if totals.overdue > 0 {
        let _ = write!(out, ", {} overdue", totals.overdue);
    }
    if totals.exempt > 0 {
        let _ = write!(out, ", {} exempt", totals.exempt);
    }
    if let Some(d) = need.due {
        let _ = write!(out, "  (due {})", date(d, view.tz));
    }
    out.push(b'\n');
    let mut shown: Vec<&Row> = rows
        .iter()
        .filter(|r| view.all || r.state.outstanding())
        .collect();
    // Overdue first, each group in roster order.
    shown.sort_by_key(|r| !r.overdue);
    // Each id and name cleaned and measured once.
    type Named<'n> = (
        std::borrow::Cow<'n, str>,
        usize,
        std::borrow::Cow<'n, str>,
        usize,
    );
    let names: Vec<Named> = shown
        .iter()
        .map(|r| {
            let (id, name) = (one_line(r.person), one_line(r.name));
            let (id_cols, name_cols) = (columns(&id), columns(&name));
            (id, id_cols, name, name_cols)
        })
        .collect();
    let id_w = names.iter().map(|n| n.1).max().unwrap_or(0);
    let name_w = names.iter().map(|n| n.3).max().unwrap_or(0);
    let mut f = Fmt::new(view.tz);
    // Rows with no entry and no exemption read alike when their due date and clock do.
    type Plain<'k> = (
        Option<i64>,
        Option<(i64, &'static str)>,
        Option<&'k str>,
        bool,
    );
    let mut plain: HashMap<Plain<'r>, String> = HashMap::new();
    for (r, (id, id_cols, name, name_cols)) in shown.iter().zip(&names) {
        out.extend_from_slice(b"  ");
        pad(&mut out, r.state.as_str(), 8);
        out.push(b' ');
        pad_known(&mut out, id, *id_cols, id_w);
        out.extend_from_slice(b"  ");
        let own;
        let text: &str = if r.held.is_none() && r.exemption.is_none() {
            let key = (
                r.due,
                r.since.map(|s| (s.at, s.clock.as_str())),
                r.timezone,
                r.state.outstanding(),
            );
            plain
                .entry(key)
                .or_insert_with(|| details(r, &mut f, view.show_reasons))
        } else {
            own = details(r, &mut f, view.show_reasons);
            &own
        };
        if text.is_empty() && !r.overdue {
            out.extend_from_slice(name.as_bytes());
        } else {
            pad_known(&mut out, name, *name_cols, name_w);
            out.extend_from_slice(b"  ");
            out.extend_from_slice(text.as_bytes());
        }
        if r.overdue {
            out.extend_from_slice(b"  OVERDUE");
        }
        out.push(b'\n');
    }
    out
}

pub fn human(
    out: &mut dyn std::io::Write,
    report: &Report,
    needs: &[Need],
    view: &View,
) -> std::io::Result<()> {
    let mut wrote = false;
    if let Some(at) = view.at {
        writeln!(out, "as of {}", rfc3339(at, view.tz))?;
    }
    let shown: Vec<usize> = (0..needs.len())
        .filter(|&i| !report.spans[i].is_empty())
        .collect();
    wrote |= !shown.is_empty();
    in_order(out, shown.len(), |k| {
        let i = shown[k];
        let rows = &report.rows[report.spans[i].clone()];
        Ok(human_policy(&needs[i], rows, &report.totals[i], view))
    })?;
    // One line per person: what they have outstanding and overdue, in roster order.
    let mut order: Vec<&str> = Vec::new();
    let mut counts: HashMap<&str, (usize, usize)> = HashMap::new();
    for r in &report.rows {
        if !r.state.outstanding() {
            continue;
        }
        let c = counts.entry(r.person).or_insert_with(|| {
            order.push(r.person);
            (0, 0)
        });
        c.0 += 1;
        c.1 += usize::from(r.overdue);
    }
    if !order.is_empty() {
        out.write_all(b"by person:\n")?;
        for p in order {
            let (n, late) = counts[p];
            write!(out, "  {}: {n} outstanding", one_line(p))?;
            if late > 0 {
                write!(out, ", {late} overdue")?;
            }
            out.write_all(b"\n")?;
        }
    }
    if !report.former.is_empty() {
        wrote = true;
        out.write_all(b"people no longer on the roster:\n")?;
        for f in &report.former {
            let list: Vec<String> = f
                .held
                .iter()
                .map(|h| format!("{} r{}", h.policy, h.revision))
                .collect();
            writeln!(out, "  {}  {}", f.person, list.join(", "))?;
        }
    }
    if !wrote {
        out.write_all(b"nothing to show\n")?;
    }
    if view.no_history {
        out.write_all(b"(overdue unknown: the history is incomplete)\n")?;
    }
    Ok(())
}
