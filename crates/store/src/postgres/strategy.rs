//! Strategies and daily runs on PostgreSQL. Batches are written with arrays (UNNEST), one
//! statement per table, so a batch costs a few round trips whatever its size.

use super::{PgStore, all, append_audit, ids, ints, one, opt_strs, sql, strs};
use crate::rows::Get;
use crate::strategy::*;
use crate::{Actor, Result, StoreError, ops};
use async_trait::async_trait;
use jiff::civil::Date;
use recoup_domain::strategy::Position;
use sqlx::PgConnection;
use uuid::Uuid;

async fn live_version(c: &mut PgConnection, tenant_id: Uuid) -> Result<Option<u32>> {
    let v: Option<i64> =
        sqlx::query_scalar("SELECT version FROM strategy_live WHERE tenant_id = $1").bind(tenant_id).fetch_optional(&mut *c).await?;
    Ok(v.and_then(|v| u32::try_from(v).ok()))
}

async fn set_live(c: &mut PgConnection, tenant_id: Uuid, version: u32) -> Result<()> {
    sqlx::query(
        "INSERT INTO strategy_live (tenant_id, version, since) VALUES ($1, $2, $3) \
         ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version, since = excluded.since",
    )
    .bind(tenant_id)
    .bind(i64::from(version))
    .bind(ops::now_micros())
    .execute(&mut *c)
    .await?;
    Ok(())
}

async fn one_version(c: &mut PgConnection, tenant_id: Uuid, version: u32) -> Result<Option<StoredStrategy>> {
    let live = live_version(c, tenant_id).await?;
    let q = format!("SELECT {STRATEGY_COLS} FROM strategies WHERE tenant_id = $1 AND version = $2");
    one(c, q, |q| q.bind(tenant_id).bind(i64::from(version)), |r| strategy_row(r, live)).await
}

