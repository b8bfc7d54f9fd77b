//! `acknowledgements` (only with `--acks`): what a person must still acknowledge, and for
//! each the diff from the text they last acknowledged to the one they are asked to. It
//! calls the acknowledgement report (the one judge of `normsctl acks`) and never writes an
//! entry: recording is the person's own act (`normsctl ack`).

use super::AcksScope;
use super::capped;
use super::served::Served;
use super::tools::{AcknowledgementsArgs, Answer, DiffArgs, Outcome, ToolError, bounded};
use crate::ack::Context;
use crate::ack::report::{Inputs, Query};
use crate::model::ack::State;
use crate::site::collect::rfc3339;
use crate::workspace::Workspace;
use serde_json::{Value, json};
use std::fmt::Write;

fn failed(e: impl std::fmt::Display) -> ToolError {
    ToolError::new(e.to_string())
}

pub fn acknowledgements(s: &Served, a: &AcknowledgementsArgs, scope: &AcksScope) -> Outcome {
    let ws = Workspace::open(Some(&s.root)).map_err(failed)?;
    let cx = Context::open(&ws).map_err(failed)?;
    let people = cx.people(&cx.snapshot().map_err(failed)?).map_err(failed)?;
    let me = cx.whoami(&people, None).map(|m| m.id.clone());
    let person = match (scope, &a.person) {
        (AcksScope::All, Some(p)) => bounded(p)?.to_owned(),
        (_, None) => me.map_err(|e| {
            failed(e).with_hint("name the person with `person`, or set git's user.email to yours")
        })?,
        (AcksScope::Me, Some(p)) => {
            let me = me.map_err(failed)?;
            if *p != me {
                return Err(ToolError::new(format!(
                    "this server shows only {me}'s acknowledgements (git's user.email)"
                ))
                .with_hint("a lead starts the server with `--acks=all`"));
            }
            me
        }
        (AcksScope::None, Some(_)) => return Err(ToolError::new("acknowledgements are off")),
    };
    if people.person(&person).is_none() {
        return Err(
            ToolError::new(format!("no person `{}` on the roster", capped(&person, 80)))
                .near(&person, people.members().iter().map(|m| m.id.as_str())),
        );
    }
    let q = Query {
        person: Some(&person),
        ..Query::default()
    };
    let mut notes = Vec::new();
    let inputs = Inputs::gather(&cx, q, &mut |n| notes.push(n), &|_| {}).map_err(failed)?;
    let report = inputs.report(q, &cx.ws.tz);
    let mut owed = Vec::new();
    let mut text = String::new();
    for row in report.rows.iter().filter(|r| r.person == person) {
        if row.state == State::Current {
            continue;
        }
        let need = inputs.needs.iter().find(|n| n.id == row.policy);
        let last = row.held.map(|h| h.revision);
        let diff = match last {
            Some(r) => super::history::diff(
                s,
                &DiffArgs {
                    policy: row.policy.to_owned(),
                    from: Some(r.to_string()),
                    to: Some(row.revision.to_string()),
                },
                inputs.now,
            )
            .ok(),
            None => None,
        };
        let title = need.map(|n| capped(&n.title, super::answers::TITLE_CHARS));
        let _ = writeln!(
            text,
            "- {} ({}): revision {} to acknowledge; {}{}{}",
            title.as_deref().unwrap_or(row.policy),
            row.policy,
            row.revision,
            match last {
                Some(r) => format!("last acknowledged revision {r}"),
                None => "never acknowledged: read the whole text".into(),
            },
            row.due
                .map(|d| format!("; due {}", rfc3339(d)))
                .unwrap_or_default(),
            if row.overdue { " (overdue)" } else { "" },
        );
        if let Some(d) = &diff {
            for l in d.text.lines() {
                let _ = writeln!(text, "    {l}");
            }
        }
        owed.push(json!({
            "policy": row.policy,
            "title": title,
            "revision": row.revision,
            "state": row.state.as_str(),
            "last_acknowledged_revision": last,
            "due": row.due.map(rfc3339),
            "overdue": row.overdue,
            "blob": need.map(|n| n.blob.clone()),
            "page": s.page(row.policy),
            "diff": diff.map(|d| d.structured).unwrap_or(Value::Null),
        }));
    }
    if owed.is_empty() {
        text.push_str("Nothing left to acknowledge.\n");
    }
    text.insert_str(
        0,
        &format!(
            "{person} must still acknowledge {} policies (acknowledge with `normsctl ack ID`; this server never records one):\n",
            owed.len()
        ),
    );
    for n in &notes {
        let _ = writeln!(text, "note: {}", capped(n, 400));
    }
    Ok(Answer {
        structured: json!({
            "person": person,
            "to_acknowledge": owed,
            "notes": notes,
        }),
        text,
    })
}
