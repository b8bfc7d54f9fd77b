//! `diff`: what changed between two states of the handbook, for people (human), programs
//! (JSON) and pull-request comments (Markdown).

use super::json;
use super::markdown as md;
use super::people::{Line, Shown, clean, one_line};
use crate::diff::{self, Chunk, Op};
use crate::history::Change;
use crate::history::compare::Entry;
use anstyle::{AnsiColor, Style};
use serde_json::json;
use std::fmt::Write;

/// One side of the comparison, as shown.
pub struct Side {
    /// The revision as given (`HEAD`, `main`), or `working tree`.
    pub label: String,
    /// Its commit id, when it is one.
    pub commit: Option<String>,
}

fn revisions(e: &Entry) -> String {
    let r = |n: Option<u32>| n.map_or_else(|| "-".to_owned(), |n| n.to_string());
    match (e.old_revision, e.revision) {
        (Some(a), Some(b)) if a != b => format!("revision {a} -> {b}"),
        (_, Some(b)) => format!("revision {b}"),
        (a, None) => format!("revision {}", r(a)),
    }
}

/// A change that alters material fields while its declared revision stayed: the declared
/// revision is the truth (`change` stays `editorial`), but the reader is told, with the fix
/// (`validate --base` fails it as `revision-not-raised`).
fn unraised(e: &Entry) -> Option<String> {
    if e.change != Change::Editorial {
        return None;
    }
    let material = crate::validate::change::material_fields(&e.diff);
    if material.is_empty() {
        return None;
    }
    let names: Vec<String> = material.iter().map(|k| format!("`{k}`")).collect();
    let fix = e.revision.map_or_else(
        || "raise `revision`".to_owned(),
        crate::validate::change::raise_hint,
    );
    Some(format!(
        "revision not raised: {} changed, a material change; {fix}",
        names.join(", ")
    ))
}

fn where_(e: &Entry) -> String {
    match &e.old_path {
        Some(old) => format!("{old} -> {}", e.path),
        None => e.path.clone(),
    }
}

pub fn human(entries: &[Entry], from: &Side, to: &Side, color: bool) -> String {
    let mut out = String::new();
    let short = |s: &Side| {
        s.commit
            .as_deref()
            .map(|c| format!("{} ({})", Line(&s.label), &c[..10]))
            .unwrap_or_else(|| one_line(&s.label).into_owned())
    };
    let _ = writeln!(out, "{} -> {}", short(from), short(to));
    if entries.is_empty() {
        out.push_str("no policy changed\n");
        return out;
    }
    // Without colour, changed words are marked `{+…+}` and `[-…-]` instead.
    let paint = |s: Style| if color { s } else { Style::new() };
    let bold = paint(Style::new().bold());
    let (green, red) = (
        paint(Style::new().fg_color(Some(AnsiColor::Green.into()))),
        paint(
            Style::new()
                .fg_color(Some(AnsiColor::Red.into()))
                .strikethrough(),
        ),
    );
    for e in entries {
        let _ = writeln!(
            out,
            "\n{bold}{:<9}{bold:#} {bold}{}{bold:#}  {}  {}",
            e.change.as_str(),
            Line(&e.id),
            revisions(e),
            Line(&where_(e))
        );
        if let Some(warning) = unraised(e) {
            let _ = writeln!(out, "  {red}warning:{red:#} {warning}");
        }
        for f in &e.diff.fields {
            let _ = writeln!(
                out,
                "  {}: {red}{}{red:#} -> {green}{}{green:#}",
                Line(&f.path),
                Line(&diff::display(f.old.as_ref())),
                Line(&diff::display(f.new.as_ref()))
            );
        }
        if let Some(body) = &e.diff.body {
            out.push_str("  body:\n");
            let mark = |op: Op, text: &str| match (op, color) {
                (Op::Insert, true) => format!("{green}{}{green:#}", Shown(text)),
                (Op::Delete, true) => format!("{red}{}{red:#}", Shown(text)),
                (Op::Insert, false) => format!("{{+{}+}}", Shown(text)),
                (Op::Delete, false) => format!("[-{}-]", Shown(text)),
                (Op::Equal, _) => clean(text).into_owned(),
            };
            let plain = |t: &str| clean(t).into_owned();
            for line in in_context(marked_lines(body, plain, mark)) {
                let _ = writeln!(out, "    {}", line.as_deref().unwrap_or("…"));
            }
        }
    }
    let count = |c: Change| entries.iter().filter(|e| e.change == c).count();
    let _ = writeln!(
        out,
        "\n{} changed: {} added, {} retired, {} moved, {} material, {} editorial",
        entries.len(),
        count(Change::Added),
        count(Change::Retired),
        count(Change::Moved),
        count(Change::Material),
        count(Change::Editorial)
    );
    out
}

