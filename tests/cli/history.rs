//! `normsctl log`: the revision history from one first-parent walk, with fixed times.

use crate::harness::{Handbook, ROSTER, git_clone, run_in};
use git2::{Oid, Repository, Signature, Time};

pub const SETTINGS: &str = "title: T\ntimezone: Europe/Madrid\n";

pub fn policy(id: &str, revision: u32, body: &str) -> String {
    format!(
        "id: {id}\nkind: norm\ntitle: T\nsummary: S\nowner: ana\nrevision: {revision}\nbody: {body}\n"
    )
}

/// Commits the work tree's current state (all files, removals included) with fixed times.
pub fn commit(
    repo: &Repository,
    message: &str,
    author: (&str, i64, i32),
    committed: (i64, i32),
    parents: &[Oid],
) -> Oid {
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.update_all(["*"], None).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let a = Signature::new(
        author.0,
        &format!("{}@example.com", author.0.to_lowercase()),
        &Time::new(author.1, author.2),
    )
    .unwrap();
    let c = Signature::new(
        "Merger",
        "merger@example.com",
        &Time::new(committed.0, committed.1),
    )
    .unwrap();
    let parents: Vec<_> = parents
        .iter()
        .map(|p| repo.find_commit(*p).unwrap())
        .collect();
    let refs: Vec<_> = parents.iter().collect();
    repo.commit(None, &a, &c, message, &tree, &refs).unwrap()
}

pub fn set_head(repo: &Repository, oid: Oid) {
    repo.reference("refs/heads/main", oid, true, "test")
        .unwrap();
    repo.set_head("refs/heads/main").unwrap();
    repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .unwrap();
}

// 2026-01-05 09:00:00 UTC
pub const T0: i64 = 1_767_603_600;
pub const HOUR: i64 = 3600;

/// Two policies over five days: `a` added, reworded, made stricter; `b` added, moved,
/// then retired on a side branch merged days later.
pub fn history() -> Handbook {
    let hb = Handbook::empty();
    let repo = Repository::init(hb.path()).unwrap();
    hb.write("normsctl.yaml", SETTINGS);
    hb.write("people.yaml", ROSTER);
    hb.write("policies/a.yaml", policy("a", 1, "first"));
    hb.write("policies/b.yaml", policy("b", 1, "bee"));
    let c1 = commit(&repo, "Start", ("Ana", T0, 60), (T0, 60), &[]);
    set_head(&repo, c1);
    hb.write("policies/a.yaml", policy("a", 1, "first, reworded"));
    let c2 = commit(
        &repo,
        "Reword a",
        ("Bo", T0 + HOUR, -300),
        (T0 + HOUR, -300),
        &[c1],
    );
    set_head(&repo, c2);
    hb.write("policies/a.yaml", policy("a", 2, "stricter"));
    std::fs::create_dir_all(hb.path().join("policies/sub")).unwrap();
    std::fs::rename(
        hb.path().join("policies/b.yaml"),
        hb.path().join("policies/sub/b.yaml"),
    )
    .unwrap();
    let c3 = commit(
        &repo,
        "Tighten a, file b",
        ("Ana", T0 + 2 * HOUR, 60),
        (T0 + 2 * HOUR, 60),
        &[c2],
    );
    set_head(&repo, c3);
    // A side branch written on day 2, merged on day 5: it lands at the merge.
    std::fs::remove_file(hb.path().join("policies/sub/b.yaml")).unwrap();
    let side = commit(
        &repo,
        "Retire b",
        ("Cy", T0 + 24 * HOUR, 330),
        (T0 + 24 * HOUR, 330),
        &[c3],
    );
    let merge = commit(
        &repo,
        "Merge pull request #7",
        ("Ana", T0 + 96 * HOUR, 60),
        (T0 + 96 * HOUR, 60),
        &[c3, side],
    );
    set_head(&repo, merge);
    hb
}

