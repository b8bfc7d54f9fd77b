//! `normsctl validate`: parse, open, load and check (validate), print the findings.

use super::{CommandError, Global, print, print_styled, validate_forge};
use clap::{Args, ValueEnum};
use normsctl::render::findings::{self, Palette};
use normsctl::render::{self, gitlab, junit, sarif};
use normsctl::{diag, load, validate};

/// Check the handbook: YAML, keys and types, ids, references, the roster and the fairness
/// of metrics. Exit 0 when clean (warnings alone are fine), 1 on errors (or warnings with
/// --strict), 2 when there is no handbook to check.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Treat warnings (the fairness rules) as errors (notices, such as a review that came
    /// due, never fail a run)
    #[arg(long)]
    strict: bool,
    /// Also apply the change rules against this git revision (the CI gate on a pull
    /// request: `--base origin/main`): a material change must raise `revision` by one
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    /// `file:line:col: severity[rule]: message` and a hint, for people
    Human,
    /// One JSON document (see the README)
    Json,
    /// GitHub Actions annotations
    Github,
    /// SARIF 2.1.0 for code-scanning tools
    Sarif,
    /// JUnit XML: a test case per file, a failure per finding (Jenkins, GitLab, Azure)
    Junit,
    /// GitLab Code Quality JSON for merge requests
    Gitlab,
}

pub fn run(global: &Global, args: ValidateArgs) -> Result<(), CommandError> {
    let ws = global.open_reporting()?;
    let loaded = ws.load(&load::PolicyCache::none())?;
    let mut findings = loaded.findings;
    findings.extend(validate::check(&loaded.handbook));
    // Reviews that came due: notices, which no flag turns into a failure.
    let reviews = validate::reviews::schedule_in(&ws, &loaded.handbook);
    if !reviews.is_empty() {
        let today = ws.now()?.to_zoned(ws.tz.clone()).date();
        validate::reviews::overdue(&reviews, today, &mut findings);
    }
    let mut impacts = Vec::new();
    if let Some(rev) = &args.base {
        validate::change::against(&ws, rev, &loaded.handbook, &mut findings)?;
        impacts = validate::impact::against(&ws, rev, loaded.handbook.roster.as_ref())?;
    }
    // Waiver comments, read from each policy's text (comments are not in the parse tree).
    validate::waivers::check(&ws.loc, &loaded.handbook, &mut findings);
    if args.strict {
        diag::make_strict(&mut findings);
    }
    findings.sort();
    let text = match args.format {
        Format::Human => {
            print_styled(&findings::human(
                &findings,
                loaded.files,
                Palette { color: true },
            ))?;
            render::impact::human(&impacts)
        }
        Format::Json if args.base.is_some() => findings::json_with(
            &findings,
            loaded.files,
            Some(render::impact::json(&impacts)),
        ),
        Format::Json => findings::json(&findings, loaded.files),
        Format::Github => findings::github(&findings),
        Format::Sarif => sarif::sarif(
            &findings,
            ws.loc.work_tree.as_deref().unwrap_or(&ws.loc.root),
        ),
        Format::Junit => junit::junit(
            &findings,
            &validate_forge::checked_files(&ws.loc, &loaded.handbook),
        ),
        Format::Gitlab => gitlab::gitlab(
            &findings,
            &validate_forge::anchors(&ws.loc, &loaded.handbook, &findings),
        ),
    };
    print(&text)?;
    if diag::Counts::of(&findings).errors > 0 {
        Err(CommandError::Findings)
    } else {
        Ok(())
    }
}
