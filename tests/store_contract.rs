//! The store contract (tests/store/contract.rs) holds for both engines: each property runs
//! against a real sled log in a temp dir, and against a real JetStream stream on a
//! `nats-server -js` started by the test (a stream per property), reopened where it says so.

#[path = "store/cluster.rs"]
mod cluster;
#[path = "store/contract.rs"]
mod contract;

use impact_ledger::store::nats::{NatsLocation, NatsStore};
use impact_ledger::store::{Log, Store};

/// Sled logs in one temp dir, a subdirectory per name.
struct Sled(tempfile::TempDir);

impl contract::Opener for Sled {
    fn open(&self, name: &str) -> Box<dyn Store> {
        let dir = self.0.path().join(name);
        // sled's threads of a log just dropped may hold its lock a moment longer.
        for _ in 0..100 {
            if let Ok(log) = Log::open(&dir) {
                return Box::new(log);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Box::new(Log::open(&dir).expect("opens"))
    }
}

fn sled() -> Sled {
    Sled(tempfile::tempdir().expect("a temp dir"))
}

/// Streams on one `nats-server -js` of the test's own.
struct Nats(cluster::Cluster);

impl contract::Opener for Nats {
    fn open(&self, name: &str) -> Box<dyn Store> {
        let location = NatsLocation::parse(&self.0.url(name)).expect("a nats:// address");
        Box::new(NatsStore::open(&location).expect("the stream opens"))
    }
}

fn nats() -> Nats {
    Nats(cluster::Cluster::start(1))
}

/// One test per property of the contract, for the engine `open` makes.
macro_rules! contract_tests {
    ($engine:ident, $open:expr) => {
        mod $engine {
            use super::*;

            #[test]
            fn append_then_read_back() {
                contract::append_then_read_back(&$open);
            }

            #[test]
            fn append_on_a_stale_head_is_refused() {
                contract::append_on_a_stale_head_is_refused(&$open);
            }

            #[test]
            fn range_reads() {
                contract::range_reads(&$open);
            }

            #[test]
            fn head_after_reopen() {
                contract::head_after_reopen(&$open);
            }

            #[test]
            fn a_commit_is_atomic() {
                contract::a_commit_is_atomic(&$open);
            }
        }
    };
}

contract_tests!(sled_log, sled());
contract_tests!(nats_stream, nats());

/// Two stores on one stream, as two ledger servers: the one that validated against an old
/// head is refused by the server itself, and sees the other's commit after catching up.
#[test]
fn nats_a_second_server_on_a_stale_head_is_refused_by_the_stream() {
    let nats = nats();
    let first = contract::Opener::open(&nats, "two-servers");
    let second = contract::Opener::open(&nats, "two-servers");
    let events = contract::chain_after(impact_ledger::store::Head::EMPTY, 2);
    first.append(0, &events, &[2]).expect("appended");
    // `second` may not have heard of it yet: then the stream refuses the publish.
    let late = contract::chain_after(impact_ledger::store::Head::EMPTY, 1);
    assert!(matches!(
        second.append(0, &late, &[1]),
        Err(impact_ledger::store::StoreError::HeadMoved {
            expected: 0,
            head: 2
        })
    ));
    assert_eq!(second.last_position().expect("a head"), 2);
    assert_eq!(second.get(2).expect("read").as_ref(), Some(&events[1]));
}

/// A commit larger than the servers' max payload goes as several messages of whole
/// requests and reads back whole; a single request larger than it is refused, plainly.
#[test]
fn nats_a_commit_over_the_max_payload_is_split_at_requests() {
    let nats = Nats(cluster::Cluster::start_with(1, Some(8 * 1024)));
    let store = contract::Opener::open(&nats, "split");
    let head = impact_ledger::store::Head::EMPTY;
    let events = contract::chain_after(head, 120);
    let sizes: Vec<usize> = std::iter::repeat_n(3, 40).collect();
    store.append(0, &events, &sizes).expect("appended");
    assert_eq!(store.last_position().expect("a head"), 120);
    let engine: &dyn std::any::Any = store.as_ref();
    let report = engine
        .downcast_ref::<NatsStore>()
        .expect("a NATS store")
        .report();
    assert!(
        report.expect("the stream's info").messages > 1,
        "split into messages"
    );
    let reopened = contract::Opener::open(&nats, "split");
    let read: Vec<_> = reopened
        .range(0, 120)
        .collect::<Result<_, _>>()
        .expect("readable");
    assert_eq!(read, events);
    let after = impact_ledger::store::Head::of(&events[119]);
    let large = contract::chain_after(after, 100);
    match store.append(120, &large, &[100]) {
        Err(impact_ledger::store::StoreError::TooLarge(reason)) => {
            assert!(reason.contains("max payload"), "{reason}");
        }
        other => panic!("a request over the max payload must be refused, got {other:?}"),
    }
    assert_eq!(
        store.last_position().expect("a head"),
        120,
        "nothing of it was stored"
    );
}
