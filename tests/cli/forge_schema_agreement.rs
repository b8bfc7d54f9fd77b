//! One truth for editors and CI: every file of every `validate` fixture
//! (`tests/fixtures/validate/<case>/`) is judged by `validate` and by the JSON Schema that
//! `normsctl schema` prints, twice: as editors run it (the `yaml` npm package reads the file,
//! ajv with ajv-formats checks it: `.ci/schema-check.cjs`) and through the `jsonschema`
//! crate (on the tree normsctl's own YAML reader builds). The schema must reject a file
//! exactly when `validate` reports a schema-level finding in it, except for the few
//! questions a schema cannot ask, listed in [`INEXPRESSIBLE`] (and checked to still be
//! true, so the list cannot go stale).

use crate::forge_reports::tool;
use crate::harness::Handbook;
use normsctl::yaml::{self, Node};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Rules about one file's keys, types and values: what a schema can judge.
const SCHEMA_RULES: &[&str] = &[
    "unknown-key",
    "missing-key",
    "wrong-type",
    "invalid-value",
    "field-not-for-kind",
    "bad-id",
    "bad-date",
];

/// Rules that mean the file is not a YAML mapping at all: no schema applies.
const NOT_YAML: &[&str] = &[
    "yaml-syntax",
    "duplicate-key",
    "encoding",
    "file-limit",
    "document-shape",
    "unreadable",
    "outside-handbook",
];

/// `(case, file, why)`: files on which `validate` and a draft-07 schema must disagree.
/// Beyond these, a schema does not judge references, uniqueness (ids, e-mail addresses),
/// ids against file names, or fairness (warnings): those rules are not in
/// [`SCHEMA_RULES`].
const INEXPRESSIBLE: &[(&str, &str, &str)] = &[
    (
        "schema-inexpressible",
        "normsctl.yaml",
        "`timezone: europe/madrid`: jiff finds zones in any letter case; the schema's enumeration has the canonical names",
    ),
    (
        "schema-inexpressible",
        "policies/norms/decimal.yaml",
        "`revision: 1.0`: JSON has one number type, so 1.0 and 1 are the same value",
    ),
    (
        "schema-inexpressible",
        "policies/metrics/range.yaml",
        "`target: {min: 95, max: 80}`: draft-07 cannot compare two values of an instance",
    ),
    (
        "bad-date",
        "policies/norms/far.yaml",
        "`effective: 9999-12-31`: whether a date's start can be placed in time in the handbook's zone takes the zone's rules",
    ),
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/validate")
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).min_depth(1) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The handbook of one case: `_base/`, less `remove`, plus `handbook/`.
fn compose(case: &Path) -> Handbook {
    let hb = Handbook::empty();
    copy_tree(&fixtures().join("_base"), hb.path());
    if let Ok(list) = std::fs::read_to_string(case.join("remove")) {
        for rel in list.lines().filter(|l| !l.trim().is_empty()) {
            std::fs::remove_file(hb.path().join(rel.trim())).unwrap();
        }
    }
    if case.join("handbook").is_dir() {
        copy_tree(&case.join("handbook"), hb.path());
    }
    hb
}

/// One file to judge: which schema applies, and what `validate` said of it.
struct Judged {
    case: String,
    rel: String,
    path: PathBuf,
    schema: &'static str,
    /// Schema-level findings of `validate` in this file (`line:col rule`).
    findings: Vec<String>,
}

fn judged_files() -> (Vec<Judged>, Vec<Handbook>) {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.ends_with("_base"))
        .collect();
    cases.sort();
    let mut judged = Vec::new();
    let mut keep = Vec::new();
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let hb = compose(&case);
        let report = hb.validate(&[]).json();
        let mut by_file: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for f in report["findings"].as_array().unwrap() {
            by_file
                .entry(f["file"].as_str().unwrap().to_owned())
                .or_default()
                .push((
                    f["rule"].as_str().unwrap().to_owned(),
                    format!(
                        "{}:{} {}",
                        f["line"],
                        f["column"],
                        f["rule"].as_str().unwrap()
                    ),
                ));
        }
        for entry in walkdir::WalkDir::new(hb.path()).sort_by_file_name() {
            let entry = entry.unwrap();
            let rel = entry
                .path()
                .strip_prefix(hb.path())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let schema = match rel.as_str() {
                "normsctl.yaml" => "settings",
                "people.yaml" => "roster",
                r if r.starts_with("policies/")
                    && (r.ends_with(".yaml") || r.ends_with(".yml")) =>
                {
                    "policy"
                }
                _ => continue,
            };
            let findings = by_file.get(&rel).cloned().unwrap_or_default();
            if findings
                .iter()
                .any(|(rule, _)| NOT_YAML.contains(&rule.as_str()))
            {
                continue;
            }
            judged.push(Judged {
                case: name.clone(),
                path: entry.path().to_path_buf(),
                rel,
                schema,
                findings: findings
                    .into_iter()
                    .filter(|(rule, _)| SCHEMA_RULES.contains(&rule.as_str()))
                    .map(|(_, at)| at)
                    .collect(),
            });
        }
        keep.push(hb);
    }
    (judged, keep)
}

