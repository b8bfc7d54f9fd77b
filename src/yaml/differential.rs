//! The fast reader against the full parser on generated policy files: on every file it
//! reads, the same tree (values, positions, spans) as the full parser; on the others, `None`.

use super::{parse, parse_full, plain};

/// A small deterministic generator (xorshift), so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const KEYS: &[&str] = &[
    "id", "kind", "title", "summary", "owner", "revision", "tags", "x.y", "a-b", "k_1", "true",
    "null", "1", "Yes", "é", "on",
];

/// Scalars after `key: `, the usual and the odd.
const SCALARS: &[&str] = &[
    "word",
    "two words",
    "Tier 1 Support",
    "team-04",
    "1",
    "0",
    "42",
    "007",
    "-3",
    "+3",
    "1.5",
    "0.95",
    "1e3",
    ".inf",
    "-.inf",
    ".nan",
    "NaN",
    "inf",
    "Infinity",
    "1_000",
    "0x1F",
    "0o17",
    "true",
    "True",
    "TRUE",
    "false",
    "tRUE",
    "yes",
    "no",
    "on",
    "null",
    "Null",
    "NULL",
    "~",
    "2026-03-01",
    "2026-3-1",
    "12:30",
    "12 months",
    "C#",
    "a # comment",
    "a#b",
    "http://x.y/z",
    "a: b",
    "a:",
    "ends with colon:",
    "\"quoted\"",
    "\"with 'single' inside\"",
    "\"a # b\"",
    "\"esc \\\" aped\"",
    "\"tab\\tx\"",
    "\"\"",
    "''",
    "'it''s'",
    "'single'",
    "'a # b'",
    "\"open",
    "'open",
    "\"x\" trailing",
    "\"x\"# c",
    "\"x\" # c",
    "[a, b]",
    "[ a , b ]",
    "[]",
    "[ ]",
    "[a,b]",
    "[\"a\", 'b']",
    "[a, , b]",
    "[a, b,]",
    "[a, [b]]",
    "[a: b]",
    "[a #c]",
    "[a]b",
    "[a, b] # c",
    "[é, ü]",
    "[1, true, ~, 0.5]",
    "{op: \">=\", value: 2}",
    "{}",
    "{ a: 1 }",
    "{a: 1, a: 2}",
    "{a:1}",
    "{a: [1]}",
    "{\"a\": 1}",
    "{min: 1, max: 2}",
    "{a: b, }",
    "&anchor x",
    "*alias",
    "!tag x",
    "!!str 1",
    "%x",
    "@x",
    "`x`",
    "- x",
    "? x",
    ": x",
    ",x",
    "]x",
    "}x",
    "Björn Petrov",
    "日本語",
    "emoji 🙂",
    "x   ",
    "a\u{a0}b",
    "a\u{85}b",
    "a\u{2028}b",
    "a\u{feff}b",
    "1.",
    ".5",
    "123456789012345678",
    "1234567890123456789",
    "99999999999999999999",
    "'multi\n  line'",
    "\"multi\n  line\"",
    "plain\n  continued",
    "|",
    "|-",
    "|+",
    "|2",
    ">",
    ">-",
    "| # c",
    "|#c",
];

/// Scalars of the usual shape.
const COMMON: &[&str] = &[
    "word",
    "two words",
    "team-04",
    "42",
    "0.95",
    "true",
    "2026-03-01",
    "12 months",
    "\"a: b\"",
    "'it''s'",
    "[a, b]",
    "[]",
    "{op: \">=\", value: 2}",
    "Björn Petrov",
    "a # comment",
    "C#",
    "http://x.y/z",
    "[\"a\", 'b']",
    "\">=\"",
    "[é, ü]",
];

/// Literal bodies: the header's line end is written before them.
const BODIES: &[&str] = &[
    "  one\n  two\n",
    "  one\n\n  two\n",
    "  one\n\n\n",
    "  one\n  \n  two\n",
    "  one\n     \n  two\n",
    "  one\n    more\n  two\n",
    "  # not a comment\n",
    "    deep\n  shallow\n",
    "\n  after a blank\n",
    "  one",
    "  one\n # less\n",
    "  one\n # less\n  two\n",
    "  é ü\n",
    "  a: b\n  - c\n",
    " one space\n",
];

