//! Command-line parsing and the commands. This is the only layer that prints; `main` turns
//! its result into an exit code.

mod ack;
mod acks;
mod acks_evidence;
mod acks_show;
mod acks_sync;
mod acks_verify;
mod build;
mod diff;
mod init;
mod log;
mod new;
mod output;
mod repo;
mod schema;
mod serve;
mod show;
mod templates;
mod validate;
mod validate_forge;

use clap::{Args, Parser, Subcommand};
use normsctl::load::{LoadError, Location};
use std::path::PathBuf;
use std::process::ExitCode;

/// Keep a support team's expectations, norms and metrics as YAML in git: validate them,
/// render a handbook, show history, and record acknowledgements.
#[derive(Debug, Parser)]
#[command(
    name = "normsctl",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// The handbook root (default: the nearest folder upwards holding normsctl.yaml, else
    /// the top of the git work tree)
    #[arg(long, global = true, value_name = "DIR")]
    repo: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    Init(init::InitArgs),
    New(new::NewArgs),
    Validate(validate::ValidateArgs),
    Schema(schema::SchemaArgs),
    Log(log::LogArgs),
    Diff(diff::DiffArgs),
    Show(show::ShowArgs),
    Ack(ack::AckArgs),
    Acks(acks::AcksArgs),
    Build(build::BuildArgs),
    Serve(serve::ServeArgs),
    Templates(templates::TemplatesArgs),
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Init(args) => init::run(&cli.global, args),
        Command::New(args) => new::run(&cli.global, args),
        Command::Validate(args) => validate::run(&cli.global, args),
        Command::Schema(args) => schema::run(&cli.global, args),
        Command::Log(args) => log::run(&cli.global, args),
        Command::Diff(args) => diff::run(&cli.global, args),
        Command::Show(args) => show::run(&cli.global, args),
        Command::Ack(args) => ack::run(&cli.global, args),
        Command::Acks(args) => acks::run(&cli.global, args),
        Command::Build(args) => build::run(&cli.global, args),
        Command::Serve(args) => serve::run(&cli.global, args),
        Command::Templates(args) => templates::run(&cli.global, args),
    }
}

impl Global {
    /// Finds the handbook these flags point at.
    fn location(&self) -> Result<Location, CliError> {
        let cwd = std::env::current_dir()
            .map_err(|e| CliError::env(format!("cannot read the current folder: {e}")))?;
        Location::discover(self.repo.as_deref(), &cwd).map_err(CliError::from)
    }
}

/// Why a command did not succeed.
#[derive(Debug)]
pub enum CliError {
    /// The command ran and found problems (already reported): exit 1.
    Findings,
    /// Bad arguments or a broken environment: exit 2, with a message and an optional hint.
    Env {
        message: String,
        hint: Option<String>,
    },
}

impl CliError {
    pub fn env(message: impl Into<String>) -> CliError {
        CliError::Env {
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(self, hint: impl Into<String>) -> CliError {
        match self {
            CliError::Env { message, .. } => CliError::Env {
                message,
                hint: Some(hint.into()),
            },
            other => other,
        }
    }

    /// Prints the error (if any is left to print) and gives the exit code.
    pub fn report(self) -> ExitCode {
        match self {
            CliError::Findings => ExitCode::from(1),
            CliError::Env { message, hint } => {
                use std::io::Write;
                let style = anstyle::Style::new()
                    .fg_color(Some(anstyle::AnsiColor::Red.into()))
                    .bold();
                let mut err = anstream::stderr();
                let _ = writeln!(err, "{style}error{style:#}: {message}");
                if let Some(hint) = hint {
                    let _ = writeln!(err, "  help: {hint}");
                }
                ExitCode::from(2)
            }
        }
    }
}

impl From<LoadError> for CliError {
    fn from(e: LoadError) -> CliError {
        let hint = match &e {
            LoadError::NotFound { .. } => {
                Some("run `normsctl init` to start a handbook here, or pass --repo DIR")
            }
            LoadError::NoPolicies { .. } => {
                Some("create the folder, or set `policies:` in normsctl.yaml")
            }
            _ => None,
        };
        CliError::Env {
            message: e.to_string(),
            hint: hint.map(str::to_owned),
        }
    }
}

/// Writes to stdout, stripping colour when stdout is not a terminal or NO_COLOR is set.
fn print(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = anstream::stdout();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::env(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

/// A note for people on stderr (never on stdout, which may be a machine's document).
fn note(text: &str) {
    use std::io::Write;
    let _ = writeln!(anstream::stderr(), "{text}");
}
