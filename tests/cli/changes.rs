//! `normsctl diff` and the change rules of `validate --base`.

use crate::harness::{Handbook, ROSTER, git_clone, run_in};
use crate::history::{HOUR, SETTINGS, T0, commit, history, set_head};
use git2::Repository;

const METRIC: &str = "\
id: first-reply
kind: metric
title: First reply
summary: Reply fast.
owner: ana
revision: 1
level: team
measures: Minutes from a ticket arriving to the first public reply
source: Helpdesk tickets
unit: minutes
statistic: median
target: { op: \"<=\", value: 45 }
window: week
body: |
  Reply to every new ticket within one hour.
  Say who you are.
";

/// A committed handbook with one metric; the working tree is then free to change.
fn base() -> (Handbook, Repository) {
    let hb = Handbook::empty();
    let repo = Repository::init(hb.path()).unwrap();
    hb.write("normsctl.yaml", SETTINGS);
    hb.write("people.yaml", ROSTER);
    hb.write("policies/first-reply.yaml", METRIC);
    let c = commit(&repo, "Start", ("Ana", T0, 60), (T0, 60), &[]);
    set_head(&repo, c);
    (hb, repo)
}

fn edit(hb: &Handbook, pairs: &[(&str, &str)]) {
    let mut text = hb.read("policies/first-reply.yaml");
    for (from, to) in pairs {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    hb.write("policies/first-reply.yaml", text);
}

/// `rule line:col` for each finding of `validate --base HEAD`.
fn gate(hb: &Handbook) -> Vec<String> {
    let run = hb.validate(&["--base", "HEAD"]);
    run.findings()
        .into_iter()
        .map(|f| {
            let (place, rule) = f.split_once(' ').unwrap();
            let pos = place.split_once(':').unwrap().1;
            format!("{rule} {pos}")
        })
        .collect()
}

#[test]
fn diff_names_fields_by_path_and_marks_words() {
    let (hb, _) = base();
    edit(
        &hb,
        &[
            ("value: 45", "value: 30"),
            ("revision: 1", "revision: 2"),
            ("within one hour", "within thirty minutes"),
        ],
    );
    let run = hb.run(&["diff"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("material  first-reply  revision 1 -> 2"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("  target.value: 45 -> 30\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Reply to every new ticket within [-one hour-]{+thirty minutes+}."),
        "{}",
        run.stdout
    );
    let doc = hb.run(&["diff", "--format", "json"]).json();
    let p = &doc["policies"][0];
    assert_eq!(p["change"], "material");
    assert_eq!(p["revision"]["old"], 1);
    let fields: Vec<String> = p["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{} {} {}", f["path"], f["old"], f["new"]))
        .collect();
    assert_eq!(fields, ["\"revision\" 1 2", "\"target.value\" 45 30"]);
    let ops: Vec<String> = p["body"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}:{}",
                c["op"].as_str().unwrap(),
                c["text"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        ops,
        [
            "equal:Reply to every new ticket within ",
            "delete:one hour",
            "insert:thirty minutes",
            "equal:.\nSay who you are.\n"
        ]
    );
    assert_eq!(hb.run(&["diff", "--exit-code"]).code, 1);
    assert_eq!(
        hb.run(&["diff", "--policy", "first-reply", "--exit-code"])
            .code,
        1
    );
    let unknown = hb.run(&["diff", "--policy", "first-replies"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("did you mean `first-reply`?"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn diff_between_revisions_lists_added_moved_and_retired() {
    let hb = history();
    let doc = hb
        .run(&["diff", "HEAD~2", "HEAD", "--format", "json"])
        .json();
    let rows: Vec<String> = doc["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {} {}",
                p["id"].as_str().unwrap(),
                p["change"].as_str().unwrap(),
                p["path"].as_str().unwrap()
            )
        })
        .collect();
    // HEAD~2 is "Reword a"; since then a was made stricter, b moved and then retired.
    assert_eq!(
        rows,
        ["a material policies/a.yaml", "b retired policies/b.yaml"]
    );
    let doc = hb
        .run(&["diff", "HEAD~2", "HEAD~1", "--format", "json"])
        .json();
    let b = &doc["policies"][1];
    assert_eq!(b["change"], "moved");
    assert_eq!(b["old_path"], "policies/b.yaml");
    assert_eq!(b["fields"], serde_json::json!([]));
    // Reversed, the retirement is an addition.
    let doc = hb
        .run(&["diff", "HEAD", "HEAD~2", "--format", "json"])
        .json();
    assert_eq!(doc["policies"][1]["change"], "added");
    let same = hb.run(&["diff", "HEAD", "HEAD", "--exit-code"]);
    assert_eq!(same.code, 0);
    assert!(same.stdout.contains("no policy changed"), "{}", same.stdout);
}

#[test]
fn diff_markdown_escapes_what_authors_write() {
    let (hb, _) = base();
    edit(
        &hb,
        &[(
            "Say who you are.",
            "Say who you are <script>alert(1)</script> *now*.",
        )],
    );
    let run = hb.run(&["diff", "--format", "markdown"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.starts_with("### Handbook changes: `HEAD`"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("| `first-reply` | editorial | revision 1 |"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("**&lt;script&gt;alert\\(1\\)&lt;/script&gt; \\*now\\***"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("<script>"), "{}", run.stdout);
}

#[test]
fn diff_errors_exit_2() {
    let (hb, _) = base();
    let run = hb.run(&["diff", "nope"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`nope` is not a commit"),
        "{}",
        run.stderr
    );
    let empty = Handbook::new();
    Repository::init(empty.path()).unwrap();
    let run = empty.run(&["diff"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no commits yet"), "{}", run.stderr);
}

#[test]
fn history_commands_refuse_shallow_clones_but_the_work_tree_diff_works() {
    let hb = history();
    let clones = Handbook::empty();
    let dir = git_clone(hb.path(), clones.path(), "shallow", &["--depth", "1"]);
    for args in [
        &["diff", "HEAD", "HEAD"][..],
        &["show", "a"],
        &["validate", "--base", "HEAD"],
    ] {
        let run = run_in(&dir, args);
        assert_eq!(run.code, 2, "{args:?} {run:?}");
        assert!(run.stderr.contains("fetch-depth: 0"), "{}", run.stderr);
    }
    assert_eq!(run_in(&dir, &["diff"]).code, 0);
    assert_eq!(run_in(&dir, &["validate"]).code, 0);

    // A partial clone (objects filtered out) is refused the same way.
    let partial = git_clone(hb.path(), clones.path(), "partial", &["--filter=blob:none"]);
    let run = run_in(&partial, &["log"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("partial clone"), "{}", run.stderr);
}

#[test]
fn gate_material_change_needs_revision_raised() {
    let (hb, _) = base();
    edit(
        &hb,
        &[
            ("value: 45", "value: 30"),
            ("window: week", "window: month"),
        ],
    );
    assert_eq!(gate(&hb), ["revision-not-raised 6:1"]);
    let run = hb.run(&["validate", "--base", "HEAD"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("`target`, `window` changed but revision stayed at 1"),
        "{}",
        run.stdout
    );
    edit(&hb, &[("revision: 1", "revision: 2")]);
    assert_eq!(gate(&hb), Vec::<String>::new());
}

#[test]
fn gate_body_words_warn_but_cosmetics_pass() {
    let (hb, _) = base();
    edit(
        &hb,
        &[
            ("within one hour.", "within  one hour!"),
            ("Say who", "say who"),
        ],
    );
    assert_eq!(gate(&hb), Vec::<String>::new());
    edit(&hb, &[("one hour", "two hours")]);
    assert_eq!(gate(&hb), ["body-changed 6:1"]);
    // A warning alone exits 0; --strict makes it fail.
    assert_eq!(hb.run(&["validate", "--base", "HEAD"]).code, 0);
    assert_eq!(hb.run(&["validate", "--base", "HEAD", "--strict"]).code, 1);
    edit(&hb, &[("revision: 1", "revision: 2")]);
    assert_eq!(gate(&hb), Vec::<String>::new());
}

#[test]
fn gate_editorial_fields_say_nothing() {
    let (hb, _) = base();
    edit(
        &hb,
        &[
            ("title: First reply", "title: First reply time"),
            (
                "summary: Reply fast.",
                "summary: Reply quickly.\ntags: [speed]\napplies_to: [agent]\nack: none",
            ),
            ("measures: Minutes from", "measures: minutes from"),
        ],
    );
    assert_eq!(gate(&hb), Vec::<String>::new());
}

#[test]
fn gate_revision_must_rise_by_one_and_for_a_reason() {
    let (hb, repo) = base();
    edit(
        &hb,
        &[("revision: 1", "revision: 3"), ("value: 45", "value: 30")],
    );
    assert_eq!(gate(&hb), ["revision-skipped 6:1"]);
    let head = repo.head().unwrap().target().unwrap();
    let c = commit(
        &repo,
        "Jump",
        ("Ana", T0 + HOUR, 60),
        (T0 + HOUR, 60),
        &[head],
    );
    set_head(&repo, c);
    edit(&hb, &[("revision: 3", "revision: 2")]);
    assert_eq!(gate(&hb), ["revision-lowered 6:1"]);
    edit(&hb, &[("revision: 2", "revision: 4")]);
    assert_eq!(gate(&hb), ["revision-raised-for-nothing 6:1"]);
    edit(&hb, &[("Say who you are.", "say who you are")]);
    assert_eq!(gate(&hb), ["revision-raised-for-nothing 6:1"]);
    edit(&hb, &[("say who you are", "say your name")]);
    assert_eq!(gate(&hb), Vec::<String>::new());
}

#[test]
fn gate_new_policies_start_at_one_and_moves_keep_their_base() {
    let (hb, repo) = base();
    hb.write(
        "policies/second.yaml",
        "id: second\nkind: norm\ntitle: T\nsummary: S\nowner: ana\nrevision: 2\nbody: B\n",
    );
    assert_eq!(gate(&hb), ["new-policy-not-at-1 6:1"]);
    std::fs::remove_file(hb.path().join("policies/second.yaml")).unwrap();
    // A moved file is judged against its old self.
    std::fs::create_dir_all(hb.path().join("policies/metrics")).unwrap();
    std::fs::rename(
        hb.path().join("policies/first-reply.yaml"),
        hb.path().join("policies/metrics/first-reply.yaml"),
    )
    .unwrap();
    assert_eq!(gate(&hb), Vec::<String>::new());
    let head = repo.head().unwrap().target().unwrap();
    let c = commit(
        &repo,
        "Move",
        ("Ana", T0 + HOUR, 60),
        (T0 + HOUR, 60),
        &[head],
    );
    set_head(&repo, c);
    let run = hb.validate(&["--base", "HEAD~1"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = hb.run(&["validate", "--base", "v9"]);
    assert_eq!(run.code, 2);
}

#[test]
fn gate_replaces_must_name_a_policy_from_history() {
    let (hb, repo) = base();
    hb.write(
        "policies/old-rule.yaml",
        "id: old-rule\nkind: norm\ntitle: T\nsummary: S\nowner: ana\nrevision: 1\nbody: B\n",
    );
    let head = repo.head().unwrap().target().unwrap();
    let added = commit(
        &repo,
        "Add",
        ("Ana", T0 + HOUR, 60),
        (T0 + HOUR, 60),
        &[head],
    );
    set_head(&repo, added);
    std::fs::remove_file(hb.path().join("policies/old-rule.yaml")).unwrap();
    let retired = commit(
        &repo,
        "Retire",
        ("Ana", T0 + 2 * HOUR, 60),
        (T0 + 2 * HOUR, 60),
        &[added],
    );
    set_head(&repo, retired);
    let new = |replaces: &str| {
        hb.write(
            "policies/new-rule.yaml",
            format!("id: new-rule\nkind: norm\ntitle: T\nsummary: S\nowner: ana\nrevision: 1\nbody: B\nreplaces: [{replaces}]\n"),
        );
    };
    new("old-rule");
    assert_eq!(gate(&hb), Vec::<String>::new());
    new("never-was");
    assert_eq!(gate(&hb), ["dangling-reference 8:12"]);
    // Without --base there is no history to ask.
    assert_eq!(hb.validate(&[]).code, 0);
}

/// Commit ids vary with nothing the test controls less than the tool: hide them.
fn redact(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_inclusive(|c: char| !c.is_ascii_hexdigit()) {
        let hex = word.trim_end_matches(|c: char| !c.is_ascii_hexdigit());
        if hex.len() >= 10 && hex.chars().any(|c| c.is_ascii_digit()) {
            out.push_str("[commit]");
            out.push_str(&word[hex.len()..]);
        } else {
            out.push_str(word);
        }
    }
    out
}

#[test]
fn diff_outputs_as_a_reader_sees_them() {
    let (hb, _) = base();
    edit(
        &hb,
        &[
            ("value: 45", "value: 30"),
            ("revision: 1", "revision: 2"),
            ("within one hour", "within thirty minutes"),
        ],
    );
    hb.write(
        "policies/second.yaml",
        "id: second\nkind: norm\ntitle: T\nsummary: S\nowner: ana\nrevision: 1\nbody: B\n",
    );
    insta::assert_snapshot!(redact(&hb.run(&["diff"]).stdout), @r"
    HEAD ([commit]) -> working tree

    material  first-reply  revision 1 -> 2  policies/first-reply.yaml
      revision: 1 -> 2
      target.value: 45 -> 30
      body:
        Reply to every new ticket within [-one hour-]{+thirty minutes+}.
        Say who you are.

    added     second  revision 1  policies/second.yaml

    2 changed: 1 added, 0 retired, 0 moved, 1 material, 0 editorial

    If this merges (from the roster and `applies_to`, not the ledger):
      first-reply  material: 2 people (Tier 1 2) must re-acknowledge, due 14 days after merge
      second  added: 2 people (Tier 1 2) must acknowledge, due 14 days after merge
    ");
    insta::assert_snapshot!(redact(&hb.run(&["diff", "--format", "markdown"]).stdout), @r"
    ### Handbook changes: `HEAD` ([commit]) → working tree

    | policy | change | revision | file |
    |---|---|---|---|
    | `first-reply` | material | revision 1 -> 2 | `policies/first-reply.yaml` |
    | `second` | added | revision 1 | `policies/second.yaml` |

    #### `first-reply`: material, revision 1 -> 2

    - `revision`: `1` → `2`
    - `target.value`: `45` → `30`

    Body (~~deleted~~, **inserted**):

    > Reply to every new ticket within ~~one hour~~**thirty minutes**.
    > Say who you are.

    #### Who must acknowledge if this merges

    From the roster and `applies_to` of this change (never from the ledger).

    | policy | change | asks | by when |
    |---|---|---|---|
    | `first-reply` | material | re-acknowledge: 2 people (Tier 1 2) | 14 days after merge |
    | `second` | added | acknowledge: 2 people (Tier 1 2) | 14 days after merge |
    ");
}

#[test]
fn a_revision_at_its_limit_that_cannot_be_raised_is_said_so_never_a_panic() {
    // 4,294,967,295 is a valid revision; the hint to raise it cannot name the next one.
    let (hb, repo) = base();
    edit(&hb, &[("revision: 1", "revision: 4294967295")]);
    let c = commit(
        &repo,
        "At the limit",
        ("Ana", T0 + HOUR, 60),
        (T0 + HOUR, 60),
        &[repo.head().unwrap().target().unwrap()],
    );
    set_head(&repo, c);
    edit(&hb, &[("value: 45", "value: 30")]);
    let run = hb.run(&["validate", "--base", "HEAD"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("`target` changed but revision stayed at 4294967295"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("cannot be raised"), "{}", run.stdout);
    edit(
        &hb,
        &[("value: 30", "value: 45"), ("one hour", "two hours")],
    );
    let run = hb.run(&["validate", "--base", "HEAD"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("cannot be raised"), "{}", run.stdout);
    // Committed anyway: diff and log tell the reader, with the same words.
    edit(&hb, &[("value: 45", "value: 30")]);
    let c = commit(
        &repo,
        "Stricter",
        ("Ana", T0 + 2 * HOUR, 60),
        (T0 + 2 * HOUR, 60),
        &[c],
    );
    set_head(&repo, c);
    for args in [
        &["diff", "HEAD~1", "HEAD"][..],
        &["diff", "HEAD~1", "HEAD", "--format", "markdown"],
        &["log"],
    ] {
        let run = hb.run(args);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        assert!(!run.stderr.contains("panicked"), "{args:?}: {run:?}");
    }
    let diff = hb.run(&["diff", "HEAD~1", "HEAD"]);
    assert!(diff.stdout.contains("cannot be raised"), "{}", diff.stdout);
}
