//! JSON Schemas for policy files, the roster and `normsctl.yaml`, so editors
//! (yaml-language-server) complete and check fields as authors type.
//!
//! The key lists come from the loaders' own tables, so the schema and the validator cannot
//! drift apart, and each value's schema says what the loader accepts: any scalar where it
//! reads text, one value where it takes a list, real calendar dates, the bundled time zone
//! names. `tests/cli/forge_schema_agreement.rs` holds them to that on every `validate`
//! fixture, with ajv (as editors run it) and the `jsonschema` crate, and lists what a
//! draft-07 schema cannot say. `validate` stays the judge (references, uniqueness, fairness).

use crate::load::policy::{
    ACK_MODES, KINDS, LEVELS, POLICY_FIELDS, STATISTICS, VISIBILITIES, WINDOWS,
};
use crate::load::{roster, settings, settings_portal, settings_remind};
use crate::model::{ExemptReason, Kind, MAX_DUE_DAYS};
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

/// What the loaders read as text: any scalar, since YAML's `title: 2024` or `id: 7` is read
/// as the text the author wrote (not null, a list or a mapping).
const SCALAR: [&str; 3] = ["string", "number", "boolean"];

/// Text that must not be blank.
fn text(doc: &str) -> Value {
    json!({ "type": SCALAR, "pattern": "\\S", "description": doc })
}

/// An id: lower-case letters, digits and hyphens (a number or `true` reads as its digits or
/// letters, so they pass as well).
fn id() -> Value {
    json!({ "anyOf": [
        { "type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$", "maxLength": 64 },
        { "type": "integer", "minimum": 0 },
        { "type": "boolean" }
    ] })
}

/// A list, or one value standing for a list of one (`tags: onboarding`).
fn list_of(item: Value, doc: &str) -> Value {
    json!({ "description": doc, "anyOf": [item.clone(), { "type": "array", "items": item }] })
}

fn ids(doc: &str) -> Value {
    list_of(id(), doc)
}

fn one_of(values: &[&str], doc: &str) -> Value {
    json!({ "description": doc, "type": "string", "enum": values })
}

/// A period as [`crate::model::Period::parse`] reads it (`12 months`, `1 year`, `none`).
fn period(doc: &str) -> Value {
    json!({ "type": "string", "pattern": crate::model::PERIOD_PATTERN, "description": doc })
}

fn whole_number(min: u32, max: u32, doc: &str) -> Value {
    json!({ "type": "integer", "minimum": min, "maximum": max, "description": doc })
}

/// A key this kind of policy does not have: fails with a message naming the kind
/// (`errorMessage` is what yaml-language-server shows; other validators ignore it).
fn not_for_kind(key: &str, kind: Kind) -> Value {
    json!({
        "not": {},
        "errorMessage": format!("`{key}` is only for metrics; this policy is a {}", kind.as_str()),
    })
}

fn policy_property(name: &str, doc: &str) -> Value {
    match name {
        "id" | "owner" => {
            let mut v = id();
            v["description"] = doc.into();
            v
        }
        "kind" => one_of(KINDS, doc),
        "revision" => whole_number(1, u32::MAX, doc),
        "ack_due_days" => whole_number(1, MAX_DUE_DAYS, doc),
        "ack_every" => period(doc),
        "review_every" => period(doc),
        "effective" | "reviewed" => json!({
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            "format": "date",
            "description": doc
        }),
        "ack" => one_of(ACK_MODES, doc),
        "applies_to" | "related" | "replaces" | "guardrails" => ids(doc),
        "tags" => list_of(json!({ "type": SCALAR }), doc),
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
        _ => text(doc),
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
                // Per key, so that an editor marks the key itself and names the kind.
                then["properties"] = metric_only
                    .iter()
                    .map(|k| (k.to_string(), not_for_kind(k, kind)))
                    .collect::<serde_json::Map<_, _>>()
                    .into();
            }
            json!({ "if": { "properties": { "kind": { "const": kind.as_str() } }, "required": ["kind"] }, "then": then })
        })
        .collect();
    let mut all_of = kind_rules;
    all_of.push(json!({
        "if": { "properties": { "level": { "const": "individual" } }, "required": ["level"] },
        "then": { "required": ["controllable"] }
    }));
    // `gaming_risk` without `guardrails` is a fairness warning, which `validate` reports and
    // a schema cannot (it has no warnings): the schema accepts it.
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

fn date(doc: &str) -> Value {
    json!({
        "type": "string",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        "format": "date",
        "description": doc
    })
}

fn object(keys: &[&str], props: Value, required: &[&str]) -> Value {
    debug_assert_eq!(props.as_object().map(|m| m.len()), Some(keys.len()));
    json!({ "type": "object", "properties": props, "required": required, "additionalProperties": false })
}

/// A list of entries, or nothing (`teams:` with no value).
fn entries(item: Value) -> Value {
    json!({ "type": ["array", "null"], "items": item })
}

