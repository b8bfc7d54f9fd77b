//! Output formats of `validate`: human, json, github, sarif.

use crate::harness::Handbook;

fn broken() -> Handbook {
    let hb = Handbook::new();
    hb.write(
        "policies/b.yaml",
        "id: b\nkind: norm\ntitle: T\nsummary: S\nowner: ana\nrevision: 1\nbody: B\nowners: [x]\n",
    );
    hb.write(
        "policies/metrics/tickets.yaml",
        "id: tickets\nkind: metric\ntitle: Tickets, closed\nsummary: S\nowner: ana\nrevision: 1\nlevel: team\nmeasures: m\n\
         source: s\nunit: tickets\nstatistic: count\ntarget: {op: \">=\", value: 10}\nwindow: week\ngaming_risk: easy ones first\n",
    );
    hb
}

#[test]
fn human_output() {
    let run = broken().run(&["validate"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.stdout, @r"
    policies/b.yaml:8:1: error[unknown-key]: unknown key `owners` in a policy
      help: did you mean `owner`?
    policies/metrics/tickets.yaml:14:1: warning[fairness-no-guardrails]: `tickets` names a gaming risk but no guardrails
      help: add `guardrails:` naming metrics that counter the gaming (for a count, a quality score)
    1 error, 1 warning in 6 files checked
    ");
}

#[test]
fn json_output_is_one_document_with_counts() {
    let run = broken().validate(&["--strict"]);
    let doc = run.json();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["files_checked"], 6);
    assert_eq!(
        doc["counts"],
        serde_json::json!({"errors": 2, "warnings": 0, "notices": 0})
    );
    let first = &doc["findings"][0];
    assert_eq!(first["file"], "policies/b.yaml");
    assert_eq!(first["line"], 8);
    assert_eq!(first["column"], 1);
    assert_eq!(first["severity"], "error");
    assert_eq!(first["rule"], "unknown-key");
    assert_eq!(first["hint"], "did you mean `owner`?");
}

#[test]
fn github_annotations() {
    let run = broken().run(&["validate", "--format", "github"]);
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "::error file=policies/b.yaml,line=8,col=1,title=normsctl unknown-key::unknown key `owners` in a policy (did you mean `owner`?)"
    );
    assert!(lines[1].starts_with("::warning file=policies/metrics/tickets.yaml,line=14,col=1,title=normsctl fairness-no-guardrails::"));
}

#[test]
fn sarif_2_1_0() {
    let run = broken().run(&["validate", "--format", "sarif"]);
    let doc = run.json();
    assert_eq!(doc["version"], "2.1.0");
    let run0 = &doc["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "normsctl");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], result["ruleId"],
            "ruleIndex points at the rule"
        );
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
    }
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "policies/b.yaml"
    );
    assert_eq!(results[1]["level"], "warning");
}

#[test]
fn schema_lists_every_policy_key() {
    let hb = Handbook::new();
    let run = hb.run(&["schema", "--kind", "policy"]);
    assert_eq!(run.code, 0);
    let doc = run.json();
    assert_eq!(doc["additionalProperties"], false);
    for key in ["id", "kind", "target", "guardrails", "controllable"] {
        assert!(doc["properties"][key].is_object(), "{key}");
    }
    let all = hb.run(&["schema"]).json();
    assert!(all["policy"].is_object() && all["roster"].is_object() && all["settings"].is_object());
    let out = hb.path().join("schemas");
    assert_eq!(hb.run(&["schema", "--out", out.to_str().unwrap()]).code, 0);
    assert!(out.join("roster.schema.json").is_file());
}

#[test]
fn committed_schemas_match_the_binary() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for kind in ["policy", "roster", "settings"] {
        let run = crate::harness::run_in(root, &["schema", "--kind", kind]);
        let committed =
            std::fs::read_to_string(root.join(format!("schema/{kind}.schema.json"))).unwrap();
        assert_eq!(
            run.stdout, committed,
            "schema/{kind}.schema.json is stale: run `normsctl schema --out schema`"
        );
    }
}

#[test]
fn the_readme_documents_every_rule() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    for rule in normsctl::validate::ALL_RULES {
        assert!(
            readme.contains(&format!("| `{}` |", rule.name)),
            "README lacks rule {}",
            rule.name
        );
    }
}

#[test]
fn no_colour_when_piped_or_with_no_color() {
    let hb = broken();
    for no_color in [false, true] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_normsctl"));
        cmd.arg("validate")
            .current_dir(hb.path())
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(
            !out.stdout.contains(&0x1b),
            "escape codes in piped output: {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
