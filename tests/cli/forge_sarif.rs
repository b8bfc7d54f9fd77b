//! SARIF as code scanning reads it: valid against the official 2.1.0 schema (with URI
//! formats checked) for file names with a space, a non-ASCII letter or `%`, and for a
//! handbook inside a folder with a space; clean under Microsoft's SARIF multitool
//! (`--rule-kind "Gh;Sarif"`) where it is installed; rules documented in `docs/rules.md`.

use crate::harness::{self, Handbook, Run};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The files whose names broke SARIF: each is reported (its stem is not its id).
const ODD_NAMES: [&str; 3] = ["my policy", "café", "100%"];

/// A handbook in a git repository at `top/<folder>` (the repository's top when `folder`
/// is empty), with three policies under odd file names.
fn odd_handbook(folder: &str) -> (Handbook, PathBuf) {
    let hb = Handbook::empty();
    let base = if folder.is_empty() {
        String::new()
    } else {
        format!("{folder}/")
    };
    hb.write(&format!("{base}normsctl.yaml"), harness::SETTINGS);
    hb.write(&format!("{base}people.yaml"), harness::ROSTER);
    hb.write(
        &format!("{base}policies/norms/stepping-away.yaml"),
        harness::NORM,
    );
    for (i, name) in ODD_NAMES.iter().enumerate() {
        let text = harness::NORM.replace("stepping-away", &format!("odd-{i}"));
        hb.write(&format!("{base}policies/norms/{name}.yaml"), text);
    }
    let status = std::process::Command::new("git")
        .args(["init", "-q", "."])
        .current_dir(hb.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .expect("git init");
    assert!(status.success());
    let dir = hb.path().join(folder);
    (hb, dir)
}

fn sarif_of(dir: &Path) -> Run {
    let run = harness::run_in(dir, &["validate", "--format", "sarif"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run
}

fn uris(doc: &Value) -> Vec<String> {
    doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn uris_are_percent_encoded_relative_to_the_repository_root() {
    let (_hb, dir) = odd_handbook("support handbook");
    let doc = sarif_of(&dir).json();
    let uris = uris(&doc);
    for expected in [
        "support%20handbook/policies/norms/my%20policy.yaml",
        "support%20handbook/policies/norms/caf%C3%A9.yaml",
        "support%20handbook/policies/norms/100%25.yaml",
    ] {
        assert!(uris.iter().any(|u| u == expected), "{expected} in {uris:?}");
    }
    let run = &doc["runs"][0];
    let location = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(location["uriBaseId"], "%SRCROOT%");
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
    assert!(!root.contains(' ') && !root.contains("support"), "{root}");
}

#[test]
fn every_rule_is_described_for_code_scanning() {
    let (_hb, dir) = odd_handbook("");
    let doc = sarif_of(&dir).json();
    let driver = &doc["runs"][0]["tool"]["driver"];
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        driver["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), normsctl::validate::ALL_RULES.len());
    let page = std::fs::read_to_string(repo_file("docs/rules.md")).unwrap();
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        for field in [
            "/shortDescription/text",
            "/fullDescription/text",
            "/help/text",
            "/help/markdown",
        ] {
            let text = rule.pointer(field).and_then(Value::as_str).unwrap_or("");
            assert!(!text.is_empty(), "{id} lacks {field}");
        }
        let uri = rule["helpUri"].as_str().unwrap();
        assert!(uri.ends_with(&format!("docs/rules.md#{id}")), "{uri}");
        assert!(
            page.contains(&format!("\n## {id}\n")),
            "docs/rules.md lacks {id}"
        );
    }
}

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// `docs/rules.md` is what the rule descriptors generate; `UPDATE_FIXTURES=1` rewrites it.
#[test]
fn rules_page_matches_the_rule_descriptors() {
    let generated = normsctl::render::rules_doc::rules_markdown();
    let path = repo_file(normsctl::render::rules_doc::RULES_PATH);
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rules.md is stale: run `UPDATE_FIXTURES=1 cargo test --test cli rules_page` and commit it"
    );
}

pub fn sarif_validator() -> Option<jsonschema::Validator> {
    let path = harness::shared("specs/sarif-schema-2.1.0.json")?;
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    Some(
        jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles"),
    )
}

pub fn schema_errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn odd_names_pass_the_official_schema() {
    let Some(validator) = sarif_validator() else {
        return;
    };
    for folder in ["", "support handbook"] {
        let (_hb, dir) = odd_handbook(folder);
        let doc = sarif_of(&dir).json();
        assert_eq!(uris(&doc).len(), 3, "each odd name differs from its id");
        let errors = schema_errors(&validator, &doc);
        assert!(errors.is_empty(), "in {folder:?}: {errors:#?}");
    }
}

/// The validator checks URI formats: the raw path that the old output had is rejected, so
/// the test above would catch a regression.
#[test]
fn the_schema_check_rejects_a_raw_path() {
    let Some(validator) = sarif_validator() else {
        return;
    };
    let (_hb, dir) = odd_handbook("support handbook");
    let mut doc = sarif_of(&dir).json();
    doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        "support handbook/policies/norms/my policy.yaml".into();
    assert!(!schema_errors(&validator, &doc).is_empty());
}

/// Microsoft's SARIF multitool (npm `@microsoft/sarif-multitool`, which `.ci/run`
/// installs): `validate --rule-kind "Gh;Sarif"` reports nothing, not even a warning. It
/// exits 0 whatever it finds, so its own SARIF log is read.
#[test]
fn the_sarif_multitool_finds_nothing() {
    let Some(tool) = multitool() else {
        return;
    };
    for folder in ["", "support handbook"] {
        let (hb, dir) = odd_handbook(folder);
        let input = hb.path().join("normsctl.sarif");
        std::fs::write(&input, sarif_of(&dir).stdout).unwrap();
        let log = hb.path().join("validation.sarif");
        let out = std::process::Command::new(&tool)
            .args(["validate", "--rule-kind", "Gh;Sarif", "-o"])
            .arg(&log)
            .arg(&input)
            .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
            .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
            .output()
            .expect("run the multitool");
        let console = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "multitool failed:\n{console}");
        let log: Value = serde_json::from_str(&std::fs::read_to_string(&log).unwrap()).unwrap();
        let run = &log["runs"][0];
        let results = run["results"].as_array().map(Vec::len).unwrap_or(0);
        assert_eq!(results, 0, "in {folder:?}:\n{console}");
        assert_eq!(
            run["invocations"][0]["executionSuccessful"], true,
            "{console}"
        );
    }
}

/// The multitool's executable: `NORMSCTL_SARIF_MULTITOOL`, else where `.ci/run` installs
/// it. `None` (with a note) when absent, unless `NORMSCTL_REQUIRE_TOOLS=1`.
fn multitool() -> Option<PathBuf> {
    let path = std::env::var_os("NORMSCTL_SARIF_MULTITOOL")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            repo_file(".ci/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool")
        });
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("NORMSCTL_REQUIRE_TOOLS").is_none_or(|v| v != "1"),
        "the SARIF multitool is not at {} and NORMSCTL_REQUIRE_TOOLS=1",
        path.display()
    );
    eprintln!(
        "skipping: the SARIF multitool is not at {} (.ci/run installs it)",
        path.display()
    );
    None
}
