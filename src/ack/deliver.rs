//! Sending what `acks remind` composed: e-mails through an SMTP relay (lettre, STARTTLS
//! required unless the settings say otherwise, credentials from environment variables, an
//! optional CA file), and team summaries to incoming webhooks (ureq). Every request has a
//! time limit; each failure is kept with its recipient, and sending goes on with the next.
//! Stateless: nothing records what was sent, so a second run sends again.

use crate::model::SmtpSettings;
use crate::render::remind::mail::{Mail, Post};
use std::path::Path;
use std::time::Duration;

/// One message that did not go out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Who it was for (`ana <ana@example.com>`, `team tier1`).
    pub recipient: String,
    pub reason: String,
}

/// What a delivery did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Recipients sent to.
    pub sent: Vec<String>,
    pub failed: Vec<Failure>,
}

/// What stops a delivery before any message (a setting that cannot work).
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error("`--send smtp` needs a `remind.smtp` section in normsctl.yaml")]
    NoSmtp,
    #[error("the environment variable {0} (named by remind.smtp) is not set")]
    MissingEnv(String),
    #[error("cannot read the CA file {path}: {reason}")]
    CaFile { path: String, reason: String },
    #[error("the sender `{0}` (remind.smtp.from) is not an e-mail address")]
    BadFrom(String),
    #[error("cannot set up TLS for {host}: {reason}")]
    Tls { host: String, reason: String },
}

/// Sends each mail in its own SMTP conversation, bounded by `timeout`. `env` reads an
/// environment variable (tests pass their own); `root` is where a relative `ca_file` is.
pub fn send_mails(
    smtp: &SmtpSettings,
    root: &Path,
    mails: &[Mail],
    timeout: Duration,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Delivered, DeliverError> {
    use lettre::message::{Mailbox, MultiPart};
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    use lettre::{Message, SmtpTransport, Transport};

    let from: Mailbox = smtp
        .from
        .parse()
        .map_err(|_| DeliverError::BadFrom(smtp.from.clone()))?;
    let read = |name: &Option<String>| -> Result<Option<String>, DeliverError> {
        match name {
            None => Ok(None),
            Some(var) => env(var)
                .map(Some)
                .ok_or_else(|| DeliverError::MissingEnv(var.clone())),
        }
    };
    let user = read(&smtp.username_env)?;
    let password = read(&smtp.password_env)?;
    let tls = if smtp.starttls {
        let mut params = TlsParameters::builder(smtp.host.clone());
        if let Some(ca) = &smtp.ca_file {
            let path = root.join(ca);
            let pem = std::fs::read(&path).map_err(|e| DeliverError::CaFile {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            let cert = Certificate::from_pem(&pem).map_err(|e| DeliverError::CaFile {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?;
            params = params.add_root_certificate(cert);
        }
        let params = params.build_rustls().map_err(|e| DeliverError::Tls {
            host: smtp.host.clone(),
            reason: e.to_string(),
        })?;
        Tls::Required(params)
    } else {
        Tls::None
    };
    let mut builder = SmtpTransport::builder_dangerous(smtp.host.clone())
        .port(smtp.port)
        .timeout(Some(timeout))
        .tls(tls);
    if let (Some(u), Some(p)) = (user, password) {
        builder = builder.credentials(Credentials::new(u, p));
    }
    let transport = builder.build();
    let mut out = Delivered::default();
    for m in mails {
        let recipient = format!("{} <{}>", m.about, m.to_addr);
        let message = m
            .to_addr
            .parse()
            .map_err(|e: lettre::address::AddressError| e.to_string())
            .and_then(|addr| {
                Message::builder()
                    .from(from.clone())
                    .to(Mailbox::new(Some(m.to_name.clone()), addr))
                    .subject(m.subject.clone())
                    .multipart(MultiPart::alternative_plain_html(
                        m.text.clone(),
                        m.html.clone(),
                    ))
                    .map_err(|e| e.to_string())
            });
        let result = message.and_then(|msg| {
            transport
                .send(&msg)
                .map(|_| ())
                .map_err(|e| smtp_reason(&e))
        });
        match result {
            Ok(()) => out.sent.push(recipient),
            Err(reason) => out.failed.push(Failure { recipient, reason }),
        }
    }
    Ok(out)
}

/// An SMTP error in words, with its causes (a refused STARTTLS, a certificate), and a
/// time limit that ran out said as such (a socket read timing out reads "Resource
/// temporarily unavailable").
fn smtp_reason(e: &lettre::transport::smtp::Error) -> String {
    let mut reason = e.to_string();
    let mut timed_out = e.is_timeout();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            timed_out |= matches!(
                io.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            );
        }
        let said = s.to_string();
        if !reason.contains(&said) {
            reason.push_str(": ");
            reason.push_str(&said);
        }
        source = s.source();
    }
    if timed_out {
        return "the relay did not answer within the time limit (remind.timeout)".to_owned();
    }
    reason
}

/// Posts each summary to the URL its environment variable holds, bounded by `timeout`;
/// a status other than 2xx is a failure. The URL is never shown (it is a secret).
pub fn send_posts(
    posts: &[Post],
    timeout: Duration,
    env: &dyn Fn(&str) -> Option<String>,
) -> Delivered {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .build();
    let agent = ureq::Agent::new_with_config(config);
    let mut out = Delivered::default();
    for p in posts {
        let recipient = format!("team {} (${})", p.team_id, p.env);
        let result = match env(&p.env) {
            None => Err(format!("the environment variable {} is not set", p.env)),
            Some(url) if !(url.starts_with("https://") || url.starts_with("http://")) => {
                Err(format!(
                    "the environment variable {} does not hold an http(s) URL",
                    p.env
                ))
            }
            Some(url) => match agent
                .post(url.trim())
                .content_type("application/json")
                .send(p.body.as_bytes())
            {
                Ok(r) if r.status().is_success() => Ok(()),
                Ok(r) => Err(format!("the webhook answered HTTP {}", r.status())),
                Err(ureq::Error::Timeout(_)) => Err(
                    "the webhook did not answer within the time limit (remind.timeout)".to_owned(),
                ),
                Err(e) => Err(format!("the webhook could not be reached: {e}")),
            },
        };
        match result {
            Ok(()) => out.sent.push(recipient),
            Err(reason) => out.failed.push(Failure { recipient, reason }),
        }
    }
    out
}
