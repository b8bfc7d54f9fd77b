//! [`Fields`] of many texts of one policy, each top-level entry parsed once: consecutive
//! texts of a policy share most of their lines (an edit rewrites a paragraph of the body,
//! or raises the revision), so a text is cut into its top-level entries and only the
//! entries no earlier text had are parsed, each as a YAML document of its own.
//!
//! That reading equals parsing the whole text only for plain block mappings, so anything
//! else is parsed whole: a text with anchors or aliases (`&`, `*`), tabs, carriage
//! returns, directives or document markers, a byte-order mark, a first line that is not a
//! comment or a simple key, or over [`MAX_CUT_BYTES`]; and any text an entry of which does
//! not read back alone as a mapping of exactly its one key, or whose keys repeat. A
//! top-level entry runs from a line starting with a simple key (`name:` at column 0) to
//! the next such line: at column 0 nothing else can continue it (block scalars and nested
//! collections are indented, a quoted string's continuation lines must be indented more
//! than its key, and an unclosed flow collection or quote does not read alone).

use super::Fields;
use crate::yaml::{self, Value};
use serde_json::Value as Json;
// foldhash: the keys are whole entries (a paragraph of a body), hashed on every look-up.
use foldhash::{HashMap, HashSet, HashSetExt};
use std::sync::Arc;

/// The fields of one top-level entry, shared by the texts that have it.
type Part = Arc<[(String, Json)]>;

/// Texts longer than this are parsed whole (the parser's node budget is per document).
pub const MAX_CUT_BYTES: usize = 256 * 1024;

/// The fields of each top-level entry seen so far, by the entry's text.
#[derive(Default)]
pub struct EntryCache<'t> {
    entries: HashMap<&'t str, Part>,
}

/// A text's fields as [`Fields::of`] reads them, held as the fields of each top-level entry
/// (shared with the other texts that have the entry, not copied), or as one part when the
/// text was parsed whole.
#[derive(Debug, Default)]
pub struct FieldParts(Vec<Part>);

impl FieldParts {
    /// The fields in document order.
    pub fn leaves(&self) -> impl Iterator<Item = &(String, Json)> + Clone {
        self.0.iter().flat_map(|p| p.iter())
    }

    /// A top-level text field, or "" when absent (as [`Fields::text`]).
    pub fn text(&self, key: &str) -> &str {
        match self.leaves().find(|(p, _)| p == key) {
            Some((_, Json::String(s))) => s,
            _ => "",
        }
    }
}

impl<'t> EntryCache<'t> {
    /// The fields of `source`, as [`Fields::of`] reads them.
    pub fn fields(&mut self, source: &'t str) -> Fields {
        Fields(self.parts(source).leaves().cloned().collect())
    }

    /// [`EntryCache::fields`] without copying them out of the cache.
    pub fn parts(&mut self, source: &'t str) -> FieldParts {
        self.cut(source)
            .unwrap_or_else(|| FieldParts(vec![Fields::of(source).0.into()]))
    }

    /// `None`: the text must be parsed whole.
    fn cut(&mut self, source: &'t str) -> Option<FieldParts> {
        let entries = entries(source)?;
        let mut keys = HashSet::with_capacity(entries.len());
        if !entries.iter().all(|e| keys.insert(e.key)) {
            return None;
        }
        // Each entry's fields, when an earlier text had the entry.
        let mut parts: Vec<Option<Part>> = entries
            .iter()
            .map(|e| self.entries.get(&source[e.range()]).cloned())
            .collect();
        // Each run of entries not seen yet is parsed as one document.
        let mut i = 0;
        while i < entries.len() {
            if parts[i].is_some() {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            while j < entries.len() && parts[j].is_none() {
                j += 1;
            }
            for (part, fields) in parts[i..j]
                .iter_mut()
                .zip(self.parse_run(source, &entries[i..j])?)
            {
                *part = Some(fields);
            }
            i = j;
        }
        parts.into_iter().collect::<Option<_>>().map(FieldParts)
    }

    /// Reads consecutive entries and keeps each one's fields (also returned, in order): a
    /// literal block on its own without the parser, the entries between as one document
    /// each run. `None` when a document does not read as a mapping of exactly its keys.
    fn parse_run(&mut self, source: &'t str, run: &[Entry<'t>]) -> Option<Vec<Part>> {
        let mut out = Vec::with_capacity(run.len());
        let mut from = 0;
        for (k, e) in run.iter().enumerate() {
            if let Some(value) = literal_block(&source[e.range()]) {
                if from < k {
                    out.extend(self.parse_document(source, &run[from..k])?);
                }
                let fields: Arc<[_]> = vec![(e.key.to_owned(), Json::String(value))].into();
                self.entries.insert(&source[e.range()], Arc::clone(&fields));
                out.push(fields);
                from = k + 1;
            }
        }
        if from < run.len() {
            out.extend(self.parse_document(source, &run[from..])?);
        }
        Some(out)
    }