#[async_trait]
impl Strategies for PgStore {
    async fn save_strategy(&self, tenant_id: Uuid, name: &str, body: &str, actor: &Actor) -> Result<StoredStrategy> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("strategy:{tenant_id}"))
            .execute(&mut *tx)
            .await?;
        let last: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0)::BIGINT FROM strategies WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_one(&mut *tx)
            .await?;
        let version = u32::try_from(last + 1).map_err(|_| StoreError::Corrupt("strategy versions".into()))?;
        let created_at = ops::now_micros();
        sqlx::query("INSERT INTO strategies (tenant_id, version, name, body, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6)")
            .bind(tenant_id)
            .bind(i64::from(version))
            .bind(name)
            .bind(body)
            .bind(&actor.0)
            .bind(created_at)
            .execute(&mut *tx)
            .await?;
        let first = live_version(&mut tx, tenant_id).await?.is_none();
        if first {
            set_live(&mut tx, tenant_id, version).await?;
        }
        let saved = StoredStrategy { version, name: name.into(), body: body.into(), created_by: actor.0.clone(), created_at, live: first };
        let mut events = vec![saved_event(actor, tenant_id, &saved)];
        if first {
            events.push(activated_event(actor, tenant_id, version));
        }
        append_audit(&mut tx, tenant_id, events).await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn strategy_versions(&self, tenant_id: Uuid) -> Result<Vec<StoredStrategy>> {
        let mut c = self.pool.acquire().await?;
        let live = live_version(&mut c, tenant_id).await?;
        let q = format!("SELECT {STRATEGY_COLS} FROM strategies WHERE tenant_id = $1 ORDER BY version DESC");
        all(&mut c, q, |q| q.bind(tenant_id), |r| strategy_row(r, live)).await
    }

    async fn strategy(&self, tenant_id: Uuid, version: Option<u32>) -> Result<Option<StoredStrategy>> {
        let mut c = self.pool.acquire().await?;
        let version = match version {
            Some(v) => Some(v),
            None => live_version(&mut c, tenant_id).await?,
        };
        match version {
            Some(v) => one_version(&mut c, tenant_id, v).await,
            None => Ok(None),
        }
    }

    async fn activate_strategy(&self, tenant_id: Uuid, version: u32, actor: &Actor) -> Result<StoredStrategy> {
        let mut tx = self.pool.begin().await?;
        if one_version(&mut tx, tenant_id, version).await?.is_none() {
            return Err(StoreError::not_found("strategy version", version));
        }
        set_live(&mut tx, tenant_id, version).await?;
        append_audit(&mut tx, tenant_id, vec![activated_event(actor, tenant_id, version)]).await?;
        let out = one_version(&mut tx, tenant_id, version).await?.ok_or_else(|| StoreError::not_found("strategy version", version))?;
        tx.commit().await?;
        Ok(out)
    }

    async fn run_batch(&self, tenant_id: Uuid, today: Date, after: Option<Uuid>, limit: u32) -> Result<Vec<RunInput>> {
        let mut c = self.pool.acquire().await?;
        let after = after.unwrap_or(Uuid::nil());
        let q = run_accounts_sql();
        let accounts = all(&mut c, q, |q| q.bind(tenant_id).bind(after).bind(i64::from(limit)), |r| run_account(r, today)).await?;
        let mut batch = BatchFacts::new(accounts);
        let Some((first, last)) = batch.range() else { return Ok(Vec::new()) };
        let [clients, portfolios, placements] = batch.owners();
        let mut o = Owners::default();
        let owned = |q: &str, ids: &[Uuid]| sqlx::query(sql(format!("{q} = ANY($2)"))).bind(tenant_id).bind(ids.to_vec());
        for r in owned(OWNER_CLIENTS, &clients).fetch_all(&mut *c).await? {
            o.clients.insert(r.uuid("id")?, r.text("code")?);
        }
        for r in owned(OWNER_PORTFOLIOS, &portfolios).fetch_all(&mut *c).await? {
            o.portfolios.insert(r.uuid("id")?, r.text("code")?);
        }
        for r in owned(OWNER_PLACEMENTS, &placements).fetch_all(&mut *c).await? {
            o.placed_on.insert(r.uuid("id")?, r.opt_date("placed_on")?);
        }
        batch.set_owners(&o)?;
        let range = |q: String| sqlx::query(sql(q)).bind(tenant_id).bind(first).bind(last);
        for r in range(run_parties_sql()).fetch_all(&mut *c).await? {
            batch.add_party(&r, &self.keys)?;
        }
        for r in range(run_points_sql()).fetch_all(&mut *c).await? {
            batch.add_point(r.uuid("linked_account")?, crate::rows::contact_point(&r)?);
        }
        let q = format!(
            "SELECT {FACT_RECORD_COLS} FROM servicing_records \
             WHERE tenant_id = $1 AND account_id BETWEEN $2 AND $3 AND kind IN {FACT_RECORD_KINDS}"
        );
        for r in range(q).fetch_all(&mut *c).await? {
            if let Some(f) = batch.facts(r.uuid("account_id")?) {
                add_record(f, &r)?;
            }
        }
        let q = format!("SELECT {POSITION_COLS} FROM strategy_positions WHERE tenant_id = $1 AND account_id BETWEEN $2 AND $3");
        for r in range(q).fetch_all(&mut *c).await? {
            batch.set_position(position_row(&r)?);
        }
        Ok(batch.finish())
    }

    async fn save_run_batch(&self, tenant_id: Uuid, version: u32, decided: Vec<Decided>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let kept: Vec<(Uuid, &Position)> = decided.iter().filter_map(|d| d.position.as_ref().map(|p| (d.account_id, p))).collect();
        let kept: Vec<&(Uuid, &Position)> = kept.iter().collect();
        let gone: Vec<Uuid> = decided.iter().filter(|d| d.position.is_none()).map(|d| d.account_id).collect();
        if !kept.is_empty() {
            sqlx::query(
                "INSERT INTO strategy_positions (tenant_id, account_id, version, segment, origin, arm, entered_on, next_step, \
                 last_step_on, stopped, last_run_on) \
                 SELECT $1, * FROM UNNEST($2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], \
                 $9::text[], $10::text[], $11::text[]) \
                 ON CONFLICT (tenant_id, account_id) DO UPDATE SET version = excluded.version, segment = excluded.segment, \
                 origin = excluded.origin, arm = excluded.arm, entered_on = excluded.entered_on, next_step = excluded.next_step, \
                 last_step_on = excluded.last_step_on, stopped = excluded.stopped, last_run_on = excluded.last_run_on",
            )
            .bind(tenant_id)
            .bind(ids(&kept, |(a, _)| *a))
            .bind(ints(&kept, |_| i64::from(version)))
            .bind(strs(&kept, |(_, p)| p.segment.clone()))
            .bind(strs(&kept, |(_, p)| p.origin.clone()))
            .bind(strs(&kept, |(_, p)| p.arm.clone()))
            .bind(strs(&kept, |(_, p)| p.entered_on.to_string()))
            .bind(ints(&kept, |(_, p)| p.next_step as i64))
            .bind(opt_strs(&kept, |(_, p)| p.last_step_on.map(|d| d.to_string())))
            .bind(opt_strs(&kept, |(_, p)| p.stopped.clone()))
            .bind(strs(&kept, |(_, p)| p.last_run_on.to_string()))
            .execute(&mut *tx)
            .await?;
        }
        if !gone.is_empty() {
            sqlx::query("DELETE FROM strategy_positions WHERE tenant_id = $1 AND account_id = ANY($2)")
                .bind(tenant_id)
                .bind(&gone)
                .execute(&mut *tx)
                .await?;
        }
        let members = joined(&decided);
        if !members.is_empty() {
            sqlx::query(
                "INSERT INTO experiment_members (tenant_id, experiment, account_id, arm, segment, version, joined_on) \
                 SELECT $1, e, a, arm, s, $5, j FROM UNNEST($2::text[], $3::uuid[], $4::text[], $6::text[], $7::text[]) AS u(e, a, arm, s, j) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(tenant_id)
            .bind(members.iter().map(|m| m.1.to_string()).collect::<Vec<_>>())
            .bind(members.iter().map(|m| m.0).collect::<Vec<_>>())
            .bind(members.iter().map(|m| m.2.arm.clone()).collect::<Vec<_>>())
            .bind(i64::from(version))
            .bind(members.iter().map(|m| m.2.segment.clone()).collect::<Vec<_>>())
            .bind(members.iter().map(|m| m.2.entered_on.to_string()).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
        }
        let acts: Vec<&StrategyAction> = decided.iter().filter_map(|d| d.action.as_ref()).collect();
        if !acts.is_empty() {
            sqlx::query(sql(format!(
                "INSERT INTO strategy_actions (tenant_id, {ACTION_COLS}, created_at) \
                 SELECT $1, *, $17 FROM UNNEST($2::uuid[], $3::uuid[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], \
                 $9::bigint[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::uuid[]) \
                 ON CONFLICT DO NOTHING"
            )))
            .bind(tenant_id)
            .bind(ids(&acts, |a| a.id))
            .bind(ids(&acts, |a| a.account_id))
            .bind(strs(&acts, |a| a.run_on.to_string()))
            .bind(ints(&acts, |a| i64::from(a.version)))
            .bind(strs(&acts, |a| a.segment.clone()))
            .bind(strs(&acts, |a| a.arm.clone()))
            .bind(strs(&acts, |a| a.treatment.clone()))
            .bind(ints(&acts, |a| i64::from(a.step)))
            .bind(strs(&acts, |a| a.action.clone()))
            .bind(opt_strs(&acts, |a| a.template.clone()))
            .bind(opt_strs(&acts, |a| a.queue.clone()))
            .bind(strs(&acts, |a| a.entered_on.to_string()))
            .bind(strs(&acts, |a| a.status.as_str().to_string()))
            .bind(opt_strs(&acts, |a| a.detail.clone()))
            .bind(acts.iter().map(|a| a.result_id).collect::<Vec<_>>())
            .bind(ops::now_micros())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn strategy_actions(&self, tenant_id: Uuid, q: &ActionQuery) -> Result<Vec<StrategyAction>> {
        let mut c = self.pool.acquire().await?;
        let sql = format!(
            "SELECT {ACTION_COLS} FROM strategy_actions WHERE tenant_id = $1 AND ($2::text IS NULL OR run_on = $2) \
             AND ($3::text IS NULL OR status = $3) AND ($4::uuid IS NULL OR account_id = $4) AND id > $5 ORDER BY id LIMIT $6"
        );
        let (run_on, status) = (q.run_on.map(|d| d.to_string()), q.status.map(|s| s.as_str()));
        let (account, after, limit) = (q.account_id, q.after.unwrap_or(Uuid::nil()), i64::from(q.limit));
        all(&mut c, sql, |q| q.bind(tenant_id).bind(run_on).bind(status).bind(account).bind(after).bind(limit), action_row).await
    }

    async fn finish_actions(&self, tenant_id: Uuid, finished: Vec<FinishedAction>) -> Result<()> {
        if finished.is_empty() {
            return Ok(());
        }
        let rows: Vec<&FinishedAction> = finished.iter().collect();
        sqlx::query(
            "UPDATE strategy_actions a SET status = u.status, detail = u.detail, result_id = u.result_id \
             FROM UNNEST($2::uuid[], $3::text[], $4::text[], $5::uuid[]) AS u (id, status, detail, result_id) \
             WHERE a.tenant_id = $1 AND a.id = u.id",
        )
        .bind(tenant_id)
        .bind(ids(&rows, |f| f.id))
        .bind(strs(&rows, |f| f.status.as_str().to_string()))
        .bind(opt_strs(&rows, |f| f.detail.clone()))
        .bind(rows.iter().map(|f| f.result_id).collect::<Vec<_>>())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn run_schedule(&self, tenant_id: Uuid) -> Result<Option<RunSchedule>> {
        let mut c = self.pool.acquire().await?;
        one(&mut c, "SELECT run_at, time_zone FROM strategy_schedules WHERE tenant_id = $1".into(), |q| q.bind(tenant_id), schedule_row)
            .await
    }

    async fn run_schedules(&self) -> Result<Vec<(Uuid, RunSchedule)>> {
        let mut c = self.pool.acquire().await?;
        all(&mut c, SCHEDULES_ALL.into(), |q| q, tenant_schedule_row).await
    }

    async fn set_run_schedule(&self, tenant_id: Uuid, schedule: Option<&RunSchedule>, actor: &Actor) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        match schedule {
            Some(s) => {
                sqlx::query(
                    "INSERT INTO strategy_schedules (tenant_id, run_at, time_zone) VALUES ($1, $2, $3) \
                     ON CONFLICT (tenant_id) DO UPDATE SET run_at = excluded.run_at, time_zone = excluded.time_zone",
                )
                .bind(tenant_id)
                .bind(s.run_at.strftime("%H:%M").to_string())
                .bind(&s.time_zone)
                .execute(&mut *tx)
                .await?
            }
            None => sqlx::query("DELETE FROM strategy_schedules WHERE tenant_id = $1").bind(tenant_id).execute(&mut *tx).await?,
        };
        append_audit(&mut tx, tenant_id, vec![schedule_event(actor, tenant_id, schedule)]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn claim_run(&self, tenant_id: Uuid, run_on: Date, node: &str, lease_until: i64, now: i64) -> Result<Claim> {
        let day = run_on.to_string();
        let attempt = |q: &'static str| sqlx::query(q).bind(tenant_id).bind(day.clone()).bind(node.to_string()).bind(lease_until).bind(now);
        // Each statement is atomic on its row: of two nodes, one inserts or takes over, the
        // other finds the row held.
        if attempt(CLAIM_INSERT).execute(&self.pool).await?.rows_affected() == 1
            || attempt(CLAIM_TAKEOVER).execute(&self.pool).await?.rows_affected() == 1
        {
            return Ok(Claim::Claimed);
        }
        let row: Option<(String, String)> = sqlx::query_as("SELECT status, node FROM strategy_runs WHERE tenant_id = $1 AND run_on = $2")
            .bind(tenant_id)
            .bind(&day)
            .fetch_optional(&self.pool)
            .await?;
        Ok(claim_of(row))
    }

    async fn renew_run(&self, tenant_id: Uuid, run_on: Date, node: &str, lease_until: i64) -> Result<bool> {
        let done = sqlx::query(RUN_RENEW).bind(tenant_id).bind(run_on.to_string()).bind(node).bind(lease_until).execute(&self.pool).await?;
        Ok(done.rows_affected() == 1)
    }

    async fn finish_run(&self, tenant_id: Uuid, run_on: Date, node: &str, outcome: RunEnd) -> Result<()> {
        let now = ops::now_micros();
        let (status, lease, report) = match outcome {
            RunEnd::Finished { report } => ("finished", now, report),
            RunEnd::Failed { error, retry_at } => ("failed", retry_at, error),
        };
        sqlx::query(RUN_FINISH)
            .bind(tenant_id)
            .bind(run_on.to_string())
            .bind(node)
            .bind(status)
            .bind(lease)
            .bind(now)
            .bind(report)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn strategy_run(&self, tenant_id: Uuid, run_on: Date) -> Result<Option<ScheduledRun>> {
        let mut c = self.pool.acquire().await?;
        one(&mut c, RUN_READ.into(), |q| q.bind(tenant_id).bind(run_on.to_string()), run_row).await
    }
}

#[async_trait]
impl crate::experiment::Experiments for PgStore {
    async fn experiment_tally(&self, tenant_id: Uuid, experiment: &str, to: Date) -> Result<Vec<recoup_domain::experiment::ArmTally>> {
        use crate::experiment::{Gathering, MEMBER_RECORDS, MEMBERS_BY_ARM};
        let mut g = Gathering::new(to);
        let day = to.to_string();
        let mut c = self.pool.acquire().await?;
        for r in sqlx::query(MEMBERS_BY_ARM).bind(tenant_id).bind(experiment).bind(&day).fetch_all(&mut *c).await? {
            g.add_members(&r)?;
        }
        for r in sqlx::query(MEMBER_RECORDS).bind(tenant_id).bind(experiment).bind(&day).fetch_all(&mut *c).await? {
            g.add_record(&r)?;
        }
        Ok(g.finish())
    }

    async fn experiment_accounts(&self, tenant_id: Uuid, experiment: &str) -> Result<Vec<(Uuid, String)>> {
        Ok(sqlx::query_as(crate::experiment::MEMBERS).bind(tenant_id).bind(experiment).fetch_all(&self.pool).await?)
    }
}
