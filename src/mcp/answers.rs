//! `search_policies`, `get_policy` and `what_applies`: answers from the served state, each
//! with what an assistant should cite. The text at a moment is `show`'s
//! ([`standing::shown`]), not a second implementation.

use super::capped;
use super::served::Served;
use super::tools::{
    Answer, GetPolicyArgs, Outcome, SearchArgs, ToolError, WhatAppliesArgs, bounded,
};
use crate::history::standing::{self, At, Standing};
use crate::history::{Change, Revision};
use crate::model::{EVERYONE, Kind, Policy};
use crate::site::collect::rfc3339;
use serde_json::{Value, json};
use std::fmt::Write;

/// Longest title and summary shown in lists.
pub const TITLE_CHARS: usize = 120;
pub const SUMMARY_CHARS: usize = 300;
/// At most this many words of a query are used.
const QUERY_WORDS: usize = 16;

/// An id argument that names a policy the line's history knows.
fn known_id<'s>(s: &'s Served, id: &str) -> Result<&'s [Revision], ToolError> {
    let id = bounded(id)?;
    s.by_id.get(id).map(Vec::as_slice).ok_or_else(|| {
        ToolError::new(format!("no policy `{}` in the handbook", capped(id, 80)))
            .near(id, s.known_ids())
    })
}

/// A moment argument (a date means the end of that day), as Unix seconds.
pub fn moment(s: &Served, text: &str, end_of_day: bool) -> Result<i64, ToolError> {
    standing::parse_moment(bounded(text)?, &s.tz, end_of_day).map_err(|e| {
        ToolError::new(e.to_string()).with_hint("for example 2025-06-01 or 2025-06-01T09:00:00Z")
    })
}

pub fn search(s: &Served, a: &SearchArgs, now: i64) -> Outcome {
    let query: String = a.query.chars().take(super::tools::MAX_ARG_CHARS).collect();
    let terms: Vec<String> = query
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(QUERY_WORDS)
        .map(|w| w.chars().take(64).collect())
        .collect();
    if terms.is_empty() {
        return Err(ToolError::new("the query has no words to look for"));
    }
    let kind = match &a.kind {
        Some(k) => Some(Kind::parse(k).ok_or_else(|| {
            ToolError::new(format!("no kind `{}`", capped(k, 40)))
                .with_hint("kinds: expectation, norm, metric")
                .near(k, Kind::NAMES)
        })?),
        None => None,
    };
    if let Some(g) = &a.applies_to {
        check_group(s, g)?;
    }
    let limit = a.limit.unwrap_or(10).clamp(1, 50) as usize;
    let mut hits: Vec<(u32, &crate::site::view::PolicyPage)> = Vec::new();
    let site = s.site(now);
    for p in site.policies.values().filter(|p| p.status == "current") {
        if kind.is_some_and(|k| k.as_str() != p.kind) {
            continue;
        }
        if let Some(g) = &a.applies_to
            && !p.applies_to.iter().any(|n| n.id == *g || n.id == EVERYONE)
        {
            continue;
        }
        let fields = [
            (p.id.to_lowercase(), 8),
            (p.title.to_lowercase(), 5),
            (p.summary.to_lowercase(), 3),
            (p.tags.join(" ").to_lowercase(), 3),
            (
                p.metric
                    .as_ref()
                    .map(|m| m.rule.to_lowercase())
                    .unwrap_or_default(),
                2,
            ),
            (p.body.to_lowercase(), 1),
        ];
        let mut score = 0;
        let mut matched = 0;
        for t in &terms {
            let here: u32 = fields
                .iter()
                .filter(|(f, _)| f.contains(t.as_str()))
                .map(|(_, w)| *w)
                .sum();
            if here > 0 {
                matched += 1;
            }
            score += here;
        }
        if score > 0 {
            if matched == terms.len() {
                score += 10;
            }
            hits.push((score, p));
        }
    }
    hits.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
    let total = hits.len();
    hits.truncate(limit);
    let mut text = format!("{total} matching policies");
    if total > hits.len() {
        let _ = write!(text, " (the best {} shown)", hits.len());
    }
    text.push_str(":\n");
    let matches: Vec<Value> = hits
        .iter()
        .map(|(score, p)| {
            let title = capped(&p.title, TITLE_CHARS);
            let summary = capped(&p.summary, SUMMARY_CHARS);
            let _ = writeln!(
                text,
                "- {} ({}, {}): {} <{}>",
                title,
                p.id,
                p.kind,
                summary,
                s.page(&p.id)
            );
            json!({
                "id": p.id,
                "title": title,
                "summary": summary,
                "kind": p.kind,
                "revision": p.revision,
                "in_force_since": p.in_force_since,
                "upcoming": p.upcoming,
                "page": s.page(&p.id),
                "resource": format!("normsctl://policy/{}", p.id),
                "score": score,
            })
        })
        .collect();
    Ok(Answer {
        structured: json!({ "total": total, "matches": matches }),
        text,
    })
}

