//! Proves that what Schemathesis found (ops/schemathesis.sh, docs/RELIABILITY.md) stays fixed:
//! the bounds the OpenAPI document states are the bounds the server enforces, on both sides of
//! each bound; a position beyond int64 (the document's format) is refused, not read as "after
//! the end"; a refused `after` is not hidden by a `Last-Event-ID`; and no map in the document
//! claims integer keys, since JSON object keys are always strings.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::TestLedger;
use serde_json::Value;

/// One request with the admin token, and the status it must get.
async fn check(ledger: &TestLedger, uri: &str, headers: &[(&str, &str)], expected: StatusCode) {
    let mut request =
        Request::get(uri).header(header::AUTHORIZATION, format!("Bearer {}", ledger.admin));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answer = ledger
        .send(request.body(Body::empty()).expect("a request"))
        .await;
    assert_eq!(
        answer.status,
        expected,
        "GET {uri} {headers:?}: {}",
        String::from_utf8_lossy(&answer.body)
    );
}

#[tokio::test]
async fn documented_bounds_are_enforced_on_both_sides() {
    let ledger = TestLedger::new();
    let cases: &[(&str, StatusCode)] = &[
        ("/api/v1/events?limit=1", StatusCode::OK),
        ("/api/v1/events?limit=1000", StatusCode::OK),
        ("/api/v1/events?limit=0", StatusCode::BAD_REQUEST),
        ("/api/v1/events?limit=1001", StatusCode::BAD_REQUEST),
        ("/api/v1/events?after=9223372036854775807", StatusCode::OK),
        (
            "/api/v1/events?after=9223372036854775808",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/v1/status/1900", StatusCode::OK),
        ("/api/v1/status/2200", StatusCode::OK),
        ("/api/v1/status/1899", StatusCode::BAD_REQUEST),
        ("/api/v1/status/2201", StatusCode::BAD_REQUEST),
        ("/api/v1/history?from=1900&to=2200", StatusCode::OK),
        ("/api/v1/history?from=1899&to=2200", StatusCode::BAD_REQUEST),
        (
            "/api/v1/reports/annual/2200?format=csv&lang=en&sep=comma",
            StatusCode::OK,
        ),
        (
            "/api/v1/reports/annual/2023?format=pdf",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/v1/events/not-a-uuid", StatusCode::BAD_REQUEST),
        (
            "/api/v1/streams/enterprise-5D3B0C1E-0000-4000-8000-000000000001",
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/subscribe?after=9223372036854775808",
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (uri, expected) in cases {
        check(&ledger, uri, &[], *expected).await;
    }
}

#[tokio::test]
async fn a_bad_after_is_refused_even_beside_a_last_event_id() {
    let ledger = TestLedger::new();
    let uri = "/api/v1/subscribe?after=9223372036854775808";
    check(
        &ledger,
        uri,
        &[("last-event-id", "0")],
        StatusCode::BAD_REQUEST,
    )
    .await;
    let uri = "/api/v1/subscribe";
    let too_far = [("last-event-id", "9223372036854775808")];
    check(&ledger, uri, &too_far, StatusCode::BAD_REQUEST).await;
    check(
        &ledger,
        uri,
        &[("last-event-id", "null")],
        StatusCode::BAD_REQUEST,
    )
    .await;
}

/// Every `propertyNames` schema in the document, with where it is.
fn property_names(value: &Value, at: String, found: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(members) => {
            for (name, member) in members {
                if name == "propertyNames" {
                    found.push((at.clone(), member.clone()));
                }
                property_names(member, format!("{at}/{name}"), found);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                property_names(item, format!("{at}/{index}"), found);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn maps_have_string_keys_in_the_document() {
    let ledger = TestLedger::new();
    let (status, _, document) = ledger.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let mut found = Vec::new();
    property_names(&document, String::new(), &mut found);
    assert!(
        !found.is_empty(),
        "the document has maps (sdgs, event_labels)"
    );
    for (at, names) in found {
        assert_eq!(names["type"], "string", "propertyNames at {at}");
    }
}
