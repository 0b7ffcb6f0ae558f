//! The `Caller` extractor: who sent the request, from `Authorization: Bearer <token>`.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;

use super::error::ApiError;
use super::AppState;
use crate::auth::{Caller, Role};

pub const STAFF_AUDITOR_ADMIN: &[Role] = &[Role::Staff, Role::Auditor, Role::Admin];
pub const STAFF_ADMIN: &[Role] = &[Role::Staff, Role::Admin];
pub const AUDITOR_ADMIN: &[Role] = &[Role::Auditor, Role::Admin];

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let secret = bearer_secret(&parts.headers).ok_or(ApiError::Unauthorized)?;
        state
            .tokens
            .authenticate(secret)
            .ok_or(ApiError::Unauthorized)
    }
}

/// The secret of `Authorization: Bearer <secret>`, if the request has one.
pub fn bearer_secret(headers: &HeaderMap) -> Option<&str> {
    let header = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    // The scheme is case-insensitive (RFC 9110 §11.1): `bearer` and `BEARER` are `Bearer`.
    header
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
        .map(|(_, secret)| secret.trim())
        .filter(|secret| !secret.is_empty())
}

/// Whether the token a long answer (subscribe, export) was opened with still holds: a revoked
/// token ends the stream at its next message or check, not when the client hangs up.
#[derive(Clone)]
pub struct StillValid {
    tokens: std::sync::Arc<crate::auth::Tokens>,
    /// The SHA-256 of the token, as a web session keeps it (never the secret itself).
    digest: [u8; 32],
    caller: Caller,
}

impl StillValid {
    pub fn new(state: &AppState, headers: &HeaderMap, caller: &Caller) -> Self {
        let secret = bearer_secret(headers).unwrap_or_default();
        StillValid::of_digest(state, crate::auth::digest(secret), caller)
    }

    /// For a web session, which knows its token only by its digest.
    pub fn of_digest(state: &AppState, digest: [u8; 32], caller: &Caller) -> Self {
        StillValid {
            tokens: state.tokens.clone(),
            digest,
            caller: caller.clone(),
        }
    }

    /// True while the token is stored with the same name and role (re-read at most once a
    /// second, as for every request).
    pub fn check(&self) -> bool {
        self.tokens.authenticate_digest(&self.digest).as_ref() == Some(&self.caller)
    }
}

impl Caller {
    /// Refuses (403) a caller whose role is not among `allowed`.
    pub fn allow(&self, allowed: &'static [Role]) -> Result<(), ApiError> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden { allowed })
        }
    }
}

/// What only an administrator may do: erase personal data (CONTRACT §12).
pub const ADMIN: &[Role] = &[Role::Admin];
