//! `.pre-commit-hooks.yaml`: the pre-commit framework accepts the manifest, and
//! `pre-commit try-repo` runs the `language: system` hook with the built normsctl on PATH,
//! passing a clean handbook and refusing a broken one. (The `language: rust` hook would
//! compile normsctl again inside CI's time budget; the manifest check covers its entry.)

use crate::forge_reports::tool;
use crate::harness::{self, Handbook};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn manifest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml")
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run git");
    assert!(status.success(), "git {args:?}");
}

/// `pre-commit` with a private cache and the built normsctl first on PATH.
fn pre_commit(exe: &Path, dir: &Path, home: &Path, args: &[&str]) -> Output {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_normsctl")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    Command::new(exe)
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        .env("PRE_COMMIT_HOME", home.join("cache"))
        .env("HOME", home)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .env_remove("PRE_COMMIT_COLOR")
        .output()
        .expect("run pre-commit")
}

#[test]
fn the_manifest_is_valid() {
    let Some(exe) = tool("pre-commit", "pip install pre-commit") else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let out = pre_commit(
        &exe,
        Path::new(env!("CARGO_MANIFEST_DIR")),
        home.path(),
        &["validate-manifest", manifest().to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn try_repo_runs_the_system_hook() {
    let Some(exe) = tool("pre-commit", "pip install pre-commit") else {
        return;
    };
    // A hooks repository holding only the manifest: the system hook needs no source.
    let hooks = tempfile::tempdir().unwrap();
    std::fs::copy(manifest(), hooks.path().join(".pre-commit-hooks.yaml")).unwrap();
    git(hooks.path(), &["init", "-q", "."]);
    git(hooks.path(), &["add", "."]);
    git(hooks.path(), &["commit", "-q", "-m", "hooks"]);

    let hb = Handbook::new();
    git(hb.path(), &["init", "-q", "."]);
    git(hb.path(), &["add", "."]);
    let home = tempfile::tempdir().unwrap();
    let try_repo = |hb: &Handbook| {
        let out = pre_commit(
            &exe,
            hb.path(),
            home.path(),
            &[
                "try-repo",
                hooks.path().to_str().unwrap(),
                "normsctl-validate-system",
                "--all-files",
            ],
        );
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };

    let (code, stdout) = try_repo(&hb);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("normsctl validate (installed)") && stdout.contains("Passed"),
        "{stdout}"
    );

    hb.write(
        "policies/norms/stepping-away.yaml",
        harness::NORM.replace("title:", "titel:"),
    );
    git(hb.path(), &["add", "."]);
    let (code, stdout) = try_repo(&hb);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("Failed"), "{stdout}");
    assert!(
        stdout.contains(
            "policies/norms/stepping-away.yaml:3:1: error[unknown-key]: unknown key `titel`"
        ),
        "{stdout}"
    );
}

/// A change outside the handbook's files does not run the hook.
#[test]
fn unrelated_files_skip_the_hook() {
    let Some(exe) = tool("pre-commit", "pip install pre-commit") else {
        return;
    };
    let hooks = tempfile::tempdir().unwrap();
    std::fs::copy(manifest(), hooks.path().join(".pre-commit-hooks.yaml")).unwrap();
    git(hooks.path(), &["init", "-q", "."]);
    git(hooks.path(), &["add", "."]);
    git(hooks.path(), &["commit", "-q", "-m", "hooks"]);
    let hb = Handbook::empty();
    hb.write("notes.txt", "x\n");
    git(hb.path(), &["init", "-q", "."]);
    git(hb.path(), &["add", "."]);
    let home = tempfile::tempdir().unwrap();
    let out = pre_commit(
        &exe,
        hb.path(),
        home.path(),
        &[
            "try-repo",
            hooks.path().to_str().unwrap(),
            "normsctl-validate-system",
            "--all-files",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("(no files to check)Skipped"), "{stdout}");
}
