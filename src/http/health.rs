//! GET /healthz: liveness, with the durable head of the log.

use axum::extract::State;
use axum::Json;

use super::AppState;

/// Liveness, with the durable head of the log.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "alive", body = super::openapi::Health)))]
pub async fn healthz(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "head_position": state.ledger.durable_position() }))
}
