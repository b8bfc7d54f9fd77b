//! Findings for people and machines: human text, JSON and GitHub workflow commands. SARIF
//! 2.1.0, JUnit XML and GitLab Code Quality are their own modules beside this one
//! ([`super::sarif`], [`super::junit`], [`super::gitlab`]). Each renderer returns a
//! string; the CLI writes it.

use super::people::Line;
use crate::diag::{Counts, Finding, Severity, WaiverKind};
use serde_json::json;
use std::fmt::Write;

/// Styles used by the human format (plain when colour is off).
#[derive(Clone, Copy, Debug, Default)]
pub struct Palette {
    pub color: bool,
}

impl Palette {
    /// `style` when colour is on, else the empty style (which prints nothing).
    pub fn style(&self, style: anstyle::Style) -> anstyle::Style {
        if self.color {
            style
        } else {
            anstyle::Style::new()
        }
    }

    fn paint(&self, style: anstyle::Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_owned()
        }
    }
}

/// `path:line:col: error[rule]: message` lines, each with its hint, then a summary.
pub fn human(findings: &[Finding], files: usize, palette: Palette) -> String {
    let mut out = lines(findings, palette);
    let counts = Counts::of(findings);
    let waived = match Counts::waived(findings) {
        0 => String::new(),
        n => format!(" ({} waived)", plural(n, "finding")),
    };
    // Notices never fail a run: they are named after the verdict, never in it.
    let notices = match counts.notices {
        0 => String::new(),
        n => format!(", {}", plural(n, "notice")),
    };
    let verdict = match (counts.errors, counts.warnings) {
        (0, 0) => format!(
            "ok: {} checked, no problems{notices}{waived}",
            plural(files, "file")
        ),
        (e, w) => format!(
            "{}, {}{notices} in {} checked{waived}",
            plural(e, "error"),
            plural(w, "warning"),
            plural(files, "file")
        ),
    };
    let _ = writeln!(out, "{verdict}");
    out
}

/// `path:line:col: error[rule]: message` lines, each with its hint (no summary).
pub fn lines(findings: &[Finding], palette: Palette) -> String {
    use anstyle::{AnsiColor, Style};
    let mut out = String::new();
    for f in findings {
        let sev_style = match (f.severity, &f.suppressed) {
            (_, Some(_)) => Style::new().fg_color(Some(AnsiColor::Green.into())).bold(),
            (Severity::Error, None) => Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
            (Severity::Warning, None) => {
                Style::new().fg_color(Some(AnsiColor::Yellow.into())).bold()
            }
            (Severity::Notice, None) => Style::new().fg_color(Some(AnsiColor::Blue.into())).bold(),
        };
        let label = match &f.suppressed {
            Some(_) => format!("waived {}[{}]", f.severity, f.rule.name),
            None => format!("{}[{}]", f.severity, f.rule.name),
        };
        let _ = writeln!(
            out,
            "{}: {}: {}",
            palette.paint(
                Style::new().bold(),
                &format!("{}:{}:{}", Line(&f.file), f.pos.line, f.pos.column)
            ),
            palette.paint(sev_style, &label),
            Line(&f.message)
        );
        if let Some(s) = &f.suppressed {
            let _ = writeln!(
                out,
                "  {} {}",
                palette.paint(
                    Style::new().fg_color(Some(AnsiColor::Green.into())),
                    "waived:"
                ),
                Line(&format!("{} ({})", s.reason, waiver_words(s.kind)))
            );
            continue;
        }
        let _ = writeln!(
            out,
            "  {} {}",
            palette.paint(Style::new().fg_color(Some(AnsiColor::Cyan.into())), "help:"),
            Line(f.help())
        );
    }
    out
}

