//! `acks remind --send` against real local servers started here on 127.0.0.1: an HTTP
//! server recording webhook posts (one answering 500, one never answering), and an SMTP
//! sink (Python's aiosmtpd, with STARTTLS offered with a throw-away certificate from
//! openssl, or not offered at all). aiosmtpd and openssl missing skip the SMTP tests with a
//! message, unless `NORMSCTL_REQUIRE_TOOLS=1` (which `.ci/run` sets).

use crate::browser::require_tools;
use crate::harness::{Handbook, Run, SETTINGS};
use crate::remind::{NOW, scripted};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Copy)]
enum Answer {
    Ok,
    Status500,
    Never,
}

/// An HTTP server on 127.0.0.1 answering every request the same way, recording each
/// request's body. Returns its URL and the bodies.
fn webhook_server(answer: Answer) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hooks/team", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let seen = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                seen.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&body).into_owned());
                let reply = match answer {
                    Answer::Ok => {
                        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                    }
                    Answer::Status500 => {
                        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\nboom"
                    }
                    Answer::Never => {
                        std::thread::sleep(Duration::from_secs(60));
                        return;
                    }
                };
                let _ = stream.write_all(reply.as_bytes());
            });
        }
    });
    (url, bodies)
}

fn with_remind(hb: &Handbook, remind: &str) {
    hb.write("normsctl.yaml", format!("{SETTINGS}remind:\n{remind}"));
}

fn send(hb: &Handbook, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut all = vec!["acks", "remind"];
    all.extend_from_slice(args);
    let epoch = NOW.to_string();
    let mut env = env.to_vec();
    env.push(("SOURCE_DATE_EPOCH", &epoch));
    crate::harness::run_env(hb.path(), &all, &env)
}

const HOOKS: &str =
    "  timeout: 2\n  webhooks: { tier1: NORMSCTL_WEBHOOK_TIER1, tier2: NORMSCTL_WEBHOOK_TIER2 }\n";
const NAMES: [&str; 10] = [
    "Ana", "Bo Chen", "Cy", "Dee", "Eve", "ana@", "bo@", "eve@", "\"ana\"", "\"bo\"",
];

