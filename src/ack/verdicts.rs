//! One judge for every report: each ledger entry's verdict (does it count, and if not,
//! why), reached by [`super::verify::Judge`], the code `acks verify` runs, and kept between
//! runs for the reports by entry file (its blob id).
//!
//! A verdict depends only on the entry file's bytes, the handbook line up to the commit
//! it is bound to, and the roster there. The line only grows, so a verdict reached
//! against one line stays right for every line that contains that line's tip; when the
//! line was re-rooted, everything kept is dropped. `verify` and `evidence` never read
//! what is kept here: they judge every entry again. The kept file is binary (about 25
//! bytes an entry), since the whole ledger's verdicts are read on every report.
//! Nothing here prints.

use super::AckError;
use super::ledger::Listed;
use super::line::Line;
use super::snapshot::Layout;
use super::verify::Judge;
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use git2::{Oid, Repository};
use std::sync::Arc;

const MAGIC: &[u8; 8] = b"NCTLVRD3";

/// What one entry is worth to the reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Counts: a well-formed entry bound to `commit` on the handbook line, to that
    /// policy's very text there, with the revision it declares, signed where it must be.
    /// A valid revocation names the entry it withdraws.
    Valid { commit: Oid, revokes: Option<Oid> },
    /// Never counts, and the reports say why.
    Rejected { reason: Arc<str> },
    /// Cannot be judged in this clone (a shallow or partial one, or a newer entry format):
    /// it does not count, and the reports say how many and why.
    Unchecked { reason: Arc<str> },
}

/// The verdict of every entry in `listed`, in order: from what is kept where it holds,
/// reached by the judge for the rest (and then kept).
pub fn judge_all(
    repo: &Repository,
    layout: &Layout,
    line: &Line,
    ledger_ref: &str,
    ledger_tips: &[Oid],
    listed: &[Listed],
    read: &super::facts::Read,
) -> Result<Vec<Verdict>, AckError> {
    if !line.complete {
        let reason: Arc<str> = Arc::from(
            "this clone does not hold the handbook's whole history, so no acknowledgement can be checked here (in CI: fetch-depth: 0; else git fetch --unshallow)",
        );
        return Ok(vec![Verdict::Unchecked { reason }; listed.len()]);
    }
    let file = crate::cache::path(repo.path(), "verdicts", ledger_ref).with_extension("bin");
    let bytes = crate::cache::read_bytes(&file);
    // A few entries (one person's, one policy's): only theirs are taken from the file.
    let wanted: Option<HashSet<Oid>> =
        (listed.len() < 4096).then(|| listed.iter().map(|l| l.blob).collect());
    let kept_file = |wanted: Option<&HashSet<Oid>>| {
        bytes
            .as_deref()
            .and_then(|b| decode(b, wanted))
            .filter(|(tip, _)| line.contains(*tip) && same_keys(repo, layout, line, *tip))
            .map(|(_, v)| v)
    };
    let in_file = kept_file(wanted.as_ref()).unwrap_or_default();
    // The file lists the entries in the order the whole ledger was listed: when that
    // order holds, every verdict is where its entry is (no table to build).
    if in_file.len() >= listed.len()
        && listed
            .iter()
            .zip(&in_file)
            .all(|(l, (blob, _))| l.blob.as_bytes() == blob.as_bytes())
    {
        return Ok(in_file
            .into_iter()
            .take(listed.len())
            .map(|(_, v)| v)
            .collect());
    }
    let mut kept: HashMap<Oid, Verdict> = in_file.into_iter().collect();
    // Each entry file not kept yet, once.
    let mut queued = HashSet::new();
    let todo: Vec<&Listed> = listed
        .iter()
        .filter(|l| !kept.contains_key(&l.blob) && queued.insert(l.blob))
        .collect();
    let new = todo.len();
    let (reached, missed) = judge_many(repo, layout, line, ledger_tips, &todo, read)?;
    kept.extend(reached);
    let out = listed
        .iter()
        .map(|l| kept.get(&l.blob).cloned())
        .collect::<Option<Vec<Verdict>>>()
        .expect("every listed entry was judged or kept");
    // A verdict reached while an anchor of a key change was not in this clone's ledger
    // may change when it arrives: keep nothing then.
    if missed {
        let _ = std::fs::remove_file(&file);
    } else if new > 0 {
        // What was left out of a partial read is kept too.
        if wanted.is_some()
            && let Some(all) = kept_file(None)
        {
            for (blob, v) in all {
                kept.entry(blob).or_insert(v);
            }
        }
        crate::cache::write_bytes(&file, &encode(line.tip, &kept, listed));
    }
    Ok(out)
}

/// Judges `todo` (on every core when there are many): each entry file's verdict, and
/// whether an anchor of a key change was missing.
fn judge_many(
    repo: &Repository,
    layout: &Layout,
    line: &Line,
    ledger_tips: &[Oid],
    todo: &[&Listed],
    read: &super::facts::Read,
) -> Result<(Vec<(Oid, Verdict)>, bool), AckError> {
    super::verify::judge_each(repo, layout, line, ledger_tips, todo, |repo, judge, l| {
        Ok((l.blob, verdict_of(repo, judge, l, read)?))
    })
}

