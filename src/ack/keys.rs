//! Which signing key an entry is judged under, decided by where the key changes are
//! anchored in the ledger, which nobody can move afterwards.
//!
//! Every change to a person's `signing_key` on the handbook line (added, rotated, removed)
//! names the ledger commit it takes effect after (`signing_key: { key, after }`). An entry
//! is judged under the key state set by the last change, in handbook-line order, whose
//! anchor does not already hold the entry: entries the ledger held when a change took
//! effect keep the state before it, and every other entry, however it reached the ledger
//! (a branch grown from an old ledger commit and merged, a backdated commit, a stolen key
//! after its rotation), is judged under the newer state. A plain `signing_key: "..."`
//! (no anchor) holds nothing, so it applies to every entry; an anchor that is not a commit
//! of the ledger holds nothing either. The roster at the commit an entry names, which its
//! writer picks, decides nothing about keys. Nothing here prints.

use super::AckError;
use super::line::Line;
use super::snapshot::{Layout, parse_roster};
use git2::{ObjectType, Oid, Repository};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// One person's key from one change on: the key (`None`: none required) and the ledger
/// commit the change takes effect after (`None`: applies to every entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyState {
    pub key: Option<String>,
    pub after: Option<String>,
}

/// Every person's key states along the handbook line, oldest first, each differing from
/// the one before it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyHistory {
    by_person: HashMap<String, Vec<KeyState>>,
}

impl KeyHistory {
    /// Reads the roster at every commit of the line (each distinct roster file once). A
    /// roster that cannot be read changes nothing.
    pub fn of(repo: &Repository, line: &Line, layout: &Layout) -> Result<KeyHistory, AckError> {
        let mut history = KeyHistory::default();
        let mut last_blob = None;
        for &commit in line.commits() {
            let blob = repo
                .find_commit(commit)?
                .tree()?
                .get_path(Path::new(&layout.roster))
                .ok()
                .filter(|e| e.kind() == Some(ObjectType::Blob))
                .map(|e| e.id());
            if blob.is_none() || blob == last_blob {
                continue;
            }
            last_blob = blob;
            let Some(roster) = blob
                .and_then(|b| repo.find_blob(b).ok())
                .and_then(|b| parse_roster(&layout.roster, b.content()))
            else {
                continue;
            };
            for p in &roster.people {
                let state = KeyState {
                    key: p.signing_key.as_ref().map(|k| k.value.clone()),
                    after: p.key_after.as_ref().map(|a| a.value.clone()),
                };
                let states = history.by_person.entry(p.id.value.clone()).or_default();
                if states.last() != Some(&state) {
                    states.push(state);
                }
            }
        }
        Ok(history)
    }

    /// The states of one person, oldest first (empty for someone never on the roster).
    pub fn states(&self, person: &str) -> &[KeyState] {
        self.by_person.get(person).map_or(&[], Vec::as_slice)
    }
}

/// Decides, entry by entry, which key state applies, reading each anchor's tree once.
pub struct Anchors<'r> {
    repo: &'r Repository,
    /// The ledger's tips: an anchor counts only when one of them contains it.
    ledger_tips: Vec<Oid>,
    /// The entry files (blobs) each anchor holds for a person; `None`: not an anchor.
    held: HashMap<(String, String), Option<HashSet<Oid>>>,
    /// Whether an anchor named by the roster is not (yet) a commit of this clone's ledger:
    /// verdicts reached then may change once it arrives, so they must not be kept.
    pub missed: bool,
}

