//! Which file-system events matter to a served site, and the loop that turns batches of
//! them into rebuilds.
//!
//! [`classify`] is pure: it names what a changed path affects, and ignores everything else
//! (the site's own output above all, editor swap files, git's object store). [`run`] takes
//! the event source and the rebuild as closures, so `serve` and the tests drive the same
//! loop; an error inside it is handed to a closure, never turned into an exit.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;

/// What a changed path affects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// A policy file (or a folder of them).
    Policies,
    /// `normsctl.yaml` or the roster: everything may change.
    Settings,
    /// A template or asset in the handbook's override folder.
    Templates,
    /// HEAD or a branch moved: the committed history changed.
    History,
}

/// The paths a served handbook consists of (absolute).
#[derive(Clone, Debug)]
pub struct Watched {
    pub settings: PathBuf,
    pub roster: PathBuf,
    pub policies: PathBuf,
    pub templates: PathBuf,
    /// The repository's git folder, if any.
    pub git_dir: Option<PathBuf>,
    /// Where the site is written: never a trigger.
    pub out: PathBuf,
}

/// What one path's change affects, or `None` when it does not matter.
pub fn classify(path: &Path, w: &Watched) -> Option<Trigger> {
    if path.starts_with(&w.out) {
        return None;
    }
    if let Some(git) = &w.git_dir
        && let Ok(rel) = path.strip_prefix(git)
    {
        let rel = rel.to_string_lossy();
        let is_lock = rel.ends_with(".lock");
        // Remote-tracking refs too: the handbook line (`mcp`) is `refs/remotes/<remote>/…`.
        let is_ref = rel == "HEAD"
            || rel == "packed-refs"
            || rel.starts_with("refs/heads")
            || rel.starts_with("refs/remotes");
        return (is_ref && !is_lock).then_some(Trigger::History);
    }
    let name = path.file_name()?.to_string_lossy();
    if is_scratch(&name) {
        return None;
    }
    if path == w.settings || path == w.roster {
        return Some(Trigger::Settings);
    }
    if path.starts_with(&w.templates) {
        return Some(Trigger::Templates);
    }
    if path.starts_with(&w.policies) {
        let hidden = path
            .strip_prefix(&w.policies)
            .ok()?
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'));
        if hidden {
            return None;
        }
        return match path.extension().and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => Some(Trigger::Policies),
            // A folder (created, moved or removed) may hold policies; a file of another
            // kind does not matter.
            None => Some(Trigger::Policies),
            Some(_) => None,
        };
    }
    None
}

/// Whether an event kind can change a file's content or existence (reading a file, which
/// every rebuild does, is not a change).
pub fn is_change(kind: &notify::EventKind) -> bool {
    !matches!(kind, notify::EventKind::Access(_))
}

/// Files editors write beside the real one while saving.
fn is_scratch(name: &str) -> bool {
    name.starts_with(".#")
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".tmp")
        || name == "4913"
}

/// What a batch of events asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub policies: bool,
    pub settings: bool,
    pub templates: bool,
    pub history: bool,
}

impl Changes {
    /// Folds the triggers of a batch of paths.
    pub fn of<'a>(paths: impl IntoIterator<Item = &'a Path>, w: &Watched) -> Changes {
        let mut c = Changes::default();
        for p in paths {
            match classify(p, w) {
                Some(Trigger::Policies) => c.policies = true,
                Some(Trigger::Settings) => c.settings = true,
                Some(Trigger::Templates) => c.templates = true,
                Some(Trigger::History) => c.history = true,
                None => {}
            }
        }
        c
    }

    pub fn any(&self) -> bool {
        self.policies || self.settings || self.templates || self.history
    }
}

/// One batch from the watcher: the changed paths, or the watcher's error.
pub type Batch = Result<Vec<PathBuf>, String>;

