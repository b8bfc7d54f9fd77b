//! One ledger entry: its JSON, the file that carries it (with an optional SSH signature of
//! the JSON's exact bytes), and where it sits in the ledger's tree. Pure functions, no I/O.

pub use crate::model::ack::{Entry, Parsed, Via, Writer};
use git2::{ObjectType, Oid};

/// The SSH signature namespace of entries (`ssh-keygen -Y sign -n normsctl-ack`).
pub const NAMESPACE: &str = "normsctl-ack";
/// The entry format of an acknowledgement (what this tool writes for one).
pub const FORMAT: u32 = 1;
/// The entry format of a revocation: an acknowledgement's fields plus `revokes`. Readers
/// that know only format 1 say "upgrade", never "tampered".
pub const REVOCATION_FORMAT: u32 = 2;
/// The entry format of an acknowledgement given in the portal: format 1's fields plus
/// `via` (how the person signed in there). Readers that know only formats 1 and 2 say
/// "upgrade", never "tampered".
pub const PORTAL_FORMAT: u32 = 3;
/// The newest format this version reads.
pub const NEWEST_FORMAT: u32 = PORTAL_FORMAT;
/// The line that starts an armored SSH signature after the JSON.
const SIG_START: &str = "-----BEGIN SSH SIGNATURE-----\n";

impl Entry {
    /// The JSON bytes that are stored, hashed and signed.
    pub fn payload(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("an entry serialises");
        bytes.push(b'\n');
        bytes
    }

    /// The recorded time as Unix seconds, if it parses.
    pub fn seconds(&self) -> Option<i64> {
        self.time
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_second())
    }
}

/// The id of an entry: the git blob id of its JSON bytes.
pub fn entry_id(payload: &[u8]) -> Oid {
    Oid::hash_object(ObjectType::Blob, payload).expect("hashing bytes cannot fail")
}

/// The two-hex-digit folder a person's entries sit in, spreading people over 256 folders.
pub fn bucket(person: &str) -> String {
    let h = Oid::hash_object(ObjectType::Blob, person.as_bytes()).expect("hashing");
    h.to_string()[..2].to_owned()
}

/// How many alternative bucket folders (`xx-1` .. `xx-9`) a person's entries may use when
/// something that is not a folder occupies `xx` or `xx/person` (a file committed there by
/// hand must not stop that person from acknowledging ever again).
pub const SPARE_BUCKETS: u32 = 9;

/// The folders a person's entries may sit in, in the order an append tries them.
pub fn bucket_names(person: &str) -> Vec<String> {
    let b = bucket(person);
    std::iter::once(b.clone())
        .chain((1..=SPARE_BUCKETS).map(|n| format!("{b}-{n}")))
        .collect()
}

/// Whether `dir` is one of `person`'s bucket folders.
pub fn is_bucket_of(dir: &str, person: &str) -> bool {
    // The same person's entries come one after another: their bucket is hashed once.
    thread_local! {
        static LAST: std::cell::RefCell<(String, String)> = const {
            std::cell::RefCell::new((String::new(), String::new()))
        };
    }
    let b = LAST.with_borrow_mut(|(who, b)| {
        if who.as_str() != person || b.is_empty() {
            *b = bucket(person);
            person.clone_into(who);
        }
        b.clone()
    });
    match dir.strip_prefix(b.as_str()) {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix('-')
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| (1..=SPARE_BUCKETS).contains(&n) && !rest.starts_with("-0")),
        None => false,
    }
}

/// The file name of an entry inside its person's folder.
pub fn file_name(policy: &str, revision: u32, id: Oid) -> String {
    format!("{policy}.r{revision}.{id}.ack")
}

/// The one-hex-digit folder inside a person's folder that their entries of `policy` go
/// to, spreading a person's entries over 16 small folders: an `ack` then rewrites trees of
/// a bounded size, however many entries the person has (one folder holding all of them
/// made the ledger's trees, and `acks verify`'s walk over them, grow with the square of a
/// person's entries).
pub fn sub(policy: &str) -> String {
    let h = Oid::hash_object(ObjectType::Blob, policy.as_bytes()).expect("hashing");
    h.to_string()[..1].to_owned()
}

/// The folders inside a person's folder an append tries for `policy`, in order: the
/// policy's own, then spares (`x-1` .. `x-9`) for when something that is not a folder
/// occupies it.
pub fn sub_names(policy: &str) -> Vec<String> {
    let s = sub(policy);
    std::iter::once(s.clone())
        .chain((1..=SPARE_BUCKETS).map(|n| format!("{s}-{n}")))
        .collect()
}