/// A team or role id (or `everyone`) of the roster.
fn check_group(s: &Served, g: &str) -> Result<(), ToolError> {
    let g = bounded(g)?;
    let roster = s.handbook.roster.as_ref();
    let mut groups: Vec<&str> = vec![EVERYONE];
    if let Some(r) = roster {
        groups.extend(r.teams.iter().map(|t| t.id.value.as_str()));
        groups.extend(r.roles.iter().map(|t| t.id.value.as_str()));
    }
    if groups.contains(&g) {
        return Ok(());
    }
    Err(
        ToolError::new(format!("no team or role `{}` on the roster", capped(g, 80)))
            .near(g, groups),
    )
}

/// One change as cited.
#[derive(serde::Serialize)]
pub struct Cited<'a> {
    revision: Option<u32>,
    change: &'static str,
    commit: String,
    blob: String,
    path: &'a str,
    landed: Option<String>,
    in_force_from: Option<String>,
    subject: &'a str,
}

impl<'a> Cited<'a> {
    pub fn new(s: &'a Served, r: &'a Revision, from: Option<i64>) -> Cited<'a> {
        Cited {
            revision: r.revision,
            change: r.change.as_str(),
            commit: r.commit.to_string(),
            blob: r.blob.to_string(),
            path: &r.path,
            landed: r.landed.known().then(|| rfc3339(r.landed.seconds)),
            in_force_from: from.map(rfc3339),
            subject: s.timeline.title_of(r),
        }
    }
}

/// One change as cited, as JSON.
fn cited(s: &Served, r: &Revision, from: Option<i64>) -> Value {
    serde_json::to_value(Cited::new(s, r, from)).unwrap_or_default()
}

pub fn get_policy(s: &Served, a: &GetPolicyArgs, now: i64) -> Outcome {
    let all = known_id(s, &a.id)?;
    let at = a.at.as_deref().map(|t| moment(s, t, true)).transpose()?;
    let repo = s
        .repo()
        .map_err(|e| ToolError::new(format!("git: {}", e.message())))?;
    let history: Vec<Revision> = match &a.rev {
        Some(rev) => {
            let rev = bounded(rev)?;
            let commit = repo
                .revparse_single(rev)
                .and_then(|o| o.peel_to_commit())
                .map_err(|_| {
                    ToolError::new(format!(
                        "`{}` is not a commit in this repository",
                        capped(rev, 80)
                    ))
                    .with_hint("give a commit id of the handbook line, as `changes` lists them")
                })?;
            let Some(&pos) = s.positions().get(&commit.id()) else {
                return Err(ToolError::new(format!(
                    "commit {} is not on the handbook line ({}) up to the served commit",
                    commit.id(),
                    s.line_ref
                ))
                .with_hint("texts are cited only from the handbook line: give a commit that `changes` lists"));
            };
            all.iter()
                .filter(|r| s.positions().get(&r.commit).is_some_and(|p| *p <= pos))
                .cloned()
                .collect()
        }
        None => all.to_vec(),
    };
    if history.is_empty() {
        return Err(ToolError::new(format!(
            "`{}` had not been added to the handbook at that revision",
            a.id
        )));
    }
    let (answer, text, summary) =
        standing::shown(&repo, &history, &a.id, at, a.rev.is_some(), now, &s.tz);
    let fields = text.as_deref().map(crate::diff::Fields::of);
    let field = |k: &str| fields.as_ref().map(|f| f.text(k).to_owned());
    let moment = at.unwrap_or(now);
    let citation = answer.revision.map(|r| {
        let mut c = cited(s, r, answer.in_force_from);
        c["page"] = json!(s.page(&a.id));
        c["line"] = json!(s.line_ref);
        c
    });
    let structured = json!({
        "id": a.id,
        "standing": answer.standing.as_str(),
        "at": rfc3339(moment),
        "as_committed_at": a.rev,
        "title": field("title"),
        "summary": field("summary"),
        "text": text,
        "citation": citation,
        "upcoming": answer.next.map(|n| cited(s, n, answer.next_from)),
        "retired": answer.retired.map(|r| cited(s, r, None)),
    });
    let mut out = crate::render::show::human(
        &a.id,
        &answer,
        text.as_deref(),
        &summary,
        &s.tz,
        &s.handbook.settings.timezone,
    );
    if let Some(note) =
        crate::render::show::standing_note(&a.id, &answer, &s.tz, &s.handbook.settings.timezone)
    {
        out.insert_str(0, &format!("Note: {note}.\n"));
    }
    if let Some(r) = answer.revision {
        let _ = write!(
            out,
            "\nCite: {} revision {}, commit {}, blob {}, in force from {}, {}",
            a.id,
            r.revision.map_or_else(|| "-".into(), |n| n.to_string()),
            r.commit,
            r.blob,
            answer
                .in_force_from
                .map(rfc3339)
                .unwrap_or_else(|| "-".into()),
            s.page(&a.id)
        );
    }
    Ok(Answer {
        structured,
        text: out,
    })
}

