//! What the portal's pages show, computed from the clone with the same library code as
//! `ack` and `acks`: the signed-in person's own page (what they must acknowledge, the
//! text in force and the upcoming one, the diff from what they last acknowledged, the due
//! date), a lead's team page, and the recording of an acknowledgement. Blocking: the
//! server runs these on its blocking threads. Nothing here prints.

use super::PortalError;
use crate::ack::entry::Via;
use crate::ack::people::People;
use crate::ack::record::{self, PortalWriter, Request};
use crate::ack::report::{Inputs, Query};
use crate::ack::snapshot::{PolicyFile, Snapshot};
use crate::ack::{AckError, Context};
use crate::model::ack::{Recorded, State};
use crate::workspace::Workspace;
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A person as the roster at the handbook line's tip names them.
#[derive(Clone, Debug)]
pub struct Who {
    pub id: String,
    /// Has a `signing_key` of their own: the portal never writes for them.
    pub keyed: bool,
}

/// Opens the handbook at `root` (the settings' errors do not stop a page).
pub fn open(root: &Path) -> Result<Workspace, PortalError> {
    Ok(Workspace::open_in(Some(root), root, None)?)
}

/// The last roster decoded, by its blob: decoding a roster of thousands of people costs
/// more than the rest of a lookup, and it changes only with a merge.
type Roster = (git2::Oid, Arc<People>);
static ROSTER: Mutex<Option<Roster>> = Mutex::new(None);

/// The roster at the handbook line's tip (read from the tip's ref alone: no history).
fn people_at_tip(cx: &Context) -> Result<(Arc<People>, Snapshot), AckError> {
    let acks = &cx.ws.settings.acks;
    let (_, tip) =
        crate::ack::line::Line::tip_ref(cx.repo, acks)?.ok_or_else(|| AckError::NoLine {
            branch: acks.branch.clone(),
            remote: acks.remote.clone(),
        })?;
    let snap = Snapshot::at(cx.repo, tip, &cx.layout)?;
    let blob = snap
        .roster
        .ok_or_else(|| AckError::NoRoster(cx.layout.roster.clone()))?;
    let lock = || ROSTER.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, people)) = lock().as_ref().filter(|(b, _)| *b == blob) {
        return Ok((Arc::clone(people), snap));
    }
    let people = Arc::new(cx.people(&snap)?);
    *lock() = Some((blob, Arc::clone(&people)));
    Ok((people, snap))
}

/// The person an e-mail address (or, from a proxy, a roster id) names, if any.
pub fn lookup(root: &Path, who: &str) -> Result<Option<Who>, PortalError> {
    let ws = open(root)?;
    let cx = Context::open(&ws)?;
    let (people, _) = people_at_tip(&cx)?;
    let member = people
        .by_email(who.trim())
        .or_else(|| people.person(who.trim()));
    Ok(member.map(|m| Who {
        id: m.id.clone(),
        keyed: m.signing_key.is_some(),
    }))
}

/// One policy on a person's page.
#[derive(Clone, Debug, Serialize)]
pub struct Item {
    pub policy: String,
    pub title: String,
    /// The revision to acknowledge: the latest landed on the line.
    pub revision: u32,
    /// `never`, `stale`, `expired` or `current`.
    pub state: &'static str,
    pub due: Option<String>,
    pub overdue: bool,
    /// The blob id of the text to acknowledge (posted back by the button).
    pub blob: String,
    pub summary: Arc<str>,
    pub body_html: Arc<str>,
    /// When the text to acknowledge takes effect, when that is still ahead.
    pub upcoming_from: Option<String>,
    /// The text in force until then, when the one to acknowledge is upcoming.
    pub in_force_summary: Option<Arc<str>>,
    pub in_force_body_html: Option<Arc<str>>,
    /// The revision they last acknowledged, and the diff from that text.
    pub held_revision: Option<u32>,
    pub diff: Option<Arc<str>>,
}

/// A person's own page.
#[derive(Clone, Debug, Serialize)]
pub struct PersonPage {
    pub id: String,
    pub name: String,
    pub outstanding: Vec<Item>,
    /// `(policy, title, revision)` acknowledged and current.
    pub done: Vec<(String, String, u32)>,
    /// Teams they lead (their team page is offered).
    pub leads: Vec<String>,
    /// The next moment the page would say something else with nothing committed (a due
    /// date passing, an acknowledgement expiring, a text taking effect, an exemption
    /// ending; Unix seconds), so a page kept in memory is made again by then.
    #[serde(skip)]
    pub changes_at: Option<i64>,
}

