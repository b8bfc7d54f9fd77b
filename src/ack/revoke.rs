//! The `acks revoke` use case: withdraw an acknowledgement recorded for the wrong person
//! (a wrong `--as`) by appending a revocation entry. Nothing is removed: the original stays
//! in the ledger and in history, and every report shows it as revoked, with the reason.
//!
//! A revocation (entry format 2) carries the revoked entry's fields, so it is judged like
//! it (the same text on the handbook line, the same person), plus `revokes` and the reason
//! in `note`; where the roster gives that person a `signing_key`, it must be signed with it,
//! as the original had to be. Nothing here prints.

use super::entry::{self, Entry, Writer};
use super::ledger::{self, AppendOptions, NewFile};
use super::snapshot::Snapshot;
use super::{AckError, Context, context};
use git2::Oid;
use std::path::PathBuf;

/// What `acks revoke` recorded.
#[derive(Clone, Debug)]
pub struct Revoked {
    pub person: String,
    pub policy: String,
    pub revision: u32,
    /// The entry withdrawn.
    pub revoked: Oid,
    /// The revocation entry's id and the ledger commit that holds it.
    pub revocation: Oid,
    pub commit: Option<Oid>,
}

/// Appends a revocation of the entry whose id starts with `prefix` (at least 7 hex digits),
/// for `reason`.
pub fn revoke(
    cx: &Context,
    prefix: &str,
    reason: &str,
    key: Option<PathBuf>,
    break_lock: bool,
) -> Result<Revoked, AckError> {
    let repo = cx.repo;
    if prefix.len() < 7 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AckError::UnknownEntry(prefix.to_owned()));
    }
    if reason.trim().is_empty() {
        return Err(AckError::NoReason);
    }
    let tips = cx.ledger.tips(repo)?;
    let mut found: Vec<ledger::Listed> = ledger::list(repo, &tips)?
        .into_iter()
        .filter(|l| {
            l.info
                .id
                .to_string()
                .starts_with(&prefix.to_ascii_lowercase())
        })
        .collect();
    found.dedup_by_key(|l| l.info.id);
    let target = match found.as_slice() {
        [] => return Err(AckError::UnknownEntry(prefix.to_owned())),
        [one] => one.clone(),
        _ => return Err(AckError::AmbiguousEntry(prefix.to_owned())),
    };
    let blob = repo.find_blob(target.blob)?;
    let (parsed, _) = entry::parse_file(&target.path, blob.content())
        .map_err(|e| AckError::UnknownEntry(format!("{prefix} ({e})")))?;
    if parsed.entry.revokes.is_some() {
        return Err(AckError::UnknownEntry(format!(
            "{prefix} (a revocation; an acknowledgement can be revoked, a revocation cannot)"
        )));
    }
    let (writer_name, writer_email) = cx.identity()?;
    let now = context::record_time()?;
    let (signature, time_text) = context::signature(&writer_name, &writer_email, now)?;
    let original = parsed.entry;
    let e = Entry {
        format: entry::REVOCATION_FORMAT,
        time: time_text,
        writer: Writer {
            name: writer_name.clone(),
            email: writer_email.clone(),
        },
        tool: format!("normsctl {}", crate::VERSION),
        note: Some(reason.to_owned()),
        revokes: Some(parsed.id.to_string()),
        // A revocation is the withdrawing writer's own entry, never the portal's.
        via: None,
        ..original.clone()
    };
    let payload = e.payload();
    // Signed where the person has a key now (the roster at the handbook line's tip).
    let line = cx.line()?;
    let snap = Snapshot::at(repo, line.tip, &cx.layout)?;
    let people = cx.people(&snap)?;
    let roster_key = people.person(&e.person).and_then(|p| p.signing_key.clone());
    let sig = super::record::Signer::new(repo, key)?.sign_for(
        &e.person,
        roster_key.as_deref(),
        &payload,
    )?;
    let id = entry::entry_id(&payload);
    let name = entry::file_name(&e.policy, e.revision, id);
    let bytes = entry::file_bytes(&payload, sig.as_deref());
    let opts = AppendOptions {
        message: format!(
            "revoke: {} {} r{} entry {}\n\n{reason}\n",
            e.person, e.policy, e.revision, parsed.id
        ),
        signature,
        break_lock,
    };
    let person = e.person.clone();
    let appended = ledger::append(repo, &cx.ledger, &opts, |tree| {
        Ok(vec![NewFile {
            path: ledger::entry_path(repo, tree, &person, &name)?,
            bytes: bytes.clone(),
        }])
    })?;
    if appended.commit.is_some() {
        super::record::gc_if_needed(repo);
    }
    Ok(Revoked {
        person: e.person,
        policy: e.policy,
        revision: e.revision,
        revoked: parsed.id,
        revocation: id,
        commit: appended.commit,
    })
}