/// Who `what_applies` asks about: a label, and the groups that cover them.
fn groups_of(s: &Served, a: &WhatAppliesArgs) -> Result<(String, Vec<String>), ToolError> {
    let roster = s.handbook.roster.as_ref();
    let named = [&a.person, &a.team, &a.role]
        .iter()
        .filter(|x| x.is_some())
        .count();
    if named != 1 {
        return Err(ToolError::new(
            "give exactly one of `person`, `team` and `role`",
        ));
    }
    let people = || {
        roster
            .into_iter()
            .flat_map(|r| r.people.iter().map(|p| p.id.value.as_str()))
    };
    if let Some(p) = &a.person {
        let p = bounded(p)?;
        let person = roster.and_then(|r| r.person(p)).ok_or_else(|| {
            ToolError::new(format!("no person `{}` on the roster", capped(p, 80))).near(p, people())
        })?;
        let mut groups: Vec<String> = person.teams.iter().map(|t| t.value.clone()).collect();
        groups.extend(person.roles.iter().map(|r| r.value.clone()));
        return Ok((format!("person {p}"), groups));
    }
    let (g, what) = match (&a.team, &a.role) {
        (Some(t), _) => (t, "team"),
        (_, Some(r)) => (r, "role"),
        _ => unreachable!("exactly one was given"),
    };
    let g = bounded(g)?;
    let ids: Vec<&str> = roster
        .into_iter()
        .flat_map(|r| {
            if what == "team" {
                r.teams
                    .iter()
                    .map(|t| t.id.value.as_str())
                    .collect::<Vec<_>>()
            } else {
                r.roles.iter().map(|t| t.id.value.as_str()).collect()
            }
        })
        .collect();
    if !ids.contains(&g) {
        return Err(
            ToolError::new(format!("no {what} `{}` on the roster", capped(g, 80))).near(g, ids),
        );
    }
    Ok((format!("{what} {g}"), vec![g.to_owned()]))
}

/// The roster's name of a team or role id (the id when it has none).
fn group_name(s: &Served, id: &str) -> String {
    let r = s.handbook.roster.as_ref();
    if id == EVERYONE {
        return "everyone".into();
    }
    r.and_then(|r| {
        r.team(id)
            .map(|t| t.name.clone())
            .or_else(|| r.role(id).map(|x| x.name.clone()))
    })
    .unwrap_or_else(|| id.to_owned())
}

/// A metric's rule in words, from the handbook's `words.html` table as the site's pages
/// say it.
fn target_of(s: &Served, p: &Policy) -> Option<String> {
    let m = p.metric.as_ref()?;
    let w = &s.words;
    Some(w.rule(
        &w.statistic(&m.statistic),
        &w.target(&m.target, &m.unit),
        &m.window,
    ))
}

/// One policy of `what_applies`' answer.
#[derive(serde::Serialize)]
struct Applies<'a> {
    id: &'a str,
    title: &'a str,
    revision: u32,
    applies_to: &'a [&'a str],
    applies_to_words: &'a str,
    because: &'a str,
    target: Option<&'a str>,
    page: &'a str,
    citation: Cited<'a>,
    upcoming: Option<Cited<'a>>,
}

/// Policies on one page of `what_applies` (as many as `changes` shows).
pub const APPLIES_PAGE: usize = 50;

