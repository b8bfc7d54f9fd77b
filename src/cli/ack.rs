use super::{CliError, Global, note, print};
use clap::Args;
use normsctl::ack::entry::{self, Entry, Writer};
use normsctl::ack::ledger::{self, AppendOptions, Ledger, NewFile};
use normsctl::ack::people::{Member, People};
use normsctl::ack::snapshot::{self, Layout, Snapshot};
use normsctl::ack::{AckError, sign};
use normsctl::load;
use normsctl::model::{AckMode, Settings};
use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::PathBuf;

/// Record that a person read the current revision (as committed at HEAD) of each policy.
///
/// The entry binds the person, the policy, its revision, the exact text (the file's git
/// blob), the handbook commit, the time and who wrote it, on the ledger branch
/// (`acks.ref`). Where the roster gives the person a `signing_key`, the entry is signed
/// with the matching private key (`--key`, else git's `user.signingKey`).
#[derive(Debug, Args)]
pub struct AckArgs {
    /// Policy ids
    #[arg(value_name = "ID", required_unless_present = "pending")]
    ids: Vec<String>,
    /// The person acknowledging (default: the roster person whose email is git's
    /// user.email)
    #[arg(long = "as", value_name = "PERSON")]
    person: Option<String>,
    /// Also acknowledge everything outstanding for the person
    #[arg(long)]
    pending: bool,
    /// A note kept with each entry (for example "paper form signed 2026-03-02")
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// SSH key to sign with: a private key file, or a public key whose private half is in
    /// the SSH agent (default: git's user.signingKey)
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Remove the ledger ref's lock file when it is older than a minute (left by a killed
    /// process)
    #[arg(long)]
    break_lock: bool,
}

/// What every acknowledgement command needs: the handbook, its repository and ledger.
pub(super) struct Ctx {
    pub settings: Settings,
    pub tz: jiff::tz::TimeZone,
    pub repo: git2::Repository,
    pub layout: Layout,
    pub ledger: Ledger,
}

impl Ctx {
    pub fn open(global: &Global) -> Result<Ctx, CliError> {
        let loc = global.location()?;
        let mut findings = Vec::new();
        let (settings, _) = load::load_settings(&loc, &mut findings);
        let tz = jiff::tz::TimeZone::get(&settings.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        let repo =
            git2::Repository::discover(&loc.root).map_err(|_| ack_error(AckError::NotGit))?;
        let layout = Layout::new(&loc.prefix, &settings);
        let ledger = Ledger::new(&settings.acks);
        Ok(Ctx {
            settings,
            tz,
            repo,
            layout,
            ledger,
        })
    }

    pub fn head(&self) -> Result<git2::Oid, CliError> {
        self.repo
            .head()
            .ok()
            .and_then(|h| h.target())
            .ok_or_else(|| ack_error(AckError::NoCommits))
    }

    /// The handbook line acknowledgements are judged against.
    pub fn line(&self) -> Result<normsctl::ack::line::Line, CliError> {
        normsctl::ack::line::Line::open(&self.repo, &self.settings.acks, &self.layout.policies)
            .map_err(ack_error)
    }

    pub fn snapshot(&self) -> Result<Snapshot, CliError> {
        let head = self.head()?;
        Snapshot::at(&self.repo, head, &self.layout).map_err(|e| ack_error(e.into()))
    }
}

/// "Now" as Unix seconds: `SOURCE_DATE_EPOCH` when set (reproducible output), else the clock.
pub(super) fn now() -> Result<i64, CliError> {
    super::repo::now().map(|t| t.as_second())
}

/// When an entry (and its ledger commit) is recorded, as Unix seconds: the clock, or
/// `GIT_COMMITTER_DATE` (`@<seconds>` or an RFC 3339 time), which git itself honours for
/// commit times. `SOURCE_DATE_EPOCH` makes output reproducible; it never dates a record,
/// so a build environment that sets it cannot backdate an acknowledgement by accident.
pub(super) fn record_time() -> Result<i64, CliError> {
    let Ok(text) = std::env::var("GIT_COMMITTER_DATE") else {
        return Ok(jiff::Timestamp::now().as_second());
    };
    let trimmed = text.trim();
    let seconds = match trimmed.strip_prefix('@') {
        Some(rest) => rest
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<i64>().ok()),
        None => trimmed
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| t.as_second()),
    };
    seconds.ok_or_else(|| {
        CliError::env(format!(
            "GIT_COMMITTER_DATE=`{text}` is neither `@<seconds since 1970>` nor an RFC 3339 time"
        ))
    })
}

