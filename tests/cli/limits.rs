//! Issue 12: every limit is checked when the file is validated, and nothing a handbook holds
//! makes a command hang, write outside it, or print the parser's debug text.

use crate::harness::Handbook;

#[test]
fn a_fifo_named_like_a_policy_is_a_finding_never_a_hang() {
    let hb = Handbook::new();
    let fifo = hb.path().join("policies/norms/pipe.yaml");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(status.success());
    let run = hb.validate(&[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.findings()
            .contains(&"policies/norms/pipe.yaml:1:1 unreadable".to_owned()),
        "{:?}",
        run.findings()
    );
    // Positive control: without it the handbook is clean.
    std::fs::remove_file(&fifo).unwrap();
    assert_eq!(hb.validate(&[]).code, 0);
}

#[test]
fn new_never_writes_through_a_symbolic_link() {
    let hb = Handbook::new();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), hb.path().join("policies/shared")).unwrap();
    let run = hb.run(&["new", "norm", "leak", "--dir", "shared"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("policies/shared is a symbolic link: `new` never writes through one"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    // Positive control: a real folder is written into.
    std::fs::create_dir(hb.path().join("policies/real")).unwrap();
    let run = hb.run(&["new", "norm", "kept", "--dir", "real"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(hb.path().join("policies/real/kept.yaml").is_file());
}

#[test]
fn a_size_limit_is_said_in_words_with_the_limit() {
    let hb = Handbook::new();
    // 99 aliases of a 700,000-byte string: under 1 MiB on disk, 70 MB of text once
    // the aliases are expanded.
    let mut text = format!(
        "id: big\nkind: norm\ntitle: &t \"{}\"\ntags:\n",
        "x".repeat(700_000)
    );
    for _ in 0..99 {
        text.push_str("  - *t\n");
    }
    hb.write("policies/norms/big.yaml", text);
    let run = hb.run(&["validate"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        !run.stdout.contains("ScalarBytes") && !run.stdout.contains('{'),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("error[file-limit]: the document's text values add up to more than"),
        "{}",
        run.stdout
    );
    // Positive control: the other policies are still checked and clean.
    assert!(
        run.stdout.contains("1 error, 0 warnings in"),
        "{}",
        run.stdout
    );
}
