//! Reading one policy document into a [`Policy`].

use super::decode::{Decoder, Fields, INVALID_VALUE};
use crate::diag::Pos;
use crate::model::*;
use crate::yaml::Node;

/// One key of a policy document, for the decoder and the JSON Schema.
pub struct PolicyField {
    pub name: &'static str,
    /// Kinds that may use the key (all when empty).
    pub kinds: &'static [Kind],
    /// Kinds that must set the key.
    pub required_for: &'static [Kind],
    pub doc: &'static str,
}

const ALL: &[Kind] = &[];
const METRIC: &[Kind] = &[Kind::Metric];
const EVERY_KIND: &[Kind] = &[Kind::Expectation, Kind::Norm, Kind::Metric];

macro_rules! field {
    ($name:literal, $kinds:expr, $req:expr, $doc:literal) => {
        PolicyField {
            name: $name,
            kinds: $kinds,
            required_for: $req,
            doc: $doc,
        }
    };
}

/// Every key a policy document may have, in the order the docs list them.
pub const POLICY_FIELDS: &[PolicyField] = &[
    field!(
        "id",
        ALL,
        EVERY_KIND,
        "Unique id, equal to the file's stem: lower-case letters, digits and hyphens, at most 64 characters."
    ),
    field!(
        "kind",
        ALL,
        EVERY_KIND,
        "expectation (required to keep the job), norm (how the team behaves together) or metric (the level of work expected)."
    ),
    field!("title", ALL, EVERY_KIND, "Short title."),
    field!(
        "summary",
        ALL,
        EVERY_KIND,
        "One sentence, shown in lists and feeds."
    ),
    field!(
        "body",
        ALL,
        &[Kind::Expectation, Kind::Norm],
        "The text, in Markdown."
    ),
    field!(
        "owner",
        ALL,
        EVERY_KIND,
        "A person or team id from the roster."
    ),
    field!(
        "applies_to",
        ALL,
        &[],
        "Team or role ids, or `everyone` (the default)."
    ),
    field!(
        "revision",
        ALL,
        EVERY_KIND,
        "Integer from 1; raise it by one for a material change (earlier acknowledgements become stale)."
    ),
    field!(
        "effective",
        ALL,
        &[],
        "YYYY-MM-DD in the handbook's time zone from which this revision applies."
    ),
    field!(
        "ack",
        ALL,
        &[],
        "`required` (default) or `none`: whether people must acknowledge it."
    ),
    field!(
        "ack_due_days",
        ALL,
        &[],
        "Days after a revision lands before a missing acknowledgement is overdue."
    ),
    field!(
        "ack_every",
        ALL,
        &[],
        "`12 months`, `6 months` or `none`: how long an acknowledgement lasts before it must be made again (default: the settings' `acks.every`)."
    ),
    field!(
        "review_every",
        ALL,
        &[],
        "How often the owner reviews it: `12 months`, `6 months`, `1 year` or `none` (default: the settings' `reviews.every`)."
    ),
    field!(
        "reviewed",
        ALL,
        &[],
        "YYYY-MM-DD of the owner's last review (`normsctl review ID` sets it); editorial."
    ),
    field!("tags", ALL, &[], "Words to group and find policies by."),
    field!("related", ALL, &[], "Ids of related policies."),
    field!(
        "replaces",
        ALL,
        &[],
        "Ids of retired policies this one continues."
    ),
    field!(
        "level",
        METRIC,
        METRIC,
        "`individual` or `team`: who the metric judges."
    ),
    field!(
        "measures",
        METRIC,
        METRIC,
        "Exactly what is counted or timed."
    ),
    field!(
        "source",
        METRIC,
        METRIC,
        "Where the data comes from (system and fields)."
    ),
    field!(
        "unit",
        METRIC,
        METRIC,
        "Unit of the value, e.g. minutes, tickets, percent, score."
    ),
    field!(
        "statistic",
        METRIC,
        METRIC,
        "How values are summarised over the window."
    ),
    field!(
        "target",
        METRIC,
        METRIC,
        "`{op: \"<=\", value: 60}` or `{min: a, max: b}`."
    ),
    field!("window", METRIC, METRIC, "The period each value covers."),
    field!(
        "controllable",
        METRIC,
        &[],
        "Can the individual move it by their own work? Required for individual metrics."
    ),
    field!(
        "visibility",
        METRIC,
        &[],
        "`private` (the person and their lead), `team` or `public`."
    ),
    field!("gaming_risk", METRIC, &[], "How the metric could be gamed."),
    field!(
        "guardrails",
        METRIC,
        &[],
        "Ids of metrics that counter the gaming; required with gaming_risk."
    ),
];

pub const STATISTICS: &[&str] = &[
    "count", "sum", "mean", "median", "p90", "p95", "rate", "ratio", "score",
];
pub const WINDOWS: &[&str] = &["day", "week", "month", "quarter", "year"];
pub const LEVELS: &[&str] = &["individual", "team"];
pub const VISIBILITIES: &[&str] = &["private", "team", "public"];
pub const ACK_MODES: &[&str] = &["required", "none"];
pub const KINDS: &[&str] = &crate::model::Kind::NAMES;

