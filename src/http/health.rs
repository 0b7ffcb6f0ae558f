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
    (
        StatusCode::OK,
        Json(serde_json::json!({ "status": "ok", "head_position": head_position })),
    )
}
