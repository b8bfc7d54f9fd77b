//! Justified waivers: a full-line comment directly above a key,
//! `# normsctl: allow RULE -- reason`, waives a warning rule for that key only. Comments
//! are not in the parse tree, so they are found in the source text by line: the waiver
//! stands on the line (or the block of waiver lines) right above the key's line.
//!
//! Only rules that are warnings by default can be waived (whatever `--strict` does), and
//! not the change rules: a comment stays in the file, so it would waive every later change
//! too; `body-changed` is waived by a commit trailer instead ([`super::change`]). A waiver
//! that cannot be read, has no reason, or names an unknown or unwaivable rule is an error;
//! one that waives nothing is a warning (the finding it was written for has gone).

use super::ALL_RULES;
use crate::diag::{Finding, Pos, Rule, Severity, Suppression, WaiverKind};
use crate::model::{Handbook, Waived};
use std::collections::BTreeMap;

pub static BAD_WAIVER: Rule = Rule {
    name: "bad-waiver",
    severity: Severity::Error,
    summary: "a `# normsctl:` comment that is not a valid waiver",
    help: "write `# normsctl: allow RULE -- reason` on the line above the key, naming a warning rule and giving a reason",
};
pub static UNUSED_WAIVER: Rule = Rule {
    name: "unused-waiver",
    severity: Severity::Warning,
    summary: "a waiver that waives nothing at its key",
    help: "remove the comment: the finding it was written for is gone (or stands at another key)",
};

/// One waiver comment that could be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiver {
    pub file: String,
    /// Where the comment is.
    pub pos: Pos,
    /// The line of the key it waives.
    pub target: u32,
    pub rule: &'static Rule,
    pub reason: String,
}

/// Whether a waiver comment may name this rule.
pub fn waivable(rule: &Rule) -> bool {
    rule.severity == Severity::Warning
        && !super::change::RULES.iter().any(|r| r.name == rule.name)
        && rule.name != UNUSED_WAIVER.name
}

const MARK: &str = crate::model::WAIVER_MARK;

/// The waiver comments of one file; comments that try to be waivers and fail are findings.
pub fn scan(file: &str, text: &str, findings: &mut Vec<Finding>) -> Vec<Waiver> {
    let lines: Vec<&str> = text.lines().collect();
    let mut waivers = Vec::new();
    // The indentation of a key whose block scalar (`body: |`) is being read: lines more
    // indented than it (or blank) are its text, never comments.
    let mut block: Option<usize> = None;
    for (i, line) in lines.iter().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim();
        if let Some(key_indent) = block {
            if trimmed.is_empty() || indent > key_indent {
                continue;
            }
            block = None;
        }
        if !trimmed.starts_with('#') {
            if starts_block(trimmed) {
                block = Some(indent);
            }
            continue;
        }
        let comment = trimmed[1..].trim_start();
        let Some(rest) = comment.strip_prefix(MARK) else {
            continue;
        };
        let pos = Pos::new(i as u32 + 1, indent as u32 + 1);
        let bad = |message: String| Finding::new(&BAD_WAIVER, file, pos, message);
        let Some((rule_name, reason)) = parse(rest) else {
            findings.push(bad(format!(
                "`{}` is not a waiver: write `# normsctl: allow RULE -- reason`",
                trimmed
            )));
            continue;
        };
        if reason.is_empty() {
            findings.push(bad(format!(
                "the waiver of `{rule_name}` gives no reason: write one after ` -- `"
            )));
            continue;
        }
        let Some(rule) = ALL_RULES.iter().copied().find(|r| r.name == rule_name) else {
            let hint = crate::diag::did_you_mean(
                rule_name,
                ALL_RULES.iter().filter(|r| waivable(r)).map(|r| r.name),
            );
            let mut finding = bad(format!("the waiver names `{rule_name}`, which is no rule"));
            if let Some(h) = hint {
                finding = finding.hint(format!("did you mean `{h}`?"));
            }
            findings.push(finding);
            continue;
        };
        if !waivable(rule) {
            let why = if rule.severity == Severity::Error {
                "an error rule: errors cannot be waived, fix them"
            } else {
                "a change rule: it is waived by a commit trailer (`Normsctl-Editorial: <policy-id> -- reason`), not a comment"
            };
            findings.push(bad(format!("the waiver names `{rule_name}`, {why}")));
            continue;
        }
        // The key is the first line below that is not another waiver comment.
        let target = lines[i + 1..]
            .iter()
            .position(|l| {
                let t = l.trim();
                !(t.starts_with('#') && t[1..].trim_start().starts_with(MARK))
            })
            .map(|k| i + 1 + k)
            .filter(|&k| is_key_line(lines[k]));
        let Some(target) = target else {
            findings.push(bad(format!(
                "the waiver of `{rule_name}` does not stand directly above a key"
            )));
            continue;
        };
        waivers.push(Waiver {
            file: file.to_owned(),
            pos,
            target: target as u32 + 1,
            rule,
            reason: reason.to_owned(),
        });
    }
    waivers
}

/// `allow RULE -- reason` (after `normsctl:`): the rule and the reason (maybe empty).
fn parse(rest: &str) -> Option<(&str, &str)> {
    let rest = rest.trim_start().strip_prefix("allow")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let (rule, reason) = match rest.split_once("--") {
        Some((rule, reason)) => (rule.trim(), reason.trim()),
        None => (rest.trim(), ""),
    };
    if rule.is_empty() || rule.contains(char::is_whitespace) {
        return None;
    }
    Some((rule, reason))
}

