//! GET /api/v1/streams/{stream}: every event of one entity, in version order.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use impact_events::StreamId;

use super::caller::STAFF_AUDITOR_ADMIN;
use super::error::{internal, ApiError};
use super::events::write_events;
use super::{json_response, AppState};
use crate::auth::Caller;

/// Every event of one entity, in version order.
#[utoipa::path(get, path = "/api/v1/streams/{stream}", tag = "events", security(("bearer" = [])),
    params(("stream" = String, Path, pattern = "^(strategy|enterprise|placement|grant|agreement|trial|trend)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", description = "`<kind>-<uuid>`, e.g. `enterprise-5d3b0c1e-0000-4000-8000-000000000001`")),
    responses(
        (status = 200, description = "the stream", body = super::openapi::StreamAnswer),
        (status = 400, description = "a parameter cannot be read", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "this role may not", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "no such stream", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    name: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(name) = name.map_err(super::path_error)?;
    caller.allow(STAFF_AUDITOR_ADMIN)?;
    let stream: StreamId = name.parse().map_err(ApiError::BadRequest)?;
    let events = state.ledger.stream(&stream).map_err(internal)?;
    if events.is_empty() {
        return Err(ApiError::NotFound(format!("stream {stream} has no events")));
    }
    let head = serde_json::json!({ "stream": stream.to_string(), "version": events.len() });
    let mut body = serde_json::to_vec(&head).expect("a small object serializes");
    body.pop();
    body.extend_from_slice(b",\"events\":[");
    write_events(&mut body, &events);
    body.extend_from_slice(b"]}");
    Ok(json_response(body))
}
