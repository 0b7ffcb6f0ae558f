//! The projections over HTTP: GET /api/v1/status/{year}, /api/v1/targets, /api/v1/history,
//! each answerable "as of" an instant (`as_of`) or a log position (`at_position`).

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::Json;
use impact_projections::{History, Projection, Status, Targets};
use serde::Deserialize;

use super::error::{internal, ApiError};
use super::AppState;
use crate::as_of::{answer_live, fold_at, AsOfError, Spelling};
pub use crate::as_of::{AsOf, Fold};
use crate::auth::Caller;

/// Years outside this range are refused as typing mistakes.
pub use impact_events::time::YEARS;
use impact_events::time::{YEAR_FIRST, YEAR_LAST};

/// The query members that say which moment of the log to answer for; neither means "now".
#[derive(Debug, Default, Deserialize)]
pub struct AsOfQuery {
    /// An RFC 3339 instant: only events recorded at or before it count.
    pub as_of: Option<String>,
    /// A log position: only events at or before it count. Read as text, because a flattened
    /// query struct cannot hold typed numbers (serde_urlencoded).
    pub at_position: Option<String>,
}

impl AsOfQuery {
    /// The moment asked for, read by `AsOf::parse`.
    pub fn parse(&self) -> Result<AsOf, ApiError> {
        AsOf::parse(self.as_of.as_deref(), self.at_position.as_deref()).map_err(bad_as_of)
    }
}

/// An `AsOfError` as the API says it.
pub fn bad_as_of(error: AsOfError) -> ApiError {
    ApiError::BadRequest(error.message(Spelling::Query))
}

#[derive(Debug, Deserialize)]
pub struct TargetsQuery {
    year: Option<String>,
    #[serde(flatten)]
    as_of: AsOfQuery,
}

#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    from: Option<String>,
    to: Option<String>,
    #[serde(flatten)]
    as_of: AsOfQuery,
}

/// Parses a year given in a path or query.
pub fn parse_year(name: &str, text: Option<&str>) -> Result<i32, ApiError> {
    let text = text
        .ok_or_else(|| ApiError::BadRequest(format!("`{name}` is required, e.g. {name}=2023")))?;
    text.parse::<i32>()
        .ok()
        .filter(|year| YEARS.contains(year))
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "`{name}` must be a year from {YEAR_FIRST} to {YEAR_LAST}, not `{text}`"
            ))
        })
}

fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query
        .map(|Query(query)| query)
        .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))
}

/// The log position an `AsOf` names, or `None` for the current head.
pub fn resolve_position(state: &AppState, as_of: &AsOf) -> Result<Option<u64>, ApiError> {
    as_of.position(&state.ledger).map_err(bad_as_of)
}

/// Runs `answer` on the projection the `AsOf` names: the live one, or a fold of the log prefix.
pub async fn with_projection<T: Send + 'static>(
    state: &AppState,
    as_of: &AsOf,
    answer: impl FnOnce(&Projection) -> T + Send + 'static,
) -> Result<T, ApiError> {
    with_projection_folded(state, as_of, Fold::Figures, answer).await
}

/// As `with_projection`, with a fold of the past made for `fold`: the choice is
/// `as_of::answer_live`'s; a fold takes one of the few fold permits (503 beyond) and runs on
/// the blocking pool.
pub async fn with_projection_folded<T: Send + 'static>(
    state: &AppState,
    as_of: &AsOf,
    fold: Fold,
    answer: impl FnOnce(&Projection) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let position = resolve_position(state, as_of)?;
    let (position, answer) = match answer_live(&state.ledger, position, answer) {
        Ok(answered) => return Ok(answered),
        Err(to_fold) => to_fold,
    };
    // Each fold takes a core for up to ~0.1 µs per event: a few at once, the rest retry.
    let permit = state
        .folds
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::Overloaded)?;
    let ledger = state.ledger.clone();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        answer(&fold_at(&ledger, position, fold))
    })
    .await
    .map_err(internal)
}

