//! Words of a passage: where they are cut, and how many two passages share. Pure.

use std::collections::HashMap;

/// The words of an ASCII text, cut exactly where Unicode's word boundaries (UAX #29, as
/// `unicode-segmentation` applies them) cut it, without looking up each character's
/// class: most policies are ASCII, and the lookups were most of the cost of cutting.
pub(super) fn ascii_words(text: &str) -> impl Iterator<Item = &str> {
    let b = text.as_bytes();
    let core = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    // A separator that joins its neighbours: "3.14", "1,000", "e.g", "don't", "a:b".
    let infix = move |i: usize| {
        let (prev, c, next) = (b[i - 1], b[i], b[i + 1]);
        match c {
            b'.' | b',' | b';' | b'\'' if prev.is_ascii_digit() && next.is_ascii_digit() => true,
            b'\'' | b'.' | b':' => prev.is_ascii_alphabetic() && next.is_ascii_alphabetic(),
            _ => false,
        }
    };
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
    let core = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let joins = |i: usize| {
        let (prev, c, next) = (b[i - 1], b[i], b[i + 1]);
        match c {
            b'.' | b',' | b';' | b'\'' if prev.is_ascii_digit() && next.is_ascii_digit() => true,
            b'\'' | b'.' | b':' => prev.is_ascii_alphabetic() && next.is_ascii_alphabetic(),
            _ => false,
        }
    };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if core(c) {
            let mut end = i + 1;
            while end < b.len() && (core(b[end]) || (end + 1 < b.len() && joins(end))) {
                end += 1;
            }
            f(&text[i..end]);
            i = end;
        } else {
            if !c.is_ascii_whitespace() && c != 0x0b {
                f(&text[i..=i]);
            }
            i += 1;
        }
    }
}

/// The words (whitespace left out: any two passages share it) that survive from passage
/// `old` to passage `new`, counted with repetition, and how many words each has. Read
/// without numbering the words of the passages: most changed passages are rewritten, not
/// edited, and this is all that is needed to see it.
pub(super) fn kept_words(old: &str, new: &str) -> (usize, usize, usize) {
    let mut counts: HashMap<&str, u32, std::hash::BuildHasherDefault<WordHasher>> =
        HashMap::with_capacity_and_hasher(old.len() / 4, Default::default());
    let mut in_old = 0;
    for_each_word(old, |w| {
        *counts.entry(w).or_default() += 1;
        in_old += 1;
    });
    let (mut kept, mut in_new) = (0, 0);
    for_each_word(new, |w| {
        in_new += 1;
        if let Some(c) = counts.get_mut(w)
            && *c > 0
        {
            *c -= 1;
            kept += 1;
        }
    });
    (kept, in_old, in_new)
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
