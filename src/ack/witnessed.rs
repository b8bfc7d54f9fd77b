//! Witnessed time for the reports: for every entry file some witness holds, the time of the
//! oldest witness whose ledger tree holds it.
//!
//! A witness tag names a ledger commit; every entry in that commit's tree was recorded by
//! the tag's time, whatever the entry or its commit claim. Witnesses are taken oldest first
//! and each tree is compared with the previous witness's, so git skips every subtree they
//! share and only entries new to a witness are read. The answer is kept in
//! `<git dir>/normsctl/witnessed-<hash of the ref>.bin`, with the witnesses it covers: a
//! later run whose witnesses start with those compares only the newer ones. No witness,
//! nothing read and nothing kept. `evidence` computes its own bound from the commit graph
//! and trusts nothing kept here. Nothing here prints.

use super::AckError;
use super::witness::{self, Witness};
use foldhash::{HashMap, HashMapExt};
use git2::{Oid, Repository};

const MAGIC: &[u8; 8] = b"NCTLWIT1";

/// Entry blob id → the time of the oldest witness holding it.
pub type Bounds = HashMap<Oid, i64>;

/// The witnessed bound of every entry the witnesses hold.
pub fn bounds(repo: &Repository, ledger_ref: &str) -> Result<Bounds, AckError> {
    let witnesses = witness::list(repo)?;
    if witnesses.is_empty() {
        return Ok(Bounds::new());
    }
    let file = crate::cache::path(repo.path(), "witnessed", ledger_ref).with_extension("bin");
    let (done, mut out) = crate::cache::read_bytes(&file)
        .and_then(|b| decode(&b))
        .filter(|(kept, _)| {
            kept.len() <= witnesses.len()
                && kept
                    .iter()
                    .zip(&witnesses)
                    .all(|(k, w)| k.0 == w.name && k.1 == w.target)
        })
        .map(|(kept, map)| (kept.len(), map))
        .unwrap_or_default();
    if done == witnesses.len() {
        return Ok(out);
    }
    let mut before = match done {
        0 => None,
        n => Some(repo.find_commit(witnesses[n - 1].target)?.tree()?),
    };
    for w in &witnesses[done..] {
        let tree = repo.find_commit(w.target)?.tree()?;
        let diff = repo.diff_tree_to_tree(before.as_ref(), Some(&tree), None)?;
        for delta in diff.deltas() {
            let id = delta.new_file().id();
            if !id.is_zero() {
                out.entry(id).or_insert(w.time);
            }
        }
        before = Some(tree);
    }
    crate::cache::write_bytes(&file, &encode(&witnesses, &out));
    Ok(out)
}

fn encode(witnesses: &[Witness], bounds: &Bounds) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + bounds.len() * 28);
    out.extend_from_slice(MAGIC);
    let tool = crate::VERSION.as_bytes();
    out.extend_from_slice(&(tool.len() as u32).to_le_bytes());
    out.extend_from_slice(tool);
    out.extend_from_slice(&(witnesses.len() as u32).to_le_bytes());
    for w in witnesses {
        out.extend_from_slice(&(w.name.len() as u32).to_le_bytes());
        out.extend_from_slice(w.name.as_bytes());
        out.extend_from_slice(w.target.as_bytes());
    }
    out.extend_from_slice(&(bounds.len() as u32).to_le_bytes());
    for (id, t) in bounds {
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&t.to_le_bytes());
    }
    out
}

type Kept = (Vec<(String, Oid)>, Bounds);

fn decode(bytes: &[u8]) -> Option<Kept> {
    let mut at = 0usize;
    let mut take = |n: usize| -> Option<&[u8]> {
        let s = bytes.get(at..at.checked_add(n)?)?;
        at += n;
        Some(s)
    };
    if take(8)? != MAGIC {
        return None;
    }
    let u32_of = |b: &[u8]| u32::from_le_bytes(b.try_into().expect("four bytes")) as usize;
    let tool_len = u32_of(take(4)?);
    if take(tool_len)? != crate::VERSION.as_bytes() {
        return None;
    }
    let n = u32_of(take(4)?);
    // Room for no more entries than the file could hold: a damaged count is a miss, not
    // hundreds of megabytes reserved first.
    let mut witnesses = Vec::with_capacity(n.min(bytes.len() / 24));
    for _ in 0..n {
        let len = u32_of(take(4)?);
        let name = std::str::from_utf8(take(len)?).ok()?.to_owned();
        witnesses.push((name, Oid::from_bytes(take(20)?).ok()?));
    }
    let n = u32_of(take(4)?);
    let mut map = HashMap::with_capacity(n.min(bytes.len() / 28));
    for _ in 0..n {
        let id = Oid::from_bytes(take(20)?).ok()?;
        let t = i64::from_le_bytes(take(8)?.try_into().ok()?);
        map.insert(id, t);
    }
    (at == bytes.len()).then_some((witnesses, map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_bounds_read_back_and_damage_is_a_miss() {
        let oid = |b: u8| Oid::from_bytes(&[b; 20]).unwrap();
        let w = vec![Witness {
            name: "refs/tags/normsctl/witness/x".into(),
            target: oid(1),
            time: 7,
        }];
        let b: Bounds = [(oid(2), 7), (oid(3), 7)].into_iter().collect();
        let bytes = encode(&w, &b);
        let (kw, kb) = decode(&bytes).unwrap();
        assert_eq!(kw, vec![(w[0].name.clone(), oid(1))]);
        assert_eq!(kb, b);
        assert!(decode(&bytes[..bytes.len() - 1]).is_none());
        assert!(decode(b"nonsense").is_none());
    }
}
