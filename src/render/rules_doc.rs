//! The rule catalogue as documents: each rule's SARIF descriptor and `docs/rules.md`, both
//! generated from the rule descriptors (`validate::ALL_RULES`), so the help a code-scanning
//! tool links to is the help the binary prints. Pure functions; nothing here reads files.

use crate::diag::{Rule, Severity};
use crate::validate::ALL_RULES;
use serde_json::{Value, json};
use std::fmt::Write;

/// Where normsctl lives (Cargo.toml's `repository`): the SARIF driver's `informationUri`.
pub const HOME: &str = env!("CARGO_PKG_REPOSITORY");

/// The rules page; each rule is a heading in it, so `#<rule name>` is its anchor.
pub const RULES_PAGE: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/docs/rules.md");

/// Where `docs/rules.md` sits in the repository.
pub const RULES_PATH: &str = "docs/rules.md";

/// The link to one rule's heading.
pub fn help_uri(rule: &Rule) -> String {
    format!("{RULES_PAGE}#{}", rule.name)
}

/// A SARIF `reportingDescriptor` with everything GitHub code scanning and the multitool ask
/// for: short and full descriptions, help as text and Markdown, and a help link.
pub fn sarif_rule(rule: &Rule) -> Value {
    let mut descriptor = json!({
        "id": rule.name,
        "shortDescription": { "text": sentence(rule.summary) },
        "fullDescription": { "text": full_description(rule) },
        "help": { "text": help_text(rule), "markdown": help_markdown(rule) },
        "helpUri": help_uri(rule),
        "defaultConfiguration": { "level": rule.severity.sarif_level() },
    });
    // A friendly name only where it says more than the id (the multitool's SARIF1001
    // rejects `encoding` / `Encoding`).
    let name = pascal_case(rule.name);
    if !name.eq_ignore_ascii_case(rule.name) {
        descriptor["name"] = name.into();
    }
    descriptor
}

/// `docs/rules.md`: every rule under its own heading, in catalogue order.
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "# Rules of `normsctl validate`\n\n\
         <!-- Generated from the rule descriptors (`normsctl::validate::ALL_RULES`); do not edit.\n     \
         Refresh with `UPDATE_FIXTURES=1 cargo test --test cli rules_page`. -->\n\n\
         Each finding names its rule (`error[unknown-key]`). SARIF reports link each rule to its\n\
         heading here. Warnings become errors with `--strict`; notices never fail a run. The\n\
         README's tables say more about each rule, with examples.\n\n",
    );
    for rule in ALL_RULES {
        let _ = write!(
            out,
            "## {}\n\n{}\n\n",
            rule.name,
            help_markdown(rule).trim_end()
        );
    }
    out
}

fn full_description(rule: &Rule) -> String {
    format!(
        "{} {}",
        sentence(&capitalized(rule.summary)),
        severity_sentence(rule)
    )
}

fn help_text(rule: &Rule) -> String {
    format!(
        "What it finds: {} What to do: {} {}",
        sentence(rule.summary),
        sentence(rule.help),
        severity_sentence(rule)
    )
}

fn help_markdown(rule: &Rule) -> String {
    format!(
        "**What it finds:** {}\n\n**What to do:** {}\n\n**Severity:** {}\n",
        sentence(rule.summary),
        sentence(rule.help),
        severity_sentence(rule)
    )
}

fn severity_sentence(rule: &Rule) -> &'static str {
    match rule.severity {
        Severity::Error => "An error: validation fails.",
        Severity::Warning => "A warning: validation passes unless `--strict` makes it an error.",
        Severity::Notice => "A notice: information only; validation passes, even with `--strict`.",
    }
}

fn sentence(text: &str) -> String {
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `body-changed` -> `BodyChanged` (SARIF's friendly rule names are Pascal case).
fn pascal_case(name: &str) -> String {
    name.split('-').map(capitalized).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sentences() {
        assert_eq!(pascal_case("new-policy-not-at-1"), "NewPolicyNotAt1");
        assert_eq!(sentence("raise by one"), "raise by one.");
        assert_eq!(capitalized("`revision` rose"), "`revision` rose");
    }

    #[test]
    fn every_rule_has_a_heading() {
        let page = rules_markdown();
        for rule in ALL_RULES {
            assert!(
                page.contains(&format!("\n## {}\n", rule.name)),
                "{}",
                rule.name
            );
        }
    }
}
