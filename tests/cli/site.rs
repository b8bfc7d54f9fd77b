//! `normsctl build` and `templates eject`: the handbook website, read as files.

use crate::harness::{Handbook, METRIC, ROSTER, git_clone, run_env};
use git2::{Oid, Repository};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const SETTINGS: &str = "title: Site Handbook\norganization: Example Co\ntimezone: Europe/Madrid\n";
// 2026-01-05 09:00:00 UTC
const T0: i64 = 1_767_603_600;
const HOUR: i64 = 3600;
/// "Now" for builds: 2026-01-10 12:00 UTC.
const NOW: &str = "1768046400";

fn norm(id: &str, revision: u32, extra: &str, body: &str) -> String {
    format!(
        "id: {id}\nkind: norm\ntitle: Title of {id}\nsummary: Summary of {id}.\nowner: ana\nrevision: {revision}\n{extra}body: |\n  {body}\n"
    )
}

/// Commits everything in the work tree with fixed times and moves `main` to it.
fn commit(repo: &Repository, message: &str, who: &str, time: i64, parents: &[Oid]) -> Oid {
    let oid = crate::history::commit(repo, message, (who, time, 60), (time, 60), parents);
    crate::history::set_head(repo, oid);
    oid
}

pub(crate) struct History {
    pub hb: Handbook,
    pub repo: Repository,
    pub commits: Vec<Oid>,
}

/// A handbook with a history: `a` added, reworded, tightened; `b` added then moved to a
/// subfolder; `qa-score` (a metric) added; `old` added then retired, continued by `new`.
pub(crate) fn history() -> History {
    let hb = Handbook::empty();
    let repo = Repository::init(hb.path()).unwrap();
    hb.write("normsctl.yaml", SETTINGS);
    hb.write("people.yaml", ROSTER);
    hb.write(
        "policies/a.yaml",
        norm("a", 1, "", "Reply to every customer within one hour."),
    );
    hb.write("policies/b.yaml", norm("b", 1, "", "Bee."));
    hb.write("policies/old.yaml", norm("old", 1, "", "The old way."));
    hb.write("policies/metrics/qa-score.yaml", METRIC);
    let c1 = commit(&repo, "Start the handbook", "Ana", T0, &[]);
    hb.write(
        "policies/a.yaml",
        norm(
            "a",
            1,
            "",
            "Reply to every customer within one hour, kindly.",
        ),
    );
    let c2 = commit(&repo, "Reword a", "Bo", T0 + HOUR, &[c1]);
    hb.write(
        "policies/a.yaml",
        norm(
            "a",
            2,
            "",
            "Reply to every customer within thirty minutes, kindly.",
        ),
    );
    std::fs::create_dir_all(hb.path().join("policies/sub")).unwrap();
    std::fs::rename(
        hb.path().join("policies/b.yaml"),
        hb.path().join("policies/sub/b.yaml"),
    )
    .unwrap();
    let c3 = commit(&repo, "Tighten a; file b", "Ana", T0 + 2 * HOUR, &[c2]);
    std::fs::remove_file(hb.path().join("policies/old.yaml")).unwrap();
    hb.write(
        "policies/new.yaml",
        norm("new", 1, "replaces: [old]\n", "The new way."),
    );
    let c4 = commit(&repo, "Replace old with new", "Ana", T0 + 3 * HOUR, &[c3]);
    History {
        hb,
        repo,
        commits: vec![c1, c2, c3, c4],
    }
}

pub(crate) fn build(dir: &Path, extra: &[&str]) -> crate::harness::Run {
    let mut args = vec!["build"];
    args.extend_from_slice(extra);
    run_env(dir, &args, &[("SOURCE_DATE_EPOCH", NOW)])
}

/// Every file of a built site, by path relative to it.
fn files(site: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(site) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let rel = entry.path().strip_prefix(site).unwrap();
            out.insert(
                rel.to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            );
        }
    }
    out
}

