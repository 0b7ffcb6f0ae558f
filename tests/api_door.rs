//! Proves the rules at the door (CONTRACT §8) through the real router and a real sled ledger:
//! each rule's accepted and refused side, that a refusal names the member and stores nothing,
//! the corrections as one request, "retracted by" where an event is read, plain words in both
//! languages, and that the chain verifies after all of it.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{Answer, TestLedger};
use serde_json::{json, Value};
use uuid::Uuid;

/// One problem a refusal must list: `(index, field, code)`; no index for the request's own.
type Expected<'a> = (Option<u64>, &'a str, &'a str);

/// A CVR number that passes the modulus-11 check, and another.
const CVR: &str = "10150817";
const OTHER_CVR: &str = "25913736";

fn fresh() -> String {
    Uuid::new_v4().to_string()
}

fn event(type_name: &str, occurred_on: &str, data: Value) -> Value {
    json!({"id": fresh(), "type": type_name, "occurred_on": occurred_on, "data": data})
}

fn registered(enterprise_id: &str, name: &str, cvr: Option<&str>) -> Value {
    event(
        "EnterpriseRegistered",
        "2022-03-01",
        json!({"enterprise_id": enterprise_id, "name": name, "kind": "enterprise", "cvr": cvr}),
    )
}

fn closed(enterprise_id: &str, occurred_on: &str) -> Value {
    event(
        "EnterpriseClosed",
        occurred_on,
        json!({"enterprise_id": enterprise_id}),
    )
}

fn placed(person_ref: &str, enterprise_id: Option<&str>, occurred_on: &str) -> Value {
    event(
        "PersonPlacedInEmployment",
        occurred_on,
        json!({"placement_id": fresh(), "person_ref": person_ref,
               "employment_type": "flexjob", "enterprise_id": enterprise_id}),
    )
}

fn granted(enterprise_id: Option<&str>, occurred_on: &str) -> Value {
    event(
        "GrantAwarded",
        occurred_on,
        json!({"grant_id": fresh(), "funder": "Fonden X", "amount_ore": 25_000_000,
               "enterprise_id": enterprise_id}),
    )
}

fn retraction(event_id: &Value, reason: &str) -> Value {
    event(
        "EventRetracted",
        "2024-05-03",
        json!({"event_id": event_id, "reason": reason}),
    )
}

/// Posts `body` as staff, with `Accept-Language` if given.
async fn post(ledger: &TestLedger, body: Vec<u8>, language: Option<&str>) -> Answer {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/events")
        .header(header::AUTHORIZATION, format!("Bearer {}", ledger.staff))
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(language) = language {
        request = request.header(header::ACCEPT_LANGUAGE, language);
    }
    ledger
        .send(request.body(Body::from(body)).expect("a request"))
        .await
}

