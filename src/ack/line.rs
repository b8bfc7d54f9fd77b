//! The handbook line: the first-parent line of the handbook's published branch, the only
//! history acknowledgements are bound to and judged against.
//!
//! Its tip is `refs/remotes/<acks.remote>/<acks.branch>`, what the forge published after
//! review, or the local `refs/heads/<acks.branch>` in a repository that has no such
//! remote-tracking ref (no remote at all). A side branch, an unpublished local commit or a
//! stray commit object is not on it, so none of them can make an entry valid, whatever
//! roster or text it holds. Nothing here prints.

use super::AckError;
use crate::history::{self, Change};
use crate::model::AckSettings;
use foldhash::{HashMap, HashMapExt};
use git2::{ErrorCode, Oid, Repository};

/// The current text of one policy on the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Current {
    /// The revision the text at the tip declares.
    pub revision: u32,
    /// The first-parent commit that landed that revision's text since the policy last
    /// appeared (an edit that keeps the revision does not move it).
    pub landed: Oid,
    /// Its committer time.
    pub landed_at: i64,
}

/// The handbook line of one repository.
#[derive(Clone, Debug)]
pub struct Line {
    /// The ref the tip was read from.
    pub name: String,
    pub tip: Oid,
    /// The remote whose branch is the line (`acks.remote`).
    pub remote: String,
    /// Whether this clone holds the line's whole history (not a shallow or partial clone):
    /// without it, no acknowledgement can be judged here.
    pub complete: bool,
    /// First-parent commits by position, the root at 0.
    positions: HashMap<Oid, usize>,
    /// The line's commits, root first (`order[position]`).
    order: Vec<Oid>,
    /// Their committer times (when each landed on the line).
    times: Vec<i64>,
    /// Policies present at the tip.
    current: HashMap<String, Current>,
}

