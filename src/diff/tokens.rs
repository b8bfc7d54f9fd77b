//! Words of a passage: where they are cut, and how many two passages share. Pure.

use std::collections::HashMap;

/// The words of an ASCII text, cut exactly where Unicode's word boundaries (UAX #29, as
/// `unicode-segmentation` applies them) cut it, without looking up each character's
/// class: most policies are ASCII, and the lookups were most of the cost of cutting.
pub(super) fn ascii_words(text: &str) -> impl Iterator<Item = &str> {
    let b = text.as_bytes();
    let core = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let infix = move |i: usize| joins(b, i);
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= b.len() {
            return None;
        }
        let mut end = start + 1;
        if b[start] == b' ' {
            while end < b.len() && b[end] == b' ' {
                end += 1;
            }
        } else if core(b[start]) {
            while end < b.len() && (core(b[end]) || (end + 1 < b.len() && infix(end))) {
                end += 1;
            }
        } else if b[start] == b'\r' && b.get(start + 1) == Some(&b'\n') {
            end += 1;
        }
        let word = &text[start..end];
        start = end;
        Some(word)
    })
}

/// Whether the separator at `i` (between two bytes) joins its neighbours into one word:
/// "3.14", "1,000", "e.g", "don't", "a:b".
fn joins(b: &[u8], i: usize) -> bool {
    let (prev, c, next) = (b[i - 1], b[i], b[i + 1]);
    match c {
        b'.' | b',' | b';' | b'\'' if prev.is_ascii_digit() && next.is_ascii_digit() => true,
        b'\'' | b'.' | b':' => prev.is_ascii_alphabetic() && next.is_ascii_alphabetic(),
        _ => false,
    }
}

/// Calls `f` with each word of `text` that is not whitespace, as a word diff cuts them.
fn for_each_word<'t>(text: &'t str, mut f: impl FnMut(&'t str)) {
    if text.is_ascii() {
        return ascii_non_space(text, f);
    }
    for w in similar::DiffableStr::tokenize_unicode_words(text) {
        if !w.starts_with(char::is_whitespace) {
            f(w);
        }
    }
}

/// The words of [`ascii_words`] that are not whitespace, in one loop: whitespace is never
/// part of a word, so it is stepped over a byte at a time, and every other byte that does
/// not start a word is a word of its own. Most changed passages are rewritten, and reading
/// their words is most of what it costs to see that.
fn ascii_non_space<'t>(text: &'t str, mut f: impl FnMut(&'t str)) {
    let b = text.as_bytes();
    let class = |c: u8| CLASS[usize::from(c)];
    let mut i = 0;
    while i < b.len() {
        let c = class(b[i]);
        if c == CORE {
            let mut end = i + 1;
            loop {
                while end < b.len() && class(b[end]) == CORE {
                    end += 1;
                }
                // A separator between two word characters may join them.
                if end + 1 < b.len() && class(b[end]) == JOINER && joins(b, end) {
                    end += 1;
                } else {
                    break;
                }
            }
            f(&text[i..end]);
            i = end;
        } else {
            if c != SPACE {
                f(&text[i..=i]);
            }
            i += 1;
        }
    }
}

/// What each ASCII byte is to [`ascii_non_space`].
const CORE: u8 = 1;
const SPACE: u8 = 2;
const JOINER: u8 = 3;
const CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if b.is_ascii_alphanumeric() || b == b'_' {
            CORE
        } else if b.is_ascii_whitespace() || b == 0x0b {
            SPACE
        } else if matches!(b, b'.' | b',' | b';' | b'\'' | b':') {
            JOINER
        } else {
            0
        };
        c += 1;
    }
    t
};

/// The words (whitespace left out: any two passages share it) that survive from passage
/// `old` to passage `new`, counted with repetition, and how many words each has. Read
/// without numbering the words of the passages: most changed passages are rewritten, not
/// edited, and this is all that is needed to see it.
pub(super) fn kept_words(old: &str, new: &str) -> (usize, usize, usize) {
    // Most words fit in seven bytes and are counted by number: no string is hashed or
    // compared for them. The longer ones are counted by text.
    let mut short: HashMap<u64, u32, foldhash::fast::FixedState> =
        HashMap::with_capacity_and_hasher(old.len() / 6, Default::default());
    let mut long: HashMap<&str, u32, foldhash::fast::FixedState> = HashMap::default();
    let mut in_old = 0;
    for_each_word(old, |w| {
        match packed(w) {
            Some(n) => *short.entry(n).or_default() += 1,
            None => *long.entry(w).or_default() += 1,
        }
        in_old += 1;
    });
    let (mut kept, mut in_new) = (0, 0);
    for_each_word(new, |w| {
        in_new += 1;
        let count = match packed(w) {
            Some(n) => short.get_mut(&n),
            None => long.get_mut(w),
        };
        if let Some(c) = count
            && *c > 0
        {
            *c -= 1;
            kept += 1;
        }
    });
    (kept, in_old, in_new)
}

