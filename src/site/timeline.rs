//! The committed history as the site shows it: every revision from one walk
//! ([`crate::history::walk`]), the text of each, and each revision's diff from the one
//! before, computed once on every core and kept while HEAD stays (so `serve` pays for it
//! once). Reads git; never prints.

use super::readable;
use super::view::{ChunkView, DiffView, FieldView};
use crate::diff;
use crate::history::ids::{self, IdMap};
use crate::history::{self, Change, HistoryError, Revision};
use foldhash::{HashMap, HashMapExt};
use git2::{Oid, Repository};
use std::sync::{Arc, Mutex};

/// Everything the site needs from git, for one HEAD.
#[derive(Debug, Default)]
pub struct Timeline {
    /// The commit the history ends at (`None` outside git or before the first commit).
    pub head: Option<Oid>,
    /// Every policy change, newest first.
    pub revisions: Vec<Revision>,
    /// Policy file texts by blob, for the revisions above.
    texts: IdMap<Oid, Arc<str>>,
    /// Where texts not in `texts` are read from when first asked (a history read without
    /// diffs reads no text before it is needed).
    lazy: Option<LazyTexts>,
    /// Diffs by (text before, text after); `None` before means "from nothing".
    diffs: IdMap<(Option<Oid>, Oid), Arc<DiffView>>,
    /// The `effective` date each diffed text declares, read when it was parsed for its
    /// diff (so the pages need not parse it again).
    effective: IdMap<Oid, Option<jiff::civil::Date>>,
    /// The pull request's title of each forge merge ("Merge pull request #12 from …"):
    /// the first line of the merge's body.
    titles: IdMap<Oid, String>,
}

/// Texts read from the repository when first asked, and kept.
struct LazyTexts {
    repo: Mutex<Repository>,
    read: Mutex<IdMap<Oid, Arc<str>>>,
}

impl std::fmt::Debug for LazyTexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyTexts").finish_non_exhaustive()
    }
}

