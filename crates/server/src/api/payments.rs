//! Payments: posted by an agent, a client's or processor's system, or reported by the client as
//! paid to it directly; card payments go through the configured gateway first. A card number
//! and CVC pass through this process on their way to the gateway and are never stored or logged:
//! only the token, brand and last 4 are kept. Also reversals, receipts and the daily
//! reconciliation export.

use super::access::{Action, allow};
use super::auth::Principal;
use super::json::Body;
use super::problem::{Problem, ProblemDocument};
use super::servicing::{Items, account_for, act, actor, record_of, records_of, today};
use crate::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use recoup_domain::access::Role;
use recoup_domain::account::Account;
use recoup_domain::money::Currency;
use recoup_domain::remittance::Route;
use recoup_gateways::{CardDetails, ChargeRequest, ChargeStatus};
use recoup_store::StoreError;
use recoup_store::servicing::first;
use recoup_store::servicing::payment::{self, CardRef, Method, NewPayment, Payment, Reversal, ReversalReason, Source};
use serde::Deserialize;
use uuid::Uuid;

/// Card details as the payer gives them; handed to the gateway and dropped.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardInput {
    pub number: String,
    pub exp_month: u8,
    pub exp_year: u16,
    pub cvc: String,
    #[serde(default)]
    pub holder: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// Minor units, above zero.
    pub amount: i64,
    /// ISO 4217; the account's currency when left out, and it must be the account's.
    #[serde(default)]
    pub currency: Option<String>,
    pub method: Method,
    /// The day the money moved (default today); not in the future.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "2026-11-23")]
    pub effective_on: Option<Date>,
    /// A check number, bank trace or the client's own reference.
    #[serde(default)]
    pub reference: Option<String>,
    /// to_agency (default) or direct_to_client: paid to the client and reported.
    #[serde(default)]
    pub route: Option<Route>,
    /// For direct payments: whether this one earns commission (default: the client's policy).
    #[serde(default)]
    pub commissionable: Option<bool>,
    /// For `method: card`: charged through the gateway before the payment is posted.
    #[serde(default)]
    pub card: Option<CardInput>,
}

fn source(p: &Principal, route: Route) -> Source {
    match (p.role, route) {
        (_, Route::DirectToClient) => Source::ClientReport,
        (Role::Integrator, _) => Source::Api,
        _ => Source::Agent,
    }
}

fn new_payment(req: &PaymentRequest, account: &Account, p: &Principal) -> Result<NewPayment, Problem> {
    let currency = match req.currency.as_deref() {
        None => account.currency,
        Some(code) => Currency::from_code(code.trim()).map_err(|e| StoreError::invalid("/currency", e))?,
    };
    let effective_on = req.effective_on.unwrap_or_else(today);
    if effective_on > today() {
        return Err(StoreError::invalid("/effective_on", "a payment cannot be dated in the future").into());
    }
    let route = req.route.unwrap_or(Route::ToAgency);
    match (req.method, &req.card) {
        (Method::Card, None) if route == Route::ToAgency => {
            return Err(StoreError::invalid("/card", "a card payment needs the card").into());
        }
        (Method::Card, Some(_)) if route == Route::DirectToClient => {
            return Err(StoreError::invalid("/card", "a payment made to the client is reported, not charged").into());
        }
        (m, Some(_)) if m != Method::Card => return Err(StoreError::invalid("/card", "only a card payment takes a card").into()),
        _ => {}
    }
    let needs = if route == Route::DirectToClient { Action::ReportDirectPayments } else { Action::ServiceAccounts };
    allow(p, needs)?;
    Ok(NewPayment {
        amount: req.amount,
        currency,
        effective_on,
        method: req.method,
        source: source(p, route),
        route,
        commissionable: req.commissionable,
        reference: req.reference.clone().filter(|r| !r.trim().is_empty()),
        card: None,
        split: false,
    })
}

fn declined(code: &str, message: &str) -> Problem {
    Problem::new(StatusCode::PAYMENT_REQUIRED, "payment-declined", "Payment declined", format!("the card was declined ({code}): {message}"))
}

