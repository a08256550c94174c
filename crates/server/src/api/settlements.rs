//! Settlements: offered by the collection team within each role's discount limit, approved by
//! a senior role (never the one who asked) when deeper, completed by payments, and confirmed by
//! a letter.

use super::access::{Action, allow};
use super::auth::{Principal, Subject};
use super::json::Body;
use super::payments::DocumentQuery;
use super::problem::{Problem, ProblemDocument};
use super::servicing::{Items, account_for, act, actor, created, record_of, records_of, today, updated};
use crate::AppState;
use axum::Json;
use axum::extract::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::Date;
use recoup_domain::promise::PromiseItem;
use recoup_domain::settlement::Offer;
use recoup_store::StoreError;
use recoup_store::servicing::settlement::{self, NewSettlement, Requester, Settlement};
use recoup_store::servicing::{Kept, RecordKind, RecordQuery};
use rust_decimal::Decimal;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettlementRequest {
    /// Share of the balance to collect as a decimal string ("0.6" collects 60 %); or give `amount`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub percent: Option<Decimal>,
    /// Minor units to collect; or give `percent`.
    #[serde(default)]
    pub amount: Option<i64>,
    #[schema(value_type = String, example = "2026-12-31")]
    pub expires_on: Date,
    /// Installments adding up to the settlement amount, all by the expiry date; none for a lump sum.
    #[serde(default)]
    pub installments: Vec<PromiseItem>,
}

fn requester(p: &Principal) -> Requester {
    let id = match p.subject {
        Subject::User(id) | Subject::ApiKey(id) => id,
    };
    Requester { id, role: p.role }
}

/// Offer a settlement. Within the offerer's limit it is put to the debtor at once; deeper ones
/// wait for approval (`status: pending_approval`).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/settlements", tag = "servicing", request_body = SettlementRequest,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 201, body = Settlement),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn offer(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Body(req): Body<SettlementRequest>,
) -> Result<(StatusCode, Json<Settlement>), Problem> {
    let account = account_for(&state, &p, &id, Action::OfferSettlements).await?;
    let offer = match (req.percent, req.amount) {
        (Some(p), None) => Offer::Percent(p),
        (None, Some(a)) => Offer::Amount(a),
        _ => return Err(StoreError::invalid("/percent", "give either percent or amount").into()),
    };
    let new = NewSettlement {
        id: Uuid::now_v7(),
        offer,
        expires_on: req.expires_on,
        installments: req.installments,
        requested_by: requester(&p),
    };
    let sid = new.id;
    let changes = act(&state, &p, &account, settlement::offer(new, today(), &actor(&p))).await?;
    created(&changes, sid)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub approve: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// Approve or reject a settlement waiting for approval. The approver's role must cover the
/// discount, and nobody decides their own request.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/settlements/{settlement}/decision", tag = "servicing", request_body = Decision,
    params(("id" = String, Path), ("settlement" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 200, body = Settlement),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn decide(
    State(state): State<AppState>,
    p: Principal,
    Path((id, sid)): Path<(String, String)>,
    Body(req): Body<Decision>,
) -> Result<Json<Settlement>, Problem> {
    let account = account_for(&state, &p, &id, Action::ApproveSettlements).await?;
    let sid = Uuid::parse_str(&sid).map_err(|_| p.not_found("settlement", &sid))?;
    let op = settlement::decide(sid, req.approve, requester(&p), req.note, &actor(&p));
    let changes = act(&state, &p, &account, op).await?;
    updated(&changes, sid)
}

/// An account's settlements, oldest first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/settlements", tag = "servicing", params(("id" = String, Path)),
    responses((status = 200, body = Items<Settlement>), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<Json<Items<Settlement>>, Problem> {
    Ok(Json(Items { items: records_of(&state, &p, &id).await? }))
}

/// Settlements waiting for approval across the tenant: the approvers' task list.
#[utoipa::path(get, path = "/api/v1/settlements/pending-approval", tag = "servicing",
    responses((status = 200, body = Items<Settlement>), (status = 403, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn pending(State(state): State<AppState>, p: Principal) -> Result<Json<Items<Settlement>>, Problem> {
    allow(&p, Action::ApproveSettlements)?;
    let mut q = RecordQuery::of(RecordKind::Settlement);
    q.statuses = vec!["pending_approval".into()];
    q.client_id = p.client_id;
    let items = state.store.records(p.tenant_id, &q).await?.iter().map(Settlement::from_record).collect::<Result<_, _>>()?;
    Ok(Json(Items { items }))
}

/// The settlement letter: the terms, and once paid, that the rest is forgiven; a page or a PDF.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/settlements/{settlement}/letter", tag = "servicing",
    params(("id" = String, Path), ("settlement" = String, Path), DocumentQuery),
    responses((status = 200, content_type = "text/html", body = String), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn letter(
    State(state): State<AppState>,
    p: Principal,
    Path((id, sid)): Path<(String, String)>,
    Query(q): Query<DocumentQuery>,
) -> Result<Response, Problem> {
    let format = q.format()?;
    let (account, s) = record_of::<Settlement>(&state, &p, &id, &sid).await?;
    let client = state.store.list_clients(p.tenant_id).await?.into_iter().find(|c| c.id == account.client_id);
    let parties = state.store.parties_of(p.tenant_id, account.id).await?;
    let debtor = parties.first().map(|pp| pp.party.display_name()).unwrap_or_else(|| "Dear customer".into());
    let doc = crate::documents::settlement_letter(&s, &account, client.as_ref(), &debtor);
    Ok(crate::documents::respond(&doc, format, &format!("settlement-{}", s.id)))
}
