//! `/audit` for auditors and admins: verify the chain now, download the export, and see the
//! figures of a year as they were at a moment or a log position.
//! The access log (CONTRACT §9: who read person-level lists, when, with which query) is shown
//! newest first.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Europe::Copenhagen;
use maud::{html, Markup};

use super::layout::{self, this_year};
use super::reports::api_message;
use super::{html as respond, query_value, Visitor, WebState};
use crate::as_of::Spelling;
use crate::http::caller::AUDITOR_ADMIN;
use crate::http::figures::{with_projection, AsOf, YEARS};
use crate::reports::words::NumberStyle;
use crate::reports::Lang;

/// What the "as it was" form asked for, read from the query.
struct Moment {
    year: i32,
    /// `datetime-local` text, Copenhagen time.
    moment: Option<String>,
    at_position: Option<String>,
}

pub async fn page(State(state): State<WebState>, visitor: Visitor) -> Response {
    if let Err(refused) = visitor.require(AUDITOR_ADMIN) {
        return refused;
    }
    let lang = visitor.lang;
    let query = visitor.here.split_once('?').map(|(_, query)| query);
    let verification = match query_value(query, "verify") {
        Some(_) => Some(verify(&state, lang).await),
        None => None,
    };
    let moment = Moment {
        year: query_value(query, "year")
            .and_then(|text| text.parse().ok())
            .filter(|year| YEARS.contains(year))
            .unwrap_or_else(this_year),
        moment: query_value(query, "moment").filter(|text| !text.is_empty()),
        at_position: query_value(query, "at_position").filter(|text| !text.is_empty()),
    };
    let figures = match (&moment.moment, &moment.at_position) {
        (None, None) => None,
        _ => Some(figures_then(&state, &moment, lang).await),
    };
    let title = lang.pick("Revision", "Audit");
    let head = state.app.ledger.durable_position();
    let body = html! {
        h1 { (title) }
        p.lead { (lang.pick("Loggen har ", "The log holds ")) (NumberStyle::of(lang).integer(head.into())) (lang.pick(" hændelser.", " events.")) }
        h2 { (lang.pick("Kontrollér kæden", "Verify the chain")) }
        p { (lang.pick("Genberegner hver hændelses hash fra position 1 og kontrollerer, at ingen er ændret, fjernet eller flyttet.",
            "Recomputes every event's hash from position 1 and checks that none was changed, removed or reordered.")) }
        form method="get" action="/audit" {
            input type="hidden" name="verify" value="1";
            button.primary type="submit" { (lang.pick("Kontrollér nu", "Verify now")) }
        }
        @if let Some(verification) = verification { (verification) }
        h2 { (lang.pick("Hent eksporten", "Download the export")) }
        p { (lang.pick("Hver hændelse i rækkefølge som én JSON-linje (NDJSON), præcis som den blev hashet. ops/verify_export.py kontrollerer den uden denne server.",
            "Every event in order as one JSON line (NDJSON), exactly as hashed. ops/verify_export.py checks it without this server.")) }
        p { a href="/audit/export" download { (lang.pick("Hent eksport (NDJSON)", "Download export (NDJSON)")) } }
        h2 { (lang.pick("Tallene som de var", "The figures as they were")) }
        (moment_form(lang, &moment))
        @if let Some(figures) = figures { (figures) }
        h2 { (lang.pick("Adgangslog", "Access log")) }
        p { (lang.pick("Hvem der har læst lister med personer (ansættelsesforløb), hvornår og med hvilken søgning. Nyeste først.",
            "Who read lists of people (placements), when and with which query. Newest first.")) }
        (access_log(&state, lang).await)
    };
    respond(
        StatusCode::OK,
        layout::page(lang, &visitor.here, Some(&visitor), title, body),
    )
}

