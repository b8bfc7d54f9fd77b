//! The one error border: every library error becomes a message for people, with its hints
//! attached here and only here (after jj's `cli/src/command_error.rs`). Commands use `?`.
//! libgit2's `; class=…; code=…` suffix never reaches a user: git errors are shown by
//! their message alone.

use normsctl::ack::AckError;
use normsctl::ack::sync::SyncError;
use normsctl::diag::Finding;
use normsctl::history::HistoryError;
use normsctl::load::LoadError;
use normsctl::mcp::McpError;
use normsctl::render::people::{Line, Shown};
use normsctl::scaffold::ScaffoldError;
use normsctl::scaffold::new::NewError;
use normsctl::site::output::OutputError;
use normsctl::site::session::SiteError;
use normsctl::site::templates::TemplateError;
use normsctl::workspace::WorkspaceError;
use std::process::ExitCode;

/// Hint for a shallow clone, for every command that reads history.
pub const FETCH_WHOLE_HISTORY: &str = "fetch the whole history: `git fetch --unshallow` (GitHub Actions: `fetch-depth: 0` in actions/checkout)";
/// Hint for a partial clone.
const FETCH_EVERY_OBJECT: &str = "fetch every object: `git fetch --refetch` and unset `remote.<name>.promisor`, or clone without `--filter` (GitHub Actions: no `filter:` in actions/checkout, and `fetch-depth: 0`)";

/// Why a command did not succeed.
#[derive(Debug)]
pub enum CommandError {
    /// The command ran and found problems (already reported): exit 1.
    Findings,
    /// Bad arguments or a broken environment: exit 2, with a message and an optional hint.
    Env {
        message: String,
        hint: Option<String>,
    },
    /// `normsctl.yaml` has errors, so the command would run on defaults it was not given:
    /// exit 2, showing the findings.
    Settings(Vec<Finding>),
}

