//! `normsctl portal`: acknowledging from a browser, for people who do not use git.
//!
//! A server a team runs next to its clone of the handbook. People sign in (behind an
//! authenticating reverse proxy, or with a link e-mailed through `remind.smtp`), read what
//! they must acknowledge on their own page, and press a button; the portal appends the
//! entry through the same library code as `ack` ([`crate::ack::record`]), signed with its
//! own key (declared as `portal.key` on the handbook line), with `via` saying how the
//! person signed in, and pushes the ledger in the background ([`push`], the `acks sync`
//! mechanism). Leads see their team's outstanding and overdue people.
//!
//! [`auth`] keeps sessions, links, CSRF tokens and rate limits; [`pages`] computes what
//! pages show, and [`cache`] keeps them between requests while they stay true; [`server`]
//! is the web layer (axum). Nothing here prints: the one log line per request goes to the
//! caller's sink.

pub mod auth;
pub mod cache;
pub mod pages;
pub mod push;
pub mod server;
pub mod signin;

use crate::ack::AckError;
use crate::workspace::WorkspaceError;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

/// The environment variable naming the portal's private SSH key file.
pub const KEY_ENV: &str = "NORMSCTL_PORTAL_KEY";
/// The environment variable holding the portal's secret (CSRF tokens); random when unset.
pub const SECRET_ENV: &str = "NORMSCTL_PORTAL_SECRET";

/// Why the portal cannot start, or a page cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum PortalError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    Ack(#[from] AckError),
    #[error("git: {}", .0.message())]
    Git(#[from] git2::Error),
    #[error("{0} is not on the roster any more")]
    Gone(String),
    #[error(
        "the handbook line declares no `portal.key` in normsctl.yaml: the portal cannot sign entries"
    )]
    NoPortalKey,
    #[error("{KEY_ENV} is not set: it names the portal's private SSH key file")]
    NoKeyFile,
    #[error("{0}")]
    Config(String),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: String, reason: String },
    #[error("{0}")]
    Io(String),
}

/// Everything the server needs, read once at start (settings from the clone, secrets from
/// the environment).
#[derive(Clone, Debug)]
pub struct Config {
    /// The handbook's root in the portal's clone.
    pub root: PathBuf,
    pub listen: SocketAddr,
    /// `Host` values answered (lower case); filled from the port when empty.
    pub hosts: Vec<String>,
    /// Where people reach the portal (links in e-mails); `http://<listen>` when unset.
    pub url: Option<String>,
    pub proxy_addresses: Vec<IpAddr>,
    pub proxy_header: Option<String>,
    /// Seconds a sign-in link works.
    pub link_seconds: u32,
    pub session_minutes: u32,
    pub email_links: bool,
    pub smtp: Option<crate::model::SmtpSettings>,
    pub smtp_timeout: u32,
    pub signer: pages::Signer,
    pub remote: String,
    pub sync_timeout: u32,
    pub secret: String,
    pub site_title: String,
    /// Seconds between background syncs when nothing was recorded (the handbook line is
    /// fetched too, so new texts reach the portal).
    pub sync_every: u64,
}

impl Config {
    /// Reads the settings of the handbook at `root` and the environment (`env`).
    pub fn load(
        root: PathBuf,
        listen: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, PortalError> {
        let ws = pages::open(&root)?;
        let s = &ws.settings;
        let listen_text = listen.unwrap_or(&s.portal.listen);
        let listen: SocketAddr = listen_text.trim().parse().map_err(|_| {
            PortalError::Config(format!(
                "`{listen_text}` is not an address with a port (for example 127.0.0.1:8080)"
            ))
        })?;
        let key = env(KEY_ENV)
            .filter(|k| !k.trim().is_empty())
            .ok_or(PortalError::NoKeyFile)?;
        let cx = crate::ack::Context::open(&ws)?;
        let (name, email) = cx.identity()?;
        let secret = match env(SECRET_ENV) {
            Some(s) if s.len() >= 32 => s,
            Some(_) => {
                return Err(PortalError::Config(format!(
                    "{SECRET_ENV} must be at least 32 characters"
                )));
            }
            None => auth::random_token(),
        };
        Ok(Config {
            root: ws.loc.root.clone(),
            listen,
            hosts: s
                .portal
                .hosts
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            url: s.portal.url.clone(),
            proxy_addresses: s.portal.proxy_addresses.clone(),
            proxy_header: s.portal.proxy_header.clone(),
            link_seconds: s.portal.link_seconds,
            session_minutes: s.portal.session_minutes,
            email_links: s.portal.email_links,
            smtp: s.remind.smtp.clone(),
            smtp_timeout: s.remind.timeout,
            signer: pages::Signer {
                name,
                email,
                key: PathBuf::from(key),
            },
            remote: s.acks.remote.clone(),
            sync_timeout: s.acks.sync_timeout,
            secret,
            site_title: s.title.clone(),
            sync_every: 60,
        })
    }
}
