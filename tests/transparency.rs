//! Proves the transparency endpoints of CONTRACT §13 through the real router over real sled:
//! checkpoints verify with the key of GET /api/v1/checkpoint/key, every inclusion and
//! consistency proof the API gives (across the 256-event blocks the tree keeps) verifies with
//! the RFC 9162 checks, a proof is there as soon as the append was answered, bad sizes are 400
//! problems in plain words, no token is needed, and the annual report carries the checkpoint
//! of its position in JSON, CSV and HTML.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use impact_events::merkle::{leaf_hash, verify_consistency, verify_inclusion};
use impact_events::Hash;
use impact_ledger::transparency::{Checkpoint, NoteVerifier};
use serde_json::{json, Value};

use common::{Answer, TestLedger};

fn trend(index: usize) -> Value {
    json!({"type": "TrendNoted", "occurred_on": "2023-03-01",
           "data": {"trend_id": uuid::Uuid::new_v4(), "title": format!("trend {index}"), "kind": "trend"}})
}

/// A GET without any token.
async fn public(ledger: &TestLedger, path: &str) -> Answer {
    let request = Request::builder()
        .method(Method::GET)
        .uri(path)
        .body(Body::empty())
        .expect("a request");
    ledger.send(request).await
}

async fn verifier(ledger: &TestLedger) -> NoteVerifier {
    let answer = public(ledger, "/api/v1/checkpoint/key").await;
    assert_eq!(answer.status, StatusCode::OK);
    NoteVerifier::parse(std::str::from_utf8(&answer.body).expect("UTF-8")).expect("a verifier")
}

async fn checkpoint(ledger: &TestLedger, verifier: &NoteVerifier, size: u64) -> Checkpoint {
    let answer = public(ledger, &format!("/api/v1/checkpoint?tree_size={size}")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.content_type().starts_with("text/plain"));
    let note = std::str::from_utf8(&answer.body).expect("UTF-8");
    let checkpoint = verifier.verify(note).expect("the checkpoint verifies");
    assert_eq!(checkpoint.size, size);
    checkpoint
}

fn hashes(value: &Value) -> Vec<Hash> {
    value
        .as_array()
        .expect("hashes")
        .iter()
        .map(|hash| Hash::from_hex(hash.as_str().expect("hex")).expect("lowercase hex"))
        .collect()
}

/// Appends `count` events, in requests of up to 300, and returns their hashes in order.
async fn appended(ledger: &TestLedger, count: usize) -> Vec<Hash> {
    let mut all = Vec::new();
    let mut made = 0;
    while made < count {
        let batch = (count - made).min(300);
        let receipts = ledger
            .append_ok((made..made + batch).map(trend).collect())
            .await;
        for receipt in receipts {
            all.push(Hash::from_hex(receipt["hash"].as_str().unwrap()).unwrap());
        }
        made += batch;
    }
    all
}

#[tokio::test]
async fn every_proof_the_api_gives_verifies_against_signed_checkpoints() {
    let ledger = TestLedger::new();
    let events = appended(&ledger, 600).await;
    let verifier = verifier(&ledger).await;
    let sizes = [1u64, 2, 7, 255, 256, 257, 511, 512, 513, 600];
    let mut roots = Vec::new();
    for size in sizes {
        roots.push(checkpoint(&ledger, &verifier, size).await.root);
    }
    for (size, root) in sizes.iter().zip(&roots) {
        for position in [1, size / 2 + 1, *size] {
            let path = format!("/api/v1/proofs/inclusion?position={position}&tree_size={size}");
            let answer = public(&ledger, &path).await;
            assert_eq!(answer.status, StatusCode::OK, "{path}");
            let proof = answer.json();
            assert_eq!(proof["position"], position);
            assert_eq!(proof["leaf_index"], position - 1);
            assert_eq!(proof["tree_size"], *size);
            let leaf = leaf_hash(&events[position as usize - 1].0);
            assert_eq!(proof["leaf_hash"], leaf.to_hex());
            let path_hashes = hashes(&proof["hashes"]);
            assert_eq!(
                verify_inclusion(position - 1, *size, &leaf, &path_hashes, root),
                Ok(()),
                "{path}"
            );
            let other = leaf_hash(&events[position as usize % events.len()].0);
            assert!(verify_inclusion(position - 1, *size, &other, &path_hashes, root).is_err());
        }
    }
    for (from, from_root) in sizes.iter().zip(&roots) {
        for (to, to_root) in sizes.iter().zip(&roots).filter(|(to, _)| *to >= from) {
            let path = format!("/api/v1/proofs/consistency?from={from}&to={to}");
            let answer = public(&ledger, &path).await;
            assert_eq!(answer.status, StatusCode::OK, "{path}");
            let proof = answer.json();
            assert_eq!(
                (proof["from"].as_u64(), proof["to"].as_u64()),
                (Some(*from), Some(*to))
            );
            let proof = hashes(&proof["hashes"]);
            assert_eq!(
                verify_consistency(*from, *to, &proof, from_root, to_root),
                Ok(()),
                "{path}"
            );
        }
    }
}

