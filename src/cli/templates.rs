use super::{CommandError, Global, note};
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// The handbook site's templates.
#[derive(Debug, Args)]
pub struct TemplatesArgs {
    #[command(subcommand)]
    command: TemplatesCommand,
}

#[derive(Debug, Subcommand)]
enum TemplatesCommand {
    Eject(EjectArgs),
}

/// Copy the built-in templates and assets out for editing. A file in the handbook's
/// templates folder replaces the built-in one of the same name; delete the ones you do not
/// change, so they keep following normsctl's updates. Never overwrites a file.
#[derive(Debug, Args)]
struct EjectArgs {
    /// Where to write them (default: the handbook's templates folder, `templates:` in
    /// normsctl.yaml)
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn run(global: &Global, args: TemplatesArgs) -> Result<(), CommandError> {
    let TemplatesCommand::Eject(args) = args.command;
    let dir = match args.dir {
        Some(d) => d,
        None => {
            let ws = global.open()?;
            ws.loc.root.join(&ws.settings.templates)
        }
    };
    let existing: Vec<String> = normsctl::site::templates::TEMPLATES
        .iter()
        .chain(normsctl::site::templates::ASSETS)
        .map(|(n, _)| *n)
        .filter(|n| dir.join(n).exists())
        .map(str::to_owned)
        .collect();
    if !existing.is_empty() {
        return Err(CommandError::env(format!(
            "{} already holds {}",
            dir.display(),
            existing.join(", ")
        ))
        .with_hint(
            "move them away first, or eject into another folder: normsctl never overwrites them",
        ));
    }
    let written = normsctl::site::templates::eject(&dir)
        .map_err(|e| CommandError::env(format!("cannot write into {}: {e}", dir.display())))?;
    for path in &written {
        note(&format!("wrote {}", path.display()));
    }
    Ok(())
}
