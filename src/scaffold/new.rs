//! The `new` use case: a skeleton policy of a kind, owned by a roster team or person, in
//! the folder for its kind, that validates as written. Never overwrites a file.

use crate::load::{self, LoadError, PolicyCache};
use crate::model::{Kind, is_valid_id};
use crate::workspace::Workspace;
use std::path::{Path, PathBuf};

/// Why no policy was written.
#[derive(Debug, thiserror::Error)]
pub enum NewError {
    #[error("`{0}` is not a valid id")]
    BadId(String),
    #[error("a policy `{id}` already exists in {file}")]
    Exists { id: String, file: String },
    #[error("--owner `{owner}` is not a person or team on the roster")]
    UnknownOwner {
        owner: String,
        /// The closest roster id, if one is close.
        near: Option<String>,
        roster: String,
    },
    #[error("the roster has no teams or people to own the policy")]
    NoOwner,
    #[error("--dir {} leaves the policies folder", .0.display())]
    DirLeaves(PathBuf),
    #[error("{0} is a symbolic link: `new` never writes through one")]
    ThroughLink(String),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What to write.
pub struct Request<'r> {
    pub kind: Kind,
    pub id: &'r str,
    /// A folder under the policies folder (default: `<kind>s/` when it exists).
    pub dir: Option<&'r Path>,
    /// A person or team id (default: the roster's first team, else its first person).
    pub owner: Option<&'r str>,
}

/// Writes the skeleton; returns its path as messages name it.
pub fn new_policy(ws: &Workspace, req: &Request) -> Result<String, NewError> {
    if !is_valid_id(req.id) {
        return Err(NewError::BadId(req.id.to_owned()));
    }
    let loc = &ws.loc;
    let loaded = ws.load(&PolicyCache::none())?;
    let handbook = &loaded.handbook;
    if let Some(existing) = handbook.policies.iter().find(|p| p.id.value == req.id) {
        return Err(NewError::Exists {
            id: req.id.to_owned(),
            file: existing.file.clone(),
        });
    }
    let owner = match req.owner {
        Some(owner) => {
            if let Some(roster) = &handbook.roster
                && roster.person(owner).is_none()
                && roster.team(owner).is_none()
            {
                let ids = roster
                    .people
                    .iter()
                    .map(|p| p.id.value.as_str())
                    .chain(roster.teams.iter().map(|t| t.id.value.as_str()));
                return Err(NewError::UnknownOwner {
                    owner: owner.to_owned(),
                    near: crate::diag::did_you_mean(owner, ids).map(str::to_owned),
                    roster: roster.file.clone(),
                });
            }
            owner.to_owned()
        }
        None => handbook
            .roster
            .as_ref()
            .and_then(|r| {
                r.teams
                    .first()
                    .map(|t| &t.id)
                    .or(r.people.first().map(|p| &p.id))
            })
            .map(|id| id.value.clone())
            .ok_or(NewError::NoOwner)?,
    };
    let policies = loc.root.join(&handbook.settings.policies);
    let folder = match req.dir {
        Some(dir) if load::is_safe_relative(&dir.to_string_lossy()) => policies.join(dir),
        Some(dir) => return Err(NewError::DirLeaves(dir.to_path_buf())),
        None => {
            let by_kind = policies.join(format!("{}s", req.kind.as_str()));
            if by_kind.is_dir() { by_kind } else { policies }
        }
    };
    if let Some(link) = super::link_on_the_way(&loc.root, &folder) {
        return Err(NewError::ThroughLink(
            loc.display(link.strip_prefix(&loc.root).unwrap_or(&link)),
        ));
    }
    let path = folder.join(format!("{}.yaml", req.id));
    let schema_file = loc
        .root
        .join("schema")
        .join(crate::schema::SchemaKind::Policy.file_name());
    let schema = schema_file
        .is_file()
        .then(|| relative(&folder, &schema_file));
    let text = super::skeleton(req.kind, req.id, &owner, schema.as_deref());
    crate::atomic::write_new(&path, text.as_bytes()).map_err(|source| NewError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(loc.display(path.strip_prefix(&loc.root).unwrap_or(&path)))
}

/// The path from folder `from` to file `to`, both under the same root, with `/`.
fn relative(from: &Path, to: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".into(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn relative_paths() {
        use std::path::Path;
        assert_eq!(
            super::relative(
                Path::new("/h/policies/norms"),
                Path::new("/h/schema/policy.schema.json")
            ),
            "../../schema/policy.schema.json"
        );
    }
}
