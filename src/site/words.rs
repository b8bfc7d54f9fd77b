//! The words a metric's rule is made of ("median at most 30 minutes, each week"), taken
//! from the site's fixed-words table (`templates/words.html`, overridable like every
//! template), so a handbook translated there reads in one language, in its pages and in
//! `llms.txt` alike. A word the table lacks (an override written for an older version)
//! falls back to the built-in English. Nothing here prints.

use crate::model::Target;
use foldhash::HashMap;

/// The table's phrase words, read once per build.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Words {
    map: HashMap<String, String>,
}

impl Words {
    /// The built-in English.
    pub fn english() -> Words {
        Words::default()
    }

    /// From the table's `w` mapping (string values only; others are ignored).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Words {
        Words {
            map: pairs.into_iter().collect(),
        }
    }

    fn get<'s>(&'s self, key: &str, english: &'s str) -> &'s str {
        self.map.get(key).map_or(english, String::as_str)
    }

    /// A target in words: `at most 60 minutes`, `at least 85%`, `between 2 and 4 tickets`.
    pub fn target(&self, target: &Target, unit: &str) -> String {
        let with_unit = |v: f64| {
            let n = number(v);
            match unit {
                "percent" | "%" => self.get("percent_value", "{n}%").replace("{n}", &n),
                "" => n,
                u => self
                    .get("unit_value", "{n} {unit}")
                    .replace("{n}", &n)
                    .replace("{unit}", u),
            }
        };
        match target {
            Target::Compare { op, value } => {
                let (key, english) = match op.as_str() {
                    "<" => ("target_lt", "less than {value}"),
                    "<=" => ("target_le", "at most {value}"),
                    ">=" => ("target_ge", "at least {value}"),
                    ">" => ("target_gt", "more than {value}"),
                    _ => ("target_eq", "exactly {value}"),
                };
                self.get(key, english)
                    .replace("{value}", &with_unit(*value))
            }
            Target::Range { min, max } => self
                .get("target_range", "between {min} and {max}")
                .replace("{min}", &number(*min))
                .replace("{max}", &with_unit(*max)),
        }
    }

    /// A statistic in words: `p90` is `90th percentile`, `mean` is `average`.
    pub fn statistic(&self, statistic: &str) -> String {
        let english = match statistic {
            "mean" => "average",
            "sum" => "total",
            "count" => "count",
            "median" => "median",
            s => {
                return match s.strip_prefix('p').and_then(|n| n.parse::<u8>().ok()) {
                    Some(n) => self
                        .get("statistic_percentile", "{n}th percentile")
                        .replace("{n}", &n.to_string()),
                    None => s.to_owned(),
                };
            }
        };
        self.get(&format!("statistic_{statistic}"), english)
            .to_owned()
    }

    /// A window in words (`week`); one the table does not name reads as itself.
    pub fn window<'s>(&'s self, window: &'s str) -> &'s str {
        self.map
            .get(&format!("window_{window}"))
            .map_or(window, String::as_str)
    }

    /// The whole rule: `median at most 30 minutes, each week`. `statistic` and `target`
    /// are in words already; `window` is the policy's value.
    pub fn rule(&self, statistic: &str, target: &str, window: &str) -> String {
        let window = self.window(window);
        let (key, english) = match (statistic.is_empty(), window.is_empty()) {
            (false, false) => ("rule_full", "{statistic} {target}, each {window}"),
            (false, true) => ("rule_no_window", "{statistic} {target}"),
            (true, false) => ("rule_no_statistic", "{target}, each {window}"),
            (true, true) => return target.to_owned(),
        };
        self.get(key, english)
            .replace("{statistic}", statistic)
            .replace("{target}", target)
            .replace("{window}", window)
    }
}

/// The built-in `words.html` evaluated once per build: a page imports it up to three times
/// (the page, `base.html`, `macros.html`), and each import built the table's two hundred
/// entries anew. A handbook that overrides `words.html` gets its own file, run as written.
#[derive(Debug)]
pub struct BuiltIn {
    /// `w`, answered from a hash table ([`Table`]).
    pub w: minijinja::Value,
    pub field_labels: minijinja::Value,
}

/// What the built-in `words.html` is served as when [`BuiltIn`] holds its values.
pub const BUILT_IN_STUB: &str = concat!(
    "{%- set w = _builtin_words(\"w\") -%}",
    "{%- set field_labels = _builtin_words(\"field_labels\") -%}",
);

