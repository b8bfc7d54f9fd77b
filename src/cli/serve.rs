use super::build::{self, Valid};
use super::{CliError, Global, note};
use clap::Args;
use normsctl::load::Location;
use normsctl::load::PolicyCache;
use normsctl::model::Handbook;
use normsctl::site;
use normsctl::site::collect::{HistoryViews, MarkdownCache, Site, WorkingFiles};
use normsctl::site::output::{self, Written};
use normsctl::site::render;
use normsctl::site::templates::Templates;
use normsctl::site::timeline::Timeline;
use normsctl::site::watch::{self, Batch, Changes, Watched};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

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

/// The live state pages poll: a version that changes with every rebuild, and the error of
/// the last one, if it failed.
#[derive(Debug, Default)]
struct Status {
    version: u64,
    error: Option<String>,
}

type Shared = Arc<(Mutex<Status>, Condvar)>;

pub fn run(global: &Global, args: ServeArgs) -> Result<(), CliError> {
    let loc = global.location()?;
    let out = build::out_dir(&loc, args.out.as_deref())?;
    output::check_replaceable(&out).map_err(|e| build::output_error(&e))?;
    let server = tiny_http::Server::http(("127.0.0.1", args.port)).map_err(|e| {
        CliError::env(format!("cannot listen on 127.0.0.1:{}: {e}", args.port))
            .with_hint("choose another port with --port N (0 picks a free one)")
    })?;
    let port = server.server_addr().to_ip().map_or(args.port, |a| a.port());
    let status: Shared = Arc::new((Mutex::new(Status::default()), Condvar::new()));

    let mut state = State::new(loc, out.clone());
    let started = Instant::now();
    match state.rebuild(Changes {
        policies: true,
        settings: true,
        templates: true,
        history: true,
    }) {
        Ok(n) => note(&format!(
            "built {n} files into {} in {:.2} s",
            out.display(),
            started.elapsed().as_secs_f64()
        )),
        Err(e) => report_error(&status, &e),
    }
    let url = format!("http://127.0.0.1:{port}/");
    note(&format!("serving the handbook at {url} (Ctrl-C to stop)"));
    if args.open {
        open_browser(&url);
    }

    let server = Arc::new(server);
    for _ in 0..2 {
        let server = Arc::clone(&server);
        let status = Arc::clone(&status);
        let out = out.clone();
        std::thread::spawn(move || http_loop(&server, &out, &status, port));
    }

    let (tx, rx) = std::sync::mpsc::channel::<Batch>();
    let mut debouncer = notify_debouncer_full::new_debouncer(
        Duration::from_millis(100),
        None,
        move |res: notify_debouncer_full::DebounceEventResult| {
            let batch = res
                .map(|events| {
                    events
                        .into_iter()
                        .filter(|e| watch::is_change(&e.kind))
                        .flat_map(|e| e.event.paths)
                        .collect()
                })
                .map_err(|errors| {
                    errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                });
            let _ = tx.send(batch);
        },
    )
    .map_err(|e| CliError::env(format!("cannot watch the handbook: {e}")))?;
    let mut watching = HashSet::new();
    watch_paths(&mut debouncer, &state.watched(), &mut watching);

    let state = std::cell::RefCell::new(state);
    watch::run(
        &rx,
        || state.borrow().watched(),
        |changes| {
            let t = Instant::now();
            let mut s = state.borrow_mut();
            match s.rebuild(changes) {
                Ok(n) => {
                    note(&format!(
                        "rebuilt in {} ms: {n} file{} written",
                        t.elapsed().as_millis(),
                        if n == 1 { "" } else { "s" }
                    ));
                    let (lock, cvar) = &*status;
                    if let Ok(mut st) = lock.lock() {
                        st.version += 1;
                        st.error = None;
                    }
                    cvar.notify_all();
                }
                Err(e) => report_error(&status, &e),
            }
            // Folders created since (a new templates folder, a new kind of policy folder).
            watch_paths(&mut debouncer, &s.watched(), &mut watching);
        },
        |e| note(&format!("watch error: {e}")),
    );
    Ok(())
}

