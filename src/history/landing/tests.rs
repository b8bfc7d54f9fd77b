//! The plain-commit parser against libgit2, on commits written raw.

use super::*;

const TREE: &str = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n";
const PARENT: &str = "parent 0123456789abcdef0123456789abcdef01234567\n";
const AUTHOR: &str = "author Ana Lima <ana@example.com> 1700000000 +0100\n";
const COMMITTER: &str = "committer Bo <bo@example.com> 1700000100 -0230\n";

/// Writes `raw` as a commit and returns what this parser and libgit2 make of it.
fn both(repo: &git2::Repository, raw: &str) -> (Option<Landing>, Option<Landing>) {
    let id = repo
        .odb()
        .unwrap()
        .write(git2::ObjectType::Commit, raw.as_bytes())
        .unwrap();
    let ours = Landing::parse(id, raw.as_bytes());
    let theirs = repo.find_commit(id).ok().map(|c| Landing::of(&c));
    (ours, theirs)
}

#[test]
fn plain_commits_are_parsed_as_libgit2_parses_them() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    let messages = [
        "Tighten the refund rule\n",
        "Tighten the refund rule",
        "\n\n\nLeading newlines\n\nBody.\n",
        "Wrapped\nsubject line\n\nBody.\n",
        "Wrapped \t\n  and indented\n",
        "Tabs\tand  two spaces, trailing spaces   \n",
        "Windows line\r\nendings\r\n\r\nBody\r\n",
        "Stops at a line of blanks\n \t \nBody\n",
        "Form\x0cfeed and vertical\x0btab\n",
        "Ünïcödé — ✓ 规则\n",
        "",
        "\n",
        "   \n  leading blanks on the first line\n",
        "a\n\n",
    ];
    let mut parsed = 0;
    for message in messages {
        for parents in ["", PARENT] {
            let raw = format!("{TREE}{parents}{AUTHOR}{COMMITTER}\n{message}");
            let (ours, theirs) = both(&repo, &raw);
            let ours = ours.unwrap_or_else(|| panic!("not parsed: {raw:?}"));
            assert_eq!(Some(ours), theirs, "{raw:?}");
            parsed += 1;
        }
    }
    assert_eq!(parsed, 2 * messages.len());
}

#[test]
fn odd_signatures_are_libgit2_s_or_left_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    let authors = [
        // Parsed here.
        ("Ana <a@x> 0 +0000", true),
        ("Ana <a@x> 1700000000 -0000", true),
        ("Ana <a@x> 1700000000 +1459", true),
        ("Ana <a@x> 000001700000000 -1400", true),
        (
            "Ana Maria da Silva <a.m@x.example> 999999999999999999 +0530",
            true,
        ),
        ("Ünïcödé Ñame <ü@x> 1 +0100", true),
        // Left to libgit2.
        ("Ana <a@x> 1700000000 +1500", false),
        ("Ana <a@x> 1700000000 +0160", false),
        ("Ana <a@x> 1700000000 +100", false),
        ("Ana <a@x> 1700000000 +01000", false),
        ("Ana <a@x> 1700000000 0100", false),
        ("Ana <a@x> 1700000000", false),
        ("Ana <a@x>", false),
        ("Ana <a@x> -5 +0100", false),
        ("Ana <a@x> 9999999999999999999 +0100", false),
        ("Ana <a@x>  1700000000 +0100", false),
        ("Ana <a@x> 1700000000 +0100 trailing", false),
        ("Ana <a@x> 1700000000 +0100\r", false),
        ("Ana  <a@x> 1700000000 +0100", false),
        (" Ana <a@x> 1700000000 +0100", false),
        ("Ana < a@x > 1700000000 +0100", false),
        ("<a@x> 1700000000 +0100", false),
        ("Ana <a@x> <b@y> 1700000000 +0100", false),
        ("Ana a@x> 1700000000 +0100", false),
        ("Ana <a@x 1700000000 +0100", false),
        ("Ana >a@x< 1700000000 +0100", false),
    ];
    for (author, plain) in authors {
        let raw = format!("{TREE}author {author}\n{COMMITTER}\nSubject\n");
        let (ours, theirs) = both(&repo, &raw);
        assert_eq!(ours.is_some(), plain, "{raw:?}");
        if let Some(ours) = ours {
            assert_eq!(Some(ours), theirs, "{raw:?}");
        }
    }
}

#[test]
fn other_headers_merges_and_bytes_are_left_to_libgit2() {
    let dir = tempfile::tempdir().unwrap();
    let repo = git2::Repository::init(dir.path()).unwrap();
    let left = [
        format!("{TREE}{PARENT}{PARENT}{AUTHOR}{COMMITTER}\nMerge\n"),
        format!("{TREE}{AUTHOR}{COMMITTER}encoding ISO-8859-1\n\nS\n"),
        format!("{TREE}{AUTHOR}{COMMITTER}gpgsig -----BEGIN-----\n abc\n -----END-----\n\nS\n"),
        format!("{TREE}{AUTHOR}{AUTHOR}{COMMITTER}\nTwo authors\n"),
        format!("{TREE}{AUTHOR}{COMMITTER}"),
        format!("{TREE}{AUTHOR}{COMMITTER}\nA NUL\0inside\n"),
        format!("{AUTHOR}{COMMITTER}\nNo tree\n"),
        "tree 4b825dc642cb6eb9a060e54bf8d69288fbee490\nauthor A <a> 1 +0000\ncommitter A <a> 1 +0000\n\nS\n".to_owned(),
        "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent abc\nauthor A <a> 1 +0000\ncommitter A <a> 1 +0000\n\nS\n".to_owned(),
    ];
    for raw in left {
        assert_eq!(both(&repo, &raw).0, None, "{raw:?}");
    }
    // Bytes that are not UTF-8.
    let raw = [
        TREE.as_bytes(),
        AUTHOR.as_bytes(),
        COMMITTER.as_bytes(),
        b"\nS\xff\n",
    ]
    .concat();
    assert_eq!(Landing::parse(Oid::ZERO_SHA1, &raw), None);
}
