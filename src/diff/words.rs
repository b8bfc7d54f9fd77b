//! The body's word diff: lines first, then words inside the passages that changed. Only
//! the changed passages are cut into words: a body is cut into lines once, and an edit
//! that rewrites one paragraph cuts that paragraph alone.

use super::tokens::{WordHasher, ascii_words, kept_words};
use super::{Chunk, Op};
use std::collections::HashMap;
use std::ops::Range;
use std::time::Duration;

/// A word-level diff (words and punctuation are separate tokens; whitespace is kept).
pub fn words(old: &str, new: &str) -> Vec<Chunk> {
    let mut vocabulary = Vocabulary::default();
    let (a, b) = (vocabulary.lines(old), vocabulary.lines(new));
    diff_lines(&a, &b)
}

/// A text cut into lines, each with its line break, each line numbered by the
/// [`Vocabulary`] that cut it: diffing numbers is cheaper than diffing strings, and a text
/// cut once can be diffed against several others.
#[derive(Debug, Default)]
pub struct Lines<'t> {
    text: &'t str,
    /// Where each line ends in `text`, its break included (lines are contiguous and cover
    /// it).
    ends: Vec<usize>,
    ids: Vec<u32>,
}

impl<'t> Lines<'t> {
    /// The bytes of lines `range` (where line `range.start` starts, when it is empty).
    fn bytes(&self, range: Range<usize>) -> Range<usize> {
        let start = if range.start == 0 {
            0
        } else {
            self.ends[range.start - 1]
        };
        if range.is_empty() {
            return start..start;
        }
        start..self.ends[range.end - 1]
    }
}

/// Numbers lines: the same line gets the same number in every text it cuts.
#[derive(Debug, Default)]
pub struct Vocabulary<'t>(foldhash::HashMap<&'t str, u32>);

impl<'t> Vocabulary<'t> {
    /// Cuts `text` into numbered lines.
    pub fn lines(&mut self, text: &'t str) -> Lines<'t> {
        let mut out = Lines {
            text,
            ends: Vec::new(),
            ids: Vec::new(),
        };
        let mut start = 0;
        for line in super::lines_of(text) {
            start += line.len();
            let next = u32::try_from(self.0.len()).unwrap_or(u32::MAX);
            out.ids.push(*self.0.entry(line).or_insert(next));
            out.ends.push(start);
        }
        out
    }
}

/// A passage cut into words (Unicode word boundaries, as `similar` cuts them), each word
/// numbered: the same word gets the same number on both sides of the passage.
#[derive(Debug, Default)]
struct Words<'t> {
    text: &'t str,
    /// Where each word ends in `text` (words are contiguous and cover it).
    ends: Vec<usize>,
    ids: Vec<u32>,
}

/// The numbers of the words of a passage, both sides.
type WordTable<'t> = HashMap<&'t str, u32, std::hash::BuildHasherDefault<WordHasher>>;

impl<'t> Words<'t> {
    /// Cuts `text` into words numbered by `table`. A passage is whole lines of its body,
    /// and a word never spans a line break, so its words are the body's words there.
    fn cut(text: &'t str, table: &mut WordTable<'t>) -> Words<'t> {
        let tokens: Vec<&str> = if text.is_ascii() {
            ascii_words(text).collect()
        } else {
            similar::DiffableStr::tokenize_unicode_words(text)
        };
        let mut out = Words {
            text,
            ends: Vec::with_capacity(tokens.len()),
            ids: Vec::with_capacity(tokens.len()),
        };
        table.reserve(tokens.len());
        let mut end = 0;
        for word in tokens {
            end += word.len();
            let next = u32::try_from(table.len()).unwrap_or(u32::MAX);
            out.ids.push(*table.entry(word).or_insert(next));
            out.ends.push(end);
        }
        out
    }

    /// The text of words `range`.
    fn slice(&self, range: Range<usize>) -> &'t str {
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

/// How much work one body diff may do: the Myers diff of `n` and `m` tokens that differ in
/// `d` takes about `(n + m) * d` steps, and `d` is at least `n + m` less twice the tokens the
/// two sides share. A passage whose lower bound is above this is shown rewritten whole.
const STEPS: usize = 4_000_000;

/// A changed passage with more tokens than this on a side is shown rewritten whole.
const PASSAGE_TOKENS: usize = 20_000;