impl Line {
    /// The ref that holds the line's tip for these settings: the remote-tracking branch
    /// when this clone has it, else the local branch; `None` when neither exists.
    pub fn tip_ref(
        repo: &Repository,
        settings: &AckSettings,
    ) -> Result<Option<(String, Oid)>, AckError> {
        for name in [
            format!("refs/remotes/{}/{}", settings.remote, settings.branch),
            format!("refs/heads/{}", settings.branch),
        ] {
            match repo.find_reference(&name) {
                Ok(r) => {
                    let commit = r
                        .peel_to_commit()
                        .map_err(|_| AckError::BadRef(name.clone()))?;
                    return Ok(Some((name, commit.id())));
                }
                Err(e) if e.code() == ErrorCode::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }

    /// Reads the line and, from the history index, each policy's current text.
    /// `policies_dir` is the policies folder from the top of the work tree.
    pub fn open(
        repo: &Repository,
        settings: &AckSettings,
        policies_dir: &str,
    ) -> Result<Line, AckError> {
        let (name, tip) = Line::tip_ref(repo, settings)?.ok_or_else(|| AckError::NoLine {
            branch: settings.branch.clone(),
            remote: settings.remote.clone(),
        })?;
        let mut line = match history::cache::walk(repo, tip, policies_dir) {
            Ok(cached) => Line::from_parts(repo, name, tip, &cached.revisions)?,
            Err(history::HistoryError::Shallow | history::HistoryError::Partial) => {
                let mut line = Line::from_parts(repo, name, tip, &[])?;
                line.complete = false;
                line
            }
            Err(e) => return Err(e.into()),
        };
        line.remote = settings.remote.clone();
        Ok(line)
    }

    /// The line ending at `tip`, with the policy changes on it (newest first, as
    /// [`history::walk`] gives them).
    pub fn from_parts(
        repo: &Repository,
        name: String,
        tip: Oid,
        revisions: &[history::Revision],
    ) -> Result<Line, AckError> {
        let mut line = history::first_parent_line(repo, tip)?;
        line.reverse();
        let order: Vec<Oid> = line.iter().map(git2::Commit::id).collect();
        let times: Vec<i64> = line
            .iter()
            .map(|c| c.committer().when().seconds())
            .collect();
        let positions = order.iter().enumerate().map(|(i, oid)| (*oid, i)).collect();
        Ok(Line {
            name,
            tip,
            remote: "origin".to_owned(),
            complete: true,
            positions,
            order,
            times,
            current: current_texts(revisions),
        })
    }

    /// Where a commit sits on the line (the root at 0), if it is on it.
    pub fn position(&self, commit: Oid) -> Option<usize> {
        self.positions.get(&commit).copied()
    }

    /// The line's commits, root first.
    pub fn commits(&self) -> &[Oid] {
        &self.order
    }

    /// When the commit at `position` landed (its committer time).
    pub fn time_at(&self, position: usize) -> Option<i64> {
        self.times.get(position).copied()
    }

    /// When a commit on the line landed.
    pub fn landed(&self, commit: Oid) -> Option<i64> {
        self.position(commit).and_then(|p| self.time_at(p))
    }

    /// The last commit on the line that landed at or before `time` (its position): the
    /// handbook as it stood then. Landing times along a line normally grow; where a clock
    /// went back, the last commit not later than `time` is taken.
    pub fn at_time(&self, time: i64) -> Option<usize> {
        self.times.iter().rposition(|&t| t <= time)
    }

    pub fn contains(&self, commit: Oid) -> bool {
        self.positions.contains_key(&commit)
    }

    /// The current text of a policy present at the tip.
    pub fn current(&self, policy: &str) -> Option<&Current> {
        self.current.get(policy)
    }

    /// Whether an acknowledgement of `revision` of `policy` bound to line commit `commit`
    /// counts for the policy's current text: the same revision, read at or after the
    /// landing of that revision's text since the policy last appeared. A policy retired
    /// and added again under the same id and revision is another text: acknowledgements
    /// of the first life do not count for the second.
    pub fn is_current(&self, policy: &str, revision: u32, commit: Oid) -> bool {
        let (Some(cur), Some(at)) = (self.current(policy), self.position(commit)) else {
            return false;
        };
        cur.revision == revision && self.position(cur.landed).is_some_and(|landed| at >= landed)
    }
}

/// For each policy present at the end of `revisions` (newest first), its current revision
/// and the landing of that revision's text since the policy last appeared.
fn current_texts(revisions: &[history::Revision]) -> HashMap<String, Current> {
    let mut current: HashMap<String, Current> = HashMap::new();
    for r in revisions.iter().rev() {
        match r.change {
            Change::Retired => {
                current.remove(&r.id);
            }
            Change::Moved => {}
            Change::Added | Change::Material | Change::Editorial => {
                let Some(revision) = r.revision else {
                    // An unreadable text: nothing can be acknowledged against it.
                    current.remove(&r.id);
                    continue;
                };
                let keeps = r.change == Change::Editorial
                    && current.get(&r.id).is_some_and(|c| c.revision == revision);
                if !keeps {
                    current.insert(
                        r.id.clone(),
                        Current {
                            revision,
                            landed: r.commit,
                            landed_at: r.landed.seconds,
                        },
                    );
                }
            }
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Revision, Stamp};

    fn rev(id: &str, change: Change, revision: Option<u32>, commit: u8) -> Revision {
        let oid = Oid::from_bytes(&[commit; 20]).unwrap();
        Revision {
            id: id.into(),
            change,
            review: false,
            revision,
            path: format!("policies/{id}.yaml"),
            old_path: None,
            blob: oid,
            commit: oid,
            landed: Stamp {
                seconds: i64::from(commit),
                offset_minutes: 0,
            },
            author_name: String::new(),
            author_email: String::new(),
            authored: Stamp {
                seconds: 0,
                offset_minutes: 0,
            },
            subject: String::new(),
        }
    }

    #[test]
    fn the_current_text_starts_at_its_revisions_landing() {
        // Newest first.
        let revisions = [
            rev("a", Change::Moved, Some(2), 5),
            rev("a", Change::Editorial, Some(2), 4),
            rev("a", Change::Material, Some(2), 3),
            rev("a", Change::Editorial, Some(1), 2),
            rev("a", Change::Added, Some(1), 1),
        ];
        let cur = current_texts(&revisions);
        assert_eq!(cur["a"].revision, 2);
        assert_eq!(cur["a"].landed, Oid::from_bytes(&[3; 20]).unwrap());
    }

    #[test]
    fn a_policy_added_again_is_a_new_text() {
        let revisions = [
            rev("h", Change::Added, Some(1), 3),
            rev("h", Change::Retired, None, 2),
            rev("h", Change::Added, Some(1), 1),
        ];
        let cur = current_texts(&revisions);
        assert_eq!(cur["h"].landed, Oid::from_bytes(&[3; 20]).unwrap());
        let gone = current_texts(&revisions[1..]);
        assert!(!gone.contains_key("h"));
    }

    #[test]
    fn a_revision_changed_without_a_material_change_still_starts_a_text() {
        // A lowered revision (the gate rejects it, but history may hold one).
        let revisions = [
            rev("a", Change::Editorial, Some(1), 2),
            rev("a", Change::Added, Some(2), 1),
        ];
        assert_eq!(current_texts(&revisions)["a"].revision, 1);
        assert_eq!(
            current_texts(&revisions)["a"].landed,
            Oid::from_bytes(&[2; 20]).unwrap()
        );
    }
}