/// Decodes a policy; findings go to the decoder. `None` when the kind is unknown, since
/// nothing else can be judged then.
pub fn decode(d: &mut Decoder<'_>, node: &Node, stem: &str) -> Option<Policy> {
    let fields = d.fields(node, "a policy")?;
    let names: Vec<&'static str> = POLICY_FIELDS.iter().map(|f| f.name).collect();
    d.unknown_keys(&fields, &names, "a policy");

    let kind = match fields.get("kind") {
        Some(e) => d
            .choice("kind", e.value, KINDS)
            .map(|k| Kind::parse(k.value).expect("listed")),
        None => {
            d.missing(
                &fields,
                "kind",
                "the policy",
                "add `kind: expectation`, `kind: norm` or `kind: metric`",
            );
            None
        }
    };
    // With no usable kind, the fields every policy has are still checked (so one run
    // reports everything); only the kind's own fields wait for the kind to be fixed.
    for field in POLICY_FIELDS.iter().filter(|_| kind.is_some()) {
        let kind = kind.expect("filtered");
        let present = fields.get(field.name);
        if let Some(entry) = present
            && !field.kinds.is_empty()
            && !field.kinds.contains(&kind)
        {
            d.report(
                &crate::rules::decode::FIELD_NOT_FOR_KIND,
                entry.key_pos,
                format!(
                    "`{}` is only for metrics; this policy is a {}",
                    field.name,
                    kind.as_str()
                ),
            )
            .hint = Some(format!(
                "remove `{}`, or make the policy `kind: metric`",
                field.name
            ));
        }
        if present.is_none() && field.required_for.contains(&kind) {
            d.missing(
                &fields,
                field.name,
                &format!("this {}", kind.as_str()),
                &format!("add `{}:`. {}", field.name, field.doc),
            );
        }
    }

    let id = match fields.get("id").and_then(|e| d.text("id", e.value)) {
        Some(id) => id,
        None => Located::new(stem.to_owned(), Pos::START),
    };
    let text = |d: &mut Decoder<'_>, key: &str| {
        fields.get(key).and_then(|e| d.non_empty_text(key, e.value))
    };
    let title = text(d, "title").map(|t| t.value).unwrap_or_default();
    let summary = text(d, "summary").map(|t| t.value).unwrap_or_default();
    let body = text(d, "body").map(|t| t.value);
    let owner = fields
        .get("owner")
        .and_then(|e| d.text("owner", e.value))
        .filter(|o| d.id_shape("owner", o));
    let applies_to = fields
        .get("applies_to")
        .map(|e| d.id_list("applies_to", e.value))
        .unwrap_or_default();
    let revision = fields
        .get("revision")
        .and_then(|e| d.int("revision", e.value, 1))
        .unwrap_or(Located::new(1, Pos::START));
    let effective = fields
        .get("effective")
        .and_then(|e| d.date("effective", e.value));
    let ack = match fields
        .get("ack")
        .and_then(|e| d.choice("ack", e.value, ACK_MODES))
    {
        Some(l) if l.value == "none" => AckMode::None,
        _ => AckMode::Required,
    };
    let ack_due_days = fields
        .get("ack_due_days")
        .and_then(|e| d.int_in("ack_due_days", e.value, 1, MAX_DUE_DAYS))
        .map(|l| l.value);
    let ack_every = fields
        .get("ack_every")
        .and_then(|e| super::settings::every(d, "ack_every", e.value));
    let review_every = fields
        .get("review_every")
        .and_then(|e| period(d, "review_every", e.value));
    let reviewed = fields
        .get("reviewed")
        .and_then(|e| d.date("reviewed", e.value));
    let tags = fields
        .get("tags")
        .map(|e| {
            d.text_list("tags", e.value)
                .into_iter()
                .map(|t| t.value)
                .collect()
        })
        .unwrap_or_default();
    let related = fields
        .get("related")
        .map(|e| d.id_list("related", e.value))
        .unwrap_or_default();
    let replaces = fields
        .get("replaces")
        .map(|e| d.id_list("replaces", e.value))
        .unwrap_or_default();
    let kind = kind?;
    let metric = (kind == Kind::Metric)
        .then(|| decode_metric(d, &fields))
        .flatten();
    let keys = fields
        .entries
        .iter()
        .map(|e| (e.key.clone(), e.key_pos))
        .collect();

    Some(Policy {
        file: d.file.to_owned(),
        id,
        kind,
        title,
        summary,
        body,
        owner,
        applies_to,
        revision,
        effective,
        ack,
        ack_due_days,
        ack_every,
        tags,
        related,
        replaces,
        metric,
        review_every,
        reviewed,
        keys,
    })
}

