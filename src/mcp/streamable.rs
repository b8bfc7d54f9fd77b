//! `mcp --http`: the protocol's streamable HTTP transport (rmcp's) on a loopback address,
//! behind the guard every request passes first: the `Host` must name this server and an
//! `Origin`, when sent, must be one of its own (the shared rules of [`crate::http`], against
//! DNS rebinding), and the bearer token must match (a loopback port is open to every local
//! user and container). Nothing here prints.

use super::McpError;
use super::server::{Handler, State};
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

/// The endpoint's path.
pub const PATH: &str = "/mcp";
/// The environment variable a token may come from.
pub const TOKEN_ENV: &str = "NORMSCTL_MCP_TOKEN";
/// The shortest token accepted.
const MIN_TOKEN: usize = 16;

/// The token in `path`: refused when others may read the file (mode wider than 0600) or
/// when it is too short to guess.
pub fn token_from_file(path: &Path) -> Result<String, McpError> {
    use std::os::unix::fs::PermissionsExt;
    let err = |why: String| McpError::Token {
        path: path.display().to_string(),
        why,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(err(format!(
            "its mode is {mode:o}: other users can read it (run `chmod 600` on it)"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    token_from_text(text.trim()).map_err(err)
}

/// A token given as text (from the environment).
pub fn token_from_text(text: &str) -> Result<String, String> {
    let t = text.trim();
    if t.len() < MIN_TOKEN || !t.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(format!(
            "a token must be at least {MIN_TOKEN} printable characters without spaces (for example `openssl rand -hex 32`)"
        ));
    }
    Ok(t.to_owned())
}

/// Whether a request may reach the protocol: `Err` holds the status and the reason. Pure.
pub fn admit(
    host: Option<&str>,
    origin: Option<&str>,
    authorization: Option<&str>,
    path: &str,
    port: u16,
    token: &str,
) -> Result<(), (StatusCode, &'static str)> {
    if !crate::http::is_own_host(host, port) {
        return Err((
            StatusCode::FORBIDDEN,
            "this server answers only requests for 127.0.0.1, localhost or [::1] on its own port",
        ));
    }
    if origin.is_some_and(|o| !crate::http::is_own_origin(o, port)) {
        return Err((
            StatusCode::FORBIDDEN,
            "requests from web pages of other origins are refused",
        ));
    }
    let given = authorization
        .and_then(|a| a.strip_prefix("Bearer "))
        .map(str::trim);
    if !given.is_some_and(|g| same(g.as_bytes(), token.as_bytes())) {
        return Err((StatusCode::UNAUTHORIZED, "a valid bearer token is required"));
    }
    if path != PATH {
        return Err((StatusCode::NOT_FOUND, "the MCP endpoint is /mcp"));
    }
    Ok(())
}

/// Compares in time that does not depend on where the texts differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn refusal(code: StatusCode, why: &'static str) -> Response<BoxBody<Bytes, Infallible>> {
    let mut r = Response::new(Full::new(Bytes::from(format!("{why}\n"))).boxed());
    *r.status_mut() = code;
    let headers = r.headers_mut();
    headers.insert(
        "content-type",
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    // The body of a refused request is left unread: the connection ends with the answer.
    headers.insert(
        "connection",
        hyper::header::HeaderValue::from_static("close"),
    );
    if code == StatusCode::UNAUTHORIZED {
        headers.insert(
            "www-authenticate",
            hyper::header::HeaderValue::from_static("Bearer"),
        );
    }
    r
}

/// Listens on `addr`, which must be a loopback address.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, McpError> {
    if !addr.ip().is_loopback() {
        return Err(crate::http::BindError::NotLoopback(addr.ip()).into());
    }
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| McpError::Io(format!("cannot listen on {addr}: {e}")))
}

/// Serves the protocol on `listener` until the process ends.
pub async fn serve(
    state: Arc<State>,
    listener: tokio::net::TcpListener,
    token: String,
) -> Result<(), McpError> {
    let port = listener
        .local_addr()
        .map_err(|e| McpError::Io(e.to_string()))?
        .port();
    let mut config = StreamableHttpServerConfig::default();
    // rmcp's own checks, with the same lists as the guard in front of it.
    config.allowed_hosts = crate::http::own_hosts(port);
    config.allowed_origins = crate::http::own_hosts(port)
        .iter()
        .map(|h| format!("http://{h}"))
        .collect();
    let service = StreamableHttpService::new(
        move || Ok(Handler(Arc::clone(&state))),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let token = Arc::new(token);
    loop {
        let (stream, _) = listener
            .accept()
            .await
            .map_err(|e| McpError::Io(e.to_string()))?;
        let service = service.clone();
        let token = Arc::clone(&token);
        tokio::spawn(async move {
            let guarded = hyper::service::service_fn(move |req: Request<Incoming>| {
                let service = service.clone();
                let token = Arc::clone(&token);
                async move {
                    let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok());
                    if let Err((code, why)) = admit(
                        header("host"),
                        header("origin"),
                        header("authorization"),
                        req.uri().path(),
                        port,
                        &token,
                    ) {
                        return Ok::<_, Infallible>(refusal(code, why));
                    }
                    Ok(service.handle(req).await)
                }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, guarded)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "0123456789abcdef0123";

    #[test]
    fn the_guard() {
        let ok = |h, o, a, p| admit(h, o, a, p, 8765, T).map_err(|e| e.0);
        let bearer = format!("Bearer {T}");
        let b = Some(bearer.as_str());
        assert_eq!(ok(Some("127.0.0.1:8765"), None, b, "/mcp"), Ok(()));
        assert_eq!(
            ok(
                Some("localhost:8765"),
                Some("http://localhost:8765"),
                b,
                "/mcp"
            ),
            Ok(())
        );
        assert_eq!(
            ok(Some("evil.example:8765"), None, b, "/mcp"),
            Err(StatusCode::FORBIDDEN)
        );
        assert_eq!(
            ok(
                Some("127.0.0.1:8765"),
                Some("https://evil.example"),
                b,
                "/mcp"
            ),
            Err(StatusCode::FORBIDDEN)
        );
        assert_eq!(
            ok(Some("127.0.0.1:8765"), None, None, "/mcp"),
            Err(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            ok(
                Some("127.0.0.1:8765"),
                None,
                Some("Bearer 0123456789abcdef0124"),
                "/mcp"
            ),
            Err(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            ok(Some("127.0.0.1:8765"), None, b, "/"),
            Err(StatusCode::NOT_FOUND)
        );
    }

    #[test]
    fn tokens() {
        assert!(token_from_text("short").is_err());
        assert!(token_from_text("has a space in it, long enough").is_err());
        assert_eq!(token_from_text(&format!(" {T}\n")).unwrap(), T);
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("token");
        std::fs::write(&f, T).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(token_from_file(&f), Err(McpError::Token { .. })));
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(token_from_file(&f).unwrap(), T);
    }
}
