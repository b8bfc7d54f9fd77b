//! The handbook as committed at one commit: its roster and its policy files, read from git
//! objects (never from the work tree). Acknowledgements bind and are judged against
//! committed text only.

use crate::load::decode::Decoder;
use crate::model::{EVERYONE, Person, Policy, Roster};
use git2::{ObjectType, Oid, Repository, Tree};
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
}

impl Layout {
    pub fn new(prefix: &str, settings: &crate::model::Settings) -> Layout {
        Layout {
            roster: format!("{prefix}{}", settings.roster),
            policies: format!("{prefix}{}", settings.policies)
                .trim_end_matches('/')
                .to_owned(),
        }
    }
}

/// The committed handbook at one commit.
pub struct Snapshot {
    pub commit: Oid,
    /// Committer time of the commit.
    pub time: i64,
    pub roster: Option<Roster>,
    /// Policy files by id (the file's stem). When two files share a stem, the first in
    /// path order wins (validation reports the duplicate).
    pub files: BTreeMap<String, PolicyFile>,
}

impl Snapshot {
    /// Reads the roster and lists the policy files at `commit`.
    pub fn at(repo: &Repository, commit: Oid, layout: &Layout) -> Result<Snapshot, git2::Error> {
        let c = repo.find_commit(commit)?;
        let tree = c.tree()?;
        let roster = roster_at(repo, &tree, &layout.roster);
        let mut files = BTreeMap::new();
        if let Some(dir) = subtree(repo, &tree, &layout.policies)? {
            list(repo, &dir, &layout.policies, &mut files)?;
        }
        Ok(Snapshot {
            commit,
            time: c.committer().when().seconds(),
            roster,
            files,
        })
    }

    /// Decodes one policy's committed text (`None` when it is not a valid policy).
    pub fn policy(&self, repo: &Repository, id: &str) -> Option<Policy> {
        let file = self.files.get(id)?;
        parse_policy(repo, file)
    }
}

/// Decodes a policy file's blob.
pub fn parse_policy(repo: &Repository, file: &PolicyFile) -> Option<Policy> {
    let blob = repo.find_blob(file.blob).ok()?;
    let text = std::str::from_utf8(blob.content()).ok()?;
    let node = crate::yaml::parse(text).ok()??;
    let stem = stem(&file.path);
    let mut d = Decoder::new(&file.path, text);
    let mut policy = crate::load::policy::decode(&mut d, &node, stem)?;
    policy.file = file.path.clone();
    Some(policy)
}

/// Decodes the roster file in `tree`, if present and readable.
pub fn roster_at(repo: &Repository, tree: &Tree, path: &str) -> Option<Roster> {
    let entry = tree.get_path(Path::new(path)).ok()?;
    let blob = repo.find_blob(entry.id()).ok()?;
    parse_roster(path, blob.content())
}

/// Decodes roster bytes.
pub fn parse_roster(path: &str, bytes: &[u8]) -> Option<Roster> {
    let text = std::str::from_utf8(bytes).ok()?;
    let node = crate::yaml::parse(text).ok()??;
    let mut d = Decoder::new(path, text);
    crate::load::roster::decode(&mut d, &node)
}

fn stem(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.rsplit_once('.').map_or(file, |(s, _)| s)
}

fn subtree<'r>(
    repo: &'r Repository,
    root: &Tree<'r>,
    dir: &str,
) -> Result<Option<Tree<'r>>, git2::Error> {
    if dir.is_empty() {
        return Ok(Some(root.clone()));
    }
    match root.get_path(Path::new(dir)) {
        Ok(e) if e.kind() == Some(ObjectType::Tree) => Ok(Some(repo.find_tree(e.id())?)),
        Ok(_) => Ok(None),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn list(
    repo: &Repository,
    tree: &Tree,
    prefix: &str,
    out: &mut BTreeMap<String, PolicyFile>,
) -> Result<(), git2::Error> {
    for e in tree.iter() {
        let name = e.name().unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        let path = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}/{name}")
        };
        match e.kind() {
            Some(ObjectType::Tree) => list(repo, &repo.find_tree(e.id())?, &path, out)?,
            Some(ObjectType::Blob) if name.ends_with(".yaml") || name.ends_with(".yml") => {
                out.entry(stem(name).to_owned())
                    .or_insert(PolicyFile { path, blob: e.id() });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether `groups` (a policy's `applies_to`) covers `person`.
pub fn covers(groups: &[&str], person: &Person) -> bool {
    groups.iter().any(|g| {
        *g == EVERYONE
            || person.teams.iter().any(|t| t.value == *g)
            || person.roles.iter().any(|r| r.value == *g)
    })
}

/// The person whose roster e-mail is `email` (case-insensitive).
pub fn person_by_email<'a>(roster: &'a Roster, email: &str) -> Option<&'a Person> {
    roster
        .people
        .iter()
        .find(|p| p.emails.iter().any(|e| e.value.eq_ignore_ascii_case(email)))
}
