//! Unit tests of the history walk on small repositories made here.

use super::*;
use std::path::Path;

fn policy(id: &str, revision: u32, body: &str) -> String {
    format!(
        "id: {id}\nkind: norm\ntitle: T\nsummary: S\nowner: ana\nrevision: {revision}\nbody: {body}\n"
    )
}

/// Makes the files of the work tree exactly `files` and commits them at `time`.
fn commit(repo: &Repository, files: &[(&str, String)], time: i64) -> Oid {
    let root = repo.workdir().unwrap().to_path_buf();
    let _ = std::fs::remove_dir_all(root.join("policies"));
    for (path, text) in files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let mut index = repo.index().unwrap();
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .unwrap();
    index.update_all(["*"], None).unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::new("Ana", "ana@example.com", &git2::Time::new(time, 60)).unwrap();
    let parents: Vec<_> = repo
        .head()
        .ok()
        .and_then(|h| h.target())
        .map(|h| repo.find_commit(h).unwrap())
        .into_iter()
        .collect();
    let refs: Vec<_> = parents.iter().collect();
    repo.commit(
        Some("HEAD"),
        &sig,
        &sig,
        &format!("at {time}"),
        &tree,
        &refs,
    )
    .unwrap()
}

/// `a` added, reworded, made stricter and moved; `b` added then retired.
fn history(dir: &Path) -> (Repository, Oid) {
    let repo = Repository::init(dir).unwrap();
    let a = |r, body| ("policies/a.yaml", policy("a", r, body));
    let b = ("policies/b.yaml", policy("b", 1, "B"));
    commit(&repo, &[a(1, "Be kind."), b.clone()], 1000);
    commit(&repo, &[a(1, "Be kind, always."), b.clone()], 2000);
    commit(&repo, &[a(2, "Be kind, always, and quick."), b], 3000);
    let moved = (
        "policies/norms/a.yaml",
        policy("a", 2, "Be kind, always, and quick."),
    );
    let head = commit(&repo, &[moved], 4000);
    (repo, head)
}

fn changes(revisions: &[Revision]) -> Vec<(String, &'static str, Option<u32>, i64)> {
    revisions
        .iter()
        .map(|r| {
            (
                r.id.clone(),
                r.change.as_str(),
                r.revision,
                r.landed.seconds,
            )
        })
        .collect()
}

#[test]
fn the_walk_classifies_every_change_newest_first() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, head) = history(tmp.path());
    let all = walk(&repo, head, "policies").unwrap();
    let s = |x: &str| x.to_owned();
    assert_eq!(
        changes(&all),
        vec![
            (s("a"), "moved", Some(2), 4000),
            (s("b"), "retired", None, 4000),
            (s("a"), "material", Some(2), 3000),
            (s("a"), "editorial", Some(1), 2000),
            (s("a"), "added", Some(1), 1000),
            (s("b"), "added", Some(1), 1000),
        ]
    );
    let moved = &all[0];
    assert_eq!(moved.path, "policies/norms/a.yaml");
    assert_eq!(moved.old_path.as_deref(), Some("policies/a.yaml"));
    assert_eq!(moved.author_name, "Ana");
}

#[test]
fn one_policy_s_walk_is_the_whole_walk_filtered() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, head) = history(tmp.path());
    let mut all = walk(&repo, head, "policies").unwrap();
    all.retain(|r| r.id == "a");
    assert_eq!(
        changes(&walk_one(&repo, head, "policies", "a").unwrap()),
        changes(&all)
    );
    assert!(walk_one(&repo, head, "policies", "zzz").unwrap().is_empty());
}

#[test]
fn the_cache_answers_as_the_walk_does() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, head) = history(tmp.path());
    let walked = walk(&repo, head, "policies").unwrap();
    let first = cache::walk(&repo, head, "policies").unwrap();
    assert!(!first.reused);
    let again = cache::walk(&repo, head, "policies").unwrap();
    assert!(again.reused);
    assert_eq!(again.walked, 0);
    assert_eq!(changes(&again.revisions), changes(&walked));
    // A damaged cache is a miss: the walk is made again.
    std::fs::write(cache::path(&repo, "policies"), b"{damaged").unwrap();
    let rebuilt = cache::walk(&repo, head, "policies").unwrap();
    assert!(!rebuilt.reused);
    assert_eq!(changes(&rebuilt.revisions), changes(&walked));
}

