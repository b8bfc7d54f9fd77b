//! Typed reading of YAML mappings that collects findings instead of stopping.
//!
//! A [`Decoder`] walks one file's node tree on behalf of the policy, roster and settings
//! loaders: each accessor returns the value when it has the right type, and otherwise
//! records a finding at the value's position and returns `None`, so one run reports every
//! mistake in the file.

use crate::diag::{Finding, Pos, Rule, did_you_mean};
use crate::model::Located;
pub use crate::rules::decode::{INVALID_VALUE, MISSING_KEY, UNKNOWN_KEY, WRONG_TYPE};
use crate::yaml::{Node, Value};

/// One key of a mapping and its value.
pub struct Entry<'n> {
    pub key: String,
    pub key_pos: Pos,
    pub value: &'n Node,
}

/// The string-keyed entries of one mapping.
pub struct Fields<'n> {
    pub pos: Pos,
    pub entries: Vec<Entry<'n>>,
}

impl<'n> Fields<'n> {
    pub fn get(&self, key: &str) -> Option<&Entry<'n>> {
        self.entries.iter().find(|e| e.key == key)
    }
}

/// Reads one file's values, collecting findings.
pub struct Decoder<'a> {
    pub file: &'a str,
    pub source: &'a str,
    pub findings: Vec<Finding>,
}

