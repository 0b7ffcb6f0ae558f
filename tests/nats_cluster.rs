//! The ledger on a real three-node NATS JetStream cluster (CONTRACT §14), started by the tests
//! (tests/store/cluster.rs): the HTTP answers are those of the sled store; two ledger servers
//! appending concurrently build one chain without gap or duplicate and agree on the head;
//! kill -9 of a node, the stream's leader included, under load loses no acknowledged event
//! and appends resume; with two nodes down appends get 503; the chain verifies.

#[path = "store/cluster.rs"]
mod cluster;
mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::TestLedger;
use impact_ledger::auth::Role;
use impact_ledger::store::nats::{NatsLocation, NatsStore};
use impact_ledger::store::{Store, StoreLocation};
use serde_json::{json, Value};
use uuid::Uuid;

fn store_of(cluster: &cluster::Cluster, stream: &str) -> StoreLocation {
    StoreLocation::parse(&cluster.url(stream)).expect("a nats:// address")
}

fn on(cluster: &cluster::Cluster, stream: &str) -> TestLedger {
    TestLedger::on_store(&store_of(cluster, stream))
}

/// An enterprise registered under a client's event id.
fn registered(id: Uuid) -> Value {
    json!({"id": id, "type": "EnterpriseRegistered", "occurred_on": "2023-03-01",
           "data": {"enterprise_id": id, "name": "Café Æblehaven", "kind": "enterprise"}})
}

/// Appends until the ledger answers 201 or 200 (a retry of one that landed), retrying a 503
/// with the same event ids as a client should; the receipts, or `None` when it never did.
async fn append_retrying(ledger: &TestLedger, events: Vec<Value>) -> Option<Vec<Value>> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let (status, _, body) = ledger.append(events.clone()).await;
        match status {
            StatusCode::CREATED | StatusCode::OK => {
                return Some(body["events"].as_array().expect("receipts").clone())
            }
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => panic!("an append got {other}: {body}"),
        }
    }
    None
}