#[test]
fn stems_and_declared_revisions() {
    assert_eq!(stem("policies/norms/a.yaml"), "a");
    assert_eq!(stem("b.yml"), "b");
    assert_eq!(revision_of("id: a\nrevision: 3\n"), Some(3));
    assert_eq!(revision_of("id: a\n"), None);
    assert_eq!(revision_of(": not yaml ["), None);
}

#[test]
fn shallow_clones_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (repo, head) = history(tmp.path());
    std::fs::write(repo.path().join("shallow"), format!("{head}\n")).unwrap();
    let repo = Repository::open(tmp.path()).unwrap();
    assert!(matches!(
        require_complete(&repo),
        Err(HistoryError::Shallow)
    ));
}

#[test]
fn the_walk_from_the_newest_commit_finds_what_the_walk_from_the_oldest_does() {
    // Folders with the same contents (one tree id in several places), a folder emptied and
    // filled again with what it had, a file moved between them and one that comes back:
    // the same revisions, in the same order, whichever end the walk starts from.
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repository::init(tmp.path()).unwrap();
    let p = |path: &str, id: &str, r, body: &str| (path.to_owned(), policy(id, r, body));
    let steps: Vec<Vec<(String, String)>> = vec![
        vec![
            p("policies/x/a.yaml", "a", 1, "A"),
            p("policies/y/a2.yaml", "a2", 1, "A"),
        ],
        vec![
            p("policies/x/a.yaml", "a", 1, "A"),
            p("policies/y/a.yaml", "a", 1, "A"),
            p("policies/z/c.yaml", "c", 1, "C"),
        ],
        vec![p("policies/z/c.yaml", "c", 2, "C, more")],
        vec![
            p("policies/x/a.yaml", "a", 1, "A"),
            p("policies/z/c.yaml", "c", 2, "C, more"),
        ],
        vec![
            p("policies/x/a.yaml", "a", 2, "A, again"),
            p("policies/y/c.yaml", "c", 2, "C, more"),
        ],
        vec![p("policies/x/a.yaml", "a", 2, "A, again")],
        vec![
            p("policies/x/a.yaml", "a", 2, "A, again"),
            p("policies/y/c.yaml", "c", 2, "C, more"),
        ],
    ];
    let mut head = Oid::ZERO_SHA1;
    for (i, files) in steps.iter().enumerate() {
        let files: Vec<(&str, String)> =
            files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
        head = commit(&repo, &files, 1000 * (i as i64 + 1));
    }
    let mut line = first_parent_line(&repo, head).unwrap();
    line.reverse();
    let forward = full_walk(&repo, &line, None, "policies", None).unwrap();
    let backward = walk(&repo, head, "policies").unwrap();
    assert!(forward.len() >= 10, "{}", forward.len());
    assert_eq!(backward, forward);
    // And from a commit in the middle of the line, compared with the one before it.
    let middle = full_walk(&repo, &line[3..], Some(&line[2]), "policies", None).unwrap();
    assert_eq!(middle[..], forward[..middle.len()]);
}

#[test]
fn grafts_are_honoured_as_libgit2_honours_them() {
    // Three commits; `info/grafts` makes the first the parent of the third, so the second
    // is not on the line (git log, and libgit2, skip it).
    let tmp = tempfile::tempdir().unwrap();
    let repo = Repository::init(tmp.path()).unwrap();
    let a = |r, body| vec![("policies/a.yaml", policy("a", r, body))];
    let first = commit(&repo, &a(1, "Be kind."), 1000);
    commit(&repo, &a(1, "Be kind, always."), 2000);
    let head = commit(&repo, &a(2, "Be kind, always, and quick."), 3000);
    let before = changes(&walk(&repo, head, "policies").unwrap());
    assert_eq!(before.len(), 3);
    std::fs::write(
        repo.path().join("info").join("grafts"),
        format!("{head} {first}\n"),
    )
    .unwrap();
    let repo = Repository::open(tmp.path()).unwrap();
    let grafted = vec![
        ("a".to_owned(), "material", Some(2), 3000),
        ("a".to_owned(), "added", Some(1), 1000),
    ];
    assert_eq!(changes(&walk(&repo, head, "policies").unwrap()), grafted);
    assert_eq!(
        changes(&walk_one(&repo, head, "policies", "a").unwrap()),
        grafted
    );
}