#[tokio::test]
async fn a_proof_is_there_as_soon_as_the_append_is_answered() {
    let ledger = TestLedger::new();
    let verifier = verifier(&ledger).await;
    let head = public(&ledger, "/api/v1/checkpoint").await;
    let empty = verifier
        .verify(std::str::from_utf8(&head.body).unwrap())
        .expect("the empty log's checkpoint verifies");
    assert_eq!(empty.size, 0);
    for round in 1..=5u64 {
        let receipt = &ledger.append_ok(vec![trend(round as usize)]).await[0];
        let position = receipt["position"].as_u64().unwrap();
        assert_eq!(position, round);
        let answer = public(
            &ledger,
            &format!("/api/v1/proofs/inclusion?position={position}"),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK);
        let proof = answer.json();
        assert_eq!(proof["tree_size"], round);
        let head = public(&ledger, "/api/v1/checkpoint").await;
        let head = verifier
            .verify(std::str::from_utf8(&head.body).unwrap())
            .unwrap();
        assert_eq!(head.size, round);
        let event = Hash::from_hex(receipt["hash"].as_str().unwrap()).unwrap();
        let path_hashes = hashes(&proof["hashes"]);
        assert_eq!(
            verify_inclusion(
                position - 1,
                round,
                &leaf_hash(&event.0),
                &path_hashes,
                &head.root
            ),
            Ok(())
        );
    }
}

#[tokio::test]
async fn bad_sizes_and_positions_are_refused_in_plain_words() {
    let ledger = TestLedger::new();
    appended(&ledger, 3).await;
    let cases = [
        (
            "/api/v1/checkpoint?tree_size=0",
            "a tree size must be 1 or more",
        ),
        (
            "/api/v1/checkpoint?tree_size=4",
            "tree size 4 is beyond the head of the log (3 events)",
        ),
        (
            "/api/v1/checkpoint?tree_size=abc",
            "`tree_size` must be a whole number",
        ),
        (
            "/api/v1/checkpoint?size=2",
            "unknown query parameter `size`",
        ),
        (
            "/api/v1/proofs/inclusion?tree_size=2",
            "`position` is required",
        ),
        (
            "/api/v1/proofs/inclusion?position=0&tree_size=2",
            "position 0 is not inside a tree of 2 events",
        ),
        (
            "/api/v1/proofs/inclusion?position=3&tree_size=2",
            "position 3 is not inside a tree of 2 events",
        ),
        (
            "/api/v1/proofs/inclusion?position=1&tree_size=9",
            "tree size 9 is beyond the head",
        ),
        (
            "/api/v1/proofs/consistency?from=3&to=2",
            "`from` (3) must not be larger than `to` (2)",
        ),
        (
            "/api/v1/proofs/consistency?from=0&to=2",
            "a tree size must be 1 or more",
        ),
        (
            "/api/v1/proofs/consistency?from=1&to=4",
            "tree size 4 is beyond the head",
        ),
        ("/api/v1/proofs/consistency?to=2", "`from` is required"),
        (
            "/api/v1/proofs/consistency?from=-1",
            "`from` must be a whole number",
        ),
    ];
    for (path, words) in cases {
        let answer = public(&ledger, path).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(answer.content_type(), "application/problem+json", "{path}");
        let detail = answer.json()["detail"].as_str().unwrap_or("").to_owned();
        assert!(
            detail.contains(words),
            "{path}: `{detail}` does not say `{words}`"
        );
    }
}

