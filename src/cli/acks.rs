use super::ack::{Ctx, ack_error, now};
use super::{CliError, Global, note, print};
use clap::{Args, Subcommand, ValueEnum};
use normsctl::ack::entry::Parsed;
use normsctl::ack::ledger::{self, Listed};
use normsctl::ack::snapshot;
use normsctl::ack::status::{self, Held, Need, Report, State};
use normsctl::history::{self, Change};
use normsctl::model::Roster;
use serde_json::json;
use std::collections::HashMap;
use std::fmt::Write;

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
    let ctx = Ctx::open(global)?;
    let snap = ctx.snapshot()?;
    let roster = snap
        .roster
        .clone()
        .ok_or_else(|| ack_error(normsctl::ack::AckError::NoRoster(ctx.layout.roster.clone())))?;
    if let Some(p) = &args.person
        && roster.person(p).is_none()
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
    let mut needs = Vec::new();
    for (id, file) in &snap.files {
        if args.policy.as_ref().is_some_and(|p| p != id) {
            continue;
        }
        let Some(policy) = snapshot::parse_policy(&ctx.repo, file) else {
            note(&format!(
                "warning: {} does not read as a policy at HEAD; skipped (run `normsctl validate`)",
                file.path
            ));
            continue;
        };
        let when = landed.as_ref().map(|l| l.get(id.as_str()).copied());
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
    let held = held(
        &ctx,
        &roster,
        args.person.as_deref(),
        args.policy.as_deref(),
    )?;
    let now = now();
    let filter = status::Filter {
        person: args.person.as_deref(),
        only_overdue: args.overdue,
    };
    let mut report = status::compute(&needs, &roster, &held, now, filter);
    if args.overdue {
        report.former.clear();
    }
    let text = match args.format {
        Format::Human => {
            // The whole handbook lists only who is outstanding; a filter lists everyone.
            let all = args.person.is_some() || args.policy.is_some();
            human(&report, &needs, &ctx.tz, landed.is_none(), all)
        }
        Format::Json => json_doc(&report, &needs, &ctx.tz, now),
        Format::Csv => csv_doc(&report, &ctx.tz)?,
    };
    print(&text)?;
    let outstanding = report.rows.iter().any(|r| r.state != State::Current);
    if args.require_complete && outstanding {
        return Err(CliError::Findings);
    }
    Ok(())
}

