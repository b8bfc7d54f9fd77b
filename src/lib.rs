//! normsctl: a team's expectations, norms and metrics as YAML in git.
//!
//! The library loads, validates and describes a handbook; the `normsctl` binary's `cli`
//! module is the only place that prints or exits. Data flows one way, each layer using
//! only those below it (`tests/cli/layering.rs` checks it):
//! `site`, `ack`, `mcp`, `scaffold`, `schema` (use cases) -> `render` -> `validate` ->
//! `workspace` -> `history`, `diff` -> `load` -> `model`, `rules` -> `diag`, `atomic`,
//! `cache`, `http`, `yaml`.

pub mod ack;
pub mod atomic;
pub mod cache;
pub mod diag;
pub mod diff;
pub mod history;
pub mod http;
pub mod load;
pub mod mcp;
pub mod model;
pub mod portal;
pub mod render;
pub mod rules;
pub mod scaffold;
pub mod schema;
pub mod site;
pub mod validate;
pub mod workspace;
pub mod yaml;

/// The tool's version, as recorded in outputs.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