fn roster() -> Value {
    let team = object(
        roster::TEAM_KEYS,
        json!({
            "id": id(),
            "name": text("Shown in place of the id (default: the id)."),
            "lead": { "type": SCALAR, "description": "The person who leads the team." },
            "timezone": {
                "type": "string",
                "enum": time_zones(),
                "description": "The team's IANA time zone: dates shown to or about its people use it (default: the handbook's)."
            }
        }),
        &["id"],
    );
    let role = object(
        roster::ROLE_KEYS,
        json!({ "id": id(), "name": text("Shown in place of the id (default: the id).") }),
        &["id"],
    );
    // As `validate` reads an address: something, `@`, something, no spaces inside.
    let email = json!({ "type": "string", "pattern": "^[^@\\s]+@\\S+$" });
    let person = object(
        roster::PERSON_KEYS,
        json!({
            "id": id(),
            "name": text("Shown in place of the id (default: the id)."),
            "email": list_of(email, "Matched against git identities: one address or a list."),
            "teams": ids("Team ids."),
            "roles": ids("Role ids."),
            "signing_key": {
                "description": "The SSH public key this person's acknowledgements must be signed with: one line of a .pub file, or, for a change of an existing person's key, { key, after } naming the ledger commit the change takes effect after (without key: the key's removal). `normsctl acks key PERSON` prints it.",
                "oneOf": [
                    {
                        "type": "string",
                        "pattern": "^\\s*(ssh-|ecdsa-sha2-|sk-)\\S*\\s+\\S"
                    },
                    {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["after"],
                        "properties": {
                            "key": {
                                "type": "string",
                                "pattern": "^\\s*(ssh-|ecdsa-sha2-|sk-)\\S*\\s+\\S",
                                "description": "The new key; absent when the key is removed."
                            },
                            "after": {
                                "type": "string",
                                "pattern": "^[0-9a-f]{40}$",
                                "description": "The ledger commit the change takes effect after: entries the ledger held then keep the key state before it."
                            }
                        }
                    }
                ]
            },
            "joined": date("An HR start date (00:00 in the handbook's zone): acknowledgements are due from it where the person's first appearance on the roster came later."),
            "exempt": {
                "type": ["array", "null"],
                "description": "Policies this person need not acknowledge. Write a code as the reason, never health or family details: the roster's history is in every clone.",
                "items": object(roster::EXEMPT_KEYS, json!({
                    "policies": {
                        "description": "Policy ids, or `all`.",
                        "oneOf": [
                            { "const": "all" },
                            { "type": "array", "items": id() }
                        ]
                    },
                    "until": date("The last day of the exemption (none: for good). Acknowledgements are due from the day after."),
                    "reason": one_of(&ExemptReason::NAMES, "`leave`, `out-of-scope` or `other`."),
                    "ref": text("A reference kept outside git (a ticket id).")
                }), &["policies", "reason"])
            }
        }),
        &["id"],
    );
    let mut doc = object(
        roster::ROSTER_KEYS,
        json!({
            "teams": entries(team),
            "roles": entries(role),
            "people": entries(person)
        }),
        &[],
    );
    doc["$schema"] = DRAFT.into();
    doc["$id"] = "https://normsctl.invalid/schema/roster.schema.json".into();
    doc["title"] = "normsctl roster (people.yaml)".into();
    doc
}

/// A path inside the handbook: relative, without `..`, never into `.git` (any case).
fn inside_path(doc: &str) -> Value {
    json!({
        "type": SCALAR,
        "pattern": "^(?!/)(?!(.*/)?\\.\\.(/|$))(?!(.*/)?\\.[gG][iI][tT](/|$)).*\\S",
        "description": doc
    })
}

/// The IANA time zone names normsctl knows (its bundled database), sorted.
fn time_zones() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|name| name.as_str().to_owned())
        .filter(|name| jiff::tz::TimeZone::get(name).is_ok())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The name of an environment variable (a secret is never written in the settings).