/// When each policy's current revision landed (Unix seconds), from one history walk;
/// `None` on a shallow clone (overdue cannot be told).
fn landings(ctx: &Ctx, head: git2::Oid) -> Option<HashMap<String, i64>> {
    // Reading history only, in a process that verifies nothing.
    git2::opts::strict_hash_verification(false);
    match history::walk(&ctx.repo, head, &ctx.layout.policies) {
        Ok(revisions) => {
            let mut out = HashMap::new();
            for r in revisions {
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
    roster: &Roster,
    person: Option<&str>,
    policy: Option<&str>,
) -> Result<Vec<Held>, CliError> {
    let tips = ctx.ledger.tips(&ctx.repo).map_err(ack_error)?;
    let mut listed: Vec<Listed> = match person {
        Some(p) => ledger::list_person(&ctx.repo, &tips, p),
        None => ledger::list(&ctx.repo, &tips),
    }
    .map_err(ack_error)?;
    if let Some(p) = policy {
        listed.retain(|l| l.info.policy == p);
    }
    let parsed = ledger::read(ctx.repo.path(), &listed);
    let mut out = Vec::with_capacity(parsed.len());
    let mut bad = 0;
    for p in parsed {
        match p {
            Ok(p) => out.push(to_held(&p, roster)),
            Err(_) => bad += 1,
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

pub(super) fn to_held(p: &Parsed, roster: &Roster) -> Held {
    let e = &p.entry;
    let by_other = roster.person(&e.person).is_some_and(|person| {
        !person
            .emails
            .iter()
            .any(|m| m.value.eq_ignore_ascii_case(&e.writer.email))
    });
    Held {
        person: e.person.clone(),
        policy: e.policy.clone(),
        revision: e.revision,
        id: p.id.to_string(),
        time: e.time.clone(),
        seconds: e.seconds().unwrap_or(0),
        writer_name: e.writer.name.clone(),
        writer_email: e.writer.email.clone(),
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
    report: &Report,
    needs: &[Need],
    tz: &jiff::tz::TimeZone,
    no_history: bool,
    all: bool,
) -> String {
    let mut out = String::new();
    for need in needs {
        let rows: Vec<_> = report.rows.iter().filter(|r| r.policy == need.id).collect();
        if rows.is_empty() {
            continue;
        }
        let current = rows.iter().filter(|r| r.state == State::Current).count();
        let overdue = rows.iter().filter(|r| r.overdue).count();
        let _ = write!(
            out,
            "{} r{}  {}/{} acknowledged",
            need.id,
            need.revision,
            current,
            rows.len()
        );
        if overdue > 0 {
            let _ = write!(out, ", {overdue} overdue");
        }
        if let Some(d) = need.due {
            let _ = write!(out, "  (due {})", date(d, tz));
        }
        out.push('\n');
        for r in rows {
            if !all && r.state == State::Current {
                continue;
            }
            let mut line = format!("  {:<8} {}", r.state.as_str(), r.person);
            if let Some(h) = &r.held {
                let _ = write!(line, "  r{} on {}", h.revision, date(h.seconds, tz));
                if h.by_other {
                    let _ = write!(line, ", written by {} <{}>", h.writer_name, h.writer_email);
                }
            }
            if r.overdue {
                line.push_str("  OVERDUE");
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    if !report.former.is_empty() {
        out.push_str("people no longer on the roster:\n");
        for f in &report.former {
            let list: Vec<String> = f
                .held
                .iter()
                .map(|h| format!("{} r{}", h.policy, h.revision))
                .collect();
            let _ = writeln!(out, "  {}  {}", f.person, list.join(", "));
        }
    }
    if out.is_empty() {
        out.push_str("nothing to show\n");
    }
    if no_history {
        out.push_str("(overdue unknown: the history is incomplete)\n");
    }
    out
}

fn held_json(h: &Held) -> serde_json::Value {
    json!({
        "revision": h.revision,
        "entry": h.id,
        "time": h.time,
        "writer": { "name": h.writer_name, "email": h.writer_email },
        "written_by_other": h.by_other,
    })
}

fn json_doc(report: &Report, needs: &[Need], tz: &jiff::tz::TimeZone, now: i64) -> String {
    let policies: Vec<_> = needs
        .iter()
        .filter_map(|need| {
            let rows: Vec<_> = report.rows.iter().filter(|r| r.policy == need.id).collect();
            if rows.is_empty() {
                return None;
            }
            let count = |s: State| rows.iter().filter(|r| r.state == s).count();
            Some(json!({
                "id": need.id,
                "title": need.title,
                "revision": need.revision,
                "path": need.path,
                "blob": need.blob,
                "applies_to": need.applies_to,
                "due": need.due.map(|d| rfc3339(d, tz)),
                "counts": {
                    "must": rows.len(),
                    "current": count(State::Current),
                    "stale": count(State::Stale),
                    "never": count(State::Never),
                    "overdue": rows.iter().filter(|r| r.overdue).count(),
                },
                "people": rows.iter().map(|r| json!({
                    "person": r.person,
                    "status": r.state.as_str(),
                    "overdue": r.overdue,
                    "acknowledgement": r.held.map(held_json),
                })).collect::<Vec<_>>(),
            }))
        })
        .collect();
    let doc = json!({
        "version": 1,
        "now": rfc3339(now, tz),
        "complete": report.rows.iter().all(|r| r.state == State::Current),
        "policies": policies,
        "former": report.former.iter().map(|f| json!({
            "person": f.person,
            "acknowledgements": f.held.iter().map(|h| {
                let mut v = held_json(h);
                v["policy"] = json!(h.policy);
                v
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("JSON values serialise");
    s.push('\n');
    s
}

fn csv_doc(report: &Report, tz: &jiff::tz::TimeZone) -> Result<String, CliError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| CliError::env(format!("cannot write CSV: {e}"));
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
    .map_err(fail)?;
    for r in &report.rows {
        let h = r.held;
        w.write_record([
            r.policy.to_owned(),
            r.revision.to_string(),
            r.person.to_owned(),
            r.state.as_str().to_owned(),
            r.overdue.to_string(),
            r.due.map(|d| rfc3339(d, tz)).unwrap_or_default(),
            h.map(|h| h.revision.to_string()).unwrap_or_default(),
            h.map(|h| h.time.clone()).unwrap_or_default(),
            h.map(|h| h.id.clone()).unwrap_or_default(),
            h.map(|h| h.writer_email.clone()).unwrap_or_default(),
            h.map(|h| h.by_other.to_string()).unwrap_or_default(),
        ])
        .map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| CliError::env(format!("cannot write CSV: {e}")))?;
    Ok(String::from_utf8(bytes).expect("CSV of strings is UTF-8"))
}