/// The figures of one year (CONTRACT §4).
#[utoipa::path(get, path = "/api/v1/status/{year}", tag = "figures", security(("bearer" = [])),
    params(("year" = i32, Path, minimum = 1900, maximum = 2200, description = "1900 to 2200"),
        ("as_of" = Option<String>, Query, format = DateTime, description = "an RFC 3339 instant: only events recorded by then count"),
        ("at_position" = Option<u64>, Query, description = "a log position: only events up to it count"),
    ),
    responses(
        (status = 200, description = "the year's status", body = impact_projections::Status),
        (status = 400, description = "a parameter cannot be read", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "this role may not", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn status(
    State(state): State<AppState>,
    _caller: Caller,
    year: Result<Path<String>, PathRejection>,
    uri: axum::http::Uri,
    as_of: Result<Query<AsOfQuery>, QueryRejection>,
) -> Result<Json<Status>, ApiError> {
    super::check_query_keys(&uri, &["as_of", "at_position"])?;
    let Path(year) = year.map_err(super::path_error)?;
    let year = parse_year("year", Some(&year))?;
    let as_of = query(as_of)?.parse()?;
    Ok(Json(
        with_projection(&state, &as_of, move |projection| projection.status(year)).await?,
    ))
}

/// The targets in force for a year, with actual, attainment, forecast and on_track.
#[utoipa::path(get, path = "/api/v1/targets", tag = "figures", security(("bearer" = [])),
    params(("year" = i32, Query, minimum = 1900, maximum = 2200, description = "1900 to 2200"),
        ("as_of" = Option<String>, Query, format = DateTime, description = "an RFC 3339 instant: only events recorded by then count"),
        ("at_position" = Option<u64>, Query, description = "a log position: only events up to it count"),
    ),
    responses(
        (status = 200, description = "the targets", body = impact_projections::Targets),
        (status = 400, description = "a parameter cannot be read", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "this role may not", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 404, description = "no strategy in force covers the year", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn targets(
    State(state): State<AppState>,
    _caller: Caller,
    uri: axum::http::Uri,
    targets: Result<Query<TargetsQuery>, QueryRejection>,
) -> Result<Json<Targets>, ApiError> {
    super::check_query_keys(&uri, &["year", "as_of", "at_position"])?;
    let targets = query(targets)?;
    let year = parse_year("year", targets.year.as_deref())?;
    let found = with_projection(&state, &targets.as_of.parse()?, move |projection| {
        projection.targets(year)
    })
    .await?;
    found
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no strategy in force covers {year}")))
}

/// The bridge from the end of year `from` to the end of year `to`, with the events behind it.
#[utoipa::path(get, path = "/api/v1/history", tag = "figures", security(("bearer" = [])),
    params(("from" = i32, Query, minimum = 1900, maximum = 2200, description = "1900 to 2200"), ("to" = i32, Query, minimum = 1900, maximum = 2200, description = "1900 to 2200, not before `from`"),
        ("as_of" = Option<String>, Query, format = DateTime, description = "an RFC 3339 instant: only events recorded by then count"),
        ("at_position" = Option<u64>, Query, description = "a log position: only events up to it count"),
    ),
    responses(
        (status = 200, description = "the bridge", body = impact_projections::History),
        (status = 400, description = "a parameter cannot be read", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "this role may not", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn history(
    State(state): State<AppState>,
    _caller: Caller,
    uri: axum::http::Uri,
    history: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Json<History>, ApiError> {
    super::check_query_keys(&uri, &["from", "to", "as_of", "at_position"])?;
    let history = query(history)?;
    let from = parse_year("from", history.from.as_deref())?;
    let to = parse_year("to", history.to.as_deref())?;
    if from > to {
        return Err(ApiError::BadRequest(format!(
            "`from` ({from}) must not be after `to` ({to})"
        )));
    }
    Ok(Json(
        with_projection(&state, &history.as_of.parse()?, move |projection| {
            projection.history(from, to)
        })
        .await?,
    ))
}
