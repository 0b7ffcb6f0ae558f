//! GET /api/v1/reports/annual/{year}: the annual report as JSON, CSV or a printable HTML page
//! (CONTRACT §4 and §5), answerable "as of" an instant or a log position like every projection.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::{internal, ApiError};
use super::figures::{parse_year, resolve_position, AsOfQuery};
use super::AppState;
use crate::auth::Caller;
use crate::reports::csv::Separator;
use crate::reports::html::Downloads;
use crate::reports::{self, Format, Lang};

/// The query of the report. Every member is text: a flattened query struct cannot hold typed
/// values (serde_urlencoded), and text lets a bad value get a message that names it.
#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    format: Option<String>,
    lang: Option<String>,
    sep: Option<String>,
    #[serde(flatten)]
    as_of: AsOfQuery,
}

/// What the query asks for, checked.
struct Rendering {
    format: Format,
    lang: Lang,
    separator: Separator,
}

impl ReportQuery {
    fn rendering(&self) -> Result<Rendering, ApiError> {
        let format = match self.format.as_deref() {
            None => Format::Json,
            Some(text) => Format::parse(text).ok_or_else(|| {
                ApiError::BadRequest(format!("`format` must be json, csv or html, not `{text}`"))
            })?,
        };
        let lang = match self.lang.as_deref() {
            None => Lang::Da,
            Some(text) => Lang::parse(text).ok_or_else(|| {
                ApiError::BadRequest(format!("`lang` must be da or en, not `{text}`"))
            })?,
        };
        let separator = match self.sep.as_deref() {
            None => Separator::Semicolon,
            Some(text) => Separator::parse(text).ok_or_else(|| {
                ApiError::BadRequest(format!("`sep` must be semicolon or comma, not `{text}`"))
            })?,
        };
        Ok(Rendering {
            format,
            lang,
            separator,
        })
    }
}

/// The annual report: JSON, CSV for Danish Excel (or RFC 4180 with sep=comma), printable HTML.
#[utoipa::path(get, path = "/api/v1/reports/annual/{year}", tag = "figures", security(("bearer" = [])),
    params(("year" = i32, Path, minimum = 1900, maximum = 2200, description = "1900 to 2200"),
        ("format" = inline(Option<crate::reports::Format>), Query, description = "json (default), csv or html"),
        ("lang" = inline(Option<crate::reports::Lang>), Query, description = "da (default) or en"),
        ("sep" = inline(Option<crate::reports::csv::Separator>), Query, description = "csv: semicolon (default, Danish Excel) or comma"),
        ("as_of" = Option<String>, Query, format = DateTime, description = "an RFC 3339 instant: only events recorded by then count"),
        ("at_position" = Option<u64>, Query, description = "a log position: only events up to it count"),
    ),
    responses(
        (status = 200, description = "the report", content(
            (crate::reports::AnnualReport = "application/json"),
            (String = "text/csv"),
            (String = "text/html"))),
        (status = 400, description = "a parameter cannot be read", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "this role may not", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn annual(
    State(state): State<AppState>,
    _caller: Caller,
    year: Result<Path<String>, PathRejection>,
    uri: axum::http::Uri,
    query: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    super::check_query_keys(&uri, &["format", "lang", "sep", "as_of", "at_position"])?;
    let Path(year) = year.map_err(super::path_error)?;
    let year = parse_year("year", Some(&year))?;
    let Query(query) = query.map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
    let rendering = query.rendering()?;
    let position = resolve_position(&state, &query.as_of.parse()?)?;
    let ledger = state.ledger.clone();
    let listed = rendering.format.listed();
    // An "as of" report may fold the log: it holds one of the few fold permits.
    let permit = match position {
        Some(_) => Some(
            state
                .folds
                .clone()
                .try_acquire_owned()
                .map_err(|_| ApiError::Overloaded)?,
        ),
        None => None,
    };
    // Folding a past position and naming the listed events both read the log.
    let mut report = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        reports::annual_report(&ledger, year, position, listed)
    })
    .await
    .map_err(internal)?
    .map_err(internal)?;
    report.municipality = state.municipality.as_deref().map(str::to_owned);
    Ok(respond(&report, &rendering))
}

fn respond(report: &reports::AnnualReport, rendering: &Rendering) -> Response {
    match rendering.format {
        Format::Json => {
            let content_type = HeaderValue::from_static("application/json");
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, content_type)],
                report.to_json(),
            )
                .into_response()
        }
        Format::Csv => {
            let body = reports::csv::render(report, rendering.lang, rendering.separator);
            let disposition = format!("attachment; filename=\"aarsrapport-{}.csv\"", report.year);
            let headers = [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_str(&disposition).expect("an ASCII file name"),
                ),
            ];
            (StatusCode::OK, headers, body).into_response()
        }
        Format::Html => {
            let body = reports::html::render(report, rendering.lang, Downloads::Linked);
            let content_type = HeaderValue::from_static("text/html; charset=utf-8");
            (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response()
        }
    }
}
