//! Objects read straight from the repository's pack files, for the history walks.
//!
//! A walk reads tens of thousands of small objects, each a zlib stream of its own. libgit2
//! inflates them with zlib's streaming API into a buffer of the exact size, so zlib finishes
//! every stream on its slow path, and takes a lock and a window for each. Here the pack
//! index is searched in place, each stream is inflated whole by libdeflate (about half
//! the instructions), and deltas are applied against a cache of the objects this reader
//! read last: in a walk, the version of a folder or file read one commit earlier is
//! usually the base of the next one.
//!
//! Whatever this reader does not handle (a loose object, an index of version 1, an object
//! larger than [`LARGEST`], anything that does not parse) is read through libgit2 instead,
//! so the answer is the same either way; libgit2 also reports the errors. Nothing here
//! prints.

use git2::{ObjectType, Odb, Oid};
use libdeflater::Decompressor;
use memmap2::Mmap;
use std::collections::VecDeque;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

/// An object as read: its kind and its bytes.
pub(super) type Raw = (ObjectType, Rc<[u8]>);

/// Objects larger than this (or deltas that claim to make one) are read through libgit2.
const LARGEST: usize = 64 << 20;

/// The longest delta chain followed here; git's default is 50, `--depth` allows 4,095.
const CHAIN: usize = 5_000;

/// What the cache of objects last read may hold, per reader (libgit2 allows 16 MB a pack).
const CACHE_BYTES: usize = 24 << 20;

/// The repository's pack files, mapped, with their indexes: shared by a walk's threads.
pub(super) struct Packs(Vec<Pack>);

/// One pack file and its index (version 2).
struct Pack {
    index: Mmap,
    pack: Mmap,
    count: usize,
}

/// The index's fan-out table starts after its magic number and version.
const FANOUT: usize = 8;
/// Its object names start after the fan-out table.
const NAMES: usize = FANOUT + 256 * 4;

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn map(path: &Path) -> Option<Mmap> {
    let file = std::fs::File::open(path).ok()?;
    // SAFETY: git never rewrites a pack or an index in place: new ones are written under
    // temporary names and renamed, and an unlinked file stays mapped (libgit2 maps packs
    // the same way).
    unsafe { Mmap::map(&file) }.ok()
}

impl Packs {
    /// The packs under `objects/pack`; a pack whose files cannot be mapped or do not
    /// parse is left out (libgit2 reads its objects).
    pub(super) fn open(objects: &Path) -> Arc<Packs> {
        let mut indexes: Vec<_> = std::fs::read_dir(objects.join("pack"))
            .into_iter()
            .flatten()
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|e| e == "idx"))
            .collect();
        indexes.sort();
        Arc::new(Packs(
            indexes.iter().filter_map(|i| Pack::open(i)).collect(),
        ))
    }

    /// The pack holding object `id` and the object's offset in it.
    fn find(&self, id: &[u8]) -> Option<(usize, u64)> {
        self.0
            .iter()
            .enumerate()
            .find_map(|(n, pack)| Some((n, pack.find(id)?)))
    }
}

impl Pack {
    fn open(index_path: &Path) -> Option<Pack> {
        let index = map(index_path)?;
        let pack = map(&index_path.with_extension("pack"))?;
        if index.get(..FANOUT)? != b"\xfftOc\0\0\0\x02" {
            return None;
        }
        let mut count = 0;
        for n in 0..256 {
            let upto = be32(&index, FANOUT + 4 * n)?;
            if upto < count {
                return None;
            }
            count = upto;
        }
        let count = usize::try_from(count).ok()?;
        // Names (20 bytes), checksums (4), offsets (4), large offsets (8 each), then the
        // two trailing checksums (40).
        let large_at = NAMES + count * 28;
        if index.len() < large_at + 40 || !(index.len() - large_at - 40).is_multiple_of(8) {
            return None;
        }
        if pack.get(..4)? != b"PACK" || !matches!(be32(&pack, 4)?, 2 | 3) || pack.len() < 32 {
            return None;
        }
        Some(Pack { index, pack, count })
    }