/// The word diff of two texts cut into lines by one [`Vocabulary`].
///
/// Lines first: the texts are compared line by line, and only the passages of lines that
/// changed are cut into words and compared word by word, so the cost follows the size of
/// the change, not of the body. A passage that keeps fewer than half the words of its
/// shorter side (a paragraph rewritten, not edited) is shown as its old text deleted and
/// its new text inserted: a word diff of it would be noise, and is the expensive case of
/// a word diff. Passages too large to compare within [`STEPS`] are shown the same way, so
/// a hostile body of any size costs time in proportion to its length.
pub fn diff_lines(old: &Lines, new: &Lines) -> Vec<Chunk> {
    // A deadline keeps a hostile pair of bodies the bounds above do not catch from taking
    // minutes: past it, the diff is coarser but still correct.
    let deadline = std::time::Instant::now() + Duration::from_millis(500);
    let (a, b) = (&old.ids, &new.ids);
    let mut out: Vec<Chunk> = Vec::new();
    let mut pending: Option<(usize, usize)> = None; // first changed line, old and new
    let flush = |out: &mut Vec<Chunk>, from: (usize, usize), to: (usize, usize)| {
        let o = &old.text[old.bytes(from.0..to.0)];
        let n = &new.text[new.bytes(from.1..to.1)];
        passage(o, n, deadline, out);
    };
    for op in line_ops(a, b, deadline) {
        let (o, n) = (op.old_range(), op.new_range());
        if op.tag() == similar::DiffTag::Equal {
            if let Some(from) = pending.take() {
                flush(&mut out, from, (o.start, n.start));
            }
            push_chunk(&mut out, Op::Equal, &old.text[old.bytes(o)]);
        } else if pending.is_none() {
            pending = Some((o.start, n.start));
        }
    }
    if let Some(from) = pending {
        flush(&mut out, from, (a.len(), b.len()));
    }
    regroup(out)
}

/// The line diff: Myers where it is affordable, else common lines at both ends and one
/// changed passage between them.
fn line_ops(a: &[u32], b: &[u32], deadline: std::time::Instant) -> Vec<similar::DiffOp> {
    if affordable(a, b) {
        return similar::capture_diff_deadline(
            similar::Algorithm::Myers,
            a,
            0..a.len(),
            b,
            0..b.len(),
            Some(deadline),
        );
    }
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut ops = Vec::new();
    if head > 0 {
        ops.push(similar::DiffOp::Equal {
            old_index: 0,
            new_index: 0,
            len: head,
        });
    }
    ops.push(similar::DiffOp::Replace {
        old_index: head,
        old_len: a.len() - head - tail,
        new_index: head,
        new_len: b.len() - head - tail,
    });
    if tail > 0 {
        ops.push(similar::DiffOp::Equal {
            old_index: a.len() - tail,
            new_index: b.len() - tail,
            len: tail,
        });
    }
    ops
}

/// Whether a Myers diff of `a` and `b` stays within [`STEPS`] by its lower bound.
fn affordable(a: &[u32], b: &[u32]) -> bool {
    let total = a.len() + b.len();
    if total.saturating_mul(total) <= STEPS {
        return true;
    }
    let common = common_count(a.iter().copied(), b.iter().copied());
    total.saturating_mul(total - 2 * common) <= STEPS
}

/// How many items two sequences share, counted with repetition (an upper bound of their
/// longest common subsequence).
fn common_count(a: impl Iterator<Item = u32>, b: impl Iterator<Item = u32>) -> usize {
    let mut counts: HashMap<u32, isize, std::hash::BuildHasherDefault<WordHasher>> =
        HashMap::default();
    for x in a {
        *counts.entry(x).or_default() += 1;
    }
    let mut common = 0;
    for y in b {
        if let Some(c) = counts.get_mut(&y)
            && *c > 0
        {
            *c -= 1;
            common += 1;
        }
    }
    common
}

/// One changed passage (the text of its lines on each side): word by word when enough
/// of it survives and it is affordable, else deleted and inserted whole.
fn passage(old: &str, new: &str, deadline: std::time::Instant, out: &mut Vec<Chunk>) {
    let whole = |out: &mut Vec<Chunk>| {
        push_chunk(out, Op::Delete, old);
        push_chunk(out, Op::Insert, new);
    };
    if old.is_empty() || new.is_empty() {
        return whole(out);
    }
    let (kept, in_old, in_new) = kept_words(old, new);
    if 2 * kept < in_old.min(in_new) {
        return whole(out);
    }
    let mut table = WordTable::default();
    let (old, new) = (Words::cut(old, &mut table), Words::cut(new, &mut table));
    let (o, n) = (0..old.ids.len(), 0..new.ids.len());
    if o.len() > PASSAGE_TOKENS || n.len() > PASSAGE_TOKENS {
        return whole(out);
    }
    let (a, b) = (&old.ids[..], &new.ids[..]);
    if !affordable(a, b) {
        return whole(out);
    }
    let ops = similar::capture_diff_deadline(similar::Algorithm::Myers, a, o, b, n, Some(deadline));
    for op in ops {
        let (old_range, new_range) = (op.old_range(), op.new_range());
        match op.tag() {
            similar::DiffTag::Equal => push_chunk(out, Op::Equal, old.slice(old_range)),
            similar::DiffTag::Delete => push_chunk(out, Op::Delete, old.slice(old_range)),
            similar::DiffTag::Insert => push_chunk(out, Op::Insert, new.slice(new_range)),
            similar::DiffTag::Replace => {
                push_chunk(out, Op::Delete, old.slice(old_range));
                push_chunk(out, Op::Insert, new.slice(new_range));
            }
        }
    }
}

