//! The portal's web layer (axum on tokio): routes, the guard every request passes (Host
//! allow-list, trusted proxy addresses, same-origin POSTs, security headers, one log line
//! without personal data), cookies (`HttpOnly`, `SameSite=Strict`, `Secure` behind https)
//! and the pages, rendered through the handbook's template set (`portal.html`, overridable
//! like every template) with the site's stylesheet and Content-Security-Policy.

use super::auth::{self, Method, Store};
use super::pages::{self, Who};
use super::push::Pusher;
use super::signin;
use super::{Config, PortalError};
use crate::ack::AckError;
use crate::ack::entry::Via;
use axum::Router;
use axum::extract::{ConnectInfo, Form, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The Content-Security-Policy of the site's pages, sent as a header too.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
pub(super) const SESSION_COOKIE: &str = "normsctl_session";
pub(super) const SIGNIN_COOKIE: &str = "normsctl_signin";
/// The least time a sign-in request takes to answer, whether or not the address is known.
pub(super) const SIGNIN_FLOOR: Duration = Duration::from_millis(300);

/// The running portal.
pub struct App {
    pub cfg: Config,
    /// The address links point at (`portal.url`, else `http://<bound address>`).
    pub base_url: String,
    pub hosts: Vec<String>,
    secure: bool,
    store: Mutex<Store>,
    templates: crate::site::templates::Templates,
    /// One append at a time from this portal (other writers meet the ledger's lock).
    writing: tokio::sync::Mutex<()>,
    pub pusher: Arc<Pusher>,
    pub(super) log: Arc<dyn Fn(String) + Send + Sync>,
    /// What the next page of a signed-in person says (after an acknowledgement), by the
    /// hash of their CSRF key: kept server-side, never in a URL.
    notices: Mutex<std::collections::HashMap<String, String>>,
    /// People's pages and identities kept between requests.
    kept: super::cache::Kept,
}

impl App {
    /// Sets the portal up for a listener bound at `bound`.
    pub fn new(
        cfg: Config,
        bound: SocketAddr,
        pusher: Arc<Pusher>,
        log: Arc<dyn Fn(String) + Send + Sync>,
    ) -> Result<Arc<App>, PortalError> {
        let ws = pages::open(&cfg.root)?;
        let templates = crate::site::load_templates(&ws.loc, &ws.settings)
            .map_err(|e| PortalError::Config(e.to_string()))?;
        let base_url = cfg.url.clone().unwrap_or_else(|| format!("http://{bound}"));
        let mut hosts = cfg.hosts.clone();
        if hosts.is_empty() {
            hosts = crate::http::own_hosts(bound.port());
        }
        if let Some(h) = base_url
            .split("://")
            .nth(1)
            .map(|r| r.split('/').next().unwrap_or(r))
        {
            hosts.push(h.to_owned());
        }
        let hosts = hosts.into_iter().map(|h| h.to_ascii_lowercase()).collect();
        let store = Store::new(
            cfg.secret.clone(),
            Duration::from_secs(u64::from(cfg.session_minutes) * 60),
            Duration::from_secs(u64::from(cfg.link_seconds)),
        );
        Ok(Arc::new(App {
            secure: base_url.starts_with("https://"),
            base_url,
            hosts,
            store: Mutex::new(store),
            templates,
            writing: tokio::sync::Mutex::new(()),
            pusher,
            log,
            notices: Mutex::new(std::collections::HashMap::new()),
            kept: super::cache::Kept::new(cfg.root.clone(), ws.settings.acks.clone()),
            cfg,
        }))
    }

    pub(super) fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn cookie(&self, name: &str, value: &str, max_age: u64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
        ))
        .expect("a cookie of hex digits is a header value")
    }

    pub(super) fn render(&self, status: StatusCode, ctx: minijinja::Value) -> Response {
        let base = minijinja::context! { site_title => self.cfg.site_title.clone() };
        let ctx = minijinja::context! { ..ctx, ..base };
        match self.templates.render("portal.html", ctx) {
            Ok(html) => (
                status,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                html,
            )
                .into_response(),
            Err(e) => {
                (self.log)(format!("template error: {e}"));
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the page cannot be rendered\n",
                )
                    .into_response()
            }
        }
    }

    pub(super) fn message(&self, status: StatusCode, title: &str, message: &str) -> Response {
        self.render(
            status,
            minijinja::context! { view => "message", title => title, message => message },
        )
    }
}

