//! Payment plans as records: the schedule agreed (from `recoup_domain::plan::schedule`), how it
//! stands, and which installments' interest and fees are on the ledger. Interest and fees are
//! charged as each installment falls due, so the balance never shows money not yet owed.

use super::{Draft, Kept, Op, RecordKind, op, require_open};
use crate::ops::{PostingInput, plan_posting};
use crate::{Actor, Posting, Result, StoreError};
use jiff::civil::Date;
use recoup_domain::account::AccountStatus;
use recoup_domain::event::EventType;
use recoup_domain::plan::{self, Frequency, Installment, PlanError, Policy, Sizing, Standing, Terms};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Active,
    AtRisk,
    Broken,
    Completed,
}

impl PlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Active => "active",
            PlanStatus::AtRisk => "at_risk",
            PlanStatus::Broken => "broken",
            PlanStatus::Completed => "completed",
        }
    }

    /// Still being paid: payments count toward it.
    pub fn is_live(self) -> bool {
        matches!(self, PlanStatus::Active | PlanStatus::AtRisk)
    }

    fn of(s: Standing) -> Self {
        match s {
            Standing::Current => PlanStatus::Active,
            Standing::AtRisk => PlanStatus::AtRisk,
            Standing::Broken => PlanStatus::Broken,
            Standing::Completed => PlanStatus::Completed,
        }
    }
}

/// What the debtor agreed to, as asked (the balance is the account's when agreed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanTerms {
    pub frequency: Frequency,
    pub sizing: Sizing,
    pub down_payment: i64,
    pub first_due_on: Date,
    #[schema(value_type = String)]
    pub apr: Decimal,
    pub fee_per_installment: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Plan {
    pub id: Uuid,
    pub account_id: Uuid,
    pub terms: PlanTerms,
    pub agreed_on: Date,
    /// The balance the plan pays off.
    pub financed: i64,
    pub installments: Vec<Installment>,
    pub grace_days: i32,
    pub misses_to_break: u32,
    pub status: PlanStatus,
    /// Installments covered in full so far.
    pub met: usize,
    pub missed: u32,
    /// Paid toward the plan so far.
    pub paid: i64,
    /// How many installments have had their interest and fees posted.
    pub charged: usize,
    pub channel: String,
    pub created_by: String,
}

impl Plan {
    pub fn total(&self) -> i64 {
        self.installments.iter().map(|i| i.amount).sum()
    }

    pub fn remaining(&self) -> i64 {
        (self.total() - self.paid).max(0)
    }

    /// The first installment not yet covered: the daily run looks at the plan after its grace.
    fn next_due(&self) -> Option<Date> {
        self.installments.get(self.met).map(|i| i.due_on)
    }
}

impl Kept for Plan {
    const KIND: RecordKind = RecordKind::Plan;
    fn id(&self) -> Uuid {
        self.id
    }
    fn status(&self) -> String {
        self.status.as_str().into()
    }
    fn on_date(&self) -> Option<Date> {
        if self.status.is_live() { self.next_due() } else { None }
    }
}

/// The request field a plan error is about, shared by quotes and plans.
pub fn error_field(e: &PlanError) -> &'static str {
    match e {
        PlanError::DownPayment => "/down_payment",
        PlanError::FirstDueBeforeAgreement | PlanError::Dates => "/first_due_on",
        PlanError::Count(_) | PlanError::TooLong(_) => "/count",
        PlanError::TooSmall(_) | PlanError::CannotAmortize { .. } => "/installment",
        PlanError::InterestNotAllowed | PlanError::Apr(_) => "/apr",
        PlanError::FeesNotAllowed => "/fee_per_installment",
        PlanError::NothingOwed(_) => "",
    }
}

/// The schedule for `terms` on a balance, as the domain computes it.
pub fn quote(balance: i64, terms: &PlanTerms, agreed_on: Date, policy: &Policy) -> Result<Vec<Installment>> {
    let t = Terms {
        balance,
        down_payment: terms.down_payment,
        agreed_on,
        first_due_on: terms.first_due_on,
        frequency: terms.frequency,
        sizing: terms.sizing,
        apr: terms.apr,
        fee_per_installment: terms.fee_per_installment,
    };
    plan::schedule(&t, policy).map_err(|e| StoreError::invalid(error_field(&e), e))
}

