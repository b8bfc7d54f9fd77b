//! What the reports need from each ledger entry (where it sits, when it was recorded and
//! who wrote it), kept between runs so that a report on the whole ledger reads each tree
//! and each entry's file once per clone rather than once per run.
//!
//! Reading 200,000 entry files costs seconds in a packed repository (they are small and
//! alike, so `git gc` stores them as long delta chains), and listing them reads thousands
//! of trees. Both are pure functions of git objects, so both are kept in
//! `<git dir>/normsctl/ledger-<hash of the ref>.json` by object id: the people folders of
//! a bucket tree, the entries of a person's folder tree (under its path, which is part of
//! what makes an entry well-formed), and what each entry's file says (or that it is
//! malformed). For the tips as they are, the listing and facts are also kept whole in one
//! binary file (`ledger-<hash of the ref>.bin`), read without parsing JSON or hex: a report
//! on an unchanged ledger reads only that. An id fixes the bytes, so a kept answer is the
//! answer: a new `ack` changes the few trees on its path, and only those and the new entry
//! are read. Everything read is written back (through a temporary file and a rename) when
//! anything was new. A damaged, foreign or older file is ignored and replaced; one that
//! cannot be written only costs the next run its speed.
//!
//! Only the reports (`acks`) use this. `verify` and `evidence` read every entry from the
//! object database with git's hash checks on, and never trust anything kept here.

use super::AckError;
use super::entry::{self, Parsed};
use super::ledger::{self, Listed};
use super::listing;
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

const FORMAT: u32 = 2;

/// What an entry's file says that the reports show: when it was recorded and who wrote
/// it (where it sits is its [`Listed`], kept beside it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// As recorded (RFC 3339 with the writer's offset).
    pub time: String,
    pub seconds: i64,
    pub writer_name: String,
    pub writer_email: String,
}

impl Facts {
    fn of(p: &Parsed) -> Facts {
        Facts {
            time: p.entry.time.clone(),
            seconds: p.entry.seconds().unwrap_or(0),
            writer_name: p.entry.writer.name.clone(),
            writer_email: p.entry.writer.email.clone(),
        }
    }
}

/// The facts of `listed`, in order, read from their files; `None` for a malformed entry.
/// For a few entries (one person's, one policy's) this is faster than loading what is kept.
pub fn of(git_dir: &Path, listed: &[Listed]) -> Vec<Option<Facts>> {
    ledger::read(git_dir, listed)
        .iter()
        .map(|p| p.as_ref().ok().map(Facts::of))
        .collect()
}

/// The entry files a whole-ledger read had to take from git (by blob id): the judge reads
/// them from here rather than inflating each again (a packed ledger's files sit in long
/// delta chains, which libgit2 walks whole for every read).
pub type Read = foldhash::HashMap<Oid, Vec<u8>>;

/// Every entry listed, what each file says (`None`: malformed), and the files read.
pub type Whole = (Vec<Listed>, Vec<Option<Facts>>, Read);

