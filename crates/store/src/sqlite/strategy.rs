//! Strategies and daily runs on SQLite.

use super::{SqliteStore, append_audit, query_all, query_each, query_one};
use crate::rows::Get;
use crate::strategy::*;
use crate::{Actor, Result, StoreError, ops};
use async_trait::async_trait;
use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

fn live_version(c: &Connection, tenant_id: Uuid) -> Result<Option<u32>> {
    let v: Option<i64> =
        c.query_row("SELECT version FROM strategy_live WHERE tenant_id = ?", params![tenant_id], |r| r.get(0)).optional()?;
    Ok(v.and_then(|v| u32::try_from(v).ok()))
}

fn set_live(c: &Connection, tenant_id: Uuid, version: u32) -> Result<()> {
    c.execute(
        "INSERT INTO strategy_live (tenant_id, version, since) VALUES (?, ?, ?) \
         ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version, since = excluded.since",
        params![tenant_id, version, ops::now_micros()],
    )?;
    Ok(())
}

fn one_version(c: &Connection, tenant_id: Uuid, version: u32) -> Result<Option<StoredStrategy>> {
    let live = live_version(c, tenant_id)?;
    let sql = format!("SELECT {STRATEGY_COLS} FROM strategies WHERE tenant_id = ? AND version = ?");
    query_one(c, &sql, params![tenant_id, version], |r| strategy_row(r, live))
}

/// The codes and placement days a batch's facts name, in three small reads.
fn owners(c: &Connection, tenant_id: Uuid, [clients, portfolios, placements]: [Vec<Uuid>; 3]) -> Result<Owners> {
    let mut o = Owners::default();
    let read = |sql: &str, ids: &[Uuid], f: &mut dyn FnMut(&super::Named) -> Result<()>| {
        let (marks, binds) = super::in_list(tenant_id, ids);
        query_each(c, &format!("{} IN ({marks})", sql.replace('$', "?")), rusqlite::params_from_iter(binds), f)
    };
    read(OWNER_CLIENTS, &clients, &mut |r| {
        o.clients.insert(r.uuid("id")?, r.text("code")?);
        Ok(())
    })?;
    read(OWNER_PORTFOLIOS, &portfolios, &mut |r| {
        o.portfolios.insert(r.uuid("id")?, r.text("code")?);
        Ok(())
    })?;
    read(OWNER_PLACEMENTS, &placements, &mut |r| {
        o.placed_on.insert(r.uuid("id")?, r.opt_date("placed_on")?);
        Ok(())
    })?;
    Ok(o)
}

#[async_trait]
impl Strategies for SqliteStore {
    async fn save_strategy(&self, tenant_id: Uuid, name: &str, body: &str, actor: &Actor) -> Result<StoredStrategy> {
        let (name, body, actor) = (name.to_string(), body.to_string(), actor.clone());
        self.tx(move |tx| {
            let last: i64 =
                tx.query_row("SELECT COALESCE(MAX(version), 0) FROM strategies WHERE tenant_id = ?", params![tenant_id], |r| r.get(0))?;
            let version = u32::try_from(last + 1).map_err(|_| StoreError::Corrupt("strategy versions".into()))?;
            let created_at = ops::now_micros();
            tx.execute(
                "INSERT INTO strategies (tenant_id, version, name, body, created_by, created_at) VALUES (?,?,?,?,?,?)",
                params![tenant_id, version, name, body, actor.0, created_at],
            )?;
            let first = live_version(tx, tenant_id)?.is_none();
            if first {
                set_live(tx, tenant_id, version)?;
            }
            let saved = StoredStrategy { version, name, body, created_by: actor.0.clone(), created_at, live: first };
            let mut events = vec![saved_event(&actor, tenant_id, &saved)];
            if first {
                events.push(activated_event(&actor, tenant_id, version));
            }
            append_audit(tx, tenant_id, events)?;
            Ok(saved)
        })
        .await
    }

