use super::output::{Format, HumanOrJson};
use super::{CommandError, Global, note, parse_time, print, print_people};
use clap::Args;
use normsctl::diag::did_you_mean;
use normsctl::history::Revision;
use normsctl::history::snapshot::Snapshot;
use normsctl::history::standing;
use normsctl::render::show;

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

pub fn run(global: &Global, args: ShowArgs) -> Result<(), CommandError> {
    let ws = global.open()?;
    let at = args
        .at
        .as_deref()
        .map(|t| parse_time(t, &ws.tz, true))
        .transpose()?;
    let git = ws.repo()?;
    let tip = match &args.rev {
        Some(rev) => ws.commit(rev)?.id(),
        None => ws.head()?,
    };
    let history = ws.walk(tip, Some(&args.id))?;
    if history.is_empty() {
        let tree = git
            .find_commit(tip)
            .and_then(|c| c.tree())
            .and_then(|t| Snapshot::at_tree(git, &t, &ws.policies_dir()))
            .unwrap_or_default();
        let ids = tree.policies.keys().map(String::as_str);
        let mut err = CommandError::env(format!(
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
    let effective = |r: &Revision| standing::effective_of(git, r);
    // Without --at: the text at the tip, judged now (it may be upcoming).
    let moment = match at {
        Some(t) => t,
        None => ws.now()?.as_second(),
    };
    let answer = if at.is_some() {
        standing::at(&history, &args.id, moment, &ws.tz, effective)
    } else {
        standing::latest(&history, &args.id, moment, &ws.tz, effective)
    };
    let text = answer
        .revision
        .and_then(|r| git.find_blob(r.blob).ok())
        .map(|b| String::from_utf8_lossy(b.content()).into_owned());
    if answer.revision.is_some_and(|r| !r.landed.known()) {
        note(
            "warning: the commit that landed this text has a time out of range; it is shown as unknown",
        );
    }
    if let Some(n) = show::standing_note(&args.id, &answer, &ws.tz, &ws.settings.timezone) {
        note(&n);
    }
    match args.output.format {
        Format::Human => {
            let summary = answer
                .revision
                .and_then(|r| git.find_commit(r.commit).ok())
                .and_then(|c| c.summary().ok().flatten().map(str::to_owned))
                .unwrap_or_default();
            print_people(&show::human(
                &args.id,
                &answer,
                text.as_deref(),
                &summary,
                &ws.tz,
                &ws.settings.timezone,
            ))
        }
        Format::Json => print(&show::json(
            &args.id,
            moment,
            &answer,
            text.as_deref(),
            &ws.tz,
        )),
    }
}