/// A period such as `12 months` or `none` (see [`crate::model::Period`]).
pub(crate) fn period(
    d: &mut Decoder<'_>,
    key: &str,
    node: &crate::yaml::Node,
) -> Option<Located<crate::model::Period>> {
    let text = d.text(key, node)?;
    match crate::model::Period::parse(&text.value) {
        Some(p) => Some(Located::new(p, text.pos)),
        None => {
            d.report(
                &crate::rules::decode::INVALID_VALUE,
                text.pos,
                format!("`{key}: {}` is not a period", text.value),
            )
            .hint = Some(format!(
                "write `12 months`, `6 months`, `1 year` or `none` (at most {} months)",
                crate::model::MAX_PERIOD_MONTHS
            ));
            None
        }
    }
}

fn decode_metric(d: &mut Decoder<'_>, fields: &Fields<'_>) -> Option<Metric> {
    let choice = |d: &mut Decoder<'_>, key: &str, allowed: &[&'static str]| {
        fields
            .get(key)
            .and_then(|e| d.choice(key, e.value, allowed))
            .map(|l| l.value)
    };
    let level = choice(d, "level", LEVELS).map(|l| {
        if l == "team" {
            Level::Team
        } else {
            Level::Individual
        }
    });
    let statistic = choice(d, "statistic", STATISTICS);
    let window = choice(d, "window", WINDOWS);
    let visibility = choice(d, "visibility", VISIBILITIES).map(|v| match v {
        "private" => Visibility::Private,
        "team" => Visibility::Team,
        _ => Visibility::Public,
    });
    let text = |d: &mut Decoder<'_>, key: &str| {
        fields
            .get(key)
            .and_then(|e| d.non_empty_text(key, e.value))
            .map(|t| t.value)
    };
    let measures = text(d, "measures");
    let source = text(d, "source");
    let unit = text(d, "unit");
    let gaming_risk = text(d, "gaming_risk");
    let controllable = fields
        .get("controllable")
        .and_then(|e| d.bool("controllable", e.value));
    let guardrails = fields
        .get("guardrails")
        .map(|e| d.id_list("guardrails", e.value))
        .unwrap_or_default();
    let target = fields.get("target").and_then(|e| decode_target(d, e.value));

    if level == Some(Level::Individual) && fields.get("controllable").is_none() {
        d.missing(
            fields,
            "controllable",
            "this individual metric",
            "add `controllable: true` if a person can move it by their own work; otherwise make it `level: team`",
        );
    }
    // Fields that failed to decode were reported already; placeholders keep the metric's
    // other rules (fairness, guardrails) running in the same pass.
    Some(Metric {
        level: level?,
        measures: measures.unwrap_or_default(),
        source: source.unwrap_or_default(),
        unit: unit.unwrap_or_default(),
        statistic: statistic.unwrap_or_default().to_owned(),
        target: target.unwrap_or(Target::Compare {
            op: CompareOp::Le,
            value: 0.0,
        }),
        window: window.unwrap_or_default().to_owned(),
        controllable,
        visibility,
        gaming_risk,
        guardrails,
    })
}

fn decode_target(d: &mut Decoder<'_>, node: &Node) -> Option<Target> {
    let fields = d.fields(node, "target")?;
    let has = |k: &str| fields.get(k).is_some();
    if has("min") || has("max") {
        d.unknown_keys(&fields, &["min", "max"], "a range target");
        let min = match fields.get("min") {
            Some(e) => d.number("target.min", e.value),
            None => {
                d.missing(
                    &fields,
                    "min",
                    "the range target",
                    "add `min:` (a range needs both `min` and `max`)",
                );
                None
            }
        };
        let max = match fields.get("max") {
            Some(e) => d.number("target.max", e.value),
            None => {
                d.missing(
                    &fields,
                    "max",
                    "the range target",
                    "add `max:` (a range needs both `min` and `max`)",
                );
                None
            }
        };
        let (min, max) = (min?, max?);
        if min > max {
            d.report(
                &INVALID_VALUE,
                node.pos,
                format!("target range is empty: min {min} is above max {max}"),
            )
            .hint = Some("swap `min` and `max`".into());
            return None;
        }
        return Some(Target::Range { min, max });
    }
    d.unknown_keys(&fields, &["op", "value"], "a target");
    let ops: Vec<&'static str> = CompareOp::ALL.iter().map(|o| o.as_str()).collect();
    let op = match fields.get("op") {
        Some(e) => d.choice("target.op", e.value, &ops).map(|o| {
            *CompareOp::ALL
                .iter()
                .find(|c| c.as_str() == o.value)
                .expect("listed")
        }),
        None => {
            d.missing(
                &fields,
                "op",
                "the target",
                "write `{op: \"<=\", value: 60}` or `{min: a, max: b}`",
            );
            None
        }
    };
    let value = match fields.get("value") {
        Some(e) => d.number("target.value", e.value),
        None => {
            d.missing(&fields, "value", "the target", "add `value:` (a number)");
            None
        }
    };
    Some(Target::Compare {
        op: op?,
        value: value?,
    })
}
