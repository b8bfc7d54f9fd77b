//! Reading one YAML file into a tree of nodes that remember where they stand.
//!
//! Parsing is `serde-saphyr` with a tight budget (depth, nodes, aliases) and YAML 1.2 core
//! booleans; sizes are capped before parsing. The tree keeps the position of every key and
//! value, and the source text of every scalar, so that later checks can point at the exact
//! place and read a scalar as the author wrote it. This module does no file I/O.

#[cfg(test)]
mod differential;
mod plain;

use crate::diag::Pos;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

/// Largest file read as YAML. Policies, rosters and settings are a few kilobytes.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Deepest nesting accepted: a policy needs three levels.
pub const MAX_DEPTH: usize = 32;
/// Most nodes in one file (a roster of thousands of people fits well within this).
pub const MAX_NODES: usize = 200_000;
/// Most alias uses in one file (defeats "billion laughs").
pub const MAX_ALIASES: usize = 100;

/// A YAML value with positions.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A value and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
    /// Byte range of the node in the source, where the parser gives it.
    pub span: Option<(usize, usize)>,
}

impl Node {
    /// A short name of the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The text of a scalar as written (plain scalars like `2024` or `yes` read as text).
    pub fn scalar_text<'a>(&'a self, source: &'a str) -> Option<std::borrow::Cow<'a, str>> {
        match &self.value {
            Value::Str(s) => Some(s.as_str().into()),
            Value::Bool(_) | Value::Int(_) | Value::Float(_) => {
                let (start, len) = self.span?;
                source
                    .get(start..start + len)
                    .map(|t| std::borrow::Cow::Borrowed(t.trim()))
            }
            _ => None,
        }
    }
}

/// Why a file could not be read as one YAML mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Not valid YAML.
    Syntax { pos: Pos, message: String },
    /// A duplicate key in a mapping.
    DuplicateKey { pos: Pos, key: String },
    /// Valid YAML, but over a resource limit (size, depth, nodes, aliases).
    Limit { pos: Pos, message: String },
    /// Not UTF-8 text.
    Encoding { pos: Pos, message: String },
    /// More than one document.
    MultipleDocuments { pos: Pos },
    /// `.inf`, `.nan` and the like: valid YAML, but no number a policy can hold.
    NonFinite { pos: Pos, text: String },
}

impl ParseError {
    pub fn pos(&self) -> Pos {
        match self {
            ParseError::Syntax { pos, .. }
            | ParseError::DuplicateKey { pos, .. }
            | ParseError::Limit { pos, .. }
            | ParseError::Encoding { pos, .. }
            | ParseError::MultipleDocuments { pos }
            | ParseError::NonFinite { pos, .. } => *pos,
        }
    }
}

/// Decodes bytes as UTF-8, naming the line and column of the first bad byte.
pub fn decode_utf8(bytes: &[u8]) -> Result<&str, ParseError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.strip_prefix('\u{feff}').unwrap_or(text)),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let text = std::str::from_utf8(good).unwrap_or_default();
            let line = text.matches('\n').count() + 1;
            let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Err(ParseError::Encoding {
                pos: Pos::new(line as u32, column as u32),
                message: format!(
                    "the file is not UTF-8 text (byte 0x{:02x} at offset {})",
                    bytes[e.valid_up_to()],
                    e.valid_up_to()
                ),
            })
        }
    }
}

/// Parses one YAML document. `Ok(None)` for a file with no document at all (empty or
/// only comments).
///
/// A file of the plain shape policies have is read by a fast reader that gives exactly the
/// full parser's tree; any other file goes to the full parser.
pub fn parse(source: &str) -> Result<Option<Node>, ParseError> {
    if source.len() as u64 <= MAX_FILE_BYTES
        && let Some(node) = plain::parse(source)
    {
        return Ok(Some(node));
    }
    parse_full(source)
}

/// The fast reader alone: the tree of a file of the plain shape, `None` for any other file
/// (for the tests that hold it to the full parser).
#[doc(hidden)]
pub fn parse_plain(source: &str) -> Option<Node> {
    plain::parse(source)
}

