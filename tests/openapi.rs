//! Proves GET /api/v1/openapi.json describes the API that runs: every path and method of
//! CONTRACT §5 is documented and routed, the bearer scheme is declared, and the hand-declared
//! shapes (stored event, event in, verification, health) have exactly the members real answers
//! have, so the document cannot drift from the code unnoticed.

mod common;

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use common::TestLedger;
use serde_json::{json, Value};

/// Every path and method of CONTRACT §5, §9 and §13.
const CONTRACT: [(&str, &str); 26] = [
    ("post", "/api/v1/events"),
    ("post", "/api/v1/erasures"),
    ("get", "/api/v1/events"),
    ("get", "/api/v1/events/{id}"),
    ("get", "/api/v1/streams/{stream}"),
    ("get", "/api/v1/export"),
    ("get", "/api/v1/verify"),
    ("get", "/api/v1/status/{year}"),
    ("get", "/api/v1/targets"),
    ("get", "/api/v1/history"),
    ("get", "/api/v1/enterprises"),
    ("get", "/api/v1/placements"),
    ("get", "/api/v1/grants"),
    ("get", "/api/v1/agreements"),
    ("get", "/api/v1/trials"),
    ("get", "/api/v1/trends"),
    ("get", "/api/v1/access-log"),
    ("get", "/api/v1/reports/annual/{year}"),
    ("get", "/api/v1/subscribe"),
    ("get", "/api/v1/checkpoint"),
    ("get", "/api/v1/checkpoint/key"),
    ("get", "/api/v1/proofs/inclusion"),
    ("get", "/api/v1/proofs/consistency"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/healthz"),
    ("get", "/metrics"),
];

/// The member names of a component schema, through `allOf` where there is one.
fn members(document: &Value, schema: &str) -> BTreeSet<String> {
    let schema = &document["components"]["schemas"][schema];
    let mut names = BTreeSet::new();
    let parts = match schema["allOf"].as_array() {
        Some(parts) => parts.clone(),
        None => vec![schema.clone()],
    };
    for part in parts {
        if let Some(properties) = part["properties"].as_object() {
            names.extend(properties.keys().cloned());
        }
    }
    names
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .expect("an object")
        .keys()
        .cloned()
        .collect()
}

#[tokio::test]
async fn every_path_of_the_contract_is_documented_and_routed() {
    let ledger = TestLedger::new();
    let (status, _, document) = ledger
        .request(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .expect("operations")
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    let contract: BTreeSet<(String, String)> = CONTRACT
        .iter()
        .map(|(method, path)| (method.to_string(), path.to_string()))
        .collect();
    assert_eq!(
        documented, contract,
        "documented operations against CONTRACT §5"
    );

    for (method, path) in CONTRACT {
        let concrete = path
            .replace("{id}", "7c0e1a52-0000-4000-8000-000000000001")
            .replace(
                "{stream}",
                "enterprise-5d3b0c1e-0000-4000-8000-000000000001",
            )
            .replace("{year}", "2023");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
        let request = axum::http::Request::builder()
            .method(method.clone())
            .uri(&concrete)
            .body(axum::body::Body::empty())
            .expect("a request");
        let answer = ledger.send(request).await;
        let body = String::from_utf8_lossy(&answer.body);
        let unrouted = answer.status == StatusCode::NOT_FOUND && body.contains("no such path");
        assert!(
            !unrouted && answer.status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path} is documented but not routed"
        );
    }
}

#[tokio::test]
async fn hand_declared_shapes_match_real_answers() {
    let ledger = TestLedger::new();
    let (_, _, document) = ledger
        .request(Method::GET, "/api/v1/openapi.json", None, None)
        .await;

    // Every member EventIn documents is one the parser accepts.
    let event_in = json!({
        "id": "7c0e1a52-0000-4000-8000-000000000001", "type": "TrendNoted", "occurred_on": "2024-03-01",
        "data": {"trend_id": "7c0e1a52-0000-4000-8000-000000000002", "title": "Grøn omstilling", "kind": "trend"},
        "expected_version": 0, "correlation_id": "7c0e1a52-0000-4000-8000-000000000003",
        "case_ref": "24-004614", "note": "fra KL's nyhedsbrev"
    });
    assert_eq!(members(&document, "EventIn"), keys(&event_in));
    let (status, _, receipts) = ledger
        .request(
            Method::POST,
            "/api/v1/events",
            Some(&ledger.staff),
            Some(json!({"events": [event_in]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{receipts}");
    assert_eq!(members(&document, "Receipt"), keys(&receipts["events"][0]));

    let (_, _, page) = ledger.get("/api/v1/events").await;
    assert_eq!(members(&document, "EventsPage"), keys(&page));
    assert_eq!(members(&document, "StoredEvent"), keys(&page["events"][0]));
    let (_, _, stream) = ledger
        .get("/api/v1/streams/trend-7c0e1a52-0000-4000-8000-000000000002")
        .await;
    assert_eq!(members(&document, "StreamAnswer"), keys(&stream));

    let (_, _, verified) = ledger.get("/api/v1/verify").await;
    let mut verify_members = keys(&verified);
    verify_members.insert("error".to_owned()); // present only when the chain is broken
    assert_eq!(members(&document, "VerifyAnswer"), verify_members);

    let (_, _, health) = ledger.request(Method::GET, "/healthz", None, None).await;
    let mut health_members = keys(&health);
    health_members.insert("lag".to_owned()); // present only with the log in a NATS cluster
    assert_eq!(members(&document, "Health"), health_members);

    let (status, _, problem) = ledger
        .request(Method::GET, "/api/v1/events", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let mut problem_members = keys(&problem);
    problem_members.insert("errors".to_owned()); // present on 409 and 422 only
    assert_eq!(members(&document, "ProblemDocument"), problem_members);
}

/// The year parameters' bounds are written as literals in the handlers' attributes (utoipa
/// takes no constant there): each must be the ledger's one range of years.
#[tokio::test]
async fn every_year_parameter_has_the_ledgers_range() {
    use impact_events::time::{YEAR_FIRST, YEAR_LAST};
    let ledger = TestLedger::new();
    let (status, _, document) = ledger.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        for operation in item.as_object().expect("an item").values() {
            let parameters = operation["parameters"].as_array().into_iter().flatten();
            for parameter in parameters {
                let name = parameter["name"].as_str().expect("a name");
                // `from` and `to` are years in /history only (elsewhere, tree sizes).
                let is_year =
                    name == "year" || (path == "/api/v1/history" && ["from", "to"].contains(&name));
                if !is_year {
                    continue;
                }
                let schema = &parameter["schema"];
                assert_eq!(schema["minimum"], json!(YEAR_FIRST), "{path} {name}");
                assert_eq!(schema["maximum"], json!(YEAR_LAST), "{path} {name}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "only {checked} year parameters found");
}
