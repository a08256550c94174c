//! What every servicing route shares: acting on a visible account through the store's
//! read-decide-write, answering with the record the action made, listing an account's records,
//! and the day actions are dated by. Promises and plans live here too; payments, settlements,
//! disputes and holds have their own modules.

use super::access::{Action, allow};
use super::accounts::visible_account;
use super::auth::Principal;
use super::json::Body;
use super::plans::QuoteRequest;
use super::problem::{Problem, ProblemDocument};
use crate::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jiff::civil::Date;
use recoup_domain::account::Account;
use recoup_domain::promise::PromiseItem;
use recoup_store::Actor;
use recoup_store::servicing::plan::Plan;
use recoup_store::servicing::promise::{NewPromise, Promise};
use recoup_store::servicing::{Changes, Kept, Op, changed, plan, promise};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The day servicing actions are dated by. Tenants do not carry a time zone yet, so it is UTC's.
pub fn today() -> Date {
    jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date()
}

pub fn actor(p: &Principal) -> Actor {
    Actor::new(p.subject.to_string())
}

/// Where a request came from, as servicing records it.
pub fn channel(p: &Principal) -> String {
    match p.subject {
        super::auth::Subject::User(_) => "agent".into(),
        super::auth::Subject::ApiKey(_) => "api".into(),
    }
}

/// The visible account with `id`, once the caller may do `action` on it.
pub async fn account_for(state: &AppState, p: &Principal, id: &str, action: Action) -> Result<Account, Problem> {
    let account = visible_account(state, p, id).await?;
    allow(p, action)?;
    Ok(account)
}

/// Runs a servicing decision on the account.
pub async fn act(state: &AppState, p: &Principal, account: &Account, op: Op) -> Result<Changes, Problem> {
    Ok(state.store.service(p.tenant_id, account.id, op).await?)
}

/// 201 with the record an action created.
pub fn created<T: Kept>(changes: &Changes, id: Uuid) -> Result<(StatusCode, Json<T>), Problem> {
    Ok((StatusCode::CREATED, Json(changed::<T>(changes, id)?)))
}

/// 200 with the record an action changed.
pub fn updated<T: Kept>(changes: &Changes, id: Uuid) -> Result<Json<T>, Problem> {
    Ok(Json(changed::<T>(changes, id)?))
}

/// The account's records of one kind, oldest first.
pub async fn records_of<T: Kept>(state: &AppState, p: &Principal, id: &str) -> Result<Vec<T>, Problem> {
    let account = account_for(state, p, id, Action::ReadServicing).await?;
    let file = state.store.account_file(p.tenant_id, account.id).await?.ok_or_else(|| p.not_found("account", id))?;
    Ok(file.all::<T>()?)
}

/// One record of the account, or the same 404 as for an account the caller cannot see.
pub async fn record_of<T: Kept>(state: &AppState, p: &Principal, id: &str, record: &str) -> Result<(Account, T), Problem> {
    let account = account_for(state, p, id, Action::ReadServicing).await?;
    let what = T::KIND.as_str();
    let Ok(rid) = Uuid::parse_str(record) else { return Err(p.not_found(what, record)) };
    let file = state.store.account_file(p.tenant_id, account.id).await?.ok_or_else(|| p.not_found("account", id))?;
    let found = file.find::<T>(rid)?.ok_or_else(|| p.not_found(what, record))?;
    Ok((account, found))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromiseRequest {
    /// One or several dated amounts, in date order.
    pub items: Vec<PromiseItem>,
    /// Days after each date before it counts as missed (default 2, at most 10).
    #[serde(default)]
    pub grace_days: Option<i32>,
}

/// Take a promise to pay. A pending promise pauses strategy contact on the account except for
/// reminders of the promise itself.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/promises", tag = "servicing", request_body = PromiseRequest,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 201, body = Promise),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn take_promise(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Body(req): Body<PromiseRequest>,
) -> Result<(StatusCode, Json<Promise>), Problem> {
    let account = account_for(&state, &p, &id, Action::ServiceAccounts).await?;
    let new = NewPromise { id: Uuid::now_v7(), items: req.items, grace_days: req.grace_days, channel: channel(&p) };
    let pid = new.id;
    let changes = act(&state, &p, &account, promise::take(new, today(), &actor(&p))).await?;
    created(&changes, pid)
}

/// An account's promises, oldest first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/promises", tag = "servicing", params(("id" = String, Path)),
    responses((status = 200, body = Items<Promise>), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn promises(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<Json<Items<Promise>>, Problem> {
    Ok(Json(Items { items: records_of(&state, &p, &id).await? }))
}

/// Set up a payment plan for the whole balance: the schedule is the one a quote shows.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/plans", tag = "servicing", request_body = QuoteRequest,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 201, body = Plan),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn create_plan(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Body(req): Body<QuoteRequest>,
) -> Result<(StatusCode, Json<Plan>), Problem> {
    let account = account_for(&state, &p, &id, Action::ServiceAccounts).await?;
    let terms = req.terms()?;
    let plan_id = Uuid::now_v7();
    let op = plan::create(plan_id, terms, channel(&p), today(), &actor(&p));
    let changes = act(&state, &p, &account, op).await?;
    created(&changes, plan_id)
}

/// An account's plans, oldest first, each with its schedule and standing.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/plans", tag = "servicing", params(("id" = String, Path)),
    responses((status = 200, body = Items<Plan>), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn plans(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<Json<Items<Plan>>, Problem> {
    Ok(Json(Items { items: records_of(&state, &p, &id).await? }))
}
