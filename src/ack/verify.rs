//! Checking the whole ledger: append-only history, well-formed entries bound to policy
//! texts on the handbook line (see [`super::line`]) with exactly the revision each text
//! declares, signatures where the roster had a key, and a tip that descends from the last
//! tip this clone verified.
//!
//! Objects are read with libgit2's hash checks on; this module never turns them off, and
//! the process that runs it must not either (`git2::opts::strict_hash_verification` is
//! global to the process).

use super::AckError;
use super::entry::{self, Parsed};
use super::keys::{Anchors, KeyHistory};
use super::ledger::Ledger;
use super::line::Line;
use super::portal_key::PortalKeys;
use super::snapshot::{Layout, parse_roster};
use crate::model::Roster;
pub use crate::model::ack::{EntryCheck, Outcome, Problem};
use git2::{Oid, Repository};
use std::collections::HashMap;
use std::path::Path;
use std::rc::Rc;

/// Where this clone keeps the last verified tip of a ledger ref.
pub fn checkpoint_ref(name: &str) -> String {
    format!(
        "refs/normsctl/verified/{}",
        name.strip_prefix("refs/").unwrap_or(name)
    )
}

/// Verifies every ledger ref this clone has (the branch and its remote-tracking twin).
pub fn verify(
    repo: &Repository,
    ledger: &Ledger,
    layout: &Layout,
    line: &Line,
) -> Result<Outcome, AckError> {
    debug_assert!(
        crate::workspace::git::hash_checks_on(),
        "verification judges ledger entries: git's hash checks must be on in this process"
    );
    ledger.require_fetched(repo, &line.remote)?;
    if !line.complete {
        return Err(crate::history::require_complete(repo)
            .err()
            .unwrap_or(crate::history::HistoryError::Shallow)
            .into());
    }
    let mut out = Outcome::default();
    let mut refs = vec![ledger.name.clone()];
    refs.extend(ledger.tracking.clone());
    for name in refs {
        let Ok(r) = repo.find_reference(&name) else {
            continue;
        };
        let Some(tip) = r.target() else { continue };
        if repo.find_commit(tip).is_err() {
            out.problems.push(Problem {
                commit: tip,
                path: None,
                message: format!("{name} does not point at a commit"),
            });
            continue;
        }
        if let Some(problem) = check_checkpoint(repo, &name, tip) {
            out.problems.push(problem);
        }
        out.tips.push((name, tip));
    }
    if out.tips.is_empty() {
        return Ok(out);
    }
    let tips: Vec<Oid> = out.tips.iter().map(|(_, t)| *t).collect();
    let walked = super::walk::walk(repo, &tips, &[])?;
    out.commits = walked.commits.len();
    let position: HashMap<Oid, usize> = walked
        .commits
        .iter()
        .enumerate()
        .map(|(i, c)| (*c, i))
        .collect();
    // (commit position, 0 for an alteration and 1 for an entry's verdict, problem): sorted,
    // the first is the first bad commit in history order.
    let mut found: Vec<(usize, u8, Problem)> = Vec::new();
    for a in &walked.alterations {
        let message = match a.new {
            None => format!("removes an entry that {} holds", short(a.parent)),
            Some(_) => format!("changes an entry that {} holds", short(a.parent)),
        };
        let problem = Problem {
            commit: a.commit,
            path: Some(a.path.clone()),
            message,
        };
        found.push((position[&a.commit], 0, problem));
    }
    let additions: Vec<&super::walk::Addition> = walked.additions.iter().collect();
    let (checks, _) = judge_each(repo, layout, line, &tips, &additions, |repo, judge, add| {
        Ok(match repo.find_blob(add.blob) {
            Ok(b) => judge.file(&add.path, b.content(), add.blob)?,
            Err(e) => EntryCheck {
                signed: false,
                by_other: false,
                problem: Some(format!("cannot be read: {}", e.message())),
                newer: false,
                via: None,
            },
        })
    })?;
    for (add, check) in walked.additions.into_iter().zip(checks) {
        out.entries += 1;
        out.signed += usize::from(check.signed);
        out.by_other += usize::from(check.by_other);
        if let Some(message) = check.problem {
            let problem = Problem {
                commit: add.commit,
                path: Some(add.path),
                message,
            };
            if check.newer {
                out.newer.push(problem);
            } else {
                found.push((position[&add.commit], 1, problem));
            }
        }
    }
    found.sort_by_key(|(at, kind, _)| (*at, *kind));
    out.problems.extend(found.into_iter().map(|(_, _, p)| p));
    // Reviewed exceptions, from the settings on the handbook line (nothing written to the
    // ledger can except anything).
    let exceptions = super::snapshot::settings_at(repo, line.tip, layout)
        .acks
        .exceptions;
    if !exceptions.is_empty() {
        let (excepted, kept): (Vec<Problem>, Vec<Problem>) = out
            .problems
            .drain(..)
            .partition(|p| exceptions.iter().any(|e| e.commit == p.commit.to_string()));
        out.problems = kept;
        out.excepted = excepted
            .into_iter()
            .map(|p| {
                let reason = exceptions
                    .iter()
                    .find(|e| e.commit == p.commit.to_string())
                    .map(|e| e.reason.clone())
                    .unwrap_or_default();
                (p, reason)
            })
            .collect();
    }
    Ok(out)
}