/// Turns a ledger error into exit 2 with what to do.
pub(super) fn ack_error(e: AckError) -> CliError {
    let hint = match &e {
        AckError::NotGit => Some("acknowledgements live in git: run `git init` and commit the handbook".to_owned()),
        AckError::NoCommits => Some("commit the handbook first".to_owned()),
        AckError::NoLine { .. } => Some(
            "set `acks.branch` in normsctl.yaml to the handbook's published branch (and `acks.remote` to its remote)".to_owned(),
        ),
        AckError::UnknownPerson(_) => Some("use a person id from the roster (people.yaml)".to_owned()),
        AckError::UnknownEmail { .. } => Some(
            "pass --as PERSON, or set git's user.email to an address the roster gives you".to_owned(),
        ),
        AckError::NoIdentity => Some(
            "set it: git config user.name \"Your Name\"; git config user.email you@example.com".to_owned(),
        ),
        AckError::UnknownPolicy { suggestion, .. } => Some(match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => "`normsctl acks` lists the policies that need acknowledgement".to_owned(),
        }),
        AckError::Uncommitted { .. } => {
            Some("commit the change (or discard it) first: only committed text can be acknowledged".to_owned())
        }
        AckError::KeyNeeded { .. } => Some(
            "pass --key FILE, or set git config user.signingKey (a key file, or a public key held by the SSH agent)".to_owned(),
        ),
        AckError::WrongKey { .. } => Some("sign with the key whose public half is on the roster".to_owned()),
        AckError::StaleLock { .. } => Some(
            "if no normsctl or git process is running on this repository, run again with --break-lock".to_owned(),
        ),
        AckError::Busy { .. } => Some("try again; if it persists, look for a stuck process".to_owned()),
        AckError::History(normsctl::history::HistoryError::Shallow) => Some(
            "fetch the whole history: `git fetch --unshallow` (GitHub Actions: `fetch-depth: 0` in actions/checkout)".to_owned(),
        ),
        _ => None,
    };
    let err = CliError::env(e.to_string());
    match hint {
        Some(h) => err.with_hint(h),
        None => err,
    }
}

/// The person a command acts for: `--as`, else git's user.email matched to the roster.
pub(super) fn whoami<'a>(
    ctx: &Ctx,
    people: &'a People,
    named: Option<&str>,
) -> Result<&'a Member, CliError> {
    if let Some(id) = named {
        return people
            .person(id)
            .ok_or_else(|| ack_error(AckError::UnknownPerson(id.to_owned())));
    }
    let (_, email) = identity(ctx)?;
    people
        .by_email(&email)
        .ok_or_else(|| ack_error(AckError::UnknownEmail { email }))
}

/// git's user.name and user.email.
pub(super) fn identity(ctx: &Ctx) -> Result<(String, String), CliError> {
    let config = ctx.repo.config().map_err(|e| ack_error(e.into()))?;
    let name = config.get_string("user.name").ok();
    let email = config.get_string("user.email").ok();
    match (name, email) {
        (Some(n), Some(e)) if !e.trim().is_empty() => Ok((n, e)),
        _ => Err(ack_error(AckError::NoIdentity)),
    }
}

