//! Data-driven `validate` cases.
//!
//! `tests/fixtures/validate/<case>/` holds the files that differ from `_base/` (under
//! `handbook/`), optionally `remove` (paths to delete from the base), and `expected.txt`: the
//! exit code, then one line per finding (and, under a waived one, its waiver).
//!
//! `tests/fixtures/changes/<case>/` holds the change rules of `validate --base`: the
//! validate fixtures' `_base/`, overlaid with the case's `base/` when it has one, is
//! committed; then `remove` is applied and `head/` is overlaid on the work tree, and
//! `validate --base HEAD` gives `expected.txt`.
//!
//! Run with `UPDATE_FIXTURES=1` to write the expected files after a deliberate change, then
//! read the diff.

use crate::harness::{Handbook, Run};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The change rules of `--base`: every one has a case under `tests/fixtures/changes/`.
const CHANGE_RULES: [&str; 7] = [
    "revision-not-raised",
    "body-changed",
    "revision-lowered",
    "revision-skipped",
    "revision-raised-for-nothing",
    "new-policy-not-at-1",
    "reviewed-in-future",
];

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

fn remove_listed(case: &Path, hb: &Handbook) {
    if let Ok(list) = std::fs::read_to_string(case.join("remove")) {
        for rel in list.lines().filter(|l| !l.trim().is_empty()) {
            std::fs::remove_file(hb.path().join(rel.trim())).unwrap();
        }
    }
}

/// A `validate --format json` run as `expected.txt` holds it, and the rules it names.
fn describe(run: &Run) -> (String, BTreeSet<String>) {
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
        if let Some(s) = f.get("suppressed") {
            text.push_str(&format!(
                "  waived ({}): {}\n",
                s["kind"].as_str().unwrap(),
                s["reason"].as_str().unwrap()
            ));
        }
    }
    (text, rules)
}

/// What `validate` says about one case.
fn outcome(case: &Path, base: &Path) -> (String, BTreeSet<String>) {
    let hb = Handbook::empty();
    copy_tree(base, hb.path());
    remove_listed(case, &hb);
    if case.join("handbook").is_dir() {
        copy_tree(&case.join("handbook"), hb.path());
    }
    describe(&hb.validate(&[]))
}

/// What `validate --base HEAD` says about one change case.
fn change_outcome(case: &Path, base: &Path) -> (String, BTreeSet<String>) {
    use crate::history::{T0, commit, set_head};
    let hb = Handbook::empty();
    let repo = git2::Repository::init(hb.path()).unwrap();
    copy_tree(base, hb.path());
    if case.join("base").is_dir() {
        copy_tree(&case.join("base"), hb.path());
    }
    set_head(&repo, commit(&repo, "Base", ("Ana", T0, 60), (T0, 60), &[]));
    remove_listed(case, &hb);
    if case.join("head").is_dir() {
        copy_tree(&case.join("head"), hb.path());
    }
    describe(&hb.validate(&["--base", "HEAD"]))
}

/// Runs every case folder under `root` (but `skip`) through `outcome` and compares it with
/// its `expected.txt` (or writes that with `UPDATE_FIXTURES`); returns the rules seen.
fn run_cases(
    root: &Path,
    skip: &Path,
    min_cases: usize,
    outcome: impl Fn(&Path) -> (String, BTreeSet<String>),
) -> BTreeSet<String> {
    let update = std::env::var_os("UPDATE_FIXTURES").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && p != skip)
        .collect();
    cases.sort();
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    for case in &cases {
        let (text, rules) = outcome(case);
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
        cases.len() >= min_cases,
        "the fixtures are missing: {}",
        root.display()
    );
    seen
}

#[test]
fn validate_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/validate");
    let base = root.join("_base");
    let seen = run_cases(&root, &base, 20, |case| outcome(case, &base));
    // Every rule a handbook's own files can break has a case here (links and unreadable
    // files need a file system: see bad_input and security; change rules are below; the
    // key-change rules need a ledger: see acks_keys).
    let elsewhere = [
        "outside-handbook",
        "template-link",
        "unreadable",
        "key-change-unanchored",
        "bad-key-anchor",
    ];
    for rule in normsctl::validate::ALL_RULES {
        assert!(
            seen.contains(rule.name)
                || elsewhere.contains(&rule.name)
                || CHANGE_RULES.contains(&rule.name),
            "no fixture shows rule {}",
            rule.name
        );
    }
}

#[test]
fn change_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/changes");
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/validate/_base");
    let seen = run_cases(&root, &base, 10, |case| change_outcome(case, &base));
    for rule in CHANGE_RULES {
        assert!(seen.contains(rule), "no change fixture shows rule {rule}");
    }
}
