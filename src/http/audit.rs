//! GET /api/v1/verify (recompute the whole chain) and GET /api/v1/export (the log as NDJSON).
//!
//! Both read the log from position 1 to the durable head at the moment the request came in,
//! a batch at a time on the blocking pool, so they hold no more than one batch in memory and
//! never wait for, or hold up, the writer.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::caller::AUDITOR_ADMIN;
use super::error::{internal, ApiError};
use super::AppState;
use crate::audit::{export_batch, verify_log, EXPORT_BATCH_EVENTS};
use crate::auth::Caller;
use crate::store::Ledger;

/// The head the export was taken at, so a reader can tell a complete download from a cut one.
pub const HEAD_POSITION_HEADER: &str = "x-ledger-head-position";
pub const HEAD_HASH_HEADER: &str = "x-ledger-head-hash";

/// Recompute the whole hash chain from the log.
#[utoipa::path(get, path = "/api/v1/verify", tag = "audit", security(("bearer" = [])),
    responses(
        (status = 200, description = "the verification; `ok` false names the first bad position", body = super::openapi::VerifyAnswer),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "this role may not", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn verify(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.allow(AUDITOR_ADMIN)?;
    let ledger = state.ledger.clone();
    let summary = tokio::task::spawn_blocking(move || {
        let until = ledger.durable_position();
        verify_log(&ledger.log, until)
    })
    .await
    .map_err(internal)?
    .map_err(internal)?;
    if let Some(broken) = &summary.broken {
        tracing::error!(%broken, "GET /verify found the chain broken");
    }
    Ok(Json(summary.to_json()))
}

/// Every stored event in order, one canonical JSON object per line, streamed.
#[utoipa::path(get, path = "/api/v1/export", tag = "audit", security(("bearer" = [])),
    responses(
        (status = 200, description = "NDJSON; headers x-ledger-head-position and x-ledger-head-hash name the head exported", body = String, content_type = "application/x-ndjson"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "this role may not", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn export(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.allow(AUDITOR_ADMIN)?;
    let (head_position, head_hash) = {
        let read = state.ledger.read.read().expect("read model lock");
        (read.head_position(), read.head_hash())
    };
    let ledger = state.ledger;
    let chunks = futures_util::stream::try_unfold(0, move |after| {
        let ledger = ledger.clone();
        async move {
            if after >= head_position {
                return Ok(None);
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
    Ok((StatusCode::OK, headers, Body::from_stream(chunks)).into_response())
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
        export_batch(&ledger.log, after, until, EXPORT_BATCH_EVENTS, &mut chunk)
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
