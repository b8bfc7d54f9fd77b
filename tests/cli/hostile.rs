//! Issue 12: hostile text in every place a policy author, a commit, a roster or an
//! argument can put it, tried on every output. Each case has a positive control beside
//! it: the plain text around the hostile character still comes out as written.

use crate::acks::{DAY, T0, at, commit, handbook};
use crate::harness::{Handbook, METRIC, NORM, ROSTER, run_env};
use std::path::Path;

const ESC_TITLE: &str = "OSC \u{1b}]0;pwned\u{7} and \u{1b}[1A\u{1b}[2Kgone";
const BIDI: &str = "\u{202e}evil";

/// The norm with a title holding terminal escapes and a bidi override.
fn hostile_norm() -> String {
    NORM.replace(
        "title: Say when you step away",
        "title: \"OSC \\e]0;pwned\\a and \\e[1A\\e[2Kgone \\u202Eevil\"",
    )
}

fn no_raw(text: &str) {
    assert!(
        !text.contains(['\u{1b}', '\u{7}', '\u{202e}']),
        "a raw control reached the terminal:\n{text:?}"
    );
}

/// A committed handbook whose last commit has a hostile subject, author and title.
fn committed() -> Handbook {
    let hb = handbook(ROSTER, "ana@example.com");
    hb.write("policies/norms/stepping-away.yaml", hostile_norm());
    commit(
        hb.path(),
        "Subject \u{1b}]52;c;Y2xpcA==\u{7} with \u{202e}bidi",
        T0 + DAY,
    );
    hb
}

#[test]
fn log_show_and_diff_show_escapes_escaped() {
    let hb = committed();
    let log = at(&hb, &["log"], T0 + 2 * DAY);
    assert_eq!(log.code, 0, "{log:?}");
    no_raw(&log.stdout);
    assert!(
        log.stdout
            .contains("Subject \\x1b]52;c;Y2xpcA==\\x07 with \\u202ebidi"),
        "{}",
        log.stdout
    );
    assert!(log.stdout.contains("landed 2026-01-06"), "{}", log.stdout);

    let show = at(&hb, &["show", "stepping-away"], T0 + 2 * DAY);
    assert_eq!(show.code, 0, "{show:?}");
    no_raw(&show.stdout);
    assert!(
        show.stdout.contains("(Subject \\x1b]52;c;"),
        "{}",
        show.stdout
    );
    assert!(show.stdout.contains("stepping-away  revision 1"));

    // A change in the working tree: the title field in the diff.
    hb.write(
        "policies/norms/stepping-away.yaml",
        hostile_norm().replace("Tell the channel.", "\"Tell the \\e[8mchannel.\""),
    );
    let diff = at(&hb, &["diff"], T0 + 2 * DAY);
    assert_eq!(diff.code, 0, "{diff:?}");
    no_raw(&diff.stdout);
    assert!(
        diff.stdout
            .contains("Tell the [-channel-]{+\\x1b[8mchannel+}."),
        "{}",
        diff.stdout
    );
    assert!(diff.stdout.contains("editorial"), "{}", diff.stdout);
    let old = at(&hb, &["diff", "HEAD~1", "HEAD"], T0 + 2 * DAY);
    no_raw(&old.stdout);
    assert!(
        old.stdout.contains("title: Say when you step away -> OSC \\x1b]0;pwned\\x07 and \\x1b[1A\\x1b[2Kgone \\u202eevil"),
        "{}",
        old.stdout
    );
    // JSON keeps the value as stored (its format escapes it).
    let json = at(
        &hb,
        &["diff", "HEAD~1", "HEAD", "--format", "json"],
        T0 + 2 * DAY,
    );
    assert_eq!(
        json.json()["policies"][0]["fields"][0]["new"],
        format!("{ESC_TITLE} {BIDI}")
    );
}

