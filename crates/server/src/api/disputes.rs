//! Disputes and holds. A dispute places its own hold; other holds (cease, bankruptcy, deceased,
//! attorney, hardship pause, vulnerability, recall) are placed and released here, each with who
//! and why in the audit trail.

use super::access::{Action, allow};
use super::auth::Principal;
use super::json::Body;
use super::problem::{Problem, ProblemDocument};
use super::servicing::{Items, account_for, act, actor, channel, created, records_of, today, updated};
use crate::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use jiff::civil::Date;
use recoup_domain::dispute::{DisputeStatus, Reason, age_days};
use recoup_domain::hold::HoldKind;
use recoup_store::servicing::dispute::{self, Dispute, DisputeUpdate, NewDispute};
use recoup_store::servicing::hold::{self, HoldDetails, HoldRecord, NewHold};
use recoup_store::servicing::{Kept, RecordKind, RecordQuery};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeRequest {
    pub reason: Reason,
    /// The debtor's words, up to 4,000 characters.
    #[serde(default)]
    pub text: String,
    /// The day the dispute reached us (default today).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub received_on: Option<Date>,
    /// The disputed part, minor units; left out, the whole debt is disputed.
    #[serde(default)]
    pub disputed_amount: Option<i64>,
    /// When the validation notice was sent, to judge whether the dispute is inside the
    /// validation period.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub validation_notice_sent_on: Option<Date>,
}

/// Log a dispute. Collection contact about the debt stops until verification is recorded as
/// sent or the dispute is resolved.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/disputes", tag = "servicing", request_body = DisputeRequest,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 201, body = Dispute),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn open(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Body(req): Body<DisputeRequest>,
) -> Result<(StatusCode, Json<Dispute>), Problem> {
    let account = account_for(&state, &p, &id, Action::HandleDisputes).await?;
    let new = NewDispute {
        id: Uuid::now_v7(),
        reason: req.reason,
        text: req.text,
        channel: channel(&p),
        received_on: req.received_on.unwrap_or_else(today),
        disputed_amount: req.disputed_amount,
        validation_notice_sent_on: req.validation_notice_sent_on,
    };
    let did = new.id;
    let changes = act(&state, &p, &account, dispute::open(new, today(), &actor(&p))).await?;
    created(&changes, did)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeChange {
    /// verification_sent, upheld or withdrawn.
    pub status: DisputeStatus,
    /// What was done; kept in the audit trail.
    pub note: String,
    /// Upheld: reduce the principal by this much (minor units).
    #[serde(default)]
    pub adjust_by: Option<i64>,
    /// Upheld: close the account.
    #[serde(default)]
    pub close: bool,
}

/// Move a dispute on: verification sent (collection may resume), upheld (adjust or close) or
/// withdrawn.
#[utoipa::path(patch, path = "/api/v1/accounts/{id}/disputes/{dispute}", tag = "servicing", request_body = DisputeChange,
    params(("id" = String, Path), ("dispute" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 200, body = Dispute),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn change(
    State(state): State<AppState>,
    p: Principal,
    Path((id, did)): Path<(String, String)>,
    Body(req): Body<DisputeChange>,
) -> Result<Json<Dispute>, Problem> {
    let account = account_for(&state, &p, &id, Action::HandleDisputes).await?;
    let did = Uuid::parse_str(&did).map_err(|_| p.not_found("dispute", &did))?;
    let u = DisputeUpdate { to: req.status, note: req.note, adjust_by: req.adjust_by, close: req.close };
    let changes = act(&state, &p, &account, dispute::update(did, u, today(), &actor(&p))).await?;
    updated(&changes, did)
}

/// An account's disputes, oldest first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/disputes", tag = "servicing", params(("id" = String, Path)),
    responses((status = 200, body = Items<Dispute>), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<Json<Items<Dispute>>, Problem> {
    Ok(Json(Items { items: records_of(&state, &p, &id).await? }))
}

/// An open dispute with how long it has waited.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AgedDispute {
    #[serde(flatten)]
    pub dispute: Dispute,
    pub age_days: i32,
    /// Past its SLA date.
    pub overdue: bool,
}

/// Open disputes across the tenant, oldest first, with their age and whether the SLA passed.
#[utoipa::path(get, path = "/api/v1/disputes/open", tag = "servicing",
    responses((status = 200, body = Items<AgedDispute>), (status = 403, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn aging(State(state): State<AppState>, p: Principal) -> Result<Json<Items<AgedDispute>>, Problem> {
    allow(&p, Action::HandleDisputes)?;
    let mut q = RecordQuery::of(RecordKind::Dispute);
    q.statuses = vec!["open".into()];
    q.client_id = p.client_id;
    q.limit = 10_000;
    let day = today();
    let mut items: Vec<AgedDispute> = state
        .store
        .records(p.tenant_id, &q)
        .await?
        .iter()
        .map(|r| {
            let d = Dispute::from_record(r)?;
            Ok(AgedDispute { age_days: age_days(d.received_on, day), overdue: day > d.sla_due_on, dispute: d })
        })
        .collect::<Result<_, recoup_store::StoreError>>()?;
    items.sort_by_key(|a| (a.dispute.received_on, a.dispute.id));
    Ok(Json(Items { items }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldRequest {
    /// cease, bankruptcy, deceased, attorney_represented, hardship_pause, vulnerability or recall
    /// (disputes place their own).
    pub kind: HoldKind,
    pub reason: String,
    /// Bankruptcy: chapter and case number; attorney or deceased: who to contact instead.
    #[serde(default)]
    pub details: HoldDetails,
    /// Hardship pause: the last day it covers.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub until: Option<Date>,
}

/// Place a hold.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/holds", tag = "servicing", request_body = HoldRequest,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 201, body = HoldRecord),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn add_hold(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Body(req): Body<HoldRequest>,
) -> Result<(StatusCode, Json<HoldRecord>), Problem> {
    let account = account_for(&state, &p, &id, Action::ManageHolds).await?;
    if req.kind == HoldKind::Dispute {
        return Err(recoup_store::StoreError::invalid("/kind", "log a dispute instead: it places its own hold").into());
    }
    let new = NewHold { id: Uuid::now_v7(), kind: req.kind, reason: req.reason, details: req.details, until: req.until };
    let hid = new.id;
    let changes = act(&state, &p, &account, hold::add(new, today(), &actor(&p))).await?;
    created(&changes, hid)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub reason: String,
}

/// Release a hold, saying why.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/holds/{hold}/release", tag = "servicing", request_body = Release,
    params(("id" = String, Path), ("hold" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 200, body = HoldRecord),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn release_hold(
    State(state): State<AppState>,
    p: Principal,
    Path((id, hid)): Path<(String, String)>,
    Body(req): Body<Release>,
) -> Result<Json<HoldRecord>, Problem> {
    let account = account_for(&state, &p, &id, Action::ManageHolds).await?;
    let hid = Uuid::parse_str(&hid).map_err(|_| p.not_found("hold", &hid))?;
    let changes = act(&state, &p, &account, hold::release(hid, req.reason, today(), &actor(&p))).await?;
    updated(&changes, hid)
}

/// An account's holds, active and released, oldest first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/holds", tag = "servicing", params(("id" = String, Path)),
    responses((status = 200, body = Items<HoldRecord>), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn holds(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<Json<Items<HoldRecord>>, Problem> {
    Ok(Json(Items { items: records_of(&state, &p, &id).await? }))
}
