//! The `ack` use case: plan what to record (every check before anything is written), sign
//! each entry, append them with a compare-and-swap on the ledger ref, and pack loose
//! objects when git would. It never prints: notes go to the caller's closure, the outcome
//! comes back as [`Recorded`].

use super::context::{self, Context};
use super::entry::{self, Entry, Writer};
use super::ledger::{self, AppendOptions, NewFile};
use super::line::Line;
use super::snapshot::{self, Snapshot};
use super::{AckError, sign};
use crate::model::AckMode;
use crate::model::ack::Recorded;
use git2::Repository;
use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::PathBuf;

/// What to record.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// Policy ids, in the order given.
    pub ids: Vec<String>,
    /// The person acknowledging (default: the roster person with git's user.email).
    pub person: Option<String>,
    /// Also everything outstanding for the person.
    pub pending: bool,
    /// A note kept with each entry.
    pub note: Option<String>,
    /// The SSH key to sign with (default: git's user.signingKey).
    pub key: Option<PathBuf>,
    /// Remove a stale lock on the ledger ref.
    pub break_lock: bool,
    /// Written by the portal for a person who signed in there (see [`PortalWriter`]).
    pub portal: Option<PortalWriter>,
    /// `(policy, blob)`: the text the person was shown; when the handbook line's text is
    /// another by now, nothing is recorded ([`AckError::TextChanged`]).
    pub expect: Vec<(String, String)>,
}

/// The portal as the writer of an entry: its git identity, its SSH key (whose public
/// half the settings declare as `portal.key`), and how the person signed in.
#[derive(Clone, Debug)]
pub struct PortalWriter {
    pub name: String,
    pub email: String,
    /// The private key file the portal signs with.
    pub key: PathBuf,
    /// `portal.key` on the handbook line's tip: a signature is checked against it before
    /// anything is written.
    pub public_key: String,
    pub via: entry::Via,
}

