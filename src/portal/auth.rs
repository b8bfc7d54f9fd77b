//! The portal's sign-in state, in memory: sessions, sign-in links, CSRF tokens and rate
//! limits. Secrets are random (the operating system's generator) and only their SHA-256
//! hashes are kept, so a memory dump or a log never yields a usable link or session.
//! Nothing here does I/O besides reading the clock and the random generator.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// 32 random bytes as 64 hex digits.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random generator works");
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of `text`, as hex.
pub fn hash(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// How a person signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    EmailLink,
    Proxy,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::EmailLink => "email-link",
            Method::Proxy => "proxy",
        }
    }
}

/// A signed-in person.
#[derive(Clone, Debug)]
pub struct Session {
    pub person: String,
    pub method: Method,
    /// The address the link went to, or what the proxy said.
    pub identity: String,
    pub expires: Instant,
}

/// A sign-in link not used yet.
#[derive(Clone, Debug)]
struct Link {
    person: String,
    identity: String,
    /// The hash of the cookie of the browser that asked for it.
    browser: String,
    expires: Instant,
}

/// Why a sign-in link does not sign anyone in (one answer for all: the page says only that
/// the link does not work).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkRefused {
    Unknown,
    Expired,
    OtherBrowser,
}

/// Sessions, links and rate limits.
pub struct Store {
    secret: String,
    session_life: Duration,
    link_life: Duration,
    /// By hash of the session id.
    sessions: HashMap<String, Session>,
    /// By hash of the token.
    links: HashMap<String, Link>,
    /// Sign-in requests per key (an address, a client) in the current window.
    requests: HashMap<String, (Instant, u32)>,
}

/// Sign-in requests allowed per e-mail address in a window.
pub const PER_ADDRESS: u32 = 3;
/// Sign-in requests allowed per client address in a window.
pub const PER_CLIENT: u32 = 10;
/// The rate-limit window.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

impl Store {
    pub fn new(secret: String, session_life: Duration, link_life: Duration) -> Store {
        Store {
            secret,
            session_life,
            link_life,
            sessions: HashMap::new(),
            links: HashMap::new(),
            requests: HashMap::new(),
        }
    }

    /// The CSRF token of forms shown to the holder of `cookie` (a session or a sign-in
    /// cookie): bound to it and to the portal's secret, so a page on another site cannot
    /// know it.
    pub fn csrf(&self, cookie: &str) -> String {
        hash(&format!("csrf\0{}\0{cookie}", self.secret))[..40].to_owned()
    }

    /// Whether `token` is the CSRF token of `cookie`.
    pub fn csrf_ok(&self, cookie: &str, token: &str) -> bool {
        !cookie.is_empty() && same(&self.csrf(cookie), token)
    }

    /// Starts a session; the returned id goes into the cookie, only its hash is kept.
    pub fn start(&mut self, person: &str, method: Method, identity: &str) -> String {
        self.sweep();
        let id = random_token();
        self.sessions.insert(
            hash(&id),
            Session {
                person: person.to_owned(),
                method,
                identity: identity.to_owned(),
                expires: Instant::now() + self.session_life,
            },
        );
        id
    }

    /// The live session of a cookie.
    pub fn session(&self, id: &str) -> Option<&Session> {
        self.sessions
            .get(&hash(id))
            .filter(|s| s.expires > Instant::now())
    }

    pub fn end(&mut self, id: &str) {
        self.sessions.remove(&hash(id));
    }

    /// Counts a sign-in request against `key`; false when over `limit` in the window.
    pub fn allow(&mut self, key: &str, limit: u32) -> bool {
        let now = Instant::now();
        let slot = self.requests.entry(hash(key)).or_insert((now, 0));
        if now.duration_since(slot.0) > WINDOW {
            *slot = (now, 0);
        }
        slot.1 += 1;
        slot.1 <= limit
    }

    /// A new sign-in link for `person`, usable only from the browser holding `browser`
    /// (its sign-in cookie). The token goes into the e-mail; only its hash is kept.
    pub fn new_link(&mut self, person: &str, identity: &str, browser: &str) -> String {
        self.sweep();
        let token = random_token();
        self.links.insert(
            hash(&token),
            Link {
                person: person.to_owned(),
                identity: identity.to_owned(),
                browser: hash(browser),
                expires: Instant::now() + self.link_life,
            },
        );
        token
    }

    /// Uses a link: once, before it expires, from the browser that asked for it. A link
    /// used from another browser stays usable by the right one.
    pub fn use_link(&mut self, token: &str, browser: &str) -> Result<String, LinkRefused> {
        let key = hash(token);
        let link = self.links.get(&key).ok_or(LinkRefused::Unknown)?;
        if link.expires <= Instant::now() {
            self.links.remove(&key);
            return Err(LinkRefused::Expired);
        }
        if browser.is_empty() || !same(&link.browser, &hash(browser)) {
            return Err(LinkRefused::OtherBrowser);
        }
        let link = self.links.remove(&key).expect("found above");
        Ok(self.start(&link.person, Method::EmailLink, &link.identity))
    }

    /// Drops what expired.
    fn sweep(&mut self) {
        let now = Instant::now();
        self.sessions.retain(|_, s| s.expires > now);
        self.links.retain(|_, l| l.expires > now);
        self.requests
            .retain(|_, (at, _)| now.duration_since(*at) <= WINDOW);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(link: Duration) -> Store {
        Store::new("s".into(), Duration::from_secs(60), link)
    }

    #[test]
    fn a_link_works_once_and_only_from_its_browser() {
        let mut s = store(Duration::from_secs(60));
        let t = s.new_link("ana", "ana@example.com", "cookie-a");
        assert_eq!(s.use_link(&t, "cookie-b"), Err(LinkRefused::OtherBrowser));
        assert_eq!(s.use_link("forged", "cookie-a"), Err(LinkRefused::Unknown));
        let session = s.use_link(&t, "cookie-a").unwrap();
        assert_eq!(s.session(&session).unwrap().person, "ana");
        assert_eq!(s.use_link(&t, "cookie-a"), Err(LinkRefused::Unknown));
    }

    #[test]
    fn an_expired_link_is_refused() {
        let mut s = store(Duration::from_millis(1));
        let t = s.new_link("ana", "ana@example.com", "c");
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(s.use_link(&t, "c"), Err(LinkRefused::Expired));
    }

    #[test]
    fn csrf_tokens_are_bound_to_their_cookie() {
        let s = store(Duration::from_secs(1));
        let t = s.csrf("a");
        assert!(s.csrf_ok("a", &t));
        assert!(!s.csrf_ok("b", &t));
        assert!(!s.csrf_ok("", &s.csrf("")));
    }

    #[test]
    fn rate_limits_count_per_key() {
        let mut s = store(Duration::from_secs(1));
        for _ in 0..PER_ADDRESS {
            assert!(s.allow("ana@example.com", PER_ADDRESS));
        }
        assert!(!s.allow("ana@example.com", PER_ADDRESS));
        assert!(s.allow("bo@example.com", PER_ADDRESS));
    }
}