fn date(t: i64, tz: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_second(t)
        .map(|s| s.to_zoned(tz.clone()).strftime("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn text_of(repo: &git2::Repository, blob: git2::Oid) -> Option<String> {
    let b = repo.find_blob(blob).ok()?;
    std::str::from_utf8(b.content()).ok().map(str::to_owned)
}

/// A policy text as pages show it: its summary, and its body as HTML.
struct Text {
    summary: Arc<str>,
    body_html: Arc<str>,
}

/// Texts shown, by blob, and diffs shown, by (old blob, new blob): a blob never changes,
/// so they are made once per process and shared by every page that shows them. Emptied
/// when they grow past [`KEPT_TEXTS`] (a handbook of a few thousand policies fits).
static TEXTS: Mutex<Option<HashMap<git2::Oid, Arc<Text>>>> = Mutex::new(None);
type Diffs = HashMap<(git2::Oid, git2::Oid), Arc<str>>;
static DIFFS: Mutex<Option<Diffs>> = Mutex::new(None);
const KEPT_TEXTS: usize = 20_000;

/// The text of the policy file `file`, as shown.
fn shown(repo: &git2::Repository, file: &PolicyFile) -> Option<Arc<Text>> {
    let lock = || TEXTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(t) = lock().as_ref().and_then(|m| m.get(&file.blob)) {
        return Some(Arc::clone(t));
    }
    let policy = crate::ack::snapshot::parse_policy(repo, file)?;
    let text = Arc::new(Text {
        summary: policy.summary.as_str().into(),
        body_html: crate::site::markdown::to_html(policy.body.as_deref().unwrap_or("")).into(),
    });
    let mut kept = lock();
    let map = kept.get_or_insert_with(HashMap::new);
    if map.len() >= KEPT_TEXTS {
        map.clear();
    }
    map.insert(file.blob, Arc::clone(&text));
    Some(text)
}

/// The unified diff from the text `old` (revision `from`) to `new` (revision `to`).
fn diff_of(
    repo: &git2::Repository,
    (old, from): (git2::Oid, u32),
    (new, to): (git2::Oid, u32),
) -> Option<Arc<str>> {
    let lock = || DIFFS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(d) = lock().as_ref().and_then(|m| m.get(&(old, new))) {
        return Some(Arc::clone(d));
    }
    let (a, b) = (text_of(repo, old)?, text_of(repo, new)?);
    let diff: Arc<str> = similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header(&format!("revision {from}"), &format!("revision {to}"))
        .to_string()
        .into();
    let mut kept = lock();
    let map = kept.get_or_insert_with(HashMap::new);
    if map.len() >= KEPT_TEXTS {
        map.clear();
    }
    map.insert((old, new), Arc::clone(&diff));
    Some(diff)
}

/// The earliest moment an exemption whose last day is `until` can have ended, wherever
/// its zone (the day after it begins at 00:00 in UTC+14 at the earliest).
pub(super) fn exemption_ends(until: &str) -> Option<i64> {
    let day: jiff::civil::Date = until.parse().ok()?;
    let next = day.tomorrow().ok()?;
    let at = next.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    Some(at.as_second() - 14 * 3600)
}

/// The page of `person` (a roster id), as the handbook line's tip and the ledger say now.
pub fn person_page(root: &Path, person: &str) -> Result<PersonPage, PortalError> {
    let ws = open(root)?;
    let cx = Context::open(&ws)?;
    let (people, snap) = people_at_tip(&cx)?;
    let member = people
        .person(person)
        .ok_or_else(|| PortalError::Gone(person.to_owned()))?
        .clone();
    let q = Query {
        person: Some(person),
        ..Query::default()
    };
    let inputs = Inputs::gather(&cx, q, &mut |_| {}, &|_| {})?;
    let report = inputs.report(q, &ws.tz);
    let now = inputs.now;
    // The policies' history, only when a text to acknowledge is still upcoming (the page
    // then shows the text in force until it takes effect).
    let revisions = if inputs
        .needs
        .iter()
        .any(|n| n.in_force.is_some_and(|t| t > now))
    {
        crate::history::cache::walk(cx.repo, inputs.commit, &cx.layout.policies)
            .map(|c| c.revisions)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut page = PersonPage {
        id: member.id.clone(),
        name: member.name.clone(),
        outstanding: Vec::new(),
        done: Vec::new(),
        leads: leads_of(&cx, &snap, person),
        changes_at: None,
    };
    // The blobs of the person's entries, by entry id (read once, when a diff needs them).
    let mut entries: Option<HashMap<String, git2::Oid>> = None;
    let mut soonest = |t: Option<i64>| {
        if let Some(t) = t.filter(|t| *t > now) {
            page.changes_at = Some(page.changes_at.map_or(t, |c| c.min(t)));
        }
    };
    let mut outstanding = Vec::new();
    let mut done = Vec::new();
    for (need, span) in inputs.needs.iter().zip(&report.spans) {
        soonest(need.in_force);
        for row in &report.rows[span.clone()] {
            if row.person != person {
                continue;
            }
            soonest(row.due);
            soonest(row.expires);
            if let Some(until) = row.exemption.and_then(|e| e.until.as_deref()) {
                soonest(exemption_ends(until));
            }
            if row.state == State::Exempt {
                continue;
            }
            if row.state == State::Current {
                done.push((need.id.clone(), need.title.clone(), need.revision));
                continue;
            }
            let Some(file) = snap.files.get(&need.id) else {
                continue;
            };
            outstanding.push(item(
                &cx,
                file,
                need,
                row,
                (now, &revisions, &ws.tz),
                &mut entries,
            )?);
        }
    }
    page.outstanding = outstanding;
    page.done = done;
    // Overdue first, then by due date.
    page.outstanding
        .sort_by_key(|i| (!i.overdue, i.due.clone().unwrap_or_default()));
    Ok(page)
}

/// The ids and blobs of `person`'s entries in the ledger.
fn entry_blobs(cx: &Context, person: &str) -> Result<HashMap<String, git2::Oid>, PortalError> {
    let repo = cx.repo;
    let tips = cx.ledger.tips(repo)?;
    let listed = crate::ack::ledger::list_person(repo, &tips, person)?;
    Ok(crate::ack::ledger::read(repo.path(), &listed)
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p.id.to_string(), git2::Oid::from_str(&p.entry.blob).ok()?)))
        .collect())
}

