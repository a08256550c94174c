//! Servicing on SQLite: the account file read and the changes written in one immediate
//! transaction on the single writer, so two actions on one account cannot interleave.

use super::{SqliteStore, append_audit, insert_ledger, outbox, query_all, query_one, set_balance};
use crate::Actor;
use crate::rows::Get;
use crate::servicing::{
    AccountFile, Changes, Op, RECORD_COLS, Record, RecordQuery, Servicing, in_given_order, in_lock_order, parse_policy, policy_change,
};
use crate::{Result, StoreError, ops, rows};
use async_trait::async_trait;
use recoup_domain::account::Account;
use recoup_domain::client_policy::ClientPolicy;
use recoup_domain::ledger::Amounts;
use recoup_domain::org::Client;
use rusqlite::{Connection, Transaction, params, params_from_iter};
use std::collections::HashMap;
use uuid::Uuid;

/// One account's file: the same reads as a page's.
fn load(c: &Connection, tenant_id: Uuid, account_id: Uuid) -> Result<Option<AccountFile>> {
    Ok(load_many(c, tenant_id, &[account_id])?.remove(&account_id))
}

/// Several accounts' files in four statements (ids bound as one IN list each).
fn load_many(c: &Connection, tenant_id: Uuid, ids: &[Uuid]) -> Result<HashMap<Uuid, AccountFile>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let (marks, binds) = super::in_list(tenant_id, ids);
    let sql = format!("SELECT {}, {} FROM accounts WHERE tenant_id = ? AND id IN ({marks})", rows::ACCOUNT_COLS, super::BALANCE_COLS);
    let accounts = query_all(c, &sql, params_from_iter(binds), |r| Ok((rows::account(r)?, rows::amounts(r, "bal_")?)))?;
    complete(c, tenant_id, accounts, Ledger::Read)
}

/// Whether a file is read with its ledger.
#[derive(PartialEq)]
enum Ledger {
    Read,
    LeftOut,
}

/// The files of accounts already read: their clients and policies, records and (perhaps) ledgers.
fn complete(c: &Connection, tenant_id: Uuid, accounts: Vec<(Account, Amounts)>, ledger: Ledger) -> Result<HashMap<Uuid, AccountFile>> {
    let ids: Vec<Uuid> = accounts.iter().map(|(a, _)| a.id).collect();
    let (marks, binds) = super::in_list(tenant_id, &ids);
    let mut client_ids: Vec<Uuid> = accounts.iter().map(|(a, _)| a.client_id).collect();
    client_ids.sort_unstable();
    client_ids.dedup();
    let (client_marks, client_binds) = super::in_list(tenant_id, &client_ids);
    let sql = format!("SELECT {}, policy FROM clients WHERE tenant_id = ? AND id IN ({client_marks})", rows::CLIENT_COLS);
    let clients: HashMap<Uuid, (Client, ClientPolicy)> =
        query_all(c, &sql, params_from_iter(client_binds), |r| Ok((rows::client(r)?, parse_policy(r.opt_text("policy")?)?)))?
            .into_iter()
            .map(|(cl, p)| (cl.id, (cl, p)))
            .collect();
    // The indexes are named: with an IN list on the second column the planner prefers walking
    // the tenant's whole primary key (a page of 500 accounts read every ledger entry). No ORDER
    // BY for the same reason; `assemble` puts each file's rows in order.
    let entries = if ledger == Ledger::Read {
        let sql = format!(
            "SELECT {} FROM ledger_entries INDEXED BY ledger_entries_account WHERE tenant_id = ? AND account_id IN ({marks})",
            rows::LEDGER_COLS,
        );
        query_all(c, &sql, params_from_iter(binds.iter()), |r| rows::ledger_entry(r))?
    } else {
        Vec::new()
    };
    let sql = format!(
        "SELECT {RECORD_COLS} FROM servicing_records INDEXED BY servicing_records_account WHERE tenant_id = ? AND account_id IN ({marks})"
    );
    let records = query_all(c, &sql, params_from_iter(binds.iter()), |r| rows::record(r))?;
    crate::servicing::assemble(accounts, &clients, entries, records)
}

fn policy_of(c: &Connection, tenant_id: Uuid, client_id: Uuid) -> Result<ClientPolicy> {
    let text =
        query_one(c, "SELECT policy FROM clients WHERE tenant_id = ? AND id = ?", params![tenant_id, client_id], |r| r.opt_text("policy"))?
            .ok_or_else(|| StoreError::not_found("client", client_id))?;
    parse_policy(text)
}

fn upsert(tx: &Transaction, r: &Record) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO servicing_records (tenant_id, id, account_id, client_id, kind, status, on_date, data, created_at, updated_at) \
         VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (tenant_id, id) DO UPDATE SET status = excluded.status, \
         on_date = excluded.on_date, data = excluded.data, updated_at = excluded.updated_at",
    )?
    .execute(params![
        r.tenant_id,
        r.id,
        r.account_id,
        r.client_id,
        r.kind.as_str(),
        r.status,
        r.on_date.map(|d| d.to_string()),
        r.data.to_string(),
        r.created_at,
        r.updated_at
    ])?;
    Ok(())
}

fn apply(tx: &Transaction, tenant_id: Uuid, account_id: Uuid, ch: &Changes) -> Result<()> {
    apply_rows(tx, tenant_id, account_id, ch)?;
    apply_trail(tx, tenant_id, [ch])
}

