//! `normsctl mcp`: parse, open, read the served state (mcp::served), then serve the
//! protocol on stdio or `--http` until the client goes away.

use super::timings::Timings;
use super::{CommandError, Global, note};
use clap::Args;
use normsctl::mcp::server::{self, State};
use normsctl::mcp::{AcksScope, served, streamable, watch};
use std::path::PathBuf;

/// Serve the handbook to AI assistants as a Model Context Protocol server: its policies as
/// resources, and tools that answer with citations (what applied at a moment, what
/// applies to a team, what changed). Read-only: it serves the newest commit of the
/// handbook line that validates, never the working tree, and never records an
/// acknowledgement.
///
/// By default it speaks on stdin and stdout (what desktop assistants launch). With
/// `--http ADDR` it serves streamable HTTP at http://ADDR/mcp on a loopback address, and
/// asks every request for a bearer token (`--token-file`, or NORMSCTL_MCP_TOKEN).
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Also offer the `acknowledgements` tool: for the person whose e-mail is git's
    /// user.email, or for anyone with `--acks=all` (for a lead)
    #[arg(long, value_name = "all", num_args = 0..=1, default_missing_value = "me", value_parser = ["me", "all"])]
    acks: Option<String>,
    /// Serve streamable HTTP on this loopback address (127.0.0.1:PORT or [::1]:PORT)
    /// instead of stdio
    #[arg(long, value_name = "ADDR")]
    http: Option<String>,
    /// The bearer token for --http, in a file only its owner may read (mode 0600)
    #[arg(long, value_name = "FILE", requires = "http")]
    token_file: Option<PathBuf>,
    /// Do not follow new commits of the handbook line
    #[arg(long)]
    no_watch: bool,
}

pub fn run(global: &Global, args: McpArgs) -> Result<(), CommandError> {
    let timings = Timings::from_env();
    let ws = global.open()?;
    let scope = match args.acks.as_deref() {
        None => AcksScope::None,
        Some("all") => AcksScope::All,
        Some(_) => AcksScope::Me,
    };
    let addr = args
        .http
        .as_deref()
        .map(normsctl::http::loopback_addr)
        .transpose()
        .map_err(|e| {
            CommandError::env(e.to_string()).with_hint("for example --http 127.0.0.1:8765")
        })?;
    let token =
        match (&addr, &args.token_file) {
            (None, _) => None,
            (Some(_), Some(file)) => Some(streamable::token_from_file(file)?),
            (Some(_), None) => match std::env::var(streamable::TOKEN_ENV) {
                Ok(t) => Some(streamable::token_from_text(&t).map_err(|why| {
                    CommandError::env(format!("{}: {why}", streamable::TOKEN_ENV))
                })?),
                Err(_) => {
                    return Err(CommandError::env("--http needs a bearer token").with_hint(format!(
                    "put one in a file only you can read and pass --token-file FILE, or set {}",
                    streamable::TOKEN_ENV
                )));
                }
            },
        };
    if scope == AcksScope::Me {
        let cx = normsctl::ack::Context::open(&ws)?;
        let people = cx.people(&cx.snapshot()?)?;
        let me = cx.whoami(&people, None)?;
        note(&format!("--acks: acknowledgements of {} only", me.id));
    }
    let now = ws.now()?;
    timings.mark("open");
    let state = served::load(&ws, &|phase| timings.mark(phase))?;
    note(&format!(
        "serving commit {} of {}",
        state.commit, state.line_ref
    ));
    for k in &state.skipped {
        note(&format!(
            "warning: commit {} of the handbook line fails validation, so it is not served:\n{}",
            k.commit, k.why
        ));
    }
    let fixed = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(|_| now.as_second());
    let state = State::new(state, scope, fixed);
    // The site's data is collected while the client says hello (a first read waits for
    // it rather than collecting it twice).
    let warm = std::sync::Arc::clone(&state);
    std::thread::spawn(move || {
        // The site's data, and the resource list made from it.
        normsctl::mcp::resources::list(&warm.served(), warm.now());
        timings.mark("site collected (in the background)");
    });
    let runtime = server::runtime()?;
    if !args.no_watch {
        watch::follow(
            ws.loc.root.clone(),
            std::sync::Arc::clone(&state),
            runtime.handle().clone(),
            |t| note(&t),
        )?;
    }
    match (addr, token) {
        (Some(addr), Some(token)) => runtime.block_on(async {
            let listener = streamable::bind(addr).await?;
            let local = listener
                .local_addr()
                .map_err(|e| normsctl::mcp::McpError::Io(e.to_string()))?;
            note(&format!("listening on http://{local}{}", streamable::PATH));
            streamable::serve(state, listener, token).await
        })?,
        _ => runtime.block_on(server::serve_stdio(state))?,
    }
    Ok(())
}
