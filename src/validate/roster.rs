//! The roster must be consistent: unique ids, memberships and leads that resolve,
//! plausible e-mail addresses and signing keys.

use super::decode::INVALID_VALUE;
use super::ids::DUPLICATE_ID;
use super::references::DANGLING_REFERENCE;
use crate::diag::{Finding, Rule, Severity::Error, did_you_mean};
use crate::model::{EVERYONE, Located, Roster};
use std::collections::HashMap;

pub static DUPLICATE_EMAIL: Rule = Rule {
    name: "duplicate-email",
    severity: Error,
    summary: "two people share an e-mail address",
    help: "an address identifies one person in git: keep it on one entry",
};

pub fn check(roster: &Roster, findings: &mut Vec<Finding>) {
    let file = roster.file.as_str();
    let mut push = |f: Finding| findings.push(f);

    // One namespace for teams, roles and people, so `owner` and `applies_to` are never ambiguous.
    let mut seen: HashMap<&str, &str> = HashMap::new();
    let entries = roster
        .teams
        .iter()
        .map(|t| (&t.id, "team"))
        .chain(roster.roles.iter().map(|r| (&r.id, "role")))
        .chain(roster.people.iter().map(|p| (&p.id, "person")));
    for (id, what) in entries {
        if id.value == EVERYONE {
            push(
                Finding::new(
                    &DUPLICATE_ID,
                    file,
                    id.pos,
                    format!("`{EVERYONE}` is built in and cannot be a {what}'s id"),
                )
                .hint("choose another id"),
            );
        } else if let Some(first) = seen.get(id.value.as_str()) {
            push(
                Finding::new(
                    &DUPLICATE_ID,
                    file,
                    id.pos,
                    format!("the {what} id `{}` is already used by a {first}", id.value),
                )
                .hint("teams, roles and people share one set of ids: give each its own"),
            );
        } else {
            seen.insert(&id.value, what);
        }
    }

    for team in &roster.teams {
        if let Some(tz) = &team.timezone
            && jiff::tz::TimeZone::get(&tz.value).is_err()
        {
            push(
                Finding::new(
                    &INVALID_VALUE,
                    file,
                    tz.pos,
                    format!("`{}` is not an IANA time zone name", tz.value),
                )
                .hint("write a name such as Europe/Madrid or Asia/Manila"),
            );
        }
    }
    let team_ids: Vec<&str> = roster.teams.iter().map(|t| t.id.value.as_str()).collect();
    let role_ids: Vec<&str> = roster.roles.iter().map(|r| r.id.value.as_str()).collect();
    let person_ids: Vec<&str> = roster.people.iter().map(|p| p.id.value.as_str()).collect();
    let mut dangling = |r: &Located<String>, message: String, candidates: &[&str]| {
        let hint = did_you_mean(&r.value, candidates.iter().copied()).map_or_else(
            || "correct the id, or add the entry it names".to_owned(),
            |c| format!("did you mean `{c}`?"),
        );
        push(Finding::new(&DANGLING_REFERENCE, file, r.pos, message).hint(hint));
    };
    for team in &roster.teams {
        if let Some(lead) = &team.lead
            && roster.person(&lead.value).is_none()
        {
            dangling(
                lead,
                format!(
                    "team `{}` has lead `{}`, who is not a person in the roster",
                    team.id.value, lead.value
                ),
                &person_ids,
            );
        }
    }
    for person in &roster.people {
        for team in &person.teams {
            if roster.team(&team.value).is_none() {
                dangling(
                    team,
                    format!(
                        "`{}` is in team `{}`, which is not a team in the roster",
                        person.id.value, team.value
                    ),
                    &team_ids,
                );
            }
        }
        for role in &person.roles {
            if roster.role(&role.value).is_none() {
                dangling(
                    role,
                    format!(
                        "`{}` has role `{}`, which is not a role in the roster",
                        person.id.value, role.value
                    ),
                    &role_ids,
                );
            }
        }
    }

    let mut emails: HashMap<String, &str> = HashMap::new();
    for person in &roster.people {
        for email in &person.emails {
            // The address as written: a trailing newline or any control character would
            // never equal what git records, so it is not trimmed away here.
            let address = email.value.as_str();
            let well_formed = address.split_once('@').is_some_and(|(user, host)| {
                !user.is_empty()
                    && !host.is_empty()
                    && !address.contains(|c: char| c.is_whitespace() || c.is_control())
            });
            if !well_formed {
                findings.push(
                    Finding::new(
                        &INVALID_VALUE,
                        file,
                        email.pos,
                        format!("`{address}` is not an e-mail address"),
                    )
                    .hint("write the address git records for this person, like ana@example.com"),
                );
                continue;
            }
            match emails.get(&address.to_lowercase()) {
                Some(other) if *other != person.id.value => findings.push(
                    Finding::new(
                        &DUPLICATE_EMAIL,
                        file,
                        email.pos,
                        format!("`{address}` is also the address of `{other}`"),
                    )
                    .hint(
                        "acknowledgements are matched to people by address: keep it on one person",
                    ),
                ),
                _ => {
                    emails.insert(address.to_lowercase(), &person.id.value);
                }
            }
        }
        if let Some(key) = &person.signing_key {
            // The same reading `acks verify` gives the key: one that passes here verifies.
            if let Err(e) = crate::model::parse_signing_key(&key.value) {
                findings.push(
                    Finding::new(
                        &INVALID_VALUE,
                        file,
                        key.pos,
                        format!("`signing_key` is not an SSH public key ({e})"),
                    )
                    .hint(
                        "paste one line of a .pub file, like `ssh-ed25519 AAAAC3Nza... ana@laptop`",
                    ),
                );
            }
        }
    }
}

