//! `normsctl validate`: handbook-wide rules, exit codes, root discovery and paths.

use crate::harness::{Handbook, run_in};

fn has(findings: &[String], expected: &str) -> bool {
    findings.iter().any(|f| f == expected)
}

macro_rules! assert_finding {
    ($run:expr, $expected:expr) => {{
        let findings = $run.findings();
        assert!(
            has(&findings, $expected),
            "expected `{}` among {:#?}",
            $expected,
            findings
        );
    }};
}

#[test]
fn the_sample_handbook_validates_strictly() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = run_in(root, &["validate", "--strict", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let doc = run.json();
    assert_eq!(doc["counts"]["errors"], 0);
    assert!(
        doc["files_checked"].as_u64().unwrap() >= 12,
        "about a dozen policies: {doc}"
    );
}

#[test]
fn a_clean_handbook_exits_zero() {
    let hb = Handbook::new();
    let run = hb.run(&["validate"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "ok: 4 files checked, no problems\n");
}

#[test]
fn collects_every_finding_sorted_by_file_and_line() {
    let hb = Handbook::new();
    hb.write(
        "policies/a.yaml",
        "id: a\nkind: norm\ntitel: x\nsummary: s\nowner: nobody\nrevision: 1\nbody: b\n",
    );
    hb.write("policies/b.yaml", "id: b\nkind: norm\ntitle: t\nsummary: s\nowner: ana\nrevision: 0\nbody: b\nrelated: [stepping-awy]\n");
    let run = hb.validate(&[]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.findings(),
        [
            "policies/a.yaml:1:1 missing-key",
            "policies/a.yaml:3:1 unknown-key",
            "policies/a.yaml:5:8 dangling-reference",
            "policies/b.yaml:6:11 invalid-value",
            "policies/b.yaml:8:11 dangling-reference",
        ]
    );
    let doc = run.json();
    let hints: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["hint"].as_str().unwrap())
        .collect();
    assert!(hints.contains(&"did you mean `title`?"), "{hints:?}");
    assert!(
        hints.contains(&"did you mean `stepping-away`?"),
        "{hints:?}"
    );
    assert_eq!(doc["counts"]["errors"], 5);
}

#[test]
fn id_rules() {
    let hb = Handbook::new();
    hb.write("policies/Upper.yaml", NORM_WITH_ID("Upper"));
    hb.write("policies/x/a-b.yaml", NORM_WITH_ID("a/b"));
    hb.write("policies/other-name.yaml", NORM_WITH_ID("mismatch"));
    hb.write(
        "policies/elsewhere/stepping-away.yaml",
        NORM_WITH_ID("stepping-away"),
    );
    let run = hb.validate(&[]);
    assert_finding!(run, "policies/Upper.yaml:1:5 bad-id");
    assert_finding!(run, "policies/x/a-b.yaml:1:5 bad-id");
    assert_finding!(run, "policies/other-name.yaml:1:5 id-not-file-name");
    // Duplicates are reported at the later file (in path order), naming the first.
    assert_finding!(run, "policies/norms/stepping-away.yaml:1:5 duplicate-id");
    assert!(
        run.stdout
            .contains("already used by policies/elsewhere/stepping-away.yaml"),
        "{}",
        run.stdout
    );
}

#[allow(non_snake_case)]
fn NORM_WITH_ID(id: &str) -> String {
    format!("id: {id}\nkind: norm\ntitle: T\nsummary: S\nowner: ana\nrevision: 1\nbody: B\n")
}

#[test]
fn every_kind_of_dangling_reference() {
    let hb = Handbook::new();
    hb.write(
        "policies/refs.yaml",
        "id: refs\nkind: metric\ntitle: T\nsummary: S\nowner: nobody\napplies_to: [agent, tier9]\nrevision: 1\n\
         related: [missing]\nreplaces: [qa-score]\nlevel: team\nmeasures: m\nsource: s\nunit: u\nstatistic: mean\n\
         target: {min: 1, max: 2}\nwindow: week\ngaming_risk: g\nguardrails: [nothing, stepping-away, refs]\n",
    );
    let run = hb.validate(&[]);
    for expected in [
        "policies/refs.yaml:5:8 dangling-reference",
        "policies/refs.yaml:6:21 dangling-reference",
        "policies/refs.yaml:8:11 dangling-reference",
        "policies/refs.yaml:9:12 dangling-reference",
        "policies/refs.yaml:18:14 dangling-reference",
        "policies/refs.yaml:18:23 guardrail-not-metric",
        "policies/refs.yaml:18:38 guardrail-not-metric",
    ] {
        assert_finding!(run, expected);
    }
    assert_eq!(run.findings().len(), 7, "{:#?}", run.findings());
}

#[test]
fn kind_specific_keys_and_required_keys() {
    let hb = Handbook::new();
    hb.write("policies/n.yaml", "id: n\nkind: norm\ntitle: T\nsummary: S\nowner: ana\nrevision: 1\nbody: B\ntarget: {op: \"<\", value: 1}\nlevel: team\n");
    hb.write(
        "policies/m.yaml",
        "id: m\nkind: metric\ntitle: T\nsummary: S\nowner: ana\nrevision: 1\nlevel: individual\n",
    );
    hb.write("policies/k.yaml", "id: k\nkind: rule\ntitle: T\n");
    let run = hb.validate(&[]);
    assert_finding!(run, "policies/n.yaml:8:1 field-not-for-kind");
    assert_finding!(run, "policies/n.yaml:9:1 field-not-for-kind");
    let m: Vec<_> = run
        .findings()
        .into_iter()
        .filter(|f| f.starts_with("policies/m.yaml"))
        .collect();
    // measures, source, unit, statistic, target, window, controllable
    assert_eq!(m.len(), 7, "{m:#?}");
    assert!(m.iter().all(|f| f.ends_with("missing-key")), "{m:#?}");
    assert_finding!(run, "policies/k.yaml:2:7 invalid-value");
}

#[test]
fn wrong_types_and_values() {
    let hb = Handbook::new();
    hb.write(
        "policies/t.yaml",
        "id: t\nkind: metric\ntitle: [a, b]\nsummary: S\nowner: ana\nrevision: two\nlevel: indiviual\nmeasures: m\nsource: s\n\
         unit: u\nstatistic: average\ntarget: {min: 5, max: 1}\nwindow: week\ncontrollable: yes\ntags: {a: 1}\nack: maybe\nack_due_days: 1.5\n",
    );
    let run = hb.validate(&[]);
    for expected in [
        "policies/t.yaml:3:8 wrong-type",
        "policies/t.yaml:6:11 wrong-type",
        "policies/t.yaml:7:8 invalid-value",
        "policies/t.yaml:11:12 invalid-value",
        "policies/t.yaml:12:9 invalid-value",
        "policies/t.yaml:14:15 wrong-type",
        "policies/t.yaml:15:7 wrong-type",
        "policies/t.yaml:16:6 invalid-value",
        "policies/t.yaml:17:15 wrong-type",
    ] {
        assert_finding!(run, expected);
    }
    assert!(
        run.stdout.contains("did you mean `individual`?"),
        "{}",
        run.stdout
    );
    for (n, value) in [".inf", "-.Inf", ".NaN"].into_iter().enumerate() {
        let file = format!("policies/n{n}.yaml");
        hb.write(
            &file,
            format!("id: n{n}\ntarget: {{ op: \"<=\", value: {value} }}\n"),
        );
        assert_finding!(hb.validate(&[]), &format!("{file}:2:28 invalid-value"));
    }
}

#[test]
fn impossible_and_malformed_dates() {
    let hb = Handbook::new();
    hb.write(
        "policies/d1.yaml",
        format!("{}effective: 2026-02-30\n", NORM_WITH_ID("d1")),
    );
    hb.write(
        "policies/d2.yaml",
        format!("{}effective: 1/3/2026\n", NORM_WITH_ID("d2")),
    );
    hb.write(
        "policies/d3.yaml",
        format!("{}effective: 2026-03-01\n", NORM_WITH_ID("d3")),
    );
    let run = hb.validate(&[]);
    assert_eq!(
        run.findings(),
        [
            "policies/d1.yaml:8:12 bad-date",
            "policies/d2.yaml:8:12 bad-date"
        ]
    );
    assert!(run.stdout.contains("not a real calendar date"));
}

#[test]
fn revision_must_be_a_whole_number_from_one() {
    let hb = Handbook::new();
    hb.write(
        "policies/r0.yaml",
        NORM_WITH_ID("r0").replace("revision: 1", "revision: 0"),
    );
    hb.write(
        "policies/r1.yaml",
        NORM_WITH_ID("r1").replace("revision: 1", "revision: 1.5"),
    );
    hb.write(
        "policies/r2.yaml",
        NORM_WITH_ID("r2").replace("revision: 1", "revision: -3"),
    );
    hb.write(
        "policies/r3.yaml",
        NORM_WITH_ID("r3").replace("revision: 1", "revision: \"2\""),
    );
    let run = hb.validate(&[]);
    assert_eq!(
        run.findings(),
        [
            "policies/r0.yaml:6:11 invalid-value",
            "policies/r1.yaml:6:11 wrong-type",
            "policies/r2.yaml:6:11 invalid-value",
            "policies/r3.yaml:6:11 wrong-type",
        ]
    );
}

#[test]
fn an_invalid_roster() {
    let hb = Handbook::new();
    hb.write(
        "people.yaml",
        "teams:\n  - { id: tier1, lead: ghost }\n  - { id: agent }\nroles:\n  - { id: agent }\npeople:\n\
         \x20 - { id: ana, name: Ana, email: ana@example.com, teams: [tier1, tier2], roles: [boss] }\n\
         \x20 - { id: ana, name: Ana Again, email: ANA@example.com }\n\
         \x20 - { id: cy, name: Cy, email: not-an-address, signing_key: hello }\n",
    );
    let run = hb.validate(&[]);
    for expected in [
        "people.yaml:2:24 dangling-reference",
        "people.yaml:5:11 duplicate-id",
        "people.yaml:7:66 dangling-reference",
        "people.yaml:7:82 dangling-reference",
        "people.yaml:8:11 duplicate-id",
        "people.yaml:9:32 invalid-value",
        "people.yaml:9:61 invalid-value",
    ] {
        assert_finding!(run, expected);
    }
    assert_eq!(run.findings().len(), 7, "{:#?}", run.findings());
    assert!(
        run.stdout.contains("who is not a person in the roster"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("the role id `agent` is already used by a team"),
        "{}",
        run.stdout
    );
}

#[test]
fn fairness_rules_warn_and_fail_only_when_strict() {
    let hb = Handbook::new();
    hb.write(
        "policies/metrics/agent-csat.yaml",
        "id: agent-csat\nkind: metric\ntitle: Agent CSAT\nsummary: S\nowner: ana\nrevision: 1\nlevel: individual\n\
         measures: Mean Time-To-Close of the agent's tickets\nsource: s\nunit: percent\nstatistic: mean\n\
         target: {op: \">=\", value: 90}\nwindow: month\ncontrollable: false\nvisibility: public\ngaming_risk: ask friends to rate\n",
    );
    let run = hb.validate(&[]);
    assert_eq!(run.code, 0, "warnings alone exit 0: {}", run.stdout);
    assert_eq!(
        run.findings(),
        [
            "policies/metrics/agent-csat.yaml:1:1 fairness-outside-control",
            "policies/metrics/agent-csat.yaml:14:1 fairness-not-controllable",
            "policies/metrics/agent-csat.yaml:15:1 fairness-public-individual",
            "policies/metrics/agent-csat.yaml:16:1 fairness-no-guardrails",
        ]
    );
    assert!(
        run.stdout.contains("names \\\"csat\\\" in its id"),
        "{}",
        run.stdout
    );
    let strict = hb.validate(&["--strict"]);
    assert_eq!(strict.code, 1);
    assert_eq!(strict.json()["counts"]["errors"], 4);

    // The same metric at team level raises none of the individual rules; custom terms count.
    hb.write(
        "normsctl.yaml",
        "fairness:\n  outside_individual_control: [rubric]\n",
    );
    let run = hb.validate(&[]);
    assert_eq!(
        run.findings(),
        [
            "policies/metrics/agent-csat.yaml:14:1 fairness-not-controllable",
            "policies/metrics/agent-csat.yaml:15:1 fairness-public-individual",
            "policies/metrics/agent-csat.yaml:16:1 fairness-no-guardrails",
            "policies/metrics/qa-score.yaml:9:1 fairness-outside-control",
        ]
    );
}

#[test]
fn settings_are_validated() {
    let hb = Handbook::new();
    hb.write("normsctl.yaml", "title: T\ntimezone: Mars/Olympus\ntimezon: UTC\npolicies: ../elsewhere\nacks:\n  due_days: 0\n  ref: 'bad..ref'\n");
    let run = hb.validate(&[]);
    assert_eq!(
        run.findings(),
        [
            "normsctl.yaml:2:11 invalid-value",
            "normsctl.yaml:3:1 unknown-key",
            "normsctl.yaml:4:11 invalid-value",
            "normsctl.yaml:6:13 invalid-value",
            "normsctl.yaml:7:8 invalid-value",
        ]
    );
}

#[test]
fn root_is_found_upwards_and_paths_are_relative_to_the_work_tree() {
    let hb = Handbook::new();
    hb.write("policies/bad.yaml", "id: bad\n");
    // From a subfolder, the handbook is found upwards.
    let run = crate::harness::run_in(
        &hb.path().join("policies"),
        &["validate", "--format", "json"],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.findings()[0].starts_with("policies/bad.yaml:"),
        "{:?}",
        run.findings()
    );

    // A handbook in a subfolder of a git work tree: paths are relative to the top.
    let top = Handbook::empty();
    git2::Repository::init(top.path()).unwrap();
    for (rel, text) in [
        ("normsctl.yaml", crate::harness::SETTINGS),
        ("people.yaml", crate::harness::ROSTER),
        ("policies/bad.yaml", "id: bad\n"),
    ] {
        top.write(&format!("docs/handbook/{rel}"), text);
    }
    let run = crate::harness::run_in(
        top.path(),
        &["--repo", "docs/handbook", "validate", "--format", "json"],
    );
    assert_eq!(
        run.findings()[0],
        "docs/handbook/policies/bad.yaml:1:1 missing-key"
    );
    let run = crate::harness::run_in(
        &top.path().join("docs/handbook/policies"),
        &["validate", "--format", "json"],
    );
    assert_eq!(
        run.findings()[0],
        "docs/handbook/policies/bad.yaml:1:1 missing-key"
    );
}

#[test]
fn no_handbook_is_an_environment_error() {
    let empty = Handbook::empty();
    let run = empty.run(&["validate"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no handbook found"), "{}", run.stderr);
    assert!(run.stderr.contains("normsctl init"), "{}", run.stderr);
    let run = empty.run(&["--repo", "nowhere", "validate"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no such folder"), "{}", run.stderr);
    let run = empty.run(&["validate", "--format", "yaml"]);
    assert_eq!(run.code, 2, "usage errors exit 2");
}

#[test]
fn a_missing_roster_is_one_finding() {
    let hb = Handbook::new();
    std::fs::remove_file(hb.path().join("people.yaml")).unwrap();
    let run = hb.validate(&[]);
    assert_eq!(run.findings(), ["people.yaml:1:1 missing-file"]);
}

#[test]
fn a_policy_with_a_bad_kind_is_still_checked_and_not_dangling() {
    let hb = Handbook::new();
    hb.write(
        "policies/norms/late.yaml",
        "id: late\nkind: rule\ntitle: Late\nsummary: S\nowner: ana\nrevision: zero\nbody: B\n",
    );
    hb.write(
        "policies/norms/broken.yaml",
        "id: broken\nkind: norm\ntitle: [unclosed\n",
    );
    hb.write(
        "policies/norms/pointer.yaml",
        "id: pointer\nkind: norm\ntitle: P\nsummary: S\nowner: ana\nrevision: 1\nbody: B\nrelated: [late, broken, nowhere]\n",
    );
    let run = hb.validate(&[]);
    assert_eq!(run.code, 1);
    let findings = run.findings();
    assert!(
        has(&findings, "policies/norms/late.yaml:2:7 invalid-value"),
        "{findings:#?}"
    );
    // The rest of the file is checked in the same run.
    assert!(
        has(&findings, "policies/norms/late.yaml:6:11 wrong-type"),
        "{findings:#?}"
    );
    // Files that exist but could not be read are not dangling references...
    assert!(
        !findings
            .iter()
            .any(|f| f.starts_with("policies/norms/pointer.yaml:8:11")),
        "{findings:#?}"
    );
    // ...while a missing one is.
    assert_eq!(
        findings
            .iter()
            .filter(|f| f.starts_with("policies/norms/pointer.yaml")
                && f.ends_with("dangling-reference"))
            .count(),
        1,
        "{findings:#?}"
    );
}