impl LazyTexts {
    fn get(&self, blob: Oid) -> Option<Arc<str>> {
        if let Some(t) = self.read.lock().ok()?.get(&blob) {
            return Some(Arc::clone(t));
        }
        let text: Arc<str> = {
            let repo = self.repo.lock().ok()?;
            let b = repo.find_blob(blob).ok()?;
            Arc::from(String::from_utf8_lossy(b.content()).as_ref())
        };
        self.read.lock().ok()?.insert(blob, Arc::clone(&text));
        Some(text)
    }
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
        // The walk inflates every blob it meets (for the declared revision) and keeps the
        // texts: each is read from the pack once.
        let (revisions, mut texts) = history::walk_with_texts(repo, head, policies_dir)?;
        for r in &revisions {
            if let std::collections::hash_map::Entry::Vacant(slot) = texts.entry(r.blob) {
                let blob = repo.find_blob(r.blob)?;
                slot.insert(Arc::from(String::from_utf8_lossy(blob.content()).as_ref()));
            }
        }
        let (diffs, effective) = compute_diffs(&revisions, &texts);
        let mut titles = IdMap::default();
        for r in &revisions {
            if is_forge_merge(&r.subject) && !titles.contains_key(&r.commit) {
                let commit = repo.find_commit(r.commit)?;
                if let Some(title) = merge_title(commit.message().unwrap_or("")) {
                    titles.insert(r.commit, title);
                }
            }
        }
        Ok(Timeline {
            head: Some(head),
            revisions,
            texts,
            lazy: None,
            diffs,
            effective,
            titles,
        })
    }

    /// The same history without the revisions' diffs, its walk answered from the history
    /// cache: for `mcp`, which diffs the few texts a question needs, when it is asked.
    pub fn read_without_diffs(
        repo: &Repository,
        head: Oid,
        policies_dir: &str,
    ) -> Result<Timeline, HistoryError> {
        let revisions = history::cache::walk(repo, head, policies_dir)?.revisions;
        let mut titles = IdMap::default();
        for r in &revisions {
            if is_forge_merge(&r.subject) && !titles.contains_key(&r.commit) {
                let commit = repo.find_commit(r.commit)?;
                if let Some(title) = merge_title(commit.message().unwrap_or("")) {
                    titles.insert(r.commit, title);
                }
            }
        }
        let lazy = LazyTexts {
            repo: Mutex::new(Repository::open(repo.path())?),
            read: Mutex::default(),
        };
        let effective = effective_dates(repo.path(), policies_dir, &revisions, &lazy);
        Ok(Timeline {
            head: Some(head),
            revisions,
            texts: IdMap::default(),
            lazy: Some(lazy),
            diffs: IdMap::default(),
            effective,
            titles,
        })
    }

    /// What a reader calls the change a commit brought: a forge merge's pull-request title,
    /// else the commit's subject.
    pub fn title_of<'a>(&'a self, r: &'a Revision) -> &'a str {
        self.titles
            .get(&r.commit)
            .map_or(r.subject.as_str(), String::as_str)
    }

    /// The committed text of a blob the history points at.
    pub fn text(&self, blob: Oid) -> Option<Arc<str>> {
        match self.texts.get(&blob) {
            Some(t) => Some(Arc::clone(t)),
            None => self.lazy.as_ref()?.get(blob),
        }
    }

    /// The `effective` date the text `blob` declares, when it was read for a diff
    /// (`None`: not known here; `Some(None)`: it declares none).
    pub fn effective_of(&self, blob: Oid) -> Option<Option<jiff::civil::Date>> {
        self.effective.get(&blob).copied()
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

/// The `effective` dates of the texts a history without diffs holds (a text is no longer
/// parsed for its diff, so the date is read on its own), kept between runs in
/// `<git dir>/normsctl/effective-<hash of dir>.json`. A blob id names its text, so an entry
/// can never go stale; the file is keyed by the tool's version (the reading may change
/// between versions) and holds only the blobs of the last history read. Texts the file
/// lacks are parsed on every core.
fn effective_dates(
    git_dir: &std::path::Path,
    policies_dir: &str,
    revisions: &[Revision],
    texts: &LazyTexts,
) -> IdMap<Oid, Option<jiff::civil::Date>> {
    use rayon::prelude::*;
    #[derive(serde::Serialize, serde::Deserialize)]
    struct File {
        tool: String,
        /// Blob id to the date it declares (`None`: none, or not a date).
        dates: HashMap<String, Option<String>>,
    }
    let file = crate::cache::path(git_dir, "effective", policies_dir.trim_end_matches('/'));
    // `NORMSCTL_CACHE=0`: neither read nor written, as the history cache.
    let use_cache = crate::cache::enabled();
    let mut kept = use_cache
        .then(|| crate::cache::read::<File>(&file))
        .flatten()
        .filter(|f| f.tool == crate::VERSION)
        .map(|f| f.dates)
        .unwrap_or_default();
    let mut out = ids::with_capacity(kept.len());
    let mut missing = Vec::new();
    for r in revisions {
        if out.contains_key(&r.blob) {
            continue;
        }
        match kept.remove(&r.blob.to_string()) {
            Some(date) => {
                out.insert(r.blob, date.and_then(|d| d.parse().ok()));
            }
            None => {
                if let Some(text) = texts.get(r.blob) {
                    out.insert(r.blob, None);
                    missing.push((r.blob, text));
                }
            }
        }
    }
    let stale = !kept.is_empty();
    let new = !missing.is_empty();
    out.par_extend(missing.into_par_iter().map(|(blob, text)| {
        let date: Option<jiff::civil::Date> =
            diff::Fields::of(&text).text("effective").parse().ok();
        (blob, date)
    }));
    if use_cache && (new || stale) {
        let dates = out
            .iter()
            .map(|(b, d)| (b.to_string(), d.map(|d| d.to_string())))
            .collect();
        crate::cache::write(
            &file,
            &File {
                tool: crate::VERSION.to_owned(),
                dates,
            },
        );
    }
    out
}

/// The subjects forges give the merge of a pull request (GitHub, Gitea, Bitbucket) or a
/// merge request (GitLab).
fn is_forge_merge(subject: &str) -> bool {
    subject.starts_with("Merge pull request ")
        || subject.starts_with("Merged in ")
        || (subject.starts_with("Merge branch '") && subject.contains("' into '"))
}

/// The first non-empty line of a commit message's body, if any.
fn merge_title(message: &str) -> Option<String> {
    let mut lines = message.lines();
    lines.next();
    lines
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
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

/// Each policy's chain of texts, oldest first: the (before, after) pairs whose diffs the
/// site shows, grouped by policy so each text is parsed once.
fn chains(revisions: &[Revision]) -> Vec<Vec<(Option<Oid>, Oid)>> {
    let previous = previous_blobs(revisions);
    let mut by_id: HashMap<&str, Vec<(Option<Oid>, Oid)>> = HashMap::new();
    for (r, before) in revisions.iter().zip(previous).rev() {
        let pair = match r.change {
            Change::Added => (None, r.blob),
            Change::Material | Change::Editorial if before != Some(r.blob) => (before, r.blob),
            _ => continue,
        };
        by_id.entry(&r.id).or_default().push(pair);
    }
    let mut out: Vec<_> = by_id.into_values().collect();
    // Longest chains first, so the threads finish together.
    out.sort_by_key(|c| std::cmp::Reverse(c.len()));
    out
}

/// A diff by (text before, text after).
type Diffs = IdMap<Pair, Arc<DiffView>>;

/// Text before (`None`: nothing), text after.
type Pair = (Option<Oid>, Oid);

/// The `effective` date of each text parsed for a diff.
type Effective = IdMap<Oid, Option<jiff::civil::Date>>;

/// Diffs every policy's chain of texts, on every core; also the `effective` date each text
/// declares, read from the same parse.
fn compute_diffs(revisions: &[Revision], texts: &IdMap<Oid, Arc<str>>) -> (Diffs, Effective) {
    use rayon::prelude::*;
    let chains = chains(revisions);
    let text = |blob: Oid| texts.get(&blob).map_or("", |t| t.as_ref());
    type Part = (
        Vec<(Pair, Arc<DiffView>)>,
        Vec<(Oid, Option<jiff::civil::Date>)>,
    );
    let parts: Vec<Part> = chains
        .par_iter()
        .map(|chain| {
            let mut out = Vec::new();
            let mut dates = Vec::new();
            diff_chain(chain, text, &mut out, &mut dates);
            (out, dates)
        })
        .collect();
    let mut diffs = ids::with_capacity(parts.iter().map(|(d, _)| d.len()).sum());
    let mut effective = ids::with_capacity(parts.iter().map(|(_, e)| e.len()).sum());
    for (out, dates) in parts {
        diffs.extend(out);
        effective.extend(dates);
    }
    (diffs, effective)
}

/// The diffs of one policy's chain of texts. Each text is parsed once, and its body cut
/// into lines at most once, though it is the "after" of one diff and the "before" of the
/// next; a body that did not change is not cut at all.
#[inline(never)] // a name of its own in profiles, on every thread
fn diff_chain<'t>(
    chain: &[(Option<Oid>, Oid)],
    text: impl Fn(Oid) -> &'t str,
    out: &mut Vec<(Pair, Arc<DiffView>)>,
    dates: &mut Vec<(Oid, Option<jiff::civil::Date>)>,
) {
    let mut index: IdMap<Oid, usize> = IdMap::default();
    let mut fields: Vec<diff::FieldParts> = Vec::new();
    // Consecutive texts share most top-level entries: each distinct entry is parsed once.
    let mut parsed = diff::EntryCache::default();
    for &(before, after) in chain {
        for blob in before.into_iter().chain([after]) {
            index.entry(blob).or_insert_with(|| {
                let f = parsed.parts(text(blob));
                dates.push((blob, f.text("effective").parse().ok()));
                fields.push(f);
                fields.len() - 1
            });
        }
    }
    let empty = diff::FieldParts::default();
    let mut vocabulary = diff::Vocabulary::default();
    let mut lines: Vec<Option<diff::Lines>> = (0..fields.len()).map(|_| None).collect();
    for &(before, after) in chain {
        let (i, j) = (before.map(|b| index[&b]), index[&after]);
        let old = i.map_or(&empty, |i| &fields[i]);
        let d = diff::compare_parts_with(old, &fields[j], |_, _| {
            for k in i.into_iter().chain([j]) {
                if lines[k].is_none() {
                    lines[k] = Some(vocabulary.lines(fields[k].text("body")));
                }
            }
            let none = diff::Lines::default();
            let a = i.and_then(|i| lines[i].as_ref()).unwrap_or(&none);
            diff::diff_lines(a, lines[j].as_ref().unwrap_or(&none))
        });
        out.push(((before, after), Arc::new(diff_view(&d))));
    }
}

/// A diff as the pages show it: field labels in words, values as a reader reads them with
/// a word diff, the body as word runs and as rendered text with marks.
pub fn diff_view(d: &diff::PolicyDiff) -> DiffView {
    // Every text has an id: a diff that brings one in starts from nothing.
    let added = d.fields.iter().any(|f| f.path == "id" && f.old.is_none());
    DiffView {
        fields: d
            .fields
            .iter()
            .map(|f| {
                let old = f.old.as_ref().map(|v| diff::display(Some(v)));
                let new = f.new.as_ref().map(|v| diff::display(Some(v)));
                FieldView {
                    path: f.path.clone(),
                    label: crate::model::labels::field_label(&f.path),
                    words_html: match (&old, &new) {
                        (Some(o), Some(n)) => Some(readable::words_html(o, n)),
                        _ => None,
                    },
                    old,
                    new,
                }
            })
            .collect(),
        body: d.body.as_deref().map(elide).unwrap_or_default(),
        body_html: match &d.body {
            Some(chunks) if added => {
                let text: String = chunks.iter().map(|c| c.text.as_str()).collect();
                super::markdown::to_html(&text)
            }
            Some(chunks) => readable::body_html(chunks),
            None => String::new(),
        },
        added,
    }
}

/// How much unchanged text a body diff keeps on each side of a change.
pub const CONTEXT_CHARS: usize = 200;

/// The body diff with long unchanged stretches cut to their ends next to a change (a
/// `skip` chunk stands for the rest), so a one-word edit of a long policy shows the edit,
/// not the whole policy again.
fn elide(chunks: &[diff::Chunk]) -> Vec<ChunkView> {
    let mut out = Vec::with_capacity(chunks.len() + 2);
    let last = chunks.len().saturating_sub(1);
    for (i, c) in chunks.iter().enumerate() {
        let long = c.text.chars().count() > 2 * CONTEXT_CHARS + 80;
        if c.op != diff::Op::Equal || !long {
            out.push(ChunkView {
                op: c.op.as_str(),
                text: c.text.clone(),
            });
            continue;
        }
        let head = if i > 0 { head_of(&c.text) } else { "" };
        let tail = if i < last { tail_of(&c.text) } else { "" };
        if !head.is_empty() {
            out.push(ChunkView {
                op: "equal",
                text: head.to_owned(),
            });
        }
        out.push(ChunkView {
            op: "skip",
            text: String::new(),
        });
        if !tail.is_empty() {
            out.push(ChunkView {
                op: "equal",
                text: tail.to_owned(),
            });
        }
    }
    out
}

/// About the first [`CONTEXT_CHARS`] characters, ending at a space.
fn head_of(text: &str) -> &str {
    let cut = text
        .char_indices()
        .nth(CONTEXT_CHARS)
        .map_or(text.len(), |(i, _)| i);
    let end = text[cut..]
        .find(char::is_whitespace)
        .map_or(text.len(), |j| cut + j);
    &text[..end]
}

/// About the last [`CONTEXT_CHARS`] characters, starting after a space.
fn tail_of(text: &str) -> &str {
    let cut = text
        .char_indices()
        .rev()
        .nth(CONTEXT_CHARS)
        .map_or(0, |(i, _)| i);
    let start = text[..cut].rfind(char::is_whitespace).map_or(0, |j| {
        j + text[j..].chars().next().map_or(1, char::len_utf8)
    });
    &text[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forge_merge_is_named_by_its_pull_request() {
        assert!(is_forge_merge(
            "Merge pull request #12 from lucia/frt-30min"
        ));
        assert!(is_forge_merge("Merge branch 'frt' into 'main'"));
        assert!(!is_forge_merge("Merge the two handover policies"));
        assert_eq!(
            merge_title("Merge pull request #12 from lucia/frt-30min\n\nFirst response: 30 minutes from 7 December\n\nMore.").as_deref(),
            Some("First response: 30 minutes from 7 December")
        );
        assert_eq!(merge_title("Merge pull request #1 from a/b"), None);
    }

    #[test]
    fn a_chain_diffs_like_diff_compare() {
        let a = "id: p\nkind: metric\ntarget: { op: \"<=\", value: 45 }\ntags: [a, b]\nsummary: s\nbody: Reply within one hour.\n";
        let b = "id: p\nkind: metric\ntarget: { op: \"<=\", value: 30 }\ntags: [a, b, c]\nowner: ana\nbody: Reply within thirty minutes.\n";
        let c = "id: p\nkind: metric\nbody: Reply within thirty minutes.\n";
        let texts: IdMap<Oid, &str> = [a, b, c, "not: [yaml"]
            .into_iter()
            .map(|t| {
                (
                    Oid::hash_object(git2::ObjectType::Blob, t.as_bytes()).unwrap(),
                    t,
                )
            })
            .collect();
        let id = |t: &str| Oid::hash_object(git2::ObjectType::Blob, t.as_bytes()).unwrap();
        let chain = [
            (None, id(a)),
            (Some(id(a)), id(b)),
            (Some(id(b)), id(c)),
            (Some(id(c)), id("not: [yaml")),
            (Some(id("not: [yaml")), id(a)),
            (Some(id(b)), id(a)),
        ];
        let mut out = Vec::new();
        diff_chain(&chain, |o| texts[&o], &mut out, &mut Vec::new());
        assert_eq!(out.len(), chain.len());
        for ((before, after), view) in out {
            let old = before.map_or("", |b| texts[&b]);
            let expected = diff_view(&diff::compare(old, texts[&after]));
            assert_eq!(*view, expected, "{old:?} -> {:?}", texts[&after]);
        }
    }

    #[test]
    fn long_unchanged_text_is_cut_around_changes() {
        let long = "word ".repeat(200);
        let chunks = vec![
            diff::Chunk {
                op: diff::Op::Equal,
                text: long.clone(),
            },
            diff::Chunk {
                op: diff::Op::Delete,
                text: "old".into(),
            },
            diff::Chunk {
                op: diff::Op::Insert,
                text: "new".into(),
            },
            diff::Chunk {
                op: diff::Op::Equal,
                text: long.clone(),
            },
            diff::Chunk {
                op: diff::Op::Insert,
                text: "more".into(),
            },
            diff::Chunk {
                op: diff::Op::Equal,
                text: long,
            },
        ];
        let ops: Vec<&str> = elide(&chunks).iter().map(|c| c.op).collect();
        assert_eq!(
            ops,
            [
                "skip", "equal", "delete", "insert", "equal", "skip", "equal", "insert", "equal",
                "skip"
            ]
        );
        let kept = elide(&chunks);
        assert!(
            kept[1].text.len() <= CONTEXT_CHARS + 5,
            "{:?}",
            kept[1].text
        );
        assert!(kept[1].text.starts_with("word"), "{:?}", kept[1].text);
        assert!(kept[4].text.starts_with("word"), "{:?}", kept[4].text);
        // short stretches stay whole
        let short = vec![
            diff::Chunk {
                op: diff::Op::Equal,
                text: "a b c ".into(),
            },
            diff::Chunk {
                op: diff::Op::Insert,
                text: "d".into(),
            },
        ];
        assert_eq!(elide(&short).len(), 2);
    }
}
