//! The rules every local HTTP server of normsctl applies before answering (`serve`, and
//! `mcp --http`): which names it answers to (`Host`, against DNS rebinding), which pages may
//! call it (`Origin`), and which addresses it may listen on (loopback only). Written once,
//! so that a protection is the same everywhere. Pure: no I/O, nothing printed.

use std::net::{IpAddr, SocketAddr};

/// The `Host` values a server listening on `port` answers to: the loopback names with the
/// port (and without it only on port 80, where browsers leave it out).
pub fn own_hosts(port: u16) -> Vec<String> {
    let mut hosts = Vec::new();
    for name in ["127.0.0.1", "localhost", "[::1]"] {
        hosts.push(format!("{name}:{port}"));
        if port == 80 {
            hosts.push(name.to_owned());
        }
    }
    hosts
}

/// Whether `host` (a request's `Host` header) names this server on `port`. A page on
/// another site that rebinds its name to 127.0.0.1 sends its own name, and is refused.
pub fn is_own_host(host: Option<&str>, port: u16) -> bool {
    host.is_some_and(|h| {
        own_hosts(port)
            .iter()
            .any(|k| k.eq_ignore_ascii_case(h.trim()))
    })
}

/// Whether `origin` (a request's `Origin` header) is one of this server's own pages
/// (`http://127.0.0.1:PORT`, `http://localhost:PORT`, `http://[::1]:PORT`). `None` (no
/// `Origin`: not a browser's cross-site request) is the caller's decision.
pub fn is_own_origin(origin: &str, port: u16) -> bool {
    own_hosts(port)
        .iter()
        .any(|k| origin.trim().eq_ignore_ascii_case(&format!("http://{k}")))
}

/// Why an address may not be listened on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BindError {
    #[error("`{0}` is not an address with a port (for example 127.0.0.1:8765)")]
    NotAnAddress(String),
    #[error(
        "{0} is not a loopback address: a local server listens on 127.0.0.1 or [::1] only, where no other machine can reach it"
    )]
    NotLoopback(IpAddr),
}

/// The loopback socket address `text` names (`127.0.0.1:8765`, `[::1]:8765`,
/// `localhost:8765`); any other address is refused.
pub fn loopback_addr(text: &str) -> Result<SocketAddr, BindError> {
    let text = text.trim();
    let addr = match text.strip_prefix("localhost:") {
        Some(port) => port
            .parse::<u16>()
            .map(|p| SocketAddr::from(([127, 0, 0, 1], p)))
            .map_err(|_| BindError::NotAnAddress(text.to_owned()))?,
        None => text
            .parse::<SocketAddr>()
            .map_err(|_| BindError::NotAnAddress(text.to_owned()))?,
    };
    if !addr.ip().is_loopback() {
        return Err(BindError::NotLoopback(addr.ip()));
    }
    Ok(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_origins() {
        assert!(is_own_host(Some("127.0.0.1:4040"), 4040));
        assert!(is_own_host(Some("LOCALHOST:4040"), 4040));
        assert!(is_own_host(Some("[::1]:4040"), 4040));
        assert!(!is_own_host(Some("evil.example:4040"), 4040));
        assert!(!is_own_host(Some("127.0.0.1:4041"), 4040));
        assert!(!is_own_host(Some("127.0.0.1"), 4040));
        assert!(is_own_host(Some("127.0.0.1"), 80));
        assert!(!is_own_host(None, 4040));
        assert!(is_own_origin("http://localhost:4040", 4040));
        for bad in ["https://evil.example", "null", "http://127.0.0.1:9999"] {
            assert!(!is_own_origin(bad, 4040), "{bad}");
        }
    }

    #[test]
    fn only_loopback_addresses() {
        assert_eq!(
            loopback_addr("127.0.0.1:8765").unwrap(),
            "127.0.0.1:8765".parse().unwrap()
        );
        assert!(loopback_addr("[::1]:1").is_ok());
        assert!(loopback_addr("localhost:0").is_ok());
        assert!(matches!(
            loopback_addr("0.0.0.0:8765"),
            Err(BindError::NotLoopback(_))
        ));
        assert!(matches!(
            loopback_addr("192.168.1.2:80"),
            Err(BindError::NotLoopback(_))
        ));
        assert!(matches!(
            loopback_addr("example.com:80"),
            Err(BindError::NotAnAddress(_))
        ));
    }
}
