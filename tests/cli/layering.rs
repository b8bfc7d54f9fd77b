//! The library's modules use only the layers below them (STYLE.md, "The shape we want"),
//! read from the `crate::…` paths in each top-level module's files: an arrow upwards, or an
//! import cycle between modules of one layer, fails with the file that holds it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each line may use the lines below it (a higher number), never one above.
const LAYERS: &[&[&str]] = &[
    &["site", "ack", "mcp", "portal", "scaffold", "schema"],
    &["render"],
    &["validate"],
    &["workspace"],
    &["history", "diff"],
    &["load"],
    &["model", "rules"],
    &["diag", "atomic", "cache", "http", "yaml"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `(from, to, file)` for every `crate::to` path in the library's module `from`.
fn arrows() -> Vec<(String, String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let from = first.trim_end_matches(".rs").to_owned();
        if ["lib", "main", "cli"].contains(&from.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            for (i, _) in code.match_indices("crate::") {
                let before = code[..i].chars().last();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let to: String = code[i + 7..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                // `crate::{a, b}` groups name several modules.
                let names: Vec<String> = if to.is_empty() && code[i + 7..].starts_with('{') {
                    let group = &code[i + 8..];
                    let end = group.find('}').unwrap_or(group.len());
                    group[..end]
                        .split(',')
                        .map(|n| n.trim().split("::").next().unwrap_or("").to_owned())
                        .collect()
                } else {
                    vec![to]
                };
                for to in names {
                    if !to.is_empty() && to != from && to != "VERSION" {
                        out.push((from.clone(), to, rel.display().to_string()));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn modules_use_only_the_layers_below_them() {
    let mut wrong = Vec::new();
    let mut same_line: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to, file) in arrows() {
        let (Some(a), Some(b)) = (layer(&from), layer(&to)) else {
            wrong.push(format!(
                "{file}: `{from}` or `{to}` is in no layer of STYLE.md"
            ));
            continue;
        };
        if a > b {
            wrong.push(format!("{file}: `{from}` uses `{to}`, a layer above it"));
        } else if a == b {
            same_line.entry(from).or_default().insert(to);
        }
    }
    // Within a line, any arrows must not form a cycle.
    for (from, tos) in &same_line {
        for to in tos {
            if same_line.get(to).is_some_and(|back| back.contains(from)) {
                wrong.push(format!("`{from}` and `{to}` use each other"));
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn the_reader_sees_the_arrows() {
    let all = arrows();
    assert!(all.iter().any(|(f, t, _)| f == "load" && t == "rules"));
    assert!(all.iter().any(|(f, t, _)| f == "validate" && t == "load"));
}

/// A file past a few hundred lines is a sign that it holds two things (STYLE.md).
#[test]
fn no_source_file_is_over_600_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).unwrap().lines().count();
            (lines > 600).then(|| format!("{}: {lines} lines", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "{}", long.join("\n"));
}
