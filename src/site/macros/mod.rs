//! The built-in `macros.html` answered in Rust: a policy page calls `revision` for every
//! revision, `diff` for each diff, and the changelog and feeds call `when`,
//! `change_label` and `field_names` for every change; run by the template engine, those
//! calls were half of a build's rendering. Only the built-in file is answered so: a
//! handbook that overrides `macros.html` gets its own macros, run as written.
//!
//! The built-in file is served with one line added at its end, which wraps each macro in a
//! [`Fast`] object. The object writes exactly what the macro would (the words as the
//! handbook's `words.html` has them, read once per build) and hands the call to the macro
//! itself for anything it was not written for: another escaping mode, keyword arguments,
//! a value that is not a string, a number or a bool where the macro prints one, and for
//! `revision` and `diff` any value that is not the site's own revision or diff (those are
//! written from their types, in [`typed`]). Never prints.

use super::render::objects::{Item, Obj};
use super::view::{DiffView, RevisionView};
use foldhash::{HashMap, HashMapExt};
use minijinja::value::{Object, Value, ValueKind};
use minijinja::{AutoEscape, Environment, Error, State};
use std::fmt::Write;
use std::sync::Arc;

/// The macros answered here, in the order the added line wraps them.
const NAMES: [&str; 6] = [
    "change_label",
    "field_label",
    "field_names",
    "when",
    "diff",
    "revision",
];

/// `macros.html` as built in, with the line that wraps its macros.
pub fn built_in_text(original: &str) -> String {
    let mut text = original.to_owned();
    for name in NAMES {
        text.push_str(&format!(
            "{{% set {name} = _builtin_macro(\"{name}\", {name}) %}}"
        ));
    }
    text
}

/// The change kinds `change_label` names from the words table.
const CHANGES: [&str; 7] = [
    "added",
    "material",
    "editorial",
    "reviewed",
    "moved",
    "uncommitted",
    "retired",
];

/// What the words expressions of `macros.html` print, from one handbook's `words.html`.
#[derive(Debug)]
pub struct Words {
    /// `change_label` of each of [`CHANGES`].
    change: Vec<String>,
    /// `field_label` by field path, for the paths the labels table names.
    labels: HashMap<String, String>,
    first_text: String,
    every_field: String,
    what_changed: String,
    field_added: String,
    field_removed: String,
    text_diff_label: String,
    text_diff_marks: String,
    no_text_change: String,
    in_working_tree: String,
    moved_only: String,
    retired_removed: String,
    /// Unescaped: a value is put into them before escaping.
    revision_n: String,
    moved_from_to: String,
}

/// The separator of the words rendered in one go (a word is escaped, so never holds it).
const SEP: &str = "<!--normsctl-macro-word-->";

/// The expressions, as `macros.html` writes them, whose output [`Words`] keeps.
const EXPRESSIONS: [&str; 18] = [
    "words.w[\"added\"]",
    "words.w[\"material\"]",
    "words.w[\"editorial\"]",
    "words.w[\"reviewed\"]",
    "words.w[\"moved\"]",
    "words.w[\"uncommitted\"]",
    "words.w.retired",
    "words.w.first_text",
    "words.w.every_field",
    "words.w.what_changed|replace(\"{del}\", (\"<del>\"|safe ~ (words.w.struck_through|e) ~ \"</del>\"|safe))|replace(\"{ins}\", (\"<ins>\"|safe ~ (words.w.underlined|e) ~ \"</ins>\"|safe))|safe",
    "words.w.field_added",
    "words.w.field_removed",
    "words.w.text_diff_label",
    "words.w.text_diff_marks|replace(\"{del}\", (\"<del>\"|safe ~ (words.w.struck_through|e) ~ \"</del>\"|safe))|replace(\"{ins}\", (\"<ins>\"|safe ~ (words.w.underlined|e) ~ \"</ins>\"|safe))|safe",
    "words.w.no_text_change",
    "words.w.in_working_tree",
    "words.w.moved_only",
    "words.w.retired_removed",
];

