//! Page data handed to templates as minijinja objects that answer a field when the
//! template asks for it, instead of being serialised into maps of values first: a policy
//! page's history holds every revision with its diff, and most of that a template never
//! reads (the body diff's word runs, for one). Each object shows the same fields, with the
//! same values, as serialising its type would (keys enumerate in the same sorted order).

use super::super::view::*;
use minijinja::Value;
use minijinja::value::{Enumerator, Object, ObjectRepr, Serde};
use std::sync::Arc;

/// A type whose fields templates read one by one.
pub(super) trait Shown: std::fmt::Debug + Send + Sync + 'static {
    /// The field names, sorted (as a serialised map enumerates them).
    const KEYS: &'static [&'static str];
    /// The value of one field, as serialising the type would give it.
    fn field(&self, key: &str) -> Option<Value>;
}

/// One value shown as an object.
#[derive(Debug)]
pub(in crate::site) struct Obj<T>(pub Arc<T>);

impl<T: Shown> Object for Obj<T> {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.0.field(key.as_str()?)
    }
    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.0.field(key)
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(T::KEYS)
    }
}

/// A value as an object (cloned into it).
pub(super) fn obj<T: Shown + Clone>(value: &T) -> Value {
    Value::from_object(Obj(Arc::new(value.clone())))
}

/// An optional value: the object, or none.
fn opt<T: Shown + Clone>(value: &Option<T>) -> Value {
    value.as_ref().map_or(Value::from(()), obj)
}

/// A shared list shown item by item, each item read in place.
#[derive(Debug)]
pub(super) struct List<T> {
    list: Arc<Vec<T>>,
    /// Which items, in order (all of them when `None`).
    pick: Option<Arc<[usize]>>,
}

impl<T: Shown> List<T> {
    pub(super) fn all(list: &Arc<Vec<T>>) -> Value {
        Value::from_object(List {
            list: Arc::clone(list),
            pick: None,
        })
    }

    fn len(&self) -> usize {
        self.pick.as_ref().map_or(self.list.len(), |p| p.len())
    }
}

impl<T: Shown> Object for List<T> {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let n = key.as_usize()?;
        let i = match &self.pick {
            Some(p) => *p.get(n)?,
            None => n,
        };
        (i < self.list.len()).then(|| {
            Value::from_object(Item {
                list: Arc::clone(&self.list),
                i,
            })
        })
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.len())
    }
}

/// One item of a shared list.
#[derive(Debug)]
pub(in crate::site) struct Item<T> {
    pub list: Arc<Vec<T>>,
    pub i: usize,
}

impl<T: Shown> Object for Item<T> {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.list[self.i].field(key.as_str()?)
    }
    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.list[self.i].field(key)
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(T::KEYS)
    }
}

/// A list of values, each as an object (cloned).
fn list<T: Shown + Clone>(items: &[T]) -> Value {
    Value::from(items.iter().map(obj).collect::<Vec<_>>())
}

fn s(text: &str) -> Value {
    Value::from(text)
}

fn os(text: &Option<String>) -> Value {
    Value::from(text.as_deref())
}

fn serde<T: serde::Serialize>(value: &T) -> Value {
    Value::from(Serde(value))
}

impl Shown for TimeView {
    const KEYS: &'static [&'static str] = &["date", "iso", "local", "unix", "utc"];
    fn field(&self, key: &str) -> Option<Value> {
        Some(match key {
            "date" => s(&self.date),
            "iso" => s(&self.iso),
            "local" => s(&self.local),
            "unix" => Value::from(self.unix),
            "utc" => s(&self.utc),
            _ => return None,
        })
    }
}

impl Shown for Named {
    const KEYS: &'static [&'static str] = &["id", "name"];
    fn field(&self, key: &str) -> Option<Value> {
        Some(match key {
            "id" => s(&self.id),
            "name" => s(&self.name),
            _ => return None,
        })
    }
}

impl Shown for Link {
    const KEYS: &'static [&'static str] = &["href", "id", "retired", "title"];
    fn field(&self, key: &str) -> Option<Value> {
        Some(match key {
            "href" => os(&self.href),
            "id" => s(&self.id),
            "retired" => Value::from(self.retired),
            "title" => s(&self.title),
            _ => return None,
        })
    }
}

