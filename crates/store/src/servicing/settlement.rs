//! Settlements as records. `recoup_domain::settlement` says whether an offer is allowed and who
//! must approve it; here the offer waits for that approval, counts the payments made from the
//! day it was offered, and when they reach the agreed amount writes the rest off through the
//! ledger and closes the account as settled.

use super::{Draft, Kept, Op, RecordKind, op, require_open};
use crate::ops::{PostingInput, plan_posting};
use crate::{Actor, Posting, Result, StoreError};
use jiff::civil::Date;
use recoup_domain::access::Role;
use recoup_domain::account::AccountStatus;
use recoup_domain::event::EventType;
use recoup_domain::ledger::Amounts;
use recoup_domain::promise::PromiseItem;
use recoup_domain::settlement::{self, Approval, Offer, SettlementError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettlementStatus {
    /// Deeper than the offerer's limit: waits for a senior role.
    PendingApproval,
    /// Put to the debtor; payments count toward it.
    Active,
    Completed,
    Expired,
    Rejected,
}

impl SettlementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SettlementStatus::PendingApproval => "pending_approval",
            SettlementStatus::Active => "active",
            SettlementStatus::Completed => "completed",
            SettlementStatus::Expired => "expired",
            SettlementStatus::Rejected => "rejected",
        }
    }
}

/// Who asked, for the approval rules: the requester can never approve its own offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Requester {
    pub id: Uuid,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Settlement {
    pub id: Uuid,
    pub account_id: Uuid,
    pub offer: Offer,
    /// The balance when offered.
    pub owed: i64,
    /// What the settlement collects, minor units.
    pub amount: i64,
    /// The share forgiven, as a decimal fraction.
    #[schema(value_type = String)]
    pub discount: Decimal,
    pub offered_on: Date,
    pub expires_on: Date,
    /// Empty for a lump sum.
    pub installments: Vec<PromiseItem>,
    pub status: SettlementStatus,
    pub approval: Approval,
    pub requested_by: Requester,
    pub requested_by_actor: String,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    /// Paid toward it so far.
    pub paid: i64,
    pub write_off_entry_id: Option<Uuid>,
    /// The amounts written off, to restore if a payment it counted is reversed.
    pub written_off: Option<Amounts>,
    pub completed_on: Option<Date>,
}

impl Settlement {
    pub fn remaining(&self) -> i64 {
        (self.amount - self.paid).max(0)
    }
}

