//! `ApiError`: every error the API answers, written as RFC 9457 `application/problem+json`.
//!
//! 5xx bodies say nothing internal; the cause is logged where it happens.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use impact_events::{Language, Problem, Violation};
use serde::Serialize;

use crate::auth::Role;

#[derive(Debug)]
pub enum ApiError {
    /// The request cannot be read: malformed JSON, a bad query parameter or path.
    BadRequest(String),
    /// The body is not UTF-8 or not JSON text, said in the answer's language.
    Unreadable(Violation),
    Unauthorized,
    Forbidden {
        allowed: &'static [Role],
    },
    NotFound(String),
    MethodNotAllowed,
    /// Conflicts with what is stored; nothing was stored.
    Conflict(Vec<Problem>),
    PayloadTooLarge {
        bytes_max: usize,
    },
    UnsupportedMediaType,
    /// The request parsed but breaks the schema or a rule; nothing was stored.
    Unprocessable(Vec<Problem>),
    /// The writer's queue is full; retry after a moment.
    Busy,
    /// The writer stopped after a storage failure.
    Unavailable,
    /// `subscribers_max` event streams are open already.
    TooManySubscribers {
        subscribers_max: usize,
    },
    /// The request took longer than `request_timeout_ms`.
    Timeout,
    /// More requests in flight than `concurrency_max`: shed at once.
    Overloaded,
    /// A bug or a failure of the machine; the cause was logged.
    Internal,
}

/// The body of an error answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemDocument {
    /// `urn:impact-ledger:problem:<kind>`, e.g. `...:rule-violation`.
    #[serde(rename = "type")]
    kind: String,
    #[schema(value_type = String)]
    title: &'static str,
    status: u16,
    /// What to fix.
    detail: String,
    /// Every problem of the request (409 and 422 only), in the order of the events: each with
    /// the event's `index` (absent for a problem of the request as a whole, e.g. `events`),
    /// the `field`, a stable `code` and the `message` (Danish with `Accept-Language: da`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<Problem>,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::Unreadable(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Busy | ApiError::Unavailable | ApiError::TooManySubscribers { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Timeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short name for the kind of problem, the last part of its `type` URI.
    fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) | ApiError::Unreadable(_) => "bad-request",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden { .. } => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::MethodNotAllowed => "method-not-allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::UnsupportedMediaType => "unsupported-media-type",
            ApiError::Unprocessable(_) => "rule-violation",
            ApiError::Busy => "busy",
            ApiError::Unavailable => "unavailable",
            ApiError::TooManySubscribers { .. } => "too-many-subscribers",
            ApiError::Timeout => "timeout",
            ApiError::Overloaded => "overloaded",
            ApiError::Internal => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) | ApiError::Unreadable(_) => "the request cannot be read",
            ApiError::Unauthorized => "a valid bearer token is required",
            ApiError::Forbidden { .. } => "this token's role may not do this",
            ApiError::NotFound(_) => "not found",
            ApiError::MethodNotAllowed => "method not allowed",
            ApiError::Conflict(_) => "conflict with what is stored",
            ApiError::PayloadTooLarge { .. } => "the body is too large",
            ApiError::UnsupportedMediaType => "the body must be JSON",
            ApiError::Unprocessable(_) => "the events break the catalogue's rules",
            ApiError::Busy => "the ledger is busy",
            ApiError::Unavailable => "the ledger cannot take appends",
            ApiError::TooManySubscribers { .. } => "too many event streams are open",
            ApiError::Timeout => "the request took too long",
            ApiError::Overloaded => "the ledger is handling too many requests",
            ApiError::Internal => "internal error",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::BadRequest(detail) | ApiError::NotFound(detail) => detail.clone(),
            ApiError::Unreadable(violation) => violation.to_string(),
            ApiError::Unauthorized => {
                "send `Authorization: Bearer <token>` with a token from `impact-ledger token new`"
                    .to_owned()
            }
            ApiError::Forbidden { allowed } => {
                let roles: Vec<&str> = allowed.iter().map(|role| role.as_str()).collect();
                format!("this needs one of the roles: {}", roles.join(", "))
            }
            ApiError::MethodNotAllowed => "this path does not take that method".to_owned(),
            ApiError::Conflict(problems) | ApiError::Unprocessable(problems) => {
                let count = problems.len();
                let first = problems.first().map(Problem::to_string).unwrap_or_default();
                if count == 1 {
                    first
                } else {
                    format!("{count} problems; the first: {first}; nothing was stored")
                }
            }
            ApiError::PayloadTooLarge { bytes_max } => {
                format!("the body may be at most {bytes_max} bytes; send fewer events per request")
            }
            ApiError::UnsupportedMediaType => {
                "send the body with `Content-Type: application/json`".to_owned()
            }
            ApiError::Busy => "too many appends are waiting; retry in a moment".to_owned(),
            ApiError::Unavailable => {
                "the writer stopped after a storage failure; an operator must restart it".to_owned()
            }
            ApiError::TooManySubscribers { subscribers_max } => {
                format!("at most {subscribers_max} event streams may be open at once; retry later")
            }
            ApiError::Timeout => {
                "the request was not answered within the request timeout; an append may still \
                 have been stored: retry it with the same event ids to get the original answer"
                    .to_owned()
            }
            ApiError::Overloaded => "too many requests are in flight; retry in a moment".to_owned(),
            ApiError::Internal => "the error was logged; nothing about it is shown here".to_owned(),
        }
    }
}

impl ApiError {
    /// The same error with the messages of its problems in `language` (the API's own words,
    /// titles and details around them stay English).
    pub fn in_language(self, language: Language) -> Self {
        let translate = |problems: Vec<Problem>| {
            problems
                .into_iter()
                .map(|problem| problem.in_language(language))
                .collect()
        };
        match self {
            ApiError::Conflict(problems) => ApiError::Conflict(translate(problems)),
            ApiError::Unprocessable(problems) => ApiError::Unprocessable(translate(problems)),
            ApiError::Unreadable(violation) => ApiError::BadRequest(violation.render(language)),
            other => other,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let document = ProblemDocument {
            kind: format!("urn:impact-ledger:problem:{}", self.slug()),
            title: self.title(),
            status: status.as_u16(),
            detail: self.detail(),
            errors: match self {
                ApiError::Conflict(problems) | ApiError::Unprocessable(problems) => problems,
                _ => Vec::new(),
            },
        };
        let body = serde_json::to_vec(&document).expect("a problem document serializes");
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// Logs an internal failure and turns it into a 500 that says nothing about it.
pub fn internal(error: impl std::fmt::Display) -> ApiError {
    tracing::error!(%error, "internal error");
    ApiError::Internal
}
