//! `normsctl acks` and its subcommands: parse, open, gather and judge (ack::report),
//! stream the report.

use super::timings::Timings;
use super::{CommandError, Global, eprint_text, note, parse_time};
use clap::{Args, Subcommand, ValueEnum};
use normsctl::ack::report::{Inputs, Query};
use normsctl::render::acks;
use normsctl::render::people::CleanWriter;
use std::io::Write;

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
    /// Only this person: an id, or any of their e-mail addresses
    #[arg(long, value_name = "ID|EMAIL")]
    person: Option<String>,
    /// Only what is overdue
    #[arg(long)]
    overdue: bool,
    /// Exit 1 while anything shown is outstanding (stale, expired or never acknowledged)
    #[arg(long)]
    require_complete: bool,
    /// The report as it stood then: a date (its end, in the handbook's zone) or an RFC
    /// 3339 time. The roster and texts of then; only entries a witness held by then
    #[arg(long, value_name = "DATE|TIME")]
    at: Option<String>,
    /// Show why people are exempt (a code and a reference; never on the public site)
    #[arg(long)]
    show_reasons: bool,
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
    Witness(super::acks_witness::WitnessArgs),
    Revoke(super::acks_revoke::RevokeArgs),
    Key(super::acks_key::KeyArgs),
    Audit(super::acks_audit::AuditArgs),
    Remind(super::acks_remind::RemindArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Human,
    Json,
    Csv,
}

pub fn run(global: &Global, args: AcksArgs) -> Result<(), CommandError> {
    match args.command {
        Some(AcksCommand::Show(a)) => return super::acks_show::run(global, a),
        Some(AcksCommand::Evidence(a)) => return super::acks_evidence::run(global, a),
        Some(AcksCommand::Verify(a)) => return super::acks_verify::run(global, a),
        Some(AcksCommand::Sync(a)) => return super::acks_sync::run(global, a),
        Some(AcksCommand::Witness(a)) => return super::acks_witness::run(global, a),
        Some(AcksCommand::Revoke(a)) => return super::acks_revoke::run(global, a),
        Some(AcksCommand::Key(a)) => return super::acks_key::run(global, a),
        Some(AcksCommand::Audit(a)) => return super::acks_audit::run(global, a),
        Some(AcksCommand::Remind(a)) => return super::acks_remind::run(global, a),
        None => {}
    }
    let timings = Timings::from_env();
    let ws = global.open()?;
    let cx = normsctl::ack::Context::open(&ws)?;
    // An e-mail address (any of the person's, any case) names the person too.
    let person = match args.person.as_deref() {
        Some(who) if who.contains('@') => Some(cx.person_id(who)?),
        other => other.map(str::to_owned),
    };
    let at = args
        .at
        .as_deref()
        .map(|t| parse_time(t, &ws.tz, true))
        .transpose()?;
    let query = Query {
        policy: args.policy.as_deref(),
        person: person.as_deref(),
        only_overdue: args.overdue,
        at,
    };
    if args.require_complete {
        // Completeness cannot be told without the ledger: neither yes nor no.
        cx.ledger
            .require_fetched(cx.repo, &ws.settings.acks.remote)?;
    }
    let inputs = Inputs::gather(&cx, query, &mut |n| note(&n), &|phase| timings.mark(phase))?;
    // The whole handbook lists only who is outstanding; a filter lists everyone.
    let all = args.person.is_some() || args.policy.is_some();
    // For people, the rows nobody is shown are counted but never made.
    let report = inputs.report_rows(query, &ws.tz, matches!(args.format, Format::Human) && !all);
    timings.mark("status");
    let needs = &inputs.needs;
    let view = acks::View {
        tz: &ws.tz,
        no_history: !inputs.history_known,
        all,
        show_reasons: args.show_reasons,
        at,
    };
    match args.format {
        Format::Human => {
            // Text for people: hostile characters shown escaped on the way out.
            stream(|w| {
                let mut w = CleanWriter::new(w);
                acks::human(&mut w, &report, needs, &view)?;
                w.flush()
            })?;
        }
        // Machine documents go out byte for byte: their formats escape what they must.
        Format::Json => stream(|w| {
            acks::json(
                w,
                &report,
                needs,
                &view,
                inputs.now,
                (&inputs.rejected, &inputs.unchecked),
            )
        })?,
        Format::Csv => stream(|w| acks::csv(w, &report, needs, &view))?,
    }
    timings.mark("output");
    eprint_text(&acks::apart(&inputs.rejected, &inputs.unchecked));
    if inputs.unwitnessed_then > 0 {
        note(&format!(
            "note: {} ledger entr{} left out: no witness held {} by then (`normsctl acks witness` makes witnesses)",
            inputs.unwitnessed_then,
            if inputs.unwitnessed_then == 1 {
                "y is"
            } else {
                "ies are"
            },
            if inputs.unwitnessed_then == 1 {
                "it"
            } else {
                "them"
            },
        ));
    }
    let outstanding = report.rows.iter().any(|r| r.state.outstanding());
    let unchecked = inputs.unchecked.len();
    // The process ends here: freeing millions of small strings one by one would take
    // longer than the report.
    std::mem::forget(report);
    std::mem::forget(inputs);
    ws.release();
    if args.require_complete && unchecked > 0 {
        // Completeness cannot be told from here: neither yes nor no.
        return Err(CommandError::env(format!(
            "{unchecked} ledger entries cannot be checked in this clone, so completeness cannot be told"
        ))
        .with_hint("fetch the whole history (GitHub Actions: actions/checkout with fetch-depth: 0; else git fetch --unshallow)"));
    }
    if args.require_complete && outstanding {
        return Err(CommandError::Findings);
    }
    Ok(())
}

/// Writes a report to standard output as it is made (the whole handbook's can be hundreds
/// of megabytes); a reader that stopped reading (a closed pipe) is not an error. The
/// writer decides what to escape (people's text through `render::people`, documents as
/// they are).
fn stream(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), CommandError> {
    use std::io::Write;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let done = write(&mut out).and_then(|()| out.flush());
    match done {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CommandError::env(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}