fn env_var(description: &str) -> Value {
    json!({ "type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "description": description })
}

fn settings() -> Value {
    let mut doc = object(
        settings::SETTINGS_KEYS,
        json!({
            "title": text("Site title."),
            "organization": text("The organisation's name."),
            "base_url": { "type": "string", "pattern": "^https?://", "description": "Optional; absolute links in the feed." },
            "timezone": {
                "type": "string",
                "enum": time_zones(),
                "description": "The team's IANA time zone for dates (default UTC)."
            },
            "policies": inside_path("Folder of policy documents (default `policies`)."),
            "roster": inside_path("Roster file (default `people.yaml`)."),
            "templates": inside_path("Template override folder (default `templates`)."),
            "fairness": object(settings::FAIRNESS_KEYS, json!({
                "outside_individual_control": list_of(json!({ "type": SCALAR }),
                    "Terms that mark a measure no individual controls: one term or a list.")
            }), &[]),
            "acks": object(settings::ACKS_KEYS, json!({
                "ref": text("Branch holding the acknowledgement ledger (default refs/heads/normsctl/acks)."),
                "remote": text("Remote `acks sync` exchanges the ledger with (default origin)."),
                "sync_timeout": whole_number(1, 3600, "Seconds a git process of `acks sync` may show no sign of life before it is stopped (default 60)."),
                "branch": text("The handbook's published branch: acknowledgements are judged against the first-parent line of <remote>/<branch> (default main)."),
                "exceptions": {
                    "type": "array",
                    "description": "Ledger commits accepted after review although `acks verify` finds them bad: verify passes on them and always names them.",
                    "items": {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["commit", "reason"],
                        "properties": {
                            "commit": { "type": "string", "pattern": "^[0-9a-fA-F]{40}$", "description": "The ledger commit, as `acks verify` names it." },
                            "reason": { "type": "string", "minLength": 1, "description": "Why it was accepted." }
                        }
                    }
                },
                "due_days": whole_number(1, MAX_DUE_DAYS, "Days until a missing acknowledgement is overdue (default 14, at most 3650)."),
                "start": date("The rollout day (00:00 in the handbook's zone): nothing is due before it."),
                "every": period("How long an acknowledgement lasts before it must be made again: `12 months`, `6 months` or `none` (default).")
            }), &[]),
            "reviews": object(settings::REVIEWS_KEYS, json!({
                "every": period("How often each policy is reviewed unless it sets `review_every`: `12 months`, `6 months`, `1 year` or `none` (the default).")
            }), &[]),
            "remind": object(settings_remind::REMIND_KEYS, json!({
                "smtp": object(settings_remind::SMTP_KEYS, json!({
                    "host": text("The SMTP relay's host name."),
                    "port": whole_number(1, 65_535, "The relay's port (default 587, the submission port)."),
                    "from": text("The sender: an address, or Name <address>."),
                    "starttls": { "type": "boolean", "description": "Require STARTTLS (default true); false sends in the clear, for a relay on the same host." },
                    "username_env": env_var("The environment variable holding the SMTP user name."),
                    "password_env": env_var("The environment variable holding the SMTP password."),
                    "ca_file": text("A PEM file of CA certificates to trust besides the usual roots (a company relay's own CA).")
                }), &["host", "from"]),
                "webhooks": {
                    "type": "object",
                    "description": "Team id to the name of the environment variable holding that team's incoming-webhook URL (Slack, Mattermost, Microsoft Teams). Never the URL itself.",
                    "additionalProperties": env_var("An environment variable's name.")
                },
                "max_messages": whole_number(1, 100_000, "At most this many messages per run (default 1000)."),
                "timeout": whole_number(1, 600, "Seconds one SMTP conversation or webhook post may take (default 30).")
            }), &[]),
            "portal": object(settings_portal::PORTAL_KEYS, json!({
                "listen": text("The address `normsctl portal` listens on (default 127.0.0.1:8080)."),
                "hosts": list_of(json!({ "type": SCALAR }), "The Host names the portal answers to (default: the loopback names of its port, and url's host)."),
                "url": { "type": "string", "pattern": "^https?://", "description": "Where people reach the portal: sign-in links point there; cookies are Secure when it is https." },
                "key": {
                    "description": "The portal's SSH public key, which vouches for the entries it writes: one line of a .pub file, or { key, after } anchored after a ledger commit like a person's signing_key.",
                    "oneOf": [
                        { "type": "string", "pattern": "^\\s*(ssh-|ecdsa-sha2-|sk-)\\S*\\s+\\S" },
                        {
                            "type": "object",
                            "additionalProperties": false,
                            "required": ["after"],
                            "properties": {
                                "key": { "type": "string", "pattern": "^\\s*(ssh-|ecdsa-sha2-|sk-)\\S*\\s+\\S" },
                                "after": { "type": "string", "pattern": "^[0-9a-f]{40}$" }
                            }
                        }
                    ]
                },
                "proxy": object(settings_portal::PROXY_KEYS, json!({
                    "addresses": list_of(json!({ "type": SCALAR }), "The reverse proxy's IP addresses: only they may name the person in the header."),
                    "header": { "type": "string", "pattern": "^[A-Za-z0-9_-]+$", "description": "The header carrying the signed-in person's e-mail address (X-Forwarded-Email)." }
                }), &[]),
                "link_minutes": { "type": "number", "minimum": 0.05, "maximum": 60, "description": "Minutes a sign-in link works (default 15; fractions allowed: 0.5 is 30 seconds, 0.05 the least)." },
                "session_minutes": whole_number(1, 10_080, "Minutes a session lasts (default 480)."),
                "email_links": { "type": "boolean", "description": "Offer sign-in links by e-mail through remind.smtp (default true)." }
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
        assert_eq!(
            keys(&settings()["properties"]["remind"]),
            sorted(settings_remind::REMIND_KEYS)
        );
        assert_eq!(
            keys(&settings()["properties"]["remind"]["properties"]["smtp"]),
            sorted(settings_remind::SMTP_KEYS)
        );
        assert_eq!(
            keys(&settings()["properties"]["portal"]),
            sorted(settings_portal::PORTAL_KEYS)
        );
    }
}
