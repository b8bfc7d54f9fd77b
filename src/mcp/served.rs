//! What the server serves: the newest commit of the handbook line whose handbook validates
//! (never the working tree or an unpublished branch), read once into the site's data and
//! the history of the line up to it. A newer commit that fails validation is named, with
//! the first lines of its report, and skipped. Nothing here prints.

use super::McpError;
use crate::ack::line::Line;
use crate::history::Revision;
use crate::history::standing;
use crate::load::PolicyCache;
use crate::model::Handbook;
use crate::model::Policy;
use crate::site::collect::{HistoryViews, MarkdownCache, Site};
use crate::site::session::{self, SiteError};
use crate::site::timeline::Timeline;
use crate::site::words::Words;
use crate::workspace::Workspace;
use git2::Oid;
use jiff::tz::TimeZone;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

/// How many distinct handbook states are tried, newest first, before giving up.
const TRIES: usize = 20;

/// A newer commit of the line that was not served, and why.
#[derive(Clone, Debug)]
pub struct Skipped {
    pub commit: Oid,
    /// The first lines of its validation report (or the error that stopped reading it).
    pub why: String,
}

/// One served state of the handbook.
pub struct Served {
    /// The ref the line's tip was read from (`refs/remotes/origin/main`).
    pub line_ref: String,
    /// The line's tip, and the commit served (the same unless the tip does not validate).
    pub tip: Oid,
    pub commit: Oid,
    /// Newer commits of the line that fail validation (newest first).
    pub skipped: Vec<Skipped>,
    pub handbook: Handbook,
    /// The site's `base_url`, with a trailing `/`.
    pub base_url: Option<String>,
    pub timeline: Timeline,
    /// The timeline's revisions as the site shows them (what [`Served::site`] collects
    /// from), made when the site is first collected.
    views: OnceLock<HistoryViews>,
    /// The metric words of the handbook's `words.html` table, as the site reads them.
    pub words: Words,
    /// The handbook's folder in the work tree (`docs/handbook/`, or empty).
    prefix: String,
    /// The site's data as last collected, and the moments between which it holds.
    site: Mutex<Option<SiteAt>>,
    /// The resource list of the site last listed ([`super::resources::list`]).
    pub(super) resource_list: Mutex<Option<ResourceList>>,
    /// First-parent commits of the line up to `commit`, by position (the root at 0),
    /// walked when first asked ([`Served::positions`]).
    positions: OnceLock<HashMap<Oid, usize>>,
    pub tz: TimeZone,
    /// The repository's git folder (a call opens its own handle: one is not shared
    /// between threads).
    pub git_dir: std::path::PathBuf,
    /// The handbook's folder (where `--acks` opens the workspace again for each call).
    pub root: std::path::PathBuf,
    /// Each policy's changes, newest first, as in the timeline.
    pub by_id: HashMap<String, Vec<Revision>>,
    /// The keys of `by_id` in order, sorted when first asked ([`Served::sorted_ids`]).
    sorted: OnceLock<Vec<String>>,
    /// For each revision of the timeline, the blob of the same policy's change before it.
    pub previous: Vec<Option<Oid>>,
    /// Policy texts decoded so far, by blob.
    decoded: Mutex<HashMap<Oid, Option<Arc<Policy>>>>,
    /// The `effective` dates read so far, by blob.
    effective: Mutex<HashMap<Oid, Option<jiff::civil::Date>>>,
    /// The labels of the fields changed between two texts (`changes`), by their blobs.
    fields_changed: Mutex<HashMap<Pair, Arc<Vec<String>>>>,
}

/// Two texts of a policy by blob: the one before (none for an addition) and the one after.
type Pair = (Option<Oid>, Oid);

/// A resource list, and the collected site it was made from (weakly: it is compared, never
/// kept alive).
pub(super) type ResourceList = (std::sync::Weak<Site>, Arc<Vec<rmcp::model::Resource>>);

/// A collected site and the moments it holds for: from the start of the day it was
/// collected on, until the next day or the next moment a committed text takes effect
/// (whichever is first): the only moments at which what is in force, upcoming or
/// "upcoming today" changes.
struct SiteAt {
    site: Arc<Site>,
    from: i64,
    until: i64,
}

