//! Proves catalogue 2's events over HTTP (CONTRACT §11): through the real router and a real sled
//! log, each new type is stored (201) as schema 2, and each of its refusals answers 422 (a rule)
//! or 409 (a conflict) with a problem document naming the member and the rule's code, in English
//! and Danish, and stores nothing.

mod common;

use axum::http::{Method, StatusCode};
use common::TestLedger;
use serde_json::{json, Value};

fn id(number: u32) -> String {
    format!("00000000-0000-0000-0000-{number:012x}")
}

fn event(kind: &str, occurred_on: &str, data: Value) -> Value {
    json!({"type": kind, "occurred_on": occurred_on, "data": data})
}

/// A placement, a grant of 1,000,000 øre, an agreement, a trial and a strategy 2022-2025.
fn history() -> Vec<Value> {
    vec![
        event(
            "PersonPlacedInEmployment",
            "2023-02-01",
            json!({"placement_id": id(1), "person_ref": "SLA-1", "employment_type": "flexjob"}),
        ),
        event(
            "GrantAwarded",
            "2023-04-01",
            json!({"grant_id": id(2), "funder": "Fonden X", "amount_ore": 1_000_000}),
        ),
        event(
            "AgreementSigned",
            "2022-05-01",
            json!({"agreement_id": id(3), "counterparty": "Frivilligcenter", "kind": "partnership"}),
        ),
        event(
            "TrialStarted",
            "2023-01-10",
            json!({"trial_id": id(4), "title": "Ekstra gear", "kind": "internal_trial"}),
        ),
        event(
            "StrategyAdopted",
            "2021-12-15",
            json!({"strategy_id": id(5), "name": "Strategi 2.0", "from_year": 2022, "to_year": 2025,
                   "targets": [{"metric": "people_employed", "per": "year", "value": 30}]}),
        ),
    ]
}

fn ended(occurred_on: &str) -> Value {
    event(
        "PlacementEnded",
        occurred_on,
        json!({"placement_id": id(1), "reason": "moved_on"}),
    )
}

fn money(kind: &str, amount_ore: i64) -> Value {
    event(
        kind,
        "2023-06-01",
        json!({"grant_id": id(2), "amount_ore": amount_ore}),
    )
}

fn renewed(valid_to: &str) -> Value {
    event(
        "AgreementRenewed",
        "2023-04-01",
        json!({"agreement_id": id(3), "valid_to": valid_to}),
    )
}

fn concluded(occurred_on: &str) -> Value {
    event(
        "TrialConcluded",
        occurred_on,
        json!({"trial_id": id(4), "outcome": "continued", "lessons": null}),
    )
}

fn revised(occurred_on: &str, value: i64) -> Value {
    event(
        "StrategyRevised",
        occurred_on,
        json!({"strategy_id": id(5), "targets": [
            {"metric": "people_employed", "per": "year", "value": 40},
            {"metric": "retention_6m_pct", "per": "year", "value": value}
        ]}),
    )
}

/// Sends `events` on top of the history; the answer's status and, for a refusal, each problem
/// as `index field code`; a refusal must leave the log as it was.
async fn outcome(ledger: &TestLedger, events: Vec<Value>) -> (StatusCode, Vec<String>) {
    let before = ledger.head().await;
    let (status, _, body) = ledger.append(events).await;
    if status.is_success() {
        return (status, Vec::new());
    }
    assert_eq!(
        ledger.head().await,
        before,
        "a refusal stored something: {body}"
    );
    let problems = body["errors"].as_array().expect("problems").iter();
    let lines = problems
        .map(|problem| {
            format!(
                "{} {} {}",
                problem["index"],
                problem["field"].as_str().unwrap_or("-"),
                problem["code"].as_str().expect("a code")
            )
        })
        .collect();
    (status, lines)
}

