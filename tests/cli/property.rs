//! Issue 12: a property test. Generated hostile text (terminal escapes, bidi overrides,
//! characters XML forbids, markup, formula starts, line breaks) is put in a policy's title,
//! summary and body, the settings' title and organization, a commit's subject and author,
//! and an acknowledgement's note; then validate (every format), log, show, diff (every
//! format), acks (every format), evidence and a site build run on it. Every run must end
//! without a panic, every JSON document must parse, feed.xml must be well-formed XML, no
//! text for people may carry a raw control, and neither the HTML pages nor the Markdown
//! outputs may hold live markup from the input. Seeded, so a failure is reproducible.

use crate::acks::{DAY, T0, at, commit};
use crate::harness::{Handbook, ROSTER, Run, SETTINGS};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const PIECES: &[&str] = &[
    "\u{1b}]0;title\u{7}",
    "\u{1b}]52;c;Y2xpcA==\u{7}",
    "\u{1b}[1A\u{1b}[2K",
    "\u{1b}[31m",
    "\u{202e}",
    "\u{2066}",
    "\u{9b}",
    "\u{7f}",
    "\u{0}",
    "\u{1}",
    "\u{b}",
    "\u{fffe}",
    "\u{ffff}",
    "\r",
    "\n",
    "\t",
    "\u{2028}",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[link](javascript:alert(1))",
    "![i](https://x.example/i.png)",
    "## heading",
    "- Signature: present",
    "`",
    "|",
    "]]>",
    "&amp;",
    "\"'",
    "=HYPERLINK(1)",
    "+1",
    "-1",
    "@x",
    "word",
    "é ✓ 😀",
    " ",
];

fn hostile() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 1..6).prop_map(|v| v.concat())
}

/// `text` as a YAML double-quoted scalar: printable characters as they are, the rest as
/// `\uXXXX` escapes (YAML's own escapes, so the decoded value is `text` exactly).
fn yaml_quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' => out.push(c),
            c if (c as u32) >= 0x10000 => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Whether `text` (for people) holds a character the terminal would obey.
