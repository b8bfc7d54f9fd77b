mod json;

use super::ack::{Ctx, ack_error, now};
use super::build::Timings;
use super::{CliError, Global, note};
use clap::{Args, Subcommand, ValueEnum};
use normsctl::ack::entry::Parsed;
use normsctl::ack::facts::{self, Facts};
use normsctl::ack::ledger::{self, Listed};
use normsctl::ack::people::People;
use normsctl::ack::status::{self, Held, Need, Report, State};
use normsctl::history::{self, Change};
use std::collections::HashMap;

/// Who must acknowledge what (as committed at HEAD), who has, who holds a stale
/// acknowledgement of an older revision, who never did, and what is overdue.
///
/// An editorial change (same revision) keeps acknowledgements current; a material one
/// (revision raised) makes them stale. People who left the roster are listed apart.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AcksArgs {
    #[command(subcommand)]
    command: Option<AcksCommand>,
    /// Only this policy
    #[arg(long, value_name = "ID")]
    policy: Option<String>,
    /// Only this person
    #[arg(long, value_name = "ID")]
    person: Option<String>,
    /// Only what is overdue
    #[arg(long)]
    overdue: bool,
    /// Exit 1 while anything shown is outstanding (stale or never acknowledged)
    #[arg(long)]
    require_complete: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Debug, Subcommand)]
