//! End-to-end tests of the `normsctl` binary, one module per feature.

mod harness;

mod acks;
mod acks_sync;
mod acks_tamper;
mod bad_input;
mod browser;
mod changes;
mod conformance;
mod fixtures;
mod formats;
mod history;
mod hostile;
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
