//! Servicing on PostgreSQL: the account row is locked (`FOR UPDATE`) while its file is read and
//! its changes written, so two nodes acting on one account take turns.

use super::{PgStore, all, append_audit, insert_ledger, one, outbox, set_balance, sql};
use crate::Actor;
use crate::rows::Get;
use crate::servicing::{
    AccountFile, Changes, Op, RECORD_COLS, Record, RecordQuery, Servicing, in_given_order, in_lock_order, parse_policy, policy_change,
};
use crate::{Result, StoreError, ops, rows};
use async_trait::async_trait;
use recoup_domain::client_policy::ClientPolicy;
use sqlx::PgConnection;
use uuid::Uuid;

async fn load(c: &mut PgConnection, tenant_id: Uuid, account_id: Uuid, lock: bool) -> Result<Option<AccountFile>> {
    let q = format!(
        "SELECT {}, bal_principal, bal_interest, bal_fees, bal_costs, bal_credit FROM accounts WHERE tenant_id = $1 AND id = $2{}",
        rows::ACCOUNT_COLS,
        if lock { " FOR UPDATE" } else { "" }
    );
    let found = one(c, q, |q| q.bind(tenant_id).bind(account_id), |r| Ok((rows::account(r)?, rows::amounts(r, "bal_")?))).await?;
    let Some((account, balance)) = found else { return Ok(None) };
    let q = format!("SELECT {} FROM clients WHERE tenant_id = $1 AND id = $2", rows::CLIENT_COLS);
    let client = one(c, q, |q| q.bind(tenant_id).bind(account.client_id), rows::client)
        .await?
        .ok_or_else(|| StoreError::not_found("client", account.client_id))?;
    let policy = policy_of(c, tenant_id, account.client_id, false).await?;
    let q = format!("SELECT {} FROM ledger_entries WHERE tenant_id = $1 AND account_id = $2 ORDER BY id", rows::LEDGER_COLS);
    let ledger = all(c, q, |q| q.bind(tenant_id).bind(account_id), rows::ledger_entry).await?;
    let q = format!("SELECT {RECORD_COLS} FROM servicing_records WHERE tenant_id = $1 AND account_id = $2 ORDER BY created_at, id");
    let records = all(c, q, |q| q.bind(tenant_id).bind(account_id), rows::record).await?;
    Ok(Some(AccountFile { account, balance, client, policy, ledger, records }))
}

async fn policy_of(c: &mut PgConnection, tenant_id: Uuid, client_id: Uuid, lock: bool) -> Result<ClientPolicy> {
    let q = format!("SELECT policy FROM clients WHERE tenant_id = $1 AND id = $2{}", if lock { " FOR UPDATE" } else { "" });
    let text = one(c, q, |q| q.bind(tenant_id).bind(client_id), |r| r.opt_text("policy"))
        .await?
        .ok_or_else(|| StoreError::not_found("client", client_id))?;
    parse_policy(text)
}

