//! The `acks evidence` use case: everything about one person's acknowledgements of one
//! policy, judged with git's hash checks on and nothing trusted from outside the object
//! database (no caches).

use super::entry;
use super::people::People;
use super::report::by_other;
use super::status::{self, Held, Need};
use super::verify::{self, Judge};
use super::{AckError, Context};
use crate::history;
use crate::model::ack::{Evidence, EvidenceItem};

/// Gathers the evidence about `person` and `policy`.
pub fn gather(cx: &Context, person: &str, policy: &str) -> Result<Evidence, AckError> {
    debug_assert!(
        crate::workspace::git::hash_checks_on(),
        "evidence judges ledger entries: git's hash checks must be on"
    );
    let repo = cx.repo;
    let snap = cx.snapshot()?;
    // Evidence trusts nothing kept outside the object database.
    let people = snap
        .roster
        .and_then(|b| People::decode(repo, b, &cx.layout.roster))
        .unwrap_or_default();
    let tips = cx.ledger.tips(repo)?;
    let mut listed = super::ledger::list_person(repo, &tips, person)?;
    listed.retain(|l| l.info.policy == policy);
    if listed.is_empty() {
        people.require_id(person)?;
    }
    let revisions = history::walk(repo, snap.commit, &cx.layout.policies)?;
    let current_file = snap.files.get(policy);
    let current_text = current_file.and_then(|f| text_of(repo, &f.blob.to_string()));
    let current_revision = current_text.as_deref().and_then(history::revision_of);

    let line = cx.line()?;
    let outcome = verify::verify(repo, &cx.ledger, &cx.layout, &line)?;
    let mut judge = Judge::new(repo, &cx.layout, &line, tips.clone());
    // Where each entry first appeared in the ledger, and the oldest witness holding that.
    let walked = super::walk::walk(repo, &tips, &[])?;
    let added: std::collections::HashMap<(&str, git2::Oid), git2::Oid> = walked
        .additions
        .iter()
        .rev()
        .map(|a| ((a.path.as_str(), a.blob), a.commit))
        .collect();
    let witnesses = super::witness::list(repo)?;
    let bounds = super::witness::bounds(repo, &witnesses)?;
    let mut items = Vec::new();
    // Each item's oldest witness time, for the report's rule of when it counts as recorded.
    let mut witnessed_at: Vec<Option<i64>> = Vec::new();
    for l in &listed {
        let blob = repo.find_blob(l.blob)?;
        let Ok((p, payload)) = entry::parse_file(&l.path, blob.content()) else {
            continue;
        };
        let check = judge.entry(&p, &payload, l.blob)?;
        let text = text_of(repo, &p.entry.blob);
        let landed = revisions
            .iter()
            .rfind(|r| r.id == p.entry.policy && r.blob.to_string() == p.entry.blob)
            .map(|r| {
                (
                    r.commit.to_string(),
                    r.landed
                        .zoned()
                        .strftime("%Y-%m-%dT%H:%M:%S%:z")
                        .to_string(),
                )
            });
        let diff = match (&text, &current_text) {
            (Some(a), Some(b)) if a != b => Some(
                similar::TextDiff::from_lines(a.as_str(), b.as_str())
                    .unified_diff()
                    .context_radius(3)
                    .header("acknowledged", "today")
                    .to_string(),
            ),
            _ => None,
        };
        let ledger_commit = added.get(&(l.path.as_str(), l.blob)).copied();
        let witness = ledger_commit
            .and_then(|c| bounds.get(&c))
            .map(|&i| &witnesses[i]);
        let mut time_warnings = Vec::new();
        let claimed = p.entry.seconds();
        if let (Some(w), Some(t)) = (witness, claimed)
            && t > w.time
        {
            time_warnings.push(format!(
                "the claimed time is later than the witness that holds the entry ({}): the writer's clock was ahead, or the time is false",
                utc(w.time)
            ));
        }
        let bound_time = git2::Oid::from_str(&p.entry.commit)
            .ok()
            .and_then(|c| repo.find_commit(c).ok())
            .map(|c| c.committer().when().seconds());
        if let (Some(b), Some(t)) = (bound_time, claimed)
            && t < b
        {
            time_warnings.push(format!(
                "the claimed time is earlier than the handbook commit it is bound to ({}): backdated",
                utc(b)
            ));
        }
        witnessed_at.push(witness.map(|w| w.time));
        items.push(EvidenceItem {
            by_other: by_other(&p, &people),
            entry: p,
            text,
            landed,
            diff,
            check,
            ledger_commit: ledger_commit.map(|c| c.to_string()),
            witnessed: witness.map(|w| (w.name.clone(), utc(w.time))),
            time_warnings,
            revoked_by: None,
        });
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| items[a].entry.entry.time.cmp(&items[b].entry.entry.time));
    let mut slots: Vec<Option<(EvidenceItem, Option<i64>)>> =
        items.into_iter().zip(witnessed_at).map(Some).collect();
    let (mut items, witnessed_at): (Vec<EvidenceItem>, Vec<Option<i64>>) =
        order.into_iter().filter_map(|i| slots[i].take()).unzip();
    // Valid revocations withdraw the entries they name.
    let revocations: Vec<(String, String, String)> = items
        .iter()
        .filter(|i| i.check.problem.is_none())
        .filter_map(|i| {
            let e = &i.entry.entry;
            Some((
                e.revokes.clone()?,
                i.entry.id.to_string(),
                e.note.clone().unwrap_or_default(),
            ))
        })
        .collect();
    for item in &mut items {
        let id = item.entry.id.to_string();
        item.revoked_by = revocations
            .iter()
            .find(|(revoked, _, _)| *revoked == id)
            .map(|(_, by, why)| (by.clone(), why.clone()));
    }
    // The one judge's rule, as the reports apply it.
    let valid = |i: &EvidenceItem| {
        i.check.problem.is_none() && i.entry.entry.revokes.is_none() && i.revoked_by.is_none()
    };
    let counts = |i: &EvidenceItem| {
        valid(i)
            && git2::Oid::from_str(&i.entry.entry.commit)
                .is_ok_and(|c| line.is_current(policy, i.entry.entry.revision, c))
    };
    // The report's status (current, stale, expired, never, exempt), by the report's own
    // computation over these entries; "retired" when the policy is gone, and the plain
    // current / stale / never when the policy does not apply to the person.
    let status = match current_revision {
        _ if !items.iter().any(valid) && current_revision.is_none() => "never",
        None => "retired",
        _ => reported_status(
            cx,
            &snap,
            &people,
            &line,
            &revisions,
            &items,
            &witnessed_at,
            person,
            policy,
        )?
        .unwrap_or_else(|| {
            if !items.iter().any(valid) {
                "never"
            } else if items.iter().any(counts) {
                "current"
            } else {
                "stale"
            }
        }),
    };
    let first_problem = outcome.problems.first().map(|p| {
        format!(
            "first bad commit {}{}: {}",
            p.commit,
            p.path.as_ref().map(|p| format!(" {p}")).unwrap_or_default(),
            p.message
        )
    });
    Ok(Evidence {
        person: person.to_owned(),
        policy: policy.to_owned(),
        head: snap.commit,
        current: current_file.map(|f| (f.path.clone(), f.blob.to_string())),
        current_revision,
        status,
        ledger_ok: outcome.problems.is_empty(),
        ledger_entries: outcome.entries,
        first_problem,
        items,
    })
}

