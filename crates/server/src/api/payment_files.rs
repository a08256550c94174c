//! Payment files over HTTP: a bank's or client's remittance file (CSV) posted as the body, run
//! by the same importer as `recoup import payments`, answered with what was posted, what was a
//! repeat and every rejected row with its line and column.

use super::access::{Action, allow};
use super::auth::Principal;
use super::placements::RejectedRow;
use super::problem::{Problem, ProblemDocument};
use super::servicing::{actor, today};
use crate::AppState;
use crate::payment_import::{PaymentImportError, PaymentImportRequest, run};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use recoup_import::{PaymentMapping, PaymentReader};
use recoup_store::StoreError;
use serde::{Deserialize, Serialize};

/// A payment file may be a month of a bank's returns; larger than a JSON body, far smaller than
/// a placement.
pub const PAYMENT_FILE_LIMIT_BYTES: usize = 32 * 1024 * 1024;
pub const PAYMENT_FILE_PATH: &str = "/api/v1/payment-files";

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PaymentFileQuery {
    /// The client whose accounts the file's account numbers are.
    pub client: String,
    /// Check every row and write nothing.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RepeatedRow {
    pub line: u64,
    pub account_ref: String,
    pub receipt_no: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Total {
    pub currency: String,
    pub amount: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PaymentFileReport {
    pub dry_run: bool,
    pub read: u64,
    pub posted: u64,
    /// Rows skipped as repeats of payments already posted (same account, day, amount, reference).
    pub duplicates: Vec<RepeatedRow>,
    pub rejected: Vec<RejectedRow>,
    /// True when more rows were rejected than are listed.
    pub rejected_truncated: bool,
    /// Posted per currency, minor units.
    pub totals: Vec<Total>,
}

/// Import a payment file (CSV: account_ref, amount, paid_on, method, reference, route). Each
/// row posts on its own; bad rows are reported by line and column and change nothing.
#[utoipa::path(post, path = "/api/v1/payment-files", tag = "servicing", params(PaymentFileQuery,
        ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 200, body = PaymentFileReport),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn import(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<PaymentFileQuery>,
    body: Bytes,
) -> Result<Json<PaymentFileReport>, Problem> {
    allow(&p, Action::ReversePayments)?;
    let client = super::clients::visible_client_by_code(&state, &p, &q.client).await?;
    let req = PaymentImportRequest { tenant_id: p.tenant_id, client, today: today(), dry_run: q.dry_run, actor: actor(&p) };
    let reader = PaymentReader::new(std::io::Cursor::new(body), &PaymentMapping::standard(), req.context())
        .map_err(|e| StoreError::invalid("", e))?;
    let summary = run::<_, std::io::Sink>(state.store.clone(), reader, None, &req).await.map_err(|e| match e {
        PaymentImportError::File(e) => StoreError::invalid("", e).into(),
        other => {
            tracing::error!(error = %other, "a payment file failed");
            Problem::internal()
        }
    })?;
    let rejected: Vec<RejectedRow> =
        summary.sample_rejects.iter().map(|r| RejectedRow { line: r.line, column: r.column.clone(), error: r.reason.clone() }).collect();
    Ok(Json(PaymentFileReport {
        dry_run: q.dry_run,
        read: summary.read,
        posted: summary.posted,
        duplicates: summary
            .duplicates
            .into_iter()
            .map(|d| RepeatedRow { line: d.line, account_ref: d.external_ref, receipt_no: d.receipt_no })
            .collect(),
        rejected_truncated: summary.rejected as usize > rejected.len(),
        rejected,
        totals: summary.totals.into_iter().map(|(c, amount)| Total { currency: c.code().to_string(), amount }).collect(),
    }))
}