#[tokio::test]
async fn the_annual_report_carries_the_checkpoint_of_its_position() {
    let ledger = TestLedger::new();
    appended(&ledger, 5).await;
    let verifier = verifier(&ledger).await;
    for query in ["", "?at_position=3"] {
        let (status, _, report) = ledger
            .get(&format!("/api/v1/reports/annual/2023{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        let position = report["as_of_position"].as_u64().unwrap();
        let note = report["checkpoint"].as_str().expect("a checkpoint");
        let checkpoint = verifier
            .verify(note)
            .expect("the report's checkpoint verifies");
        assert_eq!(checkpoint.size, position);
        let served = public(&ledger, &format!("/api/v1/checkpoint?tree_size={position}")).await;
        assert_eq!(
            note.as_bytes(),
            &served.body[..],
            "the same note as the API signs"
        );

        let separator = if query.is_empty() { "?" } else { "&" };
        let csv = format!("/api/v1/reports/annual/2023{query}{separator}format=csv&sep=comma");
        let csv = ledger.send(get_as_admin(&ledger, &csv)).await;
        let text = String::from_utf8(csv.body.to_vec()).unwrap();
        let lines: Vec<String> = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(|record| record.unwrap())
            .filter(|record| &record[1] == "signeret checkpoint")
            // A line starting with `+` (a base64 root may) carries the spreadsheet's guard
            // apostrophe against formulas; the auditor drops it (docs/AUDIT.md §9.1).
            .map(|record| match record[3].strip_prefix("'+") {
                Some(rest) => format!("+{rest}"),
                None => record[3].to_owned(),
            })
            .collect();
        assert_eq!(
            format!("{}\n", lines.join("\n")),
            note,
            "the CSV's rows make the note"
        );

        let html = format!("/api/v1/reports/annual/2023{query}{separator}format=html");
        let html = ledger.send(get_as_admin(&ledger, &html)).await;
        let page = String::from_utf8(html.body.to_vec()).unwrap();
        assert!(
            page.contains(note.trim_end()),
            "the HTML page shows the note"
        );
    }
}

fn get_as_admin(ledger: &TestLedger, path: &str) -> Request<Body> {
    Request::builder()
        .method(Method::GET)
        .uri(path)
        .header("authorization", format!("Bearer {}", ledger.admin))
        .body(Body::empty())
        .expect("a request")
}

/// Waits (bounded) until the background thread after a start has written the head's
/// checkpoint, or has flagged the log.
fn settled(state: &impact_ledger::http::AppState, dir: &std::path::Path, head: u64) -> bool {
    for _ in 0..200 {
        if state.ledger.is_corrupt() {
            return false;
        }
        let last = std::fs::read_to_string(dir.join("checkpoint-last.txt")).unwrap_or_default();
        if last.lines().nth(1) == Some(head.to_string().as_str()) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("the background check after the start did not finish within 5 s");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_start_checks_the_checkpoint_of_the_last_start_and_stops_appends_on_a_mismatch() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let staff =
        impact_ledger::auth::create_token(dir.path(), "anna", impact_ledger::auth::Role::Staff)
            .expect("a token");
    let state = impact_ledger::serve::open_state(dir.path()).expect("opens");
    let body = serde_json::to_vec(&json!({"events": [trend(0), trend(1), trend(2)]})).unwrap();
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/events")
        .header("authorization", format!("Bearer {staff}"))
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("a request");
    let answer = tower::ServiceExt::oneshot(impact_ledger::http::router(state.clone()), request)
        .await
        .expect("an answer");
    assert_eq!(answer.status(), StatusCode::CREATED);
    drop(state);
    // Second start: the first start's checkpoint (of 0 events) holds; the head's is kept.
    let state = open_again(dir.path());
    assert!(
        settled(&state, dir.path(), 3),
        "an honest log passes the check"
    );
    drop(state);
    // A checkpoint signed by the ledger's key for another root of the same size: as if the
    // log had been rewritten (and rehashed) while the service was stopped.
    let key = impact_ledger::transparency::CheckpointKey::open(dir.path()).expect("the key");
    let forged = key.sign(3, &Hash([9; 32]));
    std::fs::write(dir.path().join("checkpoint-last.txt"), forged).unwrap();
    let state = open_again(dir.path());
    assert!(!settled(&state, dir.path(), 99), "the mismatch is found");
    assert!(
        state.writer.is_stopped(),
        "appends stop on a log that is not what was signed"
    );
}

/// Opens the data dir again once the previous start's threads let go of sled's lock.
fn open_again(dir: &std::path::Path) -> impact_ledger::http::AppState {
    for _ in 0..200 {
        match impact_ledger::serve::open_state(dir) {
            Ok(state) => return state,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(25)),
        }
    }
    panic!("the data dir stayed locked for 5 s")
}
