//! POST /api/v1/erasures: erase personal members of a stored event (CONTRACT §12).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::caller::ADMIN;
use super::error::{internal, ApiError};
use super::events::{copenhagen_today, language_of, require_json};
use super::AppState;
use crate::auth::Caller;
use crate::erasure::{erase, ErasureError, ErasureRequest};
use crate::store::AppendError;

/// Erase named members of a stored event; the erasure is recorded in the ledger.
#[utoipa::path(post, path = "/api/v1/erasures", tag = "events", security(("bearer" = [])),
    request_body(content = ErasureRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "recorded, and the members' keys destroyed: the erasure's own receipt"),
        (status = 400, description = "the body is not the JSON of an erasure", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "only an administrator may erase", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "no stored event has this id", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "a member is already erased, holds nothing, or was stored before erasure existed (its plaintext is hashed)", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "a member that cannot be erased, or a reason that breaks the rules", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 503, description = "busy; retry", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.allow(ADMIN)?;
    require_json(&headers)?;
    let language = language_of(&headers);
    let body = body.map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
    let request: ErasureRequest = serde_json::from_slice(&body).map_err(|error| {
        ApiError::BadRequest(format!(
            "the body must be {{\"event_id\": \"<uuid>\", \"members\": [\"note\"], \
             \"reason\": \"...\"}}: {error}"
        ))
    })?;
    let appended = erase(
        &state.ledger,
        &state.writer,
        &caller.name,
        request,
        copenhagen_today(),
    )
    .await
    .map_err(|error| api_error(error).in_language(language))?;
    let receipt = appended.receipts.into_iter().next();
    Ok((StatusCode::CREATED, Json(receipt)).into_response())
}

fn api_error(error: ErasureError) -> ApiError {
    match error {
        ErasureError::NotFound(id) => ApiError::NotFound(format!("no event {id} is stored")),
        ErasureError::Refused(problems) => ApiError::Unprocessable(problems),
        ErasureError::Conflict(problems) => ApiError::Conflict(problems),
        ErasureError::Append(AppendError::Refused(problems)) => ApiError::Unprocessable(problems),
        ErasureError::Append(AppendError::Busy) => ApiError::Busy,
        ErasureError::Append(AppendError::Stopped) => ApiError::Unavailable,
        ErasureError::Store(error) => internal(error),
    }
}
