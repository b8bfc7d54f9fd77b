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
/// spaces), so that a document can be written a part at a time.
pub fn write_nested(
    out: &mut Vec<u8>,
    value: &impl Serialize,
    depth: usize,
) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    let indent = "  ".repeat(depth);
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push(b'\n');
            out.extend_from_slice(indent.as_bytes());
        }
        out.extend_from_slice(line.as_bytes());
    }
    Ok(())
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
}
