//! `acks`: the report for people (outstanding rows, policy by policy), as one JSON
//! document, or as CSV. A whole handbook's report can be hundreds of megabytes, so each
//! writer streams to a `Write`, making each policy's part on every core (in order).

mod json;

use super::json as json_text;
use super::time::{date, rfc3339};
use crate::model::ack::{Held, Need, Rejected, Report, State};
use rayon::prelude::*;
use std::collections::HashMap;

/// Writes `pieces` parts made by `make` (each knowing its place) in order, making them
/// on every core a batch at a time (so memory stays bounded while the output streams).
fn in_order(
    out: &mut dyn std::io::Write,
    pieces: usize,
    make: impl Fn(usize) -> std::io::Result<Vec<u8>> + Sync,
) -> std::io::Result<()> {
    let batch = rayon::current_num_threads() * 8;
    for start in (0..pieces).step_by(batch.max(1)) {
        let end = (start + batch).min(pieces);
        let made: Vec<std::io::Result<Vec<u8>>> = (start..end).into_par_iter().map(&make).collect();
        for piece in made {
            out.write_all(&piece?)?;
        }
    }
    Ok(())
}

pub fn human(
    out: &mut dyn std::io::Write,
    report: &Report,
    needs: &[Need],
    tz: &jiff::tz::TimeZone,
    no_history: bool,
    all: bool,
) -> std::io::Result<()> {
    let mut wrote = false;
    // Many rows share a day: format each day once.
    let mut dates: HashMap<i64, String> = HashMap::new();
    for (need, span) in needs.iter().zip(&report.spans) {
        let rows = &report.rows[span.clone()];
        if rows.is_empty() {
            continue;
        }
        wrote = true;
        let current = rows.iter().filter(|r| r.state == State::Current).count();
        let overdue = rows.iter().filter(|r| r.overdue).count();
        write!(
            out,
            "{} r{}  {}/{} acknowledged",
            need.id,
            need.revision,
            current,
            rows.len()
        )?;
        if overdue > 0 {
            write!(out, ", {overdue} overdue")?;
        }
        if let Some(d) = need.due {
            write!(out, "  (due {})", date(d, tz))?;
        }
        out.write_all(b"\n")?;
        for r in rows {
            if !all && r.state == State::Current {
                continue;
            }
            write!(out, "  {:<8} {}", r.state.as_str(), r.person)?;
            if let Some(h) = &r.held {
                let day = dates
                    .entry(h.seconds)
                    .or_insert_with(|| date(h.seconds, tz));
                write!(out, "  r{} on {}", h.revision, day)?;
                if h.by_other {
                    write!(out, ", written by {} <{}>", h.writer_name, h.writer_email)?;
                }
            }
            if r.overdue {
                out.write_all(b"  OVERDUE")?;
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
    if no_history {
        out.write_all(b"(overdue unknown: the history is incomplete)\n")?;
    }
    Ok(())
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
    tz: &jiff::tz::TimeZone,
    now: i64,
    apart: (&[Rejected], &[Rejected]),
) -> std::io::Result<()> {
    // The document as `serde_json::to_writer_pretty` writes it, with each policy made
    // apart (on every core) at the depth it has in the document.
    let complete = report.rows.iter().all(|r| r.state == State::Current);
    write!(
        out,
        "{{\n  \"version\": 1,\n  \"now\": {},\n  \"complete\": {complete},\n  \"policies\": ",
        serde_json::to_string(&rfc3339(now, tz))?
    )?;
    let shown: Vec<usize> = (0..needs.len())
        .filter(|&i| !report.spans[i].is_empty())
        .collect();
    if shown.is_empty() {
        out.write_all(b"[]")?;
    } else {
        out.write_all(b"[")?;
        let policies = json::Policies { report, needs, tz };
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
                    ack: json::Ack::of(h),
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

pub fn csv(
    out: &mut dyn std::io::Write,
    report: &Report,
    needs: &[Need],
    tz: &jiff::tz::TimeZone,
) -> std::io::Result<()> {
    let io = |e: csv::Error| {
        let text = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(e) => e,
            _ => std::io::Error::other(text),
        }
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "policy",
        "revision",
        "person",
        "status",
        "overdue",
        "due",
        "acknowledged_revision",
        "acknowledged_at",
        "entry",
        "writer_email",
        "written_by_other",
    ])
    .map_err(io)?;
    out.write_all(&w.into_inner().map_err(|e| e.into_error())?)?;
    // Each policy's rows apart, on every core.
    in_order(out, needs.len(), |i| {
        let need = &needs[i];
        let due = need.due.map(|d| rfc3339(d, tz)).unwrap_or_default();
        let revision = need.revision.to_string();
        let mut w = csv::Writer::from_writer(Vec::with_capacity(1 << 16));
        for r in &report.rows[report.spans[i].clone()] {
            let h = r.held;
            let held_revision = h.map(|h| h.revision.to_string()).unwrap_or_default();
            w.write_record([
                &*cell(r.policy),
                &revision,
                &cell(r.person),
                r.state.as_str(),
                if r.overdue { "true" } else { "false" },
                &due,
                &held_revision,
                &cell(h.map_or("", |h| h.time.as_str())),
                &cell(h.map_or("", |h| h.id.as_str())),
                &cell(h.map_or("", |h| h.writer_email.as_str())),
                match h {
                    Some(h) if h.by_other => "true",
                    Some(_) => "false",
                    None => "",
                },
            ])
            .map_err(io)?;
        }
        w.into_inner().map_err(|e| e.into_error())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ack::{Former, Row};

    const T0: i64 = 1_767_603_600;

    fn needs() -> Vec<Need> {
        vec![Need {
            id: "handover".into(),
            title: "Handover".into(),
            revision: 2,
            path: "policies/handover.yaml".into(),
            blob: "1111111111111111111111111111111111111111".into(),
            applies_to: vec!["everyone".into()],
            due: Some(T0),
        }]
    }

    fn held() -> Vec<Held> {
        vec![Held {
            person: "bo".into(),
            policy: "handover".into(),
            revision: 1,
            id: "4444444444444444444444444444444444444444".into(),
            time: "2026-01-04T10:00:00+01:00".into(),
            seconds: T0 - 86_400,
            writer_name: "Ana Diaz".into(),
            writer_email: "ana@example.com".into(),
            by_other: true,
            current: false,
        }]
    }

    fn report<'a>(held: &'a [Held]) -> Report<'a> {
        let row = |person, state, h| Row {
            policy: "handover",
            revision: 2,
            person,
            state,
            held: h,
            due: Some(T0),
            overdue: state != State::Current,
        };
        Report {
            rows: vec![
                row("ana", State::Current, None),
                row("bo", State::Stale, Some(&held[0])),
                row("cy", State::Never, None),
            ],
            spans: std::iter::once(0..3).collect(),
            former: vec![Former {
                person: "dee".into(),
                held: held.to_vec(),
            }],
        }
    }

    fn text(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> String {
        let mut out = Vec::new();
        write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn human_lists_who_is_outstanding() {
        let (needs, held) = (needs(), held());
        let r = report(&held);
        let tz = jiff::tz::TimeZone::UTC;
        insta::assert_snapshot!(text(|w| human(w, &r, &needs, &tz, false, false)), @r"
        handover r2  1/3 acknowledged, 2 overdue  (due 2026-01-05)
          stale    bo  r1 on 2026-01-04, written by Ana Diaz <ana@example.com>  OVERDUE
          never    cy  OVERDUE
        people no longer on the roster:
          dee  handover r1
        ");
        let all = text(|w| human(w, &r, &needs, &tz, true, true));
        assert!(all.contains("  current  ana\n"), "{all}");
        assert!(
            all.ends_with("(overdue unknown: the history is incomplete)\n"),
            "{all}"
        );
        let empty = Report {
            rows: vec![],
            spans: std::iter::once(0..0).collect(),
            former: vec![],
        };
        assert_eq!(
            text(|w| human(w, &empty, &needs, &tz, false, false)),
            "nothing to show\n"
        );
    }

    #[test]
    fn entries_that_do_not_count_are_listed_with_their_reason() {
        let r = Rejected {
            person: "bo".into(),
            policy: "handover".into(),
            revision: 4_294_967_295,
            path: "05/bo/handover.r4294967295.x.ack".into(),
            reason: "bound to handbook commit 1234567890, which is not on the handbook line".into(),
        };
        let text = apart(std::slice::from_ref(&r), &[]);
        assert_eq!(
            text,
            "warning: 1 ledger entry does not count (`normsctl acks verify` tells the whole story):\n  bo handover r4294967295 (05/bo/handover.r4294967295.x.ack): bound to handbook commit 1234567890, which is not on the handbook line\n"
        );
        let u = Rejected {
            reason: "this clone does not hold the handbook's whole history".into(),
            ..r.clone()
        };
        assert!(
            apart(&[], &[u.clone(), u]).starts_with(
                "warning: 2 ledger entries cannot be checked here, so they do not count"
            )
        );
        assert_eq!(apart(&[], &[]), "");
    }

    #[test]
    fn json_and_csv_hold_every_row() {
        let (needs, held) = (needs(), held());
        let r = report(&held);
        let tz = jiff::tz::TimeZone::UTC;
        let doc: serde_json::Value =
            serde_json::from_str(&text(|w| json(w, &r, &needs, &tz, T0, (&[], &[])))).unwrap();
        assert_eq!(doc["complete"], false);
        assert_eq!(doc["rejected"], serde_json::json!([]));
        assert_eq!(doc["now"], "2026-01-05T09:00:00+00:00");
        assert_eq!(doc["policies"][0]["counts"]["must"], 3);
        assert_eq!(doc["former"][0]["person"], "dee");
        let csv = text(|w| csv(w, &r, &needs, &tz));
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 4, "{csv}");
        assert!(lines[0].starts_with("policy,revision,person,status,overdue,due"));
        assert_eq!(
            lines[2],
            "handover,2,bo,stale,true,2026-01-05T09:00:00+00:00,1,2026-01-04T10:00:00+01:00,4444444444444444444444444444444444444444,ana@example.com,true"
        );
    }
}
