//! `normsctl mcp --http`: streamable HTTP on a loopback address, behind the Host and
//! Origin checks (DNS rebinding) and a bearer token; a non-loopback bind and a token file
//! others can read are refused.

use crate::harness::{command, run_in};
use crate::in_force::{BEFORE, handbook};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Stdio};

pub const TOKEN: &str = "test-token-0123456789abcdef";

/// A server on a free port, and its port.
pub struct Server {
    child: Child,
    pub port: u16,
    _home: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes the token into a file only its owner may read.
pub fn token_file(dir: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let f = dir.join("token");
    std::fs::write(&f, format!("{TOKEN}\n")).unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
    f
}

/// Starts `normsctl mcp --http 127.0.0.1:0` in `dir`, reading its port from stderr.
pub fn start(dir: &Path, extra: &[&str]) -> Server {
    let home = tempfile::tempdir().unwrap();
    let file = token_file(home.path());
    let mut args = vec![
        "mcp",
        "--http",
        "127.0.0.1:0",
        "--token-file",
        file.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let mut child = command(dir, home.path(), &args)
        .env("SOURCE_DATE_EPOCH", BEFORE)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let port = loop {
        let line = lines
            .next()
            .expect("the server ended before listening")
            .unwrap();
        if let Some(rest) = line.strip_prefix("listening on http://127.0.0.1:") {
            break rest.trim_end_matches("/mcp").parse().unwrap();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        port,
        _home: home,
    }
}

/// One HTTP response: status, headers (lower-case names) and body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The JSON-RPC message of the body (plain JSON, or the `data:` of an event stream).
    pub fn message(&self) -> Value {
        if let Ok(v) = serde_json::from_str(&self.body) {
            return v;
        }
        self.body
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
            .find(|v| v.get("id").is_some())
            .unwrap_or_else(|| panic!("no message in {}", self.body))
    }
}

/// POSTs `body` to `/mcp` with `headers` (Host is the caller's to give).
pub fn post(port: u16, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nConnection: close\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_owned()
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}

fn rpc(id: u64, method: &str, params: Value) -> String {
    json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }).to_string()
}

fn initialize() -> String {
    rpc(
        1,
        "initialize",
        json!({ "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "t", "version": "1" } }),
    )
}

#[test]
fn over_http_with_the_token_a_session_calls_tools() {
    let hb = handbook();
    let srv = start(hb.path(), &["--no-watch"]);
    let host = format!("127.0.0.1:{}", srv.port);
    let bearer = format!("Bearer {TOKEN}");
    let base = [("Host", host.as_str()), ("Authorization", bearer.as_str())];
    let init = post(srv.port, "/mcp", &base, &initialize());
    assert_eq!(init.status, 200, "{}", init.body);
    assert_eq!(init.message()["result"]["serverInfo"]["name"], "normsctl");
    let session = init.header("mcp-session-id").expect("a session").to_owned();
    let mut h = base.to_vec();
    h.push(("Mcp-Session-Id", &session));
    h.push(("MCP-Protocol-Version", "2025-06-18"));
    let done = post(
        srv.port,
        "/mcp",
        &h,
        &json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }).to_string(),
    );
    assert_eq!(done.status, 202, "{}", done.body);
    let tools = post(srv.port, "/mcp", &h, &rpc(2, "tools/list", json!({}))).message();
    assert_eq!(tools["result"]["tools"].as_array().unwrap().len(), 5);
    let call = post(
        srv.port,
        "/mcp",
        &h,
        &rpc(3, "tools/call", json!({ "name": "get_policy", "arguments": { "id": "first-response-time", "at": "2025-06-01" } })),
    )
    .message();
    assert_eq!(
        call["result"]["structuredContent"]["citation"]["revision"], 2,
        "{call}"
    );
    let bad = post(
        srv.port,
        "/mcp",
        &h,
        &rpc(
            4,
            "tools/call",
            json!({ "name": "get_policy", "arguments": { "id": "frt" } }),
        ),
    )
    .message();
    assert_eq!(bad["result"]["isError"], true, "{bad}");
    // an allowed page of this server may call it
    let origin = format!("http://localhost:{}", srv.port);
    let mut o = h.clone();
    o.push(("Origin", &origin));
    assert_eq!(
        post(srv.port, "/mcp", &o, &rpc(5, "ping", json!({}))).status,
        200
    );
}