fn gateway_problem(e: recoup_gateways::GatewayError) -> Problem {
    use recoup_gateways::GatewayError::*;
    match e {
        InvalidCard(why) => StoreError::invalid("/card", why).into(),
        Unavailable(why) => {
            tracing::warn!(error = %why, "payment gateway unavailable");
            Problem::new(StatusCode::SERVICE_UNAVAILABLE, "gateway-unavailable", "Payment processor unavailable", "try again shortly")
        }
        Rejected(why) | Protocol(why) => {
            tracing::error!(error = %why, "payment gateway refused the request");
            Problem::new(StatusCode::BAD_GATEWAY, "gateway-error", "Payment processor error", "the processor refused the request")
        }
    }
}

/// The gateway's idempotency key: the request's own, scoped to the caller, so a retried request
/// charges once; a fresh one when the request has none.
fn gateway_key(headers: &HeaderMap, p: &Principal) -> String {
    match headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
        Some(k) => format!("{}:{k}", p.subject),
        None => Uuid::now_v7().to_string(),
    }
}

/// Charges the card; the number and CVC go no further than the gateway.
async fn charge(state: &AppState, card: &CardInput, pay: &NewPayment, key: &str, account: &Account) -> Result<CardRef, Problem> {
    let details = CardDetails {
        number: card.number.clone(),
        exp_month: card.exp_month,
        exp_year: card.exp_year,
        cvc: card.cvc.clone(),
        holder: card.holder.clone(),
    };
    details.validate().map_err(gateway_problem)?;
    let token = state.gateway.tokenize(&details).await.map_err(gateway_problem)?;
    drop(details);
    let req = ChargeRequest {
        token: token.token.clone(),
        amount_minor: pay.amount,
        currency: pay.currency.code().to_string(),
        idempotency_key: key.to_string(),
        description: format!("account {}", account.external_ref),
    };
    let charged = state.gateway.charge(&req).await.map_err(gateway_problem)?;
    if let ChargeStatus::Declined { code, message } = &charged.status {
        return Err(declined(code.as_str(), message));
    }
    Ok(CardRef { gateway: state.gateway.name().into(), token: token.token, brand: token.brand, last4: token.last4, charge_id: charged.id })
}

