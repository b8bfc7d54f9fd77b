//! Rules about which keys a policy of each kind may have (the rest lives in the decoder).

use crate::diag::{Rule, Severity::Error};

pub static FIELD_NOT_FOR_KIND: Rule = Rule {
    name: "field-not-for-kind",
    severity: Error,
    summary: "a metric-only key on an expectation or norm",
    help: "remove the key, or change the policy's kind",
};
