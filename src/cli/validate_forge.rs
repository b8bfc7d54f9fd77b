//! What the CI report formats need beyond the findings: the list of files checked (JUnit's
//! test cases) and each finding's policy id and key path (GitLab's fingerprints). This
//! reads files again, so it runs only for those formats, and it never reads a file that
//! loading refused (a link out of the handbook, a file over the limits).

use normsctl::load::{self, Location, SETTINGS_FILE};
use normsctl::model::Handbook;
use normsctl::render::gitlab::{self, Anchor};
use normsctl::{diag::Finding, yaml};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Every file `validate` read, named as findings name them.
pub fn checked_files(loc: &Location, handbook: &Handbook) -> Vec<String> {
    let mut files = Vec::new();
    for rel in [SETTINGS_FILE, handbook.settings.roster.as_str()] {
        if loc.root.join(rel).is_file() {
            files.push(loc.display(Path::new(rel)));
        }
    }
    if let Ok(paths) = load::policy_paths(loc, &handbook.settings) {
        for path in paths {
            let rel = path.strip_prefix(&loc.root).unwrap_or(&path);
            files.push(loc.display(rel));
        }
    }
    files
}

/// One anchor per finding, in order.
pub fn anchors(loc: &Location, handbook: &Handbook, findings: &[Finding]) -> Vec<Anchor> {
    let top = loc.work_tree.as_deref().unwrap_or(&loc.root);
    let ids: HashMap<&str, &str> = handbook
        .policies
        .iter()
        .map(|p| (p.file.as_str(), p.id.value.as_str()))
        .collect();
    // Files that loading refused to read, or read and could not use, are not read here.
    let refused: std::collections::HashSet<&str> = findings
        .iter()
        .filter(|f| {
            [
                &normsctl::rules::file::OUTSIDE_HANDBOOK,
                &normsctl::rules::file::TEMPLATE_LINK,
                &normsctl::rules::file::UNREADABLE,
                &normsctl::rules::file::FILE_LIMIT,
                &normsctl::rules::file::ENCODING,
                &normsctl::rules::file::MISSING_FILE,
            ]
            .iter()
            .any(|r| r.name == f.rule.name)
        })
        .map(|f| f.file.as_str())
        .collect();
    let mut trees: HashMap<&str, Option<yaml::Node>> = HashMap::new();
    findings
        .iter()
        .map(|f| {
            let tree = trees.entry(f.file.as_str()).or_insert_with(|| {
                if refused.contains(f.file.as_str()) {
                    None
                } else {
                    read_tree(&top.join(&f.file))
                }
            });
            Anchor {
                policy_id: ids.get(f.file.as_str()).copied().unwrap_or("").to_owned(),
                key_path: tree
                    .as_ref()
                    .map(|node| gitlab::key_path(node, f.pos))
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// The YAML tree of a regular file (never through a link) within the size limit.
fn read_tree(path: &PathBuf) -> Option<yaml::Node> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > yaml::MAX_FILE_BYTES {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let text = yaml::decode_utf8(&bytes).ok()?;
    yaml::parse(text).ok().flatten()
}
