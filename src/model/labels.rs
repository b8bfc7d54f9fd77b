//! The words a reader sees for each field of a policy: one table, used by the site (the
//! revision diffs, the facts) and by the JSON Schema's `title`s. Plain data.

/// `(field path, label)`: top-level keys and the parts of `target`.
pub const FIELD_LABELS: &[(&str, &str)] = &[
    ("id", "Id"),
    ("kind", "Kind"),
    ("title", "Title"),
    ("summary", "Summary"),
    ("owner", "Owner"),
    ("applies_to", "Applies to"),
    ("revision", "Revision"),
    ("effective", "Effective date"),
    ("review_every", "Review every"),
    ("reviewed", "Last reviewed"),
    ("ack", "Acknowledgement"),
    ("ack_due_days", "Days to acknowledge"),
    ("ack_every", "Acknowledge again every"),
    ("tags", "Tags"),
    ("related", "Related policies"),
    ("replaces", "Replaces"),
    ("body", "Text"),
    ("level", "Level"),
    ("measures", "What is measured"),
    ("source", "Data source"),
    ("unit", "Unit"),
    ("statistic", "Statistic"),
    ("target", "Target"),
    ("target.op", "Target comparison"),
    ("target.value", "Target value"),
    ("target.min", "Target minimum"),
    ("target.max", "Target maximum"),
    ("window", "Window"),
    ("controllable", "Within the individual's control"),
    ("visibility", "Who sees the numbers"),
    ("gaming_risk", "Gaming risk"),
    ("guardrails", "Guardrails"),
];

/// The label of a field path (`target.value` is "Target value"); a path the table does not
/// know reads as its words (`tags[2]` is "Tags [2]", `new_key` is "New key").
pub fn field_label(path: &str) -> String {
    if let Some((_, label)) = FIELD_LABELS.iter().find(|(p, _)| *p == path) {
        return (*label).to_owned();
    }
    let (key, rest) = match path.find(['.', '[']) {
        Some(i) => path.split_at(i),
        None => (path, ""),
    };
    let head = FIELD_LABELS
        .iter()
        .find(|(p, _)| *p == key)
        .map(|(_, l)| (*l).to_owned())
        .unwrap_or_else(|| {
            let words = key.replace('_', " ");
            let mut c = words.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        });
    let rest = rest.trim_start_matches('.').replace(['.', '_'], " ");
    if rest.is_empty() {
        head
    } else {
        format!("{head} {rest}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_words() {
        assert_eq!(field_label("target.value"), "Target value");
        assert_eq!(field_label("gaming_risk"), "Gaming risk");
        assert_eq!(field_label("tags[2]"), "Tags [2]");
        assert_eq!(field_label("something_new"), "Something new");
    }
}