    async fn strategy_versions(&self, tenant_id: Uuid) -> Result<Vec<StoredStrategy>> {
        self.read(move |c| {
            let live = live_version(c, tenant_id)?;
            let sql = format!("SELECT {STRATEGY_COLS} FROM strategies WHERE tenant_id = ? ORDER BY version DESC");
            query_all(c, &sql, params![tenant_id], |r| strategy_row(r, live))
        })
        .await
    }

    async fn strategy(&self, tenant_id: Uuid, version: Option<u32>) -> Result<Option<StoredStrategy>> {
        self.read(move |c| match version.map_or_else(|| live_version(c, tenant_id), |v| Ok(Some(v)))? {
            Some(v) => one_version(c, tenant_id, v),
            None => Ok(None),
        })
        .await
    }

    async fn activate_strategy(&self, tenant_id: Uuid, version: u32, actor: &Actor) -> Result<StoredStrategy> {
        let actor = actor.clone();
        self.tx(move |tx| {
            if one_version(tx, tenant_id, version)?.is_none() {
                return Err(StoreError::not_found("strategy version", version));
            }
            set_live(tx, tenant_id, version)?;
            append_audit(tx, tenant_id, vec![activated_event(&actor, tenant_id, version)])?;
            one_version(tx, tenant_id, version)?.ok_or_else(|| StoreError::not_found("strategy version", version))
        })
        .await
    }

    async fn run_batch(&self, tenant_id: Uuid, today: Date, after: Option<Uuid>, limit: u32) -> Result<Vec<RunInput>> {
        let keys = self.keys();
        self.read(move |c| {
            let sql = run_accounts_sql().replace('$', "?");
            let after = after.unwrap_or(Uuid::nil());
            let accounts = query_all(c, &sql, params![tenant_id, after, limit], |r| run_account(r, today))?;
            let mut batch = BatchFacts::new(accounts);
            let Some((first, last)) = batch.range() else { return Ok(Vec::new()) };
            batch.set_owners(&owners(c, tenant_id, batch.owners())?)?;
            query_each(c, &run_parties_sql().replace('$', "?"), params![tenant_id, first, last], |r| batch.add_party(r, &keys))?;
            query_each(c, &run_points_sql().replace('$', "?"), params![tenant_id, first, last], |r| {
                batch.add_point(r.uuid("linked_account")?, crate::rows::contact_point(r)?);
                Ok(())
            })?;
            let sql = format!(
                "SELECT {FACT_RECORD_COLS} FROM servicing_records \
                 WHERE tenant_id = ? AND account_id BETWEEN ? AND ? AND kind IN {FACT_RECORD_KINDS}"
            );
            query_each(c, &sql, params![tenant_id, first, last], |r| match batch.facts(r.uuid("account_id")?) {
                Some(f) => add_record(f, r),
                None => Ok(()),
            })?;
            let sql = format!("SELECT {POSITION_COLS} FROM strategy_positions WHERE tenant_id = ? AND account_id BETWEEN ? AND ?");
            query_each(c, &sql, params![tenant_id, first, last], |r| {
                batch.set_position(position_row(r)?);
                Ok(())
            })?;
            Ok(batch.finish())
        })
        .await
    }

