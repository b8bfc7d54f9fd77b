//! Witnessed time: when an entry was recorded by a clock its writer does not control.
//!
//! An entry's own `time` and its ledger commit's date are whatever the writer chose. A
//! witness is an annotated tag `refs/tags/normsctl/witness/<UTC time>` on the ledger's tip,
//! made by a scheduled job (`normsctl acks witness --push`) and pushed to a remote that
//! protects that tag namespace, so nobody who writes entries can make or move one. Every
//! entry whose ledger commit the tag's commit contains was recorded by the tag's time: that
//! is the entry's witnessed bound. An entry no witness contains yet is "not witnessed yet".
//! Nothing here prints.

use super::AckError;
use git2::{ObjectType, Oid, Repository, Signature};
use std::collections::HashMap;

/// Where witnesses live.
pub const PREFIX: &str = "refs/tags/normsctl/witness/";

/// One witness tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    /// The tag's full ref name.
    pub name: String,
    /// The ledger commit it witnesses.
    pub target: Oid,
    /// The tagger's time (Unix seconds).
    pub time: i64,
}

/// The ref name of a witness made at `time`: `refs/tags/normsctl/witness/20261202T072400Z`.
pub fn name_at(time: i64) -> String {
    let ts = jiff::Timestamp::from_second(time).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    format!("{PREFIX}{}", ts.strftime("%Y%m%dT%H%M%SZ"))
}

/// Tags `target` (the ledger's tip) as witnessed at the signature's time. Refuses to move an
/// existing witness.
pub fn create(repo: &Repository, target: Oid, tagger: &Signature<'_>) -> Result<Witness, AckError> {
    let time = tagger.when().seconds();
    let name = name_at(time);
    let short = name.trim_start_matches("refs/tags/");
    let object = repo.find_object(target, Some(ObjectType::Commit))?;
    let message =
        format!("normsctl witness: the acknowledgement ledger held commit {target} by this time\n");
    repo.tag(short, &object, tagger, &message, false)?;
    Ok(Witness { name, target, time })
}

/// What `acks witness` did.
#[derive(Clone, Debug)]
pub struct Witnessed {
    pub witness: Witness,
    /// The remote the tag was pushed to, when asked.
    pub pushed: Option<String>,
}

/// Tags the ledger's tip as witnessed now (git's identity; the clock, or
/// `GIT_COMMITTER_DATE`), and pushes the tag to `acks.remote` when `push` is set.
pub fn witness_now(cx: &super::Context, push: bool) -> Result<Witnessed, super::sync::SyncError> {
    let tip = cx.ledger.base(cx.repo)?.ok_or(AckError::NoLedger)?;
    let (name, email) = cx.identity()?;
    let now = super::context::record_time()?;
    let (signature, _) = super::context::signature(&name, &email, now)?;
    let witness = create(cx.repo, tip, &signature)?;
    let pushed = if push {
        let remote = cx.ws.settings.acks.remote.clone();
        if cx.repo.find_remote(&remote).is_err() {
            return Err(AckError::NoRemote { remote }.into());
        }
        let idle = std::time::Duration::from_secs(u64::from(cx.ws.settings.acks.sync_timeout));
        super::sync::push_ref(cx.repo, &remote, &witness.name, idle)?;
        Some(remote)
    } else {
        None
    };
    Ok(Witnessed { witness, pushed })
}

/// Every witness in the repository, oldest first. A tag in the namespace that is not an
/// annotated tag on a commit is skipped (it witnesses nothing).
pub fn list(repo: &Repository) -> Result<Vec<Witness>, AckError> {
    let mut out = Vec::new();
    for r in repo.references_glob(&format!("{PREFIX}*"))? {
        let r = r?;
        let Some(name) = r.name().ok().map(str::to_owned) else {
            continue;
        };
        let Ok(tag) = r.peel(ObjectType::Tag).and_then(|o| o.peel_to_tag()) else {
            continue;
        };
        let (Some(tagger), Ok(commit)) =
            (tag.tagger(), tag.target().and_then(|o| o.peel_to_commit()))
        else {
            continue;
        };
        out.push(Witness {
            name,
            target: commit.id(),
            time: tagger.when().seconds(),
        });
    }
    out.sort_by(|a, b| (a.time, &a.name).cmp(&(b.time, &b.name)));
    Ok(out)
}

/// For every ledger commit some witness contains, the earliest such witness: one walk over
/// the ledger's commits in all (each commit is visited once, by the oldest witness that
/// reaches it).
pub fn bounds(repo: &Repository, witnesses: &[Witness]) -> Result<HashMap<Oid, usize>, AckError> {
    let mut out: HashMap<Oid, usize> = HashMap::new();
    for (i, w) in witnesses.iter().enumerate() {
        if out.contains_key(&w.target) {
            continue;
        }
        let mut walk = repo.revwalk()?;
        walk.push(w.target)?;
        for earlier in &witnesses[..i] {
            walk.hide(earlier.target)?;
        }
        for oid in walk {
            out.entry(oid?).or_insert(i);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use git2::Time;

    fn commit(repo: &Repository, parents: &[Oid], t: i64) -> Oid {
        let sig = Signature::new("W", "w@example.com", &Time::new(t, 0)).unwrap();
        let tree = repo
            .find_tree(repo.treebuilder(None).unwrap().write().unwrap())
            .unwrap();
        let parents: Vec<_> = parents
            .iter()
            .map(|p| repo.find_commit(*p).unwrap())
            .collect();
        let refs: Vec<_> = parents.iter().collect();
        repo.commit(None, &sig, &sig, "c", &tree, &refs).unwrap()
    }

    #[test]
    fn each_commit_is_bounded_by_the_oldest_witness_that_holds_it() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let a = commit(&repo, &[], 1);
        let b = commit(&repo, &[a], 2);
        let side = commit(&repo, &[a], 3);
        let m = commit(&repo, &[b, side], 4);
        let c = commit(&repo, &[m], 5);
        let sig = |t| Signature::new("Job", "job@example.com", &Time::new(t, 0)).unwrap();
        let w1 = create(&repo, b, &sig(100)).unwrap();
        let w2 = create(&repo, m, &sig(200)).unwrap();
        assert_eq!(w1.name, "refs/tags/normsctl/witness/19700101T000140Z");
        assert!(
            create(&repo, c, &sig(200)).is_err(),
            "a witness never moves"
        );
        let all = list(&repo).unwrap();
        assert_eq!(all, vec![w1.clone(), w2.clone()]);
        let b_of = bounds(&repo, &all).unwrap();
        assert_eq!(b_of[&a], 0);
        assert_eq!(b_of[&b], 0);
        assert_eq!(b_of[&side], 1);
        assert_eq!(b_of[&m], 1);
        assert!(!b_of.contains_key(&c), "not witnessed yet");
    }

    #[test]
    fn a_lightweight_tag_witnesses_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let a = commit(&repo, &[], 1);
        repo.reference(&format!("{PREFIX}fake"), a, false, "t")
            .unwrap();
        assert!(list(&repo).unwrap().is_empty());
    }
}
