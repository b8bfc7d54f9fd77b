//! `normsctl ack`'s week-one fixes: with no id it lists what is pending for you; `--pending`
//! shows the list and asks on a terminal (driven here through a pseudo-terminal made by
//! Python's standard `pty` module), `--yes` for scripts, `--dry-run` to look only, and no
//! terminal without `--yes` is a usage error; after recording, it says the entry is local,
//! and `--sync` shares it at once. `--as` and `acks --person` take an e-mail address and
//! suggest near ids.

use crate::acks::{DAY, T0, commit, entries, handbook, tip};
use crate::acks_sync::{clone, git, remote};
use crate::harness::{ROSTER, Run, SETTINGS, run_env};
use std::path::Path;
use std::process::Command;

/// Twenty days after the handbook landed: both policies (due after 14 days) are overdue.
const LATE: i64 = T0 + 20 * DAY;

fn at(dir: &Path, args: &[&str]) -> Run {
    run_env(
        dir,
        args,
        &[
            ("SOURCE_DATE_EPOCH", &LATE.to_string()),
            ("GIT_COMMITTER_DATE", &format!("@{LATE} +0000")),
        ],
    )
}

/// The harness's handbook as bo, with the site's address set.
fn bo() -> crate::harness::Handbook {
    let hb = handbook(ROSTER, "bo@example.com");
    hb.write(
        "normsctl.yaml",
        format!("{SETTINGS}base_url: https://handbook.example.com/\n"),
    );
    commit(hb.path(), "Publish", T0);
    hb
}