enum AcksCommand {
    Show(super::acks_show::ShowArgs),
    Evidence(super::acks_evidence::EvidenceArgs),
    Verify(super::acks_verify::VerifyArgs),
    Sync(super::acks_sync::SyncArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Human,
    Json,
    Csv,
}

pub fn run(global: &Global, args: AcksArgs) -> Result<(), CliError> {
    match args.command {
        Some(AcksCommand::Show(a)) => return super::acks_show::run(global, a),
        Some(AcksCommand::Evidence(a)) => return super::acks_evidence::run(global, a),
        Some(AcksCommand::Verify(a)) => return super::acks_verify::run(global, a),
        Some(AcksCommand::Sync(a)) => return super::acks_sync::run(global, a),
        None => {}
    }
    let timings = Timings::from_env();
    let ctx = Ctx::open(global)?;
    let snap = ctx.snapshot()?;
    let people = snap
        .people(&ctx.repo, &ctx.layout)
        .ok_or_else(|| ack_error(normsctl::ack::AckError::NoRoster(ctx.layout.roster.clone())))?;
    timings.mark("roster");
    if let Some(p) = &args.person
        && people.person(p).is_none()
    {
        return Err(ack_error(normsctl::ack::AckError::UnknownPerson(p.clone())));
    }
    if let Some(id) = &args.policy
        && !snap.files.contains_key(id)
    {
        return Err(ack_error(normsctl::ack::AckError::UnknownPolicy {
            id: id.clone(),
            suggestion: None,
        }));
    }
    let landed = landings(&ctx, snap.commit);
    timings.mark("history");
    let mut needs = Vec::new();
    let policies = snap.policies(&ctx.repo, |id| args.policy.as_ref().is_none_or(|p| p == id));
    for (id, file, policy) in policies {
        let Some(policy) = policy else {
            note(&format!(
                "warning: {} does not read as a policy at HEAD; skipped (run `normsctl validate`)",
                file.path
            ));
            continue;
        };
        let when = landed.as_ref().map(|l| l.get(id).copied());
        if let Some(need) = Need::of(
            &policy,
            file.blob.to_string(),
            when.flatten(),
            ctx.settings.acks.due_days,
            &ctx.tz,
        ) {
            needs.push(need);
        }
    }
    timings.mark("policies");
    let held = held(
        &ctx,
        &people,
        args.person.as_deref(),
        args.policy.as_deref(),
    )?;
    timings.mark("ledger");
    let now = now()?;
    let filter = status::Filter {
        person: args.person.as_deref(),
        only_overdue: args.overdue,
    };
    let mut report = status::compute(&needs, &people, &held, now, filter);
    if args.overdue {
        report.former.clear();
    }
    timings.mark("status");
    // Terminal escapes are stripped from what is printed when stdout is not a terminal;
    // only free text can hold one, so when none does the report goes straight out.
    let plain = plain(&needs, &people, &held);
    match args.format {
        Format::Human => {
            // The whole handbook lists only who is outstanding; a filter lists everyone.
            let all = args.person.is_some() || args.policy.is_some();
            stream(plain, |w| {
                human(w, &report, &needs, &ctx.tz, landed.is_none(), all)
            })?;
        }
        Format::Json => stream(plain, |w| json_doc(w, &report, &needs, &ctx.tz, now))?,
        Format::Csv => stream(plain, |w| csv_doc(w, &report, &needs, &ctx.tz))?,
    }
    timings.mark("output");
    let outstanding = report.rows.iter().any(|r| r.state != State::Current);
    // The process ends here: freeing millions of small strings one by one would take
    // longer than the report.
    std::mem::forget(report);
    std::mem::forget(held);
    if args.require_complete && outstanding {
        return Err(CliError::Findings);
    }
    Ok(())
}

/// Whether no text that a report prints holds a control character (so there is nothing
/// for `anstream` to strip).
fn plain(needs: &[Need], people: &People, held: &[Held]) -> bool {
    let clean = |s: &str| !s.chars().any(char::is_control);
    needs.iter().all(|n| {
        clean(&n.id) && clean(&n.title) && clean(&n.path) && n.applies_to.iter().all(|g| clean(g))
    }) && people.members().iter().all(|m| clean(&m.id))
        && held.iter().all(|h| {
            clean(&h.person)
                && clean(&h.policy)
                && clean(&h.time)
                && clean(&h.writer_name)
                && clean(&h.writer_email)
        })
}

/// Writes a report to standard output as it is made (the whole handbook's can be hundreds
/// of megabytes); a reader that stopped reading (a closed pipe) is not an error. Unless
/// the report is `plain` it goes through `anstream`, which strips terminal escapes when
/// stdout is not a terminal (scanning hundreds of megabytes for them takes a third of a
/// second, so a report with nothing to strip goes straight out).
fn stream(
    plain: bool,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), CliError> {
    use std::io::Write;
    let done = if plain {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        write(&mut out).and_then(|()| out.flush())
    } else {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, anstream::stdout().lock());
        write(&mut out).and_then(|()| out.flush())
    };
    match done {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::env(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

/// Writes `pieces` parts made by `make` (each knowing its place) in order, making them
/// on every core a batch at a time.
fn in_order(
    out: &mut dyn std::io::Write,
    pieces: usize,
    make: impl Fn(usize) -> std::io::Result<Vec<u8>> + Sync,
) -> std::io::Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let batch = threads * 8;
    let make = &make;
    for start in (0..pieces).step_by(batch) {
        let end = (start + batch).min(pieces);
        let per = (end - start).div_ceil(threads);
        let made: Vec<std::io::Result<Vec<u8>>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (start..end)
                .step_by(per)
                .map(|from| {
                    let to = (from + per).min(end);
                    scope.spawn(move || (from..to).map(make).collect::<Vec<_>>())
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("report writer thread panicked"))
                .collect()
        });
        for piece in made {
            out.write_all(&piece?)?;
        }
    }
    Ok(())
}

/// When each policy's current revision landed (Unix seconds), from the history index
/// (cached in the git directory, so only commits new since the last run are walked);
/// `None` on a shallow clone (overdue cannot be told).
fn landings(ctx: &Ctx, head: git2::Oid) -> Option<HashMap<String, i64>> {
    // Reading history only, in a process that verifies nothing.
    git2::opts::strict_hash_verification(false);
    match history::cache::walk(&ctx.repo, head, &ctx.layout.policies) {
        Ok(cached) => {
            let mut out = HashMap::new();
            for r in cached.revisions {
                if matches!(r.change, Change::Added | Change::Material) {
                    out.entry(r.id).or_insert(r.landed.seconds);
                }
            }
            Some(out)
        }
        Err(e) => {
            note(&format!(
                "warning: {e}; overdue cannot be told (fetch the whole history to see it)"
            ));
            None
        }
    }
}

/// The ledger's entries this clone has seen (filtered by person or policy when given),
/// read and parsed.
pub(super) fn held(
    ctx: &Ctx,
    people: &People,
    person: Option<&str>,
    policy: Option<&str>,
) -> Result<Vec<Held>, CliError> {
    let tips = ctx.ledger.tips(&ctx.repo).map_err(ack_error)?;
    let facts = match (person, policy) {
        // The whole ledger is large: what its trees and files say is kept between runs.
        (None, None) => facts::whole(&ctx.repo, &ctx.ledger.name, &tips).map_err(ack_error)?,
        _ => {
            let mut listed: Vec<Listed> = match person {
                Some(p) => ledger::list_person(&ctx.repo, &tips, p),
                None => ledger::list(&ctx.repo, &tips),
            }
            .map_err(ack_error)?;
            if let Some(p) = policy {
                listed.retain(|l| l.info.policy == p);
            }
            facts::of(ctx.repo.path(), &listed)
        }
    };
    let mut out = Vec::with_capacity(facts.len());
    let mut bad = 0;
    for f in facts {
        match f {
            Some(f) => out.push(to_held(f, people)),
            None => bad += 1,
        }
    }
    if bad > 0 {
        note(&format!(
            "warning: {bad} ledger entr{} malformed and ignored; run `normsctl acks verify`",
            if bad == 1 { "y is" } else { "ies are" }
        ));
    }
    Ok(out)
}

/// Whether an entry was written by someone other than the person it names (judged by the
/// roster at HEAD; an entry of someone no longer on it counts as their own).
pub(super) fn by_other(p: &Parsed, people: &People) -> bool {
    let e = &p.entry;
    people
        .person(&e.person)
        .is_some_and(|person| !person.has_email(&e.writer.email))
}

fn to_held(f: Facts, people: &People) -> Held {
    let by_other = people
        .person(&f.listed.info.person)
        .is_some_and(|person| !person.has_email(&f.writer_email));
    let info = f.listed.info;
    Held {
        person: info.person,
        policy: info.policy,
        revision: info.revision,
        id: info.id.to_string(),
        time: f.time,
        seconds: f.seconds,
        writer_name: f.writer_name,
        writer_email: f.writer_email,
        by_other,
    }
}

fn date(seconds: i64, tz: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_second(seconds)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone())
        .strftime("%Y-%m-%d")
        .to_string()
}