/// Sets up a plan for the whole balance on `today` under the client's policy.
pub fn create(id: Uuid, terms: PlanTerms, channel: String, today: Date, actor: &Actor) -> Op {
    op(actor, move |d| {
        let policy = d.file.policy.plans.clone();
        require_open(&d.account, "no plan can be set up")?;
        if d.all::<Plan>()?.iter().any(|p| p.status.is_live()) {
            return Err(StoreError::Refused("the account already has a plan in force".into()));
        }
        if super::settlement::live(d)?.is_some() {
            return Err(StoreError::Refused("the account has a settlement in force".into()));
        }
        let financed = d.balance.owed();
        let installments = quote(financed, &terms, today, &policy)?;
        let plan = Plan {
            id,
            account_id: d.account.id,
            terms,
            agreed_on: today,
            financed,
            installments,
            grace_days: policy.grace_days,
            misses_to_break: policy.misses_to_break,
            status: PlanStatus::Active,
            met: 0,
            missed: 0,
            paid: 0,
            charged: 0,
            channel,
            created_by: d.actor.0.clone(),
        };
        d.put(&plan);
        let data = json!({"plan_id": plan.id, "financed": financed, "total": plan.total(), "installments": plan.installments.len()});
        d.audit("plan.created", "account", d.account.id, data.clone());
        d.emit(EventType::PlanCreated, plan.id, data);
        Ok(())
    })
}

/// Charges what live plans have fallen due for by `today`, before a payment is allocated, so the
/// waterfall pays the installment's interest and fees as the schedule shows.
pub(crate) fn charge_live(d: &mut Draft<'_>, today: Date) -> Result<()> {
    for mut p in d.all::<Plan>()?.into_iter().filter(|p| p.status.is_live()) {
        let before = p.charged;
        charge_due(d, &mut p, today)?;
        if p.charged != before {
            d.put(&p);
        }
    }
    Ok(())
}

/// Posts the interest and fees of installments that have fallen due by `today`.
fn charge_due(d: &mut Draft<'_>, plan: &mut Plan, today: Date) -> Result<()> {
    while let Some(row) = plan.installments.get(plan.charged).cloned() {
        if row.due_on > today {
            break;
        }
        let memo = format!("plan installment {} interest and fees", row.number);
        if row.interest > 0 {
            post(d, Posting::Interest { amount_minor: row.interest }, row.due_on, &memo)?;
        }
        if row.fees > 0 {
            post(d, Posting::Fee { fees_minor: row.fees, costs_minor: 0 }, row.due_on, &memo)?;
        }
        plan.charged += 1;
    }
    Ok(())
}

fn post(d: &mut Draft<'_>, posting: Posting, effective_on: Date, memo: &str) -> Result<()> {
    let input = PostingInput { posting: &posting, effective_on, memo, actor: d.actor };
    let p = plan_posting(&d.account, &d.file.client.waterfall, &d.balance, &d.ledger, &input)?;
    d.post(p.entry, p.balance);
    d.changes.audit.push(p.event);
    Ok(())
}

/// Brings each plan still being paid (or completed, which a reversal may reopen) up to `today`.
pub(crate) fn judge(d: &mut Draft<'_>, today: Date) -> Result<()> {
    let payments = super::payment::counted(d)?;
    for mut p in d.all::<Plan>()? {
        if p.status == PlanStatus::Broken {
            continue;
        }
        let before = p.clone();
        charge_due(d, &mut p, today)?;
        let mine: Vec<(Date, i64)> = payments.iter().copied().filter(|(day, _)| *day >= p.agreed_on).collect();
        let policy = Policy { grace_days: p.grace_days, misses_to_break: p.misses_to_break, ..Policy::default() };
        let progress = plan::progress(&p.installments, &mine, today, &policy);
        (p.met, p.missed, p.paid) = (progress.met, progress.missed, progress.paid);
        p.status = PlanStatus::of(progress.standing);
        if p == before {
            continue;
        }
        d.put(&p);
        if p.status != before.status {
            announce(d, &p, before.status)?;
        }
    }
    Ok(())
}

fn announce(d: &mut Draft<'_>, p: &Plan, from: PlanStatus) -> Result<()> {
    let data = json!({"plan_id": p.id, "from": from.as_str(), "to": p.status.as_str(), "paid": p.paid, "missed": p.missed});
    d.audit("plan.changed", "account", d.account.id, data.clone());
    let event = match p.status {
        PlanStatus::AtRisk => EventType::PlanAtRisk,
        PlanStatus::Broken => EventType::PlanBroken,
        PlanStatus::Completed => EventType::PlanCompleted,
        PlanStatus::Active => return Ok(()),
    };
    d.emit(event, p.id, data);
    if p.status == PlanStatus::Completed && d.balance.owed() == 0 {
        d.set_status(AccountStatus::PaidInFull, "payment plan completed")?;
    }
    Ok(())
}