#[test]
fn webhooks_get_each_teams_counts_and_titles_and_no_name() {
    let hb = scripted();
    with_remind(&hb, HOOKS);
    let (one, one_seen) = webhook_server(Answer::Ok);
    let (two, two_seen) = webhook_server(Answer::Ok);
    let run = send(
        &hb,
        &["--send", "webhook"],
        &[
            ("NORMSCTL_WEBHOOK_TIER1", &one),
            ("NORMSCTL_WEBHOOK_TIER2", &two),
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("sent 2 of 2 messages"),
        "{}",
        run.stderr
    );
    let body = |seen: &Arc<Mutex<Vec<String>>>| -> String {
        let bodies = seen.lock().unwrap();
        assert_eq!(bodies.len(), 1, "{bodies:?}");
        let doc: Value = serde_json::from_str(&bodies[0]).expect("a JSON body");
        assert_eq!(
            doc.as_object().unwrap().len(),
            1,
            "only `text`, as Slack, Mattermost and Teams take it: {doc}"
        );
        doc["text"].as_str().unwrap().to_owned()
    };
    let t1 = body(&one_seen);
    assert!(
        t1.contains("reminders for Tier 1: 2 people have policies to acknowledge, 2 overdue"),
        "{t1}"
    );
    assert!(
        t1.contains("- Say when you step away and come back: 2 to acknowledge, 2 overdue"),
        "{t1}"
    );
    assert!(
        !t1.contains("QA score"),
        "tier1's agents acknowledged it: {t1}"
    );
    let t2 = body(&two_seen);
    assert!(
        t2.contains("reminders for Tier 2: 1 person has policies to acknowledge, 1 overdue"),
        "{t2}"
    );
    assert!(
        t2.contains("- QA score: 1 to acknowledge, 1 overdue"),
        "{t2}"
    );
    for text in [&t1, &t2] {
        for name in NAMES {
            assert!(!text.contains(name), "{name} in a channel message: {text}");
        }
    }
}

#[test]
fn a_webhook_answering_500_or_nothing_is_reported_with_its_team_and_exits_1() {
    let hb = scripted();
    with_remind(&hb, &HOOKS.replace("timeout: 2", "timeout: 1"));
    let (bad, _) = webhook_server(Answer::Status500);
    let (good, good_seen) = webhook_server(Answer::Ok);
    let run = send(
        &hb,
        &["--send", "webhook"],
        &[
            ("NORMSCTL_WEBHOOK_TIER1", &bad),
            ("NORMSCTL_WEBHOOK_TIER2", &good),
        ],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(
            "error: not sent to team tier1 ($NORMSCTL_WEBHOOK_TIER1): the webhook answered HTTP 500"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("sent 1 of 2 messages"),
        "{}",
        run.stderr
    );
    assert_eq!(
        good_seen.lock().unwrap().len(),
        1,
        "a failure does not stop the others"
    );
    assert!(
        !run.stderr.contains(&bad),
        "the URL is a secret: {}",
        run.stderr
    );

    let (silent, _) = webhook_server(Answer::Never);
    let started = Instant::now();
    let run = send(
        &hb,
        &["--send", "webhook", "--team", "tier1"],
        &[("NORMSCTL_WEBHOOK_TIER1", &silent)],
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the time limit ended it: {:?}",
        started.elapsed()
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("not sent to team tier1 ($NORMSCTL_WEBHOOK_TIER1): the webhook did not answer within the time limit"), "{}", run.stderr);

    // No URL in the environment: said, with the variable's name.
    let run = send(&hb, &["--send", "webhook", "--team", "tier2"], &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("the environment variable NORMSCTL_WEBHOOK_TIER2 is not set"),
        "{}",
        run.stderr
    );
}

fn skip(what: &str) {
    assert!(!require_tools(), "{what} (NORMSCTL_REQUIRE_TOOLS=1)");
    eprintln!("skipping: {what}");
}

pub(crate) fn smtp_tools() -> bool {
    let ok = |cmd: &mut Command| cmd.output().is_ok_and(|o| o.status.success());
    if !ok(Command::new("python3").args(["-c", "import aiosmtpd"])) {
        skip("python3 with aiosmtpd is not installed (pip install aiosmtpd)");
        return false;
    }
    if !ok(Command::new("openssl").arg("version")) {
        skip("openssl is not installed");
        return false;
    }
    true
}

/// A throw-away CA and a certificate it signed for 127.0.0.1; returns (ca.pem, cert, key).
fn certificates(dir: &Path) -> (String, String, String) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=normsctl test CA",
    ]);
    run(&ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "key.pem",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    run(&csr);
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n").unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "cert.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
    let p = |f: &str| dir.join(f).display().to_string();
    (p("ca.pem"), p("cert.pem"), p("key.pem"))
}

const SINK: &str = r#"
import email, email.policy, json, os, ssl, sys, time
from aiosmtpd.controller import Controller
port, out, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
class Sink:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = {p.get_content_type(): p.get_content() for p in msg.walk() if not p.is_multipart()}
        n = len(os.listdir(out))
        # Written whole, then renamed: a test polling the folder never reads half a mail.
        path = os.path.join(out, "%04d.json" % n)
        with open(path + ".part", "w") as f:
            json.dump({"rcpt": envelope.rcpt_tos, "to": str(msg["To"]), "subject": str(msg["Subject"]),
                       "type": msg.get_content_type(), "tls": session.ssl is not None,
                       "text": parts.get("text/plain"), "html": parts.get("text/html")}, f)
        os.replace(path + ".part", path)
        return "250 OK"
ctx = None
if cert:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
c = Controller(Sink(), hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=ctx is not None)
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"#;

