//! The urgent holes of issue 9, each tried as an attacker would, with a positive control
//! beside it: `serve` hands out only its own site to its own pages, templates are never read
//! through links, and a due-days setting cannot make `acks` panic.

use crate::acks::{T0, at, commit, handbook};
use crate::harness::{Handbook, ROSTER, command};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `normsctl serve --port 0` on `dir` with its site in `out`; returns the process
/// and the port.
fn serve(dir: &Path, out: &Path, home: &Path) -> (Killed, u16) {
    let mut child = command(dir, home, &["serve", "--port", "0", "--out"])
        .arg(out)
        .env("SOURCE_DATE_EPOCH", "1768046400")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start normsctl serve");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line
                .split("serving the handbook at http://127.0.0.1:")
                .nth(1)
            {
                let _ = tx.send(
                    rest.trim_end_matches(|c: char| !c.is_ascii_digit())
                        .to_owned(),
                );
            }
        }
    });
    let port = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("serve did not start")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    (Killed(child), port)
}

/// One raw HTTP/1.1 exchange (a raw socket, so the request line and headers are exactly what
/// an attacker sends): the status code and the whole response.
fn raw(port: u16, method: &str, target: &str, headers: &[(&str, String)]) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("Content-Length: 0\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let text = String::from_utf8_lossy(&resp).into_owned();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, text)
}

#[test]
fn serve_hands_out_only_its_own_site_to_its_own_pages() {
    let hb = handbook(ROSTER, "ana@example.com");
    let home = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let site = out.path().join("site");
    let (_server, port) = serve(hb.path(), &site, home.path());
    let host = || ("Host", format!("127.0.0.1:{port}"));

    // Positive controls: pages, a name with a space, HEAD, the live channel from its page.
    let (code, text) = raw(port, "GET", "/index.html", &[host()]);
    assert_eq!(code, 200, "{text}");
    assert!(text.contains("<html"), "{text}");
    std::fs::write(site.join("extra page.html"), "<p>spaced</p>").unwrap();
    let (code, text) = raw(port, "GET", "/extra%20page.html", &[host()]);
    assert_eq!(code, 200, "{text}");
    assert!(text.contains("spaced"));
    let (code, text) = raw(port, "HEAD", "/index.html", &[host()]);
    assert_eq!(code, 200, "{text}");
    assert!(!text.contains("<html"), "HEAD has no body: {text}");
    let (code, _) = raw(port, "GET", "/", &[("Host", format!("localhost:{port}"))]);
    assert_eq!(code, 200);
    let own = ("Origin", format!("http://127.0.0.1:{port}"));
    let (code, text) = raw(port, "GET", "/__normsctl/poll", &[host(), own]);
    assert_eq!(code, 200, "{text}");
    assert!(text.contains("\"version\""), "{text}");

    // Files outside the site: absolute paths, dot-dot, the process's own files, a link.
    std::os::unix::fs::symlink(hb.path().join("people.yaml"), site.join("leak.yaml")).unwrap();
    for target in [
        "/%2Fetc%2Fpasswd",
        "/%2Fproc%2Fself%2Fenviron",
        "/%2Fproc%2Fself%2Fcwd%2Fpeople.yaml",
        "/..%2F..%2F..%2Fetc%2Fpasswd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/../../etc/passwd",
        "/leak.yaml",
    ] {
        let (code, text) = raw(port, "GET", target, &[host()]);
        assert_eq!(code, 404, "{target}: {text}");
        assert!(!text.contains("root:"), "{target} leaked /etc/passwd");
        assert!(!text.contains("PATH="), "{target} leaked the environment");
        assert!(!text.contains("Ana Diaz"), "{target} leaked the roster");
    }

    // DNS rebinding: another site's name, or no name at all.
    for h in [
        Some(format!("evil.example:{port}")),
        Some("evil.example".to_owned()),
        Some(format!("127.0.0.1:{}", port.wrapping_add(1))),
        None,
    ] {
        let headers: Vec<(&str, String)> = h.clone().map(|h| ("Host", h)).into_iter().collect();
        let (code, text) = raw(port, "GET", "/index.html", &headers);
        assert_eq!(code, 403, "Host {h:?}: {text}");
        assert!(!text.contains("<html"), "{text}");
    }
    // Methods other than GET and HEAD.
    for method in ["POST", "PUT", "DELETE"] {
        let (code, text) = raw(port, method, "/index.html", &[host()]);
        assert_eq!(code, 405, "{method}: {text}");
        assert!(text.contains("Allow: GET, HEAD"), "{text}");
    }
    // The live-reload channel from another origin.
    for origin in ["https://evil.example", "null"] {
        let (code, text) = raw(
            port,
            "GET",
            "/__normsctl/poll",
            &[host(), ("Origin", origin.to_owned())],
        );
        assert_eq!(code, 403, "Origin {origin}: {text}");
        assert!(!text.contains("\"version\""), "{text}");
    }
}

fn validate_strict(hb: &Handbook) -> Vec<String> {
    let run = hb.validate(&["--strict"]);
    run.findings()
}

