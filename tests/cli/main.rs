//! End-to-end tests of the `normsctl` binary, one module per feature.

mod harness;

mod bad_input;
mod changes;
mod conformance;
mod fixtures;
mod formats;
mod history;
mod init;
mod show;
mod validate;
