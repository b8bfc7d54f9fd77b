//! `acks`: the report for people (outstanding rows, policy by policy), as one JSON
//! document, or as CSV. A whole handbook's report can be hundreds of megabytes, so each
//! writer streams to a `Write`, making each policy's part on every core (in order).

mod human;
mod json;

use human::Fmt;
pub use human::{View, human};
pub use json::Apart as RejectedJson;

use super::json as json_text;
use super::time::rfc3339;
use crate::model::ack::{Held, Need, Rejected, Report};
use rayon::prelude::*;

/// Writes `pieces` parts made by `make` (each knowing its place) in order, making them
/// on every core a batch at a time (so memory stays bounded while the output streams).
/// A batch is written (on this thread: the writer may clean what it writes) while the
/// next one is made.
pub(super) fn in_order(
    out: &mut dyn std::io::Write,
    pieces: usize,
    make: impl Fn(usize) -> std::io::Result<Vec<u8>> + Sync,
) -> std::io::Result<()> {
    let batch = (rayon::current_num_threads() * 8).max(1);
    let make_batch = |start: usize| -> Vec<std::io::Result<Vec<u8>>> {
        let end = (start + batch).min(pieces);
        (start..end).into_par_iter().map(&make).collect()
    };
    let mut made = make_batch(0);
    let mut start = batch;
    loop {
        let mut next = Vec::new();
        let mut written = Ok(());
        rayon::in_place_scope(|s| {
            if start < pieces {
                let next = &mut next;
                let make_batch = &make_batch;
                s.spawn(move |_| *next = make_batch(start));
            }
            for piece in made.drain(..) {
                if let Err(e) = piece.and_then(|p| out.write_all(&p)) {
                    written = Err(e);
                    break;
                }
            }
        });
        written?;
        if start >= pieces {
            return Ok(());
        }
        made = next;
        start += batch;
    }
}

/// The entries that do not count, for people: one line each (the reason), and how many
/// cannot be checked in this clone and why. Empty when every entry counts.
pub fn apart(rejected: &[Rejected], unchecked: &[Rejected]) -> String {
    use super::people::one_line;
    use std::fmt::Write as _;
    let mut out = String::new();
    if !rejected.is_empty() {
        let _ = writeln!(
            out,
            "warning: {} ledger entr{} not count (`normsctl acks verify` tells the whole story):",
            rejected.len(),
            if rejected.len() == 1 {
                "y does"
            } else {
                "ies do"
            }
        );
        for r in rejected {
            let _ = writeln!(
                out,
                "  {} {} r{} ({}): {}",
                one_line(&r.person),
                one_line(&r.policy),
                r.revision,
                one_line(&r.path),
                one_line(&r.reason)
            );
        }
    }
    if let Some(first) = unchecked.first() {
        let _ = writeln!(
            out,
            "warning: {} ledger entr{} cannot be checked here, so {} not count: {}",
            unchecked.len(),
            if unchecked.len() == 1 { "y" } else { "ies" },
            if unchecked.len() == 1 {
                "it does"
            } else {
                "they do"
            },
            one_line(&first.reason)
        );
    }
    out
}

pub fn json(
    out: &mut dyn std::io::Write,
    report: &Report,
    needs: &[Need],
    view: &View,
    now: i64,
    apart: (&[Rejected], &[Rejected]),
) -> std::io::Result<()> {
    let tz = view.tz;
    // The document as `serde_json::to_writer_pretty` writes it, with each policy made
    // apart (on every core) at the depth it has in the document.
    let complete = report.rows.iter().all(|r| !r.state.outstanding());
    write!(
        out,
        "{{\n  \"version\": 2,\n  \"now\": {},\n  \"at\": {},\n  \"complete\": {complete},\n  \"policies\": ",
        serde_json::to_string(&rfc3339(now, tz))?,
        serde_json::to_string(&view.at.map(|a| rfc3339(a, tz)))?
    )?;
    let shown: Vec<usize> = (0..needs.len())
        .filter(|&i| !report.spans[i].is_empty())
        .collect();
    if shown.is_empty() {
        out.write_all(b"[]")?;
    } else {
        out.write_all(b"[")?;
        let policies = json::Policies {
            report,
            needs,
            tz,
            show_reasons: view.show_reasons,
        };
        in_order(out, shown.len(), |k| {
            let mut buf = Vec::with_capacity(1 << 16);
            buf.extend_from_slice(if k == 0 { b"\n    " } else { b",\n    " });
            json_text::write_nested(&mut buf, &policies.one(shown[k]), 2)?;
            Ok(buf)
        })?;
        out.write_all(b"\n  ]")?;
    }
    out.write_all(b",\n  \"former\": ")?;
    let former: Vec<json::Former> = report
        .former
        .iter()
        .map(|f| json::Former {
            person: &f.person,
            acknowledgements: f
                .held
                .iter()
                .map(|h| json::FormerAck {
                    ack: json::Ack::of(h, tz),
                    policy: &h.policy,
                })
                .collect(),
        })
        .collect();
    let mut buf = Vec::new();
    json_text::write_nested(&mut buf, &former, 1)?;
    out.write_all(&buf)?;
    for (key, list) in [("rejected", apart.0), ("unchecked", apart.1)] {
        let rows: Vec<json::Apart> = list.iter().map(json::Apart::of).collect();
        write!(out, ",\n  \"{key}\": ")?;
        let mut buf = Vec::new();
        json_text::write_nested(&mut buf, &rows, 1)?;
        out.write_all(&buf)?;
    }
    out.write_all(b"\n}\n")
}

