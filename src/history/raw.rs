//! Commits and trees read raw from the object database, for the history walks: a commit's
//! root tree and first parent from its header, a tree's entries scanned in place. libgit2
//! would parse every entry of every tree into an array (a fifth of a walk's time) and keep
//! each object read in its cache; here each folder is read once per walk and only the
//! folders of the tree being compared are held. Nothing here prints.

use super::packs::Objects;
use super::trees::{FileChange, MAX_DEPTH, depth};
use git2::{ObjectType, Oid};
use std::cmp::Ordering;

use std::rc::Rc;

/// What a walk reads of a commit: its root tree and its first parent, and its raw bytes
/// (for [`super::landing::Landing::parse`]).
pub(super) struct RawCommit {
    pub(super) tree: Oid,
    pub(super) parent: Option<Oid>,
    pub(super) data: std::sync::Arc<[u8]>,
}

fn corrupt(what: &str, id: Oid) -> git2::Error {
    git2::Error::from_str(&format!("{what} {id} is corrupt"))
}

/// The root tree and first parent of commit `id`, from its raw object (the header's
/// `tree` line, then its first `parent` line).
pub(super) fn read_commit(objects: &mut Objects, id: Oid) -> Result<RawCommit, git2::Error> {
    let (kind, data) = objects.read(id)?;
    if kind != ObjectType::Commit {
        return Err(git2::Error::from_str(&format!(
            "object {id} is not a commit"
        )));
    }
    // 40 hex digits exactly, as libgit2's parser wants them (`Oid::from_str` would take a
    // shorter prefix).
    let hex = |line: Option<&[u8]>, key: &[u8]| -> Option<Oid> {
        let rest = line?.strip_prefix(key)?;
        (rest.len() == 40)
            .then(|| Oid::from_str(std::str::from_utf8(rest).ok()?).ok())
            .flatten()
    };
    let mut lines = data.split(|b| *b == b'\n');
    let tree = hex(lines.next(), b"tree ").ok_or_else(|| corrupt("commit", id))?;
    let parent = lines.next().and_then(|l| hex(Some(l), b"parent "));
    Ok(RawCommit {
        tree,
        parent,
        data: std::sync::Arc::from(&data[..]),
    })
}

const FOLDER: u32 = 0o040000;
const KIND: u32 = 0o170000;
const LINK: u32 = 0o160000;

/// Whether a tree entry's mode is a folder's (libgit2's and git's test).
fn is_folder(mode: u32) -> bool {
    mode & KIND == FOLDER
}

/// The entries along a path from a root tree: the root's own id (as a folder), then the
/// entry (id, mode) for each name of the path, as far as they exist.
#[derive(Clone, Debug, Default)]
pub(super) struct Along(pub(super) Vec<(Oid, u32)>);

impl Along {
    /// The blob at the end of `path`, if the whole path is there and ends in a file (a
    /// folder or a submodule is not one).
    pub(super) fn blob(&self, path: &str) -> Option<Oid> {
        let n = path.split('/').count();
        if self.0.len() != n + 1 || self.0[..n].iter().any(|(_, m)| !is_folder(*m)) {
            return None;
        }
        let (id, mode) = self.0[n];
        (!is_folder(mode) && mode & KIND != LINK).then_some(id)
    }

    /// The folder at the end of the path, if the whole path is there and is one.
    fn folder(&self, names: usize) -> Option<Oid> {
        (self.0.len() == names + 1 && self.0.iter().all(|(_, m)| is_folder(*m)))
            .then(|| self.0[names].0)
    }
}

/// The entries along `path` from the tree `root`. Where an entry has the id it has in
/// `known` (the same path in another commit), the rest is taken from `known` unread.
pub(super) fn follow(
    objects: &mut Objects,
    root: Oid,
    path: &str,
    known: &[(Oid, u32)],
) -> Result<Along, git2::Error> {
    let mut out = vec![(root, FOLDER)];
    let mut tree = root;
    for (depth, name) in path.split('/').enumerate() {
        if known.get(depth) == out.last() {
            out.extend_from_slice(&known[depth + 1..]);
            return Ok(Along(out));
        }
        let (kind, data) = objects.read(tree)?;
        if kind != ObjectType::Tree {
            return Err(corrupt("tree", tree));
        }
        let found = Entries(&data)
            .find(|e| e.as_ref().map_or(true, |e| e.name == name.as_bytes()))
            .transpose()
            .map_err(|()| corrupt("tree", tree))?;
        let Some(entry) = found else {
            break;
        };
        let id = entry.oid()?;
        out.push((id, entry.mode));
        if !is_folder(entry.mode) {
            break;
        }
        tree = id;
    }
    Ok(Along(out))
}

