//! `/events/{id}`: one event as stored (position, hash, every member), whether and by which
//! event it was retracted, the other events of its stream, and for staff the two actions:
//! retract (a reason is required) and correct (one atomic request: the retraction of this
//! event and the corrected event, CONTRACT §8).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use impact_events::StoredEvent;
use maud::{html, Markup};
use serde_json::{json, Value};
use uuid::Uuid;

use super::dashboard::capitalised;
use super::entity::{load_stream, retraction_of, Standing};
use super::layout::{self, Problem};
use super::record::{self, Filled};
use super::{html as respond, see_other, Fields, Visitor, WebState};
use crate::http::caller::{STAFF_ADMIN, STAFF_AUDITOR_ADMIN};
use crate::http::error::ApiError;
use crate::reports::words;
use crate::reports::Lang;

/// An event and what the ledger knows around it.
pub struct EventView {
    pub event: StoredEvent,
    /// The retraction that undid this event, if any.
    pub retracted_by: Option<StoredEvent>,
    /// Every event of its stream, in order, each with its retraction.
    pub stream: Vec<Standing>,
}

/// Reads an event, its retraction and its stream (blocking: reads the log).
pub fn load(state: &WebState, id: Uuid) -> Result<Option<EventView>, crate::store::StoreError> {
    let Some(event) = state.app.ledger.event_by_id(&id)? else {
        return Ok(None);
    };
    let retracted_by = retraction_of(state, &event.id)?;
    let stream = load_stream(state, &event.stream)?;
    Ok(Some(EventView {
        event,
        retracted_by,
        stream,
    }))
}

/// The reason a retraction gives.
pub fn reason_of(retraction: &StoredEvent) -> Option<&str> {
    match &retraction.data {
        impact_events::EventData::EventRetracted(retracted) => Some(&retracted.reason),
        _ => None,
    }
}

/// The erasures of the viewed event (they are in its stream, CONTRACT §12), in order.
fn erasures_of(
    view: &EventView,
) -> impl Iterator<Item = (&StoredEvent, &impact_events::MembersErased)> {
    view.stream
        .iter()
        .filter_map(|(other, _)| match &other.data {
            impact_events::EventData::MembersErased(erased) if erased.event_id == view.event.id => {
                Some((other, erased))
            }
            _ => None,
        })
}

/// Reads the event of `id` on the blocking pool, or answers with the page to show instead.
pub async fn find(state: &WebState, visitor: &Visitor, id: &str) -> Result<EventView, Response> {
    let lang = visitor.lang;
    let missing = lang.pick(
        "Der er ingen hændelse med det id.",
        "There is no event with that id.",
    );
    let Ok(id) = Uuid::parse_str(id) else {
        return Err(layout::not_found(visitor, missing));
    };
    let state = state.clone();
    match tokio::task::spawn_blocking(move || load(&state, id)).await {
        Ok(Ok(Some(view))) => Ok(view),
        Ok(Ok(None)) => Err(layout::not_found(visitor, missing)),
        Ok(Err(error)) => {
            tracing::error!(%error, "reading an event for its page");
            Err(layout::failure(visitor))
        }
        Err(error) => {
            tracing::error!(%error, "reading an event for its page");
            Err(layout::failure(visitor))
        }
    }
}

pub async fn page(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    // One event as stored, as the API's GET /api/v1/events/{id}: not for the committee.
    if let Err(refused) = visitor.require(STAFF_AUDITOR_ADMIN) {
        return refused;
    }
    let view = match find(&state, &visitor, &id).await {
        Ok(view) => view,
        Err(page) => return page,
    };
    let lang = visitor.lang;
    let title = format!("{} {}", lang.pick("Hændelse", "Event"), view.event.position);
    let body = render(&view, &visitor);
    respond(
        StatusCode::OK,
        layout::page(lang, &visitor.here, Some(&visitor), &title, body),
    )
}

/// What an event is, in words: "Virksomhed registreret".
pub fn what(lang: Lang, event: &StoredEvent) -> String {
    capitalised(words::event_type(lang, event.data.event_type()))
}