impl CommandError {
    pub fn env(message: impl Into<String>) -> CommandError {
        CommandError::Env {
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(self, hint: impl Into<String>) -> CommandError {
        match self {
            CommandError::Env { message, .. } => CommandError::Env {
                message,
                hint: Some(hint.into()),
            },
            other => other,
        }
    }

    /// Prints the error (if any is left to print) and gives the exit code.
    pub fn report(self) -> ExitCode {
        use std::io::Write;
        let style = anstyle::Style::new()
            .fg_color(Some(anstyle::AnsiColor::Red.into()))
            .bold();
        let mut err = anstream::stderr();
        match self {
            CommandError::Findings => ExitCode::from(1),
            CommandError::Env { message, hint } => {
                let message = Shown(&message);
                let _ = writeln!(err, "{style}error{style:#}: {message}");
                if let Some(hint) = hint {
                    let _ = writeln!(err, "  help: {}", Shown(&hint));
                }
                ExitCode::from(2)
            }
            CommandError::Settings(findings) => {
                let _ = write!(
                    err,
                    "{}",
                    normsctl::render::findings::lines(
                        &findings,
                        normsctl::render::Palette { color: true }
                    )
                );
                let file = findings
                    .first()
                    .map_or("normsctl.yaml", |f| f.file.as_str());
                let _ = writeln!(
                    err,
                    "{style}error{style:#}: {} has errors, and this command will not run on defaults in their place",
                    Line(file)
                );
                let _ = writeln!(
                    err,
                    "  help: fix {} (`normsctl validate` checks it)",
                    Line(file)
                );
                ExitCode::from(2)
            }
        }
    }
}

/// A git error by its message alone.
fn git(e: &git2::Error) -> CommandError {
    CommandError::env(format!("git: {}", e.message()))
}

impl From<git2::Error> for CommandError {
    fn from(e: git2::Error) -> CommandError {
        git(&e)
    }
}

impl From<LoadError> for CommandError {
    fn from(e: LoadError) -> CommandError {
        let hint = match &e {
            LoadError::NotFound { .. } => {
                Some("run `normsctl init` to start a handbook here, or pass --repo DIR")
            }
            LoadError::NoPolicies { .. } => {
                Some("create the folder, or set `policies:` in normsctl.yaml")
            }
            _ => None,
        };
        CommandError::Env {
            message: e.to_string(),
            hint: hint.map(str::to_owned),
        }
    }
}

impl From<HistoryError> for CommandError {
    fn from(e: HistoryError) -> CommandError {
        match &e {
            HistoryError::Shallow => {
                CommandError::env(e.to_string()).with_hint(FETCH_WHOLE_HISTORY)
            }
            HistoryError::Partial => CommandError::env(e.to_string()).with_hint(FETCH_EVERY_OBJECT),
            HistoryError::Git(g) => git(g),
        }
    }
}

impl From<WorkspaceError> for CommandError {
    fn from(e: WorkspaceError) -> CommandError {
        match e {
            WorkspaceError::Load(e) => e.into(),
            WorkspaceError::History(e) => e.into(),
            WorkspaceError::Git(e) => git(&e),
            WorkspaceError::NotGit => {
                CommandError::env(e.to_string()).with_hint("run `git init` and commit the handbook")
            }
            WorkspaceError::NoCommits => {
                CommandError::env(e.to_string()).with_hint("commit the handbook first")
            }
            WorkspaceError::UnknownRevision(_) => CommandError::env(e.to_string()).with_hint(
                "name a branch, tag or commit id (`git log --oneline` lists them); in CI, fetch it first (`fetch-depth: 0`)",
            ),
            WorkspaceError::CommittedLink(_) => CommandError::env(e.to_string())
                .with_hint("commit the file itself in place of the link"),
            WorkspaceError::CurrentDir(_)
            | WorkspaceError::SourceDateEpoch(_)
            | WorkspaceError::Export(_) => CommandError::env(e.to_string()),
        }
    }
}

impl From<AckError> for CommandError {
    fn from(e: AckError) -> CommandError {
        let e = match e {
            AckError::History(h) => return h.into(),
            AckError::Git(g) => return git(&g),
            other => other,
        };
        let hint = match &e {
            AckError::NotGit => Some("acknowledgements live in git: run `git init` and commit the handbook".to_owned()),
            AckError::NoCommits => Some("commit the handbook first".to_owned()),
            AckError::NoLine { .. } => Some(
                "set `acks.branch` in normsctl.yaml to the handbook's published branch (and `acks.remote` to its remote)".to_owned(),
            ),
            AckError::UnknownPerson { suggestion, .. } => Some(match suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                None => "use a person's id or e-mail address from the roster (people.yaml)".to_owned(),
            }),
            AckError::UnknownEmail { .. } => Some(
                "pass --as PERSON, or set git's user.email to an address the roster gives you".to_owned(),
            ),
            AckError::NoIdentity => Some(
                "set it: git config user.name \"Your Name\"; git config user.email you@example.com".to_owned(),
            ),
            AckError::UnknownPolicy { suggestion, .. } => Some(match suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                None => "`normsctl acks` lists the policies that need acknowledgement".to_owned(),
            }),
            AckError::Uncommitted { .. } => {
                Some("commit the change (or discard it) first: only committed text can be acknowledged".to_owned())
            }
            AckError::KeyNeeded { .. } => Some(
                "pass --key FILE, or set git config user.signingKey (a key file, or a public key held by the SSH agent)".to_owned(),
            ),
            AckError::WrongKey { .. } => Some("sign with the key whose public half is on the roster".to_owned()),
            AckError::StaleLock { .. } => Some(
                "if no normsctl or git process is running on this repository, run again with --break-lock".to_owned(),
            ),
            AckError::Busy { .. } => Some("try again; if it persists, look for a stuck process".to_owned()),
            AckError::NotAPolicy { .. } => Some("run `normsctl validate` and fix the file first".to_owned()),
            AckError::InvalidPolicy { .. } => Some(
                "the policy's owner must fix the file (normsctl validate) and merge the fix; then acknowledge".to_owned(),
            ),
            AckError::NotOnLine { .. } => Some(
                "run `git pull` to read the published text (or, for your own change, wait until it is merged)".to_owned(),
            ),
            AckError::LedgerNotFetched { remote, branch } => {
                let short = branch.trim_start_matches("refs/heads/");
                Some(format!(
                    "git config --add remote.{remote}.fetch '+{branch}:refs/remotes/{remote}/{short}' && git fetch {remote} (GitHub Actions: fetch the branch too, or use fetch-depth: 0 without single-branch)"
                ))
            }
            AckError::UnknownEntry(_) | AckError::AmbiguousEntry(_) => Some(
                "give the entry's id (at least 7 hex digits), as `normsctl acks show --person P` or `acks evidence` prints it".to_owned(),
            ),
            AckError::NoReason => Some("say why in --reason, for example \"recorded for the wrong person\"".to_owned()),
            AckError::NoLedger => Some(
                "nothing to witness until someone acknowledges (normsctl ack) or the ledger is fetched (normsctl acks sync)".to_owned(),
            ),
            AckError::NoLedgerToAnchor => Some(
                "or fetch the ledger first (normsctl acks sync) if it exists on the remote".to_owned(),
            ),
            AckError::BadKey(_) => Some(
                "give the .pub file ssh-keygen wrote, one line like `ssh-ed25519 AAAAC3Nza... ana@laptop`".to_owned(),
            ),
            AckError::NoRemote { .. } => Some(
                "add it (`git remote add origin URL`), or set `acks.remote` in normsctl.yaml".to_owned(),
            ),
            _ => None,
        };
        let err = CommandError::env(e.to_string());
        match hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    }
}

