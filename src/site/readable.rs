//! Revision diffs as a reader reads them: changes widened to whole tokens (so "08:00" ->
//! "07:00" reads as two times, not "0807:00"), word diffs of text fields as HTML, and the
//! body's diff rendered as Markdown with insertions and deletions marked. Pure.

use super::markdown;
use crate::diff::{Chunk, Op};

/// A change or a run of kept text.
enum Seg {
    Equal(String),
    Change { old: String, new: String },
}

/// The chunks with every change widened to whole whitespace-separated tokens: the kept
/// text around a change up to the nearest whitespace moves into the change (on both
/// sides), and changes that then touch are merged.
pub fn whole_tokens(chunks: &[Chunk]) -> Vec<Chunk> {
    let mut segs: Vec<Seg> = Vec::new();
    for c in chunks {
        match (c.op, segs.last_mut()) {
            (Op::Equal, _) => segs.push(Seg::Equal(c.text.clone())),
            (Op::Delete, Some(Seg::Change { old, .. })) => old.push_str(&c.text),
            (Op::Insert, Some(Seg::Change { new, .. })) => new.push_str(&c.text),
            (Op::Delete, _) => segs.push(Seg::Change {
                old: c.text.clone(),
                new: String::new(),
            }),
            (Op::Insert, _) => segs.push(Seg::Change {
                old: String::new(),
                new: c.text.clone(),
            }),
        }
    }
    let mut out: Vec<Seg> = Vec::new();
    let mut i = 0;
    while i < segs.len() {
        match &segs[i] {
            Seg::Equal(t) => out.push(Seg::Equal(t.clone())),
            Seg::Change { old, new } => {
                let (mut old, mut new) = (old.clone(), new.clone());
                // Pull the token's start out of the kept text before.
                if let Some(Seg::Equal(prev)) = out.last_mut() {
                    let cut = prev.rfind(char::is_whitespace).map_or(0, |j| {
                        j + prev[j..].chars().next().map_or(1, char::len_utf8)
                    });
                    let head = prev.split_off(cut);
                    old.insert_str(0, &head);
                    new.insert_str(0, &head);
                    if prev.is_empty() {
                        out.pop();
                    }
                }
                // Pull the token's end out of the kept text after, and merge a change that
                // follows inside the same token.
                while let Some(Seg::Equal(next)) = segs.get(i + 1) {
                    match next.find(char::is_whitespace) {
                        Some(j) => {
                            old.push_str(&next[..j]);
                            new.push_str(&next[..j]);
                            let rest = next[j..].to_owned();
                            segs[i + 1] = Seg::Equal(rest);
                            break;
                        }
                        None => {
                            let whole = next.clone();
                            old.push_str(&whole);
                            new.push_str(&whole);
                            match segs.get(i + 2) {
                                Some(Seg::Change { old: o, new: n }) => {
                                    old.push_str(o);
                                    new.push_str(n);
                                    i += 2;
                                }
                                _ => {
                                    segs[i + 1] = Seg::Equal(String::new());
                                    break;
                                }
                            }
                        }
                    }
                }
                out.push(Seg::Change { old, new });
            }
        }
        i += 1;
    }
    let mut chunks = Vec::new();
    for s in out {
        match s {
            Seg::Equal(t) if !t.is_empty() => chunks.push(Chunk {
                op: Op::Equal,
                text: t,
            }),
            Seg::Equal(_) => {}
            Seg::Change { old, new } => {
                if !old.is_empty() {
                    chunks.push(Chunk {
                        op: Op::Delete,
                        text: old,
                    });
                }
                if !new.is_empty() {
                    chunks.push(Chunk {
                        op: Op::Insert,
                        text: new,
                    });
                }
            }
        }
    }
    chunks
}

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A word diff of two field values as HTML: `<del>` and `<ins>` around whole tokens, a
/// space between a deletion and the insertion that replaces it.
pub fn words_html(old: &str, new: &str) -> String {
    let chunks = whole_tokens(&crate::diff::words(old, new));
    let mut out = String::new();
    let mut after_delete = false;
    for c in &chunks {
        match c.op {
            Op::Equal => out.push_str(&escape(&c.text)),
            Op::Delete => {
                out.push_str("<del>");
                out.push_str(&escape(&c.text));
                out.push_str("</del>");
            }
            Op::Insert => {
                if after_delete {
                    out.push(' ');
                }
                out.push_str("<ins>");
                out.push_str(&escape(&c.text));
                out.push_str("</ins>");
            }
        }
        after_delete = c.op == Op::Delete;
    }
    out
}

// Private-use characters that mark where a deletion or an insertion starts and ends in
// the Markdown source; they pass through the renderer as text and become tags after it.
const DEL_START: char = '\u{F8F0}';
const DEL_END: char = '\u{F8F1}';
const INS_START: char = '\u{F8F2}';
const INS_END: char = '\u{F8F3}';
const SKIP: char = '\u{F8F4}';

