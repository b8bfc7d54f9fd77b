//! Justified waivers: a `# normsctl: allow RULE -- reason` comment above a key, and the
//! `Normsctl-Editorial:` trailer that waives `body-changed` on a branch. Waived findings
//! are reported as waived in every format and never fail `--strict`.

use crate::forge_sarif::{sarif_validator, schema_errors};
use crate::harness::{Handbook, ROSTER, SETTINGS};
use crate::history::{HOUR, T0, commit, set_head};
use git2::Repository;

const METRIC: &str = "\
id: first-reply
kind: metric
title: First reply
summary: Reply fast.
owner: ana
applies_to: [agent]
revision: 1
level: individual
measures: Minutes from a ticket arriving to my first public reply
source: Helpdesk tickets
unit: minutes
statistic: median
target: { op: \"<=\", value: 45 }
window: week
controllable: true
visibility: private
body: |
  Reply to every new ticket within one hour.
  Say who you are.
";

/// A handbook whose one metric is shown publicly (a fairness warning), waived above the key.
fn waived_handbook() -> Handbook {
    let hb = Handbook::empty();
    hb.write("normsctl.yaml", SETTINGS);
    hb.write("people.yaml", ROSTER);
    hb.write(
        "policies/first-reply.yaml",
        METRIC.replace(
            "visibility: private\n",
            "# normsctl: allow fairness-public-individual -- the team asked for a shared board\nvisibility: public\n",
        ),
    );
    hb
}

#[test]
fn a_waived_warning_passes_strict_and_is_reported_in_every_format() {
    let hb = waived_handbook();
    let run = hb.validate(&["--strict"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let doc = run.json();
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["counts"]["warnings"], 0);
    assert_eq!(doc["counts"]["errors"], 0);
    assert_eq!(doc["waived"], 1);
    let f = &doc["findings"][0];
    assert_eq!(f["rule"], "fairness-public-individual");
    assert_eq!(
        f["severity"], "warning",
        "--strict leaves a waived finding alone"
    );
    assert_eq!(f["line"], 17);
    assert_eq!(f["suppressed"]["kind"], "inSource");
    assert_eq!(
        f["suppressed"]["reason"],
        "the team asked for a shared board"
    );

    let sarif = hb.run(&["validate", "--strict", "--format", "sarif"]);
    assert_eq!(sarif.code, 0);
    let sarif = sarif.json();
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "fairness-public-individual");
    assert_eq!(result["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        result["suppressions"][0]["justification"],
        "the team asked for a shared board"
    );
    if let Some(validator) = sarif_validator() {
        let errors = schema_errors(&validator, &sarif);
        assert!(errors.is_empty(), "{errors:#?}");
    }

    let github = hb.run(&["validate", "--strict", "--format", "github"]);
    assert_eq!(github.code, 0);
    assert!(
        github.stdout.starts_with(
            "::notice file=policies/first-reply.yaml,line=17,col=1,title=normsctl fairness-public-individual (waived)::waived warning: "
        ),
        "{}",
        github.stdout
    );
    assert!(
        github
            .stdout
            .contains("(reason: the team asked for a shared board)"),
        "{}",
        github.stdout
    );
    assert!(!github.stdout.contains("::warning") && !github.stdout.contains("::error"));

    let human = hb.run(&["validate", "--strict"]);
    assert_eq!(human.code, 0);
    assert!(
        human
            .stdout
            .contains("policies/first-reply.yaml:17:1: waived warning[fairness-public-individual]"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains(
            "  waived: the team asked for a shared board (a waiver comment above the key)"
        ),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("no problems (1 finding waived)"),
        "{}",
        human.stdout
    );

    // JUnit: no failure for it; GitLab Code Quality has no suppression field: left out.
    let junit = hb.run(&["validate", "--strict", "--format", "junit"]);
    assert_eq!(junit.code, 0);
    assert!(!junit.stdout.contains("<failure"), "{}", junit.stdout);
    assert!(
        junit
            .stdout
            .contains("<property name=\"waived\" value=\"1\"/>")
    );
    let gitlab = hb.run(&["validate", "--strict", "--format", "gitlab"]);
    assert_eq!(gitlab.code, 0);
    assert_eq!(gitlab.json(), serde_json::json!([]));
}

#[test]
fn without_the_waiver_strict_fails() {
    let hb = waived_handbook();
    let text = hb.read("policies/first-reply.yaml").replace(
        "# normsctl: allow fairness-public-individual -- the team asked for a shared board\n",
        "",
    );
    hb.write("policies/first-reply.yaml", text);
    let run = hb.validate(&["--strict"]);
    assert_eq!(run.code, 1);
    let doc = run.json();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 1, "{doc}");
    assert_eq!(doc["findings"][0]["rule"], "fairness-public-individual");
    assert_eq!(doc["findings"][0]["severity"], "error");
}

/// Base on `main`, then a branch commit that rewords the body without raising revision.
fn reworded(message: &str) -> Handbook {
    let hb = Handbook::empty();
    let repo = Repository::init(hb.path()).unwrap();
    hb.write("normsctl.yaml", SETTINGS);
    hb.write("people.yaml", ROSTER);
    hb.write("policies/first-reply.yaml", METRIC);
    let base = commit(&repo, "Start", ("Ana", T0, 60), (T0, 60), &[]);
    set_head(&repo, base);
    repo.reference("refs/heads/base", base, true, "test")
        .unwrap();
    hb.write(
        "policies/first-reply.yaml",
        METRIC.replace("Say who you are.", "Say who you are, by name."),
    );
    let fix = commit(
        &repo,
        message,
        ("Bo", T0 + HOUR, 60),
        (T0 + HOUR, 60),
        &[base],
    );
    set_head(&repo, fix);
    // A later commit without a trailer: the range, not only HEAD, is read.
    hb.write("notes.txt", "unrelated\n");
    let later = commit(
        &repo,
        "Unrelated",
        ("Bo", T0 + 2 * HOUR, 60),
        (T0 + 2 * HOUR, 60),
        &[fix],
    );
    set_head(&repo, later);
    hb
}

#[test]
fn an_editorial_trailer_waives_body_changed_on_the_branch() {
    // Positive control: without the trailer, --strict --base fails on body-changed.
    let hb = reworded("Reword the first-reply body");
    let run = hb.validate(&["--strict", "--base", "base"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.json()["findings"][0]["rule"], "body-changed");
    assert!(run.json()["findings"][0].get("suppressed").is_none());

    // A trailer naming another policy, or without a reason, waives nothing.
    for message in [
        "Reword\n\nNormsctl-Editorial: other-policy -- wording only",
        "Reword\n\nNormsctl-Editorial: first-reply",
    ] {
        let hb = reworded(message);
        assert_eq!(
            hb.validate(&["--strict", "--base", "base"]).code,
            1,
            "{message}"
        );
    }

    let hb = reworded(
        "Reword the first-reply body\n\nNo change of meaning.\n\nNormsctl-Editorial: first-reply -- wording only, same meaning\n",
    );
    let run = hb.validate(&["--strict", "--base", "base"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let doc = run.json();
    let f = &doc["findings"][0];
    assert_eq!(f["rule"], "body-changed");
    assert_eq!(f["suppressed"]["kind"], "external");
    assert_eq!(f["suppressed"]["reason"], "wording only, same meaning");
    assert_eq!(doc["counts"]["warnings"], 0);

    let sarif = hb
        .run(&[
            "validate", "--strict", "--base", "base", "--format", "sarif",
        ])
        .json();
    assert_eq!(
        sarif["runs"][0]["results"][0]["suppressions"][0]["kind"],
        "external"
    );
    if let Some(validator) = sarif_validator() {
        let errors = schema_errors(&validator, &sarif);
        assert!(errors.is_empty(), "{errors:#?}");
    }
    let human = hb.run(&["validate", "--strict", "--base", "base"]);
    assert!(
        human
            .stdout
            .contains("waived: wording only, same meaning (an editorial commit trailer)"),
        "{}",
        human.stdout
    );
}

#[test]
fn the_metric_card_shows_a_waived_fairness_warning_and_its_reason() {
    let hb = waived_handbook();
    let run = crate::site::build(hb.path(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    // A waived warning is not reported as a warning of the build.
    assert!(
        !run.stderr.contains("fairness-public-individual"),
        "{}",
        run.stderr
    );
    let page = std::fs::read_to_string(hb.path().join("site/policies/first-reply.html")).unwrap();
    assert!(
        page.contains("<div class=\"waived\" data-rule=\"fairness-public-individual\"><dt>Waived fairness warning</dt><dd>an individual metric shown publicly (<code>fairness-public-individual</code>): the team asked for a shared board</dd></div>"),
        "{page}"
    );
    // Without the waiver, no such line.
    let text = hb.read("policies/first-reply.yaml").replace(
        "# normsctl: allow fairness-public-individual -- the team asked for a shared board\n",
        "",
    );
    hb.write("policies/first-reply.yaml", text);
    let run = crate::site::build(hb.path(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("fairness-public-individual"),
        "{}",
        run.stderr
    );
    let page = std::fs::read_to_string(hb.path().join("site/policies/first-reply.html")).unwrap();
    assert!(!page.contains("class=\"waived\""), "{page}");
}