/// Shows a failed rebuild in the terminal and on the open pages.
fn report_error(status: &Shared, text: &str) {
    eprint!("{text}");
    if !text.ends_with('\n') {
        eprintln!();
    }
    note("the server keeps serving the last good site; fix the error and save again");
    let (lock, cvar) = &**status;
    if let Ok(mut st) = lock.lock() {
        st.version += 1;
        st.error = Some(text.to_owned());
    }
    cvar.notify_all();
}

/// Watches the handbook's parts (not the folder as a whole, which may hold large unrelated
/// trees such as build output): the root and the roster's folder alone, the policies and
/// templates folders with everything below, and git's refs.
fn watch_paths(
    debouncer: &mut notify_debouncer_full::Debouncer<
        notify::RecommendedWatcher,
        notify_debouncer_full::RecommendedCache,
    >,
    w: &Watched,
    watching: &mut HashSet<(PathBuf, bool)>,
) {
    use notify::RecursiveMode::{NonRecursive, Recursive};
    let mut wanted: Vec<(PathBuf, notify::RecursiveMode)> = Vec::new();
    for file in [&w.settings, &w.roster] {
        if let Some(dir) = file.parent() {
            wanted.push((dir.to_path_buf(), NonRecursive));
        }
    }
    wanted.push((w.policies.clone(), Recursive));
    wanted.push((w.templates.clone(), Recursive));
    if let Some(git) = &w.git_dir {
        wanted.push((git.clone(), NonRecursive));
        wanted.push((git.join("refs"), Recursive));
    }
    for (path, mode) in wanted {
        let key = (path.clone(), mode == Recursive);
        if watching.contains(&key) || !path.is_dir() {
            continue;
        }
        if debouncer.watch(&path, mode).is_ok() {
            watching.insert(key);
        }
    }
}

/// What `serve` keeps between rebuilds: the decoded policy files, the history with its
/// views, the templates, the site's data and the per-policy pieces of the site-wide files,
/// so that one edited policy costs about one policy's work.
struct State {
    loc: Location,
    out: PathBuf,
    policies: PolicyCache,
    handbook: Option<Handbook>,
    timeline: Option<(Timeline, HistoryViews)>,
    templates: Option<Templates>,
    cache: MarkdownCache,
    site: Option<Site>,
    fragments: render::Fragments,
    working: WorkingFiles,
    written: Option<Written>,
}

impl State {
    fn new(loc: Location, out: PathBuf) -> State {
        State {
            loc,
            out,
            policies: PolicyCache::default(),
            handbook: None,
            timeline: None,
            templates: None,
            cache: MarkdownCache::default(),
            site: None,
            fragments: render::Fragments::default(),
            working: WorkingFiles::default(),
            written: None,
        }
    }

    fn watched(&self) -> Watched {
        let settings = self
            .handbook
            .as_ref()
            .map(|h| h.settings.clone())
            .unwrap_or_default();
        site::watched(&self.loc, &settings, &self.out)
    }

    /// Rebuilds what `changes` call for; returns how many files were written, or the text
    /// of what went wrong (the previous site stays).
    fn rebuild(&mut self, changes: Changes) -> Result<usize, String> {
        let timings = build::Timings::from_env();
        let handbook = match build::load_valid(&self.loc, &self.policies) {
            Ok(Valid::Yes(h)) => h,
            Ok(Valid::No(text)) => return Err(text),
            Err(e) => return Err(cli_text(e)),
        };
        let settings_changed = self
            .handbook
            .as_ref()
            .is_none_or(|old| old.settings != handbook.settings);
        timings.mark("load and validate");
        if changes.history || settings_changed || self.timeline.is_none() {
            let source = site::source(&self.loc);
            let timeline = build::read_timeline(&source, &self.loc, &handbook).map_err(cli_text)?;
            let views = HistoryViews::new(&timeline, &handbook.settings.timezone);
            self.timeline = Some((timeline, views));
        }
        if changes.templates || settings_changed || self.templates.is_none() {
            self.templates = Some(build::templates(&self.loc, &handbook).map_err(cli_text)?);
        }
        let (Some((timeline, views)), Some(templates)) = (&self.timeline, &self.templates) else {
            unreachable!("both were just set");
        };
        timings.mark("history, templates");
        let now = build::now().map_err(cli_text)?;
        let new = build::assemble(
            &self.loc,
            &handbook,
            (timeline, views),
            now,
            &mut self.cache,
            Some((&self.policies, &mut self.working)),
        );
        timings.mark("collect");
        let full = changes.templates || changes.settings || settings_changed;
        let plan = render::plan(self.site.as_ref(), &new, templates, full);
        self.fragments.update(self.site.as_ref(), &new);
        let files = render::render_all(
            &new,
            templates,
            &plan.render,
            Some(&self.fragments),
            &|_| {},
        )
        .map_err(|e| cli_text(build::template_error(&e)))?;
        timings.mark(&format!("render {} files", plan.render.len()));
        let borrowed = files.iter().map(|(p, b)| (p.path(), b.as_slice()));
        let written = match &mut self.written {
            None => {
                output::publish(&self.out, borrowed)
                    .map_err(|e| cli_text(build::output_error(&e)))?;
                let mut w = Written::default();
                w.record(files.iter().map(|(p, b)| (p.path(), b.as_slice())));
                self.written = Some(w);
                files.len()
            }
            Some(w) => {
                let remove: Vec<String> = plan.remove.iter().map(render::Page::path).collect();
                let applied = w
                    .apply(&self.out, borrowed, &remove)
                    .map_err(|e| cli_text(build::output_error(&e)))?;
                applied.written.len() + applied.removed.len()
            }
        };
        timings.mark("write");
        self.site = Some(new);
        self.handbook = Some(*handbook);
        Ok(written)
    }
}

