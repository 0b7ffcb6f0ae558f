//! Proves GET /api/v1/subscribe over a real TCP connection (axum::serve on 127.0.0.1:0, read with
//! a hand-written HTTP/1.1 client): catch-up then live events, each with `id: <position>` and
//! the event's canonical JSON; resuming with `Last-Event-ID` (which wins over `after`) gives
//! exactly the missed events; the subscriber limit answers 503 and a place frees up when a
//! client leaves; a subscriber that never reads does not hold up appends; shutdown ends streams;
//! revoking the token ends its open stream, quiet or busy, within seconds (issue 18, finding 3).

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use impact_ledger::auth::{self, Role};
use impact_ledger::http::AppState;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

/// How long a test waits for something that should happen at once.
const PATIENCE: Duration = Duration::from_secs(20);

struct Server {
    state: AppState,
    address: SocketAddr,
    staff: String,
    auditor: String,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(subscribers_max: usize) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let staff = auth::create_token(dir.path(), "anna", Role::Staff).expect("staff token");
        let auditor =
            auth::create_token(dir.path(), "revisor", Role::Auditor).expect("auditor token");
        let mut state = impact_ledger::serve::open_state(dir.path()).expect("the ledger opens");
        state.limits.subscribers_max = subscribers_max;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let address = listener.local_addr().expect("an address");
        let router = impact_ledger::http::router(state.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Server {
            state,
            address,
            staff,
            auditor,
            _dir: dir,
        }
    }

    fn router(&self) -> Router {
        impact_ledger::http::router(self.state.clone())
    }

    /// Appends `count` trends and returns their export lines, in order.
    async fn append_trends(&self, first: usize, count: usize) -> Vec<String> {
        let events: Vec<Value> = (first..first + count)
            .map(|index| {
                json!({"type": "TrendNoted", "occurred_on": "2023-03-01",
                       "data": {"trend_id": uuid::Uuid::from_u128(index as u128 + 1),
                                "title": format!("trend {index}"), "kind": "trend"}})
            })
            .collect();
        let request = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/events")
            .header(header::AUTHORIZATION, format!("Bearer {}", self.staff))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({ "events": events }).to_string()))
            .expect("a request");
        let response = self.router().oneshot(request).await.expect("infallible");
        assert_eq!(response.status(), StatusCode::CREATED);
        let body = response.into_body().collect().await.expect("a body");
        let receipts: Value = serde_json::from_slice(&body.to_bytes()).expect("JSON");
        let mut lines = Vec::new();
        for receipt in receipts["events"].as_array().expect("receipts") {
            let position = receipt["position"].as_u64().expect("a position");
            let event = self.state.ledger.store().get(position).expect("readable");
            let line = event.expect("stored").canonical_json();
            lines.push(String::from_utf8(line).expect("UTF-8"));
        }
        lines
    }

    async fn subscribe(&self, query: &str, last_event_id: Option<u64>) -> Subscriber {
        Subscriber::connect(self.address, &self.staff, query, last_event_id).await
    }
}

/// One SSE message.
#[derive(Debug, PartialEq, Eq)]
struct Message {
    id: u64,
    data: String,
}

/// A raw HTTP/1.1 client for one `GET /api/v1/subscribe`.
struct Subscriber {
    stream: TcpStream,
    status: StatusCode,
    /// The status line and headers, lower case.
    head: String,
    /// Bytes read but not yet de-chunked.
    raw: Vec<u8>,
    /// The de-chunked body not yet parsed into messages.
    body: Vec<u8>,
    /// The terminating chunk was read: the server ended the stream.
    ended: bool,
}

