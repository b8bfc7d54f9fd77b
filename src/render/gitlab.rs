//! GitLab Code Quality (a subset of Code Climate's issue format), which GitLab shows in
//! merge requests. A finding's fingerprint hashes what identifies it — rule, path, policy
//! id and key path — and never its line, so a finding keeps its fingerprint when lines are
//! added above it and GitLab does not report it as fixed-and-new. Pure functions: the key
//! paths come from the caller (see [`key_path`]).

use crate::diag::{Finding, Pos, Severity};
use crate::yaml::{Node, Value};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::Write;

/// What identifies a finding apart from its position.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Anchor {
    /// The policy's `id`, empty for the roster, settings and files that did not load.
    pub policy_id: String,
    /// Keys from the top of the file to the finding (`target.value`, `applies_to[1]`),
    /// empty where the file could not be read as YAML.
    pub key_path: String,
}

/// The Code Quality report: a JSON array with one issue per finding. `anchors` holds one
/// anchor per finding, in the same order.
pub fn gitlab(findings: &[Finding], anchors: &[Anchor]) -> String {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let issues: Vec<_> = findings
        .iter()
        .zip(anchors.iter().chain(std::iter::repeat(&Anchor::default())))
        // Code Quality has no suppression field: a waived finding is left out.
        .filter(|(f, _)| f.suppressed.is_none())
        .map(|(f, anchor)| {
            let identity = format!(
                "{}\0{}\0{}\0{}",
                f.rule.name, f.file, anchor.policy_id, anchor.key_path
            );
            // Two findings of one rule at one key (two terms in one title): number them in
            // report order so that fingerprints stay unique.
            let n = seen.entry(identity.clone()).or_default();
            *n += 1;
            let identity = if *n == 1 {
                identity
            } else {
                format!("{identity}\0{n}")
            };
            json!({
                "type": "issue",
                "check_name": f.rule.name,
                "description": format!("{} ({})", f.message, f.help()),
                "categories": ["Style"],
                "severity": match f.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                    Severity::Notice => "info",
                },
                "fingerprint": hex_sha256(&identity),
                "location": {
                    "path": f.file,
                    "lines": { "begin": f.pos.line },
                },
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&issues).expect("JSON values serialise");
    s.push('\n');
    s
}

fn hex_sha256(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The keys leading to `pos` in a YAML tree: the last key at or before `pos` at each level,
/// with `[i]` for list items (`target.value`, `applies_to[1]`, `people[3].email`).
pub fn key_path(root: &Node, pos: Pos) -> String {
    let mut path = String::new();
    let mut node = root;
    loop {
        let next = match &node.value {
            Value::Map(entries) => {
                let Some((key, value)) = entries
                    .iter()
                    .filter(|(k, _)| k.pos <= pos)
                    .max_by_key(|(k, _)| k.pos)
                else {
                    break;
                };
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key.as_str().unwrap_or("?"));
                value
            }
            Value::Seq(items) => {
                let Some((i, item)) = items
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.pos <= pos)
                    .max_by_key(|(_, n)| n.pos)
                else {
                    break;
                };
                let _ = write!(path, "[{i}]");
                item
            }
            _ => break,
        };
        if next.pos > pos {
            break;
        }
        node = next;
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_at(source: &str, line: u32, column: u32) -> String {
        let node = crate::yaml::parse(source).unwrap().unwrap();
        key_path(&node, Pos::new(line, column))
    }

    #[test]
    fn key_paths_follow_maps_and_lists() {
        let src = "id: a\ntarget: {op: \">=\", value: 10}\napplies_to:\n  - x\n  - y\nbody: |\n  one\n  two\n";
        assert_eq!(path_at(src, 1, 1), "id");
        assert_eq!(path_at(src, 2, 1), "target");
        assert_eq!(path_at(src, 2, 28), "target.value");
        assert_eq!(path_at(src, 5, 5), "applies_to[1]");
        assert_eq!(path_at(src, 8, 3), "body");
    }

    #[test]
    fn fingerprints_ignore_lines_and_stay_unique() {
        use crate::validate::fairness::OUTSIDE_CONTROL;
        let at = |line| Finding::new(&OUTSIDE_CONTROL, "policies/m.yaml", Pos::new(line, 1), "x");
        let anchor = Anchor {
            policy_id: "m".into(),
            key_path: "title".into(),
        };
        let fingerprints = |findings: &[Finding]| -> Vec<String> {
            let doc: serde_json::Value =
                serde_json::from_str(&gitlab(findings, &vec![anchor.clone(); findings.len()]))
                    .unwrap();
            doc.as_array()
                .unwrap()
                .iter()
                .map(|i| i["fingerprint"].as_str().unwrap().to_owned())
                .collect()
        };
        let before = fingerprints(&[at(3), at(3)]);
        let after = fingerprints(&[at(9), at(9)]);
        assert_eq!(before, after, "a line shift keeps fingerprints");
        assert_ne!(before[0], before[1], "fingerprints are unique");
    }
}