    /// Object `id`'s offset in the pack, by binary search among the names its first
    /// byte's fan-out entry brackets.
    fn find(&self, id: &[u8]) -> Option<u64> {
        let first = usize::from(*id.first()?);
        let mut lo = match first {
            0 => 0,
            _ => be32(&self.index, FANOUT + 4 * (first - 1))? as usize,
        };
        let mut hi = (be32(&self.index, FANOUT + 4 * first)? as usize).min(self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let name = self.index.get(NAMES + mid * 20..NAMES + mid * 20 + 20)?;
            match name.cmp(id) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return self.offset(mid),
            }
        }
        None
    }

    /// The offset of the `n`th object in name order: 31 bits, or an index into the table
    /// of 64-bit offsets.
    fn offset(&self, n: usize) -> Option<u64> {
        let offsets = NAMES + self.count * 24;
        let small = be32(&self.index, offsets + 4 * n)?;
        if small & 0x8000_0000 == 0 {
            return Some(u64::from(small));
        }
        let at = offsets + self.count * 4 + 8 * (small & 0x7fff_ffff) as usize;
        // The large offsets end where the trailing checksums begin.
        let bytes = self.index.get(at..(at + 8).min(self.index.len() - 40))?;
        Some(u64::from_be_bytes(bytes.try_into().ok()?))
    }

    /// The pack's bytes up to its trailing checksum.
    fn body(&self) -> &[u8] {
        &self.pack[..self.pack.len() - 20]
    }
}

/// The kind of a pack entry's type number, for the four kinds of object.
fn kind(number: u8) -> Option<ObjectType> {
    Some(match number {
        1 => ObjectType::Commit,
        2 => ObjectType::Tree,
        3 => ObjectType::Blob,
        4 => ObjectType::Tag,
        _ => return None,
    })
}

/// A pack entry's header at `at`: its type number, its inflated size, and where what
/// follows the header starts.
fn header(pack: &[u8], at: usize) -> Option<(u8, usize, usize)> {
    let mut p = at;
    let mut byte = *pack.get(p)?;
    p += 1;
    let number = (byte >> 4) & 7;
    let mut size = u64::from(byte & 15);
    let mut shift = 4;
    while byte & 0x80 != 0 {
        byte = *pack.get(p)?;
        p += 1;
        if shift > 56 {
            return None;
        }
        size |= u64::from(byte & 0x7f) << shift;
        shift += 7;
    }
    Some((number, usize::try_from(size).ok()?, p))
}

/// The base of an offset delta at `at`, whose relative offset is encoded from `p` on;
/// also where the delta's stream starts. A base always lies before its delta.
fn offset_base(pack: &[u8], at: usize, mut p: usize) -> Option<(usize, usize)> {
    let mut byte = *pack.get(p)?;
    p += 1;
    let mut back = u64::from(byte & 0x7f);
    while byte & 0x80 != 0 {
        byte = *pack.get(p)?;
        p += 1;
        back = back.checked_add(1)?.checked_mul(128)? | u64::from(byte & 0x7f);
    }
    let base = at.checked_sub(usize::try_from(back).ok()?)?;
    (base >= 12 && base < at).then_some((base, p))
}

/// A delta's size field (7 bits a byte, least significant first) from `*p`.
fn delta_size(delta: &[u8], p: &mut usize) -> Option<usize> {
    let mut size = 0u64;
    let mut shift = 0;
    loop {
        let byte = *delta.get(*p)?;
        *p += 1;
        if shift > 56 {
            return None;
        }
        size |= u64::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            return usize::try_from(size).ok();
        }
    }
}

/// `base` with git's `delta` applied; `None` where the delta does not fit the base. Made
/// in place in the shared buffer the cache keeps (no copy into it afterwards).
fn apply(base: &[u8], delta: &[u8]) -> Option<Rc<[u8]>> {
    let mut p = 0;
    let from = delta_size(delta, &mut p)?;
    let to = delta_size(delta, &mut p)?;
    if from != base.len() || to > LARGEST {
        return None;
    }
    let mut shared = zeroed(to);
    let out = Rc::get_mut(&mut shared)?;
    let mut made = 0;
    while let Some(&op) = delta.get(p) {
        p += 1;
        let piece = if op & 0x80 != 0 {
            // Copy from the base: the offset's and the length's bytes that are present.
            let (mut offset, mut length) = (0usize, 0usize);
            for bit in 0..7 {
                if op & (1 << bit) != 0 {
                    let byte = usize::from(*delta.get(p)?);
                    p += 1;
                    match bit {
                        0..4 => offset |= byte << (8 * bit),
                        _ => length |= byte << (8 * (bit - 4)),
                    }
                }
            }
            if length == 0 {
                length = 0x10000;
            }
            base.get(offset..offset.checked_add(length)?)?
        } else if op != 0 {
            let end = p + usize::from(op);
            let insert = delta.get(p..end)?;
            p = end;
            insert
        } else {
            return None;
        };
        // A delta that makes more than it declared does not fit.
        out.get_mut(made..made + piece.len())?
            .copy_from_slice(piece);
        made += piece.len();
    }
    (made == to).then_some(shared)
}

