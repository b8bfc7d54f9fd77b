//! `ack` and `acks sync`: one line per acknowledgement recorded (or already held), and
//! what a sync did.

use crate::model::ack::{Recorded, Shown, State, Synced};
use crate::model::pending::Pending;
use std::fmt::Write;

/// What is pending for one person: each policy with its title, revision, due date (in
/// `tz`) and, when the site's `base_url` is known, its page; then how to acknowledge.
pub fn pending(p: &Pending, tz: &jiff::tz::TimeZone, base_url: Option<&str>) -> String {
    let mut out = String::new();
    let person = &p.person;
    if p.items.is_empty() {
        let _ = writeln!(
            out,
            "nothing pending for {person}: every policy that applies is acknowledged in its current revision"
        );
        return out;
    }
    let n = p.items.len();
    let _ = writeln!(
        out,
        "{person} has {n} {} to acknowledge:",
        if n == 1 { "policy" } else { "policies" }
    );
    let width = p.items.iter().map(|i| i.id.len()).max().unwrap_or(0);
    for i in &p.items {
        let due = i
            .due
            .and_then(|d| jiff::Timestamp::from_second(d).ok())
            .map(|d| d.to_zoned(tz.clone()).date().to_string());
        let when = match (&due, i.overdue) {
            (Some(d), true) => format!("OVERDUE since {d}"),
            (Some(d), false) => format!("due {d}"),
            (None, _) => "due date unknown".to_owned(),
        };
        let why = match i.state {
            State::Stale => "an older revision acknowledged",
            _ => "never acknowledged",
        };
        let _ = writeln!(
            out,
            "  {:<width$}  {} (r{}, {why}), {when}",
            i.id,
            super::people::Line(&i.title),
            i.revision
        );
        if let Some(base) = base_url {
            let _ = writeln!(out, "  {:<width$}  {base}policies/{}.html", "", i.id);
        }
    }
    let ids: Vec<&str> = p.items.iter().map(|i| i.id.as_str()).collect();
    let _ = writeln!(
        out,
        "\nread each one (normsctl show ID), then acknowledge: normsctl ack {}\n(or all of them after a confirmation: normsctl ack --pending)",
        ids.join(" ")
    );
    out
}

/// After `ack` recorded `n` entries without `--sync`: they are in this clone only.
pub fn local_only(ledger: &str, n: usize) -> String {
    let (what, it) = if n == 1 {
        ("the entry is".to_owned(), "it")
    } else {
        (format!("the {n} entries are"), "them")
    };
    format!(
        "{what} in this clone's ledger ({ledger}) only: share {it} with `normsctl acks sync` (or record and share in one step with `normsctl ack --sync`)\n"
    )
}

/// What `ack` recorded.
pub fn recorded(r: &Recorded) -> String {
    let mut out = String::new();
    let person = &r.person;
    for (id, revision) in &r.already {
        let _ = writeln!(
            out,
            "{person} had already acknowledged {id} r{revision}: nothing to record"
        );
    }
    for (p, rev, now) in &r.written {
        if *now {
            let _ = write!(out, "{person} acknowledged {p} r{rev}");
            if let Some((name, email)) = &r.written_by {
                let _ = write!(out, " (written by {name} <{email}>)");
            }
            out.push('\n');
        } else {
            let _ = writeln!(
                out,
                "{person} had already acknowledged {p} r{rev}: nothing to record"
            );
        }
    }
    if let Some(c) = r.commit {
        let _ = writeln!(
            out,
            "recorded in {} on {} ({} bytes written)",
            &c.to_string()[..10],
            r.ledger,
            r.bytes
        );
    }
    out
}

/// What `acks sync` did with `remote`.
pub fn synced(done: &Synced, remote: &str) -> String {
    let mut out = String::new();
    match done.tip {
        None => out.push_str("no ledger on either side yet\n"),
        Some(tip) => {
            let what = if done.pushed {
                "pushed"
            } else if done.fast_forwarded {
                "took the remote's entries"
            } else {
                "already in step"
            };
            let _ = write!(out, "{what}: {remote} holds {}", &tip.to_string()[..10]);
            if !done.merges.is_empty() {
                let _ = write!(out, " ({} merge commit(s))", done.merges.len());
            }
            if done.rounds > 1 {
                let _ = write!(out, " after {} rounds", done.rounds);
            }
            out.push('\n');
        }
    }
    out
}

