//! Disputes as records. Opening one places a dispute hold (no collection contact about the debt,
//! Reg F 1006.38) that ends when verification is recorded as sent or the dispute is resolved. An
//! upheld dispute adjusts the balance or closes the account. Each dispute carries an SLA date so
//! open ones can be listed by age.

use super::hold::{self, HoldDetails, HoldRecord, NewHold};
use super::{Draft, Kept, Op, RecordKind, op};
use crate::ops::{PostingInput, plan_posting};
use crate::{Actor, Posting, Result, StoreError};
use jiff::ToSpan;
use jiff::civil::Date;
use recoup_domain::account::AccountStatus;
use recoup_domain::dispute::{self, DisputeStatus, Reason};
use recoup_domain::event::EventType;
use recoup_domain::ledger::{Amounts, Component};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// Days from receipt by which a dispute should be answered. Reg F sets no deadline for
/// verification (collection simply stays stopped); 30 days is the industry's service level and
/// FCRA 611(a)(1)'s for disputes that reach the credit file.
pub const SLA_DAYS: i64 = 30;

pub fn status_str(s: DisputeStatus) -> &'static str {
    match s {
        DisputeStatus::Open => "open",
        DisputeStatus::VerificationSent => "verification_sent",
        DisputeStatus::Upheld => "upheld",
        DisputeStatus::Withdrawn => "withdrawn",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Dispute {
    pub id: Uuid,
    pub account_id: Uuid,
    pub reason: Reason,
    pub text: String,
    /// "agent", "portal" or "api".
    pub channel: String,
    pub received_on: Date,
    /// The disputed part in minor units; `None` disputes the whole debt.
    pub disputed_amount: Option<i64>,
    /// When the validation notice went out, if known.
    pub validation_notice_sent_on: Option<Date>,
    /// Whether it arrived inside the validation period (Reg F 1006.34(b)(5)); unknown without
    /// the notice date.
    pub within_validation_period: Option<bool>,
    pub status: DisputeStatus,
    pub sla_due_on: Date,
    pub hold_id: Uuid,
    pub documents: Vec<Uuid>,
    pub opened_by: String,
    pub verification_sent_on: Option<Date>,
    pub resolved_on: Option<Date>,
    pub resolution: Option<String>,
}

impl Kept for Dispute {
    const KIND: RecordKind = RecordKind::Dispute;
    fn id(&self) -> Uuid {
        self.id
    }
    fn status(&self) -> String {
        status_str(self.status).into()
    }
    fn on_date(&self) -> Option<Date> {
        Some(self.sla_due_on)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDispute {
    pub id: Uuid,
    pub reason: Reason,
    pub text: String,
    pub channel: String,
    pub received_on: Date,
    pub disputed_amount: Option<i64>,
    pub validation_notice_sent_on: Option<Date>,
}

/// Opens a dispute on `today` and places its hold.
pub fn open(n: NewDispute, today: Date, actor: &Actor) -> Op {
    op(actor, move |d| {
        if n.text.chars().count() > 4_000 {
            return Err(StoreError::invalid("/text", "at most 4,000 characters"));
        }
        if n.received_on > today {
            return Err(StoreError::invalid("/received_on", "cannot be after today"));
        }
        if n.disputed_amount.is_some_and(|a| a <= 0 || a > d.balance.owed()) {
            return Err(StoreError::invalid("/disputed_amount", "must be above zero and at most the balance"));
        }
        let within = n.validation_notice_sent_on.map(|sent| dispute::within_validation_period(sent, n.received_on));
        let hold_id = Uuid::now_v7();
        let hold = NewHold {
            id: hold_id,
            kind: recoup_domain::hold::HoldKind::Dispute,
            reason: format!("dispute: {:?}", n.reason),
            details: HoldDetails::default(),
            until: None,
        };
        hold::place(d, hold, today, Some(n.id))?;
        let rec = Dispute {
            id: n.id,
            account_id: d.account.id,
            reason: n.reason,
            text: n.text,
            channel: n.channel,
            received_on: n.received_on,
            disputed_amount: n.disputed_amount,
            validation_notice_sent_on: n.validation_notice_sent_on,
            within_validation_period: within,
            status: DisputeStatus::Open,
            sla_due_on: n.received_on.checked_add(SLA_DAYS.days()).unwrap_or(n.received_on),
            hold_id,
            documents: Vec::new(),
            opened_by: d.actor.0.clone(),
            verification_sent_on: None,
            resolved_on: None,
            resolution: None,
        };
        d.put(&rec);
        let data = json!({"dispute_id": rec.id, "reason": rec.reason, "received_on": rec.received_on,
                          "within_validation_period": within, "disputed_amount": rec.disputed_amount});
        d.audit("dispute.opened", "account", d.account.id, data.clone());
        d.emit(EventType::DisputeOpened, rec.id, data);
        Ok(())
    })
}

/// How a dispute moves on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeUpdate {
    pub to: DisputeStatus,
    pub note: String,
    /// Upheld: reduce the principal by this much (minor units).
    pub adjust_by: Option<i64>,
    /// Upheld: close the account.
    pub close: bool,
}

/// Moves a dispute on `today`: verification sent, upheld (adjust or close) or withdrawn.
pub fn update(id: Uuid, u: DisputeUpdate, today: Date, actor: &Actor) -> Op {
    op(actor, move |d| {
        let mut rec = d.find::<Dispute>(id)?.ok_or_else(|| StoreError::not_found("dispute", id))?;
        if !rec.status.may_become(u.to) {
            return Err(StoreError::Refused(format!("a dispute cannot go from {} to {}", status_str(rec.status), status_str(u.to))));
        }
        if u.note.trim().is_empty() {
            return Err(StoreError::invalid("/note", "say what was done"));
        }
        if u.to != DisputeStatus::Upheld && (u.adjust_by.is_some() || u.close) {
            return Err(StoreError::invalid("/adjust_by", "only an upheld dispute adjusts or closes the account"));
        }
        if let Some(h) = d.find::<HoldRecord>(rec.hold_id)?.filter(|h| h.status == hold::HoldStatus::Active) {
            hold::lift(d, h, &format!("dispute {}: {}", status_str(u.to), u.note), today)?;
        }
        if let Some(amount) = u.adjust_by {
            adjust(d, amount, rec.id, today)?;
        }
        if u.close {
            d.set_status(AccountStatus::Closed, "dispute upheld")?;
        }
        let from = rec.status;
        rec.status = u.to;
        match u.to {
            DisputeStatus::VerificationSent => rec.verification_sent_on = Some(today),
            _ => rec.resolved_on = Some(today),
        }
        rec.resolution = Some(u.note);
        d.put(&rec);
        let data = json!({"dispute_id": rec.id, "from": status_str(from), "to": status_str(u.to), "note": rec.resolution,
                          "adjust_by": u.adjust_by, "closed": u.close});
        d.audit("dispute.updated", "account", d.account.id, data.clone());
        d.emit(EventType::DisputeUpdated, rec.id, data);
        Ok(())
    })
}

fn adjust(d: &mut Draft<'_>, amount: i64, dispute_id: Uuid, today: Date) -> Result<()> {
    if amount <= 0 || amount > d.balance.principal {
        return Err(StoreError::invalid("/adjust_by", format!("must be above zero and at most the principal {}", d.balance.principal)));
    }
    let memo = format!("dispute {dispute_id} upheld");
    let delta = Amounts::only(Component::Principal, -amount);
    let input = PostingInput { posting: &Posting::Adjustment { delta }, effective_on: today, memo: &memo, actor: d.actor };
    let p = plan_posting(&d.account, &d.file.client.waterfall, &d.balance, &d.ledger, &input)?;
    d.post(p.entry, p.balance);
    d.changes.audit.push(p.event);
    Ok(())
}
