//! What changed between two texts of one policy: field changes named by dotted paths
//! (`target.value: 45 -> 30`) and a word-level diff of the body.
//!
//! Works on texts only: reading them from git or disk is the caller's business, and
//! nothing here prints. A text that does not parse still compares (as one opaque field), so
//! a diff never fails because one side is broken.

use crate::yaml::{self, Node, Value};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::time::Duration;

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
    let mut fields = Vec::new();
    let old = a.index();
    for (path, value) in &b.0 {
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
    let new = b.index();
    for (path, value) in &a.0 {
        if path != "body" && !new.contains_key(path.as_str()) {
            fields.push(FieldChange {
                path: path.clone(),
                old: Some(value.clone()),
                new: None,
            });
        }
    }
    let (body_a, body_b) = (a.text("body"), b.text("body"));
    let body = (body_a != body_b).then(|| body(body_a, body_b));
    PolicyDiff { fields, body }
}

/// A word-level diff (words and punctuation are separate tokens; whitespace is kept).
pub fn words(old: &str, new: &str) -> Vec<Chunk> {
    let mut vocabulary = Vocabulary::default();
    let (a, b) = (vocabulary.words(old), vocabulary.words(new));
    diff_words(&a, &b)
}

/// A text cut into words (Unicode word boundaries, as `similar` cuts them), each word
/// numbered by the [`Vocabulary`] that cut it: diffing numbers is cheaper than diffing
/// strings, and a text cut once can be diffed against several others.
#[derive(Debug, Default)]
pub struct Words<'t> {
    text: &'t str,
    /// Where each word ends in `text` (words are contiguous and cover it).
    ends: Vec<usize>,
    ids: Vec<u32>,
}

impl<'t> Words<'t> {
    /// The text of words `range`.
    fn slice(&self, range: std::ops::Range<usize>) -> &'t str {
        if range.is_empty() {
            return "";
        }
        let start = if range.start == 0 {
            0
        } else {
            self.ends[range.start - 1]
        };
        &self.text[start..self.ends[range.end - 1]]
    }
}

/// Numbers words: the same word gets the same number in every text it cuts.
#[derive(Debug, Default)]
pub struct Vocabulary<'t>(HashMap<&'t str, u32, std::hash::BuildHasherDefault<WordHasher>>);

impl<'t> Vocabulary<'t> {
    /// Cuts `text` into numbered words.
    pub fn words(&mut self, text: &'t str) -> Words<'t> {
        let tokens = similar::DiffableStr::tokenize_unicode_words(text);
        let mut out = Words {
            text,
            ends: Vec::with_capacity(tokens.len()),
            ids: Vec::with_capacity(tokens.len()),
        };
        let mut end = 0;
        for word in tokens {
            end += word.len();
            let next = u32::try_from(self.0.len()).unwrap_or(u32::MAX);
            out.ids.push(*self.0.entry(word).or_insert(next));
            out.ends.push(end);
        }
        out
    }
}

/// FNV-1a: words are short, and the standard hasher's start-up cost dominates for them.
#[derive(Default)]
pub struct WordHasher(u64);

impl std::hash::Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The word diff of two texts cut by one [`Vocabulary`]: the same answer as [`words`].
pub fn diff_words(old: &Words, new: &Words) -> Vec<Chunk> {
    // A deadline keeps a hostile pair of huge bodies from taking minutes: past it, the
    // diff is coarser but still correct.
    let deadline = std::time::Instant::now() + Duration::from_millis(500);
    let ops = similar::capture_diff_deadline(
        similar::Algorithm::Myers,
        &old.ids[..],
        0..old.ids.len(),
        &new.ids[..],
        0..new.ids.len(),
        Some(deadline),
    );
    let mut out: Vec<Chunk> = Vec::new();
    let mut push = |op: Op, text: &str| {
        if text.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.op == op => last.text.push_str(text),
            _ => out.push(Chunk {
                op,
                text: text.to_owned(),
            }),
        }
    };
    for op in ops {
        let (old_range, new_range) = (op.old_range(), op.new_range());
        match op.tag() {
            similar::DiffTag::Equal => push(Op::Equal, old.slice(old_range)),
            similar::DiffTag::Delete => push(Op::Delete, old.slice(old_range)),
            similar::DiffTag::Insert => push(Op::Insert, new.slice(new_range)),
            similar::DiffTag::Replace => {
                push(Op::Delete, old.slice(old_range));
                push(Op::Insert, new.slice(new_range));
            }
        }
    }
    regroup(out)
}

