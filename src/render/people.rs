//! The one sanitising point for text printed for people: what a policy, a roster, a commit
//! or an argument says is shown, never obeyed by the terminal.
//!
//! C0 controls (except tab and newline), DEL and C1 controls are shown as `\x1b`, `\x7f`,
//! `\u009b`; the bidirectional overrides and isolates (U+202A-202E, U+2066-2069), which can
//! reorder or hide a line as well as an escape sequence can, as `\u202e`. Everything else
//! is kept. Colour that the tool itself writes never passes through here: the renderers
//! that colour apply [`clean`] to each value they interpolate, and the CLI applies it to
//! whole texts that carry no colour of its own (notes, errors, reports without styles).
//! Must not be used on machine documents (JSON, CSV, SARIF), which keep values as stored.

use std::borrow::Cow;
use std::fmt;

/// Whether `c` is shown escaped in text for people (tab and newline are kept).
pub fn is_hostile(c: char) -> bool {
    matches!(c, '\0'..='\x08' | '\x0b'..='\x1f' | '\x7f'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every hostile character escaped (borrowed when there is none).
pub fn clean(text: &str) -> Cow<'_, str> {
    if !holds_hostile(text.as_bytes(), false) {
        return Cow::Borrowed(text);
    }
    escape(text, is_hostile)
}

/// [`clean`] for a value that must stay on one line (a file name, an id, a subject, a
/// name): newline and tab are escaped too, so a value can never forge a line of its own.
pub fn one_line(text: &str) -> Cow<'_, str> {
    if !holds_hostile(text.as_bytes(), true) {
        return Cow::Borrowed(text);
    }
    escape(text, |c| c == '\n' || c == '\t' || is_hostile(c))
}

/// Whether UTF-8 `bytes` hold a character [`is_hostile`] matches (with `lines`, newline
/// and tab as well), read byte by byte: what is escaped below U+0080 is one byte, C1
/// controls are `C2 80`-`C2 9F`, the bidirectional controls `E2 80 AA`-`E2 80 AE` and
/// `E2 81 A6`-`E2 81 A9`; no continuation byte equals a lead byte, so every position can
/// be tested. Megabytes of digests pass through [`clean`]: this is its fast path.
fn holds_hostile(bytes: &[u8], lines: bool) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    // Eight bytes at a time: when none is below 0x20 or above 0x7e, none is hostile.
    // (Borrows and carries only spread from a byte that is itself out of range, so the
    // test never misses one; a false alarm only sends the eight to the exact test.)
    while let Some(word) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        let below = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        let above = (x.wrapping_add(ONES) | x) & HIGH;
        if below | above != 0 && (i..i + 8).any(|j| hostile_at(bytes, j, lines)) {
            return true;
        }
        i += 8;
    }
    (i..bytes.len()).any(|j| hostile_at(bytes, j, lines))
}

/// Whether a hostile character starts at byte `i` (see [`holds_hostile`]).
fn hostile_at(bytes: &[u8], i: usize, lines: bool) -> bool {
    match bytes[i] {
        b'\t' | b'\n' => lines,
        0..0x20 | 0x7f => true,
        0xc2 => matches!(bytes.get(i + 1), Some(0x80..=0x9f)),
        0xe2 => matches!(
            (bytes.get(i + 1), bytes.get(i + 2)),
            (Some(0x80), Some(0xaa..=0xae)) | (Some(0x81), Some(0xa6..=0xa9))
        ),
        _ => false,
    }
}

/// `text` with every character `hostile` names escaped; callers have found one already
/// ([`holds_hostile`]).
fn escape(text: &str, hostile: impl Fn(char) -> bool) -> Cow<'_, str> {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hostile(c) {
            out.push_str(&escaped(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// How one character is shown: `\xNN` below U+0080, `\uNNNN` above.
pub fn escaped(c: char) -> String {
    let n = c as u32;
    if n < 0x80 {
        format!("\\x{n:02x}")
    } else {
        format!("\\u{n:04x}")
    }
}

/// A value shown with [`clean`] inside `format!` without allocating when it is clean.
pub struct Shown<'a>(pub &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&clean(self.0))
    }
}

/// A value shown with [`one_line`] inside `format!`.
pub struct Line<'a>(pub &'a str);

impl fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&one_line(self.0))
    }
}

/// A writer that passes text for people through [`clean`] on its way to `inner`, for the
/// reports that are streamed rather than built whole. A character split across two writes
/// is held back until it is complete.
pub struct CleanWriter<W: std::io::Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: std::io::Write> CleanWriter<W> {
    pub fn new(inner: W) -> CleanWriter<W> {
        CleanWriter {
            inner,
            pending: Vec::new(),
        }
    }
}

