use super::output::{Format, HumanOrJson};
use super::repo::{self, Context};
use super::{CliError, Global, note, print};
use clap::Args;
use git2::Repository;
use normsctl::diag::did_you_mean;
use normsctl::diff::Fields;
use normsctl::history::snapshot::Snapshot;
use normsctl::history::standing::{self, At, Standing};
use normsctl::history::{Change, Revision};
use serde_json::json;
use std::fmt::Write;

/// One policy as committed at a revision (default HEAD), or the text in force at a date or
/// time ("what applied on the day of the incident?"), with its revision, effective date,
/// and the commit that landed it. Says so when it was not yet in force or already retired.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The policy's id
    #[arg(value_name = "ID")]
    id: String,
    /// The text in force at this date (the end of that day in the team's zone) or RFC 3339
    /// time
    #[arg(long, value_name = "DATE|TIME")]
    at: Option<String>,
    /// The text as committed at this git revision (branch, tag, commit; default HEAD)
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    #[command(flatten)]
    output: HumanOrJson,
}

pub fn run(global: &Global, args: ShowArgs) -> Result<(), CliError> {
    let cx = Context::new(global)?;
    let at = args
        .at
        .as_deref()
        .map(|t| repo::parse_time(t, &cx.tz, true))
        .transpose()?;
    let git = cx.repo()?;
    let tip = match &args.rev {
        Some(rev) => repo::commit(&git, rev)?.id(),
        None => repo::head(&git)?,
    };
    let history = repo::walk(&git, tip, &cx.policies_dir(), Some(&args.id))?;
    if history.is_empty() {
        let tree = git
            .find_commit(tip)
            .and_then(|c| c.tree())
            .and_then(|t| Snapshot::at_tree(&git, &t, &cx.policies_dir()))
            .unwrap_or_default();
        let ids = tree.policies.keys().map(String::as_str);
        let mut err = CliError::env(format!(
            "no policy `{}` in the handbook's history{}",
            args.id,
            args.rev
                .as_deref()
                .map(|r| format!(" up to `{r}`"))
                .unwrap_or_default()
        ));
        if let Some(near) = did_you_mean(&args.id, ids) {
            err = err.with_hint(format!("did you mean `{near}`?"));
        }
        return Err(err);
    }
    let effective = |r: &Revision| effective_of(&git, r);
    // Without --at: the text at the tip, judged now (it may be upcoming).
    let moment = match at {
        Some(t) => t,
        None => repo::now()?.as_second(),
    };
    let answer = if at.is_some() {
        standing::at(&history, &args.id, moment, &cx.tz, effective)
    } else {
        latest(&history, &args.id, moment, &cx.tz, effective)
    };
    let text = answer
        .revision
        .and_then(|r| git.find_blob(r.blob).ok())
        .map(|b| String::from_utf8_lossy(b.content()).into_owned());
    if answer.standing != Standing::InForce {
        note(&match answer.standing {
            Standing::NotYet => format!(
                "`{}` had not been added to the handbook at that time",
                args.id
            ),
            Standing::Upcoming => format!(
                "`{}` was not yet in force: it comes into force {}",
                args.id,
                moment_text(answer.in_force_from, &cx)
            ),
            Standing::Retired => format!(
                "`{}` was retired {} (showing its last text)",
                args.id,
                moment_text(answer.retired.map(|r| r.landed.seconds), &cx)
            ),
            Standing::InForce => String::new(),
        });
    }
    let out = match args.output.format {
        Format::Human => human(&args.id, &answer, text.as_deref(), &git, &cx),
        Format::Json => json(&args.id, moment, &answer, text.as_deref(), &cx),
    };
    print(&out)
}

/// The newest text at the tip, in force now or upcoming (or its last text, if retired).
fn latest<'h>(
    history: &'h [Revision],
    id: &str,
    now: i64,
    tz: &jiff::tz::TimeZone,
    effective: impl Fn(&Revision) -> Option<jiff::civil::Date>,
) -> At<'h> {
    let mut answer = standing::at(history, id, i64::MAX, tz, effective);
    if answer.standing == Standing::InForce && answer.in_force_from.is_some_and(|f| f > now) {
        answer.standing = Standing::Upcoming;
    }
    answer
}

fn effective_of(git: &Repository, r: &Revision) -> Option<jiff::civil::Date> {
    if r.change == Change::Retired {
        return None;
    }
    let blob = git.find_blob(r.blob).ok()?;
    let text = std::str::from_utf8(blob.content()).ok()?;
    Fields::of(text).text("effective").parse().ok()
}

fn moment_text(seconds: Option<i64>, cx: &Context) -> String {
    seconds
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(|t| {
            t.to_zoned(cx.tz.clone())
                .strftime(&format!("%Y-%m-%d %H:%M {}", cx.settings.timezone))
                .to_string()
        })
        .unwrap_or_else(|| "-".into())
}

fn human(id: &str, a: &At, text: Option<&str>, git: &Repository, cx: &Context) -> String {
    let mut out = String::new();
    let Some(r) = a.revision else {
        let _ = writeln!(out, "{id}: not in the handbook at that time");
        return out;
    };
    let summary = git
        .find_commit(r.commit)
        .ok()
        .and_then(|c| c.summary().ok().flatten().map(str::to_owned))
        .unwrap_or_default();
    let revision = r.revision.map_or_else(|| "-".to_owned(), |n| n.to_string());
    let _ = writeln!(
        out,
        "{id}  revision {revision}  {}  {}",
        a.standing.as_str().replace('_', " "),
        a.path.unwrap_or(&r.path)
    );
    if let Some(from) = a.in_force_from {
        let _ = writeln!(out, "in force from {}", moment_text(Some(from), cx));
    }
    let _ = writeln!(
        out,
        "landed {} in {} ({summary}), by {}",
        moment_text(Some(r.landed.seconds), cx),
        &r.commit.to_string()[..10],
        r.author_name
    );
    if let Some(next) = a.next {
        let _ = writeln!(
            out,
            "upcoming: a newer text (revision {}) landed {} and is not in force yet",
            next.revision.map_or_else(|| "-".into(), |n| n.to_string()),
            moment_text(Some(next.landed.seconds), cx)
        );
    }
    out.push('\n');
    out.push_str(text.unwrap_or(""));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

fn json(id: &str, moment: i64, a: &At, text: Option<&str>, cx: &Context) -> String {
    let stamp = |s: i64| {
        repo::time_json(
            normsctl::history::Stamp {
                seconds: s,
                offset_minutes: 0,
            },
            &cx.tz,
        )
    };
    let revision = |r: &Revision| {
        json!({
            "revision": r.revision,
            "change": r.change.as_str(),
            "path": r.path,
            "blob": r.blob.to_string(),
            "commit": r.commit.to_string(),
            "landed": repo::time_json(r.landed, &cx.tz),
            "author": { "name": r.author_name, "email": r.author_email, "time": repo::time_json(r.authored, &cx.tz) },
            "subject": r.subject,
        })
    };
    repo::json_text(&json!({
        "version": 1,
        "id": id,
        "at": stamp(moment),
        "standing": a.standing.as_str(),
        "in_force_from": a.in_force_from.map(stamp),
        "path": a.path,
        "shown": a.revision.map(revision),
        "next": a.next.map(revision),
        "retired": a.retired.map(revision),
        "text": text,
    }))
}
