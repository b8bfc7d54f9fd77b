//! The handbook site as a reader uses it: Debian's headless chromium, driven over the
//! DevTools protocol, against `normsctl serve` and against the built files opened from
//! disk. Skips (with a message) where chromium is not installed; CI installs it.

use crate::site::history;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tungstenite::stream::MaybeTlsStream;

const CHROMIUM: &str = "/usr/bin/chromium";

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads the child's stderr until a line contains `marker`; the rest is drained in the
/// background (and kept for failure messages).
fn wait_for_line(
    child: &mut Child,
    marker: &str,
) -> (String, std::sync::Arc<std::sync::Mutex<String>>) {
    let stderr = child.stderr.take().expect("piped stderr");
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let shared = std::sync::Arc::clone(&log);
    let wanted = marker.to_owned();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            shared.lock().unwrap().push_str(&format!("{line}\n"));
            if !sent && line.contains(&wanted) {
                let _ = tx.send(line);
                sent = true;
            }
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("no line with {marker:?}; output:\n{}", log.lock().unwrap()));
    (line, log)
}

/// A DevTools protocol session with one page.
struct Cdp {
    ws: tungstenite::WebSocket<MaybeTlsStream<TcpStream>>,
    next: u64,
    session: String,
    events: Vec<Value>,
}

impl Cdp {
    fn connect(url: &str) -> Cdp {
        let (ws, _) = tungstenite::connect(url).expect("DevTools websocket");
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        }
        let mut cdp = Cdp {
            ws,
            next: 0,
            session: String::new(),
            events: Vec::new(),
        };
        // The tab chromium opened at start (a tab created later stays in the background,
        // where headless chromium never paints, so screenshots would wait forever).
        let targets = cdp.call("Target.getTargets", json!({}));
        let page = targets["targetInfos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .expect("a page target")["targetId"]
            .clone();
        let attached = cdp.call(
            "Target.attachToTarget",
            json!({"targetId": page, "flatten": true}),
        );
        cdp.session = attached["sessionId"].as_str().unwrap().to_owned();
        for domain in [
            "Page.enable",
            "Runtime.enable",
            "Network.enable",
            "Log.enable",
        ] {
            cdp.call(domain, json!({}));
        }
        cdp.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": false}),
        );
        cdp
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            msg["sessionId"] = json!(self.session);
        }
        self.ws
            .send(tungstenite::Message::Text(msg.to_string().into()))
            .expect("send");
        loop {
            let text = match self.ws.read().expect("DevTools answer") {
                tungstenite::Message::Text(t) => t.to_string(),
                _ => continue,
            };
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
    }

    fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expression}: {r}");
        r["result"]["value"].clone()
    }

    /// Evaluates `condition` until it is true.
    fn wait(&mut self, condition: &str, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let r = self.call(
                "Runtime.evaluate",
                json!({"expression": condition, "returnByValue": true}),
            );
            if r["result"]["value"] == json!(true) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn goto(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}));
        self.wait(
            &format!(
                "document.readyState === 'complete' && location.href.startsWith({})",
                json!(url)
            ),
            url,
        );
    }

    fn screenshot(&mut self, path: &Path) {
        // The whole page: a viewport as tall as the document (capped), then back.
        let height = self
            .eval("document.documentElement.scrollHeight")
            .as_u64()
            .unwrap_or(1000)
            .clamp(600, 4000);
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        );
        let r = self.call("Page.captureScreenshot", json!({"format": "png"}));
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": false}),
        );
        let data = decode_base64(r["data"].as_str().unwrap());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    }

    /// Console errors, uncaught exceptions and error log entries seen so far.
    fn errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e["method"].as_str() {
                Some("Runtime.exceptionThrown") => {
                    Some(e["params"]["exceptionDetails"].to_string())
                }
                Some("Runtime.consoleAPICalled") if e["params"]["type"] == "error" => {
                    Some(e["params"]["args"].to_string())
                }
                Some("Log.entryAdded") if e["params"]["entry"]["level"] == "error" => {
                    Some(e["params"]["entry"].to_string())
                }
                _ => None,
            })
            .collect()
    }

    /// Every URL the page requested.
    fn requests(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e["method"] == "Network.requestWillBeSent")
            .map(|e| {
                e["params"]["request"]["url"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned()
            })
            .collect()
    }
}

fn decode_base64(s: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            _ => 63,
        }
    };
    let clean: Vec<u8> = s
        .bytes()
        .filter(|b| *b != b'=' && !b.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c) << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len().saturating_sub(1)]);
    }
    out
}

fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/site-screenshots")
}

fn start_chromium(profile: &Path) -> (Killed, String) {
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--hide-scrollbars",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let (line, _) = wait_for_line(&mut child, "DevTools listening on ");
    let url = line
        .split("DevTools listening on ")
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    (Killed(child), url)
}