impl Shown for FieldName {
    const KEYS: &'static [&'static str] = &["label", "path"];
    fn field(&self, key: &str) -> Option<Value> {
        Some(match key {
            "label" => s(&self.label),
            "path" => s(&self.path),
            _ => return None,
        })
    }
}

impl Shown for FieldView {
    const KEYS: &'static [&'static str] = &["label", "new", "old", "path", "words_html"];
    fn field(&self, key: &str) -> Option<Value> {
        Some(match key {
            "label" => s(&self.label),
            "new" => os(&self.new),
            "old" => os(&self.old),
            "path" => s(&self.path),
            "words_html" => os(&self.words_html),
            _ => return None,
        })
    }
}

impl Shown for ChunkView {
    const KEYS: &'static [&'static str] = &["op", "text"];
    fn field(&self, key: &str) -> Option<Value> {
        Some(match key {
            "op" => s(self.op),
            "text" => s(&self.text),
            _ => return None,
        })
    }
}

impl Shown for DiffView {
    const KEYS: &'static [&'static str] = &["added", "body", "body_html", "fields"];
    fn field(&self, key: &str) -> Option<Value> {
        Some(match key {
            "added" => Value::from(self.added),
            "body" => list(&self.body),
            "body_html" => s(&self.body_html),
            "fields" => list(&self.fields),
            _ => return None,
        })
    }
}

/// A shared diff, not copied.
fn diff(d: &Option<Arc<DiffView>>) -> Value {
    d.as_ref()
        .map_or(Value::from(()), |d| Value::from_object(Obj(Arc::clone(d))))
}

impl Shown for RevisionView {
    const KEYS: &'static [&'static str] = &[
        "anchor",
        "author",
        "change",
        "changed",
        "commit",
        "diff",
        "effective",
        "id",
        "landed",
        "old_path",
        "path",
        "revision",
        "short",
        "subject",
        "takes_effect",
    ];
    fn field(&self, key: &str) -> Option<Value> {
        Some(match key {
            "anchor" => s(&self.anchor),
            "author" => os(&self.author),
            "change" => s(self.change),
            "changed" => list(&self.changed),
            "commit" => os(&self.commit),
            "diff" => diff(&self.diff),
            "effective" => os(&self.effective),
            "id" => s(&self.id),
            "landed" => opt(&self.landed),
            "old_path" => os(&self.old_path),
            "path" => s(&self.path),
            "revision" => Value::from(self.revision),
            "short" => os(&self.short),
            "subject" => os(&self.subject),
            "takes_effect" => os(&self.takes_effect),
            _ => return None,
        })
    }
}

impl Shown for MetricCard {
    const KEYS: &'static [&'static str] = &[
        "controllable",
        "gaming_risk",
        "guardrails",
        "level",
        "measures",
        "rule",
        "source",
        "statistic",
        "statistic_words",
        "target",
        "target_data",
        "unit",
        "visibility",
        "waived",
        "window",
    ];
    fn field(&self, key: &str) -> Option<Value> {
        Some(match key {
            "controllable" => Value::from(self.controllable),
            "gaming_risk" => os(&self.gaming_risk),
            "guardrails" => list(&self.guardrails),
            "level" => s(self.level),
            "measures" => s(&self.measures),
            "rule" => s(&self.rule),
            "source" => s(&self.source),
            "statistic" => s(&self.statistic),
            "statistic_words" => s(&self.statistic_words),
            "target" => s(&self.target),
            "target_data" => serde(&self.target_data),
            "unit" => s(&self.unit),
            "visibility" => s(self.visibility),
            "waived" => serde(&self.waived),
            "window" => s(&self.window),
            _ => return None,
        })
    }
}

