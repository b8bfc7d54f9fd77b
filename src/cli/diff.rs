use super::repo::{self, Context};
use super::{CliError, Global, print};
use anstyle::{AnsiColor, Style};
use clap::{Args, ValueEnum};
use normsctl::diff::{self, Chunk, Entry, Op};
use normsctl::history::Change;
use normsctl::history::snapshot::Snapshot;
use normsctl::load;
use serde_json::json;
use std::fmt::Write;

/// What changed between two states of the handbook: policies added, retired and moved,
/// and for each changed policy its field changes (`target.value: 45 -> 30`) and a word
/// diff of its body. With no revisions, the working tree (uncommitted edits included)
/// against HEAD; with one, the working tree against it; with two, FROM against TO.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older state (a branch, tag or commit; default HEAD)
    #[arg(value_name = "FROM")]
    from: Option<String>,
    /// The newer state (default: the working tree)
    #[arg(value_name = "TO")]
    to: Option<String>,
    /// Only this policy
    #[arg(long, value_name = "ID")]
    policy: Option<String>,
    /// Exit 1 when something changed (0 when nothing did)
    #[arg(long)]
    exit_code: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Human,
    Json,
    /// For a pull-request comment
    Markdown,
}

/// One side of the comparison, as shown.
struct Side {
    label: String,
    commit: Option<String>,
}

pub fn run(global: &Global, args: DiffArgs) -> Result<(), CliError> {
    let cx = Context::new(global)?;
    let git = cx.repo()?;
    let dir = cx.policies_dir();
    if args.from.is_some() {
        // Comparing with anything but HEAD reads past it.
        repo::require_complete(&git)?;
    }
    let from_rev = args.from.as_deref().unwrap_or("HEAD");
    if args.from.is_none() {
        repo::head(&git)?;
    }
    let from_commit = repo::commit(&git, from_rev)?;
    let old = Snapshot::at_tree(&git, &from_commit.tree().map_err(git_error)?, &dir)
        .map_err(git_error)?;
    let from = Side {
        label: from_rev.to_owned(),
        commit: Some(from_commit.id().to_string()),
    };
    let (new, to) = match &args.to {
        Some(rev) => {
            let c = repo::commit(&git, rev)?;
            let snap =
                Snapshot::at_tree(&git, &c.tree().map_err(git_error)?, &dir).map_err(git_error)?;
            let side = Side {
                label: rev.clone(),
                commit: Some(c.id().to_string()),
            };
            (snap, side)
        }
        None => {
            let files = load::policy_paths(&cx.loc, &cx.settings)?;
            let snap = Snapshot::from_files(&cx.loc.root, &cx.loc.prefix, &files);
            let side = Side {
                label: "working tree".into(),
                commit: None,
            };
            (snap, side)
        }
    };
    if let Some(id) = &args.policy
        && old.get(id).is_none()
        && new.get(id).is_none()
    {
        let ids = old
            .policies
            .keys()
            .chain(new.policies.keys())
            .map(String::as_str);
        let mut err = CliError::env(format!("no policy `{id}` in either state"));
        if let Some(near) = normsctl::diag::did_you_mean(id, ids) {
            err = err.with_hint(format!("did you mean `{near}`?"));
        }
        return Err(err);
    }
    let entries: Vec<Entry> = diff::compare_handbooks(&old, &new)
        .into_iter()
        .filter(|e| args.policy.as_ref().is_none_or(|id| &e.id == id))
        .collect();
    let color = anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
    let text = match args.format {
        Format::Human => human(&entries, &from, &to, color),
        Format::Json => json(&entries, &from, &to),
        Format::Markdown => markdown(&entries, &from, &to),
    };
    print(&text)?;
    if args.exit_code && !entries.is_empty() {
        return Err(CliError::Findings);
    }
    Ok(())
}

fn git_error(e: git2::Error) -> CliError {
    CliError::env(format!("git: {}", e.message()))
}