/// Records the verified tips as this clone's checkpoints.
pub fn record_checkpoints(repo: &Repository, outcome: &Outcome) -> Result<(), AckError> {
    for (name, tip) in &outcome.tips {
        repo.reference(&checkpoint_ref(name), *tip, true, "normsctl acks verify")?;
    }
    Ok(())
}

fn check_checkpoint(repo: &Repository, name: &str, tip: Oid) -> Option<Problem> {
    let cp = repo.find_reference(&checkpoint_ref(name)).ok()?.target()?;
    if cp == tip {
        return None;
    }
    let message = if repo.find_commit(cp).is_err() {
        format!(
            "{name} was rewritten: the last verified tip {} is gone",
            short(cp)
        )
    } else if repo.graph_descendant_of(tip, cp).unwrap_or(false) {
        return None;
    } else {
        format!(
            "{name} was rewritten: {} does not descend from the last verified tip {}",
            short(tip),
            short(cp)
        )
    };
    Some(Problem {
        commit: tip,
        path: None,
        message,
    })
}

fn short(oid: Oid) -> String {
    oid.to_string()[..10].to_owned()
}

/// A roster with its people indexed by id: the judge looks one up for every entry.
struct Indexed {
    roster: Roster,
    by_id: HashMap<String, usize>,
}

impl Indexed {
    fn new(roster: Roster) -> Indexed {
        let mut by_id = HashMap::with_capacity(roster.people.len());
        for (i, p) in roster.people.iter().enumerate() {
            by_id.entry(p.id.value.clone()).or_insert(i);
        }
        Indexed { roster, by_id }
    }

    /// As [`Roster::person`].
    fn person(&self, id: &str) -> Option<&crate::model::Person> {
        self.by_id.get(id).map(|&i| &self.roster.people[i])
    }
}

/// Runs `f` with a judge on each of `items`, in order, on every core when there are many:
/// each thread opens its own handle on the repository (a handle is never shared between
/// threads) with its own judge and caches. Also says whether any judge met an anchor of a
/// key change that is not in this clone's ledger.
pub fn judge_each<I: Sync, T: Send>(
    repo: &Repository,
    layout: &Layout,
    line: &Line,
    ledger_tips: &[Oid],
    items: &[I],
    f: impl Fn(&Repository, &mut Judge, &I) -> Result<T, AckError> + Sync,
) -> Result<(Vec<T>, bool), AckError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if items.len() < 512 || threads < 2 {
        let mut judge = Judge::new(repo, layout, line, ledger_tips.to_vec());
        let out = items
            .iter()
            .map(|i| f(repo, &mut judge, i))
            .collect::<Result<Vec<T>, AckError>>()?;
        return Ok((out, judge.anchors.missed));
    }
    let git_dir = repo.path();
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(items.len().div_ceil(threads))
            .map(|part| {
                scope.spawn(move || -> Result<(Vec<T>, bool), AckError> {
                    let repo = Repository::open(git_dir)?;
                    let mut judge = Judge::new(&repo, layout, line, ledger_tips.to_vec());
                    let out = part
                        .iter()
                        .map(|i| f(&repo, &mut judge, i))
                        .collect::<Result<Vec<T>, AckError>>()?;
                    Ok((out, judge.anchors.missed))
                })
            })
            .collect();
        let mut all = Vec::with_capacity(items.len());
        let mut missed = false;
        for h in handles {
            let (out, m) = h.join().expect("a judging thread panicked")?;
            all.extend(out);
            missed |= m;
        }
        Ok((all, missed))
    })
}

