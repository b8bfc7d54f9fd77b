//! JUnit XML as Ant's `XMLJUnitResultFormatter` writes it and Jenkins, GitLab and Azure
//! DevOps read it: one test case per file checked, one `<failure>` per finding (JUnit has
//! no warning level, so a warning is a failure whose `type` says so; a notice never fails
//! a run, so it is the test case's `<system-out>`). A pure function.

use crate::diag::{Counts, Finding};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The report. `files` names every file checked (as findings name them); a file that only
/// a finding names (a missing roster) gets a test case too.
pub fn junit(findings: &[Finding], files: &[String]) -> String {
    let mut cases: BTreeMap<&str, Vec<&Finding>> =
        files.iter().map(|f| (f.as_str(), Vec::new())).collect();
    // JUnit has no "waived": a waived finding is no failure; the count is a property.
    for f in findings.iter().filter(|f| f.suppressed.is_none()) {
        cases.entry(f.file.as_str()).or_default().push(f);
    }
    let counts = Counts::of(findings);
    fn is_failure(f: &&&Finding) -> bool {
        f.severity != crate::diag::Severity::Notice
    }
    let failed = cases
        .values()
        .filter(|fs| fs.iter().any(|f| is_failure(&f)))
        .count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"normsctl validate\" tests=\"{}\" failures=\"{failed}\" errors=\"0\">",
        cases.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"normsctl validate\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\">",
        cases.len()
    );
    let _ = writeln!(out, "    <properties>");
    for (name, value) in [
        ("normsctl.version", crate::VERSION.to_owned()),
        ("errors", counts.errors.to_string()),
        ("warnings", counts.warnings.to_string()),
        ("notices", counts.notices.to_string()),
        ("waived", Counts::waived(findings).to_string()),
    ] {
        let _ = writeln!(
            out,
            "      <property name=\"{name}\" value=\"{}\"/>",
            escape(&value)
        );
    }
    let _ = writeln!(out, "    </properties>");
    for (file, found) in &cases {
        let name = escape(file);
        if found.is_empty() {
            let _ = writeln!(
                out,
                "    <testcase name=\"{name}\" classname=\"normsctl\"/>"
            );
            continue;
        }
        let _ = writeln!(out, "    <testcase name=\"{name}\" classname=\"normsctl\">");
        for f in found.iter().filter(is_failure) {
            let _ = writeln!(
                out,
                "      <failure type=\"{}[{}]\" message=\"{}\">{}</failure>",
                f.severity,
                f.rule.name,
                escape(&format!("{}:{}: {}", f.pos.line, f.pos.column, f.message)),
                escape(&format!(
                    "{}:{}:{}: {}[{}]: {}\n  help: {}",
                    f.file,
                    f.pos.line,
                    f.pos.column,
                    f.severity,
                    f.rule.name,
                    f.message,
                    f.help()
                )),
            );
        }
        let notices: Vec<String> = found
            .iter()
            .filter(|f| !is_failure(f))
            .map(|f| {
                format!(
                    "{}:{}:{}: notice[{}]: {}\n  help: {}",
                    f.file,
                    f.pos.line,
                    f.pos.column,
                    f.rule.name,
                    f.message,
                    f.help()
                )
            })
            .collect();
        if !notices.is_empty() {
            let _ = writeln!(
                out,
                "      <system-out>{}</system-out>",
                escape(&notices.join("\n"))
            );
        }
        let _ = writeln!(out, "    </testcase>");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Escapes text for an XML attribute or element. Characters XML 1.0 cannot hold at all (C0
/// controls other than tab, newline and carriage return) become U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        assert_eq!(
            escape("a<b & \"c\"\n\u{1}"),
            "a&lt;b &amp; &quot;c&quot;&#10;\u{FFFD}"
        );
    }
}
