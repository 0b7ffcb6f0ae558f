//! Proves every `EventType` reaches every place a type is named, so a type added to the
//! catalogue and forgotten somewhere fails here: for each type an event is parsed as a client's,
//! admitted by the rules and stored through the real router and sled, read back and checked
//! through the codec, the canonical JSON and its hash, the schema-1 upcast, the projection, the
//! report's words in Danish and English, the OpenAPI document and the web app's forms; and the
//! demo's ids name their type's place in the catalogue.

mod common;

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use common::TestLedger;
use impact_events::{codec, schema1, upcast, EventType, StoredEvent, StreamKind};
use impact_ledger::reports::{words, Lang};
use impact_ledger::web::record;
use impact_projections::{EventRef, Projection};
use serde_json::{json, Value};
use uuid::Uuid;

/// A fixed id of the walk: the type's place, then a number within its request.
fn id(event_type: EventType, number: u32) -> String {
    format!(
        "00000000-0000-4000-8000-{:08x}{number:04x}",
        event_type.index()
    )
}

fn event(event_type: EventType, occurred_on: &str, data: Value) -> Value {
    json!({"type": event_type.name(), "occurred_on": occurred_on, "data": data})
}

/// The event that creates the entity of `kind` for the walk of `of`.
fn creation(of: EventType, kind: StreamKind) -> Value {
    let entity = id(of, 1);
    match kind {
        StreamKind::Strategy => event(
            EventType::StrategyAdopted,
            "2023-01-10",
            json!({"strategy_id": entity, "name": "Strategi", "from_year": 2023, "to_year": 2026,
                   "targets": [{"metric": "people_employed", "per": "year", "value": 30}]}),
        ),
        StreamKind::Enterprise => event(
            EventType::EnterpriseRegistered,
            "2023-01-10",
            json!({"enterprise_id": entity, "name": "Café", "kind": "enterprise", "sdgs": [8]}),
        ),
        StreamKind::Placement => event(
            EventType::PersonPlacedInEmployment,
            "2023-01-10",
            json!({"placement_id": entity, "person_ref": "SLA-1", "employment_type": "flexjob"}),
        ),
        StreamKind::Grant => event(
            EventType::GrantAwarded,
            "2023-01-10",
            json!({"grant_id": entity, "funder": "Fonden", "amount_ore": 1_000_000}),
        ),
        StreamKind::Agreement => event(
            EventType::AgreementSigned,
            "2023-01-10",
            json!({"agreement_id": entity, "counterparty": "Frivilligcenter", "kind": "partnership"}),
        ),
        StreamKind::Trial => event(
            EventType::TrialStarted,
            "2023-01-10",
            json!({"trial_id": entity, "title": "Ekstra gear", "kind": "internal_trial"}),
        ),
        StreamKind::Trend => event(
            EventType::TrendNoted,
            "2023-01-10",
            json!({"trend_id": entity, "title": "Grøn omstilling", "kind": "trend"}),
        ),
    }
}

/// A request whose last event is of `event_type`, preceded by what the rules ask to exist.
fn request_for(event_type: EventType) -> Vec<Value> {
    let entity = id(event_type, 1);
    let later = |data: Value| event(event_type, "2023-06-01", data);
    let after = |kind: StreamKind, events: Vec<Value>| {
        let mut request = vec![creation(event_type, kind)];
        request.extend(events);
        request
    };
    match event_type {
        EventType::StrategyAdopted
        | EventType::EnterpriseRegistered
        | EventType::PersonPlacedInEmployment
        | EventType::GrantAwarded
        | EventType::AgreementSigned
        | EventType::TrialStarted
        | EventType::TrendNoted => {
            let kind = event_type
                .stream_kind()
                .expect("a creating type has a stream");
            vec![creation(event_type, kind)]
        }
        EventType::EnterpriseClosed => after(
            StreamKind::Enterprise,
            vec![later(json!({"enterprise_id": entity, "reason": "lukket"}))],
        ),
        EventType::AgreementEnded => after(
            StreamKind::Agreement,
            vec![later(json!({"agreement_id": entity, "reason": null}))],
        ),
        EventType::EventRetracted => {
            let mut noted = creation(event_type, StreamKind::Trend);
            noted["id"] = json!(id(event_type, 2));
            let retraction = json!({"event_id": id(event_type, 2), "reason": "fejl"});
            vec![noted, later(retraction)]
        }
        EventType::PlacementEnded => after(
            StreamKind::Placement,
            vec![later(json!({"placement_id": entity, "reason": "moved_on"}))],
        ),
        EventType::GrantPaid => after(
            StreamKind::Grant,
            vec![later(json!({"grant_id": entity, "amount_ore": 400_000}))],
        ),
        EventType::GrantReturned => {
            let paid = event(
                EventType::GrantPaid,
                "2023-03-01",
                json!({"grant_id": entity, "amount_ore": 400_000}),
            );
            let returned = later(json!({"grant_id": entity, "amount_ore": 100_000}));
            after(StreamKind::Grant, vec![paid, returned])
        }
        EventType::AgreementRenewed => after(
            StreamKind::Agreement,
            vec![later(
                json!({"agreement_id": entity, "valid_to": "2026-12-31"}),
            )],
        ),
        EventType::TrialConcluded => after(
            StreamKind::Trial,
            vec![later(
                json!({"trial_id": entity, "outcome": "adopted", "lessons": "virker"}),
            )],
        ),
        // The event to erase: `every_event_type_reaches_every_place` erases its note through
        // POST /api/v1/erasures, the only way in for this type (CONTRACT §12).
        EventType::MembersErased => {
            let mut placed = creation(event_type, StreamKind::Placement);
            placed["note"] = json!("skrevet på forkert sag");
            vec![placed]
        }
        EventType::StrategyRevised => after(
            StreamKind::Strategy,
            vec![later(json!({"strategy_id": entity, "targets": [
                {"metric": "people_employed", "per": "year", "value": 40}
            ]}))],
        ),
    }
}

