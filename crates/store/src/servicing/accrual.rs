//! Posting the interest and fee a client's contract allows on one account, once a month. The
//! decision of what is due is the domain's (`recoup_domain::accrual`); this reads what the ledger
//! already holds and posts the rest, each as a ledger entry with its audit entry.

use super::{Draft, Op, op};
use crate::{Actor, Result, StoreError};
use jiff::civil::Date;
use recoup_domain::accrual::{self, Posted};
use recoup_domain::hold::HoldKind;
use recoup_domain::ledger::{self as ledger, Amounts, Component, EntryKind, LedgerEntry};
use serde_json::json;
use uuid::Uuid;

/// What the account's ledger says was posted before: interest counts from its last posting, or
/// from the first entry (the balance as placed, stated as of the placement), or else from the
/// day the balance was itemized.
fn posted(d: &Draft<'_>, today: Date) -> Posted {
    let last = |kind: EntryKind| d.ledger.iter().filter(|e| e.kind == kind).map(|e| e.effective_on).max();
    let (interest, fee) = (last(EntryKind::Interest), last(EntryKind::Fee));
    let first = d.ledger.iter().map(|e| e.effective_on).min();
    Posted {
        interest_through: interest.or(first).or(d.account.itemization_on).unwrap_or(today),
        last_fee_on: fee,
        last_posting_on: interest.max(fee),
    }
}

fn post(d: &mut Draft<'_>, kind: EntryKind, component: Component, minor: i64, on: Date, memo: String) -> Result<()> {
    let delta = Amounts::only(component, minor);
    let balance = ledger::apply(&d.balance, kind, &delta).map_err(|e| StoreError::Refused(e.to_string()))?;
    let entry = LedgerEntry {
        id: Uuid::now_v7(),
        account_id: d.account.id,
        kind,
        currency: d.account.currency,
        effective_on: on,
        delta,
        reverses: None,
        memo,
    };
    let action = if kind == EntryKind::Interest { "ledger.interest_accrued" } else { "ledger.fee_charged" };
    d.audit(
        action,
        "ledger_entry",
        entry.id,
        json!({"account_id": d.account.id, "amount": minor, "on": on.to_string(), "memo": entry.memo}),
    );
    d.post(entry, balance);
    Ok(())
}

/// Posts what the client's accrual policy makes due on `today`; nothing on an account that is
/// not open or is under a bankruptcy stay.
pub fn accrue(today: Date, actor: &Actor) -> Op {
    op(actor, move |d| {
        let policy = d.file.policy.accrual.clone();
        if !policy.accrues() || !d.account.status.is_open() {
            return Ok(());
        }
        // 11 USC 362(a) and 502(b)(2): the stay stops collection, and interest on the debt stops
        // running while the case is open.
        if super::hold::in_force(d)?.iter().any(|h| h.kind == HoldKind::Bankruptcy && h.in_force(today)) {
            return Ok(());
        }
        let due = accrual::due(&policy, d.balance.principal, &posted(d, today), today);
        if due.interest_minor > 0 {
            let apr = policy.interest_apr.unwrap_or_default();
            let memo = format!("interest: {} days at {apr} a year on principal", due.days);
            post(d, EntryKind::Interest, Component::Interest, due.interest_minor, today, memo)?;
        }
        if due.fee_minor > 0 {
            post(d, EntryKind::Fee, Component::Fees, due.fee_minor, today, format!("monthly fee for {}", today.strftime("%B %Y")))?;
        }
        Ok(())
    })
}

/// What a sweep posted: accounts that got interest or a fee, and the accounts that failed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Swept {
    pub posted: usize,
    pub failed: Vec<(Uuid, String)>,
}

/// Posts the month's interest and fees on every open account of every client whose policy
/// accrues, once the month's posting day has come; a client's month is marked done when all its
/// accounts were gone through without a failure, so later days skip it.
pub async fn sweep(s: &(impl crate::Store + ?Sized), tenant_id: Uuid, today: Date, actor: &Actor) -> Result<Swept> {
    let month = today.strftime("%Y-%m").to_string();
    let mut swept = Swept::default();
    for client in s.list_clients(tenant_id).await? {
        let policy = s.client_policy(tenant_id, client.id).await?.accrual;
        if !policy.accrues() || today.day() < policy.posting_day as i8 || s.accrual_done(tenant_id, client.id, &month).await? {
            continue;
        }
        let filter = crate::AccountFilter {
            client_id: Some(client.id),
            statuses: vec![recoup_domain::account::AccountStatus::Active],
            ..Default::default()
        };
        let failed_before = swept.failed.len();
        let mut after = None;
        loop {
            let page = s.list_accounts(tenant_id, &filter, after, 500).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            for a in page {
                match s.service(tenant_id, a.id, accrue(today, actor)).await {
                    Ok(ch) if !ch.entries.is_empty() => swept.posted += 1,
                    Ok(_) => {}
                    Err(e) => swept.failed.push((a.id, e.to_string())),
                }
            }
        }
        if swept.failed.len() == failed_before {
            s.finish_accrual(tenant_id, client.id, &month).await?;
        }
    }
    Ok(swept)
}
