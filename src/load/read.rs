//! Reading files: each one's bytes as UTF-8 text within the limits, one YAML mapping in it,
//! every problem as a finding (never an error that stops the load); the policy files on
//! every core.

use super::*;

/// Which file `read_yaml` reads: settings may be empty; policies come from the walker.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum FileKind {
    Settings,
    Roster,
    Policy,
}

/// Reads one YAML file that must hold one mapping. Problems become findings and `None`.
/// Settings may have no document at all (read as an empty mapping).
pub(super) fn read_yaml(
    loc: &Location,
    path: &Path,
    name: &str,
    kind: FileKind,
    findings: &mut Vec<Finding>,
) -> Option<(String, yaml::Node)> {
    let walked = kind == FileKind::Policy;
    let source = match read_text(loc, path, name, walked) {
        Ok((source, _)) => source,
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
pub(super) fn parse_document(
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

pub(super) fn empty_map() -> yaml::Node {
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

/// Reads a file as text (without a byte-order mark; also whether it had one), refusing
/// links out of the handbook, huge files and non-UTF-8. `walked` files came from
/// [`policy_files`], which already pruned links that leave.
pub(super) fn read_text(
    loc: &Location,
    path: &Path,
    name: &str,
    walked: bool,
) -> Result<(String, bool), Box<Finding>> {
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
        if !is_inside(loc, &real) {
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
    // Room for the whole file up front: a `Take` reads a file of unknown length in
    // doubling steps from 32 bytes, seven reads for a policy of a few kilobytes.
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            let size = f.metadata().map_or(0, |m| m.len());
            let room = size.min(yaml::MAX_FILE_BYTES) + 1;
            bytes.reserve(usize::try_from(room).unwrap_or(0));
            f.take(yaml::MAX_FILE_BYTES + 1).read_to_end(&mut bytes)
        })
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
        Ok(text) => Ok((text.to_owned(), text.len() < bytes.len())),
        Err(e) => Err(Box::new(parse_finding(name, &e))),
    }
}

/// Reads and decodes policy files on every core, keeping the given order. Files go to the
/// threads one at a time, so that a few large files are spread over the cores as well as
/// many small ones.
pub(super) fn read_policies(loc: &Location, files: &[PathBuf], cache: &PolicyCache) -> Chunk {
    use rayon::prelude::*;
    let results: Vec<Chunk> = files
        .par_iter()
        .with_max_len(1)
        .map(|file| read_policy_chunk(loc, std::slice::from_ref(file), cache))
        .collect();
    let mut all: Chunk = (
        Vec::with_capacity(files.len()),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for (mut p, mut u, mut f, mut m) in results {
        all.0.append(&mut p);
        all.1.append(&mut u);
        all.2.append(&mut f);
        all.3.append(&mut m);
    }
    all
}

/// Policies read from some files; the stems of those that could not be read; findings;
/// the files whose text mentions the waiver mark.
type Chunk = (Vec<Policy>, Vec<String>, Vec<Finding>, Vec<String>);

fn read_policy_chunk(loc: &Location, files: &[PathBuf], cache: &PolicyCache) -> Chunk {
    let mut policies = Vec::new();
    let mut unread = Vec::new();
    let mut findings = Vec::new();
    let mut marked = Vec::new();
    for path in files {
        let rel = path.strip_prefix(&loc.root).unwrap_or(path);
        let name = loc.display(rel);
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (source, bom) = match read_text(loc, path, &name, true) {
            Ok(read) => read,
            Err(finding) => {
                findings.push(*finding);
                unread.push(stem);
                continue;
            }
        };
        if source.contains(crate::model::WAIVER_MARK) {
            marked.push(name.clone());
        }
        let decoded = (cache.keep == Keep::Decoded)
            .then(|| cache.files.lock().ok())
            .flatten();
        let decoded = decoded.and_then(|c| {
            c.get(path)
                .filter(|d| d.source == source && d.bom == bom)
                .map(|d| (d.policy.clone(), d.findings.clone()))
        });
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
                if cache.keep != Keep::Nothing
                    && let Ok(mut c) = cache.files.lock()
                {
                    let decoded = cache.keep == Keep::Decoded;
                    let kept = Decoded {
                        source,
                        bom,
                        policy: if decoded { policy.clone() } else { None },
                        findings: if decoded { found.clone() } else { Vec::new() },
                    };
                    c.insert(path.clone(), kept);
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
    (policies, unread, findings, marked)
}
