//! Worklists on PostgreSQL, shared by many nodes. Handing out work locks the agent's row (one
//! hand-out per agent at a time) and takes the account with one conditional upsert: of two
//! agents reaching for the same account, the second waits for the first's commit, finds a live
//! claim, and moves on to its next candidate.

use super::{PgStore, all, append_audit, bind_all, one, sql};
use crate::worklist::*;
use crate::{Actor, Result, StoreError, ops};
use async_trait::async_trait;
use jiff::civil::Date;
use recoup_domain::worklist::Agent;
use sqlx::PgConnection;
use uuid::Uuid;

/// Writes a task's worklist row; a task no longer open frees its account.
pub(super) async fn put(c: &mut PgConnection, tenant_id: Uuid, w: &WorkEntry) -> Result<()> {
    sqlx::query(WORK_UPSERT)
        .bind(tenant_id)
        .bind(w.task_id)
        .bind(w.account_id)
        .bind(&w.queue)
        .bind(w.agent_id)
        .bind(w.due_at)
        .bind(w.appointment)
        .bind(w.expected_minor)
        .bind(w.delinquent_since.map(|d| d.to_string()))
        .bind(&w.status)
        .bind(&w.reason)
        .execute(&mut *c)
        .await?;
    if w.status != "open" {
        sqlx::query(CLAIM_END_FOR_TASK).bind(tenant_id).bind(w.task_id).execute(&mut *c).await?;
    }
    Ok(())
}

async fn agent_of(c: &mut PgConnection, tenant_id: Uuid, user_id: Uuid, lock: bool) -> Result<Option<Agent>> {
    let q = format!("SELECT {AGENT_COLS} FROM agents WHERE tenant_id = $1 AND user_id = $2{}", if lock { " FOR UPDATE" } else { "" });
    one(c, q, |q| q.bind(tenant_id).bind(user_id), agent_row).await
}

async fn list(c: &mut PgConnection, tenant_id: Uuid, wq: &WorkQuery, day: Option<Date>) -> Result<Vec<WorkItem>> {
    let rows = bind_all(sqlx::query(sql(list_sql(wq, day.is_some()))), list_binds(tenant_id, wq, day)).fetch_all(&mut *c).await?;
    rows.iter().map(work_row).collect()
}

async fn item(c: &mut PgConnection, tenant_id: Uuid, task_id: Uuid, now: i64) -> Result<Option<WorkItem>> {
    let q = format!("SELECT {WORK_COLS} {WORK_FROM} WHERE w.tenant_id = $1 AND w.task_id = $3 AND w.status = 'open'");
    one(c, q, |q| q.bind(tenant_id).bind(now).bind(task_id), work_row).await
}

#[allow(clippy::too_many_arguments)]
async fn log(
    c: &mut PgConnection,
    tenant_id: Uuid,
    agent: &Agent,
    account_id: Uuid,
    task_id: Option<Uuid>,
    action: &str,
    reason: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query(LOG_INSERT)
        .bind(tenant_id)
        .bind(Uuid::now_v7())
        .bind(agent.user_id)
        .bind(account_id)
        .bind(task_id)
        .bind(agent_day(agent, now).to_string())
        .bind(action)
        .bind(reason)
        .bind(now)
        .execute(&mut *c)
        .await?;
    Ok(())
}

async fn next(c: &mut PgConnection, tenant_id: Uuid, agent: &Agent, now: i64, lease_until: i64) -> Result<Next> {
    let held: Option<(Uuid, Uuid)> =
        sqlx::query_as(HELD_BY_AGENT).bind(tenant_id).bind(agent.user_id).bind(now).fetch_optional(&mut *c).await?;
    if let Some((account_id, task_id)) = held {
        if let Some(it) = item(c, tenant_id, task_id, now).await? {
            sqlx::query(CLAIM_RENEW).bind(tenant_id).bind(agent.user_id).bind(account_id).bind(lease_until).execute(&mut *c).await?;
            return Ok(Next::Holding(it));
        }
        sqlx::query(CLAIM_DROP).bind(tenant_id).bind(agent.user_id).bind(account_id).bind(now).execute(&mut *c).await?;
    }
    let day = agent_day(agent, now);
    let handed: i64 = sqlx::query_scalar(HANDED_TODAY).bind(tenant_id).bind(agent.user_id).bind(day.to_string()).fetch_one(&mut *c).await?;
    let handed = u32::try_from(handed).unwrap_or(u32::MAX);
    if handed >= agent.daily_capacity {
        return Ok(Next::AtCapacity { handed, capacity: agent.daily_capacity });
    }
    for it in list(c, tenant_id, &next_query(agent, now), Some(day)).await? {
        let took = sqlx::query(CLAIM_TAKE)
            .bind(tenant_id)
            .bind(it.account_id)
            .bind(agent.user_id)
            .bind(it.task_id)
            .bind(now)
            .bind(lease_until)
            .execute(&mut *c)
            .await?;
        if took.rows_affected() == 1 {
            log(c, tenant_id, agent, it.account_id, Some(it.task_id), "handed", None, now).await?;
            return Ok(Next::Handed(WorkItem { held_by: Some(agent.user_id), ..it }));
        }
    }
    Ok(Next::Empty)
}

