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
fn cited(s: &Served, r: &Revision, from: Option<i64>) -> Value {
    json!({
        "revision": r.revision,
        "change": r.change.as_str(),
        "commit": r.commit.to_string(),
        "blob": r.blob.to_string(),
        "path": r.path,
        "landed": r.landed.known().then(|| rfc3339(r.landed.seconds)),
        "in_force_from": from.map(rfc3339),
        "subject": s.timeline.title_of(r),
    })
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

pub fn what_applies(s: &Served, a: &WhatAppliesArgs, now: i64) -> Outcome {
    let (who, groups) = groups_of(s, a)?;
    let at = match &a.at {
        Some(t) => moment(s, t, true)?,
        None => now,
    };
    let mut by_kind: Vec<(Kind, Vec<Value>)> = Kind::ALL.iter().map(|k| (*k, Vec::new())).collect();
    let mut text = format!("What applied to {who} at {}:\n", rfc3339(at));
    let mut ids: Vec<&String> = s.by_id.keys().collect();
    ids.sort();
    let mut lines: Vec<(Kind, String)> = Vec::new();
    for id in ids {
        let revs = &s.by_id[id];
        let found: At = standing::at(revs, id, at, &s.tz, |r| s.effective(r));
        if found.standing != Standing::InForce {
            continue;
        }
        let Some(r) = found.revision else { continue };
        let Some(policy) = s.policy(r) else { continue };
        let applies = policy.applies_to();
        let Some(because) = applies
            .iter()
            .find(|g| **g == EVERYONE || groups.iter().any(|x| x == *g))
        else {
            continue;
        };
        let targets: Vec<String> = applies.iter().map(|g| group_name(s, g)).collect();
        let target = target_of(s, &policy);
        let title = capped(&policy.title, TITLE_CHARS);
        lines.push((
            policy.kind,
            format!(
                "- {title} ({id}, revision {}){}; applies to {}; since {} <{}>",
                policy.revision.value,
                target
                    .as_deref()
                    .map(|t| format!(": {t}"))
                    .unwrap_or_default(),
                targets.join(", "),
                found.in_force_from.map(rfc3339).unwrap_or_default(),
                s.page(id)
            ),
        ));
        let item = json!({
            "id": id,
            "title": title,
            "revision": policy.revision.value,
            "applies_to": applies,
            "applies_to_words": targets.join(", "),
            "because": because,
            "target": target,
            "page": s.page(id),
            "citation": cited(s, r, found.in_force_from),
            "upcoming": found.next.map(|n| cited(s, n, found.next_from)),
        });
        if let Some(slot) = by_kind.iter_mut().find(|(k, _)| *k == policy.kind) {
            slot.1.push(item);
        }
    }
    for k in Kind::ALL {
        let of_kind: Vec<&String> = lines
            .iter()
            .filter(|(x, _)| *x == k)
            .map(|(_, l)| l)
            .collect();
        let _ = writeln!(text, "\n{}s ({}):", k.as_str(), of_kind.len());
        for l in of_kind {
            text.push_str(l);
            text.push('\n');
        }
    }
    let mut grouped = serde_json::Map::new();
    for (k, items) in by_kind {
        grouped.insert(k.as_str().to_owned(), Value::Array(items));
    }
    Ok(Answer {
        structured: json!({
            "who": who,
            "groups": groups,
            "at": rfc3339(at),
            "policies": grouped,
        }),
        text,
    })
}

/// Whether a change brought a text (not a move or a retirement).
pub fn is_text(r: &Revision) -> bool {
    !matches!(r.change, Change::Moved | Change::Retired)
}
