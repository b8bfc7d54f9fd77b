//! What changed between two states of the handbook: policies added, retired, moved and
//! changed, each changed one with its field and body diff.

use super::Change;
use super::snapshot::{PolicyFile, Snapshot};
use crate::diff::{PolicyDiff, compare};

/// One policy that differs between the two states.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub id: String,
    /// Added, retired, moved (same text elsewhere), material (revision rose) or editorial.
    pub change: Change,
    /// The file in the newer state (the older one's, for a retirement).
    pub path: String,
    /// Where the file was, when it moved.
    pub old_path: Option<String>,
    pub old_revision: Option<u32>,
    pub revision: Option<u32>,
    pub diff: PolicyDiff,
}

/// Every policy that differs between `old` and `new`, by id.
pub fn compare_handbooks(old: &Snapshot, new: &Snapshot) -> Vec<Entry> {
    let mut out = Vec::new();
    let ids: std::collections::BTreeSet<&String> =
        old.policies.keys().chain(new.policies.keys()).collect();
    for id in ids {
        let (a, b) = (old.get(id), new.get(id));
        let entry = match (a, b) {
            (None, Some(b)) => added_or_retired(b, Change::Added),
            (Some(a), None) => added_or_retired(a, Change::Retired),
            (Some(a), Some(b)) if a.text == b.text && a.path == b.path => continue,
            (Some(a), Some(b)) => {
                let (was, now) = (revision(a), revision(b));
                let diff = compare(&a.text, &b.text);
                let change = if diff.is_empty() {
                    Change::Moved
                } else if matches!((was, now), (Some(x), Some(y)) if y > x) {
                    Change::Material
                } else {
                    Change::Editorial
                };
                Entry {
                    id: id.clone(),
                    change,
                    path: b.path.clone(),
                    old_path: (a.path != b.path).then(|| a.path.clone()),
                    old_revision: was,
                    revision: now,
                    diff,
                }
            }
            (None, None) => continue,
        };
        out.push(entry);
    }
    out
}

/// An added or retired policy: its whole text is the change, so no field diff.
fn added_or_retired(file: &PolicyFile, change: Change) -> Entry {
    let r = revision(file);
    let (old_revision, revision) = match change {
        Change::Retired => (r, None),
        _ => (None, r),
    };
    Entry {
        id: file.id.clone(),
        change,
        path: file.path.clone(),
        old_path: None,
        old_revision,
        revision,
        diff: PolicyDiff::default(),
    }
}

fn revision(file: &PolicyFile) -> Option<u32> {
    crate::history::revision_of(&file.text)
}