/// Runs until `events` closes: for each batch, works out the changes (with the current
/// `watched` paths, which a rebuild may move) and calls `rebuild`; a watcher error goes to
/// The folders to watch, and whether each is watched with everything below: the root and
/// the roster's folder alone (not the whole folder, which may hold large unrelated trees
/// such as build output), the policies and templates folders whole, and git's refs.
pub fn paths(w: &Watched) -> Vec<(PathBuf, bool)> {
    let mut wanted = Vec::new();
    for file in [&w.settings, &w.roster] {
        if let Some(dir) = file.parent() {
            wanted.push((dir.to_path_buf(), false));
        }
    }
    wanted.push((w.policies.clone(), true));
    wanted.push((w.templates.clone(), true));
    if let Some(git) = &w.git_dir {
        wanted.push((git.clone(), false));
        wanted.push((git.join("refs"), true));
    }
    wanted
}

/// `on_error`, and the loop goes on.
pub fn run(
    events: &Receiver<Batch>,
    mut watched: impl FnMut() -> Watched,
    mut rebuild: impl FnMut(Changes),
    mut on_error: impl FnMut(String),
) {
    while let Ok(batch) = events.recv() {
        // Take whatever else is already waiting, so one burst of saves is one rebuild.
        let mut batches = vec![batch];
        while let Ok(more) = events.try_recv() {
            batches.push(more);
        }
        let w = watched();
        let mut changes = Changes::default();
        for batch in batches {
            match batch {
                Ok(paths) => {
                    let c = Changes::of(paths.iter().map(PathBuf::as_path), &w);
                    changes.policies |= c.policies;
                    changes.settings |= c.settings;
                    changes.templates |= c.templates;
                    changes.history |= c.history;
                }
                Err(e) => on_error(e),
            }
        }
        if changes.any() {
            rebuild(changes);
        }
    }
}

/// The file system watcher of a handbook: batches of changed paths, debounced, on a
/// channel that [`run`] reads.
pub struct Watcher {
    debouncer: notify_debouncer_full::Debouncer<
        notify::RecommendedWatcher,
        notify_debouncer_full::RecommendedCache,
    >,
    watching: std::collections::HashSet<(PathBuf, bool)>,
}

impl Watcher {
    /// A watcher that sends each debounced batch of changes to the returned receiver.
    pub fn new() -> Result<(Watcher, Receiver<Batch>), notify::Error> {
        let (tx, rx) = std::sync::mpsc::channel::<Batch>();
        let debouncer = notify_debouncer_full::new_debouncer(
            std::time::Duration::from_millis(100),
            None,
            move |res: notify_debouncer_full::DebounceEventResult| {
                let batch = res
                    .map(|events| {
                        events
                            .into_iter()
                            .filter(|e| is_change(&e.kind))
                            .flat_map(|e| e.event.paths)
                            .collect()
                    })
                    .map_err(|errors| {
                        errors
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; ")
                    });
                let _ = tx.send(batch);
            },
        )?;
        Ok((
            Watcher {
                debouncer,
                watching: Default::default(),
            },
            rx,
        ))
    }

