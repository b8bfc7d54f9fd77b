//! Which editorial changes are reviews: a commit that changed nothing in a policy but its
//! `reviewed` date (the owner read it again and changed nothing). `log` and the site show
//! them as reviews, never as changes to acknowledge.

use super::{Change, Revision};
use git2::{Oid, Repository};
use std::collections::{HashMap, HashSet};

/// Whether `after` differs from `before` in the `reviewed` date only.
pub fn only_reviewed(before: &str, after: &str) -> bool {
    // Cheap first: a text without the key cannot be a review.
    if !after.contains("reviewed") {
        return false;
    }
    let changes = crate::diff::compare(before, after);
    changes.body.is_none()
        && !changes.fields.is_empty()
        && changes.fields.iter().all(|f| f.key() == "reviewed")
}

/// The `(commit, policy id)` of every revision in `revisions` (newest first, as walked)
/// that only changed `reviewed`. Blobs that cannot be read count as changes.
pub fn reviews(repo: &Repository, revisions: &[Revision]) -> HashSet<(Oid, String)> {
    let mut last: HashMap<&str, Oid> = HashMap::new();
    let mut out = HashSet::new();
    let text = |blob: Oid| -> Option<String> {
        let blob = repo.find_blob(blob).ok()?;
        Some(String::from_utf8_lossy(blob.content()).into_owned())
    };
    for r in revisions.iter().rev() {
        if r.change == Change::Editorial
            && let Some(before) = last.get(r.id.as_str())
            && let Some(b) = text(r.blob)
            && b.contains("reviewed")
            && let Some(a) = text(*before)
            && only_reviewed(&a, &b)
        {
            out.insert((r.commit, r.id.clone()));
        }
        if r.change == Change::Retired {
            last.remove(r.id.as_str());
        } else {
            last.insert(&r.id, r.blob);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_changed_reviewed_date_is_a_review() {
        let a = "id: a\nrevision: 1\nreviewed: 2025-01-01\nbody: x\n";
        assert!(super::only_reviewed(
            a,
            &a.replace("2025-01-01", "2026-01-01")
        ));
        assert!(super::only_reviewed(
            "id: a\nrevision: 1\n",
            "id: a\nrevision: 1\nreviewed: 2026-01-01\n"
        ));
        assert!(!super::only_reviewed(
            a,
            &a.replace("2025-01-01", "2026-01-01").replace("x", "y")
        ));
        assert!(!super::only_reviewed(a, a));
    }
}
