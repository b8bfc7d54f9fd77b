//! `acks evidence`: the dispute bundle as Markdown (to attach to a ticket) or JSON.

use super::json;
use super::markdown as md;
use crate::model::ack::Evidence;
use serde_json::json;
use std::fmt::Write;

/// The bundle as one JSON document; `generated` is when it was made (RFC 3339).
pub fn json(ev: &Evidence, generated: &str) -> String {
    json::pretty(&json!({
        "version": 1,
        "generated": generated,
        "person": ev.person,
        "policy": ev.policy,
        "head": ev.head.to_string(),
        "current": ev.current.as_ref().map(|(path, blob)| json!({
            "revision": ev.current_revision,
            "path": path,
            "blob": blob,
        })),
        "status": ev.status,
        "ledger": {
            "ok": ev.ledger_ok,
            "entries": ev.ledger_entries,
            "first_problem": ev.first_problem,
        },
        "acknowledgements": ev.items.iter().map(|i| {
            let e = &i.entry.entry;
            json!({
                "entry": i.entry.id.to_string(),
                "revision": e.revision,
                "time": e.time,
                "commit": e.commit,
                "path": e.path,
                "blob": e.blob,
                "writer": { "name": e.writer.name, "email": e.writer.email },
                "written_by_other": i.by_other,
                "via": e.via.as_ref().map(|v| json!({
                    "channel": v.channel,
                    "method": v.method,
                    "identity": v.identity,
                    "verified": matches!(i.check.via, Some(crate::model::ack::ViaShown::Verified(_))),
                })),
                "note": e.note,
                "signed": i.entry.signature.is_some(),
                "landed": i.landed.as_ref().map(|(commit, time)| json!({
                    "commit": commit,
                    "time": time,
                })),
                "text": i.text,
                "diff_to_today": i.diff,
                "verified": i.check.problem.is_none(),
                "problem": i.check.problem,
                "ledger_commit": i.ledger_commit,
                "witnessed": i.witnessed.as_ref().map(|(tag, time)| json!({
                    "tag": tag,
                    "time": time,
                })),
                "time_warnings": i.time_warnings,
                "revokes": e.revokes,
                "revoked_by": i.revoked_by.as_ref().map(|(by, why)| json!({
                    "entry": by,
                    "reason": why,
                })),
            })
        }).collect::<Vec<_>>(),
    }))
}

