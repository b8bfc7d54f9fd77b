//! What people read: the human output of every command, in success and in failure, as
//! snapshots (stdout, stderr and the exit code together). Temporary paths, object ids,
//! ports and durations are redacted, so a snapshot changes only when the layout or the
//! wording does. Refresh after a deliberate change with `INSTA_UPDATE=always cargo test`
//! and read the diff of `tests/cli/snapshots/`.

use crate::acks::{DAY, T0, at, commit, handbook};
use crate::harness::{Handbook, ROSTER, Run, run_env};
use std::path::Path;

/// One run as a person sees it.
fn shown(run: &Run) -> String {
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        run.code, run.stdout, run.stderr
    )
}

/// Snapshots a run under `name`, with the handbook's and `others`' paths redacted.
fn snap(name: &str, run: &Run, hb: &Handbook, others: &[&Path]) {
    let mut filters: Vec<(String, &str)> = Vec::new();
    let mut paths = vec![hb.path().to_path_buf()];
    paths.extend(others.iter().map(|p| p.to_path_buf()));
    for p in paths {
        for form in [p.canonicalize().unwrap_or_else(|_| p.clone()), p] {
            filters.push((regex_escape(&form.to_string_lossy()), "[TMP]"));
        }
    }
    filters.push((r"/tmp/[A-Za-z0-9._-]+".into(), "[TMP]"));
    filters.push((r"\b[0-9a-f]{40}\b".into(), "[OID]"));
    filters.push((
        r"\b(?:[0-9a-f]*[0-9][0-9a-f]*[a-f][0-9a-f]*|[0-9a-f]*[a-f][0-9a-f]*[0-9][0-9a-f]*)\b"
            .into(),
        "[ID]",
    ));
    filters.push((r"\b\d+(\.\d+)? ?(ms|s)\b".into(), "[DURATION]"));
    filters.push((r"127\.0\.0\.1:\d+".into(), "127.0.0.1:[PORT]"));
    filters.push((r"normsctl \d+\.\d+\.\d+".into(), "normsctl [VERSION]"));
    let filters: Vec<(&str, &str)> = filters.iter().map(|(a, b)| (a.as_str(), *b)).collect();
    insta::with_settings!({
        filters => filters,
        snapshot_path => "snapshots",
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, shown(run));
    });
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const NORM_R2: &str = "\
id: stepping-away
kind: norm
title: Say when you step away
summary: Post when you leave and when you will be back.
owner: tier1
revision: 2
effective: 2026-01-20
body: |
  Tell the channel when you leave, and when you will be back.

  Hand over open chats first.
";

/// A committed handbook with two landings: the harness's norm and metric, then revision 2
/// of the norm a day later. Git identity: ana.
fn scripted() -> Handbook {
    let hb = handbook(ROSTER, "ana@example.com");
    hb.write("policies/norms/stepping-away.yaml", NORM_R2);
    commit(
        hb.path(),
        "Stepping away: say when you will be back",
        T0 + DAY,
    );
    hb
}

const NOW: i64 = T0 + 3 * DAY;

#[test]
fn validate_output() {
    let hb = scripted();
    snap("validate_clean", &at(&hb, &["validate"], NOW), &hb, &[]);
    hb.write(
        "policies/norms/broken.yaml",
        "id: broken\nkind: norm\ntitel: Broken\nsummary: S.\nowner: nobody\nrevision: 0\nbody: B\n",
    );
    snap("validate_findings", &at(&hb, &["validate"], NOW), &hb, &[]);
}

#[test]
fn history_output() {
    let hb = scripted();
    snap("log", &at(&hb, &["log"], NOW), &hb, &[]);
    snap(
        "log_policy",
        &at(&hb, &["log", "stepping-away"], NOW),
        &hb,
        &[],
    );
    snap(
        "log_unknown",
        &at(&hb, &["log", "steping-away"], NOW),
        &hb,
        &[],
    );
    snap("show", &at(&hb, &["show", "stepping-away"], NOW), &hb, &[]);
    snap(
        "show_at",
        &at(&hb, &["show", "stepping-away", "--at", "2026-01-05"], NOW),
        &hb,
        &[],
    );
    snap(
        "show_unknown",
        &at(&hb, &["show", "steping-away"], NOW),
        &hb,
        &[],
    );
    snap("diff", &at(&hb, &["diff", "HEAD~1", "HEAD"], NOW), &hb, &[]);
    snap(
        "diff_bad_rev",
        &at(&hb, &["diff", "no-such-rev"], NOW),
        &hb,
        &[],
    );
}

