//! Fairness of metrics (SPEC "Metrics are fair"): warnings, errors with `--strict`.

use crate::diag::{Finding, Rule, Severity::Warning};
use crate::model::{Handbook, Level, Visibility};

pub static NOT_CONTROLLABLE: Rule = Rule {
    name: "fairness-not-controllable",
    severity: Warning,
    summary: "an individual metric the individual cannot control",
    help: "judge it at team level (`level: team`), or measure something the person's own work moves",
};
pub static PUBLIC_INDIVIDUAL: Rule = Rule {
    name: "fairness-public-individual",
    severity: Warning,
    summary: "an individual metric shown publicly",
    help: "set `visibility: private`: a person's own numbers are for them and their lead",
};
pub static NO_GUARDRAILS: Rule = Rule {
    name: "fairness-no-guardrails",
    severity: Warning,
    summary: "a metric that can be gamed, with no guardrail",
    help: "add `guardrails:` naming metrics that counter the gaming (for a count, a quality score)",
};
pub static OUTSIDE_CONTROL: Rule = Rule {
    name: "fairness-outside-control",
    severity: Warning,
    summary: "an individual metric that names a measure no individual controls",
    help: "make it `level: team`, or measure what the person does (their replies, their QA score)",
};

pub fn check(handbook: &Handbook, findings: &mut Vec<Finding>) {
    let terms: Vec<Vec<String>> = handbook
        .settings
        .fairness
        .outside_individual_control
        .iter()
        .map(|t| words(t))
        .filter(|t| !t.is_empty())
        .collect();
    for policy in &handbook.policies {
        let Some(metric) = &policy.metric else {
            continue;
        };
        let file = policy.file.as_str();
        if metric.gaming_risk.is_some() && metric.guardrails.is_empty() {
            findings.push(
                Finding::new(
                    &NO_GUARDRAILS,
                    file,
                    policy.key_pos("gaming_risk"),
                    format!(
                        "`{}` names a gaming risk but no guardrails",
                        policy.id.value
                    ),
                )
                .hint(NO_GUARDRAILS.help),
            );
        }
        if metric.level != Level::Individual {
            continue;
        }
        if metric.controllable == Some(false) {
            findings.push(Finding::new(
                &NOT_CONTROLLABLE,
                file,
                policy.key_pos("controllable"),
                format!(
                    "`{}` judges individuals on something they cannot control",
                    policy.id.value
                ),
            ));
        }
        if metric.visibility() == Visibility::Public {
            findings.push(Finding::new(
                &PUBLIC_INDIVIDUAL,
                file,
                policy.key_pos("visibility"),
                format!(
                    "`{}` would show each person's numbers to everyone",
                    policy.id.value
                ),
            ));
        }
        for (key, text) in [
            ("id", policy.id.value.as_str()),
            ("title", &policy.title),
            ("measures", &metric.measures),
        ] {
            let text_words = words(text);
            if let Some(term) = terms.iter().find(|t| contains_run(&text_words, t)) {
                findings.push(Finding::new(
                    &OUTSIDE_CONTROL,
                    file,
                    policy.key_pos(key),
                    format!(
                        "individual metric `{}` names \"{}\" in its {key}: that depends on more than one person's work (product, policy, other teams), so no individual controls it",
                        policy.id.value,
                        term.join(" ")
                    ),
                ));
                break;
            }
        }
    }
}

/// Lower-case words, split on anything that is not a letter or digit.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn contains_run(haystack: &[String], needle: &[String]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_match_whole_words_in_any_case() {
        let t = words("time to close");
        assert!(contains_run(&words("Median Time-To-Close per week"), &t));
        assert!(!contains_run(&words("time to closed tickets"), &t));
        assert!(contains_run(&words("csat-weekly"), &words("CSAT")));
        assert!(!contains_run(&words("csatisfy"), &words("csat")));
    }
}