/// One entry file's verdict (its bytes from `read` when they were read already).
fn verdict_of(
    repo: &Repository,
    judge: &mut Judge,
    l: &Listed,
    read: &super::facts::Read,
) -> Result<Verdict, AckError> {
    let blob;
    let bytes = match read.get(&l.blob) {
        Some(bytes) => bytes.as_slice(),
        None => match repo.find_blob(l.blob) {
            Err(e) => {
                return Ok(Verdict::Rejected {
                    reason: Arc::from(format!("the entry's file cannot be read: {}", e.message())),
                });
            }
            Ok(b) => {
                blob = b;
                blob.content()
            }
        },
    };
    let (check, parsed) = judge.file_and_entry(&l.path, bytes, l.blob)?;
    Ok(match (check.problem, check.newer, parsed) {
        (Some(reason), true, _) => Verdict::Unchecked {
            reason: Arc::from(reason),
        },
        (Some(reason), false, _) => Verdict::Rejected {
            reason: Arc::from(reason),
        },
        (None, _, Some(p)) => Verdict::Valid {
            commit: Oid::from_str(&p.entry.commit)?,
            revokes: p.entry.revokes.as_deref().map(Oid::from_str).transpose()?,
        },
        (None, _, None) => Verdict::Rejected {
            reason: Arc::from("malformed entry"),
        },
    })
}

/// Whether every person's signing key state (key and anchor) stayed the same on the line
/// from `kept_tip` to its tip: a key change can change verdicts already reached.
fn same_keys(repo: &Repository, layout: &Layout, line: &Line, kept_tip: Oid) -> bool {
    let Some(from) = line.position(kept_tip) else {
        return false;
    };
    let mut blobs: Vec<Option<Oid>> = Vec::new();
    for commit in &line.commits()[from..] {
        let blob = repo
            .find_commit(*commit)
            .and_then(|c| c.tree())
            .ok()
            .and_then(|t| t.get_path(std::path::Path::new(&layout.roster)).ok())
            .map(|e| e.id());
        if !blobs.contains(&blob) {
            blobs.push(blob);
        }
    }
    if blobs.len() < 2 {
        return true;
    }
    let states = |blob: &Option<Oid>| {
        let roster = blob
            .and_then(|b| repo.find_blob(b).ok())
            .and_then(|b| super::snapshot::parse_roster(&layout.roster, b.content()));
        roster.map(|r| {
            r.people
                .iter()
                .map(|p| {
                    (
                        p.id.value.clone(),
                        p.signing_key.as_ref().map(|k| k.value.clone()),
                        p.key_after.as_ref().map(|a| a.value.clone()),
                    )
                })
                .filter(|(_, key, after)| key.is_some() || after.is_some())
                .collect::<std::collections::BTreeSet<_>>()
        })
    };
    let first = states(&blobs[0]);
    blobs[1..].iter().all(|b| states(b) == first)
}

