//! A throw-away handbook in a temporary folder, and a way to run `normsctl` on it with a
//! clean, deterministic environment (no user git config, no colour, a temp HOME).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const SETTINGS: &str = "title: Test Handbook\ntimezone: Europe/Madrid\n";

pub const ROSTER: &str = "\
teams:
  - { id: tier1, name: Tier 1, lead: ana }
roles:
  - { id: agent, name: Agent }
  - { id: lead, name: Lead }
people:
  - { id: ana, name: Ana Diaz, email: ana@example.com, teams: [tier1], roles: [lead] }
  - { id: bo, name: Bo Chen, email: [bo@example.com, bo@home.example], teams: [tier1], roles: [agent] }
";

pub const NORM: &str = "\
id: stepping-away
kind: norm
title: Say when you step away
summary: Post when you leave and when you will be back.
owner: tier1
revision: 1
body: Tell the channel.
";

pub const METRIC: &str = "\
id: qa-score
kind: metric
title: QA score
summary: Reviewed conversations meet the rubric.
owner: ana
applies_to: [agent]
revision: 1
level: individual
measures: Mean rubric score of reviewed conversations
source: QA tool reviews
unit: percent
statistic: mean
target: { op: \">=\", value: 85 }
window: month
controllable: true
";

pub struct Handbook {
    dir: tempfile::TempDir,
}

/// What one run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The JSON document on stdout.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// Findings from `validate --format json` as `file:line:col rule` strings.
    pub fn findings(&self) -> Vec<String> {
        self.json()["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| {
                format!(
                    "{}:{}:{} {}",
                    f["file"].as_str().unwrap(),
                    f["line"],
                    f["column"],
                    f["rule"].as_str().unwrap()
                )
            })
            .collect()
    }
}

impl Handbook {
    /// A valid handbook: settings, roster, one norm and one metric. No git repository.
    pub fn new() -> Handbook {
        let hb = Handbook::empty();
        hb.write("normsctl.yaml", SETTINGS);
        hb.write("people.yaml", ROSTER);
        hb.write("policies/norms/stepping-away.yaml", NORM);
        hb.write("policies/metrics/qa-score.yaml", METRIC);
        hb
    }

    /// An empty temporary folder.
    pub fn empty() -> Handbook {
        Handbook {
            dir: tempfile::Builder::new()
                .prefix("normsctl-test-")
                .tempdir()
                .expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(rel)).unwrap()
    }

    /// Runs normsctl in the handbook's folder.
    pub fn run(&self, args: &[&str]) -> Run {
        run_in(self.dir.path(), args)
    }

    /// `validate --format json` plus the arguments.
    pub fn validate(&self, extra: &[&str]) -> Run {
        let mut args = vec!["validate", "--format", "json"];
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

/// Runs normsctl in `dir` with a clean environment.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    run_env(dir, args, &[])
}

/// Runs normsctl in `dir` with a clean environment plus `env`.
pub fn run_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = command(dir, home.path(), args);
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("run normsctl");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A `normsctl` command in `dir` with a clean environment and `home` as HOME, to spawn
/// (for tests that run many at once).
pub fn command(dir: &Path, home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_normsctl"));
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .env("TZ", "UTC");
    cmd
}

/// `../shared/<rel>` beside the repository, or `None` (with a note) in a clone without it.
/// Where CI requires it (`NORMSCTL_REQUIRE_SHARED=1`, or `NORMSCTL_REQUIRE_YAML_SUITE=1` for
/// the YAML conformance suite), a missing folder fails the test instead of skipping it.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
        .join(rel);
    let required = |var: &str| std::env::var(var).is_ok_and(|v| v == "1");
    if path.exists() {
        Some(path)
    } else if required("NORMSCTL_REQUIRE_SHARED")
        || (rel.starts_with("yaml-test-suite") && required("NORMSCTL_REQUIRE_YAML_SUITE"))
    {
        panic!(
            "{} is absent, and this run requires it (NORMSCTL_REQUIRE_SHARED / NORMSCTL_REQUIRE_YAML_SUITE)",
            path.display()
        );
    } else {
        eprintln!(
            "skipping: {} is absent (it sits beside the repository only in the project's own workspace)",
            path.display()
        );
        None
    }
}

/// Clones the repository at `from` into `into/name` with `git clone FLAGS` over `file://`
/// (so `--depth` and `--filter` apply), and returns the clone's path.
pub fn git_clone(from: &Path, into: &Path, name: &str, flags: &[&str]) -> PathBuf {
    let url = format!("file://{}", from.display());
    let status = Command::new("git")
        .args(["clone", "-q"])
        .args(flags)
        .args([url.as_str(), name])
        .current_dir(into)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run git clone");
    assert!(status.success(), "git clone {flags:?} failed");
    into.join(name)
}