fn item(
    cx: &Context,
    file: &PolicyFile,
    need: &crate::model::ack::Need,
    row: &crate::model::ack::Row<'_>,
    (now, revisions, tz): (i64, &[crate::history::Revision], &jiff::tz::TimeZone),
    entries: &mut Option<HashMap<String, git2::Oid>>,
) -> Result<Item, PortalError> {
    use crate::history::Change;
    let repo = cx.repo;
    let text = shown(repo, file).ok_or_else(|| PortalError::Gone(need.id.clone()))?;
    let mut out = Item {
        policy: need.id.clone(),
        title: need.title.clone(),
        revision: need.revision,
        state: row.state.as_str(),
        due: row.due.map(|d| date(d, tz)),
        overdue: row.overdue,
        blob: file.blob.to_string(),
        summary: Arc::clone(&text.summary),
        body_html: Arc::clone(&text.body_html),
        upcoming_from: None,
        in_force_summary: None,
        in_force_body_html: None,
        held_revision: None,
        diff: None,
    };
    // The text to acknowledge takes effect later: show the one in force until then.
    if let Some(from) = need.in_force.filter(|t| *t > now) {
        out.upcoming_from = Some(date(from, tz));
        let earlier = revisions.iter().rfind(|r| {
            r.id == need.id
                && matches!(r.change, Change::Added | Change::Material)
                && r.revision.is_some_and(|n| n < need.revision)
        });
        if let Some(r) = earlier
            && let Some(t) = shown(
                repo,
                &PolicyFile {
                    path: r.path.clone(),
                    blob: r.blob,
                },
            )
        {
            out.in_force_summary = Some(Arc::clone(&t.summary));
            out.in_force_body_html = Some(Arc::clone(&t.body_html));
        }
    }
    // What they last acknowledged, and what changed since.
    if let Some(h) = row.held
        && h.revision != need.revision
    {
        out.held_revision = Some(h.revision);
        if entries.is_none() {
            *entries = Some(entry_blobs(cx, row.person)?);
        }
        let old = entries.as_ref().and_then(|e| e.get(&h.id)).copied();
        if let Some(old) = old {
            out.diff = diff_of(repo, (old, h.revision), (file.blob, need.revision));
        }
    }
    Ok(out)
}

