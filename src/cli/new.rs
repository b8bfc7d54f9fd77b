use super::{CommandError, Global, note, print_people};
use normsctl::model::{Kind, is_valid_id};
use normsctl::{load, scaffold};
use std::path::{Path, PathBuf};

/// Write a skeleton policy that validates as it is, ready to fill in. It goes into
/// policies/<kind>s/ when that folder exists, else into the policies folder.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// expectation, norm or metric
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(Kind::NAMES))]
    kind: String,
    /// The new policy's id (also its file name)
    id: String,
    /// Folder for the file, relative to the policies folder
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Owner (a person or team id; default: the roster's first team, else its first person)
    #[arg(long, value_name = "ID")]
    owner: Option<String>,
}

pub fn run(global: &Global, args: NewArgs) -> Result<(), CommandError> {
    let kind = Kind::parse(&args.kind).expect("clap checked the kind");
    if !is_valid_id(&args.id) {
        return Err(
            CommandError::env(format!("`{}` is not a valid id", args.id))
                .with_hint(normsctl::validate::ids::ID_SHAPE_HINT),
        );
    }
    let ws = global.open()?;
    let loc = &ws.loc;
    let loaded = ws.load(&load::PolicyCache::default())?;
    let handbook = &loaded.handbook;
    if let Some(existing) = handbook.policies.iter().find(|p| p.id.value == args.id) {
        return Err(CommandError::env(format!(
            "a policy `{}` already exists in {}",
            args.id, existing.file
        )));
    }
    let owner = match args.owner {
        Some(owner) => {
            if let Some(roster) = &handbook.roster
                && roster.person(&owner).is_none()
                && roster.team(&owner).is_none()
            {
                let ids = roster
                    .people
                    .iter()
                    .map(|p| p.id.value.as_str())
                    .chain(roster.teams.iter().map(|t| t.id.value.as_str()));
                let hint = match normsctl::diag::did_you_mean(&owner, ids) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("name a person or team of {}", roster.file),
                };
                return Err(CommandError::env(format!(
                    "--owner `{owner}` is not a person or team on the roster"
                ))
                .with_hint(hint));
            }
            owner
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
            .ok_or_else(|| {
                CommandError::env("the roster has no teams or people to own the policy")
                    .with_hint("pass --owner ID")
            })?,
    };
    let policies = loc.root.join(&handbook.settings.policies);
    let folder = match args.dir {
        Some(dir) if load::is_safe_relative(&dir.to_string_lossy()) => policies.join(dir),
        Some(dir) => {
            return Err(CommandError::env(format!(
                "--dir {} leaves the policies folder",
                dir.display()
            )));
        }
        None => {
            let by_kind = policies.join(format!("{}s", kind.as_str()));
            if by_kind.is_dir() { by_kind } else { policies }
        }
    };
    if let Some(link) = scaffold::link_on_the_way(&loc.root, &folder) {
        let shown = loc.display(link.strip_prefix(&loc.root).unwrap_or(&link));
        return Err(CommandError::env(format!(
            "{shown} is a symbolic link: `new` never writes through one"
        ))
        .with_hint("pass a --dir that is a real folder inside the policies folder"));
    }
    let path = folder.join(format!("{}.yaml", args.id));
    let schema_file = loc
        .root
        .join("schema")
        .join(normsctl::schema::SchemaKind::Policy.file_name());
    let schema = schema_file
        .is_file()
        .then(|| relative(&folder, &schema_file));
    let text = scaffold::skeleton(kind, &args.id, &owner, schema.as_deref());
    normsctl::atomic::write_new(&path, text.as_bytes())
        .map_err(|e| CommandError::env(format!("{}: {e}", path.display())))?;
    let shown = loc.display(path.strip_prefix(&loc.root).unwrap_or(&path));
    print_people(&format!("{shown}\n"))?;
    note(&format!(
        "created {shown}: fill in the title, summary and body, then `normsctl validate`"
    ));
    Ok(())
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
