//! Proves the edges a contract review found: one 422 lists the problems of every event of a
//! request (not only the first unparsable one), an event too large for a small record is
//! refused, an unknown query parameter is a 400 rather than a silent "now", and a path that
//! cannot be read is a 400 problem. Each refusal also stores nothing.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::TestLedger;
use serde_json::{json, Value};

fn trial(title: &str, partners: Vec<String>) -> Value {
    json!({"type": "TrialStarted", "occurred_on": "2024-02-01",
           "data": {"trial_id": uuid::Uuid::new_v4(), "title": title, "kind": "trial_action", "partners": partners}})
}

fn fields(problem: &Value) -> Vec<(u64, String)> {
    problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| {
            (
                error["index"].as_u64().expect("index"),
                error["field"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn one_answer_lists_the_problems_of_every_event() {
    let ledger = TestLedger::new();
    let events = vec![
        json!({"type": "TrendNoted", "occurred_on": "2024-01-01", "colour": "red",
               "data": {"trend_id": uuid::Uuid::new_v4(), "title": "x", "kind": "trend"}}),
        json!({"type": "EnterpriseRegistered", "occurred_on": "2024-01-01",
               "data": {"enterprise_id": uuid::Uuid::new_v4(), "name": "Café", "kind": "enterprise", "cvr": "10150818"}}),
        json!({"type": "PersonPlacedInEmployment", "occurred_on": "2999-01-01",
               "data": {"placement_id": uuid::Uuid::new_v4(), "person_ref": "0101901234", "employment_type": "ordinary"}}),
    ];
    let (status, _, problem) = ledger.append(events).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        fields(&problem),
        vec![
            (0, "colour".to_owned()),
            (1, "data.cvr".to_owned()),
            (2, "occurred_on".to_owned()),
            (2, "data.person_ref".to_owned()),
        ]
    );
    assert_eq!(ledger.head().await.0, 0, "nothing was stored");
}

#[tokio::test]
async fn an_event_too_large_for_a_small_record_is_refused() {
    let ledger = TestLedger::new();
    let partners: Vec<String> = (0..101).map(|index| format!("Partner {index}")).collect();
    let (status, _, problem) = ledger.append(vec![trial("Prøvehandling", partners)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), vec![(0, "data.partners".to_owned())]);

    let long: Vec<String> = (0..60)
        .map(|index| format!("{index:03} {}", "æ".repeat(150)))
        .collect();
    let (status, _, problem) = ledger.append(vec![trial("Prøvehandling", long)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or("")
            .contains("at most 16384"),
        "{problem}"
    );
    assert_eq!(ledger.head().await.0, 0, "nothing was stored");

    let (status, _, _) = ledger
        .append(vec![trial(
            "Prøvehandling",
            vec!["Slagelse Bibliotek".to_owned()],
        )])
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn unknown_query_parameters_and_unreadable_paths_are_400() {
    let ledger = TestLedger::new();
    for path in [
        "/api/v1/status/2023?asof=2020-01-01T00:00:00Z",
        "/api/v1/targets?year=2023&at_positon=3",
        "/api/v1/history?from=2022&to=2023&as-of=x",
        "/api/v1/reports/annual/2023?fromat=csv",
        "/api/v1/events?limt=5",
    ] {
        let (status, headers, problem) = ledger.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {problem}");
        assert_eq!(
            headers["content-type"], "application/problem+json",
            "{path}"
        );
        assert!(
            problem["detail"]
                .as_str()
                .unwrap_or("")
                .contains("unknown query parameter"),
            "{path}: {problem}"
        );
    }
    for path in [
        "/api/v1/status/%FF",
        "/api/v1/events/%FF",
        "/api/v1/streams/%FF",
        "/api/v1/reports/annual/%FF",
    ] {
        let request = Request::builder()
            .method(Method::GET)
            .uri(path)
            .header("authorization", format!("Bearer {}", ledger.admin))
            .body(Body::empty())
            .expect("a request");
        let answer = ledger.send(request).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(answer.content_type(), "application/problem+json", "{path}");
    }
}