fn cli_text(e: CliError) -> String {
    match e {
        CliError::Env { message, hint } => match hint {
            Some(h) => format!("error: {message}\n  help: {h}\n"),
            None => format!("error: {message}\n"),
        },
        CliError::Findings => "error: the build failed\n".into(),
        CliError::Settings(findings) => {
            normsctl::render::findings::lines(&findings, normsctl::render::Palette { color: false })
        }
    }
}

/// Answers requests until the server closes. Every request must name this server in its
/// `Host` (a page on another site that rebinds its name to 127.0.0.1 gets nothing), use `GET`
/// or `HEAD`, and, on the live-reload channel, come from one of this server's own origins.
fn http_loop(server: &tiny_http::Server, out: &Path, status: &Shared, port: u16) {
    for request in server.incoming_requests() {
        let url = request.url().to_owned();
        let (path, query) = url.split_once('?').unwrap_or((&url, ""));
        let header_value = |name: &str| {
            request
                .headers()
                .iter()
                .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
                .map(|h| h.value.as_str().to_owned())
        };
        let method = request.method().as_str().to_owned();
        if let Err((code, why)) = admit(
            &method,
            header_value("Host").as_deref(),
            header_value("Origin").as_deref(),
            path,
            port,
        ) {
            let mut response = tiny_http::Response::from_string(format!("{why}\n"))
                .with_status_code(code)
                .with_header(header("Content-Type", "text/plain; charset=utf-8"))
                .with_header(header("Cache-Control", "no-store"));
            if code == 405 {
                response = response.with_header(header("Allow", "GET, HEAD"));
            }
            let _ = request.respond(response);
            continue;
        }
        match path {
            "/__normsctl/poll" => {
                let status = Arc::clone(status);
                let since = query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("v="))
                    .and_then(|v| v.parse::<u64>().ok());
                std::thread::spawn(move || {
                    let body = poll(&status, since);
                    let _ = request.respond(
                        tiny_http::Response::from_string(body)
                            .with_header(header("Content-Type", "application/json"))
                            .with_header(header("Cache-Control", "no-store")),
                    );
                });
            }
            "/__normsctl/live.js" => {
                let _ = request.respond(
                    tiny_http::Response::from_string(LIVE_JS)
                        .with_header(header("Content-Type", "text/javascript; charset=utf-8"))
                        .with_header(header("Cache-Control", "no-store")),
                );
            }
            _ => {
                let _ = request.respond(static_file(out, path));
            }
        }
    }
}

/// The names this server answers to: the address it listens on and the loopback names, with
/// the port (and without it only on port 80, where browsers leave it out).
fn own_hosts(port: u16) -> Vec<String> {
    let mut hosts = Vec::new();
    for name in ["127.0.0.1", "localhost", "[::1]"] {
        hosts.push(format!("{name}:{port}"));
        if port == 80 {
            hosts.push(name.to_owned());
        }
    }
    hosts
}

