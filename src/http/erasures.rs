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
use impact_events::violations::Expected;
use impact_events::{Problem, Violation};
use serde_json::Value;
use uuid::Uuid;

/// Erase named members of a stored event; the erasure is recorded in the ledger.
#[utoipa::path(post, path = "/api/v1/erasures", tag = "events", security(("bearer" = [])),
    request_body(content = ErasureRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "recorded, and the members' keys destroyed: the erasure's own receipt"),
        (status = 400, description = "the body is not JSON", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 413, description = "the body is over the size limit", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "only an administrator may erase", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "no stored event has this id", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "a member is already erased, holds nothing, or was stored before erasure existed (its plaintext is hashed)", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "a body of another shape (a member missing, unknown or of the wrong kind), a member that cannot be erased, or a reason that breaks the rules", body = super::error::ProblemDocument, content_type = "application/problem+json"),
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
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge {
            bytes_max: state.limits.body_bytes_max,
        },
        _ => ApiError::BadRequest(rejection.body_text()),
    })?;
    let request = read_erasure(&body).map_err(|error| error.in_language(language))?;
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

/// The body as an `ErasureRequest`: JSON that does not parse is a 400; JSON of another shape a
/// 422 naming each member that is missing, unknown or of the wrong kind (CONTRACT §5), in the
/// words of the typed violations rather than the parser's.
fn read_erasure(body: &[u8]) -> Result<ErasureRequest, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        ApiError::Unreadable(Violation::NotJson {
            detail: format!("line {}, column {}", error.line(), error.column()),
        })
    })?;
    let Value::Object(members) = &value else {
        let expected = Expected::Object;
        let problem = Problem::request("body", Violation::WrongKind { expected });
        return Err(ApiError::Unprocessable(vec![problem]));
    };
    let mut problems = Vec::new();
    let allowed = ["event_id", "members", "reason"];
    for name in members
        .keys()
        .filter(|name| !allowed.contains(&name.as_str()))
    {
        let allowed = allowed.iter().map(|name| name.to_string()).collect();
        let name = name.clone();
        problems.push(Problem::request(
            &name.clone(),
            Violation::UnknownMember { name, allowed },
        ));
    }
    let kind_of = |name: &str, expected: Expected, fits: fn(&Value) -> bool| match members.get(name)
    {
        None => Some(Violation::MissingMember {
            name: name.to_owned(),
        }),
        Some(held) if !fits(held) => Some(Violation::WrongKind { expected }),
        Some(_) => None,
    };
    let is_uuid = |held: &Value| {
        held.as_str()
            .is_some_and(|text| Uuid::parse_str(text).is_ok())
    };
    let is_texts = |held: &Value| {
        held.as_array()
            .is_some_and(|items| items.iter().all(Value::is_string))
    };
    for (name, violation) in [
        ("event_id", kind_of("event_id", Expected::Uuid, is_uuid)),
        ("members", kind_of("members", Expected::List, is_texts)),
        (
            "reason",
            kind_of("reason", Expected::Text, Value::is_string),
        ),
    ] {
        problems.extend(violation.map(|violation| Problem::request(name, violation)));
    }
    if !problems.is_empty() {
        return Err(ApiError::Unprocessable(problems));
    }
    serde_json::from_value(value).map_err(internal)
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
