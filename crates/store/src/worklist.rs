//! Worklists: each open call task as a row the worklist orders, agents' queues and capacity, and
//! the claims that hand one account to one agent at a time.
//!
//! A task's row (`work_items`) is written in the task's own transaction (through
//! [`crate::servicing::Changes::work`]), so a worklist never shows a task that does not exist or
//! misses one that does. Handing out work is a claim on the account, not the task: an agent
//! holds the whole account while working it, and a claim whose lease ran out is free again.

use crate::rows::Get;
use crate::servicing::AccountFile;
use crate::{Actor, Result, StoreError};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff::civil::Date;
use recoup_domain::worklist::{Agent, Entry, Signals, expected_recovery, propensity};
use serde::Serialize;
use uuid::Uuid;

/// A task's row in the worklists, as the task's change writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkEntry {
    pub task_id: Uuid,
    pub account_id: Uuid,
    pub queue: String,
    pub agent_id: Option<Uuid>,
    /// UTC microseconds.
    pub due_at: i64,
    pub appointment: bool,
    pub expected_minor: i64,
    pub delinquent_since: Option<Date>,
    /// The task's status: only `open` rows are worked.
    pub status: String,
    pub reason: String,
}

/// One task in a worklist, with what an agent needs to pick it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WorkItem {
    pub task_id: Uuid,
    pub account_id: Uuid,
    pub external_ref: String,
    pub currency: String,
    pub queue: String,
    /// Only this agent works it (a callback they arranged).
    pub agent_id: Option<Uuid>,
    #[schema(value_type = String)]
    pub due_at: Timestamp,
    pub appointment: bool,
    /// Propensity to pay x balance, in the account's minor units, when the task was made or the
    /// last daily run refreshed it.
    pub expected_minor: i64,
    #[schema(value_type = Option<String>)]
    pub delinquent_since: Option<Date>,
    pub reason: String,
    /// The agent working the account now, if any.
    pub held_by: Option<Uuid>,
}

impl WorkItem {
    pub fn entry(&self) -> Entry {
        Entry {
            task_id: self.task_id,
            account_id: self.account_id,
            due_at: self.due_at,
            appointment: self.appointment,
            expected_minor: self.expected_minor,
            delinquent_since: self.delinquent_since,
        }
    }
}

/// Which worklist to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkQuery {
    /// Empty: every queue.
    pub queues: Vec<String>,
    /// An agent's list: their queues' shared tasks and their own, not other agents' own.
    pub agent_id: Option<Uuid>,
    /// UTC microseconds: what is due, and which claims are live.
    pub now: i64,
    pub limit: u32,
}

/// What asking for the next account gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// A new account, now held by the agent until the lease ends.
    Handed(WorkItem),
    /// The agent already holds this one and has not finished it; the lease was renewed.
    Holding(WorkItem),
    /// The agent has been handed their day's capacity.
    AtCapacity { handed: u32, capacity: u32 },
    /// Nothing due in the agent's queues that nobody else holds.
    Empty,
}

/// A skip: the agent gives an account back with a reason, and is not handed it again that day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub agent_id: Uuid,
    pub account_id: Uuid,
    pub reason: String,
    pub now: i64,
}

