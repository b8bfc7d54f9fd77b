//! The site's feeds per team, role and policy (`feeds/<team|role|policy>-<id>.xml`): Atom
//! documents holding only the changes to the policies that apply to that team or role (or
//! to that one policy), linked from the pages, with relative links that work from disk.

use crate::site::build;
use git2::{Oid, Repository};
use std::collections::BTreeSet;
use std::path::Path;

const ATOM: &str = "http://www.w3.org/2005/Atom";
const T0: i64 = 1_767_603_600;

const ROSTER: &str = "\
teams:
  - { id: tier1, name: Tier 1, lead: ana }
  - { id: tier2, name: Tier 2, lead: cy }
roles:
  - { id: agent, name: Agent }
  - { id: lead, name: Lead }
people:
  - { id: ana, name: Ana Diaz, email: ana@example.com, teams: [tier1], roles: [lead] }
  - { id: cy, name: Cy Young, email: cy@example.com, teams: [tier2], roles: [agent] }
";

fn norm(id: &str, applies: &str, revision: u32) -> String {
    format!(
        "id: {id}\nkind: norm\ntitle: Title of {id}\nsummary: S.\nowner: ana\napplies_to: {applies}\nrevision: {revision}\nbody: Body of {id}.\n"
    )
}

fn commit(repo: &Repository, message: &str, time: i64, parents: &[Oid]) -> Oid {
    let oid = crate::history::commit(repo, message, ("Ana", time, 60), (time, 60), parents);
    crate::history::set_head(repo, oid);
    oid
}

/// One parsed Atom feed: its own id and title, and each entry's (id, policy id) taken
/// from the entry's link (`policies/<id>.html#rev-…`).
struct Feed {
    id: String,
    title: String,
    self_href: String,
    entries: Vec<(String, String)>,
}

fn parse(site: &Path, rel: &str) -> Feed {
    let text = std::fs::read_to_string(site.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{rel}: {e}\n{text}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().namespace(), Some(ATOM), "{rel}");
    assert_eq!(root.tag_name().name(), "feed", "{rel}");
    fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> roxmltree::Node<'a, 'i> {
        n.children()
            .find(|c| c.tag_name().name() == name && c.tag_name().namespace() == Some(ATOM))
            .unwrap_or_else(|| panic!("no <{name}>"))
    }
    // What RFC 4287 requires of a feed: id, title, updated, and of each entry the same.
    let updated = child(root, "updated").text().unwrap_or_default().to_owned();
    assert!(
        updated.parse::<jiff::Timestamp>().is_ok(),
        "{rel}: {updated}"
    );
    let self_href = root
        .children()
        .filter(|c| c.tag_name().name() == "link" && c.attribute("rel") == Some("self"))
        .map(|c| c.attribute("href").unwrap().to_owned())
        .next()
        .expect("a self link");
    let entries = root
        .children()
        .filter(|c| c.tag_name().name() == "entry")
        .map(|e| {
            assert!(child(e, "title").text().is_some());
            assert!(
                child(e, "updated")
                    .text()
                    .unwrap()
                    .parse::<jiff::Timestamp>()
                    .is_ok()
            );
            let href = child(e, "link").attribute("href").unwrap();
            let page = href.split('#').next().unwrap();
            // Relative to the feed's folder, the page exists: links work from file://.
            assert!(
                site.join(rel).parent().unwrap().join(page).is_file(),
                "{rel}: {href}"
            );
            let policy = page
                .trim_start_matches("../")
                .trim_start_matches("policies/")
                .trim_end_matches(".html")
                .to_owned();
            (child(e, "id").text().unwrap().to_owned(), policy)
        })
        .collect();
    Feed {
        id: child(root, "id").text().unwrap().to_owned(),
        title: child(root, "title").text().unwrap().to_owned(),
        self_href,
        entries,
    }
}

fn policies(feed: &Feed) -> BTreeSet<String> {
    feed.entries.iter().map(|(_, p)| p.clone()).collect()
}

