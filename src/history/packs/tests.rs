//! The pack reader against libgit2 on repositories packed by git itself.

use super::*;
use git2::Repository;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// A repository of 60 commits, each rewriting one of three files in two folders a
/// little (long delta chains of blobs and trees), packed by git with `repack_args`; then
/// one more commit, left loose.
fn packed(dir: &Path, repack_args: &[&str], config: &[(&str, &str)]) -> Repository {
    let repo = Repository::init(dir).unwrap();
    let sig = git2::Signature::new("Ana", "ana@example.com", &git2::Time::new(1000, 0)).unwrap();
    let mut parent: Option<Oid> = None;
    let mut commit = |repo: &Repository, n: usize| {
        let mut root = repo.treebuilder(None).unwrap();
        for folder in ["norms", "metrics"] {
            let mut sub = repo.treebuilder(None).unwrap();
            for file in 0..3 {
                let lines: String = (0..40)
                    .map(|l| {
                        let edit = if l == n % 40 && file == n % 3 { n } else { 0 };
                        format!("{folder} {file} line {l} version {edit}\n")
                    })
                    .collect();
                let blob = repo.blob(lines.as_bytes()).unwrap();
                sub.insert(format!("p{file}.yaml"), blob, 0o100644).unwrap();
            }
            let sub = sub.write().unwrap();
            root.insert(folder, sub, 0o040000).unwrap();
        }
        let tree = repo.find_tree(root.write().unwrap()).unwrap();
        let parents: Vec<_> = parent
            .iter()
            .map(|p| repo.find_commit(*p).unwrap())
            .collect();
        let refs: Vec<_> = parents.iter().collect();
        let id = repo
            .commit(Some("HEAD"), &sig, &sig, &format!("edit {n}"), &tree, &refs)
            .unwrap();
        parent = Some(id);
    };
    for n in 0..60 {
        commit(&repo, n);
    }
    for (key, value) in config {
        git(dir, &["config", key, value]);
    }
    let mut args = vec!["repack", "-a", "-d", "-f", "-q"];
    args.extend_from_slice(repack_args);
    git(dir, &args);
    commit(&repo, 60);
    repo
}

/// The ids of every object in the repository.
fn all_ids(repo: &Repository) -> Vec<Oid> {
    let mut ids = Vec::new();
    repo.odb()
        .unwrap()
        .foreach(|id| {
            ids.push(*id);
            true
        })
        .unwrap();
    ids
}

/// Every object of the repository, read here and through libgit2: the same kind and
/// bytes; also how many this reader unpacked itself (not through libgit2).
fn same_as_libgit2(repo: &Repository) -> usize {
    let odb = repo.odb().unwrap();
    let ids = all_ids(repo);
    let packs = Packs::open(&repo.path().join("objects"));
    let mut objects = Objects::new(repo.odb().unwrap(), packs.clone());
    let mut from_packs = 0;
    // Twice: the second time many come from the cache of recent objects.
    for id in ids.iter().chain(&ids) {
        let expected = odb.read(*id).unwrap();
        let (kind, data) = objects.read(*id).unwrap();
        assert_eq!(kind, expected.kind(), "{id}");
        assert_eq!(&data[..], expected.data(), "{id}");
        // Read from the pack itself, not handed to libgit2.
        if let Some((pack, at)) = packs.find(id.as_bytes()) {
            let unpacked = objects.unpack(pack, at as usize).expect("unpacked here");
            assert_eq!(&unpacked.1[..], expected.data(), "{id}");
            from_packs += 1;
        }
    }
    assert!(ids.len() > 300, "{}", ids.len());
    from_packs
}

#[test]
fn objects_read_from_offset_deltas_are_libgit2_s() {
    let dir = tempfile::tempdir().unwrap();
    let repo = packed(dir.path(), &["--depth=50", "--window=50"], &[]);
    let from_packs = same_as_libgit2(&repo);
    // All but the loose commit's five new objects (commit, root, folder, blob), read twice.
    assert!(from_packs > 600, "{from_packs}");
}

#[test]
fn objects_read_from_reference_deltas_are_libgit2_s() {
    let dir = tempfile::tempdir().unwrap();
    let repo = packed(
        dir.path(),
        &["--depth=50"],
        &[("repack.useDeltaBaseOffset", "false")],
    );
    same_as_libgit2(&repo);
}