/// [`parse`] with the full parser only, whatever the file's shape.
#[doc(hidden)]
pub fn parse_full(source: &str) -> Result<Option<Node>, ParseError> {
    if source.len() as u64 > MAX_FILE_BYTES {
        return Err(ParseError::Limit {
            pos: Pos::START,
            message: format!(
                "the file is {} bytes; YAML files here are limited to {} bytes",
                source.len(),
                MAX_FILE_BYTES
            ),
        });
    }
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_nodes = MAX_NODES;
    budget.max_aliases = MAX_ALIASES;
    // The limits are the ones above and no others: every node may carry an anchor, and
    // with at most MAX_ALIASES aliases and MAX_NODES values counted after expansion, the
    // parser's alias-to-anchor ratio heuristic would only refuse files within them.
    budget.max_anchors = MAX_NODES;
    budget.enforce_alias_anchor_ratio = false;
    budget.max_documents = 2;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.strict_booleans = true;
    options.strict_indentation = true;
    options.with_snippet = false;
    let parsed: Result<Option<Spanned<Raw>>, _> =
        serde_saphyr::from_str_with_options(source, options);
    match parsed {
        Ok(None) => Ok(None),
        Ok(Some(raw)) => {
            let node = into_node(raw);
            let lines = LineStarts::new(source);
            if let Some(pos) = quoted_scalar_indentation(&node, &lines, None) {
                return Err(ParseError::Syntax {
                    pos,
                    message:
                        "a continuation line of a quoted string is not indented more than its key"
                            .into(),
                });
            }
            Ok(Some(node))
        }
        Err(e) => Err(at_the_tab(classify(&e), source)),
    }
}

/// The scanner names the start of the scalar it was reading when it met a tab; point at
/// the tab itself, which is what the author must change.
fn at_the_tab(error: ParseError, source: &str) -> ParseError {
    let ParseError::Syntax { pos, message } = error else {
        return error;
    };
    if !message.contains("found a tab") {
        return ParseError::Syntax { pos, message };
    }
    let tab = source
        .lines()
        .enumerate()
        .skip(pos.line.saturating_sub(1) as usize)
        .find_map(|(n, line)| {
            let skip = if n + 1 == pos.line as usize {
                pos.column.saturating_sub(1) as usize
            } else {
                0
            };
            line.chars()
                .enumerate()
                .skip(skip)
                .find(|(_, c)| *c == '\t')
                .map(|(col, _)| Pos::new(n as u32 + 1, col as u32 + 1))
        });
    ParseError::Syntax {
        pos: tab.unwrap_or(pos),
        message,
    }
}

fn classify(e: &serde_saphyr::Error) -> ParseError {
    use serde_saphyr::Error as E;
    let pos = e
        .location()
        .map(|l| Pos::new(l.line() as u32, l.column() as u32))
        .unwrap_or(Pos::START);
    let text = e.to_string();
    let message = strip_location(&text);
    match e {
        E::MultipleDocuments { .. } => ParseError::MultipleDocuments { pos },
        _ if message.starts_with("duplicate mapping key") => {
            let key = message
                .trim_start_matches("duplicate mapping key:")
                .split(", set DuplicateKeyPolicy")
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned();
            ParseError::DuplicateKey { pos, key }
        }
        _ if message.starts_with("non-finite float") => ParseError::NonFinite {
            pos,
            text: message
                .split('`')
                .nth(1)
                .unwrap_or("a non-finite number")
                .to_owned(),
        },
        _ if message.starts_with("budget breached") || message.contains("recursion limit") => {
            ParseError::Limit {
                pos,
                message: limit_message(&message),
            }
        }
        _ => ParseError::Syntax { pos, message },
    }
}

fn limit_message(message: &str) -> String {
    if message.contains("Depth") || message.contains("recursion") {
        format!("nesting deeper than {MAX_DEPTH} levels")
    } else if message.contains("Alias") || message.contains("Nodes") {
        format!(
            "the document expands to too many values (at most {MAX_ALIASES} aliases and {MAX_NODES} values): aliases that multiply (\"billion laughs\") are refused"
        )
    } else {
        other_limit(message, &serde_saphyr::Budget::default())
    }
}