fn rows(hb: &Handbook, args: &[&str]) -> Vec<String> {
    let mut all = vec!["log", "--format", "json"];
    all.extend_from_slice(args);
    let run = hb.run(&all);
    assert_eq!(run.code, 0, "{run:?}");
    run.json()["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {} {} {}",
                r["id"].as_str().unwrap(),
                r["change"].as_str().unwrap(),
                r["revision"],
                r["landed"]["utc"].as_str().unwrap(),
                r["author"]["name"].as_str().unwrap(),
                r["path"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn log_classifies_and_dates_every_change() {
    let hb = history();
    assert_eq!(
        rows(&hb, &[]),
        [
            "b retired null 2026-01-09T09:00:00Z Cy policies/sub/b.yaml",
            "a material 2 2026-01-05T11:00:00Z Ana policies/a.yaml",
            "b moved 1 2026-01-05T11:00:00Z Ana policies/sub/b.yaml",
            "a editorial 1 2026-01-05T10:00:00Z Bo policies/a.yaml",
            "a added 1 2026-01-05T09:00:00Z Ana policies/a.yaml",
            "b added 1 2026-01-05T09:00:00Z Ana policies/b.yaml",
        ]
    );
    let doc = hb.run(&["log", "b", "--format", "json"]).json();
    let retired = &doc["revisions"][0];
    // Landed at the merge (in the team's zone too), written by Cy on the side branch.
    assert_eq!(retired["landed"]["local"], "2026-01-09T10:00:00+01:00");
    assert_eq!(
        retired["author"]["time"]["time"],
        "2026-01-06T14:30:00+05:30"
    );
    assert_eq!(doc["revisions"][1]["old_path"], "policies/b.yaml");
}

#[test]
fn log_filters_by_policy_and_time() {
    let hb = history();
    assert_eq!(rows(&hb, &["a"]).len(), 3);
    assert_eq!(
        rows(&hb, &["a", "--since", "2026-01-05T10:30:00Z"]),
        ["a material 2 2026-01-05T11:00:00Z Ana policies/a.yaml"]
    );
    // A date is the end of that day in the team's zone.
    assert_eq!(rows(&hb, &["--until", "2026-01-08"]).len(), 5);
    assert_eq!(rows(&hb, &["--since", "2026-01-09"]).len(), 1);
    let bad = hb.run(&["log", "--since", "yesterday"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("neither a date"), "{}", bad.stderr);
}

#[test]
fn log_refuses_shallow_clones_and_empty_repositories() {
    let hb = history();
    let clones = Handbook::empty();
    let shallow = git_clone(hb.path(), clones.path(), "shallow", &["--depth", "1"]);
    let run = run_in(&shallow, &["log"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("shallow clone") && run.stderr.contains("fetch-depth: 0"),
        "{}",
        run.stderr
    );

    let empty = Handbook::new();
    Repository::init(empty.path()).unwrap();
    let run = empty.run(&["log"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no commits yet"), "{}", run.stderr);
    let outside = Handbook::new();
    assert_eq!(outside.run(&["log"]).code, 2);
}

#[test]
fn one_policy_log_follows_moves_and_earlier_lives() {
    let hb = Handbook::empty();
    let repo = Repository::init(hb.path()).unwrap();
    hb.write("normsctl.yaml", SETTINGS);
    hb.write("people.yaml", ROSTER);
    hb.write("policies/x.yaml", policy("x", 1, "one"));
    hb.write("policies/y.yaml", policy("y", 1, "why"));
    let mut at = T0;
    let mut head = commit(&repo, "Add", ("Ana", at, 60), (at, 60), &[]);
    let mut step = |hb: &Handbook, message: &str, change: &dyn Fn(&Handbook)| {
        change(hb);
        at += HOUR;
        head = commit(&repo, message, ("Bo", at, 60), (at, 60), &[head]);
        set_head(&repo, head);
    };
    let path = |hb: &Handbook, rel: &str| hb.path().join(rel);
    step(&hb, "Retire x", &|hb| {
        std::fs::remove_file(path(hb, "policies/x.yaml")).unwrap()
    });
    step(&hb, "Edit y", &|hb| {
        hb.write("policies/y.yaml", policy("y", 2, "why not"));
    });
    step(&hb, "Bring x back", &|hb| {
        hb.write("policies/old/x.yaml", policy("x", 1, "two"));
    });
    step(&hb, "Move x", &|hb| {
        std::fs::create_dir_all(path(hb, "policies/new")).unwrap();
        std::fs::rename(
            path(hb, "policies/old/x.yaml"),
            path(hb, "policies/new/x.yaml"),
        )
        .unwrap();
    });
    step(&hb, "Move and raise x", &|hb| {
        std::fs::remove_file(path(hb, "policies/new/x.yaml")).unwrap();
        hb.write("policies/x.yaml", policy("x", 2, "three"));
    });
    let expected = [
        "x material 2 2026-01-05T14:00:00Z Bo policies/x.yaml",
        "x moved 1 2026-01-05T13:00:00Z Bo policies/new/x.yaml",
        "x added 1 2026-01-05T12:00:00Z Bo policies/old/x.yaml",
        "x retired null 2026-01-05T10:00:00Z Bo policies/x.yaml",
        "x added 1 2026-01-05T09:00:00Z Ana policies/x.yaml",
    ];
    // The path-limited walk for one id gives what the whole walk gives for it.
    assert_eq!(rows(&hb, &["x"]), expected);
    let all: Vec<String> = rows(&hb, &[])
        .into_iter()
        .filter(|r| r.starts_with("x "))
        .collect();
    assert_eq!(all, expected);
    assert_eq!(rows(&hb, &["y"]).len(), 2);
}

#[test]
fn the_history_cache_is_reused_extended_and_never_stale() {
    let hb = history();
    let repo = Repository::open(hb.path()).unwrap();
    let fresh = |hb: &Handbook| {
        let run = crate::harness::run_env(
            hb.path(),
            &["log", "--format", "json"],
            &[("NORMSCTL_CACHE", "0")],
        );
        assert_eq!(run.code, 0, "{run:?}");
        run.stdout
    };
    let cached = |hb: &Handbook| {
        let run = hb.run(&["log", "--format", "json"]);
        assert_eq!(run.code, 0, "{run:?}");
        run.stdout
    };
    let cache_dir = hb.path().join(".git/normsctl");
    assert!(!cache_dir.exists(), "no cache without a run");
    assert_eq!(cached(&hb), fresh(&hb));
    let files: Vec<_> = std::fs::read_dir(&cache_dir).unwrap().collect();
    assert_eq!(files.len(), 1, "one cache file");
    // Served from the cache, then extended by a new commit.
    assert_eq!(cached(&hb), fresh(&hb));
    hb.write("policies/a.yaml", policy("a", 3, "strictest"));
    let head = repo.head().unwrap().target().unwrap();
    let next = commit(
        &repo,
        "Raise a",
        ("Bo", T0 + 100 * HOUR, 0),
        (T0 + 100 * HOUR, 0),
        &[head],
    );
    set_head(&repo, next);
    let extended = cached(&hb);
    assert!(extended.contains("Raise a"), "{extended}");
    assert_eq!(extended, fresh(&hb));
    // History rewritten under the cache: the commit it covers is gone from the line.
    hb.write("policies/a.yaml", policy("a", 3, "rewritten"));
    let other = commit(
        &repo,
        "Raise a differently",
        ("Cy", T0 + 101 * HOUR, 0),
        (T0 + 101 * HOUR, 0),
        &[head],
    );
    set_head(&repo, other);
    let rewritten = cached(&hb);
    assert!(!rewritten.contains("\"Raise a\""), "{rewritten}");
    assert!(rewritten.contains("Raise a differently"), "{rewritten}");
    assert_eq!(rewritten, fresh(&hb));
    assert_eq!(
        rows(&hb, &["a"])[0],
        "a material 3 2026-01-09T14:00:00Z Cy policies/a.yaml"
    );
    // A damaged cache is rebuilt, not trusted.
    let file = std::fs::read_dir(&cache_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&file, b"{\"format\": 1, \"tool\": \"x\"").unwrap();
    assert_eq!(cached(&hb), fresh(&hb));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("Raise a differently"), "rewritten cache");
}
