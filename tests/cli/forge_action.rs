//! The GitHub Action (`action.yml`): its scripts run here with the environment variables
//! GitHub sets (GITHUB_EVENT_NAME, GITHUB_BASE_REF, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
//! RUNNER_TEMP, ...) and the built normsctl on PATH; the manifest's steps and inputs are
//! checked against the scripts and the README.

use crate::harness::{self, Handbook};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ana Diaz")
        .env("GIT_AUTHOR_EMAIL", "ana@example.com")
        .env("GIT_COMMITTER_NAME", "Ana Diaz")
        .env("GIT_COMMITTER_EMAIL", "ana@example.com")
        .env("GIT_AUTHOR_DATE", "2026-01-05T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-05T10:00:00Z")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A handbook repository with `main` (also as `origin/main`, as a pull request checkout
/// has it) and a branch `change` on top of it.
fn pull_request() -> Handbook {
    let hb = Handbook::new();
    git(hb.path(), &["init", "-q", "-b", "main", "."]);
    git(hb.path(), &["add", "."]);
    git(hb.path(), &["commit", "-q", "-m", "handbook"]);
    git(
        hb.path(),
        &["update-ref", "refs/remotes/origin/main", "HEAD"],
    );
    git(hb.path(), &["checkout", "-q", "-b", "change"]);
    hb
}

fn commit_all(hb: &Handbook, message: &str) {
    git(hb.path(), &["add", "-A"]);
    git(hb.path(), &["commit", "-q", "-m", message]);
}

/// What one run of the action's script left: its exit code, stdout, GITHUB_OUTPUT's
/// key=value lines and the job summary.
struct ActionRun {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: HashMap<String, String>,
    summary: String,
}

fn run_action(hb: &Handbook, env: &[(&str, &str)]) -> ActionRun {
    let runner = tempfile::tempdir().unwrap();
    let output = runner.path().join("github_output");
    let summary = runner.path().join("step_summary");
    std::fs::write(&output, "").unwrap();
    std::fs::write(&summary, "").unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_normsctl")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let out = Command::new("bash")
        .arg(repo_file("scripts/action/run.sh"))
        .current_dir(hb.path())
        .env_clear()
        .env("PATH", path)
        .env("HOME", runner.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("TZ", "UTC")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", hb.path())
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("RUNNER_TEMP", runner.path())
        .envs(env.iter().copied())
        .output()
        .expect("run the action script");
    let outputs = std::fs::read_to_string(&output)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut outputs: HashMap<String, String> = outputs;
    // The SARIF file lives in RUNNER_TEMP: read it before the folder goes.
    if let Some(sarif) = outputs.get("sarif-file").cloned() {
        outputs.insert(
            "sarif-file-text".into(),
            std::fs::read_to_string(sarif).unwrap_or_default(),
        );
    }
    ActionRun {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        outputs,
        summary: std::fs::read_to_string(&summary).unwrap(),
    }
}

const PULL_REQUEST: [(&str, &str); 3] = [
    ("NORMSCTL_MODE", "check"),
    ("GITHUB_EVENT_NAME", "pull_request"),
    ("GITHUB_BASE_REF", "main"),
];

#[test]
fn check_on_a_pull_request_annotates_summarises_and_writes_sarif() {
    let hb = pull_request();
    // A material change without raising the revision: `validate --base` refuses it.
    hb.write(
        "policies/metrics/qa-score.yaml",
        harness::METRIC.replace("value: 85", "value: 90"),
    );
    commit_all(&hb, "raise the QA target");
    let mut env = PULL_REQUEST.to_vec();
    env.push(("NORMSCTL_SARIF", "true"));
    let run = run_action(&hb, &env);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.starts_with(
            "::error file=policies/metrics/qa-score.yaml,line=7,col=1,title=normsctl revision-not-raised::"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(run.outputs["exit-code"], "1");
    assert_eq!(run.outputs["errors"], "1");
    assert_eq!(run.outputs["warnings"], "0");
    let sarif: Value = serde_json::from_str(&run.outputs["sarif-file-text"]).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["ruleId"],
        "revision-not-raised"
    );
    let summary = &run.summary;
    assert!(summary.starts_with("## normsctl check\n"), "{summary}");
    assert!(summary.contains("Against `origin/main`:"), "{summary}");
    assert!(
        summary.contains("error[revision-not-raised]") && summary.contains("1 error, 0 warnings"),
        "{summary}"
    );
    assert!(
        summary.contains("### What changes against `origin/main`"),
        "{summary}"
    );
    assert!(
        summary.contains("qa-score") && summary.contains("85") && summary.contains("90"),
        "the Markdown diff names the change:\n{summary}"
    );

    // Raising the revision passes; no SARIF asked for, none written.
    hb.write(
        "policies/metrics/qa-score.yaml",
        harness::METRIC
            .replace("value: 85", "value: 90")
            .replace("revision: 1", "revision: 2"),
    );
    commit_all(&hb, "revision 2");
    let run = run_action(&hb, &PULL_REQUEST);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(run.outputs["errors"], "0");
    assert!(!run.outputs.contains_key("sarif-file"));
    assert!(
        run.summary.contains("ok: 4 files checked"),
        "{}",
        run.summary
    );
    // The re-acknowledgement impact: counts per team and by when, never a name.
    assert!(
        run.summary.contains("#### Who must acknowledge if this merges")
            && run.summary.contains(
                "| `qa-score` | material | re-acknowledge: 1 person (Tier 1 1) | 14 days after merge |"
            ),
        "{}",
        run.summary
    );
    assert!(
        !run.summary.contains("Bo Chen") && !run.summary.contains("bo@"),
        "{}",
        run.summary
    );
}

#[test]
fn check_on_a_push_has_no_base_and_strict_counts_warnings() {
    let hb = pull_request();
    hb.write(
        "policies/metrics/qa-score.yaml",
        harness::METRIC.replace("controllable: true", "controllable: false"),
    );
    let push = [("NORMSCTL_MODE", "check"), ("GITHUB_EVENT_NAME", "push")];
    let run = run_action(&hb, &push);
    assert_eq!(run.code, 0, "a warning alone passes: {}", run.stdout);
    assert!(run.stdout.starts_with("::warning "), "{}", run.stdout);
    assert_eq!(run.outputs["warnings"], "1");
    assert!(!run.summary.contains("Against"), "{}", run.summary);

    let mut strict = push.to_vec();
    strict.push(("NORMSCTL_STRICT", "true"));
    let run = run_action(&hb, &strict);
    assert_eq!(run.code, 1);
    assert_eq!(run.outputs["errors"], "1");
}

#[test]
fn check_says_why_it_could_not_run() {
    let hb = pull_request();
    let mut env = PULL_REQUEST.to_vec();
    env.push(("NORMSCTL_BASE", "no-such-branch"));
    let run = run_action(&hb, &env);
    assert_eq!(run.code, 2);
    assert_eq!(run.outputs["exit-code"], "2");
    assert!(
        run.summary
            .contains("normsctl could not check the handbook")
            && run.summary.contains("`no-such-branch` is not a commit"),
        "{}",
        run.summary
    );
}

#[test]
fn build_writes_the_site_and_says_where() {
    let hb = pull_request();
    let run = run_action(
        &hb,
        &[("NORMSCTL_MODE", "build"), ("NORMSCTL_OUT", "public")],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let site = PathBuf::from(&run.outputs["site-dir"]);
    assert!(site.ends_with("public") && site.join("index.html").is_file());
    assert!(run.summary.contains("The site is in `public`."));
}

#[test]
fn remind_runs_acks_remind_with_its_args() {
    let hb = pull_request();
    let run = run_action(
        &hb,
        &[
            ("NORMSCTL_MODE", "remind"),
            ("NORMSCTL_ARGS", "--send smtp --dry-run"),
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("To: Ana Diaz <ana@example.com>"),
        "{}",
        run.stdout
    );
    assert_eq!(run.outputs["exit-code"], "0");
    assert!(
        run.summary.contains("## normsctl remind"),
        "{}",
        run.summary
    );
    let run = run_action(&hb, &[("NORMSCTL_MODE", "deploy")]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("unknown mode 'deploy'"));
}

#[test]
fn install_plans_a_cache_key_per_ref_and_source() {
    let runner = tempfile::tempdir().unwrap();
    let plan = |reference: &str| -> HashMap<String, String> {
        let output = runner.path().join(format!("out-{}", reference.len()));
        let status = Command::new("bash")
            .arg(repo_file("scripts/action/install.sh"))
            .arg("plan")
            .env("GITHUB_ACTION_PATH", env!("CARGO_MANIFEST_DIR"))
            .env("GITHUB_ACTION_REF", reference)
            .env("GITHUB_OUTPUT", &output)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_TOOL_CACHE", runner.path())
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::read_to_string(output)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    };
    let v1 = plan("v1");
    let main = plan("feature/x");
    assert!(v1["key"].starts_with("normsctl-Linux-v1-"), "{v1:?}");
    assert!(
        main["key"].starts_with("normsctl-Linux-feature_x-"),
        "{main:?}"
    );
    assert_eq!(
        PathBuf::from(&v1["root"]),
        runner.path().join("normsctl/v1")
    );
}

/// The manifest: a composite action whose steps run the scripts that exist, that passes
/// every input to them, and whose inputs the README documents.
#[test]
fn the_action_manifest_matches_its_scripts_and_the_readme() {
    let text = std::fs::read_to_string(repo_file("action.yml")).unwrap();
    let action: Value = serde_saphyr::from_str(&text).expect("action.yml is YAML");
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let mut passed = String::new();
    for step in steps {
        if let Some(run) = step["run"].as_str() {
            assert_eq!(step["shell"], "bash", "composite run steps need a shell");
            let script = run
                .split('"')
                .find_map(|part| part.strip_prefix("$GITHUB_ACTION_PATH/"))
                .unwrap_or_else(|| panic!("{run}"));
            assert!(repo_file(script).is_file(), "{script}");
        }
        passed.push_str(&serde_json::to_string(step).unwrap());
    }
    assert!(
        steps
            .iter()
            .any(|s| s["uses"].as_str() == Some("actions/cache@v4"))
    );
    let readme = std::fs::read_to_string(repo_file("README.md")).unwrap();
    let ci = &readme[readme.find("## Validating in CI").unwrap()..];
    for (name, _) in action["inputs"].as_object().unwrap() {
        assert!(
            passed.contains(&format!("inputs.{name}")),
            "input {name} is not used"
        );
        assert!(
            ci.contains(&format!("| `{name}` |")),
            "the README's CI section does not document input {name}"
        );
    }
}
