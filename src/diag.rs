//! Findings: what validation says about a file, where, under which rule, and what to do.
//!
//! Every rule is a static [`Rule`] descriptor (name, default severity, what to do), so that
//! reports, SARIF rule tables and the README all speak of the same rules. This module holds
//! data only: it never prints.

use std::cmp::Ordering;
use std::fmt;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Information that never fails a run, not even with `--strict` (a review that came
    /// due: a gate must not fail because a day passed).
    Notice,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Notice => "notice",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl Severity {
    /// The SARIF `level` (`note` for a notice).
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Notice => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A 1-based line and column in a file (columns count characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, column: 1 };

    pub fn new(line: u32, column: u32) -> Pos {
        Pos {
            line: line.max(1),
            column: column.max(1),
        }
    }
}

/// A static description of one validation rule.
#[derive(Debug)]
pub struct Rule {
    /// Stable name, printed as `error[name]` and used as the SARIF rule id.
    pub name: &'static str,
    pub severity: Severity,
    /// One line: what the rule checks.
    pub summary: &'static str,
    /// One line: what an author does about it (used when a finding has no hint of its own).
    pub help: &'static str,
}

/// One thing validation found in one place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Path relative to the top of the git work tree (or the handbook root outside git),
    /// with `/` separators.
    pub file: String,
    pub pos: Pos,
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    /// What to do; falls back to the rule's help.
    pub hint: Option<String>,
    /// Set when a justified waiver covers this finding: it is still reported, as waived,
    /// but counts neither as an error nor as a warning.
    pub suppressed: Option<Suppression>,
}

/// Where a waiver was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaiverKind {
    /// A `# normsctl: allow RULE -- reason` comment above the key (SARIF `inSource`).
    InSource,
    /// A commit trailer such as `Normsctl-Editorial: id -- reason` (SARIF `external`).
    External,
}

impl WaiverKind {
    /// The SARIF suppression kind, also used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            WaiverKind::InSource => "inSource",
            WaiverKind::External => "external",
        }
    }
}

/// A waiver that covers a finding, with the reason its author gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    pub kind: WaiverKind,
    pub reason: String,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Rule {}

impl Finding {
    pub fn new(rule: &'static Rule, file: &str, pos: Pos, message: impl Into<String>) -> Finding {
        Finding {
            file: file.to_owned(),
            pos,
            rule,
            severity: rule.severity,
            message: message.into(),
            hint: None,
            suppressed: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Finding {
        self.hint = Some(hint.into());
        self
    }

    /// The hint to show: the finding's own, else the rule's help.
    pub fn help(&self) -> &str {
        self.hint.as_deref().unwrap_or(self.rule.help)
    }

    fn sort_key(&self) -> (&str, Pos, std::cmp::Reverse<Severity>, &str, &str) {
        (
            &self.file,
            self.pos,
            std::cmp::Reverse(self.severity),
            self.rule.name,
            &self.message,
        )
    }
}

impl PartialOrd for Finding {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Finding {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

/// Counts of findings by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub notices: usize,
}

impl Counts {
    /// Waived findings count as neither.
    pub fn of(findings: &[Finding]) -> Counts {
        let live = || findings.iter().filter(|f| f.suppressed.is_none());
        let count = |s: Severity| live().filter(|f| f.severity == s).count();
        Counts {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            notices: count(Severity::Notice),
        }
    }

    /// How many findings a waiver covers.
    pub fn waived(findings: &[Finding]) -> usize {
        findings.iter().filter(|f| f.suppressed.is_some()).count()
    }
}

/// Makes every warning an error (`--strict`); a waived finding keeps its severity (it
/// never fails a run), and so does a notice.
pub fn make_strict(findings: &mut [Finding]) {
    for f in findings
        .iter_mut()
        .filter(|f| f.suppressed.is_none() && f.severity == Severity::Warning)
    {
        f.severity = Severity::Error;
    }
}

/// The closest candidate to `word` when it is close enough to be a likely typo; among
/// equally close candidates the first in byte order, so the hint does not depend on the
/// order the candidates come in (a hash map's, say).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&word, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        let keys = ["title", "summary", "target", "tags"];
        assert_eq!(did_you_mean("titel", keys), Some("title"));
        assert_eq!(did_you_mean("Summry", keys), Some("summary"));
        assert_eq!(did_you_mean("colour", keys), None);
    }

    #[test]
    fn equally_close_candidates_give_the_same_hint_in_any_order() {
        let forward = ["handover-a", "handover-b", "handover-c"];
        let backward = ["handover-c", "handover-b", "handover-a"];
        assert_eq!(did_you_mean("handover-x", forward), Some("handover-a"));
        assert_eq!(did_you_mean("handover-x", backward), Some("handover-a"));
    }
}
