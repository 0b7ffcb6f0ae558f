//! Proves the mends of issue 18 through the real router over real sled: the stream endpoint
//! answers a page at a time (finding 2); /verify runs at most `verifies_max` at once and
//! /verify?foo, /export?foo are 400 (findings 7, 10); every answer is `nosniff` and
//! `no-store` and an HTML answer carries a Content-Security-Policy (finding 10); a 503 at a
//! limit is counted in /metrics (finding 9).

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::TestLedger;
use serde_json::{json, Value};
use tower::ServiceExt;

const ENTERPRISE: &str = "5d3b0c1e-0000-4000-8000-0000000000e1";

fn trend(index: u32) -> Value {
    json!({"type": "TrendNoted", "occurred_on": "2023-03-01",
           "data": {"trend_id": format!("00000000-0000-4000-8000-{index:012}"),
                    "title": format!("trend {index}"), "kind": "trend"}})
}

#[tokio::test]
async fn a_stream_is_read_a_page_at_a_time() {
    let ledger = TestLedger::new();
    let registered = json!({"type": "EnterpriseRegistered", "occurred_on": "2022-03-01",
        "data": {"enterprise_id": ENTERPRISE, "name": "Café Æblehaven", "kind": "enterprise"}});
    let closed = json!({"type": "EnterpriseClosed", "occurred_on": "2023-03-01",
        "data": {"enterprise_id": ENTERPRISE, "reason": "lukket"}});
    ledger.append_ok(vec![registered, closed]).await;
    let path = format!("/api/v1/streams/enterprise-{ENTERPRISE}");

    let (status, _, first) = ledger.get(&format!("{path}?limit=1")).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["version"], 2);
    assert_eq!(first["events"].as_array().map(Vec::len), Some(1));
    assert_eq!(first["events"][0]["type"], "EnterpriseRegistered");
    assert_eq!(first["next_after"], 1);

    let (_, _, second) = ledger.get(&format!("{path}?after=1&limit=1")).await;
    assert_eq!(second["events"][0]["type"], "EnterpriseClosed");
    assert_eq!(second["next_after"], Value::Null);

    let (_, _, whole) = ledger.get(&path).await;
    assert_eq!(whole["events"].as_array().map(Vec::len), Some(2));
    assert_eq!(whole["next_after"], Value::Null);

    for bad in ["limit=0", "limit=1001", "after=x", "foo=bar"] {
        let (status, _, body) = ledger.get(&format!("{path}?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
}

#[tokio::test]
async fn verify_and_export_refuse_unknown_query_parameters() {
    let ledger = TestLedger::new();
    for path in ["/api/v1/verify?foo=bar", "/api/v1/export?foo=bar"] {
        let (status, _, body) = ledger.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("`foo`"), "{detail}");
    }
    let (status, _, _) = ledger.get("/api/v1/verify").await;
    assert_eq!(status, StatusCode::OK);
}

fn admin_get(ledger: &TestLedger, path: &str) -> Request<Body> {
    Request::get(path)
        .header("authorization", format!("Bearer {}", ledger.admin))
        .body(Body::empty())
        .expect("a request")
}

#[tokio::test]
async fn answers_say_nosniff_and_no_store_and_html_has_a_policy() {
    let ledger = TestLedger::new();
    ledger.append_ok(vec![trend(1)]).await;
    for path in [
        "/api/v1/events",
        "/api/v1/streams/trend-00000000-0000-4000-8000-000000000001",
        "/api/v1/reports/annual/2023?format=csv",
        "/no/such/path",
        "/healthz",
    ] {
        let answer = ledger.send(admin_get(&ledger, path)).await;
        assert_eq!(
            answer.headers["x-content-type-options"], "nosniff",
            "{path}"
        );
        assert_eq!(answer.headers["cache-control"], "no-store", "{path}");
    }
    let html = "/api/v1/reports/annual/2023?format=html";
    let answer = ledger.send(admin_get(&ledger, html)).await;
    assert_eq!(answer.status, StatusCode::OK);
    let policy = answer.headers["content-security-policy"]
        .to_str()
        .expect("ASCII");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(!policy.contains("script-src"), "{policy}");
}

#[tokio::test]
async fn verify_runs_at_most_verifies_max_at_once_and_a_503_is_counted() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let auditor = impact_ledger::auth::create_token(
        dir.path(),
        "revisor",
        impact_ledger::auth::Role::Auditor,
    )
    .expect("a token");
    let state = impact_ledger::serve::open_state(dir.path()).expect("opens");
    let router = impact_ledger::http::router(state.clone());
    let verify = || {
        let request = Request::builder()
            .method(Method::GET)
            .uri("/api/v1/verify")
            .header("authorization", format!("Bearer {auditor}"))
            .body(Body::empty())
            .expect("a request");
        router.clone().oneshot(request)
    };
    // Another verification holds the only permit.
    let held = state
        .verifies
        .clone()
        .try_acquire_owned()
        .expect("a permit");
    let answer = verify().await.expect("an answer");
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.headers().contains_key("retry-after"));
    drop(held);
    assert_eq!(verify().await.expect("an answer").status(), StatusCode::OK);

    let metrics = Request::get("/metrics")
        .body(Body::empty())
        .expect("a request");
    let answer = router.clone().oneshot(metrics).await.expect("an answer");
    let body = http_body_util::BodyExt::collect(answer.into_body())
        .await
        .expect("a body")
        .to_bytes();
    let text = String::from_utf8(body.to_vec()).expect("UTF-8");
    let shed = "impact_ledger_http_shed_requests_total{reason=\"busy\"} ";
    let count = text
        .lines()
        .find_map(|line| line.strip_prefix(shed))
        .and_then(|count| count.parse::<u64>().ok());
    assert!(count.is_some_and(|count| count >= 1), "{text}");
}

/// Finding 2: closing an enterprise and retracting the closure in a loop stops at
/// `STREAM_EVENTS_MAX` events in its stream, with a 422 that says so and stores nothing.
#[tokio::test]
async fn a_stream_holds_at_most_stream_events_max_events() {
    let ledger = TestLedger::new();
    let max = impact_ledger::store::writer::STREAM_EVENTS_MAX;
    let enterprise = "5d3b0c1e-0000-4000-8000-0000000000e2";
    let close = |index: u64| {
        json!({"type": "EnterpriseClosed", "occurred_on": "2023-03-01",
               "id": format!("00000000-0000-4000-8000-{index:012}"),
               "data": {"enterprise_id": enterprise, "reason": "lukket"}})
    };
    let retract = |index: u64| {
        json!({"type": "EventRetracted", "occurred_on": "2023-03-02",
               "data": {"event_id": format!("00000000-0000-4000-8000-{index:012}"),
                        "reason": "entered by mistake"}})
    };
    let mut events = vec![
        json!({"type": "EnterpriseRegistered", "occurred_on": "2022-03-01",
        "data": {"enterprise_id": enterprise, "name": "Kredsløb", "kind": "enterprise"}}),
    ];
    let mut index = 0;
    while (events.len() as u64) < max - 1 {
        index += 1;
        events.push(close(index));
        events.push(retract(index));
    }
    events.push(close(index + 1));
    assert_eq!(events.len() as u64, max);
    ledger.append_ok(events).await;
    let (status, _, body) = ledger.append(vec![retract(index + 1)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(&format!("already holds {max} events")),
        "{detail}"
    );
    assert_eq!(ledger.head().await.0 as u64, max);
}
