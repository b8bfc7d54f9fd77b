//! `acks audit`: the period report as Markdown, as one printable HTML page (A4, every value
//! escaped) and as JSON. Times are in the handbook's zone. Pure functions of the audit.

use super::markdown;
use super::time::{date, rfc3339};
use crate::model::ack::{Audit, AuditEntry, AuditRow, State};
use jiff::tz::TimeZone;
use serde::Serialize;
use std::fmt::Write;

/// How a row's acknowledgement reads: "2026-01-06 (witnessed 2026-01-07)".
fn acknowledged(e: &AuditEntry, tz: &TimeZone) -> String {
    match e.witnessed {
        Some(w) => format!("{} (witnessed {})", date(e.recorded, tz), date(w, tz)),
        None => format!("{} (not witnessed)", date(e.recorded, tz)),
    }
}

fn late(r: &AuditRow) -> String {
    match (r.state, r.late_days) {
        (State::Current | State::Expired, Some(0)) => "on time".into(),
        (State::Current | State::Expired, Some(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn due(r: &AuditRow, tz: &TimeZone) -> (String, String) {
    (
        r.due.map(|d| date(d, tz)).unwrap_or_default(),
        r.since
            .map(|s| format!("{} {}", s.clock.words(), date(s.at, tz)))
            .unwrap_or_default(),
    )
}

fn status(r: &AuditRow, show_reasons: bool) -> String {
    let mut s = r.state.as_str().to_owned();
    if r.overdue {
        s.push_str(", overdue");
    }
    if let Some(e) = &r.exemption {
        match &e.until {
            Some(u) => {
                let _ = write!(s, "; exempt until {u}");
            }
            None => s.push_str("; exempt for good"),
        }
        if show_reasons {
            let _ = write!(s, " ({})", e.reason.as_str());
        }
    }
    s
}

/// Rows grouped by policy, in order.
fn by_policy(a: &Audit) -> Vec<&[AuditRow]> {
    a.rows
        .chunk_by(|x, y| x.policy == y.policy && x.revision == y.revision)
        .collect()
}

/// The Markdown report (GitHub-flavoured tables; every value escaped).
pub fn markdown(a: &Audit, tz: &TimeZone, show_reasons: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Acknowledgements from {} to {}\n",
        date(a.from, tz),
        date(a.to, tz)
    );
    let _ = writeln!(
        out,
        "As the handbook stood at the end of the period: handbook commit `{}`, until {}. Only entries a witness held by then count.\n",
        markdown::code(&a.handbook_commit),
        rfc3339(a.to, tz)
    );
    for (name, tip) in &a.ledger_tips {
        let _ = writeln!(
            out,
            "- ledger `{}` at `{}`",
            markdown::code(name),
            markdown::code(tip)
        );
    }
    let _ = writeln!(
        out,
        "- verification (`normsctl acks verify`): {} ({} entries)",
        if a.verified {
            "the ledger is intact".to_owned()
        } else {
            format!(
                "FAILED, first problem: {}",
                markdown::text(a.first_problem.as_deref().unwrap_or(""))
            )
        },
        a.ledger_entries
    );
    if a.unwitnessed > 0 {
        let _ = writeln!(
            out,
            "- {} entries left out: no witness held them by the end of the period",
            a.unwitnessed
        );
    }
    out.push_str(
        "\nTo check an entry again offline: `git show <ledger commit>` shows the entry file; `normsctl acks evidence --person P --policy ID` gives the whole bundle; `normsctl acks --at <end> --format json` gives these rows.\n",
    );
    for rows in by_policy(a) {
        let first = &rows[0];
        let _ = writeln!(
            out,
            "\n## {} r{}: {}\n",
            markdown::text(&first.policy),
            first.revision,
            markdown::text(&first.title)
        );
        out.push_str("| Person | Status | Due | Due from | Acknowledged | Days late | Entry | Ledger commit |\n|---|---|---|---|---|---|---|---|\n");
        for r in rows {
            let (d, since) = due(r, tz);
            let ack = r.acknowledged.as_ref();
            let _ = writeln!(
                out,
                "| {} ({}) | {} | {} | {} | {} | {} | {} | {} |",
                markdown::text(&r.person),
                markdown::text(&r.name),
                markdown::text(&status(r, show_reasons)),
                d,
                since,
                ack.map(|e| format!("r{} {}", e.revision, acknowledged(e, tz)))
                    .unwrap_or_default(),
                late(r),
                ack.map(|e| format!("`{}`", markdown::code(&e.entry[..e.entry.len().min(12)])))
                    .unwrap_or_default(),
                ack.and_then(|e| e.ledger_commit.as_deref())
                    .map(|c| format!("`{}`", markdown::code(&c[..c.len().min(12)])))
                    .unwrap_or_default(),
            );
        }
    }
    if !a.rejected.is_empty() {
        out.push_str("\n## Entries that do not count\n\n");
        for r in &a.rejected {
            let _ = writeln!(
                out,
                "- {} {} r{} (`{}`): {}",
                markdown::text(&r.person),
                markdown::text(&r.policy),
                r.revision,
                markdown::code(&r.path),
                markdown::text(&r.reason)
            );
        }
    }
    out
}

/// `text` escaped for HTML text and attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if super::people::is_hostile(c) => out.push_str(&super::people::escaped(c)),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "@page { size: A4; margin: 14mm 12mm; }
body { font: 10pt/1.35 system-ui, sans-serif; color: #111; max-width: 60em; margin: 1em auto; }
h1 { font-size: 15pt; } h2 { font-size: 12pt; margin-top: 1.6em; break-after: avoid; }
table { width: 100%; border-collapse: collapse; font-size: 8.5pt; }
th, td { border: 1px solid #999; padding: 2px 4px; text-align: left; vertical-align: top; }
thead { display: table-header-group; } tr { break-inside: avoid; }
code { font-size: 8pt; word-break: break-all; }
.overdue { font-weight: bold; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; } }";

/// One printable HTML page.
pub fn html(a: &Audit, tz: &TimeZone, show_reasons: bool) -> String {
    let e = html_escape;
    let mut out = String::new();
    let title = format!(
        "Acknowledgements from {} to {}",
        date(a.from, tz),
        date(a.to, tz)
    );
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n<title>{}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        e(&title),
        e(&title)
    );
    let _ = writeln!(
        out,
        "<p>As the handbook stood at the end of the period: handbook commit <code>{}</code>, until {}. Only entries a witness held by then count.</p>\n<ul>",
        e(&a.handbook_commit),
        e(&rfc3339(a.to, tz))
    );
    for (name, tip) in &a.ledger_tips {
        let _ = writeln!(
            out,
            "<li>ledger <code>{}</code> at <code>{}</code></li>",
            e(name),
            e(tip)
        );
    }
    let verdict = if a.verified {
        "the ledger is intact".to_owned()
    } else {
        format!(
            "FAILED, first problem: {}",
            a.first_problem.as_deref().unwrap_or("")
        )
    };
    let _ = writeln!(
        out,
        "<li>verification (<code>normsctl acks verify</code>): {} ({} entries)</li>",
        e(&verdict),
        a.ledger_entries
    );
    if a.unwitnessed > 0 {
        let _ = writeln!(
            out,
            "<li>{} entries left out: no witness held them by the end of the period</li>",
            a.unwitnessed
        );
    }
    out.push_str("</ul>\n<p>To check an entry again offline: <code>git show &lt;ledger commit&gt;</code> shows the entry file; <code>normsctl acks evidence --person P --policy ID</code> gives the whole bundle.</p>\n");
    for rows in by_policy(a) {
        let first = &rows[0];
        let _ = writeln!(
            out,
            "<h2>{} r{}: {}</h2>\n<table>\n<thead><tr><th>Person</th><th>Status</th><th>Due</th><th>Due from</th><th>Acknowledged</th><th>Days late</th><th>Entry</th><th>Ledger commit</th></tr></thead>\n<tbody>",
            e(&first.policy),
            first.revision,
            e(&first.title)
        );
        for r in rows {
            let (d, since) = due(r, tz);
            let ack = r.acknowledged.as_ref();
            let _ = writeln!(
                out,
                "<tr{}><td>{} ({})</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                if r.overdue { " class=\"overdue\"" } else { "" },
                e(&r.person),
                e(&r.name),
                e(&status(r, show_reasons)),
                e(&d),
                e(&since),
                e(&ack
                    .map(|x| format!("r{} {}", x.revision, acknowledged(x, tz)))
                    .unwrap_or_default()),
                e(&late(r)),
                e(ack.map_or("", |x| x.entry.as_str())),
                e(ack.and_then(|x| x.ledger_commit.as_deref()).unwrap_or("")),
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    if !a.rejected.is_empty() {
        out.push_str("<h2>Entries that do not count</h2>\n<ul>\n");
        for r in &a.rejected {
            let _ = writeln!(
                out,
                "<li>{} {} r{} (<code>{}</code>): {}</li>",
                e(&r.person),
                e(&r.policy),
                r.revision,
                e(&r.path),
                e(&r.reason)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    from: String,
    to: String,
    handbook_commit: &'a str,
    ledger: Vec<Tip<'a>>,
    verified: bool,
    ledger_entries: usize,
    first_problem: Option<&'a str>,
    unwitnessed: usize,
    rows: Vec<Row<'a>>,
    rejected: Vec<super::acks::RejectedJson<'a>>,
}

#[derive(Serialize)]
struct Tip<'a> {
    #[serde(rename = "ref")]
    name: &'a str,
    commit: &'a str,
}

#[derive(Serialize)]
struct Row<'a> {
    policy: &'a str,
    title: &'a str,
    revision: u32,
    person: &'a str,
    name: &'a str,
    status: &'a str,
    overdue: bool,
    due: Option<String>,
    due_clock: Option<&'a str>,
    covered_since: Option<String>,
    late_days: Option<i64>,
    acknowledgement: Option<Entry<'a>>,
    first_acknowledgement: Option<Entry<'a>>,
    exempt_until: Option<&'a str>,
    exempt_for_good: bool,
    exempt_reason: Option<&'a str>,
}

#[derive(Serialize)]
struct Entry<'a> {
    entry: &'a str,
    revision: u32,
    time: &'a str,
    recorded: String,
    witnessed: Option<String>,
    ledger_commit: Option<&'a str>,
}

/// The JSON document (`version` 1).
pub fn json(a: &Audit, tz: &TimeZone, show_reasons: bool) -> String {
    fn entry<'x>(x: &'x AuditEntry, tz: &TimeZone) -> Entry<'x> {
        Entry {
            entry: &x.entry,
            revision: x.revision,
            time: &x.claimed,
            recorded: rfc3339(x.recorded, tz),
            witnessed: x.witnessed.map(|w| rfc3339(w, tz)),
            ledger_commit: x.ledger_commit.as_deref(),
        }
    }
    let doc = Doc {
        version: 1,
        from: rfc3339(a.from, tz),
        to: rfc3339(a.to, tz),
        handbook_commit: &a.handbook_commit,
        ledger: a
            .ledger_tips
            .iter()
            .map(|(n, c)| Tip { name: n, commit: c })
            .collect(),
        verified: a.verified,
        ledger_entries: a.ledger_entries,
        first_problem: a.first_problem.as_deref(),
        unwitnessed: a.unwitnessed,
        rows: a
            .rows
            .iter()
            .map(|r| Row {
                policy: &r.policy,
                title: &r.title,
                revision: r.revision,
                person: &r.person,
                name: &r.name,
                status: r.state.as_str(),
                overdue: r.overdue,
                due: r.due.map(|d| rfc3339(d, tz)),
                due_clock: r.since.map(|s| s.clock.as_str()),
                covered_since: r.since.map(|s| rfc3339(s.at, tz)),
                late_days: r.late_days,
                acknowledgement: r.acknowledged.as_ref().map(|x| entry(x, tz)),
                first_acknowledgement: r.first.as_ref().map(|x| entry(x, tz)),
                exempt_until: r.exemption.as_ref().and_then(|e| e.until.as_deref()),
                exempt_for_good: r.exemption.as_ref().is_some_and(|e| e.until.is_none()),
                exempt_reason: r
                    .exemption
                    .as_ref()
                    .filter(|_| show_reasons)
                    .map(|e| e.reason.as_str()),
            })
            .collect(),
        rejected: a
            .rejected
            .iter()
            .map(super::acks::RejectedJson::of)
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}
