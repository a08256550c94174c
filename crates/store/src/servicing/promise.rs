//! Promises to pay as records: taken by an agent, the portal or the API, judged by
//! `recoup_domain::promise::evaluate` whenever a payment lands or is reversed and by the daily
//! servicing run.

use super::{Draft, Kept, Op, RecordKind, op, require_open};
use crate::{Actor, Result, StoreError};
use jiff::civil::Date;
use recoup_domain::event::EventType;
use recoup_domain::promise::{self, PromiseItem, PromiseStatus};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Promise {
    pub id: Uuid,
    pub account_id: Uuid,
    pub items: Vec<PromiseItem>,
    pub item_status: Vec<PromiseStatus>,
    pub taken_on: Date,
    pub grace_days: i32,
    pub status: PromiseStatus,
    /// "agent", "portal" or "api".
    pub channel: String,
    pub taken_by: String,
    /// The day it was judged kept or broken.
    pub resolved_on: Option<Date>,
}

impl Promise {
    pub fn total(&self) -> i64 {
        self.items.iter().map(|i| i.amount).sum()
    }

    /// The next day the daily run must look at it: the first open item's deadline.
    fn next_deadline(&self) -> Option<Date> {
        use jiff::ToSpan;
        self.items
            .iter()
            .zip(&self.item_status)
            .find(|(_, s)| **s == PromiseStatus::Pending)
            .and_then(|(i, _)| i.due_on.checked_add(i64::from(self.grace_days).days()).ok())
    }
}

impl Kept for Promise {
    const KIND: RecordKind = RecordKind::Promise;
    fn id(&self) -> Uuid {
        self.id
    }
    fn status(&self) -> String {
        self.status.as_str().into()
    }
    fn on_date(&self) -> Option<Date> {
        if self.status == PromiseStatus::Pending { self.next_deadline() } else { self.resolved_on }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPromise {
    pub id: Uuid,
    pub items: Vec<PromiseItem>,
    pub grace_days: Option<i32>,
    pub channel: String,
}

/// Takes a promise on `today`, with the client's grace unless the promise names its own. One pending promise per account: a new one is refused until the
/// last is kept or broken (or it would hide a broken one).
pub fn take(p: NewPromise, today: Date, actor: &Actor) -> Op {
    op(actor, move |d| {
        require_open(&d.account, "no promise can be taken")?;
        if d.all::<Promise>()?.iter().any(|x| x.status == PromiseStatus::Pending) {
            return Err(StoreError::Refused("the account already has a pending promise".into()));
        }
        let grace_days = p.grace_days.unwrap_or(d.file.policy.promise_grace_days);
        if !(0..=10).contains(&grace_days) {
            return Err(StoreError::invalid("/grace_days", "grace must be 0 to 10 days"));
        }
        promise::check(&p.items, today, d.balance.owed()).map_err(|e| field_error(&e))?;
        let promise = Promise {
            id: p.id,
            account_id: d.account.id,
            item_status: vec![PromiseStatus::Pending; p.items.len()],
            items: p.items,
            taken_on: today,
            grace_days,
            status: PromiseStatus::Pending,
            channel: p.channel,
            taken_by: d.actor.0.clone(),
            resolved_on: None,
        };
        d.put(&promise);
        d.audit(
            "promise.taken",
            "account",
            d.account.id,
            json!({"promise_id": promise.id, "items": promise.items, "grace_days": grace_days}),
        );
        d.emit(EventType::PromiseCreated, promise.id, json!({"promise_id": promise.id, "total": promise.total(), "items": promise.items}));
        Ok(())
    })
}

fn field_error(e: &promise::PromiseError) -> StoreError {
    use promise::PromiseError::*;
    let field = match e {
        Items | Order | MoreThanOwed { .. } => "/items".to_string(),
        Amount(i) => format!("/items/{i}/amount"),
        Past(i) | TooFar(i) => format!("/items/{i}/due_on"),
    };
    StoreError::invalid(field, e)
}

/// Judges the account's open promises (and kept ones, which a reversal may reopen) on `today`.
pub(crate) fn judge(d: &mut Draft<'_>, today: Date) -> Result<()> {
    let payments = super::payment::counted(d)?;
    for mut p in d.all::<Promise>()? {
        if p.status == PromiseStatus::Broken {
            continue;
        }
        let (status, each) = promise::evaluate(&p.items, p.taken_on, &payments, today, p.grace_days);
        if status == p.status && each == p.item_status {
            continue;
        }
        let from = p.status;
        p.status = status;
        p.item_status = each;
        p.resolved_on = (status != PromiseStatus::Pending).then_some(today);
        d.put(&p);
        if status != from {
            announce(d, &p, from);
        }
    }
    Ok(())
}

fn announce(d: &mut Draft<'_>, p: &Promise, from: PromiseStatus) {
    let data = json!({"promise_id": p.id, "from": from.as_str(), "to": p.status.as_str(), "total": p.total()});
    d.audit("promise.judged", "account", d.account.id, data.clone());
    let event = match p.status {
        PromiseStatus::Kept => EventType::PromiseKept,
        PromiseStatus::Broken => EventType::PromiseBroken,
        // Reopened by a reversal: the audit entry says so; integrators hear of the reversal.
        PromiseStatus::Pending => return,
    };
    d.emit(event, p.id, data);
}

/// Whether a pending promise pauses strategy contact on `today` (reminders of it still go).
pub fn pauses_contact(promises: &[Promise]) -> bool {
    promises.iter().any(|p| p.status == PromiseStatus::Pending)
}
