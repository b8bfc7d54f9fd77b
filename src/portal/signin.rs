//! The portal's sign-in pages: the e-mail form, the link's page and its button, and
//! signing out. Tokens and sessions live in [`super::auth::Store`]; only their hashes are
//! kept. The answer to a link request is the same, in the same time, for any address.

use super::auth;
use super::pages;
use super::server::{App, SESSION_COOKIE, SIGNIN_COOKIE, SIGNIN_FLOOR, cookie_value};
use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The sign-in page, with a sign-in cookie the browser keeps (links work only there).
pub(super) fn sign_in_page(app: &App, headers: &HeaderMap) -> Response {
    let (cookie, fresh) = match cookie_value(headers, SIGNIN_COOKIE) {
        Some(c) => (c, false),
        None => (auth::random_token(), true),
    };
    let csrf = app.store().csrf(&cookie);
    let mut r = app.render(
        StatusCode::OK,
        minijinja::context! {
            view => "signin", title => "Sign in", csrf => csrf,
            email_links => app.cfg.email_links && app.cfg.smtp.is_some(),
        },
    );
    if fresh {
        r.headers_mut()
            .append(header::SET_COOKIE, app.cookie(SIGNIN_COOKIE, &cookie, 3600));
    }
    r
}

#[derive(Deserialize)]
pub(super) struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

/// Asks for a sign-in link. The answer, and its timing, are the same whether or not the
/// address is on the roster; the mail goes out in the background.
pub(super) async fn sign_in(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let started = Instant::now();
    let Some(browser) = cookie_value(&headers, SIGNIN_COOKIE) else {
        return app.message(
            StatusCode::FORBIDDEN,
            "Cookies needed",
            "This browser did not keep the sign-in cookie. Allow cookies for this site and try again.",
        );
    };
    if !app.store().csrf_ok(&browser, &form.csrf) {
        return app.message(
            StatusCode::FORBIDDEN,
            "Form expired",
            "The form was not this portal's, or it expired. Go back, reload and try again.",
        );
    }
    if !(app.cfg.email_links && app.cfg.smtp.is_some()) {
        return app.message(
            StatusCode::NOT_FOUND,
            "No e-mail sign-in",
            "This portal signs people in through the company's single sign-on only.",
        );
    }
    let email = form.email.trim().to_ascii_lowercase();
    let allowed = {
        let mut store = app.store();
        let by_client = store.allow(&format!("client\0{}", peer.ip()), auth::PER_CLIENT);
        let by_address = store.allow(&format!("address\0{email}"), auth::PER_ADDRESS);
        by_client && by_address
    };
    if !allowed {
        return app.message(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests",
            "Too many sign-in links were asked for. Wait a few minutes and try again.",
        );
    }
    let valid = email.len() <= 254 && email.contains('@') && !email.contains(char::is_whitespace);
    if valid {
        let app2 = Arc::clone(&app);
        tokio::task::spawn_blocking(move || send_link(&app2, &email, &browser));
    }
    let wait = SIGNIN_FLOOR.saturating_sub(started.elapsed());
    tokio::time::sleep(wait).await;
    app.render(
        StatusCode::OK,
        minijinja::context! {
            view => "sent", title => "Check your e-mail", lifetime => lifetime(app.cfg.link_seconds),
            minutes => app.cfg.link_seconds.div_ceil(60),
        },
    )
}

/// How long a link works, in words: "15 minutes", "1 minute", "30 seconds".
fn lifetime(seconds: u32) -> String {
    match (seconds / 60, seconds % 60) {
        (1, 0) => "1 minute".to_owned(),
        (m, 0) => format!("{m} minutes"),
        _ => format!("{seconds} seconds"),
    }
}

