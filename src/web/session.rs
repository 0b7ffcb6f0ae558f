//! Sessions for the web pages (CONTRACT §10): a bearer token typed once into `/login` becomes a
//! random, opaque session id in an HttpOnly, SameSite=Strict cookie.
//!
//! The server keeps, per session, the SHA-256 of the token (never the token), a CSRF token and
//! when it was last used. Every request asks the token file again for the digest's name and
//! role, so a revoked token ends its sessions at once and a role is never stale. Sessions live
//! in memory: after a restart the cookie names nothing and the person is asked to log in again
//! (cleanly, never half-valid). The map is keyed by the SHA-256 of the session id, so nothing
//! in memory can be replayed as a cookie. With the log in a cluster (CONTRACT §14) sessions
//! live instead in the cluster's sessions bucket, under the same SHA-256, so that any ledger
//! server behind a load balancer serves any session.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{lang_of, Fields, WebState};
use crate::auth::{Caller, Role};
use crate::reports::Lang;
use crate::vault::Vault;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "il_session";
/// The cookie that carries the login form's own CSRF token (there is no session yet).
pub const LOGIN_COOKIE: &str = "il_login";
/// The remembered language (`da` or `en`).
pub const LANG_COOKIE: &str = "il_lang";
/// The form member every POST must carry.
pub const CSRF_FIELD: &str = "csrf";

/// How long sessions live and how hard logins are limited.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// A session not used for this long is over (CONTRACT §10: 8 hours).
    pub session_idle: Duration,
    /// Sessions held at once; beyond it the least recently used is ended.
    pub sessions_max: usize,
    /// Failed logins one client address may make per `login_window`.
    pub login_failures_max: u32,
    pub login_window: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_idle: Duration::from_secs(8 * 60 * 60),
            sessions_max: 10_000,
            login_failures_max: 10,
            login_window: Duration::from_secs(15 * 60),
        }
    }
}

struct Session {
    token_digest: [u8; 32],
    csrf: String,
    last_seen: Instant,
}

/// The sessions of this process, or of every ledger server of a cluster.
pub struct Sessions {
    settings: Settings,
    map: Mutex<HashMap<[u8; 32], Session>>,
    /// With the log in a cluster, the sessions bucket every ledger server shares: a session
    /// started on one is valid on all, and a logout on one ends it on all. The local map is
    /// then unused: every request asks the bucket (the web app's traffic is a few people's).
    shared: Option<Arc<dyn Vault>>,
}

/// A session as the shared bucket keeps it: never the token, never the session id.
#[derive(Serialize, Deserialize)]
struct SharedSession {
    /// Lower-case hex SHA-256 of the token.
    token_sha256: String,
    csrf: String,
    /// When the entry was last written, in Unix seconds: the bucket drops an entry not
    /// written for the idle time, so a used session is written again now and then.
    written_at: i64,
}

/// How often a used shared session is written again, keeping it from the bucket's expiry.
const SHARED_REFRESH_SECONDS: i64 = 60;

/// A fresh random value as 64 hex digits.
pub fn random_hex() -> String {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).expect("the operating system gives randomness");
    hex::encode(random)
}

fn key(session_id: &str) -> [u8; 32] {
    Sha256::digest(session_id.as_bytes()).into()
}

/// The shared bucket's name for a session: from the SHA-256 of its id, as the local map's key.
fn shared_name(session_id: &str) -> String {
    format!("session.{}", hex::encode(key(session_id)))
}

fn to_json(session: &SharedSession) -> Vec<u8> {
    serde_json::to_vec(session).expect("a session serializes")
}

impl Sessions {
    pub fn new(settings: Settings, shared: Option<Arc<dyn Vault>>) -> Self {
        Sessions {
            settings,
            map: Mutex::new(HashMap::new()),
            shared,
        }
    }

