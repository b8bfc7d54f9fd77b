use super::{CommandError, Global, note};
use normsctl::scaffold;
use std::path::PathBuf;

/// Write a small working handbook (settings, roster, one policy of each kind, JSON Schemas
/// wired up for editors) into DIR, and make the first commit if DIR is not yet inside a git
/// repository. Never overwrites a file.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Where to create the handbook (default: the current folder)
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn run(global: &Global, args: InitArgs) -> Result<(), CommandError> {
    let dir = args
        .dir
        .or_else(|| global.repo.clone())
        .unwrap_or_else(|| PathBuf::from("."));
    let report = scaffold::init(&dir)?;
    for file in &report.written {
        note(&format!("created {}", dir.join(file).display()));
    }
    for file in &report.skipped {
        note(&format!("kept the existing {}", dir.join(file).display()));
    }
    match report.commit {
        Some(oid) => note(&format!(
            "made the first commit {} in a new repository",
            &oid.to_string()[..12]
        )),
        None => note("inside an existing repository: review and commit the new files"),
    }
    note("next: `normsctl validate`, then edit the files under policies/");
    Ok(())
}
