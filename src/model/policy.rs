use super::Located;
use crate::diag::Pos;
use std::collections::BTreeMap;

/// The three kinds of written rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Expectation,
    Norm,
    Metric,
}

impl Kind {
    /// Every kind, in the order the handbook lists them.
    pub const ALL: [Kind; 3] = [Kind::Expectation, Kind::Norm, Kind::Metric];
    /// Their names, in the same order: the one list of kinds (the loader, the schema, the
    /// site and `normsctl new` take it from here).
    pub const NAMES: [&'static str; 3] = ["expectation", "norm", "metric"];

    pub fn as_str(self) -> &'static str {
        Kind::NAMES[self as usize]
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Whether people must acknowledge a policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AckMode {
    #[default]
    Required,
    None,
}

/// Who a metric judges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Individual,
    Team,
}

/// Who may see a metric's numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    Private,
    Team,
    Public,
}

/// A metric's goal.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Compare { op: CompareOp, value: f64 },
    Range { min: f64, max: f64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Lt,
    Le,
    Ge,
    Gt,
    Eq,
}

impl CompareOp {
    pub const ALL: [CompareOp; 5] = [
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Ge,
        CompareOp::Gt,
        CompareOp::Eq,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Ge => ">=",
            CompareOp::Gt => ">",
            CompareOp::Eq => "==",
        }
    }
}

/// The fields only metrics have.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    pub level: Level,
    pub measures: String,
    pub source: String,
    pub unit: String,
    pub statistic: String,
    pub target: Target,
    pub window: String,
    pub controllable: Option<bool>,
    /// As declared; see [`Metric::visibility`] for the effective value.
    pub visibility: Option<Visibility>,
    pub gaming_risk: Option<String>,
    pub guardrails: Vec<Located<String>>,
}

impl Metric {
    /// The declared visibility, or the default for the metric's level.
    pub fn visibility(&self) -> Visibility {
        self.visibility.unwrap_or(match self.level {
            Level::Individual => Visibility::Private,
            Level::Team => Visibility::Team,
        })
    }
}

/// One policy document.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// The file, relative to the top of the work tree.
    pub file: String,
    pub id: Located<String>,
    pub kind: Kind,
    pub title: String,
    pub summary: String,
    pub body: Option<String>,
    pub owner: Option<Located<String>>,
    /// Empty when the file leaves it out: see [`Policy::applies_to`].
    pub applies_to: Vec<Located<String>>,
    pub revision: Located<u32>,
    pub effective: Option<Located<jiff::civil::Date>>,
    pub ack: AckMode,
    pub ack_due_days: Option<u32>,
    /// `ack_every`: overrides the settings' `acks.every`.
    pub ack_every: Option<super::Every>,
    pub tags: Vec<String>,
    pub related: Vec<Located<String>>,
    pub replaces: Vec<Located<String>>,
    pub metric: Option<Metric>,
    /// How often the owner reviews the policy (`None`: the settings' `reviews.every`).
    pub review_every: Option<Located<super::Period>>,
    /// The day of the last review (in the handbook's zone).
    pub reviewed: Option<Located<jiff::civil::Date>>,
    /// Where each top-level key stands, for findings about a whole field.
    pub keys: BTreeMap<String, Pos>,
}

impl Policy {
    /// The groups this policy applies to (`everyone` when the file names none).
    pub fn applies_to(&self) -> Vec<&str> {
        if self.applies_to.is_empty() {
            vec![super::EVERYONE]
        } else {
            self.applies_to.iter().map(|a| a.value.as_str()).collect()
        }
    }

    /// Position of a top-level key, or the start of the file.
    pub fn key_pos(&self, key: &str) -> Pos {
        self.keys.get(key).copied().unwrap_or(Pos::START)
    }
}
