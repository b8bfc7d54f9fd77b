//! The acknowledgement ledger's data as plain values: what a policy asks, what a person
//! holds, where they stand, an entry, and what verification and a sync found. The `ack`
//! module computes them and `render` shows them; nothing here reads git or the clock.

use git2::Oid;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// A policy that needs acknowledgement, as committed at HEAD.
#[derive(Clone, Debug)]
pub struct Need {
    pub id: String,
    pub title: String,
    pub revision: u32,
    pub path: String,
    pub blob: String,
    pub applies_to: Vec<String>,
    /// Unix seconds from which a missing acknowledgement is overdue for someone covered
    /// since before the text took effect (`None` when the revision's landing is unknown,
    /// as in a shallow clone).
    pub due: Option<i64>,
    /// When the current revision took effect: the later of its landing and `effective`.
    pub in_force: Option<i64>,
    /// `ack_due_days`, or the settings' `acks.due_days`.
    pub due_days: u32,
    /// How long an acknowledgement lasts (`ack_every`, or the settings' `acks.every`).
    pub every: crate::model::Every,
}

/// Which clock set a due date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// The current revision took effect.
    InForce,
    /// The person's current coverage by the policy began (landing on the handbook line).
    Covered,
    /// The person's `joined:` date.
    Joined,
    /// The settings' `acks.start`.
    Start,
    /// The person's last exemption from the policy ended.
    Exemption,
    /// Their acknowledgement expired (`ack_every`).
    Expired,
}

/// A clock and the moment it gives (Unix seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Since {
    pub clock: Clock,
    pub at: i64,
}

/// An acknowledgement held in the ledger, as `acks` needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    pub person: String,
    pub policy: String,
    pub revision: u32,
    /// The entry's id (blob id of its JSON).
    pub id: String,
    pub time: String,
    /// The claimed time (what `time` says).
    pub seconds: i64,
    /// When it counts as recorded: the claimed time, no later than the oldest witness
    /// holding it, no earlier than the landing of the commit it is bound to (not
    /// witnessed: no later than now).
    pub recorded: i64,
    /// The time of the oldest witness holding it (`None`: not witnessed).
    pub witnessed: Option<i64>,
    pub writer_name: String,
    pub writer_email: String,
    /// The writer is not the person the entry names.
    pub by_other: bool,
    /// The entry counts for its policy's current text: the current revision, bound to the
    /// handbook line at or after that text landed (judged by the one judge).
    pub current: bool,
}

/// An entry that does not count, and why (reports list them apart).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    pub person: String,
    pub policy: String,
    pub revision: u32,
    /// Where it sits in the ledger.
    pub path: String,
    pub reason: String,
}

/// Where one person stands with one policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Acknowledged the current revision.
    Current,
    /// Acknowledged an older revision only.
    Stale,
    /// Never acknowledged any revision.
    Never,
    /// Acknowledged the current revision, longer ago than `ack_every`.
    Expired,
    /// Exempt from the policy now (the roster's `exempt:`).
    Exempt,
}

/// One person who must acknowledge one policy.
#[derive(Clone, Debug)]
pub struct Row<'a> {
    pub policy: &'a str,
    pub revision: u32,
    pub person: &'a str,
    /// The person's name, e-mail addresses and teams, from the roster.
    pub name: &'a str,
    pub emails: &'a [String],
    pub teams: &'a [String],
    /// Their team's zone (IANA name), when it sets one: dates about them use it.
    pub timezone: Option<&'a str>,
    pub state: State,
    /// The newest acknowledgement of the current revision, or the newest stale one.
    pub held: Option<&'a Held>,
    /// The first acknowledgement of the current revision.
    pub first: Option<&'a Held>,
    pub due: Option<i64>,
    /// The clock that set `due`.
    pub since: Option<Since>,
    /// When the newest acknowledgement of the current revision expires (`ack_every`).
    pub expires: Option<i64>,
    /// Days the newest acknowledgement came after the due date it answered (0: on time;
    /// `None`: unknown).
    pub late_days: Option<i64>,
    /// The clock that set the due date the newest acknowledgement of the current revision
    /// answered, and that due date (what `late_days` counts from; `acks audit` shows it
    /// for current rows).
    pub answered: Option<Since>,
    pub answered_due: Option<i64>,
    /// The exemption that applies now, or the last that ended.
    pub exemption: Option<&'a Exempt>,
    pub overdue: bool,
}

/// The true counts of one policy, whatever rows a filter keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// People it applies to and not exempt.
    pub must: usize,
    pub current: usize,
    pub stale: usize,
    pub expired: usize,
    pub never: usize,
    pub exempt: usize,
    pub overdue: usize,
}

/// Entries of people no longer on the roster.
#[derive(Clone, Debug)]
pub struct Former {
    pub person: String,
    pub held: Vec<Held>,
}

