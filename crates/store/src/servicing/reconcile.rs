//! Bringing an account's arrangements up to date: after every payment and reversal, and once a
//! day for accounts with something due. Promises, plans and the settlement are judged against the
//! payments that stand; hardship pauses that ended are released; a balance paid to nothing
//! closes the account.

use super::plan::Plan;
use super::{Draft, Op, RecordKind, RecordQuery, Servicing, op};
use crate::{Actor, Result};
use jiff::civil::Date;
use recoup_domain::account::AccountStatus;
use std::collections::BTreeSet;
use uuid::Uuid;

/// Judges everything on the account as of `today`. `paid` is the payment just posted, if any:
/// only a payment closes an account as paid in full.
pub(crate) fn run(d: &mut Draft<'_>, today: Date, paid: Option<Uuid>) -> Result<()> {
    super::promise::judge(d, today)?;
    super::plan::judge(d, today)?;
    super::settlement::judge(d, today)?;
    super::hold::expire(d, today)?;
    if paid.is_some() && d.account.status.is_open() && d.balance.owed() == 0 {
        d.set_status(AccountStatus::PaidInFull, "paid in full")?;
    }
    Ok(())
}

/// The most a single payment may be while an arrangement is in force.
pub struct Limit {
    pub what: &'static str,
    pub amount: i64,
}

pub(crate) fn payment_limit(d: &Draft<'_>) -> Result<Option<Limit>> {
    if let Some(s) = super::settlement::live(d)? {
        return Ok(Some(Limit { what: "settlement", amount: s.remaining() }));
    }
    let plan = d.all::<Plan>()?.into_iter().find(|p| p.status.is_live());
    // Paying a plan off early is paying what is owed now: interest not yet due is not charged.
    Ok(plan.map(|p| Limit { what: "plan", amount: p.remaining().min(d.balance.owed()) }))
}

pub(crate) fn undo_settlement_write_off(d: &mut Draft<'_>, payment_on: Date, today: Date) -> Result<()> {
    super::settlement::undo_write_off(d, payment_on, today)
}

/// The daily judgement of one account.
pub fn evaluate(today: Date, actor: &Actor) -> Op {
    op(actor, move |d| run(d, today, None))
}

/// What a daily run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DailyReport {
    pub accounts: usize,
    pub changed: usize,
    pub failed: Vec<(Uuid, String)>,
    /// Accounts that got the month's interest or fee.
    pub accrued: usize,
}

/// Accounts with something due on or before `today`: pending promises and live plans past a
/// date, live settlements past expiry, hardship pauses past their end.
async fn due_accounts(s: &(impl Servicing + ?Sized), tenant_id: Uuid, today: Date) -> Result<BTreeSet<Uuid>> {
    let searches = [
        (RecordKind::Promise, vec!["pending"]),
        (RecordKind::Plan, vec!["active", "at_risk"]),
        (RecordKind::Settlement, vec!["active", "pending_approval"]),
        (RecordKind::Hold, vec!["active"]),
    ];
    let mut out = BTreeSet::new();
    for (kind, statuses) in searches {
        let mut q = RecordQuery::of(kind);
        q.statuses = statuses.into_iter().map(String::from).collect();
        q.on_to = Some(today);
        q.limit = 5_000;
        loop {
            let page = s.records(tenant_id, &q).await?;
            let Some(last) = page.last() else { break };
            q.after = Some(last.id);
            out.extend(page.iter().map(|r| r.account_id));
        }
    }
    Ok(out)
}

/// Runs the daily judgement on every account of the tenant with something due, then posts the
/// interest and fees the clients' policies make due. One account's failure is reported and does
/// not stop the others.
pub async fn daily(s: &(impl crate::Store + ?Sized), tenant_id: Uuid, today: Date, actor: &Actor) -> Result<DailyReport> {
    let due = due_accounts(s, tenant_id, today).await?;
    let mut report = DailyReport { accounts: due.len(), ..Default::default() };
    for account_id in due {
        match s.service(tenant_id, account_id, evaluate(today, actor)).await {
            Ok(ch) if !ch.records.is_empty() || !ch.entries.is_empty() => report.changed += 1,
            Ok(_) => {}
            Err(e) => report.failed.push((account_id, e.to_string())),
        }
    }
    let swept = super::accrual::sweep(s, tenant_id, today, actor).await?;
    report.accrued = swept.posted;
    report.failed.extend(swept.failed);
    Ok(report)
}