/// Any other limit of the parser's budget, in words with the limit (never the parser's
/// debug text, `ScalarBytes { total_scalar_bytes: … }`).
fn other_limit(message: &str, budget: &serde_saphyr::Budget) -> String {
    let name: String = message
        .trim_start_matches("budget breached")
        .trim_start_matches(':')
        .trim()
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    match name.as_str() {
        "ScalarBytes" => format!(
            "the document's text values add up to more than {} bytes (an alias repeats the text it points at)",
            budget.max_total_scalar_bytes
        ),
        "Events" => format!(
            "the document is longer than {} parser events",
            budget.max_events
        ),
        "Anchors" => format!(
            "the document defines more than {} anchors",
            budget.max_anchors
        ),
        "MergeKeys" => format!(
            "the document has more than {} merge keys (`<<`)",
            budget.max_merge_keys
        ),
        "Documents" => "the file holds more than one YAML document".to_owned(),
        _ => {
            // CamelCase to words: `CommentBytes` -> `comment bytes`.
            let mut words = String::new();
            for c in name.chars() {
                if c.is_ascii_uppercase() && !words.is_empty() {
                    words.push(' ');
                }
                words.push(c.to_ascii_lowercase());
            }
            if words.is_empty() {
                "the document is over one of the parser's limits".to_owned()
            } else {
                format!("the document is over the parser's limit on {words}")
            }
        }
    }
}

/// Removes the trailing " at line L, column C (…)" the parser appends.
fn strip_location(text: &str) -> String {
    let first = text.lines().next().unwrap_or_default();
    match first.find(" at line ") {
        Some(i) => first[..i].to_owned(),
        None => first.to_owned(),
    }
}

/// YAML requires the continuation lines of a multi-line quoted scalar inside a block
/// collection to be indented more than that collection; the parser lets some through.
/// Returns the position of the first offending line.
fn quoted_scalar_indentation(
    node: &Node,
    lines: &LineStarts,
    block_indent: Option<usize>,
) -> Option<Pos> {
    match &node.value {
        Value::Map(entries) => entries.iter().find_map(|(k, v)| {
            quoted_scalar_indentation(k, lines, block_indent)
                .or_else(|| quoted_scalar_indentation(v, lines, Some(k.pos.column as usize - 1)))
        }),
        Value::Seq(items) => items.iter().find_map(|item| {
            let indent = lines.dash_before(item.span.map(|s| s.0)?);
            quoted_scalar_indentation(item, lines, indent.or(block_indent))
        }),
        Value::Str(_) => {
            let indent = block_indent?;
            let (start, len) = node.span?;
            let text = lines.source.get(start..start + len)?;
            if !(text.starts_with('"') || text.starts_with('\'')) {
                return None;
            }
            let mut line = node.pos.line;
            for continuation in text.split('\n').skip(1) {
                line += 1;
                let spaces = continuation.len() - continuation.trim_start_matches(' ').len();
                let rest = &continuation[spaces..];
                if !rest.trim().is_empty() && spaces <= indent {
                    return Some(Pos::new(line, spaces as u32 + 1));
                }
            }
            None
        }
        _ => None,
    }
}

/// The source with the offset of the start of every line, found in one pass, so that
/// looking back from a node to the start of its line costs a binary search rather than a
/// scan of the line (which made a long one-line flow list quadratic).
struct LineStarts<'a> {
    source: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineStarts<'a> {
    fn new(source: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineStarts { source, starts }
    }

    /// For a block sequence item, the indentation of its `-` indicator: the column of a `-`
    /// followed by nothing but white space up to `offset` on the same line.
    fn dash_before(&self, offset: usize) -> Option<usize> {
        let line_start = self.starts[self.starts.partition_point(|&s| s <= offset) - 1];
        let line = self.source.get(line_start..offset)?;
        // Only the white space just before the item is looked at, not the whole line.
        let line = line.trim_end();
        line.ends_with('-').then(|| line.len() - 1)
    }
}

/// The tree exactly as serde-saphyr hands it over.
struct Raw(RawValue);

enum RawValue {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<Raw>, Spanned<Raw>)>),
}

