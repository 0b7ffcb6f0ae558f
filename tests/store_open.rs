//! `Ledger::open` over a real sled log of several read chunks: what it rebuilds equals a fold
//! of the events it was given, and a record that does not link stops the start with its
//! position, whichever reading thread read it.

mod common;

use impact_events::{Hash, LedgerState, StoredEvent};
use impact_ledger::store::{Ledger, Log, StoreError};
use impact_projections::Projection;
use serde_json::json;
use uuid::Uuid;

/// More than two chunks of 4096, so both reading threads read some and the last is partial.
const EVENTS: u64 = 9_000;

/// A valid chain: enterprises registered, some closed, placements, every 500th a retraction.
fn chain() -> Vec<StoredEvent> {
    let mut state = LedgerState::default();
    let mut events: Vec<StoredEvent> = Vec::new();
    for position in 1..=EVENTS {
        let value = match position % 500 {
            0 => json!({"type": "EventRetracted", "occurred_on": "2024-02-01",
                        "data": {"event_id": events[position as usize - 3].id,
                                 "reason": "entered twice"}}),
            n if n % 3 == 0 => json!({"type": "EnterpriseRegistered", "occurred_on": "2023-03-01",
                        "data": {"enterprise_id": Uuid::from_u128(u128::from(position)),
                                 "name": format!("Værksted {position}"), "kind": "enterprise"}}),
            _ => json!({"type": "PersonPlacedInEmployment", "occurred_on": "2023-05-01",
                        "data": {"placement_id": Uuid::from_u128(u128::from(position) << 64),
                                 "person_ref": format!("P-{}", position % 700),
                                 "employment_type": "ordinary"}}),
        };
        common::seal_next(&mut state, &mut events, value);
    }
    events
}

/// Writes `events`, then `changed` over the records at their positions.
fn write_log(dir: &std::path::Path, events: &[StoredEvent], changed: &[StoredEvent]) {
    let log = Log::open(dir).expect("opens");
    for group in events.chunks(1000) {
        log.append_requests(group, &[group.len()]).expect("appends");
    }
    log.append_requests(changed, &[changed.len()])
        .expect("overwrites");
}

/// Opens the ledger once sled's threads of the log written before have let go of its lock.
fn open(dir: &std::path::Path) -> Result<Ledger, StoreError> {
    for _ in 0..100 {
        match Ledger::open(dir) {
            Err(StoreError::InUse(_)) => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            opened => return opened,
        }
    }
    Ledger::open(dir)
}

#[test]
fn open_rebuilds_what_a_fold_of_the_events_gives() {
    let events = chain();
    let dir = tempfile::tempdir().unwrap();
    write_log(dir.path(), &events, &[]);

    let ledger = open(dir.path()).expect("a valid log opens");
    assert_eq!(ledger.durable_position(), EVENTS);
    let folded = Projection::fold(&events);
    ledger.with_read(|read| {
        assert_eq!(read.head_hash(), events.last().unwrap().hash);
        let figures = |projection: &Projection| {
            serde_json::json!({
                "status": [projection.status(2023), projection.status(2024)],
                "targets": projection.targets(2023),
                "history": projection.history(2022, 2024),
            })
        };
        assert_eq!(figures(&read.projection), figures(&folded));
        for event in [&events[0], &events[4095], &events[4096], &events[8999]] {
            assert_eq!(read.projection.hash_at(event.position), Some(event.hash));
            assert_eq!(read.recorded_at(event.position), Some(event.recorded_at));
            assert_eq!(read.position_at(event.recorded_at), event.position);
        }
    });
    ledger.with_state(|state| {
        for event in [&events[0], &events[4500], &events[8998]] {
            let entry = state.event(&event.id).expect("every event is indexed");
            assert_eq!(entry.position, event.position);
            assert_eq!(state.stream_positions(&event.stream), vec![event.position]);
        }
        // The last event retracts the one at 8998: it joins that event's stream, which records it.
        let retracted = state.event(&events[8997].id).unwrap();
        assert_eq!(retracted.retracted_by, Some(EVENTS));
        assert_eq!(
            state.stream_positions(&retracted.stream),
            vec![8998, EVENTS]
        );
        assert_eq!(state.stream_version(&retracted.stream), 2);
    });
}

#[test]
fn a_record_that_does_not_link_stops_the_start_with_its_position() {
    let events = chain();
    // Positions read by the first reading thread, by the second, and in the partial last chunk.
    for broken in [2_000u64, 6_000, 8_500] {
        let dir = tempfile::tempdir().unwrap();
        let mut changed = events[broken as usize - 1].clone();
        changed.prev_hash = Hash([7; 32]);
        // The same key written again: the record at `broken` now names another predecessor.
        write_log(dir.path(), &events, &[changed]);

        match open(dir.path()) {
            Err(StoreError::Corrupt { position, .. }) => assert_eq!(position, broken),
            Err(other) => panic!("position {broken}: expected Corrupt, got {other}"),
            Ok(_) => panic!("position {broken}: a broken chain opened"),
        }
    }
}