#[test]
fn acks_show_evidence_and_the_report_show_escapes_escaped() {
    let hb = handbook(ROSTER, "ana@example.com");
    let note = "read \u{1b}]0;x\u{7}it\n- Signature: present";
    let run = at(&hb, &["ack", "stepping-away", "--note", note], T0 + DAY);
    assert_eq!(run.code, 0, "{run:?}");
    let show = at(&hb, &["acks", "show", "--person", "ana"], T0 + DAY);
    no_raw(&show.stdout);
    assert!(
        show.stdout.contains("note: read \\x1b]0;x\\x07it"),
        "{}",
        show.stdout
    );

    let ev = at(
        &hb,
        &[
            "acks",
            "evidence",
            "--person",
            "ana",
            "--policy",
            "stepping-away",
        ],
        T0 + DAY,
    );
    assert_eq!(ev.code, 0, "{ev:?}");
    no_raw(&ev.stdout);
    // The note cannot forge a line: the only Signature line is the real one.
    let signature: Vec<&str> = ev
        .stdout
        .lines()
        .filter(|l| l.starts_with("- Signature:"))
        .collect();
    assert_eq!(signature, ["- Signature: none"], "{}", ev.stdout);
    assert!(
        ev.stdout
            .contains("- Note: read \\x1b\\]0;x\\x07it\\x0a- Signature: present\n"),
        "{}",
        ev.stdout
    );
    // The JSON keeps the note as stored.
    let json = at(
        &hb,
        &[
            "acks",
            "evidence",
            "--person",
            "ana",
            "--policy",
            "stepping-away",
            "--format",
            "json",
        ],
        T0 + DAY,
    );
    assert_eq!(json.json()["acknowledgements"][0]["note"], note);
}

#[test]
fn evidence_escapes_markup_in_every_field() {
    let hb = handbook(ROSTER, "ana@example.com");
    let repo = git2::Repository::open(hb.path()).unwrap();
    repo.config()
        .unwrap()
        .set_str("user.name", "![x](https://x.example/a.png) **Ana** &amp;")
        .unwrap();
    let note = "line\r## heading\n<img src=https://x.example/b>";
    let ack = at(&hb, &["ack", "stepping-away", "--note", note], T0 + DAY);
    assert_eq!(ack.code, 0, "{ack:?}");
    let ev = at(
        &hb,
        &[
            "acks",
            "evidence",
            "--person",
            "ana",
            "--policy",
            "stepping-away",
        ],
        T0 + DAY,
    );
    assert!(!ev.stdout.contains("<img"), "{}", ev.stdout);
    assert!(!ev.stdout.contains('\r'), "{}", ev.stdout);
    assert!(
        !ev.stdout.lines().any(|l| l.starts_with("## heading")),
        "{}",
        ev.stdout
    );
    assert!(
        ev.stdout.contains(
            "- Written by: \\!\\[x\\]\\(https://x.example/a.png\\) \\*\\*Ana\\*\\* &amp;amp;"
        ),
        "{}",
        ev.stdout
    );
    // Positive control: the real headings are there.
    assert!(ev.stdout.contains("\n## Acknowledgement 1: revision 1\n"));
}