#[test]
fn template_links_are_findings_and_never_published() {
    let hb = handbook(ROSTER, "ana@example.com");
    std::fs::create_dir_all(hb.path().join("templates")).unwrap();
    hb.write("templates/llms.txt", "{% include \"notes.txt\" %}\n");
    std::os::unix::fs::symlink("/proc/self/environ", hb.path().join("templates/style.css"))
        .unwrap();
    std::os::unix::fs::symlink("../.git/config", hb.path().join("templates/notes.txt")).unwrap();
    let findings = validate_strict(&hb);
    assert!(
        findings.contains(&"templates/style.css:1:1 template-link".to_owned()),
        "{findings:?}"
    );
    assert!(
        findings.contains(&"templates/notes.txt:1:1 template-link".to_owned()),
        "{findings:?}"
    );

    let out = tempfile::tempdir().unwrap();
    let site = out.path().join("site");
    let run = at(&hb, &["build", "--out", site.to_str().unwrap()], T0 + 60);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("template-link"), "{run:?}");
    assert!(
        !site.exists(),
        "nothing is written when templates hold links"
    );

    // A link to a file inside the handbook is refused too (it could be anything tomorrow).
    std::fs::remove_file(hb.path().join("templates/notes.txt")).unwrap();
    std::fs::remove_file(hb.path().join("templates/style.css")).unwrap();
    std::os::unix::fs::symlink("../people.yaml", hb.path().join("templates/notes.txt")).unwrap();
    assert!(validate_strict(&hb).contains(&"templates/notes.txt:1:1 template-link".to_owned()));

    // Positive control: an ordinary override that includes an ordinary file.
    std::fs::remove_file(hb.path().join("templates/notes.txt")).unwrap();
    hb.write("templates/notes.txt", "Our own notes for assistants.\n");
    hb.write("templates/style.css", "body { color: teal }\n");
    assert_eq!(validate_strict(&hb), Vec::<String>::new());
    let run = at(&hb, &["build", "--out", site.to_str().unwrap()], T0 + 60);
    assert_eq!(run.code, 0, "{run:?}");
    let llms = std::fs::read_to_string(site.join("llms.txt")).unwrap();
    assert!(llms.contains("Our own notes for assistants."), "{llms}");
    let css = std::fs::read_to_string(site.join("assets/style.css")).unwrap();
    assert_eq!(css, "body { color: teal }\n");
}

#[test]
fn a_templates_folder_that_is_a_link_is_refused() {
    let hb = handbook(ROSTER, "ana@example.com");
    std::os::unix::fs::symlink("/etc", hb.path().join("templates")).unwrap();
    let findings = validate_strict(&hb);
    assert_eq!(findings, ["templates:1:1 template-link"]);
    let out = tempfile::tempdir().unwrap();
    let site = out.path().join("site");
    let run = at(&hb, &["build", "--out", site.to_str().unwrap()], T0 + 60);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(!site.exists());

    // A settings path into git's own folder is refused as well.
    std::fs::remove_file(hb.path().join("templates")).unwrap();
    hb.write(
        "normsctl.yaml",
        "title: T\ntimezone: Europe/Madrid\ntemplates: .git\n",
    );
    let run = hb.validate(&["--strict"]);
    assert!(
        run.findings()
            .contains(&"normsctl.yaml:3:12 invalid-value".to_owned()),
        "{run:?}"
    );
    assert!(run.stdout.contains(".git"), "{}", run.stdout);
}

#[test]
fn a_policy_link_into_the_git_folder_is_not_read() {
    let hb = handbook(ROSTER, "ana@example.com");
    std::os::unix::fs::symlink("../.git/config", hb.path().join("policies/config.yaml")).unwrap();
    let findings = validate_strict(&hb);
    assert!(
        findings.contains(&"policies/config.yaml:1:1 outside-handbook".to_owned()),
        "{findings:?}"
    );
}

#[test]
fn due_days_have_a_bound_and_acks_never_panics() {
    let hb = handbook(ROSTER, "ana@example.com");
    // Over the bound: a finding at the value, in settings and in a policy.
    hb.write(
        "normsctl.yaml",
        "title: T\ntimezone: Europe/Madrid\nacks:\n  due_days: 7304485\n",
    );
    let policy = hb.read("policies/norms/stepping-away.yaml");
    hb.write(
        "policies/norms/stepping-away.yaml",
        format!("{policy}ack_due_days: 3651\n"),
    );
    let run = hb.validate(&["--strict"]);
    assert_eq!(run.code, 1, "{run:?}");
    let findings = run.findings();
    assert!(
        findings.contains(&"normsctl.yaml:4:13 invalid-value".to_owned()),
        "{findings:?}"
    );
    assert!(
        findings.contains(&"policies/norms/stepping-away.yaml:8:15 invalid-value".to_owned()),
        "{findings:?}"
    );
    assert!(run.stdout.contains("from 1 to 3650"), "{}", run.stdout);

    // At the bound: valid, and every report runs.
    hb.write(
        "normsctl.yaml",
        "title: T\ntimezone: Europe/Madrid\nacks:\n  due_days: 3650\n",
    );
    hb.write(
        "policies/norms/stepping-away.yaml",
        format!("{policy}ack_due_days: 3650\n"),
    );
    assert_eq!(validate_strict(&hb), Vec::<String>::new());
    commit(hb.path(), "Ten years to acknowledge", T0 + 60);
    for args in [
        &["acks"][..],
        &["acks", "--overdue"],
        &["acks", "--format", "json"],
        &["acks", "--format", "csv"],
    ] {
        let run = at(&hb, args, T0 + 120);
        assert!(run.code == 0 || run.code == 1, "{args:?}: {run:?}");
        assert!(!run.stderr.contains("panicked"), "{run:?}");
    }
    let doc = at(&hb, &["acks", "--format", "json"], T0 + 120).json();
    let due = doc["policies"][0]["due"].as_str().unwrap().to_owned();
    assert!(due.starts_with("2036-01-0"), "ten years on: {due}");
}
