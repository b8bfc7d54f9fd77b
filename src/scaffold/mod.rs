//! `init`, `new` and `review`: writing a small working handbook, a skeleton policy to fill
//! in, and a policy's `reviewed` date in place.
//!
//! Nothing is ever overwritten: every target is checked before the first file is written,
//! and each file is written atomically.

pub mod new;
pub mod review;

use crate::model::Kind;
use crate::schema::SchemaKind;
use std::path::{Path, PathBuf};

/// What can go wrong while scaffolding.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    #[error("refusing to overwrite existing files: {}", list(.0))]
    Exists(Vec<PathBuf>),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("git: {}", .0.message())]
    Git(#[from] git2::Error),
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ScaffoldError + '_ {
    move |source| ScaffoldError::Io {
        path: path.to_path_buf(),
        source,
    }
}

const VSCODE_SETTINGS: &str = r#"{
  "yaml.schemas": {
    "./schema/policy.schema.json": ["policies/**/*.yaml", "policies/**/*.yml"],
    "./schema/roster.schema.json": ["people.yaml"],
    "./schema/settings.schema.json": ["normsctl.yaml"]
  }
}
"#;

/// The files `init` writes, relative to the handbook root.
pub fn init_files() -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = vec![
        (
            "normsctl.yaml".into(),
            include_str!("init/normsctl.yaml").into(),
        ),
        (
            "people.yaml".into(),
            include_str!("init/people.yaml").into(),
        ),
        (
            "policies/expectations/working-hours.yaml".into(),
            include_str!("init/policies/expectations/working-hours.yaml").into(),
        ),
        (
            "policies/norms/stepping-away.yaml".into(),
            include_str!("init/policies/norms/stepping-away.yaml").into(),
        ),
        (
            "policies/metrics/first-response-time.yaml".into(),
            include_str!("init/policies/metrics/first-response-time.yaml").into(),
        ),
        (".vscode/settings.json".into(), VSCODE_SETTINGS.into()),
        (".gitignore".into(), "/site/\n".into()),
    ];
    for kind in SchemaKind::ALL {
        let text = crate::render::json::pretty(&kind.schema());
        files.push((format!("schema/{}", kind.file_name()), text));
    }
    files
}

/// Files `init` adds only where the folder has none (they are the user's, not the handbook's).
const OPTIONAL: [&str; 2] = [".gitignore", ".vscode/settings.json"];

/// What `init` did.
#[derive(Debug)]
pub struct InitReport {
    pub written: Vec<String>,
    /// Optional files left alone because the folder already had them.
    pub skipped: Vec<String>,
    /// The first commit, when `init` created the repository.
    pub commit: Option<git2::Oid>,
}

/// Writes a working handbook into `dir`; creates a repository with a first commit when
/// `dir` is not inside one.
pub fn init(dir: &Path) -> Result<InitReport, ScaffoldError> {
    if dir.exists() && !dir.is_dir() {
        return Err(ScaffoldError::Exists(vec![dir.to_path_buf()]));
    }
    let (files, skipped): (Vec<_>, Vec<_>) = init_files()
        .into_iter()
        .partition(|(rel, _)| !(OPTIONAL.contains(&rel.as_str()) && dir.join(rel).exists()));
    let skipped = skipped.into_iter().map(|(rel, _)| rel).collect();
    // Every target, and every folder on the way to it, must be free before the first write.
    let existing: std::collections::BTreeSet<PathBuf> = files
        .iter()
        .filter_map(|(rel, _)| {
            let target = dir.join(rel);
            let blocking = target
                .ancestors()
                .skip(1)
                .take_while(|p| *p != dir)
                .find(|p| p.exists() && !p.is_dir())
                .map(Path::to_path_buf);
            blocking.or_else(|| target.exists().then_some(target))
        })
        .collect();
    if !existing.is_empty() {
        return Err(ScaffoldError::Exists(existing.into_iter().collect()));
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let in_repo = git2::Repository::discover(dir).is_ok_and(|r| !r.is_bare());
    let mut written = Vec::new();
    for (rel, text) in &files {
        let path = dir.join(rel);
        crate::atomic::write_new(&path, text.as_bytes()).map_err(io(&path))?;
        written.push(rel.clone());
    }
    let commit = if in_repo {
        None
    } else {
        Some(first_commit(dir, &written)?)
    };
    Ok(InitReport {
        written,
        skipped,
        commit,
    })
}

fn first_commit(dir: &Path, files: &[String]) -> Result<git2::Oid, git2::Error> {
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = git2::Repository::init_opts(dir, &opts)?;
    let mut index = repo.index()?;
    for rel in files {
        index.add_path(Path::new(rel))?;
    }
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let sig = repo
        .signature()
        .or_else(|_| git2::Signature::now("normsctl init", "normsctl@localhost"))?;
    repo.commit(
        Some("HEAD"),
        &sig,
        &sig,
        "Start the handbook (normsctl init)",
        &tree,
        &[],
    )
}

/// A skeleton policy of `kind` with `id`, owned by `owner`, that validates as written.
/// `schema` is the relative path from the new file to the policy schema, if there is one.
pub fn skeleton(kind: Kind, id: &str, owner: &str, schema: Option<&str>) -> String {
    let title = title_from_id(id);
    let mut s = String::new();
    if let Some(schema) = schema {
        s.push_str(&format!("# yaml-language-server: $schema={schema}\n"));
    }
    s.push_str(&format!(
        "id: {id}\nkind: {kind}\ntitle: {title}\nsummary: One sentence that says what this asks of whom.\nowner: {owner}\napplies_to: [everyone]\nrevision: 1\n",
        kind = kind.as_str()
    ));
    match kind {
        Kind::Metric => s.push_str(concat!(
            "level: individual\n",
            "measures: Exactly what is counted or timed, and from when to when.\n",
            "source: \"System and fields the numbers come from, e.g. Helpdesk: assigned_at, first_reply_at\"\n",
            "unit: minutes\n",
            "statistic: median\n",
            "target: { op: \"<=\", value: 60 }\n",
            "window: week\n",
            "controllable: true\n",
            "visibility: private\n",
            "body: |\n",
            "  Why this metric matters, what counts and what does not, and how it\n",
            "  is reviewed with each person.\n",
        )),
        _ => s.push_str(concat!(
            "body: |\n",
            "  What is expected, in plain words, and why.\n",
            "\n",
            "  - what to do\n",
            "  - what happens when it cannot be done\n",
        )),
    }
    s
}

/// `time-to-first-response` -> `Time to first response`.
pub fn title_from_id(id: &str) -> String {
    let words = id.replace('-', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The first folder from `root` (exclusive) down to `folder` (inclusive) that is a symbolic
/// link, if any: `new` never writes through one, wherever it points.
pub fn link_on_the_way(
    root: &std::path::Path,
    folder: &std::path::Path,
) -> Option<std::path::PathBuf> {
    let rel = folder.strip_prefix(root).ok()?;
    let mut at = root.to_path_buf();
    for part in rel.components() {
        at.push(part);
        if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return Some(at);
        }
    }
    None
}