fn render(view: &EventView, visitor: &Visitor) -> Markup {
    let lang = visitor.lang;
    let event = &view.event;
    let correctable =
        visitor.is(STAFF_ADMIN) && view.retracted_by.is_none() && !is_retraction(event);
    html! {
        h1 { (what(lang, event)) }
        @if let Some(retraction) = &view.retracted_by {
            div.retracted role="note" {
                p { strong { (lang.pick("Tilbagekaldt", "Retracted")) } " "
                    (lang.pick("af hændelse ", "by event ")) a href=(format!("/events/{}", retraction.id)) { (retraction.position) }
                    " " (lang.pick("den ", "on ")) (layout::copenhagen_time(retraction.recorded_at.to_datetime())) "." }
                @if let Some(reason) = reason_of(retraction) {
                    p { (lang.pick("Begrundelse: ", "Reason: ")) (reason) }
                }
                p { (lang.pick("Hændelsen står uændret i loggen, men tæller ingen steder.", "The event stays unchanged in the log but counts nowhere.")) }
            }
        }
        @for (erasure, erased) in erasures_of(view) {
            div.retracted role="note" {
                p { strong { (lang.pick("Slettet", "Erased")) } " " (erased.members.join(", ")) " "
                    (lang.pick("af ", "by ")) (erasure.actor) " "
                    (lang.pick("den ", "on ")) (layout::copenhagen_time(erasure.recorded_at.to_datetime())) " ("
                    a href=(format!("/events/{}", erasure.id)) { (lang.pick("hændelse ", "event ")) (erasure.position) } ")." }
                p { (lang.pick("Begrundelse: ", "Reason: ")) (erased.reason) }
            }
        }
        @if let impact_events::EventData::EventRetracted(retracted) = &event.data {
            p.notice { (lang.pick("Denne hændelse tilbagekalder ", "This event retracts "))
                a href=(format!("/events/{}", retracted.event_id)) { (retracted.event_id) } "." }
        }
        dl.facts {
            dt { (lang.pick("Position", "Position")) } dd { (event.position) }
            dt { (lang.pick("Dato", "Date")) } dd { (event.occurred_on) }
            dt { (lang.pick("Registreret (dansk tid)", "Recorded (Copenhagen time)")) } dd { (layout::copenhagen_time(event.recorded_at.to_datetime())) }
            dt { (lang.pick("Af", "By")) } dd { (event.actor) }
            dt { (lang.pick("Strøm", "Stream")) } dd { a href=(entity_path(event)) { (event.stream.to_string()) } " (version " (event.version) ")" }
            dt { "Id" } dd.hash { (event.id) }
            dt { "Hash" } dd.hash { (event.hash.to_hex()) }
            dt { (lang.pick("Forrige hash", "Previous hash")) } dd.hash { (event.prev_hash.to_hex()) }
        }
        @if correctable {
            div.actions {
                a.button href=(format!("/events/{}/correct", event.id)) { (lang.pick("Ret", "Correct")) }
                a href=(format!("/events/{}/retract", event.id)) { (lang.pick("Tilbagekald", "Retract")) }
            }
        }
        h2 { (lang.pick("Som gemt", "As stored")) }
        pre.hash { (serde_json::to_string_pretty(&event.to_json(true)).unwrap_or_default()) }
        h2 { (lang.pick("Alle hændelser i strømmen", "Every event of the stream")) }
        (stream_table(lang, &view.stream))
    }
}

fn is_retraction(event: &StoredEvent) -> bool {
    matches!(event.data, impact_events::EventData::EventRetracted(_))
}

/// The page of the entity a stream is about.
pub fn entity_path(event: &StoredEvent) -> String {
    super::entity::path_of(&event.stream)
}