/// The kept file: magic, the tool's version, the line tip, then each entry's blob id and
/// verdict (valid: its commit and what it revokes; otherwise an index into the reasons):
/// first those of `listed`, in its order, then the others kept.
fn encode(tip: Oid, verdicts: &HashMap<Oid, Verdict>, listed: &[Listed]) -> Vec<u8> {
    let mut reasons: Vec<&str> = Vec::new();
    let mut index: HashMap<&str, u32> = HashMap::new();
    let mut body = Vec::with_capacity(verdicts.len() * 45);
    let mut order: Vec<(&Oid, &Verdict)> = listed
        .iter()
        .filter_map(|l| verdicts.get_key_value(&l.blob))
        .collect();
    if order.len() == listed.len() {
        let written: HashSet<&Oid> = order.iter().map(|(b, _)| *b).collect();
        order.extend(verdicts.iter().filter(|(b, _)| !written.contains(b)));
    } else {
        order = verdicts.iter().collect();
    }
    let count = order.len();
    for (blob, v) in order {
        body.extend_from_slice(blob.as_bytes());
        let (kind, r) = match v {
            Verdict::Valid { commit, revokes } => {
                body.push(if revokes.is_some() { 3 } else { 0 });
                body.extend_from_slice(commit.as_bytes());
                if let Some(r) = revokes {
                    body.extend_from_slice(r.as_bytes());
                }
                continue;
            }
            Verdict::Rejected { reason } => (1u8, &**reason),
            Verdict::Unchecked { reason } => (2u8, &**reason),
        };
        let i = *index.entry(r).or_insert_with(|| {
            reasons.push(r);
            (reasons.len() - 1) as u32
        });
        body.push(kind);
        body.extend_from_slice(&i.to_le_bytes());
    }
    let mut out = Vec::with_capacity(body.len() + 1024);
    out.extend_from_slice(MAGIC);
    let tool = crate::VERSION.as_bytes();
    out.extend_from_slice(&(tool.len() as u32).to_le_bytes());
    out.extend_from_slice(tool);
    out.extend_from_slice(tip.as_bytes());
    out.extend_from_slice(&(reasons.len() as u32).to_le_bytes());
    for r in &reasons {
        out.extend_from_slice(&(r.len() as u32).to_le_bytes());
        out.extend_from_slice(r.as_bytes());
    }
    out.extend_from_slice(&(count as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// Reads a kept file (only the verdicts of `wanted` when given), in its order; `None` (a
/// miss) when anything is wrong with it.
fn decode(bytes: &[u8], wanted: Option<&HashSet<Oid>>) -> Option<(Oid, Vec<(Oid, Verdict)>)> {
    let mut at = 0usize;
    let mut take = |n: usize| -> Option<&[u8]> {
        let s = bytes.get(at..at.checked_add(n)?)?;
        at += n;
        Some(s)
    };
    if take(8)? != MAGIC {
        return None;
    }
    let u32_of = |b: &[u8]| u32::from_le_bytes(b.try_into().expect("four bytes"));
    let tool_len = u32_of(take(4)?) as usize;
    if take(tool_len)? != crate::VERSION.as_bytes() {
        return None;
    }
    let tip = Oid::from_bytes(take(20)?).ok()?;
    let n_reasons = u32_of(take(4)?) as usize;
    let mut reasons: Vec<Arc<str>> = Vec::with_capacity(n_reasons.min(1 << 20));
    for _ in 0..n_reasons {
        let len = u32_of(take(4)?) as usize;
        reasons.push(Arc::from(std::str::from_utf8(take(len)?).ok()?));
    }
    let n = u32_of(take(4)?) as usize;
    let mut out = Vec::with_capacity(wanted.map_or(n, |w| w.len()).min(1 << 24));
    for _ in 0..n {
        let blob = Oid::from_bytes(take(20)?).ok()?;
        let keep = wanted.is_none_or(|w| w.contains(&blob));
        let kind = take(1)?[0];
        let v = match kind {
            0 | 3 => {
                let commit = Oid::from_bytes(take(20)?).ok()?;
                let revokes = if kind == 3 {
                    Some(Oid::from_bytes(take(20)?).ok()?)
                } else {
                    None
                };
                Verdict::Valid { commit, revokes }
            }
            1 | 2 => {
                let reason = reasons.get(u32_of(take(4)?) as usize)?.clone();
                if kind == 1 {
                    Verdict::Rejected { reason }
                } else {
                    Verdict::Unchecked { reason }
                }
            }
            _ => return None,
        };
        if keep {
            out.push((blob, v));
        }
    }
    (at == bytes.len()).then_some((tip, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_verdicts_read_back_and_damage_is_a_miss() {
        let oid = |b: u8| Oid::from_bytes(&[b; 20]).unwrap();
        let mut v = HashMap::new();
        v.insert(
            oid(1),
            Verdict::Valid {
                commit: oid(2),
                revokes: None,
            },
        );
        v.insert(
            oid(3),
            Verdict::Valid {
                commit: oid(2),
                revokes: Some(oid(1)),
            },
        );
        v.insert(
            oid(4),
            Verdict::Rejected {
                reason: Arc::from("bad"),
            },
        );
        v.insert(
            oid(5),
            Verdict::Rejected {
                reason: Arc::from("bad"),
            },
        );
        v.insert(
            oid(6),
            Verdict::Unchecked {
                reason: Arc::from("shallow"),
            },
        );
        let bytes = encode(oid(9), &v, &[]);
        let (tip, back) = decode(&bytes, None).unwrap();
        assert_eq!(tip, oid(9));
        let back: HashMap<Oid, Verdict> = back.into_iter().collect();
        assert_eq!(back, v);
        let some: HashSet<Oid> = [oid(3), oid(6), oid(42)].into_iter().collect();
        let (_, part) = decode(&bytes, Some(&some)).unwrap();
        assert_eq!(part.len(), 2);
        let part: HashMap<Oid, Verdict> = part.into_iter().collect();
        assert_eq!(part.get(&oid(3)), v.get(&oid(3)));
        assert_eq!(part.get(&oid(6)), v.get(&oid(6)));
        assert!(decode(&bytes[..bytes.len() - 1], None).is_none());
        assert!(decode(&bytes[..bytes.len() - 1], Some(&some)).is_none());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer, None).is_none());
        assert!(decode(b"garbage", None).is_none());
        // Listed first, in the listing's order (what lets a report skip the table).
        let listed: Vec<Listed> = [5u8, 1]
            .iter()
            .map(|&b| Listed {
                info: crate::ack::entry::PathInfo {
                    person: "bo".into(),
                    policy: "qa".into(),
                    revision: 1,
                    id: oid(b),
                },
                path: format!("ab/bo/{b}"),
                blob: oid(b),
            })
            .collect();
        let (_, ordered) = decode(&encode(oid(9), &v, &listed), None).unwrap();
        assert_eq!(ordered.len(), 5);
        assert_eq!((ordered[0].0, ordered[1].0), (oid(5), oid(1)));
    }
}