/// `acks show`: each entry with the exact text it was bound to.
pub fn shown(entries: &[Shown], person: &str, policy: Option<&str>) -> String {
    let mut out = String::new();
    for s in entries {
        let (p, e) = (&s.entry, &s.entry.entry);
        let _ = writeln!(
            out,
            "== {} r{}, acknowledged by {} at {}",
            e.policy, e.revision, e.person, e.time
        );
        let _ = writeln!(
            out,
            "   entry {}; {} (blob {}) at handbook commit {}",
            p.id, e.path, e.blob, e.commit
        );
        let _ = write!(out, "   written by {} <{}>", e.writer.name, e.writer.email);
        if s.by_other {
            let _ = write!(out, " (not {} themself)", e.person);
        }
        out.push('\n');
        if let Some(v) = &s.via {
            let _ = writeln!(out, "   {}", v.words());
        }
        if p.signature.is_some() {
            out.push_str("   signed (run `normsctl acks verify` to check)\n");
        }
        if let Some(n) = &e.note {
            let _ = writeln!(out, "   note: {n}");
        }
        out.push('\n');
        match &s.text {
            Some(t) => {
                out.push_str(t);
                if !t.ends_with('\n') {
                    out.push('\n');
                }
            }
            None => out.push_str("(this text is not in this repository)\n"),
        }
        out.push('\n');
    }
    if entries.is_empty() {
        let _ = writeln!(
            out,
            "{person} has no acknowledgements{}",
            policy.map(|p| format!(" of {p}")).unwrap_or_default()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use git2::Oid;

    #[test]
    fn recorded_lines() {
        let r = Recorded {
            person: "bo".into(),
            already: vec![("qa-score".into(), 1)],
            written: vec![("stepping-away".into(), 2, true), ("late".into(), 1, false)],
            written_by: Some(("Ana Diaz".into(), "ana@example.com".into())),
            commit: Some(Oid::from_str("4444444444444444444444444444444444444444").unwrap()),
            ledger: "normsctl/acks".into(),
            bytes: 1234,
        };
        insta::assert_snapshot!(recorded(&r), @r"
        bo had already acknowledged qa-score r1: nothing to record
        bo acknowledged stepping-away r2 (written by Ana Diaz <ana@example.com>)
        bo had already acknowledged late r1: nothing to record
        recorded in 4444444444 on normsctl/acks (1234 bytes written)
        ");
    }

    #[test]
    fn shown_entries() {
        assert_eq!(
            shown(&[], "bo", Some("qa")),
            "bo has no acknowledgements of qa\n"
        );
        let entry = crate::model::ack::Entry {
            format: 1,
            person: "bo".into(),
            policy: "qa".into(),
            revision: 1,
            path: "policies/qa.yaml".into(),
            blob: "1111111111111111111111111111111111111111".into(),
            commit: "2222222222222222222222222222222222222222".into(),
            time: "2026-01-05T10:00:00+01:00".into(),
            writer: crate::model::ack::Writer {
                name: "Bo Chen".into(),
                email: "bo@example.com".into(),
            },
            tool: "normsctl 0.1.0".into(),
            note: None,
            revokes: None,
            via: None,
        };
        let s = Shown {
            entry: crate::model::ack::Parsed {
                entry,
                id: Oid::from_str("4444444444444444444444444444444444444444").unwrap(),
                payload_len: 1,
                signature: None,
            },
            by_other: false,
            via: None,
            text: Some("id: qa".into()),
        };
        insta::assert_snapshot!(shown(&[s], "bo", None), @r"
        == qa r1, acknowledged by bo at 2026-01-05T10:00:00+01:00
           entry 4444444444444444444444444444444444444444; policies/qa.yaml (blob 1111111111111111111111111111111111111111) at handbook commit 2222222222222222222222222222222222222222
           written by Bo Chen <bo@example.com>

        id: qa
        ");
    }

    #[test]
    fn sync_lines() {
        assert_eq!(
            synced(&Synced::default(), "origin"),
            "no ledger on either side yet\n"
        );
        let done = Synced {
            rounds: 2,
            merges: vec![Oid::ZERO_SHA1],
            tip: Some(Oid::from_str("5555555555555555555555555555555555555555").unwrap()),
            pushed: true,
            fast_forwarded: false,
        };
        assert_eq!(
            synced(&done, "origin"),
            "pushed: origin holds 5555555555 (1 merge commit(s)) after 2 rounds\n"
        );
    }
}
