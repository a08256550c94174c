//! Clients (the creditors placing accounts) and the audit chain's health.

use super::access::{Action, allow};
use super::auth::Principal;
use super::problem::{Problem, ProblemDocument};
use crate::AppState;
use axum::Json;
use axum::extract::State;
use recoup_domain::audit::ChainBreak;
use recoup_domain::org::Client;
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Clients {
    pub items: Vec<Client>,
}

/// The tenant's clients; a client credential sees only its own.
#[utoipa::path(get, path = "/api/v1/clients", tag = "clients",
    responses((status = 200, body = Clients), (status = 401, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, p: Principal) -> Result<Json<Clients>, Problem> {
    allow(&p, Action::ReadClients)?;
    let items = state.store.list_clients(p.tenant_id).await?.into_iter().filter(|c| p.sees_client(c.id)).collect();
    Ok(Json(Clients { items }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChainCheck {
    /// True when every entry's hash matches its content and follows the one before.
    pub ok: bool,
    /// Entries checked before the end or the first break.
    pub entries: u64,
    /// What is wrong, naming the first bad entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broken: Option<String>,
}

/// Recomputes the tenant's audit hash chain.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses(
        (status = 200, body = ChainCheck),
        (status = 401, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn verify_audit(State(state): State<AppState>, p: Principal) -> Result<Json<ChainCheck>, Problem> {
    allow(&p, Action::VerifyAudit)?;
    let check = match recoup_store::verify_audit(state.store.as_ref(), p.tenant_id).await? {
        Ok(n) => ChainCheck { ok: true, entries: n, broken: None },
        Err(b) => {
            tracing::error!(tenant = %p.tenant_id, break_ = %b, "audit chain broken");
            let verified = match &b {
                ChainBreak::Altered { seq, .. } => seq - 1,
                ChainBreak::Broken { expected_prev_seq, .. } => *expected_prev_seq,
            };
            let entries = u64::try_from(verified).unwrap_or(0);
            ChainCheck { ok: false, entries, broken: Some(b.to_string()) }
        }
    };
    Ok(Json(check))
}