/// A CSV cell a spreadsheet will not read as a formula (OWASP's advice): a value that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`.
/// Everything else, DEL included, is kept as stored.
pub fn cell(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// The CSV columns, in order (`version` is 2 on every row).
pub const CSV_COLUMNS: [&str; 26] = [
    "version",
    "policy",
    "title",
    "revision",
    "person",
    "name",
    "email",
    "teams",
    "status",
    "overdue",
    "due",
    "due_clock",
    "covered_since",
    "acknowledged_revision",
    "acknowledged_at",
    "recorded_at",
    "witnessed_at",
    "late_days",
    "expires",
    "first_acknowledged_at",
    "entry",
    "writer_email",
    "written_by_other",
    "exempt_until",
    "exempt_reason",
    "exempt_ref",
];

pub fn csv(
    out: &mut dyn std::io::Write,
    report: &Report,
    needs: &[Need],
    view: &View,
) -> std::io::Result<()> {
    let io = |e: csv::Error| {
        let text = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(e) => e,
            _ => std::io::Error::other(text),
        }
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS).map_err(io)?;
    out.write_all(&w.into_inner().map_err(|e| e.into_error())?)?;
    // Each policy's rows apart, on every core.
    in_order(out, needs.len(), |i| {
        let need = &needs[i];
        let revision = need.revision.to_string();
        let mut f = Fmt::new(view.tz);
        let mut w = csv::Writer::from_writer(Vec::with_capacity(1 << 16));
        for r in &report.rows[report.spans[i].clone()] {
            let z = r.timezone;
            let mut t = |s: Option<i64>| s.map(|s| f.stamp(s, z)).unwrap_or_default();
            let h = r.held;
            let held_revision = h.map(|h| h.revision.to_string()).unwrap_or_default();
            let e = r.exemption;
            w.write_record([
                "2",
                &*cell(r.policy),
                &cell(&need.title),
                &revision,
                &cell(r.person),
                &cell(r.name),
                &cell(r.emails.first().map_or("", String::as_str)),
                &cell(&r.teams.join(" ")),
                r.state.as_str(),
                if r.overdue { "true" } else { "false" },
                &t(r.due),
                r.since.map_or("", |s| s.clock.as_str()),
                &t(r.since.map(|s| s.at)),
                &held_revision,
                &cell(h.map_or("", |h| h.time.as_str())),
                &t(h.map(|h| h.recorded)),
                &t(h.and_then(|h| h.witnessed)),
                &r.late_days.map(|d| d.to_string()).unwrap_or_default(),
                &t(r.expires),
                &t(r.first.map(|h| h.recorded)),
                &cell(h.map_or("", |h| h.id.as_str())),
                &cell(h.map_or("", |h| h.writer_email.as_str())),
                match h {
                    Some(h) if h.by_other => "true",
                    Some(_) => "false",
                    None => "",
                },
                e.and_then(|e| e.until.as_deref()).unwrap_or_default(),
                if view.show_reasons {
                    e.map_or("", |e| e.reason.as_str())
                } else {
                    ""
                },
                &cell(if view.show_reasons {
                    e.and_then(|e| e.reference.as_deref()).unwrap_or_default()
                } else {
                    ""
                }),
            ])
            .map_err(io)?;
        }
        w.into_inner().map_err(|e| e.into_error())
    })
}

#[cfg(test)]
mod tests;
