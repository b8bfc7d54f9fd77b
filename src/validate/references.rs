//! References between policies and to the roster must resolve: owner, applies_to,
//! related, replaces and guardrails.

use crate::diag::{Finding, Rule, Severity::Error, did_you_mean};
use crate::model::{EVERYONE, Handbook, Kind, Located, Policy};
use std::collections::{HashMap, HashSet};

pub static DANGLING_REFERENCE: Rule = Rule {
    name: "dangling-reference",
    severity: Error,
    summary: "a reference to a person, team, role or policy that does not exist",
    help: "correct the id, or add what it names",
};
pub static GUARDRAIL_NOT_METRIC: Rule = Rule {
    name: "guardrail-not-metric",
    severity: Error,
    summary: "a guardrail that is not another metric",
    help: "list ids of other metric policies that counter the gaming",
};

pub fn check(handbook: &Handbook, findings: &mut Vec<Finding>) {
    let by_id: HashMap<&str, &Policy> = handbook
        .policies
        .iter()
        .map(|p| (p.id.value.as_str(), p))
        .collect();
    let policy_ids = || by_id.keys().copied();
    // A file that exists but could not be read has its own findings; a reference to it
    // is not dangling.
    let unread: HashSet<&str> = handbook.unread.iter().map(String::as_str).collect();
    // Lookups by id, built once: a handbook may have thousands of people and policies.
    let roster_ids = handbook.roster.as_ref().map(|r| {
        let people: HashSet<&str> = r.people.iter().map(|p| p.id.value.as_str()).collect();
        let teams: HashSet<&str> = r.teams.iter().map(|t| t.id.value.as_str()).collect();
        let roles: HashSet<&str> = r.roles.iter().map(|t| t.id.value.as_str()).collect();
        (people, teams, roles)
    });
    for policy in &handbook.policies {
        let dangling = |r: &Located<String>, key: &str, what: &str, candidates: Vec<&str>| {
            let hint = match did_you_mean(&r.value, candidates.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("`{key}` takes {what}"),
            };
            Finding::new(
                &DANGLING_REFERENCE,
                &policy.file,
                r.pos,
                format!("`{key}` names `{}`, which is not {what}", r.value),
            )
            .hint(hint)
        };
        if let (Some(roster), Some((people, teams, roles))) = (&handbook.roster, &roster_ids) {
            if let Some(owner) = &policy.owner
                && !people.contains(owner.value.as_str())
                && !teams.contains(owner.value.as_str())
            {
                let ids = roster
                    .people
                    .iter()
                    .map(|p| p.id.value.as_str())
                    .chain(roster.teams.iter().map(|t| t.id.value.as_str()));
                findings.push(dangling(
                    owner,
                    "owner",
                    "a person or team in the roster",
                    ids.collect(),
                ));
            }
            for group in &policy.applies_to {
                let g = group.value.as_str();
                if g != EVERYONE && !teams.contains(g) && !roles.contains(g) {
                    let ids = roster
                        .teams
                        .iter()
                        .map(|t| t.id.value.as_str())
                        .chain(roster.roles.iter().map(|r| r.id.value.as_str()))
                        .chain([EVERYONE]);
                    findings.push(dangling(
                        group,
                        "applies_to",
                        "a team, a role or `everyone`",
                        ids.collect(),
                    ));
                }
            }
        }
        for r in &policy.related {
            if !by_id.contains_key(r.value.as_str()) && !unread.contains(r.value.as_str()) {
                findings.push(dangling(
                    r,
                    "related",
                    "a policy in this handbook",
                    policy_ids().collect(),
                ));
            }
        }
        for r in &policy.replaces {
            if r.value == policy.id.value || by_id.contains_key(r.value.as_str()) {
                findings.push(
                    Finding::new(&DANGLING_REFERENCE, &policy.file, r.pos, format!("`replaces` names `{}`, which is still a current policy", r.value))
                        .hint("`replaces` names retired policies (whose files were removed); use `related` for current ones"),
                );
            }
        }
        let Some(metric) = &policy.metric else {
            continue;
        };
        for g in &metric.guardrails {
            match by_id.get(g.value.as_str()) {
                None if unread.contains(g.value.as_str()) => {}
                None => findings.push(dangling(g, "guardrails", "a metric in this handbook", metric_ids(handbook))),
                Some(_) if g.value == policy.id.value => findings.push(
                    Finding::new(&GUARDRAIL_NOT_METRIC, &policy.file, g.pos, "a metric cannot be its own guardrail")
                        .hint("name another metric that would get worse if this one were gamed (for a count, a quality score)"),
                ),
                Some(other) if other.kind != Kind::Metric => findings.push(
                    Finding::new(
                        &GUARDRAIL_NOT_METRIC,
                        &policy.file,
                        g.pos,
                        format!("guardrail `{}` is a {}, not a metric", g.value, other.kind.as_str()),
                    )
                    .hint("guardrails are metrics that counter the gaming (for a count, a quality score)"),
                ),
                Some(_) => {}
            }
        }
    }
}

fn metric_ids(handbook: &Handbook) -> Vec<&str> {
    handbook
        .policies
        .iter()
        .filter(|p| p.kind == Kind::Metric)
        .map(|p| p.id.value.as_str())
        .collect()
}

/// With history at hand (`validate --base`): `replaces` must name a policy that existed at
/// some point; `ever` holds every id the handbook's history has seen.
pub fn check_replaces_history(
    handbook: &Handbook,
    ever: &HashSet<&str>,
    findings: &mut Vec<Finding>,
) {
    for policy in &handbook.policies {
        for r in &policy.replaces {
            if !ever.contains(r.value.as_str()) {
                findings.push(
                    Finding::new(
                        &DANGLING_REFERENCE,
                        &policy.file,
                        r.pos,
                        format!(
                            "`replaces` names `{}`, which was never a policy in this handbook's history",
                            r.value
                        ),
                    )
                    .hint("name the id of the retired policy this one continues (`normsctl log` lists them)"),
                );
            }
        }
    }
}
