//! The committed history as the site shows it: every revision from one walk
//! ([`crate::history::walk`]), the text of each, and each revision's diff from the one
//! before, computed once on every core and kept while HEAD stays (so `serve` pays for it
//! once). Reads git; never prints.

use super::view::{ChunkView, DiffView, FieldView};
use crate::diff;
use crate::history::{self, Change, HistoryError, Revision};
use git2::{Oid, Repository};
use std::collections::HashMap;
use std::sync::Arc;

/// Everything the site needs from git, for one HEAD.
#[derive(Debug, Default)]
pub struct Timeline {
    /// The commit the history ends at (`None` outside git or before the first commit).
    pub head: Option<Oid>,
    /// Every policy change, newest first.
    pub revisions: Vec<Revision>,
    /// Policy file texts by blob, for the revisions above.
    texts: HashMap<Oid, Arc<str>>,
    /// Diffs by (text before, text after); `None` before means "from nothing".
    diffs: HashMap<(Option<Oid>, Oid), Arc<DiffView>>,
}

impl Timeline {
    /// No history at all (a handbook outside git, or a repository without commits).
    pub fn empty() -> Timeline {
        Timeline::default()
    }

    /// Walks the first-parent line ending at `head` and computes every revision's diff.
    pub fn read(
        repo: &Repository,
        head: Oid,
        policies_dir: &str,
    ) -> Result<Timeline, HistoryError> {
        let revisions = history::walk(repo, head, policies_dir)?;
        let mut texts: HashMap<Oid, Arc<str>> = HashMap::new();
        for r in &revisions {
            if let std::collections::hash_map::Entry::Vacant(slot) = texts.entry(r.blob) {
                let blob = repo.find_blob(r.blob)?;
                slot.insert(Arc::from(String::from_utf8_lossy(blob.content()).as_ref()));
            }
        }
        let pairs = diff_pairs(&revisions);
        let diffs = compute_diffs(&pairs, &texts);
        Ok(Timeline {
            head: Some(head),
            revisions,
            texts,
            diffs,
        })
    }

    /// The committed text of a blob the history points at.
    pub fn text(&self, blob: Oid) -> Option<&Arc<str>> {
        self.texts.get(&blob)
    }

    /// The diff a revision brought, when it changed the text (additions count as a diff
    /// from nothing; moves and retirements have none).
    pub fn diff_of(&self, before: Option<Oid>, after: Oid) -> Option<&Arc<DiffView>> {
        self.diffs.get(&(before, after))
    }

    /// For each revision (by index in `revisions`), the blob of the same policy's revision
    /// before it, if any.
    pub fn previous_blobs(&self) -> Vec<Option<Oid>> {
        previous_blobs(&self.revisions)
    }
}

fn previous_blobs(revisions: &[Revision]) -> Vec<Option<Oid>> {
    let mut last: HashMap<&str, Oid> = HashMap::new();
    let mut out = vec![None; revisions.len()];
    for (i, r) in revisions.iter().enumerate().rev() {
        out[i] = last.get(r.id.as_str()).copied();
        if r.change == Change::Retired {
            last.remove(r.id.as_str());
        } else {
            last.insert(&r.id, r.blob);
        }
    }
    out
}

/// The (before, after) text pairs whose diffs the site shows.
fn diff_pairs(revisions: &[Revision]) -> Vec<(Option<Oid>, Oid)> {
    let previous = previous_blobs(revisions);
    let mut pairs: Vec<(Option<Oid>, Oid)> = revisions
        .iter()
        .zip(previous)
        .filter_map(|(r, before)| match r.change {
            Change::Added => Some((None, r.blob)),
            Change::Material | Change::Editorial if before != Some(r.blob) => {
                Some((before, r.blob))
            }
            _ => None,
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

/// Diffs every pair on every core.
fn compute_diffs(
    pairs: &[(Option<Oid>, Oid)],
    texts: &HashMap<Oid, Arc<str>>,
) -> HashMap<(Option<Oid>, Oid), Arc<DiffView>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = pairs.len().div_ceil(threads).max(32);
    let text =
        |blob: Option<Oid>| -> &str { blob.and_then(|b| texts.get(&b)).map_or("", |t| t.as_ref()) };
    std::thread::scope(|scope| {
        let handles: Vec<_> = pairs
            .chunks(chunk.max(1))
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|&(before, after)| {
                            let view = diff_view(&diff::compare(text(before), text(Some(after))));
                            ((before, after), Arc::new(view))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("diff thread panicked"))
            .collect()
    })
}

/// A diff as the pages show it: field values as a reader reads them, body as word runs.
pub fn diff_view(d: &diff::PolicyDiff) -> DiffView {
    DiffView {
        fields: d
            .fields
            .iter()
            .map(|f| FieldView {
                path: f.path.clone(),
                old: f.old.as_ref().map(|v| diff::display(Some(v))),
                new: f.new.as_ref().map(|v| diff::display(Some(v))),
            })
            .collect(),
        body: d
            .body
            .as_ref()
            .map(|chunks| {
                chunks
                    .iter()
                    .map(|c| ChunkView {
                        op: c.op.as_str(),
                        text: c.text.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}