/// `(team, lead)` of the last roster read, by its blob: decoding a roster costs more than
/// the rest of a page, and it changes only with a merge.
type Leads = (git2::Oid, Vec<(String, String)>);
static LEADS: std::sync::Mutex<Option<Leads>> = std::sync::Mutex::new(None);

/// The ids of the teams `person` leads, on the roster at the line's tip.
fn leads_of(cx: &Context, snap: &Snapshot, person: &str) -> Vec<String> {
    let Some(oid) = snap.roster else {
        return Vec::new();
    };
    let mut kept = LEADS.lock().unwrap_or_else(|e| e.into_inner());
    if kept.as_ref().is_none_or(|(b, _)| *b != oid) {
        let pairs = cx
            .repo
            .find_blob(oid)
            .ok()
            .and_then(|b| crate::ack::snapshot::parse_roster(&cx.layout.roster, b.content()))
            .map(|r| {
                r.teams
                    .iter()
                    .filter_map(|t| Some((t.id.value.clone(), t.lead.as_ref()?.value.clone())))
                    .collect()
            })
            .unwrap_or_default();
        *kept = Some((oid, pairs));
    }
    kept.as_ref()
        .map(|(_, pairs)| {
            pairs
                .iter()
                .filter(|(_, lead)| lead == person)
                .map(|(team, _)| team.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// One person with something outstanding, on a team page.
#[derive(Clone, Debug, Serialize)]
pub struct TeamRow {
    pub policy: String,
    pub title: String,
    pub revision: u32,
    pub person: String,
    pub name: String,
    pub state: &'static str,
    pub due: Option<String>,
    pub overdue: bool,
}

/// A lead's page of their teams: who is outstanding and overdue, per policy (the same
/// rows `acks` gives).
#[derive(Clone, Debug, Serialize)]
pub struct TeamPage {
    pub teams: Vec<String>,
    pub rows: Vec<TeamRow>,
    pub overdue: usize,
}

/// The team page of `lead`; `None` when they lead no team.
pub fn team_page(root: &Path, lead: &str) -> Result<Option<TeamPage>, PortalError> {
    let ws = open(root)?;
    let cx = Context::open(&ws)?;
    let (_, snap) = people_at_tip(&cx)?;
    let teams = leads_of(&cx, &snap, lead);
    if teams.is_empty() {
        return Ok(None);
    }
    let q = Query::default();
    let inputs = Inputs::gather(&cx, q, &mut |_| {}, &|_| {})?;
    let report = inputs.report(q, &ws.tz);
    let mut page = TeamPage {
        teams: teams.clone(),
        rows: Vec::new(),
        overdue: 0,
    };
    for (need, span) in inputs.needs.iter().zip(&report.spans) {
        for row in &report.rows[span.clone()] {
            if !row.teams.iter().any(|t| teams.contains(t))
                || matches!(row.state, State::Current | State::Exempt)
            {
                continue;
            }
            page.overdue += usize::from(row.overdue);
            page.rows.push(TeamRow {
                policy: need.id.clone(),
                title: need.title.clone(),
                revision: need.revision,
                person: row.person.to_owned(),
                name: row.name.to_owned(),
                state: row.state.as_str(),
                due: row.due.map(|d| date(d, &ws.tz)),
                overdue: row.overdue,
            });
        }
    }
    Ok(Some(page))
}

/// The portal's signing identity, read once at start.
#[derive(Clone, Debug)]
pub struct Signer {
    pub name: String,
    pub email: String,
    pub key: std::path::PathBuf,
}

/// Records `person`'s acknowledgement of `policy`, bound to `blob` (the text they were
/// shown), through the same append as `ack`.
pub fn acknowledge(
    root: &Path,
    signer: &Signer,
    person: &str,
    policy: &str,
    blob: &str,
    via: Via,
) -> Result<Recorded, PortalError> {
    let ws = open(root)?;
    let cx = Context::open(&ws)?;
    let line = cx.line()?;
    let settings = crate::ack::snapshot::settings_at(cx.repo, line.tip, &cx.layout);
    let public_key = settings.portal.key.ok_or(PortalError::NoPortalKey)?;
    let req = Request {
        ids: vec![policy.to_owned()],
        person: Some(person.to_owned()),
        expect: vec![(policy.to_owned(), blob.to_owned())],
        portal: Some(PortalWriter {
            name: signer.name.clone(),
            email: signer.email.clone(),
            key: signer.key.clone(),
            public_key,
            via,
        }),
        ..Request::default()
    };
    Ok(record::record(&cx, &req, &mut |_| {})?)
}