#[test]
fn team_role_and_policy_feeds_hold_only_their_policies() {
    let hb = crate::harness::Handbook::empty();
    let repo = Repository::init(hb.path()).unwrap();
    hb.write("normsctl.yaml", "title: Feeds\ntimezone: Europe/Madrid\n");
    hb.write("people.yaml", ROSTER);
    hb.write("policies/all.yaml", norm("all", "everyone", 1));
    hb.write("policies/one.yaml", norm("one", "tier1", 1));
    hb.write("policies/two.yaml", norm("two", "[tier2]", 1));
    hb.write("policies/agents.yaml", norm("agents", "agent", 1));
    let c1 = commit(&repo, "Start", T0, &[]);
    hb.write(
        "policies/one.yaml",
        norm("one", "tier1", 2).replace("Body of", "New body of"),
    );
    hb.write(
        "policies/two.yaml",
        norm("two", "[tier2]", 2).replace("Body of", "New body of"),
    );
    commit(&repo, "Tighten", T0 + 3600, &[c1]);
    let run = build(hb.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let site = hb.path().join("site");

    let set = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let tier1 = parse(&site, "feeds/team-tier1.xml");
    assert_eq!(policies(&tier1), set(&["all", "one"]));
    assert_eq!(tier1.entries.len(), 3, "one added and changed, all added");
    assert!(tier1.title.ends_with("team Tier 1"), "{}", tier1.title);
    assert_eq!(tier1.self_href, "../feeds/team-tier1.xml");
    let tier2 = parse(&site, "feeds/team-tier2.xml");
    assert_eq!(policies(&tier2), set(&["all", "two"]));
    let agent = parse(&site, "feeds/role-agent.xml");
    assert_eq!(policies(&agent), set(&["all", "agents"]));
    let lead = parse(&site, "feeds/role-lead.xml");
    assert_eq!(policies(&lead), set(&["all"]));
    let one = parse(&site, "feeds/policy-one.xml");
    assert_eq!(policies(&one), set(&["one"]));
    assert_eq!(one.entries.len(), 2);
    // Every feed has its own id; an entry keeps the main feed's entry id.
    let main = parse(&site, "feed.xml");
    let ids: BTreeSet<&String> = [&main.id, &tier1.id, &tier2.id, &agent.id, &lead.id, &one.id]
        .into_iter()
        .collect();
    assert_eq!(ids.len(), 6);
    assert!(tier1.entries.iter().all(|e| main.entries.contains(e)));

    // Linked from the pages, in the head and visibly.
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    for feed in [
        "feeds/team-tier1.xml",
        "feeds/team-tier2.xml",
        "feeds/role-agent.xml",
        "feeds/role-lead.xml",
    ] {
        let head = &index[..index.find("</head>").unwrap()];
        assert!(
            head.lines().any(|l| l
                .starts_with("<link rel=\"alternate\" type=\"application/atom+xml\"")
                && l.ends_with(&format!("href=\"{feed}\">"))),
            "{feed}"
        );
        assert!(index.contains(&format!("<a href=\"{feed}\">")), "{feed}");
    }
    let page = std::fs::read_to_string(site.join("policies/one.html")).unwrap();
    assert!(page.contains("type=\"application/atom+xml\" title=\"Follow changes to this policy (Atom feed): Title of one\" href=\"../feeds/policy-one.xml\">"), "{page}");
    assert!(
        page.contains("<a href=\"../feeds/policy-one.xml\">"),
        "{page}"
    );

    // A team that leaves the roster takes its feed with it.
    hb.write(
        "people.yaml",
        ROSTER
            .replace("  - { id: tier2, name: Tier 2, lead: cy }\n", "")
            .replace("teams: [tier2]", "teams: []"),
    );
    hb.write(
        "policies/two.yaml",
        norm("two", "[everyone]", 2).replace("Body of", "New body of"),
    );
    let run = build(hb.path(), &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(!site.join("feeds/team-tier2.xml").exists());
    assert_eq!(
        policies(&parse(&site, "feeds/team-tier1.xml")),
        set(&["all", "one", "two"])
    );
}

/// The feeds and the changelog's list are written in Rust when their templates are the
/// built-in ones; the same `feed.xml` and `changelog.html` given as the handbook's own (so
/// run by the template engine) write the same bytes, with names and messages that need
/// escaping, a base URL, changed fields, a date the change takes effect and an
/// uncommitted edit.
#[test]
fn built_in_feeds_and_changelog_match_their_templates_run_as_written() {
    let hb = crate::harness::Handbook::empty();
    let repo = Repository::init(hb.path()).unwrap();
    hb.write(
        "normsctl.yaml",
        "title: \"Feeds & <Co> 'x'\"\norganization: \"O\\\"rg\"\nbase_url: \"https://x.example/h/\"\ntimezone: Europe/Madrid\n",
    );
    hb.write(
        "people.yaml",
        ROSTER.replace("Tier 1", "\"Tier <1> & 'a'\""),
    );
    hb.write("policies/all.yaml", norm("all", "everyone", 1));
    hb.write(
        "policies/one.yaml",
        norm("one", "tier1", 1).replace("Title of one", "Q \"q\" & <one> it's"),
    );
    let c1 = commit(&repo, "Start <b>&amp;</b> \"now\"", T0, &[]);
    hb.write(
        "policies/one.yaml",
        norm("one", "tier1", 2)
            .replace("Title of one", "Q \"q\" & <one> it's")
            .replace(
                "summary: S.",
                "summary: Longer & <S>.\neffective: 2026-03-01",
            ),
    );
    hb.write("policies/two.yaml", norm("two", "[tier2, agent]", 1));
    commit(&repo, "Tighten 'one' & add two", T0 + 3600, &[c1]);
    hb.write(
        "policies/two.yaml",
        norm("two", "[tier2, agent]", 2).replace("Body of", "Edited body of"),
    );
    let run = build(hb.path(), &["--out", "fast"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    hb.write(
        "templates/feed.xml",
        include_str!("../../templates/feed.xml"),
    );
    hb.write(
        "templates/changelog.html",
        include_str!("../../templates/changelog.html"),
    );
    let run = build(hb.path(), &["--out", "engine"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut feeds: Vec<String> = std::fs::read_dir(hb.path().join("fast/feeds"))
        .unwrap()
        .map(|e| format!("feeds/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    feeds.push("feed.xml".to_owned());
    assert!(feeds.len() >= 8, "{feeds:?}");
    feeds.push("changelog.html".to_owned());
    feeds.push("changelog/2026.html".to_owned());
    for rel in feeds {
        let fast = std::fs::read_to_string(hb.path().join("fast").join(&rel)).unwrap();
        let engine = std::fs::read_to_string(hb.path().join("engine").join(&rel)).unwrap();
        assert_eq!(fast, engine, "{rel}");
    }
    let team = std::fs::read_to_string(hb.path().join("fast/feeds/team-tier1.xml")).unwrap();
    assert!(
        team.contains("team Tier &lt;1&gt; &amp; &#39;a&#39;"),
        "{team}"
    );
    assert!(team.contains("Changed: "), "{team}");
    let changelog = std::fs::read_to_string(hb.path().join("fast/changelog.html")).unwrap();
    assert!(
        changelog.contains("Takes effect from <strong>2026-03-01</strong>."),
        "{changelog}"
    );
}
