//! `acks audit`: a period report an auditor can read and check again offline. The report
//! as it stood at the period's end (`acks --at`, same judge, only witnessed entries), with
//! the ledger commit that first added every entry and what `acks verify` finds. Nothing
//! here prints.

use super::AckError;
use super::Context;
use super::report::{Inputs, Query};
use crate::model::ack::{Audit, AuditEntry, AuditRow, Held, State};
use std::collections::HashMap;

/// The period report from `from` to `to` (Unix seconds). `note` receives warnings.
pub fn audit(
    cx: &Context,
    from: i64,
    to: i64,
    note: &mut dyn FnMut(String),
) -> Result<Audit, AckError> {
    let q = Query {
        at: Some(to),
        ..Query::default()
    };
    let inputs = Inputs::gather(cx, q, note, &|_| {})?;
    let report = inputs.report(q, &cx.ws.tz);
    let line = cx.line()?;
    let tips = cx.ledger.tips(cx.repo)?;
    let walked = super::walk::walk(cx.repo, &tips, &[])?;
    // Entry id (named in the file's path) → the ledger commit that first added it.
    let mut added: HashMap<git2::Oid, git2::Oid> = HashMap::new();
    for a in &walked.additions {
        if let Some(info) = super::entry::parse_path(&a.path) {
            added.entry(info.id).or_insert(a.commit);
        }
    }
    let outcome = super::verify::verify(cx.repo, &cx.ledger, &cx.layout, &line)?;
    let entry = |h: &Held| AuditEntry {
        entry: h.id.clone(),
        revision: h.revision,
        claimed: h.time.clone(),
        recorded: h.recorded,
        witnessed: h.witnessed,
        ledger_commit: git2::Oid::from_str(&h.id)
            .ok()
            .and_then(|id| added.get(&id))
            .map(|c| c.to_string()),
    };
    let mut rows = Vec::with_capacity(report.rows.len());
    for (need, span) in inputs.needs.iter().zip(&report.spans) {
        for r in &report.rows[span.clone()] {
            rows.push(AuditRow {
                policy: need.id.clone(),
                title: need.title.clone(),
                revision: need.revision,
                person: r.person.to_owned(),
                name: r.name.to_owned(),
                state: r.state,
                overdue: r.overdue,
                // A current row shows the due date its acknowledgement met.
                due: if r.state == State::Current {
                    r.answered_due
                } else {
                    r.due
                },
                since: if r.state == State::Current {
                    r.answered
                } else {
                    r.since
                },
                acknowledged: r.held.map(entry),
                first: r.first.map(entry),
                late_days: r.late_days,
                exemption: r.exemption.cloned(),
            });
        }
    }
    Ok(Audit {
        from,
        to,
        handbook_commit: inputs.commit.to_string(),
        ledger_tips: outcome
            .tips
            .iter()
            .map(|(r, t)| (r.clone(), t.to_string()))
            .collect(),
        verified: outcome.problems.is_empty(),
        ledger_entries: outcome.entries,
        first_problem: outcome
            .problems
            .first()
            .map(|p| format!("{}: {}", p.commit, p.message)),
        rows,
        rejected: inputs.rejected.clone(),
        unwitnessed: inputs.unwitnessed_then,
    })
}
