//! `normsctl acks remind`: parse, open, compose the digests (ack::remind), then print them,
//! print what would be sent (`--dry-run`), or send them (ack::deliver) and report each
//! failure.

use super::{CommandError, Global, eprint_text, note, print_people};
use clap::{Args, ValueEnum};
use normsctl::ack::deliver::{self, Delivered, Failure};
use normsctl::ack::remind::{self, RemindQuery};
use normsctl::render::remind::{self as digest, mail};
use std::time::Duration;

/// Remind people of what they must acknowledge: one digest per person (each policy with
/// its due date, how overdue, its link on the site, what changed since the text they last
/// acknowledged, and how to acknowledge), one per team lead (their team, overdue first,
/// per person and per policy), and one summary per team for its chat channel (counts and
/// titles, no names). Nobody gets an empty digest.
///
/// Without --send the digests are printed. `--send smtp` e-mails the personal and lead
/// digests (to the first address on the roster); `--send webhook` posts the team
/// summaries to each team's incoming webhook (remind: in normsctl.yaml). --dry-run prints
/// exactly what would be sent, to whom. Stateless: running it twice sends twice.
#[derive(Debug, Args)]
pub struct RemindArgs {
    /// Only this person's own digest
    #[arg(long, value_name = "ID", conflicts_with = "team")]
    person: Option<String>,
    /// Only this team: its people's digests, its lead's and its channel summary
    #[arg(long, value_name = "ID")]
    team: Option<String>,
    /// Only what is overdue
    #[arg(long)]
    overdue: bool,
    /// Output format of the digests (without --send)
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Deliver: `smtp` (personal and lead digests by e-mail), `webhook` (team summaries
    /// to chat); give it twice for both
    #[arg(long, value_enum, value_name = "CHANNEL")]
    send: Vec<Channel>,
    /// Print what --send would send, to whom, and send nothing
    #[arg(long, requires = "send")]
    dry_run: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Text,
    Markdown,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Channel {
    Smtp,
    Webhook,
}

pub fn run(global: &Global, args: RemindArgs) -> Result<(), CommandError> {
    let ws = global.open()?;
    let cx = normsctl::ack::Context::open(&ws)?;
    let query = RemindQuery {
        person: args.person.as_deref(),
        team: args.team.as_deref(),
        only_overdue: args.overdue,
    };
    let digests = remind::gather(&cx, query, &mut |n| note(&n))?;
    let tz = &ws.tz;
    if args.send.is_empty() {
        return match args.format {
            Format::Text => stream_out(|w| digest::write_text(w, &digests, tz)),
            Format::Markdown => print_people(&digest::markdown(&digests, tz)),
            Format::Json => stream_out(|w| digest::write_json(w, &digests, tz)),
        };
    }
    let settings = &ws.settings.remind;
    let (mut mails, mut posts) = (Vec::new(), Vec::new());
    if args.send.contains(&Channel::Smtp) {
        let (m, skipped) = mail::envelopes(&digests);
        for who in skipped {
            note(&format!(
                "warning: {who} has no e-mail address on the roster: no digest for them"
            ));
        }
        mails = m;
    }
    if args.send.contains(&Channel::Webhook) {
        let (p, skipped) = mail::posts(&digests, &settings.webhooks);
        if settings.webhooks.is_empty() && !skipped.is_empty() {
            note("note: remind.webhooks names no team: no channel summary is sent");
        } else {
            for team in skipped {
                note(&format!(
                    "note: team {team} has no webhook in remind.webhooks: no channel summary for it"
                ));
            }
        }
        posts = p;
    }
    // The cap per run: what is past it is not sent, and says so.
    let cap = settings.max_messages as usize;
    let mut capped: Vec<Failure> = Vec::new();
    let over = (mails.len() + posts.len()).saturating_sub(cap);
    if over > 0 {
        let keep_posts = posts.len().min(cap);
        let keep_mails = cap - keep_posts;
        let reason = format!(
            "not sent: the cap of {cap} messages per run (remind.max_messages) was reached"
        );
        for m in mails.drain(keep_mails.min(mails.len())..) {
            capped.push(Failure {
                recipient: format!("{} <{}>", m.about, m.to_addr),
                reason: reason.clone(),
            });
        }
        for p in posts.drain(keep_posts..) {
            capped.push(Failure {
                recipient: format!("team {}", p.team_id),
                reason: reason.clone(),
            });
        }
    }
    if args.dry_run {
        stream_out(|w| mail::write_dry_run(w, &digests, tz, &mails, &posts))?;
        report_failures(&capped);
        return if capped.is_empty() {
            Ok(())
        } else {
            Err(CommandError::Findings)
        };
    }
    let mails: Vec<mail::Mail> = {
        use rayon::prelude::*;
        let zone = digest::Zone::of(&digests, tz);
        mails
            .par_iter()
            .map(|e| mail::render(e, &digests, &zone))
            .collect()
    };
    let timeout = Duration::from_secs(u64::from(settings.timeout));
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let mut done = Delivered::default();
    if !mails.is_empty() {
        let smtp = settings.smtp.as_ref().ok_or_else(|| {
            CommandError::env(deliver::DeliverError::NoSmtp.to_string()).with_hint(
                "add remind: { smtp: { host: …, from: … } } to normsctl.yaml (see the README)",
            )
        })?;
        let sent = deliver::send_mails(smtp, &ws.loc.root, &mails, timeout, &env)
            .map_err(|e| CommandError::env(e.to_string()))?;
        done.sent.extend(sent.sent);
        done.failed.extend(sent.failed);
    }
    if !posts.is_empty() {
        let sent = deliver::send_posts(&posts, timeout, &env);
        done.sent.extend(sent.sent);
        done.failed.extend(sent.failed);
    }
    done.failed.extend(capped);
    eprint_text(&format!(
        "sent {} of {} messages\n",
        done.sent.len(),
        done.sent.len() + done.failed.len()
    ));
    report_failures(&done.failed);
    if done.failed.is_empty() {
        Ok(())
    } else {
        Err(CommandError::Findings)
    }
}

/// Writes what `write` renders (text for people already passed through `people::clean`, or
/// a JSON document) to standard output as it comes, buffered; a closed pipe ends it
/// quietly.
fn stream_out(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), CommandError> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CommandError::env(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

fn report_failures(failed: &[Failure]) {
    for f in failed {
        eprint_text(&format!(
            "error: not sent to {}: {}\n",
            f.recipient, f.reason
        ));
    }
}