impl<W: std::io::Write> std::io::Write for CleanWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The common case: whole characters, nothing to escape, nothing copied.
        if self.pending.is_empty()
            && let Ok(text) = std::str::from_utf8(buf)
        {
            self.inner.write_all(clean(text).as_bytes())?;
            return Ok(buf.len());
        }
        self.pending.extend_from_slice(buf);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(s) => s.len(),
            // An incomplete character at the end waits; invalid bytes are passed on as
            // they are (the renderers write only UTF-8).
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.pending.len(),
        };
        let text = String::from_utf8_lossy(&self.pending[..valid]).into_owned();
        self.inner.write_all(clean(&text).as_bytes())?;
        self.pending.drain(..valid);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let rest = String::from_utf8_lossy(&self.pending).into_owned();
            self.inner.write_all(clean(&rest).as_bytes())?;
            self.pending.clear();
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_scan_finds_exactly_what_the_character_test_finds() {
        // Every character up to U+3000, alone and between plain text.
        for n in 0..0x3000u32 {
            let Some(c) = char::from_u32(n) else { continue };
            let (pad, long) = ("0123456789abcdef", "x→y…z0123456");
            for text in [
                c.to_string(),
                format!("ab{c}cd"),
                format!("…{c}→"),
                format!("{pad}{c}{pad}"),
                format!("{}{c}{pad}", &pad[..7]),
                format!("{}{c}", &pad[..9]),
                format!("{long}{c}{long}{long}"),
            ] {
                assert_eq!(
                    holds_hostile(text.as_bytes(), false),
                    text.chars().any(is_hostile),
                    "{n:#x}"
                );
                assert_eq!(
                    holds_hostile(text.as_bytes(), true),
                    text.chars()
                        .any(|c| c == '\n' || c == '\t' || is_hostile(c)),
                    "{n:#x}"
                );
            }
        }
        assert!(!holds_hostile("plain\ttext\n".as_bytes(), false));
        assert!(holds_hostile("\u{2069}".as_bytes(), false));
    }

    #[test]
    fn escapes_controls_and_bidi_and_keeps_the_rest() {
        assert_eq!(
            clean("a\x1b]0;pwned\x07b\u{202e}c\u{9b}d\x7f"),
            "a\\x1b]0;pwned\\x07b\\u202ec\\u009bd\\x7f"
        );
        assert_eq!(clean("tab\tline\nend é ✓"), "tab\tline\nend é ✓");
        assert!(matches!(clean("plain"), Cow::Borrowed(_)));
        assert_eq!(one_line("a\nb\tc\rd"), "a\\x0ab\\x09c\\x0dd");
        assert_eq!(clean("\u{2066}x\u{2069}"), "\\u2066x\\u2069");
    }

    #[test]
    fn accented_text_is_borrowed() {
        assert!(matches!(clean("Björn Müller ✓ é"), Cow::Borrowed(_)));
    }

    /// The byte scan in blocks finds a hostile byte wherever it sits in long text.
    #[test]
    fn long_plain_text_is_borrowed_and_one_hostile_byte_anywhere_is_escaped() {
        let plain: String = (0..300).map(|i| (b' ' + (i % 95) as u8) as char).collect();
        assert!(matches!(clean(&plain), Cow::Borrowed(_)));
        assert!(matches!(clean(&format!("{plain}\n\t")), Cow::Borrowed(_)));
        assert!(matches!(one_line(&plain), Cow::Borrowed(_)));
        for at in [0, 1, 63, 64, 65, 127, 128, 299] {
            for bad in ['\x1f', '\x7f', '\0', '\u{9b}', '\u{202e}'] {
                let mut text = plain.clone();
                text.insert(at, bad);
                assert_ne!(clean(&text), text, "{bad:?} at {at}");
            }
            let mut text = plain.clone();
            text.insert(at, '\n');
            assert_eq!(clean(&text), text);
            assert_ne!(one_line(&text), text, "newline at {at}");
        }
    }

    #[test]
    fn the_writer_cleans_characters_split_across_writes() {
        use std::io::Write;
        let mut w = CleanWriter::new(Vec::new());
        let bidi = "\u{202e}".as_bytes();
        w.write_all(b"a\x1b").unwrap();
        w.write_all(&bidi[..1]).unwrap();
        w.write_all(&bidi[1..]).unwrap();
        w.write_all("é\n".as_bytes()).unwrap();
        w.flush().unwrap();
        assert_eq!(String::from_utf8(w.inner).unwrap(), "a\\x1b\\u202eé\n");
    }
}
