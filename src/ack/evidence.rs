//! The `acks evidence` use case: everything about one person's acknowledgements of one
//! policy, judged with git's hash checks on and nothing trusted from outside the object
//! database (no caches).

use super::entry;
use super::people::People;
use super::report::by_other;
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
    if listed.is_empty() && people.person(person).is_none() {
        return Err(AckError::UnknownPerson(person.to_owned()));
    }
    let revisions = history::walk(repo, snap.commit, &cx.layout.policies)?;
    let current_file = snap.files.get(policy);
    let current_text = current_file.and_then(|f| text_of(repo, &f.blob.to_string()));
    let current_revision = current_text.as_deref().and_then(history::revision_of);

    let line = cx.line()?;
    let outcome = verify::verify(repo, &cx.ledger, &cx.layout, &line)?;
    let mut judge = Judge::new(repo, &cx.layout, &line);
    let mut items = Vec::new();
    for l in &listed {
        let blob = repo.find_blob(l.blob)?;
        let Ok((p, payload)) = entry::parse_file(&l.path, blob.content()) else {
            continue;
        };
        let check = judge.entry(&p, &payload)?;
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
        items.push(EvidenceItem {
            by_other: by_other(&p, &people),
            entry: p,
            text,
            landed,
            diff,
            check,
        });
    }
    items.sort_by(|a, b| a.entry.entry.time.cmp(&b.entry.entry.time));
    let status = match current_revision {
        _ if items.is_empty() => "never",
        Some(c) if items.iter().any(|i| i.entry.entry.revision >= c) => "current",
        None => "retired",
        _ => "stale",
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

fn text_of(repo: &git2::Repository, blob: &str) -> Option<String> {
    let oid = git2::Oid::from_str(blob).ok()?;
    let b = repo.find_blob(oid).ok()?;
    Some(String::from_utf8_lossy(b.content()).into_owned())
}
