//! End-to-end tests of the `normsctl` binary, one module per feature.

mod harness;

mod acks;
mod acks_line;
mod acks_sync;
mod acks_tamper;
mod bad_input;
mod browser;
mod changes;
mod conformance;
mod consumers;
mod feeds;
mod fixtures;
mod forge_action;
mod forge_precommit;
mod forge_reports;
pub mod forge_sarif;
mod forge_schema_agreement;
mod formats;
mod history;
mod hostile;
mod impact;
pub mod in_force;
mod init;
mod layering;
mod limits;
mod property;
mod publish;
mod security;
mod settings;
mod show;
mod site;
mod snapshots;
mod times;
mod validate;
mod waivers;
mod yaml_scaling;