fn revisions(e: &Entry) -> String {
    let r = |n: Option<u32>| n.map_or_else(|| "-".to_owned(), |n| n.to_string());
    match (e.old_revision, e.revision) {
        (Some(a), Some(b)) if a != b => format!("revision {a} -> {b}"),
        (_, Some(b)) => format!("revision {b}"),
        (a, None) => format!("revision {}", r(a)),
    }
}

fn where_(e: &Entry) -> String {
    match &e.old_path {
        Some(old) => format!("{old} -> {}", e.path),
        None => e.path.clone(),
    }
}

fn human(entries: &[Entry], from: &Side, to: &Side, color: bool) -> String {
    let mut out = String::new();
    let short = |s: &Side| {
        s.commit
            .as_deref()
            .map(|c| format!("{} ({})", s.label, &c[..10]))
            .unwrap_or_else(|| s.label.clone())
    };
    let _ = writeln!(out, "{} -> {}", short(from), short(to));
    if entries.is_empty() {
        out.push_str("no policy changed\n");
        return out;
    }
    let bold = Style::new().bold();
    let (green, red) = (
        Style::new().fg_color(Some(AnsiColor::Green.into())),
        Style::new()
            .fg_color(Some(AnsiColor::Red.into()))
            .strikethrough(),
    );
    for e in entries {
        let _ = writeln!(
            out,
            "\n{bold}{:<9}{bold:#} {bold}{}{bold:#}  {}  {}",
            e.change.as_str(),
            e.id,
            revisions(e),
            where_(e)
        );
        for f in &e.diff.fields {
            let _ = writeln!(
                out,
                "  {}: {red}{}{red:#} -> {green}{}{green:#}",
                f.path,
                diff::display(f.old.as_ref()),
                diff::display(f.new.as_ref())
            );
        }
        if let Some(body) = &e.diff.body {
            out.push_str("  body:\n");
            let mark = |op: Op, text: &str| match (op, color) {
                (Op::Insert, true) => format!("{green}{text}{green:#}"),
                (Op::Delete, true) => format!("{red}{text}{red:#}"),
                (Op::Insert, false) => format!("{{+{text}+}}"),
                (Op::Delete, false) => format!("[-{text}-]"),
                (Op::Equal, _) => text.to_owned(),
            };
            for line in in_context(marked_lines(body, |t| t.to_owned(), mark)) {
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

fn json(entries: &[Entry], from: &Side, to: &Side) -> String {
    let side = |s: &Side| json!({ "rev": s.label, "commit": s.commit });
    repo::json_text(&json!({
        "version": 1,
        "from": side(from),
        "to": side(to),
        "changed": !entries.is_empty(),
        "policies": entries.iter().map(|e| json!({
            "id": e.id,
            "change": e.change.as_str(),
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
    }))
}

fn markdown(entries: &[Entry], from: &Side, to: &Side) -> String {
    let mut out = String::new();
    let label = |s: &Side| match &s.commit {
        Some(c) => format!("`{}` ({})", code(&s.label), &c[..10]),
        None => s.label.clone(),
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
            "| `{}` | {} | {} | `{}` |",
            code(&e.id),
            e.change.as_str(),
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

/// Text for inside a Markdown code span (backticks cannot be escaped there).
fn code(text: &str) -> String {
    text.replace('`', "'")
        .replace('|', "\\|")
        .replace('\n', " ")
}

/// The body's word diff as lines, each saying whether it holds a change. `plain` renders
/// kept text, `mark` changed words (never across a line break, and without the spaces
/// around them, which Markdown emphasis needs).
fn marked_lines(
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
            line.1.push_str(lead);
            line.1.push_str(&mark(c.op, trimmed));
            line.1.push_str(tail);
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
fn in_context(lines: Vec<(bool, String)>) -> Vec<Option<String>> {
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
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '~' | '[' | ']' | '#' | '|' | '!' | '(' | ')' => {
                out.push('\\');
                out.push(ch);
            }
            _ => out.push(ch),
        }
    }
    out
}
