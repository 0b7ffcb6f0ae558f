//! Proves GET /metrics moves with the work done: after appends through the real router, the
//! events counter by type, the writer's batch and flush histograms, the append latency
//! histogram, the head position and the HTTP counter by route template have all moved.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The value of the sample whose name and labels start with `prefix`.
fn sample(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or(0.0)
}

async fn metrics(router: &axum::Router) -> String {
    let request = Request::get("/metrics")
        .body(Body::empty())
        .expect("a request");
    let response = router.clone().oneshot(request).await.expect("an answer");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let body = response
        .into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes();
    String::from_utf8(body.to_vec()).expect("utf-8")
}

#[tokio::test]
async fn appends_move_the_counters_and_fill_the_histograms() {
    let data = tempfile::tempdir().expect("a temp dir");
    let state = impact_ledger::serve::open_state(data.path()).expect("the ledger opens");
    let token =
        impact_ledger::auth::create_token(data.path(), "anna", impact_ledger::auth::Role::Staff)
            .expect("a token");
    state.tokens.reload().expect("tokens reload");
    let router = impact_ledger::http::router(state);
    let before = metrics(&router).await;

    let placements: Vec<_> = (0..3)
        .map(|index| {
            serde_json::json!({"type": "PersonPlacedInEmployment", "occurred_on": "2023-02-01",
                "data": {"placement_id": uuid::Uuid::new_v4(), "person_ref": format!("P-{index}"),
                         "employment_type": "ordinary"}})
        })
        .collect();
    let body = serde_json::json!({ "events": placements }).to_string();
    let request = Request::post("/api/v1/events")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("a request");
    let response = router.clone().oneshot(request).await.expect("an answer");
    assert_eq!(response.status(), StatusCode::CREATED);
    let after = metrics(&router).await;

    let moved = |prefix: &str| sample(&after, prefix) - sample(&before, prefix);
    let placed = "impact_ledger_events_appended_total{event_type=\"PersonPlacedInEmployment\"}";
    assert!(moved(placed) >= 3.0, "{placed} moved by {}", moved(placed));
    for histogram in [
        "impact_ledger_writer_batch_events_count",
        "impact_ledger_flush_seconds_count",
        "impact_ledger_append_seconds_count",
    ] {
        assert!(
            moved(histogram) >= 1.0,
            "{histogram} did not move:\n{after}"
        );
    }
    let posts = "impact_ledger_http_requests_total{method=\"POST\",route=\"/api/v1/events\",status=\"201\"}";
    assert!(moved(posts) >= 1.0, "{posts} did not move:\n{after}");
    assert!(sample(&after, "impact_ledger_head_position") >= 1.0);
    assert!(after.contains("impact_ledger_build_info{version="));
    assert!(after.contains("impact_ledger_uptime_seconds"));
}

#[tokio::test]
async fn metrics_can_require_a_token() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let limits = impact_ledger::config::Limits {
        metrics_token_required: true,
        ..Default::default()
    };
    let token = impact_ledger::auth::create_token(
        dir.path(),
        "prometheus",
        impact_ledger::auth::Role::Auditor,
    )
    .expect("a token");
    let state = impact_ledger::serve::open_state_with(dir.path(), limits).expect("opens");
    let router = impact_ledger::http::router(state);
    let ask = |token: Option<String>| {
        let router = router.clone();
        async move {
            let mut request = Request::get("/metrics");
            if let Some(token) = token {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            let request = request.body(Body::empty()).expect("a request");
            router.oneshot(request).await.expect("an answer").status()
        }
    };
    assert_eq!(ask(None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(ask(Some(token)).await, StatusCode::OK);
}
