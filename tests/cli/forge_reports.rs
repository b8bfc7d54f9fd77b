//! `validate --format junit` (validated with xmllint against the Ant/Jenkins JUnit schema)
//! and `--format gitlab` (GitLab Code Quality, validated against its schema; fingerprints
//! that survive lines added above a finding).

use crate::harness::{self, Handbook};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `broken` handbook of formats.rs (an unknown key, a gaming risk without guardrails)
/// plus a policy whose file name needs escaping in XML.
fn broken() -> Handbook {
    let hb = Handbook::new();
    hb.write(
        "policies/b.yaml",
        "id: b\nkind: norm\ntitle: T\nsummary: S\nowner: ana\nrevision: 1\nbody: B\nowners: [x]\n",
    );
    hb.write("policies/metrics/tickets.yaml", TICKETS);
    hb.write(
        "policies/norms/a&b <c>.yaml",
        harness::NORM.replace("stepping-away", "amp"),
    );
    hb
}

const TICKETS: &str = "id: tickets\nkind: metric\ntitle: Tickets, closed\nsummary: S\nowner: ana\nrevision: 1\nlevel: team\nmeasures: m\n\
     source: s\nunit: tickets\nstatistic: count\ntarget: {op: \">=\", value: 10}\nwindow: week\ngaming_risk: easy ones first\n";

fn spec(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/specs")
        .join(rel)
}

#[test]
fn junit_has_a_test_case_per_file_and_a_failure_per_finding() {
    let hb = broken();
    let run = hb.run(&["validate", "--format", "junit"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let xml = &run.stdout;
    // settings, roster, and five policies; three with one finding each
    assert_eq!(xml.matches("<testcase ").count(), 7, "{xml}");
    assert_eq!(xml.matches("<failure ").count(), 3, "{xml}");
    assert!(
        xml.contains("tests=\"7\" failures=\"3\" errors=\"0\""),
        "{xml}"
    );
    assert!(xml.contains(
        "<testcase name=\"policies/b.yaml\" classname=\"normsctl\">\n      \
         <failure type=\"error[unknown-key]\" message=\"8:1: unknown key `owners` in a policy\">"
    ));
    assert!(xml.contains("<failure type=\"warning[fairness-no-guardrails]\""));
    assert!(
        xml.contains("name=\"policies/norms/a&amp;b &lt;c&gt;.yaml\""),
        "{xml}"
    );
    assert!(xml.contains("<testcase name=\"normsctl.yaml\" classname=\"normsctl\"/>"));

    let clean = Handbook::new().run(&["validate", "--format", "junit"]);
    assert_eq!(clean.code, 0);
    assert!(
        clean.stdout.contains("tests=\"4\" failures=\"0\""),
        "{}",
        clean.stdout
    );
}

#[test]
fn junit_passes_xmllint_against_the_junit_schemas() {
    let Some(xmllint) = tool("xmllint", "libxml2-utils") else {
        return;
    };
    let hb = broken();
    let report = hb.path().join("report.xml");
    std::fs::write(&report, hb.run(&["validate", "--format", "junit"]).stdout).unwrap();
    let mut schemas = vec![spec("junit-ant.xsd")];
    // The published Jenkins schema, where the steering repository keeps a copy.
    let jenkins = harness_shared_optional("specs/junit.xsd");
    schemas.extend(jenkins);
    for schema in schemas {
        let out = Command::new(&xmllint)
            .arg("--noout")
            .arg("--schema")
            .arg(&schema)
            .arg(&report)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "xmllint --schema {}:\n{}",
            schema.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `../shared/<rel>` if that file is there: the published schemas are an extra check, not
/// required even where `../shared` is.
fn harness_shared_optional(rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "note: {} is absent; checked against tests/fixtures/specs only",
            path.display()
        );
        None
    }
}

/// An external program on PATH; `None` (with a note) when absent, unless
/// `NORMSCTL_REQUIRE_TOOLS=1` (CI installs them).
pub fn tool(name: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("NORMSCTL_REQUIRE_TOOLS").is_none_or(|v| v != "1"),
            "{name} is not on PATH and NORMSCTL_REQUIRE_TOOLS=1 (install {package})"
        );
        eprintln!("skipping: {name} is not on PATH (install {package}; .ci/run does)");
    }
    found
}

fn gitlab(hb: &Handbook) -> Value {
    let run = hb.run(&["validate", "--format", "gitlab"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.json()
}

fn validator(schema: &Path) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(schema).unwrap()).unwrap();
    jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles")
}

#[test]
fn gitlab_code_quality_matches_the_schema() {
    let hb = broken();
    let doc = gitlab(&hb);
    let issues = doc.as_array().unwrap();
    assert_eq!(issues.len(), 3);
    let first = &issues[0];
    assert_eq!(first["check_name"], "unknown-key");
    assert_eq!(first["severity"], "major");
    assert_eq!(first["location"]["path"], "policies/b.yaml");
    assert_eq!(first["location"]["lines"]["begin"], 8);
    assert_eq!(issues[1]["check_name"], "fairness-no-guardrails");
    assert_eq!(issues[1]["severity"], "minor");
    let errors: Vec<String> = validator(&spec("gitlab-codequality.schema.json"))
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // GitLab's own parser schema (one issue), where the steering repository keeps a copy.
    if let Some(path) = harness_shared_optional("specs/gitlab-codeclimate.json") {
        let gitlab = validator(&path);
        for issue in issues {
            assert!(gitlab.is_valid(issue), "{issue}");
        }
    }
    let mut fingerprints: Vec<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), 3, "fingerprints are unique");
}

#[test]
fn gitlab_fingerprints_survive_lines_added_above() {
    let hb = broken();
    let before = gitlab(&hb);
    // Lines added on top: every line number changes.
    hb.write(
        "policies/metrics/tickets.yaml",
        format!("# a\n# b\n# c\n{TICKETS}"),
    );
    hb.write(
        "policies/b.yaml",
        "# moved\n\nid: b\nkind: norm\ntitle: T\nsummary: S\nowner: ana\nrevision: 1\nbody: B\nowners: [x]\n",
    );
    let after = gitlab(&hb);
    let by_rule = |doc: &Value, rule: &str| -> (String, u64) {
        let issue = doc
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["check_name"] == rule)
            .unwrap_or_else(|| panic!("no {rule} in {doc}"));
        (
            issue["fingerprint"].as_str().unwrap().to_owned(),
            issue["location"]["lines"]["begin"].as_u64().unwrap(),
        )
    };
    for rule in ["unknown-key", "fairness-no-guardrails"] {
        let (fp_before, line_before) = by_rule(&before, rule);
        let (fp_after, line_after) = by_rule(&after, rule);
        assert_ne!(line_before, line_after, "{rule}: the line moved");
        assert_eq!(fp_before, fp_after, "{rule}: the fingerprint stayed");
    }
    // The same rule at another key is another finding.
    hb.write(
        "policies/b.yaml",
        "id: b\nkind: norm\ntitle: T\nsummary: S\nowner: ana\nrevision: 1\nbody: B\nowner_s: [x]\n",
    );
    let (moved, _) = by_rule(&gitlab(&hb), "unknown-key");
    assert_ne!(moved, by_rule(&before, "unknown-key").0);
}
