//! Finding a handbook on disk and reading it: settings, roster and every policy file.
//!
//! Reading never stops at the first problem: every file that cannot be read or decoded
//! becomes a finding, and the rest is still loaded. Only a missing handbook (an
//! environment problem) is an error. This module reads files but never prints.

pub mod decode;
pub mod policy;
pub mod roster;
pub mod settings;

use crate::diag::{Finding, Pos};
use crate::model::{Handbook, Policy, Settings};
use crate::validate::file as rules;
use crate::yaml::{self, ParseError};
use decode::Decoder;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

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
        let root = match repo {
            Some(dir) => {
                let dir = cwd.join(dir);
                if !dir.is_dir() {
                    return Err(LoadError::NoSuchDir { path: dir });
                }
                canonical(&dir)?
            }
            None => {
                let start = canonical(cwd)?;
                let top = work_tree_of(&start);
                let found = start
                    .ancestors()
                    .take_while(|dir| top.as_ref().is_none_or(|top| dir.starts_with(top)))
                    .find(|dir| dir.join(SETTINGS_FILE).is_file())
                    .map(Path::to_path_buf);
                match found.or(top) {
                    Some(root) => root,
                    None => return Err(LoadError::NotFound { start }),
                }
            }
        };
        Ok(Location::at(root))
    }

    /// A location for a known root folder (canonical).
    pub fn at(root: PathBuf) -> Location {
        let work_tree = work_tree_of(&root);
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
    let repo = git2::Repository::discover(dir).ok()?;
    repo.workdir()?.canonicalize().ok()
}

/// A path with `/` separators.
pub fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether a configured path stays inside the handbook (relative, no `..`).
pub fn is_safe_relative(path: &str) -> bool {
    let p = Path::new(path);
    !path.is_empty()
        && p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
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
    load_cached(loc, &PolicyCache::default())
}

/// Policy files as last decoded, by path, so that a process that loads the handbook again
/// and again (`serve`) decodes only the files whose text changed. The answer is the same
/// as without it: an entry is used only for the very same text at the same path.
#[derive(Debug, Default)]
pub struct PolicyCache(std::sync::Mutex<std::collections::HashMap<PathBuf, Decoded>>);

impl PolicyCache {
    /// The text of the policy file at `path` as the last load read it.
    pub fn text(&self, path: &Path) -> Option<String> {
        let cache = self.0.lock().ok()?;
        cache.get(path).map(|d| d.source.clone())
    }
}

#[derive(Debug)]
struct Decoded {
    source: String,
    policy: Option<Policy>,
    findings: Vec<Finding>,
}

/// [`load`], reusing (and refreshing) decoded policy files from `cache`.
pub fn load_cached(loc: &Location, cache: &PolicyCache) -> Result<Loaded, LoadError> {
    let mut out = Loaded::default();
    let (settings, read) = load_settings(loc, &mut out.findings);
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

    let policies_root = loc.root.join(policies_dir);
    if !policies_root.is_dir() {
        return Err(LoadError::NoPolicies {
            path: loc.display(Path::new(policies_dir)),
        });
    }
    let files = policy_files(loc, &policies_root, &mut out.findings);
    out.files += files.len();
    let (policies, unread, mut findings) = read_policies(loc, &files, cache);
    if let Ok(mut cache) = cache.0.lock() {
        let kept: std::collections::HashSet<&PathBuf> = files.iter().collect();
        cache.retain(|path, _| kept.contains(path));
    }
    out.handbook.policies = policies;
    out.handbook.unread = unread;
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
                && !target.starts_with(&loc.root)
            {
                escaping.push((e.path().to_path_buf(), target));
                return false;
            }
            true
        });
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() && is_yaml(e.path()) => files.push(e.into_path()),
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
    Finding::new(&rules::OUTSIDE_HANDBOOK, name, Pos::START, format!("a symbolic link to {}, outside the handbook", target.display()))
        .hint("copy the file into the handbook, or remove the link: everything a handbook says must be in its repository")
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// Reads and decodes policy files on every core, keeping the given order. Files go to the
/// threads one at a time, so that a few large files are spread over the cores as well as
/// many small ones.
fn read_policies(loc: &Location, files: &[PathBuf], cache: &PolicyCache) -> Chunk {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, Chunk)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.min(files.len()))
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(file) = files.get(i) else {
                            return done;
                        };
                        done.push((i, read_policy_chunk(loc, std::slice::from_ref(file), cache)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("policy reader thread panicked"))
            .collect()
    });
    results.sort_unstable_by_key(|(i, _)| *i);
    let mut all: Chunk = (Vec::with_capacity(files.len()), Vec::new(), Vec::new());
    for (_, (mut p, mut u, mut f)) in results {
        all.0.append(&mut p);
        all.1.append(&mut u);
        all.2.append(&mut f);
    }
    all
}

