use super::{CliError, Global, print};
use clap::{Args, ValueEnum};
use normsctl::{diag, load, report, validate};

/// Check the handbook: YAML, keys and types, ids, references, the roster and the fairness
/// of metrics. Exit 0 when clean (warnings alone are fine), 1 on errors (or warnings with
/// --strict), 2 when there is no handbook to check.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Treat warnings (the fairness rules) as errors
    #[arg(long)]
    strict: bool,
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
}

pub fn run(global: &Global, args: ValidateArgs) -> Result<(), CliError> {
    let loc = global.location()?;
    let loaded = load::load(&loc)?;
    let mut findings = loaded.findings;
    findings.extend(validate::check(&loaded.handbook));
    if args.strict {
        diag::make_strict(&mut findings);
    }
    findings.sort();
    let text = match args.format {
        Format::Human => report::human(&findings, loaded.files, report::Palette { color: true }),
        Format::Json => report::json(&findings, loaded.files),
        Format::Github => report::github(&findings),
        Format::Sarif => report::sarif(&findings),
    };
    print(&text)?;
    if diag::Counts::of(&findings).errors > 0 {
        Err(CliError::Findings)
    } else {
        Ok(())
    }
}
