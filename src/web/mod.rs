//! The web app (CONTRACT §10): server-rendered pages for staff, auditors and the committee, from
//! the same binary and port as the API, in Danish by default.
//!
//! A page is a function from a view model to maud `Markup`; the view models are built from the
//! projections (never from the store's indexes), and every form that records something posts
//! through `http::events::submit`, the API's own path to the writer. No JavaScript is needed
//! and nothing is fetched from elsewhere: the style sheet is written into each page.

// A refused page is a whole `Response`, answered at once; boxing it would buy nothing.
#![allow(clippy::result_large_err)]

pub mod audit;
pub mod dashboard;
pub mod entity;
pub mod events;
pub mod layout;
pub mod lists;
pub mod login;
pub mod record;
pub mod reports;
pub mod session;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use maud::Markup;

use crate::http::AppState;
use crate::reports::Lang;
use session::{LoginLimiter, Sessions, LANG_COOKIE};
pub use session::{Settings, Visitor};

/// What every page handler has: the API's state and the sessions.
#[derive(Clone)]
pub struct WebState {
    pub app: AppState,
    pub sessions: Arc<Sessions>,
    pub logins: Arc<LoginLimiter>,
}

/// The pages, ready to merge into the API's router.
pub fn router<S>(app: AppState, settings: Settings) -> Router<S> {
    let sessions = Sessions::new(settings, app.shared_sessions.clone());
    let state = WebState {
        app,
        sessions: Arc::new(sessions),
        logins: Arc::new(LoginLimiter::new(settings)),
    };
    let timeout = Duration::from_millis(state.app.limits.request_timeout_ms);
    Router::new()
        .route("/", get(dashboard::page))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", get(login::logout_form).post(login::logout))
        .route("/record", get(record::index))
        .route(
            "/record/{event_type}",
            get(record::form).post(record::submit),
        )
        .route("/events/{id}", get(events::page))
        .route(
            "/events/{id}/retract",
            get(events::retract_form).post(events::retract),
        )
        .route(
            "/events/{id}/correct",
            get(events::correct_form).post(events::correct),
        )
        .route("/enterprises", get(lists::enterprises))
        .route("/placements", get(lists::placements))
        .route("/grants", get(lists::grants))
        .route("/agreements", get(lists::agreements))
        .route("/trials", get(lists::trials))
        .route("/trends", get(lists::trends))
        .route("/strategies/{id}", get(entity::page))
        .route("/enterprises/{id}", get(entity::page))
        .route("/placements/{id}", get(entity::page))
        .route("/grants/{id}", get(entity::page))
        .route("/agreements/{id}", get(entity::page))
        .route("/trials/{id}", get(entity::page))
        .route("/trends/{id}", get(entity::page))
        .route("/reports/annual/{year}", get(reports::annual))
        .route("/reports", get(reports::index))
        .route("/audit", get(audit::page))
        .route("/audit/export", get(audit::export))
        .layer(axum::middleware::from_fn(remember_lang))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .with_state(state)
}

/// The language of a request: `?lang=` first, then the remembered choice, then Danish.
pub fn lang_of(parts: &Parts) -> Lang {
    query_value(parts.uri.query(), "lang")
        .and_then(|text| Lang::parse(&text))
        .or_else(|| session::cookie(&parts.headers, LANG_COOKIE).and_then(Lang::parse))
        .unwrap_or_default()
}

/// The first value of `name` in a query string.
pub fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Remembers `?lang=da|en` in a cookie for a year, so every later page keeps the choice.
async fn remember_lang(request: Request, next: Next) -> Response {
    let chosen = query_value(request.uri().query(), "lang").and_then(|text| Lang::parse(&text));
    let headers = request.headers().clone();
    let mut response = next.run(request).await;
    if let Some(lang) = chosen {
        let cookie = session::set_cookie(&headers, LANG_COOKIE, lang.tag(), Some(365 * 24 * 3600));
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The members of a posted form (`application/x-www-form-urlencoded`), in order.
#[derive(Debug, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &Bytes) -> Fields {
        Fields(
            form_urlencoded::parse(body)
                .map(|(key, value)| (key.into_owned(), value.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The value of `name`, trimmed; empty counts as absent.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name)
            .map(str::trim)
            .filter(|value| !value.is_empty())
    }

    /// Every value of `name` (checkboxes).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    }
}

/// An HTML answer.
pub fn html(status: StatusCode, markup: Markup) -> Response {
    let content_type = HeaderValue::from_static("text/html; charset=utf-8");
    let mut response = (
        status,
        [(header::CONTENT_TYPE, content_type)],
        markup.into_string(),
    )
        .into_response();
    // Pages show who is logged in and their figures: never kept by a shared cache.
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CONTENT_SECURITY_POLICY),
    );
    response
}

/// The report's policy (`http::observe`), except that a page's forms may post to this server.
pub const PAGE_CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'self'";

/// 303 See Other to a local path.
pub fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(
            header::LOCATION,
            HeaderValue::from_str(location).expect("a local path in ASCII"),
        )],
    )
        .into_response()
}

/// Appends through the API's one path (`http::events::submit`), with the problems of a
/// refusal in the visitor's language.
pub async fn append(
    state: &WebState,
    visitor: &Visitor,
    values: Vec<serde_json::Value>,
) -> Result<crate::store::Appended, crate::http::error::ApiError> {
    let language = match visitor.lang {
        Lang::Da => impact_events::Language::Danish,
        Lang::En => impact_events::Language::English,
    };
    crate::http::events::submit(&state.app, &visitor.caller, values)
        .await
        .map_err(|error| error.in_language(language))
}
