//! What is pending for one person: the `acks --person` report (the same gathering and the
//! same judge), kept to the policies they have not acknowledged in their current revision.
//! `ack` with no id shows it, and `ack --pending` records it after showing it.

use super::AckError;
use super::Context;
use super::report::{Inputs, Query};
use crate::model::ack::State;
pub use crate::model::pending::{Item, Pending};

/// What is pending for `who` (an id or e-mail; default: the roster person whose e-mail is
/// git's `user.email`). `note` receives the report's warnings.
pub fn pending(
    cx: &Context,
    who: Option<&str>,
    note: &mut dyn FnMut(String),
) -> Result<Pending, AckError> {
    let line = cx.line()?;
    let snap = super::snapshot::Snapshot::at(cx.repo, line.tip, &cx.layout)?;
    let people = cx.people(&snap)?;
    let person = cx.whoami(&people, who)?.id.clone();
    let query = Query {
        person: Some(&person),
        ..Query::default()
    };
    let inputs = Inputs::gather(cx, query, note, &|_| {})?;
    let report = inputs.report(query, &cx.ws.tz);
    let mut items: Vec<Item> = report
        .rows
        .iter()
        .filter(|r| r.state != State::Current)
        .filter_map(|r| {
            let need = inputs.needs.iter().find(|n| n.id == r.policy)?;
            Some(Item {
                id: need.id.clone(),
                title: need.title.clone(),
                revision: r.revision,
                state: r.state,
                due: r.due,
                overdue: r.overdue,
            })
        })
        .collect();
    items.sort_by(|a, b| {
        (!a.overdue, a.due.unwrap_or(i64::MAX), &a.id).cmp(&(
            !b.overdue,
            b.due.unwrap_or(i64::MAX),
            &b.id,
        ))
    });
    Ok(Pending {
        person,
        items,
        now: inputs.now,
    })
}
