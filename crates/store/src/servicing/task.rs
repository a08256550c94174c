//! Call tasks: a call an agent should make, and when. A task reaches a worklist only after the
//! contact policy has looked at it: a blocked call never becomes a task (the decision is kept with
//! its reasons), a deferred one is due when the policy allows it.

use super::contact::{self, Check};
use super::{Kept, Op, RecordKind, op};
use crate::worklist::WorkEntry;
use crate::{Actor, Result, StoreError};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    Done,
    /// The policy refused the call when the task was asked for; the decision says why.
    Blocked,
    Cancelled,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Done => "done",
            TaskStatus::Blocked => "blocked",
            TaskStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallTask {
    pub id: Uuid,
    pub account_id: Uuid,
    pub contact_point_id: Uuid,
    pub queue: String,
    /// Why the call is wanted (a strategy step, a callback the person asked for).
    pub reason: String,
    /// Not to be dialed before this instant.
    #[schema(value_type = String)]
    pub due_at: Timestamp,
    pub status: TaskStatus,
    pub decision_id: Option<Uuid>,
    /// The logged call that closed it.
    pub attempt_id: Option<Uuid>,
    pub created_by: String,
    /// A call at the time the person asked for (a callback): first in the worklist once due.
    #[serde(default)]
    pub appointment: bool,
    /// Only this agent works it (the one who arranged the callback); otherwise anyone on the queue.
    #[serde(default)]
    pub agent_id: Option<Uuid>,
}

impl CallTask {
    /// An open task to call `contact_point_id` from `due_at`, in `queue`, until [`create`] has
    /// asked the policy about it.
    pub fn new(account_id: Uuid, contact_point_id: Uuid, queue: &str, reason: &str, due_at: Timestamp) -> CallTask {
        CallTask {
            id: Uuid::now_v7(),
            account_id,
            contact_point_id,
            queue: queue.into(),
            reason: reason.into(),
            due_at,
            status: TaskStatus::Open,
            decision_id: None,
            attempt_id: None,
            created_by: String::new(),
            appointment: false,
            agent_id: None,
        }
    }
}

/// What the policy is asked about a call an agent dials (so never an automated call) to the
/// consumer about the debt at `at`.
pub fn agent_call(point: recoup_domain::contact::ContactPoint, postal_state: Option<String>, at: Timestamp) -> Check {
    Check { intent: recoup_domain::policy::Intent::collection_call(false), point, postal_state, at }
}

impl Kept for CallTask {
    const KIND: RecordKind = RecordKind::CallTask;
    fn id(&self) -> Uuid {
        self.id
    }
    fn status(&self) -> String {
        self.status.as_str().into()
    }
    fn on_date(&self) -> Option<Date> {
        Some(contact::utc_day(self.due_at))
    }
}

/// Creates a call task after asking the policy about the call at `check.at`.
pub fn create(task: CallTask, check: Check, actor: &Actor) -> Op {
    op(actor, move |d| {
        if !check.intent.medium.is_call() {
            return Err(StoreError::invalid("/medium", "a call task is for a call"));
        }
        if task.queue.trim().is_empty() || task.queue.len() > 64 {
            return Err(StoreError::invalid("/queue", "a queue name of 1 to 64 characters"));
        }
        // Made already under this id (a carry-out taken up twice): it stays as it was.
        if d.find::<CallTask>(task.id)?.is_some() {
            return Ok(());
        }
        let decision = contact::decide(d, &check)?;
        let (status, due_at) = match (decision.decision.as_str(), decision.until) {
            ("allow", _) => (TaskStatus::Open, task.due_at.max(check.at)),
            ("defer", Some(u)) => (TaskStatus::Open, u.max(task.due_at)),
            _ => (TaskStatus::Blocked, task.due_at),
        };
        let t =
            CallTask { account_id: d.account.id, status, due_at, decision_id: Some(decision.id), created_by: d.actor.0.clone(), ..task };
        d.audit("task.created", "call_task", t.id, json!({"queue": t.queue, "status": t.status, "due_at": t.due_at.to_string()}));
        d.put(&t);
        put_work(d, &t);
        Ok(())
    })
}

/// The account's task `task_id`, which must be open for a call to work it.
pub(crate) fn open_task(d: &super::Draft<'_>, task_id: Uuid) -> Result<CallTask> {
    let Some(t) = d.find::<CallTask>(task_id)? else {
        return Err(StoreError::invalid("/task_id", "no such call task on this account"));
    };
    if t.status != TaskStatus::Open {
        return Err(StoreError::Refused(format!("the task is {}", t.status.as_str())));
    }
    Ok(t)
}

/// Closes an open task ([`open_task`]) with the call that worked it.
pub(crate) fn close_in(d: &mut super::Draft<'_>, mut t: CallTask, attempt_id: Uuid) {
    t.status = TaskStatus::Done;
    t.attempt_id = Some(attempt_id);
    d.audit("task.done", "call_task", t.id, json!({"attempt_id": attempt_id}));
    d.put(&t);
    put_work(d, &t);
}

/// The task's row in the worklists, valued on the account as the change leaves it.
fn put_work(d: &mut super::Draft<'_>, t: &CallTask) {
    let today = contact::utc_day(Timestamp::from_microsecond(d.now).unwrap_or(t.due_at));
    d.work(WorkEntry {
        task_id: t.id,
        account_id: t.account_id,
        queue: t.queue.clone(),
        agent_id: t.agent_id,
        due_at: t.due_at.as_microsecond(),
        appointment: t.appointment,
        expected_minor: crate::worklist::expected_of(d.file, d.balance.net(), today),
        delinquent_since: d.account.first_delinquency_on,
        status: t.status.as_str().into(),
        reason: t.reason.clone(),
    });
}