    /// Starts a session for the token with this digest; returns the new session id.
    pub fn start(&self, token_digest: [u8; 32]) -> String {
        let id = random_hex();
        if let Some(vault) = &self.shared {
            let session = SharedSession {
                token_sha256: hex::encode(token_digest),
                csrf: random_hex(),
                written_at: chrono::Utc::now().timestamp(),
            };
            // A session that could not be shared names nothing: the next page asks the visitor
            // to log in again, rather than a half-valid session.
            let written = vault.write(&shared_name(&id), &to_json(&session), None);
            if let Err(error) = written {
                tracing::error!(%error, "a web session could not be stored in the cluster");
            }
            return id;
        }
        let now = Instant::now();
        let mut map = self.map.lock().expect("sessions lock");
        let idle = self.settings.session_idle;
        map.retain(|_, session| now.duration_since(session.last_seen) < idle);
        if map.len() >= self.settings.sessions_max {
            let oldest = map
                .iter()
                .min_by_key(|(_, session)| session.last_seen)
                .map(|(key, _)| *key);
            if let Some(oldest) = oldest {
                map.remove(&oldest);
            }
        }
        let session = Session {
            token_digest,
            csrf: random_hex(),
            last_seen: now,
        };
        map.insert(key(&id), session);
        id
    }

    /// The token digest and CSRF token of a live session, which counts as used now.
    fn touch(&self, session_id: &str) -> Option<([u8; 32], String)> {
        if let Some(vault) = &self.shared {
            return self.touch_shared(vault.as_ref(), session_id);
        }
        let mut map = self.map.lock().expect("sessions lock");
        let key = key(session_id);
        let session = map.get_mut(&key)?;
        let now = Instant::now();
        if now.duration_since(session.last_seen) >= self.settings.session_idle {
            map.remove(&key);
            return None;
        }
        session.last_seen = now;
        Some((session.token_digest, session.csrf.clone()))
    }

    /// `touch` for a session in the shared bucket.
    fn touch_shared(&self, vault: &dyn Vault, session_id: &str) -> Option<([u8; 32], String)> {
        let name = shared_name(session_id);
        let record = vault
            .read(&name)
            .map_err(|error| tracing::error!(%error, "reading a web session from the cluster"))
            .ok()??;
        let mut session: SharedSession = serde_json::from_slice(&record.value).ok()?;
        let mut digest = [0u8; 32];
        hex::decode_to_slice(&session.token_sha256, &mut digest).ok()?;
        let now = chrono::Utc::now().timestamp();
        let idle = i64::try_from(self.settings.session_idle.as_secs()).unwrap_or(i64::MAX);
        if now.saturating_sub(session.written_at) >= idle {
            return None;
        }
        if now - session.written_at >= SHARED_REFRESH_SECONDS.min(idle / 2) {
            session.written_at = now;
            // Another server may have written it first: then it is fresh already.
            let _ = vault.write(&name, &to_json(&session), Some(record.revision));
        }
        Some((digest, session.csrf))
    }

    pub fn end(&self, session_id: &str) {
        if let Some(vault) = &self.shared {
            if let Err(error) = vault.purge(&shared_name(session_id)) {
                tracing::error!(%error, "ending a web session in the cluster");
            }
            return;
        }
        self.map
            .lock()
            .expect("sessions lock")
            .remove(&key(session_id));
    }
}

