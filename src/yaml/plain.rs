//! A fast reader for the plain shape nearly every handbook file has, exact to the full parser.
//!
//! A policy is a block mapping of one-line plain and quoted scalars, one-line flow lists and
//! mappings, and a literal `|` body. Reading that shape directly costs a few instructions a
//! byte instead of a few hundred. The reader gives exactly the tree `serde-saphyr` gives (the
//! same values, positions and byte spans), or `None` for anything it does not fully recognise
//! (anchors, tags, aliases, folded or multi-line scalars, escapes, empty values, duplicate
//! keys, several documents, tabs, odd indentation, …), and the full parser then reads the
//! file, with its messages and limits. The differential tests hold the two readers to that.

use super::{Node, Value};
use crate::diag::Pos;

/// Most nodes read here; a larger file goes to the full parser, which keeps the limits.
const MAX_NODES: usize = 100_000;
/// Deepest block nesting read here.
const MAX_DEPTH: usize = 8;
/// Longest key read here (the full parser looks at most 1,024 characters ahead for a key).
const MAX_KEY: usize = 128;

/// Reads `source` when it has the plain shape; `None` sends it to the full parser.
pub(super) fn parse(source: &str) -> Option<Node> {
    if !plain_text(source) {
        return None;
    }
    let mut r = Reader {
        src: source,
        b: source.as_bytes(),
        start: 0,
        line: 1,
        ascii: source.is_ascii(),
        col_cache: (0, 1),
        nodes: 0,
    };
    r.skip_empty_lines();
    if r.at_end() || r.indent() != 0 {
        return None;
    }
    let root = r.block_map(0, 0, false)?;
    r.at_end().then_some(root)
}

/// No tab, carriage return or other control character, and no character the full parser
/// treats specially (a byte order mark, line and paragraph separators, non-characters).
fn plain_text(source: &str) -> bool {
    // In blocks and without stopping early, so that the check runs many bytes at a time.
    let control = |block: &[u8]| {
        block.iter().fold(false, |bad, &b| {
            bad | ((b < 0x20) & (b != b'\n')) | (b == 0x7f)
        })
    };
    !source.as_bytes().chunks(64).any(control)
        && (source.is_ascii()
            || source.chars().all(|c| {
                c.is_ascii()
                    || (c >= '\u{a0}'
                        && !matches!(
                            c,
                            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                        ))
            }))
}

/// A cursor at the start of a line.
struct Reader<'a> {
    src: &'a str,
    b: &'a [u8],
    /// Byte offset of the current line.
    start: usize,
    /// The current line's number, from 1.
    line: u32,
    ascii: bool,
    /// The last offset whose column was counted on the current line, and that column.
    col_cache: (usize, u32),
    nodes: usize,
}