/// The policy folder `dir` (a `/` path, empty for the root) of the commit whose root tree
/// is `root`, if it is a folder there.
pub(super) fn folder_at(
    objects: &mut Objects,
    root: Oid,
    dir: &str,
) -> Result<Option<Oid>, git2::Error> {
    if dir.is_empty() {
        return Ok(Some(root));
    }
    Ok(follow(objects, root, dir, &[])?.folder(dir.split('/').count()))
}

/// One entry of a raw tree (its id as the 20 bytes stored).
#[derive(Clone, Copy)]
struct Entry<'a> {
    mode: u32,
    name: &'a [u8],
    id: &'a [u8],
}

impl Entry<'_> {
    fn oid(&self) -> Result<Oid, git2::Error> {
        Oid::from_bytes(self.id)
    }
}

/// The entries of a raw tree in their stored order; an `Err` where it cannot be parsed.
struct Entries<'a>(&'a [u8]);

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let data = self.0;
        // Every entry is read (a tree compared is mostly unchanged entries): one search
        // for its end and one for the space after its mode.
        let entry = (|| {
            let nul = memchr::memchr(0, data).ok_or(())?;
            let head = &data[..nul];
            let space = memchr::memchr(b' ', head).filter(|n| *n > 0).ok_or(())?;
            let mut mode = 0u32;
            for digit in &head[..space] {
                if !(b'0'..=b'7').contains(digit) || mode > (u32::MAX >> 3) {
                    return Err(());
                }
                mode = mode * 8 + u32::from(digit - b'0');
            }
            let id = data.get(nul + 1..nul + 21).ok_or(())?;
            Ok((
                Entry {
                    mode,
                    name: &head[space + 1..],
                    id,
                },
                nul + 21,
            ))
        })();
        Some(match entry {
            Ok((entry, end)) => {
                self.0 = &data[end..];
                Ok(entry)
            }
            Err(()) => {
                self.0 = &[];
                Err(())
            }
        })
    }
}

/// Where the entries two raw trees begin with, the same bytes in both, end: the offset of
/// the first entry that differs (or of the end).
fn shared_entries(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut same = 0;
    while same + 8 <= n && a[same..same + 8] == b[same..same + 8] {
        same += 8;
    }
    while same < n && a[same] == b[same] {
        same += 1;
    }
    let mut start = 0;
    while let Some(nul) = memchr::memchr(0, &a[start..]) {
        let end = start + nul + 21;
        if end > same {
            break;
        }
        start = end;
    }
    start
}

/// Git's order of tree entries: names bytewise, a folder's name as if followed by `/`.
fn git_order(a: &Entry, b: &Entry) -> Ordering {
    let (x, y) = (a.name, b.name);
    let n = x.len().min(y.len());
    x[..n].cmp(&y[..n]).then_with(|| {
        let next = |e: &Entry| {
            e.name
                .get(n)
                .copied()
                .unwrap_or(if is_folder(e.mode) { b'/' } else { 0 })
        };
        next(a).cmp(&next(b))
    })
}

/// Which side of a comparison [`Held`] holds afterwards: the newer tree's folders for a
/// walk from the oldest commit, the older tree's for one from the newest.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Hold {
    Old,
    New,
}

/// The folders of the tree last compared, raw, each with the number of places it stands
/// in that tree: comparing the next commit's tree reads only the folders that changed.
#[derive(Default)]
pub(super) struct Held(super::ids::IdMap<Oid, (usize, Rc<[u8]>)>);

impl Held {
    /// Folder `id`, raw: held, or read (and then held) when `hold`.
    fn get(&mut self, objects: &mut Objects, id: Oid, hold: bool) -> Result<Rc<[u8]>, git2::Error> {
        if let Some((count, data)) = self.0.get_mut(&id) {
            *count += usize::from(hold);
            return Ok(data.clone());
        }
        let (kind, data) = objects.read(id)?;
        if kind != ObjectType::Tree {
            return Err(corrupt("tree", id));
        }
        if hold {
            self.0.insert(id, (1, data.clone()));
        }
        Ok(data)
    }

    /// Folder `id` stands in one place fewer.
    fn release(&mut self, id: Oid) {
        if let Some((count, _)) = self.0.get_mut(&id) {
            *count -= 1;
            if *count == 0 {
                self.0.remove(&id);
            }
        }
    }

