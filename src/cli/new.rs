//! `normsctl new`: parse, open, write the skeleton (scaffold::new), print its path.

use super::{CommandError, Global, note, print_people};
use normsctl::model::Kind;
use normsctl::scaffold::new::{self, Request};
use std::path::PathBuf;

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
    if !normsctl::model::is_valid_id(&args.id) {
        // Before opening the handbook, as ever: a bad id needs no handbook to be wrong.
        return Err(new::NewError::BadId(args.id).into());
    }
    let ws = global.open()?;
    let shown = new::new_policy(
        &ws,
        &Request {
            kind,
            id: &args.id,
            dir: args.dir.as_deref(),
            owner: args.owner.as_deref(),
        },
    )?;
    print_people(&format!("{shown}\n"))?;
    note(&format!(
        "created {shown}: fill in the title, summary and body, then `normsctl validate`"
    ));
    Ok(())
}
