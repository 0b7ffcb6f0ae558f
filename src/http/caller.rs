//! The `Caller` extractor: who sent the request, from `Authorization: Bearer <token>`.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::error::ApiError;
use super::AppState;
use crate::auth::{Caller, Role};

pub const STAFF_AUDITOR_ADMIN: &[Role] = &[Role::Staff, Role::Auditor, Role::Admin];
pub const STAFF_ADMIN: &[Role] = &[Role::Staff, Role::Admin];
pub const AUDITOR_ADMIN: &[Role] = &[Role::Auditor, Role::Admin];

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        // The scheme is case-insensitive (RFC 9110 §11.1): `bearer` and `BEARER` are `Bearer`.
        let secret = header
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
            .map(|(_, secret)| secret.trim())
            .filter(|secret| !secret.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        state
            .tokens
            .authenticate(secret)
            .ok_or(ApiError::Unauthorized)
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