/// Judges entries against the handbook, caching what many entries share.
pub struct Judge<'r> {
    repo: &'r Repository,
    layout: &'r Layout,
    line: &'r Line,
    /// The blob at a path in a handbook commit.
    texts: HashMap<(Oid, String), Option<Oid>>,
    revisions: HashMap<Oid, Option<u32>>,
    /// Rosters by blob, each with its people indexed by id (the first of a repeated id).
    rosters: HashMap<Oid, Option<Rc<Indexed>>>,
    roster_blobs: HashMap<Oid, Option<Oid>>,
    /// Every person's key states along the line, read when the first entry needs them.
    keys: Option<KeyHistory>,
    /// The portal key's states along the line, read when the first portal entry needs them.
    portal: Option<PortalKeys>,
    pub anchors: Anchors<'r>,
}

impl<'r> Judge<'r> {
    /// `ledger_tips`: the ledger's tips, whose commits are the only anchors of key changes.
    pub fn new(
        repo: &'r Repository,
        layout: &'r Layout,
        line: &'r Line,
        ledger_tips: Vec<Oid>,
    ) -> Judge<'r> {
        debug_assert!(
            crate::workspace::git::hash_checks_on(),
            "a judge of ledger entries needs git's hash checks on in this process"
        );
        Judge {
            repo,
            layout,
            line,
            texts: HashMap::new(),
            revisions: HashMap::new(),
            rosters: HashMap::new(),
            roster_blobs: HashMap::new(),
            keys: None,
            portal: None,
            anchors: Anchors::new(repo, ledger_tips),
        }
    }

    /// Checks one entry file (`bytes`, stored as the blob `blob`). `Err` only for an
    /// environment problem (a shallow clone).
    pub fn file(&mut self, path: &str, bytes: &[u8], blob: Oid) -> Result<EntryCheck, AckError> {
        self.file_and_entry(path, bytes, blob)
            .map(|(check, _)| check)
    }

    /// [`Judge::file`], with the entry as parsed when it is well-formed (so a caller
    /// need not parse it again).
    pub fn file_and_entry(
        &mut self,
        path: &str,
        bytes: &[u8],
        blob: Oid,
    ) -> Result<(EntryCheck, Option<Parsed>), AckError> {
        match entry::parse_blob(path, bytes, blob) {
            Ok((parsed, payload)) => {
                let check = self.entry(&parsed, &payload, blob)?;
                Ok((check, Some(parsed)))
            }
            Err(e @ entry::Malformed::Newer(_)) => Ok((
                EntryCheck {
                    signed: false,
                    by_other: false,
                    problem: Some(e.to_string()),
                    newer: true,
                    via: None,
                },
                None,
            )),
            Err(e) => Ok((
                EntryCheck {
                    signed: false,
                    by_other: false,
                    problem: Some(format!("malformed entry: {e}")),
                    newer: false,
                    via: None,
                },
                None,
            )),
        }
    }

    /// Checks a well-formed entry, kept in the ledger as the blob `file`, against the
    /// handbook at its commit and the key changes anchored in the ledger.
    pub fn entry(
        &mut self,
        parsed: &Parsed,
        payload: &[u8],
        file: Oid,
    ) -> Result<EntryCheck, AckError> {
        let e = &parsed.entry;
        let mut check = EntryCheck {
            signed: parsed.signature.is_some(),
            by_other: false,
            problem: None,
            newer: false,
            via: None,
        };
        let commit = Oid::from_str(&e.commit).expect("checked when parsed");
        let blob = Oid::from_str(&e.blob).expect("checked when parsed");
        let Some(roster_blob) = self.roster_blob(commit)? else {
            check.problem = Some(format!(
                "bound to handbook commit {} that is not in this repository",
                short(commit)
            ));
            return Ok(check);
        };
        if !self.line.contains(commit) {
            check.problem = Some(format!(
                "bound to handbook commit {}, which is not on the handbook line ({}): a side branch, an unpublished commit or a stray object never makes an acknowledgement valid",
                short(commit),
                self.line.name
            ));
            return Ok(check);
        }
        let text = self.text(commit, &e.path);
        if text != Some(blob) || crate::history::stem(&e.path) != e.policy {
            check.problem = Some(format!(
                "bound to blob {} that is not policy {}'s text at {} ({})",
                short(blob),
                e.policy,
                short(commit),
                e.path
            ));
            return Ok(check);
        }
        if self.revision(blob) != Some(e.revision) {
            check.problem = Some(format!(
                "says revision {} of {}, but that text declares another",
                e.revision, e.policy
            ));
            return Ok(check);
        }
        let roster = roster_blob.and_then(|b| self.roster(b));
        let Some(person) = roster.as_ref().and_then(|r| r.person(&e.person)) else {
            check.problem = Some(format!(
                "names {}, who is not on the roster at {}",
                e.person,
                short(commit)
            ));
            return Ok(check);
        };
        check.by_other = !person
            .emails
            .iter()
            .any(|m| m.value.eq_ignore_ascii_case(&e.writer.email));
        if self.keys.is_none() {
            self.keys = Some(KeyHistory::of(self.repo, self.line, self.layout)?);
        }
        let states = self.keys.as_ref().map_or(&[][..], |k| k.states(&e.person));
        let key = self
            .anchors
            .state_for(states, &e.person, file)?
            .and_then(|s| s.key.as_deref());
        if let Some(key) = key {
            check.problem = match &parsed.signature {
                None => Some(format!(
                    "unsigned, but {} has a signing key that applies to this entry (see `signing_key` in the roster's history)",
                    e.person,
                )),
                Some(sig) => super::sign::verify(key, payload, sig)
                    .err()
                    .map(|why| format!("bad signature for {}: {why}", e.person)),
            };
        }
        if e.via.is_some() && check.problem.is_none() {
            if self.portal.is_none() {
                self.portal = Some(PortalKeys::of(self.repo, self.line, self.layout)?);
            }
            let portal = self.portal.as_ref().expect("read above");
            check.via = portal.shown(&mut self.anchors, parsed, payload, file)?;
        }
        Ok(check)
    }

    /// The roster file's blob at a handbook commit: `Ok(None)` when the commit is
    /// missing, `Ok(Some(None))` when it has no roster.
    fn roster_blob(&mut self, commit: Oid) -> Result<Option<Option<Oid>>, AckError> {
        if let Some(b) = self.roster_blobs.get(&commit) {
            return Ok(Some(*b));
        }
        let Ok(c) = self.repo.find_commit(commit) else {
            if self.repo.is_shallow() {
                return Err(crate::history::HistoryError::Shallow.into());
            }
            return Ok(None);
        };
        let b = c
            .tree()?
            .get_path(Path::new(&self.layout.roster))
            .ok()
            .map(|e| e.id());
        self.roster_blobs.insert(commit, b);
        Ok(Some(b))
    }

    fn roster(&mut self, blob: Oid) -> Option<Rc<Indexed>> {
        let repo = self.repo;
        let path = &self.layout.roster;
        self.rosters
            .entry(blob)
            .or_insert_with(|| {
                let b = repo.find_blob(blob).ok()?;
                parse_roster(path, b.content()).map(|roster| Rc::new(Indexed::new(roster)))
            })
            .clone()
    }

    fn text(&mut self, commit: Oid, path: &str) -> Option<Oid> {
        let repo = self.repo;
        *self
            .texts
            .entry((commit, path.to_owned()))
            .or_insert_with(|| {
                let tree = repo.find_commit(commit).ok()?.tree().ok()?;
                let e = tree.get_path(Path::new(path)).ok()?;
                (e.kind() == Some(git2::ObjectType::Blob)).then(|| e.id())
            })
    }

    fn revision(&mut self, blob: Oid) -> Option<u32> {
        let repo = self.repo;
        *self
            .revisions
            .entry(blob)
            .or_insert_with(|| crate::history::declared_revision(repo, blob))
    }
}