async fn verify(state: &WebState, lang: Lang) -> Markup {
    let ledger = state.app.ledger.clone();
    let summary = tokio::task::spawn_blocking(move || {
        let until = ledger.durable_position();
        crate::audit::verify_log(ledger.store(), until)
    })
    .await;
    html! {
        @match summary {
            Ok(Ok(summary)) if summary.ok() => div.notice role="status" {
                p { strong.good { (lang.pick("Kæden er intakt", "The chain verifies")) } }
                p { (NumberStyle::of(lang).integer(summary.events.into())) (lang.pick(" hændelser · sidste hash ", " events · last hash ")) span.hash { (summary.head_hash.to_hex()) } }
            },
            Ok(Ok(summary)) => div.retracted role="alert" {
                p { strong.bad { (lang.pick("Kæden er brudt", "The chain is broken")) } }
                p { (summary.broken.map(|broken| broken.to_string()).unwrap_or_default()) }
            },
            _ => div.retracted role="alert" { p { (lang.pick("Kontrollen kunne ikke gennemføres", "The check could not run")) } },
        }
    }
}

fn moment_form(lang: Lang, moment: &Moment) -> Markup {
    html! {
        form.filters method="get" action="/audit" {
            div.group {
                label for="f-year" { (lang.pick("År", "Year")) }
                input.short #f-year type="number" name="year" value=(moment.year) min=(impact_events::time::YEAR_FIRST) max=(impact_events::time::YEAR_LAST);
            }
            div.group {
                label for="f-moment" { (lang.pick("Tidspunkt (dansk tid)", "Moment (Copenhagen time)")) }
                input #f-moment type="datetime-local" step="1" name="moment" value=(moment.moment.clone().unwrap_or_default());
            }
            div.group {
                label for="f-at_position" { (lang.pick("eller position", "or position")) }
                input.short #f-at_position type="text" inputmode="numeric" name="at_position" value=(moment.at_position.clone().unwrap_or_default());
            }
            button.secondary type="submit" { (lang.pick("Vis tallene", "Show the figures")) }
        }
    }
}

/// A Copenhagen wall-clock time from a `datetime-local` input as an RFC 3339 instant.
fn instant_of(text: &str) -> Option<String> {
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
        .ok()?;
    let instant = Copenhagen.from_local_datetime(&local).earliest()?;
    Some(instant.with_timezone(&chrono::Utc).to_rfc3339())
}

async fn figures_then(state: &WebState, moment: &Moment, lang: Lang) -> Markup {
    if let Some(refused) = position_refused(state, moment, lang) {
        return refused;
    }
    let as_of = match (&moment.at_position, &moment.moment) {
        (Some(position), _) => AsOf::parse(None, Some(position)),
        (None, Some(text)) => match instant_of(text) {
            Some(instant) => AsOf::parse(Some(&instant), None),
            None => {
                return html! { p.bad { (lang.pick("Tidspunktet kan ikke læses.", "The moment cannot be read.")) } }
            }
        },
        (None, None) => Ok(AsOf::Live),
    };
    let as_of = match as_of {
        Ok(as_of) => as_of,
        Err(error) => return html! { p.bad role="alert" { (error.message(Spelling::Query)) } },
    };
    let year = moment.year;
    let answer = with_projection(&state.app, &as_of, move |projection| {
        (projection.position(), projection.status(year))
    })
    .await;
    let (position, status) = match answer {
        Ok(answer) => answer,
        Err(error) => return html! { p.bad role="alert" { (api_message(error)) } },
    };
    let numbers = NumberStyle::of(lang);
    let count = |value: u64| numbers.integer(value.into());
    html! {
        table {
            caption { (year) ", " (lang.pick("som kendt til og med position ", "as known up to and including position ")) (position) }
            tbody {
                tr { th scope="row" { (lang.pick("Personer i beskæftigelse", "People employed")) } td.number { (count(status.people_employed)) } }
                tr { th scope="row" { (lang.pick("Aktive virksomheder og initiativer", "Active enterprises and initiatives")) } td.number { (count(status.enterprises.active)) } }
                tr { th scope="row" { (lang.pick("Aktive aftaler", "Active agreements")) } td.number { (count(status.agreements.active)) } }
                tr { th scope="row" { (lang.pick("Bevillinger", "Grants")) } td.number { (numbers.kroner(status.grants.total_ore)) " kr." } }
                tr { th scope="row" { (lang.pick("Forsøg startet", "Trials started")) } td.number { (count(status.trials.started)) } }
                tr { th scope="row" { (lang.pick("Trends noteret", "Trends noted")) } td.number { (count(status.trends.noted)) } }
            }
        }
        p { a href=(format!("/reports/annual/{year}?at_position={position}")) { (lang.pick("Hele årsrapporten som den var", "The whole annual report as it was")) } }
    }
}