impl<'r> Anchors<'r> {
    pub fn new(repo: &'r Repository, ledger_tips: Vec<Oid>) -> Anchors<'r> {
        Anchors {
            repo,
            ledger_tips,
            held: HashMap::new(),
            missed: false,
        }
    }

    /// The key state an entry file (its `blob`) of `person` is judged under: the last
    /// state whose anchor does not hold it; `None` when the person has none. Which path
    /// the file sits at does not matter (a copy is the same entry).
    pub fn state_for<'h>(
        &mut self,
        states: &'h [KeyState],
        person: &str,
        blob: Oid,
    ) -> Result<Option<&'h KeyState>, AckError> {
        for s in states.iter().rev() {
            match &s.after {
                Some(anchor) if self.holds(anchor, person, blob)? => {}
                _ => return Ok(Some(s)),
            }
        }
        Ok(None)
    }

    /// Whether the ledger commit `anchor` holds an entry file `blob` of `person`.
    fn holds(&mut self, anchor: &str, person: &str, blob: Oid) -> Result<bool, AckError> {
        let key = (anchor.to_owned(), person.to_owned());
        if !self.held.contains_key(&key) {
            let oid = Oid::from_str(anchor).ok();
            let on_ledger = oid.is_some_and(|oid| {
                self.ledger_tips
                    .iter()
                    .any(|&t| t == oid || self.repo.graph_descendant_of(t, oid).unwrap_or(false))
            });
            let held = match oid {
                Some(oid) if on_ledger => Some(
                    super::ledger::list_person(self.repo, &[oid], person)?
                        .into_iter()
                        .map(|l| l.blob)
                        .collect(),
                ),
                _ => {
                    self.missed = true;
                    None
                }
            };
            self.held.insert(key.clone(), held);
        }
        Ok(self.held[&key].as_ref().is_some_and(|h| h.contains(&blob)))
    }
}

/// A key change ready to be written into the roster: what `normsctl acks key` gives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyChange {
    pub person: String,
    /// The new key (`None`: the key's removal).
    pub key: Option<String>,
    /// The ledger commit it takes effect after: the published ledger's tip, else the local
    /// one.
    pub after: Oid,
    /// Whether `after` is on the remote already (else `acks sync` must push it before the
    /// change is reviewed, or other clones cannot check the anchor).
    pub published: bool,
}

/// The anchored `signing_key` for `person` (on the roster at HEAD): `key` is one line of a
/// `.pub` file, `None` to remove the key.
pub fn change(cx: &super::Context, person: &str, key: Option<&str>) -> Result<KeyChange, AckError> {
    let snap = cx.snapshot()?;
    let person = cx.people(&snap)?.resolve(person)?.id.clone();
    let key = key
        .map(|k| {
            crate::model::parse_signing_key(k)
                .map(|_| k.trim().to_owned())
                .map_err(|e| AckError::BadKey(e.to_string()))
        })
        .transpose()?;
    let remote = cx.ledger.remote(cx.repo)?;
    let after = cx.ledger.base(cx.repo)?.ok_or(AckError::NoLedgerToAnchor)?;
    Ok(KeyChange {
        person,
        key,
        after,
        published: remote == Some(after),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(key: Option<&str>, after: Option<&str>) -> KeyState {
        KeyState {
            key: key.map(str::to_owned),
            after: after.map(str::to_owned),
        }
    }

    #[test]
    fn an_unanchored_state_holds_nothing() {
        let repo_dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(repo_dir.path()).unwrap();
        let mut anchors = Anchors::new(&repo, vec![]);
        let states = [state(None, None), state(Some("k"), None)];
        let blob = Oid::from_bytes(&[1; 20]).unwrap();
        assert_eq!(
            anchors.state_for(&states, "bo", blob).unwrap(),
            Some(&states[1]),
            "a plain key applies to every entry"
        );
        assert!(!anchors.missed);
        // An anchor that is not a ledger commit holds nothing: the newer state applies.
        let states = [state(None, None), state(Some("k"), Some(&"1".repeat(40)))];
        assert_eq!(
            anchors.state_for(&states, "bo", blob).unwrap(),
            Some(&states[1])
        );
        assert!(anchors.missed);
        assert_eq!(anchors.state_for(&[], "bo", blob).unwrap(), None);
    }
}