/// Sends a sign-in link to `email` when it is someone's on the roster (nothing otherwise).
fn send_link(app: &App, email: &str, browser: &str) {
    let Ok(Some(who)) = pages::lookup(&app.cfg.root, email) else {
        return;
    };
    let Some(smtp) = &app.cfg.smtp else { return };
    let token = app.store().new_link(&who.id, email, browser);
    let url = format!("{}/sign-in/link?t={token}", app.base_url);
    let within = lifetime(app.cfg.link_seconds);
    let title = &app.cfg.site_title;
    let text = format!(
        "Someone (we hope you) asked to sign in to the {title} acknowledgement portal.\n\nOpen this link in the same browser within {within}:\n\n{url}\n\nIf it was not you, ignore this e-mail.\n"
    );
    let esc = crate::site::templates::escape_html;
    let html = format!(
        "<p>Someone (we hope you) asked to sign in to the {} acknowledgement portal.</p><p>Open this link in the same browser within {within}:</p><p><a href=\"{}\">Sign in</a></p><p>If it was not you, ignore this e-mail.</p>",
        esc(title),
        esc(&url)
    );
    let mail = crate::render::remind::mail::Mail {
        about: who.id.clone(),
        to_name: String::new(),
        to_addr: email.to_owned(),
        subject: format!("Sign in to {title}"),
        text,
        html,
    };
    let timeout = Duration::from_secs(u64::from(app.cfg.smtp_timeout));
    let env = |k: &str| std::env::var(k).ok();
    match crate::ack::deliver::send_mails(smtp, &app.cfg.root, &[mail], timeout, &env) {
        Ok(d) if d.failed.is_empty() => (app.log)("sign-in link sent".into()),
        Ok(_) => (app.log)("a sign-in link could not be sent".into()),
        Err(e) => (app.log)(format!("sign-in links cannot be sent: {e}")),
    }
}

#[derive(Deserialize)]
pub(super) struct LinkQuery {
    #[serde(default)]
    t: String,
}

/// The page a link opens: a button that posts the token (a GET never uses it: mail
/// scanners fetch links).
pub(super) async fn link_page(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<LinkQuery>,
) -> Response {
    let Some(browser) = cookie_value(&headers, SIGNIN_COOKIE) else {
        return app.message(
            StatusCode::FORBIDDEN,
            "Open the link in the browser that asked for it",
            "This link works only in the browser where you asked for it. Ask for a new one there.",
        );
    };
    let csrf = app.store().csrf(&browser);
    let token: String =
        q.t.chars()
            .filter(char::is_ascii_hexdigit)
            .take(64)
            .collect();
    app.render(
        StatusCode::OK,
        minijinja::context! { view => "link", title => "Sign in", csrf => csrf, token => token },
    )
}

#[derive(Deserialize)]
pub(super) struct LinkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
}

pub(super) async fn use_link(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(form): Form<LinkForm>,
) -> Response {
    let browser = cookie_value(&headers, SIGNIN_COOKIE).unwrap_or_default();
    let session = {
        let mut store = app.store();
        if !store.csrf_ok(&browser, &form.csrf) {
            None
        } else {
            store.use_link(&form.token, &browser).ok()
        }
    };
    let Some(session) = session else {
        return app.message(
            StatusCode::FORBIDDEN,
            "This link does not work",
            "The link was used already, expired, or was opened in another browser than the one that asked for it. Ask for a new one.",
        );
    };
    let mut r = Redirect::to("/").into_response();
    let life = u64::from(app.cfg.session_minutes) * 60;
    r.headers_mut().append(
        header::SET_COOKIE,
        app.cookie(SESSION_COOKIE, &session, life),
    );
    r.headers_mut()
        .append(header::SET_COOKIE, app.cookie(SIGNIN_COOKIE, "", 0));
    r
}

#[derive(Deserialize)]
pub(super) struct PlainForm {
    #[serde(default)]
    csrf: String,
}

pub(super) async fn sign_out(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Form(form): Form<PlainForm>,
) -> Response {
    if let Some(id) = cookie_value(&headers, SESSION_COOKIE) {
        let mut store = app.store();
        if store.csrf_ok(&id, &form.csrf) {
            store.end(&id);
        }
    }
    let mut r = Redirect::to("/").into_response();
    r.headers_mut()
        .append(header::SET_COOKIE, app.cookie(SESSION_COOKIE, "", 0));
    r
}