#[test]
fn diff_markdown_cannot_end_a_code_span_or_start_a_heading() {
    let hb = handbook(ROSTER, "ana@example.com");
    hb.write(
        "policies/norms/stepping-away.yaml",
        NORM.replace(
            "title: Say when you step away",
            "title: \"x\\r<img src=https://x.example/c>\\r## heading\"",
        )
        .replace(
            "body: Tell the channel.",
            "body: \"Tell the channel.\\r## body heading <b>x</b>\"",
        ),
    );
    let md = at(&hb, &["diff", "--format", "markdown"], T0 + DAY);
    assert_eq!(md.code, 0, "{md:?}");
    assert!(!md.stdout.contains('\r'), "{:?}", md.stdout);
    // Inside one code span, on its line, `<img …>` is text.
    assert!(
        md.stdout
            .contains("`x\\x0d<img src=https://x.example/c>\\x0d## heading`\n"),
        "{}",
        md.stdout
    );
    assert!(!md.stdout.contains("<b>"), "{}", md.stdout);
    for line in md.stdout.lines() {
        assert!(
            !line.contains("<img") || line.starts_with("- `title`"),
            "{line}"
        );
        assert!(!line.starts_with("## "), "{line}");
    }
    // Positive control: the field change and the table are there.
    assert!(
        md.stdout
            .contains("- `title`: `Say when you step away` → `x\\x0d<img"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout.contains("| `stepping-away` | editorial |"),
        "{}",
        md.stdout
    );
}

#[test]
fn validate_and_build_show_escapes_escaped_and_keep_one_line_per_finding() {
    let hb = Handbook::new();
    hb.write("policies/a\u{1b}]0;t\u{7}b.yaml", "id: x\n");
    hb.write("policies/new\nline.yaml", "id: y\n");
    let run = hb.run(&["validate"]);
    assert_eq!(run.code, 1, "{run:?}");
    no_raw(&run.stdout);
    assert!(
        run.stdout
            .contains("policies/a\\x1b]0;t\\x07b.yaml:1:1: error["),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("policies/new\\x0aline.yaml:1:1: error["),
        "{}",
        run.stdout
    );
    // Positive control: a plain file name is shown as it is.
    hb.write("policies/plain.yaml", "id: plain\n");
    let again = hb.run(&["validate"]);
    assert!(
        again.stdout.contains("policies/plain.yaml:1:1: error["),
        "{}",
        again.stdout
    );
    // JSON keeps the name as stored.
    let json = hb.validate(&[]);
    assert!(
        json.findings()
            .iter()
            .any(|f| f.starts_with("policies/new\nline.yaml:1:1")),
        "{:?}",
        json.findings()
    );

    // build writes its report to stderr, into a pipe here: escaped all the same.
    let out = hb.path().join("out");
    let build = run_env(
        hb.path(),
        &["build", "--out", out.to_str().unwrap()],
        &[("SOURCE_DATE_EPOCH", "1768046400")],
    );
    assert_eq!(build.code, 1, "{build:?}");
    no_raw(&build.stderr);
    assert!(
        build
            .stderr
            .contains("policies/a\\x1b]0;t\\x07b.yaml:1:1: error["),
        "{}",
        build.stderr
    );
}

#[test]
fn github_annotations_keep_escapes_visible() {
    let hb = Handbook::new();
    hb.write(
        "policies/norms/stepping-away.yaml",
        NORM.replace("kind: norm", "kind: \"norm\\e[2K\""),
    );
    let run = hb.run(&["validate", "--format", "github"]);
    assert_eq!(run.code, 1, "{run:?}");
    no_raw(&run.stdout);
    assert!(run.stdout.contains("norm\\x1b[2K"), "{}", run.stdout);
    assert!(
        run.stdout
            .starts_with("::error file=policies/norms/stepping-away.yaml,line=")
    );
}

#[test]
fn json_and_csv_keep_del_as_stored_and_csv_cells_never_start_a_formula() {
    let hb = handbook(ROSTER, "=HYPERLINK(\"https://x.example\")\u{7f}");
    assert_eq!(
        at(&hb, &["ack", "stepping-away", "--as", "ana"], T0 + DAY).code,
        0
    );
    let csv = at(&hb, &["acks", "--format", "csv"], T0 + DAY);
    assert_eq!(csv.code, 0, "{csv:?}");
    assert!(
        csv.stdout
            .contains("\"'=HYPERLINK(\"\"https://x.example\"\")\u{7f}\""),
        "{}",
        csv.stdout
    );
    assert!(!csv.stdout.contains(",=HYPERLINK"), "{}", csv.stdout);
    // Positive control: an ordinary e-mail address is written as it is.
    let plain = handbook(ROSTER, "ana@example.com");
    at(&plain, &["ack", "stepping-away"], T0 + DAY);
    let csv = at(&plain, &["acks", "--format", "csv"], T0 + DAY);
    assert!(
        csv.stdout.contains(",ana@example.com,false"),
        "{}",
        csv.stdout
    );

    let json = at(&hb, &["acks", "--format", "json"], T0 + DAY);
    // JSON keeps DEL as stored (it needs no escape there), even into a pipe.
    assert!(
        json.stdout
            .contains("\"writer_email\": \"=HYPERLINK(\\\"https://x.example\\\")\u{7f}\"")
            || json
                .stdout
                .contains("=HYPERLINK(\\\"https://x.example\\\")\u{7f}"),
        "{}",
        json.stdout
    );
}

/// Parses `path` with a real XML parser.
pub fn well_formed(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    if let Err(e) = roxmltree::Document::parse(&text) {
        panic!("{} is not well-formed XML: {e}\n{text}", path.display());
    }
    text
}

#[test]
fn the_feed_stays_well_formed_xml() {
    let hb = handbook(ROSTER, "ana@example.com");
    hb.write(
        "normsctl.yaml",
        "title: \"T\\x01itle\"\norganization: \"Org\\x02\\uFFFE\"\nbase_url: \"https://x.example/\\x0b\"\ntimezone: Europe/Madrid\n",
    );
    hb.write(
        "policies/norms/stepping-away.yaml",
        NORM.replace(
            "title: Say when you step away",
            "title: \"A\\x00B\\x1bC\\uFFFF<D>&\"",
        ),
    );
    commit(hb.path(), "Subject \u{1}\u{1b}[31m with <tag>", T0 + DAY);
    let strict = hb.run(&["validate", "--strict"]);
    let out = hb.path().join("out");
    let build = run_env(
        hb.path(),
        &["build", "--out", out.to_str().unwrap()],
        &[("SOURCE_DATE_EPOCH", "1768046400")],
    );
    assert_eq!(build.code, 0, "{strict:?} {build:?}");
    let feed = well_formed(&out.join("feed.xml"));
    // Positive control: the text around the forbidden characters is there, escaped.
    assert!(feed.contains("&lt;D&gt;&amp;"), "{feed}");
    assert!(feed.contains("with &lt;tag&gt;"), "{feed}");
    // And a plain feed parses too.
    let plain = handbook(ROSTER, "ana@example.com");
    let out = plain.path().join("out");
    let build = run_env(
        plain.path(),
        &["build", "--out", out.to_str().unwrap()],
        &[("SOURCE_DATE_EPOCH", "1768046400")],
    );
    assert_eq!(build.code, 0, "{build:?}");
    assert!(well_formed(&out.join("feed.xml")).contains("Say when you step away"));
    let _ = METRIC;
}

#[test]
fn the_acks_report_shows_a_writers_escapes_escaped() {
    let hb = handbook(ROSTER, "ana@example.com");
    git2::Repository::open(hb.path())
        .unwrap()
        .config()
        .unwrap()
        .set_str("user.name", "Wr\u{1b}]0;x\u{7}iter \u{202e}")
        .unwrap();
    let run = at(&hb, &["ack", "stepping-away", "--as", "bo"], T0 + DAY);
    assert_eq!(run.code, 0, "{run:?}");
    no_raw(&run.stdout);
    let report = at(&hb, &["acks", "--policy", "stepping-away"], T0 + DAY);
    no_raw(&report.stdout);
    assert!(
        report
            .stdout
            .contains("written by Wr\\x1b]0;x\\x07iter \\u202e <ana@example.com>"),
        "{}",
        report.stdout
    );
    // Positive control: the rest of the line is as it always was.
    assert!(
        report
            .stdout
            .contains("current  bo   Bo Chen   r1 on 2026-01-06"),
        "{}",
        report.stdout
    );
    // JSON keeps the name as stored.
    let json = at(&hb, &["acks", "--format", "json"], T0 + DAY);
    assert!(
        json.json().to_string().contains("Wr\\u001b]0;x\\u0007iter"),
        "{}",
        json.stdout
    );
}

#[test]
fn serve_reports_escapes_escaped() {
    use std::io::{BufRead, BufReader};
    let hb = Handbook::new();
    hb.write("policies/b\u{1b}]0;t\u{7}.yaml", "id: x\n");
    let home = tempfile::tempdir().unwrap();
    let out = hb.path().join("out");
    let mut child = crate::harness::command(
        hb.path(),
        home.path(),
        &["serve", "--port", "0", "--out", out.to_str().unwrap()],
    )
    .stdin(std::process::Stdio::null())
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .expect("start serve");
    let stderr = child.stderr.take().unwrap();
    let mut seen = String::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("serving the handbook at") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    no_raw(&seen);
    assert!(
        seen.contains("policies/b\\x1b]0;t\\x07.yaml:1:1: error["),
        "{seen}"
    );
    // Positive control: the server started and said where.
    assert!(
        seen.contains("serving the handbook at http://127.0.0.1:"),
        "{seen}"
    );
}