    async fn save_run_batch(&self, tenant_id: Uuid, version: u32, decided: Vec<Decided>) -> Result<()> {
        self.tx(move |tx| {
            let mut put = tx.prepare_cached(&format!(
                "INSERT INTO strategy_positions (tenant_id, {POSITION_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?) \
                 ON CONFLICT (tenant_id, account_id) DO UPDATE SET version = excluded.version, segment = excluded.segment, \
                 origin = excluded.origin, arm = excluded.arm, entered_on = excluded.entered_on, next_step = excluded.next_step, \
                 last_step_on = excluded.last_step_on, stopped = excluded.stopped, last_run_on = excluded.last_run_on"
            ))?;
            let mut gone = tx.prepare_cached("DELETE FROM strategy_positions WHERE tenant_id = ? AND account_id = ?")?;
            let mut act = tx.prepare_cached(&format!(
                "INSERT INTO strategy_actions (tenant_id, {ACTION_COLS}, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) \
                 ON CONFLICT DO NOTHING"
            ))?;
            let mut join = tx.prepare_cached(&MEMBER_INSERT.replace('$', "?"))?;
            for (account_id, experiment, p) in joined(&decided) {
                join.execute(params![tenant_id, experiment, account_id, p.arm, p.segment, version, p.entered_on.to_string()])?;
            }
            let now = ops::now_micros();
            for d in &decided {
                match &d.position {
                    Some(p) => put.execute(params![
                        tenant_id,
                        d.account_id,
                        version,
                        p.segment,
                        p.origin,
                        p.arm,
                        p.entered_on.to_string(),
                        p.next_step as i64,
                        p.last_step_on.map(|d| d.to_string()),
                        p.stopped,
                        p.last_run_on.to_string()
                    ])?,
                    None => gone.execute(params![tenant_id, d.account_id])?,
                };
                if let Some(a) = &d.action {
                    act.execute(params![
                        tenant_id,
                        a.id,
                        a.account_id,
                        a.run_on.to_string(),
                        a.version,
                        a.segment,
                        a.arm,
                        a.treatment,
                        a.step,
                        a.action,
                        a.template,
                        a.queue,
                        a.entered_on.to_string(),
                        a.status.as_str(),
                        a.detail,
                        a.result_id,
                        now
                    ])?;
                }
            }
            Ok(())
        })
        .await
    }

    async fn strategy_actions(&self, tenant_id: Uuid, q: &ActionQuery) -> Result<Vec<StrategyAction>> {
        let q = q.clone();
        self.read(move |c| {
            let sql = format!(
                "SELECT {ACTION_COLS} FROM strategy_actions WHERE tenant_id = ? AND (? IS NULL OR run_on = ?) \
                 AND (? IS NULL OR status = ?) AND (? IS NULL OR account_id = ?) AND id > ? ORDER BY id LIMIT ?"
            );
            let run_on = q.run_on.map(|d| d.to_string());
            let status = q.status.map(|s| s.as_str());
            let after = q.after.unwrap_or(Uuid::nil());
            query_all(c, &sql, params![tenant_id, run_on, run_on, status, status, q.account_id, q.account_id, after, q.limit], |r| {
                action_row(r)
            })
        })
        .await
    }

    async fn finish_actions(&self, tenant_id: Uuid, finished: Vec<FinishedAction>) -> Result<()> {
        self.tx(move |tx| {
            let mut update =
                tx.prepare_cached("UPDATE strategy_actions SET status = ?, detail = ?, result_id = ? WHERE tenant_id = ? AND id = ?")?;
            for f in &finished {
                update.execute(params![f.status.as_str(), f.detail, f.result_id, tenant_id, f.id])?;
            }
            Ok(())
        })
        .await
    }

    async fn run_schedule(&self, tenant_id: Uuid) -> Result<Option<RunSchedule>> {
        self.read(move |c| {
            query_one(c, "SELECT run_at, time_zone FROM strategy_schedules WHERE tenant_id = ?", params![tenant_id], |r| schedule_row(r))
        })
        .await
    }

    async fn run_schedules(&self) -> Result<Vec<(Uuid, RunSchedule)>> {
        self.read(move |c| query_all(c, SCHEDULES_ALL, [], |r| tenant_schedule_row(r))).await
    }

