//! `changes` and `diff`: the handbook line's history as the site's changelog reads it
//! (moves left out), and field and word changes between two texts of a policy.

use super::answers::{is_text, moment};
use super::capped;
use super::served::Served;
use super::tools::{Answer, ChangesArgs, DiffArgs, Outcome, ToolError, bounded};
use crate::diff::Fields;
use crate::history::standing::{self, Standing};
use crate::history::{Change, Revision};
use crate::model::labels::field_label;
use crate::site::collect::rfc3339;
use git2::Oid;
use serde_json::{Value, json};
use std::fmt::Write;
use std::sync::Arc;

/// Changes on one page.
pub const PAGE: usize = 50;

/// A cursor names the offset and the commit it was made from.
pub fn cursor(offset: usize, s: &Served) -> String {
    format!("{offset}.{}", &s.commit.to_string()[..12])
}

pub fn read_cursor(text: &str, s: &Served) -> Result<usize, ToolError> {
    let bad = || {
        ToolError::new("not a cursor of this server").with_hint(
            "pass back the `next_cursor` of the previous page, or leave `cursor` out for the first",
        )
    };
    let (offset, commit) = bounded(text)?.split_once('.').ok_or_else(bad)?;
    if commit != &s.commit.to_string()[..12] {
        return Err(
            ToolError::new("the handbook moved on since this cursor was made")
                .with_hint("ask again without `cursor`"),
        );
    }
    // The server makes offsets of a few pages; a forged one near usize::MAX would overflow
    // `offset + PAGE` where the next page is worked out.
    offset.parse::<u32>().map(|o| o as usize).map_err(|_| bad())
}

/// The labels of the fields a change of text `before` (none: an addition) to `after`
/// changed, and `Text` for the body; none for an addition. Only the labels: neither the
/// body's word diff nor its HTML, which a diff for reading needs, is made.
fn fields_changed(s: &Served, before: Option<Oid>, after: Oid) -> Vec<String> {
    let text = |b: Option<Oid>| b.and_then(|b| s.text(b));
    let (before, after) = (text(before), text(Some(after)));
    let (before, after) = (
        Fields::of(before.as_deref().unwrap_or("")),
        Fields::of(after.as_deref().unwrap_or("")),
    );
    let d = crate::diff::compare_fields_with(&before, &after, |_, _| Vec::new());
    // Every text has an id: a diff that brings one in starts from nothing.
    if d.fields.iter().any(|f| f.path == "id" && f.old.is_none()) {
        return Vec::new();
    }
    let mut out: Vec<String> = d.fields.iter().map(|f| field_label(&f.path)).collect();
    out.dedup();
    if d.body.is_some() {
        out.push(field_label("body"));
    }
    out
}

pub fn changes(s: &Served, a: &ChangesArgs) -> Outcome {
    if let Some(p) = &a.policy
        && !s.by_id.contains_key(bounded(p)?)
    {
        return Err(
            ToolError::new(format!("no policy `{}` in the handbook", capped(p, 80)))
                .near(p, s.known_ids()),
        );
    }
    let since = a
        .since
        .as_deref()
        .map(|t| moment(s, t, false))
        .transpose()?;
    let until = a.until.as_deref().map(|t| moment(s, t, true)).transpose()?;
    let offset = a
        .cursor
        .as_deref()
        .map(|c| read_cursor(c, s))
        .transpose()?
        .unwrap_or(0);
    let picked: Vec<(usize, &Revision)> = s
        .revisions()
        .iter()
        .enumerate()
        .filter(|(_, r)| r.change != Change::Moved)
        .filter(|(_, r)| a.policy.as_ref().is_none_or(|p| *p == r.id))
        .filter(|(_, r)| since.is_none_or(|t| r.landed.seconds >= t))
        .filter(|(_, r)| until.is_none_or(|t| r.landed.seconds <= t))
        .collect();
    let total = picked.len();
    let mut text = format!("{total} changes");
    let page: Vec<Value> = picked
        .iter()
        .skip(offset)
        .take(PAGE)
        .map(|(i, r)| {
            let fields = match r.change {
                Change::Added | Change::Material | Change::Editorial => {
                    s.fields_changed(s.previous[*i], r.blob, fields_changed)
                }
                _ => Arc::new(Vec::new()),
            };
            let from = is_text(r).then(|| standing::in_force_from(r, s.effective(r), &s.tz));
            let subject = capped(s.timeline.title_of(r), 200);
            let _ = write!(
                text,
                "\n- {} {} {} revision {}: {}{} ({}){}",
                if r.landed.known() {
                    rfc3339(r.landed.seconds)
                } else {
                    String::new()
                },
                r.id,
                r.change.as_str(),
                r.revision.map_or_else(|| "-".into(), |n| n.to_string()),
                subject,
                if fields.is_empty() {
                    String::new()
                } else {
                    format!("; changed: {}", fields.join(", "))
                },
                &r.commit.to_string()[..10],
                from.map(|f| format!("; in force from {}", rfc3339(f)))
                    .unwrap_or_default(),
            );
            json!({
                "id": r.id,
                "change": r.change.as_str(),
                "revision": r.revision,
                "commit": r.commit.to_string(),
                "blob": r.blob.to_string(),
                "landed": r.landed.known().then(|| rfc3339(r.landed.seconds)),
                "subject": subject,
                "fields": *fields,
                "in_force_from": from.map(rfc3339),
                "page": s.page(&r.id),
            })
        })
        .collect();
    let next = (offset + PAGE < total).then(|| cursor(offset + PAGE, s));
    let _ = write!(
        text,
        "\n\n{} to {} of {total} shown.{}",
        (offset + 1).min(total),
        (offset + page.len()).min(total),
        next.as_deref()
            .map(|c| format!(" More: pass cursor \"{c}\"."))
            .unwrap_or_default()
    );
    Ok(Answer {
        structured: json!({
            "total": total,
            "offset": offset,
            "changes": page,
            "next_cursor": next,
        }),
        text,
    })
}

