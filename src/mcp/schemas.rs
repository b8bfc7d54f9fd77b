//! The tools' `outputSchema`s (MCP 2025-06-18 and later): the shape of each tool's
//! `structuredContent` when it succeeds (a tool error carries `{error, hint}` and
//! `isError: true`, which clients do not check against the schema). Constants, like the
//! input schemas: nothing a handbook says changes them. The tests check every answer the
//! suites provoke against these schemas, and the Python SDK checks them on every call.

use serde_json::{Value, json};

fn string() -> Value {
    json!({ "type": "string" })
}

fn string_or_null() -> Value {
    json!({ "type": ["string", "null"] })
}

fn integer() -> Value {
    json!({ "type": "integer", "minimum": 0 })
}

fn integer_or_null() -> Value {
    json!({ "type": ["integer", "null"], "minimum": 0 })
}

fn strings() -> Value {
    json!({ "type": "array", "items": string() })
}

fn array(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

/// An object whose listed properties are all required (other properties may follow).
fn object(props: &[(&str, Value)]) -> Value {
    let mut properties = serde_json::Map::new();
    for (k, v) in props {
        properties.insert((*k).to_owned(), v.clone());
    }
    let required: Vec<&str> = props.iter().map(|(k, _)| *k).collect();
    json!({ "type": "object", "properties": properties, "required": required })
}

fn or_null(schema: Value) -> Value {
    json!({ "anyOf": [schema, { "type": "null" }] })
}

/// The stage of a policy a text brought (`added`, `material`, ...).
fn change() -> Value {
    json!({
        "type": "string",
        "enum": ["added", "material", "editorial", "moved", "retired"],
    })
}

/// Which commit answered (every answer has it).
fn served() -> Value {
    object(&[
        ("commit", string()),
        ("line", string()),
        ("line_tip", string()),
        ("as_of", string()),
        (
            "skipped",
            array(object(&[("commit", string()), ("why", string())])),
        ),
    ])
}

/// One change of a policy as cited: the revision, the commit and blob it came in, when it
/// landed and took effect.
fn cited(extra: &[(&str, Value)]) -> Value {
    let mut props = vec![
        ("revision", integer_or_null()),
        ("change", change()),
        ("commit", string()),
        ("blob", string()),
        ("path", string()),
        ("landed", string_or_null()),
        ("in_force_from", string_or_null()),
        ("subject", string()),
    ];
    props.extend(extra.iter().cloned());
    object(&props)
}

/// A policy's field and word changes between two texts (`diff`).
fn diff_body() -> Vec<(&'static str, Value)> {
    let side = object(&[
        ("revision", integer_or_null()),
        ("commit", string()),
        ("blob", string()),
        ("landed", string_or_null()),
        ("in_force_from", string()),
    ]);
    vec![
        ("policy", string()),
        ("from", or_null(side.clone())),
        ("to", side),
        (
            "fields",
            array(object(&[
                ("field", string()),
                ("label", string()),
                ("before", string_or_null()),
                ("after", string_or_null()),
            ])),
        ),
        (
            "body",
            array(object(&[
                (
                    "op",
                    json!({ "type": "string", "enum": ["equal", "insert", "delete", "skip"] }),
                ),
                ("text", string()),
            ])),
        ),
        ("page", string()),
    ]
}

/// The `outputSchema` of tool `name` (every answer also names the commit it comes from,
/// `served`).
pub fn output(name: &str) -> Value {
    let mut props: Vec<(&str, Value)> = match name {
        "search_policies" => vec![
            ("total", integer()),
            (
                "matches",
                array(object(&[
                    ("id", string()),
                    ("title", string()),
                    ("summary", string()),
                    ("kind", string()),
                    ("revision", integer_or_null()),
                    ("in_force_since", string_or_null()),
                    ("upcoming", json!({ "type": "boolean" })),
                    ("page", string()),
                    ("resource", string()),
                    ("score", integer()),
                ])),
            ),
        ],
        "get_policy" => vec![
            ("id", string()),
            (
                "standing",
                json!({ "type": "string", "enum": ["in_force", "upcoming", "retired", "not_yet"] }),
            ),
            ("at", string()),
            ("as_committed_at", string_or_null()),
            ("title", string_or_null()),
            ("summary", string_or_null()),
            ("text", string_or_null()),
            (
                "citation",
                or_null(cited(&[("page", string()), ("line", string())])),
            ),
            ("upcoming", or_null(cited(&[]))),
            ("retired", or_null(cited(&[]))),
        ],
        "what_applies" => {
            let item = object(&[
                ("id", string()),
                ("title", string()),
                ("revision", integer()),
                ("applies_to", strings()),
                ("applies_to_words", string()),
                ("because", string()),
                ("target", string_or_null()),
                ("page", string()),
                ("citation", cited(&[])),
                ("upcoming", or_null(cited(&[]))),
            ]);
            vec![
                ("who", string()),
                ("groups", strings()),
                ("at", string()),
                ("total", integer()),
                (
                    "totals",
                    object(&[
                        ("expectation", integer()),
                        ("norm", integer()),
                        ("metric", integer()),
                    ]),
                ),
                ("offset", integer()),
                ("next_cursor", string_or_null()),
                (
                    "policies",
                    object(&[
                        ("expectation", array(item.clone())),
                        ("norm", array(item.clone())),
                        ("metric", array(item)),
                    ]),
                ),
            ]
        }
        "changes" => vec![
            ("total", integer()),
            ("offset", integer()),
            (
                "changes",
                array(object(&[
                    ("id", string()),
                    ("change", change()),
                    ("revision", integer_or_null()),
                    ("commit", string()),
                    ("blob", string()),
                    ("landed", string_or_null()),
                    ("subject", string()),
                    ("fields", strings()),
                    ("in_force_from", string_or_null()),
                    ("page", string()),
                ])),
            ),
            ("next_cursor", string_or_null()),
        ],
        "diff" => diff_body(),
        _ => vec![
            ("person", string()),
            (
                "to_acknowledge",
                array(object(&[
                    ("policy", string()),
                    ("title", string_or_null()),
                    ("revision", integer()),
                    ("state", string()),
                    ("last_acknowledged_revision", integer_or_null()),
                    ("due", string_or_null()),
                    ("overdue", json!({ "type": "boolean" })),
                    ("blob", string_or_null()),
                    ("page", string()),
                    ("diff", or_null(object(&diff_body()))),
                ])),
            ),
            ("notes", strings()),
        ],
    };
    props.push(("served", served()));
    object(&props)
}
