//! The projections over HTTP: GET /api/v1/status/{year}, /api/v1/targets, /api/v1/history,
//! each answerable "as of" an instant (`as_of`) or a log position (`at_position`).

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::Json;
use impact_events::RecordedAt;
use impact_projections::{History, Projection, Status, Targets};
use serde::Deserialize;

use super::error::{internal, ApiError};
use super::AppState;
use crate::auth::Caller;
use crate::store::ReadModel;

/// Years outside this range are refused as typing mistakes.
pub use impact_events::time::YEARS;
use impact_events::time::{YEAR_FIRST, YEAR_LAST};

/// Which moment of the log to answer for; neither means "now".
#[derive(Debug, Default, Deserialize)]
pub struct AsOf {
    /// An RFC 3339 instant: only events recorded at or before it count.
    pub as_of: Option<String>,
    /// A log position: only events at or before it count. Read as text, because a flattened
    /// query struct cannot hold typed numbers (serde_urlencoded).
    pub at_position: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TargetsQuery {
    year: Option<String>,
    #[serde(flatten)]
    as_of: AsOf,
}

#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    from: Option<String>,
    to: Option<String>,
    #[serde(flatten)]
    as_of: AsOf,
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
    state
        .ledger
        .with_read(|read| resolve_position_in(read, as_of))
}

fn resolve_position_in(read: &ReadModel, as_of: &AsOf) -> Result<Option<u64>, ApiError> {
    let head = read.head_position();
    let at_position = match &as_of.at_position {
        Some(text) => Some(text.parse::<u64>().map_err(|_| {
            ApiError::BadRequest(format!(
                "`at_position` must be a log position (0 or more), not `{text}`"
            ))
        })?),
        None => None,
    };
    match (&as_of.as_of, at_position) {
        (Some(_), Some(_)) => Err(ApiError::BadRequest(
            "give `as_of` or `at_position`, not both".to_owned(),
        )),
        (Some(text), None) => {
            let instant = chrono::DateTime::parse_from_rfc3339(text).map_err(|_| {
                ApiError::BadRequest(format!("`as_of` must be an RFC 3339 instant such as 2024-01-31T12:00:00Z, not `{text}`"))
            })?;
            let instant = RecordedAt::from_datetime(instant.with_timezone(&chrono::Utc));
            Ok(Some(read.position_at(instant)))
        }
        (None, Some(position)) if position > head => Err(ApiError::BadRequest(format!(
            "`at_position` {position} is past the end of the log (its head is {head})"
        ))),
        (None, Some(position)) => Ok(Some(position)),
        (None, None) => Ok(None),
    }
}

/// Runs `answer` on the projection the `AsOf` names: the live one, or a fold of the log prefix.
pub async fn with_projection<T: Send + 'static>(
    state: &AppState,
    as_of: &AsOf,
    answer: impl FnOnce(&Projection) -> T + Send + 'static,
) -> Result<T, ApiError> {
    with_projection_folded(state, as_of, Fold::Figures, answer).await
}

/// What a fold of the past must be able to answer: figures only, or the lists too
/// (`Ledger::projection_with_lists_at`: it copies the names the lists search).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fold {
    Figures,
    Lists,
}

/// As `with_projection`, with a fold of the past made for `fold`.
pub async fn with_projection_folded<T: Send + 'static>(
    state: &AppState,
    as_of: &AsOf,
    fold: Fold,
    answer: impl FnOnce(&Projection) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let position = resolve_position(state, as_of)?;
    let ledger = state.ledger.clone();
    let live = ledger.with_read(|read| {
        if position.is_none_or(|position| position == read.head_position()) {
            Ok(answer(&read.projection))
        } else {
            Err(answer)
        }
    });
    let answer = match live {
        Ok(answered) => return Ok(answered),
        Err(answer) => answer,
    };
    let position = position.expect("only a past position is folded");
    // Each fold takes a core for up to ~0.1 µs per event: a few at once, the rest retry.
    let permit = state
        .folds
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::Overloaded)?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let projection = match fold {
            Fold::Figures => ledger.projection_at(position),
            Fold::Lists => ledger.projection_with_lists_at(position),
        };
        Ok(answer(&projection))
    })
    .await
    .map_err(internal)?
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
    as_of: Result<Query<AsOf>, QueryRejection>,
) -> Result<Json<Status>, ApiError> {
    super::check_query_keys(&uri, &["as_of", "at_position"])?;
    let Path(year) = year.map_err(super::path_error)?;
    let year = parse_year("year", Some(&year))?;
    let as_of = query(as_of)?;
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
    let found = with_projection(&state, &targets.as_of, move |projection| {
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
        with_projection(&state, &history.as_of, move |projection| {
            projection.history(from, to)
        })
        .await?,
    ))
}