/// The audit entries, jobs and events of several accounts' changes, in the order given: one
/// read and one update of the chain's head for all of them.
fn apply_trail<'a>(tx: &Transaction, tenant_id: Uuid, changes: impl IntoIterator<Item = &'a Changes> + Clone) -> Result<()> {
    append_audit(tx, tenant_id, changes.clone().into_iter().flat_map(|ch| ch.audit.iter().cloned()).collect())?;
    for j in changes.clone().into_iter().flat_map(|ch| &ch.jobs) {
        outbox::enqueue(tx, tenant_id, j.kind, &j.payload, j.run_at)?;
    }
    outbox::emit(tx, tenant_id, changes.into_iter().flat_map(|ch| ch.events.iter().cloned()).collect())
}

/// An account's own rows: ledger, balance, account, records and worklist rows.
fn apply_rows(tx: &Transaction, tenant_id: Uuid, account_id: Uuid, ch: &Changes) -> Result<()> {
    let now = ops::now_micros();
    for e in &ch.entries {
        insert_ledger(tx, tenant_id, e, now)?;
    }
    if let Some(b) = &ch.balance {
        set_balance(tx, tenant_id, account_id, b)?;
    }
    if let Some(a) = &ch.account {
        tx.execute(
            "UPDATE accounts SET status = ?, flags = ?, queue = ?, last_payment_on = ?, last_payment_minor = ?, updated_at = ? \
             WHERE tenant_id = ? AND id = ?",
            params![
                a.status.as_str(),
                a.flags.to_text(),
                a.queue,
                a.last_payment_on.map(|d| d.to_string()),
                a.last_payment_minor,
                now,
                tenant_id,
                account_id
            ],
        )?;
    }
    for r in &ch.records {
        upsert(tx, r)?;
    }
    for w in &ch.work {
        super::worklist::put(tx, tenant_id, w)?;
    }
    Ok(())
}

#[async_trait]
impl Servicing for SqliteStore {
    async fn account_file(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Option<AccountFile>> {
        self.read(move |c| load(c, tenant_id, account_id)).await
    }

    async fn account_files(&self, tenant_id: Uuid, account_ids: &[Uuid]) -> Result<std::collections::HashMap<Uuid, AccountFile>> {
        let ids = account_ids.to_vec();
        self.read(move |c| load_many(c, tenant_id, &ids)).await
    }

    async fn contact_files(&self, tenant_id: Uuid, accounts: Vec<(Account, Amounts)>) -> Result<HashMap<Uuid, AccountFile>> {
        if accounts.is_empty() {
            return Ok(HashMap::new());
        }
        self.read(move |c| complete(c, tenant_id, accounts, Ledger::LeftOut)).await
    }

    async fn service(&self, tenant_id: Uuid, account_id: Uuid, op: Op) -> Result<Changes> {
        self.tx(move |tx| {
            let file = load(tx, tenant_id, account_id)?.ok_or_else(|| StoreError::not_found("account", account_id))?;
            let changes = op(&file)?;
            apply(tx, tenant_id, account_id, &changes)?;
            Ok(changes)
        })
        .await
    }

    async fn service_many(&self, tenant_id: Uuid, ops: Vec<(Uuid, Op)>) -> Result<Vec<Changes>> {
        let ops = in_lock_order(ops)?;
        self.tx(move |tx| {
            let ids: Vec<Uuid> = ops.iter().map(|(_, a, _)| *a).collect();
            let mut files = load_many(tx, tenant_id, &ids)?;
            let mut done = Vec::with_capacity(ops.len());
            for (i, account_id, op) in ops {
                let file = files.remove(&account_id).ok_or_else(|| StoreError::not_found("account", account_id))?;
                let changes = op(&file)?;
                apply_rows(tx, tenant_id, account_id, &changes)?;
                done.push((i, changes));
            }
            apply_trail(tx, tenant_id, done.iter().map(|(_, c)| c))?;
            Ok(in_given_order(done))
        })
        .await
    }

    async fn records(&self, tenant_id: Uuid, query: &RecordQuery) -> Result<Vec<Record>> {
        let (clause, binds) = query.clause(tenant_id, |n| format!("?{n}"));
        let sql = format!("SELECT {RECORD_COLS} FROM servicing_records {clause}");
        self.read(move |c| query_all(c, &sql, rusqlite::params_from_iter(binds.iter()), |r| rows::record(r))).await
    }

    async fn client_policy(&self, tenant_id: Uuid, client_id: Uuid) -> Result<ClientPolicy> {
        self.read(move |c| policy_of(c, tenant_id, client_id)).await
    }

    async fn set_client_policy(&self, tenant_id: Uuid, client_id: Uuid, policy: &ClientPolicy, actor: &Actor) -> Result<()> {
        let (policy, actor) = (policy.clone(), actor.clone());
        self.tx(move |tx| {
            let old = policy_of(tx, tenant_id, client_id)?;
            let ev = policy_change(client_id, &old, &policy, &actor)?;
            let text = serde_json::to_string(&policy).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            tx.execute("UPDATE clients SET policy = ? WHERE tenant_id = ? AND id = ?", params![text, tenant_id, client_id])?;
            append_audit(tx, tenant_id, vec![ev])
        })
        .await
    }

    async fn accrual_done(&self, tenant_id: Uuid, client_id: Uuid, month: &str) -> Result<bool> {
        let month = month.to_string();
        let sql = crate::servicing::ACCRUAL_DONE.replace('$', "?");
        self.read(move |c| Ok(c.query_row(&sql, params![tenant_id, client_id, month], |r| r.get::<_, i64>(0))? > 0)).await
    }

    async fn finish_accrual(&self, tenant_id: Uuid, client_id: Uuid, month: &str) -> Result<()> {
        let month = month.to_string();
        let sql = crate::servicing::ACCRUAL_FINISH.replace('$', "?");
        self.tx(move |tx| Ok(tx.execute(&sql, params![tenant_id, client_id, month, ops::now_micros()]).map(|_| ())?)).await
    }
}
