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
    pub portal: PortalSettings,
}

/// `portal:`: how `normsctl portal` serves and signs. Secrets never live here: the portal's
/// private key path and its session secret come from the environment.
#[derive(Clone, Debug, PartialEq)]
pub struct PortalSettings {
    /// The address to listen on (default `127.0.0.1:8080`).
    pub listen: String,
    /// The `Host` names (with the port where one is used) the portal answers to; empty:
    /// the loopback names of its port.
    pub hosts: Vec<String>,
    /// The address people reach the portal at (`https://portal.example.com`): links in
    /// e-mails point there, and cookies are `Secure` when it is https.
    pub url: Option<String>,
    /// The portal's public key (one line of a `.pub` file): it vouches for the entries
    /// the portal writes.
    pub key: Option<String>,
    /// The ledger commit the key (change) takes effect after, as for `signing_key`.
    pub key_after: Option<String>,
    /// The reverse proxy's addresses, trusted to name the person in `proxy_header`.
    pub proxy_addresses: Vec<std::net::IpAddr>,
    /// The header that carries the signed-in person's e-mail address (or roster id).
    pub proxy_header: Option<String>,
    /// Seconds a sign-in link lasts (`link_minutes` in the file, fractions allowed).
    pub link_seconds: u32,
    /// Minutes a session lasts.
    pub session_minutes: u32,
    /// Sign-in links by e-mail (through `remind.smtp`).
    pub email_links: bool,
}

impl Default for PortalSettings {
    fn default() -> PortalSettings {
        PortalSettings {
            listen: "127.0.0.1:8080".into(),
            hosts: Vec::new(),
            url: None,
            key: None,
            key_after: None,
            proxy_addresses: Vec::new(),
            proxy_header: None,
            link_seconds: 15 * 60,
            session_minutes: 480,
            email_links: true,
        }
    }
}

/// `remind:`: how `acks remind --send` delivers. Secrets never live here: only the names of
/// the environment variables that hold them.
#[derive(Clone, Debug, PartialEq)]
pub struct RemindSettings {
    pub smtp: Option<SmtpSettings>,
    /// Each team's incoming webhook, in the order written.
    pub webhooks: Vec<Webhook>,
    /// At most this many messages (e-mails and webhook posts) per run.
    pub max_messages: u32,
    /// Seconds one request (an SMTP conversation, a webhook post) may take.
    pub timeout: u32,
}

/// One entry of `remind.webhooks`: a team (checked against the roster by `validate`) and
/// the name of the environment variable holding its incoming-webhook URL.
#[derive(Clone, Debug, PartialEq)]
pub struct Webhook {
    pub team: super::Located<String>,
    pub env: String,
    /// The settings file, for findings about the entry.
    pub file: String,
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
            portal: PortalSettings::default(),
            review_every: super::Period::Never,
        }
    }
}

/// How often an acknowledgement must be made again (`acks.every`, `ack_every`): the one
/// period type and parser, the same as for reviews.
pub type Every = super::Period;
