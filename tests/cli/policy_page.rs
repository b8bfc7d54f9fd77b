//! The policy pages written in Rust when their templates are the built-in ones must be
//! the bytes the templates write: one handbook with a page of every kind and state, built
//! with the built-in templates and again with the same templates given as the handbook's
//! own (so run by the template engine as written).

use crate::harness::run_env;
use git2::{Oid, Repository};

/// 2026-01-05 09:00 UTC.
const T0: i64 = 1_767_603_600;
/// The build's clock: 2026-06-01 12:00 UTC.
const NOW: &str = "1780315200";

const ROSTER: &str = "\
teams:
  - { id: tier1, name: \"Tier <1> & 'a'\", lead: ana }
  - { id: tier2, name: Tier 2, lead: cy }
roles:
  - { id: agent, name: \"Agent \\\"A\\\"\" }
people:
  - { id: ana, name: \"Ana <D> & 'x'\", email: ana@example.com, teams: [tier1], roles: [agent] }
  - { id: cy, name: Cy Young, email: cy@example.com, teams: [tier2], roles: [agent] }
";

fn commit(repo: &Repository, message: &str, time: i64, parents: &[Oid]) -> Oid {
    let oid = crate::history::commit(
        repo,
        message,
        ("Ana & 'q' \"x\"", time, 60),
        (time, 60),
        parents,
    );
    crate::history::set_head(repo, oid);
    oid
}

/// A metric with every metric key; `rev` and `minutes` change the text, `effective` dates it.
fn metric(rev: u32, minutes: u32, effective: &str) -> String {
    format!(
        "id: frt\nkind: metric\ntitle: \"First <reply> & 'time' \\\"now\\\"\"\n\
         summary: \"Reply within {minutes} <minutes> & say 'hi'.\"\nowner: ana\n\
         applies_to: [tier1, agent]\nrevision: {rev}\neffective: {effective}\n\
         ack: required\nack_due_days: 7\ntags: [\"<t>\", \"a&b\", \"it's\"]\n\
         related: [norm-a]\nlevel: individual\n\
         measures: \"Minutes <to> first & reply\"\nsource: \"Helpdesk 'reports'\"\nunit: minutes\n\
         statistic: p90\ntarget: {{ op: \"<=\", value: {minutes} }}\nwindow: week\n\
         controllable: true\n\
         # normsctl: allow fairness-public-individual -- the <team> asked & 'agreed'\n\
         visibility: public\ngaming_risk: \"Closing <tickets> & 'reopening'\"\n\
         guardrails: [quality, speed]\n\
         body: |\n  Reply **fast** to <every> ticket & say \"hi\" (rev {rev}).\n"
    )
}

const QUALITY: &str = "id: quality\nkind: metric\ntitle: Quality\nsummary: Good answers.\n\
    owner: tier2\napplies_to: [everyone]\nrevision: 1\nack: none\nlevel: team\n\
    measures: Score\nsource: Survey\nunit: percent\nstatistic: mean\n\
    target: { min: 80, max: 95 }\nwindow: month\ncontrollable: false\nvisibility: team\n\
    guardrails: [frt]\nbody: Be good.\n";

fn norm(id: &str, title: &str, extra: &str) -> String {
    format!(
        "id: {id}\nkind: norm\ntitle: \"{title}\"\nsummary: \"Summary of <{id}> & 'it'\"\n\
         owner: tier1\napplies_to: [tier1]\nrevision: 1\n{extra}body: Body of {id}.\n"
    )
}

fn expectation(id: &str, extra: &str) -> String {
    format!(
        "id: {id}\nkind: expectation\ntitle: \"Expect <{id}>\"\nsummary: S & s.\n\
         owner: cy\napplies_to: [everyone]\nrevision: 1\n{extra}body: \"Do <it> & 'well'.\"\n"
    )
}

#[test]
fn built_in_policy_pages_match_their_templates_run_as_written() {
    let hb = crate::harness::Handbook::empty();
    let repo = Repository::init(hb.path()).unwrap();
    hb.write(
        "normsctl.yaml",
        "title: \"Pages & <Co> 'x'\"\norganization: \"O\\\"rg <&>\"\ntimezone: Europe/Madrid\n",
    );
    hb.write("people.yaml", ROSTER);
    let frt = "policies/metrics/frt.yaml";
    hb.write(frt, metric(1, 60, "2026-01-05"));
    hb.write("policies/metrics/quality.yaml", QUALITY);
    hb.write(
        "policies/metrics/speed.yaml",
        QUALITY
            .replace("id: quality", "id: speed")
            .replace("title: Quality", "title: \"Speed <&> 's'\"")
            .replace("level: team", "level: individual")
            .replace(
                "visibility: team\n",
                "# normsctl: allow fairness-public-individual -- shared & <board>\nvisibility: public\n",
            ),
    );
    hb.write(
        "policies/norms/norm-a.yaml",
        norm("norm-a", "Norm <a> & 'b'", "tags: [x]\n"),
    );
    hb.write("policies/norms/old.yaml", norm("old", "Old & <gone>", ""));
    hb.write(
        "policies/odd <&> 'dir'/gone-soon.yaml",
        expectation("gone-soon", "ack: none\n"),
    );
    hb.write(
        "policies/edited.yaml",
        expectation("edited", "ack_due_days: 0\n"),
    );
    let c1 = commit(&repo, "Start <b>&amp;</b> \"now\"", T0, &[]);
    hb.write(frt, metric(2, 45, "2026-02-01"));
    std::fs::remove_file(hb.path().join("policies/norms/old.yaml")).unwrap();
    hb.write(
        "policies/norms/new.yaml",
        norm(
            "new",
            "New & <better>",
            "replaces: [old]\nrelated: [norm-a]\n",
        ),
    );
    let c2 = commit(&repo, "Tighten 'frt' & retire old", T0 + 86_400, &[c1]);
    // Two later texts of frt, landed before the build, in force after it.
    hb.write(frt, metric(3, 30, "2026-09-01"));
    let c3 = commit(&repo, "frt: 30 from September", T0 + 2 * 86_400, &[c2]);
    hb.write(frt, metric(4, 20, "2026-12-01"));
    hb.write(
        "policies/future.yaml",
        expectation("future", "effective: 2026-10-01\n"),
    );
    commit(
        &repo,
        "frt: 20 from December; future",
        T0 + 3 * 86_400,
        &[c3],
    );
    // Uncommitted: a new policy, an edit and a removal.
    hb.write(
        "policies/fresh.yaml",
        norm(
            "fresh",
            "Fresh \\\"<new>\\\"",
            "related: [frt]\nreplaces: [gone-soon]\n",
        ),
    );
    hb.write(
        "policies/edited.yaml",
        expectation("edited", "ack_due_days: 3\ntags: [\"q'\"]\n"),
    );
    std::fs::remove_file(hb.path().join("policies/odd <&> 'dir'/gone-soon.yaml")).unwrap();

    let build = |out: &str| {
        let run = run_env(
            hb.path(),
            &["build", "--out", out],
            &[("SOURCE_DATE_EPOCH", NOW)],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
    };
    build("fast");
    hb.write(
        "templates/policy.html",
        include_str!("../../templates/policy.html"),
    );
    build("engine");
    for name in ["base.html", "macros.html", "words.html"] {
        let text = match name {
            "base.html" => include_str!("../../templates/base.html"),
            "macros.html" => include_str!("../../templates/macros.html"),
            _ => include_str!("../../templates/words.html"),
        };
        hb.write(&format!("templates/{name}"), text);
    }
    build("written");
    let pages: Vec<String> = std::fs::read_dir(hb.path().join("fast/policies"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".html"))
        .collect();
    assert_eq!(pages.len(), 10, "{pages:?}");
    let read = |dir: &str, name: &str| {
        std::fs::read_to_string(hb.path().join(dir).join("policies").join(name)).unwrap()
    };
    for name in &pages {
        let fast = read("fast", name);
        assert_eq!(fast, read("engine", name), "{name}");
        assert_eq!(fast, read("written", name), "{name}");
    }
    // Every kind of page was made.
    let all: String = pages.iter().map(|n| read("fast", n)).collect();
    let missing = [
        "kind-norm",
        "kind-expectation",
        "kind-metric",
        "class=\"timed upcoming-text\"",
        "later-facts",
        "notice as-of",
        "badge badge-retired",
        "badge badge-upcoming\">",
        "badge-uncommitted",
        "class=\"waived\"",
        "Gaming risk",
        "Guardrails",
        "Within the individual",
        "class=\"links\"",
        "Replaces",
        "It continues as",
        "Until then it does not apply.",
        "is in force; <a href=\"#upcoming-4\">revision 4</a> applies from <strong>",
        "Closing &lt;tickets&gt; &amp; &#39;reopening&#39;",
        "<span class=\"tag\">a&amp;b</span>",
        "odd &lt;&amp;&gt; &#39;dir&#39;",
        " within 3 days",
        "Uncommitted: new policy",
        "Uncommitted changes: this text differs",
        "Uncommitted: its file has been removed",
    ]
    .into_iter()
    .filter(|mark| !all.contains(mark))
    .collect::<Vec<_>>();
    assert!(missing.is_empty(), "in no page: {missing:?}");
}
