//! `serve`'s HTTP side: the site's files from its output folder, and the live-reload
//! channel (a long poll that tells open pages a rebuild happened, or failed). Every request
//! must name this server in its `Host`, use `GET` or `HEAD`, and, on the live channel, come
//! from one of this server's own origins; paths never leave the site folder. The page
//! script and the 404 page are embedded files under `templates/serve/`. Nothing here prints.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The live state pages poll: a version that changes with every rebuild, and the error of
/// the last one, if it failed.
#[derive(Debug, Default)]
pub struct Status {
    version: u64,
    error: Option<String>,
}

/// [`Status`] shared between the rebuild loop and the request threads.
#[derive(Clone, Default)]
pub struct Live(Arc<(Mutex<Status>, Condvar)>);

impl Live {
    /// A rebuild succeeded: open pages reload.
    pub fn rebuilt(&self) {
        self.set(None);
    }

    /// A rebuild failed: open pages show `text`.
    pub fn failed(&self, text: &str) {
        self.set(Some(text.to_owned()));
    }

    fn set(&self, error: Option<String>) {
        let (lock, cvar) = &*self.0;
        if let Ok(mut st) = lock.lock() {
            st.version += 1;
            st.error = error;
        }
        cvar.notify_all();
    }
}

type Shared = Arc<(Mutex<Status>, Condvar)>;

/// Answers requests on `threads` threads, serving the site in `out` for a server listening
/// on `port`.
pub fn spawn(server: Arc<tiny_http::Server>, out: &Path, live: &Live, port: u16, threads: usize) {
    for _ in 0..threads {
        let server = Arc::clone(&server);
        let status = Arc::clone(&live.0);
        let out = out.to_path_buf();
        std::thread::spawn(move || http_loop(&server, &out, &status, port));
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

/// Whether a request may be answered: `Err` holds the status and the reason. Pure, so that
/// every rule is unit-tested.
fn admit(
    method: &str,
    host: Option<&str>,
    origin: Option<&str>,
    path: &str,
    port: u16,
) -> Result<(), (u16, &'static str)> {
    // The Host and Origin rules are the shared HTTP layer's (`crate::http`).
    if !crate::http::is_own_host(host, port) {
        return Err((
            403,
            "this server answers only requests for 127.0.0.1, localhost or [::1] on its own port",
        ));
    }
    if method != "GET" && method != "HEAD" {
        return Err((405, "only GET and HEAD are answered"));
    }
    if path.starts_with("/__normsctl/")
        && let Some(o) = origin
        && !crate::http::is_own_origin(o, port)
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
const LIVE_JS: &str = include_str!("../../templates/serve/live.js");
/// The page for a path the site does not have (it reloads too, once the page exists).
const NOT_FOUND: &str = include_str!("../../templates/serve/404.html");

const LIVE_TAG: &str = "<script src=\"/__normsctl/live.js\"></script>";

/// A file of the site, with the live-reload script added to HTML pages.
fn static_file(out: &Path, url_path: &str) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let found = resolve(out, url_path).and_then(|path| Some((std::fs::read(&path).ok()?, path)));
    let Some((mut bytes, path)) = found else {
        return tiny_http::Response::from_data(NOT_FOUND.as_bytes().to_vec())
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
