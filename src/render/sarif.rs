//! SARIF 2.1.0 for code-scanning tools (GitHub code scanning, the SARIF multitool, IDE
//! viewers): every rule described in full, and every location a percent-encoded URI
//! relative to the repository root. A pure function of the findings and the root's path;
//! it reads no file.

use super::rules_doc;
use crate::diag::Finding;
use crate::validate::ALL_RULES;
use serde_json::json;
use std::path::Path;

/// The name under which locations are relative to the repository root (GitHub code
/// scanning and the SARIF spec's examples use this one).
pub const SRCROOT: &str = "%SRCROOT%";

/// SARIF 2.1.0. `root` is the folder that finding paths are relative to (the top of the
/// git work tree, or the handbook root outside git); it becomes `originalUriBaseIds`.
pub fn sarif(findings: &[Finding], root: &Path) -> String {
    let rules: Vec<_> = ALL_RULES.iter().map(|r| rules_doc::sarif_rule(r)).collect();
    let results: Vec<_> = findings
        .iter()
        .map(|f| {
            let mut result = json!({
                "ruleId": f.rule.name,
                "ruleIndex": ALL_RULES.iter().position(|r| r.name == f.rule.name).unwrap_or(0),
                "level": f.severity.sarif_level(),
                "message": { "text": sentence(&format!("{} ({})", f.message, f.help())) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri_path(&f.file), "uriBaseId": SRCROOT },
                        "region": { "startLine": f.pos.line, "startColumn": f.pos.column },
                    }
                }],
            });
            if let Some(s) = &f.suppressed {
                result["suppressions"] = json!([{
                    "kind": s.kind.as_str(),
                    "status": "accepted",
                    "justification": s.reason,
                }]);
            }
            result
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "normsctl",
                "version": crate::VERSION,
                "semanticVersion": crate::VERSION,
                "informationUri": rules_doc::HOME,
                "rules": rules,
            }},
            "originalUriBaseIds": {
                SRCROOT: {
                    "uri": file_uri_of_dir(root),
                    "description": { "text": "The root of the repository (or of the handbook outside git)." },
                },
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("JSON values serialise");
    s.push('\n');
    s
}

/// A relative path as an RFC 3986 relative reference: every byte outside the unreserved
/// set (letters, digits, `-._~`) and the `/` separator is percent-encoded, so a space, a
/// `%`, a `#`, a colon in the first segment or a non-ASCII letter cannot break the URI.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `file:///...`/ of an absolute folder, with a trailing slash (SARIF requires one on a
/// base URI so that relative references resolve inside it).
fn file_uri_of_dir(dir: &Path) -> String {
    let segments: Vec<String> = dir
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(part) => {
                Some(uri_path(&part.to_string_lossy()).replace('/', "%2F"))
            }
            _ => None,
        })
        .collect();
    if segments.is_empty() {
        "file:///".to_owned()
    } else {
        format!("file:///{}/", segments.join("/"))
    }
}

/// A message ends with a period (SARIF2001): `x (y)` becomes `x (y).`.
fn sentence(text: &str) -> String {
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri_path("policies/a-b_c.yaml"), "policies/a-b_c.yaml");
        assert_eq!(
            uri_path("support handbook/policies/my policy.yaml"),
            "support%20handbook/policies/my%20policy.yaml"
        );
        assert_eq!(
            uri_path("policies/café 100%.yaml"),
            "policies/caf%C3%A9%20100%25.yaml"
        );
        assert_eq!(uri_path("a:b/#c?.yaml"), "a%3Ab/%23c%3F.yaml");
    }

    #[test]
    fn root_is_a_file_uri_with_a_trailing_slash() {
        assert_eq!(
            file_uri_of_dir(Path::new("/work/my repo")),
            "file:///work/my%20repo/"
        );
        assert_eq!(file_uri_of_dir(Path::new("/")), "file:///");
    }
}
