//! A cache of the history index inside the git directory, so that a repeated `log` or
//! `show` walks only the commits that landed since the last run.
//!
//! It must never serve stale or wrong data. An entry is keyed by what determines its
//! answer: the tool's version (the classification may change between versions), the
//! policy folder, and the tip commit it covers. A commit id fixes the whole history
//! behind it, so the cache is used only when its tip is on HEAD's first-parent line; then
//! only the commits after it are walked and added. Anything else (history rewritten, a
//! branch switched, a damaged or foreign file) rebuilds it from scratch. Writing goes
//! through a temporary file and a rename, and a cache that cannot be written is simply
//! not kept.

use super::{HistoryError, Revision, full_walk, require_complete};
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

const FORMAT: u32 = 2;

#[derive(Serialize, Deserialize)]
struct File {
    format: u32,
    tool: String,
    dir: String,
    #[serde(with = "oid")]
    tip: Oid,
    /// Newest first, as [`super::walk`] returns them.
    revisions: Vec<Revision>,
}

/// The history and how it was found.
#[derive(Debug)]
pub struct Cached {
    /// Every policy change on HEAD's first-parent line, newest first.
    pub revisions: Vec<Revision>,
    /// Whether an earlier run's cache was used.
    pub reused: bool,
    /// First-parent commits walked in this run.
    pub walked: usize,
}

/// Where the cache for `dir` lives: `<git dir>/normsctl/history-<hash of dir>.json`.
pub fn path(repo: &Repository, dir: &str) -> PathBuf {
    crate::cache::path(repo.path(), "history", dir)
}

/// [`super::walk`], answered from the cache where it still holds, and the cache brought
/// up to date; with `NORMSCTL_CACHE=0` ([`enabled`]) the whole line is walked and the
/// cache neither read nor written, for every command that reads the history this way.
pub fn walk(repo: &Repository, head: Oid, policies_dir: &str) -> Result<Cached, HistoryError> {
    require_complete(repo)?;
    let dir = policies_dir.trim_end_matches('/');
    if !crate::cache::enabled() {
        let (revisions, walked) = super::walk_counted(repo, head, dir)?;
        return Ok(Cached {
            revisions,
            reused: false,
            walked,
        });
    }
    let file = path(repo, dir);
    let cached = crate::cache::read::<File>(&file)
        .filter(|c| c.format == FORMAT && c.tool == crate::VERSION && c.dir == dir);
    if cached.is_none() {
        // Nothing kept: the whole line, walked from HEAD as it is read, then kept.
        let (revisions, walked) = super::walk_counted(repo, head, dir)?;
        let saved = File {
            format: FORMAT,
            tool: crate::VERSION.to_owned(),
            dir: dir.to_owned(),
            tip: head,
            revisions,
        };
        crate::cache::write(&file, &saved);
        return Ok(Cached {
            revisions: saved.revisions,
            reused: false,
            walked,
        });
    }
    // Back from HEAD along first parents until the cache's tip (or the root).
    let tip = cached.as_ref().map(|c| c.tip);
    let mut line = Vec::new();
    let mut next = Some(repo.find_commit(head)?);
    while let Some(commit) = next {
        if Some(commit.id()) == tip {
            next = Some(commit);
            break;
        }
        next = if commit.parent_count() > 0 {
            Some(commit.parent(0)?)
        } else {
            None
        };
        line.push(commit);
    }
    let walked = line.len();
    line.reverse();
    let (mut newer, old) = match (next, cached) {
        (Some(before), Some(c)) => (
            full_walk(repo, &line, Some(&before), dir, None)?,
            c.revisions,
        ),
        _ => (full_walk(repo, &line, None, dir, None)?, Vec::new()),
    };
    let reused = !old.is_empty() || walked == 0;
    newer.extend(old);
    if walked > 0 {
        let saved = File {
            format: FORMAT,
            tool: crate::VERSION.to_owned(),
            dir: dir.to_owned(),
            tip: head,
            revisions: newer,
        };
        crate::cache::write(&file, &saved);
        newer = saved.revisions;
    }
    Ok(Cached {
        revisions: newer,
        reused,
        walked,
    })
}

/// Object ids as hex strings.
pub mod oid {
    use git2::Oid;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(oid: &Oid, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(oid)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Oid, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Oid::from_str(&text).map_err(serde::de::Error::custom)
    }
}
