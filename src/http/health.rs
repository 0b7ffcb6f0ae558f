//! GET /healthz: liveness, with the durable head of the log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::AppState;

/// Liveness, with the durable head of the log; 503 once the writer has stopped.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses(
        (status = 200, description = "alive", body = super::openapi::Health),
        (status = 503, description = "the writer stopped after a storage failure: restart", body = super::openapi::Health),
    ))]
pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    let head_position = state.ledger.durable_position();
    if state.writer.is_stopped() {
        let body =
            serde_json::json!({ "status": "writer stopped", "head_position": head_position });
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body));
    }
    (
        StatusCode::OK,
        Json(serde_json::json!({ "status": "ok", "head_position": head_position })),
    )
}