/// The whole picture.
#[derive(Clone, Debug, Default)]
pub struct Report<'a> {
    /// Need by need, in the order of the needs, people in roster order.
    pub rows: Vec<Row<'a>>,
    /// `rows[spans[i].clone()]` are the rows of `needs[i]`.
    pub spans: Vec<Range<usize>>,
    /// `totals[i]`: the counts of `needs[i]` before any filter.
    pub totals: Vec<Totals>,
    pub former: Vec<Former>,
}

/// One exemption, as the reports need it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exempt {
    /// `None`: every policy.
    pub policies: Option<Vec<String>>,
    /// The last day exempt, `YYYY-MM-DD` (`None`: for good).
    pub until: Option<String>,
    pub reason: super::ExemptReason,
    pub reference: Option<String>,
}

impl Exempt {
    pub fn covers(&self, policy: &str) -> bool {
        self.policies
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|p| p == policy))
    }
}

/// Who wrote an entry: the git identity of the writer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Writer {
    pub name: String,
    pub email: String,
}

/// An acknowledgement: `person` read revision `revision` of `policy`, whose text was the
/// blob `blob` at `path` in handbook commit `commit`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub format: u32,
    pub person: String,
    pub policy: String,
    pub revision: u32,
    /// The policy file's path at `commit`, relative to the top of the work tree.
    pub path: String,
    /// The policy file's git blob id: the exact text read.
    pub blob: String,
    /// The handbook commit the text was read at.
    pub commit: String,
    /// When it was recorded, RFC 3339 with the writer's offset.
    pub time: String,
    pub writer: Writer,
    /// `normsctl <version>`.
    pub tool: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Set on a revocation (format 2): the id of the entry it withdraws (an
    /// acknowledgement recorded for the wrong person). The fields above are the revoked
    /// entry's, so the revocation is judged, and signed, like it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revokes: Option<String>,
    /// Set on an entry the portal wrote (format 3): how the person was authenticated
    /// there. Believed only where the portal key in force verifies the entry's signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Via>,
}

/// How an acknowledgement given in the portal was authenticated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Via {
    /// Always `portal`.
    pub channel: String,
    /// `email-link` or `proxy`.
    pub method: String,
    /// Who signed in: the e-mail address the link went to, or the proxy's identity.
    pub identity: String,
}

impl Via {
    /// "acknowledged in the portal, signed in by e-mail link as ana@example.com".
    pub fn words(&self) -> String {
        let how = match self.method.as_str() {
            "email-link" => "e-mail link",
            "proxy" => "the single sign-on proxy",
            other => other,
        };
        format!(
            "acknowledged in the portal, signed in by {how} as {}",
            self.identity
        )
    }
}

/// What a report may say about an entry's `via`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViaShown {
    /// The portal key in force verifies the entry: the claim is the portal's.
    Verified(Via),
    /// The entry claims `via` but the portal key in force does not verify it.
    Unverified { writer: String },
}

impl ViaShown {
    pub fn words(&self) -> String {
        match self {
            ViaShown::Verified(v) => v.words(),
            ViaShown::Unverified { writer } => {
                format!("claims the portal: written by {writer}, claim not verified")
            }
        }
    }
}

/// A well-formed entry read from the ledger.
#[derive(Clone, Debug)]
pub struct Parsed {
    pub entry: Entry,
    pub id: Oid,
    pub payload_len: usize,
    pub signature: Option<String>,
}

/// One thing wrong, at the commit that introduced it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub commit: Oid,
    pub path: Option<String>,
    pub message: String,
}

/// What a verification found.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// The refs checked and their tips.
    pub tips: Vec<(String, Oid)>,
    pub commits: usize,
    pub entries: usize,
    pub signed: usize,
    /// Entries written by someone other than the person they name.
    pub by_other: usize,
    /// The first is the first bad commit in history order.
    pub problems: Vec<Problem>,
    /// Entries written in a newer entry format than this version reads: not judged here
    /// (upgrade normsctl), never counted as tampering.
    pub newer: Vec<Problem>,
    /// Problems in commits the handbook line's settings accept after review
    /// (`acks.exceptions`), with the reason: they do not fail verification, and are always
    /// named.
    pub excepted: Vec<(Problem, String)>,
}

/// What an entry's own check found (for `evidence`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryCheck {
    pub signed: bool,
    pub by_other: bool,
    pub problem: Option<String>,
    /// The entry is in a newer format than this version reads.
    pub newer: bool,
    /// What the entry's `via` is worth (`None`: it claims none).
    pub via: Option<ViaShown>,
}

/// What a sync did.
#[derive(Clone, Debug, Default)]
pub struct Synced {
    pub rounds: u32,
    /// Merge commits recorded.
    pub merges: Vec<Oid>,
    /// The tip the remote holds afterwards (`None`: neither side has a ledger).
    pub tip: Option<Oid>,
    /// Whether this sync pushed anything.
    pub pushed: bool,
    /// Whether the local ledger moved forward to the remote's.
    pub fast_forwarded: bool,
}