/// Policies read from some files; the stems of those that could not be read; findings.
type Chunk = (Vec<Policy>, Vec<String>, Vec<Finding>);

fn read_policy_chunk(loc: &Location, files: &[PathBuf], cache: &PolicyCache) -> Chunk {
    let mut policies = Vec::new();
    let mut unread = Vec::new();
    let mut findings = Vec::new();
    for path in files {
        let rel = path.strip_prefix(&loc.root).unwrap_or(path);
        let name = loc.display(rel);
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let source = match read_text(loc, path, &name, true) {
            Ok(source) => source,
            Err(finding) => {
                findings.push(*finding);
                unread.push(stem);
                continue;
            }
        };
        let decoded = {
            let cached = cache.0.lock().ok();
            cached.and_then(|c| {
                c.get(path)
                    .filter(|d| d.source == source)
                    .map(|d| (d.policy.clone(), d.findings.clone()))
            })
        };
        let (policy, mut found) = match decoded {
            Some(d) => d,
            None => {
                let mut found = Vec::new();
                let policy =
                    parse_document(&source, &name, FileKind::Policy, &mut found).and_then(|node| {
                        let mut d = Decoder::new(&name, &source);
                        let policy = policy::decode(&mut d, &node, &stem);
                        found.append(&mut d.findings);
                        policy
                    });
                if let Ok(mut c) = cache.0.lock() {
                    c.insert(
                        path.clone(),
                        Decoded {
                            source,
                            policy: policy.clone(),
                            findings: found.clone(),
                        },
                    );
                }
                (policy, found)
            }
        };
        match policy {
            Some(policy) => policies.push(policy),
            None => unread.push(stem),
        }
        findings.append(&mut found);
    }
    (policies, unread, findings)
}

/// Which file `read_yaml` reads: settings may be empty; policies come from the walker.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Settings,
    Roster,
    Policy,
}

/// Reads one YAML file that must hold one mapping. Problems become findings and `None`.
/// Settings may have no document at all (read as an empty mapping).
fn read_yaml(
    loc: &Location,
    path: &Path,
    name: &str,
    kind: FileKind,
    findings: &mut Vec<Finding>,
) -> Option<(String, yaml::Node)> {
    let walked = kind == FileKind::Policy;
    let source = match read_text(loc, path, name, walked) {
        Ok(source) => source,
        Err(finding) => {
            findings.push(*finding);
            return None;
        }
    };
    let node = parse_document(&source, name, kind, findings)?;
    Some((source, node))
}

/// Parses one file's text, which must hold one mapping. Problems become findings and
/// `None`. Settings may have no document at all (read as an empty mapping).
fn parse_document(
    source: &str,
    name: &str,
    kind: FileKind,
    findings: &mut Vec<Finding>,
) -> Option<yaml::Node> {
    let may_be_empty = kind == FileKind::Settings;
    match yaml::parse(source) {
        Ok(Some(node)) => {
            if matches!(node.value, yaml::Value::Map(_)) {
                return Some(node);
            }
            if may_be_empty && matches!(node.value, yaml::Value::Null) {
                return Some(empty_map());
            }
            findings.push(
                Finding::new(
                    &rules::DOCUMENT_SHAPE,
                    name,
                    node.pos,
                    format!(
                        "the file holds {}; it must be one mapping of keys to values",
                        node.type_name()
                    ),
                )
                .hint("write `key: value` lines at the top level, like `id: working-hours`"),
            );
            None
        }
        Ok(None) if may_be_empty => Some(empty_map()),
        Ok(None) => {
            findings.push(
                Finding::new(&rules::DOCUMENT_SHAPE, name, Pos::START, "the file is empty")
                    .hint("write the document's keys, or delete the file (`normsctl new` writes a skeleton)"),
            );
            None
        }
        Err(e) => {
            findings.push(parse_finding(name, &e));
            None
        }
    }
}