fn into_node(raw: Spanned<Raw>) -> Node {
    let pos = Pos::new(raw.defined.line() as u32, raw.defined.column() as u32);
    let span = raw.defined.span();
    let span = span
        .byte_offset()
        .zip(span.byte_len())
        .map(|(o, l)| (o as usize, l as usize));
    let value = match raw.value.0 {
        RawValue::Null => Value::Null,
        RawValue::Bool(b) => Value::Bool(b),
        RawValue::Int(i) => Value::Int(i),
        RawValue::Float(f) => Value::Float(f),
        RawValue::Str(s) => Value::Str(s),
        RawValue::Seq(items) => Value::Seq(items.into_iter().map(into_node).collect()),
        RawValue::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (into_node(k), into_node(v)))
                .collect(),
        ),
    };
    Node { value, pos, span }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = Raw;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Raw, E> {
                Ok(Raw(RawValue::Null))
            }
            fn visit_none<E>(self) -> Result<Raw, E> {
                Ok(Raw(RawValue::Null))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
                Raw::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
                Ok(Raw(RawValue::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
                Ok(Raw(RawValue::Int(v.into())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
                Ok(Raw(RawValue::Int(v.into())))
            }
            fn visit_i128<E>(self, v: i128) -> Result<Raw, E> {
                Ok(Raw(RawValue::Int(v)))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Raw, E> {
                i128::try_from(v)
                    .map(|v| Raw(RawValue::Int(v)))
                    .map_err(|_| E::custom("integer too large"))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
                Ok(Raw(RawValue::Float(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
                Ok(Raw(RawValue::Str(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Raw, E> {
                Ok(Raw(RawValue::Str(v)))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Raw, E> {
                Ok(Raw(RawValue::Str(String::from_utf8_lossy(v).into_owned())))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = a.next_element()? {
                    items.push(item);
                }
                Ok(Raw(RawValue::Seq(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Raw, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = a.next_entry()? {
                    entries.push(entry);
                }
                Ok(Raw(RawValue::Map(entries)))
            }
        }
        d.deserialize_any(RawVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> ParseError {
        parse(src).expect_err("should not parse")
    }

    #[test]
    fn a_limit_is_said_in_words_with_the_limit() {
        let budget = serde_saphyr::Budget::default();
        let m = other_limit(
            "budget breached: ScalarBytes { total_scalar_bytes: 67500002 }",
            &budget,
        );
        assert!(
            m.contains(&budget.max_total_scalar_bytes.to_string()),
            "{m}"
        );
        assert!(!m.contains('{') && !m.contains("ScalarBytes"), "{m}");
        let m = other_limit(
            "budget breached: CommentBytes { comment_bytes: 9 }",
            &budget,
        );
        assert_eq!(
            m,
            "the document is over the parser's limit on comment bytes"
        );
    }

    #[test]
    fn keeps_positions_and_plain_text() {
        let node = parse("id: x\nyear: 2024\nok: yes\n").unwrap().unwrap();
        let Value::Map(entries) = &node.value else {
            panic!("not a map")
        };
        assert_eq!(entries[1].1.pos, Pos::new(2, 7));
        assert_eq!(
            entries[1]
                .1
                .scalar_text("id: x\nyear: 2024\nok: yes\n")
                .unwrap(),
            "2024"
        );
        // YAML 1.2: `yes` is a string, not a boolean.
        assert_eq!(entries[2].1.value, Value::Str("yes".into()));
    }

    #[test]
    fn empty_and_comment_only_files_have_no_document() {
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("# nothing\n").unwrap(), None);
    }

    #[test]
    fn classifies_errors() {
        assert!(
            matches!(err("a: 1\na: 2\n"), ParseError::DuplicateKey { pos, ref key } if pos == Pos::new(2, 1) && key == "a")
        );
        assert!(matches!(
            err("a: 1\n---\nb: 2\n"),
            ParseError::MultipleDocuments { .. }
        ));
        assert!(matches!(err("a:\n\tb: 1\n"), ParseError::Syntax { .. }));
        assert!(matches!(
            err(&format!("a: {}{}", "[".repeat(20_000), "]".repeat(20_000))),
            ParseError::Limit { .. }
        ));
    }

    #[test]
    fn under_indented_quoted_continuation_is_a_syntax_error() {
        assert!(
            matches!(err("quoted: \"a\nb\nc\"\n"), ParseError::Syntax { pos, .. } if pos == Pos::new(2, 1))
        );
        assert!(parse("quoted: \"a\n  b\"\n").is_ok());
        assert!(parse("\"a\nb\"\n").is_ok());
    }

    #[test]
    fn reports_bad_utf8_position() {
        let e = decode_utf8(b"a: 1\nb: \xff\n").unwrap_err();
        assert_eq!(e.pos(), Pos::new(2, 4));
    }
}
