//! Reading `people.yaml` into a [`Roster`].

use super::decode::Decoder;
use crate::model::*;
use crate::yaml::{Node, Value};

pub const ROSTER_KEYS: &[&str] = &["teams", "roles", "people"];
pub const TEAM_KEYS: &[&str] = &["id", "name", "lead", "timezone"];
pub const ROLE_KEYS: &[&str] = &["id", "name"];
pub const SIGNING_KEY_KEYS: &[&str] = &["key", "after"];
pub const PERSON_KEYS: &[&str] = &[
    "id",
    "name",
    "email",
    "teams",
    "roles",
    "signing_key",
    "joined",
    "exempt",
];
pub const EXEMPT_KEYS: &[&str] = &["policies", "until", "reason", "ref"];

/// Decodes a roster; findings go to the decoder.
pub fn decode(d: &mut Decoder<'_>, node: &Node) -> Option<Roster> {
    let fields = d.fields(node, "the roster")?;
    d.unknown_keys(&fields, ROSTER_KEYS, "the roster");
    let mut roster = Roster {
        file: d.file.to_owned(),
        ..Roster::default()
    };
    if let Some(e) = fields.get("teams") {
        roster.teams = items(d, "teams", e.value)
            .into_iter()
            .filter_map(|item| {
                let f = d.fields(item, "a team")?;
                d.unknown_keys(&f, TEAM_KEYS, "a team");
                let id = required_id(d, &f, "team")?;
                let name = name(d, &f, &id);
                let lead = f.get("lead").and_then(|e| d.text("lead", e.value));
                let timezone = f
                    .get("timezone")
                    .and_then(|e| d.non_empty_text("timezone", e.value));
                Some(Team {
                    id,
                    name,
                    lead,
                    timezone,
                })
            })
            .collect();
    }
    if let Some(e) = fields.get("roles") {
        roster.roles = items(d, "roles", e.value)
            .into_iter()
            .filter_map(|item| {
                let f = d.fields(item, "a role")?;
                d.unknown_keys(&f, ROLE_KEYS, "a role");
                let id = required_id(d, &f, "role")?;
                let name = name(d, &f, &id);
                Some(Role { id, name })
            })
            .collect();
    }
    if let Some(e) = fields.get("people") {
        roster.people = items(d, "people", e.value)
            .into_iter()
            .filter_map(|item| {
                let f = d.fields(item, "a person")?;
                d.unknown_keys(&f, PERSON_KEYS, "a person");
                let id = required_id(d, &f, "person")?;
                let name = name(d, &f, &id);
                let emails = f
                    .get("email")
                    .map(|e| d.text_list("email", e.value))
                    .unwrap_or_default();
                let teams = f
                    .get("teams")
                    .map(|e| d.id_list("teams", e.value))
                    .unwrap_or_default();
                let roles = f
                    .get("roles")
                    .map(|e| d.id_list("roles", e.value))
                    .unwrap_or_default();
                let (signing_key, key_after) = f
                    .get("signing_key")
                    .map(|e| signing_key(d, e.value))
                    .unwrap_or_default();
                let joined = f.get("joined").and_then(|e| d.date("joined", e.value));
                let exempt = f
                    .get("exempt")
                    .map(|e| {
                        items(d, "exempt", e.value)
                            .into_iter()
                            .filter_map(|item| exemption(d, item))
                            .collect()
                    })
                    .unwrap_or_default();
                Some(Person {
                    id,
                    name,
                    emails,
                    teams,
                    roles,
                    signing_key,
                    key_after,
                    joined,
                    exempt,
                })
            })
            .collect();
    }
    Some(roster)
}

/// `signing_key`: one line of a `.pub` file, or `{ key, after }` (a key change anchored
/// after a ledger commit; without `key`, the key's removal).
pub(crate) fn signing_key(
    d: &mut Decoder<'_>,
    node: &Node,
) -> (Option<Located<String>>, Option<Located<String>>) {
    if !matches!(node.value, Value::Map(_)) {
        return (d.non_empty_text("signing_key", node), None);
    }
    let Some(f) = d.fields(node, "`signing_key`") else {
        return (None, None);
    };
    d.unknown_keys(&f, SIGNING_KEY_KEYS, "`signing_key`");
    let key = f.get("key").and_then(|e| d.non_empty_text("key", e.value));
    let after = match f.get("after") {
        Some(e) => d.non_empty_text("after", e.value),
        None => {
            d.missing(
                &f,
                "after",
                "`signing_key` as a mapping",
                "name the ledger commit the change takes effect after (`normsctl acks key` prints it)",
            );
            None
        }
    };
    (key, after)
}

/// One `exempt:` item: `{ policies: [ids] | all, until, reason, ref }`.
fn exemption(d: &mut Decoder<'_>, item: &Node) -> Option<Exemption> {
    let f = d.fields(item, "an exemption")?;
    d.unknown_keys(&f, EXEMPT_KEYS, "an exemption");
    let policies = match f.get("policies") {
        None => {
            d.missing(
                &f,
                "policies",
                "an exemption",
                "add `policies: [policy-id, ...]` or `policies: all`",
            );
            return None;
        }
        Some(e) => match &e.value.value {
            Value::Seq(_) => Some(d.id_list("policies", e.value)),
            _ => {
                let word = d.text("policies", e.value)?;
                if word.value != "all" {
                    d.report(
                        &super::decode::INVALID_VALUE,
                        word.pos,
                        format!("`policies: {}` is neither a list nor `all`", word.value),
                    )
                    .hint = Some("write `policies: [policy-id, ...]` or `policies: all`".into());
                    return None;
                }
                None
            }
        },
    };
    let until = f.get("until").and_then(|e| d.date("until", e.value));
    let reason = match f.get("reason") {
        Some(e) => d
            .choice("reason", e.value, &ExemptReason::NAMES)
            .and_then(|r| ExemptReason::parse(r.value))?,
        None => {
            d.missing(
                &f,
                "reason",
                "an exemption",
                "add `reason: leave`, `out-of-scope` or `other` (a code: never write health or family details here)",
            );
            return None;
        }
    };
    let reference = f
        .get("ref")
        .and_then(|e| d.non_empty_text("ref", e.value))
        .map(|r| r.value);
    Some(Exemption {
        policies,
        until,
        reason,
        reference,
        pos: item.pos,
    })
}

fn items<'n>(d: &mut Decoder<'_>, key: &str, node: &'n Node) -> Vec<&'n Node> {
    match &node.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        _ => {
            d.report(
                &super::decode::WRONG_TYPE,
                node.pos,
                format!("`{key}` must be a list, not {}", node.type_name()),
            );
            Vec::new()
        }
    }
}

fn required_id(
    d: &mut Decoder<'_>,
    f: &super::decode::Fields<'_>,
    what: &str,
) -> Option<Located<String>> {
    match f.get("id") {
        Some(e) => d.text("id", e.value).filter(|id| d.id_shape("id", id)),
        None => {
            d.missing(
                f,
                "id",
                &format!("a {what}"),
                "add `id:` (lower-case letters, digits and hyphens)",
            );
            None
        }
    }
}

fn name(d: &mut Decoder<'_>, f: &super::decode::Fields<'_>, id: &Located<String>) -> String {
    f.get("name")
        .and_then(|e| d.non_empty_text("name", e.value))
        .map_or_else(|| id.value.clone(), |n| n.value)
}
