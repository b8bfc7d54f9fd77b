/// The terms that mark a measure no individual controls, by default.
pub const DEFAULT_OUTSIDE_INDIVIDUAL_CONTROL: [&str; 8] = [
    "csat",
    "nps",
    "satisfaction",
    "sentiment",
    "net promoter",
    "resolution time",
    "time to resolution",
    "time to close",
];

/// `normsctl.yaml`: every key has a default.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub title: String,
    pub organization: Option<String>,
    pub base_url: Option<String>,
    /// IANA time zone name.
    pub timezone: String,
    /// Folder of policy documents, relative to the handbook root.
    pub policies: String,
    /// Roster file, relative to the handbook root.
    pub roster: String,
    /// Template override folder, relative to the handbook root.
    pub templates: String,
    pub fairness: Fairness,
    pub acks: AckSettings,
    /// `reviews.every`: how often a policy is reviewed unless it says (default `none`).
    pub review_every: super::Period,
    pub remind: RemindSettings,
}

/// `remind:`: how `acks remind --send` delivers. Secrets never live here: only the names of
/// the environment variables that hold them.
#[derive(Clone, Debug, PartialEq)]
pub struct RemindSettings {
    pub smtp: Option<SmtpSettings>,
    /// Team id to the name of the environment variable holding its incoming-webhook URL.
    pub webhooks: Vec<(String, String)>,
    /// At most this many messages (e-mails and webhook posts) per run.
    pub max_messages: u32,
    /// Seconds one request (an SMTP conversation, a webhook post) may take.
    pub timeout: u32,
}

/// `remind.smtp`: the relay personal and lead digests go through.
#[derive(Clone, Debug, PartialEq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// The sender, `Name <address>` or an address.
    pub from: String,
    /// Require STARTTLS (default); `false` sends in the clear (a relay on the same host).
    pub starttls: bool,
    pub username_env: Option<String>,
    pub password_env: Option<String>,
    /// A PEM file of certificates to trust besides the usual roots (a company relay's
    /// own CA), relative to the handbook root or absolute.
    pub ca_file: Option<String>,
}

/// The most messages a run sends unless `remind.max_messages` says otherwise.
pub const DEFAULT_MAX_MESSAGES: u32 = 1000;

impl Default for RemindSettings {
    fn default() -> RemindSettings {
        RemindSettings {
            smtp: None,
            webhooks: Vec::new(),
            max_messages: DEFAULT_MAX_MESSAGES,
            timeout: 30,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Fairness {
    pub outside_individual_control: Vec<String>,
}

/// The largest `acks.due_days` and `ack_due_days` accepted: ten years. Larger values mean
/// nothing to a team and would take due dates past what calendars can represent.
pub const MAX_DUE_DAYS: u32 = 3650;

#[derive(Clone, Debug, PartialEq)]
pub struct AckSettings {
    pub git_ref: String,
    pub remote: String,
    /// The handbook's published branch: acknowledgements are bound to the first-parent line
    /// of `refs/remotes/<remote>/<branch>` (the local branch where there is no remote).
    pub branch: String,
    /// Seconds a git process of `acks sync` may show no sign of life before it is stopped.
    pub sync_timeout: u32,
    pub due_days: u32,
    /// The rollout day (00:00 in the handbook's zone): nothing is due before it.
    pub start: Option<jiff::civil::Date>,
    /// How long an acknowledgement lasts before it must be made again (`ack_every` on a
    /// policy overrides it).
    pub every: Every,
    /// Ledger commits accepted after review although `acks verify` finds them bad (a push
    /// the protected remote took): `verify` passes on them and always names them.
    pub exceptions: Vec<LedgerException>,
}

/// One reviewed exception to the ledger's verification.
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerException {
    /// The ledger commit, 40 hex digits.
    pub commit: String,
    pub reason: String,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            title: "Handbook".into(),
            organization: None,
            base_url: None,
            timezone: "UTC".into(),
            policies: "policies".into(),
            roster: "people.yaml".into(),
            templates: "templates".into(),
            fairness: Fairness {
                outside_individual_control: DEFAULT_OUTSIDE_INDIVIDUAL_CONTROL
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            },
            acks: AckSettings {
                git_ref: "refs/heads/normsctl/acks".into(),
                remote: "origin".into(),
                branch: "main".into(),
                sync_timeout: 60,
                exceptions: Vec::new(),
                due_days: 14,
                start: None,
                every: Every::NEVER,
            },
            remind: RemindSettings::default(),
            review_every: super::Period::Never,
        }
    }
}

/// How often an acknowledgement must be made again (`acks.every`, `ack_every`): the one
/// period type and parser, the same as for reviews.
pub type Every = super::Period;
