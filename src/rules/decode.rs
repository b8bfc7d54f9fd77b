//! Rules found while decoding one file (keys, types, values, ids, dates, which keys a
//! kind takes): the loader reports them, so their descriptors sit below it. The checks
//! themselves are the decoder's (`load::decode`, `load::policy`).

use crate::diag::{Rule, Severity::Error};

pub static UNKNOWN_KEY: Rule = Rule {
    name: "unknown-key",
    severity: Error,
    summary: "a key that this kind of file does not have",
    help: "remove the key or correct its spelling",
};
pub static MISSING_KEY: Rule = Rule {
    name: "missing-key",
    severity: Error,
    summary: "a required key is missing",
    help: "add the key",
};
pub static WRONG_TYPE: Rule = Rule {
    name: "wrong-type",
    severity: Error,
    summary: "a value of the wrong type (text, number, list, mapping)",
    help: "write the value in the type the key takes (see `normsctl schema`)",
};
pub static INVALID_VALUE: Rule = Rule {
    name: "invalid-value",
    severity: Error,
    summary: "a value outside what the key allows",
    help: "use one of the allowed values",
};

pub const ID_SHAPE_HINT: &str = "use lower-case letters, digits and hyphens, starting with a letter or digit, at most 64 characters";

pub static BAD_ID: Rule = Rule {
    name: "bad-id",
    severity: Error,
    summary: "an id that is not lower-case letters, digits and hyphens",
    help: ID_SHAPE_HINT,
};
pub static BAD_DATE: Rule = Rule {
    name: "bad-date",
    severity: Error,
    summary: "a date that is malformed or does not exist",
    help: "write the date as YYYY-MM-DD",
};
pub static FIELD_NOT_FOR_KIND: Rule = Rule {
    name: "field-not-for-kind",
    severity: Error,
    summary: "a metric-only key on an expectation or norm",
    help: "remove the key, or change the policy's kind",
};
