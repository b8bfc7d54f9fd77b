//! Rules about a file as a whole: can it be read, is it YAML, is it one mapping.

use crate::diag::{Rule, Severity::Error};

pub static YAML_SYNTAX: Rule = Rule {
    name: "yaml-syntax",
    severity: Error,
    summary: "the file is not valid YAML",
    help: "fix the YAML at this place (check indentation, quotes and brackets)",
};
pub static DUPLICATE_KEY: Rule = Rule {
    name: "duplicate-key",
    severity: Error,
    summary: "a key appears twice in one mapping",
    help: "keep one of them",
};
pub static ENCODING: Rule = Rule {
    name: "encoding",
    severity: Error,
    summary: "the file is not UTF-8 text",
    help: "save the file as UTF-8",
};
pub static FILE_LIMIT: Rule = Rule {
    name: "file-limit",
    severity: Error,
    summary: "the file is too large, too deeply nested, or expands too much",
    help: "a policy is a page of text: keep files small and flat, without alias tricks",
};
pub static DOCUMENT_SHAPE: Rule = Rule {
    name: "document-shape",
    severity: Error,
    summary: "the file is empty, holds several documents, or is not a mapping",
    help: "write exactly one mapping of `key: value` lines",
};
pub static OUTSIDE_HANDBOOK: Rule = Rule {
    name: "outside-handbook",
    severity: Error,
    summary: "a symbolic link leads outside the handbook",
    help: "copy the file into the handbook, or remove the link",
};
pub static TEMPLATE_LINK: Rule = Rule {
    name: "template-link",
    severity: Error,
    summary: "a symbolic link in (or to) the templates folder",
    help: "copy the file into the templates folder: templates are never read through links",
};
pub static UNREADABLE: Rule = Rule {
    name: "unreadable",
    severity: Error,
    summary: "a file or folder cannot be read",
    help: "check its permissions",
};
pub static MISSING_FILE: Rule = Rule {
    name: "missing-file",
    severity: Error,
    summary: "a file the settings name does not exist",
    help: "create it, or correct the path in normsctl.yaml",
};
