//! Issue 12: publishing exactly what was reviewed. `build --require-clean` refuses
//! ignored and untracked files under the policies and templates folders; `build --rev REV`
//! renders the committed tree of REV and nothing from the work tree; a link committed in
//! that tree is an error, never a path to open.

use crate::acks::{T0, commit, handbook};
use crate::harness::{Handbook, NORM, ROSTER, Run, run_env};

fn build(hb: &Handbook, extra: &[&str]) -> (Run, std::path::PathBuf) {
    let out = hb.path().join("out");
    let mut args = vec!["build", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    (
        run_env(hb.path(), &args, &[("SOURCE_DATE_EPOCH", "1768046400")]),
        out,
    )
}

fn secret_policy() -> String {
    NORM.replace("stepping-away", "secret")
        .replace("Say when you step away", "Never reviewed")
}

/// A committed handbook that ignores one policy file and the templates folder.
fn ignoring() -> Handbook {
    let hb = handbook(ROSTER, "ana@example.com");
    hb.write(
        ".gitignore",
        "out/\npolicies/norms/secret.yaml\ntemplates/\n",
    );
    commit(hb.path(), "Ignore", T0 + 60);
    hb
}

#[test]
fn require_clean_refuses_ignored_and_untracked_files() {
    // Positive control: a clean handbook builds.
    let hb = ignoring();
    let (run, out) = build(&hb, &["--require-clean"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(out.join("policies/stepping-away.html").is_file());

    // An ignored policy file.
    hb.write("policies/norms/secret.yaml", secret_policy());
    let (run, _) = build(&hb, &["--require-clean"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("  policies/norms/secret.yaml\n"),
        "{}",
        run.stderr
    );
    std::fs::remove_file(hb.path().join("policies/norms/secret.yaml")).unwrap();

    // An ignored template override.
    hb.write(
        "templates/policy.html",
        "{{ policy.title }} from an ignored file\n",
    );
    let (run, _) = build(&hb, &["--require-clean"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("  templates/policy.html\n"),
        "{}",
        run.stderr
    );
    std::fs::remove_dir_all(hb.path().join("templates")).unwrap();

    // An untracked (not ignored) file.
    hb.write(
        "policies/norms/new.yaml",
        NORM.replace("stepping-away", "new"),
    );
    let (run, _) = build(&hb, &["--require-clean"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("  policies/norms/new.yaml\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn rev_renders_the_committed_tree_and_nothing_from_the_work_tree() {
    let hb = ignoring();
    // A dirty work tree: an edited policy, an ignored policy, an ignored template
    // override and edited settings.
    hb.write(
        "policies/norms/stepping-away.yaml",
        NORM.replace("Say when you step away", "Edited, not committed"),
    );
    hb.write("policies/norms/secret.yaml", secret_policy());
    hb.write("templates/policy.html", "OVERRIDDEN {{ policy.title }}\n");
    hb.write(
        "normsctl.yaml",
        "title: Not Committed\ntimezone: Europe/Madrid\n",
    );
    // Positive control: without --rev, the work tree is what is rendered.
    let (run, out) = build(&hb, &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(out.join("policies/secret.html").is_file());
    assert!(
        std::fs::read_to_string(out.join("policies/stepping-away.html"))
            .unwrap()
            .contains("OVERRIDDEN Edited, not committed")
    );

    let (run, out) = build(&hb, &["--rev", "HEAD"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!out.join("policies/secret.html").exists());
    let page = std::fs::read_to_string(out.join("policies/stepping-away.html")).unwrap();
    assert!(page.contains("Say when you step away"), "{page}");
    assert!(
        !page.contains("OVERRIDDEN") && !page.contains("Edited"),
        "{page}"
    );
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(!index.contains("Not Committed"), "{index}");
    assert!(!index.to_lowercase().contains("uncommitted"), "{index}");

    // An older revision: the policy as it was then.
    let (run, out) = build(&hb, &["--rev", "HEAD~1"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(out.join("policies/stepping-away.html").is_file());
    // An unknown revision is an error.
    let (run, _) = build(&hb, &["--rev", "no-such-branch"]);
    assert_eq!(run.code, 2, "{run:?}");
}

#[test]
fn a_link_in_the_committed_tree_is_an_error_never_a_path_to_open() {
    let hb = handbook(ROSTER, "ana@example.com");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("stolen.yaml"), secret_policy()).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("stolen.yaml"),
        hb.path().join("policies/norms/secret.yaml"),
    )
    .unwrap();
    commit(hb.path(), "A link", T0 + 60);
    std::fs::remove_file(hb.path().join("policies/norms/secret.yaml")).unwrap();
    let (run, out) = build(&hb, &["--rev", "HEAD"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("policies/norms/secret.yaml is a symbolic link in the commit"),
        "{}",
        run.stderr
    );
    assert!(!out.exists());
    // Positive control: the commit before the link builds.
    let (run, _) = build(&hb, &["--rev", "HEAD~1"]);
    assert_eq!(run.code, 0, "{run:?}");
}
