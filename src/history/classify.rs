//! How a first-parent commit's changes become revisions: which paths are policy files, a
//! file's stem as its id, adds/removes/moves paired by id, and material or editorial by the
//! declared `revision` of the texts on either side.

use super::*;

/// The commits a merge brings in (reachable from its other parents, not its first), newest
/// first; empty for an ordinary commit.
pub(super) fn merged_side<'r>(
    repo: &'r Repository,
    commit: &git2::Commit<'r>,
) -> Result<Vec<git2::Commit<'r>>, git2::Error> {
    if commit.parent_count() < 2 {
        return Ok(Vec::new());
    }
    let mut walk = repo.revwalk()?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)?;
    for parent in commit.parent_ids().skip(1) {
        walk.push(parent)?;
    }
    walk.hide(commit.parent_id(0)?)?;
    walk.map(|oid| repo.find_commit(oid?)).collect()
}

/// Whether `commit` changed the file at `path` (or at `old_path`) against its first parent.
pub(super) fn touches(commit: &git2::Commit, path: &str, old_path: Option<&str>) -> bool {
    let blob_at = |c: &git2::Commit, p: &str| {
        c.tree()
            .ok()
            .and_then(|t| t.get_path(std::path::Path::new(p)).ok())
            .map(|e| e.id())
    };
    let parent = commit.parent(0).ok();
    [Some(path), old_path].into_iter().flatten().any(|p| {
        let before = parent.as_ref().and_then(|c| blob_at(c, p));
        before != blob_at(commit, p)
    })
}

/// Which tree entries the history follows: folders and policy files, nothing hidden.
pub(super) fn policy_entry(name: &str, is_tree: bool) -> bool {
    !name.starts_with('.') && (is_tree || is_policy_file(name))
}

/// Whether a tree entry's name is a policy file (`.yaml`/`.yml`, not hidden).
pub(crate) fn is_policy_file(name: &str) -> bool {
    !name.starts_with('.') && (name.ends_with(".yaml") || name.ends_with(".yml"))
}

/// A policy's id as its file names it: the file name without its extension.
pub fn stem(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.rsplit_once('.').map_or(file, |(s, _)| s).to_owned()
}

/// One id's files in one commit: removed (path, blob), added (path, blob), edited in place
/// (path, old blob, new blob).
pub(super) type IdChanges = (
    Vec<(String, Oid)>,
    Vec<(String, Oid)>,
    Vec<(String, Oid, Oid)>,
);

/// One classified change: id, what it did, path, old path, blob, and whether it is a
/// review (an editorial change of the `reviewed:` line only).
pub(super) type Classified = (String, Change, String, Option<String>, Oid, bool);

/// Groups one commit's file changes by policy id and names each change.
/// `facts` tells what a blob says.
pub(super) fn classify(
    changes: Vec<FileChange>,
    facts: &mut dyn FnMut(Oid) -> TextFacts,
) -> Vec<Classified> {
    let mut by_id: BTreeMap<String, IdChanges> = BTreeMap::new();
    for (path, old, new) in changes {
        let slot = by_id.entry(stem(&path)).or_default();
        match (old, new) {
            (Some(o), None) => slot.0.push((path, o)),
            (None, Some(n)) => slot.1.push((path, n)),
            (Some(o), Some(n)) => slot.2.push((path, o, n)),
            (None, None) => {}
        }
    }
    let mut out = Vec::new();
    for (id, (removed, added, modified)) in by_id {
        for (path, old, new) in modified {
            let (kind, review) = edit_kind(facts, old, new);
            out.push((id.clone(), kind, path, None, new, review));
        }
        let mut removed = removed.into_iter();
        for (path, new) in added {
            match removed.next() {
                Some((old_path, old)) if old == new => {
                    out.push((id.clone(), Change::Moved, path, Some(old_path), new, false))
                }
                Some((old_path, old)) => {
                    let (kind, review) = edit_kind(facts, old, new);
                    out.push((id.clone(), kind, path, Some(old_path), new, review))
                }
                None => out.push((id.clone(), Change::Added, path, None, new, false)),
            }
        }
        for (path, old) in removed {
            out.push((id.clone(), Change::Retired, path, None, old, false));
        }
    }
    out
}

/// Material or editorial, and whether an editorial change is a review (only the
/// `reviewed:` line changed: see [`TextFacts::review_of`]).
pub(super) fn edit_kind(
    facts: &mut dyn FnMut(Oid) -> TextFacts,
    old: Oid,
    new: Oid,
) -> (Change, bool) {
    let (a, b) = (facts(old), facts(new));
    match (a.revision, b.revision) {
        (Some(x), Some(y)) if y > x => (Change::Material, false),
        _ => (Change::Editorial, a.review_of(&b)),
    }
}

/// What the walk keeps of a policy text: its declared revision, and digests of its
/// top-level `reviewed:` line and of the rest, to tell a review from a change without
/// reading the text again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct TextFacts {
    pub(super) revision: Option<u32>,
    rest: u64,
    /// 0: no `reviewed:` line.
    reviewed: u64,
}

