//! Payment-plan quotes: the amortization table for an account's balance, computed before the
//! debtor accepts, so an agent (or the portal) can show exactly what each installment will be.
//! Nothing is stored; `POST /accounts/{id}/plans` with the same body sets the plan up.

use super::access::{Action, allow};
use super::accounts::visible_account;
use super::auth::Principal;
use super::json::Body;
use super::problem::{FieldError, Problem, ProblemDocument};
use super::servicing::today;
use crate::AppState;
use axum::Json;
use axum::extract::{Path, State};
use jiff::civil::Date;
use recoup_domain::plan::{Frequency, Installment, Sizing};
use recoup_store::servicing::plan::{self, PlanTerms};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    /// weekly, bi_weekly or monthly.
    pub frequency: String,
    /// How many installments (give this or `installment`).
    #[serde(default)]
    pub count: Option<u32>,
    /// The installment amount in minor units (give this or `count`).
    #[serde(default)]
    pub installment: Option<i64>,
    /// Paid today, before the installments; minor units.
    #[serde(default)]
    pub down_payment: i64,
    #[schema(value_type = String, example = "2026-12-01")]
    pub first_due_on: Date,
    /// Annual rate as a decimal string ("0.08"), where the client's policy allows interest.
    #[serde(default)]
    pub apr: Option<String>,
    #[serde(default)]
    pub fee_per_installment: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Quote {
    /// The balance the plan pays off.
    pub balance: i64,
    pub total_interest: i64,
    pub total_fees: i64,
    /// Everything the debtor will pay.
    pub total: i64,
    pub installments: Vec<Installment>,
}

impl QuoteRequest {
    /// The terms asked for, with every fault in the request named at once.
    pub fn terms(&self) -> Result<PlanTerms, Problem> {
        let mut errors = Vec::new();
        let frequency = Frequency::parse(self.frequency.trim());
        if frequency.is_none() {
            errors.push(FieldError { pointer: "/frequency".into(), detail: "must be weekly, bi_weekly or monthly".into() });
        }
        let sizing = match (self.count, self.installment) {
            (Some(n), None) => Some(Sizing::Count(n)),
            (None, Some(a)) => Some(Sizing::Installment(a)),
            _ => {
                errors.push(FieldError { pointer: "/count".into(), detail: "give either count or installment".into() });
                None
            }
        };
        let apr = match self.apr.as_deref().map(str::trim) {
            None | Some("") => Some(Decimal::ZERO),
            Some(text) => text.parse::<Decimal>().ok().or_else(|| {
                errors.push(FieldError { pointer: "/apr".into(), detail: "must be a decimal fraction such as 0.08".into() });
                None
            }),
        };
        let (Some(frequency), Some(sizing), Some(apr)) = (frequency, sizing, apr) else {
            return Err(Problem::invalid("the plan request is not valid", errors));
        };
        Ok(PlanTerms {
            frequency,
            sizing,
            down_payment: self.down_payment,
            first_due_on: self.first_due_on,
            apr,
            fee_per_installment: self.fee_per_installment,
        })
    }
}

/// Quote a payment plan for the account's current balance: every installment with its date and
/// its principal, interest and fees, adding up to the balance exactly.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/plan-quote", tag = "accounts", request_body = QuoteRequest,
    params(("id" = String, Path, description = "The account's id")),
    responses(
        (status = 200, body = Quote),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn quote(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    Body(q): Body<QuoteRequest>,
) -> Result<Json<Quote>, Problem> {
    let account = visible_account(&state, &p, &id).await?;
    allow(&p, Action::QuotePlans)?;
    let terms = q.terms()?;
    let balance = state.store.balance(p.tenant_id, account.id).await?.owed();
    let policy = state.store.client_policy(p.tenant_id, account.client_id).await?;
    let installments = plan::quote(balance, &terms, today(), &policy.plans)?;
    let total_interest = installments.iter().map(|i| i.interest).sum();
    let total_fees = installments.iter().map(|i| i.fees).sum();
    let total = installments.iter().map(|i| i.amount).sum();
    Ok(Json(Quote { balance, total_interest, total_fees, total, installments }))
}
