//! Finding a handbook on disk and reading it: settings, roster and every policy file.
//!
//! Reading never stops at the first problem: every file that cannot be read or decoded
//! becomes a finding, and the rest is still loaded. Only a missing handbook (an
//! environment problem) is an error. This module reads files but never prints.

pub mod decode;
pub mod policy;
pub mod roster;
pub mod settings;
pub mod settings_portal;
pub mod settings_remind;
pub mod templates;

use crate::diag::{Finding, Pos};
use crate::model::{Handbook, Policy, Settings};
use crate::rules::file as rules;
use crate::yaml::{self, ParseError};
use decode::Decoder;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

mod read;
pub use read::parse_finding;
use read::*;

/// The settings file that marks a handbook root.
pub const SETTINGS_FILE: &str = "normsctl.yaml";

/// Problems that stop a command before any file is judged.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: no such folder")]
    NoSuchDir { path: PathBuf },
    #[error(
        "no handbook found: no {SETTINGS_FILE} in {start} or above, and not inside a git work tree"
    )]
    NotFound { start: PathBuf },
    #[error("the policies folder {path} does not exist")]
    NoPolicies { path: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Where a handbook is, and how to name its files in messages.
#[derive(Clone, Debug)]
pub struct Location {
    /// The handbook root, canonical.
    pub root: PathBuf,
    /// The top of the git work tree holding the root, if any (canonical).
    pub work_tree: Option<PathBuf>,
    /// The root relative to the work tree top, with `/` and a trailing `/` (empty at the top).
    pub prefix: String,
}

impl Location {
    /// Finds the handbook: `repo` if given, else the nearest folder upwards from `cwd`
    /// holding `normsctl.yaml` (within the git work tree, when there is one), else the top
    /// of the git work tree.
    pub fn discover(repo: Option<&Path>, cwd: &Path) -> Result<Location, LoadError> {
        Location::discover_with_repo(repo, cwd).map(|(loc, _)| loc)
    }

    /// [`Location::discover`], also giving the git repository holding the handbook (if
    /// any), so that a command discovers it once.
    pub fn discover_with_repo(
        repo: Option<&Path>,
        cwd: &Path,
    ) -> Result<(Location, Option<git2::Repository>), LoadError> {
        let (root, git) = match repo {
            Some(dir) => {
                let dir = cwd.join(dir);
                if !dir.is_dir() {
                    return Err(LoadError::NoSuchDir { path: dir });
                }
                let root = canonical(&dir)?;
                let git = git2::Repository::discover(&root).ok();
                (root, git)
            }
            None => {
                let start = canonical(cwd)?;
                let git = git2::Repository::discover(&start).ok();
                let top = git.as_ref().and_then(work_tree);
                let found = start
                    .ancestors()
                    .take_while(|dir| top.as_ref().is_none_or(|top| dir.starts_with(top)))
                    .find(|dir| dir.join(SETTINGS_FILE).is_file())
                    .map(Path::to_path_buf);
                match found.or(top) {
                    Some(root) => (root, git),
                    None => return Err(LoadError::NotFound { start }),
                }
            }
        };
        let work_tree = git.as_ref().and_then(work_tree);
        Ok((Location::with_work_tree(root, work_tree), git))
    }

    /// A location for a known root folder (canonical).
    pub fn at(root: PathBuf) -> Location {
        let work_tree = work_tree_of(&root);
        Location::with_work_tree(root, work_tree)
    }

    /// A location for a root folder inside a known work tree top (both canonical).
    pub fn with_work_tree(root: PathBuf, work_tree: Option<PathBuf>) -> Location {
        let prefix = work_tree
            .as_ref()
            .and_then(|top| root.strip_prefix(top).ok())
            .map(|rel| {
                let mut p = slash_path(rel);
                if !p.is_empty() {
                    p.push('/');
                }
                p
            })
            .unwrap_or_default();
        Location {
            root,
            work_tree,
            prefix,
        }
    }

    /// How a file under the root is named in messages.
    pub fn display(&self, rel: &Path) -> String {
        format!("{}{}", self.prefix, slash_path(rel))
    }
}

fn canonical(path: &Path) -> Result<PathBuf, LoadError> {
    path.canonicalize().map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn work_tree_of(dir: &Path) -> Option<PathBuf> {
    work_tree(&git2::Repository::discover(dir).ok()?)
}

fn work_tree(repo: &git2::Repository) -> Option<PathBuf> {
    repo.workdir()?.canonicalize().ok()
}

/// A path with `/` separators.
pub fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a configured path stays inside the handbook (relative, no `..`) and out of git's
/// own folder (`.git` holds the remote's credentials in CI checkouts).
pub fn is_safe_relative(path: &str) -> bool {
    let p = Path::new(path);
    !path.is_empty()
        && p.components().all(|c| match c {
            Component::Normal(part) => !part.eq_ignore_ascii_case(".git"),
            Component::CurDir => true,
            _ => false,
        })
}

/// Whether a canonical path lies inside the handbook root and not under a `.git` folder.
fn is_inside(loc: &Location, real: &Path) -> bool {
    real.strip_prefix(&loc.root).is_ok_and(|rel| {
        !rel.components()
            .any(|c| c.as_os_str().eq_ignore_ascii_case(".git"))
    })
}

/// A loaded handbook and everything found wrong while reading it.
#[derive(Debug, Default)]
pub struct Loaded {
    pub handbook: Handbook,
    pub findings: Vec<Finding>,
    /// How many files were read (settings, roster and policies).
    pub files: usize,
}

/// Reads the whole handbook at `loc`.
pub fn load(loc: &Location) -> Result<Loaded, LoadError> {
    load_cached(loc, &PolicyCache::none())
}

/// Policy files as last decoded, by path, so that a process that loads the handbook again
/// and again (`serve`) decodes only the files whose text changed. The answer is the same
/// as without it: an entry is used only for the very same text at the same path.
#[derive(Debug)]
pub struct PolicyCache {
    files: std::sync::Mutex<std::collections::HashMap<PathBuf, Decoded>>,
    /// What loads record.
    keep: Keep,
}

/// What a [`PolicyCache`] keeps of each policy file a load reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    Nothing,
    /// The text only (never looked up by a load).
    Texts,
    /// The text, the policy and the findings (looked up by the next load).
    Decoded,
}

impl Default for PolicyCache {
    fn default() -> Self {
        PolicyCache {
            files: Default::default(),
            keep: Keep::Decoded,
        }
    }
}

impl PolicyCache {
    /// A cache that keeps nothing, for a command that loads the handbook once: copying
    /// every file's text and policy into a cache that is dropped right after costs more
    /// than reading the file.
    pub fn none() -> Self {
        PolicyCache {
            files: Default::default(),
            keep: Keep::Nothing,
        }
    }

    /// A cache that keeps each file's text and nothing else, for a command that loads the
    /// handbook once and needs the texts again (`build`, for the blob ids of the working
    /// files), without reading every file a second time.
    pub fn texts() -> Self {
        PolicyCache {
            files: Default::default(),
            keep: Keep::Texts,
        }
    }

    /// The text of the policy file at `path` as the last load read it: its bytes, with the
    /// byte-order mark it may start with (which the load's text is read without), so that
    /// it hashes to the blob id git gives the file.
    pub fn text(&self, path: &Path) -> Option<String> {
        let cache = self.files.lock().ok()?;
        cache.get(path).map(|d| match d.bom {
            true => format!("\u{feff}{}", d.source),
            false => d.source.clone(),
        })
    }
}

#[derive(Debug)]
struct Decoded {
    /// The text without its byte-order mark.
    source: String,
    /// Whether the file starts with a byte-order mark.
    bom: bool,
    policy: Option<Policy>,
    findings: Vec<Finding>,
}

/// [`load`], reusing (and refreshing) decoded policy files from `cache`.
pub fn load_cached(loc: &Location, cache: &PolicyCache) -> Result<Loaded, LoadError> {
    let mut findings = Vec::new();
    let (settings, read) = load_settings(loc, &mut findings);
    load_with_settings(loc, (settings, findings, read), cache)
}

/// [`load_cached`] with the settings already read: `(settings, their findings, whether
/// a file was read)`, as [`load_settings`] gives them.
pub fn load_with_settings(
    loc: &Location,
    (settings, findings, read): (Settings, Vec<Finding>, bool),
    cache: &PolicyCache,
) -> Result<Loaded, LoadError> {
    let mut out = Loaded {
        findings,
        ..Loaded::default()
    };
    out.handbook.settings = settings;
    out.files += usize::from(read);
    let Settings {
        policies: ref policies_dir,
        roster: ref roster_file,
        ..
    } = out.handbook.settings;

    let roster_path = loc.root.join(roster_file);
    let roster_name = loc.display(Path::new(roster_file));
    if roster_path.exists() {
        out.files += 1;
        if let Some((source, node)) = read_yaml(
            loc,
            &roster_path,
            &roster_name,
            FileKind::Roster,
            &mut out.findings,
        ) {
            let mut d = Decoder::new(&roster_name, &source);
            out.handbook.roster = roster::decode(&mut d, &node);
            out.findings.append(&mut d.findings);
        }
    } else {
        out.findings.push(
            Finding::new(&rules::MISSING_FILE, &roster_name, Pos::START, format!("the roster {roster_name} does not exist"))
                .hint("create it (normsctl init writes an example), or point `roster:` in normsctl.yaml at it"),
        );
    }

    templates::template_files(loc, &out.handbook.settings, &mut out.findings);

    let policies_root = loc.root.join(policies_dir);
    if !policies_root.is_dir() {
        return Err(LoadError::NoPolicies {
            path: loc.display(Path::new(policies_dir)),
        });
    }
    let files = policy_files(loc, &policies_root, &mut out.findings);
    out.files += files.len();
    let (policies, unread, mut findings, marked) = read_policies(loc, &files, cache);
    if let Ok(mut cache) = cache.files.lock() {
        let kept: std::collections::HashSet<&PathBuf> = files.iter().collect();
        cache.retain(|path, _| kept.contains(path));
    }
    out.handbook.policies = policies;
    out.handbook.unread = unread;
    out.handbook.marked = Some(marked.into_iter().collect());
    out.findings.append(&mut findings);
    Ok(out)
}

/// Reads `normsctl.yaml` (defaults when absent); returns whether a file was read.
pub fn load_settings(loc: &Location, findings: &mut Vec<Finding>) -> (Settings, bool) {
    let path = loc.root.join(SETTINGS_FILE);
    if !path.exists() {
        return (Settings::default(), false);
    }
    let name = loc.display(Path::new(SETTINGS_FILE));
    let Some((source, node)) = read_yaml(loc, &path, &name, FileKind::Settings, findings) else {
        return (Settings::default(), true);
    };
    let mut d = Decoder::new(&name, &source);
    let settings = settings::decode(&mut d, &node);
    findings.append(&mut d.findings);
    (settings, true)
}

/// Lists policy files (`.yaml`, `.yml`) under `dir`, sorted; reports links that leave the
/// handbook and folders that cannot be read.
/// The policy files in the working tree, as `load` finds them (findings dropped: this is
/// for commands that compare texts, not judge them).
pub fn policy_paths(loc: &Location, settings: &Settings) -> Result<Vec<PathBuf>, LoadError> {
    let dir = loc.root.join(&settings.policies);
    if !dir.is_dir() {
        return Err(LoadError::NoPolicies {
            path: loc.display(Path::new(&settings.policies)),
        });
    }
    Ok(policy_files(loc, &dir, &mut Vec::new()))
}

fn policy_files(loc: &Location, dir: &Path, findings: &mut Vec<Finding>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut escaping = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let hidden = e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
            if hidden {
                return false;
            }
            // Only links need resolving; everything else below `dir` is inside the handbook.
            if e.path_is_symlink()
                && let Ok(target) = e.path().canonicalize()
                && !is_inside(loc, &target)
            {
                escaping.push((e.path().to_path_buf(), target));
                return false;
            }
            true
        });
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() && is_yaml(e.path()) => files.push(e.into_path()),
            // A pipe, socket or device named like a policy: reading it could block forever,
            // and skipping it would hide a policy the author meant to write.
            Ok(e) if !e.file_type().is_dir() && is_yaml(e.path()) => {
                let name = loc.display(e.path().strip_prefix(&loc.root).unwrap_or(e.path()));
                findings.push(
                    Finding::new(
                        &rules::UNREADABLE,
                        &name,
                        Pos::START,
                        "not a regular file (a pipe, a socket or a device)",
                    )
                    .hint("replace it with a YAML file"),
                );
            }
            Ok(_) => {}
            Err(e) => {
                let path = e
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| dir.to_path_buf());
                let name = loc.display(path.strip_prefix(&loc.root).unwrap_or(&path));
                let message = if e.loop_ancestor().is_some() {
                    "a symbolic link loops back to a folder above it".to_owned()
                } else {
                    format!(
                        "cannot be read: {}",
                        e.io_error()
                            .map_or_else(|| e.to_string(), |io| io.to_string())
                    )
                };
                findings.push(Finding::new(&rules::UNREADABLE, &name, Pos::START, message));
            }
        }
    }
    for (link, target) in escaping {
        findings.push(outside_handbook(
            &loc.display(link.strip_prefix(&loc.root).unwrap_or(&link)),
            &target,
        ));
    }
    files
}

