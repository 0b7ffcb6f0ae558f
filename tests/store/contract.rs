//! The store contract: what the ledger needs from any `Store`, one function per property.
//! Each test binary that has an engine calls every function with a fresh store of it.

use impact_events::{
    parse_event_in, Hash, Placement, RecordedAt, StoredEvent, StreamId, StreamKind,
};
use impact_ledger::store::{Head, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

/// Opens a store: a fresh one, or the one opened before with the same `name` (a reopen).
pub trait Opener {
    fn open(&self, name: &str) -> Box<dyn Store>;
}

/// `count` events chained after `head`; the content does not matter to a store.
pub fn chain_after(head: Head, count: u64) -> Vec<StoredEvent> {
    let mut events: Vec<StoredEvent> = Vec::new();
    for offset in 1..=count {
        let position = head.position + offset;
        let id = Uuid::from_u128(u128::from(position) << 64 | u128::from(head.hash.0[0]));
        let value = json!({"type": "EnterpriseRegistered", "occurred_on": "2023-03-01",
                           "data": {"enterprise_id": id, "name": format!("Værksted {position}"),
                                    "kind": "enterprise"}});
        let event = parse_event_in(0, value, id).expect("a valid event");
        let prev_hash = events.last().map_or(head.hash, |event| event.hash);
        let placement = Placement {
            position,
            stream: StreamId {
                kind: StreamKind::Enterprise,
                id,
            },
            version: 1,
            recorded_at: RecordedAt(1_700_000_000_000_000 + position as i64),
            actor: "anna".to_owned(),
            prev_hash: if position == 1 {
                Hash::GENESIS
            } else {
                prev_hash
            },
        };
        events.push(StoredEvent::seal(event, placement));
    }
    events
}

fn read_all(store: &dyn Store) -> Vec<StoredEvent> {
    let last = store.last_position().expect("a head");
    store
        .range(0, last)
        .collect::<Result<_, _>>()
        .expect("readable")
}

/// What is appended reads back the same, by position and as a range.
pub fn append_then_read_back(opener: &dyn Opener) {
    let store = opener.open("read-back");
    assert_eq!(store.head().expect("a head"), Head::EMPTY);
    let events = chain_after(Head::EMPTY, 5);
    store.append(0, &events, &[1, 3, 1]).expect("appended");
    assert_eq!(store.last_position().expect("a head"), 5);
    assert_eq!(read_all(store.as_ref()), events);
    for event in &events {
        assert_eq!(
            store.get(event.position).expect("read").as_ref(),
            Some(event)
        );
    }
    assert_eq!(store.get(6).expect("read"), None);
    assert_eq!(store.head().expect("a head"), Head::of(&events[4]));
}

/// An append validated against a head that has moved is refused and writes nothing.
pub fn append_on_a_stale_head_is_refused(opener: &dyn Opener) {
    let store = opener.open("stale");
    let first = chain_after(Head::EMPTY, 3);
    store.append(0, &first, &[3]).expect("appended");
    // A second server that validated against the empty log.
    let late = chain_after(Head::EMPTY, 2);
    match store.append(0, &late, &[2]) {
        Err(StoreError::HeadMoved { expected, head }) => assert_eq!((expected, head), (0, 3)),
        other => panic!("a stale append must be refused, got {other:?}"),
    }
    // Ahead of the head is no better than behind it.
    let ahead = chain_after(Head::of(&first[2]), 2);
    assert!(matches!(
        store.append(4, &ahead[1..], &[1]),
        Err(StoreError::HeadMoved {
            expected: 4,
            head: 3
        })
    ));
    assert_eq!(read_all(store.as_ref()), first);
    let next = chain_after(Head::of(&first[2]), 2);
    store
        .append(3, &next, &[2])
        .expect("appended on the real head");
    assert_eq!(store.last_position().expect("a head"), 5);
}

/// A range is the events after `after` up to `until`, cut at the end of the log.
pub fn range_reads(opener: &dyn Opener) {
    let store = opener.open("ranges");
    let events = chain_after(Head::EMPTY, 10);
    store.append(0, &events[..4], &[4]).expect("appended");
    store.append(4, &events[4..], &[2, 2, 2]).expect("appended");
    let range = |after, until| -> Vec<u64> {
        store
            .range(after, until)
            .map(|event| event.expect("readable").position)
            .collect()
    };
    assert_eq!(range(0, 10), (1..=10).collect::<Vec<_>>());
    assert_eq!(range(3, 7), vec![4, 5, 6, 7]);
    assert_eq!(range(4, 5), vec![5]);
    assert_eq!(range(5, 5), Vec::<u64>::new());
    assert_eq!(range(7, 3), Vec::<u64>::new());
    assert_eq!(range(8, 1000), vec![9, 10]);
    assert_eq!(range(10, 20), Vec::<u64>::new());
    let taken: Vec<u64> = store
        .range(2, 10)
        .take(3)
        .map(|event| event.expect("readable").position)
        .collect();
    assert_eq!(taken, vec![3, 4, 5]);
}

/// The head, and every event, survive closing and opening the store again.
pub fn head_after_reopen(opener: &dyn Opener) {
    let events = chain_after(Head::EMPTY, 7);
    {
        let store = opener.open("reopen");
        store.append(0, &events[..3], &[3]).expect("appended");
        store.append(3, &events[3..], &[1, 3]).expect("appended");
        store.sync().expect("synced");
    }
    let store = opener.open("reopen");
    assert_eq!(store.head().expect("a head"), Head::of(&events[6]));
    assert_eq!(read_all(store.as_ref()), events);
    let next = chain_after(Head::of(&events[6]), 1);
    store
        .append(7, &next, &[1])
        .expect("appends on after a reopen");
}

/// A commit of several requests lands whole: readers see none of it or all of it, and a
/// refused one leaves nothing behind.
pub fn a_commit_is_atomic(opener: &dyn Opener) {
    let store = opener.open("atomic");
    let events = chain_after(Head::EMPTY, 600);
    let sizes: Vec<usize> = std::iter::repeat_n(6, 100).collect();
    store.append(0, &events, &sizes).expect("appended");
    assert_eq!(store.last_position().expect("a head"), 600);
    assert_eq!(read_all(store.as_ref()).len(), 600);
    let late = chain_after(Head::of(&events[299]), 300);
    assert!(store.append(300, &late, &[300]).is_err());
    assert_eq!(
        read_all(store.as_ref()),
        events,
        "the refused commit left nothing"
    );
}