impl Subscriber {
    async fn connect(
        address: SocketAddr,
        token: &str,
        query: &str,
        last_event_id: Option<u64>,
    ) -> Self {
        let mut stream = TcpStream::connect(address).await.expect("connected");
        let mut request = format!(
            "GET /api/v1/subscribe{query} HTTP/1.1\r\nHost: {address}\r\n\
             Authorization: Bearer {token}\r\nAccept: text/event-stream\r\nConnection: close\r\n"
        );
        if let Some(id) = last_event_id {
            request.push_str(&format!("Last-Event-ID: {id}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).await.expect("sent");
        let mut subscriber = Subscriber {
            stream,
            status: StatusCode::OK,
            head: String::new(),
            raw: Vec::new(),
            body: Vec::new(),
            ended: false,
        };
        let head = subscriber.read_head().await;
        let status_line = head.lines().next().expect("a status line");
        let code = status_line.split(' ').nth(1).expect("a status code");
        subscriber.status = code
            .parse::<u16>()
            .expect("a number")
            .try_into()
            .expect("a status");
        subscriber.head = head.to_ascii_lowercase();
        if subscriber.status == StatusCode::OK {
            let head = &subscriber.head;
            assert!(head.contains("content-type: text/event-stream"), "{head}");
            assert!(head.contains("transfer-encoding: chunked"), "{head}");
        }
        subscriber
    }

    async fn read_more(&mut self) -> bool {
        let mut buffer = [0; 16 * 1024];
        let read = tokio::time::timeout(PATIENCE, self.stream.read(&mut buffer))
            .await
            .expect("the server answers in time")
            .expect("the connection reads");
        self.raw.extend_from_slice(&buffer[..read]);
        read > 0
    }

    /// Reads the status line and headers; what follows stays in `raw`.
    async fn read_head(&mut self) -> String {
        loop {
            if let Some(end) = find(&self.raw, b"\r\n\r\n") {
                let head = String::from_utf8(self.raw[..end].to_vec()).expect("ASCII");
                self.raw.drain(..end + 4);
                return head;
            }
            assert!(self.read_more().await, "the connection closed early");
        }
    }

    /// Moves every complete chunk from `raw` to `body`.
    fn dechunk(&mut self) {
        while let Some(end) = find(&self.raw, b"\r\n") {
            let size_text = String::from_utf8_lossy(&self.raw[..end]).into_owned();
            let size_text = size_text.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_text, 16).expect("a chunk size");
            if self.raw.len() < end + 2 + size + 2 {
                return;
            }
            self.body
                .extend_from_slice(&self.raw[end + 2..end + 2 + size]);
            self.raw.drain(..end + 2 + size + 2);
            if size == 0 {
                self.ended = true;
            }
        }
    }

    /// The next event message (keep-alive comments are skipped); `None` when the stream ended.
    async fn next(&mut self) -> Option<Message> {
        loop {
            self.dechunk();
            while let Some(end) = find(&self.body, b"\n\n") {
                let block = String::from_utf8(self.body[..end].to_vec()).expect("UTF-8");
                self.body.drain(..end + 2);
                if let Some(message) = parse_message(&block) {
                    return Some(message);
                }
            }
            if self.ended || !self.read_more().await {
                return None;
            }
        }
    }

    /// The headers and body of an answer that is not a stream (e.g. a 503), read to its end.
    async fn rest(mut self) -> String {
        while self.read_more().await {}
        format!("{}\n\n{}", self.head, String::from_utf8_lossy(&self.raw))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn parse_message(block: &str) -> Option<Message> {
    let mut id = None;
    let mut data = None;
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("id:") {
            id = Some(value.trim().parse().expect("a numeric id"));
        } else if let Some(value) = line.strip_prefix("data:") {
            assert!(data.is_none(), "one data line per message: {block}");
            data = Some(value.strip_prefix(' ').unwrap_or(value).to_owned());
        }
    }
    match (id, data) {
        (Some(id), Some(data)) => Some(Message { id, data }),
        (None, None) => None,
        _ => panic!("a message without id or data: {block}"),
    }
}

/// Reads `lines.len()` messages and checks they are those events, from position `first` on.
async fn expect_events(subscriber: &mut Subscriber, first: u64, lines: &[String]) {
    for (offset, line) in lines.iter().enumerate() {
        let message = subscriber.next().await.expect("the stream goes on");
        let expected = Message {
            id: first + offset as u64,
            data: line.clone(),
        };
        assert_eq!(message, expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catch_up_live_and_resume_with_last_event_id() {
    let server = Server::start(8).await;
    let first = server.append_trends(0, 3).await;

    let mut subscriber = server.subscribe("", None).await;
    assert_eq!(subscriber.status, StatusCode::OK);
    expect_events(&mut subscriber, 1, &first).await;
    let live = server.append_trends(3, 2).await;
    expect_events(&mut subscriber, 4, &live).await;
    drop(subscriber);

    let missed = server.append_trends(5, 3).await;
    // `after=1` is overruled by the Last-Event-ID the client got last.
    let mut resumed = server.subscribe("?after=1", Some(5)).await;
    expect_events(&mut resumed, 6, &missed).await;
    // Nothing else was waiting: the next message is the next live event.
    let next = server.append_trends(8, 1).await;
    expect_events(&mut resumed, 9, &next).await;

    let mut from_query = server.subscribe("?after=7", None).await;
    expect_events(&mut from_query, 8, &[missed[2].clone(), next[0].clone()]).await;

    // Shutdown ends every stream, so a graceful shutdown can finish.
    server.state.subscribers.close();
    assert_eq!(resumed.next().await, None);
    assert_eq!(from_query.next().await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_subscriber_limit_answers_503_and_frees_up_when_a_client_leaves() {
    let server = Server::start(2).await;
    let first = server.append_trends(0, 1).await;
    let mut one = server.subscribe("", None).await;
    let mut two = server.subscribe("", None).await;
    expect_events(&mut one, 1, &first).await;
    expect_events(&mut two, 1, &first).await;

    let three = server.subscribe("", None).await;
    assert_eq!(three.status, StatusCode::SERVICE_UNAVAILABLE);
    let answer = three.rest().await.to_ascii_lowercase();
    assert!(
        answer.contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(answer.contains("too-many-subscribers"), "{answer}");

    // A client that leaves gives its place back once the server notices (at the next write).
    drop(one);
    let mut index = 1;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut again = loop {
        server.append_trends(index, 1).await;
        index += 1;
        let attempt = server.subscribe("", None).await;
        if attempt.status == StatusCode::OK {
            break attempt;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the place was never freed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(again.next().await.map(|message| message.id), Some(1));
    assert_eq!(two.next().await.map(|message| message.id), Some(2));

    // Roles: staff, auditor and admin may subscribe; without a token it is 401.
    let auditor = Subscriber::connect(server.address, &server.auditor, "", None).await;
    assert_eq!(auditor.status, StatusCode::SERVICE_UNAVAILABLE);
    let nobody = Subscriber::connect(server.address, "nonsense", "", None).await;
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_never_reads_does_not_hold_up_appends() {
    let server = Server::start(4).await;
    let mut stuck = server.subscribe("", None).await;
    assert_eq!(stuck.status, StatusCode::OK);
    // About 3 MB of events: more than the socket buffers hold for a reader that never reads.
    let appends = async {
        for batch in 0..5 {
            server.append_trends(batch * 1000, 1000).await;
        }
    };
    tokio::time::timeout(PATIENCE * 3, appends)
        .await
        .expect("appends finish while a subscriber lags");
    // The lagging subscriber still gets everything, in order, when it reads at last.
    for position in 1..=5000 {
        let message = stuck.next().await.expect("the stream goes on");
        assert_eq!(message.id, position);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_the_token_ends_its_open_streams() {
    let server = Server::start(8).await;
    let first = server.append_trends(0, 1).await;
    let dir = server._dir.path();
    let quiet_token = auth::create_token(dir, "bente", Role::Staff).expect("a token");
    let busy_token = auth::create_token(dir, "carl", Role::Auditor).expect("a token");
    // The server re-reads tokens.json at most once a second.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let (mut quiet, mut busy) = loop {
        let quiet = Subscriber::connect(server.address, &quiet_token, "", None).await;
        let busy = Subscriber::connect(server.address, &busy_token, "", None).await;
        if quiet.status == StatusCode::OK && busy.status == StatusCode::OK {
            break (quiet, busy);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the new tokens never worked"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    expect_events(&mut quiet, 1, &first).await;
    expect_events(&mut busy, 1, &first).await;

    auth::revoke_token(dir, "bente", false).expect("revoked");
    auth::revoke_token(dir, "carl", false).expect("revoked");
    // The quiet stream ends on its own check; the busy one before its next event.
    let started = tokio::time::Instant::now();
    assert_eq!(
        quiet.next().await,
        None,
        "a revoked token's quiet stream goes on"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    server.append_trends(1, 1).await;
    assert_eq!(
        busy.next().await,
        None,
        "a revoked token's stream delivered an event"
    );
}