fn read(site: &Path, rel: &str) -> String {
    std::fs::read_to_string(site.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn build_renders_every_page_with_the_embedded_templates() {
    let h = history();
    assert!(!h.hb.path().join("templates").exists());
    let run = build(h.hb.path(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let site = h.hb.path().join("site");
    for f in [
        "index.html",
        "changelog.html",
        "changelog/2026.html",
        "feed.xml",
        "handbook.json",
        "llms.txt",
        "search-index.js",
        "assets/style.css",
        "assets/site.js",
        "policies/a.html",
        "policies/b.html",
        "policies/qa-score.html",
        "policies/new.html",
        "policies/old.html",
    ] {
        assert!(site.join(f).is_file(), "{f} missing");
    }
    let index = read(&site, "index.html");
    for needle in [
        "<h2 id=\"expectations-h\">Expectations",
        "<h2 id=\"norms-h\">Norms",
        "<h2 id=\"metrics-h\">Metrics",
        "Summary of a.",
        "Recent changes",
        "<main id=\"main\"",
        "role=\"search\"",
    ] {
        assert!(index.contains(needle), "index lacks {needle}");
    }
    // the retired policy is listed apart, with a page of its own
    assert!(index.contains("id=\"retired\""), "{index}");
    let old = read(&site, "policies/old.html");
    assert!(old.contains("This policy no longer applies"), "{old}");
    assert!(
        old.contains("policies/new.html"),
        "retired page links its successor"
    );

    // a policy page: facts, history newest first, each revision's diff from the one before
    let a = read(&site, "policies/a.html");
    let material = a.find("Material change").expect("material change listed");
    let editorial = a.find("Editorial change").expect("editorial change listed");
    let added = a.rfind("badge-added").expect("addition listed");
    assert!(material < editorial && editorial < added, "newest first");
    assert!(
        a.contains("<del>one hour,</del> <ins>thirty minutes,</ins>"),
        "{a}"
    );
    assert!(
        a.contains("<dt>Revision</dt>") && a.contains("<del>1</del> <ins>2</ins>"),
        "field change listed in words: {a}"
    );
    assert!(
        a.contains("2026-01-05 12:00 CET"),
        "landed time in the team's zone: {a}"
    );
    assert!(a.contains("Ana Diaz"), "owner by name");

    // the metric card
    let m = read(&site, "policies/qa-score.html");
    for needle in [
        "The metric",
        "at least 85%",
        "Mean rubric score of reviewed conversations",
        "QA tool reviews",
        "each month",
        "individual: each person",
        "private: the person and their lead only",
        "Agent",
    ] {
        assert!(m.contains(needle), "metric page lacks {needle}");
    }

    // the changelog, newest first, and the search index as a script
    let log = read(&site, "changelog.html");
    assert!(log.find("Title of new").unwrap() < log.find("Reword a").unwrap());
    let search = read(&site, "search-index.js");
    assert!(search.starts_with("window.NORMSCTL_SEARCH = ["), "{search}");
    assert!(search.contains("\"id\":\"qa-score\""), "{search}");
    let llms = read(&site, "llms.txt");
    assert!(llms.starts_with("# Site Handbook"), "{llms}");
    assert!(
        llms.contains("- [QA score](policies/qa-score.md): average at least 85%, each month."),
        "{llms}"
    );
    assert!(!llms.contains("###"), "{llms}");
    assert!(read(&site, "policies/qa-score.md").starts_with("# QA score\n"));
    assert!(read(&site, "llms-full.txt").contains("### QA score (qa-score)"));
}

#[test]
fn a_move_does_not_reset_last_changed_and_json_has_the_history() {
    let h = history();
    assert_eq!(build(h.hb.path(), &[]).code, 0);
    let doc: Value =
        serde_json::from_str(&read(&h.hb.path().join("site"), "handbook.json")).unwrap();
    assert_eq!(doc["version"], 2);
    assert_eq!(doc["title"], "Site Handbook");
    let policy = |id: &str| {
        doc["policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap_or_else(|| panic!("{id} in handbook.json"))
            .clone()
    };
    let b = policy("b");
    assert_eq!(b["path"], "policies/sub/b.yaml");
    assert_eq!(b["last_changed"]["commit"], h.commits[0].to_string());
    let changes: Vec<&str> = b["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["change"].as_str().unwrap())
        .collect();
    assert_eq!(changes, ["moved", "added"]);
    let a = policy("a");
    assert_eq!(a["revision"], 2);
    assert_eq!(a["last_changed"]["commit"], h.commits[2].to_string());
    assert_eq!(
        a["last_changed"]["landed"]["time"],
        "2026-01-05T12:00:00+01:00"
    );
    assert_eq!(a["history"].as_array().unwrap().len(), 3);
    assert_eq!(
        policy("qa-score")["metric"]["target"],
        serde_json::json!({ "op": ">=", "value": 85.0 })
    );
    assert_eq!(policy("qa-score")["metric"]["target_words"], "at least 85%");
    assert_eq!(policy("new")["replaces"][0], "old");
    let retired = doc["retired"].as_array().unwrap();
    assert_eq!(retired.len(), 1);
    assert_eq!(retired[0]["id"], "old");
    assert_eq!(retired[0]["replaced_by"][0], "new");
    assert_eq!(doc["uncommitted"], false);
}

#[test]
fn no_email_address_and_no_acknowledgement_data_reach_the_site() {
    let h = history();
    assert_eq!(build(h.hb.path(), &[]).code, 0);
    for (path, bytes) in files(&h.hb.path().join("site")) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("@example.com"),
            "{path} holds an e-mail address"
        );
        assert!(
            !text.contains("@home.example"),
            "{path} holds an e-mail address"
        );
        assert!(!text.contains("acknowledged by"), "{path}");
    }
}

#[test]
fn two_builds_of_one_commit_are_byte_identical() {
    let h = history();
    assert_eq!(build(h.hb.path(), &["--out", "one"]).code, 0);
    assert_eq!(build(h.hb.path(), &["--out", "two"]).code, 0);
    let (one, two) = (
        files(&h.hb.path().join("one")),
        files(&h.hb.path().join("two")),
    );
    assert_eq!(
        one.keys().collect::<Vec<_>>(),
        two.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &one {
        assert!(two[path] == *bytes, "{path} differs between builds");
    }
    // "now" comes from SOURCE_DATE_EPOCH: 2026-01-10 in Madrid
    assert!(read(&h.hb.path().join("one"), "index.html").contains("2026-01-10"));
}

#[test]
fn upcoming_rules_follow_source_date_epoch() {
    let h = history();
    h.hb.write(
        "policies/later.yaml",
        norm("later", 1, "effective: 2026-02-01\n", "Soon."),
    );
    commit(&h.repo, "Add later", "Ana", T0 + 4 * HOUR, &[h.commits[3]]);
    assert_eq!(build(h.hb.path(), &[]).code, 0);
    let index = read(&h.hb.path().join("site"), "index.html");
    assert!(index.contains("id=\"upcoming-h\""), "{index}");
    assert!(
        index.contains("applies from <strong>2026-02-01</strong>"),
        "{index}"
    );
    let page = read(&h.hb.path().join("site"), "policies/later.html");
    assert!(page.contains("Until then it does not apply"), "{page}");
    // after the date it is simply in force
    let run = run_env(
        h.hb.path(),
        &["build"],
        &[("SOURCE_DATE_EPOCH", "1775000000")],
    );
    assert_eq!(run.code, 0);
    let index = read(&h.hb.path().join("site"), "index.html");
    assert!(!index.contains("id=\"upcoming-h\""), "{index}");
}

#[test]
fn feed_is_atom_with_ids_stable_without_base_url() {
    let h = history();
    assert_eq!(build(h.hb.path(), &[]).code, 0);
    let feed = read(&h.hb.path().join("site"), "feed.xml");
    assert!(feed.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\""), "{feed}");
    // every change but the move of `b` (kept in `log`, left out for readers)
    assert_eq!(feed.matches("<entry>").count(), 8, "{feed}");
    assert!(!feed.contains("Moved"), "{feed}");
    let ids = |feed: &str| -> Vec<String> {
        feed.split("<id>")
            .skip(1)
            .map(|s| s.split("</id>").next().unwrap().to_owned())
            .collect()
    };
    let before = ids(&feed);
    assert!(
        before.iter().all(|i| i.starts_with("urn:uuid:")),
        "{before:?}"
    );
    let unique: std::collections::BTreeSet<_> = before.iter().collect();
    assert_eq!(unique.len(), before.len(), "ids are unique");
    assert!(
        feed.contains("<updated>2026-01-05T12:00:00+01:00</updated>"),
        "{feed}"
    );
    // a new change adds an entry; the earlier ones keep their ids
    h.hb.write("policies/b2.yaml", norm("b2", 1, "", "Another."));
    commit(&h.repo, "Add b2", "Bo", T0 + 5 * HOUR, &[h.commits[3]]);
    assert_eq!(build(h.hb.path(), &[]).code, 0);
    let after = ids(&read(&h.hb.path().join("site"), "feed.xml"));
    assert_eq!(after[0], before[0], "the feed's own id");
    assert_eq!(&after[2..], &before[1..], "old entries keep their ids");
    // with base_url, links are absolute
    h.hb.write(
        "normsctl.yaml",
        format!("{SETTINGS}base_url: https://handbook.example.org\n"),
    );
    assert_eq!(build(h.hb.path(), &[]).code, 0);
    let feed = read(&h.hb.path().join("site"), "feed.xml");
    assert!(
        feed.contains("href=\"https://handbook.example.org/policies/"),
        "{feed}"
    );
    assert_eq!(
        ids(&feed)[0],
        after[0],
        "base_url leaves the feed's id alone"
    );
}

#[test]
fn uncommitted_policies_are_marked_and_require_clean_refuses_them() {
    let h = history();
    h.hb.write(
        "policies/a.yaml",
        norm(
            "a",
            2,
            "",
            "Reply to every customer within twenty minutes, kindly.",
        ),
    );
    h.hb.write("policies/fresh.yaml", norm("fresh", 1, "", "Brand new."));
    let run = build(h.hb.path(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let site = h.hb.path().join("site");
    let a = read(&site, "policies/a.html");
    assert!(
        a.contains("Uncommitted changes: this text differs from the last commit"),
        "{a}"
    );
    assert!(
        a.contains("<del>thirty</del> <ins>twenty</ins>"),
        "uncommitted diff: {a}"
    );
    let fresh = read(&site, "policies/fresh.html");
    assert!(fresh.contains("Uncommitted: new policy"), "{fresh}");
    assert!(read(&site, "index.html").contains("includes changes that are not committed"));
    let b = read(&site, "policies/b.html");
    assert!(!b.contains("badge-uncommitted"), "b is committed: {b}");

    let before = files(&site);
    let run = build(h.hb.path(), &["--require-clean"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("policies/a.yaml"), "{}", run.stderr);
    assert!(run.stderr.contains("policies/fresh.yaml"), "{}", run.stderr);
    assert_eq!(files(&site), before, "a refused build writes nothing");
}

#[test]
fn validation_errors_stop_the_build_and_leave_the_previous_site() {
    let h = history();
    assert_eq!(build(h.hb.path(), &[]).code, 0);
    let site = h.hb.path().join("site");
    let before = files(&site);
    h.hb.write("policies/a.yaml", "id: a\nkind: norm\ntitle: [unclosed\n");
    let run = build(h.hb.path(), &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("policies/a.yaml:"), "{}", run.stderr);
    assert!(run.stderr.contains("not built"), "{}", run.stderr);
    assert_eq!(files(&site), before);

    // a broken template override: exit 2, named, the old site stays
    h.hb.write("policies/a.yaml", norm("a", 2, "", "Fixed."));
    h.hb.write("templates/policy.html", "{% if %}");
    let run = build(h.hb.path(), &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("policy.html"), "{}", run.stderr);
    assert_eq!(files(&site), before);
    // nothing is left beside the output folder
    let leftovers: Vec<String> = std::fs::read_dir(h.hb.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".site"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn out_never_replaces_a_folder_normsctl_did_not_write() {
    let h = history();
    h.hb.write("docs/notes.txt", "mine");
    let run = build(h.hb.path(), &["--out", "docs"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("did not write"), "{}", run.stderr);
    assert_eq!(h.hb.read("docs/notes.txt"), "mine");
    let run = build(h.hb.path(), &["--out", "."]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("replace the handbook"),
        "{}",
        run.stderr
    );
}

#[test]
fn templates_override_by_file_name_and_eject_copies_the_built_ins() {
    let h = history();
    let run = run_env(h.hb.path(), &["templates", "eject"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    for name in [
        "base.html",
        "policy.html",
        "index.html",
        "feed.xml",
        "llms.txt",
        "style.css",
        "site.js",
    ] {
        assert!(h.hb.path().join("templates").join(name).is_file(), "{name}");
    }
    // an ejected set renders exactly like the built-ins
    let ejected = build(h.hb.path(), &["--out", "ejected"]);
    assert_eq!(ejected.code, 0, "{ejected:?}");
    std::fs::rename(h.hb.path().join("templates"), h.hb.path().join("kept")).unwrap();
    assert_eq!(build(h.hb.path(), &["--out", "builtin"]).code, 0);
    assert_eq!(
        files(&h.hb.path().join("ejected")),
        files(&h.hb.path().join("builtin"))
    );
    // ejecting again never overwrites
    std::fs::rename(h.hb.path().join("kept"), h.hb.path().join("templates")).unwrap();
    let again = run_env(h.hb.path(), &["templates", "eject"], &[]);
    assert_eq!(again.code, 2, "{again:?}");
    assert!(again.stderr.contains("already holds"), "{}", again.stderr);

    // one override by name; the rest stay built in
    std::fs::remove_dir_all(h.hb.path().join("templates")).unwrap();
    h.hb.write("templates/llms.txt", "Custom digest for {{ site.title }}\n");
    assert_eq!(build(h.hb.path(), &[]).code, 0);
    let site = h.hb.path().join("site");
    assert_eq!(read(&site, "llms.txt"), "Custom digest for Site Handbook\n");
    assert!(read(&site, "index.html").contains("Recent changes"));
}

#[test]
fn a_handbook_outside_git_builds_without_history() {
    let hb = Handbook::new();
    let run = build(hb.path(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("not in a git repository"),
        "{}",
        run.stderr
    );
    let page = read(&hb.path().join("site"), "policies/qa-score.html");
    assert!(page.contains("not committed yet"), "{page}");
}

#[test]
fn a_shallow_clone_is_refused() {
    let h = history();
    let clones = Handbook::empty();
    let shallow = git_clone(h.hb.path(), clones.path(), "shallow", &["--depth", "1"]);
    let run = build(&shallow, &[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("fetch-depth: 0"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------
// Hostile content: nothing a policy author or a commit message writes runs in a browser.

const HOSTILE_TITLE: &str = "<script>alert('title')</script> & <img src=x onerror=alert(1)>";

fn hostile() -> History {
    let hb = Handbook::empty();
    let repo = Repository::init(hb.path()).unwrap();
    hb.write("normsctl.yaml", SETTINGS);
    hb.write("people.yaml", ROSTER);
    let body = "\
Plain <script>alert('body')</script> text.

<iframe src=\"https://evil.example/\"></iframe>

<div onclick=\"alert(2)\" onmouseover='alert(3)'>hover</div>

[js](javascript:alert(4)) [js2](JaVaScRiPt:alert(5)) [tab](java\tscript:alert(6))
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg3KTwvc2NyaXB0Pg==)
[enc](jav&#x61;script:alert(8)) <javascript:alert(9)>
![img](javascript:alert(10)) ![remote](https://evil.example/pixel.png)
[ok](https://example.org/ok) [mail](mailto:help@example.org) [rel](other.html)

<svg onload=alert(11)></svg> <a href=\"javascript:alert(12)\">raw</a>
";
    let yaml_body: String = body.lines().map(|l| format!("  {l}\n")).collect();
    hb.write(
        "policies/evil.yaml",
        format!(
            "id: evil\nkind: norm\ntitle: \"{}\"\nsummary: \"<b onmouseover=alert(13)>sum</b> <script>alert(14)</script>\"\nowner: ana\nrevision: 1\ntags: [\"<script>alert(15)</script>\"]\nbody: |\n{yaml_body}",
            HOSTILE_TITLE.replace('"', "\\\"")
        ),
    );
    hb.write("policies/metrics/qa-score.yaml", METRIC);
    let c1 = commit(
        &repo,
        "<script>alert('subject')</script><img src=x onerror=alert(16)>",
        "Mallory \" onmouseover=\"alert(17)",
        T0,
        &[],
    );
    hb.write(
        "policies/evil.yaml",
        std::fs::read_to_string(hb.path().join("policies/evil.yaml"))
            .unwrap()
            .replace("Plain", "Plainer <iframe srcdoc=x>"),
    );
    let c2 = commit(&repo, "\"><svg onload=alert(18)>", "Bo", T0 + HOUR, &[c1]);
    History {
        hb,
        repo,
        commits: vec![c1, c2],
    }
}

/// Every tag in an HTML or XML text: name (lower case) and attributes (name, value).
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        let start = i + off + 1;
        i = start;
        if !bytes.get(start).is_some_and(|b| b.is_ascii_alphabetic()) {
            continue;
        }
        let end = html[start..].find('>').map_or(html.len(), |e| start + e);
        let inner = &html[start..end];
        let name_end = inner
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(inner.len());
        let name = inner[..name_end].to_ascii_lowercase();
        let mut attrs = Vec::new();
        let mut rest = &inner[name_end..];
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
            if rest.is_empty() {
                break;
            }
            let key_end = rest
                .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
                .unwrap_or(rest.len());
            let key = rest[..key_end].to_ascii_lowercase();
            rest = &rest[key_end..];
            let mut value = String::new();
            if let Some(r) = rest.trim_start().strip_prefix('=') {
                let r = r.trim_start();
                let (v, after) = match r.chars().next() {
                    Some(q @ ('"' | '\'')) => {
                        let close = r[1..].find(q).map_or(r.len(), |c| c + 1);
                        (&r[1..close], &r[(close + 1).min(r.len())..])
                    }
                    _ => {
                        let e = r.find(char::is_whitespace).unwrap_or(r.len());
                        (&r[..e], &r[e..])
                    }
                };
                value = v.to_owned();
                rest = after;
            }
            attrs.push((key, value));
        }
        out.push((name, attrs));
        i = end;
    }
    out
}

#[test]
fn the_tag_scanner_sees_what_a_browser_would() {
    let t = tags("<p class=\"x\">a &lt;script&gt; <a href='javascript:x' onclick=y>l</a></p>");
    assert_eq!(t.len(), 2, "{t:?}");
    assert_eq!(t[1].0, "a");
    assert_eq!(t[1].1[0], ("href".into(), "javascript:x".into()));
    assert_eq!(t[1].1[1].0, "onclick");
}

#[test]
fn hostile_titles_summaries_bodies_and_commit_messages_never_run() {
    let h = hostile();
    let run = build(h.hb.path(), &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let site = h.hb.path().join("site");
    let all = files(&site);
    for (path, bytes) in &all {
        if !(path.ends_with(".html") || path.ends_with(".xml")) {
            continue;
        }
        let text = String::from_utf8_lossy(bytes);
        for (name, attrs) in tags(&text) {
            assert!(
                !matches!(
                    name.as_str(),
                    "iframe" | "object" | "embed" | "svg" | "img" | "frame" | "base"
                ),
                "{path}: a <{name}> tag"
            );
            if name == "script" {
                let src = attrs
                    .iter()
                    .find(|(k, _)| k == "src")
                    .map(|(_, v)| v.as_str());
                // The site's own script, or the table of words it writes (data, never run).
                let data = attrs
                    .iter()
                    .any(|(k, v)| k == "type" && v == "application/json");
                assert!(
                    data || matches!(src, Some("assets/site.js" | "../assets/site.js")),
                    "{path}: a script that is not the site's own: {attrs:?}"
                );
            }
            for (k, v) in &attrs {
                assert!(!k.starts_with("on"), "{path}: <{name} {k}={v}>");
                if matches!(
                    k.as_str(),
                    "href" | "src" | "action" | "srcdoc" | "formaction"
                ) {
                    let v = v.trim().to_ascii_lowercase();
                    assert!(
                        !v.starts_with("javascript")
                            && !v.starts_with("data")
                            && !v.starts_with("jav&"),
                        "{path}: <{name} {k}={v}>"
                    );
                }
            }
        }
    }
    let page = read(&site, "policies/evil.html");
    // shown as text, escaped
    assert!(page.contains("&lt;script&gt;alert("), "{page}");
    assert!(page.contains("&lt;iframe"), "{page}");
    // safe links kept, unsafe ones reduced to their text
    assert!(
        page.contains("<a href=\"https://example.org/ok\">ok</a>"),
        "{page}"
    );
    assert!(
        page.contains("<a href=\"mailto:help@example.org\">mail</a>"),
        "{page}"
    );
    assert!(page.contains("<a href=\"other.html\">rel</a>"), "{page}");
    assert!(
        page.contains("<a href=\"https://evil.example/pixel.png\">remote</a>"),
        "{page}"
    );
    // the search index and JSON carry the text as data, never as markup to insert
    let search = read(&site, "search-index.js");
    let data = search
        .strip_prefix("window.NORMSCTL_SEARCH = ")
        .and_then(|s| s.trim_end().strip_suffix(';'))
        .expect("one assignment of a JSON value");
    let index: Value = serde_json::from_str(data).unwrap();
    let evil = index
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "evil")
        .unwrap();
    assert_eq!(
        evil["t"], HOSTILE_TITLE,
        "the title is data, shown with textContent"
    );
    let js = read(&site, "assets/site.js");
    for sink in [
        ".innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
    ] {
        assert!(!js.contains(sink), "site.js uses {sink}");
    }
}

#[test]
fn the_page_declares_a_content_security_policy_without_other_hosts() {
    let h = history();
    assert_eq!(build(h.hb.path(), &[]).code, 0);
    for (path, bytes) in files(&h.hb.path().join("site")) {
        if !path.ends_with(".html") {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            text.contains(
                "Content-Security-Policy\" content=\"default-src 'none'; script-src 'self'"
            ),
            "{path}"
        );
        // no reference to another host in markup (links in policy bodies aside)
        for (name, attrs) in tags(&text) {
            for (k, v) in attrs {
                if matches!(k.as_str(), "src" | "href") && name != "a" {
                    assert!(!v.contains("//"), "{path}: <{name} {k}={v}>");
                }
            }
        }
    }
}

/// The built-in table of words, every value replaced by `«key»` and its placeholders.
fn translated_words() -> (String, Vec<String>) {
    let table = include_str!("../../templates/words.html");
    let mut english = Vec::new();
    let mut out = String::new();
    for line in table.lines() {
        let t = line.trim();
        let parsed = t
            .strip_prefix('"')
            .and_then(|r| r.split_once("\": \""))
            .and_then(|(k, v)| v.strip_suffix("\",").map(|v| (k, v)));
        match parsed {
            Some((key, value)) => {
                let mut holes = String::new();
                for piece in value.split('{').skip(1) {
                    if let Some((name, _)) = piece.split_once('}') {
                        holes.push_str(&format!(" {{{name}}}"));
                    }
                }
                let new = if key == "lang" {
                    "es".to_owned()
                } else {
                    format!("«{key}»{holes}")
                };
                out.push_str(&format!("  \"{key}\": \"{new}\",\n"));
                // The English pieces between placeholders, to look for in the pages.
                for piece in value.split(['{', '}']).step_by(2) {
                    let piece = piece.trim_matches(|c: char| {
                        c == ' ' || c == '.' || c == ',' || c == ':' || c == ';'
                    });
                    if !piece.is_empty() && key != "lang" {
                        english.push(piece.to_owned());
                    }
                }
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    (out, english)
}

/// The text a reader sees (tags, the JSON of words and the policies' own words aside).
fn visible_words(html: &str) -> String {
    let mut text = String::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        text.push_str(&rest[..i]);
        text.push(' ');
        let tag_end = rest[i..].find('>').map_or(rest.len(), |e| i + e + 1);
        let tag = &rest[i..tag_end];
        // attributes a reader sees or hears
        for attr in [
            "aria-label=\"",
            "placeholder=\"",
            "data-now=\"",
            "content=\"",
        ] {
            if let Some(a) = tag.find(attr) {
                let v = &tag[a + attr.len()..];
                text.push_str(&v[..v.find('"').unwrap_or(v.len())]);
                text.push(' ');
            }
        }
        rest = &rest[tag_end..];
    }
    text.push_str(rest);
    text
}

#[test]
fn a_translated_table_leaves_no_english_fixed_word_on_the_pages() {
    let hb = crate::in_force::handbook();
    let (words, english) = translated_words();
    hb.write("templates/words.html", words);
    let site = crate::in_force::build(hb.path(), crate::in_force::BEFORE);
    let json = read(&site, "index.html");
    assert!(
        json.contains("<script type=\"application/json\" id=\"site-words\">")
            && json.contains("\"who_count\": \"«who_count» {shown} {all}\""),
        "the words site.js writes come from the table: {json}"
    );
    for rel in [
        "index.html",
        "policies/first-response-time.html",
        "policies/stepping-away.html",
        "changelog.html",
        "feed.xml",
    ] {
        let page = read(&site, rel);
        assert!(page.contains("«"), "{rel} is not translated");
        // The policies' own words (titles, summaries, bodies, field labels, authors'
        // commit messages) stay as written: look only at what the templates wrote.
        let mut seen = visible_words(&page);
        for own in [
            "the team channel",
            "Reply",
            "reply",
            "minutes",
            "Stepping away",
            "stepping",
            "First response",
            "first response",
        ] {
            seen = seen.replace(own, "");
        }
        for w in &english {
            // Single short words ("no", "by", "each") also occur inside policies' own text.
            if w.split_whitespace().count() < 2 {
                continue;
            }
            assert!(
                !seen.contains(w.as_str()),
                "{rel}: English fixed words left: {w:?}\n{seen}"
            );
        }
    }
    let page = read(&site, "policies/first-response-time.html");
    assert!(page.contains("<html lang=\"es\">"), "{page}");
    assert!(page.contains(">«about»</h2>"), "{page}");
    assert!(page.contains(">«kind_metric»</p>"), "{page}");
    assert!(page.contains(">«kind_metrics»</a>"), "{page}");
    // The metric's rule and the field labels of its revision diffs come from the table.
    assert!(
        page.contains(
            "«rule_full» «statistic_median» «target_le» «unit_value» 30 minutes «window_week»"
        ),
        "{page}"
    );
    assert!(page.contains("<dt>«target.value»</dt>"), "{page}");
    let index = read(&site, "index.html");
    assert!(index.contains("«intro_metrics»"), "{index}");
    assert!(index.contains("«index_lede»"), "{index}");
    assert!(read(&site, "changelog.html").contains("«changelog_lede»"));
}

/// A table copied from a version that kept `field_labels` inside `w` still names the
/// fields of revision diffs.
#[test]
fn an_older_table_with_field_labels_in_w_still_names_fields() {
    let hb = crate::in_force::handbook();
    let table = include_str!("../../templates/words.html")
        .replace("\"Target value\"", "\"Valor objetivo\"");
    let open = "{%- set field_labels = {\n";
    let end_of_w = table.find("} -%}\n{#- The field labels").unwrap();
    let labels = table.find(open).unwrap() + open.len();
    let older = format!(
        "{}  \"field_labels\": {{\n{}",
        &table[..end_of_w],
        &table[labels..]
    );
    let older = format!(
        "{}}},\n}} -%}}\n",
        older.trim_end().strip_suffix("} -%}").unwrap()
    );
    assert!(!older.contains("set field_labels") && older.contains("\"field_labels\": {"));
    hb.write("templates/words.html", older);
    let site = crate::in_force::build(hb.path(), crate::in_force::BEFORE);
    let log = read(&site, "changelog.html");
    assert!(log.contains("Valor objetivo"), "{log}");
    assert!(!log.contains("Target value"), "{log}");
}

#[test]
fn the_fixed_words_come_from_one_overridable_table() {
    let h = history();
    let words = include_str!("../../templates/words.html")
        .replace("\"lang\": \"en\"", "\"lang\": \"es\"")
        .replace("\"About this policy\"", "\"Sobre esta norma\"")
        .replace("\"Revision history\"", "\"Historial de revisiones\"")
        .replace("\"Recent changes\"", "\"Cambios recientes\"");
    h.hb.write("templates/words.html", words);
    assert_eq!(build(h.hb.path(), &[]).code, 0);
    let site = h.hb.path().join("site");
    let a = read(&site, "policies/a.html");
    assert!(a.contains("<html lang=\"es\">"), "{a}");
    assert!(a.contains(">Sobre esta norma</h2>"), "{a}");
    assert!(a.contains(">Historial de revisiones</h2>"), "{a}");
    assert!(!a.contains("About this policy"), "{a}");
    assert!(read(&site, "index.html").contains(">Cambios recientes</h2>"));
}