impl Served {
    /// The site's data as of `now` (Unix seconds): the texts in force then and what is
    /// upcoming. It is collected again only when a text has taken effect or a day has
    /// begun since the last collection (or `now` is before it).
    pub fn site(&self, now: i64) -> Arc<Site> {
        let mut slot = self.site.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(at) = slot.as_ref()
            && at.from <= now
            && now < at.until
        {
            return Arc::clone(&at.site);
        }
        let site = Arc::new(self.collect(now));
        let (from, until) = self.holds(now);
        *slot = Some(SiteAt {
            site: Arc::clone(&site),
            from,
            until,
        });
        site
    }

    /// The site's data collected as of `now`.
    fn collect(&self, now: i64) -> Site {
        let now = jiff::Timestamp::from_second(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        // The served commit is exactly what was read: no file differs from it.
        let working = crate::site::collect::WorkingFiles::default();
        crate::site::collect::collect(
            &crate::site::collect::Inputs {
                handbook: &self.handbook,
                timeline: &self.timeline,
                history: self.views.get_or_init(|| {
                    HistoryViews::new(&self.timeline, &self.handbook.settings.timezone)
                }),
                working: &working,
                now,
                prefix: &self.prefix,
                words: &self.words,
            },
            &mut MarkdownCache::default(),
        )
    }

    /// The moments between which the site collected at `now` holds (see [`SiteAt`]).
    fn holds(&self, now: i64) -> (i64, i64) {
        let at = jiff::Timestamp::from_second(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let day = at.to_zoned(self.tz.clone()).date();
        let start = |d: jiff::civil::Date| {
            d.to_zoned(self.tz.clone())
                .map_or(now, |z| z.timestamp().as_second())
        };
        let from = start(day).min(now);
        let mut until = day.tomorrow().map_or(i64::MAX, start);
        if until <= now {
            until = now + 1;
        }
        for r in self
            .revisions()
            .iter()
            .filter(|r| super::answers::is_text(r))
        {
            let t = standing::in_force_from(r, self.effective(r), &self.tz);
            if t > now && t < until {
                until = t;
            }
        }
        (from, until)
    }

    /// The first-parent commits of the line up to the served commit, by position (the
    /// root at 0); empty if the repository cannot be read.
    pub fn positions(&self) -> &HashMap<Oid, usize> {
        self.positions.get_or_init(|| {
            let line = self
                .repo()
                .and_then(|repo| {
                    crate::history::first_parent_line(&repo, self.commit)
                        .map(|l| l.iter().map(|c| c.id()).collect::<Vec<_>>())
                })
                .unwrap_or_default();
            let len = line.len();
            line.into_iter()
                .enumerate()
                .map(|(i, c)| (c, len - 1 - i))
                .collect()
        })
    }

    /// Every policy change on the line up to the served commit, newest first.
    pub fn revisions(&self) -> &[Revision] {
        &self.timeline.revisions
    }

    /// The committed text of a blob of the history.
    pub fn text(&self, blob: Oid) -> Option<Arc<str>> {
        self.timeline.text(blob)
    }

    /// The `effective` date a revision's text declares (none for a retirement).
    pub fn effective(&self, r: &Revision) -> Option<jiff::civil::Date> {
        if r.change == crate::history::Change::Retired {
            return None;
        }
        if let Some(known) = self.timeline.effective_of(r.blob) {
            return known;
        }
        if let Ok(cache) = self.effective.lock()
            && let Some(d) = cache.get(&r.blob)
        {
            return *d;
        }
        let date = self
            .text(r.blob)
            .and_then(|t| crate::diff::Fields::of(&t).text("effective").parse().ok());
        if let Ok(mut cache) = self.effective.lock() {
            cache.insert(r.blob, date);
        }
        date
    }

    /// The policy a committed text declares (`None` when it does not read as one).
    pub fn policy(&self, r: &Revision) -> Option<Arc<Policy>> {
        if let Ok(cache) = self.decoded.lock()
            && let Some(p) = cache.get(&r.blob)
        {
            return p.clone();
        }
        let decoded = self.text(r.blob).and_then(|text| {
            let node = crate::yaml::parse(&text).ok()??;
            let mut d = crate::load::decode::Decoder::new(&r.path, &text);
            crate::load::policy::decode(&mut d, &node, &r.id).map(Arc::new)
        });
        if let Ok(mut cache) = self.decoded.lock() {
            cache.insert(r.blob, decoded.clone());
        }
        decoded
    }

    /// What `make` says of the change from text `before` to `after`, made once for each
    /// pair (blob ids name their texts, so it never goes stale).
    pub fn fields_changed(
        &self,
        before: Option<Oid>,
        after: Oid,
        make: impl FnOnce(&Served, Option<Oid>, Oid) -> Vec<String>,
    ) -> Arc<Vec<String>> {
        if let Ok(kept) = self.fields_changed.lock()
            && let Some(f) = kept.get(&(before, after))
        {
            return Arc::clone(f);
        }
        let made = Arc::new(make(self, before, after));
        if let Ok(mut kept) = self.fields_changed.lock() {
            kept.insert((before, after), Arc::clone(&made));
        }
        made
    }

    /// A handle on the repository.
    pub fn repo(&self) -> Result<git2::Repository, git2::Error> {
        git2::Repository::open(&self.git_dir)
    }

    /// The page URL of a policy: absolute with `base_url`, else relative to the site.
    pub fn page(&self, id: &str) -> String {
        let rel = format!("policies/{id}.html");
        match &self.base_url {
            Some(base) => format!("{base}{rel}"),
            None => rel,
        }
    }

    /// The ids of the policies in force or upcoming at the served commit.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.handbook.policies.iter().map(|p| p.id.value.as_str())
    }

    /// Every id the line's history knows (current and retired), in order.
    pub fn sorted_ids(&self) -> &[String] {
        self.sorted.get_or_init(|| {
            let mut ids: Vec<String> = self.by_id.keys().cloned().collect();
            ids.sort();
            ids
        })
    }

    /// Every id the line's history knows (current and retired).
    pub fn known_ids(&self) -> impl Iterator<Item = &str> {
        self.by_id.keys().map(String::as_str)
    }
}

/// Reads the served state: the newest commit of the handbook line of `ws` whose handbook
/// validates. `mark` is told each phase as it ends.
pub fn load(ws: &Workspace, mark: &dyn Fn(&str)) -> Result<Served, McpError> {
    let repo = ws.repo()?;
    let (line_ref, tip) =
        Line::tip_ref(repo, &ws.settings.acks)?.ok_or_else(|| McpError::NoLine {
            branch: ws.settings.acks.branch.clone(),
            remote: ws.settings.acks.remote.clone(),
        })?;
    let mut skipped = Vec::new();
    let mut tried = HashSet::new();
    let prefix = ws.loc.prefix.trim_end_matches('/');
    // Back along the line's first parents from its tip, until a commit validates.
    let mut cursor = Some(repo.find_commit(tip)?);
    while let Some(commit) = cursor {
        cursor = if commit.parent_count() > 0 {
            Some(commit.parent(0)?)
        } else {
            None
        };
        // Commits that leave the handbook's folder as it was need no second look.
        let tree = commit.tree()?;
        let key = if prefix.is_empty() {
            tree.id()
        } else {
            tree.get_path(std::path::Path::new(prefix))
                .map_or(tree.id(), |e| e.id())
        };
        if !tried.insert(key) {
            continue;
        }
        if tried.len() > TRIES {
            break;
        }
        match state_at(ws, commit.id(), mark) {
            Ok(State {
                handbook,
                timeline,
                words,
                prefix,
            }) => {
                let tz = TimeZone::get(&handbook.settings.timezone).unwrap_or(TimeZone::UTC);
                let mut by_id: HashMap<String, Vec<Revision>> = HashMap::new();
                for r in &timeline.revisions {
                    by_id.entry(r.id.clone()).or_default().push(r.clone());
                }
                let previous = timeline.previous_blobs();
                // As the site writes it: with a trailing `/`.
                let base_url = handbook.settings.base_url.as_ref().map(|u| {
                    if u.ends_with('/') {
                        u.clone()
                    } else {
                        format!("{u}/")
                    }
                });
                // The texts of the served commit are decoded already: the loader read them.
                let mut decoded = HashMap::new();
                for p in &handbook.policies {
                    if let Some(r) = by_id.get(&p.id.value).and_then(|revs| revs.first())
                        && r.change != crate::history::Change::Retired
                        && r.path == p.file
                    {
                        decoded.insert(r.blob, Some(Arc::new(p.clone())));
                    }
                }
                mark("served state");
                return Ok(Served {
                    line_ref,
                    tip,
                    commit: commit.id(),
                    skipped,
                    handbook,
                    base_url,
                    timeline,
                    views: OnceLock::new(),
                    words,
                    prefix,
                    site: Mutex::default(),
                    resource_list: Mutex::default(),
                    positions: OnceLock::new(),
                    tz,
                    git_dir: repo.path().to_path_buf(),
                    root: ws.loc.root.clone(),
                    by_id,
                    sorted: OnceLock::new(),
                    previous,
                    decoded: Mutex::new(decoded),
                    effective: Mutex::default(),
                    fields_changed: Mutex::default(),
                });
            }
            Err(SiteError::Invalid(report)) => skipped.push(Skipped {
                commit: commit.id(),
                why: first_lines(&report, 6),
            }),
            Err(e) => skipped.push(Skipped {
                commit: commit.id(),
                why: e.to_string(),
            }),
        }
    }
    Err(McpError::NothingValid {
        line: line_ref,
        tried: skipped.len(),
        newest: skipped.first().map(|s| s.why.clone()).unwrap_or_default(),
    })
}

/// What is read of a commit that validates.
struct State {
    handbook: Handbook,
    timeline: Timeline,
    words: Words,
    prefix: String,
}

/// The handbook as committed at `commit`, validated, with its history (the site's data
/// is collected from it when first asked: [`Served::site`]).
fn state_at(ws: &Workspace, commit: Oid, mark: &dyn Fn(&str)) -> Result<State, SiteError> {
    let dir = scratch().map_err(|e| {
        SiteError::Workspace(crate::workspace::WorkspaceError::Export(e.to_string()))
    })?;
    let at = ws.at_revision(&commit.to_string(), dir.path())?;
    mark("export");
    let valid = session::load_valid(&at.loc, &PolicyCache::none(), false)?;
    mark("load and validate");
    // The metric words as the site reads them (the built-in English where the table
    // cannot be read, as the site's own fallback does for a word it lacks).
    let words = crate::site::load_templates(&at.loc, &valid.handbook.settings)
        .map(|t| t.words())
        .unwrap_or_default();
    mark("words");
    // The diffs of every revision are what a site build spends most on; the tools diff
    // the few texts a question needs instead.
    let dir = format!("{}{}", at.loc.prefix, valid.handbook.settings.policies);
    let timeline = Timeline::read_without_diffs(at.repo()?, commit, &dir)?;
    mark("history");
    Ok(State {
        handbook: *valid.handbook,
        timeline,
        words,
        prefix: at.loc.prefix.clone(),
    })
}

/// A private folder for the served commit's files while they are loaded: in memory
/// (`/dev/shm`, where the system has one) when it can be made there, else the system's
/// temporary folder. Writing 2,000 small files to a disk that other programs keep busy
/// took seconds where memory takes tens of milliseconds; the files and what is read of
/// them are the same either way.
fn scratch() -> std::io::Result<tempfile::TempDir> {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::Builder::new()
            .prefix("normsctl-mcp-")
            .tempdir_in(shm)
    {
        return Ok(dir);
    }
    tempfile::Builder::new().prefix("normsctl-mcp-").tempdir()
}

/// The first `n` lines of a report.
fn first_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = lines[..lines.len().min(n)].join("\n");
    if lines.len() > n {
        out.push_str("\n…");
    }
    out
}