async fn upsert(c: &mut PgConnection, r: &Record) -> Result<()> {
    sqlx::query(
        "INSERT INTO servicing_records (tenant_id, id, account_id, client_id, kind, status, on_date, data, created_at, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) ON CONFLICT (tenant_id, id) DO UPDATE SET status = excluded.status, \
         on_date = excluded.on_date, data = excluded.data, updated_at = excluded.updated_at",
    )
    .bind(r.tenant_id)
    .bind(r.id)
    .bind(r.account_id)
    .bind(r.client_id)
    .bind(r.kind.as_str())
    .bind(&r.status)
    .bind(r.on_date.map(|d| d.to_string()))
    .bind(r.data.to_string())
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

async fn apply(c: &mut PgConnection, tenant_id: Uuid, account_id: Uuid, ch: &Changes) -> Result<()> {
    let now = ops::now_micros();
    let entries: Vec<_> = ch.entries.iter().collect();
    if !entries.is_empty() {
        insert_ledger(c, tenant_id, &entries, now).await?;
    }
    if let Some(b) = &ch.balance {
        set_balance(c, tenant_id, account_id, b).await?;
    }
    if let Some(a) = &ch.account {
        sqlx::query(
            "UPDATE accounts SET status = $3, flags = $4, last_payment_on = $5, last_payment_minor = $6, updated_at = $7, queue = $8 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(account_id)
        .bind(a.status.as_str())
        .bind(a.flags.to_text())
        .bind(a.last_payment_on.map(|d| d.to_string()))
        .bind(a.last_payment_minor)
        .bind(now)
        .bind(&a.queue)
        .execute(&mut *c)
        .await?;
    }
    for r in &ch.records {
        upsert(c, r).await?;
    }
    for w in &ch.work {
        super::worklist::put(c, tenant_id, w).await?;
    }
    append_audit(c, tenant_id, ch.audit.clone()).await?;
    for j in &ch.jobs {
        outbox::enqueue(c, tenant_id, j.kind, &j.payload, j.run_at).await?;
    }
    outbox::emit(c, tenant_id, ch.events.clone()).await
}

#[async_trait]
impl Servicing for PgStore {
    async fn account_file(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Option<AccountFile>> {
        let mut c = self.pool.acquire().await?;
        load(&mut c, tenant_id, account_id, false).await
    }

    async fn service(&self, tenant_id: Uuid, account_id: Uuid, op: Op) -> Result<Changes> {
        let mut tx = self.pool.begin().await?;
        let file = load(&mut tx, tenant_id, account_id, true).await?.ok_or_else(|| StoreError::not_found("account", account_id))?;
        let changes = op(&file)?;
        apply(&mut tx, tenant_id, account_id, &changes).await?;
        tx.commit().await?;
        Ok(changes)
    }

    async fn service_many(&self, tenant_id: Uuid, ops: Vec<(Uuid, Op)>) -> Result<Vec<Changes>> {
        let ops = in_lock_order(ops)?;
        let mut tx = self.pool.begin().await?;
        let mut done = Vec::with_capacity(ops.len());
        for (i, account_id, op) in ops {
            let file = load(&mut tx, tenant_id, account_id, true).await?.ok_or_else(|| StoreError::not_found("account", account_id))?;
            let changes = op(&file)?;
            apply(&mut tx, tenant_id, account_id, &changes).await?;
            done.push((i, changes));
        }
        tx.commit().await?;
        Ok(in_given_order(done))
    }

    async fn records(&self, tenant_id: Uuid, query: &RecordQuery) -> Result<Vec<Record>> {
        let (clause, binds) = query.clause(tenant_id, |n| format!("${n}"));
        let q = sqlx::query(sql(format!("SELECT {RECORD_COLS} FROM servicing_records {clause}")));
        let rows = super::bind_all(q, binds).fetch_all(&self.pool).await?;
        rows.iter().map(rows::record).collect()
    }

    async fn client_policy(&self, tenant_id: Uuid, client_id: Uuid) -> Result<ClientPolicy> {
        let mut c = self.pool.acquire().await?;
        policy_of(&mut c, tenant_id, client_id, false).await
    }

    async fn set_client_policy(&self, tenant_id: Uuid, client_id: Uuid, policy: &ClientPolicy, actor: &Actor) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let old = policy_of(&mut tx, tenant_id, client_id, true).await?;
        let ev = policy_change(client_id, &old, policy, actor)?;
        let text = serde_json::to_string(policy).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query("UPDATE clients SET policy = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(client_id)
            .bind(text)
            .execute(&mut *tx)
            .await?;
        append_audit(&mut tx, tenant_id, vec![ev]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn accrual_done(&self, tenant_id: Uuid, client_id: Uuid, month: &str) -> Result<bool> {
        let n: i64 =
            sqlx::query_scalar(crate::servicing::ACCRUAL_DONE).bind(tenant_id).bind(client_id).bind(month).fetch_one(&self.pool).await?;
        Ok(n > 0)
    }

    async fn finish_accrual(&self, tenant_id: Uuid, client_id: Uuid, month: &str) -> Result<()> {
        sqlx::query(crate::servicing::ACCRUAL_FINISH)
            .bind(tenant_id)
            .bind(client_id)
            .bind(month)
            .bind(ops::now_micros())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
