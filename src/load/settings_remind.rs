//! Reading the `remind:` section of `normsctl.yaml` (how `acks remind --send` delivers).
//! Only names of environment variables are read here, never a secret.

use super::decode::{Decoder, INVALID_VALUE};
use crate::model::{Located, RemindSettings, SmtpSettings, Webhook};
use crate::yaml::Node;

pub const REMIND_KEYS: &[&str] = &["smtp", "webhooks", "max_messages", "timeout"];
pub const SMTP_KEYS: &[&str] = &[
    "host",
    "port",
    "from",
    "starttls",
    "username_env",
    "password_env",
    "ca_file",
];

/// Whether `name` can be an environment variable's name (`[A-Za-z_][A-Za-z0-9_]*`).
pub fn is_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Decodes `remind:` over its defaults.
pub fn decode(d: &mut Decoder<'_>, node: &Node) -> RemindSettings {
    let mut s = RemindSettings::default();
    let Some(f) = d.fields(node, "remind") else {
        return s;
    };
    d.unknown_keys(&f, REMIND_KEYS, "remind");
    if let Some(n) = f
        .get("max_messages")
        .and_then(|e| d.int_in("max_messages", e.value, 1, 100_000))
    {
        s.max_messages = n.value;
    }
    if let Some(n) = f
        .get("timeout")
        .and_then(|e| d.int_in("timeout", e.value, 1, 600))
    {
        s.timeout = n.value;
    }
    if let Some(e) = f.get("webhooks")
        && let Some(hooks) = d.fields(e.value, "webhooks")
    {
        for hook in &hooks.entries {
            if let Some(var) = env_name(d, &hook.key, hook.value) {
                s.webhooks.push(Webhook {
                    team: Located::new(hook.key.clone(), hook.key_pos),
                    env: var,
                    file: d.file.to_owned(),
                });
            }
        }
    }
    if let Some(e) = f.get("smtp")
        && let Some(m) = d.fields(e.value, "smtp")
    {
        d.unknown_keys(&m, SMTP_KEYS, "smtp");
        let host = m
            .get("host")
            .and_then(|e| d.non_empty_text("host", e.value));
        let from = m
            .get("from")
            .and_then(|e| d.non_empty_text("from", e.value));
        if host.is_none() && m.get("host").is_none() {
            d.report(
                &crate::load::decode::MISSING_KEY,
                m.pos,
                "`remind.smtp` has no `host`",
            )
            .hint = Some("name the relay: host: smtp.example.com".into());
        }
        if from.is_none() && m.get("from").is_none() {
            d.report(
                &crate::load::decode::MISSING_KEY,
                m.pos,
                "`remind.smtp` has no `from`",
            )
            .hint = Some("give the sender: from: Handbook <handbook@example.com>".into());
        }
        if let Some(f) = &from
            && f.value.parse::<lettre::message::Mailbox>().is_err()
        {
            d.report(
                &INVALID_VALUE,
                f.pos,
                format!("`{}` is not an e-mail address", f.value),
            )
            .hint = Some("write an address, or Name <address>".into());
        }
        let port = m
            .get("port")
            .and_then(|e| d.int_in("port", e.value, 1, 65_535))
            .map_or(587, |p| p.value as u16);
        let starttls = m
            .get("starttls")
            .and_then(|e| d.bool("starttls", e.value))
            .unwrap_or(true);
        let mut var = |key: &str| m.get(key).and_then(|e| env_name(d, key, e.value));
        let username_env = var("username_env");
        let password_env = var("password_env");
        let ca_file = m
            .get("ca_file")
            .and_then(|e| d.non_empty_text("ca_file", e.value))
            .map(|t| t.value);
        if let (Some(host), Some(from)) = (host, from) {
            s.smtp = Some(SmtpSettings {
                host: host.value,
                port,
                from: from.value,
                starttls,
                username_env,
                password_env,
                ca_file,
            });
        }
    }
    s
}

/// The name of an environment variable (never its value: a secret has no place in a
/// committed file, so a value that looks like a URL is refused with that hint).
fn env_name(d: &mut Decoder<'_>, key: &str, node: &Node) -> Option<String> {
    let text = d.non_empty_text(key, node)?;
    if is_env_name(&text.value) {
        return Some(text.value);
    }
    let hint = if text.value.contains("://") || text.value.contains('@') {
        "this looks like a secret: put it in an environment variable and name the variable here (NORMSCTL_WEBHOOK_TIER1)"
    } else {
        "name an environment variable: letters, digits and _, not starting with a digit"
    };
    d.report(
        &INVALID_VALUE,
        text.pos,
        // The value is not repeated: it may be the very secret that must not be shown.
        format!("`{key}` must name an environment variable"),
    )
    .hint = Some(hint.into());
    None
}
