//! Remittance statements per client and period (JSON, CSV or a printable page), and the daily
//! servicing run on demand.

use super::access::{Action, allow};
use super::auth::Principal;
use super::problem::{Problem, ProblemDocument};
use super::servicing::{actor, today};
use crate::AppState;
use crate::documents::Format;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use recoup_store::StoreError;
use recoup_store::servicing::remittance::{self, RemittanceStatement};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatementQuery {
    /// The client's code.
    pub client: String,
    /// First day, inclusive.
    #[param(value_type = String)]
    pub from: Date,
    /// Last day, inclusive.
    #[param(value_type = String)]
    pub to: Date,
    /// json (default), csv, html or pdf.
    #[serde(default)]
    pub format: Option<String>,
}

/// A client's remittance statement: collections, direct payments, reversals, commission and the
/// net amount due for the period.
#[utoipa::path(get, path = "/api/v1/remittance-statements", tag = "servicing", params(StatementQuery),
    responses(
        (status = 200, body = RemittanceStatement),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn statement(State(state): State<AppState>, p: Principal, Query(q): Query<StatementQuery>) -> Result<Response, Problem> {
    allow(&p, Action::ReadRemittance)?;
    let client = super::clients::visible_client_by_code(&state, &p, &q.client).await?;
    if q.to < q.from {
        return Err(StoreError::invalid("/to", "the period ends before it starts").into());
    }
    let st = remittance::statement(state.store.as_ref(), p.tenant_id, client.id, q.from, q.to).await?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(st).into_response()),
        "csv" => {
            let name = format!("attachment; filename=\"remittance-{}-{}-{}.csv\"", client.code, q.from, q.to);
            let body = remittance::to_csv(&st, client.default_currency);
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)], body).into_response())
        }
        "html" | "pdf" => {
            let format = if q.format.as_deref() == Some("pdf") { Format::Pdf } else { Format::Html };
            let name = format!("remittance-{}-{}-{}", client.code, q.from, q.to);
            Ok(crate::documents::respond(&crate::documents::statement(&st, &client), format, &name))
        }
        _ => Err(StoreError::invalid("/format", "json, csv, html or pdf").into()),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RunQuery {
    /// The day to judge (default today).
    #[param(value_type = Option<String>)]
    pub date: Option<Date>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RunReport {
    pub accounts: usize,
    pub changed: usize,
    pub failed: usize,
    /// Accounts that got the month's interest or fee (clients whose policy accrues).
    pub accrued: usize,
}

/// Run the daily servicing judgement now: promises kept or broken, plan installments missed,
/// settlements completed or expired, hardship pauses ended, and the month's interest and fees
/// where a client's policy allows them. `serve` runs it every day on its own.
#[utoipa::path(post, path = "/api/v1/servicing/run", tag = "servicing", params(RunQuery),
    responses((status = 200, body = RunReport), (status = 403, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn run(State(state): State<AppState>, p: Principal, Query(q): Query<RunQuery>) -> Result<Json<RunReport>, Problem> {
    allow(&p, Action::RunServicing)?;
    let day = q.date.unwrap_or_else(today);
    let r = recoup_store::servicing::daily(state.store.as_ref(), p.tenant_id, day, &actor(&p)).await?;
    for (account, error) in &r.failed {
        tracing::error!(%account, %error, "daily servicing failed for an account");
    }
    Ok(Json(RunReport { accounts: r.accounts, changed: r.changed, failed: r.failed.len(), accrued: r.accrued }))
}
