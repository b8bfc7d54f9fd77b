//! Maps keyed by git object ids. An id is a SHA-1 digest, already uniform, so its first
//! eight bytes are its hash: hashing the twenty bytes again (foldhash, SipHash) was a
//! serial step of every build, on tens of thousands of ids. Pure.

use std::hash::{BuildHasherDefault, Hasher};

/// Folds the bytes an id (or a pair of ids) writes: eight bytes of each id.
///
/// Not for keys an attacker picks freely: ids are digests, and crafting many ids that
/// share eight bytes costs a partial SHA-1 preimage each.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut head = [0u8; 8];
        let n = bytes.len().min(8);
        head[..n].copy_from_slice(&bytes[..n]);
        self.0 = self.0.rotate_left(23) ^ u64::from_le_bytes(head);
    }

    fn write_u8(&mut self, n: u8) {
        self.0 = self.0.rotate_left(23) ^ u64::from(n);
    }

    fn write_usize(&mut self, n: usize) {
        // The length an id's bytes are prefixed with, or an `Option`'s tag.
        self.0 = self.0.rotate_left(23) ^ n as u64;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by object ids (or pairs of them).
pub type IdMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// A set of object ids.
pub type IdSet<K> = std::collections::HashSet<K, BuildHasherDefault<IdHasher>>;

/// An empty [`IdMap`] with room for `capacity` keys.
pub fn with_capacity<K, V>(capacity: usize) -> IdMap<K, V> {
    IdMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use git2::Oid;
    use std::hash::BuildHasher;

    #[test]
    fn ids_hash_by_their_bytes_and_pairs_by_both() {
        let hash = |k: &dyn Fn(&mut IdHasher)| {
            let mut h = BuildHasherDefault::<IdHasher>::default().build_hasher();
            k(&mut h);
            h.finish()
        };
        let a = Oid::from_str("0123456789abcdef0123456789abcdef01234567").unwrap();
        let b = Oid::from_str("5e1f2a9c0d7b3386e4a1c2d9f00b7a6e13c58d24").unwrap();
        use std::hash::Hash;
        assert_ne!(hash(&|h| a.hash(h)), hash(&|h| b.hash(h)));
        assert_ne!(
            hash(&|h| (Some(a), b).hash(h)),
            hash(&|h| (None::<Oid>, b).hash(h))
        );
        assert_ne!(
            hash(&|h| (Some(a), b).hash(h)),
            hash(&|h| (Some(b), a).hash(h))
        );
        let mut m: IdMap<(Option<Oid>, Oid), u8> = IdMap::default();
        m.insert((Some(a), b), 1);
        m.insert((None, b), 2);
        m.insert((Some(b), a), 3);
        assert_eq!(
            (m[&(Some(a), b)], m[&(None, b)], m[&(Some(b), a)]),
            (1, 2, 3)
        );
    }
}
