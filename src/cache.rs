//! The one convention for what normsctl keeps between runs: files in `<git dir>/normsctl/`,
//! named `<kind>-<key>.json`, written whole through a temporary file and a rename, and read
//! as a miss whenever anything is wrong with them (absent, damaged, foreign, older). A
//! cache is never needed for a right answer, only for a quick one; one that cannot be
//! written only costs the next run its speed. `NORMSCTL_CACHE=0` turns every one of them
//! off: nothing is read or written. Knows nothing of what is kept.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// The folder of the caches of the repository whose git directory is `git_dir`.
pub fn dir(git_dir: &Path) -> PathBuf {
    git_dir.join("normsctl")
}

/// The cache file of `kind` for `key` (any text, hashed into the name).
pub fn path(git_dir: &Path, kind: &str, key: &str) -> PathBuf {
    dir(git_dir).join(format!("{kind}-{:016x}.json", fnv1a(key)))
}

/// The cache file of `kind` for an object id, which names it as it is.
pub fn path_of_object(git_dir: &Path, kind: &str, id: git2::Oid) -> PathBuf {
    dir(git_dir).join(format!("{kind}-{id}.json"))
}

/// FNV-1a: stable across runs and platforms, unlike the standard hasher.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Whether the caches may be read and written: `NORMSCTL_CACHE=0` turns them off.
pub fn enabled() -> bool {
    std::env::var_os("NORMSCTL_CACHE").is_none_or(|v| v != "0")
}

/// What `file` holds, or `None` (a miss) when it is absent or does not read as `T`.
pub fn read<T: DeserializeOwned>(file: &Path) -> Option<T> {
    serde_json::from_slice(&read_bytes(file)?).ok()
}

/// Keeps `value` in `file`; a failure is ignored (a read-only repository, a full disk).
pub fn write(file: &Path, value: &impl Serialize) {
    if let Ok(bytes) = serde_json::to_vec(value) {
        write_bytes(file, &bytes);
    }
}

/// The bytes of a cache kept in a format of its own, or `None` (a miss).
pub fn read_bytes(file: &Path) -> Option<Vec<u8>> {
    enabled().then(|| std::fs::read(file).ok()).flatten()
}

/// Keeps the bytes of a cache in a format of its own; a failure is ignored.
pub fn write_bytes(file: &Path, bytes: &[u8]) {
    if enabled() {
        let _ = crate::atomic::write(file, bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_damage_is_a_miss() {
        let git = Path::new("/r/.git");
        let file = path(git, "history", "policies");
        assert_eq!(file.parent(), Some(Path::new("/r/.git/normsctl")));
        assert_eq!(file, path(git, "history", "policies"));
        assert_ne!(file, path(git, "history", "policies/"));
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        let tmp = tempfile::tempdir().unwrap();
        let file = path(tmp.path(), "x", "k");
        assert_eq!(read::<Vec<u32>>(&file), None);
        write(&file, &vec![1u32, 2]);
        assert_eq!(read::<Vec<u32>>(&file), Some(vec![1, 2]));
        std::fs::write(&file, b"{not json").unwrap();
        assert_eq!(read::<Vec<u32>>(&file), None);
    }
}
