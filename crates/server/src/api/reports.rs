//! KPI reports by name over a period, as JSON or CSV (crate::reports builds them).

use super::access::{Action, allow};
use super::auth::Principal;
use super::problem::{Problem, ProblemDocument};
use crate::AppState;
use crate::reports::{self, ReportError};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use recoup_store::StoreError;
use recoup_store::reports::ReportQuery;
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// First day, inclusive.
    #[param(value_type = String)]
    pub from: Date,
    /// Last day, inclusive.
    #[param(value_type = String)]
    pub to: Date,
    /// Only this client's accounts (its code). A client's own staff always see only theirs.
    #[serde(default)]
    pub client: Option<String>,
    /// Only this portfolio's accounts (its code, within the client given).
    #[serde(default)]
    pub portfolio: Option<String>,
    /// json (default) or csv.
    #[serde(default)]
    pub format: Option<String>,
}

impl From<ReportError> for Problem {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Store(s) => s.into(),
            ReportError::Unknown(_) => Problem::new(axum::http::StatusCode::NOT_FOUND, "no-such-report", "No such report", e.to_string()),
            ReportError::Backwards { .. } => StoreError::invalid("/to", e.to_string()).into(),
        }
    }
}

/// The period, client and portfolio a principal asks about, narrowed to a client user's own
/// client. Portfolio codes are a client's own, so a portfolio needs its client.
pub(crate) async fn query_for(
    state: &AppState,
    p: &Principal,
    from: Date,
    to: Date,
    client: Option<&str>,
    portfolio: Option<&str>,
) -> Result<ReportQuery, Problem> {
    let given = |v: Option<&str>| v.map(str::trim).filter(|c| !c.is_empty()).map(String::from);
    let client_id = match given(client) {
        Some(code) => Some(super::clients::visible_client_by_code(state, p, &code).await?.id),
        None => p.client_id.filter(|_| p.role == recoup_domain::access::Role::Client),
    };
    let portfolio_id = match (given(portfolio), client_id) {
        (None, _) => None,
        (Some(_), None) => return Err(StoreError::invalid("/portfolio", "give the client too: portfolio codes are per client").into()),
        (Some(code), Some(client_id)) => match state.store.portfolio_by_code(p.tenant_id, client_id, &code).await? {
            Some(portfolio) => Some(portfolio.id),
            None => return Err(StoreError::invalid("/portfolio", format!("the client has no portfolio {code:?}")).into()),
        },
    };
    Ok(ReportQuery { client_id, portfolio_id, from, to })
}

/// A KPI report: placements, recovery (curves by vintage), aging, contacts (RPC and contact
/// rates), funnel (attempts to kept promises), agents (leaderboard, per hour signed in),
/// promises (kept rate, disputes), blocked (by reason), queues (owed and collected per queue) or
/// netback (by client). Each answer
/// carries its formula in `help`.
#[utoipa::path(get, path = "/api/v1/reports/{report}", tag = "reports", params(("report" = String, Path), PeriodQuery),
    responses(
        (status = 200, body = serde_json::Value),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn report(
    State(state): State<AppState>,
    p: Principal,
    Path(name): Path<String>,
    Query(pq): Query<PeriodQuery>,
) -> Result<Response, Problem> {
    let q = query_for(&state, &p, pq.from, pq.to, pq.client.as_deref(), pq.portfolio.as_deref()).await?;
    allow(&p, Action::ReadReports)?;
    let t = reports::table(state.store.as_ref(), p.tenant_id, &name, &q).await?;
    match pq.format.as_deref().unwrap_or("json") {
        "json" => Ok(axum::Json(t.json(&q)).into_response()),
        "csv" => {
            let file = format!("attachment; filename=\"{}-{}-{}.csv\"", t.name, q.from, q.to);
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, file)], t.csv())
                .into_response())
        }
        _ => Err(StoreError::invalid("/format", "json or csv").into()),
    }
}
