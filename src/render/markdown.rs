//! Values inside Markdown that is read as Markdown and HTML (a pull-request comment, an
//! evidence bundle): every line break and every character Markdown or HTML would read is
//! escaped, so a value can neither end the line or code span it sits in nor start a
//! heading, a list item, a link, an image or a tag of its own.

use super::people;

/// Whether `c` ends a line for Markdown or a browser (CR, LF, NEL, the Unicode line and
/// paragraph separators).
fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// A value as inline Markdown text: punctuation Markdown reads is backslash-escaped, `<`,
/// `>` and `&` are entities, line breaks and controls are shown escaped (`\x0d`).
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for ch in value.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            // Values never start a line (line breaks are escaped), so the characters that
            // mean something only there (`-`, `+`, `=`, `.`) stay readable; `#` is escaped
            // anyway, for the body lines of a diff.
            '\\' | '`' | '*' | '_' | '~' | '[' | ']' | '#' | '|' | '!' | '(' | ')' => {
                out.push('\\');
                out.push(ch);
            }
            c if is_break(c) || c == '\t' || people::is_hostile(c) => {
                out.push_str(&people::escaped(c));
            }
            _ => out.push(ch),
        }
    }
    out
}

/// A value for inside a code span: backslashes and entities mean nothing there and a
/// backtick cannot be escaped, so a backtick becomes `'`, a table's `|` is escaped (GFM
/// reads it even in a code span), and line breaks and controls are shown escaped.
pub fn code(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for ch in value.chars() {
        match ch {
            '`' => out.push('\''),
            '|' => out.push_str("\\|"),
            c if is_break(c) || c == '\t' || people::is_hostile(c) => {
                out.push_str(&people::escaped(c));
            }
            _ => out.push(ch),
        }
    }
    out
}

/// `&`, `<`, `>`, `"` and `'` as character references.
///
/// Characters XML 1.0 cannot hold at all, not even as a reference (C0 controls other than
/// tab, LF and CR, and U+FFFE/U+FFFF), become U+FFFD, so `feed.xml` stays well-formed
/// whatever a title, a commit subject or the settings say (and the HTML pages are spared
/// them too).
pub fn escape_html(s: &str) -> std::borrow::Cow<'_, str> {
    if first_special(s.as_bytes(), 0).is_none() {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let _ = write_escaped(&mut out, s);
    std::borrow::Cow::Owned(out)
}

/// [`escape_html`] appended to a string (which cannot fail to be written).
pub fn push_escaped(out: &mut String, s: &str) {
    let _ = write_escaped(out, s);
}

/// [`escape_html`] written into `out`, unchanged runs copied whole.
pub fn write_escaped(out: &mut impl std::fmt::Write, s: &str) -> std::fmt::Result {
    let bytes = s.as_bytes();
    let mut done = 0;
    let mut from = 0;
    while let Some(i) = first_special(bytes, from) {
        let c = s[i..].chars().next().unwrap_or('\u{fffd}');
        let with = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' => "&quot;",
            '\'' => "&#39;",
            c if not_xml(c) => "\u{fffd}",
            // A byte that only may start a forbidden character (U+FFFE, U+FFFF).
            _ => {
                from = i + 1;
                continue;
            }
        };
        out.write_str(&s[done..i])?;
        out.write_str(with)?;
        done = i + c.len_utf8();
        from = done;
    }
    out.write_str(&s[done..])
}

/// The first byte at or after `from` that may need escaping: one of `&<>"'`, an ASCII
/// control character other than tab, line feed and carriage return, or the first byte
/// of U+FFFE and U+FFFF (0xEF, checked by the caller).
fn first_special(bytes: &[u8], from: usize) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&b| SPECIAL[usize::from(b)])
        .map(|i| from + i)
}

/// Which bytes [`first_special`] stops at, by value (one lookup a byte: every text of a
/// page goes through here).
static SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = matches!(byte, b'&' | b'<' | b'>' | b'"' | b'\'' | 0xEF)
            || (byte < 0x20 && !matches!(byte, b'\t' | b'\n' | b'\r'));
        b += 1;
    }
    table
};

/// Whether XML 1.0 forbids `c` everywhere (its `Char` production).
pub fn not_xml(c: char) -> bool {
    matches!(c, '\0'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '\u{fffe}' | '\u{ffff}')
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaping_stops_at_every_byte_that_needs_it_and_only_there() {
        let mut out = String::new();
        write_escaped(
            &mut out,
            "a&b<c>d\"e'f\u{1}g\th\ni\r\u{fffe}j\u{ffff}k\u{f8f0}é\u{7f}",
        )
        .unwrap();
        assert_eq!(
            out,
            "a&amp;b&lt;c&gt;d&quot;e&#39;f\u{fffd}g\th\ni\r\u{fffd}j\u{fffd}k\u{f8f0}é\u{7f}"
        );
    }

    use super::*;

    #[test]
    fn nothing_a_value_holds_is_read_as_markup() {
        assert_eq!(
            text("a\r## b\n<img src=x>"),
            "a\\x0d\\#\\# b\\x0a&lt;img src=x&gt;"
        );
        assert_eq!(text("x\u{2028}- y"), "x\\u2028- y");
        assert_eq!(code("a`b|c\rd"), "a'b\\|c\\x0dd");
    }
}