/// Post a payment. A card payment is charged first; a decline answers 402 and posts nothing.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/payments", tag = "servicing", request_body = PaymentRequest,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer and charge once")),
    responses(
        (status = 201, body = Payment),
        (status = 402, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn post(
    State(state): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(req): Body<PaymentRequest>,
) -> Result<(StatusCode, Json<Payment>), Problem> {
    let account = super::accounts::visible_account(&state, &p, &id).await?;
    let pay = new_payment(&req, &account, &p)?;
    let payment = take(&state, &account, pay, req.card.as_ref(), &gateway_key(&headers, &p), &actor(&p)).await?;
    Ok((StatusCode::CREATED, Json(payment)))
}

/// Posts a payment, charging the card first when there is one: the posting is tried on the
/// account as it stands before any money moves, and a charge whose posting then fails is
/// refunded. The API and the portal both take payments here.
pub(crate) async fn take(
    state: &AppState,
    account: &Account,
    mut pay: NewPayment,
    card: Option<&CardInput>,
    key: &str,
    actor: &recoup_store::Actor,
) -> Result<Payment, Problem> {
    if let Some(card) = card {
        let file = state.store.account_file(account.tenant_id, account.id).await?.ok_or_else(|| Problem::not_found("account"))?;
        payment::post(pay.clone(), today(), actor)(&file)?;
        pay.card = Some(charge(state, card, &pay, key, account).await?);
    }
    let card = pay.card.clone();
    let changes = match state.store.service(account.tenant_id, account.id, payment::post(pay, today(), actor)).await {
        Ok(c) => c,
        Err(e) => {
            refund_after_failure(state, card.as_ref()).await;
            return Err(e.into());
        }
    };
    first::<Payment>(&changes).map_err(Problem::from)
}

/// A charge whose posting failed (the account changed in between) is refunded, so no money is
/// held without a ledger entry for it.
async fn refund_after_failure(state: &AppState, card: Option<&CardRef>) {
    let Some(card) = card else { return };
    let key = format!("refund:{}", card.charge_id);
    if let Err(e) = state.gateway.refund(&card.charge_id, &key).await {
        tracing::error!(charge = %card.charge_id, error = %e, "a charge whose posting failed could not be refunded: refund it by hand");
    }
}

/// An account's payments, oldest first.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/payments", tag = "servicing", params(("id" = String, Path)),
    responses((status = 200, body = Items<Payment>), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn list(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Result<Json<Items<Payment>>, Problem> {
    Ok(Json(Items { items: records_of(&state, &p, &id).await? }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReversalRequest {
    pub reason: ReversalReason,
    /// The day the payment came back (default today).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub effective_on: Option<Date>,
}

/// Reverse a payment (NSF, chargeback, error): the balance comes back exactly as the payment
/// took it, its commission is taken back, and what it had satisfied reopens.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/payments/{payment}/reversal", tag = "servicing", request_body = ReversalRequest,
    params(("id" = String, Path), ("payment" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer")),
    responses(
        (status = 201, body = Reversal),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn reverse(
    State(state): State<AppState>,
    p: Principal,
    Path((id, payment_id)): Path<(String, String)>,
    Body(req): Body<ReversalRequest>,
) -> Result<(StatusCode, Json<Reversal>), Problem> {
    let account = account_for(&state, &p, &id, Action::ReversePayments).await?;
    let pid = Uuid::parse_str(&payment_id).map_err(|_| p.not_found("payment", &payment_id))?;
    let on = req.effective_on.unwrap_or_else(today);
    let changes = act(&state, &p, &account, payment::reverse(pid, req.reason, on, today(), &actor(&p))).await?;
    Ok((StatusCode::CREATED, Json(first::<Reversal>(&changes)?)))
}

/// A payment's receipt, as a page (`format=html`, the default) or a PDF (`format=pdf`).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/payments/{payment}/receipt", tag = "servicing",
    params(("id" = String, Path), ("payment" = String, Path), DocumentQuery),
    responses((status = 200, content_type = "text/html", body = String), (status = 404, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn receipt(
    State(state): State<AppState>,
    p: Principal,
    Path((id, payment_id)): Path<(String, String)>,
    Query(q): Query<DocumentQuery>,
) -> Result<Response, Problem> {
    let format = q.format()?;
    let (account, pay) = record_of::<Payment>(&state, &p, &id, &payment_id).await?;
    let client = state.store.list_clients(p.tenant_id).await?.into_iter().find(|c| c.id == account.client_id);
    let doc = crate::documents::receipt(&pay, &account, client.as_ref());
    Ok(crate::documents::respond(&doc, format, &format!("receipt-{}", pay.receipt_no)))
}

/// How a produced document is handed out.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DocumentQuery {
    /// html (default) or pdf.
    #[serde(default)]
    pub format: Option<String>,
}

impl DocumentQuery {
    pub fn format(&self) -> Result<crate::documents::Format, Problem> {
        crate::documents::Format::parse(self.format.as_deref()).ok_or_else(|| StoreError::invalid("/format", "html or pdf").into())
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReconciliationQuery {
    /// The day to export (default today).
    #[param(value_type = Option<String>)]
    pub date: Option<Date>,
}

/// The day's posted and reversed payments per gateway, as CSV, to match against the processor's
/// and the bank's reports.
#[utoipa::path(get, path = "/api/v1/payments/reconciliation", tag = "servicing", params(ReconciliationQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = ProblemDocument, content_type = "application/problem+json")),
    security(("api_key" = []), ("session" = [])))]
pub async fn reconciliation(
    State(state): State<AppState>,
    p: Principal,
    Query(q): Query<ReconciliationQuery>,
) -> Result<Response, Problem> {
    allow(&p, Action::ReversePayments)?;
    let day = q.date.unwrap_or_else(today);
    let out = crate::reconciliation::csv(state.store.as_ref(), p.tenant_id, day).await?;
    let name = format!("attachment; filename=\"reconciliation-{day}.csv\"");
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)], out).into_response())
}

/// One debt's share of a debtor's payment.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    pub account_id: String,
    /// Minor units, above zero.
    pub amount: i64,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DebtorPaymentRequest {
    /// How the debtor asked the payment to be spread, one line per debt (at most 20).
    pub allocations: Vec<Allocation>,
    #[serde(default)]
    pub currency: Option<String>,
    pub method: Method,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub effective_on: Option<Date>,
    #[serde(default)]
    pub reference: Option<String>,
    /// For `method: card`: charged once for the total.
    #[serde(default)]
    pub card: Option<CardInput>,
}

/// Who a debt is owed by, to tell whether several accounts are one debtor's: the full national
/// id when the client sent it, else the name and date of birth.
async fn debtor_of(state: &AppState, p: &Principal, account: &Account) -> Result<Option<String>, Problem> {
    let parties = state.store.parties_of(p.tenant_id, account.id).await?;
    let Some(primary) = parties.iter().find(|x| x.role == recoup_domain::party::PartyRole::Primary) else { return Ok(None) };
    let party = &primary.party;
    if let Some(id) = &party.national_id {
        return Ok(Some(format!("id:{}", id.expose())));
    }
    Ok(party.date_of_birth.as_ref().map(|dob| format!("name:{}|{}", party.display_name().to_lowercase(), dob.expose())))
}

/// Post one payment a debtor spread over several of their debts, as they asked. No part goes to
/// a disputed debt (Reg F 1006.30(c)), nor to one stayed or recalled; every part lands or none.
#[utoipa::path(post, path = "/api/v1/payments", tag = "servicing", request_body = DebtorPaymentRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Repeats return the first answer and charge once")),
    responses(
        (status = 201, body = Items<Payment>),
        (status = 402, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 403, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 404, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 409, body = ProblemDocument, content_type = "application/problem+json"),
        (status = 422, body = ProblemDocument, content_type = "application/problem+json"),
    ),
    security(("api_key" = []), ("session" = [])))]
pub async fn post_for_debtor(
    State(state): State<AppState>,
    p: Principal,
    headers: HeaderMap,
    Body(req): Body<DebtorPaymentRequest>,
) -> Result<(StatusCode, Json<Items<Payment>>), Problem> {
    allow(&p, Action::ServiceAccounts)?;
    if req.allocations.is_empty() || req.allocations.len() > 20 {
        return Err(StoreError::invalid("/allocations", "one to twenty debts").into());
    }
    let mut accounts = Vec::with_capacity(req.allocations.len());
    let mut debtor = None;
    for (i, a) in req.allocations.iter().enumerate() {
        let account = account_for(&state, &p, &a.account_id, Action::ServiceAccounts).await?;
        let who = debtor_of(&state, &p, &account).await?;
        if who.is_none() || (i > 0 && who != debtor) {
            return Err(StoreError::invalid(format!("/allocations/{i}/account_id"), "not a debt of the same debtor").into());
        }
        debtor = who;
        accounts.push(account);
    }
    let total: i64 = req.allocations.iter().map(|a| a.amount.max(0)).sum();
    let base = PaymentRequest {
        amount: total,
        currency: req.currency.clone(),
        method: req.method,
        effective_on: req.effective_on,
        reference: req.reference.clone(),
        route: None,
        commissionable: None,
        card: None,
    };
    let mut base = new_payment(&base, &accounts[0], &p)?;
    base.split = true;
    let parts: Vec<NewPayment> = req.allocations.iter().map(|a| NewPayment { amount: a.amount, ..base.clone() }).collect();
    dry_run(&state, &p, &accounts, &parts).await?;
    if let Some(card) = &req.card {
        base.card = Some(charge(&state, card, &base, &gateway_key(&headers, &p), &accounts[0]).await?);
    }
    let ops = accounts
        .iter()
        .zip(&parts)
        .map(|(a, part)| (a.id, payment::post(NewPayment { card: base.card.clone(), ..part.clone() }, today(), &actor(&p))))
        .collect();
    let all = match state.store.service_many(p.tenant_id, ops).await {
        Ok(all) => all,
        Err(e) => {
            refund_after_failure(&state, base.card.as_ref()).await;
            return Err(e.into());
        }
    };
    let items = all.iter().map(first::<Payment>).collect::<Result<_, _>>()?;
    Ok((StatusCode::CREATED, Json(Items { items })))
}

/// Checks every part would post, naming the allocation that would not, before money moves.
async fn dry_run(state: &AppState, p: &Principal, accounts: &[Account], parts: &[NewPayment]) -> Result<(), Problem> {
    for (i, (account, part)) in accounts.iter().zip(parts).enumerate() {
        let file =
            state.store.account_file(p.tenant_id, account.id).await?.ok_or_else(|| p.not_found("account", &account.id.to_string()))?;
        match payment::post(part.clone(), today(), &actor(p))(&file) {
            Ok(_) => {}
            Err(StoreError::Invalid { field, reason }) => {
                return Err(StoreError::invalid(format!("/allocations/{i}{field}"), reason).into());
            }
            Err(StoreError::Refused(why)) => return Err(StoreError::Refused(format!("allocation {i}: {why}")).into()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