/// Every entry in the trees of `tips`, once each, and its facts (`None` for a malformed
/// entry), from what is kept for `ledger_ref` wherever it holds; what was new is kept for
/// the next run.
pub fn whole(repo: &Repository, ledger_ref: &str, tips: &[Oid]) -> Result<Whole, AckError> {
    // The ledger has not moved since the last report: everything, from one binary file.
    let snapshot = snapshot_path(repo.path(), ledger_ref);
    if let Some(whole) =
        crate::cache::read_bytes(&snapshot).and_then(|bytes| decode_snapshot(&bytes, tips))
    {
        return Ok((whole.0, whole.1, Read::default()));
    }
    let file = path(repo.path(), ledger_ref);
    let mut kept = load(&file).unwrap_or_default();
    let mut used_buckets: Vec<Oid> = Vec::new();
    let mut used_folders: Vec<(String, Oid)> = Vec::new();
    let mut changed = false;
    // (folder path, name in it, blob): the path, without making it for every row.
    let mut seen: foldhash::HashSet<(&str, &str, Oid)> = foldhash::HashSet::default();
    let mut listed: Vec<Listed> = Vec::new();
    // What each listed entry's file says, where kept (`None`: not kept).
    let mut known: Vec<Option<Option<&KeptFacts>>> = Vec::new();
    // First every tree (reading what is not kept), then the listing by reference.
    for tip in tips {
        let root = repo.find_commit(*tip)?.tree_id();
        let buckets = listing::folders(repo, root)?;
        // Most buckets not kept (a first report in this clone): every tree at once.
        let unknown = buckets
            .iter()
            .filter(|(_, id)| !kept.buckets.contains_key(id))
            .count();
        let at_once = super::batch::worth(unknown, listing::MIN_BUCKETS)
            .then(|| listing::Listing::read(repo.path(), *tip, root))
            .flatten();
        let trees: &dyn listing::Trees = match &at_once {
            Some(l) => l,
            None => repo,
        };
        for (bucket, bucket_id) in buckets {
            if let std::collections::hash_map::Entry::Vacant(slot) = kept.buckets.entry(bucket_id) {
                changed = true;
                slot.insert(listing::folders(trees, bucket_id)?);
            }
            for (who, folder_id) in &kept.buckets[&bucket_id] {
                let key = (format!("{bucket}/{who}"), *folder_id);
                if !kept.folders.contains_key(&key) {
                    changed = true;
                    let rows = listing::folder_entries(trees, &key.0, who, *folder_id)?
                        .into_iter()
                        .map(|(path, _, blob)| KeptRow {
                            name: path[key.0.len() + 1..].to_owned(),
                            blob,
                            facts: None,
                        })
                        .collect();
                    kept.folders.insert(key.clone(), rows);
                }
                used_folders.push(key);
            }
            used_buckets.push(bucket_id);
        }
    }
    for key in &used_folders {
        let (prefix, _) = key;
        let who = prefix.split_once('/').map_or("", |(_, w)| w);
        for row in &kept.folders[key] {
            // Rows are checked when read (`load`) and made from names that parse.
            let Some(info) = listing::parse_row(who, &row.name) else {
                continue;
            };
            // By path, not by id: a decoy elsewhere that borrows a real entry's id must not
            // hide it.
            if seen.insert((prefix.as_str(), row.name.as_str(), row.blob)) {
                listed.push(Listed {
                    path: format!("{prefix}/{}", row.name),
                    info,
                    blob: row.blob,
                });
                known.push(row.facts.as_ref().map(Option::as_ref));
            }
        }
    }
    let missing: Vec<Listed> = listed
        .iter()
        .zip(&known)
        .filter(|(_, k)| k.is_none())
        .map(|(l, _)| l.clone())
        .collect();
    changed |= !missing.is_empty();
    let files = super::files::read_files(repo.path(), &missing);
    let mut read = {
        use rayon::prelude::*;
        files
            .par_iter()
            .zip(&missing)
            .map(|(bytes, l)| {
                let bytes = bytes.as_deref()?;
                entry::parse_blob(&l.path, bytes, l.blob)
                    .ok()
                    .map(|(p, _)| Facts::of(&p))
            })
            .collect::<Vec<_>>()
    }
    .into_iter();
    let mut out = Vec::with_capacity(listed.len());
    for k in known {
        out.push(match k {
            Some(k) => k.map(|(time, seconds, w)| {
                let (name, email) = kept.writers.get(*w).cloned().unwrap_or_default();
                Facts {
                    time: time.clone(),
                    seconds: *seconds,
                    writer_name: name,
                    writer_email: email,
                }
            }),
            None => read.next().flatten(),
        });
    }
    crate::cache::write_bytes(&snapshot, &encode_snapshot(tips, &listed, &out));
    if changed {
        save(&file, kept, &used_buckets, &used_folders, &listed, &out);
    }
    let files: Read = missing
        .iter()
        .zip(files)
        .filter_map(|(l, bytes)| Some((l.blob, bytes?)))
        .collect();
    Ok((listed, out, files))
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// The index of `s` in `table`, added when new.
fn interned<'a>(table: &mut Vec<&'a str>, index: &mut HashMap<&'a str, u32>, s: &'a str) -> u32 {
    *index.entry(s).or_insert_with(|| {
        table.push(s);
        (table.len() - 1) as u32
    })
}

