//! GET /api/v1/streams/{stream}: every event of one entity, in version order.

use axum::extract::{Path, State};
use axum::response::Response;
use impact_events::StreamId;

use super::caller::STAFF_AUDITOR_ADMIN;
use super::error::{internal, ApiError};
use super::events::write_events;
use super::{json_response, AppState};
use crate::auth::Caller;

pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
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
