//! The page of one entity (`/enterprises/{id}`, `/placements/{id}`, `/grants/{id}`, ...): what
//! its creating event says, every event of its stream with retractions shown, and for staff
//! the next things one records about it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use impact_events::{StoredEvent, StreamId, StreamKind};
use maud::{html, Markup};
use serde_json::Value;
use uuid::Uuid;

use super::events::{stream_table, what};
use super::layout;
use super::record::{form_of, Control};
use super::{html as respond, Visitor, WebState};
use crate::http::caller::{STAFF_ADMIN, STAFF_AUDITOR_ADMIN};
use crate::reports::words::NumberStyle;
use crate::reports::Lang;

/// The path segment of each kind's pages.
pub fn collection(kind: StreamKind) -> &'static str {
    match kind {
        StreamKind::Strategy => "strategies",
        StreamKind::Enterprise => "enterprises",
        StreamKind::Placement => "placements",
        StreamKind::Grant => "grants",
        StreamKind::Agreement => "agreements",
        StreamKind::Trial => "trials",
        StreamKind::Trend => "trends",
    }
}

fn kind_of(collection_name: &str) -> Option<StreamKind> {
    StreamKind::ALL
        .into_iter()
        .find(|kind| collection(*kind) == collection_name)
}

/// The page of the entity a stream is about.
pub fn path_of(stream: &StreamId) -> String {
    format!("/{}/{}", collection(stream.kind), stream.id)
}

/// An event and the retraction that undid it, if one did.
pub type Standing = (StoredEvent, Option<StoredEvent>);

/// The retraction of event `id`, if it was retracted (blocking: reads the log).
pub fn retraction_of(
    state: &WebState,
    id: &Uuid,
) -> Result<Option<StoredEvent>, crate::store::StoreError> {
    state.app.ledger.retraction_of(id)
}

/// Every event of a stream with its retraction, if any (blocking: reads the log).
pub fn load_stream(
    state: &WebState,
    stream: &StreamId,
) -> Result<Vec<Standing>, crate::store::StoreError> {
    let events = state.app.ledger.stream(stream)?;
    events
        .into_iter()
        .map(|event| {
            let retraction = retraction_of(state, &event.id)?;
            Ok((event, retraction))
        })
        .collect()
}

pub async fn page(State(state): State<WebState>, visitor: Visitor) -> Response {
    // An entity's events, as the API's GET /api/v1/streams/{stream}: not for the committee.
    if let Err(refused) = visitor.require(STAFF_AUDITOR_ADMIN) {
        return refused;
    }
    let lang = visitor.lang;
    let path = visitor.here.split('?').next().unwrap_or("/").to_owned();
    let mut segments = path.trim_start_matches('/').split('/');
    let kind = segments.next().and_then(kind_of);
    let id = segments.next().and_then(|id| Uuid::parse_str(id).ok());
    let missing = lang.pick("Der er intet med det id.", "There is nothing with that id.");
    let (Some(kind), Some(id)) = (kind, id) else {
        return layout::not_found(&visitor, missing);
    };
    let stream = StreamId { kind, id };
    let loaded = {
        let state = state.clone();
        tokio::task::spawn_blocking(move || {
            let events = load_stream(&state, &stream)?;
            let enterprise = match events.get(standing_creation(&events)) {
                Some((creation, _)) => enterprise_named_in(&state, creation)?,
                None => None,
            };
            Ok::<_, crate::store::StoreError>((events, enterprise))
        })
        .await
    };
    let (events, enterprise) = match loaded {
        Ok(Ok((events, enterprise))) if !events.is_empty() => (events, enterprise),
        Ok(Ok(_)) => return layout::not_found(&visitor, missing),
        other => {
            tracing::error!(?other, "reading a stream for its page");
            return layout::failure(&visitor);
        }
    };
    let creation = standing_creation(&events);
    let title = title_of(lang, &events[creation].0);
    let body = render(&visitor, &stream, &title, &events, creation, enterprise);
    respond(
        StatusCode::OK,
        layout::page(lang, &visitor.here, Some(&visitor), &title, body),
    )
}

/// The enterprise a placement or grant names, with its name, so the page shows "Café Kvisten"
/// rather than an id (blocking: reads the enterprise's registration).
fn enterprise_named_in(
    state: &WebState,
    creation: &StoredEvent,
) -> Result<Option<(Uuid, String)>, crate::store::StoreError> {
    let Some(id) = creation.data.to_json()["enterprise_id"]
        .as_str()
        .and_then(|text| Uuid::parse_str(text).ok())
        .filter(|_| {
            !matches!(
                creation.data,
                impact_events::EventData::EnterpriseRegistered(_)
            )
        })
    else {
        return Ok(None);
    };
    let stream = StreamId {
        kind: StreamKind::Enterprise,
        id,
    };
    let (events, _) = state.app.ledger.stream_page(&stream, 0, 1)?;
    let name = events
        .first()
        .map(|registration| title_of(Lang::Da, registration));
    Ok(Some((id, name.unwrap_or_else(|| id.to_string()))))
}

/// The entity's name as its creating event gives it.
fn title_of(lang: Lang, creation: &StoredEvent) -> String {
    let data = creation.data.to_json();
    ["name", "funder", "counterparty", "title", "person_ref"]
        .iter()
        .find_map(|member| data[*member].as_str().map(str::to_owned))
        .unwrap_or_else(|| what(lang, creation))
}

