//! The `acks` use case: who must acknowledge what (as committed at HEAD), what the ledger
//! holds, and when each revision landed (for overdue). [`Inputs::gather`] reads git;
//! [`status::compute`] then judges, purely.

use super::AckError;
use super::Context;
use super::coverage::{Coverage, Start};
use super::entry::Parsed;
use super::facts::{self, Facts};
use super::ledger::{self, Listed};
use super::line::Line;
use super::people::People;
use super::status::{self, Held, Need, Report};
use super::verdicts::{self, Verdict};
use crate::history::{self, Change};
use crate::model::ack::Rejected;
use foldhash::{HashMap, HashMapExt};

/// Which part of the handbook a report covers.
#[derive(Clone, Copy, Debug, Default)]
pub struct Query<'q> {
    pub policy: Option<&'q str>,
    pub person: Option<&'q str>,
    pub only_overdue: bool,
    /// Judge as of this moment (Unix seconds) rather than now (`acks --at`).
    pub at: Option<i64>,
}

/// What a report is computed from.
pub struct Inputs {
    pub people: People,
    pub needs: Vec<Need>,
    /// The entries that count (the one judge's valid ones).
    pub held: Vec<Held>,
    /// The entries that do not count, and why.
    pub rejected: Vec<Rejected>,
    /// Entries that cannot be judged in this clone, and why (a shallow clone, a newer
    /// entry format): they do not count either.
    pub unchecked: Vec<Rejected>,
    /// Whether landing times are known (not on a shallow clone).
    pub history_known: bool,
    /// The moment judged (now, or `--at`), as Unix seconds.
    pub now: i64,
    /// `acks.start` at 00:00 in the handbook's zone.
    pub start: Option<i64>,
    /// Coverage timelines (`None` on a shallow clone).
    pub coverage: Option<Coverage>,
    /// The line position the report stands at.
    pub upto: usize,
    /// The handbook commit the report stands at.
    pub commit: git2::Oid,
    /// With `--at`: entries left out because no witness held them by then.
    pub unwitnessed_then: usize,
}

