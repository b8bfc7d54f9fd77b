//! The official MCP conformance suite (`@modelcontextprotocol/conformance`, pinned in
//! `.ci/package.json`) in server mode against `normsctl mcp --http`. The suite cannot send
//! a bearer token, so a small proxy in front of the server adds it to each request and
//! passes everything else through: the Host the suite sends is only moved to the server's
//! port when it names the proxy itself, so the DNS-rebinding scenario's foreign Host and
//! Origin reach the server as sent.
//!
//! Not run, because they test the suite's own demo server rather than the protocol: the
//! `tools-call-*` scenarios that call its `test_*` tools (image, audio, progress, sampling,
//! elicitation, logging), `json-schema-2020-12` (its `json_schema_2020_12_tool`),
//! `resources-read-*` and `resources-templates-read` (its `test://` resources),
//! `server-sse-polling` (a tool that closes its stream). Not offered by this read-only
//! server, so refused with "method not found": `prompts-*`, `logging-set-level`,
//! `completion-complete`, `resources-subscribe`/`-unsubscribe`.

use crate::browser::require_tools;
use crate::mcp_http::{TOKEN, start};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;

/// The scenarios run, each of which must pass.
const SCENARIOS: &[&str] = &[
    "server-initialize",
    "ping",
    "tools-list",
    "dns-rebinding-protection",
    "resources-list",
    "server-sse-multiple-streams",
    // Calls the demo server's error tool: passes because an unknown tool is a tool error.
    "tools-call-error",
];

fn suite() -> Option<PathBuf> {
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".ci/node_modules/@modelcontextprotocol/conformance/dist/index.js");
    let node = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if bin.exists() && node {
        return Some(bin);
    }
    assert!(
        !require_tools(),
        "the MCP conformance suite is absent: run `npm ci` in .ci (NORMSCTL_REQUIRE_TOOLS=1)"
    );
    eprintln!("skipping: the MCP conformance suite is absent (`npm ci` in .ci installs it)");
    None
}

/// Forwards connections on a new port to `target`, adding the bearer token to each request.
fn proxy(target: u16) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(down) = conn else { continue };
            std::thread::spawn(move || forward(down, port, target));
        }
    });
    port
}

fn forward(down: TcpStream, own: u16, target: u16) {
    let Ok(up) = TcpStream::connect(("127.0.0.1", target)) else {
        return;
    };
    let (mut up_read, mut down_write) = (up.try_clone().unwrap(), down.try_clone().unwrap());
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut up_read, &mut down_write);
        let _ = down_write.shutdown(std::net::Shutdown::Both);
    });
    let mut reader = BufReader::new(down);
    let mut up = up;
    loop {
        let mut head = Vec::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" {
                break;
            }
            head.push(line);
        }
        let mut length = 0;
        let mut out = String::new();
        for line in &head {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("authorization:") {
                continue;
            }
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            // The proxy's own name moves to the server's port; any other stays as sent.
            let own_name = |value: &str, prefix: &str| {
                ["localhost", "127.0.0.1", "[::1]"]
                    .into_iter()
                    .find(|name| value.eq_ignore_ascii_case(&format!("{prefix}{name}:{own}")))
            };
            if let Some(host) = lower.strip_prefix("host:")
                && let Some(name) = own_name(host.trim(), "")
            {
                out.push_str(&format!("Host: {name}:{target}\r\n"));
                continue;
            }
            if let Some(origin) = lower.strip_prefix("origin:")
                && let Some(name) = own_name(origin.trim(), "http://")
            {
                out.push_str(&format!("Origin: http://{name}:{target}\r\n"));
                continue;
            }
            out.push_str(line);
        }
        out.push_str(&format!("Authorization: Bearer {TOKEN}\r\n\r\n"));
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if up
            .write_all(out.as_bytes())
            .and_then(|()| up.write_all(&body))
            .is_err()
        {
            return;
        }
    }
}

#[test]
fn the_conformance_suite_passes_its_server_scenarios() {
    let Some(suite) = suite() else { return };
    let hb = crate::in_force::handbook();
    let srv = start(hb.path(), &["--no-watch"]);
    let port = proxy(srv.port);
    let mut failed = Vec::new();
    for scenario in SCENARIOS {
        let out = Command::new("node")
            .arg(&suite)
            .args([
                "server",
                "--url",
                &format!("http://localhost:{port}/mcp"),
                "--scenario",
                scenario,
            ])
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("== {scenario}\n{text}");
        if !out.status.success() || text.contains("FAILURE") {
            failed.push(format!("{scenario}:\n{text}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
