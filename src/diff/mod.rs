//! What changed between two texts of one policy: field changes named by dotted paths
//! (`target.value: 45 -> 30`) and a word-level diff of the body.
//!
//! Works on texts only: reading them from git or disk is the caller's business, and
//! nothing here prints. A text that does not parse still compares (as one opaque field), so
//! a diff never fails because one side is broken.

use crate::yaml::{self, Node, Value};
use serde_json::Value as Json;

mod entries;
mod tokens;
mod words;
pub use entries::{EntryCache, FieldParts};
pub use tokens::WordHasher;
pub use words::{Lines, Vocabulary, diff_lines, words};

/// One field that differs, by dotted path (`target.value`, `tags`).
#[derive(Clone, Debug, PartialEq)]
pub struct FieldChange {
    pub path: String,
    /// `None` when the field is new.
    pub old: Option<Json>,
    /// `None` when the field was removed.
    pub new: Option<Json>,
}

impl FieldChange {
    /// The top-level key this change is under.
    pub fn key(&self) -> &str {
        self.path
            .split(['.', '['])
            .next()
            .unwrap_or(self.path.as_str())
    }
}

/// A run of words a body diff keeps, inserts or deletes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Equal,
    Insert,
    Delete,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Equal => "equal",
            Op::Insert => "insert",
            Op::Delete => "delete",
        }
    }
}

/// Consecutive words with the same fate, whitespace included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub op: Op,
    pub text: String,
}

/// Everything that differs between two texts of a policy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PolicyDiff {
    /// Changed fields other than `body`, in the order of the newer text.
    pub fields: Vec<FieldChange>,
    /// The body's word diff, when the body changed.
    pub body: Option<Vec<Chunk>>,
}

impl PolicyDiff {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.body.is_none()
    }
}

/// Compares two texts of one policy.
pub fn compare(old: &str, new: &str) -> PolicyDiff {
    compare_fields(&Fields::of(old), &Fields::of(new))
}

/// [`compare`] on texts already parsed: fields other than `body` by dotted path in the
/// newer text's order, then removed ones; the body word by word.
pub fn compare_fields(a: &Fields, b: &Fields) -> PolicyDiff {
    compare_fields_with(a, b, words)
}

/// [`compare_fields`], with the body's word diff made by `body` (called with the old and
/// the new body, only when they differ): for callers that cut each body into [`Words`]
/// once and diff it against both its neighbours.
pub fn compare_fields_with(
    a: &Fields,
    b: &Fields,
    body: impl FnOnce(&str, &str) -> Vec<Chunk>,
) -> PolicyDiff {
    compare_leaves(a.0.iter(), b.0.iter(), body)
}

/// [`compare_fields_with`] on texts held as [`FieldParts`].
pub fn compare_parts_with(
    a: &FieldParts,
    b: &FieldParts,
    body: impl FnOnce(&str, &str) -> Vec<Chunk>,
) -> PolicyDiff {
    compare_leaves(a.leaves(), b.leaves(), body)
}

/// [`compare_fields_with`] on the leaves of two texts, in document order.
fn compare_leaves<'f>(
    a: impl Iterator<Item = &'f (String, Json)> + Clone,
    b: impl Iterator<Item = &'f (String, Json)> + Clone,
    body: impl FnOnce(&str, &str) -> Vec<Chunk>,
) -> PolicyDiff {
    let mut fields = Vec::new();
    let old = index(a.clone());
    for (path, value) in b.clone() {
        if path == "body" {
            continue;
        }
        match old.get(path.as_str()) {
            Some(before) if *before == value => {}
            before => fields.push(FieldChange {
                path: path.clone(),
                old: before.map(|v| (*v).clone()),
                new: Some(value.clone()),
            }),
        }
    }
    let new = index(b);
    for (path, value) in a {
        if path != "body" && !new.contains_key(path.as_str()) {
            fields.push(FieldChange {
                path: path.clone(),
                old: Some(value.clone()),
                new: None,
            });
        }
    }
    let (body_a, body_b) = (
        old.get("body").map_or("", |v| v.as_str().unwrap_or("")),
        new.get("body").map_or("", |v| v.as_str().unwrap_or("")),
    );
    let body = (body_a != body_b).then(|| body(body_a, body_b));
    PolicyDiff { fields, body }
}

/// Leaves by path (the first of a repeated path, as [`Fields::get`] finds it).
fn index<'f>(
    leaves: impl Iterator<Item = &'f (String, Json)> + Clone,
) -> foldhash::HashMap<&'f str, &'f Json> {
    use foldhash::HashMapExt;
    let mut out = foldhash::HashMap::with_capacity(leaves.clone().count());
    for (p, v) in leaves {
        out.entry(p.as_str()).or_insert(v);
    }
    out
}

/// The lines of `text`, each with its line break, as `split_inclusive('\n')` cuts them, the
/// breaks found by SIMD search: a text is cut into lines up to three times on the way to
/// its diff (entries, a literal block's value, the body's lines).
fn lines_of(text: &str) -> impl Iterator<Item = &str> {
    let mut breaks = memchr::memchr_iter(b'\n', text.as_bytes());
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        let end = breaks.next().map_or(text.len(), |i| i + 1);
        let line = &text[start..end];
        start = end;
        Some(line)
    })
}

/// Whether two texts say the same words, ignoring whitespace, punctuation and letter case.
pub fn same_words(a: &str, b: &str) -> bool {
    fn words(s: &str) -> impl Iterator<Item = String> + '_ {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
    }
    words(a).eq(words(b))
}