/// `key: |` or `key: >-` and the like: the lines below are the key's text.
fn starts_block(trimmed: &str) -> bool {
    let trimmed = trimmed.strip_prefix("- ").unwrap_or(trimmed);
    let value = match trimmed.split_once(": ") {
        Some((_, v)) => v.trim(),
        None => return false,
    };
    let value = value.split(" #").next().unwrap_or("").trim();
    let mut chars = value.chars();
    matches!(chars.next(), Some('|' | '>'))
        && chars.all(|c| matches!(c, '+' | '-') || c.is_ascii_digit())
}

/// A mapping key (maybe in a list item): `key:` or `- key:`.
fn is_key_line(line: &str) -> bool {
    let t = line.trim();
    let t = t.strip_prefix("- ").unwrap_or(t).trim_start();
    !t.is_empty()
        && !t.starts_with('#')
        && (t.contains(": ") || t.ends_with(':'))
        && !t.starts_with(['-', '[', '{', '|', '>'])
}

/// Marks each finding a waiver covers (same file, same rule, at the waiver's key) and
/// reports waivers that cover none.
pub fn apply(findings: &mut Vec<Finding>, waivers: &[Waiver]) {
    let mut unused = Vec::new();
    for w in waivers {
        let mut used = false;
        for f in findings
            .iter_mut()
            .filter(|f| f.file == w.file && f.rule.name == w.rule.name && f.pos.line == w.target)
        {
            f.suppressed = Some(Suppression {
                kind: WaiverKind::InSource,
                reason: w.reason.clone(),
            });
            used = true;
        }
        if !used {
            unused.push(Finding::new(
                &UNUSED_WAIVER,
                &w.file,
                w.pos,
                format!(
                    "the waiver of `{}` waives nothing: no such finding at the key on line {}",
                    w.rule.name, w.target
                ),
            ));
        }
    }
    findings.extend(unused);
}

/// Reads the waiver comments of every policy of `handbook` (from its file under `loc`) and
/// applies them to `findings`.
pub fn check(loc: &crate::load::Location, handbook: &Handbook, findings: &mut Vec<Finding>) {
    let mut waivers = Vec::new();
    for policy in &handbook.policies {
        // A file whose text never says the mark holds no waiver: it need not be read again.
        if handbook
            .marked
            .as_ref()
            .is_some_and(|marked| !marked.contains(&policy.file))
        {
            continue;
        }
        let rel = policy
            .file
            .strip_prefix(&loc.prefix)
            .unwrap_or(&policy.file);
        if let Ok(text) = std::fs::read_to_string(loc.root.join(rel)) {
            waivers.extend(scan(&policy.file, &text, findings));
        }
    }
    apply(findings, &waivers);
}

/// The waived findings, by file, as pages show them.
pub fn by_file(findings: &[Finding]) -> BTreeMap<String, Vec<Waived>> {
    let mut out: BTreeMap<String, Vec<Waived>> = BTreeMap::new();
    for f in findings {
        if let Some(s) = &f.suppressed {
            out.entry(f.file.clone()).or_default().push(Waived {
                rule: f.rule.name,
                summary: f.rule.summary,
                reason: s.reason.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_text(text: &str) -> (Vec<Waiver>, Vec<Finding>) {
        let mut findings = Vec::new();
        let w = scan("p.yaml", text, &mut findings);
        (w, findings)
    }

    #[test]
    fn reads_waivers_above_keys() {
        let (w, f) = scan_text(
            "id: a\nmetric:\n  # normsctl: allow fairness-public-individual -- shown on the wall by vote\n  visibility: public\n",
        );
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].target, 4);
        assert_eq!(w[0].pos, Pos::new(3, 3));
        assert_eq!(w[0].reason, "shown on the wall by vote");
    }

    #[test]
    fn stacked_waivers_share_the_key() {
        let (w, f) = scan_text(
            "# normsctl: allow fairness-no-guardrails -- a\n# normsctl: allow fairness-outside-control -- b\ntitle: x\n",
        );
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(w.iter().map(|w| w.target).collect::<Vec<_>>(), [3, 3]);
    }

    #[test]
    fn bad_waivers_are_findings() {
        for text in [
            "# normsctl: allow fairness-no-guardrails\ntitle: x\n",
            "# normsctl: allow fairness-no-guardrails --   \ntitle: x\n",
            "# normsctl: allow nope -- r\ntitle: x\n",
            "# normsctl: allow duplicate-id -- r\ntitle: x\n",
            "# normsctl: allow body-changed -- r\ntitle: x\n",
            "# normsctl: waive it\ntitle: x\n",
            "# normsctl: allow fairness-no-guardrails -- r\n\ntitle: x\n",
        ] {
            let (w, f) = scan_text(text);
            assert!(w.is_empty(), "{text}");
            assert_eq!(f.len(), 1, "{text}");
            assert_eq!(f[0].rule.name, "bad-waiver");
        }
    }

    #[test]
    fn block_text_is_not_a_comment() {
        let (w, f) = scan_text("body: |\n  # normsctl: nonsense\n  more\ntitle: x\n");
        assert!(w.is_empty() && f.is_empty(), "{f:?}");
        // Other comments are left alone.
        let (w, f) = scan_text("# a note\ntitle: x # normsctl: allow x\n");
        assert!(w.is_empty() && f.is_empty(), "{f:?}");
    }
}
