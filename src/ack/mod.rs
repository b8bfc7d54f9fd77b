//! The acknowledgement ledger: who read which exact text of which policy, kept in git on
//! its own orphan branch.
//!
//! Each `ack` adds one commit whose tree gains one file per entry at
//! `<xx>/<person>/<x>/<policy>.r<revision>.<entry-id>.ack` (`xx`: two hex digits of a hash
//! of the person's id, `x`: one hex digit of a hash of the policy's id, `entry-id`: the git
//! blob id of the entry's JSON). Entries written before the `x` folders sit straight in
//! `<xx>/<person>/` and stay valid there. A person's folder holds at most 16 folders, each
//! with about a sixteenth of their entries, so an append rewrites four small trees (one
//! folder holding all of a person's entries made the trees each append rewrites, and the
//! walk `verify` makes over them, grow with the person's entries), and the paths alone
//! say who acknowledged which revision. Entries are
//! never edited or removed; `verify` checks that.
//!
//! Nothing here prints or exits: the commands in `cli` do.

pub mod audit;
pub mod batch;
pub mod context;
pub mod coverage;
pub mod deliver;
pub mod due;
pub mod entry;
pub mod evidence;
pub mod facts;
pub mod files;
pub mod keys;
pub mod ledger;
pub mod line;
pub mod listing;
pub mod pending;
pub mod people;
pub mod portal_key;
pub(crate) mod quiet;
pub mod record;
pub mod remind;
pub mod report;
pub mod revoke;
pub mod sign;
pub mod snapshot;
pub mod status;
pub mod sync;
pub mod verdicts;
pub mod verify;
pub mod walk;
mod whole_file;
pub mod witness;
pub mod witnessed;

/// Commands that read the whole handbook history need it whole.
#[derive(Debug, thiserror::Error)]
pub enum AckError {
    #[error("the handbook is not inside a git repository")]
    NotGit,
    #[error("the repository has no commits yet")]
    NoCommits,
    #[error("no person `{who}` in the roster")]
    UnknownPerson {
        who: String,
        /// The nearest id or e-mail address, for "did you mean".
        suggestion: Option<String>,
    },
    #[error("the git identity {email} is not on the roster")]
    UnknownEmail { email: String },
    #[error("no git identity: user.name and user.email are not set")]
    NoIdentity,
    #[error("the roster ({0}) cannot be read at HEAD")]
    NoRoster(String),
    #[error("no policy `{id}` at HEAD")]
    UnknownPolicy {
        id: String,
        suggestion: Option<String>,
    },
    #[error("policy `{0}` takes no acknowledgements (`ack: none`)")]
    NoAckNeeded(String),
    #[error("{path} has uncommitted changes: acknowledge only committed text")]
    Uncommitted { path: String },
    #[error("{person} has a signing key on the roster, and no private key was given")]
    KeyNeeded { person: String },
    #[error("signing failed: {0}")]
    Sign(String),
    #[error("the signature would not verify against {person}'s key on the roster: {reason}")]
    WrongKey { person: String, reason: String },
    #[error("{path} is locked (for {age_secs} s): left by a killed process, or held by a live one")]
    StaleLock { path: String, age_secs: u64 },
    #[error("{path} stayed locked for {waited_secs} s")]
    Busy { path: String, waited_secs: u64 },
    #[error(
        "there is no handbook line: neither refs/remotes/{remote}/{branch} nor refs/heads/{branch} exists"
    )]
    NoLine { branch: String, remote: String },
    #[error("the ledger ref {0} does not point at a commit")]
    BadRef(String),
    #[error("the ledger's entry {path} exists with different content")]
    Collision { path: String },
    #[error(transparent)]
    History(#[from] crate::history::HistoryError),
    #[error("git: {}", .0.message())]
    Git(#[from] git2::Error),
    #[error("{0}")]
    Io(String),
    #[error("{path} does not read as a policy at HEAD")]
    NotAPolicy { path: String },
    #[error("{path} does not validate, so it cannot be acknowledged:\n  {}", findings.join("\n  "))]
    InvalidPolicy { path: String, findings: Vec<String> },
    #[error(
        "the checked-out {path} is not the text published on the handbook line ({line}): only what everyone can read can be acknowledged"
    )]
    NotOnLine { path: String, line: String },
    #[error(
        "this clone does not fetch the ledger branch {branch} from {remote} (a single-branch clone), so it cannot tell who acknowledged what"
    )]
    LedgerNotFetched { remote: String, branch: String },
    #[error("the handbook line has no commit landed by then")]
    BeforeHistory,
    #[error("there is no ledger to witness yet")]
    NoLedger,
    #[error(
        "there is no ledger yet: until the first acknowledgement, a plain `signing_key: \"...\"` needs no anchor"
    )]
    NoLedgerToAnchor,
    #[error("not an SSH public key: {0}")]
    BadKey(String),
    #[error("no acknowledgement in the ledger has an id starting with `{0}`")]
    UnknownEntry(String),
    #[error("more than one entry has an id starting with `{0}`")]
    AmbiguousEntry(String),
    #[error("a revocation says why: --reason is empty")]
    NoReason,
    #[error(
        "{person} has a signing key on the roster: the portal never signs in their name; they acknowledge with `normsctl ack --key`"
    )]
    PortalRefusesKeyed { person: String },
    #[error("the text of {id} changed since it was shown: nothing was recorded; read the new text")]
    TextChanged { id: String },
    #[error("no git remote named `{remote}`")]
    NoRemote { remote: String },
    #[error("GIT_COMMITTER_DATE=`{0}` is neither `@<seconds since 1970>` nor an RFC 3339 time")]
    BadCommitterDate(String),
    #[error(
        "GIT_COMMITTER_DATE=`{0}` is out of range: a time can be recorded only from year -9999 to 9999"
    )]
    CommitterDateOutOfRange(String),
}

pub use context::Context;
