//! Transparency (CONTRACT §13): GET /api/v1/checkpoint, /api/v1/checkpoint/key,
//! /api/v1/proofs/inclusion and /api/v1/proofs/consistency.
//!
//! Anyone may read them, without a token: they give tree sizes and hashes only, never an
//! event's content, and a proof is worth most when anyone can check it (a citizen holding a
//! printed report as much as the municipal auditors). The answers are computed on the blocking
//! pool: the first one after many appends first adds those events to the tree.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::error::{internal, ApiError};
use super::AppState;
use crate::transparency::{ConsistencyProof, InclusionProof, TransparencyError};

/// A bad size or position is the caller's to fix (400); anything else is a bug.
fn refused(error: TransparencyError) -> ApiError {
    match error {
        TransparencyError::EmptyTree
        | TransparencyError::BeyondHead { .. }
        | TransparencyError::PositionOutside { .. }
        | TransparencyError::Reversed { .. }
        | TransparencyError::Checkpoint(_) => ApiError::BadRequest(error.to_string()),
        TransparencyError::Proof(_) | TransparencyError::Store(_) => internal(error),
    }
}

/// The query parameter `name`, required or not, as a number.
fn number(uri: &Uri, name: &str, required: bool) -> Result<Option<u64>, ApiError> {
    let query = uri.query().unwrap_or("");
    let value = form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned());
    match value {
        None if required => Err(ApiError::BadRequest(format!(
            "`{name}` is required: a whole number of 1 or more"
        ))),
        None => Ok(None),
        Some(text) => text.parse::<u64>().map(Some).map_err(|_| {
            ApiError::BadRequest(format!(
                "`{name}` must be a whole number of 1 or more, not `{text}`"
            ))
        }),
    }
}

/// Runs a transparency question on the blocking pool.
async fn answer<T: Send + 'static>(
    state: &AppState,
    question: impl FnOnce(&crate::store::Ledger) -> Result<T, TransparencyError> + Send + 'static,
) -> Result<T, ApiError> {
    let ledger = state.ledger.clone();
    tokio::task::spawn_blocking(move || question(&ledger))
        .await
        .map_err(internal)?
        .map_err(refused)
}

fn text(body: String) -> Response {
    let content_type = HeaderValue::from_static("text/plain; charset=utf-8");
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// The signed checkpoint of the log (C2SP tlog-checkpoint as a signed note), exactly as signed.
#[utoipa::path(get, path = "/api/v1/checkpoint", tag = "transparency",
    params(("tree_size" = Option<u64>, Query, minimum = 1, description = "a past tree size (number of events); default the head")),
    responses(
        (status = 200, description = "origin line, tree size, base64 root hash, a blank line and the signature line `— <name> <base64(key id || Ed25519 signature)>`", body = String, content_type = "text/plain"),
        (status = 400, description = "a tree size of 0, beyond the head, or not a number", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn checkpoint(State(state): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    super::check_query_keys(&uri, &["tree_size"])?;
    let size = number(&uri, "tree_size", false)?;
    if size == Some(0) {
        return Err(refused(TransparencyError::EmptyTree));
    }
    let note = answer(&state, move |ledger| ledger.checkpoint(size)).await?;
    Ok(text(note))
}

/// The public key that verifies checkpoints, as a C2SP note-verifier string.
#[utoipa::path(get, path = "/api/v1/checkpoint/key", tag = "transparency",
    responses(
        (status = 200, description = "`<name>+<hex key id>+<base64(0x01 || Ed25519 public key)>`", body = String, content_type = "text/plain"),
    ))]
pub async fn key(State(state): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    super::check_query_keys(&uri, &[])?;
    Ok(text(format!(
        "{}\n",
        state.ledger.transparency.key.verifier()
    )))
}

/// An RFC 9162 audit path: the event at `position` is in the tree of `tree_size` events.
#[utoipa::path(get, path = "/api/v1/proofs/inclusion", tag = "transparency",
    params(
        ("position" = u64, Query, minimum = 1, description = "the event's log position"),
        ("tree_size" = Option<u64>, Query, minimum = 1, description = "the tree it is proved in; default the head"),
    ),
    responses(
        (status = 200, description = "the audit path, lowercase hex", body = InclusionProof),
        (status = 400, description = "a position or size of 0, beyond the head or the tree, or not a number", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn inclusion(
    State(state): State<AppState>,
    uri: Uri,
) -> Result<Json<InclusionProof>, ApiError> {
    super::check_query_keys(&uri, &["position", "tree_size"])?;
    let position = number(&uri, "position", true)?.unwrap_or_default();
    let size = number(&uri, "tree_size", false)?;
    let proof = answer(&state, move |ledger| {
        let size = size.unwrap_or_else(|| ledger.durable_position());
        ledger.inclusion_proof(position, size)
    })
    .await?;
    Ok(Json(proof))
}

/// An RFC 9162 consistency proof: the tree of `from` events is a prefix of the tree of `to`.
#[utoipa::path(get, path = "/api/v1/proofs/consistency", tag = "transparency",
    params(
        ("from" = u64, Query, minimum = 1, description = "the older tree size"),
        ("to" = Option<u64>, Query, minimum = 1, description = "the newer tree size; default the head"),
    ),
    responses(
        (status = 200, description = "the proof, lowercase hex", body = ConsistencyProof),
        (status = 400, description = "a size of 0, beyond the head, `from` above `to`, or not a number", body = super::error::ProblemDocument, content_type = "application/problem+json"),
    ))]
pub async fn consistency(
    State(state): State<AppState>,
    uri: Uri,
) -> Result<Json<ConsistencyProof>, ApiError> {
    super::check_query_keys(&uri, &["from", "to"])?;
    let from = number(&uri, "from", true)?.unwrap_or_default();
    let to = number(&uri, "to", false)?;
    let proof = answer(&state, move |ledger| {
        let to = to.unwrap_or_else(|| ledger.durable_position());
        ledger.consistency_proof(from, to)
    })
    .await?;
    Ok(Json(proof))
}
