//! Dates must be real calendar days written `YYYY-MM-DD` (checked while decoding), and an
//! `effective` date must start at a moment that can be placed in time in the handbook's
//! zone: a day past that (9999-12-31 in most zones) would otherwise be read as "no date"
//! and put the text in force at once.

use crate::diag::Finding;
use crate::model::Handbook;
pub use crate::rules::decode::BAD_DATE;

pub fn check(handbook: &Handbook, findings: &mut Vec<Finding>) {
    let Ok(tz) = jiff::tz::TimeZone::get(&handbook.settings.timezone) else {
        return;
    };
    for policy in &handbook.policies {
        let Some(effective) = &policy.effective else {
            continue;
        };
        if effective.value.to_zoned(tz.clone()).is_err() {
            findings.push(
                Finding::new(
                    &BAD_DATE,
                    &policy.file,
                    effective.pos,
                    format!(
                        "`effective: {}` is out of range: its start cannot be placed in time in {}",
                        effective.value, handbook.settings.timezone
                    ),
                )
                .hint("write a date before 9999-12-30"),
            );
        }
    }
}