pub fn run(global: &Global, args: AckArgs) -> Result<(), CliError> {
    let timings = super::build::Timings::from_env();
    let ctx = Ctx::open(global)?;
    let snap = ctx.snapshot()?;
    let people = snap
        .people(&ctx.repo, &ctx.layout)
        .ok_or_else(|| ack_error(AckError::NoRoster(ctx.layout.roster.clone())))?;
    timings.mark("roster");
    let person = whoami(&ctx, &people, args.person.as_deref())?;
    let (writer_name, writer_email) = identity(&ctx)?;
    let tips = ctx.ledger.tips(&ctx.repo).map_err(ack_error)?;
    let mine = ledger::list_person(&ctx.repo, &tips, &person.id).map_err(ack_error)?;
    let held = |policy: &str, revision: u32| {
        mine.iter()
            .find(|l| l.info.policy == policy && l.info.revision >= revision)
    };

    // The policies to acknowledge, in the order given, then the outstanding ones.
    let mut ids: Vec<String> = Vec::new();
    for id in &args.ids {
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    if args.pending {
        let given = ids.clone();
        for (id, _, p) in snap.policies(&ctx.repo, |id| !given.iter().any(|g| g == id)) {
            let Some(p) = p else { continue };
            if p.ack == AckMode::Required
                && person.covered_by(&p.applies_to())
                && held(id, p.revision.value).is_none()
            {
                ids.push(id.to_owned());
            }
        }
    }

    // Check everything before writing anything.
    let mut todo = Vec::new();
    let mut already = Vec::new();
    for id in &ids {
        let Some(file) = snap.files.get(id) else {
            let suggestion = snap
                .files
                .keys()
                .map(|k| (strsim::jaro_winkler(k, id), k))
                .filter(|(s, _)| *s > 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, k)| k.clone());
            return Err(ack_error(AckError::UnknownPolicy {
                id: id.clone(),
                suggestion,
            }));
        };
        let policy = snapshot::parse_policy(&ctx.repo, file).ok_or_else(|| {
            CliError::env(format!("{} does not read as a policy at HEAD", file.path))
                .with_hint("run `normsctl validate` and fix the file first")
        })?;
        if policy.ack == AckMode::None {
            return Err(ack_error(AckError::NoAckNeeded(id.clone())));
        }
        if uncommitted(&ctx.repo, &file.path) {
            return Err(ack_error(AckError::Uncommitted {
                path: file.path.clone(),
            }));
        }
        let revision = policy.revision.value;
        match held(id, revision) {
            Some(h) => already.push((id.clone(), h.info.revision)),
            None => {
                if !person.covered_by(&policy.applies_to()) {
                    // Reading a rule one is not bound by is allowed; say it is not required.
                    super::note(&format!(
                        "note: {id} applies to {}, which does not include {}; recorded anyway",
                        policy.applies_to().join(", "),
                        person.id
                    ));
                }
                todo.push((policy, file.clone()))
            }
        }
    }
    warn_if_behind(&ctx.repo);
    timings.mark("checks");

    let mut out = String::new();
    for (id, revision) in &already {
        let _ = writeln!(
            out,
            "{} had already acknowledged {id} r{revision}: nothing to record",
            person.id
        );
    }
    if todo.is_empty() {
        return print(&out);
    }

    let now = record_time()?;
    let zone = jiff::tz::TimeZone::system();
    let time = jiff::Timestamp::from_second(now)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(zone);
    let offset_minutes = time.offset().seconds() / 60;
    let time_text = time.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string();
    let config = ctx.repo.config().map_err(|e| ack_error(e.into()))?;
    let key = match &args.key {
        Some(k) => Some(sign::KeySource::File(k.clone())),
        None => sign::key_from_config(&config),
    };
    let program = sign::program_from_config(&config);

    let mut files = Vec::new();
    for (policy, file) in &todo {
        let e = Entry {
            format: entry::FORMAT,
            person: person.id.clone(),
            policy: policy.id.value.clone(),
            revision: policy.revision.value,
            path: file.path.clone(),
            blob: file.blob.to_string(),
            commit: snap.commit.to_string(),
            time: time_text.clone(),
            writer: Writer {
                name: writer_name.clone(),
                email: writer_email.clone(),
            },
            tool: format!("normsctl {}", normsctl::VERSION),
            note: args.note.clone(),
        };
        let payload = e.payload();
        let signature = match &person.signing_key {
            None => None,
            Some(roster_key) => {
                let key = key.as_ref().ok_or_else(|| {
                    ack_error(AckError::KeyNeeded {
                        person: person.id.clone(),
                    })
                })?;
                let sig = sign::sign(&program, key, &payload)
                    .map_err(|e| ack_error(AckError::Sign(e)))?;
                sign::verify(roster_key, &payload, &sig).map_err(|reason| {
                    ack_error(AckError::WrongKey {
                        person: person.id.clone(),
                        reason,
                    })
                })?;
                Some(sig)
            }
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
    let signature = git2::Signature::new(
        &writer_name,
        &writer_email,
        &git2::Time::new(now, offset_minutes),
    )
    .map_err(|e| ack_error(e.into()))?;
    let opts = AppendOptions {
        message,
        signature,
        break_lock: args.break_lock,
    };
    let person_id = person.id.clone();
    let appended = ledger::append(&ctx.repo, &ctx.ledger, &opts, |tree| {
        // Under contention the tip moves: drop what a concurrent writer already recorded.
        let existing = existing_in(&ctx.repo, tree, &person_id)?;
        files
            .iter()
            .filter(|(p, r, _)| !existing.iter().any(|(ep, er)| ep == p && er == r))
            .map(|(_, _, f)| {
                Ok(NewFile {
                    path: ledger::entry_path(&ctx.repo, tree, &person_id, &f.path)?,
                    bytes: f.bytes.clone(),
                })
            })
            .collect()
    })
    .map_err(ack_error)?;
    timings.mark("append");

    for (p, r, f) in &files {
        if appended
            .files
            .iter()
            .any(|p| p.ends_with(&format!("/{}", f.path)))
        {
            let _ = write!(out, "{person_id} acknowledged {p} r{r}");
            if by_other {
                let _ = write!(out, " (written by {writer_name} <{writer_email}>)");
            }
            out.push('\n');
        } else {
            let _ = writeln!(
                out,
                "{person_id} had already acknowledged {p} r{r}: nothing to record"
            );
        }
    }
    if let Some(c) = appended.commit {
        let _ = writeln!(
            out,
            "recorded in {} on {} ({} bytes written)",
            &c.to_string()[..10],
            ctx.ledger.name.trim_start_matches("refs/heads/"),
            appended.bytes
        );
        gc_if_needed(&ctx.repo);
    }
    print(&out)
}

/// `(policy, revision)` of the person's well-formed entries in a ledger tree (in every one
/// of their bucket folders; a file that is not a folder, or a decoy that does not parse, is
/// skipped, so neither can stop an acknowledgement).
fn existing_in(
    repo: &git2::Repository,
    tree: Option<&git2::Tree>,
    person: &str,
) -> Result<BTreeSet<(String, u32)>, AckError> {
    let mut out = BTreeSet::new();
    let Some(tree) = tree else { return Ok(out) };
    for (path, blob) in person_files(repo, tree, person)? {
        let Ok(b) = repo.find_blob(blob) else {
            continue;
        };
        if let Ok((parsed, _)) = entry::parse_file(&path, b.content()) {
            out.insert((parsed.entry.policy, parsed.entry.revision));
        }
    }
    Ok(out)
}

/// The files in `person`'s folders of a ledger tree: `(path, blob)`.
fn person_files(
    repo: &git2::Repository,
    tree: &git2::Tree,
    person: &str,
) -> Result<Vec<(String, git2::Oid)>, AckError> {
    let mut files = Vec::new();
    for bucket in entry::bucket_names(person) {
        let folder = match tree.get_path(std::path::Path::new(&format!("{bucket}/{person}"))) {
            Ok(e) if e.kind() == Some(git2::ObjectType::Tree) => repo.find_tree(e.id())?,
            _ => continue,
        };
        for e in folder.iter() {
            if let Ok(name) = e.name() {
                files.push((format!("{bucket}/{person}/{name}"), e.id()));
            }
        }
    }
    Ok(files)
}

/// Whether the file differs from HEAD in the index or the work tree.
fn uncommitted(repo: &git2::Repository, path: &str) -> bool {
    match repo.status_file(std::path::Path::new(path)) {
        Ok(s) => !(s.is_empty() || s == git2::Status::IGNORED),
        Err(_) => true,
    }
}

/// Warns when the checked-out branch is behind its upstream (the text may be out of date).
fn warn_if_behind(repo: &git2::Repository) {
    let Ok(head) = repo.head() else { return };
    if !head.is_branch() {
        return;
    }
    let branch = git2::Branch::wrap(head);
    let (Ok(upstream), Some(local)) = (branch.upstream(), branch.get().target()) else {
        return;
    };
    let Some(remote) = upstream.get().target() else {
        return;
    };
    if let Ok((_, behind)) = repo.graph_ahead_behind(local, remote)
        && behind > 0
    {
        note(&format!(
            "warning: this branch is {behind} commit(s) behind {}: you are acknowledging the text as committed here; `git pull` first to read the latest",
            upstream.name().ok().flatten().unwrap_or("its upstream")
        ));
    }
}

/// Packs loose objects the way git would (`git gc --auto`) once they pass git's threshold:
/// each `ack` writes a handful, and libgit2 never packs on its own.
fn gc_if_needed(repo: &git2::Repository) {
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