/// One side of a diff: a revision number (`2`, `r2`) or a moment.
fn side<'h>(
    s: &Served,
    revs: &'h [Revision],
    id: &str,
    text: &str,
    now: i64,
) -> Result<&'h Revision, ToolError> {
    let text = bounded(text)?.trim();
    if let Ok(n) = text.trim_start_matches(['r', 'R']).parse::<u32>() {
        return revs
            .iter()
            .find(|r| is_text(r) && r.revision == Some(n))
            .ok_or_else(|| {
                let known: Vec<String> = revs
                    .iter()
                    .filter(|r| is_text(r))
                    .filter_map(|r| r.revision.map(|n| n.to_string()))
                    .collect();
                ToolError::new(format!("`{id}` never declared revision {n}"))
                    .with_hint(format!("its revisions: {}", known.join(", ")))
            });
    }
    let t = moment(s, text, true)?;
    in_force(s, revs, id, t)
        .ok_or_else(|| ToolError::new(format!("`{id}` had no text in force at {}", rfc3339(t))))
        .or_else(|e| {
            if t >= now {
                latest(revs).ok_or(e)
            } else {
                Err(e)
            }
        })
}

/// The text in force at `t`.
fn in_force<'h>(s: &Served, revs: &'h [Revision], id: &str, t: i64) -> Option<&'h Revision> {
    let a = standing::at(revs, id, t, &s.tz, |r| s.effective(r));
    (a.standing == Standing::InForce)
        .then_some(a.revision)
        .flatten()
}

fn latest(revs: &[Revision]) -> Option<&Revision> {
    revs.iter().find(|r| is_text(r))
}

pub fn diff(s: &Served, a: &DiffArgs, now: i64) -> Outcome {
    let id = bounded(&a.policy)?;
    let revs = s.by_id.get(id).ok_or_else(|| {
        ToolError::new(format!("no policy `{}` in the handbook", capped(id, 80)))
            .near(id, s.known_ids())
    })?;
    let to = match &a.to {
        Some(t) => side(s, revs, id, t, now)?,
        None => in_force(s, revs, id, now)
            .or_else(|| latest(revs))
            .ok_or_else(|| ToolError::new(format!("`{id}` has no text")))?,
    };
    let from = match &a.from {
        Some(f) => Some(side(s, revs, id, f, now)?),
        None => {
            // The text before `to`: the next older change that brought a text.
            let at = revs.iter().position(|r| std::ptr::eq(r, to)).unwrap_or(0);
            revs[at + 1..]
                .iter()
                .take_while(|r| r.change != Change::Retired)
                .find(|r| is_text(r))
        }
    };
    let old = from.and_then(|r| s.text(r.blob));
    let old = old.as_deref().unwrap_or("");
    let new = s.text(to.blob);
    let new = new.as_deref().unwrap_or("");
    let view = crate::site::timeline::diff_view(&crate::diff::compare(old, new));
    let mut text = format!(
        "{id}: revision {} ({}) -> revision {} ({})\n",
        from.and_then(|r| r.revision)
            .map_or_else(|| "none".into(), |n| n.to_string()),
        from.map_or_else(
            || "nothing".into(),
            |r| r.commit.to_string()[..10].to_owned()
        ),
        to.revision.map_or_else(|| "-".into(), |n| n.to_string()),
        &to.commit.to_string()[..10],
    );
    if from.is_some_and(|f| f.blob == to.blob) {
        text.push_str("The two texts are the same.\n");
    }
    for f in &view.fields {
        let _ = writeln!(
            text,
            "- {}: {} -> {}",
            f.label,
            f.old.as_deref().map_or("(none)".into(), |v| capped(v, 300)),
            f.new.as_deref().map_or("(none)".into(), |v| capped(v, 300))
        );
    }
    if !view.body.is_empty() {
        text.push_str("\nText ([-removed-] {+added+}):\n");
        for c in &view.body {
            match c.op {
                "insert" => {
                    let _ = write!(text, "{{+{}+}}", c.text);
                }
                "delete" => {
                    let _ = write!(text, "[-{}-]", c.text);
                }
                "skip" => text.push_str(" … "),
                _ => text.push_str(&c.text),
            }
        }
        text.push('\n');
    }
    let side_json = |r: &Revision| {
        json!({
            "revision": r.revision,
            "commit": r.commit.to_string(),
            "blob": r.blob.to_string(),
            "landed": r.landed.known().then(|| rfc3339(r.landed.seconds)),
            "in_force_from": rfc3339(standing::in_force_from(r, s.effective(r), &s.tz)),
        })
    };
    let fields: Vec<Value> = view
        .fields
        .iter()
        .map(|f| json!({ "field": f.path, "label": f.label, "before": f.old, "after": f.new }))
        .collect();
    let body: Vec<Value> = view
        .body
        .iter()
        .map(|c| json!({ "op": c.op, "text": c.text }))
        .collect();
    Ok(Answer {
        structured: json!({
            "policy": id,
            "from": from.map(side_json),
            "to": side_json(to),
            "fields": fields,
            "body": body,
            "page": s.page(id),
        }),
        text,
    })
}