impl Words {
    /// Reads the words through `env` (whose `words.html` may be the handbook's); `None`
    /// when one is missing or not what the Rust macros can print alike (then the macros
    /// run as written).
    pub fn read(env: &Environment<'static>) -> Option<Words> {
        let mut src = String::from("{%- import \"words.html\" as words -%}");
        for (i, e) in EXPRESSIONS.iter().enumerate() {
            if i > 0 {
                src.push_str(SEP);
            }
            src.push_str(&format!("{{{{ {e} }}}}"));
        }
        let out = env
            .render_named_str("normsctl-macro-words.html", &src, ())
            .ok()?;
        let parts: Vec<String> = out.split(SEP).map(str::to_owned).collect();
        if parts.len() != EXPRESSIONS.len() {
            return None;
        }
        let mut parts = parts.into_iter();
        let captured = env
            .get_template("words.html")
            .ok()?
            .render_captured(())
            .ok()?;
        let state = captured.state();
        let w = state.lookup("w")?;
        let raw =
            |key: &str| -> Option<String> { w.get_attr(key).ok()?.as_str().map(str::to_owned) };
        let table = state.lookup("field_labels").filter(Value::is_true);
        let labels = match table.or_else(|| w.get_attr("field_labels").ok()) {
            Some(t) if t.is_true() => {
                if t.kind() != ValueKind::Map {
                    return None;
                }
                let mut out = HashMap::new();
                for key in t.try_iter().ok()? {
                    let value = t.get_item(&key).ok()?;
                    out.insert(key.as_str()?.to_owned(), printed(&value)?);
                }
                out
            }
            _ => HashMap::new(),
        };
        let mut next = || parts.next().unwrap_or_default();
        Some(Words {
            change: (0..CHANGES.len()).map(|_| next()).collect(),
            labels,
            first_text: next(),
            every_field: next(),
            what_changed: next(),
            field_added: next(),
            field_removed: next(),
            text_diff_label: next(),
            text_diff_marks: next(),
            no_text_change: next(),
            in_working_tree: next(),
            moved_only: next(),
            retired_removed: next(),
            revision_n: raw("revision_n")?,
            moved_from_to: raw("moved_from_to")?,
        })
    }
}

impl Words {
    /// What `change_label(change)` prints for a string.
    pub fn change_label(&self, out: &mut String, change: &str) {
        match CHANGES.iter().position(|k| *k == change) {
            Some(i) => out.push_str(&self.change[i]),
            None => crate::render::markdown::push_escaped(out, change),
        }
    }

    /// What `field_label(f)` prints for a field of this path and built-in label.
    pub fn field_label(&self, out: &mut String, path: &str, label: &str) {
        match self.labels.get(path) {
            Some(l) => out.push_str(l),
            None => crate::render::markdown::push_escaped(out, label),
        }
    }
}

/// What `{{ value }}` prints in an HTML template, for the values printed alike here
/// (strings, safe or not, and integers); `None` for any other.
fn printed(value: &Value) -> Option<String> {
    let mut out = String::new();
    print(&mut out, value)?;
    Some(out)
}

fn print(out: &mut String, value: &Value) -> Option<()> {
    match value.kind() {
        ValueKind::String if value.is_safe() => out.push_str(value.as_str()?),
        ValueKind::String => {
            crate::render::markdown::write_escaped(out, value.as_str()?).ok()?;
        }
        ValueKind::Number => {
            let n = value.as_i64()?;
            // Floats print otherwise: leave them to the macro.
            if Value::from(n) != *value || value.to_string() != n.to_string() {
                return None;
            }
            write!(out, "{n}").ok()?;
        }
        _ => return None,
    }
    Some(())
}

