//! The public YAML conformance suite (../shared/yaml-test-suite): every invalid input is a
//! YAML syntax finding with a line and column; no input, valid or not, panics or hangs; a
//! valid single mapping fails only on the handbook's own rules.

use crate::harness::shared;
use normsctl::load::{Location, load};

const SYNTAX_RULES: [&str; 2] = ["yaml-syntax", "duplicate-key"];

fn cases(kind: &str) -> Option<Vec<std::path::PathBuf>> {
    let dir = shared(&format!("yaml-test-suite/yaml-{kind}-cases"))?;
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    Some(files)
}

/// Loads `case` as the one policy of a minimal handbook; returns the rules of its findings.
fn load_as_policy(case: &std::path::Path) -> Vec<(String, u32, u32)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("policies")).unwrap();
    std::fs::write(dir.path().join("people.yaml"), crate::harness::ROSTER).unwrap();
    std::fs::copy(case, dir.path().join("policies/case.yaml")).unwrap();
    let loc = Location::at(dir.path().canonicalize().unwrap());
    let loaded = load(&loc).expect("the handbook loads");
    loaded
        .findings
        .iter()
        .filter(|f| f.file == "policies/case.yaml")
        .map(|f| (f.rule.name.to_owned(), f.pos.line, f.pos.column))
        .collect()
}

#[test]
fn every_invalid_case_is_a_yaml_syntax_finding() {
    let Some(files) = cases("error") else { return };
    assert_eq!(files.len(), 94);
    let mut missed = Vec::new();
    for case in &files {
        let findings = load_as_policy(case);
        let syntax = findings.iter().find(|(rule, line, col)| {
            SYNTAX_RULES.contains(&rule.as_str()) && *line >= 1 && *col >= 1
        });
        if syntax.is_none() {
            missed.push(format!(
                "{}: {findings:?}",
                case.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(
        missed.is_empty(),
        "{} of 94 invalid cases were not YAML syntax findings:\n{}",
        missed.len(),
        missed.join("\n")
    );
}

#[test]
fn valid_cases_never_fail_as_yaml() {
    let Some(files) = cases("valid") else { return };
    assert_eq!(files.len(), 308);
    let mut wrong = Vec::new();
    let mut rejected = Vec::new();
    for case in &files {
        let text = std::fs::read_to_string(case).unwrap();
        let parsed = normsctl::yaml::parse(&text);
        let findings = load_as_policy(case);
        let single_mapping =
            matches!(parsed, Ok(Some(ref n)) if matches!(n.value, normsctl::yaml::Value::Map(_)));
        if parsed.is_err() {
            rejected.push(case.file_stem().unwrap().to_string_lossy().into_owned());
        }
        if single_mapping
            && findings
                .iter()
                .any(|(rule, ..)| SYNTAX_RULES.contains(&rule.as_str()))
        {
            wrong.push(format!("{}: {findings:?}", case.display()));
        }
    }
    eprintln!(
        "valid cases refused as a policy file (streams of several documents, complex or duplicate keys): {}: {rejected:?}",
        rejected.len()
    );
    assert!(
        wrong.is_empty(),
        "valid single mappings rejected as YAML:\n{}",
        wrong.join("\n")
    );
}

/// The fast reader of the plain shape gives the full parser's tree (values, positions and
/// spans) on every case it reads, and leaves the others to the full parser.
#[test]
fn the_fast_reader_agrees_with_the_full_parser_on_every_case() {
    let (Some(valid), Some(invalid)) = (cases("valid"), cases("error")) else {
        return;
    };
    let mut read = 0;
    for case in valid.iter().chain(&invalid) {
        let bytes = std::fs::read(case).unwrap();
        let Ok(text) = normsctl::yaml::decode_utf8(&bytes) else {
            continue;
        };
        if let Some(node) = normsctl::yaml::parse_plain(text) {
            read += 1;
            assert_eq!(
                normsctl::yaml::parse_full(text),
                Ok(Some(node)),
                "{}",
                case.display()
            );
        }
        assert_eq!(
            normsctl::yaml::parse(text),
            normsctl::yaml::parse_full(text),
            "{}",
            case.display()
        );
    }
    assert!(read > 0, "no case has the plain shape");
}
