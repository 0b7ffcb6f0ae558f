//! Logs the rules never let through (a self-retraction, a reused id, a retraction of a
//! retraction, a gap), made by hand: the projection takes them without panicking, counts by its
//! documented rules, and `past(n).fold()` agrees with a fold of the first n events at every n.

use chrono::NaiveDate;
use impact_events::{
    EmploymentType, EventData, EventRetracted, Hash, PersonPlacedInEmployment, RecordedAt,
    StoredEvent, StreamId, StreamKind,
};
use impact_projections::Projection;
use serde_json::{json, Value};
use uuid::Uuid;

fn event(position: u64, id: u128, data: EventData) -> StoredEvent {
    StoredEvent {
        position,
        id: Uuid::from_u128(id),
        stream: StreamId {
            kind: StreamKind::Placement,
            id: Uuid::from_u128(1000 + id),
        },
        version: 1,
        schema: 1,
        occurred_on: NaiveDate::from_ymd_opt(2023, 5, 1).unwrap(),
        recorded_at: RecordedAt(1_700_000_000_000_000 + position as i64),
        actor: "anna".to_owned(),
        correlation_id: None,
        case_ref: None,
        note: None,
        data,
        prev_hash: Hash::GENESIS,
        hash: Hash([position as u8; 32]),
        sealing: Default::default(),
    }
}

fn placement(person: &str) -> EventData {
    EventData::PersonPlacedInEmployment(PersonPlacedInEmployment {
        placement_id: Uuid::from_u128(
            u128::from(person.len() as u64) << 70 | person.bytes().map(u128::from).sum::<u128>(),
        ),
        person_ref: person.to_owned(),
        employment_type: EmploymentType::Ordinary,
        enterprise_id: None,
    })
}

fn retraction(target: u128) -> EventData {
    EventData::EventRetracted(EventRetracted {
        event_id: Uuid::from_u128(target),
        reason: "by hand".to_owned(),
    })
}

fn observe(projection: &Projection) -> Value {
    json!({
        "position": projection.position(),
        "status": projection.status(2023),
        "history": projection.history(2022, 2023),
    })
}

#[test]
fn invalid_events_change_nothing_and_the_past_folds_alike() {
    let log = [
        event(1, 1, placement("p1")),
        // Retracts itself: its own id is indexed only after it, so it finds nothing.
        event(2, 2, retraction(2)),
        // Reuses the id of position 1: contributes nothing; the first event keeps the id.
        event(3, 1, placement("p3")),
        event(4, 4, placement("p4")),
        // Retracts position 4 (the id's first event), then tries to retract that retraction.
        event(5, 5, retraction(4)),
        event(6, 6, retraction(5)),
        // A gap: position 7 is missing from this fold.
        event(8, 8, placement("p8")),
    ];
    let whole = Projection::fold(&log);
    let status = serde_json::to_value(whole.status(2023)).unwrap();
    assert_eq!(
        status["people_employed"],
        json!(2),
        "p1 and p8: p3 reused an id, p4 retracted"
    );
    let retracted = &whole.history(2023, 2023).retracted_events;
    let positions: Vec<u64> = retracted.iter().map(|r| r.event.position).collect();
    assert_eq!(positions, vec![4], "only the placement at 4 was retracted");
    assert_eq!(whole.hash_at(7), None, "a gap has no hash");
    assert_eq!(whole.hash_at(8), Some(Hash([8; 32])));

    // Position 7 is skipped: only the whole fold knows of the gap there.
    for position in [0, 1, 2, 3, 4, 5, 6, 8] {
        let prefix: Vec<StoredEvent> = log
            .iter()
            .filter(|e| e.position <= position)
            .cloned()
            .collect();
        let folded = Projection::fold(&prefix);
        let past = whole.past(position).fold();
        assert_eq!(observe(&past), observe(&folded), "position {position}");
    }
}