/// The router with every route and the guard.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/assets/{name}", get(asset))
        .route("/sign-in", post(signin::sign_in))
        .route(
            "/sign-in/link",
            get(signin::link_page).post(signin::use_link),
        )
        .route("/sign-out", post(signin::sign_out))
        .route("/ack", post(acknowledge))
        .route("/team", get(team))
        .layer(middleware::from_fn_with_state(Arc::clone(&app), guard))
        .with_state(app)
}

/// Serves until the process ends.
pub async fn serve(app: Arc<App>, listener: tokio::net::TcpListener) -> Result<(), PortalError> {
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .map_err(|e| PortalError::Io(e.to_string()))
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether the request comes from a configured proxy address.
fn from_proxy(app: &App, peer: SocketAddr) -> bool {
    let ip = match peer.ip() {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer.ip(), Into::into),
        ip => ip,
    };
    app.cfg.proxy_addresses.contains(&ip)
}

/// Every request: the Host allow-list, the proxy header only from the proxy, POSTs only
/// from the portal's own pages, security headers, and one log line (method, path without
/// its query, status, time: nothing personal).
async fn guard(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let headers = req.headers();
    let host = header_text(headers, "host").map(|h| h.trim().to_ascii_lowercase());
    let mut response = if !host.as_ref().is_some_and(|h| app.hosts.contains(h)) {
        (
            StatusCode::MISDIRECTED_REQUEST,
            "this portal does not answer to that host name\n",
        )
            .into_response()
    } else if let Some(h) = &app.cfg.proxy_header
        && headers.contains_key(h.as_str())
        && !from_proxy(&app, peer)
    {
        (
            StatusCode::FORBIDDEN,
            "an identity header from an address that is not the configured proxy is refused\n",
        )
            .into_response()
    } else if method == axum::http::Method::POST
        && !same_origin(&app, headers, host.as_deref().unwrap_or(""))
    {
        (
            StatusCode::FORBIDDEN,
            "a form from another site is refused\n",
        )
            .into_response()
    } else {
        next.run(req).await
    };
    let h = response.headers_mut();
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    (app.log)(format!(
        "{method} {path} {} {} ms",
        response.status().as_u16(),
        started.elapsed().as_millis()
    ));
    response
}

/// A POST must come from the portal's own pages: a browser's `Sec-Fetch-Site` must not say
/// another site, and an `Origin` (else a `Referer`) must be the portal itself. Pages are
/// served with `no-referrer`, under which browsers send `Origin: null` on their own
/// forms: that decides nothing, and the CSRF token (with `SameSite=Strict` cookies) still
/// does.
fn same_origin(app: &App, headers: &HeaderMap, host: &str) -> bool {
    if let Some(site) = header_text(headers, "sec-fetch-site")
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let own = |o: &str| {
        let o = o.trim().trim_end_matches('/').to_ascii_lowercase();
        o == app.base_url.to_ascii_lowercase()
            || o == format!("http://{host}")
            || o == format!("https://{host}")
    };
    match (
        header_text(headers, "origin"),
        header_text(headers, "referer"),
    ) {
        (Some("null"), _) => true,
        (Some(o), _) => own(o),
        (None, Some(r)) => {
            let origin: String = r.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
            own(&origin)
        }
        // Not a browser's cross-site form: the CSRF token still decides.
        (None, None) => true,
    }
}

pub(super) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Who is signed in, and the key their forms' CSRF tokens are bound to.
#[derive(Clone, Debug)]
struct Signed {
    person: String,
    method: Method,
    identity: String,
    csrf_key: String,
}

