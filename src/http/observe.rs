//! What every request passes through: a request id, a tracing span, and the HTTP metrics.
//!
//! The span names the route template (`/api/v1/events/{id}`), never the token or the body.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::metrics::{RouteLabels, METRICS};

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request id the caller may have sent: short and printable, or we make our own.
fn request_id(request: &Request) -> HeaderValue {
    let given = request.headers().get(&REQUEST_ID).filter(|value| {
        let bytes = value.as_bytes();
        (1..=128).contains(&bytes.len()) && bytes.iter().all(|byte| byte.is_ascii_graphic())
    });
    match given {
        Some(value) => value.clone(),
        None => HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
            .expect("a UUID is a header value"),
    }
}

pub async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&request);
    let method = request.method().to_string();
    let route = match request.extensions().get::<MatchedPath>() {
        Some(path) => path.as_str().to_owned(),
        None => "unmatched".to_owned(),
    };
    let span = tracing::info_span!(
        "request",
        request_id = %id.to_str().unwrap_or_default(),
        %method,
        %route,
    );
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(
                status,
                elapsed_ms = elapsed.as_secs_f64() * 1000.0,
                "answered"
            );
        } else {
            tracing::debug!(
                status,
                elapsed_ms = elapsed.as_secs_f64() * 1000.0,
                "answered"
            );
        }
    });
    let labels = RouteLabels {
        method,
        route,
        status,
    };
    METRICS.http_requests.get_or_create(&labels).inc();
    METRICS
        .http_request_seconds
        .get_or_create(&labels)
        .observe(elapsed.as_secs_f64());
    response.headers_mut().insert(REQUEST_ID.clone(), id);
    response
}

/// GET /metrics: Prometheus text format, for anyone (no token, as DESIGN §5 says).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "application/openmetrics-text")))]
pub async fn metrics() -> Response {
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    Response::builder()
        .header(axum::http::header::CONTENT_TYPE, content_type)
        .body(axum::body::Body::from(METRICS.render()))
        .expect("a valid response")
}