#[async_trait]
pub trait Worklists: Send + Sync {
    /// Sets an agent's queues, capacity and time zone (checked first), audited.
    async fn set_agent(&self, tenant_id: Uuid, agent: &Agent, actor: &Actor) -> Result<()>;
    async fn agent(&self, tenant_id: Uuid, user_id: Uuid) -> Result<Option<Agent>>;
    async fn agents(&self, tenant_id: Uuid) -> Result<Vec<Agent>>;
    /// Open tasks in worklist order at `q.now`: appointments due, other due work, then later work.
    async fn worklist(&self, tenant_id: Uuid, q: &WorkQuery) -> Result<Vec<WorkItem>>;
    /// Hands the agent the first due task in their queues whose account nobody holds, and holds
    /// the account for them until `lease_until`. Two agents asking at once get different accounts.
    async fn next_work(&self, tenant_id: Uuid, agent_id: Uuid, now: i64, lease_until: i64) -> Result<Next>;
    /// Gives back an account the agent holds, with the reason, audited.
    async fn skip_work(&self, tenant_id: Uuid, skip: &Skip, actor: &Actor) -> Result<()>;
    /// Lets go of an account the agent holds; false when they did not hold it.
    async fn release_work(&self, tenant_id: Uuid, agent_id: Uuid, account_id: Uuid, now: i64) -> Result<bool>;
    /// Sets the expected recovery and age of the open tasks of these accounts, as a daily run
    /// judged them: (account, expected minor units, delinquent since).
    async fn refresh_expected(&self, tenant_id: Uuid, accounts: Vec<(Uuid, i64, Option<Date>)>) -> Result<()>;
}

/// The signals the heuristic reads, from an account's file (a task made outside a daily run).
pub fn signals_of(file: &AccountFile, today: Date) -> Signals {
    use crate::servicing::RecordKind;
    let a = &file.account;
    let since = |d: Option<Date>| d.map(|d| i64::from((today - d).get_days()).max(0));
    let count = |kind: RecordKind, status: &str| file.records.iter().filter(|r| r.kind == kind && r.status == status).count() as u32;
    let last_rpc = file
        .all::<crate::servicing::contact::ContactAttempt>()
        .unwrap_or_default()
        .iter()
        .filter(|c| c.outcome == recoup_domain::policy::Outcome::Conversation)
        .map(|c| crate::servicing::contact::utc_day(c.at))
        .max();
    Signals {
        score: a.score,
        days_past_due: since(a.first_delinquency_on),
        days_since_payment: since(a.last_payment_on),
        days_since_rpc: since(last_rpc),
        promises_kept: count(RecordKind::Promise, "kept"),
        promises_broken: count(RecordKind::Promise, "broken"),
        plans_broken: count(RecordKind::Plan, "broken"),
    }
}

/// The expected recovery of an account from its file and its balance now, on `today`.
pub fn expected_of(file: &AccountFile, balance_minor: i64, today: Date) -> i64 {
    expected_recovery(balance_minor, propensity(&signals_of(file, today)))
}

pub(crate) fn check_agent(agent: &Agent) -> Result<()> {
    agent.check().map_err(|e| StoreError::invalid(e.field, e.reason))
}

pub(crate) fn check_skip(skip: &Skip) -> Result<()> {
    let reason = skip.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(StoreError::invalid("/reason", "a reason of 1 to 500 characters"));
    }
    Ok(())
}

pub(crate) fn agent_event(actor: &Actor, agent: &Agent) -> recoup_domain::audit::AuditEvent {
    crate::ops::event(actor, "agent.updated", "user", agent.user_id, serde_json::json!(agent))
}

pub(crate) fn skip_event(actor: &Actor, skip: &Skip) -> recoup_domain::audit::AuditEvent {
    crate::ops::event(
        actor,
        "worklist.skipped",
        "account",
        skip.account_id,
        serde_json::json!({"agent_id": skip.agent_id, "reason": skip.reason}),
    )
}

pub(crate) const AGENT_COLS: &str = "user_id, queues, daily_capacity, time_zone";

pub(crate) fn agent_row(r: &impl Get) -> Result<Agent> {
    let queues = r.with_opt_text("queues", |s| {
        serde_json::from_str::<Vec<String>>(s.unwrap_or("[]")).map_err(|e| StoreError::Corrupt(format!("agent queues: {e}")))
    })?;
    Ok(Agent {
        user_id: r.uuid("user_id")?,
        queues,
        daily_capacity: u32::try_from(r.int("daily_capacity")?).map_err(|_| StoreError::Corrupt("daily_capacity".into()))?,
        time_zone: r.text("time_zone")?,
    })
}