/// The diff as one JSON document; `impact` is [`super::impact::json`]'s array (who the
/// change asks to acknowledge), as in `validate --base`.
pub fn json(entries: &[Entry], from: &Side, to: &Side, impact: serde_json::Value) -> String {
    let side = |s: &Side| json!({ "rev": s.label, "commit": s.commit });
    json::pretty(&json!({
        "version": 1,
        "from": side(from),
        "to": side(to),
        "changed": !entries.is_empty(),
        "policies": entries.iter().map(|e| json!({
            "id": e.id,
            "change": e.change.as_str(),
            "finding": unraised(e).map(|_| "revision-not-raised"),
            "path": e.path,
            "old_path": e.old_path,
            "revision": { "old": e.old_revision, "new": e.revision },
            "fields": e.diff.fields.iter().map(|f| json!({
                "path": f.path, "old": f.old, "new": f.new,
            })).collect::<Vec<_>>(),
            "body": e.diff.body.as_ref().map(|b| b.iter().map(|c| json!({
                "op": c.op.as_str(), "text": c.text,
            })).collect::<Vec<_>>()),
        })).collect::<Vec<_>>(),
        "impact": impact,
    }))
}

pub fn markdown(entries: &[Entry], from: &Side, to: &Side) -> String {
    let mut out = String::new();
    let label = |s: &Side| match &s.commit {
        Some(c) => format!("`{}` ({})", code(&s.label), &c[..10]),
        None => md::text(&s.label),
    };
    let _ = writeln!(
        out,
        "### Handbook changes: {} → {}\n",
        label(from),
        label(to)
    );
    if entries.is_empty() {
        out.push_str("No policy changed.\n");
        return out;
    }
    out.push_str("| policy | change | revision | file |\n|---|---|---|---|\n");
    for e in entries {
        let _ = writeln!(
            out,
            "| `{}` | {}{} | {} | `{}` |",
            code(&e.id),
            e.change.as_str(),
            if unraised(e).is_some() {
                " ⚠️ **revision not raised**"
            } else {
                ""
            },
            revisions(e),
            code(&where_(e))
        );
    }
    for e in entries.iter().filter(|e| !e.diff.is_empty()) {
        let _ = writeln!(
            out,
            "\n#### `{}`: {}, {}\n",
            code(&e.id),
            e.change.as_str(),
            revisions(e)
        );
        if let Some(warning) = unraised(e) {
            let _ = writeln!(out, "> **Warning:** {warning}\n");
        }
        for f in &e.diff.fields {
            let _ = writeln!(
                out,
                "- `{}`: `{}` → `{}`",
                code(&f.path),
                code(&diff::display(f.old.as_ref())),
                code(&diff::display(f.new.as_ref()))
            );
        }
        if let Some(body) = &e.diff.body {
            out.push_str("\nBody (~~deleted~~, **inserted**):\n\n");
            let mark = |op: Op, text: &str| {
                let m = if op == Op::Insert { "**" } else { "~~" };
                format!("{m}{}{m}", escape_md(text))
            };
            for line in in_context(marked_lines(body, escape_md, mark)) {
                let _ = writeln!(out, "> {}", line.as_deref().unwrap_or("…"));
            }
        }
    }
    out
}

fn code(text: &str) -> String {
    md::code(text)
}

/// The body's word diff as lines, each saying whether it holds a change. `plain` renders
/// kept text, `mark` changed words (never across a line break, and without the spaces
/// around them, which Markdown emphasis needs).
pub(super) fn marked_lines(
    body: &[Chunk],
    plain: impl Fn(&str) -> String,
    mark: impl Fn(Op, &str) -> String,
) -> Vec<(bool, String)> {
    let mut lines = vec![(false, String::new())];
    for c in body {
        for (n, part) in c.text.split('\n').enumerate() {
            if n > 0 {
                lines.push((false, String::new()));
            }
            let line = lines.last_mut().expect("one line at least");
            let trimmed = part.trim();
            if trimmed.is_empty() || c.op == Op::Equal {
                line.1.push_str(&plain(part));
                continue;
            }
            line.0 = true;
            let lead = &part[..part.len() - part.trim_start().len()];
            let tail = &part[part.trim_end().len()..];
            // The white space around a change is kept text: `plain` escapes it too (a
            // carriage return is white space to `trim`).
            line.1.push_str(&plain(lead));
            line.1.push_str(&mark(c.op, trimmed));
            line.1.push_str(&plain(tail));
        }
    }
    while lines
        .last()
        .is_some_and(|(changed, l)| !changed && l.is_empty())
    {
        lines.pop();
    }
    lines
}