/// Appends a run, joining it to the last one when their fates agree.
fn push_chunk(out: &mut Vec<Chunk>, op: Op, text: &str) {
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

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = super::super::tests::OLD;
    const NEW: &str = super::super::tests::NEW;

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
                "Naïve café: don't stop, 3.14 e.g. x_y, or not",
                "Naive cafe: don't stop, 3.15 i.e. x_z, or not",
            ),
            (long_a.as_str(), long_b.as_str()),
            (long_b.as_str(), long_a.as_str()),
        ];
        for (a, b) in cases {
            assert_eq!(words(a, b), words_by_text_diff(a, b), "{a:?} -> {b:?}");
        }
        // A text cut once and diffed against both neighbours gives the same answers.
        let mut v = Vocabulary::default();
        let (x, y, z) = (v.lines(OLD), v.lines(NEW), v.lines(long_a.as_str()));
        assert_eq!(diff_lines(&x, &y), words(OLD, NEW));
        assert_eq!(diff_lines(&y, &z), words(NEW, &long_a));
    }

    /// The texts a diff's runs give back: (old, new).
    fn sides(chunks: &[Chunk]) -> (String, String) {
        let (mut old, mut new) = (String::new(), String::new());
        for c in chunks {
            if c.op != Op::Insert {
                old.push_str(&c.text);
            }
            if c.op != Op::Delete {
                new.push_str(&c.text);
            }
        }
        (old, new)
    }

    #[test]
    fn only_changed_lines_are_compared_word_by_word() {
        let old = "First paragraph stays as it is.\n\nReply within one hour to every ticket.\n\nLast one stays.\n";
        let new = "First paragraph stays as it is.\n\nReply within two hours to every ticket.\n\nLast one stays.\n";
        let d = words(old, new);
        assert_eq!(sides(&d), (old.to_owned(), new.to_owned()));
        let changed: Vec<(Op, &str)> = d
            .iter()
            .filter(|c| c.op != Op::Equal)
            .map(|c| (c.op, c.text.as_str()))
            .collect();
        assert_eq!(
            changed,
            [(Op::Delete, "one hour"), (Op::Insert, "two hours")]
        );
        // A word the two lines share is not matched across a paragraph that did not change.
        let d = words("a b\nsame line\nc d\n", "c x\nsame line\na y\n");
        assert_eq!(sides(&d).1, "c x\nsame line\na y\n");
        assert!(
            d.iter()
                .any(|c| c.op == Op::Equal && c.text == "same line\n")
        );
    }

    #[test]
    fn a_rewritten_passage_is_shown_whole() {
        let old =
            "Keep it short.\n\nBe kind to every customer, always, and answer what they asked.\n";
        let new = "Keep it short.\n\nEscalations go to the lead on duty within the hour.\n";
        let d = words(old, new);
        assert_eq!(sides(&d), (old.to_owned(), new.to_owned()));
        assert_eq!(
            d,
            [
                Chunk {
                    op: Op::Equal,
                    text: "Keep it short.\n\n".into()
                },
                Chunk {
                    op: Op::Delete,
                    text: "Be kind to every customer, always, and answer what they asked.\n".into()
                },
                Chunk {
                    op: Op::Insert,
                    text: "Escalations go to the lead on duty within the hour.\n".into()
                },
            ]
        );
    }

    #[test]
    fn a_huge_rewrite_is_shown_whole_and_a_small_edit_of_it_word_by_word() {
        // 800 KB bodies of lines of 12 words, every word drawn anew (the hostile row of
        // bench/realistic.py): Myers on them would take minutes, or run to its deadline.
        let mut seed = 7u64;
        let mut body = || {
            let mut s = String::new();
            while s.len() < 800_000 {
                for _ in 0..12 {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    s.push_str(
                        [
                            "reply", "ticket", "lead", "shift", "the", "a", "on", "customer",
                        ][(seed >> 60) as usize % 8],
                    );
                    s.push(' ');
                }
                s.push('\n');
            }
            s
        };
        let (a, b) = (body(), body());
        let d = words(&a, &b);
        assert_eq!(sides(&d), (a.clone(), b.clone()));
        // Too large to compare within the step budget: shown rewritten whole (its cost is
        // measured by bench/realistic.py's hostile row, not here).
        let ops: Vec<Op> = d.iter().map(|c| c.op).collect();
        assert_eq!(ops, [Op::Delete, Op::Insert]);
        // A few lines changed in a huge body: only they are compared.
        let c = b.replacen("reply", "answer", 1);
        let d = words(&b, &c);
        assert_eq!(sides(&d), (b.clone(), c.clone()));
        let changed: Vec<&str> = d
            .iter()
            .filter(|c| c.op != Op::Equal)
            .map(|c| c.text.as_str())
            .collect();
        assert_eq!(changed, ["reply", "answer"]);
    }
}
