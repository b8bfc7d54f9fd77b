//! `normsctl build`: parse, open, build once (site::session), print progress and the result.

use super::progress::Progress;
use super::timings::Timings;
use super::{CommandError, Global, eprint_raw, eprint_text, note};
use clap::Args;
use normsctl::load::PolicyCache;
use normsctl::render::people::Line;
use normsctl::site::collect::{HistoryViews, MarkdownCache, WorkingFiles};
use normsctl::site::session::{self, HistoryState, SiteError, Valid};
use normsctl::site::{self, output, render};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

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
    /// Refuse to build while handbook files have uncommitted changes, or untracked or
    /// ignored files (for publishing)
    #[arg(long)]
    require_clean: bool,
    /// Render the handbook as committed at this revision (settings, roster, policies,
    /// templates), reading nothing from the work tree (for publishing what was reviewed)
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
}

pub fn run(global: &Global, args: BuildArgs) -> Result<(), CommandError> {
    let started = Instant::now();
    let timings = Timings::from_env();
    let ws = global.open_reporting()?;
    let out = out_dir(&ws, args.out.as_deref())?;
    // With --rev, the committed tree is written into a folder of its own and built from
    // there, with that commit as HEAD: nothing in the work tree is read.
    let exported = match &args.rev {
        Some(_) => Some(
            tempfile::Builder::new()
                .prefix("normsctl-rev-")
                .tempdir()
                .map_err(|e| CommandError::env(format!("cannot make a temporary folder: {e}")))?,
        ),
        None => None,
    };
    let ws = match (&args.rev, &exported) {
        (Some(rev), Some(dir)) => ws.at_revision(rev, dir.path())?,
        _ => ws,
    };
    let now = ws.now()?;
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    // The texts the load reads are kept for the working files' blob ids.
    let texts = PolicyCache::texts();
    let handbook = match session::load_valid(&ws.loc, &texts, color) {
        Ok(Valid { handbook, warnings }) => {
            if let Some(w) = warnings {
                eprint_raw(&w);
            }
            handbook
        }
        Err(SiteError::Invalid(report)) => {
            eprint_raw(&report);
            note("the site was not built: fix the errors above first");
            return Err(CommandError::Findings);
        }
        Err(e) => return Err(e.into()),
    };
    if args.require_clean && args.rev.is_none() {
        let dirty = session::uncommitted(&ws, &handbook.settings)?;
        if !dirty.is_empty() {
            let mut text = String::from(
                "error: the handbook has uncommitted changes, or files git does not track:\n",
            );
            for f in &dirty {
                text.push_str(&format!("  {}\n", Line(f)));
            }
            text.push_str(
                "  help: commit them, or remove the untracked and ignored ones (or build without --require-clean to preview them; `--rev HEAD` builds what is committed)\n",
            );
            eprint_text(&text);
            return Err(CommandError::Findings);
        }
    }
    let progress = Progress::start(std::io::stderr().is_terminal());
    timings.mark("load and validate");
    progress.set("reading history");
    let timeline = session::read_timeline(&ws, &handbook.settings)?;
    match HistoryState::of(&ws) {
        HistoryState::NoGit => {
            note("note: the handbook is not in a git repository, so the site has no history")
        }
        HistoryState::NoCommits => {
            note("note: the repository has no commits yet, so the site has no history")
        }
        HistoryState::Commits => {}
    }
    timings.mark("history and diffs");
    let templates = site::load_templates(&ws.loc, &handbook.settings)?;
    progress.set("collecting pages");
    let history = HistoryViews::new(&timeline, &handbook.settings.timezone);
    let site = session::assemble(
        &ws.loc,
        &handbook,
        (&timeline, &history),
        now,
        &mut MarkdownCache::default(),
        (&texts, &mut WorkingFiles::default()),
        &templates.words(),
    );
    timings.mark("collect");
    let pages = render::pages(&site, &templates);
    let total = pages.len();
    // Each file is written as soon as it is rendered, on every core.
    output::publish_with(&out, |dir| {
        render::render_each(
            &site,
            &templates,
            &pages,
            &|n| progress.set(&format!("rendering and writing pages: {n}/{total}")),
            &|page, bytes| {
                output::write_file(dir, &page.path(), &bytes).map_err(CommandError::from)
            },
        )
    })?;
    timings.mark("render and write");
    progress.finish();
    note(&format!(
        "built {} policy pages ({} files) into {} in {:.2} s",
        site.policies.len(),
        total,
        out.display(),
        started.elapsed().as_secs_f64()
    ));
    // The process ends here: freeing the history, the pages and the files one allocation
    // at a time would cost a tenth of a second for nothing (the temporary folder of
    // `--rev` is still removed).
    std::mem::forget(site);
    std::mem::forget(history);
    std::mem::forget(timeline);
    std::mem::forget(handbook);
    std::mem::forget(ws);
    Ok(())
}

/// The output folder: `--out` (relative to the current folder) or `site/` in the handbook
/// root.
pub(super) fn out_dir(
    ws: &normsctl::workspace::Workspace,
    out: Option<&std::path::Path>,
) -> Result<PathBuf, CommandError> {
    let cwd = std::env::current_dir()
        .map_err(|e| CommandError::env(format!("cannot read the current folder: {e}")))?;
    Ok(session::out_dir(&ws.loc, &cwd, out)?)
}
