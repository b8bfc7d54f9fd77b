//! Dates must be real calendar days written `YYYY-MM-DD` (checked while decoding).

use crate::diag::{Rule, Severity::Error};

pub static BAD_DATE: Rule = Rule {
    name: "bad-date",
    severity: Error,
    summary: "a date that is malformed or does not exist",
    help: "write the date as YYYY-MM-DD",
};