/// Every event of an entity, retracted ones struck through and marked with why.
pub fn stream_table(lang: Lang, stream: &[Standing]) -> Markup {
    html! {
        table {
            thead { tr {
                th scope="col" { "Pos." } th scope="col" { (lang.pick("Hændelse", "Event")) }
                th scope="col" { (lang.pick("Dato", "Date")) } th scope="col" { (lang.pick("Af", "By")) }
                th scope="col" { (lang.pick("Status", "Status")) }
            } }
            tbody {
                @for (event, retraction) in stream {
                    tr class=[retraction.is_some().then_some("is-retracted")] {
                        td { a href=(format!("/events/{}", event.id)) { (event.position) } }
                        td { (what(lang, event)) }
                        td { (event.occurred_on) }
                        td { (event.actor) }
                        td.status {
                            @match retraction {
                                Some(retraction) => {
                                    (lang.pick("tilbagekaldt af ", "retracted by "))
                                    a href=(format!("/events/{}", retraction.id)) { (retraction.position) }
                                    @if let Some(reason) = reason_of(retraction) { ": " (reason) }
                                }
                                None => (lang.pick("gælder", "stands")),
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The reason input of a retraction or correction; not `reason`, which some events have.
const RETRACT_REASON: &str = "retract_reason";
/// The hidden input with the retraction's id, made when the form is shown: the same form sent
/// twice (a double click, a reload) is then the idempotent retry of CONTRACT §3.4, answered
/// with the first answer's receipts, rather than a second retraction refused as a conflict.
const RETRACTION_ID: &str = "retraction_id";

/// A form's first values: a fresh retraction id.
fn fresh_retraction() -> (String, String) {
    (RETRACTION_ID.to_owned(), Uuid::new_v4().to_string())
}

/// The hidden retraction id of a form, as it was made (or sent).
fn retraction_id_input(fields: &Fields) -> Markup {
    html! {
        @if let Some(id) = fields.get(RETRACTION_ID) { input type="hidden" name=(RETRACTION_ID) value=(id); }
    }
}

pub async fn retract_form(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = visitor.require(STAFF_ADMIN) {
        return refused;
    }
    match find(&state, &visitor, &id).await {
        Ok(view) => {
            let fields = Fields(vec![fresh_retraction()]);
            retract_page(&visitor, &view, &fields, &[], StatusCode::OK)
        }
        Err(page) => page,
    }
}

fn retract_page(
    visitor: &Visitor,
    view: &EventView,
    fields: &Fields,
    problems: &[Problem],
    status: StatusCode,
) -> Response {
    let lang = visitor.lang;
    let event = &view.event;
    let title = format!(
        "{} {}",
        lang.pick("Tilbagekald hændelse", "Retract event"),
        event.position
    );
    let body = html! {
        (layout::error_summary(lang, problems))
        h1 { (title) }
        p { (what(lang, event)) ", " (event.occurred_on) ". "
            (lang.pick("Hændelsen bliver stående i loggen, men tæller ingen steder bagefter.", "The event stays in the log but counts nowhere afterwards.")) }
        form method="post" action=(format!("/events/{}/retract", event.id)) novalidate {
            (layout::csrf(visitor))
            (retraction_id_input(fields))
            (reason_group(lang, fields, problems))
            button.warning type="submit" { (lang.pick("Tilbagekald", "Retract")) }
        }
    };
    respond(
        status,
        layout::page(lang, &visitor.here, Some(visitor), &title, body),
    )
}

fn reason_group(lang: Lang, fields: &Fields, problems: &[Problem]) -> Markup {
    let messages = layout::messages_for(problems, RETRACT_REASON);
    let described = layout::described_by(RETRACT_REASON, false, !messages.is_empty());
    layout::group(
        RETRACT_REASON,
        lang.pick(
            "Begrundelse for tilbagekaldelsen",
            "Reason for the retraction",
        ),
        None,
        &messages,
        html! {
            textarea #(format!("f-{RETRACT_REASON}")) name=(RETRACT_REASON) rows="3" aria-describedby=[described]
                aria-invalid=[(!messages.is_empty()).then_some("true")] { (fields.get(RETRACT_REASON).unwrap_or("")) }
        },
    )
}

/// What every action on an event checks first: the form's CSRF token, the role, the event.
async fn acting_on(
    state: &WebState,
    visitor: &Visitor,
    id: &str,
    fields: &Fields,
) -> Result<EventView, Response> {
    visitor.check_csrf(fields)?;
    visitor.require(STAFF_ADMIN)?;
    find(state, visitor, id).await
}

/// The form an event is corrected with; a retraction has none (it is itself retracted).
fn correction_form(visitor: &Visitor, view: &EventView) -> Result<&'static record::Form, Response> {
    record::form_of(view.event.data.event_type())
        .filter(|_| !is_retraction(&view.event))
        .ok_or_else(|| {
            let lang = visitor.lang;
            layout::not_found(
                visitor,
                lang.pick(
                    "Denne hændelse kan ikke rettes.",
                    "This event cannot be corrected.",
                ),
            )
        })
}

/// The retraction of `event_id` with the form's reason, and its id when the form carries one
/// (the API makes one otherwise, and says if the one sent is not an id).
fn retraction(event_id: Uuid, fields: &Fields) -> Value {
    let mut retraction = json!({
        "type": impact_events::EventType::EventRetracted.name(),
        "occurred_on": crate::http::events::copenhagen_today().to_string(),
        "data": {"event_id": event_id, "reason": record::one_line(fields.get(RETRACT_REASON).unwrap_or(""))},
    });
    if let Some(id) = fields.text(RETRACTION_ID) {
        retraction["id"] = Value::from(id);
    }
    retraction
}

pub async fn retract(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let fields = Fields::parse(&body);
    let view = match acting_on(&state, &visitor, &id, &fields).await {
        Ok(view) => view,
        Err(page) => return page,
    };
    let request = vec![retraction(view.event.id, &fields)];
    match super::append(&state, &visitor, request).await {
        Ok(_) => see_other(&format!("/events/{}", view.event.id)),
        Err(ApiError::Unprocessable(problems) | ApiError::Conflict(problems)) => {
            let problems = problems
                .into_iter()
                .map(|problem| Problem {
                    field: (problem.field.as_deref() == Some("data.reason"))
                        .then(|| RETRACT_REASON.to_owned()),
                    message: problem.message,
                })
                .collect::<Vec<_>>();
            retract_page(
                &visitor,
                &view,
                &fields,
                &problems,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(ApiError::Forbidden { .. }) => layout::forbidden(&visitor),
        Err(error) => {
            tracing::error!(?error, "a retraction from the web was refused");
            layout::failure(&visitor)
        }
    }
}

pub async fn correct_form(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = visitor.require(STAFF_ADMIN) {
        return refused;
    }
    let view = match find(&state, &visitor, &id).await {
        Ok(view) => view,
        Err(page) => return page,
    };
    let form = match correction_form(&visitor, &view) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let mut values = record::values_of(form, &view.event);
    values.push(("id".to_owned(), Uuid::new_v4().to_string()));
    values.push(fresh_retraction());
    // The corrected event keeps the entity's id (the rules allow it once the old creating
    // event stands retracted, CONTRACT §8), so links to the entity stay good.
    let filled = Filled {
        values: Fields(values),
        problems: Vec::new(),
    };
    correct_page(&state, &visitor, &view, form, &filled, StatusCode::OK).await
}

async fn correct_page(
    state: &WebState,
    visitor: &Visitor,
    view: &EventView,
    form: &record::Form,
    filled: &Filled,
    status: StatusCode,
) -> Response {
    let lang = visitor.lang;
    let event = &view.event;
    let options = record::options(state, visitor, form).await;
    let title = format!(
        "{} {}",
        lang.pick("Ret hændelse", "Correct event"),
        event.position
    );
    let body = html! {
        (layout::error_summary(lang, &record::labelled(form, &filled.problems, lang)))
        h1 { (title) }
        p.lead { (lang.pick(
            "En rettelse gemmes som én samlet handling: den gamle hændelse tilbagekaldes, og den rettede gemmes. Begge står i loggen.",
            "A correction is stored as one action: the old event is retracted and the corrected one stored. Both stay in the log.")) }
        form method="post" action=(format!("/events/{}/correct", event.id)) novalidate {
            (layout::csrf(visitor))
            (retraction_id_input(&filled.values))
            @if let Some(id) = filled.values.get("id") { input type="hidden" name="id" value=(id); }
            @if let Some(member) = form.creates {
                @if let Some(id) = filled.values.get(member) { input type="hidden" name=(member) value=(id); }
            }
            (reason_group(lang, &filled.values, &filled.problems))
            (record::all_fields(form, filled, lang, &options))
            button.primary type="submit" { (lang.pick("Gem rettelsen", "Save the correction")) }
        }
    };
    respond(
        status,
        layout::page(lang, &visitor.here, Some(visitor), &title, body),
    )
}

pub async fn correct(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let fields = Fields::parse(&body);
    let view = match acting_on(&state, &visitor, &id, &fields).await {
        Ok(view) => view,
        Err(page) => return page,
    };
    let form = match correction_form(&visitor, &view) {
        Ok(form) => form,
        Err(page) => return page,
    };
    let corrected = match record::event_in(form, &fields, visitor.lang) {
        Ok(corrected) => corrected,
        Err(problems) => {
            let filled = Filled {
                values: fields,
                problems,
            };
            return correct_page(
                &state,
                &visitor,
                &view,
                form,
                &filled,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let request = vec![retraction(view.event.id, &fields), corrected];
    match super::append(&state, &visitor, request).await {
        Ok(appended) => {
            let new_id = appended
                .receipts
                .get(1)
                .map(|receipt| receipt.id.to_string())
                .unwrap_or_default();
            see_other(&format!("/events/{new_id}"))
        }
        Err(ApiError::Unprocessable(problems) | ApiError::Conflict(problems)) => {
            let problems = problems
                .into_iter()
                .map(|problem| {
                    let field = problem.field.as_deref();
                    let input = match problem.index {
                        Some(0) => {
                            (field == Some("data.reason")).then(|| RETRACT_REASON.to_owned())
                        }
                        _ => field
                            .and_then(|field| record::input_of(form, field, &fields))
                            .map(str::to_owned),
                    };
                    Problem {
                        field: input,
                        message: problem.message,
                    }
                })
                .collect();
            let filled = Filled {
                values: fields,
                problems,
            };
            correct_page(
                &state,
                &visitor,
                &view,
                form,
                &filled,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(ApiError::Forbidden { .. }) => layout::forbidden(&visitor),
        Err(error) => {
            tracing::error!(?error, "a correction from the web was refused");
            layout::failure(&visitor)
        }
    }
}