    async fn set_run_schedule(&self, tenant_id: Uuid, schedule: Option<&RunSchedule>, actor: &Actor) -> Result<()> {
        let (schedule, actor) = (schedule.cloned(), actor.clone());
        self.tx(move |tx| {
            match &schedule {
                Some(s) => tx.execute(
                    "INSERT INTO strategy_schedules (tenant_id, run_at, time_zone) VALUES (?, ?, ?) \
                     ON CONFLICT (tenant_id) DO UPDATE SET run_at = excluded.run_at, time_zone = excluded.time_zone",
                    params![tenant_id, s.run_at.strftime("%H:%M").to_string(), s.time_zone],
                )?,
                None => tx.execute("DELETE FROM strategy_schedules WHERE tenant_id = ?", params![tenant_id])?,
            };
            append_audit(tx, tenant_id, vec![schedule_event(&actor, tenant_id, schedule.as_ref())])
        })
        .await
    }

    async fn claim_run(&self, tenant_id: Uuid, run_on: Date, node: &str, lease_until: i64, now: i64) -> Result<Claim> {
        let node = node.to_string();
        self.tx(move |tx| {
            let day = run_on.to_string();
            let args = params![tenant_id, day, node, lease_until, now];
            if tx.execute(&CLAIM_INSERT.replace('$', "?"), args)? == 1 || tx.execute(&CLAIM_TAKEOVER.replace('$', "?"), args)? == 1 {
                return Ok(Claim::Claimed);
            }
            let row = tx
                .query_row("SELECT status, node FROM strategy_runs WHERE tenant_id = ? AND run_on = ?", params![tenant_id, day], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .optional()?;
            Ok(claim_of(row))
        })
        .await
    }

    async fn renew_run(&self, tenant_id: Uuid, run_on: Date, node: &str, lease_until: i64) -> Result<bool> {
        let node = node.to_string();
        self.tx(move |tx| Ok(tx.execute(&RUN_RENEW.replace('$', "?"), params![tenant_id, run_on.to_string(), node, lease_until])? == 1))
            .await
    }

    async fn finish_run(&self, tenant_id: Uuid, run_on: Date, node: &str, outcome: RunEnd) -> Result<()> {
        let node = node.to_string();
        let now = ops::now_micros();
        let (status, lease, report) = match outcome {
            RunEnd::Finished { report } => ("finished", now, report),
            RunEnd::Failed { error, retry_at } => ("failed", retry_at, error),
        };
        self.tx(move |tx| {
            tx.execute(&RUN_FINISH.replace('$', "?"), params![tenant_id, run_on.to_string(), node, status, lease, now, report])?;
            Ok(())
        })
        .await
    }

    async fn strategy_run(&self, tenant_id: Uuid, run_on: Date) -> Result<Option<ScheduledRun>> {
        self.read(move |c| query_one(c, &RUN_READ.replace('$', "?"), params![tenant_id, run_on.to_string()], |r| run_row(r))).await
    }
}

#[async_trait]
impl crate::experiment::Experiments for SqliteStore {
    async fn experiment_tally(&self, tenant_id: Uuid, experiment: &str, to: Date) -> Result<Vec<recoup_domain::experiment::ArmTally>> {
        use crate::experiment::{Gathering, MEMBER_RECORDS, MEMBERS_BY_ARM};
        let experiment = experiment.to_string();
        self.read(move |c| {
            let mut g = Gathering::new(to);
            let args = params![tenant_id, experiment, to.to_string()];
            query_each(c, &MEMBERS_BY_ARM.replace('$', "?"), args, |r| g.add_members(r))?;
            query_each(c, &MEMBER_RECORDS.replace('$', "?"), args, |r| g.add_record(r))?;
            Ok(g.finish())
        })
        .await
    }

    async fn experiment_accounts(&self, tenant_id: Uuid, experiment: &str) -> Result<Vec<(Uuid, String)>> {
        let experiment = experiment.to_string();
        let sql = crate::experiment::MEMBERS.replace('$', "?");
        self.read(move |c| query_all(c, &sql, params![tenant_id, experiment], |r| Ok((r.uuid("account_id")?, r.text("arm")?)))).await
    }
}
