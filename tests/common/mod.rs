//! Shared by the integration tests: a ledger in a temporary directory, its router, one token
//! per role, and requests sent through `tower::ServiceExt::oneshot` (no socket, real sled).
//!
//! Each test file uses only part of this module, so unused items are allowed here.
#![allow(dead_code)]

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use impact_ledger::auth::{self, Role};
use serde_json::Value;
use tempfile::TempDir;
use tower::ServiceExt;

/// The name of the staff token; it becomes `actor` on the events it appends.
pub const STAFF: &str = "anna";
/// The name of the auditor token.
pub const AUDITOR: &str = "revisor";
/// The name of the admin token.
pub const ADMIN: &str = "admin";

/// What came back from one request.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON; panics, showing the body, when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "the body of a {} is not JSON ({error}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }
}

/// A ledger in its own temporary data dir, with a staff, an auditor and an admin token.
pub struct TestLedger {
    // Field order matters: the router (and with it the ledger) is dropped before the directory.
    router: Router,
    pub staff: String,
    pub auditor: String,
    pub admin: String,
    pub dir: TempDir,
}

impl TestLedger {
    pub fn new() -> Self {
        Self::on_store(&impact_ledger::store::StoreLocation::DataDir)
    }

    /// A ledger whose log is at `store` (a NATS stream, or the data dir's own); its tokens are
    /// made where that store keeps them (the data dir, or the cluster's bucket).
    pub fn on_store(store: &impact_ledger::store::StoreLocation) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        // Tokens are made before the ledger opens, so it reads them at once: the server only
        // re-reads `tokens.json` once a second, and a test should not wait for that.
        let vault = store.vault(dir.path()).expect("the tokens' vault opens");
        let make = |name, role| auth::create_token_in(vault.as_ref(), name, role).expect(name);
        let (staff, auditor, admin) = (
            make(STAFF, Role::Staff),
            make(AUDITOR, Role::Auditor),
            make(ADMIN, Role::Admin),
        );
        Self::open(dir, store, [staff, auditor, admin])
    }

    /// A second ledger server on the same shared store, with a data dir of its own and the
    /// same tokens (which it reads from the cluster).
    pub fn another_server(&self, store: &impact_ledger::store::StoreLocation) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let tokens = [self.staff.clone(), self.auditor.clone(), self.admin.clone()];
        Self::open(dir, store, tokens)
    }

    fn open(
        dir: TempDir,
        store: &impact_ledger::store::StoreLocation,
        [staff, auditor, admin]: [String; 3],
    ) -> Self {
        let limits = impact_ledger::config::Limits::default();
        let state = impact_ledger::serve::open_state_on(dir.path(), store, limits)
            .expect("the ledger opens");
        TestLedger {
            router: impact_ledger::http::router(state),
            staff,
            auditor,
            admin,
            dir,
        }
    }

    /// The router, for a test that reads an answer's body a frame at a time.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Sends a request built by the caller and returns the whole answer.
    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router's error type is Infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("the body can be read")
            .to_bytes();
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Sends `body` (if any) as `application/json` with `Authorization: Bearer <token>` (if any).
    ///
    /// The answer's body is parsed as JSON; an empty body is `null`.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some(body) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(serde_json::to_vec(&body).expect("JSON serializes"))
            }
            None => Body::empty(),
        };
        let answer = self
            .send(builder.body(body).expect("a valid request"))
            .await;
        let json = if answer.body.is_empty() {
            Value::Null
        } else {
            answer.json()
        };
        (answer.status, answer.headers, json)
    }

    /// GET with the admin token.
    pub async fn get(&self, path: &str) -> (StatusCode, HeaderMap, Value) {
        self.request(Method::GET, path, Some(&self.admin), None)
            .await
    }

    /// Appends `{"events": events}` with the staff token.
    pub async fn append(&self, events: Vec<Value>) -> (StatusCode, HeaderMap, Value) {
        let body = serde_json::json!({ "events": events });
        self.request(
            Method::POST,
            "/api/v1/events",
            Some(&self.staff),
            Some(body),
        )
        .await
    }

    /// Appends events that must be accepted; returns the receipts.
    pub async fn append_ok(&self, events: Vec<Value>) -> Vec<Value> {
        let (status, _, body) = self.append(events).await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "the append was refused: {body}"
        );
        body["events"].as_array().expect("receipts").clone()
    }

    /// Every stored event, read through GET /api/v1/events page by page.
    pub async fn all_events(&self) -> Vec<Value> {
        let mut events = Vec::new();
        let mut after = 0;
        loop {
            let path = format!("/api/v1/events?after={after}&limit=1000");
            let (status, _, page) = self.get(&path).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            events.extend(page["events"].as_array().expect("events").iter().cloned());
            match page["next_after"].as_u64() {
                Some(next) => after = next,
                None => return events,
            }
        }
    }

    /// How many events are stored and the hash of the last, as GET /api/v1/events shows them.
    pub async fn head(&self) -> (usize, Option<String>) {
        let events = self.all_events().await;
        let hash = events
            .last()
            .map(|event| event["hash"].as_str().expect("hash").to_owned());
        (events.len(), hash)
    }
}

impl Default for TestLedger {
    fn default() -> Self {
        Self::new()
    }
}

/// Appends to `events` the next event of a valid chain, sealed from `value` (an event as a
/// client sends it) the way the writer would: admitted against `state`, placed at the next
/// position, recorded by "anna" a microsecond after the one before. For tests that write a
/// log without the writer.
pub fn seal_next(
    state: &mut impact_events::LedgerState,
    events: &mut Vec<impact_events::StoredEvent>,
    value: Value,
) {
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
    let position = events.len() as u64 + 1;
    let fresh = uuid::Uuid::from_u128(u128::from(position) << 32);
    let mut request = vec![impact_events::parse_event_in(0, value, fresh).expect("a valid event")];
    let (stream, version) =
        impact_events::admit_request(state, &mut request, today).expect("admitted")[0];
    let placement = impact_events::Placement {
        position,
        stream,
        version,
        recorded_at: impact_events::RecordedAt(1_700_000_000_000_000 + position as i64),
        actor: "anna".to_owned(),
        prev_hash: events
            .last()
            .map_or(impact_events::Hash::GENESIS, |event| event.hash),
    };
    let event = impact_events::StoredEvent::seal(request.remove(0), placement);
    state.apply(&event);
    events.push(event);
}
