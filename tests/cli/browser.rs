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

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";

/// A child process killed when dropped.
pub(crate) struct Killed(pub(crate) Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads the child's stderr until a line contains `marker`; the rest is drained in the
/// background (and kept for failure messages).
pub(crate) fn wait_for_line(
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
pub(crate) struct Cdp {
    ws: tungstenite::WebSocket<MaybeTlsStream<TcpStream>>,
    next: u64,
    session: String,
    events: Vec<Value>,
}

impl Cdp {
    pub(crate) fn connect(url: &str) -> Cdp {
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

    pub(crate) fn call(&mut self, method: &str, params: Value) -> Value {
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

    pub(crate) fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        assert!(r.get("exceptionDetails").is_none(), "{expression}: {r}");
        r["result"]["value"].clone()
    }

    /// Evaluates `condition` until it is true.
    pub(crate) fn wait(&mut self, condition: &str, what: &str) {
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

    pub(crate) fn goto(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}));
        self.wait(
            &format!(
                "document.readyState === 'complete' && location.href.startsWith({})",
                json!(url)
            ),
            url,
        );
    }

    pub(crate) fn screenshot(&mut self, path: &Path) {
        self.screenshot_at(path, 1280);
    }

    /// The viewport of a phone (390 px, `mobile`) or of a laptop (1280 px).
    fn viewport(&mut self, width: u32, height: u32) {
        self.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}),
        );
    }

    /// A screenshot of the whole page at `width` (a viewport as tall as the document,
    /// capped), then the viewport back at its usual height.
    fn screenshot_at(&mut self, path: &Path, width: u32) {
        let screen = if width < 600 { 844 } else { 1000 };
        self.viewport(width, screen);
        let height = self
            .eval("document.documentElement.scrollHeight")
            .as_u64()
            .unwrap_or(1000)
            .clamp(600, 6000);
        self.viewport(width, height as u32);
        let r = self.call("Page.captureScreenshot", json!({"format": "png"}));
        self.viewport(width, screen);
        let data = decode_base64(r["data"].as_str().unwrap());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    }

    /// Console errors, uncaught exceptions and error log entries seen so far.
    pub(crate) fn errors(&self) -> Vec<String> {
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

pub(crate) fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/site-screenshots")
}

