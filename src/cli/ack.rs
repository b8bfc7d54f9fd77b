//! `normsctl ack`: parse, open, record (ack::record), print what was recorded.

use super::{CommandError, Global, note, print_people};
use clap::Args;
use normsctl::ack::record::{self, Request};
use normsctl::ack::{pending, sync};
use normsctl::render;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Record that a person read the current revision (as committed at HEAD) of each policy.
///
/// The entry binds the person, the policy, its revision, the exact text (the file's git
/// blob), the handbook commit, the time and who wrote it, on the ledger branch
/// (`acks.ref`). Where the roster gives the person a `signing_key`, the entry is signed
/// with the matching private key (`--key`, else git's `user.signingKey`).
///
/// With no id, lists what is pending for the person (titles, due dates, the site's pages
/// when `base_url` is set) and how to acknowledge it; nothing is recorded. The entry is
/// recorded in this clone's ledger: `acks sync` (or `--sync`) shares it.
#[derive(Debug, Args)]
pub struct AckArgs {
    /// Policy ids (none: list what is pending for the person)
    #[arg(value_name = "ID")]
    ids: Vec<String>,
    /// The person acknowledging: an id or any of their e-mail addresses (default: the
    /// roster person whose email is git's user.email)
    #[arg(long = "as", value_name = "PERSON")]
    person: Option<String>,
    /// Also acknowledge everything outstanding for the person: shows the list and asks
    /// for confirmation on a terminal
    #[arg(long)]
    pending: bool,
    /// With --pending: record without asking (for scripts)
    #[arg(long, short = 'y', requires = "pending")]
    yes: bool,
    /// With --pending: only show what would be acknowledged
    #[arg(long, requires = "pending", conflicts_with = "yes")]
    dry_run: bool,
    /// Share the new entries with the remote (`acks sync`) once recorded
    #[arg(long)]
    sync: bool,
    /// A note kept with each entry (for example "paper form signed 2026-03-02")
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// SSH key to sign with: a private key file, or a public key whose private half is in
    /// the SSH agent (default: git's user.signingKey)
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Remove the ledger ref's lock file when it is older than a minute (left by a killed
    /// process)
    #[arg(long)]
    break_lock: bool,
}

pub fn run(global: &Global, args: AckArgs) -> Result<(), CommandError> {
    let ws = global.open()?;
    let cx = normsctl::ack::Context::open(&ws)?;
    let base_url = ws.settings.base_url.as_deref();
    let mut ids = args.ids;
    if ids.is_empty() || args.pending {
        // The `acks --person` report for this person, kept to what is outstanding.
        let list = pending::pending(&cx, args.person.as_deref(), &mut |n| note(&n))?;
        print_people(&render::ack::pending(&list, &ws.tz, base_url))?;
        if !args.pending {
            return Ok(());
        }
        if args.dry_run {
            note("dry run: nothing recorded");
            return Ok(());
        }
        if list.items.is_empty() && ids.is_empty() {
            return Ok(());
        }
        if !list.items.is_empty() && !args.yes {
            let question = format!(
                "acknowledge {} as {}? [y/N] ",
                match list.items.len() {
                    1 => "this policy".to_owned(),
                    n => format!("these {n} policies"),
                },
                list.person
            );
            if !confirm(&question)? {
                note("nothing recorded");
                return Ok(());
            }
        }
        for item in list.items {
            if !ids.contains(&item.id) {
                ids.push(item.id);
            }
        }
    }
    let request = Request {
        ids,
        person: args.person,
        pending: false,
        note: args.note,
        key: args.key,
        break_lock: args.break_lock,
        ..Request::default()
    };
    let recorded = record::record(&cx, &request, &mut |n| note(&n))?;
    print_people(&render::ack::recorded(&recorded))?;
    if args.sync {
        let remote = ws.settings.acks.remote.clone();
        let done = sync::sync_as_me(&cx, &remote)?;
        print_people(&render::ack::synced(&done, &remote))?;
    } else if recorded.commit.is_some() {
        let n = recorded.written.iter().filter(|(_, _, now)| *now).count();
        print_people(&render::ack::local_only(&recorded.ledger, n))?;
    }
    Ok(())
}

/// Asks `question` on the terminal and reads the answer: yes only for `y` or `yes`. With
/// no terminal to ask on, an error that names `--yes` and `--dry-run`.
fn confirm(question: &str) -> Result<bool, CommandError> {
    use std::io::{BufRead, Write};
    if !std::io::stdin().is_terminal() {
        return Err(CommandError::env(
            "ack --pending asks before recording, and there is no terminal to ask on",
        )
        .with_hint(
            "pass --yes to record without asking (for scripts), or --dry-run to only list",
        ));
    }
    let mut err = std::io::stderr();
    let _ = write!(err, "{question}");
    let _ = err.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CommandError::env(format!("cannot read the answer: {e}")))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