pub(crate) const AGENT_UPSERT: &str = "INSERT INTO agents (tenant_id, user_id, queues, daily_capacity, time_zone, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, user_id) DO UPDATE SET queues = excluded.queues, \
     daily_capacity = excluded.daily_capacity, time_zone = excluded.time_zone, updated_at = excluded.updated_at";

pub(crate) const WORK_UPSERT: &str = "INSERT INTO work_items (tenant_id, task_id, account_id, queue, agent_id, due_at, appointment, \
     expected_minor, delinquent_since, status, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
     ON CONFLICT (tenant_id, task_id) DO UPDATE SET queue = excluded.queue, agent_id = excluded.agent_id, due_at = excluded.due_at, \
     appointment = excluded.appointment, expected_minor = excluded.expected_minor, delinquent_since = excluded.delinquent_since, \
     status = excluded.status, reason = excluded.reason";

/// A finished or cancelled task frees its account at once, not when the lease ends.
pub(crate) const CLAIM_END_FOR_TASK: &str = "DELETE FROM work_claims WHERE tenant_id = $1 AND task_id = $2";

pub(crate) const WORK_COLS: &str = "w.task_id AS task_id, w.account_id AS account_id, a.external_ref AS external_ref, \
     a.currency AS currency, w.queue AS queue, w.agent_id AS agent_id, w.due_at AS due_at, w.appointment AS appointment, \
     w.expected_minor AS expected_minor, w.delinquent_since AS delinquent_since, w.reason AS reason, c.agent_id AS held_by";

/// `work_items w` with its account and its live claim; `$1` is the tenant, `$2` now.
pub(crate) const WORK_FROM: &str = "FROM work_items w JOIN accounts a ON a.tenant_id = w.tenant_id AND a.id = w.account_id \
     LEFT JOIN work_claims c ON c.tenant_id = w.tenant_id AND c.account_id = w.account_id AND c.expires_at > $2";

/// The worklist order of `recoup_domain::worklist::key`, in SQL; `$2` is now.
pub(crate) const WORK_ORDER: &str = "ORDER BY CASE WHEN w.due_at > $2 THEN 2 WHEN w.appointment THEN 0 ELSE 1 END, \
     CASE WHEN w.due_at > $2 OR w.appointment THEN w.due_at ELSE 0 END, w.expected_minor DESC, \
     w.delinquent_since IS NULL, w.delinquent_since, w.due_at, w.task_id";

pub(crate) fn work_row(r: &impl Get) -> Result<WorkItem> {
    Ok(WorkItem {
        task_id: r.uuid("task_id")?,
        account_id: r.uuid("account_id")?,
        external_ref: r.text("external_ref")?,
        currency: r.text("currency")?,
        queue: r.text("queue")?,
        agent_id: r.opt_uuid("agent_id")?,
        due_at: Timestamp::from_microsecond(r.int("due_at")?).map_err(|e| StoreError::Corrupt(format!("due_at: {e}")))?,
        appointment: r.boolean("appointment")?,
        expected_minor: r.int("expected_minor")?,
        delinquent_since: r.opt_date("delinquent_since")?,
        reason: r.text("reason")?,
        held_by: r.opt_uuid("held_by")?,
    })
}