#[async_trait]
impl Worklists for PgStore {
    async fn set_agent(&self, tenant_id: Uuid, agent: &Agent, actor: &Actor) -> Result<()> {
        check_agent(agent)?;
        let queues = serde_json::to_string(&agent.queues).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.pool.begin().await?;
        sqlx::query(AGENT_UPSERT)
            .bind(tenant_id)
            .bind(agent.user_id)
            .bind(queues)
            .bind(i64::from(agent.daily_capacity))
            .bind(&agent.time_zone)
            .bind(ops::now_micros())
            .execute(&mut *tx)
            .await?;
        append_audit(&mut tx, tenant_id, vec![agent_event(actor, agent)]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn agent(&self, tenant_id: Uuid, user_id: Uuid) -> Result<Option<Agent>> {
        let mut c = self.pool.acquire().await?;
        agent_of(&mut c, tenant_id, user_id, false).await
    }

    async fn agents(&self, tenant_id: Uuid) -> Result<Vec<Agent>> {
        let mut c = self.pool.acquire().await?;
        let q = format!("SELECT {AGENT_COLS} FROM agents WHERE tenant_id = $1 ORDER BY user_id");
        all(&mut c, q, |q| q.bind(tenant_id), agent_row).await
    }

    async fn worklist(&self, tenant_id: Uuid, wq: &WorkQuery) -> Result<Vec<WorkItem>> {
        let mut c = self.pool.acquire().await?;
        list(&mut c, tenant_id, wq, None).await
    }

    async fn next_work(&self, tenant_id: Uuid, agent_id: Uuid, now: i64, lease_until: i64) -> Result<Next> {
        let mut tx = self.pool.begin().await?;
        let agent = agent_of(&mut tx, tenant_id, agent_id, true).await?.ok_or_else(|| StoreError::not_found("agent", agent_id))?;
        let out = next(&mut tx, tenant_id, &agent, now, lease_until).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn skip_work(&self, tenant_id: Uuid, skip: &Skip, actor: &Actor) -> Result<()> {
        check_skip(skip)?;
        let mut tx = self.pool.begin().await?;
        let agent =
            agent_of(&mut tx, tenant_id, skip.agent_id, true).await?.ok_or_else(|| StoreError::not_found("agent", skip.agent_id))?;
        let dropped =
            sqlx::query(CLAIM_DROP).bind(tenant_id).bind(skip.agent_id).bind(skip.account_id).bind(skip.now).execute(&mut *tx).await?;
        if dropped.rows_affected() == 0 {
            return Err(StoreError::Refused("the agent does not hold this account".into()));
        }
        log(&mut tx, tenant_id, &agent, skip.account_id, None, "skipped", Some(skip.reason.trim()), skip.now).await?;
        append_audit(&mut tx, tenant_id, vec![skip_event(actor, skip)]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn release_work(&self, tenant_id: Uuid, agent_id: Uuid, account_id: Uuid, now: i64) -> Result<bool> {
        let done = sqlx::query(CLAIM_DROP).bind(tenant_id).bind(agent_id).bind(account_id).bind(now).execute(&self.pool).await?;
        Ok(done.rows_affected() == 1)
    }

    async fn refresh_expected(&self, tenant_id: Uuid, accounts: Vec<(Uuid, i64, Option<Date>)>) -> Result<()> {
        if accounts.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = accounts.iter().map(|a| a.0).collect();
        let expected: Vec<i64> = accounts.iter().map(|a| a.1).collect();
        let since: Vec<Option<String>> = accounts.iter().map(|a| a.2.map(|d| d.to_string())).collect();
        sqlx::query(
            "UPDATE work_items w SET expected_minor = u.e, delinquent_since = u.d \
             FROM UNNEST($2::uuid[], $3::bigint[], $4::text[]) AS u(a, e, d) \
             WHERE w.tenant_id = $1 AND w.account_id = u.a AND w.status = 'open'",
        )
        .bind(tenant_id)
        .bind(ids)
        .bind(expected)
        .bind(since)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
