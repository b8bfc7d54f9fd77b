//! The binary file that keeps a whole-ledger listing and its facts for exact tips (see
//! [`super::facts`]): read back without parsing JSON or hex, and written in one buffer of
//! its exact size. Nothing here prints.

use super::entry;
use super::facts::Facts;
use super::ledger::Listed;
use git2::Oid;

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// The index of `s` in `table`, added when new.
fn interned<'a>(
    table: &mut Vec<&'a str>,
    index: &mut foldhash::HashMap<&'a str, u32>,
    s: &'a str,
) -> u32 {
    *index.entry(s).or_insert_with(|| {
        table.push(s);
        (table.len() - 1) as u32
    })
}

/// Reads a snapshot kept for exactly `tips`; `None` (a miss) when it is for other tips,
/// another version, or anything in it is out of place.
pub(super) fn decode_snapshot(
    bytes: &[u8],
    tips: &[Oid],
) -> Option<(Vec<Listed>, Vec<Option<Facts>>)> {
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

const SNAPSHOT_MAGIC: &[u8; 8] = b"NCTLLDG1";

/// The snapshot file: magic, the tool's version, the tips, a table of the texts that
/// repeat (people, policies, writers), then each entry: its path, blob, person, policy,
/// revision and id, and what its file says (time, seconds, writer) or that it is
/// malformed. Little-endian; read back without parsing JSON or hex.
pub(super) fn encode_snapshot(tips: &[Oid], listed: &[Listed], facts: &[Option<Facts>]) -> Vec<u8> {
    // First the table and the exact size, then one buffer written once: on a large ledger
    // the file is tens of megabytes, and a buffer grown by doubling and then copied
    // touched three times that in fresh memory.
    let mut table: Vec<&str> = Vec::new();
    let mut index: foldhash::HashMap<&str, u32> = foldhash::HashMap::default();
    let mut size = 8 + 4 + crate::VERSION.len() + 4 + 20 * tips.len() + 4 + 4;
    let mut refs: Vec<[u32; 4]> = Vec::with_capacity(listed.len());
    for (l, f) in listed.iter().zip(facts) {
        let person = interned(&mut table, &mut index, &l.info.person);
        let policy = interned(&mut table, &mut index, &l.info.policy);
        size += 4 + l.path.len() + 20 + 4 + 4 + 4 + 20 + 1;
        let (name, email) = match f {
            None => (0, 0),
            Some(f) => {
                size += 4 + f.time.len() + 8 + 4 + 4;
                (
                    interned(&mut table, &mut index, &f.writer_name),
                    interned(&mut table, &mut index, &f.writer_email),
                )
            }
        };
        refs.push([person, policy, name, email]);
    }
    size += table.iter().map(|t| 4 + t.len()).sum::<usize>();
    let mut out = Vec::with_capacity(size);
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
    for ((l, f), [person, policy, name, email]) in listed.iter().zip(facts).zip(refs) {
        put_str(&mut out, &l.path);
        out.extend_from_slice(l.blob.as_bytes());
        out.extend_from_slice(&person.to_le_bytes());
        out.extend_from_slice(&policy.to_le_bytes());
        out.extend_from_slice(&l.info.revision.to_le_bytes());
        out.extend_from_slice(l.info.id.as_bytes());
        match f {
            None => out.push(0),
            Some(f) => {
                out.push(1);
                put_str(&mut out, &f.time);
                out.extend_from_slice(&f.seconds.to_le_bytes());
                out.extend_from_slice(&name.to_le_bytes());
                out.extend_from_slice(&email.to_le_bytes());
            }
        }
    }
    debug_assert_eq!(out.len(), size);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