impl Inputs {
    /// Reads what the report needs. `note` receives warnings (a policy that does not read,
    /// malformed entries, history that cannot tell overdue). `mark` is told each phase as
    /// it ends (for timings).
    pub fn gather(
        cx: &Context,
        q: Query,
        note: &mut dyn FnMut(String),
        mark: &dyn Fn(&str),
    ) -> Result<Inputs, AckError> {
        // Everything is judged against the handbook line: its tip is what people are asked
        // to acknowledge.
        let line = cx.line()?;
        if let Err(e) = cx.ledger.require_fetched(cx.repo, &line.remote) {
            note(format!(
                "warning: {e}: only entries written in this clone are shown; `normsctl acks --require-complete` will refuse"
            ));
        }
        let now = match q.at {
            Some(at) => at,
            None => cx
                .ws
                .now()
                .map_err(|e| AckError::Io(e.to_string()))?
                .as_second(),
        };
        // The handbook as it stood at the moment judged: the last commit landed by then.
        let upto = match q.at {
            None => line.commits().len().saturating_sub(1),
            Some(at) => line.at_time(at).ok_or(AckError::BeforeHistory)?,
        };
        let commit = line.commits().get(upto).copied().unwrap_or(line.tip);
        let snap = crate::ack::snapshot::Snapshot::at(cx.repo, commit, &cx.layout)?;
        let people = cx.people(&snap)?;
        mark("roster");
        if let Some(p) = q.person {
            people.require_id(p)?;
        }
        if let Some(id) = q.policy
            && !snap.files.contains_key(id)
        {
            return Err(AckError::UnknownPolicy {
                id: id.to_owned(),
                suggestion: None,
            });
        }
        let revisions = match history::cache::walk(cx.repo, line.tip, &cx.layout.policies) {
            Ok(cached) => Some(cached.revisions),
            Err(e) => {
                note(format!(
                    "warning: {e}; overdue cannot be told (fetch the whole history to see it)"
                ));
                None
            }
        };
        let coverage = match &revisions {
            Some(r) if line.complete => Some(Coverage::of(cx.repo, &line, &cx.layout, r)?),
            _ => None,
        };
        // What had landed by the moment judged.
        let revisions = revisions.map(|mut r| {
            r.retain(|r| line.position(r.commit).is_some_and(|p| p <= upto));
            r
        });
        let landed = revisions.as_deref().map(landings);
        mark("history");
        mark("coverage");
        // As of an earlier moment, the settings as they stood then on the handbook line: a
        // later change of `acks.start`, `acks.every` or `acks.due_days` does not rewrite
        // the past.
        let settings_then;
        let settings = match q.at {
            Some(_) => {
                settings_then = super::snapshot::settings_at(cx.repo, commit, &cx.layout).acks;
                &settings_then
            }
            None => &cx.ws.settings.acks,
        };
        let mut needs = Vec::new();
        let policies = snap.policies(cx.repo, |id| q.policy.is_none_or(|p| p == id));
        for (id, file, policy) in policies {
            let Some(policy) = policy else {
                note(format!(
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
                settings,
                &cx.ws.tz,
            ) {
                needs.push(need);
            }
        }
        mark("policies");
        // As of an earlier moment, the line as it stood then says which text was current.
        let then = match (q.at, &revisions) {
            (Some(_), Some(r)) => Some(Line::from_parts(cx.repo, line.name.clone(), commit, r)?),
            _ => None,
        };
        let judged_at = JudgedAt {
            now,
            then: then.as_ref(),
            at: q.at,
        };
        let Judged {
            held,
            rejected,
            unchecked,
            unwitnessed_then,
        } = held_at(cx, &line, &people, q.person, q.policy, &judged_at)?;
        mark("ledger");
        let start = settings
            .start
            .and_then(|d| d.to_zoned(cx.ws.tz.clone()).ok())
            .map(|z| z.timestamp().as_second());
        Ok(Inputs {
            people,
            needs,
            held,
            rejected,
            unchecked,
            history_known: landed.is_some(),
            now,
            start,
            coverage,
            upto,
            commit,
            unwitnessed_then,
        })
    }

    /// Who stands where, for the query.
    pub fn report(&self, q: Query, tz: &jiff::tz::TimeZone) -> Report<'_> {
        self.report_rows(q, tz, false)
    }

    /// [`Inputs::report`], keeping only the rows still to acknowledge when
    /// `only_outstanding` (the totals count every row all the same).
    pub fn report_rows(
        &self,
        q: Query,
        tz: &jiff::tz::TimeZone,
        only_outstanding: bool,
    ) -> Report<'_> {
        let filter = status::Filter {
            person: q.person,
            only_overdue: q.only_overdue,
            only_outstanding,
        };
        // Each timeline looked up once, not once per row; people whose timelines are alike
        // (most of a team, who all joined with the roster) share one answer per policy.
        let mut classes: Vec<&[super::coverage::Step]> = Vec::new();
        let (people, policies): (Vec<Option<usize>>, Vec<_>) = match &self.coverage {
            Some(cov) => {
                let mut class_of: HashMap<&[super::coverage::Step], usize> = HashMap::new();
                let people = self
                    .people
                    .members()
                    .iter()
                    .map(|m| {
                        let steps = cov.person(&m.id)?;
                        Some(*class_of.entry(steps).or_insert_with(|| {
                            classes.push(steps);
                            classes.len() - 1
                        }))
                    })
                    .collect();
                (
                    people,
                    self.needs.iter().map(|n| cov.policy(&n.id)).collect(),
                )
            }
            None => (Vec::new(), Vec::new()),
        };
        // A table of answers when it stays small (else each row asks the timelines).
        let width = self.needs.len();
        let memo: Vec<std::sync::OnceLock<Option<Start>>> =
            if classes.len().saturating_mul(width) <= 1 << 22 {
                (0..classes.len() * width)
                    .map(|_| std::sync::OnceLock::new())
                    .collect()
            } else {
                Vec::new()
            };
        let covered = |i: usize, j: usize| -> Option<Start> {
            let cov = self.coverage.as_ref()?;
            let class = people.get(i).copied()??;
            let q = policies.get(j).copied()??;
            let ask = || cov.start_of(classes[class], q, self.upto);
            match memo.get(class * width + j) {
                Some(slot) => *slot.get_or_init(ask),
                None => ask(),
            }
        };
        let clocks = status::Clocks {
            now: self.now,
            start: self.start,
            tz,
            covered: &covered,
        };
        let mut report = status::compute(&self.needs, &self.people, &self.held, &clocks, filter);
        if q.only_overdue {
            report.former.clear();
        }
        report
    }
}

/// When each policy's current revision landed (Unix seconds), from the history index
/// (cached in the git directory, so only commits new since the last run are walked).
fn landings(revisions: &[history::Revision]) -> HashMap<String, i64> {
    let mut out = HashMap::new();
    for r in revisions {
        if matches!(r.change, Change::Added | Change::Material) {
            out.entry(r.id.clone()).or_insert(r.landed.seconds);
        }
    }
    out
}

/// The moment entries are judged at.
pub struct JudgedAt<'l> {
    /// Now, or the moment of `--at`.
    pub now: i64,
    /// The line as it stood at `--at` (which text was current then).
    pub then: Option<&'l Line>,
    pub at: Option<i64>,
}

/// The ledger's entries this clone has seen, judged.
pub struct Judged {
    pub held: Vec<Held>,
    pub rejected: Vec<Rejected>,
    pub unchecked: Vec<Rejected>,
    /// With `--at`: entries left out because no witness held them by then.
    pub unwitnessed_then: usize,
}