    /// Parses consecutive entries as one document and keeps each one's fields (also
    /// returned, in order), when it reads as a mapping of exactly their keys in their order.
    fn parse_document(&mut self, source: &'t str, run: &[Entry<'t>]) -> Option<Vec<Part>> {
        let (start, end) = (run.first()?.start, run.last()?.end);
        let text = &source[start..end];
        let node = yaml::parse(text).ok()??;
        let Value::Map(m) = &node.value else {
            return None;
        };
        if m.len() != run.len()
            || m.iter()
                .zip(run)
                .any(|((k, _), e)| k.as_str() != Some(e.key))
        {
            return None;
        }
        let mut out = Vec::with_capacity(run.len());
        for ((_, value), e) in m.iter().zip(run) {
            let mut f = Fields::default();
            f.flatten(e.key.to_owned(), value, text);
            let fields: Arc<[_]> = f.0.into();
            self.entries.insert(&source[e.range()], Arc::clone(&fields));
            out.push(fields);
        }
        Some(out)
    }
}

/// The value of an entry `key: |` (a literal block, the usual shape of a policy's body, and
/// the entry an edit changes most), read as the parser reads it, without the parser: lines
/// of printable ASCII, each empty or starting with the first one's indentation, the last
/// ending in a line break; "clip" chomping keeps one line break at the end. `None` for
/// anything else (the parser reads it).
fn literal_block(text: &str) -> Option<String> {
    let (head, rest) = text.split_once('\n')?;
    if !head.ends_with(": |")
        || head.len() != head.find(':')? + 3
        || !rest.ends_with('\n')
        || any_byte(rest, |b| (b != b'\n') & !(b' '..=b'~').contains(&b))
    {
        return None;
    }
    let mut indent = 0;
    let mut out = String::with_capacity(rest.len());
    // `rest` ends with a line break: every line has one.
    for line in super::lines_of(rest).map(|l| &l[..l.len() - 1]) {
        if line.is_empty() {
            out.push('\n');
            continue;
        }
        if indent == 0 {
            indent = line.len() - line.trim_start_matches(' ').len();
            if indent == 0 {
                return None;
            }
        }
        if line.len() < indent || line.bytes().take(indent).any(|b| b != b' ') {
            return None;
        }
        let content = &line[indent..];
        // A line of spaces only is read by rules of its own: leave it to the parser.
        if content.trim_start_matches(' ').is_empty() {
            return None;
        }
        out.push_str(content);
        out.push('\n');
    }
    let kept = out.trim_end_matches('\n').len();
    out.truncate(if kept == 0 { 0 } else { kept + 1 });
    Some(out)
}

/// Whether `hit` holds for any byte of `text`: a block at a time, without stopping at
/// each byte, so that the test of a block runs on many bytes at once (folded as `u8`: a
/// `bool` fold is not vectorised).
fn any_byte(text: &str, hit: impl Fn(u8) -> bool) -> bool {
    text.as_bytes()
        .chunks(64)
        .any(|block| block.iter().fold(0u8, |any, &b| any | u8::from(hit(b))) != 0)
}

/// A top-level entry: its key and where its text is.
struct Entry<'t> {
    key: &'t str,
    start: usize,
    end: usize,
}

impl Entry<'_> {
    fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}

/// The top-level entries of a text, or `None` when it is not cut.
fn entries(source: &str) -> Option<Vec<Entry<'_>>> {
    if source.len() > MAX_CUT_BYTES
        || source.starts_with('\u{feff}')
        || any_byte(source, |b| {
            (b == b'&') | (b == b'*') | (b == b'\t') | (b == b'\r')
        })
    {
        return None;
    }
    let mut out: Vec<Entry> = Vec::new();
    let mut offset = 0;
    for line in super::lines_of(source) {
        if line.starts_with('%') || line.starts_with("---") || line.starts_with("...") {
            return None;
        }
        if let Some(key) = simple_key(line) {
            if let Some(last) = out.last_mut() {
                last.end = offset;
            }
            out.push(Entry {
                key,
                start: offset,
                end: source.len(),
            });
        } else if out.is_empty() {
            // Before the first key: only blank lines and comments.
            let t = line.trim_start_matches(' ');
            if !(t.trim_end().is_empty() || t.starts_with('#')) {
                return None;
            }
        }
        offset += line.len();
    }
    (!out.is_empty()).then_some(out)
}