#[test]
fn ack_with_no_id_lists_what_is_pending_and_records_nothing() {
    let hb = bo();
    let out = at(hb.path(), &["ack"]);
    assert_eq!(out.code, 0, "{out:?}");
    insta::assert_snapshot!(out.stdout, @r"
    bo has 2 policies to acknowledge:
      qa-score       QA score (r1, never acknowledged), OVERDUE since 2026-01-19
                     https://handbook.example.com/policies/qa-score.html
      stepping-away  Say when you step away (r1, never acknowledged), OVERDUE since 2026-01-19
                     https://handbook.example.com/policies/stepping-away.html

    read each one (normsctl show ID), then acknowledge: normsctl ack qa-score stepping-away
    (or all of them after a confirmation: normsctl ack --pending)
    ");
    assert_eq!(tip(hb.path()), None, "nothing recorded");

    // After one is acknowledged, only the other is pending; the entry is said to be local.
    let one = at(hb.path(), &["ack", "stepping-away"]);
    assert_eq!(one.code, 0, "{one:?}");
    assert!(
        one.stdout.contains(
            "in this clone's ledger (normsctl/acks) only: share it with `normsctl acks sync`"
        ),
        "{}",
        one.stdout
    );
    let rest = at(hb.path(), &["ack"]);
    assert!(
        rest.stdout
            .starts_with("bo has 1 policy to acknowledge:\n  qa-score"),
        "{}",
        rest.stdout
    );
    assert!(!rest.stdout.contains("stepping-away  "), "{}", rest.stdout);

    // Someone else's list, named by an address (any case).
    let ana = at(hb.path(), &["ack", "--as", "ANA@example.com"]);
    assert!(
        ana.stdout
            .starts_with("ana has 1 policy to acknowledge:\n  stepping-away"),
        "{}",
        ana.stdout
    );
}

#[test]
fn pending_shows_then_records_only_when_told() {
    let hb = bo();
    // --dry-run: the list, nothing written.
    let dry = at(hb.path(), &["ack", "--pending", "--dry-run"]);
    assert_eq!(dry.code, 0, "{dry:?}");
    assert!(
        dry.stdout.starts_with("bo has 2 policies to acknowledge:"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stderr.contains("dry run: nothing recorded"),
        "{}",
        dry.stderr
    );
    assert_eq!(tip(hb.path()), None);

    // No terminal to ask on, and no --yes: a usage error that says what to do.
    let refused = at(hb.path(), &["ack", "--pending"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    assert!(
        refused.stderr.contains("no terminal to ask on"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("pass --yes"), "{}", refused.stderr);
    assert_eq!(tip(hb.path()), None);

    // --yes: recorded without asking.
    let yes = at(hb.path(), &["ack", "--pending", "--yes"]);
    assert_eq!(yes.code, 0, "{yes:?}");
    assert!(
        yes.stdout.contains("bo acknowledged qa-score r1"),
        "{}",
        yes.stdout
    );
    assert!(
        yes.stdout.contains("bo acknowledged stepping-away r1"),
        "{}",
        yes.stdout
    );
    assert_eq!(entries(hb.path()).len(), 2);
    let none = at(hb.path(), &["ack", "--pending", "--yes"]);
    assert!(
        none.stdout.starts_with("nothing pending for bo"),
        "{}",
        none.stdout
    );
}

/// Runs `normsctl ARGS` on a pseudo-terminal, answering `answer` when it asks `[y/N]`;
/// `None` where python3 is absent (and not required).
fn on_a_terminal(dir: &Path, args: &[&str], answer: &str) -> Option<(i32, String)> {
    let python = crate::forge_reports::tool("python3", "python3")?;
    // The child gets exactly the harness's clean environment; the terminal is real.
    const SCRIPT: &str = r#"
import os, pty, select, sys
answer, cwd, n_env = sys.argv[1].encode(), sys.argv[2], int(sys.argv[3])
env = dict(kv.split("=", 1) for kv in sys.argv[4:4 + n_env])
argv = sys.argv[4 + n_env:]
pid, fd = pty.fork()
if pid == 0:
    os.chdir(cwd)
    os.execve(argv[0], argv, env)
out, asked = b"", False
while True:
    ready, _, _ = select.select([fd], [], [], 30)
    if not ready:
        os.kill(pid, 9)
        sys.stdout.write("TIMEOUT\n" + out.decode(errors="replace"))
        sys.exit(99)
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    if not asked and b"[y/N]" in out:
        os.write(fd, answer + b"\n")
        asked = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let home = tempfile::tempdir().unwrap();
    let env = [
        format!("PATH={}", std::env::var("PATH").unwrap_or_default()),
        format!("HOME={}", home.path().display()),
        "GIT_CONFIG_GLOBAL=/dev/null".to_owned(),
        "GIT_CONFIG_NOSYSTEM=1".to_owned(),
        "NO_COLOR=1".to_owned(),
        "TZ=UTC".to_owned(),
        format!("SOURCE_DATE_EPOCH={LATE}"),
        format!("GIT_COMMITTER_DATE=@{LATE} +0000"),
    ];
    let out = Command::new(python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(answer)
        .arg(dir)
        .arg(env.len().to_string())
        .args(&env)
        .arg(env!("CARGO_BIN_EXE_normsctl"))
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    Some((out.status.code().unwrap_or(-1), text))
}

#[test]
fn pending_asks_on_a_terminal_and_records_only_on_yes() {
    let hb = bo();
    let Some((code, text)) = on_a_terminal(hb.path(), &["ack", "--pending"], "n") else {
        return;
    };
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("bo has 2 policies to acknowledge:"), "{text}");
    assert!(
        text.contains("acknowledge these 2 policies as bo? [y/N] n\nnothing recorded"),
        "{text}"
    );
    assert_eq!(tip(hb.path()), None, "a no records nothing");

    let (code, text) = on_a_terminal(hb.path(), &["ack", "--pending"], "y").unwrap();
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("[y/N] y\n"), "{text}");
    assert!(text.contains("bo acknowledged qa-score r1"), "{text}");
    assert!(text.contains("bo acknowledged stepping-away r1"), "{text}");
    assert_eq!(entries(hb.path()).len(), 2);
}

#[test]
fn ack_sync_records_and_shares_in_one_step() {
    let root = tempfile::tempdir().unwrap();
    let bare = remote(root.path());
    let dir = clone(
        root.path(),
        bare.to_str().unwrap(),
        "p03",
        "p03@example.com",
    );
    let out = at(&dir, &["ack", "stepping-away", "--sync"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("p03 acknowledged stepping-away r1"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("pushed: origin holds"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("only: share it"), "{}", out.stdout);
    // The remote has the entry: a fresh clone sees it.
    let other = clone(
        root.path(),
        bare.to_str().unwrap(),
        "p04",
        "p04@example.com",
    );
    git(
        &other,
        &[
            "fetch",
            "--quiet",
            "origin",
            "refs/heads/normsctl/acks:refs/heads/normsctl/acks",
        ],
    );
    assert_eq!(entries(&other).len(), 1);
}

#[test]
fn people_are_named_by_id_or_any_address_with_near_misses_suggested() {
    let hb = bo();
    assert_eq!(
        at(
            hb.path(),
            &["ack", "stepping-away", "--as", "BO@Home.Example"]
        )
        .code,
        0
    );
    let doc = at(
        hb.path(),
        &["acks", "--person", "bo@home.example", "--format", "json"],
    )
    .json();
    let rows: Vec<String> = doc["policies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["people"].as_array().unwrap().iter())
        .map(|r| {
            format!(
                "{} {}",
                r["person"].as_str().unwrap(),
                r["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(rows, ["bo never", "bo current"]);
    let show = at(hb.path(), &["acks", "show", "--person", "Bo@Example.com"]);
    assert_eq!(show.code, 0, "{show:?}");
    assert!(
        show.stdout
            .contains("== stepping-away r1, acknowledged by bo"),
        "{}",
        show.stdout
    );
    let evidence = at(
        hb.path(),
        &[
            "acks",
            "evidence",
            "--person",
            "bo@home.example",
            "--policy",
            "stepping-away",
            "--format",
            "json",
        ],
    );
    assert_eq!(evidence.code, 0, "{evidence:?}");

    for args in [
        &["acks", "--person", "boo"][..],
        &["ack", "stepping-away", "--as", "boo"],
        &["ack", "--as", "bo@example.org"],
    ] {
        let out = at(hb.path(), args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(
            out.stderr.contains("did you mean `bo"),
            "{args:?}: {}",
            out.stderr
        );
    }
    let far = at(hb.path(), &["acks", "--person", "zed"]);
    assert_eq!(far.code, 2);
    assert!(
        far.stderr.contains("no person `zed` in the roster"),
        "{}",
        far.stderr
    );
    assert!(
        far.stderr.contains("id or e-mail address"),
        "{}",
        far.stderr
    );
}