/// Failed logins per client address, in fixed windows.
pub struct LoginLimiter {
    settings: Settings,
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

/// Addresses remembered at most; beyond it the whole map starts over (a flood of addresses
/// must not grow memory without bound).
const LIMITED_ADDRESSES_MAX: usize = 100_000;

impl LoginLimiter {
    pub fn new(settings: Settings) -> Self {
        LoginLimiter {
            settings,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Whether this address has failed too often in the current window.
    pub fn blocked(&self, address: IpAddr) -> bool {
        let failures = self.failures.lock().expect("limiter lock");
        match failures.get(&address) {
            Some((count, since)) => {
                since.elapsed() < self.settings.login_window
                    && *count >= self.settings.login_failures_max
            }
            None => false,
        }
    }

    pub fn failed(&self, address: IpAddr) {
        let mut failures = self.failures.lock().expect("limiter lock");
        if failures.len() >= LIMITED_ADDRESSES_MAX {
            failures.clear();
        }
        let window = self.settings.login_window;
        let entry = failures.entry(address).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= window {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    /// The window in seconds, for `Retry-After`.
    pub fn window_seconds(&self) -> u64 {
        self.settings.login_window.as_secs().max(1)
    }
}

/// The client's address as the server's accept loop saw it. Requests sent without a socket
/// (tests through `oneshot`) share one address. Behind a reverse proxy every client shares the
/// proxy's address: the limit then holds for all of them together (ops/README.md).
pub fn client_address(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Whether the request came through TLS. The binary speaks only plain HTTP, so TLS is always
/// ended by a reverse proxy in front of it, which must say so with `X-Forwarded-Proto: https`
/// (ops/README.md). A client that forges the header only makes its own cookie Secure.
pub fn behind_tls(headers: &HeaderMap) -> bool {
    let forwarded_proto = headers
        .get("x-forwarded-proto")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("https"));
    let forwarded = headers
        .get(header::FORWARDED)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().contains("proto=https"));
    forwarded_proto || forwarded
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Secure behind TLS; `max_age` zero ends it.
pub fn set_cookie(
    headers: &HeaderMap,
    name: &str,
    value: &str,
    max_age: Option<u64>,
) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(max_age) = max_age {
        text.push_str(&format!("; Max-Age={max_age}"));
    }
    if behind_tls(headers) {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).expect("a cookie of ASCII")
}

/// Compares two secrets in constant time.
pub fn same_secret(presented: &str, expected: &str) -> bool {
    bool::from(presented.as_bytes().ct_eq(expected.as_bytes()))
}

/// `next` if it is a path on this server, else `/`: never an open redirect.
pub fn local_path(next: Option<&str>) -> String {
    let Some(next) = next else {
        return "/".to_owned();
    };
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if local {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

/// Someone with a live session: who they are, the session's CSRF token, their language and
/// the page they asked for (for the language switch).
#[derive(Clone, Debug)]
pub struct Visitor {
    pub caller: Caller,
    /// The SHA-256 of the session's token, for checks that last longer than the request.
    pub token_digest: [u8; 32],
    pub csrf: String,
    pub lang: Lang,
    /// Path and query of this request.
    pub here: String,
}

impl Visitor {
    pub fn is(&self, roles: &[Role]) -> bool {
        roles.contains(&self.caller.role)
    }

    /// Refuses (403 page) a visitor whose role is not among `allowed`.
    pub fn require(&self, allowed: &[Role]) -> Result<(), Response> {
        if self.is(allowed) {
            Ok(())
        } else {
            Err(super::layout::forbidden(self))
        }
    }

    /// Refuses (403 page) a form without this session's CSRF token; nothing is stored.
    pub fn check_csrf(&self, fields: &Fields) -> Result<(), Response> {
        match fields.get(CSRF_FIELD) {
            Some(presented) if same_secret(presented, &self.csrf) => Ok(()),
            _ => Err(super::layout::csrf_refused(self)),
        }
    }
}

impl FromRequestParts<WebState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        let here = parts
            .uri
            .path_and_query()
            .map(|path| path.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        let lang = lang_of(parts);
        let session_id = cookie(&parts.headers, SESSION_COOKIE);
        let live = session_id.and_then(|id| state.sessions.touch(id));
        let visitor = live.and_then(|(digest, csrf)| {
            let caller = state.app.tokens.authenticate_digest(&digest)?;
            Some(Visitor {
                caller,
                token_digest: digest,
                csrf,
                lang,
                here: here.clone(),
            })
        });
        match (visitor, session_id) {
            (Some(visitor), _) => Ok(visitor),
            (None, stale) => {
                if let Some(stale) = stale {
                    state.sessions.end(stale);
                }
                Err(to_login(&parts.headers, &here, stale.is_some()))
            }
        }
    }
}

/// 303 to `/login?next=here`; a cookie that named no live session is cleared.
fn to_login(headers: &HeaderMap, here: &str, clear: bool) -> Response {
    let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
    let location = format!("/login?next={next}");
    let mut response = (
        StatusCode::SEE_OTHER,
        [(
            header::LOCATION,
            HeaderValue::from_str(&location).expect("an encoded path"),
        )],
    )
        .into_response();
    if clear {
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(headers, SESSION_COOKIE, "", Some(0)),
        );
    }
    response
}