/// A policy text flattened to leaf values by dotted path, in document order.
#[derive(Debug, Default)]
pub struct Fields(pub Vec<(String, Json)>);

impl Fields {
    /// Flattens a policy text; a text that is not a YAML mapping is one opaque field.
    pub fn of(source: &str) -> Fields {
        let mut out = Fields::default();
        match yaml::parse(source) {
            Ok(Some(node)) if matches!(node.value, Value::Map(_)) => {
                out.flatten(String::new(), &node, source);
            }
            _ if source.trim().is_empty() => {}
            _ => out.0.push(("(text)".into(), Json::String(source.into()))),
        }
        out
    }

    pub fn get(&self, path: &str) -> Option<&Json> {
        self.0.iter().find(|(p, _)| p == path).map(|(_, v)| v)
    }

    /// A top-level text field, or "" when absent.
    pub fn text(&self, key: &str) -> &str {
        match self.get(key) {
            Some(Json::String(s)) => s,
            _ => "",
        }
    }

    /// Leaves by path, for comparing many fields at once (the first of a repeated path,
    /// as [`Fields::get`] finds it).
    pub fn index(&self) -> foldhash::HashMap<&str, &Json> {
        index(self.0.iter())
    }

    fn flatten(&mut self, path: String, node: &Node, source: &str) {
        match &node.value {
            Value::Map(entries) => {
                for (k, v) in entries {
                    let key = k
                        .scalar_text(source)
                        .map_or_else(|| format!("{:?}", k.type_name()), |t| t.into_owned());
                    let sub = if path.is_empty() {
                        key
                    } else {
                        format!("{path}.{key}")
                    };
                    self.flatten(sub, v, source);
                }
            }
            Value::Seq(items) if items.iter().any(is_collection) => {
                for (n, item) in items.iter().enumerate() {
                    self.flatten(format!("{path}[{n}]"), item, source);
                }
            }
            _ => self.0.push((path, to_json(node))),
        }
    }
}

fn is_collection(node: &Node) -> bool {
    matches!(node.value, Value::Map(_) | Value::Seq(_))
}

/// A YAML value as JSON (numbers stay numbers; mappings keep their order).
pub fn to_json(node: &Node) -> Json {
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => i64::try_from(*i)
            .map(Json::from)
            .unwrap_or_else(|_| Json::String(i.to_string())),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .unwrap_or_else(|| Json::String(f.to_string())),
        Value::Str(s) => Json::String(s.clone()),
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    let key = match &k.value {
                        Value::Str(s) => s.clone(),
                        _ => to_json(k).to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
    }
}

/// A field value as a reader sees it: text bare, lists in brackets, nothing as `-`.
pub fn display(value: Option<&Json>) -> String {
    match value {
        None => "-".into(),
        Some(Json::String(s)) => s.replace('\n', "\\n"),
        Some(Json::Array(items)) => {
            let parts: Vec<String> = items.iter().map(|i| display(Some(i))).collect();
            format!("[{}]", parts.join(", "))
        }
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const OLD: &str = "id: p\nkind: metric\ntarget: { op: \"<=\", value: 45 }\ntags: [a, b]\nbody: Reply within one hour to every ticket.\n";
    pub(super) const NEW: &str = "id: p\nkind: metric\ntarget: { op: \"<=\", value: 30 }\ntags: [a, b, c]\nowner: ana\nbody: Reply within thirty minutes to every ticket.\n";

    #[test]
    fn fields_are_named_by_dotted_paths() {
        let d = compare(OLD, NEW);
        let shown: Vec<String> = d
            .fields
            .iter()
            .map(|f| {
                format!(
                    "{}: {} -> {}",
                    f.path,
                    display(f.old.as_ref()),
                    display(f.new.as_ref())
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                "target.value: 45 -> 30",
                "tags: [a, b] -> [a, b, c]",
                "owner: - -> ana"
            ]
        );
    }

    #[test]
    fn body_words_are_marked() {
        let d = compare(OLD, NEW);
        let body = d.body.expect("body changed");
        let marked: String = body
            .iter()
            .map(|c| match c.op {
                Op::Equal => c.text.clone(),
                Op::Insert => format!("{{+{}+}}", c.text),
                Op::Delete => format!("[-{}-]", c.text),
            })
            .collect();
        assert_eq!(
            marked,
            "Reply within [-one hour-]{+thirty minutes+} to every ticket."
        );
    }

    #[test]
    fn unchanged_texts_compare_empty() {
        assert!(compare(OLD, OLD).is_empty());
        assert!(compare("id: p\nrevision: 1\n", "revision: 1\nid: p\n").is_empty());
    }

    #[test]
    fn broken_text_still_compares() {
        let d = compare("id: [unclosed\n", OLD);
        assert!(
            d.fields
                .iter()
                .any(|f| f.path == "(text)" && f.new.is_none())
        );
        assert!(d.body.is_some());
    }

    #[test]
    fn lines_are_cut_as_split_inclusive_cuts_them() {
        for text in ["", "\n", "a", "a\n", "a\nb", "a\n\nb\n", "\n\na\n\n"] {
            let expected: Vec<&str> = text.split_inclusive('\n').collect();
            assert_eq!(lines_of(text).collect::<Vec<_>>(), expected, "{text:?}");
        }
    }

    #[test]
    fn same_words_ignores_case_punctuation_and_space() {
        assert!(same_words("Reply  within an hour.", "reply within an hour"));
        assert!(same_words("a, b;\n c", "A B C!"));
        assert!(!same_words("reply within an hour", "reply within a day"));
    }
}