impl From<normsctl::portal::PortalError> for CommandError {
    fn from(e: normsctl::portal::PortalError) -> CommandError {
        use normsctl::portal::{KEY_ENV, PortalError};
        match e {
            PortalError::Workspace(e) => e.into(),
            PortalError::Ack(e) => e.into(),
            PortalError::Git(e) => git(&e),
            PortalError::NoKeyFile => CommandError::env(e.to_string()).with_hint(format!(
                "ssh-keygen -t ed25519 -f portal-key; put the .pub line in normsctl.yaml as portal.key (reviewed), and {KEY_ENV}=path/to/portal-key in the portal's environment"
            )),
            PortalError::NoPortalKey => CommandError::env(e.to_string()).with_hint(
                "add `portal: { key: \"ssh-ed25519 ...\" }` to normsctl.yaml and merge it on the handbook line",
            ),
            other => CommandError::env(other.to_string()),
        }
    }
}

impl From<McpError> for CommandError {
    fn from(e: McpError) -> CommandError {
        match e {
            McpError::Workspace(e) => e.into(),
            McpError::Ack(e) => e.into(),
            McpError::Git(e) => e.into(),
            McpError::NoLine { ref branch, .. } => {
                let hint = format!(
                    "the server serves only the published branch `{branch}` (`acks.branch` in normsctl.yaml): fetch it, or commit on it"
                );
                CommandError::env(e.to_string()).with_hint(hint)
            }
            McpError::NothingValid { .. } => CommandError::env(e.to_string()).with_hint(
                "fix the handbook on the published branch: `normsctl validate` names each error",
            ),
            McpError::Token { .. } => CommandError::env(e.to_string())
                .with_hint("create it with `umask 077; openssl rand -hex 32 > FILE`"),
            McpError::Bind(_) => {
                CommandError::env(e.to_string()).with_hint("for example --http 127.0.0.1:8765")
            }
            other => CommandError::env(other.to_string()),
        }
    }
}

impl From<SyncError> for CommandError {
    fn from(e: SyncError) -> CommandError {
        match e {
            SyncError::Ledger(e) => e.into(),
            SyncError::Stalled { .. } => CommandError::env(e.to_string()).with_hint(
                "check the network and the remote's address (`git remote -v`); raise `acks.sync_timeout` for a slow link",
            ),
            SyncError::RemoteRewritten(_) => CommandError::env(e.to_string()).with_hint(
                "the remote's ledger must only grow: find out who rewrote it; protect the branch (see README, Acknowledgements)",
            ),
            other => CommandError::env(other.to_string()),
        }
    }
}

impl From<ScaffoldError> for CommandError {
    fn from(e: ScaffoldError) -> CommandError {
        match e {
            ScaffoldError::Exists(_) => CommandError::env(e.to_string())
                .with_hint("init never overwrites: move those paths away, or pick another folder"),
            ScaffoldError::Git(g) => git(&g),
            other => CommandError::env(other.to_string()),
        }
    }
}

