//! The key-change rules of `validate --base REV`. Which key an acknowledgement must be
//! signed with is decided by where each change of a person's `signing_key` is anchored in
//! the ledger (`signing_key: { key, after: <ledger commit> }`), so every change must name
//! its anchor, and each anchor must be a ledger commit that follows the one before it.

use crate::diag::{Finding, Rule, Severity::Error};
use crate::model::{Person, Roster, Settings};
use git2::{Oid, Repository, Tree};
use std::path::Path;

pub static KEY_CHANGE_UNANCHORED: Rule = Rule {
    name: "key-change-unanchored",
    severity: Error,
    summary: "a person's signing key was added, changed or removed without naming the ledger commit the change takes effect after",
    help: "write `signing_key: { key: \"ssh-ed25519 ...\", after: <ledger commit> }` (`normsctl acks key PERSON` prints it); without an anchor the new state applies to every entry, older ones too",
};

pub static BAD_KEY_ANCHOR: Rule = Rule {
    name: "bad-key-anchor",
    severity: Error,
    summary: "`signing_key.after` is not a ledger commit at or after the person's previous anchor",
    help: "run `normsctl acks sync`, then `normsctl acks key PERSON` to name the ledger's current tip",
};

/// Checks each person whose key state (key and anchor) differs between the roster at the
/// base (`base_tree`) and the working `roster`.
pub fn check(
    repo: &Repository,
    settings: &Settings,
    roster_path: &str,
    base_tree: &Tree,
    roster: &Roster,
    findings: &mut Vec<Finding>,
) {
    let base = base_tree
        .get_path(Path::new(roster_path))
        .ok()
        .and_then(|e| repo.find_blob(e.id()).ok())
        .and_then(|b| {
            let text = std::str::from_utf8(b.content()).ok()?.to_owned();
            let node = crate::yaml::parse(&text).ok()??;
            let mut d = crate::load::decode::Decoder::new(roster_path, &text);
            crate::load::roster::decode(&mut d, &node)
        });
    let tips = ledger_tips(repo, settings);
    for person in &roster.people {
        let before = base.as_ref().and_then(|b| b.person(&person.id.value));
        let state = |p: &Person| {
            (
                p.signing_key.as_ref().map(|k| k.value.clone()),
                p.key_after.as_ref().map(|a| a.value.clone()),
            )
        };
        let now = state(person);
        if before.map(state) == Some(now.clone()) {
            continue;
        }
        let pos = person
            .key_after
            .as_ref()
            .or(person.signing_key.as_ref())
            .map_or(person.id.pos, |l| l.pos);
        let Some(after) = &person.key_after else {
            // Someone new with a plain key: it applies to all their entries, which is
            // what a new person needs; so does a plain key before the ledger has any
            // entry (CI must fetch the ledger branch: `fetch-depth: 0` does). Anyone
            // else's change must be anchored.
            if before.is_some() && !tips.is_empty() {
                findings.push(
                    Finding::new(
                        &KEY_CHANGE_UNANCHORED,
                        &roster.file,
                        pos,
                        format!(
                            "the signing key of `{}` changes without `after:`",
                            person.id.value
                        ),
                    )
                    .hint(KEY_CHANGE_UNANCHORED.help),
                );
            }
            continue;
        };
        let previous = before
            .and_then(|b| b.key_after.as_ref())
            .and_then(|a| Oid::from_str(&a.value).ok());
        if let Some(problem) = anchor_problem(repo, &tips, &after.value, previous) {
            findings.push(
                Finding::new(
                    &BAD_KEY_ANCHOR,
                    &roster.file,
                    after.pos,
                    format!("`after: {}` {problem}", after.value),
                )
                .hint(BAD_KEY_ANCHOR.help),
            );
        }
    }
}

/// The ledger's tips in this clone: its branch and the remote-tracking twin.
fn ledger_tips(repo: &Repository, settings: &Settings) -> Vec<Oid> {
    let local = &settings.acks.git_ref;
    let tracking = local
        .strip_prefix("refs/heads/")
        .map(|b| format!("refs/remotes/{}/{b}", settings.acks.remote));
    std::iter::once(local.clone())
        .chain(tracking)
        .filter_map(|name| repo.refname_to_id(&name).ok())
        .collect()
}

fn anchor_problem(
    repo: &Repository,
    tips: &[Oid],
    after: &str,
    previous: Option<Oid>,
) -> Option<String> {
    let Ok(oid) = Oid::from_str(after).map_err(|_| ()).and_then(|o| {
        repo.find_commit(o)
            .map(|c| c.id())
            .map_err(|_| ())
            .and_then(|id| (after.len() == 40).then_some(id).ok_or(()))
    }) else {
        return Some("is not the full id of a commit in this repository".to_owned());
    };
    let reaches =
        |from: Oid, to: Oid| from == to || repo.graph_descendant_of(from, to).unwrap_or(false);
    if !tips.iter().any(|&t| reaches(t, oid)) {
        return Some(if tips.is_empty() {
            "cannot be checked: this clone has no ledger (run `normsctl acks sync`)".to_owned()
        } else {
            "is not a commit of the ledger".to_owned()
        });
    }
    match previous {
        Some(prev) if !reaches(oid, prev) => Some(format!(
            "does not follow the previous anchor {}",
            &prev.to_string()[..10]
        )),
        _ => None,
    }
}
