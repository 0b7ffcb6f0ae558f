//! GET /healthz: liveness, with the durable head of the log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::AppState;

/// Liveness, with the durable head of the log; 503 once appends have stopped (a storage
/// failure, or a record found changed after the start).
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses(
        (status = 200, description = "alive", body = super::openapi::Health),
        (status = 503, description = "the writer stopped after a storage failure: restart", body = super::openapi::Health),
    ))]
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    let head_position = state.ledger.durable_position();
    if state.writer.is_stopped() {
        // The background verification found a changed record, or the writer failed.
        let status = if state.ledger.is_corrupt() {
            "log corrupt"
        } else {
            "writer stopped"
        };
        let body = serde_json::json!({ "status": status, "head_position": head_position });
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body));
    }
    let mut body = serde_json::json!({ "status": "ok", "head_position": head_position });
    if state.ledger.store().is_shared() {
        body["lag"] = lag(&state, head_position).await;
    }
    (StatusCode::OK, Json(body))
}

/// How far this server is behind the shared log: messages the cluster has that it has not
/// received (`null` when the cluster cannot be asked), and events received but not yet
/// folded into its figures. Both are 0 on a server that keeps up.
async fn lag(state: &AppState, head_position: u64) -> serde_json::Value {
    let ledger = state.ledger.clone();
    let asked = tokio::task::spawn_blocking(move || {
        let behind = ledger.store().messages_behind();
        let received = ledger.store().last_position();
        (behind, received)
    })
    .await;
    let (behind, received) = match asked {
        Ok((behind, received)) => (behind.ok().flatten(), received.unwrap_or(head_position)),
        Err(_) => (None, head_position),
    };
    serde_json::json!({
        "messages_not_received": behind,
        "events_not_folded": received.saturating_sub(head_position),
    })
}
