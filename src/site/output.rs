//! Writing the site so that readers never see half of it.
//!
//! A full build writes every file into a new folder beside the output folder and then
//! swaps it in: a failed build leaves the previous site as it was. A rebuild (`serve`)
//! writes only the files whose bytes changed, each to a temporary file renamed over the
//! old one. The output folder carries a marker file, and a folder without it is never
//! replaced, so a mistyped `--out` cannot delete someone's work.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file that marks a folder as a site `normsctl` wrote (and may replace).
pub const MARKER: &str = ".normsctl-site";
const MARKER_TEXT: &str =
    "This folder is written by `normsctl build`; it is replaced as a whole on every build.\n";

/// Problems writing the site.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "{} is a folder that normsctl did not write (it has no {MARKER}), so it will not be replaced",
        path.display()
    )]
    NotASite { path: PathBuf },
    #[error("{} is not a folder", path.display())]
    NotADir { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Checks that `out` may be replaced: absent, empty, or written by normsctl before.
pub fn check_replaceable(out: &Path) -> Result<(), OutputError> {
    match std::fs::symlink_metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(out)(e)),
        Ok(m) if !m.is_dir() => Err(OutputError::NotADir {
            path: out.to_path_buf(),
        }),
        Ok(_) => {
            let mut entries = std::fs::read_dir(out).map_err(io(out))?;
            if entries.next().is_none() || out.join(MARKER).is_file() {
                Ok(())
            } else {
                Err(OutputError::NotASite {
                    path: out.to_path_buf(),
                })
            }
        }
    }
}

/// Writes `files` (site-relative path, bytes) into a fresh folder beside `out`, then swaps
/// it in place of `out`. On any error, `out` is as it was.
pub fn publish<'a>(
    out: &Path,
    files: impl IntoIterator<Item = (String, &'a [u8])>,
) -> Result<(), OutputError> {
    publish_with(out, |dir| {
        for (rel, bytes) in files {
            write_file(dir, &rel, bytes)?;
        }
        Ok(())
    })
}

/// [`publish`], with the files written by `write` into the fresh folder (its path given),
/// as it makes them: on every core, and without holding the whole site in memory. On any
/// error, `out` is as it was.
pub fn publish_with<T, E: From<OutputError>>(
    out: &Path,
    write: impl FnOnce(&Path) -> Result<T, E>,
) -> Result<T, E> {
    check_replaceable(out)?;
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let name = out
        .file_name()
        .map_or_else(|| "site".into(), |n| n.to_string_lossy().into_owned());
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.new-"))
        .tempdir_in(parent)
        .map_err(io(parent))?;
    let written = write(tmp.path())?;
    std::fs::write(tmp.path().join(MARKER), MARKER_TEXT).map_err(io(tmp.path()))?;
    // A temporary folder is private; a site is for any web server to read.
    std::fs::set_permissions(
        tmp.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .map_err(io(tmp.path()))?;
    swap_in(tmp, out, parent, &name)?;
    Ok(written)
}

/// Writes one file of a site being published into `dir` (by its site-relative path with
/// `/`), making its folder when it is the first file there; safe from several threads.
pub fn write_file(dir: &Path, rel: &str, bytes: &[u8]) -> Result<(), OutputError> {
    let path = dir.join(rel);
    match std::fs::write(&path, bytes) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(folder) = path.parent() {
                std::fs::create_dir_all(folder).map_err(io(folder))?;
            }
            std::fs::write(&path, bytes).map_err(io(&path))
        }
        r => r.map_err(io(&path)),
    }
}

fn swap_in(
    tmp: tempfile::TempDir,
    out: &Path,
    parent: &Path,
    name: &str,
) -> Result<(), OutputError> {
    if !out.exists() {
        let path = tmp.keep();
        return std::fs::rename(&path, out).map_err(|e| {
            let _ = std::fs::remove_dir_all(&path);
            io(out)(e)
        });
    }
    // Two renames: the old site moves aside, the new one takes its name, the old one goes.
    let old = tempfile::Builder::new()
        .prefix(&format!(".{name}.old-"))
        .tempdir_in(parent)
        .map_err(io(parent))?;
    let old_path = old.path().join("site");
    std::fs::rename(out, &old_path).map_err(io(out))?;
    let new_path = tmp.keep();
    if let Err(e) = std::fs::rename(&new_path, out) {
        let _ = std::fs::rename(&old_path, out);
        let _ = std::fs::remove_dir_all(&new_path);
        return Err(io(out)(e));
    }
    drop(old); // removes the previous site
    Ok(())
}