/// Records the acknowledgements `req` asks for. `note` receives what people should know
/// on the way (a policy that does not apply to the person, a branch behind its upstream).
pub fn record(
    cx: &Context,
    req: &Request,
    note: &mut dyn FnMut(String),
) -> Result<Recorded, AckError> {
    let repo = cx.repo;
    // Entries bind to the handbook line's tip: the published text, never a local branch.
    let line = cx.line()?;
    let snap = Snapshot::at(repo, line.tip, &cx.layout)?;
    let head = cx.snapshot()?;
    let people = cx.people(&snap)?;
    let person = cx.whoami(&people, req.person.as_deref())?;
    let (writer_name, writer_email) = match &req.portal {
        Some(p) => (p.name.clone(), p.email.clone()),
        None => cx.identity()?,
    };
    // The portal's key vouches only for people without a key of their own: it can never
    // sign in the name of someone who has one.
    if req.portal.is_some() && person.signing_key.is_some() {
        return Err(AckError::PortalRefusesKeyed {
            person: person.id.clone(),
        });
    }
    let tips = cx.ledger.tips(repo)?;
    let listed = ledger::list_person(repo, &tips, &person.id)?;
    // Entries seen before this run do not stop a renewal; only one a concurrent writer
    // adds meanwhile does.
    let known: std::collections::HashSet<git2::Oid> = listed.iter().map(|l| l.blob).collect();
    // The person's entries that count for a current text (exact revision, bound to the
    // line at or after that text landed): only these make a new entry unnecessary, until
    // the newest comes within `ack_due_days` of expiring (`ack_every`). Its time is the
    // one a writer cannot choose: no later than its oldest witness, nor than now.
    let now = super::context::record_time()?.seconds;
    let witnessed = super::witnessed::bounds(repo, &cx.ledger.name)?;
    let mut mine: Vec<(String, u32, i64)> = Vec::new();
    for p in ledger::read(repo.path(), &listed).into_iter().flatten() {
        let counts = git2::Oid::from_str(&p.entry.commit)
            .is_ok_and(|c| line.is_current(&p.entry.policy, p.entry.revision, c));
        if !counts {
            continue;
        }
        let mut t = p.entry.seconds().unwrap_or(0).min(now);
        if let Some(w) = witnessed.get(&p.id) {
            t = t.min(*w);
        }
        match mine
            .iter_mut()
            .find(|(id, r, _)| *id == p.entry.policy && *r == p.entry.revision)
        {
            Some(m) => m.2 = m.2.max(t),
            None => mine.push((p.entry.policy, p.entry.revision, t)),
        }
    }
    let settings = &cx.ws.settings.acks;
    let tz = &cx.ws.tz;
    let held = |policy: &crate::model::Policy| {
        let (id, revision) = (policy.id.value.as_str(), policy.revision.value);
        mine.iter()
            .find(|(p, r, _)| p == id && *r == revision)
            .filter(|(_, _, t)| {
                let every = policy.ack_every.unwrap_or(settings.every);
                let days = policy.ack_due_days.unwrap_or(settings.due_days);
                // Renewable from `ack_due_days` before it expires.
                every.months().is_none_or(|m| {
                    super::due::add_months(*t, m, tz)
                        .and_then(|e| {
                            jiff::Timestamp::from_second(e)
                                .ok()?
                                .to_zoned(tz.clone())
                                .checked_sub(jiff::Span::new().try_days(i64::from(days)).ok()?)
                                .ok()
                        })
                        .is_none_or(|renew| now < renew.timestamp().as_second())
                })
            })
            .map(|(p, r, _)| (p.clone(), *r))
    };

    // The policies to acknowledge, in the order given, then the outstanding ones.
    let mut ids: Vec<String> = Vec::new();
    for id in &req.ids {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    if req.pending {
        let given = ids.clone();
        for (id, _, p) in snap.policies(repo, |id| !given.iter().any(|g| g == id)) {
            let Some(p) = p else { continue };
            if p.ack == AckMode::Required
                && person.covered_by(&p.applies_to())
                && held(&p).is_none()
            {
                ids.push(id.to_owned());
            }
        }
    }

    // Check everything before writing anything.
    let mut todo = Vec::new();
    let mut out = Recorded {
        person: person.id.clone(),
        ledger: cx.ledger.name.trim_start_matches("refs/heads/").to_owned(),
        ..Recorded::default()
    };
    for id in &ids {
        let Some(file) = snap.files.get(id) else {
            let suggestion = crate::diag::did_you_mean(id, snap.files.keys().map(String::as_str))
                .map(str::to_owned);
            return Err(AckError::UnknownPolicy {
                id: id.clone(),
                suggestion,
            });
        };
        let policy =
            snapshot::checked_policy(repo, file).map_err(|findings| AckError::InvalidPolicy {
                path: file.path.clone(),
                findings,
            })?;
        if policy.ack == AckMode::None {
            return Err(AckError::NoAckNeeded(id.clone()));
        }
        if let Some((_, shown)) = req.expect.iter().find(|(p, _)| p == id)
            && *shown != file.blob.to_string()
        {
            return Err(AckError::TextChanged { id: id.clone() });
        }
        // The portal shows the handbook line's text itself, never a work tree.
        if req.portal.is_some() {
            match held(&policy) {
                Some((_, r)) => out.already.push((id.clone(), r)),
                None => todo.push((policy, file.clone())),
            }
            continue;
        }
        if uncommitted(repo, &file.path) {
            return Err(AckError::Uncommitted {
                path: file.path.clone(),
            });
        }
        // What the person has in front of them must be the published text.
        if head.files.get(id).is_none_or(|f| f.blob != file.blob) {
            return Err(AckError::NotOnLine {
                path: file.path.clone(),
                line: line.name.clone(),
            });
        }
        match held(&policy) {
            Some((_, r)) => out.already.push((id.clone(), r)),
            None => {
                if !person.covered_by(&policy.applies_to()) {
                    // Reading a rule one is not bound by is allowed; say it is not required.
                    note(format!(
                        "note: {id} applies to {}, which does not include {}; recorded anyway",
                        policy.applies_to().join(", "),
                        person.id
                    ));
                }
                todo.push((policy, file.clone()))
            }
        }
    }
    if req.portal.is_none()
        && let Some(warning) = behind_upstream(repo)
    {
        note(warning);
    }
    if todo.is_empty() {
        return Ok(out);
    }

    let now = context::record_time()?;
    let (signature, time_text) = context::signature(&writer_name, &writer_email, now)?;
    let signer = match &req.portal {
        Some(p) => Signer {
            key: Some(sign::KeySource::File(p.key.clone())),
            program: sign::program_from_config(&repo.config()?),
        },
        None => Signer::new(repo, req.key.clone())?,
    };

    let mut files = Vec::new();
    for (policy, file) in &todo {
        let e = Entry {
            format: if req.portal.is_some() {
                entry::PORTAL_FORMAT
            } else {
                entry::FORMAT
            },
            person: person.id.clone(),
            policy: policy.id.value.clone(),
            revision: policy.revision.value,
            path: file.path.clone(),
            blob: file.blob.to_string(),
            commit: line.tip.to_string(),
            time: time_text.clone(),
            writer: Writer {
                name: writer_name.clone(),
                email: writer_email.clone(),
            },
            tool: format!("normsctl {}", crate::VERSION),
            note: req.note.clone(),
            revokes: None,
            via: req.portal.as_ref().map(|p| p.via.clone()),
        };
        let payload = e.payload();
        let signature = match &req.portal {
            Some(p) => signer.sign_for("the portal", Some(&p.public_key), &payload)?,
            None => signer.sign_for(&person.id, person.signing_key.as_deref(), &payload)?,
        };
        let id = entry::entry_id(&payload);
        files.push((
            policy.id.value.clone(),
            policy.revision.value,
            NewFile {
                // The file's name; its folder is chosen against the tip the append builds on.
                path: entry::file_name(&policy.id.value, policy.revision.value, id),
                bytes: entry::file_bytes(&payload, signature.as_deref()),
            },
        ));
    }

    let by_other = !person.has_email(&writer_email);
    let listed: Vec<String> = files.iter().map(|(p, r, _)| format!("{p} r{r}")).collect();
    let mut message = format!("ack: {} read {}\n", person.id, listed.join(", "));
    if by_other {
        let _ = write!(message, "\nWritten by {writer_name} <{writer_email}>.\n");
    }
    let opts = AppendOptions {
        message,
        signature,
        break_lock: req.break_lock,
    };
    let person_id = person.id.clone();
    let appended = ledger::append(repo, &cx.ledger, &opts, |tree| {
        // Under contention the tip moves: drop what a concurrent writer already recorded.
        let existing = existing_in(repo, tree, &person_id, &line, &known)?;
        files
            .iter()
            .filter(|(p, r, _)| !existing.iter().any(|(ep, er)| ep == p && er == r))
            .map(|(_, _, f)| {
                Ok(NewFile {
                    path: ledger::entry_path(repo, tree, &person_id, &f.path)?,
                    bytes: f.bytes.clone(),
                })
            })
            .collect()
    })?;

    for (p, r, f) in &files {
        let written = appended
            .files
            .iter()
            .any(|w| w.ends_with(&format!("/{}", f.path)));
        out.written.push((p.clone(), *r, written));
    }
    if by_other {
        out.written_by = Some((writer_name, writer_email));
    }
    if let Some(c) = appended.commit {
        out.commit = Some(c);
        out.bytes = appended.bytes;
        gc_if_needed(repo);
    }
    Ok(out)
}

/// `(policy, revision)` of the person's entries in a ledger tree that count for the
/// current text on `line` (in every one of their bucket folders; a file that is not a
/// folder, or a decoy that does not parse, is skipped, so neither can stop an
/// acknowledgement).
fn existing_in(
    repo: &Repository,
    tree: Option<&git2::Tree>,
    person: &str,
    line: &Line,
    known: &std::collections::HashSet<git2::Oid>,
) -> Result<BTreeSet<(String, u32)>, AckError> {
    let mut out = BTreeSet::new();
    let Some(tree) = tree else { return Ok(out) };
    for bucket in entry::bucket_names(person) {
        let folder = match tree.get_path(std::path::Path::new(&format!("{bucket}/{person}"))) {
            Ok(e) if e.kind() == Some(git2::ObjectType::Tree) => repo.find_tree(e.id())?,
            _ => continue,
        };
        let prefix = format!("{bucket}/{person}");
        for (path, _, id) in ledger::folder_entries(repo, &prefix, person, &folder)? {
            if known.contains(&id) {
                continue;
            }
            let Ok(blob) = repo.find_blob(id) else {
                continue;
            };
            if let Ok((p, _)) = entry::parse_file(&path, blob.content())
                && git2::Oid::from_str(&p.entry.commit)
                    .is_ok_and(|c| line.is_current(&p.entry.policy, p.entry.revision, c))
            {
                out.insert((p.entry.policy, p.entry.revision));
            }
        }
    }
    Ok(out)
}

/// Whether the file differs from HEAD in the index or the work tree.
fn uncommitted(repo: &Repository, path: &str) -> bool {
    match repo.status_file(std::path::Path::new(path)) {
        Ok(s) => !(s.is_empty() || s == git2::Status::IGNORED),
        Err(_) => true,
    }
}

/// A warning when the checked-out branch is behind its upstream (the text may be out of
/// date).
fn behind_upstream(repo: &Repository) -> Option<String> {
    let head = repo.head().ok()?;
    if !head.is_branch() {
        return None;
    }
    let branch = git2::Branch::wrap(head);
    let (Ok(upstream), Some(local)) = (branch.upstream(), branch.get().target()) else {
        return None;
    };
    let remote = upstream.get().target()?;
    match repo.graph_ahead_behind(local, remote) {
        Ok((_, behind)) if behind > 0 => Some(format!(
            "warning: this branch is {behind} commit(s) behind {}: you are acknowledging the text as committed here; `git pull` first to read the latest",
            upstream.name().ok().flatten().unwrap_or("its upstream")
        )),
        _ => None,
    }
}

/// Packs loose objects the way git would (`git gc --auto`) once they pass git's threshold:
/// each `ack` writes a handful, and libgit2 never packs on its own.
pub(super) fn gc_if_needed(repo: &Repository) {
    let limit = repo
        .config()
        .ok()
        .and_then(|c| c.get_i64("gc.auto").ok())
        .unwrap_or(6700);
    if limit <= 0 {
        return;
    }
    // git's own estimate: the loose objects in folder 17, times 256.
    let sample = std::fs::read_dir(repo.path().join("objects/17"))
        .map(|d| d.count())
        .unwrap_or(0) as i64;
    if sample * 256 > limit {
        let _ = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(repo.path())
            .args(["gc", "--auto", "--quiet"])
            .status();
    }
}

/// How entries are signed: the key (`--key`, else git's `user.signingKey`) and the program
/// (`gpg.ssh.program`, else `ssh-keygen`).
pub(super) struct Signer {
    key: Option<sign::KeySource>,
    program: String,
}

impl Signer {
    pub(super) fn new(repo: &Repository, key: Option<PathBuf>) -> Result<Signer, AckError> {
        let config = repo.config()?;
        Ok(Signer {
            key: match key {
                Some(k) => Some(sign::KeySource::File(k)),
                None => sign::key_from_config(&config),
            },
            program: sign::program_from_config(&config),
        })
    }

    /// The signature of `payload` where `person` has a key on the roster (`None` where
    /// they have none), checked against that key before anything is written.
    pub(super) fn sign_for(
        &self,
        person: &str,
        roster_key: Option<&str>,
        payload: &[u8],
    ) -> Result<Option<String>, AckError> {
        let Some(roster_key) = roster_key else {
            return Ok(None);
        };
        let key = self.key.as_ref().ok_or_else(|| AckError::KeyNeeded {
            person: person.to_owned(),
        })?;
        let sig = sign::sign(&self.program, key, payload).map_err(AckError::Sign)?;
        sign::verify(roster_key, payload, &sig).map_err(|reason| AckError::WrongKey {
            person: person.to_owned(),
            reason,
        })?;
        Ok(Some(sig))
    }
}