pub fn what_applies(s: &Served, a: &WhatAppliesArgs, now: i64) -> Outcome {
    let (who, groups) = groups_of(s, a)?;
    let at = match &a.at {
        Some(t) => moment(s, t, true)?,
        None => now,
    };
    let offset = a
        .cursor
        .as_deref()
        .map(|c| super::history::read_cursor(c, s))
        .transpose()?
        .unwrap_or(0);
    // Every policy that applies, by kind then id; one page of them is written out.
    let mut found = Vec::new();
    for id in s.sorted_ids() {
        let here: At = standing::at(&s.by_id[id], id, at, &s.tz, |r| s.effective(r));
        if here.standing != Standing::InForce {
            continue;
        }
        let Some(policy) = here.revision.and_then(|r| s.policy(r)) else {
            continue;
        };
        let applies = policy
            .applies_to()
            .iter()
            .any(|g| *g == EVERYONE || groups.iter().any(|x| x == *g));
        if applies {
            found.push((policy, id, here));
        }
    }
    let rank = |k: Kind| Kind::ALL.iter().position(|x| *x == k);
    found.sort_by_key(|(p, _, _)| rank(p.kind));
    let total = found.len();
    let mut by_kind: Vec<(Kind, usize, Vec<Value>, String)> = Kind::ALL
        .iter()
        .map(|k| {
            let n = found.iter().filter(|(p, _, _)| p.kind == *k).count();
            (*k, n, Vec::new(), String::new())
        })
        .collect();
    for (policy, id, here) in found.iter().skip(offset).take(APPLIES_PAGE) {
        let Some(r) = here.revision else { continue };
        let Some((_, _, items, lines)) = by_kind.iter_mut().find(|(k, ..)| *k == policy.kind)
        else {
            continue;
        };
        items.push(applies_item(s, policy, id, r, here, &groups, lines));
    }
    let shown: usize = by_kind.iter().map(|(_, _, items, _)| items.len()).sum();
    let next =
        (offset + APPLIES_PAGE < total).then(|| super::history::cursor(offset + APPLIES_PAGE, s));
    let paged = offset > 0 || next.is_some();
    let mut text = format!("What applied to {who} at {}: {total} policies", rfc3339(at));
    if paged {
        let _ = write!(
            text,
            ", {} to {} shown",
            (offset + 1).min(total),
            (offset + shown).min(total)
        );
    }
    text.push_str(":\n");
    let mut grouped = serde_json::Map::new();
    let mut totals = serde_json::Map::new();
    for (k, n, items, lines) in by_kind {
        if paged {
            let _ = writeln!(
                text,
                "\n{}s ({n}, {} on this page):",
                k.as_str(),
                items.len()
            );
        } else {
            let _ = writeln!(text, "\n{}s ({n}):", k.as_str());
        }
        text.push_str(&lines);
        grouped.insert(k.as_str().to_owned(), Value::Array(items));
        totals.insert(k.as_str().to_owned(), json!(n));
    }
    if let Some(c) = &next {
        let _ = write!(text, "\nMore: pass cursor \"{c}\".\n");
    }
    let mut out = serde_json::Map::new();
    out.insert("who".into(), Value::String(who));
    out.insert("groups".into(), json!(groups));
    out.insert("at".into(), Value::String(rfc3339(at)));
    out.insert("total".into(), json!(total));
    out.insert("totals".into(), Value::Object(totals));
    out.insert("offset".into(), json!(offset));
    out.insert("next_cursor".into(), json!(next));
    out.insert("policies".into(), Value::Object(grouped));
    Ok(Answer {
        structured: Value::Object(out),
        text,
    })
}

/// One policy of `what_applies`' answer, as JSON, and its line for a reader (added to
/// `lines`).
fn applies_item(
    s: &Served,
    policy: &Policy,
    id: &str,
    r: &Revision,
    here: &At,
    groups: &[String],
    lines: &mut String,
) -> Value {
    let applies = policy.applies_to();
    let because = applies
        .iter()
        .find(|g| **g == EVERYONE || groups.iter().any(|x| x == *g))
        .copied()
        .unwrap_or(EVERYONE);
    let words = applies
        .iter()
        .map(|g| group_name(s, g))
        .collect::<Vec<_>>()
        .join(", ");
    let target = target_of(s, policy);
    let title = capped(&policy.title, TITLE_CHARS);
    let page = s.page(id);
    let since = here.in_force_from.map(rfc3339);
    let _ = write!(
        lines,
        "- {title} ({id}, revision {})",
        policy.revision.value
    );
    if let Some(t) = &target {
        let _ = write!(lines, ": {t}");
    }
    let _ = writeln!(
        lines,
        "; applies to {words}; since {} <{page}>",
        since.as_deref().unwrap_or_default()
    );
    // Made into JSON once, from borrowed fields (no tree built twice).
    let item = Applies {
        id,
        title: &title,
        revision: policy.revision.value,
        applies_to: &applies,
        applies_to_words: &words,
        because,
        target: target.as_deref(),
        page: &page,
        citation: Cited {
            in_force_from: since.clone(),
            ..Cited::new(s, r, None)
        },
        upcoming: here.next.map(|n| Cited::new(s, n, here.next_from)),
    };
    serde_json::to_value(&item).unwrap_or_default()
}

/// Whether a change brought a text (not a move or a retirement).
pub fn is_text(r: &Revision) -> bool {
    !matches!(r.change, Change::Moved | Change::Retired)
}
