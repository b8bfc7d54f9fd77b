//! The one JSON writing strategy: `serde_json`'s pretty printer (two spaces), and a final
//! newline. A large document is written straight to its writer, never built as a
//! `serde_json::Value` first.

use serde::Serialize;

/// A JSON document as printed: pretty, with a final newline.
pub fn pretty(doc: &impl Serialize) -> String {
    let mut s = serde_json::to_string_pretty(doc).expect("JSON values serialise");
    s.push('\n');
    s
}

/// [`pretty`] as bytes.
pub fn pretty_bytes(doc: &impl Serialize) -> Vec<u8> {
    pretty(doc).into_bytes()
}

/// Writes `value` as the pretty printer would at nesting depth `depth` (each level two
/// spaces), so that a document can be written a part at a time. Straight into `out`, with
/// serde_json's pretty layout started at `depth` (no intermediate string to re-indent).
pub fn write_nested(
    out: &mut Vec<u8>,
    value: &impl Serialize,
    depth: usize,
) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, Nested::at(depth));
    value.serialize(&mut ser).map_err(std::io::Error::other)
}

/// serde_json's `PrettyFormatter` (two spaces a level) whose indentation starts at a
/// given depth.
struct Nested {
    depth: usize,
    has_value: bool,
}

impl Nested {
    fn at(depth: usize) -> Nested {
        Nested {
            depth,
            has_value: false,
        }
    }

    fn indent<W: ?Sized + std::io::Write>(&self, w: &mut W) -> std::io::Result<()> {
        const SPACES: &[u8; 64] =
            b"                                                                ";
        let mut n = self.depth * 2;
        while n > 0 {
            let k = n.min(SPACES.len());
            w.write_all(&SPACES[..k])?;
            n -= k;
        }
        Ok(())
    }
}

impl Nested {
    /// `[` or `{`: one level deeper, nothing in it yet.
    fn open<W: ?Sized + std::io::Write>(&mut self, w: &mut W, b: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(b)
    }

    /// `]` or `}`, on a line of its own when the collection is not empty.
    fn close<W: ?Sized + std::io::Write>(&mut self, w: &mut W, b: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            w.write_all(b"\n")?;
            self.indent(w)?;
        }
        w.write_all(b)
    }

    /// Before an element or a key: a comma after the first, a new line, the indentation.
    fn next<W: ?Sized + std::io::Write>(&self, w: &mut W, first: bool) -> std::io::Result<()> {
        w.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(w)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.next(w, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.next(w, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_ends_with_a_newline() {
        assert_eq!(
            pretty(&serde_json::json!({"a": [1]})),
            "{\n  \"a\": [\n    1\n  ]\n}\n"
        );
    }

    #[test]
    fn nested_parts_are_indented_to_their_depth() {
        let mut out = Vec::new();
        write_nested(&mut out, &serde_json::json!({"a": 1}), 2).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "{\n      \"a\": 1\n    }");
    }

    /// Exactly the pretty printer's text, each line after the first indented to the depth.
    #[test]
    fn nested_parts_are_the_pretty_printers_text() {
        let doc = serde_json::json!({
            "a": [1, [], {}, {"b": "x\ny"}, [[2]]],
            "c": null,
            "d": {"e": [], "f": {"g": "\u{202e}"}}
        });
        for depth in [0, 1, 3, 40] {
            let mut out = Vec::new();
            write_nested(&mut out, &doc, depth).unwrap();
            let pretty = serde_json::to_string_pretty(&doc).unwrap();
            let indent = "  ".repeat(depth);
            let expected = pretty.replace('\n', &format!("\n{indent}"));
            assert_eq!(String::from_utf8(out).unwrap(), expected, "depth {depth}");
        }
    }
}