/// The body's diff as rendered Markdown: the old and new words together, the removed ones
/// in `<del>`, the added ones in `<ins>`; long unchanged stretches cut to the paragraphs
/// next to a change. Marks never cross a tag: each is closed before a tag and reopened
/// after it, and marks inside a tag (a link's address) are dropped.
pub fn body_html(chunks: &[Chunk]) -> String {
    let chunks = whole_tokens(chunks);
    let last = chunks.len().saturating_sub(1);
    let mut source = String::with_capacity(chunks.iter().map(|c| c.text.len() + 6).sum());
    for (i, c) in chunks.iter().enumerate() {
        // The marks are U+F8F0-U+F8F4, whose UTF-8 starts with 0xEF: most texts hold none.
        let clean: std::borrow::Cow<str> = if c.text.as_bytes().contains(&0xEF) {
            c.text
                .chars()
                .filter(|ch| !('\u{F8F0}'..='\u{F8F4}').contains(ch))
                .collect::<String>()
                .into()
        } else {
            c.text.as_str().into()
        };
        match c.op {
            Op::Equal => push_elided(&mut source, &clean, i > 0, i < last),
            Op::Delete => {
                source.push(DEL_START);
                source.push_str(&clean);
                source.push(DEL_END);
            }
            Op::Insert => {
                source.push(INS_START);
                source.push_str(&clean);
                source.push(INS_END);
            }
        }
    }
    let html = markdown::to_html(&source);
    marks_to_tags(&html)
}

/// Unchanged text with its middle paragraphs left out: the paragraph touching a change on
/// each side stays.
fn push_elided(out: &mut String, text: &str, change_before: bool, change_after: bool) {
    let mut paragraphs = text.split("\n\n");
    let first = paragraphs.next().unwrap_or_default();
    let (mut count, mut last) = (1, first);
    for p in paragraphs {
        count += 1;
        last = p;
    }
    if count <= 3 {
        out.push_str(text);
        return;
    }
    if change_before {
        out.push_str(first);
        out.push_str("\n\n");
    }
    out.push(SKIP);
    out.push_str("\n\n");
    if change_after {
        out.push_str(last);
    }
}

fn marks_to_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 64);
    let mut open: Option<&str> = None;
    let mut in_tag = false;
    let mut rest = html;
    // Runs of plain text are copied whole: only `<`, `>` and the marks (whose UTF-8 starts
    // with 0xEF) are looked at one by one.
    while let Some(at) = memchr::memchr3(b'<', b'>', 0xEF, rest.as_bytes()) {
        out.push_str(&rest[..at]);
        let c = rest[at..].chars().next().unwrap_or_default();
        rest = &rest[at + c.len_utf8()..];
        match c {
            '<' if !in_tag => {
                if let Some(t) = open {
                    out.push_str("</");
                    out.push_str(t);
                    out.push('>');
                }
                in_tag = true;
                out.push(c);
            }
            '>' if in_tag => {
                in_tag = false;
                out.push(c);
                if let Some(t) = open {
                    out.push('<');
                    out.push_str(t);
                    out.push('>');
                }
            }
            DEL_START | INS_START | DEL_END | INS_END if in_tag => {}
            DEL_START | INS_START => {
                let t = if c == DEL_START { "del" } else { "ins" };
                // An insertion right after the deletion it replaces: a space between, so
                // "45" -> "30" reads as two numbers.
                if c == INS_START && out.ends_with("</del>") {
                    out.push(' ');
                }
                if open.is_none() {
                    out.push('<');
                    out.push_str(t);
                    out.push('>');
                    open = Some(t);
                }
            }
            DEL_END | INS_END => {
                if let Some(t) = open.take() {
                    out.push_str("</");
                    out.push_str(t);
                    out.push('>');
                }
            }
            SKIP => {
                out.push_str("<span class=\"skip\" title=\"Unchanged text left out\">[…]</span>")
            }
            c => out.push(c),
        }
    }
    out.push_str(rest);
    // Empty marks left by closing before a tag and reopening after it.
    for empty in ["<del></del>", "<ins></ins>"] {
        if out.contains(empty) {
            out = out.replace(empty, "");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_time_reads_as_two_times() {
        let html = words_html("Shifts 08:00–16:00 daily", "Shifts 07:00–15:00 daily");
        assert_eq!(
            html,
            "Shifts <del>08:00–16:00</del> <ins>07:00–15:00</ins> daily"
        );
        assert_eq!(words_html("45", "30"), "<del>45</del> <ins>30</ins>");
    }

    #[test]
    fn the_body_diff_is_rendered_markdown_with_marks() {
        let chunks = crate::diff::words(
            "Be **kind**.\n\n| a | b |\n|---|---|\n| 08:00 | x |\n",
            "Be **very kind**.\n\n| a | b |\n|---|---|\n| 07:00 | x |\n",
        );
        let html = body_html(&chunks);
        assert!(html.contains("<strong>"), "{html}");
        assert!(!html.contains("**"), "{html}");
        assert!(!html.contains("|---|"), "{html}");
        assert!(html.contains("<del>08:00</del>"), "{html}");
        assert!(html.contains("<del>08:00</del> <ins>07:00</ins>"), "{html}");
        assert!(!html.contains('\u{F8F0}'), "{html}");
    }

    #[test]
    fn marks_never_enter_a_tag() {
        let chunks = crate::diff::words(
            "See [the guide](https://a.example/old).",
            "See [the guide](https://a.example/new).",
        );
        let html = body_html(&chunks);
        assert!(
            !html.contains("\u{F8F2}") && !html.contains("\u{F8F0}"),
            "{html}"
        );
        assert!(html.contains("href=\"https://a.example/"), "{html}");
    }
}
