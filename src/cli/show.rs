//! `normsctl show`: parse, open, find the text at a moment (history::standing), print.

use super::output::{Format, HumanOrJson};
use super::{CommandError, Global, note, parse_time, print, print_people};
use clap::Args;
use normsctl::diag::did_you_mean;
use normsctl::history::standing;
use normsctl::render::show;

/// One policy's text in force now (with any upcoming revision noted), as committed at a
/// revision (`--rev`), or in force at a date or time (`--at`: "what applied on the day of
/// the incident?"), with its revision, effective date, and the commit that landed it. Says
/// so when it was not yet in force or already retired.
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
    let tip = match &args.rev {
        Some(rev) => ws.commit(rev)?.id(),
        None => ws.head()?,
    };
    let history = ws.walk(tip, Some(&args.id))?;
    if history.is_empty() {
        let ids = ws.ids_at(tip);
        let upto = args.rev.as_deref().map(|r| format!(" up to `{r}`"));
        let mut err = CommandError::env(format!(
            "no policy `{}` in the handbook's history{}",
            args.id,
            upto.unwrap_or_default()
        ));
        if let Some(near) = did_you_mean(&args.id, ids.iter().map(String::as_str)) {
            err = err.with_hint(format!("did you mean `{near}`?"));
        }
        return Err(err);
    }
    // With --at: the text in force then. With --rev alone: the text as committed there,
    // judged now (it may be upcoming). With neither: the text in force now, any upcoming
    // one noted beside it (only an id with nothing in force yet shows its waiting text).
    let moment = match at {
        Some(t) => t,
        None => ws.now()?.as_second(),
    };
    let (answer, text, summary) = standing::shown(
        ws.repo()?,
        &history,
        &args.id,
        at,
        args.rev.is_some(),
        moment,
        &ws.tz,
    );
    if answer.revision.is_some_and(|r| !r.landed.known()) {
        note(
            "warning: the commit that landed this text has a time out of range; it is shown as unknown",
        );
    }
    if let Some(n) = show::standing_note(&args.id, &answer, &ws.tz, &ws.settings.timezone) {
        note(&n);
    }
    match args.output.format {
        Format::Human => print_people(&show::human(
            &args.id,
            &answer,
            text.as_deref(),
            &summary,
            &ws.tz,
            &ws.settings.timezone,
        )),
        Format::Json => print(&show::json(
            &args.id,
            moment,
            &answer,
            text.as_deref(),
            &ws.tz,
        )),
    }
}
