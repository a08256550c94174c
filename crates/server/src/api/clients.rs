//! Clients: the creditors placing accounts.

use super::access::{Action, allow};
use super::auth::Principal;
use super::json::Body;
use super::problem::{Problem, ProblemDocument};
use crate::AppState;
use axum::Json;
use axum::extract::State;
use recoup_domain::client_policy::ClientPolicy;
use recoup_domain::org::Client;
use recoup_store::Actor;
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

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    /// Short and stable, unique in the tenant ("LSB").
    pub code: String,
    pub name: String,
    /// A fraction from 0 to 1, as a string so no float touches it ("0.25").
    pub commission_rate: String,
    /// ISO 4217 (default USD).
    #[serde(default)]
    pub currency: Option<String>,
    /// Components in payment order (default fees, costs, interest, principal).
    #[serde(default)]
    pub waterfall: Option<Vec<String>>,
}

fn code_ok(code: &str) -> bool {
    (1..=32).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Add a client (admins only).
#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", request_body = NewClient,
    responses(
        (status = 201, body = Client),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    p: Principal,
    super::json::Body(new): super::json::Body<NewClient>,
) -> Result<(axum::http::StatusCode, Json<Client>), Problem> {
    use super::problem::FieldError;
    use recoup_domain::ledger::{Component, Waterfall};
    allow(&p, Action::ManageClients)?;
    let mut errors = Vec::new();
    let mut bad = |pointer: &str, detail: String| errors.push(FieldError { pointer: pointer.into(), detail });
    if !code_ok(new.code.trim()) {
        bad("/code", "1 to 32 letters, digits, - or _".into());
    }
    if new.name.trim().is_empty() || new.name.chars().count() > 200 {
        bad("/name", "1 to 200 characters".into());
    }
    let rate = recoup_domain::org::parse_commission(&new.commission_rate).map_err(|e| bad("/commission_rate", e)).ok();
    let currency = recoup_domain::money::Currency::from_code(new.currency.as_deref().unwrap_or("USD").trim())
        .map_err(|e| bad("/currency", e.to_string()))
        .ok();
    let waterfall = match &new.waterfall {
        None => Some(Waterfall::default()),
        Some(names) => {
            let parts: Option<Vec<Component>> = names.iter().map(|n| Component::parse(n.trim())).collect();
            match parts.map(Waterfall::try_from) {
                Some(Ok(w)) => Some(w),
                Some(Err(e)) => {
                    bad("/waterfall", e.to_string());
                    None
                }
                None => {
                    bad("/waterfall", "each must be one of principal, interest, fees, costs".into());
                    None
                }
            }
        }
    };
    let (Some(rate), Some(currency), Some(waterfall)) = (rate, currency, waterfall) else {
        return Err(Problem::invalid("the client is not valid", errors));
    };
    if !errors.is_empty() {
        return Err(Problem::invalid("the client is not valid", errors));
    }
    let client = Client {
        id: uuid::Uuid::now_v7(),
        tenant_id: p.tenant_id,
        code: new.code.trim().to_string(),
        name: new.name.trim().to_string(),
        commission_rate: rate,
        waterfall,
        default_currency: currency,
    };
    state.store.create_client(&client, &recoup_store::Actor::new(p.subject.to_string())).await?;
    Ok((axum::http::StatusCode::CREATED, Json(client)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Portfolios {
    pub items: Vec<recoup_domain::org::Portfolio>,
}

async fn visible_client(state: &AppState, p: &Principal, id: &str) -> Result<Client, Problem> {
    allow(p, Action::ReadClients)?;
    let found = match uuid::Uuid::parse_str(id) {
        Ok(id) => state.store.list_clients(p.tenant_id).await?.into_iter().find(|c| c.id == id && p.sees_client(c.id)),
        Err(_) => None,
    };
    found.ok_or_else(|| p.not_found("client", id))
}

/// The client with this code, when the caller may see it; the same 404 otherwise.
pub(super) async fn visible_client_by_code(state: &AppState, p: &Principal, code: &str) -> Result<Client, Problem> {
    let found = state.store.client_by_code(p.tenant_id, code.trim()).await?;
    found.filter(|c| p.sees_client(c.id)).ok_or_else(|| p.not_found("client", code))
}

/// A client's portfolios.
#[utoipa::path(get, path = "/api/v1/clients/{id}/portfolios", tag = "clients",
    params(("id" = String, Path)),
    responses((status = 200, body = Portfolios), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn portfolios(
    State(state): State<AppState>,
    p: Principal,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<Portfolios>, Problem> {
    let client = visible_client(&state, &p, &id).await?;
    Ok(Json(Portfolios { items: state.store.list_portfolios(p.tenant_id, client.id).await? }))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPortfolio {
    pub code: String,
    pub name: String,
    /// For example credit cards, medical, utilities, B2B invoices.
    #[serde(default)]
    pub product: Option<String>,
}

/// Add a portfolio to a client (admins only).
#[utoipa::path(post, path = "/api/v1/clients/{id}/portfolios", tag = "clients", request_body = NewPortfolio,
    params(("id" = String, Path)),
    responses(
        (status = 201, body = recoup_domain::org::Portfolio),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn create_portfolio(
    State(state): State<AppState>,
    p: Principal,
    axum::extract::Path(id): axum::extract::Path<String>,
    super::json::Body(new): super::json::Body<NewPortfolio>,
) -> Result<(axum::http::StatusCode, Json<recoup_domain::org::Portfolio>), Problem> {
    let client = visible_client(&state, &p, &id).await?;
    allow(&p, Action::ManageClients)?;
    let mut errors = Vec::new();
    if !code_ok(new.code.trim()) {
        errors.push(super::problem::FieldError { pointer: "/code".into(), detail: "1 to 32 letters, digits, - or _".into() });
    }
    if new.name.trim().is_empty() || new.name.chars().count() > 200 {
        errors.push(super::problem::FieldError { pointer: "/name".into(), detail: "1 to 200 characters".into() });
    }
    if !errors.is_empty() {
        return Err(Problem::invalid("the portfolio is not valid", errors));
    }
    let portfolio = recoup_domain::org::Portfolio {
        id: uuid::Uuid::now_v7(),
        tenant_id: p.tenant_id,
        client_id: client.id,
        code: new.code.trim().to_string(),
        name: new.name.trim().to_string(),
        product: new.product.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
    };
    state.store.create_portfolio(&portfolio, &recoup_store::Actor::new(p.subject.to_string())).await?;
    Ok((axum::http::StatusCode::CREATED, Json(portfolio)))
}

/// A client's servicing policy: plan terms, settlement limits by role, promise grace, and
/// commission by portfolio.
#[utoipa::path(get, path = "/api/v1/clients/{id}/servicing-policy", tag = "clients",
    params(("id" = String, Path)),
    responses((status = 200, body = ClientPolicy), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn policy(
    State(state): State<AppState>,
    p: Principal,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Json<ClientPolicy>, Problem> {
    let client = visible_client(&state, &p, &id).await?;
    Ok(Json(state.store.client_policy(p.tenant_id, client.id).await?))
}

/// Replace a client's servicing policy (fields left out take their defaults). New plans,
/// settlements and payments follow it; ones already agreed keep their terms.
#[utoipa::path(put, path = "/api/v1/clients/{id}/servicing-policy", tag = "clients", request_body = ClientPolicy,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 200, body = ClientPolicy),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn set_policy(
    State(state): State<AppState>,
    p: Principal,
    axum::extract::Path(id): axum::extract::Path<String>,
    Body(policy): Body<ClientPolicy>,
) -> Result<Json<ClientPolicy>, Problem> {
    let client = visible_client(&state, &p, &id).await?;
    allow(&p, Action::ManageClients)?;
    let portfolios = state.store.list_portfolios(p.tenant_id, client.id).await?;
    if let Some(other) = policy.portfolio_commission.keys().find(|k| !portfolios.iter().any(|pf| pf.id == **k)) {
        return Err(recoup_store::StoreError::invalid(format!("/portfolio_commission/{other}"), "not a portfolio of this client").into());
    }
    state.store.set_client_policy(p.tenant_id, client.id, &policy, &Actor::new(p.subject.to_string())).await?;
    Ok(Json(policy))
}