impl<'a> Decoder<'a> {
    pub fn new(file: &'a str, source: &'a str) -> Decoder<'a> {
        Decoder {
            file,
            source,
            findings: Vec::new(),
        }
    }

    pub fn report(
        &mut self,
        rule: &'static Rule,
        pos: Pos,
        message: impl Into<String>,
    ) -> &mut Finding {
        self.findings
            .push(Finding::new(rule, self.file, pos, message));
        self.findings.last_mut().expect("just pushed")
    }

    pub fn wrong_type(&mut self, what: &str, expected: &str, node: &Node) {
        self.report(
            &WRONG_TYPE,
            node.pos,
            format!("`{what}` must be {expected}, not {}", node.type_name()),
        );
    }

    /// The entries of a mapping, or a finding when `node` is something else.
    pub fn fields<'n>(&mut self, node: &'n Node, what: &str) -> Option<Fields<'n>> {
        let Value::Map(pairs) = &node.value else {
            self.wrong_type(what, "a mapping of keys to values", node);
            return None;
        };
        let mut entries = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            match k.scalar_text(self.source) {
                Some(key) if !matches!(k.value, Value::Null) => entries.push(Entry {
                    key: key.into_owned(),
                    key_pos: k.pos,
                    value: v,
                }),
                _ => self.wrong_type(&format!("a key in {what}"), "a plain word", k),
            }
        }
        Some(Fields {
            pos: node.pos,
            entries,
        })
    }

    /// Reports keys not in `known`, with a "did you mean" hint.
    pub fn unknown_keys(&mut self, fields: &Fields<'_>, known: &[&'static str], what: &str) {
        for entry in &fields.entries {
            if known.contains(&entry.key.as_str()) {
                continue;
            }
            let hint = match did_you_mean(&entry.key, known.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("{what} has these keys: {}", known.join(", ")),
            };
            self.report(
                &UNKNOWN_KEY,
                entry.key_pos,
                format!("unknown key `{}` in {what}", entry.key),
            )
            .hint = Some(hint);
        }
    }

    /// Reports a missing required key at the mapping's position.
    pub fn missing(&mut self, fields: &Fields<'_>, key: &str, what: &str, hint: &str) {
        self.report(&MISSING_KEY, fields.pos, format!("{what} has no `{key}`"))
            .hint = Some(hint.to_owned());
    }

    /// A scalar read as text; `None` (with a finding) for lists, mappings and null.
    pub fn text(&mut self, key: &str, node: &Node) -> Option<Located<String>> {
        match node.scalar_text(self.source) {
            Some(text) => Some(Located::new(text.into_owned(), node.pos)),
            None => {
                self.wrong_type(key, "text", node);
                None
            }
        }
    }

    /// Text that must not be blank.
    pub fn non_empty_text(&mut self, key: &str, node: &Node) -> Option<Located<String>> {
        let text = self.text(key, node)?;
        if text.value.trim().is_empty() {
            self.report(&INVALID_VALUE, node.pos, format!("`{key}` is empty"))
                .hint = Some(format!("write the {key}"));
            return None;
        }
        Some(text)
    }

    /// One of a fixed set of words, with a "did you mean" hint.
    pub fn choice(
        &mut self,
        key: &str,
        node: &Node,
        allowed: &[&'static str],
    ) -> Option<Located<&'static str>> {
        let text = self.text(key, node)?;
        if let Some(found) = allowed.iter().find(|a| **a == text.value) {
            return Some(Located::new(found, node.pos));
        }
        let hint = match did_you_mean(&text.value, allowed.iter().copied()) {
            Some(close) => format!(
                "did you mean `{close}`? ({key} is one of: {})",
                allowed.join(", ")
            ),
            None => format!("{key} is one of: {}", allowed.join(", ")),
        };
        self.report(
            &INVALID_VALUE,
            node.pos,
            format!("`{}` is not a valid {key}", text.value),
        )
        .hint = Some(hint);
        None
    }

    /// A whole number no smaller than `min`.
    pub fn int(&mut self, key: &str, node: &Node, min: i128) -> Option<Located<u32>> {
        self.int_in(key, node, min, u32::MAX)
    }

    /// A whole number from `min` to `max`.
    pub fn int_in(&mut self, key: &str, node: &Node, min: i128, max: u32) -> Option<Located<u32>> {
        // The upper bound is said even when it is only the type's (4,294,967,295), so a
        // number past it is never a mystery.
        if let Value::Int(i) = node.value
            && i >= min
            && i <= i128::from(max)
        {
            return Some(Located::new(i as u32, node.pos));
        }
        let range = if max == u32::MAX {
            format!("a whole number from {min} to {}", thousands(max))
        } else {
            format!("a whole number from {min} to {max}")
        };
        match node.value {
            Value::Int(i) => {
                self.report(
                    &INVALID_VALUE,
                    node.pos,
                    format!("`{key}` is {i}; it must be {range}"),
                )
                .hint = Some(format!("write {range}"));
                None
            }
            _ => {
                self.wrong_type(key, &range, node);
                None
            }
        }
    }

    /// Any number.
    pub fn number(&mut self, key: &str, node: &Node) -> Option<f64> {
        match node.value {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) if f.is_finite() => Some(f),
            _ => {
                self.wrong_type(key, "a number", node);
                None
            }
        }
    }

    pub fn bool(&mut self, key: &str, node: &Node) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.wrong_type(key, "true or false", node);
                None
            }
        }
    }

    /// A list of scalars (a single scalar counts as a list of one).
    pub fn text_list(&mut self, key: &str, node: &Node) -> Vec<Located<String>> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .filter_map(|item| self.text(&format!("{key} item"), item))
                .collect(),
            Value::Map(_) | Value::Null => {
                self.wrong_type(key, "a list", node);
                Vec::new()
            }
            _ => self.text(key, node).into_iter().collect(),
        }
    }

    /// A list of ids: each must have the id shape.
    pub fn id_list(&mut self, key: &str, node: &Node) -> Vec<Located<String>> {
        let items = self.text_list(key, node);
        items
            .into_iter()
            .filter(|item| self.id_shape(key, item))
            .collect()
    }

    /// Checks the id shape; reports and returns false when it is wrong.
    pub fn id_shape(&mut self, key: &str, id: &Located<String>) -> bool {
        if crate::model::is_valid_id(&id.value) {
            return true;
        }
        self.report(
            &crate::rules::decode::BAD_ID,
            id.pos,
            format!("`{}` is not a valid id in `{key}`", id.value),
        )
        .hint = Some(crate::rules::decode::ID_SHAPE_HINT.to_owned());
        false
    }

    /// A calendar date written `YYYY-MM-DD`.
    pub fn date(&mut self, key: &str, node: &Node) -> Option<Located<jiff::civil::Date>> {
        let text = self.text(key, node)?;
        let well_formed = text.value.len() == 10
            && text.value.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        let parsed = well_formed
            .then(|| text.value.parse::<jiff::civil::Date>().ok())
            .flatten();
        match parsed {
            Some(date) => Some(Located::new(date, node.pos)),
            None => {
                let why = if well_formed {
                    "is not a real calendar date"
                } else {
                    "is not a date in the form YYYY-MM-DD"
                };
                self.report(
                    &crate::rules::decode::BAD_DATE,
                    node.pos,
                    format!("`{key}: {}` {why}", text.value),
                )
                .hint = Some("write the date as YYYY-MM-DD, for example 2026-03-01".into());
                None
            }
        }
    }
}

/// `4294967295` as `4,294,967,295`.
fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
