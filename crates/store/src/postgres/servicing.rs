//! Servicing on PostgreSQL: the account row is locked (`FOR UPDATE`) while its file is read and
//! its changes written, so two nodes acting on one account take turns.

use super::{PgStore, all, append_audit, ids, insert_ledger, ints, one, opt_strs, outbox, set_balance, sql, strs};
use crate::Actor;
use crate::rows::Get;
use crate::servicing::{
    AccountFile, Changes, Op, RECORD_COLS, Record, RecordQuery, Servicing, in_given_order, in_lock_order, parse_policy, policy_change,
};
use crate::{Result, StoreError, ops, rows};
use async_trait::async_trait;
use recoup_domain::account::Account;
use recoup_domain::client_policy::ClientPolicy;
use recoup_domain::ledger::{Amounts, LedgerEntry};
use recoup_domain::org::Client;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// One account's file (locked with `lock`): the same reads as a page's.
async fn load(c: &mut PgConnection, tenant_id: Uuid, account_id: Uuid, lock: bool) -> Result<Option<AccountFile>> {
    Ok(load_many(c, tenant_id, &[account_id], lock).await?.remove(&account_id))
}

/// Several accounts' files; with `lock`, each account locked, in id order.
async fn load_many(c: &mut PgConnection, tenant_id: Uuid, ids: &[Uuid], lock: bool) -> Result<HashMap<Uuid, AccountFile>> {
    let q = format!(
        "SELECT {}, bal_principal, bal_interest, bal_fees, bal_costs, bal_credit FROM accounts \
         WHERE tenant_id = $1 AND id = ANY($2) ORDER BY id{}",
        rows::ACCOUNT_COLS,
        if lock { " FOR UPDATE" } else { "" }
    );
    let accounts = all(c, q, |q| q.bind(tenant_id).bind(ids), |r| Ok((rows::account(r)?, rows::amounts(r, "bal_")?))).await?;
    complete(c, tenant_id, accounts, Ledger::Read).await
}

/// Whether a file is read with its ledger.
#[derive(PartialEq)]
enum Ledger {
    Read,
    LeftOut,
}

/// The files of accounts already read: their clients and policies, records and (perhaps) ledgers.
async fn complete(
    c: &mut PgConnection,
    tenant_id: Uuid,
    accounts: Vec<(Account, Amounts)>,
    ledger: Ledger,
) -> Result<HashMap<Uuid, AccountFile>> {
    let ids: Vec<Uuid> = accounts.iter().map(|(a, _)| a.id).collect();
    let mut client_ids: Vec<Uuid> = accounts.iter().map(|(a, _)| a.client_id).collect();
    client_ids.sort_unstable();
    client_ids.dedup();
    let q = format!("SELECT {}, policy FROM clients WHERE tenant_id = $1 AND id = ANY($2)", rows::CLIENT_COLS);
    let clients: HashMap<Uuid, (Client, ClientPolicy)> =
        all(c, q, |q| q.bind(tenant_id).bind(&client_ids), |r| Ok((rows::client(r)?, parse_policy(r.opt_text("policy")?)?)))
            .await?
            .into_iter()
            .map(|(cl, p)| (cl.id, (cl, p)))
            .collect();
    let entries = if ledger == Ledger::Read {
        let q = format!("SELECT {} FROM ledger_entries WHERE tenant_id = $1 AND account_id = ANY($2) ORDER BY id", rows::LEDGER_COLS);
        all(c, q, |q| q.bind(tenant_id).bind(&ids), rows::ledger_entry).await?
    } else {
        Vec::new()
    };
    let q = format!("SELECT {RECORD_COLS} FROM servicing_records WHERE tenant_id = $1 AND account_id = ANY($2) ORDER BY created_at, id");
    let records = all(c, q, |q| q.bind(tenant_id).bind(&ids), rows::record).await?;
    crate::servicing::assemble(accounts, &clients, entries, records)
}