    /// Watches the [`paths`] of `w` not watched yet (folders created since, such as a new
    /// templates folder or a new kind of policy folder, join on the next call).
    pub fn watch(&mut self, w: &Watched) {
        for (path, recursive) in paths(w) {
            let key = (path.clone(), recursive);
            if self.watching.contains(&key) || !path.is_dir() {
                continue;
            }
            let mode = if recursive {
                notify::RecursiveMode::Recursive
            } else {
                notify::RecursiveMode::NonRecursive
            };
            if self.debouncer.watch(&path, mode).is_ok() {
                self.watching.insert(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watched() -> Watched {
        Watched {
            settings: "/hb/normsctl.yaml".into(),
            roster: "/hb/people.yaml".into(),
            policies: "/hb/policies".into(),
            templates: "/hb/templates".into(),
            git_dir: Some("/hb/.git".into()),
            out: "/hb/site".into(),
        }
    }

    fn c(path: &str) -> Option<Trigger> {
        classify(Path::new(path), &watched())
    }

    #[test]
    fn reading_is_not_a_change() {
        use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind};
        assert!(!is_change(&notify::EventKind::Access(AccessKind::Open(
            AccessMode::Any
        ))));
        assert!(!is_change(&notify::EventKind::Access(AccessKind::Close(
            AccessMode::Read
        ))));
        assert!(is_change(&notify::EventKind::Modify(ModifyKind::Any)));
        assert!(is_change(&notify::EventKind::Create(CreateKind::File)));
        assert!(is_change(&notify::EventKind::Remove(
            notify::event::RemoveKind::Any
        )));
    }

    #[test]
    fn policy_files_and_folders() {
        assert_eq!(c("/hb/policies/norms/a.yaml"), Some(Trigger::Policies));
        assert_eq!(c("/hb/policies/norms/a.yml"), Some(Trigger::Policies));
        assert_eq!(c("/hb/policies/norms"), Some(Trigger::Policies));
        assert_eq!(c("/hb/policies/README.md"), None);
        assert_eq!(c("/hb/policies/.hidden/a.yaml"), None);
    }

    #[test]
    fn editor_scratch_files_are_ignored() {
        assert_eq!(c("/hb/policies/.a.yaml.swp"), None);
        assert_eq!(c("/hb/policies/a.yaml~"), None);
        assert_eq!(c("/hb/policies/4913"), None);
        assert_eq!(c("/hb/policies/.#a.yaml"), None);
    }

    #[test]
    fn settings_roster_templates() {
        assert_eq!(c("/hb/normsctl.yaml"), Some(Trigger::Settings));
        assert_eq!(c("/hb/people.yaml"), Some(Trigger::Settings));
        assert_eq!(c("/hb/templates/policy.html"), Some(Trigger::Templates));
        assert_eq!(c("/hb/README.md"), None);
    }

    #[test]
    fn the_output_is_never_a_trigger() {
        let mut w = watched();
        // even when someone points the output inside the policies folder
        w.out = "/hb/policies/site".into();
        assert_eq!(
            classify(Path::new("/hb/policies/site/index.html"), &w),
            None
        );
        assert_eq!(classify(Path::new("/hb/policies/site/x.yaml"), &w), None);
        assert_eq!(c("/hb/site/policies/a.html"), None);
    }

    #[test]
    fn git_refs_but_not_objects() {
        assert_eq!(c("/hb/.git/HEAD"), Some(Trigger::History));
        assert_eq!(c("/hb/.git/refs/heads/main"), Some(Trigger::History));
        assert_eq!(c("/hb/.git/packed-refs"), Some(Trigger::History));
        assert_eq!(c("/hb/.git/refs/heads/main.lock"), None);
        assert_eq!(c("/hb/.git/objects/ab/cdef"), None);
        assert_eq!(c("/hb/.git/index"), None);
    }

    #[test]
    fn the_loop_batches_and_reports() {
        let (tx, rx) = std::sync::mpsc::channel();
        tx.send(Ok(vec!["/hb/policies/a.yaml".into()])).unwrap();
        tx.send(Ok(vec!["/hb/site/index.html".into()])).unwrap();
        tx.send(Err("watch limit".into())).unwrap();
        tx.send(Ok(vec!["/hb/templates/base.html".into()])).unwrap();
        drop(tx);
        let mut rebuilds = Vec::new();
        let mut errors = Vec::new();
        run(&rx, watched, |c| rebuilds.push(c), |e| errors.push(e));
        assert_eq!(
            rebuilds,
            [Changes {
                policies: true,
                templates: true,
                ..Changes::default()
            }]
        );
        assert_eq!(errors, ["watch limit"]);
    }

    #[test]
    fn output_only_batches_rebuild_nothing() {
        let (tx, rx) = std::sync::mpsc::channel();
        tx.send(Ok(vec!["/hb/site/index.html".into()])).unwrap();
        drop(tx);
        let mut n = 0;
        run(&rx, watched, |_| n += 1, |_| {});
        assert_eq!(n, 0);
    }
}
