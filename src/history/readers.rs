//! The blob readers of a history walk: while the walk compares trees on the calling
//! thread, the texts it meets are inflated on the other cores, each with its own handle on
//! the object database. Nothing here prints.

use super::Texts;
use super::classify::{Declared, TextFacts};
use super::packs::{Objects, Packs};
use git2::{Oid, Repository};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};

/// Runs `walk` on this thread while readers on the other cores read the declared revision
/// (and the text, when `texts` is given) of every blob it sends; then reads what is left
/// here too and gathers what was read.
///
/// A pipeline, not a parallel map: the walk runs on this thread's repository handle, which
/// cannot be shared, while each reader opens its own, so rayon does not fit.
pub(super) fn with_readers<R>(
    repo: &Repository,
    packs: &Arc<Packs>,
    texts: Option<&mut Texts>,
    walk: impl FnOnce(&Sender<Oid>) -> R,
) -> (R, Declared) {
    let (tx, rx) = std::sync::mpsc::channel::<Oid>();
    let rx = Mutex::new(rx);
    let keep = texts.is_some();
    let objects = repo.commondir().join("objects");
    std::thread::scope(|scope| {
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get().saturating_sub(1))
            .max(1);
        let (path, objects, rx) = (repo.path(), objects.as_path(), &rx);
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let packs = packs.clone();
                scope.spawn(move || read_declared(path, objects, packs, rx, keep))
            })
            .collect();
        let walked = walk(&tx);
        drop(tx);
        // The walk done, this thread reads what is left too (the readers are the longer
        // half of the work).
        let mine = repo.odb().map_or_else(
            |_| Vec::new(),
            |odb| read_blobs(Objects::new(odb, packs.clone()), rx, keep),
        );
        let mut reads = vec![mine];
        reads.extend(
            handles
                .into_iter()
                .map(|h| h.join().expect("blob reader thread panicked")),
        );
        let count = reads.iter().map(Vec::len).sum();
        let mut declared = Declared::default();
        declared.0.reserve(count);
        let mut texts = texts;
        if let Some(texts) = texts.as_deref_mut() {
            texts.reserve(count);
        }
        for read in reads {
            for (blob, facts, text) in read {
                declared.0.insert(blob, facts);
                if let (Some(texts), Some(text)) = (texts.as_deref_mut(), text) {
                    texts.insert(blob, text);
                }
            }
        }
        (walked, declared)
    })
}

/// What a blob says, and its text when asked for.
type ReadBlob = (Oid, TextFacts, Option<Arc<str>>);

/// Reads the declared revision (and the text, when `keep`) of every blob sent, with its
/// own reader of the packs and its own handle on the object database (for what that reader
/// leaves to libgit2).
///
/// The handle reaches the packs through a path spelled differently (`objects/.`): libgit2
/// shares one reader per pack path across the process, locked for each object, and the walk
/// reads trees from the same packs meanwhile. With a reader of its own, this thread does
/// not wait on the walk's locks (on 2 cores the two threads spent a fifth of the walk
/// asleep, waking each other).
fn read_declared(
    git_dir: &std::path::Path,
    objects: &std::path::Path,
    packs: Arc<Packs>,
    blobs: &Mutex<Receiver<Oid>>,
    keep: bool,
) -> Vec<ReadBlob> {
    let own = || -> Result<git2::Odb<'static>, git2::Error> {
        let odb = git2::Odb::new()?;
        odb.add_disk_alternate(&format!("{}/.", objects.display()))?;
        Ok(odb)
    };
    if let Ok(odb) = own() {
        return read_blobs(Objects::new(odb, packs), blobs, keep);
    }
    // Should that handle fail, the repository's own.
    let Ok(repo) = Repository::open(git_dir) else {
        return Vec::new();
    };
    repo.odb().map_or_else(
        |_| Vec::new(),
        |odb| read_blobs(Objects::new(odb, packs), blobs, keep),
    )
}

/// [`read_declared`] on an object database already open.
fn read_blobs(mut objects: Objects, blobs: &Mutex<Receiver<Oid>>, keep: bool) -> Vec<ReadBlob> {
    let mut out = Vec::new();
    loop {
        let next = blobs.lock().map(|rx| rx.recv());
        let Ok(Ok(blob)) = next else {
            return out;
        };
        // A blob that cannot be read is left to be read on demand (and to fail there).
        let Ok((kind, content)) = objects.read(blob) else {
            continue;
        };
        if kind != git2::ObjectType::Blob {
            continue;
        }
        let content = &content[..];
        if !keep {
            let facts = std::str::from_utf8(content)
                .map(TextFacts::of)
                .unwrap_or_default();
            out.push((blob, facts, None));
            continue;
        }
        let (facts, text) = match std::str::from_utf8(content) {
            Ok(text) => (TextFacts::of(text), Arc::from(text)),
            Err(_) => (
                TextFacts::default(),
                Arc::from(String::from_utf8_lossy(content).as_ref()),
            ),
        };
        out.push((blob, facts, Some(text)));
    }
}
