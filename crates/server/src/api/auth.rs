//! Who is calling: an API key in `Authorization: Bearer rk_...`. The tenant comes from the key,
//! never from the request. Failures are logged with the key's public prefix only.

use super::problem::Problem;
use crate::AppState;
use crate::keys;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use recoup_domain::access::Role;
use uuid::Uuid;

/// Don't write `last_used_at` more often than this: a busy key would otherwise turn every read
/// into a write.
const TOUCH_EVERY_MICROS: i64 = 60_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant_id: Uuid,
    pub role: Role,
    /// For a client-role credential, the only client it may see.
    pub client_id: Option<Uuid>,
    pub key_id: Uuid,
}

impl Principal {
    /// Whether this caller may see an account of `client_id`.
    pub fn sees_client(&self, client_id: Uuid) -> bool {
        match self.role {
            Role::Client => self.client_id == Some(client_id),
            _ => true,
        }
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")) else {
            return Err(Problem::unauthorized("send an API key as `Authorization: Bearer rk_...`"));
        };
        let Some((prefix, secret)) = keys::parse(token.trim()) else {
            tracing::warn!("malformed API key");
            return Err(Problem::unauthorized("the API key is malformed"));
        };
        let found = state.store.api_key_by_prefix(prefix).await.map_err(Problem::from)?;
        let Some((key, _)) = found.filter(|(_, stored)| keys::matches(secret, stored)) else {
            tracing::warn!(prefix, "unknown API key or wrong secret");
            return Err(Problem::unauthorized("the API key is not valid"));
        };
        if !key.is_active() {
            tracing::warn!(prefix, tenant = %key.tenant_id, "revoked API key used");
            return Err(Problem::unauthorized("the API key has been revoked"));
        }
        let now = jiff::Timestamp::now().as_microsecond();
        if key.last_used_at.is_none_or(|t| now - t > TOUCH_EVERY_MICROS) {
            // Best effort: a failed bookkeeping write must not fail the request.
            if let Err(e) = state.store.touch_api_key(key.tenant_id, key.id, now).await {
                tracing::warn!(error = %e, "could not record API key use");
            }
        }
        Ok(Principal { tenant_id: key.tenant_id, role: key.role, client_id: key.client_id, key_id: key.id })
    }
}
