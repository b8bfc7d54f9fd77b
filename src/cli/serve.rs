//! `normsctl serve`: parse, open, keep a build session (site::session), serve it
//! (site::server), rebuild on change (site::watch); print what happens.

use super::build::out_dir;
use super::timings::Timings;
use super::{CommandError, Global, eprint_raw, note};
use clap::Args;
use normsctl::render::people::Shown;
use normsctl::site::output;
use normsctl::site::server::{self, Live};
use normsctl::site::session::{Session, SiteError};
use normsctl::site::watch::{self, Changes, Watcher};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Build the site, serve it on 127.0.0.1, and rebuild when the handbook changes: only
/// the pages that changed are written, and open pages reload. An invalid edit is shown in
/// the terminal and on the open pages; the server keeps running with the last good site.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port to listen on (0: any free port)
    #[arg(long, default_value_t = 4040)]
    port: u16,
    /// Open the site in the default browser
    #[arg(long)]
    open: bool,
    /// Where to write the site (default: site/ in the handbook root)
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn run(global: &Global, args: ServeArgs) -> Result<(), CommandError> {
    let ws = global.open_reporting()?;
    let out = out_dir(&ws, args.out.as_deref())?;
    output::check_replaceable(&out)?;
    let server = tiny_http::Server::http(("127.0.0.1", args.port)).map_err(|e| {
        CommandError::env(format!("cannot listen on 127.0.0.1:{}: {e}", args.port))
            .with_hint("choose another port with --port N (0 picks a free one)")
    })?;
    let port = server.server_addr().to_ip().map_or(args.port, |a| a.port());
    let live = Live::default();

    let mut session = Session::new(&ws, out.clone());
    let started = Instant::now();
    let all = Changes {
        policies: true,
        settings: true,
        templates: true,
        history: true,
    };
    match rebuild(&mut session, all) {
        Ok(n) => note(&format!(
            "built {n} files into {} in {:.2} s",
            out.display(),
            started.elapsed().as_secs_f64()
        )),
        Err(text) => report_error(&live, &text),
    }
    let url = format!("http://127.0.0.1:{port}/");
    note(&format!("serving the handbook at {url} (Ctrl-C to stop)"));
    if args.open {
        open_browser(&url);
    }
    server::spawn(Arc::new(server), &out, &live, port, 2);

    let (mut watcher, rx) =
        Watcher::new().map_err(|e| CommandError::env(format!("cannot watch the handbook: {e}")))?;
    watcher.watch(&session.watched());

    let session = std::cell::RefCell::new(session);
    watch::run(
        &rx,
        || session.borrow().watched(),
        |changes| {
            let t = Instant::now();
            let mut s = session.borrow_mut();
            match rebuild(&mut s, changes) {
                Ok(n) => {
                    note(&format!(
                        "rebuilt in {} ms: {n} file{} written",
                        t.elapsed().as_millis(),
                        if n == 1 { "" } else { "s" }
                    ));
                    live.rebuilt();
                }
                Err(text) => report_error(&live, &text),
            }
            // Folders created since (a new templates folder, a new kind of policy folder).
            watcher.watch(&s.watched());
        },
        |e| note(&format!("watch error: {e}")),
    );
    Ok(())
}

/// One rebuild, with its warnings shown; the number of files written, or the text of
/// what went wrong.
fn rebuild(session: &mut Session, changes: Changes) -> Result<usize, String> {
    let timings = Timings::from_env();
    match session.rebuild(changes, &|phase| timings.mark(phase)) {
        Ok(done) => {
            if let Some(w) = done.warnings {
                eprint_raw(&w);
            }
            Ok(done.files)
        }
        Err(SiteError::Invalid(report)) => Err(report),
        Err(e) => Err(match CommandError::from(e) {
            CommandError::Env { message, hint } => match hint {
                Some(h) => format!("error: {}\n  help: {}\n", Shown(&message), Shown(&h)),
                None => format!("error: {}\n", Shown(&message)),
            },
            _ => "error: the build failed\n".into(),
        }),
    }
}

/// Shows a failed rebuild in the terminal and on the open pages.
fn report_error(live: &Live, text: &str) {
    eprint_raw(text);
    if !text.ends_with('\n') {
        eprint_raw("\n");
    }
    note("the server keeps serving the last good site; fix the error and save again");
    live.failed(text);
}

/// Opens `url` in the desktop's browser; a failure is a note, not an error.
fn open_browser(url: &str) {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    match std::process::Command::new(program)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(_) => {}
        Err(e) => note(&format!(
            "cannot open a browser ({program}: {e}); open {url} yourself"
        )),
    }
}
