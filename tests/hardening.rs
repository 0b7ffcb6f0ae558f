//! Proves the mends of issue 18 through the real router over real sled: the stream endpoint
//! answers a page at a time (finding 2); /verify runs at most `verifies_max` at once and
//! /verify?foo, /export?foo are 400 (findings 7, 10); every answer is `nosniff` and
//! `no-store` and an HTML answer carries a Content-Security-Policy (finding 10); a 503 at a
//! limit is counted in /metrics (finding 9); a revoked token cuts its running export (finding
//! 3); a cancelled verification stops early and a stream holds at most STREAM_EVENTS_MAX events.

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

/// Finding 3, the export: a token revoked while its export runs gets no further batch; the
/// download is cut (fewer lines than the head position header says).
#[tokio::test]
async fn revoking_the_token_cuts_its_running_export() {
    use http_body_util::BodyExt;
    let ledger = TestLedger::new();
    for request in 0..3 {
        let trends = (0..1000)
            .map(|index| trend(request * 1000 + index + 1))
            .collect();
        ledger.append_ok(trends).await;
    }
    let request = Request::get("/api/v1/export")
        .header("authorization", format!("Bearer {}", ledger.auditor))
        .body(Body::empty())
        .expect("a request");
    let response = ledger.router().oneshot(request).await.expect("an answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-ledger-head-position"], "3000");
    let mut body = response.into_body();
    let first = body
        .frame()
        .await
        .expect("a first batch")
        .expect("readable");
    let mut lines = first
        .into_data()
        .expect("data")
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    assert!(lines > 0 && lines < 3000, "{lines}");

    impact_ledger::auth::revoke_token(ledger.dir.path(), common::AUDITOR, false).expect("revoked");
    // The server re-reads tokens.json at most once a second.
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let mut cut = false;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                lines += frame
                    .into_data()
                    .map_or(0, |data| data.iter().filter(|b| **b == b'\n').count())
            }
            Err(_) => {
                cut = true;
                break;
            }
        }
    }
    assert!(
        cut,
        "the export ran to its end with a revoked token ({lines} lines)"
    );
    assert!(lines < 3000, "{lines}");
}

/// Finding 7, the cancellation: a verification whose request was dropped (its client left, or
/// it timed out) stops at the next 1024 events instead of reading the log to its end.
#[test]
fn a_cancelled_verification_stops_early() {
    use std::sync::atomic::AtomicBool;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let state = impact_ledger::serve::open_state(dir.path()).expect("opens");
    runtime.block_on(async {
        for request in 0..2 {
            let events = (0..1000)
                .map(|index| {
                    let value = trend(request * 1000 + index + 1);
                    let id = uuid::Uuid::new_v4();
                    impact_events::parse_event_in(0, value, id).expect("a valid event")
                })
                .collect();
            let append = impact_ledger::store::AppendRequest {
                events,
                actor: "anna".to_owned(),
                today: impact_ledger::http::events::copenhagen_today(),
            };
            state.writer.append(append).await.expect("stored");
        }
    });
    let log = state.ledger.store();
    let until = state.ledger.durable_position();
    assert_eq!(until, 2000);
    let finished = impact_ledger::audit::verify_log_unless(log, until, &AtomicBool::new(false));
    assert!(finished.expect("reads").expect("not cancelled").ok());
    let cancelled = impact_ledger::audit::verify_log_unless(log, until, &AtomicBool::new(true));
    assert!(
        cancelled.expect("reads").is_none(),
        "a cancelled verification ran to its end"
    );
}