fn outside_handbook(name: &str, target: &Path) -> Finding {
    Finding::new(&rules::OUTSIDE_HANDBOOK, name, Pos::START, format!("a symbolic link to {}, outside the handbook or inside its .git folder", target.display()))
        .hint("copy the file into the handbook, or remove the link: everything a handbook says must be in its repository")
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROSTER: &str = "teams:\n  - { id: tier1, name: Tier 1, lead: ana }\npeople:\n  - { id: ana, name: Ana, email: ana@example.com, teams: [tier1] }\n";
    const NORM: &str =
        "id: handover\nkind: norm\ntitle: T\nsummary: S\nowner: tier1\nrevision: 1\nbody: B\n";

    fn handbook(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    fn rules(loaded: &Loaded) -> Vec<String> {
        loaded
            .findings
            .iter()
            .map(|f| format!("{}:{}:{} {}", f.file, f.pos.line, f.pos.column, f.rule.name))
            .collect()
    }

    #[test]
    fn a_handbook_loads_whole_and_every_problem_is_a_finding() {
        let dir = handbook(&[
            ("normsctl.yaml", "title: T\n"),
            ("people.yaml", ROSTER),
            ("policies/norms/handover.yaml", NORM),
            ("policies/bad.yaml", "id: bad\n\tkind: norm\n"),
            ("policies/empty.yml", ""),
            ("policies/notes.txt", "not a policy"),
        ]);
        let loc = Location::discover(Some(dir.path()), dir.path()).unwrap();
        let loaded = load(&loc).unwrap();
        assert_eq!(loaded.files, 5, "settings, roster and three policy files");
        assert_eq!(loaded.handbook.settings.title, "T");
        assert_eq!(loaded.handbook.policies.len(), 1);
        assert_eq!(
            loaded.handbook.policies[0].file,
            "policies/norms/handover.yaml"
        );
        let mut unread = loaded.handbook.unread.clone();
        unread.sort();
        assert_eq!(unread, ["bad", "empty"]);
        assert_eq!(
            rules(&loaded),
            [
                "policies/bad.yaml:2:1 yaml-syntax",
                "policies/empty.yml:1:1 document-shape"
            ]
        );
    }

    #[test]
    fn settings_default_and_a_missing_folder_is_an_error() {
        let dir = handbook(&[("people.yaml", ROSTER)]);
        let loc = Location::discover(Some(dir.path()), dir.path()).unwrap();
        let mut findings = Vec::new();
        let (settings, read) = load_settings(&loc, &mut findings);
        assert!(!read && findings.is_empty());
        assert_eq!(settings.policies, "policies");
        assert!(matches!(load(&loc), Err(LoadError::NoPolicies { .. })));
    }

    #[test]
    fn the_root_is_found_upwards_and_paths_stay_inside() {
        let dir = handbook(&[("normsctl.yaml", ""), ("policies/x/.keep", "")]);
        let deep = dir.path().join("policies/x");
        let loc = Location::discover(None, &deep).unwrap();
        assert_eq!(loc.root, dir.path().canonicalize().unwrap());
        assert_eq!(loc.prefix, "");
        assert_eq!(loc.display(Path::new("policies/a.yaml")), "policies/a.yaml");
        assert!(matches!(
            Location::discover(Some(Path::new("nope")), dir.path()),
            Err(LoadError::NoSuchDir { .. })
        ));
        assert!(is_safe_relative("policies/norms"));
        assert!(!is_safe_relative("../elsewhere"));
        assert!(!is_safe_relative("/etc"));
        assert!(!is_safe_relative(""));
    }

    #[test]
    fn a_second_load_reuses_unchanged_files() {
        let dir = handbook(&[("people.yaml", ROSTER), ("policies/handover.yaml", NORM)]);
        let loc = Location::discover(Some(dir.path()), dir.path()).unwrap();
        let cache = PolicyCache::default();
        let first = load_cached(&loc, &cache).unwrap();
        let path = dir
            .path()
            .canonicalize()
            .unwrap()
            .join("policies/handover.yaml");
        assert_eq!(cache.text(&path).as_deref(), Some(NORM));
        let again = load_cached(&loc, &cache).unwrap();
        assert_eq!(again.handbook.policies, first.handbook.policies);
    }
}
