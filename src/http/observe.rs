//! What every request passes through: a request id, a tracing span, and the HTTP metrics.
//!
//! The span names the route template (`/api/v1/events/{id}`), never the token or the body.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::error::ApiError;
use super::AppState;
use crate::auth::Caller;
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

/// The route label of a request no route answers: an unknown path, or a 405.
const UNMATCHED: &str = "unmatched";

/// The method as a metrics label: one of a fixed few, so a client cannot add label sets by
/// sending made-up methods (`M0000AAAA...`).
fn method_label(method: &axum::http::Method) -> &'static str {
    match *method {
        axum::http::Method::GET => "GET",
        axum::http::Method::POST => "POST",
        axum::http::Method::HEAD => "HEAD",
        _ => "other",
    }
}

pub async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&request);
    let method = method_label(request.method());
    let route = match request.extensions().get::<MatchedPath>() {
        Some(path) => path.as_str().to_owned(),
        None => UNMATCHED.to_owned(),
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
        // A 503 with Retry-After is a limit reached (writer queue, folds, verifies,
        // subscribers): a flood of them is expected, so they are counted and logged sparingly.
        // The writer logs its own stop at ERROR where it happens.
        if status == 503
            && response
                .headers()
                .contains_key(axum::http::header::RETRY_AFTER)
        {
            super::limits::shed("busy");
        } else if status >= 500 {
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
    // A 405 names a real path with a method it does not take: any method a client makes up
    // would otherwise become a label set of its own.
    let route = if status == 405 {
        UNMATCHED.to_owned()
    } else {
        route
    };
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

/// GET /metrics: Prometheus text format; open to anyone unless `metrics_token_required`.
///
/// What it shows: counts of events by type, requests by route template and status, latencies,
/// the head position; never a name, a note, a person_ref, a token or a path a client sent.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "application/openmetrics-text"),
        (status = 401, description = "`metrics_token_required` is set and no valid token came", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn metrics(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
) -> Result<Response, ApiError> {
    if state.limits.metrics_token_required {
        caller?;
    }
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    Ok(Response::builder()
        .header(axum::http::header::CONTENT_TYPE, content_type)
        .body(axum::body::Body::from(METRICS.render()))
        .expect("a valid response"))
}

/// The Content-Security-Policy of an HTML answer: the report page is self-contained (its one
/// stylesheet inline, no scripts, no external assets), so nothing else may load.
pub const HTML_CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'none'";

/// Headers every answer gets unless its handler set its own: `nosniff` (a browser must not
/// guess a type), `Cache-Control: no-store` (answers carry person_refs and notes: no cache,
/// no proxy may keep them), and a Content-Security-Policy on HTML.
pub async fn security_headers(mut response: Response) -> Response {
    use axum::http::header;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    if is_html {
        headers
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(HeaderValue::from_static(HTML_CONTENT_SECURITY_POLICY));
    }
    response
}
