//! The handbook as committed at one commit: its roster and its policy files, read from git
//! objects (never from the work tree). Acknowledgements bind and are judged against
//! committed text only. Listing a commit reads trees only; a policy or the roster is
//! decoded when a command asks for it, so a command reads no more than it needs.

use super::people::People;
use crate::history::{self, snapshot::each_policy_file, trees::subtree};
use crate::load::decode::Decoder;
use crate::model::{Policy, Roster};
use git2::{ObjectType, Oid, Repository};
use std::collections::BTreeMap;
use std::path::Path;

/// One policy file at a commit.
#[derive(Clone, Debug)]
pub struct PolicyFile {
    /// Relative to the top of the work tree.
    pub path: String,
    pub blob: Oid,
}

/// Where the handbook lives inside the repository's tree.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The roster file's path from the top of the work tree.
    pub roster: String,
    /// The policies folder's path from the top of the work tree, without a trailing `/`.
    pub policies: String,
    /// The settings file's path from the top of the work tree.
    pub settings: String,
}

impl Layout {
    pub fn new(prefix: &str, settings: &crate::model::Settings) -> Layout {
        Layout {
            roster: format!("{prefix}{}", settings.roster),
            policies: format!("{prefix}{}", settings.policies)
                .trim_end_matches('/')
                .to_owned(),
            settings: format!("{prefix}{}", crate::load::SETTINGS_FILE),
        }
    }
}

/// The committed handbook at one commit.
pub struct Snapshot {
    pub commit: Oid,
    /// Committer time of the commit.
    pub time: i64,
    /// The roster file's blob, when the commit has one.
    pub roster: Option<Oid>,
    /// Policy files by id (the file's stem). When two files share a stem, the first in
    /// path order wins (validation reports the duplicate).
    pub files: BTreeMap<String, PolicyFile>,
}

impl Snapshot {
    /// Finds the roster and lists the policy files at `commit` (trees only: nothing is
    /// decoded).
    pub fn at(repo: &Repository, commit: Oid, layout: &Layout) -> Result<Snapshot, git2::Error> {
        let c = repo.find_commit(commit)?;
        let tree = c.tree()?;
        let roster = tree
            .get_path(Path::new(&layout.roster))
            .ok()
            .filter(|e| e.kind() == Some(ObjectType::Blob))
            .map(|e| e.id());
        let mut files = BTreeMap::new();
        if let Some(dir) = subtree(repo, &tree, &layout.policies)? {
            each_policy_file(repo, &dir, &layout.policies, &mut |path, blob| {
                files
                    .entry(history::stem(&path))
                    .or_insert(PolicyFile { path, blob });
                true
            })?;
        }
        Ok(Snapshot {
            commit,
            time: c.committer().when().seconds(),
            roster,
            files,
        })
    }

    /// The roster at this commit (from the cache of decoded rosters when it holds it);
    /// `None` when there is none or it cannot be read.
    pub fn people(&self, repo: &Repository, layout: &Layout) -> Option<People> {
        People::load(repo, self.roster?, &layout.roster)
    }

    /// Decodes the committed text of every policy that `keep` selects by id, on every
    /// core, in id order, with `None` for a file that is not a valid policy.
    pub fn policies(
        &self,
        repo: &Repository,
        keep: impl Fn(&str) -> bool,
    ) -> Vec<(&str, &PolicyFile, Option<Policy>)> {
        let texts: Vec<(&str, &PolicyFile, Option<Vec<u8>>)> = self
            .files
            .iter()
            .filter(|(id, _)| keep(id))
            .map(|(id, f)| {
                let bytes = repo.find_blob(f.blob).ok().map(|b| b.content().to_vec());
                (id.as_str(), f, bytes)
            })
            .collect();
        use rayon::prelude::*;
        texts
            .par_iter()
            .with_min_len(32)
            .map(|(id, f, bytes)| {
                let policy = bytes.as_deref().and_then(|b| decode_policy(f, b));
                (*id, *f, policy)
            })
            .collect()
    }
}

/// Decodes a policy file's blob.
pub fn parse_policy(repo: &Repository, file: &PolicyFile) -> Option<Policy> {
    let blob = repo.find_blob(file.blob).ok()?;
    decode_policy(file, blob.content())
}

/// Decodes a policy file and judges its own text: the policy, or the `file:line:col`
/// findings (errors only) that make it unfit to be acknowledged (a missing or mistyped
/// `revision` would otherwise be recorded as a revision it does not declare).
pub fn checked_policy(repo: &Repository, file: &PolicyFile) -> Result<Policy, Vec<String>> {
    let unreadable = || vec![format!("{}: cannot be read as UTF-8 text", file.path)];
    let blob = repo.find_blob(file.blob).map_err(|_| unreadable())?;
    let text = std::str::from_utf8(blob.content()).map_err(|_| unreadable())?;
    let node = match crate::yaml::parse(text) {
        Ok(Some(node)) => node,
        Ok(None) => return Err(vec![format!("{}: the file is empty", file.path)]),
        Err(e) => {
            let f = crate::load::parse_finding(&file.path, &e);
            return Err(vec![format!(
                "{}:{}:{}: {}",
                f.file, f.pos.line, f.pos.column, f.message
            )]);
        }
    };
    let stem = history::stem(&file.path);
    let mut d = Decoder::new(&file.path, text);
    let policy = crate::load::policy::decode(&mut d, &node, &stem);
    let errors: Vec<String> = d
        .findings
        .iter()
        .filter(|f| f.severity == crate::diag::Severity::Error)
        .map(|f| {
            format!(
                "{}:{}:{}: error[{}]: {}",
                f.file, f.pos.line, f.pos.column, f.rule.name, f.message
            )
        })
        .collect();
    match policy {
        Some(mut p) if errors.is_empty() => {
            p.file = file.path.clone();
            Ok(p)
        }
        _ if errors.is_empty() => Err(vec![format!("{}: does not read as a policy", file.path)]),
        _ => Err(errors),
    }
}

/// Decodes a policy file's bytes.
fn decode_policy(file: &PolicyFile, bytes: &[u8]) -> Option<Policy> {
    let text = std::str::from_utf8(bytes).ok()?;
    let node = crate::yaml::parse(text).ok()??;
    let stem = history::stem(&file.path);
    let mut d = Decoder::new(&file.path, text);
    let mut policy = crate::load::policy::decode(&mut d, &node, &stem)?;
    policy.file = file.path.clone();
    Some(policy)
}

/// The settings as committed at `commit` (defaults where the file is absent or does not
/// read): what the reviewed handbook line says, never the work tree.
pub fn settings_at(repo: &Repository, commit: Oid, layout: &Layout) -> crate::model::Settings {
    let read = || -> Option<crate::model::Settings> {
        let tree = repo.find_commit(commit).ok()?.tree().ok()?;
        let entry = tree.get_path(Path::new(&layout.settings)).ok()?;
        let blob = repo.find_blob(entry.id()).ok()?;
        let text = std::str::from_utf8(blob.content()).ok()?;
        let node = crate::yaml::parse(text).ok()??;
        let mut d = Decoder::new(&layout.settings, text);
        Some(crate::load::settings::decode(&mut d, &node))
    };
    read().unwrap_or_default()
}

/// Decodes roster bytes.
pub fn parse_roster(path: &str, bytes: &[u8]) -> Option<Roster> {
    let text = std::str::from_utf8(bytes).ok()?;
    let node = crate::yaml::parse(text).ok()??;
    let mut d = Decoder::new(path, text);
    crate::load::roster::decode(&mut d, &node)
}