#[test]
fn a_reader_searches_follows_opens_a_diff_and_sees_edits_live() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!(
            "skipping the browser test: {CHROMIUM} is not installed (`apt-get install chromium`; .ci/run installs it)"
        );
        return;
    }
    let h = history();
    let out = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_normsctl"))
        .args(["serve", "--port", "0", "--out"])
        .arg(out.path().join("site"))
        .current_dir(h.hb.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1768046400")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start normsctl serve");
    let (line, serve_log) = wait_for_line(&mut serve, "serving the handbook at ");
    let _serve = Killed(serve);
    let base = line
        .split("serving the handbook at ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let profile = tempfile::tempdir().unwrap();
    let (_chromium, ws) = start_chromium(profile.path());
    let mut cdp = Cdp::connect(&ws);

    // The index.
    cdp.goto(&format!("{base}index.html"));
    assert_eq!(cdp.eval("document.title"), "Site Handbook");
    assert_eq!(
        cdp.eval("document.querySelectorAll('main section.group:not(.retired)').length"),
        3
    );
    cdp.screenshot(&screenshots().join("index.png"));

    // Search as a person types, then follow the first result.
    cdp.eval("document.getElementById('search-input').focus()");
    cdp.call("Input.insertText", json!({"text": "rubric"}));
    cdp.wait(
        "document.querySelectorAll('#search-results a').length > 0 && !document.getElementById('search-results').hidden",
        "search results",
    );
    assert_eq!(
        cdp.eval("document.querySelector('#search-results .r-title').textContent"),
        "QA score"
    );
    cdp.eval("document.querySelector('#search-results a').click()");
    cdp.wait("location.pathname.endsWith('/policies/qa-score.html') && document.readyState === 'complete'", "the result's page");
    assert!(
        cdp.eval("document.querySelector('.card').textContent")
            .as_str()
            .unwrap()
            .contains("at least 85%")
    );
    cdp.screenshot(&screenshots().join("metric.png"));

    // Open a revision's diff.
    cdp.goto(&format!("{base}policies/a.html"));
    assert_eq!(
        cdp.eval("document.querySelector('details.revision').open"),
        false
    );
    cdp.eval("document.querySelector('details.revision > summary').click()");
    cdp.wait(
        "document.querySelector('details.revision').open",
        "the diff to open",
    );
    assert_eq!(
        cdp.eval("(() => { const d = document.querySelector('details.revision .words del'); return d.offsetParent !== null && d.textContent; })()"),
        "one hour"
    );
    cdp.screenshot(&screenshots().join("diff.png"));

    // Edit the policy: the open page reloads with the change.
    cdp.eval("window.__before_reload = true");
    std::thread::sleep(Duration::from_millis(300)); // let the page's poll start
    h.hb.write(
        "policies/a.yaml",
        "id: a\nkind: norm\ntitle: Title of a\nsummary: Summary of a.\nowner: ana\nrevision: 2\nbody: |\n  Reply within fifteen minutes, live.\n",
    );
    cdp.wait(
        "window.__before_reload === undefined && document.readyState === 'complete' && document.body.textContent.includes('fifteen minutes, live')",
        "the page to reload with the edit",
    );
    assert!(
        cdp.eval("document.body.textContent")
            .as_str()
            .unwrap()
            .contains("Uncommitted changes")
    );

    // An invalid edit: the page says so, the server keeps running, a fix reloads.
    h.hb.write("policies/a.yaml", "id: a\nkind: norm\ntitle: [broken\n");
    cdp.wait(
        "!!document.getElementById('normsctl-error') && document.getElementById('normsctl-error').textContent.includes('policies/a.yaml')",
        "the error on the page",
    );
    assert_eq!(
        cdp.eval("fetch('/index.html').then(r => r.status)"),
        200,
        "the server keeps serving"
    );
    cdp.eval("window.__before_fix = true");
    h.hb.write(
        "policies/a.yaml",
        "id: a\nkind: norm\ntitle: Title of a\nsummary: Summary of a.\nowner: ana\nrevision: 2\nbody: |\n  Fixed again.\n",
    );
    cdp.wait(
        "window.__before_fix === undefined && document.readyState === 'complete' && document.body.textContent.includes('Fixed again') && !document.getElementById('normsctl-error')",
        "the fixed page",
    );
    let log = serve_log.lock().unwrap().clone();
    assert!(
        log.contains("policies/a.yaml"),
        "the error is in the terminal too:\n{log}"
    );
    assert!(log.contains("rebuilt in"), "{log}");

    // Search on the built files opened from disk (no server, no fetch).
    let index = out.path().join("site/index.html");
    cdp.goto(&format!("file://{}", index.display()));
    cdp.eval("document.getElementById('search-input').focus()");
    cdp.call("Input.insertText", json!({"text": "Title of b"}));
    cdp.wait(
        "document.querySelectorAll('#search-results a').length > 0",
        "search from file://",
    );
    let href = cdp.eval("document.querySelector('#search-results a').href");
    assert!(
        href.as_str().unwrap().starts_with("file://")
            && href.as_str().unwrap().ends_with("/policies/b.html"),
        "{href}"
    );
    cdp.eval("document.querySelector('#search-results a').click()");
    cdp.wait(
        "location.pathname.endsWith('/policies/b.html') && document.readyState === 'complete'",
        "the page from disk",
    );

    // Nothing failed, and nothing was asked of any other host.
    let errors = cdp.errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    let requests = cdp.requests();
    assert!(requests.len() > 10, "{requests:?}");
    let foreign: Vec<&String> = requests
        .iter()
        .filter(|u| !u.starts_with(&base) && !u.starts_with("file://") && *u != "about:blank")
        .collect();
    assert!(foreign.is_empty(), "requests to other hosts: {foreign:?}");
}