#[test]
fn over_http_wrong_token_host_or_origin_is_refused() {
    let hb = handbook();
    let srv = start(hb.path(), &["--no-watch"]);
    let host = format!("127.0.0.1:{}", srv.port);
    let bearer = format!("Bearer {TOKEN}");
    let body = initialize();
    let missing = post(srv.port, "/mcp", &[("Host", &host)], &body);
    assert_eq!(missing.status, 401);
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));
    let wrong = post(
        srv.port,
        "/mcp",
        &[
            ("Host", &host),
            ("Authorization", "Bearer test-token-0123456789abcdeX"),
        ],
        &body,
    );
    assert_eq!(wrong.status, 401);
    // DNS rebinding: a page on another name that resolves to 127.0.0.1
    let rebound = format!("evil.example:{}", srv.port);
    let bad_host = post(
        srv.port,
        "/mcp",
        &[("Host", &rebound), ("Authorization", &bearer)],
        &body,
    );
    assert_eq!(bad_host.status, 403);
    let bad_origin = post(
        srv.port,
        "/mcp",
        &[
            ("Host", &host),
            ("Authorization", &bearer),
            ("Origin", "https://evil.example"),
        ],
        &body,
    );
    assert_eq!(bad_origin.status, 403);
    assert!(!bad_origin.body.contains("serverInfo"));
}

#[test]
fn refused_binds_and_tokens() {
    let hb = handbook();
    let home = tempfile::tempdir().unwrap();
    let file = token_file(home.path());
    let f = file.to_str().unwrap();
    for addr in ["0.0.0.0:0", "192.0.2.1:8765", "[::]:0"] {
        let run = run_in(hb.path(), &["mcp", "--http", addr, "--token-file", f]);
        assert_eq!(run.code, 2, "{addr}: {run:?}");
        assert!(
            run.stderr.contains("not a loopback address"),
            "{}",
            run.stderr
        );
    }
    let run = run_in(hb.path(), &["mcp", "--http", "127.0.0.1:0"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--http needs a bearer token"),
        "{}",
        run.stderr
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = run_in(
        hb.path(),
        &["mcp", "--http", "127.0.0.1:0", "--token-file", f],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("other users can read it"),
        "{}",
        run.stderr
    );
}

/// Opens the session's stream of server messages (`GET /mcp`) and sends each message it
/// carries (the `data:` of each event) to the receiver.
fn listen(port: u16, headers: &[(&str, &str)]) -> std::sync::mpsc::Receiver<Value> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut req = "GET /mcp HTTP/1.1\r\nAccept: text/event-stream\r\n".to_owned();
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(s).lines() {
            let Ok(line) = line else { break };
            if let Some(data) = line.strip_prefix("data:")
                && let Ok(v) = serde_json::from_str::<Value>(data.trim())
                && tx.send(v).is_err()
            {
                break;
            }
        }
    });
    rx
}

#[test]
fn over_http_a_new_commit_is_announced_on_the_session_stream() {
    let hb = handbook();
    let srv = start(hb.path(), &[]);
    let host = format!("127.0.0.1:{}", srv.port);
    let bearer = format!("Bearer {TOKEN}");
    let base = [("Host", host.as_str()), ("Authorization", bearer.as_str())];
    let init = post(srv.port, "/mcp", &base, &initialize());
    let session = init.header("mcp-session-id").expect("a session").to_owned();
    let mut h = base.to_vec();
    h.push(("Mcp-Session-Id", &session));
    h.push(("MCP-Protocol-Version", "2025-06-18"));
    let done = post(
        srv.port,
        "/mcp",
        &h,
        &json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }).to_string(),
    );
    assert_eq!(done.status, 202, "{}", done.body);
    let messages = listen(srv.port, &h);
    let found = |list: &Value| {
        list["result"]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["uri"] == "normsctl://policy/handover")
    };
    let before = post(srv.port, "/mcp", &h, &rpc(2, "resources/list", json!({}))).message();
    assert!(!found(&before), "{before}");
    // the watcher is set up before the session starts; give the debouncer a moment
    std::thread::sleep(std::time::Duration::from_millis(300));
    hb.write(
        "policies/norms/handover.yaml",
        "id: handover\nkind: norm\ntitle: Hand over open chats\nsummary: Hand over before you leave.\nowner: tier1\nrevision: 1\nbody: Hand over.\n",
    );
    crate::acks::commit(hb.path(), "Add handover", 1_796_100_000);
    let end = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let told = loop {
        let left = end.saturating_duration_since(std::time::Instant::now());
        match messages.recv_timeout(left) {
            Ok(m) if m["method"] == "notifications/resources/list_changed" => break true,
            Ok(_) => continue,
            Err(_) => break false,
        }
    };
    assert!(
        told,
        "no list_changed on the session's stream after a new commit"
    );
    let after = post(srv.port, "/mcp", &h, &rpc(3, "resources/list", json!({}))).message();
    assert!(found(&after), "{after}");
}
