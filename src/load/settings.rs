//! Reading `normsctl.yaml` into [`Settings`]; every key has a default.

use super::decode::{Decoder, INVALID_VALUE};
use crate::model::{MAX_DUE_DAYS, Settings};
use crate::yaml::Node;

pub const SETTINGS_KEYS: &[&str] = &[
    "title",
    "organization",
    "base_url",
    "timezone",
    "policies",
    "roster",
    "templates",
    "fairness",
    "acks",
    "reviews",
    "remind",
    "portal",
];
pub const REVIEWS_KEYS: &[&str] = &["every"];
pub const FAIRNESS_KEYS: &[&str] = &["outside_individual_control"];
pub const ACKS_KEYS: &[&str] = &[
    "ref",
    "remote",
    "branch",
    "due_days",
    "sync_timeout",
    "exceptions",
    "start",
    "every",
];
pub const EXCEPTION_KEYS: &[&str] = &["commit", "reason"];

/// Decodes settings over the defaults; findings go to the decoder.
pub fn decode(d: &mut Decoder<'_>, node: &Node) -> Settings {
    let mut s = Settings::default();
    let Some(fields) = d.fields(node, "the settings") else {
        return s;
    };
    d.unknown_keys(&fields, SETTINGS_KEYS, "the settings");
    let text = |d: &mut Decoder<'_>, key: &str| {
        fields.get(key).and_then(|e| d.non_empty_text(key, e.value))
    };
    if let Some(t) = text(d, "title") {
        s.title = t.value;
    }
    s.organization = text(d, "organization").map(|t| t.value);
    if let Some(url) = text(d, "base_url") {
        if url.value.starts_with("https://") || url.value.starts_with("http://") {
            let mut v = url.value;
            if !v.ends_with('/') {
                v.push('/');
            }
            s.base_url = Some(v);
        } else {
            d.report(
                &INVALID_VALUE,
                url.pos,
                format!("base_url `{}` is not an http(s) address", url.value),
            )
            .hint = Some(
                "write the site's full address, for example https://handbook.example.com/".into(),
            );
        }
    }
    if let Some(tz) = text(d, "timezone") {
        if jiff::tz::TimeZone::get(&tz.value).is_ok() {
            s.timezone = tz.value;
        } else {
            d.report(
                &INVALID_VALUE,
                tz.pos,
                format!("`{}` is not a known time zone", tz.value),
            )
            .hint =
                Some("use an IANA zone name such as Europe/Madrid, America/New_York or UTC".into());
        }
    }
    for (key, slot) in [
        ("policies", &mut s.policies),
        ("roster", &mut s.roster),
        ("templates", &mut s.templates),
    ] {
        if let Some(path) = fields.get(key).and_then(|e| d.non_empty_text(key, e.value)) {
            if super::is_safe_relative(&path.value) {
                *slot = path.value.trim_end_matches('/').to_owned();
            } else {
                d.report(
                    &INVALID_VALUE,
                    path.pos,
                    format!(
                        "`{key}: {}` leaves the handbook folder or points into .git",
                        path.value
                    ),
                )
                .hint = Some(
                    "give a path relative to the folder of normsctl.yaml, without `..` or `.git`"
                        .into(),
                );
            }
        }
    }
    if let Some(e) = fields.get("fairness")
        && let Some(f) = d.fields(e.value, "fairness")
    {
        d.unknown_keys(&f, FAIRNESS_KEYS, "fairness");
        if let Some(e) = f.get("outside_individual_control") {
            s.fairness.outside_individual_control = d
                .text_list("outside_individual_control", e.value)
                .into_iter()
                .map(|t| t.value)
                .filter(|t| !t.trim().is_empty())
                .collect();
        }
    }
    if let Some(e) = fields.get("acks")
        && let Some(f) = d.fields(e.value, "acks")
    {
        d.unknown_keys(&f, ACKS_KEYS, "acks");
        if let Some(r) = f.get("ref").and_then(|e| d.non_empty_text("ref", e.value)) {
            let full = if r.value.starts_with("refs/") {
                r.value.clone()
            } else {
                format!("refs/heads/{}", r.value)
            };
            if git2::Reference::is_valid_name(&full) {
                s.acks.git_ref = full;
            } else {
                d.report(
                    &INVALID_VALUE,
                    r.pos,
                    format!("`{}` is not a valid git ref name", r.value),
                )
                .hint = Some("use a branch name such as normsctl/acks".into());
            }
        }
        if let Some(r) = f
            .get("remote")
            .and_then(|e| d.non_empty_text("remote", e.value))
        {
            s.acks.remote = r.value;
        }
        if let Some(e) = f.get("exceptions") {
            s.acks.exceptions = exceptions(d, e.value);
        }
        if let Some(n) = f
            .get("sync_timeout")
            .and_then(|e| d.int_in("sync_timeout", e.value, 1, 3600))
        {
            s.acks.sync_timeout = n.value;
        }
        if let Some(b) = f
            .get("branch")
            .and_then(|e| d.non_empty_text("branch", e.value))
        {
            if git2::Reference::is_valid_name(&format!("refs/heads/{}", b.value))
                && !b.value.starts_with("refs/")
            {
                s.acks.branch = b.value;
            } else {
                d.report(
                    &INVALID_VALUE,
                    b.pos,
                    format!("`{}` is not a valid branch name", b.value),
                )
                .hint = Some("write the published branch's short name, such as main".into());
            }
        }
        if let Some(n) = f
            .get("due_days")
            .and_then(|e| d.int_in("due_days", e.value, 1, MAX_DUE_DAYS))
        {
            s.acks.due_days = n.value;
        }
        if let Some(date) = f.get("start").and_then(|e| d.date("start", e.value)) {
            s.acks.start = Some(date.value);
        }
        if let Some(every) = f.get("every").and_then(|e| every(d, "every", e.value)) {
            s.acks.every = every;
        }
    }
    if let Some(e) = fields.get("reviews")
        && let Some(f) = d.fields(e.value, "reviews")
    {
        d.unknown_keys(&f, REVIEWS_KEYS, "reviews");
        if let Some(p) = f
            .get("every")
            .and_then(|e| super::policy::period(d, "every", e.value))
        {
            s.review_every = p.value;
        }
    }
    if let Some(e) = fields.get("remind") {
        s.remind = super::settings_remind::decode(d, e.value);
    }
    if let Some(e) = fields.get("portal") {
        s.portal = super::settings_portal::decode(d, e.value);
    }
    s
}

