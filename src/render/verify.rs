//! `acks verify`: one line when the ledger holds, a JSON document, and the problems (for
//! stderr) when it does not.

use super::json;
use crate::model::ack::Outcome;
use serde_json::json;
use std::fmt::Write;

/// The verdict for people (empty when the ledger fails: [`problems`] says why).
pub fn human(outcome: &Outcome) -> String {
    let mut out = String::new();
    if outcome.tips.is_empty() {
        out.push_str("no ledger yet\n");
    } else if outcome.problems.is_empty() {
        let tips: Vec<String> = outcome
            .tips
            .iter()
            .map(|(n, t)| format!("{} at {}", n, &t.to_string()[..10]))
            .collect();
        let _ = writeln!(
            out,
            "ledger ok: {} entries in {} commits, {} signed, {} written by someone other than the person named; {}",
            outcome.entries,
            outcome.commits,
            outcome.signed,
            outcome.by_other,
            tips.join(", ")
        );
    }
    use super::people::one_line;
    for (p, reason) in &outcome.excepted {
        let _ = writeln!(
            out,
            "excepted after review: {}{}: {} (acks.exceptions: {})",
            p.commit,
            p.path
                .as_ref()
                .map(|p| format!(" {}", one_line(p)))
                .unwrap_or_default(),
            one_line(&p.message),
            one_line(reason)
        );
    }
    out
}

/// The verdict as one JSON document.
pub fn json(outcome: &Outcome) -> String {
    json::pretty(&json!({
        "version": 1,
        "ok": outcome.problems.is_empty(),
        "tips": outcome.tips.iter().map(|(n, t)| json!({"ref": n, "commit": t.to_string()})).collect::<Vec<_>>(),
        "commits": outcome.commits,
        "entries": outcome.entries,
        "signed": outcome.signed,
        "written_by_other": outcome.by_other,
        "first_bad_commit": outcome.problems.first().map(|p| p.commit.to_string()),
        "problems": outcome.problems.iter().map(|p| json!({
            "commit": p.commit.to_string(),
            "path": p.path,
            "message": p.message,
        })).collect::<Vec<_>>(),
        "excepted": outcome.excepted.iter().map(|(p, reason)| json!({
            "commit": p.commit.to_string(),
            "path": p.path,
            "message": p.message,
            "reason": reason,
        })).collect::<Vec<_>>(),
    }))
}

/// The error and the first twenty problems, for stderr (empty when there are none).
pub fn problems(outcome: &Outcome) -> String {
    let mut out = String::new();
    let Some(first) = outcome.problems.first() else {
        return out;
    };
    let _ = writeln!(
        out,
        "error: the ledger fails verification; first bad commit {}",
        first.commit
    );
    for p in outcome.problems.iter().take(20) {
        let _ = writeln!(
            out,
            "  {}{}: {}",
            &p.commit.to_string()[..10],
            p.path.as_ref().map(|p| format!(" {p}")).unwrap_or_default(),
            p.message
        );
    }
    if outcome.problems.len() > 20 {
        let _ = writeln!(out, "  ... and {} more", outcome.problems.len() - 20);
    }
    let _ = writeln!(
        out,
        "  help: if this commit was reviewed and must stay (a protected branch accepted it), add it to normsctl.yaml by pull request:\n    acks:\n      exceptions:\n        - {{ commit: {}, reason: \"...\" }}",
        first.commit
    );
    out
}

/// The entries in a newer format than this version reads, one line each (at most 20).
pub fn newer(outcome: &Outcome) -> String {
    use super::people::one_line;
    let mut out = String::new();
    for p in outcome.newer.iter().take(20) {
        let _ = writeln!(
            out,
            "  {}{}: {}",
            &p.commit.to_string()[..10],
            p.path
                .as_ref()
                .map(|p| format!(" {}", one_line(p)))
                .unwrap_or_default(),
            one_line(&p.message)
        );
    }
    if outcome.newer.len() > 20 {
        let _ = writeln!(out, "  ... and {} more", outcome.newer.len() - 20);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ack::Problem;
    use git2::Oid;

    fn tip() -> Oid {
        Oid::from_str("7777777777777777777777777777777777777777").unwrap()
    }

    #[test]
    fn a_ledger_that_holds() {
        let ok = Outcome {
            tips: vec![("refs/heads/normsctl/acks".into(), tip())],
            commits: 3,
            entries: 4,
            signed: 1,
            by_other: 0,
            problems: vec![],
            newer: vec![],
            excepted: vec![],
        };
        insta::assert_snapshot!(human(&ok), @"ledger ok: 4 entries in 3 commits, 1 signed, 0 written by someone other than the person named; refs/heads/normsctl/acks at 7777777777");
        assert_eq!(problems(&ok), "");
        assert_eq!(human(&Outcome::default()), "no ledger yet\n");
    }

    #[test]
    fn a_ledger_that_fails() {
        let bad = Outcome {
            tips: vec![("refs/heads/normsctl/acks".into(), tip())],
            problems: vec![Problem {
                commit: tip(),
                path: Some("ab/bo/x.ack".into()),
                message: "edited".into(),
            }],
            ..Outcome::default()
        };
        assert_eq!(human(&bad), "");
        insta::assert_snapshot!(problems(&bad), @r#"
        error: the ledger fails verification; first bad commit 7777777777777777777777777777777777777777
          7777777777 ab/bo/x.ack: edited
          help: if this commit was reviewed and must stay (a protected branch accepted it), add it to normsctl.yaml by pull request:
            acks:
              exceptions:
                - { commit: 7777777777777777777777777777777777777777, reason: "..." }
        "#);
        // An excepted problem is named even when the ledger holds.
        let excepted = Outcome {
            tips: bad.tips.clone(),
            excepted: vec![(bad.problems[0].clone(), "restored after review".into())],
            ..Outcome::default()
        };
        assert!(human(&excepted).contains(
            "excepted after review: 7777777777777777777777777777777777777777 ab/bo/x.ack: edited (acks.exceptions: restored after review)"
        ));
        let doc: serde_json::Value = serde_json::from_str(&json(&bad)).unwrap();
        assert_eq!(doc["ok"], false);
        assert_eq!(doc["first_bad_commit"], tip().to_string());
    }
}
