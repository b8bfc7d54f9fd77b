//! Validation: every rule of SPEC "What `validate` reports", collected in one run.
//!
//! Loading already reports what is wrong inside single files (syntax, keys, types); the
//! rules here judge the handbook as a whole (ids, references, roster, fairness). Each rule
//! is a static descriptor in the file of its concern. Nothing here prints.

pub mod change;
pub mod dates;
pub mod fairness;
pub mod ids;
pub mod impact;
pub mod keys;
pub mod references;
pub mod reviews;
pub mod roster;
pub mod schema;
pub mod waivers;

use crate::diag::{Finding, Rule};
use crate::load::decode;
use crate::model::Handbook;
pub use crate::rules::file;

/// Every rule, for SARIF rule tables and the documentation.
pub static ALL_RULES: &[&Rule] = &[
    &file::YAML_SYNTAX,
    &file::DUPLICATE_KEY,
    &file::ENCODING,
    &file::FILE_LIMIT,
    &file::DOCUMENT_SHAPE,
    &file::OUTSIDE_HANDBOOK,
    &file::TEMPLATE_LINK,
    &file::UNREADABLE,
    &file::MISSING_FILE,
    &decode::UNKNOWN_KEY,
    &decode::MISSING_KEY,
    &decode::WRONG_TYPE,
    &decode::INVALID_VALUE,
    &schema::FIELD_NOT_FOR_KIND,
    &ids::BAD_ID,
    &ids::ID_NOT_STEM,
    &ids::DUPLICATE_ID,
    &dates::BAD_DATE,
    &references::DANGLING_REFERENCE,
    &references::GUARDRAIL_NOT_METRIC,
    &roster::DUPLICATE_EMAIL,
    &fairness::NOT_CONTROLLABLE,
    &fairness::PUBLIC_INDIVIDUAL,
    &fairness::NO_GUARDRAILS,
    &fairness::OUTSIDE_CONTROL,
    &change::REVISION_NOT_RAISED,
    &change::BODY_CHANGED,
    &change::REVISION_LOWERED,
    &change::REVISION_SKIPPED,
    &change::REVISION_RAISED_NO_CHANGE,
    &change::NEW_NOT_AT_ONE,
    &keys::KEY_CHANGE_UNANCHORED,
    &keys::BAD_KEY_ANCHOR,
    &reviews::REVIEWED_IN_FUTURE,
    &reviews::REVIEW_OVERDUE,
    &waivers::BAD_WAIVER,
    &waivers::UNUSED_WAIVER,
];

/// Runs the handbook-wide rules and returns their findings (unsorted).
pub fn check(handbook: &Handbook) -> Vec<Finding> {
    let mut findings = Vec::new();
    ids::check(handbook, &mut findings);
    dates::check(handbook, &mut findings);
    references::check(handbook, &mut findings);
    if let Some(roster) = &handbook.roster {
        roster::check(roster, &mut findings);
    }
    roster::exemptions(handbook, &mut findings);
    roster::webhooks(handbook, &mut findings);
    fairness::check(handbook, &mut findings);
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_unique_and_documented() {
        let mut names: Vec<&str> = ALL_RULES.iter().map(|r| r.name).collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "duplicate rule names");
        for rule in ALL_RULES {
            assert!(
                !rule.summary.is_empty() && !rule.help.is_empty(),
                "{}",
                rule.name
            );
        }
    }
}
