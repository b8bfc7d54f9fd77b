//! Hostile and broken files: each gets a clear finding with file, line and column, exit 1,
//! and never a panic or a hang.

use crate::harness::Handbook;

/// Writes `text` as the only extra policy and returns the findings for that file.
fn findings_for(name: &str, text: impl AsRef<[u8]>) -> (i32, Vec<String>, String) {
    let hb = Handbook::new();
    let rel = format!("policies/{name}");
    hb.write(&rel, text);
    let run = hb.validate(&[]);
    assert!(
        run.stderr.is_empty() || !run.stderr.contains("panicked"),
        "{}",
        run.stderr
    );
    let mine = run
        .findings()
        .into_iter()
        .filter(|f| f.starts_with(&rel))
        .collect();
    (run.code, mine, run.stdout)
}

#[test]
fn yaml_syntax_error() {
    let (code, f, out) = findings_for(
        "s.yaml",
        "id: s\nkind: norm\ntitle: \"unterminated\nsummary: x\n",
    );
    assert_eq!(code, 1);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].ends_with("yaml-syntax"), "{f:?}");
    assert!(out.contains("YAML syntax:"), "{out}");
}

#[test]
fn tab_indentation() {
    let (code, f, out) = findings_for("tab.yaml", "id: tab\nkind: norm\ntarget:\n\top: x\n");
    assert_eq!(code, 1);
    assert_eq!(f, ["policies/tab.yaml:4:2 yaml-syntax"]);
    assert!(out.contains("indent with spaces"), "{out}");
    // A tab after a plain scalar is reported where the tab is, not where the scalar began.
    let (_, f, _) = findings_for(
        "tab2.yaml",
        "id: tab2\nkind: norm\ntitle: y\n\tsummary: z\n",
    );
    assert_eq!(f, ["policies/tab2.yaml:4:1 yaml-syntax"]);
}

#[test]
fn empty_file() {
    let (code, f, out) = findings_for("empty.yaml", "");
    assert_eq!(
        (code, f),
        (1, vec!["policies/empty.yaml:1:1 document-shape".to_owned()])
    );
    assert!(out.contains("the file is empty"));
    let (_, f, _) = findings_for("comments.yaml", "# nothing yet\n");
    assert_eq!(f, ["policies/comments.yaml:1:1 document-shape"]);
}

#[test]
fn a_list_or_a_scalar_at_the_top() {
    let (_, f, out) = findings_for("list.yaml", "- id: x\n- kind: norm\n");
    assert_eq!(f, ["policies/list.yaml:1:1 document-shape"]);
    assert!(out.contains("holds a list"), "{out}");
    let (_, f, out) = findings_for("scalar.yaml", "just words\n");
    assert_eq!(f, ["policies/scalar.yaml:1:1 document-shape"]);
    assert!(out.contains("holds a string"), "{out}");
}

#[test]
fn several_documents() {
    let (_, f, out) = findings_for("multi.yaml", "id: multi\nkind: norm\n---\nid: other\n");
    assert_eq!(f, ["policies/multi.yaml:4:1 document-shape"]);
    assert!(out.contains("second YAML document"), "{out}");
}

#[test]
fn duplicate_keys() {
    let (_, f, out) = findings_for("dup.yaml", "id: dup\nkind: norm\nid: again\n");
    assert_eq!(f, ["policies/dup.yaml:3:1 duplicate-key"]);
    assert!(out.contains("the key `id` appears twice"), "{out}");
}

#[test]
fn invalid_utf8() {
    let (_, f, out) = findings_for("latin1.yaml", b"id: latin1\ntitle: caf\xe9\n".as_slice());
    assert_eq!(f, ["policies/latin1.yaml:2:11 encoding"]);
    assert!(out.contains("not UTF-8"), "{out}");
}

#[test]
fn billion_laughs() {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..10u8 {
        let (this, prev) = ((b'a' + i) as char, (b'a' + i - 1) as char);
        let refs = vec![format!("*{prev}"); 9].join(",");
        text.push_str(&format!("{this}: &{this} [{refs}]\n"));
    }
    let (code, f, out) = findings_for("lol.yaml", text);
    assert_eq!(code, 1);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].ends_with("file-limit"), "{f:?}");
    assert!(out.contains("billion laughs"), "{out}");
}