fn rfc3339(seconds: i64, tz: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_second(seconds)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

fn human(
    out: &mut dyn std::io::Write,
    report: &Report,
    needs: &[Need],
    tz: &jiff::tz::TimeZone,
    no_history: bool,
    all: bool,
) -> std::io::Result<()> {
    let mut wrote = false;
    // Many rows share a day: format each day once.
    let mut dates: HashMap<i64, String> = HashMap::new();
    for (need, span) in needs.iter().zip(&report.spans) {
        let rows = &report.rows[span.clone()];
        if rows.is_empty() {
            continue;
        }
        wrote = true;
        let current = rows.iter().filter(|r| r.state == State::Current).count();
        let overdue = rows.iter().filter(|r| r.overdue).count();
        write!(
            out,
            "{} r{}  {}/{} acknowledged",
            need.id,
            need.revision,
            current,
            rows.len()
        )?;
        if overdue > 0 {
            write!(out, ", {overdue} overdue")?;
        }
        if let Some(d) = need.due {
            write!(out, "  (due {})", date(d, tz))?;
        }
        out.write_all(b"\n")?;
        for r in rows {
            if !all && r.state == State::Current {
                continue;
            }
            write!(out, "  {:<8} {}", r.state.as_str(), r.person)?;
            if let Some(h) = &r.held {
                let day = dates
                    .entry(h.seconds)
                    .or_insert_with(|| date(h.seconds, tz));
                write!(out, "  r{} on {}", h.revision, day)?;
                if h.by_other {
                    write!(out, ", written by {} <{}>", h.writer_name, h.writer_email)?;
                }
            }
            if r.overdue {
                out.write_all(b"  OVERDUE")?;
            }
            out.write_all(b"\n")?;
        }
    }
    if !report.former.is_empty() {
        wrote = true;
        out.write_all(b"people no longer on the roster:\n")?;
        for f in &report.former {
            let list: Vec<String> = f
                .held
                .iter()
                .map(|h| format!("{} r{}", h.policy, h.revision))
                .collect();
            writeln!(out, "  {}  {}", f.person, list.join(", "))?;
        }
    }
    if !wrote {
        out.write_all(b"nothing to show\n")?;
    }
    if no_history {
        out.write_all(b"(overdue unknown: the history is incomplete)\n")?;
    }
    Ok(())
}

fn json_doc(
    out: &mut dyn std::io::Write,
    report: &Report,
    needs: &[Need],
    tz: &jiff::tz::TimeZone,
    now: i64,
) -> std::io::Result<()> {
    // The document as `serde_json::to_writer_pretty` writes it, with each policy made
    // apart (on every core) at the depth it has in the document.
    let complete = report.rows.iter().all(|r| r.state == State::Current);
    write!(
        out,
        "{{\n  \"version\": 1,\n  \"now\": {},\n  \"complete\": {complete},\n  \"policies\": ",
        serde_json::to_string(&rfc3339(now, tz))?
    )?;
    let shown: Vec<usize> = (0..needs.len())
        .filter(|&i| !report.spans[i].is_empty())
        .collect();
    if shown.is_empty() {
        out.write_all(b"[]")?;
    } else {
        out.write_all(b"[")?;
        let policies = json::Policies { report, needs, tz };
        in_order(out, shown.len(), |k| {
            let mut buf = Vec::with_capacity(1 << 16);
            buf.extend_from_slice(if k == 0 { b"\n    " } else { b",\n    " });
            json::write(&mut buf, &policies.one(shown[k]), 2)?;
            Ok(buf)
        })?;
        out.write_all(b"\n  ]")?;
    }
    out.write_all(b",\n  \"former\": ")?;
    let former: Vec<json::Former> = report
        .former
        .iter()
        .map(|f| json::Former {
            person: &f.person,
            acknowledgements: f
                .held
                .iter()
                .map(|h| json::FormerAck {
                    ack: json::Ack::of(h),
                    policy: &h.policy,
                })
                .collect(),
        })
        .collect();
    let mut buf = Vec::new();
    json::write(&mut buf, &former, 1)?;
    out.write_all(&buf)?;
    out.write_all(b"\n}\n")
}

fn csv_doc(
    out: &mut dyn std::io::Write,
    report: &Report,
    needs: &[Need],
    tz: &jiff::tz::TimeZone,
) -> std::io::Result<()> {
    let io = |e: csv::Error| {
        let text = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(e) => e,
            _ => std::io::Error::other(text),
        }
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "policy",
        "revision",
        "person",
        "status",
        "overdue",
        "due",
        "acknowledged_revision",
        "acknowledged_at",
        "entry",
        "writer_email",
        "written_by_other",
    ])
    .map_err(io)?;
    out.write_all(&w.into_inner().map_err(|e| e.into_error())?)?;
    // Each policy's rows apart, on every core.
    in_order(out, needs.len(), |i| {
        let need = &needs[i];
        let due = need.due.map(|d| rfc3339(d, tz)).unwrap_or_default();
        let revision = need.revision.to_string();
        let mut w = csv::Writer::from_writer(Vec::with_capacity(1 << 16));
        for r in &report.rows[report.spans[i].clone()] {
            let h = r.held;
            let held_revision = h.map(|h| h.revision.to_string()).unwrap_or_default();
            w.write_record([
                r.policy,
                &revision,
                r.person,
                r.state.as_str(),
                if r.overdue { "true" } else { "false" },
                &due,
                &held_revision,
                h.map_or("", |h| h.time.as_str()),
                h.map_or("", |h| h.id.as_str()),
                h.map_or("", |h| h.writer_email.as_str()),
                match h {
                    Some(h) if h.by_other => "true",
                    Some(_) => "false",
                    None => "",
                },
            ])
            .map_err(io)?;
        }
        w.into_inner().map_err(|e| e.into_error())
    })
}
