//! POST /api/v1/events (append), GET /api/v1/events (page), GET /api/v1/events/{id}.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use impact_events::{
    parse_event_in_parts, read_request, EventData, Language, NewEvent, RequestError, StoredEvent,
};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::caller::{STAFF_ADMIN, STAFF_AUDITOR_ADMIN};
use super::error::{internal, ApiError};
use super::{json_response, AppState};
use crate::auth::Caller;
use crate::store::{AppendError, AppendRequest};

/// Append 1 to 1000 events, all or none.
#[utoipa::path(post, path = "/api/v1/events", tag = "events", security(("bearer" = [])),
    request_body(content = super::openapi::AppendBody, content_type = "application/json"),
    responses(
        (status = 201, description = "stored; where each event went", body = super::openapi::AppendAnswer),
        (status = 200, description = "a retry of a stored request: the original answer, nothing new stored", body = super::openapi::AppendAnswer),
        (status = 400, description = "the body is not JSON", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "this role may not", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 409, description = "conflicts with what is stored", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 413, description = "the body is over the limit", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 415, description = "the body is not declared JSON", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 422, description = "the events break the catalogue's rules", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 503, description = "busy; retry", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn append(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    caller.allow(STAFF_ADMIN)?;
    require_json(&headers)?;
    let language = language_of(&headers);
    append_in(state, caller, body)
        .await
        .map_err(|error| error.in_language(language))
}

async fn append_in(
    state: AppState,
    caller: Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge {
            bytes_max: state.limits.body_bytes_max,
        },
        _ => ApiError::BadRequest(rejection.body_text()),
    })?;
    let values =
        read_request(&body, state.limits.batch_events_max).map_err(|error| match error {
            RequestError::Unreadable(violation) => ApiError::Unreadable(violation),
            RequestError::Refused(problems) => ApiError::Unprocessable(problems),
        })?;
    let appended = submit(&state, &caller, values).await?;
    let status = if appended.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(serde_json::json!({ "events": appended.receipts })),
    )
        .into_response())
}

/// The language of the answer's messages: Danish when the client asks for it
/// (`Accept-Language: da`), English otherwise.
pub fn language_of(headers: &HeaderMap) -> Language {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .map_or(Language::English, Language::from_accept_language)
}

/// The one path to append, shared by this API and the web forms (`crate::web::record`):
/// parses each `EventIn` value, hands the request to the writer and says why it was refused
/// (in English; `ApiError::in_language` translates).
pub async fn submit(
    state: &AppState,
    caller: &Caller,
    values: Vec<serde_json::Value>,
) -> Result<crate::store::Appended, ApiError> {
    caller.allow(STAFF_ADMIN)?;
    let today = copenhagen_today();
    let events = read_events(state, values, today)?;
    let request = AppendRequest {
        events,
        actor: caller.name.clone(),
        today,
    };
    state
        .writer
        .append(request)
        .await
        .map_err(|error| match error {
            AppendError::Refused(problems) if problems.iter().all(|problem| problem.conflict) => {
                ApiError::Conflict(problems)
            }
            AppendError::Refused(problems) => ApiError::Unprocessable(problems),
            AppendError::Busy => ApiError::Busy,
            AppendError::Stopped => ApiError::Unavailable,
        })
}

/// Parses every event of a request.
///
/// When some do not parse, nothing will be stored: the answer lists their problems and every
/// problem of the events that did parse, including those against what is stored, in the order
/// of the events, so one answer names everything to fix (CONTRACT §8).
fn read_events(
    state: &AppState,
    values: Vec<serde_json::Value>,
    today: chrono::NaiveDate,
) -> Result<Vec<NewEvent>, ApiError> {
    let mut events = Vec::with_capacity(values.len());
    let mut problems = Vec::new();
    for (index, value) in values.into_iter().enumerate() {
        // An event refused only for its note or case_ref is still checked in full below.
        let (event, found) = parse_event_in_parts(index, value, Uuid::new_v4());
        events.extend(event.map(|event| (index, event)));
        problems.extend(found);
    }
    if problems.is_empty() {
        return Ok(events.into_iter().map(|(_, event)| event).collect());
    }
    problems.extend(state.ledger.problems_of(&events, today));
    problems.sort_by_key(|problem| problem.index);
    Err(ApiError::Unprocessable(problems))
}

