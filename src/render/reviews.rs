//! `reviews`: the policy reviews due and overdue, by owner (human), or one document (JSON).
//! Pure functions of the schedule, the roster's names and today.

use super::json;
use super::people::Line;
use crate::model::Roster;
use crate::validate::reviews::Review;
use jiff::civil::Date;
use std::fmt::Write;

/// What `reviews` shows: the schedule's entries due by `until` (overdue first), for
/// `today`.
pub struct Listing<'a> {
    pub reviews: Vec<&'a Review>,
    pub today: Date,
    /// The last day a review may be due to be listed.
    pub until: Date,
    pub roster: Option<&'a Roster>,
}

impl Listing<'_> {
    /// The owner's name from the roster (a person's or a team's), else its id.
    fn owner_name(&self, owner: &str) -> String {
        let roster = self.roster;
        roster
            .and_then(|r| r.person(owner).map(|p| p.name.clone()))
            .or_else(|| roster.and_then(|r| r.team(owner).map(|t| t.name.clone())))
            .unwrap_or_else(|| owner.to_owned())
    }

    /// The reviews grouped by owner (owner id order; no owner last), each group by due
    /// date.
    fn by_owner(&self) -> Vec<(Option<&str>, Vec<&Review>)> {
        let mut groups: std::collections::BTreeMap<(bool, Option<&str>), Vec<&Review>> =
            Default::default();
        for r in &self.reviews {
            let owner = r.owner.as_deref();
            groups.entry((owner.is_none(), owner)).or_default().push(r);
        }
        groups.into_iter().map(|((_, o), rs)| (o, rs)).collect()
    }
}

/// One block per owner: `OVERDUE` or `due`, the date, the policy, its period and since.
pub fn human(listing: &Listing<'_>) -> String {
    let mut out = String::new();
    if listing.reviews.is_empty() {
        let _ = writeln!(
            out,
            "no reviews due by {} (today is {})",
            listing.until, listing.today
        );
        return out;
    }
    for (owner, reviews) in listing.by_owner() {
        match owner {
            Some(id) => {
                let name = listing.owner_name(id);
                if name == id {
                    let _ = writeln!(out, "{}", Line(id));
                } else {
                    let _ = writeln!(out, "{} ({})", Line(id), Line(&name));
                }
            }
            None => out.push_str("(no owner)\n"),
        }
        let width = reviews.iter().map(|r| r.id.len()).max().unwrap_or(0);
        for r in reviews {
            let days = r.days_overdue(listing.today);
            let state = if days > 0 {
                format!("OVERDUE {days}d")
            } else {
                "due".to_owned()
            };
            let from = match r.reviewed {
                Some(d) => format!("last reviewed {d}"),
                None => format!("never reviewed, first landed {}", r.since),
            };
            let _ = writeln!(
                out,
                "  {state:<12} {}  {:<width$}  {}  (every {}, {from})",
                r.due,
                r.id,
                Line(&r.title),
                r.every,
            );
        }
        out.push('\n');
    }
    let overdue = listing
        .reviews
        .iter()
        .filter(|r| r.days_overdue(listing.today) > 0)
        .count();
    let _ = writeln!(
        out,
        "{} due by {}, {overdue} overdue; after a review: normsctl review <id>, then commit",
        listing.reviews.len(),
        listing.until
    );
    out
}

#[derive(serde::Serialize)]
struct Doc<'a> {
    version: u32,
    today: String,
    until: String,
    reviews: Vec<ReviewJson<'a>>,
}

#[derive(serde::Serialize)]
struct ReviewJson<'a> {
    id: &'a str,
    title: &'a str,
    path: &'a str,
    owner: Option<&'a str>,
    owner_name: Option<String>,
    every: String,
    reviewed: Option<String>,
    since: String,
    due: String,
    overdue: bool,
    days_overdue: i64,
}

/// `reviews --format json`: one document, dates as `YYYY-MM-DD` in the handbook's zone.
pub fn json(listing: &Listing<'_>) -> String {
    let doc = Doc {
        version: 1,
        today: listing.today.to_string(),
        until: listing.until.to_string(),
        reviews: listing
            .by_owner()
            .into_iter()
            .flat_map(|(_, rs)| rs)
            .map(|r| {
                let days = r.days_overdue(listing.today);
                ReviewJson {
                    id: &r.id,
                    title: &r.title,
                    path: &r.file,
                    owner: r.owner.as_deref(),
                    owner_name: r.owner.as_deref().map(|o| listing.owner_name(o)),
                    every: r.every.to_string(),
                    reviewed: r.reviewed.map(|d| d.to_string()),
                    since: r.since.to_string(),
                    due: r.due.to_string(),
                    overdue: days > 0,
                    days_overdue: days.max(0),
                }
            })
            .collect(),
    };
    json::pretty(&doc)
}