/// Reads a snapshot kept for exactly `tips`; `None` (a miss) when it is for other tips,
/// another version, or anything in it is out of place.
fn decode_snapshot(bytes: &[u8], tips: &[Oid]) -> Option<(Vec<Listed>, Vec<Option<Facts>>)> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(8)? != SNAPSHOT_MAGIC || r.text()? != crate::VERSION {
        return None;
    }
    let n_tips = r.u32()? as usize;
    if n_tips != tips.len() {
        return None;
    }
    for t in tips {
        if r.take(20)? != t.as_bytes() {
            return None;
        }
    }
    let n_table = r.u32()? as usize;
    let mut table: Vec<&str> = Vec::with_capacity(n_table.min(1 << 20));
    for _ in 0..n_table {
        table.push(r.text()?);
    }
    let n = r.u32()? as usize;
    let mut listed = Vec::with_capacity(n.min(1 << 24));
    let mut facts = Vec::with_capacity(n.min(1 << 24));
    for _ in 0..n {
        let path = r.text()?.to_owned();
        let blob = Oid::from_bytes(r.take(20)?).ok()?;
        let person = (*table.get(r.u32()? as usize)?).to_owned();
        let policy = (*table.get(r.u32()? as usize)?).to_owned();
        let revision = r.u32()?;
        let id = Oid::from_bytes(r.take(20)?).ok()?;
        let l = Listed {
            path,
            info: entry::PathInfo {
                person,
                policy,
                revision,
                id,
            },
            blob,
        };
        let f = match r.take(1)?[0] {
            0 => None,
            1 => {
                let time = r.text()?.to_owned();
                let seconds = i64::from_le_bytes(r.take(8)?.try_into().ok()?);
                let name = (*table.get(r.u32()? as usize)?).to_owned();
                let email = (*table.get(r.u32()? as usize)?).to_owned();
                Some(Facts {
                    time,
                    seconds,
                    writer_name: name,
                    writer_email: email,
                })
            }
            _ => return None,
        };
        listed.push(l);
        facts.push(f);
    }
    (r.at == bytes.len()).then_some((listed, facts))
}

struct Reader<'b> {
    bytes: &'b [u8],
    at: usize,
}

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Option<&'b [u8]> {
        let s = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn text(&mut self) -> Option<&'b str> {
        let n = self.u32()? as usize;
        std::str::from_utf8(self.take(n)?).ok()
    }
}

/// Where the listing and facts of exactly the ledger's current tips are kept.
fn snapshot_path(git_dir: &Path, ledger_ref: &str) -> PathBuf {
    path(git_dir, ledger_ref).with_extension("bin")
}

const SNAPSHOT_MAGIC: &[u8; 8] = b"NCTLLDG1";