/// Orders each stretch of changes as all deletions then all insertions, and folds
/// whitespace-only equal runs between changes into them, so that a reader sees
/// "old words" then "new words" instead of a word-by-word interleaving.
fn regroup(chunks: Vec<Chunk>) -> Vec<Chunk> {
    let mut out = Vec::new();
    let mut deleted = String::new();
    let mut inserted = String::new();
    let flush = |out: &mut Vec<Chunk>, deleted: &mut String, inserted: &mut String| {
        for (op, text) in [(Op::Delete, deleted), (Op::Insert, inserted)] {
            if !text.is_empty() {
                out.push(Chunk {
                    op,
                    text: std::mem::take(text),
                });
            }
        }
    };
    let mut iter = chunks.into_iter().peekable();
    while let Some(chunk) = iter.next() {
        match chunk.op {
            Op::Delete => deleted.push_str(&chunk.text),
            Op::Insert => inserted.push_str(&chunk.text),
            Op::Equal => {
                let in_change = !deleted.is_empty() || !inserted.is_empty();
                let continues = iter.peek().is_some_and(|next| next.op != Op::Equal);
                if in_change && continues && chunk.text.trim().is_empty() {
                    deleted.push_str(&chunk.text);
                    inserted.push_str(&chunk.text);
                } else {
                    flush(&mut out, &mut deleted, &mut inserted);
                    out.push(chunk);
                }
            }
        }
    }
    flush(&mut out, &mut deleted, &mut inserted);
    out
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
    pub fn index(&self) -> HashMap<&str, &Json> {
        let mut out = HashMap::with_capacity(self.0.len());
        for (p, v) in &self.0 {
            out.entry(p.as_str()).or_insert(v);
        }
        out
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

    const OLD: &str = "id: p\nkind: metric\ntarget: { op: \"<=\", value: 45 }\ntags: [a, b]\nbody: Reply within one hour to every ticket.\n";
    const NEW: &str = "id: p\nkind: metric\ntarget: { op: \"<=\", value: 30 }\ntags: [a, b, c]\nowner: ana\nbody: Reply within thirty minutes to every ticket.\n";

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

    /// The word diff as `similar`'s own text diff makes it, which [`words`] must match.
    fn words_by_text_diff(old: &str, new: &str) -> Vec<Chunk> {
        let diff = similar::TextDiff::configure()
            .timeout(Duration::from_millis(500))
            .diff_unicode_words(old, new);
        let mut out: Vec<Chunk> = Vec::new();
        for change in diff.iter_all_changes() {
            let op = match change.tag() {
                similar::ChangeTag::Equal => Op::Equal,
                similar::ChangeTag::Insert => Op::Insert,
                similar::ChangeTag::Delete => Op::Delete,
            };
            match out.last_mut() {
                Some(last) if last.op == op => last.text.push_str(change.value()),
                _ => out.push(Chunk {
                    op,
                    text: change.value().to_owned(),
                }),
            }
        }
        regroup(out)
    }

    #[test]
    fn numbered_words_diff_like_text_diff() {
        let long_a = "Reply to every ticket within one hour, and tell the customer. ".repeat(30);
        let long_b = long_a
            .replace("one hour", "two hours")
            .replacen("tell", "ask", 3);
        let cases = [
            ("", ""),
            ("", "new words"),
            ("old words", ""),
            (OLD, NEW),
            ("a b c", "a b c d"),
            (
                "Naïve café: don't stop, 3.14 e.g. x_y\n\nnext",
                "Naive cafe: do not stop, 3.15 i.e. x_z\nnext",
            ),
            (long_a.as_str(), long_b.as_str()),
            (long_b.as_str(), long_a.as_str()),
        ];
        for (a, b) in cases {
            assert_eq!(words(a, b), words_by_text_diff(a, b), "{a:?} -> {b:?}");
        }
        // A text cut once and diffed against both neighbours gives the same answers.
        let mut v = Vocabulary::default();
        let (x, y, z) = (v.words(OLD), v.words(NEW), v.words(long_a.as_str()));
        assert_eq!(diff_words(&x, &y), words(OLD, NEW));
        assert_eq!(diff_words(&y, &z), words(NEW, &long_a));
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
    fn same_words_ignores_case_punctuation_and_space() {
        assert!(same_words("Reply  within an hour.", "reply within an hour"));
        assert!(same_words("a, b;\n c", "A B C!"));
        assert!(!same_words("reply within an hour", "reply within a day"));
    }
}
