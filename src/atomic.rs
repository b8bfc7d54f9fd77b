//! Writing files so that nothing is ever half-written: a temporary file beside the target,
//! flushed, then renamed over it.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically, creating parent folders as needed.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with(path, bytes, true, true)
}

/// Like [`write`], but the file is not flushed to the disk before the rename: for files
/// that only make a later run quicker (caches). Other processes still see the old file or
/// the new one, whole; a crash of the machine may leave the old one, none, or a damaged
/// one, which a cache's reader takes as a miss. Flushing the ledger's caches (tens of
/// megabytes on a large ledger) cost a first report a tenth of a second and more.
pub fn write_unsynced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with(path, bytes, true, false)
}

/// Like [`write`], but fails when `path` already exists (never overwrites).
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with(path, bytes, false, true)
}

fn write_with(path: &Path, bytes: &[u8], overwrite: bool, sync: bool) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    // Temporary files are private (0600); the result is an ordinary readable file.
    let mut tmp = tempfile::Builder::new()
        .prefix(".normsctl-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    if sync {
        tmp.as_file().sync_all()?;
    }
    if overwrite {
        tmp.persist(path).map_err(|e| e.error)?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| e.error)?;
    }
    Ok(())
}
