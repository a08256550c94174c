//! Payments and their reversals. A payment is a ledger entry (split by the client's waterfall)
//! plus a record of how it was made: method, who took it, the card's token, brand and last 4 when
//! there was a card (never its number), the receipt number and the commission it earns. A
//! reversal (NSF, chargeback) undoes the entry exactly, takes the commission back, and reopens
//! what the payment had satisfied.

use super::{Draft, Kept, Op, RecordKind, op, reconcile, require_open};
use crate::ops::{PostingInput, plan_posting};
use crate::{Actor, Posting, Result, StoreError};
use jiff::civil::Date;
use recoup_domain::account::AccountStatus;
use recoup_domain::hold;
use recoup_domain::ledger::Amounts;
use recoup_domain::money::Currency;
pub use recoup_domain::payment::Method;
use recoup_domain::remittance::{self, Route};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// Where the payment was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Agent,
    Portal,
    Api,
    /// A remittance or bank file.
    File,
    /// Reported by the client as paid to it directly.
    ClientReport,
}

/// What a card payment keeps of the card: enough to show and to refund, nothing to charge again
/// without the processor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CardRef {
    pub gateway: String,
    pub token: String,
    pub brand: String,
    pub last4: String,
    /// The processor's charge id, to refund or reconcile.
    pub charge_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Posted,
    Reversed,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Posted => "posted",
            PaymentStatus::Reversed => "reversed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReversalReason {
    /// Returned unpaid (non-sufficient funds).
    Nsf,
    Chargeback,
    /// Posted by mistake.
    Error,
    Other,
}

/// A payment as recorded. Its id is its ledger entry's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Payment {
    pub id: Uuid,
    pub account_id: Uuid,
    pub receipt_no: String,
    /// Minor units.
    pub amount: i64,
    #[schema(value_type = String, example = "USD")]
    pub currency: Currency,
    pub effective_on: Date,
    pub method: Method,
    pub source: Source,
    pub route: Route,
    pub commissionable: bool,
    /// Earned by the agency on this payment, minor units.
    pub commission: i64,
    /// How the waterfall split it (negative amounts; credit positive for an overpayment).
    pub allocation: Amounts,
    pub reference: Option<String>,
    pub card: Option<CardRef>,
    pub status: PaymentStatus,
    pub reversal_id: Option<Uuid>,
    pub posted_by: String,
}

impl Kept for Payment {
    const KIND: RecordKind = RecordKind::Payment;
    fn id(&self) -> Uuid {
        self.id
    }
    fn status(&self) -> String {
        self.status.as_str().into()
    }
    fn on_date(&self) -> Option<Date> {
        Some(self.effective_on)
    }
}

/// A reversal as recorded, dated the day it was posted, so a statement for that period takes
/// back the commission. Its id is its ledger entry's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reversal {
    pub id: Uuid,
    pub account_id: Uuid,
    pub payment_id: Uuid,
    pub receipt_no: String,
    /// Minor units, positive: what the payment had been.
    pub amount: i64,
    pub route: Route,
    /// Negative: the payment's commission taken back.
    pub commission: i64,
    pub reason: ReversalReason,
    pub effective_on: Date,
    pub posted_by: String,
    /// The gateway of the reversed card payment, for the reconciliation export.
    pub gateway: Option<String>,
}

impl Kept for Reversal {
    const KIND: RecordKind = RecordKind::Reversal;
    fn id(&self) -> Uuid {
        self.id
    }
    fn status(&self) -> String {
        "posted".into()
    }
    fn on_date(&self) -> Option<Date> {
        Some(self.effective_on)
    }
}

/// A payment to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub amount: i64,
    pub currency: Currency,
    pub effective_on: Date,
    pub method: Method,
    pub source: Source,
    pub route: Route,
    /// For direct payments: whether this one earns commission, when it differs from the
    /// client's policy. Payments to the agency always do.
    pub commissionable: Option<bool>,
    pub reference: Option<String>,
    pub card: Option<CardRef>,
    /// Part of one payment the debtor spread over several debts.
    pub split: bool,
}

