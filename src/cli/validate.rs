use super::repo::{self, Context};
use super::{CliError, Global, print, validate_forge};
use clap::{Args, ValueEnum};
use normsctl::history::{self, snapshot::Snapshot};
use normsctl::{diag, load, report, validate};

/// Check the handbook: YAML, keys and types, ids, references, the roster and the fairness
/// of metrics. Exit 0 when clean (warnings alone are fine), 1 on errors (or warnings with
/// --strict), 2 when there is no handbook to check.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Treat warnings (the fairness rules) as errors
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

pub fn run(global: &Global, args: ValidateArgs) -> Result<(), CliError> {
    let loc = global.location()?;
    let loaded = load::load(&loc)?;
    let mut findings = loaded.findings;
    findings.extend(validate::check(&loaded.handbook));
    if let Some(rev) = &args.base {
        check_changes(global, rev, &loaded.handbook, &mut findings)?;
    }
    if args.strict {
        diag::make_strict(&mut findings);
    }
    findings.sort();
    let text = match args.format {
        Format::Human => report::human(&findings, loaded.files, report::Palette { color: true }),
        Format::Json => report::json(&findings, loaded.files),
        Format::Github => report::github(&findings),
        Format::Sarif => report::sarif(&findings, loc.work_tree.as_deref().unwrap_or(&loc.root)),
        Format::Junit => report::junit::junit(
            &findings,
            &validate_forge::checked_files(&loc, &loaded.handbook),
        ),
        Format::Gitlab => report::gitlab::gitlab(
            &findings,
            &validate_forge::anchors(&loc, &loaded.handbook, &findings),
        ),
    };
    print(&text)?;
    if diag::Counts::of(&findings).errors > 0 {
        Err(CliError::Findings)
    } else {
        Ok(())
    }
}

/// The change rules: each policy of the working tree against its text at `rev`.
fn check_changes(
    global: &Global,
    rev: &str,
    handbook: &normsctl::model::Handbook,
    findings: &mut Vec<diag::Finding>,
) -> Result<(), CliError> {
    let cx = Context::new(global)?;
    let git = cx.repo()?;
    repo::require_complete(&git)?;
    let base = repo::commit(&git, rev)?;
    let tree = base
        .tree()
        .map_err(|e| CliError::env(format!("git: {}", e.message())))?;
    let snapshot = Snapshot::at_tree(&git, &tree, &cx.policies_dir())
        .map_err(|e| CliError::env(format!("git: {}", e.message())))?;
    // `replaces` names retired policies: with history at hand, they must have existed.
    if let Ok(head) = repo::head(&git) {
        let history = repo::walk(&git, head, &cx.policies_dir(), None)?;
        let ever: std::collections::HashSet<&str> = history
            .iter()
            .map(|r| r.id.as_str())
            .chain(snapshot.policies.keys().map(String::as_str))
            .collect();
        validate::references::check_replaces_history(handbook, &ever, findings);
    }
    for policy in &handbook.policies {
        let rel = policy
            .file
            .strip_prefix(&cx.loc.prefix)
            .unwrap_or(&policy.file);
        let Ok(source) = std::fs::read_to_string(cx.loc.root.join(rel)) else {
            continue;
        };
        let before = snapshot
            .get(&history::stem(&policy.file))
            .map(|f| f.text.as_str());
        validate::change::check(before, policy, &source, findings);
    }
    Ok(())
}