/// What one `ack` did.
#[derive(Clone, Debug, Default)]
pub struct Recorded {
    /// The person acknowledging.
    pub person: String,
    /// `(policy, revision held)` already acknowledged before this run.
    pub already: Vec<(String, u32)>,
    /// `(policy, revision, recorded now)`: false when a concurrent writer had recorded it.
    pub written: Vec<(String, u32, bool)>,
    /// The writer, when it is not the person acknowledging.
    pub written_by: Option<(String, String)>,
    /// The ledger commit made, if any.
    pub commit: Option<Oid>,
    /// The ledger branch's short name.
    pub ledger: String,
    /// Bytes written into the object database.
    pub bytes: usize,
}

/// One acknowledgement with everything said about it (`acks evidence`).
#[derive(Clone, Debug)]
pub struct EvidenceItem {
    pub entry: Parsed,
    /// Written by someone other than the person it names.
    pub by_other: bool,
    /// The text acknowledged, when the repository holds it.
    pub text: Option<String>,
    /// When that text landed: `(commit, RFC 3339 time)`.
    pub landed: Option<(String, String)>,
    /// A unified diff from that text to today's, when they differ.
    pub diff: Option<String>,
    pub check: EntryCheck,
    /// The ledger commit that first added the entry.
    pub ledger_commit: Option<String>,
    /// The oldest witness holding that commit: `(tag, RFC 3339 UTC time)`.
    pub witnessed: Option<(String, String)>,
    /// What is wrong with the entry's claimed time (later than its witness, earlier than
    /// the text it binds was published).
    pub time_warnings: Vec<String>,
    /// The valid revocation that withdrew this entry: `(its id, the reason)`.
    pub revoked_by: Option<(String, String)>,
}

/// The bundle that settles a dispute about one person and one policy.
#[derive(Clone, Debug)]
pub struct Evidence {
    pub person: String,
    pub policy: String,
    /// The handbook commit at HEAD.
    pub head: Oid,
    /// Today's file: `(path, blob)`, when the policy exists at HEAD.
    pub current: Option<(String, String)>,
    pub current_revision: Option<u32>,
    /// The report's `current`, `stale`, `expired`, `never` or `exempt`, or `retired`
    /// when the policy is gone.
    pub status: &'static str,
    pub ledger_ok: bool,
    pub ledger_entries: usize,
    pub first_problem: Option<String>,
    /// Oldest first.
    pub items: Vec<EvidenceItem>,
}

/// One entry as `acks show` prints it.
#[derive(Clone, Debug)]
pub struct Shown {
    pub entry: Parsed,
    /// Written by someone other than the person it names.
    pub by_other: bool,
    /// What its `via` is worth (`None`: it claims none).
    pub via: Option<ViaShown>,
    /// The text it was bound to, when the repository holds it.
    pub text: Option<String>,
}

/// One acknowledgement in a period report, with where to find it in the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub entry: String,
    pub revision: u32,
    /// The time the entry claims (RFC 3339 as written).
    pub claimed: String,
    /// When it counts as recorded (see `Held::recorded`).
    pub recorded: i64,
    /// The oldest witness holding it (`None`: not witnessed by the end of the period).
    pub witnessed: Option<i64>,
    /// The ledger commit that first added it.
    pub ledger_commit: Option<String>,
}

/// One person and one policy in a period report, as they stood at the period's end.
#[derive(Clone, Debug)]
pub struct AuditRow {
    pub policy: String,
    pub title: String,
    pub revision: u32,
    pub person: String,
    pub name: String,
    pub state: State,
    pub overdue: bool,
    pub due: Option<i64>,
    pub since: Option<Since>,
    /// The newest entry of the current revision (else the newest stale one).
    pub acknowledged: Option<AuditEntry>,
    /// The first entry of the current revision.
    pub first: Option<AuditEntry>,
    pub late_days: Option<i64>,
    pub exemption: Option<Exempt>,
}

/// `acks audit`: what was due in a period and how it was met, checkable offline.
#[derive(Clone, Debug)]
pub struct Audit {
    pub from: i64,
    pub to: i64,
    /// The handbook line commit the period ends on.
    pub handbook_commit: String,
    /// The ledger refs read and their tips.
    pub ledger_tips: Vec<(String, String)>,
    /// What `acks verify` found.
    pub verified: bool,
    pub ledger_entries: usize,
    pub first_problem: Option<String>,
    pub rows: Vec<AuditRow>,
    /// Entries that do not count, and why.
    pub rejected: Vec<Rejected>,
    /// Entries no witness held by the end of the period (left out).
    pub unwitnessed: usize,
}