impl BuiltIn {
    /// Evaluates `words.html` through `env` (configured as the build's own, serving the
    /// built-in text); `None` when it prints anything or sets other names than `w` and
    /// `field_labels` (then it is served as written).
    pub fn read(env: &minijinja::Environment<'_>) -> Option<BuiltIn> {
        let captured = env
            .get_template("words.html")
            .ok()?
            .render_captured(())
            .ok()?;
        let state = captured.state();
        let mut names = state.exports();
        names.sort_unstable();
        if !captured.output().is_empty() || names != ["field_labels", "w"] {
            return None;
        }
        let w = state.lookup("w")?;
        let field_labels = state.lookup("field_labels")?;
        Some(BuiltIn {
            w: Table::wrap(w)?,
            field_labels,
        })
    }

    /// `_builtin_words(name)`.
    pub fn get(&self, name: &str) -> minijinja::Value {
        match name {
            "w" => self.w.clone(),
            "field_labels" => self.field_labels.clone(),
            _ => minijinja::Value::UNDEFINED,
        }
    }
}

/// A map of string keys answered from a hash table: the same keys, in the same order,
/// with the same values as the map it was made from, without comparing values to find one.
#[derive(Debug)]
pub struct Table {
    keys: Vec<minijinja::Value>,
    by_key: foldhash::HashMap<String, minijinja::Value>,
}

impl Table {
    /// The map as a table; `None` when it is not a map of string keys.
    fn wrap(map: minijinja::Value) -> Option<minijinja::Value> {
        if map.kind() != minijinja::value::ValueKind::Map {
            return None;
        }
        let mut keys = Vec::new();
        let mut by_key = foldhash::HashMap::default();
        for key in map.try_iter().ok()? {
            let value = map.get_item(&key).ok()?;
            by_key.insert(key.as_str()?.to_owned(), value);
            keys.push(key);
        }
        Some(minijinja::Value::from_object(Table { keys, by_key }))
    }
}

impl minijinja::value::Object for Table {
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Map
    }
    fn get_value(self: &std::sync::Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
        self.by_key.get(key.as_str()?).cloned()
    }
    fn get_value_by_str(self: &std::sync::Arc<Self>, key: &str) -> Option<minijinja::Value> {
        self.by_key.get(key).cloned()
    }
    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Values(self.keys.clone())
    }
}

/// A number as people write it: `30`, not `30.0`.
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CompareOp;

    #[test]
    fn the_table_names_every_field_as_the_schema_does() {
        // One set of field labels: the JSON Schema's titles (model::labels) and the
        // pages' (words.html) say the same.
        let table = include_str!("../../templates/words.html");
        for (path, label) in crate::model::labels::FIELD_LABELS {
            assert!(
                table.contains(&format!("\"{path}\": \"{label}\",")),
                "words.html lacks {path}: {label}"
            );
        }
    }

    #[test]
    fn a_table_translates_the_rule_and_falls_back_to_english() {
        let fr = Words::from_pairs(
            [
                ("target_le", "au plus {value}"),
                ("statistic_median", "médiane"),
                ("window_week", "semaine"),
                ("rule_full", "{statistic} {target}, chaque {window}"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let target = Target::Compare {
            op: CompareOp::Le,
            value: 30.0,
        };
        let t = fr.target(&target, "minutes");
        assert_eq!(t, "au plus 30 minutes");
        assert_eq!(
            fr.rule(&fr.statistic("median"), &t, "week"),
            "médiane au plus 30 minutes, chaque semaine"
        );
        // Words the table lacks stay English.
        assert_eq!(fr.statistic("p90"), "90th percentile");
        assert_eq!(fr.window("month"), "month");
    }
}

/// `text` with every `from` replaced by `to`, as [`str::replace`] does it. Each feed entry
/// and revision fills a few words' placeholders, and for strings this short the standard
/// searcher's set-up was most of the cost.
pub fn replace_all(text: &str, from: &str, to: &str) -> String {
    let Some(&first) = from.as_bytes().first() else {
        return text.replace(from, to);
    };
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + to.len());
    let (mut copied, mut at) = (0, 0);
    while let Some(found) = memchr::memchr(first, &b[at..]) {
        at += found;
        if b[at..].starts_with(from.as_bytes()) {
            // `at` starts a match of a string, so it and the match's end are char boundaries.
            out.push_str(&text[copied..at]);
            out.push_str(to);
            at += from.len();
            copied = at;
        } else {
            at += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod replace_tests {
    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// The same string as `str::replace`, on texts full of near matches and non-ASCII.
        #[test]
        fn replace_all_is_str_replace(
            text in "[{}a-cé€ ]{0,30}",
            from in "[{}a-cé€]{0,4}",
            to in "[{}xé]{0,3}",
        ) {
            proptest::prop_assert_eq!(super::replace_all(&text, &from, &to), text.replace(&from, &to));
        }
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            super::replace_all("revision {rev}", "{rev}", "3"),
            "revision 3"
        );
        assert_eq!(super::replace_all("{a}{a}{", "{a}", "é"), "éé{");
        assert_eq!(super::replace_all("aaa", "aa", "b"), "ba");
    }
}
