//! Proves a flood of made-up methods and paths cannot grow GET /metrics (issue 18, finding 1):
//! through the real router, 2,000 requests with 2,000 different methods on a real path and on
//! unknown paths leave the exposition within a few hundred bytes of its size after the first
//! few, because methods are labelled GET/POST/HEAD/other and unknown paths and 405s `unmatched`.
//! Alone in its binary: another test's requests would add label sets while it measures.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::TestLedger;

async fn exposition(ledger: &TestLedger) -> String {
    let answer = ledger
        .send(
            Request::get("/metrics")
                .body(Body::empty())
                .expect("a request"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    String::from_utf8(answer.body.to_vec()).expect("utf-8")
}

async fn odd_requests(ledger: &TestLedger, from: usize, to: usize) {
    for index in from..to {
        let method = Method::from_bytes(format!("M{index:06}{}", "A".repeat(200)).as_bytes())
            .expect("a token is a method");
        let path = if index % 2 == 0 {
            "/api/v1/events".to_owned()
        } else {
            format!("/no/such/path/{index}")
        };
        let request = Request::builder().method(method).uri(path);
        let answer = ledger
            .send(request.body(Body::empty()).expect("a request"))
            .await;
        assert!(answer.status.is_client_error(), "{}", answer.status);
    }
}

#[tokio::test]
async fn odd_methods_and_paths_do_not_grow_the_exposition() {
    let ledger = TestLedger::new();
    odd_requests(&ledger, 0, 20).await;
    // A scrape counts itself only after it rendered: the first adds its own label set.
    exposition(&ledger).await;
    let before = exposition(&ledger).await.len();
    odd_requests(&ledger, 20, 2_020).await;
    let after = exposition(&ledger).await;
    // Counters grow by digits only; a new label set would add about 2 KB (a histogram).
    assert!(
        after.len() < before + 512,
        "the exposition grew from {before} to {} bytes:\n{after}",
        after.len()
    );
    assert!(!after.contains("M000"), "a request's method became a label");
    assert!(
        !after.contains("/no/such"),
        "a request's path became a label"
    );
    assert!(after.contains("method=\"other\""), "{after}");
}