impl From<normsctl::scaffold::review::ReviewError> for CommandError {
    fn from(e: normsctl::scaffold::review::ReviewError) -> CommandError {
        use normsctl::scaffold::review::ReviewError;
        match e {
            ReviewError::CannotEdit { .. } => CommandError::env(e.to_string()).with_hint(
                "add or set `reviewed: YYYY-MM-DD` in the file by hand, one key per line",
            ),
            ReviewError::Io { .. } => CommandError::env(e.to_string()),
        }
    }
}

impl From<TemplateError> for CommandError {
    fn from(e: TemplateError) -> CommandError {
        CommandError::env(format!("template: {e}")).with_hint(
            "fix the template in the handbook's templates folder, or remove it to use the built-in one",
        )
    }
}

impl From<OutputError> for CommandError {
    fn from(e: OutputError) -> CommandError {
        let err = CommandError::env(e.to_string());
        match e {
            OutputError::NotASite { .. } | OutputError::NotADir { .. } => {
                err.with_hint("remove it, or choose another folder with --out")
            }
            OutputError::Io { .. } => err,
        }
    }
}

impl From<SiteError> for CommandError {
    fn from(e: SiteError) -> CommandError {
        match e {
            SiteError::Load(e) => e.into(),
            SiteError::History(e) => e.into(),
            SiteError::Template(e) => e.into(),
            SiteError::Output(e) => e.into(),
            SiteError::Workspace(e) => e.into(),
            SiteError::Git(e) => git(&e),
            SiteError::OutReplacesHandbook(_) => CommandError::env(e.to_string())
                .with_hint("choose a folder of its own, such as site/"),
            SiteError::Invalid(_) | SiteError::OutInsideGit | SiteError::CleanNeedsCommits => {
                CommandError::env(e.to_string())
            }
        }
    }
}

impl From<NewError> for CommandError {
    fn from(e: NewError) -> CommandError {
        match e {
            NewError::Load(e) => e.into(),
            NewError::ThroughLink(_) => CommandError::env(e.to_string())
                .with_hint("pass a --dir that is a real folder inside the policies folder"),
            NewError::BadId(_) => {
                CommandError::env(e.to_string()).with_hint(normsctl::rules::decode::ID_SHAPE_HINT)
            }
            NewError::UnknownOwner {
                ref near,
                ref roster,
                ..
            } => {
                let hint = match near {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("name a person or team of {roster}"),
                };
                CommandError::env(e.to_string()).with_hint(hint)
            }
            NewError::NoOwner => CommandError::env(e.to_string()).with_hint("pass --owner ID"),
            NewError::Exists { .. } | NewError::DirLeaves(_) | NewError::Write { .. } => {
                CommandError::env(e.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: CommandError) -> (String, Option<String>) {
        match e {
            CommandError::Env { message, hint } => (message, hint),
            other => panic!("not an environment error: {other:?}"),
        }
    }

    #[test]
    fn git_errors_show_their_message_alone() {
        let git = || {
            git2::Error::new(
                git2::ErrorCode::NotFound,
                git2::ErrorClass::Odb,
                "object not found",
            )
        };
        for e in [
            CommandError::from(git()),
            CommandError::from(AckError::Git(git())),
            CommandError::from(HistoryError::Git(git())),
            CommandError::from(WorkspaceError::Git(git())),
            CommandError::from(SiteError::Git(git())),
        ] {
            assert_eq!(message(e).0, "git: object not found");
        }
        assert!(!AckError::Git(git()).to_string().contains("class="));
    }

    #[test]
    fn the_whole_history_hint_is_attached_once_for_every_path() {
        for e in [
            CommandError::from(HistoryError::Shallow),
            CommandError::from(AckError::History(HistoryError::Shallow)),
            CommandError::from(WorkspaceError::History(HistoryError::Shallow)),
            CommandError::from(SiteError::History(HistoryError::Shallow)),
        ] {
            assert_eq!(message(e).1.as_deref(), Some(FETCH_WHOLE_HISTORY));
        }
    }
}
