//! Clients: the creditors placing accounts.

use super::access::{Action, allow};
use super::auth::Principal;
use super::problem::{Problem, ProblemDocument};
use crate::AppState;
use axum::Json;
use axum::extract::State;
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
