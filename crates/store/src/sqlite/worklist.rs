//! Worklists on SQLite. The single writer makes handing out work trivially exclusive; the claim
//! statement is still the one PostgreSQL relies on, so both behave alike.

use super::{SqliteStore, append_audit, query_all, query_one};
use crate::rows::Get;
use crate::worklist::*;
use crate::{Actor, Result, StoreError, ops};
use async_trait::async_trait;
use jiff::civil::Date;
use recoup_domain::worklist::Agent;
use rusqlite::{Connection, Transaction, params, params_from_iter};
use uuid::Uuid;

fn q(s: &str) -> String {
    s.replace('$', "?")
}

/// Writes a task's worklist row; a task no longer open frees its account.
pub(super) fn put(tx: &Transaction, tenant_id: Uuid, w: &WorkEntry) -> Result<()> {
    tx.prepare_cached(&q(WORK_UPSERT))?.execute(params![
        tenant_id,
        w.task_id,
        w.account_id,
        w.queue,
        w.agent_id,
        w.due_at,
        w.appointment,
        w.expected_minor,
        w.delinquent_since.map(|d| d.to_string()),
        w.status,
        w.reason
    ])?;
    if w.status != "open" {
        tx.prepare_cached(&q(CLAIM_END_FOR_TASK))?.execute(params![tenant_id, w.task_id])?;
    }
    Ok(())
}

fn agent_of(c: &Connection, tenant_id: Uuid, user_id: Uuid) -> Result<Option<Agent>> {
    let sql = format!("SELECT {AGENT_COLS} FROM agents WHERE tenant_id = ? AND user_id = ?");
    query_one(c, &sql, params![tenant_id, user_id], |r| agent_row(r))
}

fn list(c: &Connection, tenant_id: Uuid, wq: &WorkQuery, day: Option<Date>) -> Result<Vec<WorkItem>> {
    let sql = q(&list_sql(wq, day.is_some()));
    query_all(c, &sql, params_from_iter(list_binds(tenant_id, wq, day).iter()), |r| work_row(r))
}

fn item(c: &Connection, tenant_id: Uuid, task_id: Uuid, now: i64) -> Result<Option<WorkItem>> {
    let sql = q(&format!("SELECT {WORK_COLS} {WORK_FROM} WHERE w.tenant_id = $1 AND w.task_id = $3 AND w.status = 'open'"));
    query_one(c, &sql, params![tenant_id, now, task_id], |r| work_row(r))
}

#[allow(clippy::too_many_arguments)]
fn log(
    tx: &Transaction,
    tenant_id: Uuid,
    agent: &Agent,
    account_id: Uuid,
    task_id: Option<Uuid>,
    action: &str,
    reason: Option<&str>,
    now: i64,
) -> Result<()> {
    let day = agent_day(agent, now).to_string();
    tx.prepare_cached(&q(LOG_INSERT))?.execute(params![
        tenant_id,
        Uuid::now_v7(),
        agent.user_id,
        account_id,
        task_id,
        day,
        action,
        reason,
        now
    ])?;
    Ok(())
}

fn next(tx: &Transaction, tenant_id: Uuid, agent: &Agent, now: i64, lease_until: i64) -> Result<Next> {
    let held =
        query_one(tx, &q(HELD_BY_AGENT), params![tenant_id, agent.user_id, now], |r| Ok((r.uuid("account_id")?, r.uuid("task_id")?)))?;
    if let Some((account_id, task_id)) = held {
        if let Some(it) = item(tx, tenant_id, task_id, now)? {
            tx.execute(&q(CLAIM_RENEW), params![tenant_id, agent.user_id, account_id, lease_until])?;
            return Ok(Next::Holding(it));
        }
        tx.execute(&q(CLAIM_DROP), params![tenant_id, agent.user_id, account_id, now])?;
    }
    let day = agent_day(agent, now);
    let handed: i64 = tx.query_row(&q(HANDED_TODAY), params![tenant_id, agent.user_id, day.to_string()], |r| r.get(0))?;
    let handed = u32::try_from(handed).unwrap_or(u32::MAX);
    if handed >= agent.daily_capacity {
        return Ok(Next::AtCapacity { handed, capacity: agent.daily_capacity });
    }
    for it in list(tx, tenant_id, &next_query(agent, now), Some(day))? {
        if tx.execute(&q(CLAIM_TAKE), params![tenant_id, it.account_id, agent.user_id, it.task_id, now, lease_until])? == 1 {
            log(tx, tenant_id, agent, it.account_id, Some(it.task_id), "handed", None, now)?;
            return Ok(Next::Handed(WorkItem { held_by: Some(agent.user_id), ..it }));
        }
    }
    Ok(Next::Empty)
}

