//! Covered since: when each person's current uninterrupted coverage by each policy began,
//! read from the roster and the policy texts along the handbook line.
//!
//! The line is walked once, oldest first, and only what changes is kept: for each person,
//! the positions where they joined or left the roster or changed teams or roles; for each
//! policy, the positions where its `applies_to` changed or it came or went. A person is
//! covered by a policy at a position when they are on the roster there and the policy's
//! `applies_to` names `everyone` or one of their teams or roles; coverage lost and regained
//! starts again. Answers for any earlier position come from the same timelines (for
//! `acks --at`).
//!
//! The timelines are pure functions of git objects on the line, so they are kept in
//! `<git dir>/normsctl/coverage-<hash>.json` with the tip they reach; a later run on a
//! line that still contains that tip walks only the commits landed since. Nothing here
//! prints.

use super::AckError;
use super::line::Line;
use super::people::People;
use super::snapshot::{Layout, PolicyFile, parse_policy};
use crate::history::{self, Change};
use crate::model::{AckMode, EVERYONE};
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

const FORMAT: u32 = 1;

/// One change of a timeline: from line position `at` (landed at `time`), the group set
/// `set` (an index into [`Coverage::sets`]), or `None` (off the roster; policy absent or
/// asking no acknowledgement).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Step {
    pub at: u32,
    pub time: i64,
    pub set: Option<u32>,
}

/// When coverage began, and whether that was the person's first appearance on the roster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Start {
    pub time: i64,
    pub first_appearance: bool,
}

/// The timelines of one handbook line.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Coverage {
    format: u32,
    tool: String,
    roster_path: String,
    policies_dir: String,
    /// The line tip the timelines reach.
    #[serde(with = "opt_oid_text")]
    tip: Option<Oid>,
    /// Roster blob at the tip.
    #[serde(with = "opt_oid_text")]
    roster: Option<Oid>,
    /// Interned group sets: a person's teams and roles, or a policy's `applies_to`.
    sets: Vec<Vec<String>>,
    people: HashMap<String, Vec<Step>>,
    policies: HashMap<String, Vec<Step>>,
}

impl Coverage {
    /// The timelines of `line`, from what is kept where it holds.
    pub fn of(
        repo: &Repository,
        line: &Line,
        layout: &Layout,
        revisions: &[history::Revision],
    ) -> Result<Coverage, AckError> {
        let key = format!("{}|{}|{}", line.name, layout.roster, layout.policies);
        let file = crate::cache::path(repo.path(), "coverage", &key);
        let kept: Option<Coverage> = crate::cache::read(&file).filter(|c: &Coverage| {
            c.format == FORMAT
                && c.tool == crate::VERSION
                && c.roster_path == layout.roster
                && c.policies_dir == layout.policies
                && c.tip.is_some_and(|t| line.contains(t))
        });
        if let Some(k) = &kept
            && k.tip == Some(line.tip)
        {
            return Ok(kept.expect("checked"));
        }
        let mut cov = kept.unwrap_or_else(|| Coverage {
            format: FORMAT,
            tool: crate::VERSION.to_owned(),
            roster_path: layout.roster.clone(),
            policies_dir: layout.policies.clone(),
            ..Coverage::default()
        });
        let from = cov.tip.and_then(|t| line.position(t)).map_or(0, |p| p + 1);
        cov.extend(repo, line, from, revisions)?;
        cov.tip = Some(line.tip);
        crate::cache::write(&file, &cov);
        Ok(cov)
    }

    fn intern(&mut self, mut set: Vec<String>, index: &mut HashMap<Vec<String>, u32>) -> u32 {
        set.sort();
        set.dedup();
        if index.is_empty() {
            for (i, s) in self.sets.iter().enumerate() {
                index.insert(s.clone(), i as u32);
            }
        }
        if let Some(i) = index.get(&set) {
            return *i;
        }
        self.sets.push(set.clone());
        let i = (self.sets.len() - 1) as u32;
        index.insert(set, i);
        i
    }

    /// Walks the line from position `from` to its tip.
    fn extend(
        &mut self,
        repo: &Repository,
        line: &Line,
        from: usize,
        revisions: &[history::Revision],
    ) -> Result<(), AckError> {
        let mut index: HashMap<Vec<String>, u32> = HashMap::new();
        // Policy changes by line position (revisions come newest first).
        let mut by_pos: HashMap<usize, Vec<&history::Revision>> = HashMap::new();
        for r in revisions.iter().rev() {
            if let Some(p) = line.position(r.commit)
                && p >= from
            {
                by_pos.entry(p).or_default().push(r);
            }
        }
        let mut parsed: HashMap<Oid, Option<u32>> = HashMap::new();
        let commits = line.commits().to_vec();
        let roster_path = self.roster_path.clone();
        for (pos, oid) in commits.iter().enumerate().skip(from) {
            let time = line.time_at(pos).unwrap_or(0);
            let blob = repo
                .find_commit(*oid)?
                .tree()?
                .get_path(Path::new(&roster_path))
                .ok()
                .filter(|e| e.kind() == Some(git2::ObjectType::Blob))
                .map(|e| e.id());
            if blob != self.roster || pos == 0 && from == 0 {
                let people = blob.and_then(|b| People::decode(repo, b, &roster_path));
                self.roster_changed(people.as_ref(), pos as u32, time, &mut index);
                self.roster = blob;
            }
            for r in by_pos.remove(&pos).unwrap_or_default() {
                let set = match r.change {
                    Change::Retired => None,
                    _ => match parsed.get(&r.blob) {
                        Some(s) => *s,
                        None => {
                            let file = PolicyFile {
                                path: r.path.clone(),
                                blob: r.blob,
                            };
                            let s = parse_policy(repo, &file)
                                .filter(|p| p.ack == AckMode::Required)
                                .map(|p| {
                                    let groups =
                                        p.applies_to().into_iter().map(str::to_owned).collect();
                                    self.intern(groups, &mut index)
                                });
                            parsed.insert(r.blob, s);
                            s
                        }
                    },
                };
                push(
                    self.policies.entry(r.id.clone()).or_default(),
                    pos as u32,
                    time,
                    set,
                );
            }
        }
        Ok(())
    }

