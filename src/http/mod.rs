//! The HTTP API (DESIGN §5). `router(state)` is the seam tests use.

pub mod audit;
pub mod caller;
pub mod error;
pub mod events;
pub mod figures;
pub mod health;
pub mod observe;
pub mod reports;
pub mod streams;
pub mod subscribe;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::auth::Tokens;
use crate::store::{Ledger, Writer};
use error::ApiError;
use subscribe::Subscribers;

/// Server-Sent Events subscriptions open at once; beyond it GET /api/v1/subscribe is a 503.
pub const SUBSCRIBERS_MAX: usize = 64;

/// Limits of the API; every one has its unit in its name.
#[derive(Clone, Copy, Debug)]
pub struct ApiLimits {
    pub body_bytes_max: usize,
    pub batch_events_max: usize,
    pub page_events_max: usize,
    pub subscribers_max: usize,
}

impl Default for ApiLimits {
    fn default() -> Self {
        ApiLimits {
            body_bytes_max: 1024 * 1024,
            batch_events_max: 1000,
            page_events_max: 1000,
            subscribers_max: SUBSCRIBERS_MAX,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub ledger: Arc<Ledger>,
    pub writer: Writer,
    pub tokens: Arc<Tokens>,
    pub limits: ApiLimits,
    /// The open `GET /api/v1/subscribe` streams: counted, and ended on shutdown.
    pub subscribers: Subscribers,
}

pub fn router(state: AppState) -> Router {
    let body_bytes_max = state.limits.body_bytes_max;
    Router::new()
        .route("/api/v1/events", get(events::page).post(events::append))
        .route("/api/v1/events/{id}", get(events::one))
        .route("/api/v1/streams/{stream}", get(streams::one))
        .route("/api/v1/status/{year}", get(figures::status))
        .route("/api/v1/targets", get(figures::targets))
        .route("/api/v1/history", get(figures::history))
        .route("/api/v1/reports/annual/{year}", get(reports::annual))
        .route("/api/v1/export", get(audit::export))
        .route("/api/v1/verify", get(audit::verify))
        .route("/api/v1/subscribe", get(subscribe::subscribe))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(observe::metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_bytes_max))
        .route_layer(axum::middleware::from_fn(observe::observe))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such path; see /api/v1/openapi.json".to_owned())
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// A 200 answer whose body is already JSON.
pub fn json_response(body: Vec<u8>) -> Response {
    let content_type = [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    )];
    (StatusCode::OK, content_type, body).into_response()
}