/// Parse: the last event of the request reads as a client's event of `event_type`; an erasure
/// is never a client's event.
fn check_parse(event_type: EventType, event_in: &Value) {
    if event_type == EventType::MembersErased {
        let sent = json!({"type": "MembersErased", "occurred_on": "2023-06-01",
                          "data": {"event_id": id(event_type, 1), "members": ["note"], "reason": "x"}});
        assert!(impact_events::parse_event_in(0, sent, Uuid::nil()).is_err());
        return;
    }
    let parsed = impact_events::parse_event_in(0, event_in.clone(), Uuid::nil())
        .unwrap_or_else(|problems| panic!("{event_type} does not parse: {problems:?}"));
    assert_eq!(parsed.data.event_type(), event_type);
    assert_eq!(EventType::from_name(event_type.name()), Some(event_type));
    assert_eq!(EventType::ALL[event_type.index()], event_type);
    assert_eq!(
        impact_events::EVENT_TYPES[event_type.index()],
        event_type.name()
    );
}

/// Codec, canonical JSON and upcast: the stored event as the API returned it.
fn check_stored(event_type: EventType, json: &Value) -> StoredEvent {
    let stored = StoredEvent::from_json(json.clone())
        .unwrap_or_else(|error| panic!("{event_type}: the API's JSON does not read back: {error}"));
    assert_eq!(stored.data.event_type(), event_type);
    assert_eq!(stored.schema, impact_events::SCHEMA);
    // A sealed member reaches the codec encrypted (the store's key layer does it) and reads
    // back closed: its value is only in its ciphertext (CONTRACT §12).
    let mut sealed = stored.clone();
    for member in &mut sealed.sealing.members {
        member.ciphertext = vec![1, 2, 3];
    }
    let decoded = codec::decode(&codec::encode(&sealed)).expect("the record decodes");
    assert_eq!(
        decoded,
        sealed.as_stored(),
        "{event_type}: codec round trip"
    );
    assert_eq!(stored.compute_hash(), stored.hash, "{event_type}: hash");
    assert_eq!(
        stored.canonical_json(),
        impact_events::canonical(json),
        "{event_type}: canonical JSON"
    );
    check_schema1(event_type, &stored);
    stored
}

/// A type of schema 1 is one of schema 1's frozen types and upcasts back to itself; a later
/// type is not one of them.
fn check_schema1(event_type: EventType, stored: &StoredEvent) {
    let as_json = serde_json::to_value(&stored.data).expect("payloads serialize");
    let old = serde_json::from_value::<schema1::EventData>(as_json);
    if event_type.first_schema() > 1 {
        assert!(old.is_err(), "{event_type} is newer than schema 1");
        return;
    }
    let old = old.unwrap_or_else(|error| panic!("{event_type} is not in schema 1: {error}"));
    assert_eq!(upcast::type_of_schema1(&old), event_type);
    let old_event = schema1::StoredEvent {
        position: stored.position,
        id: stored.id,
        stream: stored.stream,
        version: stored.version,
        schema: 1,
        occurred_on: stored.occurred_on,
        recorded_at: stored.recorded_at,
        actor: stored.actor.clone(),
        correlation_id: stored.correlation_id,
        case_ref: stored.case_ref.clone(),
        note: stored.note.clone(),
        data: old,
        prev_hash: stored.prev_hash,
        hash: stored.hash,
    };
    let upcast = codec::decode(&codec::encode_schema1(&old_event)).expect("schema 1 decodes");
    assert_eq!(upcast.data, stored.data, "{event_type}: upcast");
}