/// One built-in macro, answered in Rust when it can be.
#[derive(Debug)]
pub struct Fast {
    name: &'static str,
    words: Arc<Words>,
    /// The macro itself.
    inner: Value,
}

impl Fast {
    /// `_builtin_macro(name, macro)`: the macro wrapped, or itself when the words could
    /// not be read.
    pub fn wrap(words: Option<Arc<Words>>, name: &str, inner: Value) -> Value {
        match (words, NAMES.iter().find(|n| **n == name)) {
            (Some(words), Some(name)) => Value::from_object(Fast { name, words, inner }),
            _ => inner,
        }
    }
}

impl Object for Fast {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.inner
            .get_attr(key.as_str()?)
            .ok()
            .filter(|v| !v.is_undefined())
    }

    fn call(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        if *state.auto_escape() == AutoEscape::Html
            && let [arg] = args
            && !arg.is_kwargs()
        {
            let mut out = String::new();
            let m = Macros { w: &self.words };
            let done = match self.name {
                "change_label" => m.change_label(&mut out, arg),
                "field_label" => m.field_label(&mut out, arg),
                "field_names" => m.field_names(&mut out, arg),
                "when" => m.when(&mut out, arg),
                "diff" => m.diff(&mut out, arg),
                _ => m.revision(&mut out, arg),
            };
            if done.is_some() {
                return Ok(Value::from_safe_string(out));
            }
        }
        self.inner.call(state, args)
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.inner)
    }
}

/// The macros' bodies, each writing what its template text writes (the whitespace as
/// `trim_blocks` and `lstrip_blocks` leave it).
struct Macros<'a> {
    w: &'a Words,
}

fn attr(v: &Value, key: &str) -> Option<Value> {
    v.get_attr(key).ok()
}

impl Macros<'_> {
    fn change_label(&self, out: &mut String, change: &Value) -> Option<()> {
        match change
            .as_str()
            .and_then(|c| CHANGES.iter().position(|k| *k == c))
        {
            Some(i) => out.push_str(&self.w.change[i]),
            None => print(out, change)?,
        }
        Some(())
    }

    fn field_label(&self, out: &mut String, f: &Value) -> Option<()> {
        let path = attr(f, "path")?;
        match self.w.labels.get(path.as_str()?) {
            Some(label) => out.push_str(label),
            None => print(out, &attr(f, "label")?)?,
        }
        Some(())
    }

    fn field_names(&self, out: &mut String, names: &Value) -> Option<()> {
        let items: Vec<Value> = names.try_iter().ok()?.collect();
        for (i, f) in items.iter().enumerate() {
            self.field_label(out, f)?;
            if i + 1 < items.len() {
                out.push_str(", ");
            }
        }
        Some(())
    }

    fn when(&self, out: &mut String, t: &Value) -> Option<()> {
        out.push_str("<time datetime=\"");
        print(out, &attr(t, "iso")?)?;
        out.push_str("\" title=\"");
        print(out, &attr(t, "utc")?)?;
        out.push_str("\">");
        print(out, &attr(t, "local")?)?;
        out.push_str("</time>");
        Some(())
    }

    /// `diff(d)` of the site's own diff; `None` (the macro runs) for any other value.
    fn diff(&self, out: &mut String, d: &Value) -> Option<()> {
        let d = d.downcast_object_ref::<Obj<DiffView>>()?;
        self.w.diff_of(out, &d.0)
    }

    /// `revision(r)` of the site's own revision; `None` (the macro runs) for any other
    /// value.
    fn revision(&self, out: &mut String, r: &Value) -> Option<()> {
        if let Some(item) = r.downcast_object_ref::<Item<RevisionView>>() {
            return self.w.revision_of(out, item.list.get(item.i)?);
        }
        let r = r.downcast_object_ref::<Obj<RevisionView>>()?;
        self.w.revision_of(out, &r.0)
    }
}

#[cfg(test)]
mod tests;
pub(super) mod typed;