/// The ledger's entries this clone has seen (filtered by person or policy when given),
/// read, parsed and judged by the one judge (`acks verify`'s): only valid entries are held.
pub fn held(
    cx: &Context,
    line: &Line,
    people: &People,
    person: Option<&str>,
    policy: Option<&str>,
) -> Result<Judged, AckError> {
    let now = cx
        .ws
        .now()
        .map_err(|e| AckError::Io(e.to_string()))?
        .as_second();
    let at = JudgedAt {
        now,
        then: None,
        at: None,
    };
    held_at(cx, line, people, person, policy, &at)
}

/// [`held`] as of a moment: with `--at`, only entries a witness held by then, judged
/// against the line as it stood then.
pub fn held_at(
    cx: &Context,
    line: &Line,
    people: &People,
    person: Option<&str>,
    policy: Option<&str>,
    when: &JudgedAt,
) -> Result<Judged, AckError> {
    let tips = cx.ledger.tips(cx.repo)?;
    // What later commits altered (kept between runs; the first run in a clone walks every
    // ledger commit): on a core of its own while the entries are listed and read.
    let ledger_name = cx.ledger.name.as_str();
    let git_dir = cx.repo.path();
    let (listed_read, alterations) = std::thread::scope(|scope| {
        let walker = scope.spawn(|| -> Result<Vec<super::walk::Alteration>, AckError> {
            let repo = git2::Repository::open(git_dir)?;
            super::walk::alterations(&repo, ledger_name, &tips)
        });
        let listed = super::files::listed_for(cx, &tips, person, policy);
        let alterations = walker.join().expect("the ledger walk panicked");
        (listed, alterations)
    });
    let (listed, facts, read) = listed_read?;
    let alterations = alterations?;
    // Tampering exposes, never erases: an entry a later commit edited or removed still
    // counts as it first appeared (judged like any other), and the alteration is listed.
    let (listed, facts, altered) = {
        let mut listed = listed;
        let mut facts = facts;
        let mut altered: Vec<Rejected> = Vec::new();
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut originals: Vec<Listed> = Vec::new();
        for a in &alterations {
            let Some(info) = super::entry::parse_path(&a.path) else {
                continue;
            };
            if person.is_some_and(|p| p != info.person) || policy.is_some_and(|p| p != info.policy)
            {
                continue;
            }
            altered.push(Rejected {
                person: info.person.clone(),
                policy: info.policy.clone(),
                revision: info.revision,
                path: a.path.clone(),
                reason: format!(
                    "{} in ledger commit {} (tampering: the ledger is append-only); the entry as it first appeared still counts",
                    if a.new.is_some() { "changed" } else { "removed" },
                    a.commit
                ),
            });
            // The first version of each altered path is the original.
            if seen.insert(a.path.as_str())
                && !listed.iter().any(|l| l.path == a.path && l.blob == a.old)
            {
                originals.push(Listed {
                    info,
                    path: a.path.clone(),
                    blob: a.old,
                });
            }
        }
        facts.extend(facts::of(cx.repo.path(), &originals));
        listed.extend(originals);
        (listed, facts, altered)
    };
    let verdicts = verdicts::judge_all(
        cx.repo,
        &cx.layout,
        line,
        &cx.ledger.name,
        &tips,
        &listed,
        &read,
    )?;
    drop(read);
    let mut out = Judged {
        held: Vec::with_capacity(listed.len()),
        rejected: Vec::new(),
        unchecked: Vec::new(),
        unwitnessed_then: 0,
    };
    let witnessed = super::witnessed::bounds(cx.repo, &cx.ledger.name)?;
    let then = when.then.unwrap_or(line);
    // Valid revocations: (person, revoked entry id) -> (revocation's id, its note).
    let mut revoked: HashMap<(String, git2::Oid), (String, Option<String>)> = HashMap::new();
    for (l, verdict) in listed.iter().zip(&verdicts) {
        if let Verdict::Valid {
            revokes: Some(id), ..
        } = verdict
        {
            let note = cx
                .repo
                .find_blob(l.blob)
                .ok()
                .and_then(|b| super::entry::parse_file(&l.path, b.content()).ok())
                .and_then(|(p, _)| p.entry.note);
            revoked.insert((l.info.person.clone(), *id), (l.info.id.to_string(), note));
        }
    }
    for ((l, f), verdict) in listed.into_iter().zip(facts).zip(verdicts) {
        let apart = |reason: String| Rejected {
            person: l.info.person.clone(),
            policy: l.info.policy.clone(),
            revision: l.info.revision,
            path: l.path.clone(),
            reason,
        };
        match (verdict, f) {
            // A revocation is not an acknowledgement: it withdraws one.
            (
                Verdict::Valid {
                    revokes: Some(_), ..
                },
                _,
            ) => {}
            (Verdict::Valid { commit, .. }, Some(f)) => {
                if !revoked.is_empty()
                    && let Some((by, note)) = revoked.get(&(l.info.person.clone(), l.info.id))
                {
                    out.rejected.push(apart(format!(
                        "revoked by entry {by}{}",
                        note.as_deref()
                            .map(|n| format!(": {n}"))
                            .unwrap_or_default()
                    )));
                    continue;
                }
                let bound = line.landed(commit).unwrap_or(i64::MIN);
                let witness = witnessed.get(&l.blob).copied();
                if let Some(at) = when.at {
                    // As of a moment: only what a witness held by then, bound to the line
                    // as it stood then.
                    if !then.contains(commit) {
                        continue;
                    }
                    if witness.is_none_or(|w| w > at) {
                        out.unwitnessed_then += 1;
                        continue;
                    }
                }
                let current = then.is_current(&l.info.policy, l.info.revision, commit);
                let recorded = match witness {
                    Some(w) => f.seconds.min(w).max(bound),
                    None => f.seconds.min(when.now).max(bound),
                };
                out.held
                    .push(to_held(l, f, people, current, recorded, witness));
            }
            (Verdict::Valid { .. }, None) => {
                out.rejected.push(apart("malformed entry".to_owned()));
            }
            (Verdict::Rejected { reason }, _) => out.rejected.push(apart(reason.to_string())),
            (Verdict::Unchecked { reason }, _) => out.unchecked.push(apart(reason.to_string())),
        }
    }
    out.rejected.extend(altered);
    Ok(out)
}