/// Words: each type has its own in Danish and in English.
fn check_words() {
    for lang in [Lang::Da, Lang::En] {
        let words: BTreeSet<&str> = EventType::ALL
            .iter()
            .map(|event_type| words::event_type(lang, *event_type))
            .collect();
        assert_eq!(words.len(), EventType::ALL.len(), "{lang:?}: {words:?}");
    }
    for event_type in EventType::ALL {
        let danish = words::event_type(Lang::Da, event_type);
        let english = words::event_type(Lang::En, event_type);
        assert!(!danish.is_empty() && !english.is_empty());
    }
}

/// OpenAPI: a payload schema named after the type, the type in `EventIn.type`, and the stream
/// pattern of the catalogue.
fn check_openapi(event_type: EventType, document: &Value) {
    let schemas = &document["components"]["schemas"];
    assert!(
        schemas[event_type.name()].is_object(),
        "no schema for {event_type}"
    );
    let names = schemas["EventIn"]["properties"]["type"]["enum"]
        .as_array()
        .expect("EventIn.type lists the types");
    assert!(names.contains(&json!(event_type.name())));
}

/// Web: the type has one form, and it creates what the type creates; an erasure has none.
fn check_form(event_type: EventType) {
    if event_type == EventType::MembersErased {
        assert!(record::form_of(event_type).is_none());
        return;
    }
    let forms = record::FORMS
        .iter()
        .filter(|form| form.event_type == event_type);
    assert_eq!(forms.count(), 1, "{event_type} has no form, or two");
    let form = record::form_of(event_type).expect("a form");
    assert_eq!(form.creates.is_some(), event_type.creates_stream());
}

#[tokio::test]
async fn every_event_type_reaches_every_place() {
    let ledger = TestLedger::new();
    let (status, _, document) = ledger.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let stream = &document["paths"]["/api/v1/streams/{stream}"]["get"]["parameters"];
    let pattern = stream
        .as_array()
        .and_then(|parameters| parameters.iter().find(|p| p["name"] == "stream"))
        .map(|parameter| parameter["schema"]["pattern"].clone());
    assert_eq!(pattern, Some(json!(StreamKind::name_pattern())));
    check_words();
    let mut walked = Vec::new();
    for event_type in EventType::ALL {
        let request = request_for(event_type);
        let last = request.last().expect("a request has events").clone();
        check_parse(event_type, &last);
        let mut receipts = ledger.append_ok(request).await;
        if event_type == EventType::MembersErased {
            let erased = receipts.last().expect("a receipt")["id"].clone();
            let body = json!({"event_id": erased, "members": ["note"], "reason": "fejl"});
            let (status, _, receipt) = ledger
                .request(
                    Method::POST,
                    "/api/v1/erasures",
                    Some(&ledger.admin),
                    Some(body),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{receipt}");
            receipts.push(receipt);
        }
        let receipt = receipts.last().expect("a receipt per event");
        let path = format!("/api/v1/events/{}", receipt["id"].as_str().expect("an id"));
        let (status, _, json) = ledger.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{event_type}: {json}");
        let stored = check_stored(event_type, &json);
        assert_eq!(EventRef::of(&stored).event_type, event_type);
        check_openapi(event_type, &document);
        check_form(event_type);
        walked.push(stored);
    }
    // Projection: a fold of the whole log applies every type's event.
    let all: Vec<StoredEvent> = ledger
        .all_events()
        .await
        .into_iter()
        .map(|json| StoredEvent::from_json(json).expect("stored events read back"))
        .collect();
    let projection = Projection::fold(&all);
    for stored in walked {
        let event_type = stored.data.event_type();
        assert_eq!(
            projection.hash_at(stored.position),
            Some(stored.hash),
            "{event_type}"
        );
    }
}

/// Every type has today's golden records, full and minimal, which must decode forever
/// (`events/tests/codec.rs` decodes them).
#[test]
fn every_event_type_has_golden_records() {
    let golden =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("events/tests/golden/schema2");
    for event_type in EventType::ALL {
        for shape in ["full", "minimal"] {
            let record = golden.join(format!("{shape}-{event_type}.bin"));
            assert!(record.is_file(), "no golden record {}", record.display());
        }
    }
}

/// The demo's event ids read `64656d6f-eNNN-...` with NNN the type's place in the catalogue,
/// counted from 1.
#[test]
fn demo_ids_name_their_type() {
    for (_, events) in impact_ledger::demo::requests() {
        for event in events {
            let name = event["type"].as_str().expect("a type");
            let event_type = EventType::from_name(name).expect("a type of the catalogue");
            let id = event["id"].as_str().expect("an id");
            let kind = id.split('-').nth(1).expect("a kind");
            assert_eq!(kind, format!("e{:03x}", event_type.index() + 1), "{id}");
        }
    }
}
