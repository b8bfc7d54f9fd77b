//! The handbook as plain data: settings, roster and policies, with the positions that
//! validation points at. No I/O happens here.

pub mod ack;
pub mod labels;
pub mod pending;
mod period;
mod policy;
pub mod remind;
mod roster;
mod settings;

pub use period::*;
pub use policy::*;
pub use roster::*;
pub use settings::*;

use crate::diag::Pos;

/// A value and the position it was read from.
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub pos: Pos,
}

impl<T> Located<T> {
    pub fn new(value: T, pos: Pos) -> Located<T> {
        Located { value, pos }
    }
}

/// Every id in a handbook (policy, person, team, role) has this shape.
pub fn is_valid_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 64
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// The built-in group that covers every person in the roster.
pub const EVERYONE: &str = "everyone";

/// A whole handbook as loaded.
#[derive(Clone, Debug, Default)]
pub struct Handbook {
    pub settings: Settings,
    /// `None` when the roster file is missing or could not be read as a mapping.
    pub roster: Option<Roster>,
    pub policies: Vec<Policy>,
    /// Ids (file stems) of policy files that exist but could not be read as policies;
    /// their own findings say why, and references to them are not reported as dangling.
    pub unread: Vec<String>,
    /// Findings that a waiver comment covers, by policy file (filled by the site's load,
    /// for the metric card; empty elsewhere).
    pub waived: std::collections::BTreeMap<String, Vec<Waived>>,
    /// The policy files whose text mentions [`WAIVER_MARK`] (only they can hold a waiver
    /// comment), when the loader knows; `None` when any file may.
    pub marked: Option<std::collections::BTreeSet<String>>,
}

/// What starts a waiver comment after its `#`: `# normsctl: allow RULE -- reason`.
pub const WAIVER_MARK: &str = "normsctl:";

/// A finding a waiver covers, as a page shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Waived {
    pub rule: &'static str,
    /// What the rule checks, in one line.
    pub summary: &'static str,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(is_valid_id("time-to-first-response"));
        assert!(is_valid_id("1on1-notes"));
        assert!(!is_valid_id("Working-Hours"));
        assert!(!is_valid_id("-x"));
        assert!(!is_valid_id("a/b"));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id(&"a".repeat(65)));
    }
}
