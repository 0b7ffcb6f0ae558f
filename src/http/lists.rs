//! The lists behind the figures (CONTRACT §9): GET /api/v1/enterprises, /placements, /grants,
//! /agreements, /trials and /trends, each `{"total", "as_of_position", "items"}` paged by
//! `limit` and `offset`, answerable "as of" like the figures; and GET /api/v1/access-log,
//! who read the person-level list (placements).
//!
//! The projection finds the matching entities (`impact_projections::search`: a query in, a
//! page of hits naming positions out); the items are then completed from the stored events at
//! those positions, read from the log after the read model's lock is let go. The web pages
//! call the same `list_*` functions as the JSON handlers: one path to every list.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::Uri;
use axum::Json;
use chrono::NaiveDate;
use impact_events::{
    AgreementKind, EmploymentType, EnterpriseKind, EventData, StoredEvent, TrendKind, TrialKind,
};
use impact_projections::{
    AgreementQuery, EnterpriseQuery, EntryQuery, GrantKind, Page, Paging, PlacementQuery,
    Projection, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::caller::AUDITOR_ADMIN;
use super::error::{internal, ApiError};
use super::figures::{bad_as_of, parse_year, with_projection_folded, AsOf, Fold};
use super::AppState;
use crate::access_log::AccessEntry;
use crate::auth::Caller;

/// The longest `q`, in characters.
pub const Q_CHARS_MAX: usize = 200;

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListPage<T> {
    /// How many entities match, on all pages.
    pub total: u64,
    /// The log position the list was answered at.
    pub as_of_position: u64,
    pub items: Vec<T>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseItem {
    pub enterprise_id: Uuid,
    pub name: String,
    pub kind: EnterpriseKind,
    pub cvr: Option<String>,
    pub rsv: Option<bool>,
    pub sdgs: Vec<u8>,
    #[schema(value_type = String, format = Date)]
    pub registered_on: NaiveDate,
    /// The standing closure's date, if it closed (also after the query's year).
    #[schema(value_type = Option<String>, format = Date)]
    pub closed_on: Option<NaiveDate>,
    /// Standing placements at it: in the query's `year`, or in all years.
    pub placements: u64,
    /// The registration's log position.
    pub position: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlacementItem {
    pub placement_id: Uuid,
    pub person_ref: String,
    pub employment_type: EmploymentType,
    pub enterprise_id: Option<Uuid>,
    pub enterprise_name: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub occurred_on: NaiveDate,
    pub position: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GrantItem {
    pub grant_id: Uuid,
    pub funder: String,
    pub amount_ore: i64,
    pub purpose: Option<String>,
    /// The partner enterprise that won it with the unit's help; null: the unit's own.
    pub enterprise_id: Option<Uuid>,
    pub sdgs: Vec<u8>,
    #[schema(value_type = String, format = Date)]
    pub occurred_on: NaiveDate,
    pub position: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AgreementItem {
    pub agreement_id: Uuid,
    pub counterparty: String,
    pub kind: AgreementKind,
    #[schema(value_type = String, format = Date)]
    pub signed_on: NaiveDate,
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_to: Option<NaiveDate>,
    /// The standing ending's date, if it ended.
    #[schema(value_type = Option<String>, format = Date)]
    pub ended_on: Option<NaiveDate>,
    pub position: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrialItem {
    pub trial_id: Uuid,
    pub title: String,
    pub kind: TrialKind,
    pub partners: Vec<String>,
    pub sdgs: Vec<u8>,
    #[schema(value_type = String, format = Date)]
    pub occurred_on: NaiveDate,
    pub position: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrendItem {
    pub trend_id: Uuid,
    pub title: String,
    pub kind: TrendKind,
    pub source: Option<String>,
    pub sdgs: Vec<u8>,
    #[schema(value_type = String, format = Date)]
    pub occurred_on: NaiveDate,
    pub position: u64,
}

/// The query parameters of a request, each at most once, none unknown.
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// Reads the query of `uri`; a parameter not in `known`, or given twice, is a 400.
    pub fn read(uri: &Uri, known: &[&str]) -> Result<Params, ApiError> {
        super::check_query_keys(uri, known)?;
        let mut params = BTreeMap::new();
        for (key, value) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
            if params.insert(key.to_string(), value.to_string()).is_some() {
                return Err(ApiError::BadRequest(format!("give `{key}` only once")));
            }
        }
        Ok(Params(params))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// `as_of` / `at_position`, read by `AsOf::parse`.
    pub fn as_of(&self) -> Result<AsOf, ApiError> {
        AsOf::parse(self.get("as_of"), self.get("at_position")).map_err(bad_as_of)
    }

    pub fn year(&self) -> Result<Option<i32>, ApiError> {
        self.get("year")
            .map(|text| parse_year("year", Some(text)))
            .transpose()
    }

    pub fn paging(&self) -> Result<Paging, ApiError> {
        let number = |name: &str, default: u64, max: u64| match self.get(name) {
            None => Ok(default),
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "`{name}` must be a whole number from 0 to {max}, not `{text}`"
                    ))
                }),
        };
        Ok(Paging {
            offset: number("offset", 0, super::POSITION_MAX)?,
            limit: number("limit", PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX)?,
        })
    }

    /// The search text; empty means none.
    pub fn q(&self) -> Result<Option<String>, ApiError> {
        let q = self.get("q").map(str::trim).filter(|q| !q.is_empty());
        match q {
            Some(q) if q.chars().count() > Q_CHARS_MAX => Err(ApiError::BadRequest(format!(
                "`q` is at most {Q_CHARS_MAX} characters"
            ))),
            q => Ok(q.map(str::to_owned)),
        }
    }

    /// One of `choices`, named as the API writes them (e.g. `wage_subsidy`).
    pub fn choice<T: Copy + Serialize>(
        &self,
        name: &str,
        choices: &[T],
    ) -> Result<Option<T>, ApiError> {
        let Some(text) = self.get(name) else {
            return Ok(None);
        };
        let named = |choice: &T| {
            serde_json::to_value(choice)
                .ok()?
                .as_str()
                .map(str::to_owned)
        };
        if let Some(found) = choices.iter().find(|c| named(c).as_deref() == Some(text)) {
            return Ok(Some(*found));
        }
        let names: Vec<String> = choices.iter().filter_map(named).collect();
        Err(ApiError::BadRequest(format!(
            "`{name}` must be one of {}, not `{text}`",
            names.join(", ")
        )))
    }

    pub fn uuid(&self, name: &str) -> Result<Option<Uuid>, ApiError> {
        self.get(name)
            .map(|text| {
                Uuid::parse_str(text).map_err(|_| {
                    ApiError::BadRequest(format!(
                        "`{name}` must be an id such as 7c0e1a52-0000-4000-8000-000000000001, not `{text}`"
                    ))
                })
            })
            .transpose()
    }
}

/// Answers a list: `find` on the projection the `AsOf` names, then each hit completed by
/// `item` from its stored event (read from the log, outside the read model's lock).
async fn list<H, I>(
    state: &AppState,
    as_of: &AsOf,
    find: impl FnOnce(&Projection) -> Page<H> + Send + 'static,
    item: impl Fn(&H, StoredEvent) -> Option<I>,
    position_of: fn(&H) -> u64,
) -> Result<ListPage<I>, ApiError>
where
    H: Send + 'static,
{
    let (as_of_position, page) = with_projection_folded(state, as_of, Fold::Lists, |projection| {
        (projection.position(), find(projection))
    })
    .await?;
    let mut items = Vec::with_capacity(page.items.len());
    for hit in &page.items {
        let position = position_of(hit);
        let event = state.ledger.store().get(position).map_err(internal)?;
        let event =
            event.ok_or_else(|| internal(format!("a listed position {position} is missing")))?;
        let listed = item(hit, event)
            .ok_or_else(|| internal(format!("position {position} is not what its list holds")))?;
        items.push(listed);
    }
    Ok(ListPage {
        total: page.total,
        as_of_position,
        items,
    })
}

/// The enterprises matching `query` (see `EnterpriseQuery`).
pub async fn list_enterprises(
    state: &AppState,
    as_of: &AsOf,
    query: EnterpriseQuery,
) -> Result<ListPage<EnterpriseItem>, ApiError> {
    let find = move |projection: &Projection| projection.enterprises(&query);
    let item = |hit: &impact_projections::EnterpriseHit, event: StoredEvent| match event.data {
        EventData::EnterpriseRegistered(registered) => Some(EnterpriseItem {
            enterprise_id: registered.enterprise_id,
            name: registered.name,
            kind: registered.kind,
            cvr: registered.cvr,
            rsv: registered.rsv,
            sdgs: registered.sdgs.unwrap_or_default(),
            registered_on: event.occurred_on,
            closed_on: hit.closed_on,
            placements: hit.placements,
            position: event.position,
        }),
        _ => None,
    };
    list(state, as_of, find, item, |hit| hit.position).await
}

/// The placements matching `query`; person-level, so the read is written to the access log
/// (who, when, `query_text`) before it is answered.
pub async fn list_placements(
    state: &AppState,
    caller: &Caller,
    as_of: &AsOf,
    query: PlacementQuery,
    query_text: &str,
) -> Result<ListPage<PlacementItem>, ApiError> {
    let find = move |projection: &Projection| projection.placements(&query);
    let item = |hit: &impact_projections::PlacementHit, event: StoredEvent| match event.data {
        EventData::PersonPlacedInEmployment(placed) => Some(PlacementItem {
            placement_id: placed.placement_id,
            person_ref: placed.person_ref,
            employment_type: placed.employment_type,
            enterprise_id: placed.enterprise_id,
            enterprise_name: hit.enterprise_name.clone(),
            occurred_on: event.occurred_on,
            position: event.position,
        }),
        _ => None,
    };
    let page = list(state, as_of, find, item, |hit| hit.position).await?;
    let access_log = state.access_log.clone();
    let (caller, query_text, total) = (caller.clone(), query_text.to_owned(), page.total);
    tokio::task::spawn_blocking(move || {
        access_log.record(&caller, "/api/v1/placements", &query_text, total)
    })
    .await
    .map_err(internal)?
    .map_err(internal)?;
    Ok(page)
}

/// The grants matching `query`.
pub async fn list_grants(
    state: &AppState,
    as_of: &AsOf,
    query: EntryQuery<GrantKind>,
) -> Result<ListPage<GrantItem>, ApiError> {
    let find = move |projection: &Projection| projection.grants(&query);
    let item = |_: &impact_projections::EntryHit, event: StoredEvent| match event.data {
        EventData::GrantAwarded(awarded) => Some(GrantItem {
            grant_id: awarded.grant_id,
            funder: awarded.funder,
            amount_ore: awarded.amount_ore,
            purpose: awarded.purpose,
            enterprise_id: awarded.enterprise_id,
            sdgs: awarded.sdgs.unwrap_or_default(),
            occurred_on: event.occurred_on,
            position: event.position,
        }),
        _ => None,
    };
    list(state, as_of, find, item, |hit| hit.position).await
}

/// The agreements matching `query` (with a year: active at its end).
pub async fn list_agreements(
    state: &AppState,
    as_of: &AsOf,
    query: AgreementQuery,
) -> Result<ListPage<AgreementItem>, ApiError> {
    let find = move |projection: &Projection| projection.agreements(&query);
    let item = |hit: &impact_projections::AgreementHit, event: StoredEvent| match event.data {
        EventData::AgreementSigned(signed) => Some(AgreementItem {
            agreement_id: signed.agreement_id,
            counterparty: signed.counterparty,
            kind: signed.kind,
            signed_on: event.occurred_on,
            valid_to: signed.valid_to,
            ended_on: hit.ended_on,
            position: event.position,
        }),
        _ => None,
    };
    list(state, as_of, find, item, |hit| hit.position).await
}

/// The trials matching `query`.
pub async fn list_trials(
    state: &AppState,
    as_of: &AsOf,
    query: EntryQuery<TrialKind>,
) -> Result<ListPage<TrialItem>, ApiError> {
    let find = move |projection: &Projection| projection.trials(&query);
    let item = |_: &impact_projections::EntryHit, event: StoredEvent| match event.data {
        EventData::TrialStarted(started) => Some(TrialItem {
            trial_id: started.trial_id,
            title: started.title,
            kind: started.kind,
            partners: started.partners.unwrap_or_default(),
            sdgs: started.sdgs.unwrap_or_default(),
            occurred_on: event.occurred_on,
            position: event.position,
        }),
        _ => None,
    };
    list(state, as_of, find, item, |hit| hit.position).await
}

/// The trends and offers matching `query`.
pub async fn list_trends(
    state: &AppState,
    as_of: &AsOf,
    query: EntryQuery<TrendKind>,
) -> Result<ListPage<TrendItem>, ApiError> {
    let find = move |projection: &Projection| projection.trends(&query);
    let item = |_: &impact_projections::EntryHit, event: StoredEvent| match event.data {
        EventData::TrendNoted(noted) => Some(TrendItem {
            trend_id: noted.trend_id,
            title: noted.title,
            kind: noted.kind,
            source: noted.source,
            sdgs: noted.sdgs.unwrap_or_default(),
            occurred_on: event.occurred_on,
            position: event.position,
        }),
        _ => None,
    };
    list(state, as_of, find, item, |hit| hit.position).await
}

const COMMON: [&str; 5] = ["as_of", "at_position", "limit", "offset", "q"];

/// The parameters every list takes and `extra`.
fn read_params(uri: &Uri, extra: &[&str]) -> Result<Params, ApiError> {
    let known: Vec<&str> = COMMON.iter().chain(extra).copied().collect();
    Params::read(uri, &known)
}

/// Grants, agreements, trials and trends: `year`, `kind`, `q` and the page.
fn entry_query<K: Copy + Serialize>(
    params: &Params,
    kinds: &[K],
) -> Result<EntryQuery<K>, ApiError> {
    Ok(EntryQuery {
        year: params.year()?,
        kind: params.choice("kind", kinds)?,
        q: params.q()?,
        paging: params.paging()?,
    })
}

/// The enterprises, with their closure and placements (CONTRACT §9).
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "lists", security(("bearer" = [])),
    params(
        ("year" = Option<i32>, Query, minimum = 1900, maximum = 2200, description = "registered by the end of this year; with it `status` means at its end, and defaults to active: the total is `enterprises.active` of /status/{year}"),
        ("status" = Option<String>, Query, description = "active, closed or all; default active with a year, all without"),
        ("kind" = Option<EnterpriseKind>, Query, description = "enterprise or initiative"),
        ("q" = Option<String>, Query, max_length = 200, description = "found inside the name or the CVR, ignoring case"),
        ("limit" = Option<u64>, Query, minimum = 0, maximum = 1000, description = "items per page, default 100"),
        ("offset" = Option<u64>, Query, description = "items to skip, default 0"),
        ("as_of" = Option<String>, Query, format = DateTime, description = "an RFC 3339 instant: only events recorded by then count"),
        ("at_position" = Option<u64>, Query, description = "a log position: only events up to it count"),
    ),
    responses(
        (status = 200, description = "one page of the enterprises", body = ListPage<EnterpriseItem>),
        (status = 400, description = "a parameter cannot be read", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn enterprises(
    State(state): State<AppState>,
    _caller: Caller,
    uri: Uri,
) -> Result<Json<ListPage<EnterpriseItem>>, ApiError> {
    let params = read_params(&uri, &["year", "status", "kind"])?;
    let status = params.choice("status", &impact_projections::ENTERPRISE_STATUSES)?;
    let query = EnterpriseQuery {
        year: params.year()?,
        status,
        kind: params.choice("kind", &impact_projections::ENTERPRISE_KINDS)?,
        q: params.q()?,
        paging: params.paging()?,
    };
    Ok(Json(
        list_enterprises(&state, &params.as_of()?, query).await?,
    ))
}

/// The placements, each with its person_ref: every read is written to the access log.
#[utoipa::path(get, path = "/api/v1/placements", tag = "lists", security(("bearer" = [])),
    params(
        ("year" = Option<i32>, Query, minimum = 1900, maximum = 2200, description = "occurred in this year: the distinct person_refs number `people_employed` of /status/{year}"),
        ("enterprise_id" = Option<Uuid>, Query, description = "only placements at this enterprise"),
        ("employment_type" = Option<EmploymentType>, Query, description = "only this employment type"),
        ("q" = Option<String>, Query, max_length = 200, description = "found inside the person_ref or the enterprise's name, ignoring case"),
        ("limit" = Option<u64>, Query, minimum = 0, maximum = 1000, description = "items per page, default 100"),
        ("offset" = Option<u64>, Query, description = "items to skip, default 0"),
        ("as_of" = Option<String>, Query, format = DateTime, description = "an RFC 3339 instant: only events recorded by then count"),
        ("at_position" = Option<u64>, Query, description = "a log position: only events up to it count"),
    ),
    responses(
        (status = 200, description = "one page of the placements", body = ListPage<PlacementItem>),
        (status = 400, description = "a parameter cannot be read", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn placements(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
) -> Result<Json<ListPage<PlacementItem>>, ApiError> {
    let params = read_params(&uri, &["year", "enterprise_id", "employment_type"])?;
    let query = PlacementQuery {
        year: params.year()?,
        enterprise_id: params.uuid("enterprise_id")?,
        employment_type: params.choice("employment_type", &impact_projections::EMPLOYMENT_TYPES)?,
        q: params.q()?,
        paging: params.paging()?,
    };
    let query_text = uri.query().unwrap_or("");
    Ok(Json(
        list_placements(&state, &caller, &params.as_of()?, query, query_text).await?,
    ))
}

/// The grants: money won by the unit (kind `unit`) or by a partner enterprise with its help
/// (kind `partner`).
#[utoipa::path(get, path = "/api/v1/grants", tag = "lists", security(("bearer" = [])),
    params(
        ("year" = Option<i32>, Query, minimum = 1900, maximum = 2200, description = "awarded in this year: as many as `grants.count` of /status/{year}, summing to its `total_ore`"),
        ("kind" = Option<String>, Query, description = "unit (no enterprise_id) or partner"),
        ("q" = Option<String>, Query, max_length = 200, description = "found inside the funder, ignoring case"),
        ("limit" = Option<u64>, Query, minimum = 0, maximum = 1000, description = "items per page, default 100"),
        ("offset" = Option<u64>, Query, description = "items to skip, default 0"),
        ("as_of" = Option<String>, Query, format = DateTime, description = "an RFC 3339 instant: only events recorded by then count"),
        ("at_position" = Option<u64>, Query, description = "a log position: only events up to it count"),
    ),
    responses(
        (status = 200, description = "one page of the grants", body = ListPage<GrantItem>),
        (status = 400, description = "a parameter cannot be read", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn grants(
    State(state): State<AppState>,
    _caller: Caller,
    uri: Uri,
) -> Result<Json<ListPage<GrantItem>>, ApiError> {
    let params = read_params(&uri, &["year", "kind"])?;
    let query = entry_query(&params, &impact_projections::GRANT_KINDS)?;
    Ok(Json(list_grants(&state, &params.as_of()?, query).await?))
}

/// The agreements; with a year, those active at its end.
#[utoipa::path(get, path = "/api/v1/agreements", tag = "lists", security(("bearer" = [])),
    params(
        ("year" = Option<i32>, Query, minimum = 1900, maximum = 2200, description = "active at the end of this year: the total is `agreements.active` of /status/{year}"),
        ("kind" = Option<AgreementKind>, Query, description = "partnership, civil_society or volunteering"),
        ("q" = Option<String>, Query, max_length = 200, description = "found inside the counterparty, ignoring case"),
        ("limit" = Option<u64>, Query, minimum = 0, maximum = 1000, description = "items per page, default 100"),
        ("offset" = Option<u64>, Query, description = "items to skip, default 0"),
        ("as_of" = Option<String>, Query, format = DateTime, description = "an RFC 3339 instant: only events recorded by then count"),
        ("at_position" = Option<u64>, Query, description = "a log position: only events up to it count"),
    ),
    responses(
        (status = 200, description = "one page of the agreements", body = ListPage<AgreementItem>),
        (status = 400, description = "a parameter cannot be read", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn agreements(
    State(state): State<AppState>,
    _caller: Caller,
    uri: Uri,
) -> Result<Json<ListPage<AgreementItem>>, ApiError> {
    let params = read_params(&uri, &["year", "kind"])?;
    let query = entry_query(&params, &impact_projections::AGREEMENT_KINDS)?;
    Ok(Json(
        list_agreements(&state, &params.as_of()?, query.into()).await?,
    ))
}

/// The trials (internal trials and trial actions).
#[utoipa::path(get, path = "/api/v1/trials", tag = "lists", security(("bearer" = [])),
    params(
        ("year" = Option<i32>, Query, minimum = 1900, maximum = 2200, description = "started in this year: the total is `trials.started` of /status/{year}"),
        ("kind" = Option<TrialKind>, Query, description = "internal_trial or trial_action"),
        ("q" = Option<String>, Query, max_length = 200, description = "found inside the title, ignoring case"),
        ("limit" = Option<u64>, Query, minimum = 0, maximum = 1000, description = "items per page, default 100"),
        ("offset" = Option<u64>, Query, description = "items to skip, default 0"),
        ("as_of" = Option<String>, Query, format = DateTime, description = "an RFC 3339 instant: only events recorded by then count"),
        ("at_position" = Option<u64>, Query, description = "a log position: only events up to it count"),
    ),
    responses(
        (status = 200, description = "one page of the trials", body = ListPage<TrialItem>),
        (status = 400, description = "a parameter cannot be read", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn trials(
    State(state): State<AppState>,
    _caller: Caller,
    uri: Uri,
) -> Result<Json<ListPage<TrialItem>>, ApiError> {
    let params = read_params(&uri, &["year", "kind"])?;
    let query = entry_query(&params, &impact_projections::TRIAL_KINDS)?;
    Ok(Json(list_trials(&state, &params.as_of()?, query).await?))
}

/// The trends and offers noted.
#[utoipa::path(get, path = "/api/v1/trends", tag = "lists", security(("bearer" = [])),
    params(
        ("year" = Option<i32>, Query, minimum = 1900, maximum = 2200, description = "noted in this year: the total is `trends.noted` of /status/{year}"),
        ("kind" = Option<TrendKind>, Query, description = "trend or offer"),
        ("q" = Option<String>, Query, max_length = 200, description = "found inside the title, ignoring case"),
        ("limit" = Option<u64>, Query, minimum = 0, maximum = 1000, description = "items per page, default 100"),
        ("offset" = Option<u64>, Query, description = "items to skip, default 0"),
        ("as_of" = Option<String>, Query, format = DateTime, description = "an RFC 3339 instant: only events recorded by then count"),
        ("at_position" = Option<u64>, Query, description = "a log position: only events up to it count"),
    ),
    responses(
        (status = 200, description = "one page of the trends", body = ListPage<TrendItem>),
        (status = 400, description = "a parameter cannot be read", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn trends(
    State(state): State<AppState>,
    _caller: Caller,
    uri: Uri,
) -> Result<Json<ListPage<TrendItem>>, ApiError> {
    let params = read_params(&uri, &["year", "kind"])?;
    let query = entry_query(&params, &impact_projections::TREND_KINDS)?;
    Ok(Json(list_trends(&state, &params.as_of()?, query).await?))
}

/// A page of the access log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLogPage {
    pub entries: Vec<AccessEntry>,
    /// Pass as `before` for the next (older) page; null on the last.
    pub next_before: Option<u64>,
}

/// Who read person-level lists, when, with which query: auditors and admins only.
#[utoipa::path(get, path = "/api/v1/access-log", tag = "audit", security(("bearer" = [])),
    params(
        ("before" = Option<u64>, Query, description = "only entries with a lower sequence number (the previous page's next_before)"),
        ("limit" = Option<u64>, Query, minimum = 0, maximum = 1000, description = "entries per page, default 100"),
    ),
    responses(
        (status = 200, description = "one page of the access log, newest first", body = AccessLogPage),
        (status = 400, description = "a parameter cannot be read", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 401, description = "no valid token", body = super::error::ProblemDocument, content_type = "application/problem+json"),
        (status = 403, description = "this role may not (staff)", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn access_log(
    State(state): State<AppState>,
    caller: Caller,
    uri: Uri,
) -> Result<Json<AccessLogPage>, ApiError> {
    caller.allow(AUDITOR_ADMIN)?;
    let params = Params::read(&uri, &["before", "limit"])?;
    let limit = params.paging()?.limit as usize;
    let before = match params.get("before") {
        None => None,
        Some(text) => Some(text.parse::<u64>().map_err(|_| {
            ApiError::BadRequest(format!(
                "`before` must be a sequence number (0 or more), not `{text}`"
            ))
        })?),
    };
    let access_log = state.access_log.clone();
    let (entries, next_before) =
        tokio::task::spawn_blocking(move || access_log.page(before, limit))
            .await
            .map_err(internal)?
            .map_err(internal)?;
    Ok(Json(AccessLogPage {
        entries,
        next_before,
    }))
}