#[tokio::test]
async fn every_new_event_is_stored_as_schema_2_and_every_refusal_is_named() {
    let ledger = TestLedger::new();
    ledger.append_ok(history()).await;
    let cases: Vec<(&str, Vec<Value>, StatusCode, &[&str])> = vec![
        (
            "ending before the start",
            vec![ended("2023-01-31")],
            StatusCode::UNPROCESSABLE_ENTITY,
            &["0 occurred_on before-placement"],
        ),
        (
            "a reason not in the list",
            vec![
                json!({"type": "PlacementEnded", "occurred_on": "2023-09-01", "data": {"placement_id": id(1), "reason": "fired"}}),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
            &["0 data.reason not-one-of"],
        ),
        (
            "an unknown placement",
            vec![event(
                "PlacementEnded",
                "2023-09-01",
                json!({"placement_id": id(9), "reason": "ended"}),
            )],
            StatusCode::UNPROCESSABLE_ENTITY,
            &["0 data.placement_id no-placement"],
        ),
        (
            "a stale expected_version",
            vec![
                json!({"type": "PlacementEnded", "occurred_on": "2023-09-01", "expected_version": 0, "data": {"placement_id": id(1), "reason": "ended"}}),
            ],
            StatusCode::CONFLICT,
            &["0 expected_version version-mismatch"],
        ),
        ("ended", vec![ended("2023-09-01")], StatusCode::CREATED, &[]),
        (
            "ended twice",
            vec![ended("2023-10-01")],
            StatusCode::UNPROCESSABLE_ENTITY,
            &["0 data.placement_id placement-ended"],
        ),
        (
            "paid beyond the award",
            vec![money("GrantPaid", 1_000_001)],
            StatusCode::UNPROCESSABLE_ENTITY,
            &["0 data.amount_ore paid-beyond-award"],
        ),
        (
            "returned before paid",
            vec![money("GrantReturned", 1)],
            StatusCode::UNPROCESSABLE_ENTITY,
            &["0 data.amount_ore returned-beyond-paid"],
        ),
        (
            "a payment of nothing",
            vec![money("GrantPaid", 0)],
            StatusCode::UNPROCESSABLE_ENTITY,
            &["0 data.amount_ore amount-not-positive"],
        ),
        (
            "paid and partly returned",
            vec![
                money("GrantPaid", 1_000_000),
                money("GrantReturned", 250_000),
            ],
            StatusCode::CREATED,
            &[],
        ),
        (
            "returned more than is left",
            vec![money("GrantReturned", 750_001)],
            StatusCode::UNPROCESSABLE_ENTITY,
            &["0 data.amount_ore returned-beyond-paid"],
        ),
        (
            "renewed to before the renewal",
            vec![renewed("2023-03-31")],
            StatusCode::UNPROCESSABLE_ENTITY,
            &["0 data.valid_to valid-to-before-renewal"],
        ),
        (
            "renewed",
            vec![renewed("2026-12-31")],
            StatusCode::CREATED,
            &[],
        ),
        (
            "concluded before it started",
            vec![concluded("2023-01-09")],
            StatusCode::UNPROCESSABLE_ENTITY,
            &["0 occurred_on before-trial-start"],
        ),
        (
            "concluded",
            vec![concluded("2023-11-30")],
            StatusCode::CREATED,
            &[],
        ),
        (
            "concluded twice",
            vec![concluded("2023-12-01")],
            StatusCode::UNPROCESSABLE_ENTITY,
            &["0 data.trial_id trial-concluded"],
        ),
        (
            "a revision after the period",
            vec![revised("2026-01-01", 70)],
            StatusCode::UNPROCESSABLE_ENTITY,
            &["0 occurred_on revision-after-period"],
        ),
        (
            "a percentage above 100",
            vec![revised("2024-03-01", 101)],
            StatusCode::UNPROCESSABLE_ENTITY,
            &["0 data.targets[1].value percent-above-100"],
        ),
        (
            "revised",
            vec![revised("2024-03-01", 70)],
            StatusCode::CREATED,
            &[],
        ),
    ];
    for (name, events, status, problems) in cases {
        let (found, lines) = outcome(&ledger, events).await;
        let expected: Vec<String> = problems.iter().map(|line| line.to_string()).collect();
        assert_eq!((found, lines), (status, expected), "{name}");
    }
    let stored = ledger.all_events().await;
    let new: Vec<&Value> = stored.iter().filter(|event| event["schema"] == 2).collect();
    assert_eq!(
        new.len(),
        stored.len(),
        "every event stored now is schema 2"
    );
    let types: Vec<&str> = stored[5..]
        .iter()
        .map(|event| event["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "PlacementEnded",
            "GrantPaid",
            "GrantReturned",
            "AgreementRenewed",
            "TrialConcluded",
            "StrategyRevised"
        ]
    );
    assert_eq!(stored[5]["stream"], format!("placement-{}", id(1)));
    assert_eq!(
        stored[10]["data"]["lessons"],
        Value::Null,
        "an optional member is null"
    );
}

#[tokio::test]
async fn a_refusal_of_a_new_event_speaks_danish_when_asked() {
    let ledger = TestLedger::new();
    ledger.append_ok(history()).await;
    let body = json!({"events": [money("GrantReturned", 5)]});
    let answer = ledger
        .send(
            axum::http::Request::builder()
                .method(Method::POST)
                .uri("/api/v1/events")
                .header("authorization", format!("Bearer {}", ledger.staff))
                .header("content-type", "application/json")
                .header("accept-language", "da")
                .body(axum::body::Body::from(body.to_string()))
                .expect("a request"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = answer.json()["errors"][0]["message"].clone();
    assert_eq!(
        message,
        "kun 0 øre af bevillingen er udbetalt og ikke tilbagebetalt; mere kan ikke gå tilbage"
    );
}
