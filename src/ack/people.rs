//! The roster as the acknowledgement reports and `ack` need it (ids, e-mails, teams, roles
//! and signing keys), indexed by person, and kept parsed between runs.
//!
//! Decoding a roster of thousands of people takes longer than everything else an `ack`
//! does, and the roster rarely changes, so the decoded facts are cached in
//! `<git dir>/normsctl/roster-<blob id>.json`. A blob id fixes the bytes, so the cache is
//! keyed by it, by the roster's path (which names it in messages) and by the tool's
//! version (decoding may change between versions); any other file is ignored and
//! rewritten. A cache that cannot be written only costs the next run its speed.
//!
//! `verify` does not use this: it judges every entry against the roster decoded from the
//! entry's own handbook commit, with nothing read from outside the object database.

use super::snapshot::parse_roster;
use crate::model::{EVERYONE, Roster};
use foldhash::{HashMap, HashMapExt};
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

const FORMAT: u32 = 2;

/// One person on the roster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    /// As written on the roster (shown through the sanitising point).
    #[serde(default)]
    pub name: String,
    pub emails: Vec<String>,
    pub teams: Vec<String>,
    pub roles: Vec<String>,
    /// The public key their entries must be signed with.
    pub signing_key: Option<String>,
    /// `joined:`, as `YYYY-MM-DD`.
    #[serde(default)]
    pub joined: Option<String>,
    #[serde(default)]
    pub exempt: Vec<Exempt>,
    /// The first of their teams' `timezone`, when one is set.
    #[serde(default)]
    pub timezone: Option<String>,
}

pub use crate::model::ack::Exempt;

impl Member {
    /// Whether `email` is one of theirs (case-insensitive).
    pub fn has_email(&self, email: &str) -> bool {
        self.emails.iter().any(|m| m.eq_ignore_ascii_case(email))
    }

    /// Whether `groups` (a policy's `applies_to`) covers them.
    pub fn covered_by(&self, groups: &[&str]) -> bool {
        groups.iter().any(|g| {
            *g == EVERYONE || self.teams.iter().any(|t| t == g) || self.roles.iter().any(|r| r == g)
        })
    }
}

/// The people of one roster, in roster order, with an index by id.
#[derive(Clone, Debug, Default)]
pub struct People {
    members: Vec<Member>,
    /// Position in `members` by id; the first of a repeated id wins, as in
    /// [`Roster::person`].
    index: HashMap<String, usize>,
}

impl People {
    pub fn new(members: Vec<Member>) -> People {
        let mut index = HashMap::with_capacity(members.len());
        for (i, m) in members.iter().enumerate() {
            index.entry(m.id.clone()).or_insert(i);
        }
        People { members, index }
    }

    pub fn from_roster(roster: &Roster) -> People {
        People::new(
            roster
                .people
                .iter()
                .map(|p| Member {
                    id: p.id.value.clone(),
                    name: p.name.clone(),
                    emails: p.emails.iter().map(|e| e.value.clone()).collect(),
                    teams: p.teams.iter().map(|t| t.value.clone()).collect(),
                    roles: p.roles.iter().map(|r| r.value.clone()).collect(),
                    signing_key: p.signing_key.as_ref().map(|k| k.value.clone()),
                    joined: p.joined.as_ref().map(|d| d.value.to_string()),
                    exempt: p
                        .exempt
                        .iter()
                        .map(|e| Exempt {
                            policies: e
                                .policies
                                .as_ref()
                                .map(|ids| ids.iter().map(|i| i.value.clone()).collect()),
                            until: e.until.as_ref().map(|d| d.value.to_string()),
                            reason: e.reason,
                            reference: e.reference.clone(),
                        })
                        .collect(),
                    timezone: p.teams.iter().find_map(|t| {
                        roster
                            .team(&t.value)
                            .and_then(|team| team.timezone.as_ref())
                            .filter(|z| jiff::tz::TimeZone::get(&z.value).is_ok())
                            .map(|z| z.value.clone())
                    }),
                })
                .collect(),
        )
    }

