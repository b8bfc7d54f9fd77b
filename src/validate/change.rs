//! The change rules (`validate --base REV`): each policy at REV against the working tree.
//! The declared `revision` is the truth for acknowledgements, so a change of meaning must
//! raise it by one, and raising it for nothing asks everyone to re-read for nothing.
//! Findings stand at the `revision` key of the newer text.

use crate::diag::{
    Finding, Rule,
    Severity::{Error, Warning},
};
use crate::diff::{self, Fields};
use crate::model::{Handbook, Policy};
use crate::workspace::{Workspace, WorkspaceError};
use serde_json::Value as Json;

/// The change rules: each policy of the working tree against its text at `rev`, and (with
/// history at hand) that every `replaces` names a policy that existed.
pub fn against(
    ws: &Workspace,
    rev: &str,
    handbook: &Handbook,
    findings: &mut Vec<Finding>,
) -> Result<(), WorkspaceError> {
    let git = ws.repo()?;
    ws.require_complete()?;
    let base = ws.commit(rev)?;
    let tree = base.tree()?;
    let snapshot = crate::history::snapshot::Snapshot::at_tree(git, &tree, &ws.policies_dir())?;
    if let Some(roster) = &handbook.roster {
        let path = format!("{}{}", ws.loc.prefix, ws.settings.roster);
        super::keys::check(git, &ws.settings, &path, &tree, roster, findings);
    }
    // `replaces` names retired policies: with history at hand, they must have existed.
    if let Ok(head) = ws.head() {
        let history = ws.walk(head, None)?;
        let ever: std::collections::HashSet<&str> = history
            .iter()
            .map(|r| r.id.as_str())
            .chain(snapshot.policies.keys().map(String::as_str))
            .collect();
        super::references::check_replaces_history(handbook, &ever, findings);
    }
    for policy in &handbook.policies {
        let rel = policy
            .file
            .strip_prefix(&ws.loc.prefix)
            .unwrap_or(&policy.file);
        let Ok(source) = std::fs::read_to_string(ws.loc.root.join(rel)) else {
            continue;
        };
        let before = snapshot
            .get(&crate::history::stem(&policy.file))
            .map(|f| f.text.as_str());
        check(before, policy, &source, findings);
    }
    super::reviews::check_reviewed_dates(ws, &snapshot, handbook, findings)?;
    // Editorial trailers waive `body-changed` for the policies they name.
    if let Ok(head) = ws.head() {
        let waived = editorial_trailers(git, base.id(), head).map_err(WorkspaceError::from)?;
        for policy in &handbook.policies {
            let Some(reason) = waived.get(policy.id.value.as_str()) else {
                continue;
            };
            for f in findings.iter_mut().filter(|f| {
                f.rule.name == BODY_CHANGED.name && f.file == policy.file && f.suppressed.is_none()
            }) {
                f.suppressed = Some(crate::diag::Suppression {
                    kind: crate::diag::WaiverKind::External,
                    reason: reason.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Fields whose change alters what a policy asks: raising `revision` is required.
pub const MATERIAL_KEYS: [&str; 13] = [
    "kind",
    "target",
    "window",
    "level",
    "statistic",
    "unit",
    "measures",
    "source",
    "effective",
    "controllable",
    "visibility",
    "gaming_risk",
    "guardrails",
];

/// The material fields a change alters (whitespace and case in prose aside): when the
/// declared revision did not rise, each is a `revision-not-raised` finding.
pub fn material_fields(changes: &diff::PolicyDiff) -> Vec<&str> {
    let mut material: Vec<&str> = changes
        .fields
        .iter()
        .filter(|f| MATERIAL_KEYS.contains(&f.key()))
        .filter(|f| !cosmetic(f.key(), f.old.as_ref(), f.new.as_ref()))
        .map(|f| f.key())
        .collect();
    material.dedup();
    material
}

/// Free-text fields, where whitespace, punctuation and case carry no meaning.
const PROSE_KEYS: [&str; 6] = [
    "title",
    "summary",
    "body",
    "measures",
    "source",
    "gaming_risk",
];

pub static REVISION_NOT_RAISED: Rule = Rule {
    name: "revision-not-raised",
    severity: Error,
    summary: "a material field changed but `revision` was kept",
    help: "raise `revision` by one: earlier acknowledgements must go stale",
};
pub static BODY_CHANGED: Rule = Rule {
    name: "body-changed",
    severity: Warning,
    summary: "the words of `body` changed but `revision` was kept",
    help: "if the meaning changed, raise revision by one; if not, nothing to do",
};
pub static REVISION_LOWERED: Rule = Rule {
    name: "revision-lowered",
    severity: Error,
    summary: "`revision` is lower than at the base",
    help: "revisions only go up: restore it, and raise it by one for a material change",
};
pub static REVISION_SKIPPED: Rule = Rule {
    name: "revision-skipped",
    severity: Error,
    summary: "`revision` rose by more than one",
    help: "raise by one",
};
pub static REVISION_RAISED_NO_CHANGE: Rule = Rule {
    name: "revision-raised-for-nothing",
    severity: Warning,
    summary: "`revision` rose but only whitespace, punctuation or case changed",
    help: "keep the old revision: a raise asks everyone to acknowledge again",
};
pub static NEW_NOT_AT_ONE: Rule = Rule {
    name: "new-policy-not-at-1",
    severity: Error,
    summary: "a policy new since the base does not start at revision 1",
    help: "set `revision: 1`",
};

/// The change rules (a comment cannot waive them: see [`super::waivers`]).
pub static RULES: [&Rule; 6] = [
    &REVISION_NOT_RAISED,
    &BODY_CHANGED,
    &REVISION_LOWERED,
    &REVISION_SKIPPED,
    &REVISION_RAISED_NO_CHANGE,
    &NEW_NOT_AT_ONE,
];

/// The commit trailer that waives `body-changed` for one policy: `Normsctl-Editorial:
/// <policy-id> -- reason`, in a commit of `merge-base(REV, HEAD)..HEAD`.
pub const EDITORIAL_TRAILER: &str = "Normsctl-Editorial";

/// The editorial waivers of the commits in `merge-base(base, head)..head`: policy id to
/// reason (the newest commit's reason when several name one policy). A trailer without a
/// reason waives nothing.
pub fn editorial_trailers(
    git: &git2::Repository,
    base: git2::Oid,
    head: git2::Oid,
) -> Result<std::collections::HashMap<String, String>, git2::Error> {
    let mut out = std::collections::HashMap::new();
    let stop = git.merge_base(base, head)?;
    let mut walk = git.revwalk()?;
    walk.push(head)?;
    walk.hide(stop)?;
    for oid in walk {
        let commit = git.find_commit(oid?)?;
        let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
        for (id, reason) in trailers(&message) {
            out.entry(id).or_insert(reason);
        }
    }
    Ok(out)
}

/// `Normsctl-Editorial: id -- reason` lines of the message's last paragraph (its trailers).
fn trailers(message: &str) -> Vec<(String, String)> {
    let last = message.trim_end().rsplit("\n\n").next().unwrap_or_default();
    last.lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            if !key.trim().eq_ignore_ascii_case(EDITORIAL_TRAILER) {
                return None;
            }
            let (id, reason) = value.split_once("--")?;
            let (id, reason) = (id.trim(), reason.trim());
            (!id.is_empty() && !reason.is_empty()).then(|| (id.to_owned(), reason.to_owned()))
        })
        .collect()
}

/// The fix for a revision that should have been raised from `r`: the next number, or that
/// there is none (a hostile or careless file may sit at the limit, and `r + 1` would
/// overflow).
pub fn raise_hint(r: u32) -> String {
    match r.checked_add(1) {
        Some(next) => format!("set `revision: {next}`"),
        None => format!("`revision` is at its limit, {r}, and cannot be raised"),
    }
}

/// Judges one policy of the working tree against its text at the base (`None`: new).
pub fn check(base: Option<&str>, policy: &Policy, source: &str, findings: &mut Vec<Finding>) {
    let pos = policy.key_pos("revision");
    let now = policy.revision.value;
    let finding =
        |rule: &'static Rule, message: String| Finding::new(rule, &policy.file, pos, message);
    let Some(base) = base else {
        if now != 1 {
            findings.push(finding(
                &NEW_NOT_AT_ONE,
                format!(
                    "`{}` is new since the base but declares revision {now}",
                    policy.id.value
                ),
            ));
        }
        return;
    };
    let (before, after) = (Fields::of(base), Fields::of(source));
    let Some(was) = before
        .get("revision")
        .and_then(Json::as_u64)
        .and_then(|r| u32::try_from(r).ok())
    else {
        // The base text was broken: there is nothing to compare the revision with.
        return;
    };
    if now < was {
        findings.push(finding(
            &REVISION_LOWERED,
            format!("revision {now} is lower than {was} at the base"),
        ));
    } else if now > was.saturating_add(1) {
        findings.push(
            finding(
                &REVISION_SKIPPED,
                format!("revision rose from {was} to {now}; raise by one"),
            )
            .hint(format!("set `revision: {}`", was + 1)),
        );
    } else if now == was {
        let changes = diff::compare(base, source);
        let material = material_fields(&changes);
        if !material.is_empty() {
            let names: Vec<String> = material.iter().map(|k| format!("`{k}`")).collect();
            findings.push(
                finding(
                    &REVISION_NOT_RAISED,
                    format!(
                        "{} changed but revision stayed at {now}: a material change needs revision raised",
                        names.join(", ")
                    ),
                )
                .hint(raise_hint(now)),
            );
        } else if !diff::same_words(before.text("body"), after.text("body")) {
            findings.push(
                finding(
                    &BODY_CHANGED,
                    format!("the words of `body` changed but revision stayed at {now}: if the meaning changed, raise revision"),
                )
                .hint(match now.checked_add(1) {
                    Some(_) => format!("{} if the meaning changed; leave it for wording", raise_hint(now)),
                    None => raise_hint(now),
                }),
            );
        }
    } else if only_cosmetic(&before, &after) {
        findings.push(
            finding(
                &REVISION_RAISED_NO_CHANGE,
                format!("revision rose from {was} to {now} but nothing changed except whitespace, punctuation or case"),
            )
            .hint(format!("keep `revision: {was}`: a raise asks everyone to acknowledge again")),
        );
    }
}

/// Fields that say when the policy is reviewed, not what it asks: changing them alone is
/// no reason to raise `revision`.
const REVIEW_KEYS: [&str; 2] = ["review_every", "reviewed"];

/// Whether two texts differ (apart from `revision` and the review fields) only in
/// whitespace, punctuation or letter case of their prose fields.
fn only_cosmetic(before: &Fields, after: &Fields) -> bool {
    let (a, b) = (before.index(), after.index());
    let keys = |m: &foldhash::HashMap<&str, &Json>| {
        let mut k: Vec<String> = m
            .keys()
            .filter(|k| **k != "revision" && !REVIEW_KEYS.contains(k))
            .map(|k| k.to_string())
            .collect();
        k.sort_unstable();
        k
    };
    if keys(&a) != keys(&b) {
        return false;
    }
    a.iter()
        .filter(|(k, _)| **k != "revision" && !REVIEW_KEYS.contains(k))
        .all(|(k, old)| cosmetic(k, Some(old), Some(b[k])))
}

/// Whether a field's change is none, or only whitespace, punctuation or case of prose.
fn cosmetic(key: &str, old: Option<&Json>, new: Option<&Json>) -> bool {
    old == new
        || PROSE_KEYS.contains(&key)
            && matches!((old, new), (Some(Json::String(x)), Some(Json::String(y))) if diff::same_words(x, y))
}