/// Whether a request may be answered: `Err` holds the status and the reason. Pure, so that
/// every rule is unit-tested.
fn admit(
    method: &str,
    host: Option<&str>,
    origin: Option<&str>,
    path: &str,
    port: u16,
) -> Result<(), (u16, &'static str)> {
    let hosts = own_hosts(port);
    let known = |h: &str| hosts.iter().any(|k| k.eq_ignore_ascii_case(h.trim()));
    match host {
        Some(h) if known(h) => {}
        _ => {
            return Err((
                403,
                "this server answers only requests for 127.0.0.1, localhost or [::1] on its own port",
            ));
        }
    }
    if method != "GET" && method != "HEAD" {
        return Err((405, "only GET and HEAD are answered"));
    }
    if path.starts_with("/__normsctl/")
        && let Some(o) = origin
        && !hosts
            .iter()
            .any(|k| o.trim().eq_ignore_ascii_case(&format!("http://{k}")))
    {
        return Err((
            403,
            "the live-reload channel answers only this server's own pages",
        ));
    }
    Ok(())
}

/// Waits (at most 25 s) for a version other than `since`, then tells it and the error.
fn poll(status: &Shared, since: Option<u64>) -> String {
    let (lock, cvar) = &**status;
    let Ok(mut st) = lock.lock() else {
        return "{}".into();
    };
    if let Some(v) = since {
        let deadline = Instant::now() + Duration::from_secs(25);
        while st.version == v {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match cvar.wait_timeout(st, left) {
                Ok((guard, _)) => st = guard,
                Err(_) => return "{}".into(),
            }
        }
    }
    serde_json::json!({ "version": st.version, "error": st.error }).to_string()
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

/// The script served pages load to reload on a rebuild and show a failed one.
const LIVE_JS: &str = r#"// normsctl serve: reload when the site is rebuilt; show a failed rebuild.
(function () {
  "use strict";
  var version = null;
  function banner(text) {
    var b = document.getElementById("normsctl-error");
    if (!text) { if (b) b.parentNode.removeChild(b); return; }
    if (!b) {
      b = document.createElement("div");
      b.id = "normsctl-error";
      b.className = "banner error";
      b.setAttribute("role", "alert");
      document.body.insertBefore(b, document.body.firstChild);
    }
    b.textContent = "The handbook has errors, so this page shows the last good build.\n\n" + text;
  }
  function poll() {
    var url = "/__normsctl/poll" + (version === null ? "" : "?v=" + version);
    fetch(url, { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (s) {
      if (version !== null && s.version !== version && !s.error) { window.location.reload(); return; }
      version = s.version;
      banner(s.error);
      poll();
    }).catch(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
"#;

const LIVE_TAG: &str = "<script src=\"/__normsctl/live.js\"></script>";

/// A file of the site, with the live-reload script added to HTML pages.
fn static_file(out: &Path, url_path: &str) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let found = resolve(out, url_path).and_then(|path| Some((std::fs::read(&path).ok()?, path)));
    let Some((mut bytes, path)) = found else {
        let page = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not found</title><link rel=\"stylesheet\" href=\"/assets/style.css\"><link rel=\"icon\" type=\"image/svg+xml\" href=\"/assets/favicon.svg\"></head><body><main id=\"main\"><h1>Not found</h1><p>There is no page here. <a href=\"/index.html\">Go to the handbook</a>.</p></main>{LIVE_TAG}</body></html>"
        );
        return tiny_http::Response::from_data(page.into_bytes())
            .with_status_code(404)
            .with_header(header("Content-Type", "text/html; charset=utf-8"))
            .with_header(header("Cache-Control", "no-store"));
    };
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if ext == "html" {
        bytes = inject(bytes);
    }
    tiny_http::Response::from_data(bytes)
        .with_header(header("Content-Type", content_type(ext)))
        .with_header(header("Cache-Control", "no-store"))
}

/// The file a URL path names inside the site folder `out`: percent-decoded first, then
/// split into names (no `.`, `..`, hidden names, backslashes or NULs), then resolved with
/// every link, and served only when the result is a regular file that is still inside the
/// site folder. `None` for anything else.
fn resolve(out: &Path, url_path: &str) -> Option<PathBuf> {
    let root = out.canonicalize().ok()?;
    let decoded = String::from_utf8(percent_decode(url_path)?).ok()?;
    let mut path = root.clone();
    for part in decoded.split('/').filter(|p| !p.is_empty()) {
        if part.starts_with('.') || part.contains(['\\', '\0']) {
            return None;
        }
        path.push(part);
    }
    let mut real = path.canonicalize().ok()?;
    if real.is_dir() {
        real = real.join("index.html").canonicalize().ok()?;
    }
    let inside = real.starts_with(&root) && std::fs::metadata(&real).ok()?.is_file();
    inside.then_some(real)
}

fn inject(html: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&html);
    match text.rfind("</body>") {
        Some(i) => format!("{}{LIVE_TAG}\n{}", &text[..i], &text[i..]).into_bytes(),
        None => format!("{text}{LIVE_TAG}").into_bytes(),
    }
}

fn content_type(ext: &str) -> &'static str {
    match ext {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/atom+xml; charset=utf-8",
        "txt" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => "application/octet-stream",
    }
}

/// `%XX` sequences decoded; `None` when a `%` is not followed by two hex digits.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
            let (h, l) = (hex(bytes.get(i + 1))?, hex(bytes.get(i + 2))?);
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Some(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_own_hosts_and_safe_methods_are_answered() {
        assert!(admit("GET", Some("127.0.0.1:4040"), None, "/", 4040).is_ok());
        assert!(admit("HEAD", Some("LOCALHOST:4040"), None, "/", 4040).is_ok());
        assert!(admit("GET", Some("[::1]:4040"), None, "/", 4040).is_ok());
        assert_eq!(
            admit("GET", Some("evil.example:4040"), None, "/", 4040)
                .unwrap_err()
                .0,
            403
        );
        assert_eq!(
            admit("GET", Some("127.0.0.1:4041"), None, "/", 4040)
                .unwrap_err()
                .0,
            403
        );
        assert_eq!(
            admit("GET", Some("127.0.0.1"), None, "/", 4040)
                .unwrap_err()
                .0,
            403
        );
        assert!(admit("GET", Some("127.0.0.1"), None, "/", 80).is_ok());
        assert_eq!(admit("GET", None, None, "/", 4040).unwrap_err().0, 403);
        assert_eq!(
            admit("POST", Some("127.0.0.1:4040"), None, "/", 4040)
                .unwrap_err()
                .0,
            405
        );
    }

    #[test]
    fn the_live_channel_answers_only_own_origins() {
        let h = Some("127.0.0.1:4040");
        assert!(admit("GET", h, None, "/__normsctl/poll", 4040).is_ok());
        assert!(
            admit(
                "GET",
                h,
                Some("http://127.0.0.1:4040"),
                "/__normsctl/poll",
                4040
            )
            .is_ok()
        );
        assert!(
            admit(
                "GET",
                h,
                Some("http://localhost:4040"),
                "/__normsctl/poll",
                4040
            )
            .is_ok()
        );
        for bad in ["https://evil.example", "null", "http://127.0.0.1:9999"] {
            assert_eq!(
                admit("GET", h, Some(bad), "/__normsctl/poll", 4040)
                    .unwrap_err()
                    .0,
                403,
                "{bad}"
            );
        }
    }

    #[test]
    fn paths_stay_inside_the_site() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("site");
        std::fs::create_dir_all(out.join("policies")).unwrap();
        std::fs::write(out.join("index.html"), "i").unwrap();
        std::fs::write(out.join("policies/a b.html"), "a").unwrap();
        std::fs::write(tmp.path().join("secret.txt"), "s").unwrap();
        std::os::unix::fs::symlink(tmp.path().join("secret.txt"), out.join("leak.txt")).unwrap();
        let got = |p: &str| resolve(&out, p).map(|r| std::fs::read_to_string(r).unwrap());
        assert_eq!(got("/").as_deref(), Some("i"));
        assert_eq!(got("/policies/a%20b.html").as_deref(), Some("a"));
        for bad in [
            "/%2Fetc%2Fpasswd",
            "/%2e%2e/secret.txt",
            "/../secret.txt",
            "/policies/%2E%2E/%2E%2E/secret.txt",
            "/leak.txt",
            "/%2Fproc%2Fself%2Fenviron",
            "/%zz",
            "/policies",
        ] {
            assert_eq!(got(bad), None, "{bad}");
        }
    }
}