/// `size` zero bytes, shared: allocated once, at their size.
fn zeroed(size: usize) -> Rc<[u8]> {
    std::iter::repeat_n(0u8, size).collect()
}

/// The objects a reader read last, by pack and offset, up to [`CACHE_BYTES`]; the
/// oldest go first.
#[derive(Default)]
struct Recent {
    objects: foldhash::HashMap<(usize, usize), Raw>,
    order: VecDeque<(usize, usize)>,
    bytes: usize,
}

impl Recent {
    fn get(&self, key: (usize, usize)) -> Option<Raw> {
        self.objects.get(&key).cloned()
    }

    fn put(&mut self, key: (usize, usize), raw: &Raw) {
        let size = raw.1.len();
        if size > CACHE_BYTES / 16 || self.objects.insert(key, raw.clone()).is_some() {
            return;
        }
        self.order.push_back(key);
        self.bytes += size;
        while self.bytes > CACHE_BYTES {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some((_, data)) = self.objects.remove(&old) {
                self.bytes -= data.len();
            }
        }
    }
}

/// A reader of objects for one thread: the packs it shares, libgit2's object database
/// for the rest, its own inflater and cache.
pub(super) struct Objects<'r> {
    packs: Arc<Packs>,
    odb: Odb<'r>,
    inflater: Decompressor,
    recent: Recent,
}

impl<'r> Objects<'r> {
    pub(super) fn new(odb: Odb<'r>, packs: Arc<Packs>) -> Objects<'r> {
        Objects {
            packs,
            odb,
            inflater: Decompressor::new(),
            recent: Recent::default(),
        }
    }

    /// Object `id`: from a pack when this reader handles it there, else from libgit2.
    pub(super) fn read(&mut self, id: Oid) -> Result<Raw, git2::Error> {
        let found = self.packs.find(id.as_bytes());
        if let Some((pack, at)) = found
            && let Ok(at) = usize::try_from(at)
            && let Some(raw) = self.unpack(pack, at)
        {
            return Ok(raw);
        }
        let object = self.odb.read(id)?;
        Ok((object.kind(), Rc::from(object.data())))
    }

    /// The object at `at` in pack `pack`, following its delta chain down to an object
    /// held or stored whole, then applying the deltas back up; each object made on the
    /// way is kept as a recent one.
    fn unpack(&mut self, pack: usize, at: usize) -> Option<Raw> {
        let packs = Arc::clone(&self.packs);
        let mut deltas: Vec<((usize, usize), Vec<u8>)> = Vec::new();
        let mut held = 0usize;
        let mut key = (pack, at);
        let (kind, mut data) = loop {
            if let Some(raw) = self.recent.get(key) {
                break raw;
            }
            let body = packs.0.get(key.0)?.body();
            let (number, size, start) = header(body, key.1)?;
            if size > LARGEST || deltas.len() >= CHAIN {
                return None;
            }
            let (base, start) = match number {
                6 => {
                    let (base, start) = offset_base(body, key.1, start)?;
                    ((key.0, base), start)
                }
                7 => {
                    let id = body.get(start..start + 20)?;
                    let (pack, base) = packs.find(id)?;
                    ((pack, usize::try_from(base).ok()?), start + 20)
                }
                _ => {
                    let raw = (kind(number)?, self.inflate_shared(body, start, size)?);
                    self.recent.put(key, &raw);
                    break raw;
                }
            };
            held += size;
            if held > 4 * LARGEST {
                return None;
            }
            deltas.push((key, self.inflate(body, start, size)?));
            key = base;
        };
        while let Some((key, delta)) = deltas.pop() {
            data = apply(&data, &delta)?;
            self.recent.put(key, &(kind, data.clone()));
        }
        Some((kind, data))
    }

    /// The zlib stream at `start` inflated, when it makes exactly `size` bytes.
    fn inflate(&mut self, body: &[u8], start: usize, size: usize) -> Option<Vec<u8>> {
        let mut out = vec![0; size];
        let made = self
            .inflater
            .zlib_decompress(body.get(start..)?, &mut out)
            .ok()?;
        (made == size).then_some(out)
    }

    /// [`Objects::inflate`] into the shared buffer the cache keeps.
    fn inflate_shared(&mut self, body: &[u8], start: usize, size: usize) -> Option<Rc<[u8]>> {
        let mut shared = zeroed(size);
        let out = Rc::get_mut(&mut shared)?;
        let made = self
            .inflater
            .zlib_decompress(body.get(start..)?, out)
            .ok()?;
        (made == size).then_some(shared)
    }
}

#[cfg(test)]
mod tests;