pub(crate) fn start_chromium(profile: &Path) -> (Killed, String) {
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
        cdp.eval("(() => { const d = document.querySelector('details.revision .words-rendered del'); return d.offsetParent !== null && d.textContent; })()"),
        "one hour,"
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

/// Where `npm install -g axe-core` put axe (`None` when it did not).
fn axe_source() -> Option<String> {
    let root = Command::new("npm").args(["root", "-g"]).output().ok()?;
    let root = String::from_utf8(root.stdout).ok()?;
    std::fs::read_to_string(Path::new(root.trim()).join("axe-core/axe.min.js")).ok()
}

/// Tools CI must have: a missing one fails the test there, and skips it elsewhere.
pub fn require_tools() -> bool {
    std::env::var_os("NORMSCTL_REQUIRE_TOOLS").is_some_and(|v| v == "1")
}

/// The accessibility violations of moderate impact or above on the open page.
fn axe(cdp: &mut Cdp, source: &str) -> Vec<String> {
    cdp.eval(&format!("{source};true"));
    let found = cdp.eval(
        "axe.run(document, {resultTypes: ['violations'], preload: false}).then(r => ({passes: r.passes.length, v: r.violations\
           .filter(v => ['moderate', 'serious', 'critical'].includes(v.impact))\
           .map(v => v.impact + ' ' + v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))}))",
    );
    assert!(
        found["passes"].as_u64().unwrap() > 10,
        "axe did not run: {found}"
    );
    found["v"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn the_page_follows_the_readers_clock_and_reads_well_on_a_phone_and_a_laptop() {
    if !Path::new(CHROMIUM).exists() {
        assert!(!require_tools(), "{CHROMIUM} is not installed");
        eprintln!("skipping the browser test: {CHROMIUM} is not installed");
        return;
    }
    let hb = crate::in_force::handbook();
    let site = crate::in_force::build(hb.path(), crate::in_force::BEFORE);
    let profile = tempfile::tempdir().unwrap();
    let (_chromium, ws) = start_chromium(profile.path());
    let mut cdp = Cdp::connect(&ws);
    let page = format!(
        "file://{}",
        site.join("policies/first-response-time.html").display()
    );
    let text = "(() => { const t = document.querySelector('main article > :not([data-state=past])'); return t.innerText.toLowerCase(); })()";

    // The reader's clock on each side of 2026-12-07 00:00 in Madrid (23:00 UTC the day before).
    let clock = |cdp: &mut Cdp, iso: &str| {
        let ms = jiff::Timestamp::from_str(iso).unwrap().as_millisecond();
        cdp.call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": format!("Date.now = function () {{ return {ms}; }};")}),
        )["identifier"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    use std::str::FromStr;
    let id = clock(&mut cdp, "2026-12-06T22:59:00Z");
    cdp.goto(&page);
    let shown = cdp.eval(text);
    let shown = shown.as_str().unwrap();
    assert!(
        shown.contains("median at most 45 minutes, each week"),
        "{shown}"
    );
    assert!(shown.contains("reply within 45 minutes."), "{shown}");
    assert!(shown.contains("in force since 2025-03-17"), "{shown}");
    // The facts beside it are those of revision 2.
    let facts = "(() => Array.from(document.querySelectorAll('section.about, section.card')).filter(s => s.offsetParent !== null).map(s => s.innerText.toLowerCase()).join('\\n'))()";
    let seen = cdp.eval(facts);
    let seen = seen.as_str().unwrap();
    assert!(seen.contains("revision\n2"), "{seen}");
    assert!(seen.contains("in force since\n2025-03-17"), "{seen}");
    assert!(seen.contains("45 minutes"), "{seen}");
    assert!(!seen.contains("30 minutes"), "{seen}");
    assert_eq!(
        cdp.eval("getComputedStyle(document.getElementById('upcoming-3')).display !== 'none'"),
        true,
        "the upcoming revision stays beside it"
    );
    cdp.call(
        "Page.removeScriptToEvaluateOnNewDocument",
        json!({"identifier": id}),
    );

    let id = clock(&mut cdp, "2026-12-06T23:00:00Z");
    cdp.goto(&page);
    let shown = cdp.eval(text);
    let shown = shown.as_str().unwrap();
    assert!(shown.contains("in force since 2026-12-07"), "{shown}");
    assert!(
        shown.contains("median at most 30 minutes, each week"),
        "{shown}"
    );
    assert!(shown.contains("reply within 30 minutes."), "{shown}");
    // The facts shown are revision 3's own: its revision, effective date, in force since
    // and metric card, not those of the text it replaced.
    let seen = cdp.eval(facts);
    let seen = seen.as_str().unwrap();
    assert!(seen.contains("revision\n3"), "{seen}");
    assert!(seen.contains("effective\n2026-12-07"), "{seen}");
    assert!(seen.contains("in force since\n2026-12-07"), "{seen}");
    assert!(seen.contains("at most 30 minutes"), "{seen}");
    assert!(!seen.contains("45 minutes"), "{seen}");
    assert!(!seen.contains("2025-03-17"), "{seen}");
    assert!(
        shown.contains("revision 3 is in force since 2026-12-07 (by this device's clock"),
        "the notice says the text is in force now, not that it will be: {shown}"
    );
    for width in [390u32, 1280] {
        cdp.viewport(width, if width < 600 { 844 } else { 1000 });
        cdp.goto(&page);
        let overflow = cdp.eval("document.documentElement.scrollWidth - window.innerWidth");
        assert!(
            overflow.as_i64().unwrap() <= 0,
            "after the switch at {width} px: {overflow}"
        );
        cdp.screenshot_at(
            &screenshots().join(format!("metric-switched-{width}.png")),
            width,
        );
    }
    assert_eq!(
        cdp.eval("getComputedStyle(document.getElementById('in-force')).display"),
        "none",
        "the text whose time has gone is hidden"
    );
    cdp.goto(&format!("file://{}", site.join("index.html").display()));
    let index = cdp.eval("document.querySelector('main').innerText");
    let index = index.as_str().unwrap();
    assert!(
        index.contains("In force since 2026-12-07: median at most 30 minutes"),
        "{index}"
    );
    assert!(!index.contains("45 minutes"), "{index}");
    cdp.call(
        "Page.removeScriptToEvaluateOnNewDocument",
        json!({"identifier": id}),
    );

    // What applies to me, from file://: a lead of Tier 1 sees the team's norm, not the
    // agents' metric.
    cdp.eval("(() => { const t = document.getElementById('who-team'); t.value = 'tier1'; const r = document.getElementById('who-role'); r.value = 'lead'; r.dispatchEvent(new Event('change')); })()");
    let visible = |cdp: &mut Cdp, href: &str| {
        cdp.eval(&format!(
            "document.querySelector('li[data-applies] a[href={}]').offsetParent !== null",
            json!(href)
        ))
    };
    assert_eq!(visible(&mut cdp, "policies/stepping-away.html"), true);
    assert_eq!(
        visible(&mut cdp, "policies/first-response-time.html"),
        false
    );
    assert_eq!(
        cdp.eval("document.getElementById('who-count').textContent"),
        "1 of 2 policies apply."
    );

    // Without script the page still says what applies when.
    let raw = std::fs::read_to_string(site.join("policies/first-response-time.html")).unwrap();
    assert!(
        raw.contains("As of 2026-12-02, revision 2 is in force; <a href=\"#upcoming-3\">revision 3</a> applies from <strong>2026-12-07</strong>"),
        "{raw}"
    );

    // Every page at a phone's and a laptop's width: no sideways scrolling, the rule's text
    // in the first screen, and no accessibility violation of moderate impact or above.
    let axe_js = axe_source();
    if axe_js.is_none() {
        assert!(
            !require_tools(),
            "axe-core is not installed (npm install -g axe-core)"
        );
        eprintln!("skipping axe: axe-core is not installed (npm install -g axe-core)");
    }
    let pages = [
        ("index", "index.html", None),
        (
            "norm",
            "policies/stepping-away.html",
            Some("#in-force .body"),
        ),
        (
            "metric",
            "policies/first-response-time.html",
            Some("#in-force .target-line"),
        ),
        ("changelog", "changelog.html", None),
    ];
    let mut violations = Vec::new();
    for (name, rel, rule) in pages {
        for width in [390u32, 1280] {
            cdp.viewport(width, if width < 600 { 844 } else { 1000 });
            cdp.goto(&format!("file://{}", site.join(rel).display()));
            let overflow = cdp.eval("document.documentElement.scrollWidth - window.innerWidth");
            assert!(
                overflow.as_i64().unwrap() <= 0,
                "{rel} at {width} px scrolls sideways by {overflow} px"
            );
            if let Some(rule) = rule {
                let top = cdp.eval(&format!(
                    "document.querySelector({}).getBoundingClientRect().top < window.innerHeight",
                    json!(rule)
                ));
                assert_eq!(
                    top, true,
                    "{rel} at {width} px: the rule's text is below the first screen"
                );
            }
            if let Some(source) = &axe_js {
                for v in axe(&mut cdp, source) {
                    violations.push(format!("{rel} at {width} px: {v}"));
                }
            }
            if name == "metric" {
                // Its three revisions, each with what it changed.
                cdp.eval("document.querySelectorAll('details').forEach(d => d.open = true)");
                let overflow = cdp.eval("document.documentElement.scrollWidth - window.innerWidth");
                assert!(
                    overflow.as_i64().unwrap() <= 0,
                    "{rel} with its diffs open at {width} px scrolls sideways by {overflow} px"
                );
            }
            cdp.screenshot_at(&screenshots().join(format!("{name}-{width}.png")), width);
        }
    }
    assert!(violations.is_empty(), "axe: {violations:#?}");
    let errors = cdp.errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}
