//! The audit trail for auditors: entries by account (or any entity), by who acted and by time,
//! and a check of the whole hash chain.

use super::access::{Action, allow};
use super::auth::Principal;
use super::paging::Page;
use super::problem::{FieldError, Problem, ProblemDocument};
use crate::AppState;
use axum::Json;
use axum::extract::{RawQuery, State};
use recoup_domain::audit::ChainBreak;
use recoup_store::AuditQuery;
use serde::Serialize;
use uuid::Uuid;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub seq: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Uuid,
    /// The details as recorded.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// Hex SHA-256 of the previous entry and of this one: anyone can recompute the chain.
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Entries {
    /// In chain order.
    pub items: Vec<Entry>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<i64>,
}

fn timestamp(name: &str, value: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    match value.parse::<jiff::Timestamp>() {
        Ok(t) => Some(t.as_microsecond()),
        Err(_) => {
            errors.push(FieldError { pointer: format!("/{name}"), detail: "must be an RFC 3339 time such as 2026-11-23T00:00:00Z".into() });
            None
        }
    }
}

fn parse(query: Option<&str>) -> Result<(AuditQuery, i64, u32), Problem> {
    let mut q = AuditQuery::default();
    let mut after = 0;
    // Sequence numbers are the cursor here, not ids: the chain's order is its meaning.
    let page = Page::parse_with(query, None, 1_000, |name, value, errors| {
        match name {
            "entity_id" | "account_id" => match Uuid::parse_str(value) {
                Ok(u) => q.entity_id = Some(u),
                Err(_) => errors.push(FieldError { pointer: format!("/{name}"), detail: "must be an id".into() }),
            },
            "actor" => q.actor = Some(value.to_string()),
            "user_id" => match Uuid::parse_str(value) {
                Ok(u) => q.actor = Some(format!("user:{u}")),
                Err(_) => errors.push(FieldError { pointer: "/user_id".into(), detail: "must be a user id".into() }),
            },
            "from" => q.from_micros = timestamp(name, value, errors),
            "to" => q.to_micros = timestamp(name, value, errors),
            "after" => match value.parse::<i64>() {
                Ok(n) if n >= 0 => after = n,
                _ => errors.push(FieldError { pointer: "/after".into(), detail: "must be the `next` of a previous page".into() }),
            },
            _ => return false,
        }
        true
    })?;
    Ok((q, after, page.limit))
}

/// Audit entries, filtered by the entity they are about (`account_id` or `entity_id`), who acted
/// (`user_id`, or `actor` as recorded, e.g. `api_key:<id>`), and a time window (`from`
/// inclusive, `to` exclusive, RFC 3339).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(
        ("account_id" = Option<String>, Query), ("entity_id" = Option<String>, Query),
        ("user_id" = Option<String>, Query), ("actor" = Option<String>, Query),
        ("from" = Option<String>, Query), ("to" = Option<String>, Query),
        ("after" = Option<i64>, Query, description = "The `next` of the previous page"),
        ("limit" = Option<u32>, Query, description = "1 to 1000 (default 50)"),
    ),
    responses(
        (status = 200, body = Entries),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn search(State(state): State<AppState>, p: Principal, RawQuery(query): RawQuery) -> Result<Json<Entries>, Problem> {
    allow(&p, Action::ReadAudit)?;
    let (q, after, limit) = parse(query.as_deref())?;
    let found = state.store.search_audit(p.tenant_id, &q, after, limit).await?;
    let next = (found.len() == limit as usize).then(|| found.last().map(|e| e.seq)).flatten();
    let items = found
        .into_iter()
        .map(|e| Entry {
            seq: e.seq,
            at: jiff::Timestamp::from_microsecond(e.at_micros).map(|t| t.to_string()).unwrap_or_default(),
            data: serde_json::from_str(&e.event.data).unwrap_or(serde_json::Value::String(e.event.data.clone())),
            actor: e.event.actor,
            action: e.event.action,
            entity: e.event.entity,
            entity_id: e.event.entity_id,
            prev_hash: recoup_domain::audit::hex(&e.prev_hash),
            hash: recoup_domain::audit::hex(&e.hash),
        })
        .collect();
    Ok(Json(Entries { items, next }))
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