/// Every policy an exemption names must exist (a typo would leave the person overdue).
pub fn exemptions(handbook: &crate::model::Handbook, findings: &mut Vec<Finding>) {
    let Some(roster) = &handbook.roster else {
        return;
    };
    let ids: Vec<&str> = handbook
        .policies
        .iter()
        .map(|p| p.id.value.as_str())
        .chain(handbook.unread.iter().map(String::as_str))
        .collect();
    for person in &roster.people {
        for e in &person.exempt {
            for id in e.policies.iter().flatten() {
                if !ids.contains(&id.value.as_str()) {
                    let hint = did_you_mean(&id.value, ids.iter().copied()).map_or_else(
                        || "correct the id, or write `policies: all`".to_owned(),
                        |c| format!("did you mean `{c}`?"),
                    );
                    findings.push(
                        Finding::new(
                            &DANGLING_REFERENCE,
                            &roster.file,
                            id.pos,
                            format!(
                                "`{}` is exempt from `{}`, which is not a policy in the handbook",
                                person.id.value, id.value
                            ),
                        )
                        .hint(hint),
                    );
                }
            }
        }
    }
}

/// Every team `remind.webhooks` names must be a team on the roster: a typo would otherwise
/// send its channel nothing, silently.
pub fn webhooks(handbook: &crate::model::Handbook, findings: &mut Vec<Finding>) {
    let Some(roster) = &handbook.roster else {
        return;
    };
    for hook in &handbook.settings.remind.webhooks {
        let team = &hook.team.value;
        if roster.team(team).is_some() {
            continue;
        }
        let teams = roster.teams.iter().map(|t| t.id.value.as_str());
        let hint = did_you_mean(team, teams).map_or_else(
            || format!("name a team of {}, or remove the entry", roster.file),
            |c| format!("did you mean `{c}`?"),
        );
        let what = if roster.person(team).is_some() {
            "a person, not a team"
        } else {
            "not a team on the roster"
        };
        findings.push(
            Finding::new(
                &DANGLING_REFERENCE,
                &hook.file,
                hook.team.pos,
                format!("`remind.webhooks` names `{team}`, which is {what}: its summary would go nowhere"),
            )
            .hint(hint),
        );
    }
}