/// The signed-in person: from the trusted proxy's header, else from the session cookie.
fn signed(app: &App, peer: SocketAddr, headers: &HeaderMap) -> Option<Signed> {
    if let Some(h) = &app.cfg.proxy_header
        && from_proxy(app, peer)
        && let Some(identity) = header_text(headers, h)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    {
        return Some(Signed {
            person: String::new(),
            method: Method::Proxy,
            identity: identity.to_owned(),
            csrf_key: format!("proxy\0{identity}"),
        });
    }
    let id = cookie_value(headers, SESSION_COOKIE)?;
    let store = app.store();
    let s = store.session(&id)?;
    Some(Signed {
        person: s.person.clone(),
        method: s.method,
        identity: s.identity.clone(),
        csrf_key: id,
    })
}

/// Resolves a proxy identity to a roster person (sessions carry theirs already); someone
/// signed in who is not on the roster gets the page that says so.
async fn resolve(app: &Arc<App>, mut s: Signed) -> Result<(Signed, Who), Response> {
    let who = if s.method == Method::Proxy {
        s.identity.clone()
    } else {
        s.person.clone()
    };
    let a = Arc::clone(app);
    let found = tokio::task::spawn_blocking(move || a.kept.lookup(&who))
        .await
        .map_err(|_| internal(app))?
        .map_err(|e| failed(app, &e))?;
    let Some(w) = found else {
        return Err(app.message(
            StatusCode::FORBIDDEN,
            "Not on the roster",
            "You are signed in, but not as anyone on the handbook's roster. Ask the handbook's owners to add you.",
        ));
    };
    s.person = w.id.clone();
    Ok((s, w))
}

fn internal(app: &App) -> Response {
    app.message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "The portal could not answer. Try again in a moment.",
    )
}

fn failed(app: &App, e: &PortalError) -> Response {
    (app.log)(format!(
        "error: {}",
        e.to_string().lines().next().unwrap_or("")
    ));
    internal(app)
}

async fn ready(State(app): State<Arc<App>>) -> Response {
    let root = app.cfg.root.clone();
    let ok = tokio::task::spawn_blocking(move || {
        let ws = pages::open(&root).ok()?;
        let cx = crate::ack::Context::open(&ws).ok()?;
        cx.line().ok().map(|_| ())
    })
    .await
    .ok()
    .flatten()
    .is_some();
    let pending = app.pusher.pending.load(std::sync::atomic::Ordering::SeqCst);
    let failures = app
        .pusher
        .failures
        .load(std::sync::atomic::Ordering::SeqCst);
    let body = format!(
        "handbook line: {}\npushes pending: {pending}\nfailed syncs in a row: {failures}\n",
        if ok { "ok" } else { "missing" }
    );
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body).into_response()
}

async fn asset(
    State(app): State<Arc<App>>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Response {
    let Some((_, bytes)) = app
        .templates
        .assets()
        .iter()
        .find(|(n, _)| *n == name && (n.ends_with(".css") || n.ends_with(".svg")))
    else {
        return (StatusCode::NOT_FOUND, "no such asset\n").into_response();
    };
    let kind = if name.ends_with(".css") {
        "text/css; charset=utf-8"
    } else {
        "image/svg+xml"
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        bytes.to_vec(),
    )
        .into_response()
}

async fn home(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let Some(s) = signed(&app, peer, &headers) else {
        return signin::sign_in_page(&app, &headers);
    };
    let notice = app
        .notices
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&auth::hash(&s.csrf_key));
    person_response(&app, s, notice).await
}

/// A person's own page (or why they cannot use the portal).
async fn person_response(app: &Arc<App>, s: Signed, notice: Option<String>) -> Response {
    let (s, who) = match resolve(app, s).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    if who.keyed {
        return keyed(app);
    }
    let (a, person) = (Arc::clone(app), s.person.clone());
    let page = match tokio::task::spawn_blocking(move || a.kept.person_page(&person)).await {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return failed(app, &e),
        Err(_) => return internal(app),
    };
    let csrf = app.store().csrf(&s.csrf_key);
    let leads = !page.leads.is_empty();
    app.render(
        StatusCode::OK,
        minijinja::context! {
            view => "me", title => "My acknowledgements", page => minijinja::Value::from(minijinja::value::Serde(&*page)), csrf => csrf,
            person => true, leads => leads, notice => notice,
        },
    )
}