    fn roster_changed(
        &mut self,
        people: Option<&People>,
        at: u32,
        time: i64,
        index: &mut HashMap<Vec<String>, u32>,
    ) {
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for m in people.map(People::members).unwrap_or_default() {
            if !seen.insert(&m.id) {
                continue;
            }
            let groups = m.teams.iter().chain(&m.roles).cloned().collect();
            let set = self.intern(groups, index);
            push(
                self.people.entry(m.id.clone()).or_default(),
                at,
                time,
                Some(set),
            );
        }
        for (id, steps) in &mut self.people {
            if !seen.contains(id.as_str()) {
                push(steps, at, time, None);
            }
        }
    }

    /// When `person`'s current uninterrupted coverage by `policy` began, as the line
    /// stood at position `upto`; `None` when they are not covered there (or the history
    /// does not say).
    pub fn start(&self, person: &str, policy: &str, upto: usize) -> Option<Start> {
        self.start_of(self.person(person)?, self.policy(policy)?, upto)
    }

    /// A person's timeline (to look up once and ask [`Coverage::start_of`] many times).
    pub fn person(&self, id: &str) -> Option<&[Step]> {
        self.people.get(id).map(Vec::as_slice)
    }

    /// A policy's timeline.
    pub fn policy(&self, id: &str) -> Option<&[Step]> {
        self.policies.get(id).map(Vec::as_slice)
    }

    /// [`Coverage::start`] for timelines already looked up.
    pub fn start_of(&self, p: &[Step], q: &[Step], upto: usize) -> Option<Start> {
        let upto = upto as u32;
        let first = p.iter().find(|s| s.set.is_some()).map(|s| s.at)?;
        let (mut i, mut j) = (0, 0);
        let (mut mine, mut theirs): (Option<u32>, Option<u32>) = (None, None);
        let mut start: Option<Step> = None;
        loop {
            let next_p = p.get(i).filter(|s| s.at <= upto);
            let next_q = q.get(j).filter(|s| s.at <= upto);
            let step = match (next_p, next_q) {
                (None, None) => break,
                (Some(a), Some(b)) if a.at == b.at => {
                    i += 1;
                    j += 1;
                    mine = a.set;
                    theirs = b.set;
                    *a
                }
                (Some(a), Some(b)) if a.at < b.at => {
                    i += 1;
                    mine = a.set;
                    *a
                }
                (Some(a), None) => {
                    i += 1;
                    mine = a.set;
                    *a
                }
                (_, Some(b)) => {
                    j += 1;
                    theirs = b.set;
                    *b
                }
            };
            let covered = match (mine, theirs) {
                (Some(m), Some(t)) => covers(&self.sets[t as usize], &self.sets[m as usize]),
                _ => false,
            };
            match (covered, start) {
                (true, None) => start = Some(step),
                (false, Some(_)) => start = None,
                _ => {}
            }
        }
        start.map(|s| Start {
            time: s.time,
            first_appearance: s.at == first,
        })
    }
}

/// Whether `applies_to` covers someone in `groups`.
fn covers(applies_to: &[String], groups: &[String]) -> bool {
    applies_to
        .iter()
        .any(|g| g == EVERYONE || groups.binary_search(g).is_ok())
}

/// Adds a step unless it says what the last one says.
fn push(steps: &mut Vec<Step>, at: u32, time: i64, set: Option<u32>) {
    match steps.last() {
        Some(last) if last.set == set => {}
        None if set.is_none() => {}
        _ => steps.push(Step { at, time, set }),
    }
}

mod opt_oid_text {
    use git2::Oid;
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(oid: &Option<Oid>, s: S) -> Result<S::Ok, S::Error> {
        match oid {
            Some(o) => s.serialize_some(&o.to_string()),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Oid>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| Oid::from_str(&t).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(at: u32, set: Option<u32>) -> Step {
        Step {
            at,
            time: i64::from(at) * 10,
            set,
        }
    }

    #[test]
    fn coverage_lost_and_regained_starts_again() {
        let cov = Coverage {
            sets: vec![vec!["t1".into()], vec!["t2".into()], vec!["t1".into()]],
            people: HashMap::from([(
                "ana".to_owned(),
                vec![step(1, Some(0)), step(3, Some(1)), step(5, Some(0))],
            )]),
            policies: HashMap::from([("p".to_owned(), vec![step(0, Some(2))])]),
            ..Coverage::default()
        };
        assert_eq!(
            cov.start("ana", "p", 2),
            Some(Start {
                time: 10,
                first_appearance: true
            })
        );
        assert_eq!(cov.start("ana", "p", 4), None);
        assert_eq!(
            cov.start("ana", "p", 9),
            Some(Start {
                time: 50,
                first_appearance: false
            })
        );
        assert_eq!(cov.start("ana", "p", 0), None);
        assert_eq!(cov.start("bo", "p", 9), None);
    }
}