fn doc(rng: &mut Rng) -> String {
    // How odd this document is: the percent of its choices taken from the odd cases.
    let odd = [0, 2, 10, 50][(rng.next() % 4) as usize];
    let scalar = |rng: &mut Rng| {
        if rng.chance(odd) {
            rng.pick(SCALARS)
        } else {
            rng.pick(COMMON)
        }
    };
    let mut out = String::new();
    if rng.chance(odd) {
        out.push_str(rng.pick(&["---\n", "# lead\n", "\n", "  \n", "%YAML 1.2\n---\n"]));
    }
    let mut keys: Vec<&str> = Vec::new();
    for _ in 0..1 + rng.next() % 8 {
        let mut key = if rng.chance(odd) {
            rng.pick(KEYS)
        } else {
            rng.pick(&KEYS[..8])
        };
        if keys.contains(&key) && !rng.chance(odd) {
            continue;
        }
        keys.push(key);
        if rng.chance(odd / 5) {
            key = rng.pick(&["", "  ", "\t", "- "]);
        }
        out.push_str(key);
        out.push(':');
        match rng.next() % 10 {
            0 => {
                // A literal body.
                let header = [" |", " |-", " |+", " | # c", " |2", " >"];
                let header = if rng.chance(odd) {
                    rng.pick(&header)
                } else {
                    header[0]
                };
                out.push_str(header);
                out.push('\n');
                out.push_str(if rng.chance(odd) {
                    rng.pick(BODIES)
                } else {
                    rng.pick(&BODIES[..4])
                });
            }
            1 => {
                // A nested mapping or a list under the key.
                let indent = rng.pick(&["  ", "  ", "    ", " ", ""]);
                let comment = if rng.chance(odd) { "  # c\n" } else { "" };
                out.push('\n');
                out.push_str(comment);
                if rng.chance(50) {
                    for key in ["op", "value", "min"]
                        .iter()
                        .take(1 + (rng.next() % 3) as usize)
                    {
                        out.push_str(&format!("{indent}{key}: {}\n", scalar(rng)));
                    }
                } else {
                    for _ in 0..1 + rng.next() % 3 {
                        let dash = rng.pick(&["- ", "- ", "-   ", "-"]);
                        if rng.chance(60) {
                            out.push_str(&format!("{indent}{dash}{}\n", scalar(rng)));
                            continue;
                        }
                        // A roster entry: a mapping that starts on the line of its `-`.
                        let mut pad = " ".repeat(indent.len() + dash.len());
                        if rng.chance(odd) {
                            pad = rng.pick(&["", " ", "      "]).to_owned();
                        }
                        out.push_str(&format!("{indent}{dash}id: {}\n", scalar(rng)));
                        for key in ["name", "teams", "id"]
                            .iter()
                            .take((rng.next() % 3) as usize)
                        {
                            out.push_str(&format!("{pad}{key}: {}\n", scalar(rng)));
                        }
                        if rng.chance(odd) {
                            out.push_str(&format!("{pad}sub:\n{pad}  - {}\n", scalar(rng)));
                        }
                        if rng.chance(odd) {
                            let body = rng.pick(&[
                                "    one\n",
                                "   one\n\n",
                                "  one\n",
                                "     a\n    b\n",
                            ]);
                            out.push_str(&format!("{pad}body: |\n{body}"));
                        }
                    }
                }
            }
            2 if rng.chance(odd) => out.push('\n'),
            _ => {
                out.push_str(if rng.chance(odd) {
                    rng.pick(&[" ", "  ", "\t"])
                } else {
                    " "
                });
                out.push_str(scalar(rng));
                if rng.chance(odd) {
                    out.push_str(rng.pick(&["  # note", " #", "#x", "  ", "\r"]));
                }
                out.push('\n');
            }
        }
        if rng.chance(odd.max(5)) {
            out.push_str(rng.pick(&["\n", "# between\n", "  # indented\n", "   \n", "...\n"]));
        }
    }
    if rng.chance(odd.max(5)) {
        out.pop();
    }
    out
}

#[test]
fn the_fast_reader_gives_the_full_parsers_tree_or_nothing() {
    // More documents and another seed for a longer run: NORMSCTL_YAML_DOCS=N,SEED.
    let (docs, seed) = std::env::var("NORMSCTL_YAML_DOCS")
        .ok()
        .and_then(|v| {
            let (n, seed) = v.split_once(',')?;
            Some((n.parse().ok()?, seed.parse().ok()?))
        })
        .unwrap_or((10_000, 0x9e37_79b9_7f4a_7c15));
    let mut rng = Rng(seed);
    let (mut read, mut left) = (0, 0);
    for n in 0..docs {
        let text = doc(&mut rng);
        let full = parse_full(&text);
        match plain::parse(&text) {
            Some(node) => {
                read += 1;
                assert_eq!(
                    full,
                    Ok(Some(node)),
                    "document {n}, the fast reader differs:\n{text}"
                );
            }
            None => left += 1,
        }
        assert_eq!(parse(&text), full, "document {n}:\n{text}");
    }
    // Both paths are exercised, so that the comparison means something.
    eprintln!("{read} documents read by the fast reader, {left} left to the full parser");
    assert!(
        read > docs / 5 && left > docs / 5,
        "{read} read, {left} left"
    );
}

#[test]
fn a_policy_of_the_usual_shape_is_read_fast() {
    let text = "id: handover\nkind: metric\ntitle: Handover (é)\nsummary: \"It: works\"\nrevision: 2\napplies_to: [team-a, 'team-b']\ntarget: {op: \"<=\", value: 0.5}\ncontrollable: true\n# a note\ntags:\n- a\n- b\nbody: |\n  One.\n\n  Two.\n";
    let node = plain::parse(text).expect("the fast reader reads it");
    assert_eq!(parse_full(text), Ok(Some(node)));
}