#[test]
fn nesting_twenty_thousand_levels_deep() {
    let flow = format!(
        "id: deep\nx: {}{}\n",
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    let (_, f, out) = findings_for("deep.yaml", flow);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].starts_with("policies/deep.yaml:2:") && f[0].ends_with("file-limit"),
        "{f:?}"
    );
    assert!(out.contains("nesting deeper than"), "{out}");

    let block: String = (0..20_000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    let (_, f, _) = findings_for("deepblock.yaml", block);
    assert_eq!(f.len(), 1, "{f:?}");
}

#[test]
fn a_fifty_megabyte_file() {
    let line = format!("  {}\n", "y".repeat(98));
    let mut text = String::from("id: big\nbody: |\n");
    while text.len() < 50_000_000 {
        text.push_str(&line);
    }
    let (_, f, out) = findings_for("big.yaml", text);
    assert_eq!(f, ["policies/big.yaml:1:1 file-limit"]);
    assert!(out.contains("limited to 1048576 bytes"), "{out}");
}

#[test]
fn a_symlink_that_leaves_the_handbook() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.yaml");
    std::fs::write(&secret, crate::harness::NORM).unwrap();
    std::fs::create_dir_all(outside.path().join("more")).unwrap();
    std::fs::write(outside.path().join("more/x.yaml"), crate::harness::NORM).unwrap();
    let hb = Handbook::new();
    std::os::unix::fs::symlink(&secret, hb.path().join("policies/leak.yaml")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("more"), hb.path().join("policies/more"))
        .unwrap();
    // A link inside the handbook is fine.
    std::os::unix::fs::symlink(
        hb.path().join("policies/norms/stepping-away.yaml"),
        hb.path().join("policies/alias.yaml"),
    )
    .unwrap();
    let run = hb.validate(&[]);
    assert_eq!(run.code, 1);
    let f = run.findings();
    assert!(
        f.contains(&"policies/leak.yaml:1:1 outside-handbook".to_owned()),
        "{f:?}"
    );
    assert!(
        f.contains(&"policies/more:1:1 outside-handbook".to_owned()),
        "{f:?}"
    );
    // Nothing behind the links was read: only the alias inside the handbook joined the files.
    assert_eq!(run.json()["files_checked"], 5, "{}", run.stdout);
    assert!(
        f.iter()
            .all(|f| !f.contains("more/x.yaml") && !f.starts_with("policies/leak.yaml:1:5")),
        "{f:?}"
    );
}

#[test]
fn unknown_and_misspelled_keys() {
    let (_, f, out) = findings_for(
        "keys.yaml",
        "id: keys\nkind: norm\ntitle: T\nsumary: S\nowner: ana\nrevision: 1\nbody: B\ncolour: red\n",
    );
    assert_eq!(
        f,
        [
            "policies/keys.yaml:1:1 missing-key",
            "policies/keys.yaml:4:1 unknown-key",
            "policies/keys.yaml:8:1 unknown-key",
        ]
    );
    assert!(out.contains("did you mean `summary`?"), "{out}");
    assert!(
        out.contains("a policy has these keys: id, kind, title"),
        "{out}"
    );
}

#[test]
fn a_closed_stderr_is_no_panic() {
    // `build` printed its findings with `eprint!`, which panics (exit 101) when stderr is
    // a pipe nobody reads. Dropping the read end before the child writes: if the child
    // were faster, the pipe would take the text and the test would pass without testing.
    use std::process::Stdio;
    let hb = Handbook::new();
    hb.write(
        "policies/broken.yaml",
        "id: broken\nkind: norm\nrevision: two\n",
    );
    let out = tempfile::tempdir().unwrap();
    let site = out.path().join("site");
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["build", "--out", site.to_str().unwrap()][..],
        &["validate"],
    ] {
        let mut child = crate::harness::command(hb.path(), home.path(), args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(1), "{args:?}");
    }
}
