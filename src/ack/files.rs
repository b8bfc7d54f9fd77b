//! Reading the ledger's entry files for the reports: the whole ledger's listing and
//! facts (kept between runs, see [`super::facts`]) or one person's or policy's, and the
//! files' bytes, read once and shared with the judge. Nothing here prints.

use super::facts;
use super::ledger::{self, Listed};
use super::{AckError, Context};
use git2::Repository;
use std::path::Path;

/// The bytes of each of `listed`'s files, in order (`None`: it cannot be read): many at
/// once through `git cat-file` (see [`super::batch`]), else on every core through libgit2,
/// with git's hash checks as the process has them.
pub fn read_files(git_dir: &Path, listed: &[Listed]) -> Vec<Option<Vec<u8>>> {
    use rayon::prelude::*;
    if super::batch::worth(listed.len(), super::batch::MIN_BLOBS) {
        let ids: Vec<git2::Oid> = listed.iter().map(|l| l.blob).collect();
        if let Some(read) = super::batch::blobs(git_dir, &ids) {
            return read;
        }
    }
    let chunk = listed.len().div_ceil(rayon::current_num_threads()).max(256);
    let parts: Vec<Vec<_>> = listed
        .par_chunks(chunk)
        .map(|part| {
            let repo = Repository::open(git_dir).ok();
            part.iter()
                .map(|l| {
                    let blob = repo.as_ref()?.find_blob(l.blob).ok()?;
                    Some(blob.content().to_vec())
                })
                .collect()
        })
        .collect();
    parts.into_iter().flatten().collect()
}

/// The entries in the ledger's trees (only `person`'s or `policy`'s when given), what
/// each file says, and the files read from git on the way (the whole ledger's listing
/// and facts are kept between runs).
pub(super) fn listed_for(
    cx: &Context,
    tips: &[git2::Oid],
    person: Option<&str>,
    policy: Option<&str>,
) -> Result<facts::Whole, AckError> {
    Ok(match (person, policy) {
        // The whole ledger is large: what its trees and files say is kept between runs.
        (None, None) => facts::whole(cx.repo, &cx.ledger.name, tips)?,
        _ => {
            let mut listed: Vec<Listed> = match person {
                Some(p) => ledger::list_person(cx.repo, tips, p),
                None => ledger::list(cx.repo, tips),
            }?;
            if let Some(p) = policy {
                listed.retain(|l| l.info.policy == p);
            }
            let facts = facts::of(cx.repo.path(), &listed);
            (listed, facts, facts::Read::default())
        }
    })
}