/// Where the whole-handbook report would put `person` for `policy`, computed by the
/// report's own rules ([`status::compute`]) over the entries evidence judged itself (valid,
/// not revoked): `None` when the policy does not apply to them.
#[allow(clippy::too_many_arguments)]
fn reported_status(
    cx: &Context,
    snap: &super::snapshot::Snapshot,
    people: &People,
    line: &super::line::Line,
    revisions: &[history::Revision],
    items: &[EvidenceItem],
    witnessed_at: &[Option<i64>],
    person: &str,
    policy: &str,
) -> Result<Option<&'static str>, AckError> {
    let Some(file) = snap.files.get(policy) else {
        return Ok(None);
    };
    let Some(parsed) = super::snapshot::parse_policy(cx.repo, file) else {
        return Ok(None);
    };
    let landed = revisions
        .iter()
        .find(|r| {
            r.id == policy && matches!(r.change, history::Change::Added | history::Change::Material)
        })
        .map(|r| r.landed.seconds);
    let settings = &cx.ws.settings.acks;
    let Some(need) = Need::of(&parsed, file.blob.to_string(), landed, settings, &cx.ws.tz) else {
        return Ok(None);
    };
    let now = cx
        .ws
        .now()
        .map_err(|e| AckError::Io(e.to_string()))?
        .as_second();
    let mut held = Vec::new();
    for (item, witness) in items.iter().zip(witnessed_at) {
        let e = &item.entry.entry;
        if item.check.problem.is_some() || e.revokes.is_some() || item.revoked_by.is_some() {
            continue;
        }
        let (Some(seconds), Ok(commit)) = (e.seconds(), git2::Oid::from_str(&e.commit)) else {
            continue;
        };
        let bound = line.landed(commit).unwrap_or(i64::MIN);
        let recorded = match witness {
            Some(w) => seconds.min(*w).max(bound),
            None => seconds.min(now).max(bound),
        };
        held.push(Held {
            person: e.person.clone(),
            policy: e.policy.clone(),
            revision: e.revision,
            id: item.entry.id.to_string(),
            time: e.time.clone(),
            seconds,
            recorded,
            witnessed: *witness,
            writer_name: e.writer.name.clone(),
            writer_email: e.writer.email.clone(),
            by_other: item.by_other,
            current: line.is_current(policy, e.revision, commit),
        });
    }
    let start = settings
        .start
        .and_then(|d| d.to_zoned(cx.ws.tz.clone()).ok())
        .map(|z| z.timestamp().as_second());
    let clocks = status::Clocks {
        now,
        start,
        tz: &cx.ws.tz,
        covered: &|_, _| None,
    };
    let needs = [need];
    let filter = status::Filter {
        person: Some(person),
        only_overdue: false,
        only_outstanding: false,
    };
    let report = status::compute(&needs, people, &held, &clocks, filter);
    Ok(report.rows.first().map(|r| r.state.as_str()))
}

/// Unix seconds as RFC 3339 in UTC.
fn utc(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|_| "an unknown time".to_owned())
}

fn text_of(repo: &git2::Repository, blob: &str) -> Option<String> {
    let oid = git2::Oid::from_str(blob).ok()?;
    let b = repo.find_blob(oid).ok()?;
    Some(String::from_utf8_lossy(b.content()).into_owned())
}