/// Characters that cannot start a plain scalar here (or start something else).
fn is_indicator(b: u8) -> bool {
    matches!(
        b,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// The value of a plain scalar as the full parser resolves it (YAML 1.2 core schema with
/// strict booleans), or `None` when it is not plainly a null, boolean, integer, decimal
/// number or string.
fn resolve(text: &str) -> Option<Value> {
    match text {
        "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    let b = text.as_bytes();
    if b.is_empty() {
        return None;
    }
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if digits(b) {
        // No leading zero (octal spellings and zero-padded strings), and within u64.
        if b.len() > 18 || (b.len() > 1 && b[0] == b'0') {
            return None;
        }
        return text.parse().ok().map(Value::Int);
    }
    if b[0].is_ascii_alphabetic() {
        // Only `.inf`-like and digit-led spellings are numbers; letters first is text.
        return Some(Value::Str(text.to_owned()));
    }
    if let Some(dot) = text.find('.')
        && b.len() <= 30
        && digits(&b[..dot])
        && digits(&b[dot + 1..])
    {
        return Some(Value::Float(text.parse().ok()?));
    }
    let date = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    // A character no number has makes it text.
    let textual = b
        .iter()
        .any(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.' | b'_')));
    (date || textual).then(|| Value::Str(text.to_owned()))
}

impl<'a> Reader<'a> {
    fn at_end(&self) -> bool {
        self.start >= self.b.len()
    }

    /// End of the current line (its `\n`, or the end of the text).
    fn line_end(&self) -> usize {
        self.src[self.start..]
            .find('\n')
            .map_or(self.b.len(), |i| self.start + i)
    }

    fn next_line(&mut self) {
        let end = self.line_end();
        self.start = (end + 1).min(self.b.len());
        self.line += 1;
        self.col_cache = (self.start, 1);
    }

    /// Spaces at the start of the current line.
    fn indent(&self) -> usize {
        self.b[self.start..]
            .iter()
            .take_while(|b| **b == b' ')
            .count()
    }

    /// Skips lines that are empty, only spaces, or only a comment.
    fn skip_empty_lines(&mut self) {
        while !self.at_end() {
            let at = self.start + self.indent();
            if at < self.b.len() && !matches!(self.b[at], b'\n' | b'#') {
                return;
            }
            self.next_line();
        }
    }

    /// The column (in characters, from 1) of byte `at` on the current line.
    fn col(&mut self, at: usize) -> u32 {
        if self.ascii {
            return (at - self.start) as u32 + 1;
        }
        let (from, col) = if at >= self.col_cache.0 {
            self.col_cache
        } else {
            (self.start, 1)
        };
        let col = col + self.src[from..at].chars().count() as u32;
        self.col_cache = (at, col);
        col
    }

    fn node(&mut self, value: Value, at: usize, len: usize) -> Option<Node> {
        self.nodes += 1;
        (self.nodes <= MAX_NODES).then(|| Node {
            value,
            pos: Pos::new(self.line, self.col(at)),
            span: Some((at, len)),
        })
    }

    /// A block mapping whose keys stand at column `indent`; the cursor is on its first key.
    /// A `compact` mapping starts on the line of its list item's `-`.
    fn block_map(&mut self, indent: usize, depth: usize, compact: bool) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let first = self.start + indent;
        let mut map = self.node(Value::Null, first, 0)?;
        let mut entries: Vec<(Node, Node)> = Vec::new();
        let mut on_dash_line = compact;
        loop {
            if !std::mem::take(&mut on_dash_line) {
                self.skip_empty_lines();
                if self.at_end() {
                    break;
                }
                let ind = self.indent();
                if ind < indent {
                    break;
                }
                if ind > indent {
                    return None;
                }
            }
            let end = self.line_end();
            let at = self.start + indent;
            let key_len = self.b[at..end]
                .iter()
                .take_while(|b| is_key_char(**b))
                .count();
            let colon = at + key_len;
            if key_len == 0
                || key_len > MAX_KEY
                || !self.b[at].is_ascii_alphabetic()
                || self.b.get(colon) != Some(&b':')
                || !(colon + 1 == end || self.b[colon + 1] == b' ')
            {
                return None;
            }
            let key_text = &self.src[at..colon];
            let Some(Value::Str(key)) = resolve(key_text) else {
                return None;
            };
            if entries.iter().any(|(k, _)| k.as_str() == Some(key_text)) {
                return None;
            }
            let key = self.node(Value::Str(key), at, key_len)?;
            let value_at = colon + 1 + count_spaces(&self.b[colon + 1..end]);
            let value = if value_at == end || self.b[value_at] == b'#' {
                self.next_line();
                self.nested(indent, depth)?
            } else {
                self.inline(value_at, end, indent, true)?
            };
            entries.push((key, value));
        }
        map.value = Value::Map(entries);
        Some(map)
    }

    /// The block value under a key at column `indent` that has nothing after its colon.
    fn nested(&mut self, indent: usize, depth: usize) -> Option<Node> {
        self.skip_empty_lines();
        if self.at_end() {
            return None;
        }
        let ind = self.indent();
        let at = self.start + ind;
        if self.b[at] == b'-' && matches!(self.b.get(at + 1), Some(b' ')) {
            return (ind >= indent).then(|| self.block_seq(ind, ind == indent, depth + 1))?;
        }
        (ind > indent).then(|| self.block_map(ind, depth + 1, false))?
    }

    /// A block sequence whose `-` stand at column `indent` (`indentless` when at its key's).
    fn block_seq(&mut self, indent: usize, indentless: bool, depth: usize) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let dash = self.start + indent;
        let mut seq: Option<Node> = None;
        let mut items = Vec::new();
        loop {
            self.skip_empty_lines();
            if self.at_end() {
                break;
            }
            let ind = self.indent();
            if ind < indent {
                break;
            }
            if ind > indent {
                return None;
            }
            let at = self.start + indent;
            let end = self.line_end();
            if self.b[at] != b'-' || !matches!(self.b.get(at + 1), Some(b' ')) {
                if indentless {
                    break;
                }
                return None;
            }
            let item_at = at + 1 + count_spaces(&self.b[at + 1..end]);
            if item_at == end || self.b[item_at] == b'#' {
                return None;
            }
            if seq.is_none() {
                // The full parser places an indented sequence at its first `-`, and one at
                // its key's column at its first item.
                let place = if indentless { item_at } else { dash };
                seq = Some(self.node(Value::Null, place, 0)?);
            }
            let key_len = self.b[item_at..end]
                .iter()
                .take_while(|b| is_key_char(**b))
                .count();
            let item = if key_len > 0
                && self.b[item_at].is_ascii_alphabetic()
                && self.b.get(item_at + key_len) == Some(&b':')
                && matches!(self.b.get(item_at + key_len + 1), None | Some(b' ' | b'\n'))
            {
                self.block_map(item_at - self.start, depth + 1, true)?
            } else {
                self.inline(item_at, end, indent, false)?
            };
            items.push(item);
        }
        let mut seq = seq?;
        seq.value = Value::Seq(items);
        Some(seq)
    }

    /// A value that starts at byte `at` of the current line (which ends at `end`), under a
    /// block collection at column `indent`; moves past it.
    fn inline(&mut self, at: usize, end: usize, indent: usize, block_scalar: bool) -> Option<Node> {
        let (node, after) = match self.b[at] {
            b'"' | b'\'' => self.quoted(at, end)?,
            b'[' => self.flow(at, end, false)?,
            b'{' => self.flow(at, end, true)?,
            b'|' if block_scalar => return self.literal(at, end, indent),
            b if is_indicator(b) => return None,
            _ => {
                // One pass to the comment (` #`), if any; `: ` or a colon at the end
                // would make the text a key.
                let line = &self.b[at..end];
                let mut stop = line.len();
                for (i, &c) in line.iter().enumerate() {
                    if c == b'#' && line[i - 1] == b' ' {
                        stop = i;
                        break;
                    }
                    if c == b':' && line.get(i + 1).is_none_or(|c| *c == b' ') {
                        return None;
                    }
                }
                let text = self.src[at..at + stop].trim_end_matches(' ');
                let value = resolve(text)?;
                (self.node(value, at, text.len())?, at + text.len())
            }
        };
        if !self.rest_is_comment(after, end) {
            return None;
        }
        self.next_line();
        Some(node)
    }

    /// Whether the line from `at` to `end` holds nothing but spaces and a comment.
    fn rest_is_comment(&self, at: usize, end: usize) -> bool {
        let spaces = count_spaces(&self.b[at..end]);
        at + spaces == end || (spaces > 0 && self.b[at + spaces] == b'#')
    }

    /// A one-line quoted scalar at `at`, and the byte after it.
    fn quoted(&mut self, at: usize, end: usize) -> Option<(Node, usize)> {
        let quote = self.b[at];
        let body = &self.src[at + 1..end];
        let (value, len) = if quote == b'"' {
            let close = body.find('"')?;
            let text = &body[..close];
            if text.contains('\\') {
                return None;
            }
            (text.to_owned(), close + 2)
        } else {
            let mut value = String::new();
            let mut i = 0;
            loop {
                let close = i + body[i..].find('\'')?;
                value.push_str(&body[i..close]);
                if body.as_bytes().get(close + 1) == Some(&b'\'') {
                    value.push('\'');
                    i = close + 2;
                } else {
                    break (value, close + 2);
                }
            }
        };
        Some((self.node(Value::Str(value), at, len)?, at + len))
    }

    /// A one-line flow sequence (or mapping) of scalars at `at`, and the byte after it.
    fn flow(&mut self, at: usize, end: usize, mapping: bool) -> Option<(Node, usize)> {
        let close = if mapping { b'}' } else { b']' };
        let mut node = self.node(Value::Null, at, 1)?;
        let mut items = Vec::new();
        let mut entries: Vec<(Node, Node)> = Vec::new();
        let mut p = at + 1;
        p += count_spaces(&self.b[p..end]);
        if p < end && self.b[p] == close {
            p += 1;
        } else {
            loop {
                if mapping {
                    let key_len = self.b[p..end]
                        .iter()
                        .take_while(|b| is_key_char(**b))
                        .count();
                    let colon = p + key_len;
                    if key_len == 0
                        || key_len > MAX_KEY
                        || !self.b[p].is_ascii_alphabetic()
                        || self.b.get(colon) != Some(&b':')
                        || self.b.get(colon + 1) != Some(&b' ')
                        || colon + 1 >= end
                    {
                        return None;
                    }
                    let text = &self.src[p..colon];
                    let Some(Value::Str(key)) = resolve(text) else {
                        return None;
                    };
                    if entries.iter().any(|(k, _)| k.as_str() == Some(text)) {
                        return None;
                    }
                    let key = self.node(Value::Str(key), p, key_len)?;
                    p = colon + 1;
                    p += count_spaces(&self.b[p..end]);
                    let (value, after) = self.flow_scalar(p, end)?;
                    entries.push((key, value));
                    p = after + count_spaces(&self.b[after..end]);
                } else {
                    let (item, after) = self.flow_scalar(p, end)?;
                    items.push(item);
                    p = after + count_spaces(&self.b[after..end]);
                }
                match self.b.get(p) {
                    Some(b',') if p < end => {
                        p += 1;
                        p += count_spaces(&self.b[p..end]);
                        if p >= end || self.b[p] == close {
                            return None;
                        }
                    }
                    Some(&b) if b == close && p < end => {
                        p += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        node.value = if mapping {
            Value::Map(entries)
        } else {
            Value::Seq(items)
        };
        Some((node, p))
    }

    /// A quoted scalar, or a plain one that holds no `:` or comment, inside a flow collection.
    fn flow_scalar(&mut self, at: usize, end: usize) -> Option<(Node, usize)> {
        if at >= end {
            return None;
        }
        match self.b[at] {
            b'"' | b'\'' => self.quoted(at, end),
            b if is_indicator(b) => None,
            _ => {
                let len = self.b[at..end]
                    .iter()
                    .take_while(|b| !matches!(b, b',' | b'[' | b']' | b'{' | b'}' | b':' | b'#'))
                    .count();
                let text = self.src[at..at + len].trim_end_matches(' ');
                let stop = self.b.get(at + len);
                if matches!(stop, Some(b':' | b'#' | b'[' | b'{')) && at + len < end {
                    return None;
                }
                let value = resolve(text)?;
                Some((self.node(value, at, text.len())?, at + text.len()))
            }
        }
    }

    /// A literal block scalar whose `|` is at `at`, under a key at column `indent`.
    fn literal(&mut self, at: usize, end: usize, indent: usize) -> Option<Node> {
        let mut p = at + 1;
        let strip = self.b.get(p) == Some(&b'-') && p < end;
        if strip {
            p += 1;
        }
        if !self.rest_is_comment(p, end) {
            return None;
        }
        self.next_line();
        if self.at_end() {
            return None;
        }
        let content = self.indent();
        let line_end = self.line_end();
        if content <= indent || self.start + content == line_end {
            return None;
        }
        let first = self.start + content;
        let pos = Pos::new(self.line, content as u32 + 1);
        let mut value = String::new();
        let mut blank = 0;
        while !self.at_end() {
            let end = self.line_end();
            let spaces = self.indent();
            if self.start + spaces == end {
                if spaces > content {
                    return None;
                }
                blank += 1;
            } else if spaces < content {
                break;
            } else {
                for _ in 0..blank {
                    value.push('\n');
                }
                blank = 0;
                value.push_str(&self.src[self.start + content..end]);
                value.push('\n');
            }
            self.next_line();
        }
        if strip {
            value.pop();
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return None;
        }
        // The full parser's span takes in the indentation of the line that ends the text.
        let span_end = (self.start + self.indent()).min(self.b.len());
        Some(Node {
            value: Value::Str(value),
            pos,
            span: Some((first, span_end - first)),
        })
    }
}

fn count_spaces(b: &[u8]) -> usize {
    b.iter().take_while(|c| **c == b' ').count()
}