impl TextFacts {
    pub(super) fn of(text: &str) -> TextFacts {
        use std::hash::BuildHasher;
        use std::hash::{Hash, Hasher};
        // Digests compared within one run only: a fixed fast hasher (SipHash was a fifth of
        // the blob readers' time).
        let state = foldhash::fast::FixedState::with_seed(19);
        let (mut rest, mut reviewed) = (state.build_hasher(), state.build_hasher());
        let mut any = false;
        // The plain `revision: N` line is found in the same pass (see [`revision_of`]).
        let mut revision_lines = 0;
        let mut revision = None;
        for line in lines(text) {
            if let Some(value) = line.strip_prefix("revision:") {
                revision_lines += 1;
                revision = plain_revision(value);
            }
            if line.starts_with("reviewed:") {
                any = true;
                line.trim_end().hash(&mut reviewed);
            } else {
                line.trim_end_matches('\r').hash(&mut rest);
            }
        }
        TextFacts {
            revision: match (revision_lines, revision) {
                (1, Some(n)) => Some(n),
                _ => revision_of(text),
            },
            rest: rest.finish(),
            reviewed: if any { reviewed.finish() | 1 } else { 0 },
        }
    }

    /// Whether going from `self` to `new` changed the `reviewed:` line and nothing else
    /// (see [`super::review::only_reviewed`], the same test on texts).
    pub(super) fn review_of(&self, new: &TextFacts) -> bool {
        new.reviewed != 0 && new.reviewed != self.reviewed && new.rest == self.rest
    }
}

/// The lines of `text` as [`str::lines`] gives them (a `\r` before the `\n` dropped, no
/// empty line after a final `\n`), found with memchr: `str::lines` searches for each line
/// end anew, a fifth of the blob readers' time.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain([text.len()]);
    let mut start = 0;
    ends.filter_map(move |end| {
        if start >= text.len() {
            return None;
        }
        let line = &text[start..end];
        start = end + 1;
        match end < text.len() {
            true => Some(line.strip_suffix('\r').unwrap_or(line)),
            false => Some(line),
        }
    })
}

/// What each blob says (see [`TextFacts`]): each blob is read once per walk (the new text
/// of one change is the old text of the next).
#[derive(Default)]
pub(super) struct Declared(pub(super) super::ids::IdMap<Oid, TextFacts>);

impl Declared {
    pub(super) fn facts(&mut self, repo: &Repository, blob: Oid) -> TextFacts {
        *self.0.entry(blob).or_insert_with(|| text_facts(repo, blob))
    }
}

/// The facts of a policy blob (all empty when it cannot be read).
pub(super) fn text_facts(repo: &Repository, blob: Oid) -> TextFacts {
    repo.find_blob(blob)
        .ok()
        .and_then(|b| std::str::from_utf8(b.content()).ok().map(TextFacts::of))
        .unwrap_or_default()
}

/// The `revision` a policy blob declares, if it can be read.
pub fn declared_revision(repo: &Repository, blob: Oid) -> Option<u32> {
    let blob = repo.find_blob(blob).ok()?;
    let text = std::str::from_utf8(blob.content()).ok()?;
    revision_of(text)
}

/// The number after `revision:` on a plain line (a comment after ` #` allowed).
fn plain_revision(value: &str) -> Option<u32> {
    let value = value.split(" #").next().unwrap_or_default().trim();
    value.parse::<u32>().ok()
}

/// The `revision` a policy text declares. A block-style `revision: N` line at the top level
/// is read directly; anything else goes through the YAML parser.
pub fn revision_of(text: &str) -> Option<u32> {
    let mut candidates = text.lines().filter_map(|l| l.strip_prefix("revision:"));
    if let (Some(value), None) = (candidates.next(), candidates.next())
        && let Some(n) = plain_revision(value)
    {
        return Some(n);
    }
    let node = crate::yaml::parse(text).ok()??;
    let crate::yaml::Value::Map(entries) = node.value else {
        return None;
    };
    entries
        .iter()
        .find_map(|(k, v)| match (&k.value, &v.value) {
            (crate::yaml::Value::Str(k), crate::yaml::Value::Int(i)) if k == "revision" => {
                u32::try_from(*i).ok()
            }
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_are_str_lines() {
        for text in [
            "",
            "a",
            "a\n",
            "a\n\n",
            "\n",
            "\n\n",
            "a\r\nb\r\n",
            "a\r",
            "a\r\r\n",
            "\r\n",
            "a\nb",
            "revision: 2\r\nbody: |\n  x\n\n  y\r",
            "ü\nñ\r\n",
        ] {
            let ours: Vec<&str> = super::lines(text).collect();
            assert_eq!(ours, text.lines().collect::<Vec<_>>(), "{text:?}");
        }
    }
}
