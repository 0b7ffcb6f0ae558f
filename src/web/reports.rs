//! `/reports` and `/reports/annual/{year}`: the annual report in the browser with the session
//! instead of a bearer token, rendered by `crate::reports` exactly as the API renders it
//! (`format=html`, the default, a printable page; `csv` and `json` as downloads), for now or
//! "as of" an instant or a log position.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::html;

use super::layout::{self, this_year};
use super::{html as respond, query_value, Visitor, WebState};
use crate::http::figures::{bad_as_of, resolve_position, AsOf, YEARS};
use crate::reports::{self, csv::Separator, html::Downloads, Format};

pub async fn index(visitor: Visitor) -> Response {
    let lang = visitor.lang;
    let title = lang.pick("Årsrapporter", "Annual reports");
    let now = this_year();
    let body = html! {
        h1 { (title) }
        p.lead { (lang.pick("Rapporten dannes af hændelsesloggen, når den åbnes. Den kan udskrives eller hentes som regneark (CSV) eller JSON.",
            "The report is made from the event log when it is opened. Print it, or download it as a spreadsheet (CSV) or JSON.")) }
        table {
            thead { tr { th scope="col" { (lang.pick("År", "Year")) } th scope="col" { (lang.pick("Rapport", "Report")) } th scope="col" { (lang.pick("Hent", "Download")) } } }
            tbody {
                @for year in (now - 5..=now).rev() {
                    tr {
                        td { (year) }
                        td { a href=(format!("/reports/annual/{year}")) { (lang.pick("Årsrapport ", "Annual report ")) (year) } }
                        td {
                            a href=(format!("/reports/annual/{year}?format=csv")) download { "CSV" span.visually-hidden { " " (year) } }
                            " · "
                            a href=(format!("/reports/annual/{year}?format=json")) download { "JSON" span.visually-hidden { " " (year) } }
                        }
                    }
                }
            }
        }
    };
    respond(
        StatusCode::OK,
        layout::page(lang, &visitor.here, Some(&visitor), title, body),
    )
}

pub async fn annual(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(year): Path<String>,
) -> Response {
    let lang = visitor.lang;
    let query = visitor.here.split_once('?').map(|(_, query)| query);
    let Some(year) = year.parse::<i32>().ok().filter(|year| YEARS.contains(year)) else {
        return layout::not_found(
            &visitor,
            lang.pick(
                "Der er ingen rapport for det år.",
                "There is no report for that year.",
            ),
        );
    };
    let format = match query_value(query, "format") {
        None => Format::Html,
        Some(text) => match Format::parse(&text) {
            Some(format) => format,
            None => {
                return bad_request(
                    &visitor,
                    lang.pick(
                        "Formatet skal være html, csv eller json.",
                        "The format must be html, csv or json.",
                    ),
                )
            }
        },
    };
    let as_of = AsOf::parse(
        query_value(query, "as_of").as_deref(),
        query_value(query, "at_position").as_deref(),
    )
    .map_err(bad_as_of);
    let position = match as_of.and_then(|as_of| resolve_position(&state.app, &as_of)) {
        Ok(position) => position,
        Err(error) => return bad_request(&visitor, &api_message(error)),
    };
    let ledger = state.app.ledger.clone();
    let permit = match position {
        Some(_) => match state.app.folds.clone().try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => {
                return layout::message(
                    &visitor,
                    StatusCode::SERVICE_UNAVAILABLE,
                    lang.pick("Optaget", "Busy"),
                    lang.pick("Prøv igen om lidt.", "Try again in a moment."),
                )
            }
        },
        None => None,
    };
    let report = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        reports::annual_report(&ledger, year, position, format.listed())
    })
    .await;
    let mut report = match report {
        Ok(Ok(report)) => report,
        other => {
            tracing::error!(?other, "making the annual report for the web");
            return layout::failure(&visitor);
        }
    };
    report.municipality = state.app.municipality.as_deref().map(str::to_owned);
    render(&report, format, lang)
}

fn render(report: &reports::AnnualReport, format: Format, lang: reports::Lang) -> Response {
    let (content_type, body, file) = match format {
        Format::Html => (
            "text/html; charset=utf-8",
            reports::html::render(report, lang, Downloads::Linked).into_bytes(),
            None,
        ),
        Format::Csv => (
            "text/csv; charset=utf-8",
            reports::csv::render(report, lang, Separator::Semicolon),
            Some("csv"),
        ),
        Format::Json => ("application/json", report.to_json(), Some("json")),
    };
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response();
    if let Some(extension) = file {
        let disposition = format!(
            "attachment; filename=\"aarsrapport-{}.{extension}\"",
            report.year
        );
        response.headers_mut().insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition).expect("ASCII"),
        );
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn bad_request(visitor: &Visitor, text: &str) -> Response {
    let lang = visitor.lang;
    layout::message(
        visitor,
        StatusCode::BAD_REQUEST,
        lang.pick("Forespørgslen kan ikke læses", "The request cannot be read"),
        text,
    )
}

/// The plain words of an API refusal (they are written for people already).
pub fn api_message(error: crate::http::error::ApiError) -> String {
    match error {
        crate::http::error::ApiError::BadRequest(message)
        | crate::http::error::ApiError::NotFound(message) => message,
        other => format!("{other:?}"),
    }
}