/// A word of at most seven bytes as one number: its length in the top byte, its bytes
/// below. Two words have the same number exactly when they are the same word.
fn packed(word: &str) -> Option<u64> {
    let bytes = word.as_bytes();
    if bytes.len() > 7 {
        return None;
    }
    let mut n = [0u8; 8];
    n[..bytes.len()].copy_from_slice(bytes);
    n[7] = bytes.len() as u8;
    Some(u64::from_le_bytes(n))
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

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// ASCII texts are cut where Unicode's word boundaries cut them.
        #[test]
        fn ascii_words_cut_like_unicode(text in "[a-zA-Z0-9_ .,;:'\"\t\r\n\x0b\x0c!?()-]{0,40}") {
            let unicode: Vec<&str> = similar::DiffableStr::tokenize_unicode_words(text.as_str());
            proptest::prop_assert_eq!(ascii_words(&text).collect::<Vec<_>>(), unicode);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The loop that skips whitespace finds the words the cutter finds.
        #[test]
        fn non_space_words_are_the_cut_words_without_whitespace(
            text in "[a-zA-Z0-9_ .,;:'\"\t\r\n\x0b\x0c!?()-]{0,60}"
        ) {
            let cut: Vec<&str> = ascii_words(&text)
                .filter(|w| !w.starts_with(char::is_whitespace))
                .collect();
            let mut seen = Vec::new();
            ascii_non_space(&text, |w| seen.push(w));
            proptest::prop_assert_eq!(seen, cut);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The kept words are the multiset intersection of the two passages' words.
        #[test]
        fn kept_words_count_the_shared_words(
            old in "(a|bb|longerword|longerwords|é|, |\\.| )*",
            new in "(a|bb|longerword|longerwords|é|, |\\.| )*",
        ) {
            fn words(t: &str) -> Vec<&str> {
                let mut all = Vec::new();
                for_each_word(t, |w| all.push(w));
                all
            }
            let (a, b) = (words(&old), words(&new));
            let mut counts = std::collections::HashMap::new();
            for w in &a {
                *counts.entry(*w).or_insert(0) += 1;
            }
            let kept = b.iter().filter(|w| {
                let c = counts.entry(**w).or_insert(0);
                *c > 0 && { *c -= 1; true }
            }).count();
            proptest::prop_assert_eq!(kept_words(&old, &new), (kept, a.len(), b.len()));
        }
    }

    #[test]
    fn words_are_numbered_apart() {
        let words = [
            "", "a", "a\0", "\0", "\0\0", "ab", "ba", "abcdefg", "abcdefgh", "é", "e",
        ];
        let numbers: Vec<_> = words.iter().map(|w| packed(w)).collect();
        for (i, a) in numbers.iter().enumerate() {
            for b in &numbers[i + 1..] {
                assert!(a.is_none() || a != b, "{numbers:?}");
            }
        }
        assert_eq!(packed("abcdefgh"), None);
        assert_eq!(
            kept_words("the cat, the hat", "the bat at the hat!"),
            (3, 5, 6)
        );
    }

    #[test]
    fn ascii_words_cut_like_unicode_on_known_cases() {
        for text in [
            "Naive cafe: don't stop, 3.14 e.g. x_y 1,000;2 a:b 'q' \"r\" a.b.c 3rd 4'5 e.g.",
            "  two  spaces\r\nand\n\nlines\t\ttabs",
            "trailing.",
            ".leading",
            "a'",
            "1.",
        ] {
            let unicode: Vec<&str> = similar::DiffableStr::tokenize_unicode_words(text);
            assert_eq!(ascii_words(text).collect::<Vec<_>>(), unicode, "{text:?}");
        }
    }
}
