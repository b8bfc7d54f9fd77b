//! JSON Schemas for policy files, the roster and `normsctl.yaml`, so editors
//! (yaml-language-server) complete and check fields as authors type.
//!
//! The key lists come from the loaders' own tables, so the schema and the validator cannot
//! drift apart; the schema is a convenience for editors, and `validate` stays the judge.

use crate::load::policy::{
    ACK_MODES, KINDS, LEVELS, POLICY_FIELDS, STATISTICS, VISIBILITIES, WINDOWS,
};
use crate::load::{roster, settings};
use crate::model::{Kind, MAX_DUE_DAYS};
use serde_json::{Value, json};

const DRAFT: &str = "http://json-schema.org/draft-07/schema#";

/// The documents a schema exists for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaKind {
    Policy,
    Roster,
    Settings,
}

impl SchemaKind {
    pub const ALL: [SchemaKind; 3] = [SchemaKind::Policy, SchemaKind::Roster, SchemaKind::Settings];

    /// The document's name, as `--kind` takes it.
    pub fn name(self) -> &'static str {
        match self {
            SchemaKind::Policy => "policy",
            SchemaKind::Roster => "roster",
            SchemaKind::Settings => "settings",
        }
    }

    /// The file name `schema --out` and `init` write.
    pub fn file_name(self) -> &'static str {
        match self {
            SchemaKind::Policy => "policy.schema.json",
            SchemaKind::Roster => "roster.schema.json",
            SchemaKind::Settings => "settings.schema.json",
        }
    }

    pub fn schema(self) -> Value {
        match self {
            SchemaKind::Policy => policy(),
            SchemaKind::Roster => roster(),
            SchemaKind::Settings => settings(),
        }
    }
}

fn id() -> Value {
    json!({ "type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$", "maxLength": 64 })
}

fn ids(doc: &str) -> Value {
    json!({ "description": doc, "anyOf": [id(), { "type": "array", "items": id() }] })
}

fn one_of(values: &[&str], doc: &str) -> Value {
    json!({ "description": doc, "type": "string", "enum": values })
}

fn policy_property(name: &str, doc: &str) -> Value {
    let text = json!({ "type": "string", "minLength": 1, "description": doc });
    match name {
        "id" | "owner" => {
            let mut v = id();
            v["description"] = doc.into();
            v
        }
        "kind" => one_of(KINDS, doc),
        "revision" => {
            json!({ "type": "integer", "minimum": 1, "description": doc })
        }
        "ack_due_days" => {
            json!({ "type": "integer", "minimum": 1, "maximum": MAX_DUE_DAYS, "description": doc })
        }
        "effective" => {
            json!({ "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": doc })
        }
        "ack" => one_of(ACK_MODES, doc),
        "applies_to" | "related" | "replaces" | "guardrails" => ids(doc),
        "tags" => json!({ "type": "array", "items": { "type": "string" }, "description": doc }),
        "level" => one_of(LEVELS, doc),
        "statistic" => one_of(STATISTICS, doc),
        "window" => one_of(WINDOWS, doc),
        "visibility" => one_of(VISIBILITIES, doc),
        "controllable" => json!({ "type": "boolean", "description": doc }),
        "target" => json!({
            "description": doc,
            "oneOf": [
                {
                    "type": "object",
                    "properties": {
                        "op": { "type": "string", "enum": ["<", "<=", ">=", ">", "=="] },
                        "value": { "type": "number" }
                    },
                    "required": ["op", "value"],
                    "additionalProperties": false
                },
                {
                    "type": "object",
                    "properties": { "min": { "type": "number" }, "max": { "type": "number" } },
                    "required": ["min", "max"],
                    "additionalProperties": false
                }
            ]
        }),
        _ => text,
    }
}

fn policy() -> Value {
    let properties: serde_json::Map<String, Value> = POLICY_FIELDS
        .iter()
        .map(|f| {
            let mut v = policy_property(f.name, f.doc);
            v["title"] = crate::model::labels::field_label(f.name).into();
            (f.name.to_owned(), v)
        })
        .collect();
    let required_for = |kind: Kind| -> Vec<&str> {
        POLICY_FIELDS
            .iter()
            .filter(|f| f.required_for.contains(&kind))
            .map(|f| f.name)
            .collect()
    };
    let metric_only: Vec<&str> = POLICY_FIELDS
        .iter()
        .filter(|f| f.kinds == [Kind::Metric])
        .map(|f| f.name)
        .collect();
    let kind_rules: Vec<Value> = Kind::ALL
        .iter()
        .map(|&kind| {
            let mut then = json!({ "required": required_for(kind) });
            if kind != Kind::Metric {
                then["not"] = json!({ "anyOf": metric_only.iter().map(|k| json!({ "required": [k] })).collect::<Vec<_>>() });
            }
            json!({ "if": { "properties": { "kind": { "const": kind.as_str() } }, "required": ["kind"] }, "then": then })
        })
        .collect();
    let mut all_of = kind_rules;
    all_of.push(json!({
        "if": { "properties": { "level": { "const": "individual" } }, "required": ["level"] },
        "then": { "required": ["controllable"] }
    }));
    all_of.push(
        json!({ "if": { "required": ["gaming_risk"] }, "then": { "required": ["guardrails"] } }),
    );
    json!({
        "$schema": DRAFT,
        "$id": "https://normsctl.invalid/schema/policy.schema.json",
        "title": "normsctl policy document",
        "description": "One expectation, norm or metric of a support handbook.",
        "type": "object",
        "properties": properties,
        "required": ["id", "kind", "title", "summary", "owner", "revision"],
        "additionalProperties": false,
        "allOf": all_of,
    })
}

