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
            },
            review_every: super::Period::Never,
        }
    }
}