/// The files a served site holds, by hash, so a rebuild writes only what changed.
#[derive(Debug, Default)]
pub struct Written(HashMap<String, u64>);

/// What a rebuild wrote.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub written: Vec<String>,
    pub removed: Vec<String>,
}

fn hash(bytes: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

impl Written {
    /// Records files written by [`publish`].
    pub fn record<'a>(&mut self, files: impl IntoIterator<Item = (String, &'a [u8])>) {
        for (rel, bytes) in files {
            self.0.insert(rel, hash(bytes));
        }
    }

    /// Writes each file whose bytes differ from what `out` holds (atomically, one by one),
    /// and removes `remove`.
    pub fn apply<'a>(
        &mut self,
        out: &Path,
        files: impl IntoIterator<Item = (String, &'a [u8])>,
        remove: &[String],
    ) -> Result<Applied, OutputError> {
        let mut applied = Applied::default();
        for (rel, bytes) in files {
            let h = hash(bytes);
            if self.0.get(&rel) == Some(&h) {
                continue;
            }
            write_atomic(&out.join(&rel), bytes)?;
            self.0.insert(rel.clone(), h);
            applied.written.push(rel);
        }
        for rel in remove {
            let path = out.join(rel);
            match std::fs::remove_file(&path) {
                Ok(()) => applied.removed.push(rel.clone()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&path)(e)),
            }
            self.0.remove(rel);
        }
        Ok(applied)
    }
}

/// A temporary file beside `path`, renamed over it: a reader sees the old file or the new
/// one, never a part. (No fsync: a served site is rebuilt from the handbook anyway.)
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".normsctl-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .tempfile_in(dir)
        .map_err(io(dir))?;
    tmp.write_all(bytes).map_err(io(path))?;
    tmp.persist(path).map_err(|e| io(path)(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        list.iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect()
    }

    fn borrow(f: &[(String, Vec<u8>)]) -> impl Iterator<Item = (String, &[u8])> {
        f.iter().map(|(p, b)| (p.clone(), b.as_slice()))
    }

    #[test]
    fn publish_replaces_a_previous_site_whole() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        publish(
            &out,
            borrow(&files(&[("a.html", "1"), ("sub/b.html", "2")])),
        )
        .unwrap();
        publish(&out, borrow(&files(&[("c.html", "3")]))).unwrap();
        assert!(!out.join("a.html").exists());
        assert_eq!(std::fs::read_to_string(out.join("c.html")).unwrap(), "3");
        // nothing is left beside it
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["site"]);
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&out).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o755);
    }

    #[test]
    fn a_folder_normsctl_did_not_write_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("precious.txt"), "keep").unwrap();
        let e = publish(dir.path(), borrow(&files(&[("a.html", "1")]))).unwrap_err();
        assert!(matches!(e, OutputError::NotASite { .. }), "{e}");
        assert!(dir.path().join("precious.txt").exists());
    }

    #[test]
    fn apply_writes_only_changed_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site");
        let first = files(&[("a.html", "1"), ("b.html", "2")]);
        publish(&out, borrow(&first)).unwrap();
        let mut w = Written::default();
        w.record(borrow(&first));
        let next = files(&[("a.html", "1"), ("b.html", "22"), ("c.html", "3")]);
        let applied = w.apply(&out, borrow(&next), &["gone.html".into()]).unwrap();
        assert_eq!(applied.written, ["b.html", "c.html"]);
        assert_eq!(std::fs::read_to_string(out.join("b.html")).unwrap(), "22");
        let again = w.apply(&out, borrow(&next), &[]).unwrap();
        assert!(again.written.is_empty());
    }
}