#[async_trait]
impl Worklists for SqliteStore {
    async fn set_agent(&self, tenant_id: Uuid, agent: &Agent, actor: &Actor) -> Result<()> {
        check_agent(agent)?;
        let (agent, actor) = (agent.clone(), actor.clone());
        self.tx(move |tx| {
            let queues = serde_json::to_string(&agent.queues).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            tx.execute(
                &q(AGENT_UPSERT),
                params![tenant_id, agent.user_id, queues, agent.daily_capacity, agent.time_zone, ops::now_micros()],
            )?;
            append_audit(tx, tenant_id, vec![agent_event(&actor, &agent)])
        })
        .await
    }

    async fn agent(&self, tenant_id: Uuid, user_id: Uuid) -> Result<Option<Agent>> {
        self.read(move |c| agent_of(c, tenant_id, user_id)).await
    }

    async fn agents(&self, tenant_id: Uuid) -> Result<Vec<Agent>> {
        let sql = format!("SELECT {AGENT_COLS} FROM agents WHERE tenant_id = ? ORDER BY user_id");
        self.read(move |c| query_all(c, &sql, params![tenant_id], |r| agent_row(r))).await
    }

    async fn worklist(&self, tenant_id: Uuid, wq: &WorkQuery) -> Result<Vec<WorkItem>> {
        let wq = wq.clone();
        self.read(move |c| list(c, tenant_id, &wq, None)).await
    }

    async fn next_work(&self, tenant_id: Uuid, agent_id: Uuid, now: i64, lease_until: i64) -> Result<Next> {
        self.tx(move |tx| {
            let agent = agent_of(tx, tenant_id, agent_id)?.ok_or_else(|| StoreError::not_found("agent", agent_id))?;
            next(tx, tenant_id, &agent, now, lease_until)
        })
        .await
    }

    async fn skip_work(&self, tenant_id: Uuid, skip: &Skip, actor: &Actor) -> Result<()> {
        check_skip(skip)?;
        let (skip, actor) = (skip.clone(), actor.clone());
        self.tx(move |tx| {
            let agent = agent_of(tx, tenant_id, skip.agent_id)?.ok_or_else(|| StoreError::not_found("agent", skip.agent_id))?;
            if tx.execute(&q(CLAIM_DROP), params![tenant_id, skip.agent_id, skip.account_id, skip.now])? == 0 {
                return Err(StoreError::Refused("the agent does not hold this account".into()));
            }
            log(tx, tenant_id, &agent, skip.account_id, None, "skipped", Some(skip.reason.trim()), skip.now)?;
            append_audit(tx, tenant_id, vec![skip_event(&actor, &skip)])
        })
        .await
    }

    async fn release_work(&self, tenant_id: Uuid, agent_id: Uuid, account_id: Uuid, now: i64) -> Result<bool> {
        self.tx(move |tx| Ok(tx.execute(&q(CLAIM_DROP), params![tenant_id, agent_id, account_id, now])? == 1)).await
    }

    async fn refresh_expected(&self, tenant_id: Uuid, accounts: Vec<(Uuid, i64, Option<Date>)>) -> Result<()> {
        let (Some(lo), Some(hi)) = (accounts.iter().map(|a| a.0).min(), accounts.iter().map(|a| a.0).max()) else {
            return Ok(());
        };
        self.tx(move |tx| {
            let open: std::collections::HashSet<Uuid> =
                query_all(tx, &q(OPEN_ACCOUNTS_IN), params![tenant_id, lo, hi], |r| r.uuid("account_id"))?.into_iter().collect();
            let mut stmt = tx.prepare_cached(&q(REFRESH))?;
            for (account_id, expected, since) in accounts.iter().filter(|a| open.contains(&a.0)) {
                stmt.execute(params![tenant_id, account_id, expected, since.map(|d| d.to_string())])?;
            }
            Ok(())
        })
        .await
    }
}