/// The schemas as the binary prints them.
fn schemas() -> (tempfile::TempDir, BTreeMap<&'static str, Value>) {
    let dir = tempfile::tempdir().unwrap();
    let hb = Handbook::new();
    let run = hb.run(&["schema", "--out", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut docs = BTreeMap::new();
    for kind in ["policy", "roster", "settings"] {
        let text = std::fs::read_to_string(dir.path().join(format!("{kind}.schema.json"))).unwrap();
        docs.insert(kind, serde_json::from_str(&text).unwrap());
    }
    (dir, docs)
}

/// A YAML tree as JSON, the way normsctl's reader sees the file.
fn to_json(node: &Node, source: &str) -> Value {
    match &node.value {
        yaml::Value::Null => Value::Null,
        yaml::Value::Bool(b) => json!(b),
        yaml::Value::Int(i) => i64::try_from(*i).map_or_else(|_| json!(*i as f64), |i| json!(i)),
        yaml::Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        yaml::Value::Str(s) => json!(s),
        yaml::Value::Seq(items) => items.iter().map(|n| to_json(n, source)).collect(),
        yaml::Value::Map(pairs) => Value::Object(
            pairs
                .iter()
                .map(|(k, v)| {
                    let key = k
                        .scalar_text(source)
                        .map(|t| t.into_owned())
                        .unwrap_or_default();
                    (key, to_json(v, source))
                })
                .collect(),
        ),
    }
}

fn rust_verdicts(judged: &[Judged], docs: &BTreeMap<&'static str, Value>) -> Vec<bool> {
    let validators: BTreeMap<&str, jsonschema::Validator> = docs
        .iter()
        .map(|(kind, doc)| {
            let v = jsonschema::draft7::options()
                .should_validate_formats(true)
                .build(doc)
                .unwrap_or_else(|e| panic!("the {kind} schema compiles: {e}"));
            (*kind, v)
        })
        .collect();
    judged
        .iter()
        .map(|j| {
            let source = std::fs::read_to_string(&j.path).unwrap();
            let node = yaml::parse(&source).unwrap().unwrap();
            validators[j.schema].is_valid(&to_json(&node, &source))
        })
        .collect()
}

/// ajv's verdicts through `.ci/schema-check.cjs`; `None` where node or the packages are
/// missing (a failure under `NORMSCTL_REQUIRE_TOOLS=1`).
fn ajv_verdicts(judged: &[Judged], schema_dir: &Path) -> Option<Vec<(bool, Value)>> {
    let node = tool("node", "nodejs")?;
    let ci = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci");
    if !ci.join("node_modules/ajv-formats").is_dir() || !ci.join("node_modules/yaml").is_dir() {
        assert!(
            std::env::var_os("NORMSCTL_REQUIRE_TOOLS").is_none_or(|v| v != "1"),
            "ajv, ajv-formats and yaml are not in .ci/node_modules (run `npm ci` in .ci)"
        );
        eprintln!(
            "skipping ajv: .ci/node_modules lacks ajv-formats or yaml (.ci/run installs them)"
        );
        return None;
    }
    let requests: Vec<Value> = judged
        .iter()
        .map(|j| json!({ "schema": j.schema, "file": j.path }))
        .collect();
    let mut child = std::process::Command::new(node)
        .arg(ci.join("schema-check.cjs"))
        .arg(schema_dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    serde_json::to_writer(child.stdin.take().unwrap(), &requests).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "schema-check.cjs: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    Some(
        answers
            .into_iter()
            .map(|a| (a["valid"].as_bool().unwrap(), a["errors"].clone()))
            .collect(),
    )
}

#[test]
fn editors_and_validate_agree_on_every_fixture() {
    let (judged, _keep) = judged_files();
    let (schema_dir, docs) = schemas();
    let rust = rust_verdicts(&judged, &docs);
    let ajv = ajv_verdicts(&judged, schema_dir.path());
    let listed: BTreeSet<(&str, &str)> = INEXPRESSIBLE.iter().map(|(c, f, _)| (*c, *f)).collect();
    let mut disagreements = Vec::new();
    for (i, j) in judged.iter().enumerate() {
        let validate_ok = j.findings.is_empty();
        let inexpressible = listed.contains(&(j.case.as_str(), j.rel.as_str()));
        // A listed file must still divide them (else the entry is stale).
        let expected = validate_ok != inexpressible;
        let mut say = |who: &str, verdict: bool, detail: String| {
            if verdict != expected {
                disagreements.push(format!(
                    "{}/{}: validate {} ({}), {who} {}{} {detail}",
                    j.case,
                    j.rel,
                    if validate_ok { "accepts" } else { "rejects" },
                    j.findings.join(", "),
                    if verdict { "accepts" } else { "rejects" },
                    if inexpressible {
                        " (listed in INEXPRESSIBLE as a disagreement: remove it if they now agree)"
                    } else {
                        ""
                    },
                ));
            }
        };
        say("the jsonschema crate", rust[i], String::new());
        if let Some(ajv) = &ajv {
            say("ajv", ajv[i].0, ajv[i].1.to_string());
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} disagreements:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    // The fixtures exercise every schema-level rule, so the agreement means something.
    let seen: BTreeSet<&str> = judged
        .iter()
        .flat_map(|j| j.findings.iter().map(|f| f.rsplit(' ').next().unwrap()))
        .collect();
    for rule in SCHEMA_RULES {
        assert!(seen.contains(rule), "no fixture file has a {rule} finding");
    }
}

/// An editor marks a metric key on a norm at the key, with a message naming the kind.
#[test]
fn a_metric_key_on_a_norm_is_marked_at_the_key() {
    let (_dir, docs) = schemas();
    let policy = &docs["policy"];
    let rule = policy["allOf"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["if"]["properties"]["kind"]["const"] == "norm")
        .unwrap();
    assert_eq!(
        rule["then"]["properties"]["window"]["errorMessage"],
        "`window` is only for metrics; this policy is a norm"
    );
    let validator = jsonschema::draft7::new(policy).unwrap();
    let doc = json!({"id": "a", "kind": "norm", "title": "T", "summary": "S", "owner": "ana",
                     "revision": 1, "body": "B", "window": "week"});
    let paths: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| e.instance_path().to_string())
        .collect();
    assert!(paths.contains(&"/window".to_owned()), "{paths:?}");
}
