//! What the portal keeps in memory between requests: each person's page as last made, and
//! who each signed-in identity is on the roster, so a page whose inputs did not change is
//! answered without judging the ledger again.
//!
//! Every request first reads what pages stand on ([`Refs`]: the handbook line's tip, the
//! ledger's local and remote-tracking tips, the witness tags and the clone's
//! `normsctl.yaml`), a few ref lookups and one small file. When the line, a witness or the
//! settings changed, everything kept is dropped. When only the ledger moved, the ledger
//! commits between the tips kept and the tips read are compared with their parents, and
//! only the pages of the people whose folders they touch are dropped (an entry is judged
//! from the line and its own person's folder only; anything outside a person's folder, or
//! more than [`MAX_WALK`] commits, drops every page). A page is also made again once the
//! clock reaches a moment it would change at (a due date, an expiry, a text taking effect,
//! an exemption ending), and at the latest [`MAX_AGE`] seconds after it was made.
//! Nothing here prints.

use super::PortalError;
use super::pages::{self, PersonPage, Who};
use crate::model::AckSettings;
use git2::{Oid, Repository};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The longest a kept page is shown, in seconds, even when nothing it depends on moved.
pub const MAX_AGE: i64 = 600;
/// The most ledger commits read to tell whose pages a move touches; past it, every page
/// is made again.
const MAX_WALK: usize = 2_000;
/// The most pages kept (the oldest are dropped first).
const MAX_PAGES: usize = 2_000;
/// The most identities kept.
const MAX_WHO: usize = 20_000;

/// What every page stands on, read on each request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refs {
    line: Option<Oid>,
    /// The local ledger branch and its remote-tracking ref.
    ledger: [Option<Oid>; 2],
    witnesses: Vec<(String, Oid)>,
    settings: Option<Vec<u8>>,
}

struct Page {
    made: i64,
    until: i64,
    page: Arc<PersonPage>,
}

#[derive(Default)]
struct Inner {
    refs: Option<Refs>,
    pages: HashMap<String, Page>,
    who: HashMap<String, Option<Who>>,
}