fn empty_map() -> yaml::Node {
    yaml::Node {
        value: yaml::Value::Map(Vec::new()),
        pos: Pos::START,
        span: None,
    }
}

/// Turns a parse error into a finding under the right rule.
pub fn parse_finding(name: &str, e: &ParseError) -> Finding {
    match e {
        ParseError::Syntax { pos, message } => Finding::new(
            &rules::YAML_SYNTAX,
            name,
            *pos,
            format!("YAML syntax: {message}"),
        )
        .hint(if message.contains("tab") {
            "indent with spaces: YAML does not allow tabs for indentation"
        } else {
            "fix the YAML at this place (check indentation, quotes and brackets)"
        }),
        ParseError::DuplicateKey { pos, key } => Finding::new(
            &rules::DUPLICATE_KEY,
            name,
            *pos,
            format!("the key `{key}` appears twice in the same mapping"),
        )
        .hint("keep one of them: a later value would silently win in other tools"),
        ParseError::Limit { pos, message } => {
            Finding::new(&rules::FILE_LIMIT, name, *pos, message.clone())
        }
        ParseError::Encoding { pos, message } => {
            Finding::new(&rules::ENCODING, name, *pos, message.clone())
                .hint("save the file as UTF-8")
        }
        ParseError::MultipleDocuments { pos } => Finding::new(
            &rules::DOCUMENT_SHAPE,
            name,
            *pos,
            "a second YAML document starts here; a file holds exactly one",
        )
        .hint("remove the `---` line and what follows, or move it to its own file"),
        ParseError::NonFinite { pos, text } => Finding::new(
            &decode::INVALID_VALUE,
            name,
            *pos,
            format!("`{text}` is not a finite number"),
        )
        .hint("write an ordinary number, such as 90 or 0.5"),
    }
}

/// Reads a file as text, refusing links out of the handbook, huge files and non-UTF-8.
/// `walked` files came from [`policy_files`], which already pruned links that leave.
fn read_text(
    loc: &Location,
    path: &Path,
    name: &str,
    walked: bool,
) -> Result<String, Box<Finding>> {
    let unreadable = |e: std::io::Error| {
        Box::new(Finding::new(
            &rules::UNREADABLE,
            name,
            Pos::START,
            format!("cannot be read: {e}"),
        ))
    };
    if !walked {
        let real = path.canonicalize().map_err(unreadable)?;
        if !real.starts_with(&loc.root) {
            return Err(Box::new(outside_handbook(name, &real)));
        }
        // A pipe or device would block the read forever.
        if !std::fs::metadata(&real).map_err(unreadable)?.is_file() {
            return Err(Box::new(
                Finding::new(&rules::UNREADABLE, name, Pos::START, "not a regular file")
                    .hint("replace it with a YAML file"),
            ));
        }
    }
    // Read at most one byte past the limit: a 50 MB file costs no more than a 1 MB one.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(yaml::MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() as u64 > yaml::MAX_FILE_BYTES {
        let size = std::fs::metadata(path).map_or(bytes.len() as u64, |m| m.len());
        return Err(Box::new(
            Finding::new(
                &rules::FILE_LIMIT,
                name,
                Pos::START,
                format!(
                    "the file is {size} bytes; YAML files here are limited to {} bytes",
                    yaml::MAX_FILE_BYTES
                ),
            )
            .hint("a policy is a page of text: split it, or move data out of the handbook"),
        ));
    }
    match yaml::decode_utf8(&bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(e) => Err(Box::new(parse_finding(name, &e))),
    }
}