impl NewPayment {
    /// A payment an agent takes for the agency: commission as the client's policy says, no
    /// reference, card or split.
    pub fn by_agent(amount: i64, currency: Currency, effective_on: Date, method: Method) -> NewPayment {
        NewPayment {
            amount,
            currency,
            effective_on,
            method,
            source: Source::Agent,
            route: Route::ToAgency,
            commissionable: None,
            reference: None,
            card: None,
            split: false,
        }
    }
}

/// Posts a payment and settles what it satisfies (promises, installments, a settlement, the
/// whole balance) as of `today`.
pub fn post(p: NewPayment, today: Date, actor: &Actor) -> Op {
    op(actor, move |d| {
        super::plan::charge_live(d, today)?;
        let id = post_on(d, &p)?;
        reconcile::run(d, today, Some(id))
    })
}

fn check(d: &Draft<'_>, p: &NewPayment) -> Result<()> {
    if p.amount <= 0 {
        return Err(StoreError::invalid("/amount", "a payment must be above zero"));
    }
    if p.currency != d.account.currency {
        return Err(StoreError::invalid("/currency", format!("the account is in {}, not {}", d.account.currency, p.currency)));
    }
    require_open(&d.account, "no payment can be posted")?;
    let holds = super::hold::in_force(d)?;
    // Reg F 1006.30(c): of a payment over several debts, none may go to a disputed one (nor to
    // one under a stay or recalled).
    if p.split && !hold::takes_payments(&holds, p.effective_on) {
        return Err(StoreError::Refused(format!(
            "account {} is disputed, stayed or recalled: no part of this payment may go to it",
            d.account.external_ref
        )));
    }
    // A payment is the debtor's own act; only a stay or a recall stops us from taking it.
    if holds.iter().any(|h| matches!(h.kind, hold::HoldKind::Bankruptcy | hold::HoldKind::Recall) && h.in_force(p.effective_on)) {
        return Err(StoreError::Refused("the account is under a bankruptcy stay or recalled; no payment can be taken".into()));
    }
    if let Some(limit) = reconcile::payment_limit(d)?
        && p.amount > limit.amount
    {
        let money = |minor: i64| d.account.currency.format_minor(minor);
        let why = format!("{} exceeds what the {} has left to pay: {}", money(p.amount), limit.what, money(limit.amount));
        return Err(StoreError::invalid("/amount", why));
    }
    Ok(())
}

/// Posts the payment's ledger entry and record; returns its id.
fn post_on(d: &mut Draft<'_>, p: &NewPayment) -> Result<Uuid> {
    check(d, p)?;
    let memo = format!("{} payment ({})", p.method.as_str(), source_str(p.source));
    let input =
        PostingInput { posting: &Posting::Payment { amount_minor: p.amount }, effective_on: p.effective_on, memo: &memo, actor: d.actor };
    let plan = plan_posting(&d.account, &d.file.client.waterfall, &d.balance, &d.ledger, &input)?;
    let policy = &d.file.policy;
    let commissionable = p.route == Route::ToAgency || p.commissionable.unwrap_or(policy.direct_payments_commissionable);
    let rate = policy.commission_rate(d.file.client.commission_rate, d.account.portfolio_id);
    let commission = remittance::commission(&remittance::Line { amount: p.amount, route: p.route, commissionable }, rate);
    let count = d.all::<Payment>()?.len();
    let payment = Payment {
        id: plan.entry.id,
        account_id: d.account.id,
        receipt_no: format!("{}-{}-{:03}", d.file.client.code, d.account.external_ref, count + 1),
        amount: p.amount,
        currency: p.currency,
        effective_on: p.effective_on,
        method: p.method,
        source: p.source,
        route: p.route,
        commissionable,
        commission,
        allocation: plan.entry.delta,
        reference: p.reference.clone(),
        card: p.card.clone(),
        status: PaymentStatus::Posted,
        reversal_id: None,
        posted_by: d.actor.0.clone(),
    };
    d.post(plan.entry, plan.balance);
    d.changes.audit.push(plan.event);
    d.changes.events.extend(plan.business);
    d.put(&payment);
    d.audit(
        "payment.recorded",
        "account",
        d.account.id,
        json!({"payment_id": payment.id, "receipt_no": payment.receipt_no, "method": p.method.as_str(), "route": p.route,
               "commission": commission, "card": p.card.as_ref().map(|c| json!({"brand": c.brand, "last4": c.last4}))}),
    );
    if d.account.last_payment_on.is_none_or(|l| l <= p.effective_on) {
        d.account.last_payment_on = Some(p.effective_on);
        d.account.last_payment_minor = Some(p.amount);
        d.touch_account();
    }
    Ok(payment.id)
}