impl Shown for UpcomingText {
    const KEYS: &'static [&'static str] = &[
        "anchor",
        "body",
        "body_html",
        "diff",
        "effective",
        "from",
        "from_date",
        "metric",
        "revision",
        "summary",
        "title",
        "until",
    ];
    fn field(&self, key: &str) -> Option<Value> {
        Some(match key {
            "anchor" => s(&self.anchor),
            "body" => s(&self.body),
            "body_html" => s(&self.body_html),
            "diff" => diff(&self.diff),
            "effective" => os(&self.effective),
            "from" => s(&self.from),
            "from_date" => s(&self.from_date),
            "metric" => opt(&self.metric),
            "revision" => Value::from(self.revision),
            "summary" => s(&self.summary),
            "title" => s(&self.title),
            "until" => os(&self.until),
            _ => return None,
        })
    }
}

impl Shown for PolicyPage {
    const KEYS: &'static [&'static str] = &[
        "ack_due_days",
        "ack_required",
        "applies_to",
        "body",
        "body_html",
        "effective",
        "history",
        "id",
        "in_force_from",
        "in_force_since",
        "kind",
        "last_changed",
        "metric",
        "next",
        "owner",
        "path",
        "related",
        "replaced_by",
        "replaces",
        "retired",
        "revision",
        "status",
        "summary",
        "tags",
        "title",
        "uncommitted",
        "upcoming",
    ];
    fn field(&self, key: &str) -> Option<Value> {
        Some(match key {
            "ack_due_days" => Value::from(self.ack_due_days),
            "ack_required" => Value::from(self.ack_required),
            "applies_to" => list(&self.applies_to),
            "body" => s(&self.body),
            "body_html" => s(&self.body_html),
            "effective" => os(&self.effective),
            "history" => List::all(&self.history),
            "id" => s(&self.id),
            "in_force_from" => os(&self.in_force_from),
            "in_force_since" => os(&self.in_force_since),
            "kind" => s(self.kind),
            "last_changed" => opt(&self.last_changed),
            "metric" => opt(&self.metric),
            "next" => list(&self.next),
            "owner" => opt(&self.owner),
            "path" => s(&self.path),
            "related" => list(&self.related),
            "replaced_by" => list(&self.replaced_by),
            "replaces" => list(&self.replaces),
            "retired" => opt(&self.retired),
            "revision" => Value::from(self.revision),
            "status" => s(self.status),
            "summary" => s(&self.summary),
            "tags" => serde(&self.tags),
            "title" => s(&self.title),
            "uncommitted" => Value::from(self.uncommitted),
            "upcoming" => Value::from(self.upcoming),
            _ => return None,
        })
    }
}

/// One change of the changelog.
#[derive(Debug)]
pub(in crate::site) struct Listed {
    pub list: Arc<ChangeList>,
    pub i: usize,
}

/// A change of the changelog as a list of changes shows it: the revision's fields, the
/// policy's title, the change in words and, in feeds, the entry's id.
#[derive(Debug)]
pub(super) struct Change {
    pub item: Listed,
    pub title: String,
    pub label: &'static str,
    pub uid: Option<String>,
}

/// [`RevisionView::KEYS`] with `label` and `title`, sorted.
const CHANGE_KEYS: &[&str] = &[
    "anchor",
    "author",
    "change",
    "changed",
    "commit",
    "diff",
    "effective",
    "id",
    "label",
    "landed",
    "old_path",
    "path",
    "revision",
    "short",
    "subject",
    "takes_effect",
    "title",
];

/// The same with `uid`.
const FEED_KEYS: &[&str] = &[
    "anchor",
    "author",
    "change",
    "changed",
    "commit",
    "diff",
    "effective",
    "id",
    "label",
    "landed",
    "old_path",
    "path",
    "revision",
    "short",
    "subject",
    "takes_effect",
    "title",
    "uid",
];

impl Object for Change {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.get_value_by_str(key.as_str()?)
    }
    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        match key {
            "title" => Some(s(&self.title)),
            "label" => Some(s(self.label)),
            "uid" if self.uid.is_some() => Some(os(&self.uid)),
            // The changelog shows changes without their diffs.
            "diff" => Some(Value::from(())),
            _ => self.item.list[self.item.i].field(key),
        }
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(if self.uid.is_some() {
            FEED_KEYS
        } else {
            CHANGE_KEYS
        })
    }
}

#[cfg(test)]
mod tests;
