//! The PostgreSQL store, for many stateless nodes on one database. Writers serialize per tenant on
//! the audit chain's head row (`FOR UPDATE`), so the chain never forks whatever the node count.
//! Batches of placed accounts go in with one `INSERT ... SELECT FROM UNNEST(...)` per table.

use crate::listing::{self, Bind};
use crate::migrate::POSTGRES;
use crate::ops::{self, Existing, UpdatePlan};
use crate::rows::{self, Get, date_text};
use crate::seal::{self, Keyring, Place, SealedParty};
use crate::{AccountListing, Actor, AuditQuery, Backend, ListedAccount, Posting, Result, Store, StoreError};
use async_trait::async_trait;
use jiff::civil::Date;
use recoup_domain::access::{ApiKey, Session, User};
use recoup_domain::account::{Account, AccountStatus};
use recoup_domain::audit::{AuditEntry, AuditEvent, Chainer, GENESIS};
use recoup_domain::contact::{Channel, ConsentState, ContactKind, ContactPoint};
use recoup_domain::invoice::Invoice;
use recoup_domain::ledger::{Amounts, LedgerEntry};
use recoup_domain::org::{Client, ImportCounts, Placement, PlacementStatus, Portfolio, Tenant};
use recoup_domain::party::{Party, PartyRole};
use recoup_domain::placement::{PlacedAccount, PlacedParty, RowOutcome};
use serde_json::json;
use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::{AssertSqlSafe, PgConnection, PgPool, Row};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use uuid::Uuid;

mod copy;
mod idempotency;
mod models;
mod notes;
pub(crate) mod outbox;
mod servicing;
mod strategy;
mod templates;
mod worklist;

pub use copy::bare_copy;

pub struct PgStore {
    pool: PgPool,
    keys: Arc<Keyring>,
    key_cache: crate::keycache::KeyCache,
}

impl Get for PgRow {
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        Ok(self.try_get(col)?)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        Ok(self.try_get(col)?)
    }
    fn opt_uuid(&self, col: &str) -> Result<Option<Uuid>> {
        Ok(self.try_get(col)?)
    }
    fn bytes(&self, col: &str) -> Result<Vec<u8>> {
        Ok(self.try_get(col)?)
    }
    fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.try_get(col)?)
    }
    fn boolean(&self, col: &str) -> Result<bool> {
        Ok(self.try_get(col)?)
    }
}

/// Every SQL string here is assembled from constants in this crate, never from input.
const DIALECT: crate::reports::Dialect = crate::reports::Dialect { ph: |n| format!("${n}") };

/// Which of `ends` have no kept month-end balances.
async fn unkept(c: &mut PgConnection, tenant_id: Uuid, ends: &[Date]) -> Result<Vec<Date>> {
    let kept: Vec<String> =
        sqlx::query_scalar("SELECT on_day FROM month_end_closes WHERE tenant_id = $1").bind(tenant_id).fetch_all(&mut *c).await?;
    Ok(ends.iter().copied().filter(|e| !kept.contains(&e.to_string())).collect())
}

fn sql(s: impl Into<String>) -> AssertSqlSafe<String> {
    AssertSqlSafe(s.into())
}

/// A placement at least this large refreshes the planner's statistics when it finishes.
const ANALYZE_AFTER_ROWS: u64 = 10_000;

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Binds listing values in placeholder order.
fn bind_all(mut query: PgQuery<'_>, binds: Vec<Bind>) -> PgQuery<'_> {
    for b in binds {
        query = match b {
            Bind::Uuid(u) => query.bind(u),
            Bind::Int(n) => query.bind(n),
            Bind::Text(t) => query.bind(t),
            Bind::Bytes(b) => query.bind(b),
        };
    }
    query
}

fn conflict(what: String) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| {
        let e = StoreError::from(e);
        if e.is_unique_violation() { StoreError::Conflict(what) } else { e }
    }
}

