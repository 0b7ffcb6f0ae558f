//! GET /healthz: liveness, with the durable head of the log.

use axum::extract::State;
use axum::Json;

use super::AppState;

pub async fn healthz(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "head_position": state.ledger.durable_position() }))
}