/// Where a waiver was written, in words.
fn waiver_words(kind: WaiverKind) -> &'static str {
    match kind {
        WaiverKind::InSource => "a waiver comment above the key",
        WaiverKind::External => "an editorial commit trailer",
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// One JSON document: findings, counts and the verdict.
pub fn json(findings: &[Finding], files: usize) -> String {
    json_with(findings, files, None)
}

/// [`json`] with the `impact` array of `validate --base` (see [`super::impact::json`]).
pub fn json_with(findings: &[Finding], files: usize, impact: Option<serde_json::Value>) -> String {
    let counts = Counts::of(findings);
    let mut doc = json!({
        "version": 1,
        "ok": counts.errors == 0,
        "files_checked": files,
        "counts": { "errors": counts.errors, "warnings": counts.warnings, "notices": counts.notices },
        "waived": Counts::waived(findings),
        "findings": findings.iter().map(|f| {
            let mut v = json!({
                "file": f.file,
                "line": f.pos.line,
                "column": f.pos.column,
                "severity": f.severity.as_str(),
                "rule": f.rule.name,
                "message": f.message,
                "hint": f.help(),
            });
            if let Some(s) = &f.suppressed {
                v["suppressed"] = json!({ "kind": s.kind.as_str(), "reason": s.reason });
            }
            v
        }).collect::<Vec<_>>(),
    });
    if let Some(impact) = impact {
        doc["impact"] = impact;
    }
    super::json::pretty(&doc)
}

/// GitHub Actions workflow commands (`::error file=…,line=…::message`).
pub fn github(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        if let Some(s) = &f.suppressed {
            let _ = writeln!(
                out,
                "::notice file={},line={},col={},title={}::{}",
                escape_property(&f.file),
                f.pos.line,
                f.pos.column,
                escape_property(&format!("normsctl {} (waived)", f.rule.name)),
                escape_data(&format!(
                    "waived {}: {} (reason: {})",
                    f.severity, f.message, s.reason
                )),
            );
            continue;
        }
        let _ = writeln!(
            out,
            "::{} file={},line={},col={},title={}::{}",
            f.severity,
            escape_property(&f.file),
            f.pos.line,
            f.pos.column,
            escape_property(&format!("normsctl {}", f.rule.name)),
            escape_data(&format!("{} ({})", f.message, f.help())),
        );
    }
    out
}

/// Workflow-command data: `%`, CR and LF percent-encoded as GitHub reads them, and every
/// other control shown escaped (`\x1b`), so the runner's log never obeys one and nothing
/// is dropped from what is quoted.
fn escape_data(s: &str) -> String {
    let s = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    super::people::clean(&s).into_owned()
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escapes_properties_and_data() {
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(escape_data("x\ny"), "x%0Ay");
    }
}

#[cfg(test)]
mod renders {
    use super::*;
    use crate::diag::Pos;
    use crate::rules::decode::UNKNOWN_KEY;

    fn findings() -> Vec<Finding> {
        vec![
            Finding::new(
                &UNKNOWN_KEY,
                "policies/a.yaml",
                Pos { line: 3, column: 1 },
                "unknown key `titel` in a policy",
            )
            .hint("did you mean `title`?"),
        ]
    }

    #[test]
    fn human_lines_and_verdict() {
        insta::assert_snapshot!(human(&findings(), 4, Palette::default()), @r"
        policies/a.yaml:3:1: error[unknown-key]: unknown key `titel` in a policy
          help: did you mean `title`?
        1 error, 0 warnings in 4 files checked
        ");
        assert_eq!(
            human(&[], 1, Palette::default()),
            "ok: 1 file checked, no problems\n"
        );
    }

    #[test]
    fn values_are_escaped_and_the_tools_own_colour_is_kept() {
        let hostile = vec![Finding::new(
            &UNKNOWN_KEY,
            "policies/a\nb.yaml",
            Pos { line: 1, column: 1 },
            "unknown key `\u{1b}]0;x\u{7}` in a policy",
        )];
        let text = human(&hostile, 1, Palette { color: true });
        // The tool's bold and red are written as escape sequences...
        assert!(text.contains("\u{1b}[1m"), "{text:?}");
        assert!(
            text.contains("\u{1b}[31m") || text.contains("\u{1b}[1m\u{1b}[31m"),
            "{text:?}"
        );
        // ...the value's never: it is shown escaped, and the file name keeps one line.
        assert!(text.contains("unknown key `\\x1b]0;x\\x07`"), "{text:?}");
        assert!(text.contains("policies/a\\x0ab.yaml:1:1"), "{text:?}");
        assert!(!text.contains("\u{1b}]0;"), "{text:?}");
    }

    #[test]
    fn machine_formats() {
        let doc: serde_json::Value = serde_json::from_str(&json(&findings(), 4)).unwrap();
        assert_eq!(doc["ok"], false);
        assert_eq!(doc["findings"][0]["rule"], "unknown-key");
        assert_eq!(
            github(&findings()),
            "::error file=policies/a.yaml,line=3,col=1,title=normsctl unknown-key::unknown key `titel` in a policy (did you mean `title`?)\n"
        );
        let sarif: serde_json::Value = serde_json::from_str(&super::super::sarif::sarif(
            &findings(),
            std::path::Path::new("/repo"),
        ))
        .unwrap();
        assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "unknown-key");
        assert!(
            sarif["runs"][0]["tool"]["driver"]["rules"]
                .as_array()
                .unwrap()
                .len()
                > 20
        );
    }
}