/// The key of a line `name:` or `name: value` at column 0 (a letter or `_`, then letters,
/// digits, `_` and `-`).
fn simple_key(line: &str) -> Option<&str> {
    let bytes = line.as_bytes();
    if !bytes
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    {
        return None;
    }
    let end = bytes
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')))?;
    if bytes[end] != b':' || !matches!(bytes.get(end + 1), None | Some(b' ' | b'\n')) {
        return None;
    }
    Some(&line[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(texts: &[&str]) {
        let mut cache = EntryCache::default();
        for t in texts {
            assert_eq!(cache.fields(t).0, Fields::of(t).0, "{t:?}");
        }
    }

    #[test]
    fn cut_texts_read_as_whole_ones() {
        let a = "# c\nid: p\nkind: metric\ntarget: { op: \"<=\", value: 45 }\ntags:\n- a\n- b\nbody: |\n  One.\n\n  Two.\nrevision: 2\n";
        let b = "# c\nid: p\nkind: metric\ntarget: { op: \"<=\", value: 30 }\ntags:\n- a\n- b\nbody: |\n  One.\n\n  Three.\nrevision: 3\n";
        assert!(entries(a).is_some());
        same(&[a, b, a]);
        same(&[
            "a: 1\nb:\nc: true\n",
            "a: 2\nb: [x,\n  y]\n",
            "x: \"q\n  r\"\ny: >\n  folded\n  text\n",
            "a: 1\na: 2\n",
            "a: [1,\nb: 2]\n",
            "a: \"x\nb: y\"\n",
            "a: |\nb: 1\n",
            "null: 1\n",
            "  a: 1\nb: 2\n",
            "? a\n: 1\n",
            "a: 1\n---\nb: 2\n",
            "a: &x 1\nb: *x\n",
            "",
            "not: [yaml",
            "- a\n- b\n",
            "a: 1\n  b: 2\n",
            "a:\n  b: 1\n  c: [1, 2]\nd: {e: 1}\n",
        ]);
    }

    #[test]
    fn literal_blocks_read_as_the_parser_reads_them() {
        let bodies = [
            "body: |\n  One.\n\n  Two\n  lines.\n",
            "body: |\n  One.\n\n\n",
            "body: |\n\n  After a blank line.\n",
            "body: |\n    Deeper.\n      Deeper still.\n    Back.\n",
            "body: |\n  # not a comment\n  a: b\n  - c\n",
            "body: |\n  trailing  \n  x\n",
            "body: |\n",
            "body: |\n\n\n",
            "body: |\n  x\n \n  y\n",
            "body: |\n    x\n  y\n",
            "body: |\n  x",
            "body: |-\n  x\n",
            "body: |  \n  x\n",
            "body: |\n  caf\u{e9}\n",
            "body: |\n  x\n# trailing comment\n",
        ];
        for b in bodies {
            let text = format!("id: p\n{b}");
            same(&[&text]);
            same(&["id: p\nbody: |\n  Other.\n", &text]);
        }
        assert_eq!(
            literal_block("body: |\n  One.\n\n  Two.\n\n").as_deref(),
            Some("One.\n\nTwo.\n")
        );
        assert_eq!(literal_block("body: |\n  x\n \n"), None);
        assert_eq!(literal_block("body: >\n  x\n"), None);
    }

    #[test]
    fn only_plain_block_mappings_are_cut() {
        assert!(entries("a: 1\n").is_some());
        for t in [
            "a: &x 1\n",
            "\u{feff}a: 1\n",
            "a:\t1\n",
            "%YAML 1.2\n---\na: 1\n",
            "{a: 1}\n",
            "",
            "# only\n",
        ] {
            assert!(entries(t).is_none(), "{t:?}");
        }
        assert_eq!(simple_key("ab-c_1: x\n"), Some("ab-c_1"));
        assert_eq!(simple_key("a:b\n"), None);
        assert_eq!(simple_key("-a: 1\n"), None);
        assert_eq!(simple_key("a:"), Some("a"));
    }
}