#[test]
fn a_missing_object_is_libgit2_s_error() {
    let dir = tempfile::tempdir().unwrap();
    let repo = packed(dir.path(), &[], &[]);
    let packs = Packs::open(&repo.path().join("objects"));
    let mut objects = Objects::new(repo.odb().unwrap(), packs);
    let missing = Oid::from_str("0123456789012345678901234567890123456789").unwrap();
    let error = objects.read(missing).unwrap_err();
    assert_eq!(error.code(), git2::ErrorCode::NotFound);
}

#[test]
fn a_damaged_pack_is_read_as_libgit2_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let repo = packed(dir.path(), &["--depth=50"], &[]);
    let ids = all_ids(&repo);
    // Every 97th byte of the pack's objects flipped: headers, streams and deltas broken.
    let pack_dir = repo.path().join("objects/pack");
    for entry in std::fs::read_dir(&pack_dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pack") {
            let mut bytes = std::fs::read(&path).unwrap();
            let end = bytes.len() - 20;
            for at in (12..end).step_by(97) {
                bytes[at] ^= 0x5a;
            }
            let mut permissions = std::fs::metadata(&path).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            permissions.set_readonly(false);
            std::fs::set_permissions(&path, permissions).unwrap();
            std::fs::write(&path, bytes).unwrap();
        }
    }
    let fresh = Repository::open(dir.path()).unwrap();
    let odb = fresh.odb().unwrap();
    let packs = Packs::open(&fresh.path().join("objects"));
    let mut objects = Objects::new(fresh.odb().unwrap(), packs);
    let mut failed = 0;
    for id in ids {
        // Whatever this reader makes of a damaged object, it never panics; where it
        // answers, libgit2 answers the same bytes or fails too (zlib's checksum catches
        // a damaged stream either way).
        match (objects.read(id), odb.read(id)) {
            (Ok((kind, data)), Ok(expected)) => {
                assert_eq!(
                    (kind, &data[..]),
                    (expected.kind(), expected.data()),
                    "{id}"
                );
            }
            (Ok(_), Err(_)) => {}
            (Err(_), _) => failed += 1,
        }
    }
    assert!(failed > 0);
}

#[test]
fn deltas_that_do_not_fit_their_base_are_refused() {
    let base = b"0123456789";
    // from 10, to 4: copy 4 bytes at offset 2.
    assert_eq!(&*apply(base, &[10, 4, 0x91, 2, 4]).unwrap(), b"2345");
    // Insert 3 literal bytes.
    assert_eq!(
        &*apply(base, &[10, 3, 3, b'a', b'b', b'c']).unwrap(),
        b"abc"
    );
    // The wrong base size, a copy past the base's end, an insert past the delta's end,
    // the reserved op 0, a result longer or shorter than declared.
    assert!(apply(base, &[9, 4, 0x91, 2, 4]).is_none());
    assert!(apply(base, &[10, 4, 0x91, 8, 4]).is_none());
    assert!(apply(base, &[10, 3, 5, b'a', b'b', b'c']).is_none());
    assert!(apply(base, &[10, 0, 0]).is_none());
    assert!(apply(base, &[10, 3, 0x91, 2, 4]).is_none());
    assert!(apply(base, &[10, 5, 0x91, 2, 4]).is_none());
    // A size field of eleven continuation bytes, and an offset copy of 2^32 - 1.
    assert!(apply(base, &[0xff; 12]).is_none());
    assert!(apply(base, &[10, 4, 0x8f, 0xff, 0xff, 0xff, 0xff]).is_none());
}

#[test]
fn hostile_entry_headers_are_refused() {
    // A size of more than 64 bits, a header cut short, a base before the pack's header
    // and a base after its delta.
    let mut long = vec![0xb0];
    long.extend([0xff; 12]);
    assert!(header(&long, 0).is_none());
    assert!(header(&[0x90], 0).is_none());
    assert_eq!(header(&[0x35], 0), Some((3, 5, 1)));
    assert_eq!(offset_base(&[5; 40], 20, 0), Some((15, 1)));
    assert!(offset_base(&[0; 40], 20, 0).is_none());
    assert!(offset_base(&[30; 40], 20, 0).is_none());
    assert!(offset_base(&[0xff; 40], 20, 0).is_none());
}
