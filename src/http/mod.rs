//! The HTTP API (CONTRACT §5). `router(state)` is the seam tests use.

pub mod audit;
pub mod caller;
pub mod erasures;
pub mod error;
pub mod events;
pub mod figures;
pub mod health;
pub mod limits;
pub mod lists;
pub mod observe;
pub mod openapi;
pub mod proofs;
pub mod reports;
pub mod streams;
pub mod subscribe;

use std::sync::Arc;

use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::ServiceBuilder;

use crate::access_log::AccessLog;
use crate::auth::Tokens;
use crate::store::{Ledger, Writer};
use error::ApiError;
use subscribe::Subscribers;

/// Server-Sent Events subscriptions open at once by default; beyond it a 503.
pub const SUBSCRIBERS_MAX: usize = 64;

/// Limits of the API; every one has its unit in its name (see `crate::config`).
pub type ApiLimits = crate::config::Limits;

#[derive(Clone)]
pub struct AppState {
    pub ledger: Arc<Ledger>,
    pub writer: Writer,
    pub tokens: Arc<Tokens>,
    pub limits: ApiLimits,
    /// The open `GET /api/v1/subscribe` streams: counted, and ended on shutdown.
    pub subscribers: Subscribers,
    /// Permits for folding a log prefix (as_of / at_position); none free is a 503.
    pub folds: Arc<tokio::sync::Semaphore>,
    /// Permits for GET /api/v1/verify, which reads the whole log; none free is a 503.
    pub verifies: Arc<tokio::sync::Semaphore>,
    /// Who read person-level lists (`lists::placements`); not the ledger.
    pub access_log: Arc<AccessLog>,
    /// The municipality the annual report names in its page footer (setting `municipality`).
    pub municipality: Option<Arc<str>>,
    /// With the log in a cluster: where web sessions are kept for every ledger server.
    pub shared_sessions: Option<Arc<dyn crate::vault::Vault>>,
}

pub fn router(state: AppState) -> Router {
    router_with(state, crate::web::Settings::default())
}

/// The router with the web pages' session settings (tests shorten the idle expiry).
pub fn router_with(state: AppState, web: crate::web::Settings) -> Router {
    let limits = state.limits;
    let pages = crate::web::router(state.clone(), web);
    // Ordinary requests: answered within request_timeout_ms (408 beyond).
    let ordinary = Router::new()
        .route("/api/v1/events", get(events::page).post(events::append))
        .route("/api/v1/events/{id}", get(events::one))
        .route("/api/v1/erasures", axum::routing::post(erasures::create))
        .route("/api/v1/streams/{stream}", get(streams::one))
        .route("/api/v1/status/{year}", get(figures::status))
        .route("/api/v1/targets", get(figures::targets))
        .route("/api/v1/history", get(figures::history))
        .route("/api/v1/enterprises", get(lists::enterprises))
        .route("/api/v1/placements", get(lists::placements))
        .route("/api/v1/grants", get(lists::grants))
        .route("/api/v1/agreements", get(lists::agreements))
        .route("/api/v1/trials", get(lists::trials))
        .route("/api/v1/trends", get(lists::trends))
        .route("/api/v1/access-log", get(lists::access_log))
        .route("/api/v1/reports/annual/{year}", get(reports::annual))
        .route("/api/v1/verify", get(audit::verify))
        .route("/api/v1/checkpoint", get(proofs::checkpoint))
        .route("/api/v1/checkpoint/key", get(proofs::key))
        .route("/api/v1/proofs/inclusion", get(proofs::inclusion))
        .route("/api/v1/proofs/consistency", get(proofs::consistency))
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(observe::metrics))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(limits::limit_error))
                .timeout(Duration::from_millis(limits.request_timeout_ms)),
        );
    // Streams: they last as long as the log is long (export) or the client stays (subscribe).
    let streams = Router::new()
        .route("/api/v1/export", get(audit::export))
        .route("/api/v1/subscribe", get(subscribe::subscribe));
    ordinary
        .merge(streams)
        .merge(pages)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.body_bytes_max))
        .route_layer(axum::middleware::from_fn(observe::observe))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(limits::limit_error))
                .load_shed()
                // One limit for the whole router: the per-route `concurrency_limit` would not be.
                .layer(GlobalConcurrencyLimitLayer::new(limits.concurrency_max)),
        )
        .layer(limits::catch_panic())
        .layer(axum::middleware::map_response(observe::security_headers))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such path; see /api/v1/openapi.json".to_owned())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Refuses (400) a query parameter the endpoint does not know: a typo such as `asof=` must
/// not silently answer for "now".
pub fn check_query_keys(uri: &axum::http::Uri, known: &[&str]) -> Result<(), ApiError> {
    let pairs = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes());
    for (key, _) in pairs {
        if !known.contains(&key.as_ref()) {
            let takes = match known {
                [] => "this endpoint takes no query parameters".to_owned(),
                known => format!("this endpoint takes: {}", known.join(", ")),
            };
            return Err(ApiError::BadRequest(format!(
                "unknown query parameter `{key}`; {takes}"
            )));
        }
    }
    Ok(())
}

/// The largest log position a request may name. The OpenAPI document gives positions as
/// int64, so a larger number is refused (400) rather than quietly read as "after the end".
pub const POSITION_MAX: u64 = i64::MAX as u64;

/// Refuses (400) a position parameter `name` above `POSITION_MAX`.
pub fn check_position(name: &str, position: u64) -> Result<u64, ApiError> {
    if position > POSITION_MAX {
        return Err(ApiError::BadRequest(format!(
            "`{name}` must be a log position from 0 to {POSITION_MAX}, not {position}"
        )));
    }
    Ok(position)
}

/// A path segment that cannot be read (e.g. not UTF-8) is a 400 problem, like any other.
pub fn path_error(rejection: axum::extract::rejection::PathRejection) -> ApiError {
    ApiError::BadRequest(format!(
        "the path cannot be read: {}",
        rejection.body_text()
    ))
}

/// A 200 answer whose body is already JSON.
pub fn json_response(body: Vec<u8>) -> Response {
    let content_type = [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    )];
    (StatusCode::OK, content_type, body).into_response()
}
