//! Data-driven `validate` cases: `tests/fixtures/validate/<case>/` holds the files that
//! differ from `_base/` (under `handbook/`), optionally `remove` (paths to delete from the
//! base), and `expected.txt`: the exit code, then one line per finding. Run with
//! `UPDATE_FIXTURES=1` to write the expected files after a deliberate change, then read
//! the diff.

use crate::harness::Handbook;
use std::collections::BTreeSet;
use std::path::Path;

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

/// What `validate` says about one case, as `expected.txt` holds it.
fn outcome(case: &Path, base: &Path) -> (String, BTreeSet<String>) {
    let hb = Handbook::empty();
    copy_tree(base, hb.path());
    if let Ok(list) = std::fs::read_to_string(case.join("remove")) {
        for rel in list.lines().filter(|l| !l.trim().is_empty()) {
            std::fs::remove_file(hb.path().join(rel.trim())).unwrap();
        }
    }
    if case.join("handbook").is_dir() {
        copy_tree(&case.join("handbook"), hb.path());
    }
    let run = hb.validate(&[]);
    let doc = run.json();
    let mut text = format!("exit {}\n", run.code);
    let mut rules = BTreeSet::new();
    for f in doc["findings"].as_array().unwrap() {
        let rule = f["rule"].as_str().unwrap();
        rules.insert(rule.to_owned());
        text.push_str(&format!(
            "{}:{}:{} {}[{}] {}\n",
            f["file"].as_str().unwrap(),
            f["line"],
            f["column"],
            f["severity"].as_str().unwrap(),
            rule,
            f["message"].as_str().unwrap()
        ));
    }
    (text, rules)
}

#[test]
fn validate_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/validate");
    let base = root.join("_base");
    let update = std::env::var_os("UPDATE_FIXTURES").is_some();
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && p != &base)
        .collect();
    cases.sort();
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    for case in &cases {
        let (text, rules) = outcome(case, &base);
        seen.extend(rules);
        let expected_file = case.join("expected.txt");
        if update {
            std::fs::write(&expected_file, &text).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_file).unwrap_or_default();
        if expected != text {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- got\n{text}",
                case.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        cases.len() >= 20,
        "the fixtures are missing: {}",
        root.display()
    );
    // Every rule a handbook's own files can break has a case here (links, unreadable files
    // and the change rules of --base need a file system or a history: see the other tests).
    let elsewhere = [
        "outside-handbook",
        "template-link",
        "unreadable",
        "revision-not-raised",
        "body-changed",
        "revision-lowered",
        "revision-skipped",
        "revision-raised-for-nothing",
        "new-policy-not-at-1",
    ];
    for rule in normsctl::validate::ALL_RULES {
        assert!(
            seen.contains(rule.name) || elsewhere.contains(&rule.name),
            "no fixture shows rule {}",
            rule.name
        );
    }
}