/// A position that is not a whole number or lies past the head, said in the page's language
/// (the API's own words are English).
fn position_refused(state: &WebState, moment: &Moment, lang: Lang) -> Option<Markup> {
    let text = moment.at_position.as_deref()?;
    let head = state.app.ledger.durable_position();
    let message = match text.trim().parse::<u64>() {
        Ok(position) if position <= head => return None,
        Ok(_) => format!(
            "{}{head}{}",
            lang.pick(
                "Loggen har kun hændelser til og med position ",
                "The log only holds events up to position "
            ),
            lang.pick(
                "; vælg en position fra 0 til den.",
                "; choose a position from 0 to it."
            ),
        ),
        Err(_) => lang
            .pick(
                "Skriv positionen som et helt tal, fx 250.",
                "Write the position as a whole number, e.g. 250.",
            )
            .to_owned(),
    };
    Some(html! { p.bad role="alert" { (message) } })
}

/// The export, streamed by the API's own handler with the session's caller.
pub async fn export(State(state): State<WebState>, visitor: Visitor) -> Response {
    if let Err(refused) = visitor.require(AUDITOR_ADMIN) {
        return refused;
    }
    let still_valid = crate::http::caller::StillValid::of_digest(
        &state.app,
        visitor.token_digest,
        &visitor.caller,
    );
    let mut response = crate::http::audit::export_body(state.app, still_valid);
    let disposition =
        axum::http::HeaderValue::from_static("attachment; filename=\"ledger-export.ndjson\"");
    response
        .headers_mut()
        .insert(axum::http::header::CONTENT_DISPOSITION, disposition);
    response
}
/// Entries of the access log shown on the page, newest first.
const ACCESS_ROWS: usize = 50;

async fn access_log(state: &WebState, lang: Lang) -> Markup {
    let log = state.app.access_log.clone();
    let page = tokio::task::spawn_blocking(move || log.page(None, ACCESS_ROWS)).await;
    let entries = match page {
        Ok(Ok((entries, _))) => entries,
        other => {
            tracing::error!(?other, "reading the access log for /audit");
            return html! { p.bad { (lang.pick("Adgangsloggen kunne ikke læses.", "The access log could not be read.")) } };
        }
    };
    html! {
        table {
            caption.visually-hidden { (lang.pick("Adgangslog", "Access log")) }
            thead { tr {
                th scope="col" { "#" } th scope="col" { (lang.pick("Tidspunkt (dansk tid)", "When (Copenhagen time)")) }
                th scope="col" { (lang.pick("Hvem", "Who")) } th scope="col" { (lang.pick("Søgning", "Query")) }
                th.number scope="col" { (lang.pick("Fundet", "Found")) }
            } }
            tbody {
                @for entry in &entries {
                    tr {
                        td { (entry.sequence) } td { (chrono::DateTime::parse_from_rfc3339(&entry.at).map(|at| layout::copenhagen_time(at.to_utc())).unwrap_or_else(|_| entry.at.clone())) }
                        td { (entry.actor) " (" (layout::role_name(lang, entry.role)) ")" }
                        td { code { (entry.path) @if !entry.query.is_empty() { "?" (entry.query) } } }
                        td.number { (entry.total) }
                    }
                }
            }
        }
        @if entries.is_empty() { p.muted { (lang.pick("Ingen opslag endnu.", "No reads yet.")) } }
    }
}
