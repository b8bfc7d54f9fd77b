//! `normsctl portal`: people without git acknowledge from a browser. A real portal process
//! on 127.0.0.1 with its own clone of a bare remote, a local SMTP sink (aiosmtpd) for the
//! sign-in links, headless chromium where a page's behaviour is the point, and a plain
//! HTTP/1.1 client for the attacks (so every header is the test's choice). Each entry the
//! portal writes must reach the remote and verify in a fresh clone.

use crate::acks::{LEDGER, T0, commit, handbook};
use crate::acks_sync::{clone, git};
use crate::acks_tamper::{add_file, forge, keygen, sign, template};
use crate::browser::{CHROMIUM, Cdp, Killed, start_chromium, wait_for_line};
use crate::harness::{ROSTER, Run, SETTINGS, command};
use crate::remind_send::{Smtp, smtp_tools};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A bare remote holding a handbook whose settings declare the portal's key, and the key.
struct Remote {
    root: tempfile::TempDir,
    bare: PathBuf,
    key: PathBuf,
}

/// The settings' `portal:` and `remind:` sections: the portal key, a proxy trusted at
/// `proxy` (sending `X-Forwarded-Email`), and SMTP at `smtp_port`.
/// `more` adds lines to the `portal:` section.
fn portal_settings(public: &str, proxy: &str, smtp_port: u16, more: &str) -> String {
    format!(
        "{SETTINGS}portal:\n  key: \"{public}\"\n  proxy: {{ addresses: [\"{proxy}\"], header: X-Forwarded-Email }}\n{more}remind:\n  timeout: 5\n  smtp: {{ host: 127.0.0.1, port: {smtp_port}, from: Handbook <handbook@example.com>, starttls: false }}\n"
    )
}

fn remote_with(roster: &str, proxy: &str, smtp_port: u16, extra: &[(&str, &str)]) -> Remote {
    remote_with_portal(roster, proxy, smtp_port, extra, "")
}

