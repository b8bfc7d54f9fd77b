//! `normsctl acks key`: parse, open, find the anchor for a key change (ack::keys), print
//! the roster line to commit.

use super::{CommandError, Global, print_people};
use clap::Args;
use normsctl::ack::keys;
use std::path::PathBuf;

/// Print the `signing_key` to commit for a person's key change (added, rotated or removed),
/// anchored after the ledger's current tip: entries the ledger holds now keep the key
/// state they were written under, and every later entry, however it reaches the ledger,
/// is judged under the new one. Run `normsctl acks sync` first, so that the anchor is a
/// commit everyone's ledger has.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// The person (roster id)
    person: String,
    /// Their new public key: a `.pub` file (ssh-keygen's)
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "remove",
        required_unless_present = "remove"
    )]
    public: Option<PathBuf>,
    /// Remove the person's key: their later entries need no signature
    #[arg(long)]
    remove: bool,
}

pub fn run(global: &Global, args: KeyArgs) -> Result<(), CommandError> {
    let ws = global.open()?;
    let cx = normsctl::ack::Context::open(&ws)?;
    let key = match &args.public {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| CommandError::env(format!("cannot read {}: {e}", path.display())))?,
        ),
        None => None,
    };
    let change = keys::change(&cx, &args.person, key.as_deref())?;
    let value = match &change.key {
        Some(key) => format!("{{ key: \"{key}\", after: {} }}", change.after),
        None => format!("{{ after: {} }}", change.after),
    };
    let mut out = format!(
        "In {}, give {} this signing_key (replacing any they have), and commit it by pull request:\n\n    signing_key: {value}\n\n",
        ws.settings.roster, change.person
    );
    out.push_str(
        "Entries the ledger holds at that commit keep the key state they were written under; every later entry is judged under this one.\n",
    );
    if !change.published {
        out.push_str(
            "The anchor is a local ledger commit: run `normsctl acks sync` before the pull request, so that every clone can check it.\n",
        );
    }
    print_people(&out)
}
