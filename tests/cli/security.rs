//! The urgent holes of issue 9, each tried as an attacker would, with a positive control
//! beside it: `serve` hands out only its own site to its own pages, templates are never read
//! through links, and a due-days setting cannot make `acks` panic.

use crate::acks::handbook;
use crate::harness::{ROSTER, command};
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