/// Refuses a body that does not say it is JSON (415).
pub fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok());
    let essence = content_type
        .and_then(|value| value.split(';').next())
        .map(str::trim);
    match essence {
        Some(essence)
            if essence.eq_ignore_ascii_case("application/json")
                || essence.to_ascii_lowercase().ends_with("+json") =>
        {
            Ok(())
        }
        _ => Err(ApiError::UnsupportedMediaType),
    }
}

/// Today's date where the unit works, for the not-in-the-future rule.
pub fn copenhagen_today() -> chrono::NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Copenhagen)
        .date_naive()
}

#[derive(Deserialize)]
pub struct PageQuery {
    after: Option<u64>,
    limit: Option<usize>,
}

/// A page of the log, in position order.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", security(("bearer" = [])),
    params(
        ("after" = Option<u64>, Query, description = "events after this position (default 0)"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 1000, description = "1 to 1000 events (default 100)"),
    ),
    responses(
        (status = 200, description = "the page", body = super::openapi::EventsPage),
        (status = 400, description = "a parameter cannot be read", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "this role may not", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn page(
    State(state): State<AppState>,
    caller: Caller,
    uri: axum::http::Uri,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    super::check_query_keys(&uri, &["after", "limit"])?;
    caller.allow(STAFF_AUDITOR_ADMIN)?;
    let Query(query) = query.map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
    let page_max = state.limits.page_events_max;
    let limit = query.limit.unwrap_or(100);
    if limit == 0 || limit > page_max {
        return Err(ApiError::BadRequest(format!(
            "limit must be 1 to {page_max}, not {limit}"
        )));
    }
    let after = super::check_position("after", query.after.unwrap_or(0))?;
    let events = state.ledger.page(after, limit).map_err(internal)?;
    let last = events.last().map(|event| event.position);
    let next_after = last.filter(|last| *last < state.ledger.durable_position());
    let mut body = b"{\"events\":[".to_vec();
    write_events(&mut body, &events);
    body.extend_from_slice(b"],\"next_after\":");
    body.extend_from_slice(
        serde_json::to_string(&next_after)
            .expect("a number")
            .as_bytes(),
    );
    body.extend_from_slice(b",\"retractions\":");
    let retractions = retractions_of(&state, &events)?;
    serde_json::to_writer(&mut body, &retractions).expect("retractions serialize");
    body.push(b'}');
    Ok(json_response(body))
}

/// The retraction of each event of `events` that was retracted, by the retracted event's id.
pub fn retractions_of(
    state: &AppState,
    events: &[StoredEvent],
) -> Result<std::collections::BTreeMap<Uuid, Retraction>, ApiError> {
    let mut retractions = std::collections::BTreeMap::new();
    for event in events {
        let retraction = state.ledger.retraction_of(&event.id).map_err(internal)?;
        if let Some(retraction) = retraction.as_ref().and_then(Retraction::of) {
            retractions.insert(event.id, retraction);
        }
    }
    Ok(retractions)
}

/// Writes events as a comma-separated list of their canonical JSON, as hashed.
pub fn write_events(body: &mut Vec<u8>, events: &[StoredEvent]) {
    for (index, event) in events.iter().enumerate() {
        if index > 0 {
            body.push(b',');
        }
        event.write_canonical_json(true, body);
    }
}

/// One stored event by id.
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "the event's id (a UUID)")),
    responses(
        (status = 200, description = "the event, exactly as hashed; if it was retracted, the headers say by which event, when and why (the body never changes)", body = super::openapi::StoredEvent,
            headers(
                ("Retracted-By" = String, description = "the id of the EventRetracted that retracted this event; absent if it stands"),
                ("Retracted-By-Position" = u64, description = "that retraction's position"),
                ("Retracted-At" = String, description = "that retraction's recorded_at"),
                ("Retraction-Reason" = String, description = "its reason, as an RFC 8187 ext-value: UTF-8'' then the UTF-8 bytes percent-encoded"),
                ("Erased-By" = String, description = "the id of a MembersErased that erased members of this event (one per erasure, in order); absent if none"),
                ("Erased-By-Position" = u64, description = "that erasure's position"),
                ("Erased-By-Actor" = String, description = "who erased, as an RFC 8187 ext-value"),
                ("Erased-At" = String, description = "that erasure's recorded_at"),
                ("Erased-Members" = String, description = "the members it erased, comma-separated"),
                ("Erasure-Reason" = String, description = "its reason, as an RFC 8187 ext-value"),
            )),
        (status = 400, description = "a parameter cannot be read", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "this role may not", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "no such event", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = id.map_err(super::path_error)?;
    caller.allow(STAFF_AUDITOR_ADMIN)?;
    let id = Uuid::parse_str(&id)
        .map_err(|_| ApiError::BadRequest(format!("`{id}` is not an event id (a UUID)")))?;
    let event = state.ledger.event_by_id(&id).map_err(internal)?;
    let event = event.ok_or_else(|| ApiError::NotFound(format!("no event {id} is stored")))?;
    let retraction = state.ledger.retraction_of(&id).map_err(internal)?;
    let mut response = json_response(event.canonical_json());
    if let Some(retraction) = retraction.as_ref().and_then(Retraction::of) {
        retraction.write_headers(response.headers_mut());
    }
    for erasure in crate::erasure::erasures_of(&state.ledger, &event).map_err(internal)? {
        write_erasure_headers(&erasure, response.headers_mut());
    }
    Ok(response)
}

/// `Erased-By`, `Erased-By-Position`, `Erased-By-Actor`, `Erased-At`, `Erased-Members` and
/// `Erasure-Reason` (RFC 8187, as the retraction's), one of each per erasure of the event, in
/// the order they were made: who erased which members, when and why, beside the event.
fn write_erasure_headers(erasure: &StoredEvent, headers: &mut HeaderMap) {
    let EventData::MembersErased(data) = &erasure.data else {
        return;
    };
    let encoded = |text: &str| format!("UTF-8''{}", utf8_percent_encode(text, NON_ALPHANUMERIC));
    for (name, value) in [
        ("erased-by", erasure.id.to_string()),
        ("erased-by-position", erasure.position.to_string()),
        // A token name may hold æ, ø, å: a header holds only ASCII.
        ("erased-by-actor", encoded(&erasure.actor)),
        ("erased-at", erasure.recorded_at.to_string()),
        ("erased-members", data.members.join(", ")),
        ("erasure-reason", encoded(&data.reason)),
    ] {
        let value = HeaderValue::from_str(&value).expect("ASCII without controls");
        headers.append(HeaderName::from_static(name), value);
    }
}

/// Which event retracted a stored event, when and why: said beside the event, never in it (the
/// event is returned exactly as hashed).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Retraction {
    /// The retracting event's id.
    pub id: Uuid,
    pub position: u64,
    /// When the ledger stored the retraction.
    pub recorded_at: String,
    pub reason: String,
}

impl Retraction {
    /// The retraction an `EventRetracted` is; `None` for any other event.
    pub fn of(event: &StoredEvent) -> Option<Self> {
        let EventData::EventRetracted(data) = &event.data else {
            return None;
        };
        Some(Retraction {
            id: event.id,
            position: event.position,
            recorded_at: event.recorded_at.to_string(),
            reason: data.reason.clone(),
        })
    }

    /// `Retracted-By`, `Retracted-By-Position`, `Retracted-At` and `Retraction-Reason` (the
    /// reason percent-encoded as UTF-8, as RFC 8187 does for header values: a header holds only
    /// ASCII).
    fn write_headers(&self, headers: &mut HeaderMap) {
        let reason = utf8_percent_encode(&self.reason, NON_ALPHANUMERIC).to_string();
        for (name, value) in [
            ("retracted-by", self.id.to_string()),
            ("retracted-by-position", self.position.to_string()),
            ("retracted-at", self.recorded_at.clone()),
            ("retraction-reason", format!("UTF-8''{reason}")),
        ] {
            let value = HeaderValue::from_str(&value).expect("ASCII without controls");
            headers.insert(HeaderName::from_static(name), value);
        }
    }
}