/// The changed lines with one line of context either side; `None` stands for lines left out.
pub(super) fn in_context(lines: Vec<(bool, String)>) -> Vec<Option<String>> {
    let keep: Vec<bool> = (0..lines.len())
        .map(|i| {
            lines[i.saturating_sub(1)..(i + 2).min(lines.len())]
                .iter()
                .any(|l| l.0)
        })
        .collect();
    let mut out = Vec::new();
    for (i, (_, line)) in lines.into_iter().enumerate() {
        if keep[i] {
            out.push(Some(line));
        } else if i > 0 && keep[i - 1] || i == 0 {
            out.push(None);
        }
    }
    out
}

fn escape_md(text: &str) -> String {
    md::text(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{FieldChange, PolicyDiff};

    fn sides() -> (Side, Side) {
        (
            Side {
                label: "HEAD".into(),
                commit: Some("3333333333333333333333333333333333333333".into()),
            },
            Side {
                label: "working tree".into(),
                commit: None,
            },
        )
    }

    fn entry() -> Entry {
        Entry {
            id: "qa-score".into(),
            change: Change::Material,
            path: "policies/qa-score.yaml".into(),
            old_path: None,
            old_revision: Some(1),
            revision: Some(2),
            diff: PolicyDiff {
                fields: vec![FieldChange {
                    path: "target.value".into(),
                    old: Some(serde_json::json!(85)),
                    new: Some(serde_json::json!(90)),
                }],
                body: Some(diff::words(
                    "Be kind.\nBe quick.",
                    "Be kind.\nBe very quick.",
                )),
            },
        }
    }

    #[test]
    fn an_unraised_material_change_stays_editorial_but_is_flagged_with_the_fix() {
        let (from, to) = sides();
        let e = Entry {
            change: Change::Editorial,
            old_revision: Some(2),
            revision: Some(2),
            ..entry()
        };
        let doc: serde_json::Value = serde_json::from_str(&json(
            std::slice::from_ref(&e),
            &from,
            &to,
            serde_json::json!([]),
        ))
        .unwrap();
        assert_eq!(doc["policies"][0]["change"], "editorial");
        assert_eq!(doc["policies"][0]["finding"], "revision-not-raised");
        let human = human(std::slice::from_ref(&e), &from, &to, false);
        assert!(
            human.contains("warning: revision not raised: `target` changed, a material change; set `revision: 3`"),
            "{human}"
        );
        let md = markdown(std::slice::from_ref(&e), &from, &to);
        assert!(
            md.contains("| editorial ⚠️ **revision not raised** |"),
            "{md}"
        );
        assert!(md.contains("> **Warning:** revision not raised"), "{md}");
        // a real material change carries no finding
        let doc: serde_json::Value =
            serde_json::from_str(&json(&[entry()], &from, &to, serde_json::json!([]))).unwrap();
        assert_eq!(doc["policies"][0]["finding"], serde_json::Value::Null);
    }

    #[test]
    fn human_lists_fields_and_marks_words_without_colour() {
        let (from, to) = sides();
        insta::assert_snapshot!(human(&[entry()], &from, &to, false), @r"
        HEAD (3333333333) -> working tree

        material  qa-score  revision 1 -> 2  policies/qa-score.yaml
          target.value: 85 -> 90
          body:
            Be kind.
            Be {+very+} quick.

        1 changed: 0 added, 0 retired, 0 moved, 1 material, 0 editorial
        ");
        assert!(human(&[], &from, &to, false).ends_with("no policy changed\n"));
    }

    #[test]
    fn markdown_escapes_and_json_is_one_document() {
        let (from, to) = sides();
        let md = markdown(&[entry()], &from, &to);
        assert!(
            md.starts_with("### Handbook changes: `HEAD` (3333333333) → working tree"),
            "{md}"
        );
        assert!(
            md.contains("| `qa-score` | material | revision 1 -> 2 | `policies/qa-score.yaml` |"),
            "{md}"
        );
        assert!(md.contains("Be **very** quick."), "{md}");
        assert_eq!(escape_md("a_b<c>"), "a\\_b&lt;c&gt;");
        let doc: serde_json::Value =
            serde_json::from_str(&json(&[entry()], &from, &to, serde_json::json!([]))).unwrap();
        assert_eq!(doc["changed"], true);
        assert_eq!(doc["policies"][0]["fields"][0]["new"], 90);
    }
}
