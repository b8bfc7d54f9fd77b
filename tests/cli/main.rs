//! End-to-end tests of the `normsctl` binary, one module per feature.

mod harness;

mod bad_input;
mod browser;
mod conformance;
mod formats;
mod history;
mod init;
mod site;
mod validate;
