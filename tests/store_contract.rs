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

/// A commit larger than the servers' max payload goes as several messages: whole requests
/// while they fit, a request larger than a message cut between its events; all read back
/// whole. Open refuses servers whose max payload cannot hold the largest event.
#[test]
fn nats_a_commit_over_the_max_payload_is_split_into_messages() {
    let nats = Nats(cluster::Cluster::start_with(1, Some(64 * 1024)));
    let store = contract::Opener::open(&nats, "split");
    let events = contract::chain_after(impact_ledger::store::Head::EMPTY, 1200);
    // 200 requests of 3 events, then one of 600: about 200 KiB as stored.
    let mut sizes: Vec<usize> = std::iter::repeat_n(3, 200).collect();
    sizes.push(600);
    store.append(0, &events, &sizes).expect("appended");
    assert_eq!(store.last_position().expect("a head"), 1200);
    let engine: &dyn std::any::Any = store.as_ref();
    let report = engine
        .downcast_ref::<NatsStore>()
        .expect("a NATS store")
        .report();
    assert!(
        report.expect("the stream's info").messages > 3,
        "split into messages"
    );
    let reopened = contract::Opener::open(&nats, "split");
    let read: Vec<_> = reopened
        .range(0, 1200)
        .collect::<Result<_, _>>()
        .expect("readable");
    assert_eq!(read, events);
    let small = Nats(cluster::Cluster::start_with(1, Some(8 * 1024)));
    let location = NatsLocation::parse(&small.0.url("small")).expect("an address");
    match NatsStore::open(&location) {
        Err(error) => assert!(error.to_string().contains("max_payload"), "{error}"),
        Ok(_) => panic!("a max payload of 8 KiB must be refused"),
    }
}

/// A request cut over two messages is seen only when both landed; the first part alone,
/// left by a server that died between them, is abandoned by the next commit.
#[test]
fn nats_a_request_cut_over_messages_is_all_or_nothing() {
    let nats = nats();
    let events = contract::chain_after(impact_ledger::store::Head::EMPTY, 5);
    publish_part(&nats, "whole", &events[..3], true);
    publish_part(&nats, "whole", &events[3..], false);
    let whole = contract::Opener::open(&nats, "whole");
    assert_eq!(whole.last_position().expect("a head"), 5);
    publish_part(&nats, "cut", &events[..3], true);
    let cut = contract::Opener::open(&nats, "cut");
    assert_eq!(
        cut.last_position().expect("a head"),
        0,
        "half a request is not seen"
    );
    let others = contract::chain_after(impact_ledger::store::Head::EMPTY, 2);
    cut.append(0, &others, &[2])
        .expect("appended after the abandoned part");
    let reopened = contract::Opener::open(&nats, "cut");
    let read: Vec<_> = reopened
        .range(0, 10)
        .collect::<Result<_, _>>()
        .expect("readable");
    assert_eq!(read, others);
}

/// Publishes `events` as one message of the stream (made by opening it first), flagged as
/// going on in the next message when `continues`: as a ledger server does.
fn publish_part(nats: &Nats, stream: &str, events: &[impact_events::StoredEvent], continues: bool) {
    drop(contract::Opener::open(nats, stream));
    let url = nats.0.url(stream);
    let server = url
        .trim_start_matches("nats://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let mut payload = Vec::new();
    for event in events {
        let record = impact_events::codec::encode(event);
        payload.extend_from_slice(&(record.len() as u32).to_le_bytes());
        payload.extend_from_slice(&record);
    }
    let subject = format!("impact-ledger.{stream}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let client = async_nats::connect(server).await.expect("connected");
        let context = async_nats::jetstream::new(client);
        let mut message =
            async_nats::jetstream::message::PublishMessage::build().payload(payload.into());
        if continues {
            message = message.header("Impact-Ledger-Continues", "yes");
        }
        context
            .send_publish(subject, message)
            .await
            .expect("sent")
            .await
            .expect("stored");
    });
}

/// The credentials and TLS settings reach the client: a credentials file that is not there,
/// or a CA that is not there, stops the open with a message naming it.
#[test]
fn nats_credentials_and_tls_files_are_passed_to_the_client() {
    let nats = nats();
    let mut location = NatsLocation::parse(&nats.0.url("secured")).expect("an address");
    location.security.credentials = Some("/nonexistent/ledger.creds".into());
    match NatsStore::open(&location) {
        Err(error) => assert!(error.to_string().contains("ledger.creds"), "{error}"),
        Ok(_) => panic!("a missing credentials file must stop the open"),
    }
    location.security.credentials = None;
    location.security.tls_ca = Some("/nonexistent/ca.pem".into());
    assert!(
        NatsStore::open(&location).is_err(),
        "TLS is required with a CA, and this server has none"
    );
}