/// Whether `dir`, a folder inside a person's folder, is one entries may sit in: one hex
/// digit, or a spare of one (`x-1` .. `x-9`). Any of them, not only the policy's own: the
/// folder only spreads entries, and what an entry says is judged from its file.
pub fn is_sub(dir: &str) -> bool {
    let b = dir.as_bytes();
    let hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
    match b {
        [c] => hex(*c),
        [c, b'-', n] => hex(*c) && (b'1'..=b'9').contains(n),
        _ => false,
    }
}

/// Where an entry sits in the ledger's tree: `xx/person/x/policy.rN.id.ack`.
pub fn path_of(person: &str, policy: &str, revision: u32, id: Oid) -> String {
    format!(
        "{}/{person}/{}/{}",
        bucket(person),
        sub(policy),
        file_name(policy, revision, id)
    )
}

/// What a ledger path says about its entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathInfo {
    pub person: String,
    pub policy: String,
    pub revision: u32,
    pub id: Oid,
}

/// Reads a ledger path `xx/person/x/policy.rN.id.ack` (or `xx/person/policy.rN.id.ack`,
/// where entries were written before the `x` folders); `None` when it has another shape
/// (including a bucket that is not the person's).
pub fn parse_path(path: &str) -> Option<PathInfo> {
    let mut parts = path.split('/');
    let (bucket_dir, person, third) = (parts.next()?, parts.next()?, parts.next()?);
    let name = match parts.next() {
        None => third,
        Some(name) if is_sub(third) => name,
        Some(_) => return None,
    };
    if parts.next().is_some() {
        return None;
    }
    let info = parse_name(person, name)?;
    is_bucket_of(bucket_dir, person).then_some(info)
}

/// Reads a file name `policy.rN.id.ack` inside `person`'s folder.
pub fn parse_name(person: &str, name: &str) -> Option<PathInfo> {
    let mut parts = name.split('.');
    let (policy, rev, id, ext) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || ext != "ack" || id.len() != 40 {
        return None;
    }
    let revision = rev.strip_prefix('r')?.parse::<u32>().ok()?;
    if !crate::model::is_valid_id(person) || !crate::model::is_valid_id(policy) {
        return None;
    }
    Some(PathInfo {
        person: person.to_owned(),
        policy: policy.to_owned(),
        revision,
        id: Oid::from_str(id).ok()?,
    })
}

/// The bytes of an entry file: the JSON, then the armored signature if there is one.
pub fn file_bytes(payload: &[u8], signature: Option<&str>) -> Vec<u8> {
    let mut bytes = payload.to_vec();
    if let Some(sig) = signature {
        bytes.extend_from_slice(sig.as_bytes());
        if !sig.ends_with('\n') {
            bytes.push(b'\n');
        }
    }
    bytes
}

/// An entry file split into its JSON bytes and its signature.
#[derive(Clone, Debug)]
pub struct FileParts<'a> {
    pub payload: &'a [u8],
    pub signature: Option<&'a str>,
}

/// Splits an entry file. JSON escapes newlines inside strings, so the signature's first
/// line can only appear where a signature starts.
pub fn split_file(bytes: &[u8]) -> FileParts<'_> {
    match find_signature(bytes) {
        Some(at) => FileParts {
            payload: &bytes[..=at],
            signature: std::str::from_utf8(&bytes[at + 1..]).ok(),
        },
        None => FileParts {
            payload: bytes,
            signature: None,
        },
    }
}

