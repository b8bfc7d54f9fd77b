//! Broken settings are never replaced by silent defaults: a typo in `timezone` stops the
//! history and ledger commands (exit 2, with the finding), and `validate` and `build`
//! report it as a finding (exit 1).

use crate::acks::{T0, at, handbook};
use crate::harness::ROSTER;

const TYPO: &str = "title: Test Handbook\ntimezone: Europe/Madird\n";
const FINDING: &str =
    "normsctl.yaml:2:11: error[invalid-value]: `Europe/Madird` is not a known time zone";

fn broken() -> crate::harness::Handbook {
    let hb = handbook(ROSTER, "bo@example.com");
    hb.write("normsctl.yaml", TYPO);
    crate::acks::commit(hb.path(), "Typo in the zone", T0 + 60);
    hb
}

#[test]
fn a_timezone_typo_stops_the_history_and_ledger_commands() {
    let hb = broken();
    for args in [
        &["log"][..],
        &["show", "stepping-away"],
        &["ack", "stepping-away"],
        &["acks"],
        &["acks", "verify"],
        &["diff"],
    ] {
        let run = at(&hb, args, T0 + 3600);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains(FINDING), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("help: use an IANA zone name such as Europe/Madrid"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    }
    // Nothing was recorded.
    assert!(crate::acks::tip(hb.path()).is_none());
}

#[test]
fn validate_and_build_report_it_as_a_finding() {
    let hb = broken();
    let run = at(&hb, &["validate"], T0 + 3600);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains(FINDING), "{}", run.stdout);
    let run = at(&hb, &["build"], T0 + 3600);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains(FINDING), "{}", run.stderr);
    assert!(
        run.stderr.contains("the site was not built"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_stop_as_a_person_reads_it() {
    let hb = broken();
    let run = at(&hb, &["log"], T0 + 3600);
    insta::assert_snapshot!(
        "log_timezone_typo",
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            run.code, run.stdout, run.stderr
        )
    );
}
