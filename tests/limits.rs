//! Proves each limit answers with its status and stores nothing: a body over `body_bytes_max`
//! is 413, a request slower than `request_timeout_ms` is 408, a request beyond
//! `concurrency_max` in flight is 503 at once, and a configuration file is read with flags
//! winning over it. Runs the real router over real sled with small limits.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use impact_ledger::auth::{create_token, Role};
use impact_ledger::config::{Config, Limits, ServeArgs};
use tower::ServiceExt;

struct Fixture {
    _dir: tempfile::TempDir,
    router: axum::Router,
    token: String,
    state: impact_ledger::http::AppState,
}

fn fixture(limits: Limits) -> Fixture {
    let dir = tempfile::tempdir().expect("a temp dir");
    let state =
        impact_ledger::serve::open_state_with(dir.path(), limits).expect("the ledger opens");
    let token = create_token(dir.path(), "anna", Role::Staff).expect("a token");
    state.tokens.reload().expect("tokens reload");
    let router = impact_ledger::http::router(state.clone());
    Fixture {
        _dir: dir,
        router,
        token,
        state,
    }
}

/// A POST whose body sends a first chunk and then never finishes.
fn stalled_post(token: &str) -> Request<Body> {
    let chunks = futures_util::stream::once(async {
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"{\"events\":"))
    })
    .chain(futures_util::stream::pending());
    Request::post("/api/v1/events")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from_stream(chunks))
        .expect("a request")
}

async fn answer(
    router: &axum::Router,
    request: Request<Body>,
) -> (StatusCode, serde_json::Value, String) {
    let response = router.clone().oneshot(request).await.expect("an answer");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap_or("").to_owned());
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    let value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    (status, value, content_type.unwrap_or_default())
}

use futures_util::StreamExt;

#[tokio::test]
async fn each_limit_answers_with_its_status_and_stores_nothing() {
    let limits = Limits {
        body_bytes_max: 2048,
        request_timeout_ms: 100,
        concurrency_max: 1,
        ..Limits::default()
    };
    let fixture = fixture(limits);

    let big = format!(
        "{{\"events\": [{{\"type\": \"TrendNoted\", \"note\": \"{}\"}}]}}",
        "x".repeat(4096)
    );
    let request = Request::post("/api/v1/events")
        .header("authorization", format!("Bearer {}", fixture.token))
        .header("content-type", "application/json")
        .body(Body::from(big))
        .expect("a request");
    let (status, problem, content_type) = answer(&fixture.router, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    assert_eq!(content_type, "application/problem+json");
    assert!(
        problem["detail"].as_str().unwrap_or("").contains("2048"),
        "{problem}"
    );

    let (status, problem, _) = answer(&fixture.router, stalled_post(&fixture.token)).await;
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT, "{problem}");
    assert_eq!(problem["status"], 408);

    // One request in flight (its body stalls); the next is shed at once, not queued.
    let router = fixture.router.clone();
    let token = fixture.token.clone();
    let in_flight = tokio::spawn(async move { answer(&router, stalled_post(&token)).await });
    tokio::time::sleep(Duration::from_millis(20)).await;
    let request = Request::get("/healthz")
        .body(Body::empty())
        .expect("a request");
    let (status, problem, _) = answer(&fixture.router, request).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert_eq!(problem["type"], "urn:impact-ledger:problem:overloaded");
    let (status, _, _) = in_flight.await.expect("the stalled request ends");
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);

    assert_eq!(
        fixture.state.ledger.durable_position(),
        0,
        "nothing was stored"
    );
}

#[test]
fn flags_win_over_the_file_which_wins_over_the_defaults() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("config.toml");
    std::fs::write(
        &file,
        "data = \"/srv/ledger\"\nbody_bytes_max = 4096\npage_events_max = 10\n\
         municipality = \" Slagelse Kommune \"\n",
    )
    .expect("write");
    let args = ServeArgs {
        config: Some(file.clone()),
        page_events_max: Some(20),
        ..ServeArgs::default()
    };
    let config = Config::resolve(&args).expect("a valid configuration");
    assert_eq!(config.data, std::path::PathBuf::from("/srv/ledger"));
    assert_eq!(config.limits.body_bytes_max, 4096, "from the file");
    assert_eq!(config.limits.page_events_max, 20, "the flag wins");
    assert_eq!(config.limits.batch_events_max, 1000, "the default");
    assert!(config.to_toml().contains("page_events_max = 20"));
    assert_eq!(config.municipality.as_deref(), Some("Slagelse Kommune"));
    assert!(config
        .to_toml()
        .contains("municipality = \"Slagelse Kommune\""));

    for (text, expected) in [
        ("bodybytes_max = 1\n", "unknown field"),
        ("batch_events_max = 5000\n", "at most 1000"),
        ("concurrency_max = 0\n", "greater than 0"),
        ("municipality = \"Slagelse\\nKommune\"\n", "one line"),
    ] {
        std::fs::write(&file, text).expect("write");
        let args = ServeArgs {
            config: Some(file.clone()),
            ..ServeArgs::default()
        };
        let error = format!("{:#}", Config::resolve(&args).expect_err(text));
        assert!(error.contains(expected), "{text}: {error}");
    }
}