/// The list query for `q`, in `$n` placeholders bound in this order: tenant, now, each queue,
/// the agent (when `q.agent_id` is set), and, when `handable`, the agent's day. Handable narrows
/// the list to what the agent can be handed now: due, nobody holds it, not skipped by them today.
pub(crate) fn list_sql(q: &WorkQuery, handable: bool) -> String {
    let mut sql = format!("SELECT {WORK_COLS} {WORK_FROM} WHERE w.tenant_id = $1 AND w.status = 'open' AND a.status = 'active'");
    let mut n = 2;
    if !q.queues.is_empty() {
        let marks: Vec<String> = (1..=q.queues.len()).map(|i| format!("${}", n + i)).collect();
        n += q.queues.len();
        sql.push_str(&format!(" AND w.queue IN ({})", marks.join(", ")));
    }
    if q.agent_id.is_some() {
        n += 1;
        sql.push_str(&format!(" AND (w.agent_id IS NULL OR w.agent_id = ${n})"));
        if handable {
            sql.push_str(&format!(
                " AND w.due_at <= $2 AND c.agent_id IS NULL AND NOT EXISTS (SELECT 1 FROM work_log l WHERE l.tenant_id = w.tenant_id \
                 AND l.agent_id = ${n} AND l.day = ${} AND l.action = 'skipped' AND l.account_id = w.account_id)",
                n + 1
            ));
        }
    }
    sql.push(' ');
    sql.push_str(WORK_ORDER);
    sql.push_str(&format!(" LIMIT {}", q.limit.clamp(1, 5_000)));
    sql
}

pub(crate) const HANDED_TODAY: &str =
    "SELECT COUNT(*) AS n FROM work_log WHERE tenant_id = $1 AND agent_id = $2 AND day = $3 AND action = 'handed'";

pub(crate) const HELD_BY_AGENT: &str =
    "SELECT account_id, task_id FROM work_claims WHERE tenant_id = $1 AND agent_id = $2 AND expires_at > $3 ORDER BY claimed_at LIMIT 1";

/// Holds the account for the agent, unless somebody's live claim is on it.
pub(crate) const CLAIM_TAKE: &str = "INSERT INTO work_claims (tenant_id, account_id, agent_id, task_id, claimed_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, account_id) DO UPDATE SET agent_id = excluded.agent_id, \
     task_id = excluded.task_id, claimed_at = excluded.claimed_at, expires_at = excluded.expires_at \
     WHERE work_claims.expires_at <= excluded.claimed_at";

pub(crate) const CLAIM_RENEW: &str = "UPDATE work_claims SET expires_at = $4 WHERE tenant_id = $1 AND agent_id = $2 AND account_id = $3";

pub(crate) const CLAIM_DROP: &str =
    "DELETE FROM work_claims WHERE tenant_id = $1 AND agent_id = $2 AND account_id = $3 AND expires_at > $4";

pub(crate) const LOG_INSERT: &str = "INSERT INTO work_log (tenant_id, id, agent_id, account_id, task_id, day, action, reason, at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

pub(crate) const REFRESH: &str = "UPDATE work_items SET expected_minor = $3, delinquent_since = $4 \
     WHERE tenant_id = $1 AND account_id = $2 AND status = 'open'";

/// The accounts among a range that have open work, to refresh only those.
pub(crate) const OPEN_ACCOUNTS_IN: &str =
    "SELECT DISTINCT account_id FROM work_items WHERE tenant_id = $1 AND status = 'open' AND account_id BETWEEN $2 AND $3";

/// The values for [`list_sql`], in its order.
pub(crate) fn list_binds(tenant_id: Uuid, q: &WorkQuery, day: Option<Date>) -> Vec<crate::listing::Bind> {
    use crate::listing::Bind;
    let mut binds = vec![Bind::Uuid(tenant_id), Bind::Int(q.now)];
    binds.extend(q.queues.iter().cloned().map(Bind::Text));
    if let Some(a) = q.agent_id {
        binds.push(Bind::Uuid(a));
        if let Some(d) = day {
            binds.push(Bind::Text(d.to_string()));
        }
    }
    binds
}

/// The query for what an agent can be handed next: their queues, due, free, not skipped today.
pub(crate) fn next_query(agent: &Agent, now: i64) -> WorkQuery {
    WorkQuery { queues: agent.queues.clone(), agent_id: Some(agent.user_id), now, limit: 20 }
}

/// The agent's day at `now` (UTC microseconds).
pub(crate) fn agent_day(agent: &Agent, now: i64) -> Date {
    agent.day(Timestamp::from_microsecond(now).unwrap_or(Timestamp::UNIX_EPOCH))
}
