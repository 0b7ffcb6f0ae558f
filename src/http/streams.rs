//! GET /api/v1/streams/{stream}: the events of one entity, in version order, a page at a time
//! (`after`/`limit` count versions, as `/events` counts positions): one answer is bounded
//! however long the stream grew.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use impact_events::StreamId;
use serde::Deserialize;

use super::caller::STAFF_AUDITOR_ADMIN;
use super::error::{internal, ApiError};
use super::events::{retractions_of, write_events};
use super::{json_response, AppState};
use crate::auth::Caller;

/// Every event of one entity, in version order.
#[utoipa::path(get, path = "/api/v1/streams/{stream}", tag = "events", security(("bearer" = [])),
    params(
        ("after" = Option<u64>, Query, description = "events after this version (default 0)"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 1000, description = "1 to 1000 events (default 1000)"),
        // Its pattern is the catalogue's, set by `openapi::Catalogue`.
        ("stream" = String, Path, description = "`<kind>-<uuid>`, e.g. `enterprise-5d3b0c1e-0000-4000-8000-000000000001`"),
    ),
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
    uri: axum::http::Uri,
    query: Result<Query<StreamQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path(name) = name.map_err(super::path_error)?;
    super::check_query_keys(&uri, &["after", "limit"])?;
    caller.allow(STAFF_AUDITOR_ADMIN)?;
    let Query(query) = query.map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
    let stream: StreamId = name.parse().map_err(ApiError::BadRequest)?;
    let page_max = state.limits.page_events_max;
    let limit = query.limit.unwrap_or(page_max);
    if limit == 0 || limit > page_max {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {page_max}, not {limit}"
        )));
    }
    let after = super::check_position("after", query.after.unwrap_or(0))?;
    let (events, version) = state
        .ledger
        .stream_page(&stream, after, limit)
        .map_err(internal)?;
    if version == 0 {
        return Err(ApiError::NotFound(format!("stream {stream} has no events")));
    }
    let last = after.saturating_add(events.len() as u64);
    let next_after = (last < version).then_some(last);
    let head = serde_json::json!({ "stream": stream.to_string(), "version": version,
                                   "next_after": next_after });
    let mut body = serde_json::to_vec(&head).expect("a small object serializes");
    body.pop();
    body.extend_from_slice(b",\"events\":[");
    write_events(&mut body, &events);
    body.extend_from_slice(b"],\"retractions\":");
    let retractions = retractions_of(&state, &events)?;
    serde_json::to_writer(&mut body, &retractions).expect("retractions serialize");
    body.push(b'}');
    Ok(json_response(body))
}

#[derive(Deserialize)]
pub struct StreamQuery {
    after: Option<u64>,
    limit: Option<usize>,
}