/// The pages and identities kept for one handbook clone.
pub struct Kept {
    root: PathBuf,
    acks: AckSettings,
    inner: Mutex<Inner>,
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

impl Kept {
    /// Keeps pages of the handbook at `root`, whose ledger and line `acks` names.
    pub fn new(root: PathBuf, acks: AckSettings) -> Kept {
        Kept {
            root,
            acks,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read(&self, repo: &Repository) -> Result<Refs, PortalError> {
        let ledger = crate::ack::ledger::Ledger::new(&self.acks);
        let line = crate::ack::line::Line::tip_ref(repo, &self.acks)?.map(|(_, oid)| oid);
        Ok(Refs {
            line,
            ledger: [ledger.local(repo)?, ledger.remote(repo)?],
            witnesses: crate::ack::witness::list(repo)?
                .into_iter()
                .map(|w| (w.name, w.target))
                .collect(),
            settings: std::fs::read(self.root.join(crate::load::SETTINGS_FILE)).ok(),
        })
    }

    /// The handbook clone, opened anew (a handle is not shared between requests).
    fn open(&self) -> Result<Repository, git2::Error> {
        Repository::open_ext(
            &self.root,
            git2::RepositoryOpenFlags::empty(),
            std::iter::empty::<&std::ffi::OsStr>(),
        )
    }

    /// Reads the refs and drops what their moves made stale. Returns them: a page made
    /// after this is kept only if they are still the ones kept when it is done.
    fn sync(&self) -> Result<Refs, PortalError> {
        let repo = self.open()?;
        let refs = self.read(&repo)?;
        let mut inner = self.lock();
        let Some(old) = inner.refs.as_ref() else {
            inner.refs = Some(refs.clone());
            return Ok(refs);
        };
        if *old == refs {
            return Ok(refs);
        }
        let only_ledger = old.line == refs.line
            && old.witnesses == refs.witnesses
            && old.settings == refs.settings;
        let touched = if only_ledger {
            touched(&repo, &old.ledger, &refs.ledger)
        } else {
            None
        };
        match touched {
            Some(people) => inner.pages.retain(|p, _| !people.contains(p)),
            None => inner.pages.clear(),
        }
        if !only_ledger {
            inner.who.clear();
        }
        inner.refs = Some(refs.clone());
        Ok(refs)
    }

    /// The person an identity (an e-mail address, or a roster id from the proxy) names.
    pub fn lookup(&self, who: &str) -> Result<Option<Who>, PortalError> {
        let refs = self.sync()?;
        if let Some(found) = self.lock().who.get(who) {
            return Ok(found.clone());
        }
        let found = pages::lookup(&self.root, who)?;
        let mut inner = self.lock();
        if inner.refs.as_ref() == Some(&refs) {
            if inner.who.len() >= MAX_WHO {
                inner.who.clear();
            }
            inner.who.insert(who.to_owned(), found.clone());
        }
        Ok(found)
    }

    /// The page of `person` (a roster id): the one kept when still true, else made now.
    pub fn person_page(&self, person: &str) -> Result<Arc<PersonPage>, PortalError> {
        let refs = self.sync()?;
        let t = now();
        if let Some(kept) = self.lock().pages.get(person)
            && kept.until > t
        {
            return Ok(Arc::clone(&kept.page));
        }
        let page = Arc::new(pages::person_page(&self.root, person)?);
        let until = page.changes_at.map_or(t + MAX_AGE, |c| c.min(t + MAX_AGE));
        let mut inner = self.lock();
        if inner.refs.as_ref() == Some(&refs) {
            if inner.pages.len() >= MAX_PAGES
                && let Some(oldest) = inner
                    .pages
                    .iter()
                    .min_by_key(|(_, p)| p.made)
                    .map(|(k, _)| k.clone())
            {
                inner.pages.remove(&oldest);
            }
            inner.pages.insert(
                person.to_owned(),
                Page {
                    made: t,
                    until,
                    page: Arc::clone(&page),
                },
            );
        }
        Ok(page)
    }

    /// The refs and `person`'s kept page, when that page is still true: taken just before
    /// this portal appends for them (see [`Kept::appended`]).
    pub fn before_append(&self, person: &str) -> Option<(Refs, Arc<PersonPage>)> {
        let refs = self.sync().ok()?;
        let inner = self.lock();
        let kept = inner.pages.get(person).filter(|p| p.until > now())?;
        (inner.refs.as_ref() == Some(&refs)).then(|| (refs, Arc::clone(&kept.page)))
    }

    /// After this portal appended `person`'s acknowledgement of `policy`: when the ledger
    /// moved by exactly that one commit on the local tip `before` holds and nothing else
    /// changed, their page is kept with `policy` moved from the outstanding to the
    /// acknowledged ones (what judging the ledger again would give), and every other kept
    /// page stays (the commit touches only their folder). Otherwise the next request's
    /// check drops the page as usual.
    pub fn appended(&self, person: &str, policy: &str, before: Option<(Refs, Arc<PersonPage>)>) {
        let Some((old, page)) = before else { return };
        let Ok(repo) = self.open() else { return };
        let Ok(new) = self.read(&repo) else { return };
        let on_top = |tip: Oid| {
            repo.find_commit(tip).is_ok_and(|c| {
                c.parent_count() == 1
                    && old.ledger[0].is_some_and(|o| c.parent_id(0).ok() == Some(o))
            })
        };
        let only_ours = new.line == old.line
            && new.witnesses == old.witnesses
            && new.settings == old.settings
            && new.ledger[1] == old.ledger[1]
            && new.ledger[0].is_some_and(on_top);
        if !only_ours {
            return;
        }
        let mut page = (*page).clone();
        let Some(at) = page.outstanding.iter().position(|i| i.policy == policy) else {
            return;
        };
        let item = page.outstanding.remove(at);
        let to = page.done.partition_point(|d| d.0 < item.policy);
        page.done
            .insert(to, (item.policy, item.title, item.revision));
        let mut inner = self.lock();
        if inner.refs.as_ref() != Some(&old) {
            return;
        }
        let until = inner.pages.get(person).map_or(now() + MAX_AGE, |p| p.until);
        inner.refs = Some(new);
        inner.pages.insert(
            person.to_owned(),
            Page {
                made: now(),
                until,
                page: Arc::new(page),
            },
        );
    }
}

/// The people whose folders the ledger commits between the tips `old` and `new` change
/// (both ways: a ledger moved back or rewritten too), or `None` when something else
/// changed or there are too many commits to read.
fn touched(
    repo: &Repository,
    old: &[Option<Oid>; 2],
    new: &[Option<Oid>; 2],
) -> Option<HashSet<String>> {
    let mut people = HashSet::new();
    let mut read = 0;
    for (from, to) in [(old, new), (new, old)] {
        let mut walk = repo.revwalk().ok()?;
        for tip in to.iter().flatten() {
            walk.push(*tip).ok()?;
        }
        for tip in from.iter().flatten() {
            walk.hide(*tip).ok()?;
        }
        for oid in walk {
            read += 1;
            if read > MAX_WALK {
                return None;
            }
            let commit = repo.find_commit(oid.ok()?).ok()?;
            let tree = commit.tree().ok()?;
            let parents: Vec<Option<git2::Tree>> = if commit.parent_count() == 0 {
                vec![None]
            } else {
                commit.parents().map(|p| p.tree().ok()).collect()
            };
            for parent in parents {
                let diff = repo
                    .diff_tree_to_tree(parent.as_ref(), Some(&tree), None)
                    .ok()?;
                for d in diff.deltas() {
                    for f in [d.old_file(), d.new_file()] {
                        let Some(path) = f.path() else { continue };
                        // `xx/person/...`: anything shallower is not one person's.
                        let mut parts = path.iter();
                        let (_, person, _) = (parts.next()?, parts.next()?, parts.next()?);
                        people.insert(person.to_str()?.to_owned());
                    }
                }
            }
        }
    }
    Some(people)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A commit on `parent` whose tree holds `files` (path → content).
    fn commit(repo: &Repository, parent: Option<Oid>, files: &[(&str, &str)]) -> Oid {
        let mut index = git2::Index::new().unwrap();
        for (path, text) in files {
            let blob = repo.blob(text.as_bytes()).unwrap();
            let mut e = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100644,
                uid: 0,
                gid: 0,
                file_size: 0,
                id: blob,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            };
            e.flags = (path.len() as u16) & 0xfff;
            index.add(&e).unwrap();
        }
        let tree = repo.find_tree(index.write_tree_to(repo).unwrap()).unwrap();
        let sig = git2::Signature::new("T", "t@example.com", &git2::Time::new(0, 0)).unwrap();
        let parents: Vec<git2::Commit> = parent
            .map(|p| repo.find_commit(p).unwrap())
            .into_iter()
            .collect();
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        repo.commit(None, &sig, &sig, "m", &tree, &refs).unwrap()
    }

    #[test]
    fn only_the_people_whose_folders_moved_are_touched() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let ana = ("a1/ana/x/p.r1.e1.ack", "1");
        let bo = ("b2/bo/y/q.r1.e2.ack", "2");
        let c1 = commit(&repo, None, &[ana]);
        let c2 = commit(&repo, Some(c1), &[ana, bo]);
        let people = touched(&repo, &[Some(c1), None], &[Some(c2), None]).unwrap();
        assert_eq!(people.into_iter().collect::<Vec<_>>(), ["bo"]);
        // Moved back (a rewritten ledger): the same person.
        let people = touched(&repo, &[Some(c2), None], &[Some(c1), None]).unwrap();
        assert_eq!(people.into_iter().collect::<Vec<_>>(), ["bo"]);
        // An entry edited in place (tampering) touches its person too.
        let c3 = commit(&repo, Some(c2), &[("a1/ana/x/p.r1.e1.ack", "changed"), bo]);
        let people = touched(&repo, &[Some(c2), None], &[Some(c3), None]).unwrap();
        assert_eq!(people.into_iter().collect::<Vec<_>>(), ["ana"]);
        // A file outside any person's folder: everyone.
        let c4 = commit(
            &repo,
            Some(c3),
            &[("a1/ana/x/p.r1.e1.ack", "changed"), bo, ("README", "r")],
        );
        assert!(touched(&repo, &[Some(c3), None], &[Some(c4), None]).is_none());
        // Nothing moved: nobody.
        assert!(
            touched(&repo, &[Some(c4), None], &[Some(c4), None])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn an_exemption_may_end_from_the_day_after_its_last_begins_anywhere() {
        // 2026-03-02 00:00 UTC+14 is 2026-03-01 10:00 UTC.
        assert_eq!(exemption_ends_at("2026-03-01"), Some(1_772_359_200));
    }

    fn exemption_ends_at(until: &str) -> Option<i64> {
        super::pages::exemption_ends(until)
    }
}