impl PgStore {
    /// Connects and applies pending migrations; sensitive fields are sealed with `keys`.
    pub async fn connect(url: &str, keys: Arc<Keyring>) -> Result<Self> {
        let pool = PgPoolOptions::new().max_connections(16).connect(url).await?;
        let store = PgStore { pool, keys, key_cache: Default::default() };
        store.migrate().await?;
        Ok(store)
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

async fn one<T>(
    c: &mut PgConnection,
    q: String,
    bind: impl FnOnce(
        sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
    map: impl Fn(&PgRow) -> Result<T>,
) -> Result<Option<T>> {
    let row = bind(sqlx::query(sql(q))).fetch_optional(&mut *c).await?;
    row.as_ref().map(map).transpose()
}

async fn all<T>(
    c: &mut PgConnection,
    q: String,
    bind: impl FnOnce(
        sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
    map: impl Fn(&PgRow) -> Result<T>,
) -> Result<Vec<T>> {
    let rows = bind(sqlx::query(sql(q))).fetch_all(&mut *c).await?;
    rows.iter().map(map).collect()
}

/// Appends events to the tenant's chain. The head row is locked until commit, so concurrent
/// writers of one tenant queue here and each links to the last one's hash.
async fn append_audit(c: &mut PgConnection, tenant_id: Uuid, events: Vec<AuditEvent>) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    sqlx::query("INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (tenant_id) DO NOTHING")
        .bind(tenant_id)
        .bind(&GENESIS[..])
        .execute(&mut *c)
        .await?;
    let row = sqlx::query("SELECT seq, hash FROM audit_heads WHERE tenant_id = $1 FOR UPDATE").bind(tenant_id).fetch_one(&mut *c).await?;
    let mut chain = Chainer { tenant_id, seq: row.int("seq")?, head: row.hash("hash")? };
    let at = ops::now_micros();
    let n = events.len();
    let (mut seq, mut actor, mut action, mut entity, mut entity_id, mut data, mut prev, mut hash) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for ev in events {
        let e = chain.link(at, ev);
        seq.push(e.seq);
        prev.push(e.prev_hash.to_vec());
        hash.push(e.hash.to_vec());
        actor.push(e.event.actor);
        action.push(e.event.action);
        entity.push(e.event.entity);
        entity_id.push(e.event.entity_id);
        data.push(e.event.data);
    }
    sqlx::query(
        "INSERT INTO audit_log (tenant_id, seq, at, actor, action, entity, entity_id, data, prev_hash, hash) \
         SELECT $1, s, $2, a, ac, en, ei, d, p, h FROM UNNEST($3::bigint[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::text[], $9::bytea[], $10::bytea[]) \
         AS t(s, a, ac, en, ei, d, p, h)",
    )
    .bind(tenant_id)
    .bind(at)
    .bind(seq)
    .bind(actor)
    .bind(action)
    .bind(entity)
    .bind(entity_id)
    .bind(data)
    .bind(prev)
    .bind(hash)
    .execute(&mut *c)
    .await?;
    sqlx::query("UPDATE audit_heads SET seq = $2, hash = $3 WHERE tenant_id = $1")
        .bind(tenant_id)
        .bind(chain.seq)
        .bind(&chain.head[..])
        .execute(&mut *c)
        .await?;
    Ok(())
}

fn strs<'a, T: 'a>(items: &[&'a T], f: impl Fn(&'a T) -> String) -> Vec<String> {
    items.iter().map(|x| f(x)).collect()
}

fn opt_strs<'a, T: 'a>(items: &[&'a T], f: impl Fn(&'a T) -> Option<String>) -> Vec<Option<String>> {
    items.iter().map(|x| f(x)).collect()
}

fn ints<'a, T: 'a>(items: &[&'a T], f: impl Fn(&'a T) -> i64) -> Vec<i64> {
    items.iter().map(|x| f(x)).collect()
}

fn ids<'a, T: 'a>(items: &[&'a T], f: impl Fn(&'a T) -> Uuid) -> Vec<Uuid> {
    items.iter().map(|x| f(x)).collect()
}

/// A placed or re-placed account row with the balances that go beside it.
struct AccountRow<'a> {
    account: &'a Account,
    reported: Amounts,
    balance: Amounts,
    fingerprint: &'a [u8],
}

async fn insert_accounts(c: &mut PgConnection, rows: &[&AccountRow<'_>], now: i64) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let a = |f: fn(&Account) -> Option<String>| opt_strs(rows, move |r| f(r.account));
    sqlx::query(
        "INSERT INTO accounts (tenant_id, id, client_id, portfolio_id, placement_id, external_ref, currency, original_creditor, \
         current_creditor, product, opened_on, first_delinquency_on, charged_off_on, itemization_on, itemization_basis, \
         last_payment_on, last_payment_minor, status, stage, flags, queue, agent_id, \
         rep_principal, rep_interest, rep_fees, rep_costs, bal_principal, bal_interest, bal_fees, bal_costs, bal_credit, \
         fingerprint, created_at, updated_at) \
         SELECT *, $33, $33 FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::text[], \
         $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::bigint[], \
         $18::text[], $19::text[], $20::text[], $21::text[], $22::uuid[], $23::bigint[], $24::bigint[], $25::bigint[], \
         $26::bigint[], $27::bigint[], $28::bigint[], $29::bigint[], $30::bigint[], $31::bigint[], $32::bytea[])",
    )
    .bind(ids(rows, |r| r.account.tenant_id))
    .bind(ids(rows, |r| r.account.id))
    .bind(ids(rows, |r| r.account.client_id))
    .bind(ids(rows, |r| r.account.portfolio_id))
    .bind(ids(rows, |r| r.account.placement_id))
    .bind(strs(rows, |r| r.account.external_ref.clone()))
    .bind(strs(rows, |r| r.account.currency.code().to_string()))
    .bind(strs(rows, |r| r.account.original_creditor.clone()))
    .bind(strs(rows, |r| r.account.current_creditor.clone()))
    .bind(a(|x| x.product.clone()))
    .bind(a(|x| date_text(x.opened_on)))
    .bind(a(|x| date_text(x.first_delinquency_on)))
    .bind(a(|x| date_text(x.charged_off_on)))
    .bind(a(|x| date_text(x.itemization_on)))
    .bind(a(|x| x.itemization_basis.map(|b| b.as_str().to_string())))
    .bind(a(|x| date_text(x.last_payment_on)))
    .bind(rows.iter().map(|r| r.account.last_payment_minor).collect::<Vec<_>>())
    .bind(strs(rows, |r| r.account.status.as_str().to_string()))
    .bind(strs(rows, |r| r.account.stage.as_str().to_string()))
    .bind(strs(rows, |r| r.account.flags.to_text()))
    .bind(a(|x| x.queue.clone()))
    .bind(rows.iter().map(|r| r.account.agent_id).collect::<Vec<_>>())
    .bind(ints(rows, |r| r.reported.principal))
    .bind(ints(rows, |r| r.reported.interest))
    .bind(ints(rows, |r| r.reported.fees))
    .bind(ints(rows, |r| r.reported.costs))
    .bind(ints(rows, |r| r.balance.principal))
    .bind(ints(rows, |r| r.balance.interest))
    .bind(ints(rows, |r| r.balance.fees))
    .bind(ints(rows, |r| r.balance.costs))
    .bind(ints(rows, |r| r.balance.credit))
    .bind(rows.iter().map(|r| r.fingerprint.to_vec()).collect::<Vec<_>>())
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

async fn update_account(c: &mut PgConnection, r: &AccountRow<'_>, now: i64) -> Result<()> {
    let a = r.account;
    sqlx::query(
        "UPDATE accounts SET original_creditor = $3, current_creditor = $4, product = $5, opened_on = $6, first_delinquency_on = $7, \
         charged_off_on = $8, itemization_on = $9, itemization_basis = $10, last_payment_on = $11, last_payment_minor = $12, flags = $13, \
         rep_principal = $14, rep_interest = $15, rep_fees = $16, rep_costs = $17, \
         bal_principal = $18, bal_interest = $19, bal_fees = $20, bal_costs = $21, bal_credit = $22, fingerprint = $23, updated_at = $24 \
         WHERE tenant_id = $1 AND id = $2",
    )
    .bind(a.tenant_id)
    .bind(a.id)
    .bind(&a.original_creditor)
    .bind(&a.current_creditor)
    .bind(&a.product)
    .bind(date_text(a.opened_on))
    .bind(date_text(a.first_delinquency_on))
    .bind(date_text(a.charged_off_on))
    .bind(date_text(a.itemization_on))
    .bind(a.itemization_basis.map(|b| b.as_str()))
    .bind(date_text(a.last_payment_on))
    .bind(a.last_payment_minor)
    .bind(a.flags.to_text())
    .bind(r.reported.principal)
    .bind(r.reported.interest)
    .bind(r.reported.fees)
    .bind(r.reported.costs)
    .bind(r.balance.principal)
    .bind(r.balance.interest)
    .bind(r.balance.fees)
    .bind(r.balance.costs)
    .bind(r.balance.credit)
    .bind(r.fingerprint)
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

async fn set_balance(c: &mut PgConnection, tenant_id: Uuid, account_id: Uuid, b: &Amounts) -> Result<()> {
    sqlx::query(
        "UPDATE accounts SET bal_principal = $3, bal_interest = $4, bal_fees = $5, bal_costs = $6, bal_credit = $7, updated_at = $8 WHERE tenant_id = $1 AND id = $2",
    )
    .bind(tenant_id)
    .bind(account_id)
    .bind(b.principal)
    .bind(b.interest)
    .bind(b.fees)
    .bind(b.costs)
    .bind(b.credit)
    .bind(ops::now_micros())
    .execute(&mut *c)
    .await?;
    Ok(())
}

async fn insert_parties(c: &mut PgConnection, keys: &Keyring, parties: &[&Party], now: i64) -> Result<()> {
    if parties.is_empty() {
        return Ok(());
    }
    let sealed = parties.iter().map(|p| keys.seal_party(p)).collect::<Result<Vec<_>, _>>()?;
    let (mut dob, mut nid, mut hash) =
        (Vec::with_capacity(sealed.len()), Vec::with_capacity(sealed.len()), Vec::with_capacity(sealed.len()));
    for s in sealed {
        dob.push(s.date_of_birth_enc);
        nid.push(s.national_id_enc);
        hash.push(s.national_id_hash);
    }
    sqlx::query(
        "INSERT INTO parties (tenant_id, id, kind, first_name, last_name, company_name, date_of_birth_enc, national_id_enc, national_id_hash, \
         national_id_last4, language, created_at) \
         SELECT *, $12 FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::bytea[], \
         $9::bytea[], $10::text[], $11::text[])",
    )
    .bind(ids(parties, |p| p.tenant_id))
    .bind(ids(parties, |p| p.id))
    .bind(strs(parties, |p| p.kind.as_str().to_string()))
    .bind(opt_strs(parties, |p| p.first_name.clone()))
    .bind(opt_strs(parties, |p| p.last_name.clone()))
    .bind(opt_strs(parties, |p| p.company_name.clone()))
    .bind(dob)
    .bind(nid)
    .bind(hash)
    .bind(opt_strs(parties, |p| p.national_id_last4.clone()))
    .bind(opt_strs(parties, |p| p.language.clone()))
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// A re-placement's new details; the plain date column is cleared with them (it is only ever
/// read for rows written before sealing existed).
async fn update_party(c: &mut PgConnection, p: &Party, sealed: SealedParty) -> Result<()> {
    sqlx::query(
        "UPDATE parties SET kind = $3, first_name = $4, last_name = $5, company_name = $6, date_of_birth = NULL, date_of_birth_enc = $7, \
         national_id_enc = $8, national_id_hash = $9, national_id_last4 = $10, language = COALESCE($11, language) WHERE tenant_id = $1 AND id = $2",
    )
    .bind(p.tenant_id)
    .bind(p.id)
    .bind(p.kind.as_str())
    .bind(&p.first_name)
    .bind(&p.last_name)
    .bind(&p.company_name)
    .bind(sealed.date_of_birth_enc)
    .bind(sealed.national_id_enc)
    .bind(sealed.national_id_hash)
    .bind(&p.national_id_last4)
    .bind(&p.language)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Records the check values of keys this database has not seen, or refuses a key that differs
/// from the one recorded under its name. Runs under the migration lock.
async fn check_keys(c: &mut PgConnection, keys: &Keyring) -> Result<()> {
    let recorded = all(c, "SELECT name, key_check FROM seal_keys".into(), |q| q, |r| Ok((r.text("name")?, r.bytes("key_check")?))).await?;
    for (name, check) in seal::unrecorded_keys(keys, &recorded).map_err(StoreError::KeyMismatch)? {
        sqlx::query("INSERT INTO seal_keys (name, key_check, created_at) VALUES ($1, $2, $3)")
            .bind(name)
            .bind(&check[..])
            .bind(ops::now_micros())
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// Seals the plain dates of birth rows written before migration 0006 still hold, a batch per
/// transaction, and clears them. Returns how many were sealed.
async fn seal_plain_dates(pool: &PgPool, keys: &Keyring) -> Result<u64> {
    let mut sealed = 0;
    loop {
        let mut tx = pool.begin().await?;
        let batch = all(
            &mut tx,
            "SELECT tenant_id, id, date_of_birth FROM parties WHERE date_of_birth IS NOT NULL LIMIT 1000 FOR UPDATE SKIP LOCKED".into(),
            |q| q,
            |r| Ok((r.uuid("tenant_id")?, r.uuid("id")?, r.date("date_of_birth")?)),
        )
        .await?;
        if batch.is_empty() {
            return Ok(sealed);
        }
        for (tenant_id, id, date) in &batch {
            let enc = keys.seal_date(&Place { column: seal::DATE_OF_BIRTH_ENC, tenant_id: *tenant_id, row_id: *id }, *date)?;
            sqlx::query("UPDATE parties SET date_of_birth_enc = $3, date_of_birth = NULL WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id)
                .bind(id)
                .bind(enc)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        sealed += batch.len() as u64;
    }
}

/// (tenant, account, party, role)
type Link = (Uuid, Uuid, Uuid, PartyRole);

async fn link_parties(c: &mut PgConnection, links: &[&Link]) -> Result<()> {
    if links.is_empty() {
        return Ok(());
    }
    sqlx::query("INSERT INTO account_parties (tenant_id, account_id, party_id, role) SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[])")
        .bind(ids(links, |l| l.0))
        .bind(ids(links, |l| l.1))
        .bind(ids(links, |l| l.2))
        .bind(strs(links, |l| l.3.as_str().to_string()))
        .execute(&mut *c)
        .await?;
    Ok(())
}

async fn insert_contacts(c: &mut PgConnection, cps: &[&ContactPoint], now: i64) -> Result<()> {
    if cps.is_empty() {
        return Ok(());
    }
    let addr = |f: fn(&recoup_domain::contact::PostalAddress) -> Option<String>| opt_strs(cps, move |c| c.address.as_ref().and_then(f));
    sqlx::query(
        "INSERT INTO contact_points (tenant_id, id, party_id, kind, value, extension, phone_type, line1, line2, city, region, \
         postal_code, country, time_zone, source, verification, consent_call, consent_sms, consent_email, consent_letter, \
         employer_provided, created_at) \
         SELECT *, $22 FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], \
         $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], \
         $20::text[], $21::boolean[])",
    )
    .bind(ids(cps, |c| c.tenant_id))
    .bind(ids(cps, |c| c.id))
    .bind(ids(cps, |c| c.party_id))
    .bind(strs(cps, |c| c.kind.as_str().to_string()))
    .bind(strs(cps, |c| c.value.clone()))
    .bind(opt_strs(cps, |c| c.extension.clone()))
    .bind(opt_strs(cps, |c| c.phone_type.map(|t| t.as_str().to_string())))
    .bind(addr(|a| Some(a.line1.clone())))
    .bind(addr(|a| a.line2.clone()))
    .bind(addr(|a| Some(a.city.clone())))
    .bind(addr(|a| Some(a.region.clone())))
    .bind(addr(|a| Some(a.postal_code.clone())))
    .bind(addr(|a| Some(a.country.clone())))
    .bind(opt_strs(cps, |c| c.time_zone.clone()))
    .bind(strs(cps, |c| c.source.as_str().to_string()))
    .bind(strs(cps, |c| c.verification.as_str().to_string()))
    .bind(strs(cps, |c| c.consent.call.as_str().to_string()))
    .bind(strs(cps, |c| c.consent.sms.as_str().to_string()))
    .bind(strs(cps, |c| c.consent.email.as_str().to_string()))
    .bind(strs(cps, |c| c.consent.letter.as_str().to_string()))
    .bind(cps.iter().map(|c| c.employer_provided).collect::<Vec<_>>())
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

async fn insert_invoices(c: &mut PgConnection, invoices: &[&Invoice]) -> Result<()> {
    if invoices.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO invoices (tenant_id, id, account_id, number, issued_on, due_on, amount_minor, open_minor) \
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[]) \
         ON CONFLICT (tenant_id, account_id, number) DO UPDATE SET due_on = excluded.due_on, amount_minor = excluded.amount_minor, open_minor = excluded.open_minor",
    )
    .bind(ids(invoices, |i| i.tenant_id))
    .bind(ids(invoices, |i| i.id))
    .bind(ids(invoices, |i| i.account_id))
    .bind(strs(invoices, |i| i.number.clone()))
    .bind(strs(invoices, |i| i.issued_on.to_string()))
    .bind(strs(invoices, |i| i.due_on.to_string()))
    .bind(ints(invoices, |i| i.amount_minor))
    .bind(ints(invoices, |i| i.open_minor))
    .execute(&mut *c)
    .await?;
    Ok(())
}

async fn insert_ledger(c: &mut PgConnection, tenant_id: Uuid, entries: &[&LedgerEntry], now: i64) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO ledger_entries (tenant_id, id, account_id, kind, currency, effective_on, principal, interest, fees, costs, credit, \
         reverses_id, memo, posted_at) \
         SELECT $1, *, $13 FROM UNNEST($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], \
         $10::bigint[], $11::bigint[], $12::uuid[], $14::text[])",
    )
    .bind(tenant_id)
    .bind(ids(entries, |e| e.id))
    .bind(ids(entries, |e| e.account_id))
    .bind(strs(entries, |e| e.kind.as_str().to_string()))
    .bind(strs(entries, |e| e.currency.code().to_string()))
    .bind(strs(entries, |e| e.effective_on.to_string()))
    .bind(ints(entries, |e| e.delta.principal))
    .bind(ints(entries, |e| e.delta.interest))
    .bind(ints(entries, |e| e.delta.fees))
    .bind(ints(entries, |e| e.delta.costs))
    .bind(ints(entries, |e| e.delta.credit))
    .bind(entries.iter().map(|e| e.reverses).collect::<Vec<_>>())
    .bind(now)
    .bind(strs(entries, |e| e.memo.clone()))
    .execute(&mut *c)
    .await?;
    Ok(())
}

async fn load_existing(c: &mut PgConnection, tenant_id: Uuid, client_id: Uuid, refs: Vec<String>) -> Result<Vec<Existing>> {
    let q = format!(
        "SELECT {}, rep_principal, rep_interest, rep_fees, rep_costs, rep_credit, bal_principal, bal_interest, bal_fees, bal_costs, bal_credit, fingerprint \
         FROM accounts WHERE tenant_id = $1 AND client_id = $2 AND external_ref = ANY($3)",
        rows::ACCOUNT_COLS
    );
    let found = all(
        c,
        q,
        |q| q.bind(tenant_id).bind(client_id).bind(refs),
        |r| Ok((rows::account(r)?, rows::amounts(r, "rep_")?, rows::amounts(r, "bal_")?, r.bytes("fingerprint")?)),
    )
    .await?;
    let mut out = Vec::with_capacity(found.len());
    for (account, reported, balance, fingerprint) in found {
        let primary_party_id = one(
            c,
            "SELECT party_id FROM account_parties WHERE tenant_id = $1 AND account_id = $2 AND role = 'primary'".into(),
            |q| q.bind(tenant_id).bind(account.id),
            |r| r.uuid("party_id"),
        )
        .await?;
        let contacts = match primary_party_id {
            Some(pid) => {
                all(
                    c,
                    "SELECT kind, value FROM contact_points WHERE tenant_id = $1 AND party_id = $2".into(),
                    |q| q.bind(tenant_id).bind(pid),
                    |r| Ok((r.parsed("kind", ContactKind::parse)?, r.text("value")?)),
                )
                .await?
            }
            None => Vec::new(),
        };
        out.push(Existing { account, reported, balance, fingerprint, primary_party_id, contacts });
    }
    Ok(out)
}

async fn write_rows(
    c: &mut PgConnection,
    keys: &Keyring,
    placement: &Placement,
    rows: &[PlacedAccount],
    actor: &Actor,
) -> Result<Vec<RowOutcome>> {
    let now = ops::now_micros();
    // A connection caches its prepared statements, and PostgreSQL may settle on a generic plan
    // made while the accounts table was still empty: a sequential scan that then runs for every
    // batch of a long import. Planning each lookup with its actual parameters keeps the index.
    sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan").execute(&mut *c).await?;
    let refs = rows.iter().map(|r| r.account.external_ref.clone()).collect();
    let mut existing: HashMap<String, Existing> = load_existing(c, placement.tenant_id, placement.client_id, refs)
        .await?
        .into_iter()
        .map(|e| (e.account.external_ref.clone(), e))
        .collect();
    let mut in_batch: HashSet<&str> = HashSet::new();
    let mut outcomes = Vec::with_capacity(rows.len());
    let mut events = Vec::with_capacity(rows.len());
    let mut new_accounts = Vec::new();
    let mut ledger: Vec<LedgerEntry> = Vec::new();
    let mut business = Vec::new();
    // A large import builds no events nobody subscribed to.
    let wanted = outbox::placement_events_wanted(c, placement.tenant_id).await?;
    for row in rows {
        let a = &row.account;
        // New accounts are inserted after the loop, so a lookup cannot see them: a reference
        // given twice in one batch is refused rather than failing the whole batch.
        if !in_batch.insert(&a.external_ref) {
            outcomes.push(RowOutcome::Refused(format!("account {} appears twice in one batch", a.external_ref)));
            continue;
        }
        let Some(known) = existing.remove(&a.external_ref) else {
            let (opening, ev) = ops::plan_create(placement, row, actor);
            ledger.extend(opening);
            events.push(ev);
            new_accounts.push(AccountRow { account: a, reported: row.reported, balance: row.reported, fingerprint: &row.fingerprint });
            if wanted.created {
                business.push(ops::account_placed(a, true));
            }
            outcomes.push(RowOutcome::Created);
            continue;
        };
        let outcome = match ops::plan_update(known, row, placement.placed_on, actor) {
            UpdatePlan::Unchanged => RowOutcome::Unchanged,
            UpdatePlan::Refused(why) => RowOutcome::Refused(why),
            UpdatePlan::Update(u) => {
                let ar = AccountRow { account: &u.account, reported: u.reported, balance: u.balance, fingerprint: &row.fingerprint };
                update_account(c, &ar, now).await?;
                if let Some(p) = &u.primary_party {
                    update_party(c, p, keys.seal_party(p)?).await?;
                }
                insert_contacts(c, &u.new_contacts.iter().collect::<Vec<_>>(), now).await?;
                let invoices: Vec<Invoice> = row.invoices.iter().map(|i| Invoice { account_id: u.account.id, ..i.clone() }).collect();
                insert_invoices(c, &invoices.iter().collect::<Vec<_>>()).await?;
                ledger.extend(u.adjustment.clone());
                events.push(u.event);
                if wanted.updated {
                    business.push(ops::account_placed(&u.account, false));
                }
                RowOutcome::Updated
            }
        };
        outcomes.push(outcome);
    }
    let created: Vec<&PlacedAccount> = rows.iter().zip(&outcomes).filter(|(_, o)| **o == RowOutcome::Created).map(|(r, _)| r).collect();
    insert_accounts(c, &new_accounts.iter().collect::<Vec<_>>(), now).await?;
    let parties: Vec<&PlacedParty> = created.iter().flat_map(|r| &r.parties).collect();
    insert_parties(c, keys, &parties.iter().map(|p| &p.party).collect::<Vec<_>>(), now).await?;
    let links: Vec<Link> =
        created.iter().flat_map(|r| r.parties.iter().map(|p| (r.account.tenant_id, r.account.id, p.party.id, p.role))).collect();
    link_parties(c, &links.iter().collect::<Vec<_>>()).await?;
    insert_contacts(c, &parties.iter().flat_map(|p| &p.contact_points).collect::<Vec<_>>(), now).await?;
    insert_invoices(c, &created.iter().flat_map(|r| &r.invoices).collect::<Vec<_>>()).await?;
    insert_ledger(c, placement.tenant_id, &ledger.iter().collect::<Vec<_>>(), now).await?;
    append_audit(c, placement.tenant_id, events).await?;
    outbox::emit(c, placement.tenant_id, business).await?;
    Ok(outcomes)
}

#[async_trait]
impl Store for PgStore {
    fn link_tag(&self, data: &[u8]) -> [u8; 32] {
        self.keys.link_tag(data)
    }

    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn migrate(&self) -> Result<Vec<i64>> {
        let mut tx = self.pool.begin().await?;
        // Nodes starting together take turns: the first applies, the others find it done.
        sqlx::query("SELECT pg_advisory_xact_lock(7262868765)").execute(&mut *tx).await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS recoup_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        let applied =
            all(&mut tx, "SELECT version, checksum FROM recoup_migrations".into(), |q| q, |r| Ok((r.int("version")?, r.text("checksum")?)))
                .await?;
        let mut now_applied = Vec::new();
        for m in crate::migrate::pending(POSTGRES, &applied)? {
            sqlx::raw_sql(AssertSqlSafe(m.sql)).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO recoup_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)")
                .bind(m.version)
                .bind(m.name)
                .bind(m.checksum())
                .bind(ops::now_micros())
                .execute(&mut *tx)
                .await?;
            now_applied.push(m.version);
        }
        check_keys(&mut tx, &self.keys).await?;
        tx.commit().await?;
        let sealed = seal_plain_dates(&self.pool, &self.keys).await?;
        if sealed > 0 {
            tracing::info!(sealed, "sealed dates of birth stored in plain text before encryption");
        }
        Ok(now_applied)
    }

    async fn create_tenant(&self, t: &Tenant) -> Result<()> {
        sqlx::query("INSERT INTO tenants (tenant_id, slug, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(t.id)
            .bind(&t.slug)
            .bind(&t.name)
            .bind(ops::now_micros())
            .execute(&self.pool)
            .await
            .map_err(conflict(format!("tenant {}", t.slug)))?;
        Ok(())
    }

    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>> {
        let mut c = self.pool.acquire().await?;
        one(&mut c, format!("SELECT {} FROM tenants WHERE slug = $1", rows::TENANT_COLS), |q| q.bind(slug), rows::tenant).await
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        let mut c = self.pool.acquire().await?;
        all(&mut c, format!("SELECT {} FROM tenants ORDER BY slug", rows::TENANT_COLS), |q| q, rows::tenant).await
    }

    async fn create_client(&self, cl: &Client, actor: &Actor) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO clients (tenant_id, id, code, name, commission_rate, waterfall, default_currency, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        )
        .bind(cl.tenant_id)
        .bind(cl.id)
        .bind(&cl.code)
        .bind(&cl.name)
        .bind(cl.commission_rate.to_string())
        .bind(rows::waterfall_text(&cl.waterfall))
        .bind(cl.default_currency.code())
        .bind(ops::now_micros())
        .execute(&mut *tx)
        .await
        .map_err(conflict(format!("client {}", cl.code)))?;
        let ev = ops::event(
            actor,
            "client.created",
            "client",
            cl.id,
            json!({"code": cl.code, "commission_rate": cl.commission_rate.to_string()}),
        );
        append_audit(&mut tx, cl.tenant_id, vec![ev]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn client_by_code(&self, tenant_id: Uuid, code: &str) -> Result<Option<Client>> {
        let mut c = self.pool.acquire().await?;
        one(
            &mut c,
            format!("SELECT {} FROM clients WHERE tenant_id = $1 AND code = $2", rows::CLIENT_COLS),
            |q| q.bind(tenant_id).bind(code),
            rows::client,
        )
        .await
    }

    async fn list_clients(&self, tenant_id: Uuid) -> Result<Vec<Client>> {
        let mut c = self.pool.acquire().await?;
        all(
            &mut c,
            format!("SELECT {} FROM clients WHERE tenant_id = $1 ORDER BY code", rows::CLIENT_COLS),
            |q| q.bind(tenant_id),
            rows::client,
        )
        .await
    }

    async fn create_portfolio(&self, p: &Portfolio, actor: &Actor) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO portfolios (tenant_id, id, client_id, code, name, product, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)")
            .bind(p.tenant_id)
            .bind(p.id)
            .bind(p.client_id)
            .bind(&p.code)
            .bind(&p.name)
            .bind(&p.product)
            .bind(ops::now_micros())
            .execute(&mut *tx)
            .await
            .map_err(conflict(format!("portfolio {}", p.code)))?;
        let ev = ops::event(actor, "portfolio.created", "portfolio", p.id, json!({"code": p.code, "client_id": p.client_id}));
        append_audit(&mut tx, p.tenant_id, vec![ev]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn portfolio_by_code(&self, tenant_id: Uuid, client_id: Uuid, code: &str) -> Result<Option<Portfolio>> {
        let mut c = self.pool.acquire().await?;
        let q = format!("SELECT {} FROM portfolios WHERE tenant_id = $1 AND client_id = $2 AND code = $3", rows::PORTFOLIO_COLS);
        one(&mut c, q, |q| q.bind(tenant_id).bind(client_id).bind(code), rows::portfolio).await
    }

    async fn list_portfolios(&self, tenant_id: Uuid, client_id: Uuid) -> Result<Vec<Portfolio>> {
        let mut c = self.pool.acquire().await?;
        let q = format!("SELECT {} FROM portfolios WHERE tenant_id = $1 AND client_id = $2 ORDER BY code", rows::PORTFOLIO_COLS);
        all(&mut c, q, |q| q.bind(tenant_id).bind(client_id), rows::portfolio).await
    }

    async fn begin_placement(&self, p: &Placement, actor: &Actor) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO placements (tenant_id, id, client_id, portfolio_id, placed_on, file_name, status, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)")
            .bind(p.tenant_id)
            .bind(p.id)
            .bind(p.client_id)
            .bind(p.portfolio_id)
            .bind(p.placed_on.to_string())
            .bind(&p.file_name)
            .bind(p.status.as_str())
            .bind(ops::now_micros())
            .execute(&mut *tx)
            .await?;
        let ev = ops::event(
            actor,
            "placement.started",
            "placement",
            p.id,
            json!({"file_name": p.file_name, "placed_on": p.placed_on.to_string()}),
        );
        append_audit(&mut tx, p.tenant_id, vec![ev]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn write_placed(&self, placement: &Placement, rows: Vec<PlacedAccount>, actor: &Actor) -> Result<Vec<RowOutcome>> {
        let mut rows = rows;
        for r in &mut rows {
            r.fingerprint = self.keys.keyed_fingerprint(&r.fingerprint);
        }
        let mut tx = self.pool.begin().await?;
        let out = write_rows(&mut tx, &self.keys, placement, &rows, actor).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn finish_placement(&self, tenant_id: Uuid, placement_id: Uuid, status: PlacementStatus, n: &ImportCounts) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE placements SET status = $3, rows_read = $4, rows_created = $5, rows_updated = $6, rows_unchanged = $7, rows_rejected = $8 \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant_id)
        .bind(placement_id)
        .bind(status.as_str())
        .bind(n.read as i64)
        .bind(n.created as i64)
        .bind(n.updated as i64)
        .bind(n.unchanged as i64)
        .bind(n.rejected as i64)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("placement", placement_id));
        }
        let ev = ops::event(
            &Actor::new(format!("import:{placement_id}")),
            "placement.finished",
            "placement",
            placement_id,
            json!({"status": status.as_str(), "read": n.read, "created": n.created, "updated": n.updated, "unchanged": n.unchanged, "rejected": n.rejected}),
        );
        append_audit(&mut tx, tenant_id, vec![ev]).await?;
        outbox::emit(&mut tx, tenant_id, vec![ops::placement_completed(tenant_id, placement_id, status, n)]).await?;
        tx.commit().await?;
        if n.created + n.updated >= ANALYZE_AFTER_ROWS {
            // Fresh statistics now, not when autovacuum next looks: a planner that still thinks
            // the tables hold a row each turned a strategy day's batch read (2,000 accounts by
            // key) into a scan of the client's accounts, 140 ms a batch at 100,000 accounts and
            // quadratic beyond.
            sqlx::query(
                "ANALYZE accounts, account_parties, parties, contact_points, ledger_entries, servicing_records, strategy_positions",
            )
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    async fn placement_summaries(&self, tenant_id: Uuid, client_id: Option<Uuid>) -> Result<Vec<crate::reports::PlacementSummary>> {
        let mut c = self.pool.acquire().await?;
        let q = crate::reports::placement_summaries_sql("$1", "$2", client_id.is_some());
        all(
            &mut c,
            q,
            |q| if let Some(client) = client_id { q.bind(tenant_id).bind(client) } else { q.bind(tenant_id) },
            crate::reports::placement_summary,
        )
        .await
    }

    async fn report_data(&self, tenant_id: Uuid, q: &crate::reports::ReportQuery) -> Result<crate::reports::ReportData> {
        use crate::reports::{self as r, Collector, part_sql};
        use futures_util::TryStreamExt;
        let ends = r::month_ends(q);
        self.close_month_ends(tenant_id, &r::closable(&ends, ops::today())).await?;
        let placements = r::in_portfolio(self.placement_summaries(tenant_id, q.client_id).await?, q.portfolio_id);
        let mut tx = self.pool.begin().await?;
        // One snapshot for every part, so the figures agree with each other.
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        let kept = unkept(&mut tx, tenant_id, &ends).await?.is_empty();
        let mut c = Collector::new(placements, q);
        for part in if kept { &r::KEPT_PARTS[..] } else { &r::REPLAYED_PARTS[..] } {
            let (text, binds) = part_sql(*part, tenant_id, q, &DIALECT);
            let query = sql(text);
            let mut rows = bind_all(sqlx::query(query), binds).fetch(&mut *tx);
            while let Some(row) = rows.try_next().await? {
                c.collect(*part, &row)?;
            }
        }
        tx.commit().await?;
        Ok(c.finish())
    }

    async fn close_month_ends(&self, tenant_id: Uuid, ends: &[Date]) -> Result<u64> {
        use crate::reports::{self as r, Replay};
        use futures_util::TryStreamExt;
        let mut c = self.pool.acquire().await?;
        let ends = unkept(&mut c, tenant_id, ends).await?;
        if ends.is_empty() {
            return Ok(0);
        }
        // Mark the month-ends before replaying: a change from here on that reopens one deletes
        // its mark, and the replay then keeps nothing for it. The tenant's month-end lock waits
        // for changes under way, which hold it shared: they looked before the mark was made.
        let closer = Uuid::now_v7();
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('month_ends:' || $1::text))").bind(tenant_id).execute(&mut *tx).await?;
        for end in &ends {
            sqlx::query(sql(r::mark_sql(&DIALECT))).bind(tenant_id).bind(end.to_string()).bind(closer).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        let replayed = r::replay_ends(&ends);
        let mut replay = Replay::new(replayed.clone());
        {
            let (text, binds) = r::replay_sql(tenant_id, &replayed, None, &DIALECT);
            let query = sql(text);
            let mut rows = bind_all(sqlx::query(query), binds).fetch(&mut *c);
            while let Some(row) = rows.try_next().await? {
                replay.add(&row)?;
            }
        }
        let closed = replay.finish().closed(&ends);
        let mut tx = self.pool.begin().await?;
        let mut kept = Vec::new();
        for end in closed.ends() {
            let done = sqlx::query(sql(r::keep_sql(&DIALECT))).bind(tenant_id).bind(end.to_string()).bind(closer).execute(&mut *tx).await?;
            if done.rows_affected() == 1 {
                kept.push(end);
            }
        }
        for (text, binds) in r::close_statements(tenant_id, &kept, &closed, &DIALECT) {
            bind_all(sqlx::query(sql(text)), binds).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(kept.len() as u64)
    }

    async fn placement(&self, tenant_id: Uuid, placement_id: Uuid) -> Result<Option<Placement>> {
        let mut c = self.pool.acquire().await?;
        one(
            &mut c,
            format!("SELECT {} FROM placements WHERE tenant_id = $1 AND id = $2", rows::PLACEMENT_COLS),
            |q| q.bind(tenant_id).bind(placement_id),
            rows::placement,
        )
        .await
    }

    async fn account(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Option<Account>> {
        let mut c = self.pool.acquire().await?;
        one(
            &mut c,
            format!("SELECT {} FROM accounts WHERE tenant_id = $1 AND id = $2", rows::ACCOUNT_COLS),
            |q| q.bind(tenant_id).bind(account_id),
            rows::account,
        )
        .await
    }

    async fn account_with_balance(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Option<(Account, Amounts)>> {
        let mut c = self.pool.acquire().await?;
        one(
            &mut c,
            format!(
                "SELECT {}, bal_principal, bal_interest, bal_fees, bal_costs, bal_credit FROM accounts WHERE tenant_id = $1 AND id = $2",
                rows::ACCOUNT_COLS
            ),
            |q| q.bind(tenant_id).bind(account_id),
            |r| Ok((rows::account(r)?, rows::amounts(r, "bal_")?)),
        )
        .await
    }

    async fn account_by_ref(&self, tenant_id: Uuid, client_id: Uuid, external_ref: &str) -> Result<Option<Account>> {
        let mut c = self.pool.acquire().await?;
        let q = format!("SELECT {} FROM accounts WHERE tenant_id = $1 AND client_id = $2 AND external_ref = $3", rows::ACCOUNT_COLS);
        one(&mut c, q, |q| q.bind(tenant_id).bind(client_id).bind(external_ref), rows::account).await
    }

    async fn find_accounts(&self, tenant_id: Uuid, listing: &AccountListing) -> Result<Vec<ListedAccount>> {
        let (clauses, binds) = listing::account_query(tenant_id, listing, &self.keys, |n| format!("${n}"));
        let q = format!("SELECT {}, {} FROM accounts {clauses}", rows::ACCOUNT_COLS, rows::LISTED_COLS);
        let rows = bind_all(sqlx::query(sql(q)), binds).fetch_all(&self.pool).await?;
        rows.iter().map(rows::listed).collect()
    }

    async fn count_accounts(&self, tenant_id: Uuid) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE tenant_id = $1").bind(tenant_id).fetch_one(&self.pool).await?;
        Ok(n as u64)
    }

    async fn parties_of(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Vec<PlacedParty>> {
        let mut c = self.pool.acquire().await?;
        let cols = rows::prefixed("p", rows::PARTY_COLS);
        let q = format!(
            "SELECT {cols}, ap.role FROM account_parties ap JOIN parties p ON p.tenant_id = ap.tenant_id AND p.id = ap.party_id \
             WHERE ap.tenant_id = $1 AND ap.account_id = $2 ORDER BY ap.role DESC, p.id"
        );
        let parties = all(
            &mut c,
            q,
            |q| q.bind(tenant_id).bind(account_id),
            |r| Ok((rows::party(r, &self.keys)?, r.parsed("role", PartyRole::parse)?)),
        )
        .await?;
        let mut out = Vec::with_capacity(parties.len());
        for (party, role) in parties {
            let q = format!("SELECT {} FROM contact_points WHERE tenant_id = $1 AND party_id = $2 ORDER BY id", rows::CONTACT_COLS);
            let contact_points = all(&mut c, q, |q| q.bind(tenant_id).bind(party.id), rows::contact_point).await?;
            out.push(PlacedParty { role, party, contact_points });
        }
        Ok(out)
    }

    async fn parties_of_many(&self, tenant_id: Uuid, account_ids: &[Uuid]) -> Result<std::collections::HashMap<Uuid, Vec<PlacedParty>>> {
        let mut c = self.pool.acquire().await?;
        let cols = rows::prefixed("p", rows::PARTY_COLS);
        let q = format!(
            "SELECT {cols}, ap.role, ap.account_id AS linked_account FROM account_parties ap \
             JOIN parties p ON p.tenant_id = ap.tenant_id AND p.id = ap.party_id \
             WHERE ap.tenant_id = $1 AND ap.account_id = ANY($2) ORDER BY ap.account_id, ap.role DESC, p.id"
        );
        let links = all(
            &mut c,
            q,
            |q| q.bind(tenant_id).bind(account_ids),
            |r| Ok((r.uuid("linked_account")?, rows::party(r, &self.keys)?, r.parsed("role", PartyRole::parse)?)),
        )
        .await?;
        let party_ids: Vec<Uuid> = links.iter().map(|(_, p, _)| p.id).collect();
        let q = format!("SELECT {} FROM contact_points WHERE tenant_id = $1 AND party_id = ANY($2) ORDER BY id", rows::CONTACT_COLS);
        let mut points: std::collections::HashMap<Uuid, Vec<ContactPoint>> = std::collections::HashMap::new();
        for cp in all(&mut c, q, |q| q.bind(tenant_id).bind(&party_ids), rows::contact_point).await? {
            points.entry(cp.party_id).or_default().push(cp);
        }
        let mut out: std::collections::HashMap<Uuid, Vec<PlacedParty>> = std::collections::HashMap::new();
        for (account, party, role) in links {
            // A party on several accounts appears once per account.
            let contact_points = points.get(&party.id).cloned().unwrap_or_default();
            out.entry(account).or_default().push(PlacedParty { role, party, contact_points });
        }
        Ok(out)
    }

    async fn invoices(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Vec<Invoice>> {
        let mut c = self.pool.acquire().await?;
        let q = format!("SELECT {} FROM invoices WHERE tenant_id = $1 AND account_id = $2 ORDER BY number", rows::INVOICE_COLS);
        all(&mut c, q, |q| q.bind(tenant_id).bind(account_id), rows::invoice).await
    }

    async fn change_status(&self, tenant_id: Uuid, account_id: Uuid, to: AccountStatus, reason: &str, actor: &Actor) -> Result<Account> {
        let mut tx = self.pool.begin().await?;
        let q = format!("SELECT {} FROM accounts WHERE tenant_id = $1 AND id = $2 FOR UPDATE", rows::ACCOUNT_COLS);
        let mut a = one(&mut tx, q, |q| q.bind(tenant_id).bind(account_id), rows::account)
            .await?
            .ok_or_else(|| StoreError::not_found("account", account_id))?;
        let from = a.status;
        a.status = from.transition(to)?;
        sqlx::query("UPDATE accounts SET status = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(account_id)
            .bind(to.as_str())
            .bind(ops::now_micros())
            .execute(&mut *tx)
            .await?;
        let ev = ops::event(
            actor,
            "account.status_changed",
            "account",
            account_id,
            json!({"from": from.as_str(), "to": to.as_str(), "reason": reason}),
        );
        append_audit(&mut tx, tenant_id, vec![ev]).await?;
        outbox::emit(&mut tx, tenant_id, vec![ops::status_changed(&a, from, reason)]).await?;
        tx.commit().await?;
        Ok(a)
    }

    async fn assign(&self, tenant_id: Uuid, account_id: Uuid, change: &crate::Assignment, actor: &Actor) -> Result<Account> {
        let mut tx = self.pool.begin().await?;
        let q = format!("SELECT {} FROM accounts WHERE tenant_id = $1 AND id = $2 FOR UPDATE", rows::ACCOUNT_COLS);
        let a = one(&mut tx, q, |q| q.bind(tenant_id).bind(account_id), rows::account)
            .await?
            .ok_or_else(|| StoreError::not_found("account", account_id))?;
        let Some((next, audit, business)) = ops::plan_assign(&a, change, actor) else { return Ok(a) };
        sqlx::query("UPDATE accounts SET stage = $3, queue = $4, agent_id = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(account_id)
            .bind(next.stage.as_str())
            .bind(&next.queue)
            .bind(next.agent_id)
            .bind(ops::now_micros())
            .execute(&mut *tx)
            .await?;
        append_audit(&mut tx, tenant_id, vec![audit]).await?;
        outbox::emit(&mut tx, tenant_id, vec![business]).await?;
        tx.commit().await?;
        Ok(next)
    }

    async fn set_consent(
        &self,
        tenant_id: Uuid,
        contact_point_id: Uuid,
        channel: Channel,
        state: ConsentState,
        actor: &Actor,
    ) -> Result<ContactPoint> {
        let mut tx = self.pool.begin().await?;
        let q = format!("SELECT {} FROM contact_points WHERE tenant_id = $1 AND id = $2 FOR UPDATE", rows::CONTACT_COLS);
        let mut cp = one(&mut tx, q, |q| q.bind(tenant_id).bind(contact_point_id), rows::contact_point)
            .await?
            .ok_or_else(|| StoreError::not_found("contact point", contact_point_id))?;
        let from = cp.consent.get(channel);
        cp.consent.set(channel, state);
        // The column name comes from a closed enum, never from input.
        let q = format!("UPDATE contact_points SET consent_{} = $3 WHERE tenant_id = $1 AND id = $2", channel.as_str());
        sqlx::query(sql(q)).bind(tenant_id).bind(contact_point_id).bind(state.as_str()).execute(&mut *tx).await?;
        let ev = ops::event(
            actor,
            "consent.changed",
            "contact_point",
            contact_point_id,
            json!({"channel": channel.as_str(), "from": from.as_str(), "to": state.as_str()}),
        );
        append_audit(&mut tx, tenant_id, vec![ev]).await?;
        outbox::emit(&mut tx, tenant_id, vec![ops::consent_changed(&cp, channel, from)]).await?;
        tx.commit().await?;
        Ok(cp)
    }

    async fn set_party_language(&self, tenant_id: Uuid, party_id: Uuid, language: &str, actor: &Actor) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let q = "SELECT language FROM parties WHERE tenant_id = $1 AND id = $2 FOR UPDATE".to_string();
        let from = one(
            &mut tx,
            q,
            |q| q.bind(tenant_id).bind(party_id),
            |r| {
                use crate::rows::Get;
                r.opt_text("language")
            },
        )
        .await?
        .ok_or_else(|| StoreError::not_found("party", party_id))?;
        sqlx::query("UPDATE parties SET language = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(party_id)
            .bind(language)
            .execute(&mut *tx)
            .await?;
        let ev = ops::event(actor, "party.language_changed", "party", party_id, json!({"from": from, "to": language}));
        append_audit(&mut tx, tenant_id, vec![ev]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn ledger(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Vec<LedgerEntry>> {
        let mut c = self.pool.acquire().await?;
        let q = format!("SELECT {} FROM ledger_entries WHERE tenant_id = $1 AND account_id = $2 ORDER BY id", rows::LEDGER_COLS);
        all(&mut c, q, |q| q.bind(tenant_id).bind(account_id), rows::ledger_entry).await
    }

    async fn balance(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Amounts> {
        let mut c = self.pool.acquire().await?;
        let q = "SELECT bal_principal, bal_interest, bal_fees, bal_costs, bal_credit FROM accounts WHERE tenant_id = $1 AND id = $2"
            .to_string();
        one(&mut c, q, |q| q.bind(tenant_id).bind(account_id), |r| rows::amounts(r, "bal_"))
            .await?
            .ok_or_else(|| StoreError::not_found("account", account_id))
    }

    async fn post(
        &self,
        tenant_id: Uuid,
        account_id: Uuid,
        posting: Posting,
        effective_on: Date,
        memo: &str,
        actor: &Actor,
    ) -> Result<LedgerEntry> {
        let mut tx = self.pool.begin().await?;
        // Locking the account row serializes postings on one account across nodes.
        let q = format!(
            "SELECT {}, bal_principal, bal_interest, bal_fees, bal_costs, bal_credit FROM accounts WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
            rows::ACCOUNT_COLS
        );
        let (account, balance) =
            one(&mut tx, q, |q| q.bind(tenant_id).bind(account_id), |r| Ok((rows::account(r)?, rows::amounts(r, "bal_")?)))
                .await?
                .ok_or_else(|| StoreError::not_found("account", account_id))?;
        let q = format!("SELECT {} FROM clients WHERE tenant_id = $1 AND id = $2", rows::CLIENT_COLS);
        let client = one(&mut tx, q, |q| q.bind(tenant_id).bind(account.client_id), rows::client)
            .await?
            .ok_or_else(|| StoreError::not_found("client", account.client_id))?;
        let entries = match posting {
            Posting::Reversal { .. } => {
                let q = format!("SELECT {} FROM ledger_entries WHERE tenant_id = $1 AND account_id = $2 ORDER BY id", rows::LEDGER_COLS);
                all(&mut tx, q, |q| q.bind(tenant_id).bind(account_id), rows::ledger_entry).await?
            }
            _ => Vec::new(),
        };
        let input = ops::PostingInput { posting: &posting, effective_on, memo, actor };
        let plan = ops::plan_posting(&account, &client.waterfall, &balance, &entries, &input)?;
        insert_ledger(&mut tx, tenant_id, &[&plan.entry], ops::now_micros()).await?;
        set_balance(&mut tx, tenant_id, account_id, &plan.balance).await?;
        append_audit(&mut tx, tenant_id, vec![plan.event]).await?;
        outbox::emit(&mut tx, tenant_id, plan.business.into_iter().collect()).await?;
        tx.commit().await?;
        Ok(plan.entry)
    }

    async fn create_api_key(&self, key: &ApiKey, secret_hash: &[u8; 32], actor: &Actor) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO api_keys (tenant_id, id, name, role, client_id, prefix, secret_hash, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        )
        .bind(key.tenant_id)
        .bind(key.id)
        .bind(&key.name)
        .bind(key.role.as_str())
        .bind(key.client_id)
        .bind(&key.prefix)
        .bind(&secret_hash[..])
        .bind(key.created_at)
        .execute(&mut *tx)
        .await?;
        append_audit(&mut tx, key.tenant_id, vec![ops::api_key_event(actor, "api_key.created", key)]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn api_key_by_prefix(&self, prefix: &str) -> Result<Option<(ApiKey, [u8; 32])>> {
        if let Some(hit) = self.key_cache.get(prefix) {
            return Ok(Some(hit));
        }
        let generation = self.key_cache.generation();
        let mut c = self.pool.acquire().await?;
        let q = format!("SELECT {}, secret_hash FROM api_keys WHERE prefix = $1", rows::API_KEY_COLS);
        let found = one(&mut c, q, |q| q.bind(prefix), |r| Ok((rows::api_key(r)?, r.hash("secret_hash")?))).await?;
        if let Some((key, hash)) = &found {
            self.key_cache.put(generation, key, *hash);
        }
        Ok(found)
    }

    async fn list_api_keys(&self, tenant_id: Uuid) -> Result<Vec<ApiKey>> {
        let mut c = self.pool.acquire().await?;
        all(
            &mut c,
            format!("SELECT {} FROM api_keys WHERE tenant_id = $1 ORDER BY id", rows::API_KEY_COLS),
            |q| q.bind(tenant_id),
            rows::api_key,
        )
        .await
    }

    async fn touch_api_key(&self, tenant_id: Uuid, key_id: Uuid, at_micros: i64) -> Result<()> {
        sqlx::query("UPDATE api_keys SET last_used_at = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(key_id)
            .bind(at_micros)
            .execute(&self.pool)
            .await?;
        self.key_cache.touched(key_id, at_micros);
        Ok(())
    }

    async fn revoke_api_key(&self, tenant_id: Uuid, key_id: Uuid, actor: &Actor) -> Result<ApiKey> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(key_id)
            .bind(ops::now_micros())
            .execute(&mut *tx)
            .await?;
        let q = format!("SELECT {} FROM api_keys WHERE tenant_id = $1 AND id = $2", rows::API_KEY_COLS);
        let key = one(&mut tx, q, |q| q.bind(tenant_id).bind(key_id), rows::api_key)
            .await?
            .ok_or_else(|| StoreError::not_found("api key", key_id))?;
        append_audit(&mut tx, tenant_id, vec![ops::api_key_event(actor, "api_key.revoked", &key)]).await?;
        tx.commit().await?;
        self.key_cache.forget(key_id);
        Ok(key)
    }

    async fn create_user(&self, user: &User, password_hash: &str, actor: &Actor) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO users (tenant_id, id, email, name, role, client_id, password_hash, disabled, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        )
        .bind(user.tenant_id)
        .bind(user.id)
        .bind(&user.email)
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(user.client_id)
        .bind(password_hash)
        .bind(user.disabled)
        .bind(user.created_at)
        .execute(&mut *tx)
        .await
        .map_err(conflict(format!("user {}", user.email)))?;
        append_audit(&mut tx, user.tenant_id, vec![ops::user_event(actor, "user.created", user)]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>> {
        let mut c = self.pool.acquire().await?;
        let q = format!("SELECT {}, password_hash FROM users WHERE email = $1", rows::USER_COLS);
        one(&mut c, q, |q| q.bind(email.trim().to_lowercase()), |r| Ok((rows::user(r)?, r.text("password_hash")?))).await
    }

    async fn user(&self, tenant_id: Uuid, user_id: Uuid) -> Result<Option<User>> {
        let mut c = self.pool.acquire().await?;
        one(
            &mut c,
            format!("SELECT {} FROM users WHERE tenant_id = $1 AND id = $2", rows::USER_COLS),
            |q| q.bind(tenant_id).bind(user_id),
            rows::user,
        )
        .await
    }

    async fn list_users(&self, tenant_id: Uuid) -> Result<Vec<User>> {
        let mut c = self.pool.acquire().await?;
        all(&mut c, format!("SELECT {} FROM users WHERE tenant_id = $1 ORDER BY email", rows::USER_COLS), |q| q.bind(tenant_id), rows::user)
            .await
    }

    async fn set_user_disabled(&self, tenant_id: Uuid, user_id: Uuid, disabled: bool, actor: &Actor) -> Result<User> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE users SET disabled = $3 WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(user_id)
            .bind(disabled)
            .execute(&mut *tx)
            .await?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2")
                .bind(tenant_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        let q = format!("SELECT {} FROM users WHERE tenant_id = $1 AND id = $2", rows::USER_COLS);
        let user = one(&mut tx, q, |q| q.bind(tenant_id).bind(user_id), rows::user)
            .await?
            .ok_or_else(|| StoreError::not_found("user", user_id))?;
        let action = if disabled { "user.disabled" } else { "user.enabled" };
        append_audit(&mut tx, tenant_id, vec![ops::user_event(actor, action, &user)]).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn create_session(&self, s: &Session) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, tenant_id, user_id, created_at, last_seen_at, account_id) VALUES ($1,$2,$3,$4,$5,$6)",
        )
        .bind(&s.token_hash[..])
        .bind(s.tenant_id)
        .bind(s.user_id)
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .bind(s.account_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn session(&self, token_hash: &[u8; 32]) -> Result<Option<Session>> {
        let mut c = self.pool.acquire().await?;
        let q =
            "SELECT token_hash, tenant_id, user_id, created_at, last_seen_at, account_id FROM sessions WHERE token_hash = $1".to_string();
        one(&mut c, q, |q| q.bind(&token_hash[..]), rows::session).await
    }

    async fn touch_session(&self, token_hash: &[u8; 32], at_micros: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
            .bind(&token_hash[..])
            .bind(at_micros)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(&token_hash[..]).execute(&self.pool).await?;
        Ok(())
    }

    async fn work_periods(&self, tenant_id: Uuid, from_micros: i64, to_micros: i64) -> Result<Vec<recoup_domain::kpi::WorkPeriod>> {
        let mut c = self.pool.acquire().await?;
        let q = rows::WORK_PERIODS_SQL.replace("{t}", "$1").replace("{from}", "$2").replace("{to}", "$3");
        all(&mut c, q, |q| q.bind(tenant_id).bind(from_micros).bind(to_micros), rows::work_period).await
    }

    async fn record_sign_in_failure(&self, email: &str, at_micros: i64) -> Result<()> {
        sqlx::query("INSERT INTO sign_in_failures (email, at) VALUES ($1, $2)")
            .bind(email.trim().to_lowercase())
            .bind(at_micros)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn sign_in_failures(&self, email: &str, since_micros: i64) -> Result<Vec<i64>> {
        let mut c = self.pool.acquire().await?;
        let q = "SELECT at FROM sign_in_failures WHERE email = $1 AND at >= $2 ORDER BY at".to_string();
        all(&mut c, q, |q| q.bind(email.trim().to_lowercase()).bind(since_micros), |r| r.int("at")).await
    }

    async fn clear_sign_in_failures(&self, email: &str) -> Result<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE email = $1").bind(email.trim().to_lowercase()).execute(&self.pool).await?;
        Ok(())
    }

    async fn audit_entries(&self, tenant_id: Uuid, after_seq: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        let mut c = self.pool.acquire().await?;
        let q = format!("SELECT {} FROM audit_log WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3", rows::AUDIT_COLS);
        all(&mut c, q, |q| q.bind(tenant_id).bind(after_seq).bind(i64::from(limit)), rows::audit_entry).await
    }

    async fn search_audit(&self, tenant_id: Uuid, aq: &AuditQuery, after_seq: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        let mut c = self.pool.acquire().await?;
        let q = format!(
            "SELECT {} FROM audit_log WHERE tenant_id = $1 AND seq > $2 AND ($3::uuid IS NULL OR entity_id = $3) \
             AND ($4::text IS NULL OR actor = $4) AND ($5::bigint IS NULL OR at >= $5) AND ($6::bigint IS NULL OR at < $6) \
             ORDER BY seq LIMIT $7",
            rows::AUDIT_COLS
        );
        let actor = aq.actor.clone();
        all(
            &mut c,
            q,
            |q| {
                q.bind(tenant_id)
                    .bind(after_seq)
                    .bind(aq.entity_id)
                    .bind(actor)
                    .bind(aq.from_micros)
                    .bind(aq.to_micros)
                    .bind(i64::from(limit))
            },
            rows::audit_entry,
        )
        .await
    }
}
