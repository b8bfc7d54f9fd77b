//! Command-line parsing and the commands. This is the only layer that prints; `main` turns
//! its result into an exit code. Each command file parses its `Args`, opens the
//! [`Workspace`], calls the library and prints; errors cross [`command_error`] once.

mod ack;
mod acks;
mod acks_audit;
mod acks_evidence;
mod acks_key;
mod acks_remind;
mod acks_revoke;
mod acks_show;
mod acks_sync;
mod acks_verify;
mod acks_witness;
mod build;
mod command_error;
mod diff;
mod init;
mod log;
mod mcp;
mod new;
mod output;
mod portal;
mod progress;
mod review;
mod reviews;
mod schema;
mod serve;
mod show;
mod templates;
mod timings;
mod validate;
mod validate_forge;

use clap::{Args, Parser, Subcommand};
pub use command_error::CommandError;
use normsctl::render::findings::{self, Palette};
use normsctl::render::people;
use normsctl::workspace::Workspace;
use normsctl::workspace::git::{self as git_switches, Trust};
use std::path::PathBuf;

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
    Review(review::ReviewArgs),
    Reviews(reviews::ReviewsArgs),
    Build(build::BuildArgs),
    Serve(serve::ServeArgs),
    Mcp(mcp::McpArgs),
    Portal(portal::PortalArgs),
    Templates(templates::TemplatesArgs),
}

pub fn run(cli: Cli) -> Result<(), CommandError> {
    // Hash checks stay on in every process that judges ledger entries.
    git_switches::configure(match cli.command {
        Command::Ack(_) | Command::Acks(_) | Command::Mcp(_) | Command::Portal(_) => Trust::Judges,
        _ => Trust::ReadsHistory,
    });
    if !matches!(
        cli.command,
        Command::Serve(_) | Command::Mcp(_) | Command::Portal(_)
    ) {
        crate::keep_freed_memory();
    }
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
        Command::Review(args) => review::run(&cli.global, args),
        Command::Reviews(args) => reviews::run(&cli.global, args),
        Command::Build(args) => build::run(&cli.global, args),
        Command::Serve(args) => serve::run(&cli.global, args),
        Command::Mcp(args) => mcp::run(&cli.global, args),
        Command::Portal(args) => portal::run(&cli.global, args),
        Command::Templates(args) => templates::run(&cli.global, args),
    }
}

impl Global {
    /// Opens the handbook for a command that must not run on defaults in place of broken
    /// settings: warnings are printed, an error stops the command (exit 2).
    fn open(&self) -> Result<Workspace, CommandError> {
        let ws = self.open_reporting()?;
        let errors: Vec<_> = ws.settings_errors().cloned().collect();
        if !errors.is_empty() {
            return Err(CommandError::Settings(errors));
        }
        let warnings: Vec<_> = ws.settings_warnings().cloned().collect();
        if !warnings.is_empty() {
            eprint_text(&findings::lines(&warnings, Palette { color: true }));
        }
        Ok(ws)
    }

    /// Opens the handbook for a command that reports the settings' findings with the
    /// rest (`validate`, `build`, `serve`).
    fn open_reporting(&self) -> Result<Workspace, CommandError> {
        Ok(Workspace::open(self.repo.as_deref())?)
    }
}

/// A date (start or end of that day in `tz`) or an RFC 3339 time, as Unix seconds.
fn parse_time(text: &str, tz: &jiff::tz::TimeZone, end_of_day: bool) -> Result<i64, CommandError> {
    normsctl::history::standing::parse_moment(text, tz, end_of_day)
        .map_err(|e| CommandError::env(e.to_string()))
}

/// Writes a machine document (JSON, CSV, SARIF, workflow commands, Markdown) to stdout
/// byte for byte: its format escapes what it must, and nothing is stripped from it.
fn print(text: &str) -> Result<(), CommandError> {
    write_out(&mut std::io::stdout(), text)
}

/// Writes text for people whose values the renderer already passed through
/// [`people::clean`], with the tool's own colour (stripped when stdout is not a terminal
/// or NO_COLOR is set).
fn print_styled(text: &str) -> Result<(), CommandError> {
    write_out(&mut anstream::stdout(), text)
}

/// Writes text for people that carries no colour of its own, every hostile character
/// shown escaped ([`people::clean`]), whatever stdout is.
fn print_people(text: &str) -> Result<(), CommandError> {
    write_out(&mut std::io::stdout(), &people::clean(text))
}

fn write_out(out: &mut dyn std::io::Write, text: &str) -> Result<(), CommandError> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CommandError::env(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

/// Text for people on stderr whose values are already clean, with the tool's colour
/// (stripped where stderr is no terminal).
fn eprint_text(text: &str) {
    use std::io::Write;
    let _ = anstream::stderr().write_all(text.as_bytes());
}

/// Text already rendered for stderr, byte for byte. Not `eprint!`, which panics when
/// stderr is a closed pipe: a reader that went away is not the command's failure.
fn eprint_raw(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// A note for people on stderr (never on stdout, which may be a machine's document), every
/// hostile character shown escaped.
fn note(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{}", people::clean(text));
}
