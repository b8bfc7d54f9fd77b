use super::{CliError, Global, note};
use clap::Args;
use normsctl::history::HistoryError;
use normsctl::load::{self, Location};
use normsctl::model::Handbook;
use normsctl::render::findings as report;
use normsctl::site::collect::{self, HistoryViews, Inputs, MarkdownCache, Site, WorkingFiles};
use normsctl::site::output::{self, OutputError};
use normsctl::site::render;
use normsctl::site::templates::{TemplateError, Templates};
use normsctl::site::timeline::Timeline;
use normsctl::site::{self, Source};
use normsctl::{diag, validate};
use std::io::IsTerminal;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Validate the handbook, then render it into a static website: an index, a page per
/// policy with its full revision history and diffs, a changelog and its Atom feed,
/// client-side search, handbook.json and llms.txt. Renders the working tree (uncommitted
/// policies are marked as such) with history from the commits. The new site replaces the
/// old one only once it is complete.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Where to write the site (default: site/ in the handbook root)
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Refuse to build while handbook files have uncommitted changes (for publishing)
    #[arg(long)]
    require_clean: bool,
}

pub fn run(global: &Global, args: BuildArgs) -> Result<(), CliError> {
    let started = Instant::now();
    let timings = Timings::from_env();
    let loc = global.location()?;
    let out = out_dir(&loc, args.out.as_deref())?;
    let now = now()?;
    let handbook = match load_valid(&loc, &load::PolicyCache::default())? {
        Valid::Yes(h) => h,
        Valid::No(text) => {
            eprint!("{text}");
            note("the site was not built: fix the errors above first");
            return Err(CliError::Findings);
        }
    };
    let source = site::source(&loc);
    if args.require_clean {
        require_clean(&source, &loc, &handbook)?;
    }
    let progress = Progress::start(std::io::stderr().is_terminal());
    timings.mark("load and validate");
    progress.set("reading history");
    let timeline = read_timeline(&source, &loc, &handbook)?;
    match source {
        Source::NoGit => {
            note("note: the handbook is not in a git repository, so the site has no history")
        }
        Source::NoCommits => {
            note("note: the repository has no commits yet, so the site has no history")
        }
        Source::Git { .. } => {}
    }
    timings.mark("history and diffs");
    let templates = templates(&loc, &handbook)?;
    progress.set("collecting pages");
    let history = HistoryViews::new(&timeline, &handbook.settings.timezone);
    let site = assemble(
        &loc,
        &handbook,
        (&timeline, &history),
        now,
        &mut MarkdownCache::default(),
        None,
    );
    timings.mark("collect");
    let pages = render::pages(&site, &templates);
    let total = pages.len();
    let files = render::render_all(&site, &templates, &pages, None, &|n| {
        progress.set(&format!("rendering pages: {n}/{total}"))
    })
    .map_err(|e| template_error(&e))?;
    timings.mark("render");
    progress.set("writing");
    output::publish(&out, files.iter().map(|(p, b)| (p.path(), b.as_slice())))
        .map_err(|e| output_error(&e))?;
    timings.mark("write");
    progress.finish();
    note(&format!(
        "built {} policy pages ({} files) into {} in {:.2} s",
        site.policies.len(),
        files.len(),
        out.display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// The output folder: `--out` (relative to the current folder) or `site/` in the handbook
/// root. Never the handbook itself or a folder holding it.
pub(super) fn out_dir(loc: &Location, out: Option<&Path>) -> Result<PathBuf, CliError> {
    let cwd = std::env::current_dir()
        .map_err(|e| CliError::env(format!("cannot read the current folder: {e}")))?;
    let path = match out {
        Some(p) => normalize(&cwd.join(p)),
        None => loc.root.join("site"),
    };
    if loc.root.starts_with(&path) {
        return Err(CliError::env(format!(
            "--out {} would replace the handbook itself",
            path.display()
        ))
        .with_hint("choose a folder of its own, such as site/"));
    }
    if let Some(top) = &loc.work_tree
        && path.starts_with(top.join(".git"))
    {
        return Err(CliError::env("--out points inside the .git folder"));
    }
    Ok(path)
}

/// `a/./b/../c` as `a/c`, without touching the disk (the folder may not exist yet).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// "Now" for this build: `SOURCE_DATE_EPOCH` when set.
pub(super) fn now() -> Result<jiff::Timestamp, CliError> {
    let sde = std::env::var("SOURCE_DATE_EPOCH").ok();
    normsctl::workspace::now(sde.as_deref()).map_err(CliError::env)
}

pub(super) enum Valid {
    Yes(Box<Handbook>),
    /// The report of the errors (and warnings) found.
    No(String),
}

/// Loads and validates the handbook (policy files whose text `cache` holds are not decoded
/// again). Warnings are printed on stderr and the build goes on; errors stop it.
pub(super) fn load_valid(loc: &Location, cache: &load::PolicyCache) -> Result<Valid, CliError> {
    let loaded = load::load_cached(loc, cache)?;
    let mut findings = loaded.findings;
    findings.extend(validate::check(&loaded.handbook));
    findings.sort();
    let counts = diag::Counts::of(&findings);
    if counts.errors > 0 {
        let palette = report::Palette {
            color: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        };
        return Ok(Valid::No(report::human(&findings, loaded.files, palette)));
    }
    if counts.warnings > 0 {
        let text = report::human(&findings, loaded.files, report::Palette { color: false });
        eprint!("{text}");
    }
    Ok(Valid::Yes(Box::new(loaded.handbook)))
}

fn require_clean(source: &Source, loc: &Location, handbook: &Handbook) -> Result<(), CliError> {
    let Source::Git { repo, .. } = source else {
        return Err(CliError::env(
            "--require-clean needs the handbook in a git repository with commits",
        ));
    };
    let dirty = site::uncommitted_files(repo, loc, &handbook.settings)
        .map_err(|e| CliError::env(format!("git: {}", e.message())))?;
    if dirty.is_empty() {
        return Ok(());
    }
    let mut text = String::from("error: the handbook has uncommitted changes:\n");
    for f in &dirty {
        text.push_str(&format!("  {f}\n"));
    }
    text.push_str("  help: commit them (or build without --require-clean to preview them)\n");
    eprint!("{text}");
    Err(CliError::Findings)
}

pub(super) fn read_timeline(
    source: &Source,
    loc: &Location,
    handbook: &Handbook,
) -> Result<Timeline, CliError> {
    site::read_timeline(source, loc, &handbook.settings).map_err(|e| match e {
        HistoryError::Shallow => CliError::env(e.to_string()).with_hint(
            "fetch the whole history: `git fetch --unshallow` (GitHub Actions: `fetch-depth: 0` in actions/checkout)",
        ),
        other => CliError::env(other.to_string()),
    })
}

pub(super) fn templates(loc: &Location, handbook: &Handbook) -> Result<Templates, CliError> {
    site::load_templates(loc, &handbook.settings).map_err(|e| template_error(&e))
}

pub(super) fn template_error(e: &TemplateError) -> CliError {
    CliError::env(format!("template: {e}")).with_hint(
        "fix the template in the handbook's templates folder, or remove it to use the built-in one",
    )
}

pub(super) fn output_error(e: &OutputError) -> CliError {
    let err = CliError::env(e.to_string());
    match e {
        OutputError::NotASite { .. } | OutputError::NotADir { .. } => {
            err.with_hint("remove it, or choose another folder with --out")
        }
        OutputError::Io { .. } => err,
    }
}

/// The site's data from the loaded handbook, its history (with its views) and the working
/// tree.
pub(super) fn assemble(
    loc: &Location,
    handbook: &Handbook,
    (timeline, history): (&Timeline, &HistoryViews),
    now: jiff::Timestamp,
    cache: &mut MarkdownCache,
    working: Option<(&load::PolicyCache, &mut WorkingFiles)>,
) -> Site {
    let working = match working {
        Some((texts, previous)) => {
            *previous = site::working_files(loc, handbook, Some((texts, previous)));
            &*previous
        }
        None => &site::working_files(loc, handbook, None),
    };
    collect::collect(
        &Inputs {
            handbook,
            timeline,
            history,
            working,
            now,
            prefix: &loc.prefix,
        },
        cache,
    )
}

/// Phase times on stderr when `NORMSCTL_TIMINGS` is set (for the benchmarks).
pub(super) struct Timings(Option<std::cell::Cell<Instant>>);

impl Timings {
    pub(super) fn from_env() -> Timings {
        Timings(std::env::var_os("NORMSCTL_TIMINGS").map(|_| std::cell::Cell::new(Instant::now())))
    }

    pub(super) fn mark(&self, phase: &str) {
        if let Some(last) = &self.0 {
            let now = Instant::now();
            note(&format!(
                "timing: {phase}: {} ms",
                now.duration_since(last.get()).as_millis()
            ));
            last.set(now);
        }
    }
}

/// A one-line progress indicator on stderr, shown only on a terminal and only once the
/// work has taken longer than a moment.
pub(super) struct Progress {
    state: Option<Arc<Mutex<(String, bool)>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    pub(super) fn start(enabled: bool) -> Progress {
        if !enabled {
            return Progress {
                state: None,
                thread: None,
            };
        }
        let state = Arc::new(Mutex::new((String::new(), false)));
        let shared = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut shown = String::new();
            loop {
                std::thread::sleep(Duration::from_millis(100));
                let (text, done) = shared.lock().map(|s| s.clone()).unwrap_or_default();
                if done {
                    if !shown.is_empty() {
                        eprint!("\r\x1b[K");
                    }
                    return;
                }
                if started.elapsed() > Duration::from_millis(400) && text != shown {
                    eprint!("\r\x1b[K{text}…");
                    shown = text;
                }
            }
        });
        Progress {
            state: Some(state),
            thread: Some(thread),
        }
    }

    pub(super) fn set(&self, text: &str) {
        if let Some(s) = &self.state
            && let Ok(mut s) = s.lock()
        {
            s.0 = text.to_owned();
        }
    }

    pub(super) fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(s) = &self.state
            && let Ok(mut s) = s.lock()
        {
            s.1 = true;
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}
