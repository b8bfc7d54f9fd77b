//! Reading the `portal:` section of `normsctl.yaml` (how `normsctl portal` serves). Its
//! secrets (the private key, the session secret) never live here: they come from the
//! environment.

use super::decode::{Decoder, INVALID_VALUE};
use crate::model::PortalSettings;
use crate::yaml::Node;

pub const PORTAL_KEYS: &[&str] = &[
    "listen",
    "hosts",
    "url",
    "key",
    "proxy",
    "link_minutes",
    "session_minutes",
    "email_links",
];
pub const PROXY_KEYS: &[&str] = &["addresses", "header"];

/// Decodes `portal:` over its defaults.
pub fn decode(d: &mut Decoder<'_>, node: &Node) -> PortalSettings {
    let mut s = PortalSettings::default();
    let Some(f) = d.fields(node, "portal") else {
        return s;
    };
    d.unknown_keys(&f, PORTAL_KEYS, "portal");
    if let Some(t) = f
        .get("listen")
        .and_then(|e| d.non_empty_text("listen", e.value))
    {
        if t.value.parse::<std::net::SocketAddr>().is_err() {
            d.report(
                &INVALID_VALUE,
                t.pos,
                format!("`listen: {}` is not an address with a port", t.value),
            )
            .hint = Some("for example listen: 127.0.0.1:8080".into());
        } else {
            s.listen = t.value;
        }
    }
    if let Some(e) = f.get("hosts") {
        s.hosts = d
            .text_list("hosts", e.value)
            .into_iter()
            .map(|h| h.value)
            .collect();
    }
    if let Some(t) = f.get("url").and_then(|e| d.non_empty_text("url", e.value)) {
        if t.value.starts_with("https://") || t.value.starts_with("http://") {
            s.url = Some(t.value.trim_end_matches('/').to_owned());
        } else {
            d.report(
                &INVALID_VALUE,
                t.pos,
                format!("`url: {}` is not an http(s) address", t.value),
            )
            .hint = Some("for example url: https://portal.example.com".into());
        }
    }
    if let Some(e) = f.get("key") {
        let (key, after) = super::roster::signing_key(d, e.value);
        if let Some(k) = &key
            && let Err(why) = crate::model::parse_signing_key(&k.value)
        {
            d.report(
                &INVALID_VALUE,
                k.pos,
                format!("`portal.key` is not an SSH public key: {why}"),
            );
        }
        s.key = key.map(|k| k.value.trim().to_owned());
        s.key_after = after.map(|a| a.value);
    }
    if let Some(e) = f.get("proxy")
        && let Some(p) = d.fields(e.value, "portal.proxy")
    {
        d.unknown_keys(&p, PROXY_KEYS, "portal.proxy");
        if let Some(e) = p.get("addresses") {
            for a in d.text_list("addresses", e.value) {
                match a.value.parse::<std::net::IpAddr>() {
                    Ok(ip) => s.proxy_addresses.push(ip),
                    Err(_) => {
                        d.report(
                            &INVALID_VALUE,
                            a.pos,
                            format!("`{}` is not an IP address", a.value),
                        );
                    }
                }
            }
        }
        if let Some(h) = p
            .get("header")
            .and_then(|e| d.non_empty_text("header", e.value))
        {
            if h.value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                s.proxy_header = Some(h.value.to_ascii_lowercase());
            } else {
                d.report(
                    &INVALID_VALUE,
                    h.pos,
                    format!("`header: {}` is not a header name", h.value),
                );
            }
        }
    }
    if let Some(e) = f.get("link_minutes")
        && let Some(m) = d.number("link_minutes", e.value)
    {
        // Fractions are allowed (`0.5` is 30 seconds): a test of expiry needs a link that
        // expires in seconds.
        if (0.05..=60.0).contains(&m) {
            s.link_seconds = (m * 60.0).round() as u32;
        } else {
            d.report(
                &INVALID_VALUE,
                e.value.pos,
                format!("`link_minutes` is {m}; it must be a number from 0.05 (3 seconds) to 60"),
            )
            .hint = Some(
                "write a number of minutes from 0.05 to 60, for example link_minutes: 15".into(),
            );
        }
    }
    if let Some(n) = f
        .get("session_minutes")
        .and_then(|e| d.int_in("session_minutes", e.value, 1, 10_080))
    {
        s.session_minutes = n.value;
    }
    if let Some(b) = f
        .get("email_links")
        .and_then(|e| d.bool("email_links", e.value))
    {
        s.email_links = b;
    }
    s
}