/// Posts `events` and expects a refusal with `status` and exactly these `(index, field, code)`
/// problems, with nothing stored; returns the problem document.
async fn refused(
    ledger: &TestLedger,
    events: Vec<Value>,
    status: StatusCode,
    problems: &[Expected<'_>],
) -> Value {
    let body = serde_json::to_vec(&json!({ "events": events })).unwrap();
    refused_body(ledger, body, status, problems).await
}

async fn refused_body(
    ledger: &TestLedger,
    body: Vec<u8>,
    status: StatusCode,
    problems: &[Expected<'_>],
) -> Value {
    let before = ledger.head().await;
    let answer = post(ledger, body, None).await;
    let document = answer.json();
    assert_eq!(answer.status, status, "{document}");
    assert_eq!(answer.content_type(), "application/problem+json");
    let found: Vec<(Option<u64>, String, String)> = document["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors: {document}"))
        .iter()
        .map(|error| {
            assert!(
                error["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{error}"
            );
            (
                error["index"].as_u64(),
                error["field"].as_str().unwrap_or("").to_owned(),
                error["code"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected: Vec<(Option<u64>, String, String)> = problems
        .iter()
        .map(|(index, field, code)| (*index, (*field).to_owned(), (*code).to_owned()))
        .collect();
    assert_eq!(found, expected, "{document}");
    assert_eq!(ledger.head().await, before, "a refusal stores nothing");
    document
}

async fn status_of(ledger: &TestLedger, year: i32) -> Value {
    let (status, _, body) = ledger.get(&format!("/api/v1/status/{year}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn assert_chain_verifies(ledger: &TestLedger) {
    let (status, _, body) = ledger.get("/api/v1/verify").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"], true, "{body}");
}

#[tokio::test]
async fn no_cpr_number_in_any_string_the_client_sends() {
    let ledger = TestLedger::new();
    let enterprise = fresh();
    ledger
        .append_ok(vec![registered(&enterprise, "Café Kvisten", None)])
        .await;
    let cpr = "Borger 010190-1234, Jens Hansen";
    let cases = [
        (json!({"note": cpr}), "note"),
        (json!({"case_ref": "0101901234"}), "case_ref"),
    ];
    for (members, field) in cases {
        let mut grant = granted(None, "2024-01-02");
        for (key, value) in members.as_object().unwrap() {
            grant[key] = value.clone();
        }
        refused(
            &ledger,
            vec![grant],
            StatusCode::UNPROCESSABLE_ENTITY,
            &[(Some(0), field, "cpr-number")],
        )
        .await;
    }
    let nowhere = json!(fresh());
    let cases: [(Value, &[Expected<'_>]); 3] = [
        (
            registered(&fresh(), "Borger 010190 1234 ApS", None),
            &[(Some(0), "data.name", "cpr-number")],
        ),
        (
            placed("CPR-0101901234", None, "2024-01-02"),
            &[(Some(0), "data.person_ref", "cpr-number")],
        ),
        // The retraction names no stored event either: both problems are listed.
        (
            retraction(&nowhere, "forkert: 311299-0000 stod der"),
            &[
                (Some(0), "data.reason", "cpr-number"),
                (Some(0), "data.event_id", "no-event"),
            ],
        ),
    ];
    for (event, problems) in cases {
        refused(
            &ledger,
            vec![event],
            StatusCode::UNPROCESSABLE_ENTITY,
            problems,
        )
        .await;
    }
    // Digits that are no CPR number pass.
    let mut harmless = granted(None, "2024-01-02");
    harmless["note"] = json!("aftale 2024-000123, sagsnr. 24-004614");
    ledger.append_ok(vec![harmless]).await;
    assert_chain_verifies(&ledger).await;
}

#[tokio::test]
async fn one_person_one_reference_whatever_the_case() {
    let ledger = TestLedger::new();
    let receipts = ledger
        .append_ok(vec![
            placed("SLA-P-009001", None, "2024-02-01"),
            placed(" sla-p-009001 ", None, "2024-03-01"),
        ])
        .await;
    let (_, _, second) = ledger
        .get(&format!(
            "/api/v1/events/{}",
            receipts[1]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(second["data"]["person_ref"], "SLA-P-009001");
    let status = status_of(&ledger, 2024).await;
    assert_eq!(status["people_employed"], 1, "{status}");
}

#[tokio::test]
async fn one_cvr_one_open_enterprise() {
    let ledger = TestLedger::new();
    let holder = fresh();
    ledger
        .append_ok(vec![registered(&holder, "Café Kvisten ApS", Some(CVR))])
        .await;
    let document = refused(
        &ledger,
        vec![registered(&fresh(), "Kvisten 2", Some(CVR))],
        StatusCode::CONFLICT,
        &[(Some(0), "data.cvr", "cvr-held")],
    )
    .await;
    let message = document["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(&holder) && message.contains("Café Kvisten ApS"),
        "{message}"
    );
    // Another number is fine; once the holder is closed, the number is free.
    ledger
        .append_ok(vec![registered(&fresh(), "Andet", Some(OTHER_CVR))])
        .await;
    let closure = closed(&holder, "2023-03-31");
    ledger.append_ok(vec![closure.clone()]).await;
    let successor = fresh();
    ledger
        .append_ok(vec![registered(&successor, "Kvisten 2", Some(CVR))])
        .await;
    // Retracting the closure would reopen the first holder beside the second: refused, naming
    // the one that holds the number now, and nothing is stored.
    let before = status_of(&ledger, 2024).await;
    let document = refused(
        &ledger,
        vec![retraction(&closure["id"], "lukket ved en fejl")],
        StatusCode::CONFLICT,
        &[(Some(0), "data.event_id", "reopens-held-cvr")],
    )
    .await;
    let message = document["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(&successor) && message.contains("Kvisten 2") && message.contains(CVR),
        "{message}"
    );
    assert_eq!(status_of(&ledger, 2024).await, before);
    // Once the successor is closed too, the closure may be retracted: one open holder again.
    ledger
        .append_ok(vec![closed(&successor, "2024-06-30")])
        .await;
    ledger
        .append_ok(vec![retraction(&closure["id"], "lukket ved en fejl")])
        .await;
    refused(
        &ledger,
        vec![registered(&fresh(), "Kvisten 3", Some(CVR))],
        StatusCode::CONFLICT,
        &[(Some(0), "data.cvr", "cvr-held")],
    )
    .await;
    assert_chain_verifies(&ledger).await;
}

#[tokio::test]
async fn placements_and_grants_fall_within_the_enterprises_life() {
    let ledger = TestLedger::new();
    let enterprise = fresh();
    ledger
        .append_ok(vec![
            registered(&enterprise, "Café Kvisten", None),
            closed(&enterprise, "2023-03-31"),
        ])
        .await;
    let at = Some(enterprise.as_str());
    for (event, code) in [
        (placed("P-1", at, "2020-05-01"), "before-registration"),
        (placed("P-1", at, "2024-01-01"), "after-closure"),
        (granted(at, "2022-02-28"), "before-registration"),
        (granted(at, "2023-04-01"), "after-closure"),
    ] {
        refused(
            &ledger,
            vec![event],
            StatusCode::UNPROCESSABLE_ENTITY,
            &[(Some(0), "occurred_on", code)],
        )
        .await;
    }
    ledger
        .append_ok(vec![
            placed("P-1", at, "2022-03-01"),
            granted(at, "2023-03-31"),
        ])
        .await;
    assert_chain_verifies(&ledger).await;
}

#[tokio::test]
async fn a_closure_is_not_dated_before_what_happened_at_the_enterprise() {
    let ledger = TestLedger::new();
    let enterprise = fresh();
    let at = Some(enterprise.as_str());
    let receipts = ledger
        .append_ok(vec![
            registered(&enterprise, "Café Kvisten", None),
            placed("P-1", at, "2023-05-01"),
            granted(at, "2023-09-15"),
        ])
        .await;
    let grant = &receipts[2];
    let document = refused(
        &ledger,
        vec![closed(&enterprise, "2023-06-30")],
        StatusCode::UNPROCESSABLE_ENTITY,
        &[(Some(0), "occurred_on", "before-activity")],
    )
    .await;
    let message = document["errors"][0]["message"].as_str().unwrap();
    let position = grant["position"].to_string();
    assert!(
        message.contains("2023-09-15") && message.contains(&position),
        "{message}"
    );
    // The day of the last activity is fine; so is any day once that grant is retracted and the
    // placement is the latest thing there (the rule then lets a closure pass).
    ledger
        .append_ok(vec![retraction(&grant["id"], "forkert virksomhed")])
        .await;
    ledger
        .append_ok(vec![closed(&enterprise, "2023-06-30")])
        .await;
    assert_chain_verifies(&ledger).await;
}

#[tokio::test]
async fn clean_text_controls_refused_names_stored_nfc() {
    let ledger = TestLedger::new();
    for (name, code) in [
        ("Café\u{0}", "control-character"),
        ("\u{1b}[31mRød", "control-character"),
        ("Acme\u{202e}cod.exe", "control-character"),
        ("to\nlinjer", "control-character"),
    ] {
        refused(
            &ledger,
            vec![registered(&fresh(), name, None)],
            StatusCode::UNPROCESSABLE_ENTITY,
            &[(Some(0), "data.name", code)],
        )
        .await;
    }
    let receipts = ledger
        .append_ok(vec![registered(&fresh(), "Cafe\u{301} Kvisten", None)])
        .await;
    let (_, _, stored) = ledger
        .get(&format!(
            "/api/v1/events/{}",
            receipts[0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(stored["data"]["name"], "Caf\u{e9} Kvisten", "stored in NFC");
    assert_chain_verifies(&ledger).await;
}

#[tokio::test]
async fn a_member_written_twice_is_refused_at_every_level() {
    let ledger = TestLedger::new();
    let id = fresh();
    let enterprise = fresh();
    let twice_in_data = format!(
        r#"{{"events":[{{"id":"{id}","type":"EnterpriseRegistered","occurred_on":"2022-03-01",
            "data":{{"enterprise_id":"{enterprise}","name":"FIRST","name":"SECOND","kind":"enterprise"}}}}]}}"#
    );
    refused_body(
        &ledger,
        twice_in_data.into_bytes(),
        StatusCode::UNPROCESSABLE_ENTITY,
        &[(Some(0), "data.name", "duplicate-member")],
    )
    .await;
    let twice_type = format!(
        r#"{{"events":[{{"type":"TrialStarted","type":"EnterpriseRegistered","occurred_on":"2022-03-01",
            "data":{{"enterprise_id":"{enterprise}","name":"X","kind":"enterprise"}}}}]}}"#
    );
    refused_body(
        &ledger,
        twice_type.into_bytes(),
        StatusCode::UNPROCESSABLE_ENTITY,
        &[(Some(0), "type", "duplicate-member")],
    )
    .await;
    let twice_events = r#"{"events":[],"events":[]}"#;
    refused_body(
        &ledger,
        twice_events.as_bytes().to_vec(),
        StatusCode::UNPROCESSABLE_ENTITY,
        &[(None, "events", "duplicate-member")],
    )
    .await;
}

#[tokio::test]
async fn every_problem_of_every_event_at_once_including_the_stored_state() {
    let ledger = TestLedger::new();
    let enterprise = fresh();
    ledger
        .append_ok(vec![
            registered(&enterprise, "Café Kvisten", Some(CVR)),
            closed(&enterprise, "2023-03-31"),
        ])
        .await;
    let mut bad_amount = granted(None, "2024-01-02");
    bad_amount["data"]["amount_ore"] = json!(150000.5);
    refused(
        &ledger,
        vec![
            bad_amount,
            placed("P-1", Some(&enterprise), "2024-01-01"),
            closed(&enterprise, "2024-01-01"),
            registered(&enterprise, "Igen", None),
        ],
        StatusCode::UNPROCESSABLE_ENTITY,
        &[
            (Some(0), "data.amount_ore", "wrong-kind"),
            (Some(1), "occurred_on", "after-closure"),
            (Some(2), "data.enterprise_id", "enterprise-closed"),
            (Some(3), "data.enterprise_id", "entity-stored"),
        ],
    )
    .await;
}

#[tokio::test]
async fn messages_are_plain_words_in_english_and_danish() {
    let ledger = TestLedger::new();
    let mut grant = granted(None, "2026-02-30");
    grant["data"]["amount_ore"] = json!(150000.5);
    let mut short_id = granted(None, "2024-01-02");
    short_id["data"]["grant_id"] = json!("abc");
    let body = serde_json::to_vec(&json!({ "events": [grant, short_id] })).unwrap();
    let english = post(&ledger, body.clone(), None).await;
    assert_eq!(english.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = String::from_utf8(english.body.to_vec()).unwrap();
    for internal in [
        "i64",
        "u64",
        "invalid type",
        "floating point",
        "UUID parsing",
        "struct ",
    ] {
        assert!(!text.contains(internal), "{internal} in {text}");
    }
    assert!(
        text.contains("2026-02-30 does not exist in the calendar"),
        "{text}"
    );
    let danish = post(&ledger, body, Some("da-DK, en;q=0.5")).await.json();
    let messages: Vec<&str> = danish["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "2026-02-30 findes ikke i kalenderen",
            "skal være et helt antal øre, fx 15000050 for 150.000,50 kr.",
            "skal være et id på 32 hex-cifre på formen 7c0e2a4b-1d3f-4a5b-8c6d-9e0f1a2b3c4d",
        ],
        "{danish}"
    );
    // A file saved as Latin-1 is not UTF-8: say how to save it.
    let latin1 = b"{\"events\":[{\"type\":\"TrendNoted\",\"note\":\"Caf\xe9\"}]}".to_vec();
    let answer = post(&ledger, latin1, None).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let detail = answer.json()["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("save the file as UTF-8"), "{detail}");
}

#[tokio::test]
async fn resending_a_creation_with_a_new_event_id_says_where_it_is_stored() {
    let ledger = TestLedger::new();
    let grant = granted(None, "2024-01-02");
    let receipts = ledger.append_ok(vec![grant.clone()]).await;
    let mut again = grant;
    again["id"] = json!(fresh());
    let document = refused(
        &ledger,
        vec![again],
        StatusCode::CONFLICT,
        &[(Some(0), "data.grant_id", "entity-stored")],
    )
    .await;
    let message = document["errors"][0]["message"].as_str().unwrap();
    let position = receipts[0]["position"].as_u64().unwrap();
    assert!(
        message.contains(&format!(
            "already stored (its first event is at position {position})"
        )),
        "{message}"
    );
}

#[tokio::test]
async fn a_correction_is_one_request_and_the_retracted_event_says_so() {
    let ledger = TestLedger::new();
    let enterprise = fresh();
    let wrong = registered(&enterprise, "Cafe Kvisten (stavet forkert)", Some(CVR));
    let wrong_id = wrong["id"].clone();
    ledger.append_ok(vec![wrong]).await;
    let before = status_of(&ledger, 2024).await;
    assert_eq!(before["enterprises"]["active"], 1);

    // Retract and register again with the same enterprise id (and CVR), in one request.
    let reason = "Navnet var stavet forkert; æøå";
    let correction = retraction(&wrong_id, reason);
    let correction_id = correction["id"].clone();
    let right = registered(&enterprise, "Café Kvisten", Some(CVR));
    let receipts = ledger.append_ok(vec![correction, right]).await;
    assert_eq!(receipts[0]["version"], 2);
    assert_eq!(receipts[1]["version"], 3);
    assert_eq!(receipts[1]["stream"], format!("enterprise-{enterprise}"));

    // Counted once, as corrected, and what names the enterprise still finds it.
    let after = status_of(&ledger, 2024).await;
    assert_eq!(after["enterprises"]["active"], 1, "{after}");
    ledger
        .append_ok(vec![placed("P-7", Some(&enterprise), "2024-02-01")])
        .await;

    // The retracted event says by which event, when and why; its body is as hashed.
    let path = format!("/api/v1/events/{}", wrong_id.as_str().unwrap());
    let (status, headers, body) = ledger.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["retracted-by"], correction_id.as_str().unwrap());
    assert_eq!(
        headers["retracted-by-position"],
        receipts[0]["position"].to_string().as_str()
    );
    assert_eq!(
        headers["retracted-at"],
        receipts[0]["recorded_at"].as_str().unwrap()
    );
    let encoded = headers["retraction-reason"].to_str().unwrap();
    let decoded = percent_encoding::percent_decode_str(encoded.trim_start_matches("UTF-8''"))
        .decode_utf8()
        .unwrap();
    assert_eq!(decoded, reason);
    assert_eq!(body["data"]["name"], "Cafe Kvisten (stavet forkert)");
    assert!(
        body.get("retracted_by").is_none(),
        "the event itself is unchanged"
    );
    // A standing event has no such headers.
    let (_, headers, _) = ledger
        .get(&format!(
            "/api/v1/events/{}",
            correction_id.as_str().unwrap()
        ))
        .await;
    assert!(headers.get("retracted-by").is_none());

    // The page of events says it beside the events.
    let (_, _, page) = ledger.get("/api/v1/events").await;
    let beside = &page["retractions"][wrong_id.as_str().unwrap()];
    assert_eq!(beside["id"], correction_id);
    assert_eq!(beside["reason"], reason);
    assert_eq!(beside["position"], receipts[0]["position"]);
    assert_eq!(page["retractions"].as_object().unwrap().len(), 1);
    assert_chain_verifies(&ledger).await;
}