/// Waits until the ledger's head is at least `position` (it follows the stream).
async fn wait_for_head(ledger: &TestLedger, position: usize) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, _, health) = ledger.get("/healthz").await;
        let head = health["head_position"].as_u64().unwrap_or(0) as usize;
        if head >= position {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the head stayed at {head}, not {position}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reads the stream with a store of its own and checks the whole chain.
fn verify_stream(cluster: &cluster::Cluster, stream: &str) -> (u64, String) {
    let location = NatsLocation::parse(&cluster.url(stream)).expect("an address");
    let store = NatsStore::open(&location).expect("the stream opens");
    let last = store.last_position().expect("a head");
    let summary = impact_ledger::audit::verify_log(&store, last).expect("readable");
    assert!(summary.ok(), "the chain verifies: {:?}", summary.broken);
    (summary.events, summary.head_hash.to_hex())
}

/// The same requests against a ledger; each answer's status and its body without the
/// members that depend on the clock (recorded_at, and with it the hash).
async fn answers(ledger: &TestLedger) -> Vec<(StatusCode, Value)> {
    let id = Uuid::from_u128(7);
    let mut changed = registered(id);
    changed["data"]["name"] = json!("Andet navn");
    let mut same_enterprise = registered(Uuid::from_u128(8));
    same_enterprise["data"]["enterprise_id"] = json!(id);
    let mut in_the_future = registered(Uuid::from_u128(11));
    in_the_future["occurred_on"] = json!("2999-01-01");
    let requests = vec![
        vec![registered(id)],
        // The same request again: the original receipt, 200.
        vec![registered(id)],
        // The same id with other content: 409.
        vec![changed],
        // The enterprise exists: 409; a rule broken: 422. Nothing stored.
        vec![same_enterprise],
        vec![in_the_future],
        vec![
            registered(Uuid::from_u128(9)),
            registered(Uuid::from_u128(10)),
        ],
    ];
    answer_each(ledger, requests).await
}

/// Each request's status and body, without the members that depend on the clock.
async fn answer_each(ledger: &TestLedger, requests: Vec<Vec<Value>>) -> Vec<(StatusCode, Value)> {
    let mut answers = Vec::new();
    for request in requests {
        let (status, _, mut body) = ledger.append(request).await;
        for receipt in body["events"].as_array_mut().into_iter().flatten() {
            receipt["recorded_at"] = Value::Null;
            receipt["hash"] = Value::Null;
        }
        answers.push((status, body));
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_answers_are_those_of_the_sled_store() {
    let cluster = cluster::Cluster::start(3);
    let on_nats = on(&cluster, "answers");
    let on_sled = TestLedger::new();
    let expected = answers(&on_sled).await;
    let statuses: Vec<StatusCode> = expected.iter().map(|(status, _)| *status).collect();
    let codes = [201, 200, 409, 409, 422, 201].map(|code| StatusCode::from_u16(code).unwrap());
    assert_eq!(statuses, codes, "{expected:?}");
    assert_eq!(answers(&on_nats).await, expected);
    let (events, hash) = verify_stream(&cluster, "answers");
    assert_eq!(events, 3);
    assert_eq!(Some(hash), on_nats.head().await.1);
    // The export of either is the same lines, but for the time of recording.
    assert_eq!(
        on_nats.all_events().await.len(),
        on_sled.all_events().await.len()
    );
}

/// A thousand enterprises with long names: about 700 KiB as stored, far over a message.
fn large_request() -> Vec<Value> {
    (0..1000u128)
        .map(|number| {
            let mut event = registered(Uuid::from_u128(1000 + number));
            event["data"]["name"] = json!(format!("{number} {}", "Æblehaven ".repeat(40)));
            event
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_over_a_message_get_the_answers_of_the_sled_store() {
    let cluster = cluster::Cluster::start_with(3, Some(64 * 1024));
    let on_nats = on(&cluster, "large");
    let on_sled = TestLedger::new();
    let mut event_too_large = registered(Uuid::from_u128(5));
    event_too_large["note"] = json!("x".repeat(17 * 1024));
    let body_too_large: Vec<Value> = (0..3000u128)
        .map(|number| {
            let mut event = registered(Uuid::from_u128(9000 + number));
            event["data"]["name"] = json!("Æ".repeat(200));
            event
        })
        .collect();
    let requests = vec![
        large_request(),
        vec![event_too_large],
        body_too_large,
        large_request(),
    ];
    let expected = answer_each(&on_sled, requests.clone()).await;
    let statuses: Vec<u16> = expected.iter().map(|(status, _)| status.as_u16()).collect();
    assert_eq!(statuses, [201, 422, 413, 200], "{statuses:?}");
    assert_eq!(answer_each(&on_nats, requests).await, expected);
    let (events, hash) = verify_stream(&cluster, "large");
    assert_eq!(events, 1000);
    assert_eq!(Some(hash), on_nats.head().await.1);
}

/// Appends `requests` single-event requests from each of `writers` tasks; the ids stored.
async fn load(ledger: Arc<TestLedger>, writers: usize, requests: usize) -> Vec<Uuid> {
    let tasks: Vec<_> = (0..writers)
        .map(|_| {
            let ledger = Arc::clone(&ledger);
            tokio::spawn(async move {
                let mut stored = Vec::new();
                for _ in 0..requests {
                    let id = Uuid::new_v4();
                    if append_retrying(&ledger, vec![registered(id)])
                        .await
                        .is_some()
                    {
                        stored.push(id);
                    }
                }
                stored
            })
        })
        .collect();
    let mut stored = Vec::new();
    for task in tasks {
        stored.extend(task.await.expect("a writer task"));
    }
    stored
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_ledger_servers_appending_build_one_chain() {
    let cluster = cluster::Cluster::start(3);
    let one = Arc::new(on(&cluster, "two"));
    let two = Arc::new(one.another_server(&store_of(&cluster, "two")));
    let (left, right) = tokio::join!(
        load(Arc::clone(&one), 16, 60),
        load(Arc::clone(&two), 16, 60)
    );
    assert_eq!(
        left.len() + right.len(),
        2 * 16 * 60,
        "every append was acknowledged"
    );
    let total = left.len() + right.len();
    wait_for_head(&one, total).await;
    wait_for_head(&two, total).await;
    for ledger in [&one, &two] {
        let (_, _, health) = ledger.get("/healthz").await;
        assert_eq!(health["lag"]["messages_not_received"], 0, "{health}");
        assert_eq!(health["lag"]["events_not_folded"], 0, "{health}");
    }
    let events = one.all_events().await;
    assert_eq!(
        events,
        two.all_events().await,
        "both servers read the same log"
    );
    let positions: Vec<u64> = events
        .iter()
        .map(|event| event["position"].as_u64().unwrap())
        .collect();
    assert_eq!(
        positions,
        (1..=total as u64).collect::<Vec<_>>(),
        "no gap, no duplicate"
    );
    let stored: HashSet<&str> = events
        .iter()
        .map(|event| event["id"].as_str().unwrap())
        .collect();
    assert_eq!(stored.len(), total);
    for id in left.iter().chain(&right) {
        assert!(
            stored.contains(id.to_string().as_str()),
            "{id} was acknowledged and is stored"
        );
    }
    let (verified, hash) = verify_stream(&cluster, "two");
    assert_eq!(verified as usize, total);
    assert_eq!(one.head().await.1, Some(hash.clone()));
    assert_eq!(two.head().await.1, Some(hash));
}

/// The index of the node that leads the stream.
fn leader(cluster: &cluster::Cluster, nodes: usize) -> usize {
    let location = NatsLocation::parse(&cluster.url("kill")).expect("an address");
    let store = NatsStore::open(&location).expect("the stream opens");
    let report = store.report().expect("the stream's info");
    assert_eq!(report.replicas, 3);
    let leader = report.leader.expect("the stream has a leader");
    (0..nodes)
        .find(|index| cluster.name(*index) == leader)
        .expect("the leader is one of the nodes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_nodes_under_load_loses_no_acknowledged_event() {
    let mut cluster = cluster::Cluster::start(3);
    let ledger = Arc::new(on(&cluster, "kill"));
    let mut acknowledged = Vec::new();
    // Three rounds: a node killed under load (the first time the stream's leader), then
    // started again before the next round so that two of three stay up.
    for round in 0..3 {
        let victim = if round == 0 {
            leader(&cluster, 3)
        } else {
            round
        };
        let running = tokio::spawn(load(Arc::clone(&ledger), 8, 40));
        tokio::time::sleep(Duration::from_millis(300)).await;
        cluster.kill(victim);
        let stored = running.await.expect("the load");
        assert!(!stored.is_empty(), "round {round}: appends went on");
        acknowledged.extend(stored);
        // Appends resume within seconds of the kill.
        let after_kill = append_retrying(&ledger, vec![registered(Uuid::new_v4())]).await;
        acknowledged.push(
            Uuid::parse_str(
                after_kill.expect("appends resume")[0]["id"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap(),
        );
        cluster.restart(victim);
    }
    // A minority (two of three nodes down) refuses appends with 503 and acknowledges nothing.
    cluster.kill(1);
    cluster.kill(2);
    let refused = Uuid::new_v4();
    let (status, headers, _) = ledger.append(vec![registered(refused)]).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(headers.contains_key("retry-after"));
    cluster.restart(1);
    cluster.restart(2);
    let resumed = append_retrying(&ledger, vec![registered(refused)]).await;
    assert!(resumed.is_some(), "appends resume once a majority is back");
    acknowledged.push(refused);
    let (verified, hash) = verify_stream(&cluster, "kill");
    let events = ledger.all_events().await;
    assert_eq!(events.len() as u64, verified);
    assert_eq!(ledger.head().await.1, Some(hash));
    let stored: HashSet<&str> = events
        .iter()
        .map(|event| event["id"].as_str().unwrap())
        .collect();
    assert_eq!(stored.len(), events.len(), "no duplicate");
    for id in &acknowledged {
        assert!(
            stored.contains(id.to_string().as_str()),
            "{id} was acknowledged and is stored"
        );
    }
}

/// Sends a form or a page request with `cookies`; the answer.
async fn web(
    ledger: &TestLedger,
    path: &str,
    cookies: &str,
    form: Option<String>,
) -> common::Answer {
    let builder = axum::http::Request::builder()
        .uri(path)
        .header("cookie", cookies);
    let request = match form {
        Some(form) => builder
            .method("POST")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(form)),
        None => builder.body(axum::body::Body::empty()),
    };
    ledger.send(request.expect("a request")).await
}

/// The value of the page's hidden CSRF input.
fn csrf_of(answer: &common::Answer) -> String {
    let body = String::from_utf8_lossy(&answer.body);
    let after = body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .expect("a CSRF input");
    after.split('"').next().unwrap().to_owned()
}

/// The `name=value` of the cookie `name` the answer sets.
fn cookie_set(answer: &common::Answer, name: &str) -> String {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .map(|value| value.split(';').next().unwrap().to_owned())
        .unwrap_or_else(|| panic!("no cookie {name}"))
}

/// Waits up to 5 s until `check` holds (a server re-reads the tokens once a second).
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !check().await {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_sessions_and_the_checkpoint_key_are_shared_by_the_servers() {
    let cluster = cluster::Cluster::start(3);
    let store = store_of(&cluster, "shared");
    let one = on(&cluster, "shared");
    let two = one.another_server(&store);
    // A token made while both run (as `token new --store` does) works on both; revoked, on none.
    let dir = tempfile::tempdir().expect("a temp dir");
    let vault = store.vault(dir.path()).expect("the bucket opens");
    let secret = impact_ledger::auth::create_token_in(vault.as_ref(), "karen", Role::Staff)
        .expect("a token");
    for ledger in [&one, &two] {
        let token = secret.clone();
        eventually("a token made elsewhere is taken", async || {
            let answer = ledger
                .request(
                    axum::http::Method::GET,
                    "/api/v1/events?limit=1",
                    Some(&token),
                    None,
                )
                .await;
            answer.0 == StatusCode::OK
        })
        .await;
    }
    assert!(impact_ledger::auth::revoke_token_in(vault.as_ref(), "karen", false).expect("revoked"));
    eventually("a token revoked elsewhere is refused", async || {
        let answer = two
            .request(
                axum::http::Method::GET,
                "/api/v1/events?limit=1",
                Some(&secret),
                None,
            )
            .await;
        answer.0 == StatusCode::UNAUTHORIZED
    })
    .await;
    // A web session started on one server is valid on the other; a logout on the other ends
    // it on both.
    let form = web(&one, "/login", "", None).await;
    let login = format!("csrf={}&next=%2F&token={}", csrf_of(&form), one.staff);
    let answer = web(&one, "/login", &cookie_set(&form, "il_login"), Some(login)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let session = cookie_set(&answer, "il_session");
    let page = web(&two, "/logout", &session, None).await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "the session is valid on the other server"
    );
    let logout = format!("csrf={}", csrf_of(&page));
    let out = web(&two, "/logout", &session, Some(logout)).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    for ledger in [&one, &two] {
        let page = web(ledger, "/", &session, None).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "logged out everywhere");
    }
    // One checkpoint key: both servers sign under the same name and key.
    let key = web(&one, "/api/v1/checkpoint/key", "", None).await;
    assert_eq!(key.status, StatusCode::OK);
    assert_eq!(
        key.body,
        web(&two, "/api/v1/checkpoint/key", "", None).await.body
    );
}

/// The history the cluster keeps of a key-value record, as operations and values.
async fn history(cluster: &cluster::Cluster, bucket: &str, name: &str) -> Vec<(String, Vec<u8>)> {
    use futures_util::StreamExt;
    let url = cluster.url("unused");
    let server = url.trim_start_matches("nats://").split(',').next().unwrap();
    let client = async_nats::connect(server).await.expect("connected");
    let bucket = async_nats::jetstream::new(client)
        .get_key_value(bucket)
        .await
        .expect("the bucket");
    let mut entries = bucket.history(name).await.expect("a history");
    let mut seen = Vec::new();
    while let Some(entry) = entries.next().await {
        let entry = entry.expect("an entry");
        seen.push((format!("{:?}", entry.operation), entry.value.to_vec()));
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purged_record_leaves_no_value_on_the_cluster() {
    let cluster = cluster::Cluster::start(3);
    let dir = tempfile::tempdir().expect("a temp dir");
    let vault = store_of(&cluster, "erase")
        .vault(dir.path())
        .expect("the bucket opens");
    assert!(vault
        .write("key.one", b"first secret", None)
        .expect("written"));
    let revision = vault
        .read("key.one")
        .expect("read")
        .expect("there")
        .revision;
    assert!(!vault.write("key.one", b"lost race", None).expect("refused"));
    assert!(vault
        .write("key.one", b"second secret", Some(revision))
        .expect("written"));
    assert_eq!(history(&cluster, "erase_KEYS", "key.one").await.len(), 1);
    vault.purge("key.one").expect("purged");
    assert_eq!(vault.read("key.one").expect("read"), None);
    let left = history(&cluster, "erase_KEYS", "key.one").await;
    assert!(
        left.iter()
            .all(|(operation, value)| operation == "Purge" && value.is_empty()),
        "{left:?}"
    );
}

/// Runs the binary with `args`; its stdout, after checking it succeeded.
fn run_binary(args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_impact-ledger"))
        .args(args)
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{args:?}: {stderr}");
    String::from_utf8(output.stdout).expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_commands_with_store_work_on_the_cluster() {
    let cluster = cluster::Cluster::start(3);
    let ledger = on(&cluster, "cli");
    let url = cluster.url("cli");
    let dir = tempfile::tempdir().expect("a temp dir");
    let data = dir.path().to_str().expect("a path");
    let new = [
        "token", "new", "--role", "auditor", "--name", "ole", "--store", &url,
    ];
    let secret = run_binary(&[&new[..], &["--data", data]].concat());
    let listed = run_binary(&["token", "list", "--store", &url, "--data", data]);
    assert!(listed.contains("ole\tauditor"), "{listed}");
    assert!(
        !dir.path().join("tokens.json").exists(),
        "nothing in the data dir"
    );
    let secret = secret.trim().to_owned();
    eventually("a token made with --store is taken", async || {
        let path = "/api/v1/events?limit=1";
        let answer = ledger
            .request(axum::http::Method::GET, path, Some(&secret), None)
            .await;
        answer.0 == StatusCode::OK
    })
    .await;
    run_binary(&[
        "token", "revoke", "--name", "ole", "--store", &url, "--data", data,
    ]);
    let listed = run_binary(&["token", "list", "--store", &url, "--data", data]);
    assert!(!listed.contains("ole"), "{listed}");
}