/// [`remote_with`], with `more` lines in the settings' `portal:` section.
fn remote_with_portal(
    roster: &str,
    proxy: &str,
    smtp_port: u16,
    extra: &[(&str, &str)],
    more: &str,
) -> Remote {
    let root = tempfile::tempdir().unwrap();
    let (key, public) = keygen(root.path(), "portal-key");
    let hb = handbook(roster, "lead@example.com");
    hb.write(
        "normsctl.yaml",
        portal_settings(&public, proxy, smtp_port, more),
    );
    for (path, text) in extra {
        hb.write(path, text);
    }
    commit(hb.path(), "Portal settings", T0 + 60);
    let bare = root.path().join("remote.git");
    git(
        root.path(),
        &[
            "clone",
            "--quiet",
            "--bare",
            hb.path().to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    Remote { root, bare, key }
}

/// A running portal on its own clone, killed when dropped.
struct Portal {
    child: Killed,
    base: String,
    log: Arc<Mutex<String>>,
    dir: PathBuf,
    _home: tempfile::TempDir,
}

impl Portal {
    fn start(remote: &Remote, name: &str) -> Portal {
        let dir = clone(
            remote.root.path(),
            remote.bare.to_str().unwrap(),
            name,
            "portal@example.com",
        );
        Portal::start_in(&dir, &remote.key)
    }

    fn start_in(dir: &Path, key: &Path) -> Portal {
        let home = tempfile::tempdir().unwrap();
        let mut child = command(dir, home.path(), &["portal", "--listen", "127.0.0.1:0"])
            .env("NORMSCTL_PORTAL_KEY", key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start normsctl portal");
        let (line, log) = wait_for_line(&mut child, "portal listening on ");
        let base = line
            .split("portal listening on ")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .trim_end_matches('/')
            .to_owned();
        Portal {
            child: Killed(child),
            base,
            log,
            dir: dir.to_owned(),
            _home: home,
        }
    }

    fn addr(&self) -> String {
        self.base.trim_start_matches("http://").to_owned()
    }

    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

/// One HTTP answer.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value of a hidden form field (the first).
    fn field(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let at = self.body.find(&marker)? + marker.len();
        Some(self.body[at..].split('"').next()?.to_owned())
    }
}

/// A browser's cookies, as the portal sets them.
#[derive(Default, Clone)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn take(&mut self, r: &Resp) {
        for c in r.header("set-cookie") {
            let kv = c.split(';').next().unwrap();
            let (k, v) = kv.split_once('=').unwrap();
            self.0.retain(|(n, _)| n != k);
            if !v.is_empty() {
                self.0.push((k.to_owned(), v.to_owned()));
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// A request with exactly these headers (a `Host` for `addr` unless one is given).
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Resp {
    try_http(addr, method, path, headers, body).expect("an HTTP answer from the portal")
}

/// [`http`], `None` when the portal is gone (killed mid-request).
fn try_http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Option<Resp> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if method == "POST" {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Some(Resp {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&tail[..n]);
        rest = &tail[n + 2..];
    }
    out
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A signed-in browser session through the trusted proxy (127.0.0.1 is the proxy here).
fn proxied(p: &Portal, email: &str, method: &str, path: &str, body: &str) -> Resp {
    let origin = p.base.clone();
    let mut headers = vec![("X-Forwarded-Email", email)];
    if method == "POST" {
        headers.push(("Origin", origin.as_str()));
    }
    http(&p.addr(), method, path, &headers, body)
}

/// Acknowledges the first policy on `email`'s page through the proxy: the policy id.
fn ack_first(p: &Portal, email: &str) -> (String, Resp) {
    let page = proxied(p, email, "GET", "/", "");
    assert_eq!(page.status, 200, "{page:?}");
    let (csrf, policy, blob) = (
        page.field("csrf").unwrap(),
        page.field("policy").expect("something to acknowledge"),
        page.field("blob").unwrap(),
    );
    let r = proxied(
        p,
        email,
        "POST",
        "/ack",
        &form(&[("csrf", &csrf), ("policy", &policy), ("blob", &blob)]),
    );
    (policy, r)
}

fn run(dir: &Path, args: &[&str]) -> Run {
    crate::harness::run_in(dir, args)
}

/// The ledger's entry files on the bare remote (or any repository), by path.
fn ledger_files(git_dir: &Path) -> Vec<String> {
    let repo = git2::Repository::open(git_dir).unwrap();
    let Ok(r) = repo.find_reference(LEDGER) else {
        return Vec::new();
    };
    let tree = r.peel_to_commit().unwrap().tree().unwrap();
    let mut out = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
        if e.kind() == Some(git2::ObjectType::Blob) {
            out.push(format!("{dir}{}", e.name().unwrap()));
        }
        git2::TreeWalkResult::Ok
    })
    .unwrap();
    out
}

/// Waits until the bare remote's ledger holds `n` entries.
fn wait_remote(bare: &Path, n: usize, logs: &dyn Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let have = ledger_files(bare).len();
        if have >= n {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the remote holds {have} of {n} entries; portal log:\n{}",
            logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A fresh clone of the remote (the auditor's), with the ledger fetched.
fn auditor(remote: &Remote, name: &str) -> PathBuf {
    clone(
        remote.root.path(),
        remote.bare.to_str().unwrap(),
        name,
        "auditor@example.com",
    )
}

fn status_of(dir: &Path, policy: &str, person: &str) -> String {
    let doc = run(dir, &["acks", "--format", "json"]).json();
    for p in doc["policies"].as_array().unwrap() {
        if p["id"] == policy {
            for r in p["people"].as_array().unwrap() {
                if r["person"] == person {
                    return r["status"].as_str().unwrap().to_owned();
                }
            }
        }
    }
    "-".into()
}

fn skip_without_smtp() -> bool {
    !smtp_tools()
}

/// Mails the sink got so far.
fn wait_mails(sink: &Smtp, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let got = sink.received();
        if got.len() >= n {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} mails arrived",
            got.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The sign-in link in a mail.
fn link_in(mail: &Value) -> String {
    let text = mail["text"].as_str().unwrap();
    text.split_whitespace()
        .find(|w| w.contains("/sign-in/link?t="))
        .expect("a link in the mail")
        .to_owned()
}

/// Asks for a link as a fresh browser (its own sign-in cookie); returns the jar.
fn ask_link(p: &Portal, email: &str) -> (Jar, Resp) {
    let mut jar = Jar::default();
    let page = http(&p.addr(), "GET", "/", &[], "");
    jar.take(&page);
    let csrf = page.field("csrf").unwrap();
    let cookie = jar.header();
    let origin = p.base.clone();
    let r = http(
        &p.addr(),
        "POST",
        "/sign-in",
        &[("Cookie", &cookie), ("Origin", &origin)],
        &form(&[("csrf", &csrf), ("email", email)]),
    );
    (jar, r)
}

/// Uses a link from a browser: GET its page, POST its button. The final answer.
fn use_link(p: &Portal, jar: &mut Jar, link: &str) -> Resp {
    let path = link.trim_start_matches(&p.base);
    let cookie = jar.header();
    let page = http(&p.addr(), "GET", path, &[("Cookie", &cookie)], "");
    let (Some(csrf), Some(token)) = (page.field("csrf"), page.field("token")) else {
        return page;
    };
    let origin = p.base.clone();
    let r = http(
        &p.addr(),
        "POST",
        "/sign-in/link",
        &[("Cookie", &cookie), ("Origin", &origin)],
        &form(&[("csrf", &csrf), ("token", &token)]),
    );
    jar.take(&r);
    r
}

#[test]
fn a_person_signs_in_by_emailed_link_in_chromium_acknowledges_and_it_verifies_elsewhere() {
    if skip_without_smtp() {
        return;
    }
    if !Path::new(CHROMIUM).exists() {
        assert!(
            !crate::browser::require_tools(),
            "{CHROMIUM} is not installed"
        );
        eprintln!("skipping the portal browser test: {CHROMIUM} is not installed");
        return;
    }
    let sink = Smtp::start(None);
    let remote = remote_with(ROSTER, "127.0.0.1", sink.port, &[]);
    let portal = Portal::start(&remote, "portal");
    let profile = tempfile::tempdir().unwrap();
    let (_chromium, ws) = start_chromium(profile.path());
    let mut cdp = Cdp::connect(&ws);

    cdp.goto(&format!("{}/", portal.base));
    cdp.eval("document.getElementById('email').value = 'bo@home.example'");
    cdp.eval("document.querySelector('form[action=\"/sign-in\"] button').click()");
    cdp.wait(
        "document.readyState === 'complete' && location.pathname === '/sign-in'",
        "the answer to the sign-in form",
    );
    let text = cdp.eval("document.body.textContent");
    assert!(
        text.as_str().unwrap().contains("Check your e-mail"),
        "{text}\n{}",
        portal.log()
    );
    let mails = wait_mails(&sink, 1);
    assert_eq!(mails[0]["rcpt"][0], "bo@home.example");
    let link = link_in(&mails[0]);
    assert!(link.starts_with(&portal.base), "{link}");
    cdp.goto(&link);
    cdp.eval("document.getElementById('use-link').click()");
    cdp.wait(
        "document.readyState === 'complete' && document.querySelectorAll('.ack-button').length === 2",
        "bo's page with two policies to acknowledge",
    );
    let title = cdp.eval("document.querySelector('.card h2').textContent");
    cdp.screenshot(&crate::browser::screenshots().join("portal-person.png"));
    cdp.eval("document.querySelector('.ack-button').click()");
    cdp.wait(
        "document.readyState === 'complete' && !!document.getElementById('notice') && document.getElementById('notice').textContent.includes('Recorded')",
        "the recorded notice",
    );
    assert_eq!(
        cdp.eval("document.querySelectorAll('.ack-button').length"),
        1,
        "{title}"
    );
    // The session cookie is HttpOnly: the page's script cannot read it.
    assert_eq!(cdp.eval("document.cookie"), "");
    let errors = cdp.errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");

    wait_remote(&remote.bare, 1, &|| portal.log());
    let other = auditor(&remote, "auditor");
    let acked: Vec<String> = ledger_files(&remote.bare);
    let policy = acked[0]
        .rsplit('/')
        .next()
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(status_of(&other, &policy, "bo"), "current");
    let v = run(&other, &["acks", "verify"]);
    assert_eq!(v.code, 0, "{v:?}");
    let shown = run(&other, &["acks", "show", "--person", "bo"]);
    assert!(
        shown
            .stdout
            .contains("acknowledged in the portal, signed in by e-mail link as bo@home.example"),
        "{}",
        shown.stdout
    );
    let ev = run(
        &other,
        &[
            "acks", "evidence", "--person", "bo", "--policy", &policy, "--format", "json",
        ],
    );
    let doc = ev.json();
    let via = &doc["acknowledgements"][0]["via"];
    assert_eq!(via["method"], "email-link", "{doc}");
    assert_eq!(via["verified"], true, "{doc}");
    // No personal data in the portal's log: no address, no token.
    let log = portal.log();
    assert!(!log.contains("bo@"), "{log}");
    assert!(!log.contains(link.rsplit('=').next().unwrap()), "{log}");
    assert!(log.contains("POST /ack 303"), "{log}");
}

#[test]
fn the_proxy_header_signs_in_only_from_the_proxy_and_the_form_cannot_name_another_person() {
    let remote = remote_with(ROSTER, "127.0.0.1", 9, &[]);
    let portal = Portal::start(&remote, "portal");
    // From the trusted proxy: bo's own page; the form has no person field to edit, and an
    // added one is ignored.
    let page = proxied(&portal, "bo@example.com", "GET", "/", "");
    assert_eq!(page.status, 200, "{page:?}");
    assert!(page.body.contains("Bo Chen"));
    let csrf = page.field("csrf").unwrap();
    let blob = page.field("blob").unwrap();
    let policy = page.field("policy").unwrap();
    let r = proxied(
        &portal,
        "bo@example.com",
        "POST",
        "/ack",
        &form(&[
            ("csrf", &csrf),
            ("policy", &policy),
            ("blob", &blob),
            ("person", "ana"),
        ]),
    );
    assert_eq!(r.status, 303, "{r:?}");
    assert_eq!(r.header("location"), ["/"]);
    let after = proxied(&portal, "bo@example.com", "GET", "/", "");
    assert!(after.body.contains("Recorded"), "{}", after.body);
    let again = proxied(&portal, "bo@example.com", "GET", "/", "");
    assert!(!again.body.contains("Recorded"), "a notice is shown once");
    assert_eq!(status_of(&portal.dir, &policy, "bo"), "current");
    let nobody_else = |dir: &Path| {
        ledger_files(&dir.join(".git"))
            .iter()
            .all(|f| f.contains("/bo/"))
    };
    assert!(nobody_else(&portal.dir));
    // bo's CSRF token does not work for ana.
    let r = proxied(
        &portal,
        "ana@example.com",
        "POST",
        "/ack",
        &form(&[("csrf", &csrf), ("policy", &policy), ("blob", &blob)]),
    );
    assert_eq!(r.status, 403, "{r:?}");
    assert!(nobody_else(&portal.dir));
    let shown = run(&portal.dir, &["acks", "show", "--person", "bo"]);
    assert!(
        shown.stdout.contains(
            "acknowledged in the portal, signed in by the single sign-on proxy as bo@example.com"
        ),
        "{}",
        shown.stdout
    );
    // A lead sees their team; an agent does not.
    let team = proxied(&portal, "ana@example.com", "GET", "/team", "");
    assert_eq!(team.status, 200, "{team:?}");
    assert!(
        team.body.contains("Bo Chen") && team.body.contains("overdue"),
        "{}",
        team.body
    );
    let team = proxied(&portal, "bo@example.com", "GET", "/team", "");
    assert_eq!(team.status, 403);

    // A portal that trusts another proxy address refuses the header from here.
    let other = remote_with(ROSTER, "127.0.0.2", 9, &[]);
    let portal2 = Portal::start(&other, "portal2");
    let r = proxied(&portal2, "bo@example.com", "GET", "/", "");
    assert_eq!(r.status, 403, "{r:?}");
    assert!(!r.body.contains("Bo Chen"));
    let r = proxied(&portal2, "bo@example.com", "POST", "/ack", "");
    assert_eq!(r.status, 403);
    // Without the header it is the sign-in page.
    let r = http(&portal2.addr(), "GET", "/", &[], "");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Sign in"));
}

#[test]
fn sign_in_links_resist_forgery_replay_other_browsers_scanners_and_enumeration() {
    if skip_without_smtp() {
        return;
    }
    let sink = Smtp::start(None);
    let remote = remote_with(ROSTER, "127.0.0.2", sink.port, &[]);
    let portal = Portal::start(&remote, "portal");

    // Known and unknown addresses get the same answer, in about the same time.
    let t = Instant::now();
    let (mut jar, known) = ask_link(&portal, "bo@example.com");
    let known_time = t.elapsed();
    let t = Instant::now();
    let (_, unknown) = ask_link(&portal, "nobody@example.com");
    let unknown_time = t.elapsed();
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    assert!(known_time >= Duration::from_millis(300) && unknown_time >= Duration::from_millis(300));
    let diff = known_time.abs_diff(unknown_time);
    assert!(
        diff < Duration::from_millis(250),
        "{known_time:?} vs {unknown_time:?}"
    );
    let mails = wait_mails(&sink, 1);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(sink.received().len(), 1, "no mail for an unknown address");
    let link = link_in(&mails[0]);
    let token = link.rsplit('=').next().unwrap().to_owned();
    assert_eq!(token.len(), 64);

    // A mail scanner's GET does not use the link, nor does another browser.
    let scanner = http(
        &portal.addr(),
        "GET",
        link.trim_start_matches(&portal.base),
        &[],
        "",
    );
    assert_eq!(scanner.status, 403);
    let (mut other_browser, _) = ask_link(&portal, "ana@example.com");
    let r = use_link(&portal, &mut other_browser, &link);
    assert_eq!(r.status, 403, "another browser: {r:?}");
    // A forged token does nothing.
    let forged = format!("{}/sign-in/link?t={}", portal.base, "ab".repeat(32));
    let r = use_link(&portal, &mut jar.clone(), &forged);
    assert_eq!(r.status, 403);
    // The browser that asked signs in, once.
    let r = use_link(&portal, &mut jar, &link);
    assert_eq!(r.status, 303, "{r:?}");
    let cookies = r.header("set-cookie").join("\n");
    assert!(
        cookies.contains("HttpOnly") && cookies.contains("SameSite=Strict"),
        "{cookies}"
    );
    let page = http(&portal.addr(), "GET", "/", &[("Cookie", &jar.header())], "");
    assert!(page.body.contains("Bo Chen"), "{}", page.body);
    let mut replay = jar.clone();
    let r = use_link(&portal, &mut replay, &link);
    assert_eq!(r.status, 403, "a used link: {r:?}");

    // A cross-site POST: refused by its Origin, and without the token by the token.
    let csrf = page.field("csrf").unwrap();
    let (policy, blob) = (page.field("policy").unwrap(), page.field("blob").unwrap());
    let body = form(&[("csrf", &csrf), ("policy", &policy), ("blob", &blob)]);
    let cookie = jar.header();
    let r = http(
        &portal.addr(),
        "POST",
        "/ack",
        &[("Cookie", &cookie), ("Origin", "https://evil.example")],
        &body,
    );
    assert_eq!(r.status, 403);
    let r = http(
        &portal.addr(),
        "POST",
        "/ack",
        &[
            ("Cookie", &cookie),
            ("Origin", "null"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
        &body,
    );
    assert_eq!(r.status, 403);
    let no_token = form(&[("policy", &policy), ("blob", &blob)]);
    let r = http(
        &portal.addr(),
        "POST",
        "/ack",
        &[("Cookie", &cookie)],
        &no_token,
    );
    assert_eq!(r.status, 403);
    assert_eq!(status_of(&portal.dir, &policy, "bo"), "never");
    // A text other than the one in force: nothing recorded, the new text shown.
    let stale = form(&[
        ("csrf", &csrf),
        ("policy", &policy),
        ("blob", &"0".repeat(40)),
    ]);
    let r = http(
        &portal.addr(),
        "POST",
        "/ack",
        &[("Cookie", &cookie)],
        &stale,
    );
    assert!(r.body.contains("nothing was recorded"), "{}", r.body);
    assert_eq!(status_of(&portal.dir, &policy, "bo"), "never");
    // A Host of another site.
    let r = http(
        &portal.addr(),
        "GET",
        "/",
        &[("Host", "evil.example"), ("Cookie", &cookie)],
        "",
    );
    assert_eq!(r.status, 421);
    assert!(!r.body.contains("Bo Chen"));
    // Security headers on every page.
    assert!(page.header("content-security-policy")[0].contains("default-src 'none'"));
    assert_eq!(page.header("x-frame-options"), ["DENY"]);

    // Rate limits per address.
    let mut limited = false;
    for _ in 0..4 {
        let (_, r) = ask_link(&portal, "ana@example.com");
        limited |= r.status == 429;
    }
    assert!(
        limited,
        "a fourth request for one address within the window is refused"
    );
    assert!(!portal.log().contains("@example.com"), "{}", portal.log());
}

#[test]
fn an_expired_sign_in_link_signs_nobody_in_and_records_nothing() {
    if skip_without_smtp() {
        return;
    }
    let sink = Smtp::start(None);
    // Links work for 6 seconds (`link_minutes` takes fractions, down to 0.05).
    let remote = remote_with_portal(ROSTER, "127.0.0.2", sink.port, &[], "  link_minutes: 0.1\n");
    let portal = Portal::start(&remote, "portal");

    // Bo asks for a link and lets it expire; Ana asks for one and uses it at once, so the
    // same portal is seen to sign people in with a fresh link.
    let (mut bo, sent) = ask_link(&portal, "bo@example.com");
    assert_eq!(sent.status, 200, "{sent:?}");
    assert!(
        sent.body
            .contains("It works for 6 seconds, once, in this browser."),
        "{}",
        sent.body
    );
    let bo_mail = wait_mails(&sink, 1).remove(0);
    let asked = Instant::now();
    assert!(
        bo_mail["text"]
            .as_str()
            .unwrap()
            .contains("in the same browser within 6 seconds:"),
        "{bo_mail}"
    );
    let bo_link = link_in(&bo_mail);
    let (mut ana, _) = ask_link(&portal, "ana@example.com");
    let ana_link = link_in(&wait_mails(&sink, 2)[1]);
    let r = use_link(&portal, &mut ana, &ana_link);
    assert_eq!(r.status, 303, "a fresh link signs in: {r:?}");
    let ana_page = http(&portal.addr(), "GET", "/", &[("Cookie", &ana.header())], "");
    assert!(ana_page.body.contains("Ana Diaz"), "{}", ana_page.body);
    let (policy, blob) = (
        ana_page.field("policy").unwrap(),
        ana_page.field("blob").unwrap(),
    );

    let before = ledger_files(&portal.dir);
    std::thread::sleep(Duration::from_millis(6_500).saturating_sub(asked.elapsed()));
    let r = use_link(&portal, &mut bo, &bo_link);
    assert_eq!(r.status, 403, "an expired link: {r:?}");
    assert!(
        r.body.contains("<h1>This link does not work</h1>")
            && r.body.contains(
                "The link was used already, expired, or was opened in another browser than the one that asked for it. Ask for a new one."
            ),
        "{}",
        r.body
    );
    assert!(
        r.header("set-cookie")
            .iter()
            .all(|c| !c.starts_with("normsctl_session=")),
        "no session cookie: {r:?}"
    );
    // Bo's browser is still signed out, and an acknowledgement posted from it is refused.
    let page = http(&portal.addr(), "GET", "/", &[("Cookie", &bo.header())], "");
    assert!(
        page.body.contains("Send me a sign-in link") && !page.body.contains("Bo Chen"),
        "{}",
        page.body
    );
    let csrf = page.field("csrf").unwrap();
    let origin = portal.base.clone();
    let r = http(
        &portal.addr(),
        "POST",
        "/ack",
        &[("Cookie", &bo.header()), ("Origin", &origin)],
        &form(&[("csrf", &csrf), ("policy", &policy), ("blob", &blob)]),
    );
    assert_eq!(r.status, 403, "{r:?}");
    assert!(
        r.body
            .contains("Your session ended. Sign in again to acknowledge."),
        "{}",
        r.body
    );
    // Nothing recorded: the ledger is as it was, here and on the remote.
    assert_eq!(ledger_files(&portal.dir), before);
    assert!(ledger_files(&remote.bare).is_empty());
    assert_eq!(status_of(&portal.dir, &policy, "bo"), "never");
    // The expired link is gone for good: the right browser still cannot use it.
    let r = use_link(&portal, &mut bo, &bo_link);
    assert_eq!(r.status, 403);
    let token = bo_link.rsplit('=').next().unwrap();
    assert!(!portal.log().contains(token), "{}", portal.log());
}

#[test]
fn kept_pages_follow_the_ledger_and_the_handbook_line() {
    let remote = remote_with(ROSTER, "127.0.0.1", 9, &[]);
    let portal = Portal::start(&remote, "portal");
    let page = |who: &str| {
        let r = proxied(&portal, who, "GET", "/", "");
        assert_eq!(r.status, 200, "{r:?}");
        r.body
    };
    let pending =
        |body: &str, policy: &str| body.contains(&format!("name=\"policy\" value=\"{policy}\""));
    // Both pages are made, then answered from memory.
    for _ in 0..2 {
        assert!(pending(&page("bo@example.com"), "stepping-away"));
        assert!(pending(&page("ana@example.com"), "stepping-away"));
    }

    // Bo acknowledges with `ack` in the portal's clone: the ledger moves under the portal.
    let r = run(&portal.dir, &["ack", "stepping-away", "--as", "bo"]);
    assert_eq!(r.code, 0, "{r:?}");
    let bo = page("bo@example.com");
    assert!(!pending(&bo, "stepping-away"), "{bo}");
    assert!(bo.contains("Say when you step away (revision 1)"), "{bo}");
    assert!(pending(&page("ana@example.com"), "stepping-away"));

    // A new revision lands on the handbook line and reaches the portal's clone.
    let editor = clone(
        remote.root.path(),
        remote.bare.to_str().unwrap(),
        "editor",
        "editor@example.com",
    );
    std::fs::write(
        editor.join("policies/norms/stepping-away.yaml"),
        crate::harness::NORM
            .replace("revision: 1", "revision: 2")
            .replace("Tell the channel.", "Tell the channel, and your lead."),
    )
    .unwrap();
    git(
        &editor,
        &["commit", "--quiet", "-am", "Stepping away: tell the lead"],
    );
    git(&editor, &["push", "--quiet", "origin", "HEAD:main"]);
    git(&portal.dir, &["fetch", "--quiet", "origin"]);
    let bo = page("bo@example.com");
    assert!(pending(&bo, "stepping-away"), "{bo}");
    assert!(
        bo.contains("I have read and understood revision 2")
            && bo.contains("What changed since revision 1, which you acknowledged")
            && bo.contains("+body: Tell the channel, and your lead."),
        "{bo}"
    );
    let ana = page("ana@example.com");
    assert!(
        ana.contains("I have read and understood revision 2"),
        "{ana}"
    );
}

#[test]
fn every_handbook_field_is_escaped_on_the_portal_pages() {
    let evil = "<script>alert(1)</script>\\\"><img src=x onerror=alert(2)>";
    let roster = ROSTER.replace("name: Bo Chen", &format!("name: \"Bo {evil}\""));
    let norm = format!(
        "id: xss\nkind: norm\ntitle: \"T {evil}\"\nsummary: \"S {evil}\"\nowner: tier1\nrevision: 1\nbody: \"B {evil} [x](javascript:alert(3))\"\n"
    );
    let remote = remote_with(
        &roster,
        "127.0.0.1",
        9,
        &[("policies/norms/xss.yaml", &norm)],
    );
    let portal = Portal::start(&remote, "portal");
    let page = proxied(&portal, "bo@example.com", "GET", "/", "");
    assert_eq!(page.status, 200, "{page:?}");
    assert!(
        page.body.contains("&lt;script&gt;alert(1)"),
        "{}",
        page.body
    );
    for bad in ["<script>alert", "<img src=x", "javascript:alert"] {
        assert!(!page.body.contains(bad), "{bad} in\n{}", page.body);
    }
    let team = proxied(&portal, "ana@example.com", "GET", "/team", "");
    for bad in ["<script>alert", "<img src=x"] {
        assert!(!team.body.contains(bad), "{bad} in\n{}", team.body);
    }
}

#[test]
fn a_person_with_their_own_key_is_refused_and_a_forged_via_is_not_believed() {
    let keys = tempfile::tempdir().unwrap();
    let (_, bo_pub) = keygen(keys.path(), "bo");
    let roster = ROSTER.replace(
        "roles: [agent] }",
        &format!("roles: [agent], signing_key: \"{bo_pub}\" }}"),
    );
    let remote = remote_with(&roster, "127.0.0.1", 9, &[]);
    let portal = Portal::start(&remote, "portal");
    let page = proxied(&portal, "bo@example.com", "GET", "/", "");
    assert_eq!(page.status, 403);
    assert!(page.body.contains("normsctl ack --key"), "{}", page.body);
    let r = proxied(
        &portal,
        "bo@example.com",
        "POST",
        "/ack",
        &form(&[("csrf", "x")]),
    );
    assert_eq!(r.status, 403);
    assert!(ledger_files(&portal.dir.join(".git")).is_empty());

    // ana (no key) acknowledges; then an entry claiming the portal that the portal key
    // does not verify is shown as a claim not verified.
    let (_, r) = ack_first(&portal, "ana@example.com");
    assert_eq!(r.status, 303, "{r:?}");
    let shown = run(&portal.dir, &["acks", "show", "--person", "ana"]);
    assert!(
        shown
            .stdout
            .contains("signed in by the single sign-on proxy as ana@example.com"),
        "{}",
        shown.stdout
    );
    let forger = keygen(keys.path(), "forger").0;
    let (_, mut entry) = template(&portal.dir);
    assert_eq!(entry["via"]["method"], "proxy", "{entry}");
    entry["time"] = "2026-01-07T10:00:00+00:00".into();
    let (path, _) = forge(&entry, None);
    let (_, unsigned) = forge(&entry, None);
    let signature = sign(&forger, &unsigned);
    let (_, bytes) = forge(&entry, Some(&signature));
    add_file(&portal.dir, "forged portal entry", &path, &bytes);
    let shown = run(&portal.dir, &["acks", "show", "--person", "ana"]);
    assert!(
        shown.stdout.contains("claim not verified"),
        "{}",
        shown.stdout
    );
}

/// Starts `n` portals on their own clones of one remote with `people` agents.
fn people_roster(n: usize) -> String {
    let mut s = ROSTER.to_owned();
    for i in 0..n {
        s.push_str(&format!(
            "  - {{ id: p{i:03}, name: P{i}, email: p{i:03}@example.com, teams: [tier1], roles: [agent] }}\n"
        ));
    }
    s
}

#[test]
fn concurrent_acknowledgements_through_one_and_three_portals_all_arrive_once_and_verify() {
    let remote = remote_with(&people_roster(200), "127.0.0.1", 9, &[]);
    let portal = Portal::start(&remote, "portal");
    let started = Instant::now();
    let handles: Vec<_> = (0..200)
        .map(|i| {
            let (addr, base) = (portal.addr(), portal.base.clone());
            std::thread::spawn(move || {
                let email = format!("p{i:03}@example.com");
                let p = PortalRef { addr, base };
                p.ack(&email)
            })
        })
        .collect();
    let recorded = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|ok| *ok)
        .count();
    assert_eq!(recorded, 200, "portal log:\n{}", portal.log());
    eprintln!("200 concurrent acknowledgements in {:?}", started.elapsed());
    wait_remote(&remote.bare, 200, &|| portal.log());
    assert_eq!(ledger_files(&remote.bare).len(), 200);
    drop(portal);

    // Three portals, their own clones, one remote.
    let portals: Vec<Portal> = (0..3)
        .map(|i| Portal::start(&remote, &format!("portal{i}")))
        .collect();
    let handles: Vec<_> = (0..30)
        .map(|i| {
            let p = &portals[i % 3];
            let (addr, base) = (p.addr(), p.base.clone());
            std::thread::spawn(move || {
                PortalRef { addr, base }.ack(&format!("p{i:03}@example.com"))
            })
        })
        .collect();
    let ok = handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .filter(|o| *o)
        .count();
    assert_eq!(ok, 30);
    wait_remote(&remote.bare, 230, &|| {
        portals.iter().map(Portal::log).collect()
    });
    let files = ledger_files(&remote.bare);
    let mut unique = files.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((files.len(), unique.len()), (230, 230), "every entry once");
    let other = auditor(&remote, "auditor");
    let v = run(&other, &["acks", "verify"]);
    assert_eq!(v.code, 0, "{v:?}");
}

/// A portal's address, for threads.
struct PortalRef {
    addr: String,
    base: String,
}

impl PortalRef {
    /// Acknowledges the first policy on the person's page; whether the portal answered
    /// that it recorded it (a redirect to the person's page).
    fn ack(&self, email: &str) -> bool {
        let h = [("X-Forwarded-Email", email)];
        let Some(page) = try_http(&self.addr, "GET", "/", &h, "") else {
            return false;
        };
        let (Some(csrf), Some(policy), Some(blob)) =
            (page.field("csrf"), page.field("policy"), page.field("blob"))
        else {
            return false;
        };
        try_http(
            &self.addr,
            "POST",
            "/ack",
            &[("X-Forwarded-Email", email), ("Origin", &self.base)],
            &form(&[("csrf", &csrf), ("policy", &policy), ("blob", &blob)]),
        )
        .is_some_and(|r| r.status == 303)
    }
}

#[test]
fn a_killed_portal_loses_nothing_it_reported_and_a_down_remote_only_delays_pushes() {
    let remote = remote_with(&people_roster(40), "127.0.0.1", 9, &[]);
    // The remote goes away: acknowledgements are recorded, pushes wait.
    let away = remote.root.path().join("away.git");
    let portal = Portal::start(&remote, "portal");
    std::fs::rename(&remote.bare, &away).unwrap();
    let p = PortalRef {
        addr: portal.addr(),
        base: portal.base.clone(),
    };
    for i in 0..5 {
        assert!(p.ack(&format!("p{i:03}@example.com")));
    }
    let ready = http(&portal.addr(), "GET", "/readyz", &[], "");
    assert_eq!(ready.status, 200);
    // The push thread says so when its round fails, at its own pace: wait for it rather
    // than for a fixed pause, which a slow round on a loaded machine could outlast.
    let deadline = Instant::now() + Duration::from_secs(90);
    while !portal.log().contains("sync failed") {
        assert!(Instant::now() < deadline, "{}", portal.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::rename(&away, &remote.bare).unwrap();
    wait_remote(&remote.bare, 5, &|| portal.log());

    // SIGKILL while acknowledgements are being written: every one reported recorded is
    // in the ledger of the portal's clone.
    let reported = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (5..40)
        .map(|i| {
            let p = PortalRef {
                addr: portal.addr(),
                base: portal.base.clone(),
            };
            let reported = Arc::clone(&reported);
            std::thread::spawn(move || {
                let person = format!("p{i:03}");
                if std::panic::catch_unwind(|| p.ack(&format!("{person}@example.com")))
                    .unwrap_or(false)
                {
                    reported.lock().unwrap().push(person);
                }
            })
        })
        .collect();
    // Killed once some are reported, while the others are still being written.
    let deadline = Instant::now() + Duration::from_secs(120);
    while reported.lock().unwrap().len() < 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut portal = portal;
    kill_hard(&mut portal);
    for h in handles {
        let _ = h.join();
    }
    let reported = reported.lock().unwrap().clone();
    assert!(reported.len() >= 5, "{reported:?}");
    assert!(
        reported.len() < 35,
        "the kill came after every acknowledgement"
    );
    let files = ledger_files(&portal.dir.join(".git"));
    for person in &reported {
        assert!(
            files.iter().any(|f| f.contains(&format!("/{person}/"))),
            "{person} was reported recorded but is not in the ledger"
        );
    }
    eprintln!(
        "{} reported before the kill, {} in the ledger",
        reported.len(),
        files.len()
    );
    let v = run(&portal.dir, &["acks", "verify"]);
    assert_eq!(v.code, 0, "{v:?}");
    // Restarted, it pushes what the kill left unpushed.
    let again = Portal::start_in(&portal.dir, &remote.key);
    wait_remote(&remote.bare, files.len(), &|| again.log());
}

/// SIGKILL (the `Killed` guard's kill is SIGKILL on Unix).
fn kill_hard(p: &mut Portal) {
    let _ = p.child.0.kill();
    let _ = p.child.0.wait();
}

#[test]
fn health_and_readiness_answer_without_a_session() {
    let remote = remote_with(ROSTER, "127.0.0.1", 9, &[]);
    let portal = Portal::start(&remote, "portal");
    let r = http(&portal.addr(), "GET", "/healthz", &[], "");
    assert_eq!((r.status, r.body.as_str()), (200, "ok\n"));
    let r = http(&portal.addr(), "GET", "/readyz", &[], "");
    assert_eq!(r.status, 200);
    assert!(r.body.contains("handbook line: ok"), "{}", r.body);
    let css = http(&portal.addr(), "GET", "/assets/style.css", &[], "");
    assert_eq!(css.status, 200);
    assert!(css.header("content-type")[0].starts_with("text/css"));
}