pub(crate) struct Smtp {
    child: Child,
    pub(crate) port: u16,
    out: tempfile::TempDir,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Smtp {
    /// aiosmtpd on a free port of 127.0.0.1; STARTTLS offered when a certificate is given.
    pub(crate) fn start(tls: Option<(&str, &str)>) -> Smtp {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = tempfile::tempdir().unwrap();
        let (cert, key) = tls.unwrap_or(("", ""));
        let mut child = Command::new("python3")
            .args([
                "-c",
                SINK,
                &port.to_string(),
                &out.path().display().to_string(),
                cert,
                key,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP sink did not start");
        Smtp { child, port, out }
    }

    pub(crate) fn received(&self) -> Vec<Value> {
        // Only whole mails: the sink renames each into place once written.
        let mut files: Vec<_> = std::fs::read_dir(self.out.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap())
            .collect()
    }
}

fn smtp_settings(port: u16, ca: Option<&str>) -> String {
    let mut s = format!(
        "  timeout: 5\n  smtp:\n    host: 127.0.0.1\n    port: {port}\n    from: Handbook <handbook@example.com>\n"
    );
    if let Some(ca) = ca {
        s.push_str(&format!("    ca_file: {ca}\n"));
    }
    s
}

#[test]
fn smtp_with_starttls_delivers_each_digest_to_its_recipient_only() {
    if !smtp_tools() {
        return;
    }
    let certs = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(certs.path());
    let sink = Smtp::start(Some((&cert, &key)));
    let hb = scripted();
    with_remind(&hb, &smtp_settings(sink.port, Some(&ca)));
    let run = send(&hb, &["--send", "smtp"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let mails = sink.received();
    let to: Vec<&str> = mails
        .iter()
        .map(|m| m["rcpt"][0].as_str().unwrap())
        .collect();
    // three personal digests, then two lead digests; eve at her first address
    assert_eq!(
        to,
        [
            "ana@example.com",
            "bo@example.com",
            "eve@work.example",
            "ana@example.com",
            "dee@example.com"
        ]
    );
    for m in &mails {
        assert_eq!(m["tls"], true, "sent over STARTTLS: {m}");
        assert_eq!(m["type"], "multipart/alternative", "{m}");
        assert!(
            m["html"].as_str().unwrap().starts_with("<!doctype html>"),
            "{m}"
        );
    }
    let text = |i: usize| mails[i]["text"].as_str().unwrap().to_owned();
    // Personal digests: their own items, nobody else's name.
    let bo = text(1);
    assert!(
        bo.starts_with("Hello Bo Chen,")
            && bo.contains("stepping-away")
            && bo.contains("What changed since revision 1"),
        "{bo}"
    );
    assert!(!bo.contains("qa-score"), "{bo}");
    let eve = text(2);
    assert!(
        eve.contains("qa-score") && eve.contains("stepping-away"),
        "{eve}"
    );
    for (i, own) in [(0, "Ana Diaz"), (1, "Bo Chen"), (2, "Eve Stone")] {
        for other in ["Ana Diaz", "Bo Chen", "Cy Young", "Dee Park", "Eve Stone"]
            .into_iter()
            .filter(|o| *o != own)
        {
            assert!(
                !text(i).contains(other),
                "{other} in the digest of {own}:\n{}",
                text(i)
            );
            assert!(
                !mails[i]["html"].as_str().unwrap().contains(other),
                "{other} in the HTML of {own}"
            );
        }
    }
    // Lead digests: their team's people only.
    let ana_lead = text(3);
    assert!(
        ana_lead.contains("In Tier 1, 1 person has policies to acknowledge")
            && ana_lead.contains("- Bo Chen: "),
        "{ana_lead}"
    );
    assert!(
        !ana_lead.contains("Eve") && !ana_lead.contains("Dee"),
        "{ana_lead}"
    );
    let dee_lead = text(4);
    assert!(
        dee_lead.contains("- Eve Stone: ") && !dee_lead.contains("Bo Chen"),
        "{dee_lead}"
    );
    assert_eq!(
        mails[1]["subject"],
        "[Test Handbook] 1 policy to acknowledge, 1 overdue"
    );
}

#[test]
fn smtp_refuses_a_relay_that_offers_no_starttls_and_a_relay_that_never_answers() {
    if !smtp_tools() {
        return;
    }
    let sink = Smtp::start(None);
    let hb = scripted();
    with_remind(&hb, &smtp_settings(sink.port, None));
    let run = send(&hb, &["--send", "smtp", "--person", "bo"], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("error: not sent to bo <bo@example.com>: ")
            && run
                .stderr
                .contains("STARTTLS is not supported on this server"),
        "{}",
        run.stderr
    );
    assert!(sink.received().is_empty(), "nothing goes out in the clear");

    // A relay that accepts the connection and never greets: the time limit ends it.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let held: Vec<_> = silent.incoming().take(4).collect();
        std::thread::sleep(Duration::from_secs(60));
        drop(held);
    });
    with_remind(
        &hb,
        &smtp_settings(port, None).replace("timeout: 5", "timeout: 1"),
    );
    let started = Instant::now();
    let run = send(&hb, &["--send", "smtp", "--person", "bo"], &[]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("not sent to bo <bo@example.com>") && run.stderr.contains("time limit"),
        "{}",
        run.stderr
    );
}
