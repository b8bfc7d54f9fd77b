//! One judge for every report: each ledger entry's verdict (does it count, and if not,
//! why), reached by [`super::verify::Judge`], the code `acks verify` runs, and kept between
//! runs for the reports by entry file (its blob id).
//!
//! A verdict depends only on the entry file's bytes, the handbook line up to the commit
//! it is bound to, and the roster there. The line only grows, so a verdict reached
//! against one line stays right for every line that contains that line's tip; when the
//! line was re-rooted, everything kept is dropped. `verify` and `evidence` never read
//! what is kept here: they judge every entry again. Nothing here prints.

use super::AckError;
use super::ledger::Listed;
use super::line::Line;
use super::snapshot::Layout;
use super::verify::Judge;
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

const FORMAT: u32 = 2;

/// What one entry is worth to the reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Counts: a well-formed entry bound to `commit` on the handbook line, to that
    /// policy's very text there, with the revision it declares, signed where it must be.
    /// A valid revocation names the entry it withdraws.
    Valid {
        commit: String,
        revokes: Option<String>,
    },
    /// Never counts, and the reports say why.
    Rejected { reason: String },
    /// Cannot be judged in this clone (a shallow or partial one, or a newer entry format):
    /// it does not count, and the reports say how many and why.
    Unchecked { reason: String },
}

#[derive(Serialize, Deserialize)]
struct Kept {
    format: u32,
    tool: String,
    /// The line tip the verdicts were reached against.
    line: String,
    verdicts: HashMap<String, Verdict>,
}

/// The verdict of every entry in `listed`, in order: from what is kept where it holds,
/// reached by the judge for the rest (and then kept).
pub fn judge_all(
    repo: &Repository,
    layout: &Layout,
    line: &Line,
    ledger_ref: &str,
    listed: &[Listed],
) -> Result<Vec<Verdict>, AckError> {
    if !line.complete {
        let reason = "this clone does not hold the handbook's whole history, so no acknowledgement can be checked here (in CI: fetch-depth: 0; else git fetch --unshallow)".to_owned();
        return Ok(vec![Verdict::Unchecked { reason }; listed.len()]);
    }
    let file = crate::cache::path(repo.path(), "verdicts", ledger_ref);
    let mut kept: Kept = crate::cache::read(&file)
        .filter(|k: &Kept| {
            k.format == FORMAT
                && k.tool == crate::VERSION
                && Oid::from_str(&k.line).is_ok_and(|tip| line.contains(tip))
        })
        .unwrap_or_else(|| Kept {
            format: FORMAT,
            tool: crate::VERSION.to_owned(),
            line: line.tip.to_string(),
            verdicts: HashMap::new(),
        });
    let mut judge: Option<Judge> = None;
    let mut out = Vec::with_capacity(listed.len());
    let mut new = 0usize;
    for l in listed {
        let key = l.blob.to_string();
        if let Some(v) = kept.verdicts.get(&key) {
            out.push(v.clone());
            continue;
        }
        let judge = judge.get_or_insert_with(|| Judge::new(repo, layout, line));
        let verdict = match repo.find_blob(l.blob) {
            Err(e) => Verdict::Rejected {
                reason: format!("the entry's file cannot be read: {}", e.message()),
            },
            Ok(blob) => {
                let check = judge.file(&l.path, blob.content())?;
                match (check.problem, check.newer) {
                    (Some(reason), true) => Verdict::Unchecked { reason },
                    (Some(reason), false) => Verdict::Rejected { reason },
                    (None, _) => match super::entry::parse_file(&l.path, blob.content()) {
                        Ok((p, _)) => Verdict::Valid {
                            commit: p.entry.commit,
                            revokes: p.entry.revokes,
                        },
                        Err(e) => Verdict::Rejected {
                            reason: format!("malformed entry: {e}"),
                        },
                    },
                }
            }
        };
        kept.verdicts.insert(key, verdict.clone());
        out.push(verdict);
        new += 1;
    }
    if new > 0 {
        kept.line = line.tip.to_string();
        crate::cache::write(&file, &kept);
    }
    Ok(out)
}