fn raw_control(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        matches!(c, '\0'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

fn ran(run: &Run, what: &str) {
    assert!(
        !run.stderr.contains("panicked") && (0..=2).contains(&run.code),
        "{what}: {run:?}"
    );
}

fn for_people(run: &Run, what: &str) {
    ran(run, what);
    for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        if let Some(c) = raw_control(text) {
            panic!("{what}: a raw {c:?} on {stream}:\n{text:?}");
        }
    }
}

fn json(run: &Run, what: &str) {
    ran(run, what);
    // Exit 2 is a refusal with a message and no document.
    if run.code != 2
        && let Err(e) = serde_json::from_str::<serde_json::Value>(&run.stdout)
    {
        panic!("{what}: not JSON ({e}):\n{run:?}");
    }
}

/// Markdown whose rendering holds no HTML of the input's making.
fn markdown(run: &Run, what: &str) {
    for_people(run, what);
    use pulldown_cmark::{Event, Parser};
    for event in Parser::new(&run.stdout) {
        if let Event::Html(h) | Event::InlineHtml(h) = event {
            panic!("{what}: live HTML {h:?} in:\n{}", run.stdout);
        }
    }
}

struct Case {
    title: String,
    body: String,
    org: String,
    subject: String,
    author: String,
    note: String,
}

fn run_case(case: &Case) {
    let hb = crate::acks::handbook(ROSTER, "ana@example.com");
    let repo = git2::Repository::open(hb.path()).unwrap();
    hb.write(
        "normsctl.yaml",
        format!(
            "{SETTINGS}organization: {}\nbase_url: \"https://x.example/\"\n",
            yaml_quoted(&case.org)
        ),
    );
    hb.write(
        "policies/norms/stepping-away.yaml",
        format!(
            "id: stepping-away\nkind: norm\ntitle: {}\nsummary: {}\nowner: tier1\nrevision: 1\nbody: {}\n",
            yaml_quoted(&case.title),
            yaml_quoted(&case.title),
            yaml_quoted(&case.body)
        ),
    );
    let head = repo.head().unwrap().target().unwrap();
    let c = crate::history::commit(
        &repo,
        &case.subject,
        (&case.author, T0 + DAY, 60),
        (T0 + DAY, 60),
        &[head],
    );
    crate::history::set_head(&repo, c);
    let _ = commit;
    let now = T0 + 2 * DAY;
    let go = |args: &[&str]| at(&hb, args, now);

    for_people(&go(&["validate"]), "validate");
    json(&go(&["validate", "--format", "json"]), "validate json");
    json(&go(&["validate", "--format", "sarif"]), "validate sarif");
    for_people(&go(&["validate", "--format", "github"]), "validate github");
    for_people(&go(&["log"]), "log");
    json(&go(&["log", "--format", "json"]), "log json");
    for_people(&go(&["show", "stepping-away"]), "show");
    json(
        &go(&["show", "stepping-away", "--format", "json"]),
        "show json",
    );
    for_people(&go(&["diff", "HEAD~1", "HEAD"]), "diff");
    json(
        &go(&["diff", "HEAD~1", "HEAD", "--format", "json"]),
        "diff json",
    );
    markdown(
        &go(&["diff", "HEAD~1", "HEAD", "--format", "markdown"]),
        "diff markdown",
    );

    let note: String = case.note.chars().filter(|&c| c != '\0').collect();
    ran(&go(&["ack", "stepping-away", "--note", &note]), "ack");
    for_people(&go(&["acks"]), "acks");
    json(&go(&["acks", "--format", "json"]), "acks json");
    let csv = go(&["acks", "--format", "csv"]);
    ran(&csv, "acks csv");
    for_people(&go(&["acks", "show", "--person", "ana"]), "acks show");
    markdown(
        &go(&[
            "acks",
            "evidence",
            "--person",
            "ana",
            "--policy",
            "stepping-away",
        ]),
        "evidence",
    );
    json(
        &go(&[
            "acks",
            "evidence",
            "--person",
            "ana",
            "--policy",
            "stepping-away",
            "--format",
            "json",
        ]),
        "evidence json",
    );

    let out = hb.path().join("out");
    let build = go(&["build", "--out", out.to_str().unwrap()]);
    for_people(&build, "build");
    if build.code == 0 {
        site_is_safe(&out);
        BUILT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

static BUILT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn site_is_safe(out: &std::path::Path) {
    crate::hostile::well_formed(&out.join("feed.xml"));
    let handbook = std::fs::read_to_string(out.join("handbook.json")).unwrap();
    serde_json::from_str::<serde_json::Value>(&handbook).expect("handbook.json is JSON");
    for entry in walkdir::WalkDir::new(out) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|e| e == "html") {
            let page = std::fs::read_to_string(entry.path()).unwrap();
            // The input's tags come out as text (`&lt;img`), its links never as a
            // `javascript:` target.
            for live in [
                "<script>alert",
                "<img src=x",
                "href=\"javascript:",
                "src=\"javascript:",
            ] {
                assert!(
                    !page.contains(live),
                    "{}: live markup {live:?}",
                    entry.path().display()
                );
            }
        }
    }
}

#[test]
fn hostile_text_never_breaks_an_output() {
    let config = Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[12; 32]);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let strategy = (
        hostile(),
        hostile(),
        hostile(),
        hostile(),
        hostile(),
        hostile(),
    );
    runner
        .run(&strategy, |(title, body, org, subject, author, note)| {
            // git refuses angle brackets and line breaks in a name, and NUL anywhere.
            let author: String = author
                .chars()
                .filter(|c| !matches!(c, '<' | '>' | '\n' | '\0'))
                .collect();
            let author = if author.trim().is_empty() {
                "A".to_owned()
            } else {
                author
            };
            let subject: String = subject.chars().filter(|&c| c != '\0').collect();
            let subject = if subject.trim().is_empty() {
                "S".to_owned()
            } else {
                subject
            };
            // Text around the hostile part keeps the values from being blank (a finding).
            run_case(&Case {
                title: format!("T {title}"),
                body,
                org: format!("O {org}"),
                subject,
                author,
                note,
            });
            Ok(())
        })
        .unwrap();
    // Hostile text is valid text: the sites were built and checked, not refused.
    assert!(BUILT.load(std::sync::atomic::Ordering::Relaxed) > 0);
    let _ = Handbook::new;
}
