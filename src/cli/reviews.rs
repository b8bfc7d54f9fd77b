//! `normsctl reviews`: parse, open, load, schedule (validate::reviews), print.

use super::output::{Format, HumanOrJson};
use super::{CommandError, Global, note, print, print_people};
use clap::Args;
use normsctl::render::reviews::{self, Listing};
use normsctl::validate::reviews::{first_landings, needs_history, schedule};

/// The policy reviews due and overdue, by owner. Each policy is reviewed every
/// `review_every` (default: the settings' `reviews.every`) after its `reviewed` date, or
/// after its first revision landed; `normsctl review ID` records a review.
#[derive(Debug, Args)]
pub struct ReviewsArgs {
    /// Only the reviews of this owner: a team id, or a person (id or e-mail), with the
    /// teams the person leads
    #[arg(long, value_name = "ID")]
    owner: Option<String>,
    /// List the reviews due within this many days from today, besides the overdue ones
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    within: u16,
    #[command(flatten)]
    output: HumanOrJson,
}

pub fn run(global: &Global, args: ReviewsArgs) -> Result<(), CommandError> {
    let ws = global.open()?;
    let loaded = ws.load(&normsctl::load::PolicyCache::none())?;
    let handbook = &loaded.handbook;
    let roster = handbook.roster.as_ref();
    let owners: Option<Vec<String>> = match &args.owner {
        None => None,
        Some(who) => Some(owners(roster, who)?),
    };
    let today = ws.now()?.to_zoned(ws.tz.clone()).date();
    let until = today
        .checked_add(jiff::Span::new().days(i64::from(args.within)))
        .unwrap_or(today);
    let landed = if needs_history(handbook) {
        first_landings(&ws).unwrap_or_else(|e| {
            note(&format!(
                "warning: {e}; policies without `reviewed` are left out (their reviews run from their first landing)"
            ));
            Default::default()
        })
    } else {
        Default::default()
    };
    let schedule = schedule(handbook, &landed);
    let listing = Listing {
        reviews: schedule
            .iter()
            .filter(|r| r.due <= until)
            .filter(|r| {
                owners
                    .as_ref()
                    .is_none_or(|o| r.owner.as_ref().is_some_and(|id| o.contains(id)))
            })
            .collect(),
        today,
        until,
        roster,
    };
    match args.output.format {
        Format::Human => print_people(&reviews::human(&listing))?,
        Format::Json => print(&reviews::json(&listing))?,
    }
    Ok(())
}

/// The owner ids `--owner` stands for: a team, or a person (id or e-mail) with the teams
/// the person leads.
fn owners(
    roster: Option<&normsctl::model::Roster>,
    who: &str,
) -> Result<Vec<String>, CommandError> {
    let Some(roster) = roster else {
        return Ok(vec![who.to_owned()]);
    };
    if let Some(team) = roster.team(who) {
        return Ok(vec![team.id.value.clone()]);
    }
    if let Some(person) = roster.find_person(who) {
        let id = &person.id.value;
        let mut out = vec![id.clone()];
        out.extend(
            roster
                .teams
                .iter()
                .filter(|t| t.lead.as_ref().is_some_and(|l| &l.value == id))
                .map(|t| t.id.value.clone()),
        );
        return Ok(out);
    }
    let ids = roster
        .people
        .iter()
        .map(|p| p.id.value.as_str())
        .chain(roster.teams.iter().map(|t| t.id.value.as_str()));
    let mut err = CommandError::env(format!("no person or team `{who}` in the roster"));
    if let Some(near) = normsctl::diag::did_you_mean(who, ids) {
        err = err.with_hint(format!("did you mean `{near}`?"));
    }
    Err(err)
}
