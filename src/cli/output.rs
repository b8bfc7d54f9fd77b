//! `--format human|json`, defined once for the commands that offer just those two.

use clap::{Args, ValueEnum};

/// The output flag of a command whose only outputs are text for people and JSON.
#[derive(Debug, Args)]
pub struct HumanOrJson {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people
    Human,
    /// One JSON document (see the README)
    Json,
}
