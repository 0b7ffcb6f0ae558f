//! GET /api/v1/verify (recompute the whole chain) and GET /api/v1/export (the log as NDJSON).
//!
//! Both read the log from position 1 to the durable head at the moment the request came in,
//! a batch at a time on the blocking pool, so they hold no more than one batch in memory and
//! never wait for, or hold up, the writer.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::caller::{StillValid, AUDITOR_ADMIN};
use super::error::{internal, ApiError};
use super::AppState;
use crate::audit::{export_batch, verify_log_unless, EXPORT_BATCH_EVENTS};
use crate::auth::Caller;
use crate::store::Ledger;

/// The head the export was taken at, so a reader can tell a complete download from a cut one.
pub const HEAD_POSITION_HEADER: &str = "x-ledger-head-position";
pub const HEAD_HASH_HEADER: &str = "x-ledger-head-hash";

/// Recompute the whole hash chain from the log.
#[utoipa::path(get, path = "/api/v1/verify", tag = "audit", security(("bearer" = [])),
    responses(
        (status = 200, description = "the verification; `ok` false names the first bad position", body = super::openapi::VerifyAnswer),
        (status = 400, description = "an unknown query parameter", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 503, description = "`verifies_max` verifications are running; retry", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "this role may not", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn verify(
    State(state): State<AppState>,
    caller: Caller,
    uri: axum::http::Uri,
) -> Result<Json<serde_json::Value>, ApiError> {
    super::check_query_keys(&uri, &[])?;
    caller.allow(AUDITOR_ADMIN)?;
    // One verification reads the whole log: `verifies_max` at once, a 503 beyond.
    let _permit = state
        .verifies
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::Overloaded)?;
    let ledger = state.ledger.clone();
    // Set when this future is dropped (the client went away, or the request timed out), so
    // the blocking read stops within 1024 events instead of running to the end.
    let cancelled = Arc::new(AtomicBool::new(false));
    let _cancel_on_drop = CancelOnDrop(cancelled.clone());
    let summary = tokio::task::spawn_blocking(move || {
        let until = ledger.durable_position();
        verify_log_unless(ledger.store(), until, &cancelled)
    })
    .await
    .map_err(internal)?
    .map_err(internal)?
    // Only a dropped request sets the flag, and then nobody reads this answer.
    .ok_or(ApiError::Timeout)?;
    if let Some(broken) = &summary.broken {
        tracing::error!(%broken, "GET /verify found the chain broken");
    }
    Ok(Json(summary.to_json()))
}

/// Sets its flag when dropped.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Every stored event in order, one canonical JSON object per line, streamed.
#[utoipa::path(get, path = "/api/v1/export", tag = "audit", security(("bearer" = [])),
    responses(
        (status = 200, description = "NDJSON; headers x-ledger-head-position and x-ledger-head-hash name the head exported", body = String, content_type = "application/x-ndjson"),
        (status = 400, description = "an unknown query parameter", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "this role may not", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    uri: axum::http::Uri,
    request_headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    super::check_query_keys(&uri, &[])?;
    caller.allow(AUDITOR_ADMIN)?;
    let still_valid = StillValid::new(&state, &request_headers, &caller);
    Ok(export_body(state, still_valid))
}

/// The export's answer, cut when `still_valid` stops holding; shared with the web's download
/// (`web::audit`), which checks the role itself.
pub fn export_body(state: AppState, still_valid: StillValid) -> Response {
    let (head_position, head_hash) = state
        .ledger
        .with_read(|read| (read.head_position(), read.head_hash()));
    let ledger = state.ledger;
    let chunks = futures_util::stream::try_unfold(0, move |after| {
        let ledger = ledger.clone();
        let still_valid = still_valid.clone();
        async move {
            if after >= head_position {
                return Ok(None);
            }
            if !still_valid.check() {
                // Cut, as any failure: the client sees fewer lines than the head header says.
                tracing::info!(after, "an export ended: its token was revoked");
                return Err(std::io::Error::other("the token was revoked"));
            }
            let (chunk, last) = next_chunk(ledger, after, head_position).await?;
            Ok::<_, std::io::Error>(Some((chunk, last)))
        }
    });
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-ndjson"),
        ),
        (
            header::HeaderName::from_static(HEAD_POSITION_HEADER),
            HeaderValue::from(head_position),
        ),
        (
            header::HeaderName::from_static(HEAD_HASH_HEADER),
            HeaderValue::from_str(&head_hash.to_hex()).expect("hex is a valid header value"),
        ),
    ];
    (StatusCode::OK, headers, Body::from_stream(chunks)).into_response()
}

/// Reads the next batch of export lines after `after`.
///
/// A failure ends the body early, so the client sees a cut download (the last line has no
/// newline, or fewer lines than the head position header says), never a quietly short one.
async fn next_chunk(
    ledger: Arc<Ledger>,
    after: u64,
    until: u64,
) -> Result<(Bytes, u64), std::io::Error> {
    let read = tokio::task::spawn_blocking(move || {
        let mut chunk = Vec::new();
        export_batch(
            ledger.store(),
            after,
            until,
            EXPORT_BATCH_EVENTS,
            &mut chunk,
        )
        .map(|last| (chunk, last))
    })
    .await;
    let failure = |reason: String| {
        tracing::error!(%reason, after, "the export stopped");
        std::io::Error::other(reason)
    };
    match read {
        Ok(Ok((chunk, last))) if last > after => Ok((Bytes::from(chunk), last)),
        Ok(Ok(_)) => Err(failure(format!(
            "the log has no events after position {after}"
        ))),
        Ok(Err(error)) => Err(failure(error.to_string())),
        Err(error) => Err(failure(error.to_string())),
    }
}