/// A code fence longer than any run of backticks in `text`.
fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// The bundle as Markdown.
pub fn markdown(ev: &Evidence) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Evidence: {} and {}\n",
        md::text(&ev.person),
        md::text(&ev.policy)
    );
    let _ = writeln!(
        out,
        "- Handbook HEAD: `{}`; current revision: {}",
        md::code(&ev.head.to_string()),
        ev.current_revision
            .map_or_else(|| "none (retired)".to_owned(), |r| format!("r{r}"))
    );
    let _ = writeln!(out, "- Status: **{}**", md::text(ev.status));
    let _ = writeln!(
        out,
        "- Ledger: {}\n",
        if ev.ledger_ok {
            format!("verified ({} entries)", ev.ledger_entries)
        } else {
            format!(
                "FAILS verification: {}",
                md::text(ev.first_problem.as_deref().unwrap_or(""))
            )
        }
    );
    if ev.items.is_empty() {
        let _ = writeln!(
            out,
            "{} has no acknowledgement of {} in this clone's ledger.",
            md::text(&ev.person),
            md::text(&ev.policy)
        );
    }
    for (n, i) in ev.items.iter().enumerate() {
        let e = &i.entry.entry;
        let _ = writeln!(
            out,
            "## Acknowledgement {}: revision {}\n",
            n + 1,
            e.revision
        );
        let _ = writeln!(
            out,
            "- Recorded (as the writer says): {}",
            md::text(&e.time.to_string())
        );
        match (&i.witnessed, &i.ledger_commit) {
            (Some((tag, time)), _) => {
                let _ = writeln!(
                    out,
                    "- Witnessed: by {} (`{}`)",
                    md::text(time),
                    md::code(tag)
                );
            }
            (None, Some(c)) => {
                let _ = writeln!(
                    out,
                    "- Witnessed: not yet (no witness tag holds ledger commit `{}`)",
                    md::code(c)
                );
            }
            (None, None) => {}
        }
        for w in &i.time_warnings {
            let _ = writeln!(out, "- **Warning**: {}", md::text(w));
        }
        if let Some(r) = &e.revokes {
            let _ = writeln!(
                out,
                "- **A revocation** of entry `{}`: this entry withdraws it",
                md::code(r)
            );
        }
        if let Some((by, why)) = &i.revoked_by {
            let _ = writeln!(
                out,
                "- **Revoked** by entry `{}`: {}",
                md::code(by),
                md::text(why)
            );
        }
        let _ = writeln!(
            out,
            "- Handbook commit: `{}`",
            md::code(&e.commit.to_string())
        );
        let _ = writeln!(
            out,
            "- Text: `{}` (blob `{}`)",
            md::code(&e.path.to_string()),
            md::code(&e.blob.to_string())
        );
        if let Some((commit, time)) = &i.landed {
            let _ = writeln!(
                out,
                "- That text landed: {} in `{}`",
                md::text(&time.to_string()),
                md::code(&commit.to_string())
            );
        }
        let _ = write!(
            out,
            "- Written by: {} ({})",
            md::text(&e.writer.name),
            md::text(&e.writer.email)
        );
        if i.by_other {
            let _ = write!(
                out,
                " — **not {} themself**",
                md::text(&e.person.to_string())
            );
        }
        out.push('\n');
        if let Some(v) = &i.check.via {
            let _ = writeln!(out, "- How: {}", md::text(&v.words()));
        } else if e.via.is_some() {
            let _ = writeln!(
                out,
                "- How: claims the portal: written by {} <{}>, claim not verified",
                md::text(&e.writer.name),
                md::text(&e.writer.email)
            );
        }
        let _ = writeln!(
            out,
            "- Entry: `{}` ({})",
            md::code(&i.entry.id.to_string()),
            md::text(&e.tool.to_string())
        );
        if let Some(note) = &e.note {
            let _ = writeln!(out, "- Note: {}", md::text(note));
        }
        let _ = writeln!(
            out,
            "- Signature: {}",
            if i.entry.signature.is_some() {
                "present"
            } else {
                "none"
            }
        );
        let _ = writeln!(
            out,
            "- Verification: {}\n",
            match &i.check.problem {
                None => "entry verified".to_owned(),
                Some(p) => format!("FAILED: {}", md::text(&p.to_string())),
            }
        );
        let _ = writeln!(out, "### Text acknowledged\n");
        match &i.text {
            Some(t) => {
                let f = fence(t);
                let _ = writeln!(
                    out,
                    "{f}yaml\n{}{}{f}\n",
                    t,
                    if t.ends_with('\n') { "" } else { "\n" }
                );
            }
            None => out.push_str("(this text is not in this repository)\n\n"),
        }
        let _ = writeln!(out, "### Changes from that text to today's\n");
        match &i.diff {
            Some(d) => {
                let f = fence(d);
                let _ = writeln!(out, "{f}diff\n{d}{f}\n");
            }
            None => out.push_str("None: today's text is the same.\n\n"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ack::{Entry, EntryCheck, EvidenceItem, Parsed, Writer};
    use git2::Oid;

    fn evidence() -> Evidence {
        let entry = Entry {
            format: 1,
            person: "bo".into(),
            policy: "handover".into(),
            revision: 1,
            path: "policies/handover.yaml".into(),
            blob: "1111111111111111111111111111111111111111".into(),
            commit: "2222222222222222222222222222222222222222".into(),
            time: "2026-01-05T10:00:00+01:00".into(),
            writer: Writer {
                name: "Ana Diaz".into(),
                email: "ana@example.com".into(),
            },
            tool: "normsctl 0.1.0".into(),
            note: Some("paper form".into()),
            revokes: None,
            via: None,
        };
        Evidence {
            person: "bo".into(),
            policy: "handover".into(),
            head: Oid::from_str("3333333333333333333333333333333333333333").unwrap(),
            current: Some((
                "policies/handover.yaml".into(),
                "6666666666666666666666666666666666666666".into(),
            )),
            current_revision: Some(2),
            status: "stale",
            ledger_ok: true,
            ledger_entries: 1,
            first_problem: None,
            items: vec![EvidenceItem {
                entry: Parsed {
                    entry,
                    id: Oid::from_str("4444444444444444444444444444444444444444").unwrap(),
                    payload_len: 10,
                    signature: None,
                },
                by_other: true,
                text: Some("a ``` b\n".into()),
                landed: Some((
                    "2222222222222222222222222222222222222222".into(),
                    "2026-01-05T09:00:00+01:00".into(),
                )),
                diff: Some("-a\n+b\n".into()),
                check: EntryCheck {
                    via: None,
                    signed: false,
                    by_other: true,
                    problem: None,
                    newer: false,
                },
                ledger_commit: Some("5555555555555555555555555555555555555555".into()),
                witnessed: Some((
                    "refs/tags/normsctl/witness/20260106T000000Z".into(),
                    "2026-01-06T00:00:00Z".into(),
                )),
                time_warnings: vec!["the claimed time is later than the witness".into()],
                revoked_by: None,
            }],
        }
    }

    #[test]
    fn markdown_bundle() {
        insta::assert_snapshot!(markdown(&evidence()));
    }

    #[test]
    fn json_bundle() {
        let doc: serde_json::Value =
            serde_json::from_str(&json(&evidence(), "2026-01-06T00:00:00Z")).unwrap();
        assert_eq!(doc["status"], "stale");
        assert_eq!(doc["acknowledgements"][0]["written_by_other"], true);
        assert_eq!(
            doc["acknowledgements"][0]["landed"]["commit"],
            "2222222222222222222222222222222222222222"
        );
    }

    #[test]
    fn fences_outgrow_the_text() {
        assert_eq!(fence("a ``` b"), "````");
        assert_eq!(fence("plain"), "```");
    }
}