fn object(keys: &[&str], props: Value, required: &[&str]) -> Value {
    debug_assert_eq!(props.as_object().map(|m| m.len()), Some(keys.len()));
    json!({ "type": "object", "properties": props, "required": required, "additionalProperties": false })
}

fn roster() -> Value {
    let text = json!({ "type": "string", "minLength": 1 });
    let team = object(
        roster::TEAM_KEYS,
        json!({ "id": id(), "name": text, "lead": id() }),
        &["id"],
    );
    let role = object(
        roster::ROLE_KEYS,
        json!({ "id": id(), "name": text }),
        &["id"],
    );
    let email = json!({ "type": "string", "pattern": "^[^@\\s]+@[^@\\s]+$" });
    let person = object(
        roster::PERSON_KEYS,
        json!({
            "id": id(),
            "name": text,
            "email": { "anyOf": [email, { "type": "array", "items": email }], "description": "Matched against git identities." },
            "teams": ids("Team ids."),
            "roles": ids("Role ids."),
            "signing_key": { "type": "string", "description": "An SSH public key: from then on this person's acknowledgements must be signed with it." }
        }),
        &["id", "name"],
    );
    let mut doc = object(
        roster::ROSTER_KEYS,
        json!({
            "teams": { "type": "array", "items": team },
            "roles": { "type": "array", "items": role },
            "people": { "type": "array", "items": person }
        }),
        &[],
    );
    doc["$schema"] = DRAFT.into();
    doc["$id"] = "https://normsctl.invalid/schema/roster.schema.json".into();
    doc["title"] = "normsctl roster (people.yaml)".into();
    doc
}

fn settings() -> Value {
    let text = json!({ "type": "string", "minLength": 1 });
    let mut doc = object(
        settings::SETTINGS_KEYS,
        json!({
            "title": { "type": "string", "description": "Site title." },
            "organization": text,
            "base_url": { "type": "string", "pattern": "^https?://", "description": "Optional; absolute links in the feed." },
            "timezone": { "type": "string", "description": "The team's IANA time zone for dates (default UTC)." },
            "policies": { "type": "string", "description": "Folder of policy documents (default `policies`)." },
            "roster": { "type": "string", "description": "Roster file (default `people.yaml`)." },
            "templates": { "type": "string", "description": "Template override folder (default `templates`)." },
            "fairness": object(settings::FAIRNESS_KEYS, json!({
                "outside_individual_control": { "type": "array", "items": { "type": "string" },
                    "description": "Terms that mark a measure no individual controls." }
            }), &[]),
            "acks": object(settings::ACKS_KEYS, json!({
                "ref": { "type": "string", "description": "Branch holding the acknowledgement ledger (default refs/heads/normsctl/acks)." },
                "remote": { "type": "string", "description": "Remote `acks sync` exchanges the ledger with (default origin)." },
                "due_days": { "type": "integer", "minimum": 1, "maximum": MAX_DUE_DAYS, "description": "Days until a missing acknowledgement is overdue (default 14, at most 3650)." }
            }), &[])
        }),
        &[],
    );
    doc["$schema"] = DRAFT.into();
    doc["$id"] = "https://normsctl.invalid/schema/settings.schema.json".into();
    doc["title"] = "normsctl settings (normsctl.yaml)".into();
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_list_exactly_the_keys_the_loaders_accept() {
        let keys = |v: &Value| -> Vec<String> {
            let mut k: Vec<String> = v["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            k.sort();
            k
        };
        let sorted = |s: &[&str]| {
            let mut v: Vec<String> = s.iter().map(|s| s.to_string()).collect();
            v.sort();
            v
        };
        let policy_keys: Vec<&str> = POLICY_FIELDS.iter().map(|f| f.name).collect();
        assert_eq!(keys(&policy()), sorted(&policy_keys));
        assert_eq!(keys(&roster()), sorted(roster::ROSTER_KEYS));
        assert_eq!(
            keys(&roster()["properties"]["people"]["items"]),
            sorted(roster::PERSON_KEYS)
        );
        assert_eq!(keys(&settings()), sorted(settings::SETTINGS_KEYS));
        assert_eq!(
            keys(&settings()["properties"]["acks"]),
            sorted(settings::ACKS_KEYS)
        );
    }
}