/// The snapshot file: magic, the tool's version, the tips, a table of the texts that
/// repeat (people, policies, writers), then each entry: its path, blob, person, policy,
/// revision and id, and what its file says (time, seconds, writer) or that it is
/// malformed. Little-endian; read back without parsing JSON or hex.
fn encode_snapshot(tips: &[Oid], listed: &[Listed], facts: &[Option<Facts>]) -> Vec<u8> {
    let mut table: Vec<&str> = Vec::new();
    let mut index: HashMap<&str, u32> = HashMap::new();
    let mut body = Vec::with_capacity(listed.len() * 160);
    for (l, f) in listed.iter().zip(facts) {
        let person = interned(&mut table, &mut index, &l.info.person);
        let policy = interned(&mut table, &mut index, &l.info.policy);
        put_str(&mut body, &l.path);
        body.extend_from_slice(l.blob.as_bytes());
        body.extend_from_slice(&person.to_le_bytes());
        body.extend_from_slice(&policy.to_le_bytes());
        body.extend_from_slice(&l.info.revision.to_le_bytes());
        body.extend_from_slice(l.info.id.as_bytes());
        match f {
            None => body.push(0),
            Some(f) => {
                let name = interned(&mut table, &mut index, &f.writer_name);
                let email = interned(&mut table, &mut index, &f.writer_email);
                body.push(1);
                put_str(&mut body, &f.time);
                body.extend_from_slice(&f.seconds.to_le_bytes());
                body.extend_from_slice(&name.to_le_bytes());
                body.extend_from_slice(&email.to_le_bytes());
            }
        }
    }
    let mut out = Vec::with_capacity(body.len() + 4096);
    out.extend_from_slice(SNAPSHOT_MAGIC);
    put_str(&mut out, crate::VERSION);
    out.extend_from_slice(&(tips.len() as u32).to_le_bytes());
    for t in tips {
        out.extend_from_slice(t.as_bytes());
    }
    out.extend_from_slice(&(table.len() as u32).to_le_bytes());
    for t in &table {
        put_str(&mut out, t);
    }
    out.extend_from_slice(&(listed.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

/// Where the facts of the entries of `ledger_ref` are kept.
pub fn path(git_dir: &Path, ledger_ref: &str) -> PathBuf {
    crate::cache::path(git_dir, "ledger", ledger_ref)
}

/// `(time, seconds, writer)`, the writer an index into the writers.
type KeptFacts = (String, i64, usize);

/// An entry of a person's folder: file name (`x/name` inside an `x` folder), blob, and what the file says once read
/// (`Some(None)`: malformed).
#[derive(Clone)]
struct KeptRow {
    name: String,
    blob: Oid,
    facts: Option<Option<KeptFacts>>,
}

/// The kept file.
#[derive(Serialize, Deserialize)]
struct File {
    format: u32,
    tool: String,
    /// `[name, email]`, each once.
    writers: Vec<(String, String)>,
    /// `[bucket tree, [[person, folder tree], ...]]`.
    buckets: Vec<(String, Vec<(String, String)>)>,
    /// `["bucket/person", folder tree, [[file name, blob, [time, seconds, writer] or null], ...]]`.
    folders: Vec<(String, String, Vec<FileRow>)>,
}

type FileRow = (String, String, Option<KeptFacts>);

/// What was kept, by object id.
#[derive(Default)]
struct Kept {
    writers: Vec<(String, String)>,
    buckets: HashMap<Oid, Vec<(String, Oid)>>,
    folders: HashMap<(String, Oid), Vec<KeptRow>>,
}

/// What `file` keeps; `None` (a miss, so everything is read again) when it is absent,
/// damaged, foreign or older, or holds a row that is not an entry of its folder.
fn load(file: &Path) -> Option<Kept> {
    let f: File = crate::cache::read(file)?;
    if f.format != FORMAT || f.tool != crate::VERSION {
        return None;
    }
    let oid = |s: &str| Oid::from_str(s).ok();
    let mut buckets = HashMap::with_capacity(f.buckets.len());
    for (id, people) in f.buckets {
        let people = people
            .into_iter()
            .map(|(who, id)| Some((who, oid(&id)?)))
            .collect::<Option<Vec<_>>>()?;
        buckets.insert(oid(&id)?, people);
    }
    let mut folders = HashMap::with_capacity(f.folders.len());
    for (prefix, id, rows) in f.folders {
        let who = prefix.split_once('/').map(|(_, w)| w.to_owned())?;
        if rows
            .iter()
            .any(|(name, _, _)| listing::parse_row(&who, name).is_none())
        {
            return None;
        }
        let rows = rows
            .into_iter()
            .map(|(name, blob, facts)| {
                if facts
                    .as_ref()
                    .is_some_and(|(_, _, w)| *w >= f.writers.len())
                {
                    return None;
                }
                Some(KeptRow {
                    name,
                    blob: oid(&blob)?,
                    facts: Some(facts),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        folders.insert((prefix, oid(&id)?), rows);
    }
    Some(Kept {
        writers: f.writers,
        buckets,
        folders,
    })
}

fn save(
    file: &Path,
    kept: Kept,
    buckets: &[Oid],
    folders: &[(String, Oid)],
    listed: &[Listed],
    facts: &[Option<Facts>],
) {
    let mut writers: Vec<(String, String)> = Vec::new();
    let mut writer_at: HashMap<(&str, &str), usize> = HashMap::new();
    // What each listed entry's file says, by path and blob.
    let mut said: HashMap<(&str, Oid), Option<KeptFacts>> = HashMap::with_capacity(listed.len());
    for (l, f) in listed.iter().zip(facts) {
        let f = f.as_ref().map(|f| {
            let key = (f.writer_name.as_str(), f.writer_email.as_str());
            let w = *writer_at.entry(key).or_insert_with(|| {
                writers.push((f.writer_name.clone(), f.writer_email.clone()));
                writers.len() - 1
            });
            (f.time.clone(), f.seconds, w)
        });
        said.insert((l.path.as_str(), l.blob), f);
    }
    let mut file_folders = Vec::with_capacity(folders.len());
    let mut done = HashSet::new();
    'folders: for key in folders {
        if !done.insert(key) {
            continue;
        }
        let (prefix, id) = key;
        let mut rows = Vec::new();
        for row in &kept.folders[key] {
            let path = format!("{prefix}/{}", row.name);
            // An entry left out of the listing (its id was seen first elsewhere, which
            // only happens in a forged ledger) has not been read: its folder is not kept.
            let Some(f) = said.get(&(path.as_str(), row.blob)) else {
                continue 'folders;
            };
            rows.push((row.name.clone(), row.blob.to_string(), f.clone()));
        }
        file_folders.push((prefix.clone(), id.to_string(), rows));
    }
    let mut done = HashSet::new();
    let file_buckets = buckets
        .iter()
        .filter(|id| done.insert(**id))
        .map(|id| {
            let people = kept.buckets[id]
                .iter()
                .map(|(who, id)| (who.clone(), id.to_string()))
                .collect();
            (id.to_string(), people)
        })
        .collect();
    let f = File {
        format: FORMAT,
        tool: crate::VERSION.to_owned(),
        writers,
        buckets: file_buckets,
        folders: file_folders,
    };
    crate::cache::write(file, &f);
}

#[cfg(test)]
mod damaged {
    use super::*;

    /// A kept file whose one folder row is `name`.
    fn kept_with_row(dir: &Path, name: &str) -> PathBuf {
        let file = dir.join("ledger.json");
        let f = File {
            format: FORMAT,
            tool: crate::VERSION.to_owned(),
            writers: vec![("W".into(), "w@example.com".into())],
            buckets: vec![],
            folders: vec![(
                "ab/bo".into(),
                "1111111111111111111111111111111111111111".into(),
                vec![(
                    name.into(),
                    "2222222222222222222222222222222222222222".into(),
                    None,
                )],
            )],
        };
        crate::cache::write(&file, &f);
        file
    }

    #[test]
    fn a_snapshot_reads_back_for_its_tips_only_and_damage_is_a_miss() {
        let oid = |b: u8| Oid::from_bytes(&[b; 20]).unwrap();
        let listed: Vec<Listed> = (0..3u8)
            .map(|i| Listed {
                path: format!("ab/bo/{i}/qa.r{i}.{}.ack", oid(i)),
                info: entry::PathInfo {
                    person: "bo".into(),
                    policy: if i == 2 { "qa".into() } else { "sla".into() },
                    revision: u32::from(i),
                    id: oid(i),
                },
                blob: oid(10 + i),
            })
            .collect();
        let facts: Vec<Option<Facts>> = listed
            .iter()
            .enumerate()
            .map(|(i, _)| {
                (i != 1).then(|| Facts {
                    time: format!("2026-01-0{}T09:00:00+01:00", i + 1),
                    seconds: -5 + i as i64,
                    writer_name: "Bo".into(),
                    writer_email: "bo@example.com".into(),
                })
            })
            .collect();
        let tips = [oid(7), oid(8)];
        let bytes = encode_snapshot(&tips, &listed, &facts);
        assert_eq!(decode_snapshot(&bytes, &tips), Some((listed, facts)));
        assert_eq!(decode_snapshot(&bytes, &[oid(7)]), None);
        assert_eq!(decode_snapshot(&bytes, &[oid(8), oid(7)]), None);
        assert_eq!(decode_snapshot(&bytes[..bytes.len() - 1], &tips), None);
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode_snapshot(&longer, &tips), None);
        assert_eq!(decode_snapshot(b"garbage", &tips), None);
    }

    #[test]
    fn a_damaged_cache_is_a_miss_not_a_crash() {
        let tmp = tempfile::tempdir().unwrap();
        let id = "3333333333333333333333333333333333333333";
        let good = kept_with_row(tmp.path(), &format!("qa.r1.{id}.ack"));
        assert!(load(&good).is_some());
        let in_sub = kept_with_row(tmp.path(), &format!("a/qa.r1.{id}.ack"));
        assert!(load(&in_sub).is_some());
        for bad in [
            "not-an-entry".to_owned(),
            "qa.rX.ack".to_owned(),
            String::new(),
            format!("g/qa.r1.{id}.ack"),
            format!("a/a/qa.r1.{id}.ack"),
        ] {
            let file = kept_with_row(tmp.path(), &bad);
            assert!(load(&file).is_none(), "{bad}");
        }
        std::fs::write(&good, b"{\"format\": 1, \"tool\"").unwrap();
        assert!(load(&good).is_none());
    }
}