fn source_str(s: Source) -> &'static str {
    match s {
        Source::Agent => "agent",
        Source::Portal => "portal",
        Source::Api => "api",
        Source::File => "file",
        Source::ClientReport => "reported by client",
    }
}

/// Reverses a payment on `effective_on` for `reason`; reopens the account if it had closed.
pub fn reverse(payment_id: Uuid, reason: ReversalReason, effective_on: Date, today: Date, actor: &Actor) -> Op {
    op(actor, move |d| {
        reverse_on(d, payment_id, reason, effective_on)?;
        reconcile::run(d, today, None)
    })
}

fn reverse_on(d: &mut Draft<'_>, payment_id: Uuid, reason: ReversalReason, effective_on: Date) -> Result<()> {
    let mut payment = d.find::<Payment>(payment_id)?.ok_or_else(|| StoreError::not_found("payment", payment_id))?;
    if payment.status == PaymentStatus::Reversed {
        return Err(StoreError::Refused(format!("payment {} was already reversed", payment.receipt_no)));
    }
    if effective_on < payment.effective_on {
        return Err(StoreError::invalid("/effective_on", "a reversal cannot be dated before its payment"));
    }
    // A payment that closed the account must reopen it before the balance comes back.
    if matches!(d.account.status, AccountStatus::PaidInFull | AccountStatus::Settled) {
        d.set_status(AccountStatus::Active, "a payment was reversed")?;
    }
    require_open(&d.account, "no payment can be reversed")?;
    reconcile::undo_settlement_write_off(d, payment.effective_on, effective_on)?;
    let memo = format!("reversal of {} ({reason:?})", payment.receipt_no);
    let input = PostingInput { posting: &Posting::Reversal { payment_id }, effective_on, memo: &memo, actor: d.actor };
    let plan = plan_posting(&d.account, &d.file.client.waterfall, &d.balance, &d.ledger, &input)?;
    let reversal = Reversal {
        id: plan.entry.id,
        account_id: d.account.id,
        payment_id,
        receipt_no: payment.receipt_no.clone(),
        amount: payment.amount,
        route: payment.route,
        commission: -payment.commission,
        reason,
        effective_on,
        posted_by: d.actor.0.clone(),
        gateway: payment.card.as_ref().map(|c| c.gateway.clone()),
    };
    d.post(plan.entry, plan.balance);
    d.changes.audit.push(plan.event);
    d.changes.events.extend(plan.business);
    payment.status = PaymentStatus::Reversed;
    payment.reversal_id = Some(reversal.id);
    d.put(&payment);
    d.put(&reversal);
    Ok(())
}

/// The posted (not reversed) payments of the account as (day, amount), oldest first.
pub fn counted(d: &Draft<'_>) -> Result<Vec<(Date, i64)>> {
    Ok(d.all::<Payment>()?.into_iter().filter(|p| p.status == PaymentStatus::Posted).map(|p| (p.effective_on, p.amount)).collect())
}