    /// Everyone, in roster order.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    pub fn person(&self, id: &str) -> Option<&Member> {
        self.index.get(id).map(|&i| &self.members[i])
    }

    /// Where `id` stands in [`People::members`].
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// The person whose roster e-mail is `email` (case-insensitive), first in roster order.
    pub fn by_email(&self, email: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.has_email(email))
    }

    /// The person `who` names: their id, or any of their e-mail addresses (any case).
    /// Unknown: an error naming the nearest id or address ("did you mean").
    pub fn resolve(&self, who: &str) -> Result<&Member, super::AckError> {
        if let Some(m) = self.person(who).or_else(|| self.by_email(who.trim())) {
            return Ok(m);
        }
        let candidates = self.members.iter().flat_map(|m| {
            std::iter::once(m.id.as_str()).chain(m.emails.iter().map(String::as_str))
        });
        Err(super::AckError::UnknownPerson {
            who: who.to_owned(),
            suggestion: crate::diag::did_you_mean(who, candidates).map(str::to_owned),
        })
    }

    /// Ok when `id` is a person's id; else the error of [`People::resolve`], or, when `id`
    /// is one of someone's addresses, an error that names their id.
    pub fn require_id(&self, id: &str) -> Result<(), super::AckError> {
        if self.person(id).is_some() {
            return Ok(());
        }
        let found = self.resolve(id)?;
        Err(super::AckError::UnknownPerson {
            who: id.to_owned(),
            suggestion: Some(found.id.clone()),
        })
    }

    /// The roster blob `blob` (at `path`) decoded, never from the cache (for `evidence`,
    /// which trusts nothing outside the object database).
    pub fn decode(repo: &Repository, blob: Oid, path: &str) -> Option<People> {
        let bytes = repo.find_blob(blob).ok()?;
        parse_roster(path, bytes.content()).map(|r| People::from_roster(&r))
    }

    /// The roster blob `blob` (at `path`) decoded, from the cache when it holds it; `None`
    /// when the blob is missing or is not a roster.
    pub fn load(repo: &Repository, blob: Oid, path: &str) -> Option<People> {
        let file = cache_path(repo, blob);
        if let Some(members) = read_cache(&file, blob, path) {
            return Some(People::new(members));
        }
        let bytes = repo.find_blob(blob).ok()?;
        let roster = parse_roster(path, bytes.content())?;
        let people = People::from_roster(&roster);
        let saved = CacheRef {
            format: FORMAT,
            tool: crate::VERSION,
            path,
            blob: blob.to_string(),
            members: &people.members,
        };
        crate::cache::write(&file, &saved);
        Some(people)
    }
}

#[derive(Serialize)]
struct CacheRef<'a> {
    format: u32,
    tool: &'a str,
    path: &'a str,
    blob: String,
    members: &'a [Member],
}

#[derive(Deserialize)]
struct Cache {
    format: u32,
    tool: String,
    path: String,
    blob: String,
    members: Vec<Member>,
}

fn cache_path(repo: &Repository, blob: Oid) -> PathBuf {
    crate::cache::path_of_object(repo.path(), "roster", blob)
}

fn read_cache(file: &std::path::Path, blob: Oid, path: &str) -> Option<Vec<Member>> {
    let c: Cache = crate::cache::read(file)?;
    (c.format == FORMAT && c.tool == crate::VERSION && c.path == path && c.blob == blob.to_string())
        .then_some(c.members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, teams: &[&str]) -> Member {
        Member {
            id: id.into(),
            name: id.into(),
            joined: None,
            exempt: vec![],
            timezone: None,
            emails: vec![format!("{id}@Example.com")],
            teams: teams.iter().map(|t| (*t).to_owned()).collect(),
            roles: vec![],
            signing_key: None,
        }
    }

    #[test]
    fn index_email_and_cover() {
        let people = People::new(vec![
            member("a", &["t"]),
            member("b", &[]),
            member("a", &[]),
        ]);
        assert_eq!(people.person("a").unwrap().teams, ["t"]);
        assert_eq!(people.position("b"), Some(1));
        assert!(people.person("c").is_none());
        assert_eq!(people.by_email("B@example.COM").unwrap().id, "b");
        let a = people.person("a").unwrap();
        assert!(a.covered_by(&["t"]) && a.covered_by(&[EVERYONE]) && !a.covered_by(&["u"]));
    }
}