/// Whether an entry was written by someone other than the person it names (judged by the
/// roster at HEAD; an entry of someone no longer on it counts as their own).
pub fn by_other(p: &Parsed, people: &People) -> bool {
    let e = &p.entry;
    people
        .person(&e.person)
        .is_some_and(|person| !person.has_email(&e.writer.email))
}

fn to_held(
    l: Listed,
    f: Facts,
    people: &People,
    current: bool,
    recorded: i64,
    witnessed: Option<i64>,
) -> Held {
    let by_other = people
        .person(&l.info.person)
        .is_some_and(|person| !person.has_email(&f.writer_email));
    let info = l.info;
    Held {
        person: info.person,
        policy: info.policy,
        revision: info.revision,
        id: info.id.to_string(),
        time: f.time,
        seconds: f.seconds,
        recorded,
        witnessed,
        writer_name: f.writer_name,
        writer_email: f.writer_email,
        by_other,
        current,
    }
}

/// A person's entries (of one policy, when given), with whether each was written by
/// someone else and the text it was bound to, by policy, revision and time (`acks show`).
pub fn entries_of(
    cx: &Context,
    person: &str,
    policy: Option<&str>,
) -> Result<Vec<crate::model::ack::Shown>, AckError> {
    let snap = cx.snapshot()?;
    let people = snap.people(cx.repo, &cx.layout).unwrap_or_default();
    let tips = cx.ledger.tips(cx.repo)?;
    let mut listed = ledger::list_person(cx.repo, &tips, person)?;
    if let Some(p) = policy {
        listed.retain(|l| l.info.policy == p);
    }
    if listed.is_empty() {
        people.require_id(person)?;
    }
    let mut parsed: Vec<_> = ledger::read(cx.repo.path(), &listed)
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    parsed.sort_by(|a, b| {
        (&a.entry.policy, a.entry.revision, &a.entry.time).cmp(&(
            &b.entry.policy,
            b.entry.revision,
            &b.entry.time,
        ))
    });
    // `via` is shown only where the portal key in force verifies the entry.
    let portal = if parsed.iter().any(|p| p.entry.via.is_some()) {
        let line = cx.line()?;
        Some(super::portal_key::PortalKeys::of(
            cx.repo, &line, &cx.layout,
        )?)
    } else {
        None
    };
    let mut anchors = super::keys::Anchors::new(cx.repo, tips.clone());
    let files: std::collections::HashMap<git2::Oid, git2::Oid> =
        listed.iter().map(|l| (l.info.id, l.blob)).collect();
    let mut out = Vec::with_capacity(parsed.len());
    for p in parsed {
        let text = git2::Oid::from_str(&p.entry.blob)
            .ok()
            .and_then(|b| cx.repo.find_blob(b).ok())
            .map(|b| String::from_utf8_lossy(b.content()).into_owned());
        let via = match (&portal, files.get(&p.id)) {
            (Some(keys), Some(file)) => {
                let payload = p.entry.payload();
                keys.shown(&mut anchors, &p, &payload, *file)?
            }
            _ => None,
        };
        out.push(crate::model::ack::Shown {
            by_other: by_other(&p, &people),
            via,
            entry: p,
            text,
        });
    }
    Ok(out)
}