/// Writes several accounts' changes, each kind of row in one statement; the audit entries go
/// onto the chain in the accounts' order, as one by one would have put them.
async fn apply_many(c: &mut PgConnection, tenant_id: Uuid, done: &[(usize, Uuid, Changes)]) -> Result<()> {
    let now = ops::now_micros();
    let entries: Vec<&LedgerEntry> = done.iter().flat_map(|(_, _, ch)| &ch.entries).collect();
    insert_ledger(c, tenant_id, &entries, now).await?;
    let balances: Vec<(Uuid, &Amounts)> = done.iter().filter_map(|(_, a, ch)| Some((*a, ch.balance.as_ref()?))).collect();
    if !balances.is_empty() {
        let b: Vec<&(Uuid, &Amounts)> = balances.iter().collect();
        sqlx::query(
            "UPDATE accounts a SET bal_principal = u.p, bal_interest = u.i, bal_fees = u.f, bal_costs = u.c, bal_credit = u.cr, \
             updated_at = $7 FROM UNNEST($2::uuid[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $8::bigint[]) \
             AS u(id, p, i, f, c, cr) WHERE a.tenant_id = $1 AND a.id = u.id",
        )
        .bind(tenant_id)
        .bind(ids(&b, |x| x.0))
        .bind(ints(&b, |x| x.1.principal))
        .bind(ints(&b, |x| x.1.interest))
        .bind(ints(&b, |x| x.1.fees))
        .bind(ints(&b, |x| x.1.costs))
        .bind(now)
        .bind(ints(&b, |x| x.1.credit))
        .execute(&mut *c)
        .await?;
    }
    let accounts: Vec<&Account> = done.iter().filter_map(|(_, _, ch)| ch.account.as_ref()).collect();
    if !accounts.is_empty() {
        sqlx::query(
            "UPDATE accounts a SET status = u.s, flags = u.f, last_payment_on = u.lp, last_payment_minor = u.lm, updated_at = $2, \
             queue = u.q FROM UNNEST($3::uuid[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[]) AS u(id, s, f, lp, lm, q) \
             WHERE a.tenant_id = $1 AND a.id = u.id",
        )
        .bind(tenant_id)
        .bind(now)
        .bind(ids(&accounts, |a| a.id))
        .bind(strs(&accounts, |a| a.status.as_str().to_string()))
        .bind(strs(&accounts, |a| a.flags.to_text()))
        .bind(opt_strs(&accounts, |a| a.last_payment_on.map(|d| d.to_string())))
        .bind(accounts.iter().map(|a| a.last_payment_minor).collect::<Vec<_>>())
        .bind(opt_strs(&accounts, |a| a.queue.clone()))
        .execute(&mut *c)
        .await?;
    }
    let records: Vec<&Record> = done.iter().flat_map(|(_, _, ch)| &ch.records).collect();
    upsert_many(c, tenant_id, &records).await?;
    for w in done.iter().flat_map(|(_, _, ch)| &ch.work) {
        super::worklist::put(c, tenant_id, w).await?;
    }
    append_audit(c, tenant_id, done.iter().flat_map(|(_, _, ch)| ch.audit.iter().cloned()).collect()).await?;
    let jobs: Vec<&crate::outbox::NewJob> = done.iter().flat_map(|(_, _, ch)| &ch.jobs).collect();
    outbox::enqueue_many(c, tenant_id, &jobs).await?;
    outbox::emit(c, tenant_id, done.iter().flat_map(|(_, _, ch)| ch.events.iter().cloned()).collect()).await
}

/// Records inserted or replaced, in one statement.
async fn upsert_many(c: &mut PgConnection, tenant_id: Uuid, records: &[&Record]) -> Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO servicing_records (tenant_id, id, account_id, client_id, kind, status, on_date, data, created_at, updated_at) \
         SELECT $1, * FROM UNNEST($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], \
         $10::bigint[]) ON CONFLICT (tenant_id, id) DO UPDATE SET status = excluded.status, on_date = excluded.on_date, \
         data = excluded.data, updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(ids(records, |r| r.id))
    .bind(ids(records, |r| r.account_id))
    .bind(ids(records, |r| r.client_id))
    .bind(strs(records, |r| r.kind.as_str().to_string()))
    .bind(strs(records, |r| r.status.clone()))
    .bind(opt_strs(records, |r| r.on_date.map(|d| d.to_string())))
    .bind(strs(records, |r| r.data.to_string()))
    .bind(ints(records, |r| r.created_at))
    .bind(ints(records, |r| r.updated_at))
    .execute(&mut *c)
    .await?;
    Ok(())
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

    async fn account_files(&self, tenant_id: Uuid, account_ids: &[Uuid]) -> Result<HashMap<Uuid, AccountFile>> {
        let mut c = self.pool.acquire().await?;
        load_many(&mut c, tenant_id, account_ids, false).await
    }

    async fn contact_files(&self, tenant_id: Uuid, accounts: Vec<(Account, Amounts)>) -> Result<HashMap<Uuid, AccountFile>> {
        let mut c = self.pool.acquire().await?;
        complete(&mut c, tenant_id, accounts, Ledger::LeftOut).await
    }

    async fn service(&self, tenant_id: Uuid, account_id: Uuid, op: Op) -> Result<Changes> {
        let mut tx = self.pool.begin().await?;
        let file = load(&mut tx, tenant_id, account_id, true).await?.ok_or_else(|| StoreError::not_found("account", account_id))?;
        let changes = op(&file)?;
        apply(&mut tx, tenant_id, account_id, &changes).await?;
        tx.commit().await?;
        Ok(changes)
    }

    /// The accounts' files are read in four statements and the changes written in a dozen,
    /// whatever the number of accounts: a strategy page of 500 costs a few round trips, not
    /// thousands. The accounts are distinct, so deciding each on the file read before any was
    /// written is the same as deciding them one by one.
    async fn service_many(&self, tenant_id: Uuid, ops: Vec<(Uuid, Op)>) -> Result<Vec<Changes>> {
        let ops = in_lock_order(ops)?;
        let mut tx = self.pool.begin().await?;
        let ids: Vec<Uuid> = ops.iter().map(|(_, a, _)| *a).collect();
        let mut files = load_many(&mut tx, tenant_id, &ids, true).await?;
        let mut done = Vec::with_capacity(ops.len());
        for (i, account_id, op) in ops {
            let file = files.remove(&account_id).ok_or_else(|| StoreError::not_found("account", account_id))?;
            done.push((i, account_id, op(&file)?));
        }
        apply_many(&mut tx, tenant_id, &done).await?;
        tx.commit().await?;
        Ok(in_given_order(done.into_iter().map(|(i, _, c)| (i, c)).collect()))
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
