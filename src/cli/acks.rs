use super::ack::{Ctx, ack_error, now};
use super::build::Timings;
use super::{CliError, Global, note};
use clap::{Args, Subcommand, ValueEnum};
use normsctl::ack::entry::Parsed;
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
    let now = now();
    let filter = status::Filter {
        person: args.person.as_deref(),
        only_overdue: args.overdue,
    };
    let mut report = status::compute(&needs, &people, &held, now, filter);
    if args.overdue {
        report.former.clear();
    }
    timings.mark("status");
    match args.format {
        Format::Human => {
            // The whole handbook lists only who is outstanding; a filter lists everyone.
            let all = args.person.is_some() || args.policy.is_some();
            stream(|w| human(w, &report, &needs, &ctx.tz, landed.is_none(), all))?;
        }
        Format::Json => stream(|w| json_doc(w, &report, &needs, &ctx.tz, now))?,
        Format::Csv => stream(|w| csv_doc(w, &report, &needs, &ctx.tz))?,
    }
    timings.mark("output");
    let outstanding = report.rows.iter().any(|r| r.state != State::Current);
    if args.require_complete && outstanding {
        return Err(CliError::Findings);
    }
    Ok(())
}

/// Writes a report to standard output as it is made (the whole handbook's can be hundreds
/// of megabytes); a reader that stopped reading (a closed pipe) is not an error.
fn stream(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), CliError> {
    use std::io::Write;
    let stdout = anstream::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::env(format!(
            "cannot write to standard output: {e}"
        ))),
    }
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
            Ok(p) => out.push(to_held(p, people)),
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

/// Whether an entry was written by someone other than the person it names (judged by the
/// roster at HEAD; an entry of someone no longer on it counts as their own).
pub(super) fn by_other(p: &Parsed, people: &People) -> bool {
    let e = &p.entry;
    people
        .person(&e.person)
        .is_some_and(|person| !person.has_email(&e.writer.email))
}

pub(super) fn to_held(p: Parsed, people: &People) -> Held {
    let by_other = by_other(&p, people);
    let seconds = p.entry.seconds().unwrap_or(0);
    let e = p.entry;
    Held {
        person: e.person,
        policy: e.policy,
        revision: e.revision,
        id: p.id.to_string(),
        time: e.time,
        seconds,
        writer_name: e.writer.name,
        writer_email: e.writer.email,
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

/// `acks --format json`, serialised straight from the report (one value per row would be
/// millions of allocations for a whole handbook).
mod json {
    use super::{Held, Need, Report, State};
    use serde::Serialize;
    use serde::ser::Serializer;

    #[derive(Serialize)]
    pub struct Doc<'a> {
        pub version: u32,
        pub now: String,
        pub complete: bool,
        pub policies: Policies<'a>,
        pub former: Vec<Former<'a>>,
    }

    pub struct Policies<'a> {
        pub report: &'a Report<'a>,
        pub needs: &'a [Need],
        pub tz: &'a jiff::tz::TimeZone,
    }

    impl Serialize for Policies<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(
                self.needs
                    .iter()
                    .zip(&self.report.spans)
                    .filter(|(_, span)| !span.is_empty())
                    .map(|(need, span)| {
                        let rows = &self.report.rows[span.clone()];
                        let count = |st: State| rows.iter().filter(|r| r.state == st).count();
                        Policy {
                            id: &need.id,
                            title: &need.title,
                            revision: need.revision,
                            path: &need.path,
                            blob: &need.blob,
                            applies_to: &need.applies_to,
                            due: need.due.map(|d| super::rfc3339(d, self.tz)),
                            counts: Counts {
                                must: rows.len(),
                                current: count(State::Current),
                                stale: count(State::Stale),
                                never: count(State::Never),
                                overdue: rows.iter().filter(|r| r.overdue).count(),
                            },
                            people: People(rows),
                        }
                    }),
            )
        }
    }

    #[derive(Serialize)]
    struct Policy<'a> {
        id: &'a str,
        title: &'a str,
        revision: u32,
        path: &'a str,
        blob: &'a str,
        applies_to: &'a [String],
        due: Option<String>,
        counts: Counts,
        people: People<'a>,
    }

    #[derive(Serialize)]
    struct Counts {
        must: usize,
        current: usize,
        stale: usize,
        never: usize,
        overdue: usize,
    }

    struct People<'a>(&'a [super::status::Row<'a>]);

    impl Serialize for People<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(self.0.iter().map(|r| Row {
                person: r.person,
                status: r.state.as_str(),
                overdue: r.overdue,
                acknowledgement: r.held.map(Ack::of),
            }))
        }
    }

    #[derive(Serialize)]
    struct Row<'a> {
        person: &'a str,
        status: &'a str,
        overdue: bool,
        acknowledgement: Option<Ack<'a>>,
    }

    #[derive(Serialize)]
    pub struct Ack<'a> {
        revision: u32,
        entry: &'a str,
        time: &'a str,
        writer: Writer<'a>,
        written_by_other: bool,
    }

    impl Ack<'_> {
        pub fn of(h: &Held) -> Ack<'_> {
            Ack {
                revision: h.revision,
                entry: &h.id,
                time: &h.time,
                writer: Writer {
                    name: &h.writer_name,
                    email: &h.writer_email,
                },
                written_by_other: h.by_other,
            }
        }
    }

    #[derive(Serialize)]
    struct Writer<'a> {
        name: &'a str,
        email: &'a str,
    }

    #[derive(Serialize)]
    pub struct Former<'a> {
        pub person: &'a str,
        pub acknowledgements: Vec<FormerAck<'a>>,
    }

    /// An acknowledgement of someone no longer on the roster: the policy comes last.
    #[derive(Serialize)]
    pub struct FormerAck<'a> {
        #[serde(flatten)]
        pub ack: Ack<'a>,
        pub policy: &'a str,
    }
}

fn json_doc(
    out: &mut dyn std::io::Write,
    report: &Report,
    needs: &[Need],
    tz: &jiff::tz::TimeZone,
    now: i64,
) -> std::io::Result<()> {
    let doc = json::Doc {
        version: 1,
        now: rfc3339(now, tz),
        complete: report.rows.iter().all(|r| r.state == State::Current),
        policies: json::Policies { report, needs, tz },
        former: report
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
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

fn csv_doc(
    out: &mut dyn std::io::Write,
    report: &Report,
    needs: &[Need],
    tz: &jiff::tz::TimeZone,
) -> std::io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let io = |e: csv::Error| {
        let text = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(e) => e,
            _ => std::io::Error::other(text),
        }
    };
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
    for (need, span) in needs.iter().zip(&report.spans) {
        let due = need.due.map(|d| rfc3339(d, tz)).unwrap_or_default();
        let revision = need.revision.to_string();
        for r in &report.rows[span.clone()] {
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
    }
    w.flush()
}