    /// Compares the folders `old` and `new` entry by entry, descending only into folders
    /// whose ids differ, like [`super::trees::diff`] (the same `keep`, paths and depth
    /// limit). One side is held already (the tree last compared); afterwards the side
    /// `hold` names is held in its place.
    pub(super) fn diff(
        &mut self,
        objects: &mut Objects,
        (old, new): (Option<Oid>, Option<Oid>),
        prefix: &str,
        keep: &dyn Fn(&str, bool) -> bool,
        out: &mut Vec<FileChange>,
        hold: Hold,
    ) -> Result<(), git2::Error> {
        if old == new {
            return Ok(());
        }
        let a = old
            .map(|id| self.get(objects, id, hold == Hold::Old))
            .transpose()?;
        let b = new
            .map(|id| self.get(objects, id, hold == Hold::New))
            .transpose()?;
        let bad = |id: Option<Oid>| move |()| corrupt("tree", id.unwrap_or(Oid::ZERO_SHA1));
        let (a_raw, b_raw) = (
            a.as_deref().unwrap_or_default(),
            b.as_deref().unwrap_or_default(),
        );
        // Most entries of a changed folder are unchanged: the entries both sides share at
        // the start are skipped by comparing bytes, and the walk stops where the rests
        // are the same bytes.
        let start = shared_entries(a_raw, b_raw);
        let (mut ia, mut ib) = (Entries(&a_raw[start..]), Entries(&b_raw[start..]));
        let (mut ea, mut eb) = (
            ia.next().transpose().map_err(bad(old))?,
            ib.next().transpose().map_err(bad(new))?,
        );
        loop {
            let order = match (&ea, &eb) {
                (None, None) => break,
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(x), Some(y)) => git_order(x, y),
            };
            let (left, right) = match order {
                Ordering::Less => (ea.take(), None),
                Ordering::Greater => (None, eb.take()),
                Ordering::Equal => (ea.take(), eb.take()),
            };
            if left.map(|e| e.id) != right.map(|e| e.id) {
                self.changed(objects, (left, right), prefix, keep, out, hold)?;
                if ea.is_none() && eb.is_none() && ia.0 == ib.0 {
                    break;
                }
            }
            if ea.is_none() {
                ea = ia.next().transpose().map_err(bad(old))?;
            }
            if eb.is_none() {
                eb = ib.next().transpose().map_err(bad(new))?;
            }
        }
        let released = match hold {
            Hold::New => old,
            Hold::Old => new,
        };
        if let Some(id) = released {
            self.release(id);
        }
        Ok(())
    }

    /// One name whose entry differs between the two folders (either side may be absent).
    fn changed(
        &mut self,
        objects: &mut Objects,
        (old, new): (Option<Entry>, Option<Entry>),
        prefix: &str,
        keep: &dyn Fn(&str, bool) -> bool,
        out: &mut Vec<FileChange>,
        hold: Hold,
    ) -> Result<(), git2::Error> {
        let name = old.or(new).map(|e| e.name).unwrap_or_default();
        let name = String::from_utf8_lossy(name);
        let path = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}/{name}")
        };
        let too_deep = depth(prefix) >= MAX_DEPTH;
        let folder = |e: Option<Entry>| match e {
            Some(e) if is_folder(e.mode) && !too_deep && keep(&name, true) => e.oid().map(Some),
            _ => Ok(None),
        };
        let (fa, fb) = (folder(old)?, folder(new)?);
        if fa.is_some() || fb.is_some() {
            self.diff(objects, (fa, fb), &path, keep, out, hold)?;
        }
        let blob = |e: Option<Entry>| match e {
            Some(e) if (!is_folder(e.mode) || too_deep) && keep(&name, false) => e.oid().map(Some),
            _ => Ok(None),
        };
        let (ba, bb) = (blob(old)?, blob(new)?);
        if (ba.is_some() || bb.is_some()) && ba != bb {
            out.push((path, ba, bb));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_refuse_a_truncated_tree() {
        let mut data = b"100644 a.yaml\0".to_vec();
        data.extend_from_slice(&[7; 20]);
        let all: Vec<_> = Entries(&data).collect();
        assert_eq!(all.len(), 1);
        assert!(all[0].is_ok_and(|e| e.name == b"a.yaml" && e.mode == 0o100644));
        data.truncate(data.len() - 1);
        assert!(Entries(&data).next().is_some_and(|e| e.is_err()));
        assert!(Entries(b"10x644 a\0").next().is_some_and(|e| e.is_err()));
    }

    #[test]
    fn shared_entries_end_at_the_first_entry_that_differs() {
        let entry = |name: &str, id: u8| {
            let mut e = format!("100644 {name}\0").into_bytes();
            e.extend_from_slice(&[id; 20]);
            e
        };
        let a = [entry("a", 1), entry("b", 2), entry("c", 3)].concat();
        let b = [entry("a", 1), entry("b", 9), entry("c", 3)].concat();
        assert_eq!(shared_entries(&a, &b), entry("a", 1).len());
        assert_eq!(shared_entries(&a, &a), a.len());
        assert_eq!(
            shared_entries(&a, &a[..entry("a", 1).len()]),
            entry("a", 1).len()
        );
        // A difference inside an id: the entry with that id starts the comparison.
        let c = [entry("a", 1), entry("b", 2), entry("c", 4)].concat();
        assert_eq!(shared_entries(&a, &c), 2 * entry("a", 1).len());
    }
}