/// `12 months`, `6 months`, `1 year` or `none` (a finding otherwise): the one period
/// reader, as for `review_every`.
pub fn every(d: &mut Decoder<'_>, key: &str, node: &Node) -> Option<crate::model::Every> {
    super::policy::period(d, key, node).map(|p| p.value)
}

/// `acks.exceptions`: a list of `{commit, reason}`, the commit as 40 hex digits and a reason
/// that says why the bad commit was accepted.
fn exceptions(d: &mut Decoder<'_>, node: &Node) -> Vec<crate::model::LedgerException> {
    let crate::yaml::Value::Seq(items) = &node.value else {
        d.wrong_type("exceptions", "a list of { commit, reason }", node);
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        let Some(f) = d.fields(item, "an exception") else {
            continue;
        };
        d.unknown_keys(&f, EXCEPTION_KEYS, "an exception");
        let commit = f
            .get("commit")
            .and_then(|e| d.non_empty_text("commit", e.value));
        let reason = f
            .get("reason")
            .and_then(|e| d.non_empty_text("reason", e.value));
        match (commit, reason) {
            (Some(c), Some(r))
                if c.value.len() == 40 && c.value.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                out.push(crate::model::LedgerException {
                    commit: c.value.to_ascii_lowercase(),
                    reason: r.value,
                });
            }
            (Some(c), _)
                if !(c.value.len() == 40 && c.value.bytes().all(|b| b.is_ascii_hexdigit())) =>
            {
                d.report(
                    &INVALID_VALUE,
                    c.pos,
                    format!("`{}` is not a ledger commit id (40 hex digits)", c.value),
                )
                .hint = Some("copy the full commit id `normsctl acks verify` names".into());
            }
            (_, None) => {
                d.report(&INVALID_VALUE, item.pos, "an exception without a reason")
                    .hint = Some("say why the commit was accepted: reason: \"...\"".into());
            }
            _ => {}
        }
    }
    out
}