#[test]
fn ledger_output() {
    let hb = scripted();
    let later = NOW + 3600;
    snap("ack", &at(&hb, &["ack", "stepping-away"], NOW), &hb, &[]);
    snap(
        "ack_unknown",
        &at(&hb, &["ack", "steping-away"], NOW),
        &hb,
        &[],
    );
    snap("acks", &at(&hb, &["acks"], later), &hb, &[]);
    snap(
        "acks_require_complete",
        &at(&hb, &["acks", "--require-complete"], later),
        &hb,
        &[],
    );
    snap(
        "acks_show",
        &at(&hb, &["acks", "show", "--person", "ana"], later),
        &hb,
        &[],
    );
    snap(
        "acks_evidence",
        &at(
            &hb,
            &[
                "acks",
                "evidence",
                "--person",
                "ana",
                "--policy",
                "stepping-away",
            ],
            later,
        ),
        &hb,
        &[],
    );
    snap(
        "acks_evidence_none",
        &at(
            &hb,
            &["acks", "evidence", "--person", "bo", "--policy", "qa-score"],
            later,
        ),
        &hb,
        &[],
    );
    snap(
        "acks_verify",
        &at(&hb, &["acks", "verify"], later),
        &hb,
        &[],
    );
    snap(
        "acks_sync_no_remote",
        &at(&hb, &["acks", "sync"], later),
        &hb,
        &[],
    );
}

#[test]
fn site_output() {
    let hb = scripted();
    let out = tempfile::tempdir().unwrap();
    let site = out.path().join("site");
    let site_arg = site.to_str().unwrap();
    snap(
        "build",
        &at(&hb, &["build", "--out", site_arg], NOW),
        &hb,
        &[out.path()],
    );
    hb.write("policies/norms/broken.yaml", "id: broken\nkind: norm\n");
    snap(
        "build_invalid",
        &at(&hb, &["build", "--out", site_arg], NOW),
        &hb,
        &[out.path()],
    );
    std::fs::remove_file(hb.path().join("policies/norms/broken.yaml")).unwrap();
    hb.write("policies/norms/stepping-away.yaml", "id: stepping-away\nkind: norm\ntitle: Uncommitted\nsummary: S.\nowner: tier1\nrevision: 2\nbody: B\n");
    snap(
        "build_require_clean",
        &at(&hb, &["build", "--out", site_arg, "--require-clean"], NOW),
        &hb,
        &[out.path()],
    );
    let ejected = out.path().join("tpl");
    let ejected_arg = ejected.to_str().unwrap();
    snap(
        "templates_eject",
        &at(&hb, &["templates", "eject", ejected_arg], NOW),
        &hb,
        &[out.path()],
    );
    snap(
        "templates_eject_again",
        &at(&hb, &["templates", "eject", ejected_arg], NOW),
        &hb,
        &[out.path()],
    );
    // A port that is taken.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let run = at(&hb, &["serve", "--port", &port, "--out", site_arg], NOW);
    let run = Run {
        stderr: run.stderr.replace(&port, "[PORT]"),
        ..run
    };
    snap("serve_port_taken", &run, &hb, &[out.path()]);
}

#[test]
fn scaffold_output() {
    let dir = tempfile::tempdir().unwrap();
    let hb = Handbook::empty();
    let target = dir.path().join("handbook");
    let target_arg = target.to_str().unwrap();
    let env = [
        ("GIT_COMMITTER_DATE", "@1767603600 +0000"),
        ("GIT_AUTHOR_DATE", "@1767603600 +0000"),
    ];
    snap(
        "init",
        &run_env(hb.path(), &["init", target_arg], &env),
        &hb,
        &[dir.path()],
    );
    snap(
        "init_again",
        &run_env(hb.path(), &["init", target_arg], &env),
        &hb,
        &[dir.path()],
    );
    snap(
        "new",
        &run_env(&target, &["new", "norm", "lunch-breaks"], &env),
        &hb,
        &[dir.path()],
    );
    snap(
        "new_bad_id",
        &run_env(&target, &["new", "norm", "Lunch_Breaks"], &env),
        &hb,
        &[dir.path()],
    );
    snap(
        "new_unknown_kind",
        &run_env(&target, &["new", "nrom", "lunch"], &env),
        &hb,
        &[dir.path()],
    );
    let schemas = dir.path().join("schemas");
    snap(
        "schema_out",
        &run_env(
            &target,
            &["schema", "--out", schemas.to_str().unwrap()],
            &env,
        ),
        &hb,
        &[dir.path()],
    );
    snap(
        "no_handbook",
        &run_env(dir.path(), &["log"], &env),
        &hb,
        &[dir.path()],
    );
}