/// The position of the line break before the signature's first line.
fn find_signature(bytes: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(n) = bytes[from..].iter().position(|&b| b == b'\n') {
        let at = from + n;
        if bytes[at + 1..].starts_with(SIG_START.as_bytes()) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Why an entry file is malformed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Malformed {
    #[error("the path does not have the shape xx/person/x/policy.rN.id.ack")]
    Path,
    #[error("the JSON does not read as an entry: {0}")]
    Json(String),
    #[error("format {0} is not one this version reads")]
    Format(u32),
    /// Written by a newer normsctl: not wrong, only unreadable here.
    #[error(
        "entry format {0} is newer than this normsctl reads ({NEWEST_FORMAT}): upgrade normsctl to check it"
    )]
    Newer(u32),
    #[error("the file name's id is not the hash of the entry's JSON: the entry was edited")]
    Id,
    #[error("the path says {what} `{path}`, the entry says `{entry}`")]
    Mismatch {
        what: &'static str,
        path: String,
        entry: String,
    },
    #[error("`{0}` is not an RFC 3339 time with an offset")]
    Time(String),
    #[error("`{field}` is not a git object id")]
    ObjectId { field: &'static str },
    #[error("the signature block is not text")]
    Signature,
}

/// Parses and checks one entry file at `path`: shape, JSON, id = hash of the JSON, and
/// that the path agrees with what the entry says.
pub fn parse_file(path: &str, bytes: &[u8]) -> Result<(Parsed, Vec<u8>), Malformed> {
    parse(path, bytes, None)
}

/// [`parse_file`] of the file stored as the blob `blob`: `bytes` must be that blob's
/// content as read from the object database with git's hash checks on (then an unsigned
/// file's id is `blob`, and is not hashed again).
pub fn parse_blob(path: &str, bytes: &[u8], blob: Oid) -> Result<(Parsed, Vec<u8>), Malformed> {
    parse(path, bytes, Some(blob))
}

fn parse(path: &str, bytes: &[u8], blob: Option<Oid>) -> Result<(Parsed, Vec<u8>), Malformed> {
    let info = parse_path(path).ok_or(Malformed::Path)?;
    let parts = split_file(bytes);
    let id = match blob {
        Some(blob) if parts.payload.len() == bytes.len() => blob,
        _ => entry_id(parts.payload),
    };
    if id != info.id {
        return Err(Malformed::Id);
    }
    if bytes.len() > parts.payload.len() && parts.signature.is_none() {
        return Err(Malformed::Signature);
    }
    // A newer format may add fields this version does not know: it is "newer", whether
    // or not the rest reads.
    #[derive(serde::Deserialize)]
    struct FormatOnly {
        format: u32,
    }
    let entry: Entry = match serde_json::from_slice::<Entry>(parts.payload) {
        Ok(entry) if entry.format > NEWEST_FORMAT => return Err(Malformed::Newer(entry.format)),
        Ok(entry) => entry,
        Err(e) => {
            let format = serde_json::from_slice::<FormatOnly>(parts.payload)
                .map_err(|e| Malformed::Json(e.to_string()))?
                .format;
            if format > NEWEST_FORMAT {
                return Err(Malformed::Newer(format));
            }
            return Err(Malformed::Json(e.to_string()));
        }
    };
    let revokes_ok = entry
        .revokes
        .as_deref()
        .is_some_and(|r| r.len() == 40 && Oid::from_str(r).is_ok());
    match (entry.format, &entry.revokes, &entry.via) {
        (FORMAT, None, None) => {}
        (REVOCATION_FORMAT, Some(_), None) if revokes_ok => {}
        (REVOCATION_FORMAT, Some(_), None) => {
            return Err(Malformed::ObjectId { field: "revokes" });
        }
        (PORTAL_FORMAT, None, Some(v))
            if v.channel == "portal" && matches!(v.method.as_str(), "email-link" | "proxy") => {}
        (f, _, _) => return Err(Malformed::Format(f)),
    }
    let mismatch = |what, path: &str, entry: &str| Malformed::Mismatch {
        what,
        path: path.to_owned(),
        entry: entry.to_owned(),
    };
    if entry.person != info.person {
        return Err(mismatch("person", &info.person, &entry.person));
    }
    if entry.policy != info.policy {
        return Err(mismatch("policy", &info.policy, &entry.policy));
    }
    if entry.revision != info.revision {
        return Err(mismatch(
            "revision",
            &info.revision.to_string(),
            &entry.revision.to_string(),
        ));
    }
    if entry.time.parse::<jiff::Timestamp>().is_err() {
        return Err(Malformed::Time(entry.time.clone()));
    }
    for (field, value) in [("blob", &entry.blob), ("commit", &entry.commit)] {
        if value.len() != 40 || Oid::from_str(value).is_err() {
            return Err(Malformed::ObjectId { field });
        }
    }
    let payload = parts.payload.to_vec();
    Ok((
        Parsed {
            id: info.id,
            payload_len: payload.len(),
            signature: parts.signature.map(str::to_owned),
            entry,
        },
        payload,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Entry {
        Entry {
            format: FORMAT,
            person: "ana".into(),
            policy: "stepping-away".into(),
            revision: 2,
            path: "policies/stepping-away.yaml".into(),
            blob: "a".repeat(40),
            commit: "b".repeat(40),
            time: "2026-01-05T10:00:00+01:00".into(),
            writer: Writer {
                name: "Ana".into(),
                email: "ana@example.com".into(),
            },
            tool: "normsctl 0.1.0".into(),
            note: None,
            revokes: None,
            via: None,
        }
    }

    #[test]
    fn round_trip_and_path() {
        let e = sample();
        let payload = e.payload();
        let id = entry_id(&payload);
        let path = path_of("ana", "stepping-away", 2, id);
        let (parsed, _) = parse_file(&path, &payload).unwrap();
        assert_eq!(parsed.entry, e);
        assert!(parsed.signature.is_none());
        let info = parse_path(&path).unwrap();
        assert_eq!((info.person.as_str(), info.revision), ("ana", 2));
    }

    #[test]
    fn signature_is_split_off() {
        let payload = sample().payload();
        let sig = "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n";
        let file = file_bytes(&payload, Some(sig));
        let parts = split_file(&file);
        assert_eq!(parts.payload, &payload[..]);
        assert_eq!(parts.signature, Some(sig));
    }

    #[test]
    fn spare_buckets() {
        let b = bucket("ana");
        assert!(is_bucket_of(&b, "ana"));
        assert!(is_bucket_of(&format!("{b}-1"), "ana"));
        assert!(is_bucket_of(&format!("{b}-9"), "ana"));
        assert!(!is_bucket_of(&format!("{b}-10"), "ana"));
        assert!(!is_bucket_of(&format!("{b}-01"), "ana"));
        assert!(!is_bucket_of(&format!("{b}-"), "ana"));
        assert!(!is_bucket_of(&format!("{b}x"), "ana"));
        assert_eq!(bucket_names("ana").len(), 10);
    }

    #[test]
    fn portal_entries_are_format_3_with_via_and_only_then() {
        let via = Via {
            channel: "portal".into(),
            method: "email-link".into(),
            identity: "ana@example.com".into(),
        };
        let check = |format: u32, via: Option<Via>| {
            let e = Entry {
                format,
                via,
                ..sample()
            };
            let payload = e.payload();
            let path = path_of("ana", "stepping-away", 2, entry_id(&payload));
            parse_file(&path, &payload).map(|(p, _)| p.entry.via)
        };
        assert_eq!(
            check(PORTAL_FORMAT, Some(via.clone())),
            Ok(Some(via.clone()))
        );
        assert_eq!(check(PORTAL_FORMAT, None), Err(Malformed::Format(3)));
        assert_eq!(check(FORMAT, Some(via.clone())), Err(Malformed::Format(1)));
        let odd = Via {
            method: "carrier-pigeon".into(),
            ..via
        };
        assert_eq!(check(PORTAL_FORMAT, Some(odd)), Err(Malformed::Format(3)));
    }

    #[test]
    fn both_layouts_read_and_new_entries_go_to_the_policys_folder() {
        let id = entry_id(&sample().payload());
        let (b, x) = (bucket("ana"), sub("stepping-away"));
        let name = file_name("stepping-away", 2, id);
        assert_eq!(
            path_of("ana", "stepping-away", 2, id),
            format!("{b}/ana/{x}/{name}")
        );
        // Written before the `x` folders: still an entry where it is.
        let old = parse_path(&format!("{b}/ana/{name}")).unwrap();
        let new = parse_path(&format!("{b}/ana/{x}/{name}")).unwrap();
        assert_eq!(old, new);
        assert!(parse_path(&format!("{b}/ana/{x}-9/{name}")).is_some());
        for bad in ["g", "10", "a-0", "a-10", "A", "", "ab"] {
            assert!(!is_sub(bad), "{bad}");
            assert!(
                parse_path(&format!("{b}/ana/{bad}/{name}")).is_none(),
                "{bad}"
            );
        }
        assert!(parse_path(&format!("{b}/ana/{x}/{x}/{name}")).is_none());
        assert_eq!(sub_names("stepping-away").len(), 10);
        assert!(sub_names("stepping-away").iter().all(|s| is_sub(s)));
    }

    #[test]
    fn a_newer_format_asks_for_an_upgrade() {
        let payload = b"{\n  \"format\": 4,\n  \"person\": \"ana\",\n  \"kind\": \"new\"\n}\n";
        let id = entry_id(payload);
        let path = path_of("ana", "stepping-away", 2, id);
        let e = parse_file(&path, payload).unwrap_err();
        assert_eq!(e, Malformed::Newer(4));
        assert!(e.to_string().contains("upgrade normsctl"));
        let old = b"{\n  \"format\": 0\n}\n";
        let path = path_of("ana", "stepping-away", 2, entry_id(old));
        assert!(matches!(
            parse_file(&path, old).unwrap_err(),
            Malformed::Json(_)
        ));
    }

    #[test]
    fn edits_and_wrong_paths_are_malformed() {
        let payload = sample().payload();
        let id = entry_id(&payload);
        let edited = String::from_utf8(payload.clone())
            .unwrap()
            .replace("r", "R");
        let path = path_of("ana", "stepping-away", 2, id);
        assert_eq!(
            parse_file(&path, edited.as_bytes()).unwrap_err(),
            Malformed::Id
        );
        let other = path_of("bo", "stepping-away", 2, id);
        assert!(matches!(
            parse_file(&other, &payload).unwrap_err(),
            Malformed::Mismatch { what: "person", .. }
        ));
        assert!(parse_path("zz/ana/stepping-away.r2.x.ack").is_none());
        assert!(
            parse_path(&format!("00/ana/{}", file_name("p", 1, id))).is_none()
                || bucket("ana") == "00"
        );
    }
}