impl Kept for Settlement {
    const KIND: RecordKind = RecordKind::Settlement;
    fn id(&self) -> Uuid {
        self.id
    }
    fn status(&self) -> String {
        self.status.as_str().into()
    }
    fn on_date(&self) -> Option<Date> {
        Some(self.completed_on.unwrap_or(self.expires_on))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSettlement {
    pub id: Uuid,
    pub offer: Offer,
    pub expires_on: Date,
    pub installments: Vec<PromiseItem>,
    pub requested_by: Requester,
}

fn domain_error(e: SettlementError) -> StoreError {
    match e {
        SettlementError::NothingOwed => StoreError::Refused(e.to_string()),
        SettlementError::Expiry(_) => StoreError::invalid("/expires_on", e),
        SettlementError::OverLimit { .. } | SettlementError::OwnRequest => StoreError::NotAllowed(e.to_string()),
        SettlementError::OutOfRange | SettlementError::BelowFloor { .. } => StoreError::invalid("/offer", e),
    }
}

/// The settlement payments count toward now, if any.
pub(crate) fn live(d: &Draft<'_>) -> Result<Option<Settlement>> {
    Ok(d.all::<Settlement>()?.into_iter().find(|s| matches!(s.status, SettlementStatus::Active | SettlementStatus::PendingApproval)))
}

fn check_installments(items: &[PromiseItem], amount: i64, today: Date, expires_on: Date) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    for (i, item) in items.iter().enumerate() {
        if item.amount <= 0 {
            return Err(StoreError::invalid(format!("/installments/{i}/amount"), "must be above zero"));
        }
        if item.due_on < today || item.due_on > expires_on {
            return Err(StoreError::invalid(format!("/installments/{i}/due_on"), "must fall between today and the expiry date"));
        }
    }
    if items.windows(2).any(|w| w[0].due_on >= w[1].due_on) {
        return Err(StoreError::invalid("/installments", "dates must be in order, one amount per day"));
    }
    let sum: i64 = items.iter().map(|i| i.amount).sum();
    if sum != amount {
        return Err(StoreError::invalid("/installments", format!("the installments add up to {sum}, not the settlement's {amount}")));
    }
    Ok(())
}

/// Offers a settlement on `today` under the client's limits.
pub fn offer(s: NewSettlement, today: Date, actor: &Actor) -> Op {
    op(actor, move |d| {
        let limits = d.file.policy.settlements.clone();
        require_open(&d.account, "no settlement can be offered")?;
        if live(d)?.is_some() {
            return Err(StoreError::Refused("the account already has a settlement offered".into()));
        }
        let owed = d.balance.owed();
        let (amount, approval) =
            settlement::assess(owed, s.offer, today, s.expires_on, s.requested_by.role, &limits).map_err(domain_error)?;
        check_installments(&s.installments, amount, today, s.expires_on)?;
        let status = if approval == Approval::NotNeeded { SettlementStatus::Active } else { SettlementStatus::PendingApproval };
        let rec = Settlement {
            id: s.id,
            account_id: d.account.id,
            offer: s.offer,
            owed,
            amount,
            discount: settlement::discount(owed, amount),
            offered_on: today,
            expires_on: s.expires_on,
            installments: s.installments,
            status,
            approval,
            requested_by: s.requested_by,
            requested_by_actor: d.actor.0.clone(),
            decided_by: None,
            decision_note: None,
            paid: 0,
            write_off_entry_id: None,
            written_off: None,
            completed_on: None,
        };
        d.put(&rec);
        let data = json!({"settlement_id": rec.id, "owed": owed, "amount": amount, "discount": rec.discount.to_string(),
                          "expires_on": rec.expires_on, "status": status.as_str(), "approval": approval});
        d.audit("settlement.offered", "account", d.account.id, data.clone());
        d.emit(EventType::SettlementOffered, rec.id, data);
        Ok(())
    })
}

/// Approves or rejects a settlement waiting for approval.
pub fn decide(id: Uuid, approve: bool, approver: Requester, note: Option<String>, actor: &Actor) -> Op {
    op(actor, move |d| {
        let limits = d.file.policy.settlements.clone();
        let mut s = d.find::<Settlement>(id)?.ok_or_else(|| StoreError::not_found("settlement", id))?;
        if s.status != SettlementStatus::PendingApproval {
            return Err(StoreError::Refused(format!("the settlement is {}, not waiting for approval", s.status.as_str())));
        }
        if approve {
            settlement::may_approve(approver.id, approver.role, s.requested_by.id, s.discount, &limits).map_err(domain_error)?;
        } else if approver.id == s.requested_by.id {
            return Err(StoreError::NotAllowed("a settlement cannot be decided by the person who asked for it".into()));
        }
        s.status = if approve { SettlementStatus::Active } else { SettlementStatus::Rejected };
        s.decided_by = Some(d.actor.0.clone());
        s.decision_note = note;
        d.put(&s);
        let action = if approve { "settlement.approved" } else { "settlement.rejected" };
        d.audit(
            action,
            "account",
            d.account.id,
            json!({"settlement_id": s.id, "note": s.decision_note, "discount": s.discount.to_string()}),
        );
        Ok(())
    })
}

/// Counts payments toward the live settlement; completes it (writing off the rest) or lets it
/// expire on `today`.
pub(crate) fn judge(d: &mut Draft<'_>, today: Date) -> Result<()> {
    let Some(mut s) = live(d)? else { return Ok(()) };
    let payments = super::payment::counted(d)?;
    let paid: i64 = payments.iter().filter(|(day, _)| *day >= s.offered_on).map(|(_, a)| *a).sum();
    let before = s.clone();
    s.paid = paid;
    if s.status == SettlementStatus::Active && paid >= s.amount {
        complete(d, &mut s, today)?;
    } else if today > s.expires_on {
        s.status = SettlementStatus::Expired;
        d.audit("settlement.expired", "account", d.account.id, json!({"settlement_id": s.id, "paid": paid, "amount": s.amount}));
    }
    if s != before {
        d.put(&s);
    }
    Ok(())
}

fn complete(d: &mut Draft<'_>, s: &mut Settlement, today: Date) -> Result<()> {
    let memo = format!("settlement {} completed: remainder written off", s.id);
    if d.balance.owed() > 0 {
        let input = PostingInput { posting: &Posting::WriteOffAll, effective_on: today, memo: &memo, actor: d.actor };
        let p = plan_posting(&d.account, &d.file.client.waterfall, &d.balance, &d.ledger, &input)?;
        s.write_off_entry_id = Some(p.entry.id);
        s.written_off = Some(p.entry.delta);
        d.post(p.entry, p.balance);
        d.changes.audit.push(p.event);
    }
    s.status = SettlementStatus::Completed;
    s.completed_on = Some(today);
    let data = json!({"settlement_id": s.id, "paid": s.paid, "written_off": s.written_off.map(|w| -w.owed()).unwrap_or(0)});
    d.audit("settlement.completed", "account", d.account.id, data.clone());
    d.emit(EventType::SettlementCompleted, s.id, data);
    d.set_status(AccountStatus::Settled, "settlement completed")
}

/// When a payment that completed a settlement is reversed, the write-off is undone and the
/// settlement is live again: the debtor did not pay what was agreed.
pub(crate) fn undo_write_off(d: &mut Draft<'_>, payment_on: Date, today: Date) -> Result<()> {
    let done = d.all::<Settlement>()?.into_iter().find(|s| s.status == SettlementStatus::Completed && payment_on >= s.offered_on);
    let Some(mut s) = done else { return Ok(()) };
    if let Some(w) = s.written_off {
        let memo = format!("settlement {} reopened: write-off restored", s.id);
        let input = PostingInput { posting: &Posting::Adjustment { delta: w.negated() }, effective_on: today, memo: &memo, actor: d.actor };
        let p = plan_posting(&d.account, &d.file.client.waterfall, &d.balance, &d.ledger, &input)?;
        d.post(p.entry, p.balance);
        d.changes.audit.push(p.event);
    }
    s.status = SettlementStatus::Active;
    s.completed_on = None;
    s.write_off_entry_id = None;
    s.written_off = None;
    d.audit("settlement.reopened", "account", d.account.id, json!({"settlement_id": s.id}));
    d.put(&s);
    Ok(())
}