/// The index of the creating event that stands: after a correction the stream holds the old
/// creation (retracted) and the corrected one; with none standing, the last.
fn standing_creation(events: &[Standing]) -> usize {
    let creates = |event: &StoredEvent| event.data.creates_stream();
    let creations = || {
        events
            .iter()
            .enumerate()
            .filter(|(_, (event, _))| creates(event))
    };
    creations()
        .filter(|(_, (_, retraction))| retraction.is_none())
        .map(|(index, _)| index)
        .next_back()
        .or_else(|| creations().map(|(index, _)| index).next_back())
        .unwrap_or(0)
}

fn render(
    visitor: &Visitor,
    stream: &StreamId,
    title: &str,
    events: &[Standing],
    creation: usize,
    enterprise: Option<(Uuid, String)>,
) -> Markup {
    let lang = visitor.lang;
    let (creation, retraction) = &events[creation];
    let creation_retracted = retraction.is_some();
    let id = stream.id;
    html! {
        h1 { (title) }
        @if creation_retracted {
            div.retracted role="note" { p { strong { (lang.pick("Tilbagekaldt", "Retracted")) } ": "
                (lang.pick("registreringen er tilbagekaldt og tæller ingen steder.",
                    "the registration was retracted and counts nowhere.")) }
                @if let Some(reason) = retraction.as_ref().and_then(super::events::reason_of) { p { (lang.pick("Begrundelse: ", "Reason: ")) (reason) } } }
        }
        p.lead { (what(lang, creation)) " " (creation.occurred_on) }
        (facts(lang, creation, enterprise.as_ref()))
        @if visitor.is(STAFF_ADMIN) && !creation_retracted {
            div.actions {
                a href=(format!("/events/{}/correct", creation.id)) { (lang.pick("Ret", "Correct")) }
                @match stream.kind {
                    StreamKind::Enterprise => {
                        a href=(format!("/record/PersonPlacedInEmployment?enterprise_id={id}")) { (lang.pick("Registrér ansættelsesforløb her", "Record a placement here")) }
                        a href=(format!("/record/EnterpriseClosed?enterprise_id={id}")) { (lang.pick("Luk", "Close")) }
                    }
                    StreamKind::Agreement => {
                        a href=(format!("/record/AgreementRenewed?agreement_id={id}")) { (lang.pick("Forny aftalen", "Renew the agreement")) }
                        a href=(format!("/record/AgreementEnded?agreement_id={id}")) { (lang.pick("Afslut aftalen", "End the agreement")) }
                    }
                    StreamKind::Placement => {
                        a href=(format!("/record/PlacementEnded?placement_id={id}")) { (lang.pick("Registrér ophør", "Record its end")) }
                    }
                    StreamKind::Grant => {
                        a href=(format!("/record/GrantPaid?grant_id={id}")) { (lang.pick("Registrér udbetaling", "Record a payment")) }
                        a href=(format!("/record/GrantReturned?grant_id={id}")) { (lang.pick("Registrér tilbagebetaling", "Record money paid back")) }
                    }
                    StreamKind::Trial => {
                        a href=(format!("/record/TrialConcluded?trial_id={id}")) { (lang.pick("Afslut forsøget", "Conclude the trial")) }
                    }
                    StreamKind::Strategy => {
                        a href=(format!("/record/StrategyRevised?strategy_id={id}")) { (lang.pick("Revidér målene", "Revise the targets")) }
                    }
                    StreamKind::Trend => {}
                }
            }
        }
        @if stream.kind == StreamKind::Enterprise {
            p { a href=(format!("/placements?enterprise_id={id}")) { (lang.pick("Ansættelsesforløb i denne virksomhed", "Placements in this enterprise")) } }
        }
        h2 { (lang.pick("Alle hændelser", "Every event")) }
        (stream_table(lang, events))
    }
}

/// The creating event's members, labelled as its form labels them.
fn facts(lang: Lang, creation: &StoredEvent, enterprise: Option<&(Uuid, String)>) -> Markup {
    let data = creation.data.to_json();
    let Some(form) = form_of(creation.data.event_type()) else {
        return html! {};
    };
    let numbers = NumberStyle::of(lang);
    html! {
        dl.facts {
            @for input in form.inputs {
                @let member = match input.control { Control::Kroner => "amount_ore", _ => input.name };
                @let value = &data[member];
                @if !value.is_null() {
                    dt { (lang.pick(input.da, input.en)) }
                    @match (input.control, enterprise) {
                        (Control::Enterprise, Some((id, name))) => dd { a href=(format!("/enterprises/{id}")) { (name) } },
                        _ => dd { (shown(lang, input.control, value, numbers)) },
                    }
                }
            }
        }
    }
}

fn shown(lang: Lang, control: Control, value: &Value, numbers: NumberStyle) -> String {
    match (control, value) {
        (Control::Kroner, Value::Number(ore)) => {
            format!("{} kr.", numbers.kroner(ore.as_i64().unwrap_or(0)))
        }
        (Control::Choice(choices), Value::String(text)) => choices
            .iter()
            .find(|choice| choice.value == text)
            .map(|choice| lang.pick(choice.da, choice.en).to_owned())
            .unwrap_or_else(|| text.clone()),
        (_, Value::Bool(flag)) => lang
            .pick(
                if *flag { "Ja" } else { "Nej" },
                if *flag { "Yes" } else { "No" },
            )
            .to_owned(),
        (_, Value::String(text)) => text.clone(),
        (_, Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| item.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        (_, other) => other.to_string(),
    }
}
