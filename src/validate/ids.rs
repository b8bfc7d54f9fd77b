//! Policy ids: well formed, equal to the file's stem, unique in the handbook.

use crate::diag::{Finding, Rule, Severity::Error};
use crate::model::{Handbook, is_valid_id};
use std::collections::HashMap;

pub use crate::rules::decode::{BAD_ID, ID_SHAPE_HINT};

pub static ID_NOT_STEM: Rule = Rule {
    name: "id-not-file-name",
    severity: Error,
    summary: "a policy's id differs from its file name",
    help: "rename the file to `<id>.yaml`, or set the id to the file's name",
};
pub static DUPLICATE_ID: Rule = Rule {
    name: "duplicate-id",
    severity: Error,
    summary: "two policies, or two roster entries, share an id",
    help: "give each its own id",
};

pub fn check(handbook: &Handbook, findings: &mut Vec<Finding>) {
    let mut first: HashMap<&str, &str> = HashMap::new();
    for policy in &handbook.policies {
        let id = &policy.id;
        if !is_valid_id(&id.value) {
            findings.push(
                Finding::new(
                    &BAD_ID,
                    &policy.file,
                    id.pos,
                    format!("`{}` is not a valid policy id", id.value),
                )
                .hint(suggest_id(&id.value)),
            );
            continue;
        }
        let stem = policy
            .file
            .rsplit('/')
            .next()
            .and_then(|f| f.rsplit_once('.'))
            .map_or("", |(stem, _)| stem);
        if stem != id.value {
            findings.push(
                Finding::new(&ID_NOT_STEM, &policy.file, id.pos, format!("id `{}` differs from the file name `{stem}`", id.value))
                    .hint(format!(
                        "rename the file to `{}.yaml`, or set `id: {stem}` (a policy is its id: changing it retires the old one)",
                        id.value
                    )),
            );
        }
        if let Some(other) = first.get(id.value.as_str()) {
            findings.push(
                Finding::new(
                    &DUPLICATE_ID,
                    &policy.file,
                    id.pos,
                    format!("the id `{}` is already used by {other}", id.value),
                )
                .hint("give each policy its own id (and file name)"),
            );
        } else {
            first.insert(&id.value, &policy.file);
        }
    }
}

fn suggest_id(id: &str) -> String {
    let mut s = String::new();
    for c in id.trim().chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let s = s.trim_end_matches('-');
    if is_valid_id(s) {
        format!("{ID_SHAPE_HINT}, for example `{s}`")
    } else {
        ID_SHAPE_HINT.to_owned()
    }
}