fn keyed(app: &App) -> Response {
    app.message(
        StatusCode::FORBIDDEN,
        "Acknowledge with your key",
        "You have a signing key on the roster, so the portal never acknowledges in your name: use `normsctl ack --key` in your clone of the handbook.",
    )
}

#[derive(Deserialize)]
struct AckForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    policy: String,
    #[serde(default)]
    blob: String,
}

/// Records the signed-in person's acknowledgement of the text they were shown. The person
/// is the session's, never a form field.
async fn acknowledge(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<AckForm>,
) -> Response {
    let Some(s) = signed(&app, peer, &headers) else {
        return app.message(
            StatusCode::FORBIDDEN,
            "Signed out",
            "Your session ended. Sign in again to acknowledge.",
        );
    };
    if !app.store().csrf_ok(&s.csrf_key, &form.csrf) {
        return app.message(
            StatusCode::FORBIDDEN,
            "Form expired",
            "The form was not this portal's, or it expired. Reload the page and try again.",
        );
    }
    let (s, who) = match resolve(&app, s).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    if who.keyed {
        return keyed(&app);
    }
    let via = Via {
        channel: "portal".into(),
        method: s.method.as_str().into(),
        identity: s.identity.clone(),
    };
    let outcome = {
        let _one = app.writing.lock().await;
        let (a, person) = (Arc::clone(&app), s.person.clone());
        let (policy, blob) = (form.policy.clone(), form.blob.clone());
        tokio::task::spawn_blocking(move || {
            // The page they acknowledged from is kept with the policy moved to the
            // acknowledged ones: the page after the redirect needs no judging.
            let before = a.kept.before_append(&person);
            let rec = pages::acknowledge(&a.cfg.root, &a.cfg.signer, &person, &policy, &blob, via)?;
            if rec.commit.is_some() {
                a.kept.appended(&person, &policy, before);
            }
            Ok::<_, PortalError>(rec)
        })
        .await
    };
    let notice = match outcome {
        Ok(Ok(rec)) => {
            if rec.commit.is_some() {
                app.pusher.notify();
                (app.log)("acknowledgement recorded".into());
            }
            let notice = match rec.written.first() {
                Some((p, r, _)) => format!("Recorded: you acknowledged {p} revision {r}."),
                None => "You had acknowledged this revision already.".to_owned(),
            };
            // Back to the person's page (a reload does not post again).
            app.notices
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(auth::hash(&s.csrf_key), notice);
            return Redirect::to("/").into_response();
        }
        Ok(Err(PortalError::Ack(AckError::TextChanged { id }))) => format!(
            "{id} changed since you opened the page: nothing was recorded. Read the new text below."
        ),
        Ok(Err(PortalError::Ack(
            e @ (AckError::UnknownPolicy { .. }
            | AckError::NoAckNeeded(_)
            | AckError::PortalRefusesKeyed { .. }),
        ))) => format!("Nothing was recorded: {e}"),
        Ok(Err(e)) => return failed(&app, &e),
        Err(_) => return internal(&app),
    };
    person_response(&app, s, Some(notice)).await
}

async fn team(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let Some(s) = signed(&app, peer, &headers) else {
        return signin::sign_in_page(&app, &headers);
    };
    let (s, _) = match resolve(&app, s).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let root = app.cfg.root.clone();
    let person = s.person.clone();
    let page = match tokio::task::spawn_blocking(move || pages::team_page(&root, &person)).await {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return failed(&app, &e),
        Err(_) => return internal(&app),
    };
    let Some(page) = page else {
        return app.message(
            StatusCode::FORBIDDEN,
            "Leads only",
            "Team pages are for the leads of a team on the roster.",
        );
    };
    let csrf = app.store().csrf(&s.csrf_key);
    app.render(
        StatusCode::OK,
        minijinja::context! { view => "team", title => "My team", team => minijinja::Value::from(minijinja::value::Serde(&page)), csrf => csrf, person => true, leads => true },
    )
}
