//! Text for people and programs that is not a site template: findings, diffs, the
//! history, a policy as shown, the acknowledgement report, evidence and verification.
//!
//! Each renderer is a pure function from data to text (or to a writer, for the reports
//! that can be hundreds of megabytes): no files, no git, no clock, no environment. The
//! CLI decides where the text goes. JSON is written one way everywhere: [`json::pretty`].

pub mod ack;
pub mod acks;
pub mod audit;
pub mod diff;
pub mod evidence;
pub mod findings;
pub mod gitlab;
pub mod impact;
pub mod json;
pub mod junit;
pub mod log;
pub mod markdown;
pub mod people;
pub mod remind;
pub mod reviews;
pub mod rules_doc;
pub mod sarif;
pub mod show;
pub mod time;
pub mod verify;

pub use findings::Palette;
