//! The embedded SQLite store: one file in the data directory, WAL, one writer connection (SQLite
//! has one writer anyway, so writes queue here instead of failing busy) and a few readers.

use crate::keycache::KeyCache;
use crate::listing::{self, Bind};
use crate::migrate::{Migration, SQLITE};
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
use rusqlite::{Connection, Row, Transaction, TransactionBehavior, params};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use uuid::Uuid;

mod idempotency;
mod models;
mod notes;
pub(crate) mod outbox;
mod planner;
mod servicing;
mod strategy;
mod templates;
pub(crate) mod worklist;

/// Read connections kept open. Reads beyond this many wait for one to come free: opening a
/// connection per read (and parsing the schema again) cost more than the reads themselves.
const READERS: usize = 4;

pub struct SqliteStore {
    inner: Arc<Inner>,
    key_cache: KeyCache,
    /// One per reader connection; a read holds one while it runs.
    read_permits: tokio::sync::Semaphore,
}

struct Inner {
    path: PathBuf,
    keys: Arc<Keyring>,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl Inner {
    fn take_reader(&self) -> Option<Connection> {
        self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop()
    }

    fn give_back(&self, conn: Connection) {
        self.readers.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
    }
}

impl rusqlite::ToSql for Bind {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Bind::Uuid(u) => u.to_sql(),
            Bind::Int(n) => n.to_sql(),
            Bind::Text(t) => t.to_sql(),
            Bind::Bytes(b) => b.to_sql(),
        }
    }
}

/// A row whose columns are looked up by name in a list read once per row. rusqlite's own lookup
/// asks SQLite for each column's name (under the connection's mutex) until it finds the one
/// wanted, so reading a wide account cost some 400 such calls, more than the query itself.
pub(crate) struct Named<'a> {
    row: &'a Row<'a>,
    names: &'a [String],
    /// Where the next column asked for probably is: readers mostly ask in the SELECT's order.
    next: std::cell::Cell<usize>,
}

impl<'a> Named<'a> {
    fn new(row: &'a Row<'a>, names: &'a [String]) -> Self {
        Named { row, names, next: std::cell::Cell::new(0) }
    }

    fn index(&self, col: &str) -> Result<usize> {
        let guess = self.next.get();
        let i = if self.names.get(guess).is_some_and(|n| n == col) { guess } else { self.search(col)? };
        self.next.set(i + 1);
        Ok(i)
    }

    fn search(&self, col: &str) -> Result<usize> {
        // Case-insensitive, as SQLite and rusqlite match column names; the code names them as
        // the SQL does, so the exact comparison (lengths first) finds almost all at once.
        let exact = self.names.iter().position(|n| n == col);
        let i = exact.or_else(|| self.names.iter().position(|n| n.eq_ignore_ascii_case(col)));
        Ok(i.ok_or_else(|| rusqlite::Error::InvalidColumnName(col.to_string()))?)
    }

    fn column<T: rusqlite::types::FromSql>(&self, col: &str) -> Result<T> {
        Ok(self.row.get(self.index(col)?)?)
    }
}

impl<'a> std::ops::Deref for Named<'a> {
    type Target = Row<'a>;
    fn deref(&self) -> &Row<'a> {
        self.row
    }
}

impl Get for Named<'_> {
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        self.column(col)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        self.column(col)
    }
    fn opt_uuid(&self, col: &str) -> Result<Option<Uuid>> {
        self.column(col)
    }
    fn bytes(&self, col: &str) -> Result<Vec<u8>> {
        self.column(col)
    }
    fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>> {
        self.column(col)
    }
    fn boolean(&self, col: &str) -> Result<bool> {
        Ok(self.column::<i64>(col)? != 0)
    }
    fn with_opt_text<T>(&self, col: &str, f: impl FnOnce(Option<&str>) -> Result<T>) -> Result<T> {
        let text = self.row.get_ref(self.index(col)?)?.as_str_or_null().map_err(|e| rows::corrupt(col, e))?;
        f(text)
    }
}

/// SQLite's process-wide settings, made once before the first connection opens (they cannot
/// change after). Memory statistics are off: with them on, every allocation SQLite makes takes a
/// global lock to count itself, and a write that fires triggers allocates many times (statement
/// journals, cursors, records); recoup never reads the statistics.
fn configure_sqlite_once() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: called before any connection exists (the Once runs ahead of the first open in
        // this process); a refusal (SQLITE_MISUSE, when some other code opened a database
        // first) leaves the defaults, which are correct, only slower.
        let rc = unsafe { rusqlite::ffi::sqlite3_config(rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS, 0 as std::ffi::c_int) };
        if rc != rusqlite::ffi::SQLITE_OK {
            tracing::debug!(rc, "SQLite was initialised before recoup could turn memory statistics off");
        }
    });
}

/// Opens a connection with the settings every recoup connection needs.
pub fn connect(path: &Path) -> rusqlite::Result<Connection> {
    configure_sqlite_once();
    let c = Connection::open(path)?;
    // Larger pages suit rows this wide (accounts and contact points run to hundreds of bytes):
    // fewer splits and fewer pages to write. Only takes effect when the file is created.
    c.pragma_update(None, "page_size", 16_384)?;
    // WAL lets readers work while the writer writes; NORMAL sync is durable across application
    // crashes and loses at most the last transactions on power loss, the usual WAL trade-off.
    c.pragma_update(None, "journal_mode", "WAL")?;
    c.pragma_update(None, "synchronous", "NORMAL")?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    c.pragma_update(None, "busy_timeout", 10_000)?;
    c.pragma_update(None, "cache_size", -65_536)?;
    c.set_prepared_statement_cache_capacity(128);
    Ok(c)
}

/// The writer's connection, once migrations are applied. A statement that fires triggers (most
/// writes: migration 0018 keeps report sums by trigger) keeps a statement journal of the pages
/// it changes, to undo itself alone if it fails; in a temporary file that is a system call per
/// 16 KiB page, which made an import a third slower. In memory it is a copy. The writer only
/// runs statements of a few rows each, so the journal stays small; migrations, which may sort
/// millions of rows, run before this is set.
pub fn keep_statement_journals_in_memory(c: &Connection) -> rusqlite::Result<()> {
    c.pragma_update(None, "temp_store", "MEMORY")
}

/// Readers map the file: a page the connection's own cache lacks is then read from the
/// operating system's cache in place, instead of copied out by a system call per 16 KiB page,
/// which is most of a random read's cost in a database larger than the cache. Mapped pages
/// count in the process's RSS once touched, per reader, so the map is kept to the first 256 MiB
/// (the accounts and their indexes come first in a database built by imports): at 1 GiB a
/// strategy day over a million accounts touched a gigabyte of them.
const READER_MMAP_BYTES: i64 = 1 << 28;

fn reader(path: &Path) -> rusqlite::Result<Connection> {
    let c = connect(path)?;
    c.pragma_update(None, "mmap_size", READER_MMAP_BYTES)?;
    Ok(c)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations; sensitive
    /// fields are sealed with `keys`.
    pub async fn open(path: impl AsRef<Path>, keys: Arc<Keyring>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir { path: dir.display().to_string(), source })?;
        }
        let writer = connect(&path)?;
        let store = SqliteStore {
            inner: Arc::new(Inner { path, keys, writer: Mutex::new(writer), readers: Mutex::new(Vec::new()) }),
            key_cache: KeyCache::default(),
            read_permits: tokio::sync::Semaphore::new(READERS),
        };
        store.migrate().await?;
        store.write(|c| Ok(keep_statement_journals_in_memory(c)?)).await?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    fn keys(&self) -> Arc<Keyring> {
        self.inner.keys.clone()
    }

    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let _permit = self.read_permits.acquire().await.map_err(|e| StoreError::Task(e.to_string()))?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            // With a permit held, there is a free connection unless fewer than READERS were opened yet.
            let conn = match inner.take_reader() {
                Some(c) => c,
                None => reader(&inner.path)?,
            };
            let out = f(&conn);
            inner.give_back(conn);
            out
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// For a read of one row by its key: bounded work of a few microseconds, which costs less on
    /// the calling thread than the hop to a blocking thread and back (two thread wake-ups, most
    /// of the cost of the API's busiest route). Only when a reader is free and already open;
    /// otherwise, and for anything that may scan, [`SqliteStore::read`].
    async fn read_by_key<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        if let Ok(_permit) = self.read_permits.try_acquire()
            && let Some(conn) = self.inner.take_reader()
        {
            let out = f(&conn);
            self.inner.give_back(conn);
            return out;
        }
        self.read(f).await
    }

    /// Runs `f` in an immediate write transaction and commits when it returns Ok.
    async fn tx<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T> + Send + 'static,
    {
        self.write(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }
}

/// An account's parties with their contact points, primary first.
fn parties_in(c: &Connection, keys: &Keyring, tenant_id: Uuid, account_id: Uuid) -> Result<Vec<PlacedParty>> {
    Ok(parties_of(c, keys, tenant_id, &[account_id])?.remove(&account_id).unwrap_or_default())
}

/// Several accounts' parties with their contact points, primary first: two statements, the ids
/// bound as IN lists; each list put in order here, not by the planner.
fn parties_of(c: &Connection, keys: &Keyring, tenant_id: Uuid, ids: &[Uuid]) -> Result<std::collections::HashMap<Uuid, Vec<PlacedParty>>> {
    let mut out: std::collections::HashMap<Uuid, Vec<PlacedParty>> = std::collections::HashMap::with_capacity(ids.len());
    if ids.is_empty() {
        return Ok(out);
    }
    let (marks, binds) = in_list(tenant_id, ids);
    let sql = format!(
        "SELECT {}, ap.role, ap.account_id AS linked_account FROM account_parties ap \
         JOIN parties p ON p.tenant_id = ap.tenant_id AND p.id = ap.party_id WHERE ap.tenant_id = ? AND ap.account_id IN ({marks})",
        rows::prefixed("p", rows::PARTY_COLS),
    );
    let links = query_all(c, &sql, rusqlite::params_from_iter(binds), |r| {
        Ok((r.uuid("linked_account")?, rows::party(r, keys)?, r.parsed("role", PartyRole::parse)?))
    })?;
    let mut party_ids: Vec<Uuid> = links.iter().map(|(_, p, _)| p.id).collect();
    party_ids.sort_unstable();
    party_ids.dedup();
    let (marks, binds) = in_list(tenant_id, &party_ids);
    let sql = format!("SELECT {} FROM contact_points WHERE tenant_id = ? AND party_id IN ({marks})", rows::CONTACT_COLS);
    let mut points: std::collections::HashMap<Uuid, Vec<ContactPoint>> = std::collections::HashMap::new();
    for cp in query_all(c, &sql, rusqlite::params_from_iter(binds), |r| rows::contact_point(r))? {
        points.entry(cp.party_id).or_default().push(cp);
    }
    for list in points.values_mut() {
        list.sort_by_key(|cp| cp.id);
    }
    for (account, party, role) in links {
        // A party on several accounts appears once per account.
        let contact_points = points.get(&party.id).cloned().unwrap_or_default();
        out.entry(account).or_default().push(PlacedParty { role, party, contact_points });
    }
    for list in out.values_mut() {
        crate::in_party_order(list);
    }
    Ok(out)
}

/// The placeholders of an IN list of `ids` and the binds for `tenant_id = ? AND … IN (…)`. The
/// list is padded with the nil id (which no row has) to a power of two, so a few cached
/// statements serve every length: each new length was a statement parsed and planned anew.
fn in_list(tenant_id: Uuid, ids: &[Uuid]) -> (String, Vec<Bind>) {
    let n = ids.len().next_power_of_two().max(8);
    let padded = ids.iter().copied().chain(std::iter::repeat(Uuid::nil())).take(n);
    let binds = std::iter::once(Bind::Uuid(tenant_id)).chain(padded.map(Bind::Uuid)).collect();
    (vec!["?"; n].join(", "), binds)
}

const BALANCE_COLS: &str = "bal_principal, bal_interest, bal_fees, bal_costs, bal_credit";

fn query_all<T>(conn: &Connection, sql: &str, params: impl rusqlite::Params, map: impl Fn(&Named) -> Result<T>) -> Result<Vec<T>> {
    let mut out = Vec::new();
    query_each(conn, sql, params, |r| {
        out.push(map(r)?);
        Ok(())
    })?;
    Ok(out)
}

const DIALECT: crate::reports::Dialect = crate::reports::Dialect { ph: |n| format!("?{n}") };

/// Which of `ends` have no kept month-end balances.
fn unkept(c: &Connection, tenant_id: Uuid, ends: &[Date]) -> Result<Vec<Date>> {
    let kept =
        query_all(c, "SELECT on_day FROM month_end_closes WHERE tenant_id = ? AND closer IS NULL", [tenant_id], |r| r.date("on_day"))?;
    Ok(ends.iter().copied().filter(|e| !kept.contains(e)).collect())
}

fn query_each(conn: &Connection, sql: &str, params: impl rusqlite::Params, mut f: impl FnMut(&Named) -> Result<()>) -> Result<()> {
    let mut stmt = conn.prepare_cached(sql)?;
    let names = column_names(&stmt);
    let mut rows = stmt.query(params)?;
    while let Some(r) = rows.next()? {
        f(&Named::new(r, &names))?;
    }
    Ok(())
}

/// A statement's column names, read once for all its rows.
fn column_names(stmt: &rusqlite::Statement<'_>) -> Vec<String> {
    stmt.column_names().into_iter().map(String::from).collect()
}

fn query_one<T>(conn: &Connection, sql: &str, params: impl rusqlite::Params, map: impl Fn(&Named) -> Result<T>) -> Result<Option<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let names = column_names(&stmt);
    let mut rows = stmt.query(params)?;
    match rows.next()? {
        Some(r) => Ok(Some(map(&Named::new(r, &names))?)),
        None => Ok(None),
    }
}

/// Appends events to the tenant's chain inside `tx`. The writer connection is the only writer,
/// so reading the head and writing after it cannot race.
pub(crate) fn append_audit(tx: &Transaction, tenant_id: Uuid, events: Vec<AuditEvent>) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let head =
        query_one(tx, "SELECT seq, hash FROM audit_heads WHERE tenant_id = ?", [tenant_id], |r| Ok((r.int("seq")?, r.hash("hash")?)))?;
    let (seq, head) = head.unwrap_or((0, GENESIS));
    let mut chain = Chainer { tenant_id, seq, head };
    let at = ops::now_micros();
    let mut stmt = tx.prepare_cached(
        "INSERT INTO audit_log (tenant_id, seq, at, actor, action, entity, entity_id, data, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
    )?;
    for ev in events {
        let e = chain.link(at, ev);
        let ev = &e.event;
        stmt.execute(params![
            tenant_id,
            e.seq,
            e.at_micros,
            ev.actor,
            ev.action,
            ev.entity,
            ev.entity_id,
            ev.data,
            &e.prev_hash[..],
            &e.hash[..]
        ])?;
    }
    tx.execute(
        "INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (?,?,?) ON CONFLICT (tenant_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        params![tenant_id, chain.seq, &chain.head[..]],
    )?;
    Ok(())
}

fn insert_account(tx: &Transaction, a: &Account, reported: &Amounts, balance: &Amounts, fingerprint: &[u8], now: i64) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO accounts (tenant_id, id, client_id, portfolio_id, placement_id, external_ref, currency, original_creditor, \
         current_creditor, product, opened_on, first_delinquency_on, charged_off_on, itemization_on, itemization_basis, \
         last_payment_on, last_payment_minor, status, stage, flags, queue, agent_id, \
         rep_principal, rep_interest, rep_fees, rep_costs, bal_principal, bal_interest, bal_fees, bal_costs, bal_credit, \
         fingerprint, created_at, updated_at) \
         VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    )?;
    stmt.execute(params![
        a.tenant_id,
        a.id,
        a.client_id,
        a.portfolio_id,
        a.placement_id,
        a.external_ref,
        a.currency.code(),
        a.original_creditor,
        a.current_creditor,
        a.product,
        date_text(a.opened_on),
        date_text(a.first_delinquency_on),
        date_text(a.charged_off_on),
        date_text(a.itemization_on),
        a.itemization_basis.map(|b| b.as_str()),
        date_text(a.last_payment_on),
        a.last_payment_minor,
        a.status.as_str(),
        a.stage.as_str(),
        a.flags.to_text(),
        a.queue,
        a.agent_id,
        reported.principal,
        reported.interest,
        reported.fees,
        reported.costs,
        balance.principal,
        balance.interest,
        balance.fees,
        balance.costs,
        balance.credit,
        fingerprint,
        now,
        now,
    ])?;
    Ok(())
}

fn update_account(tx: &Transaction, a: &Account, reported: &Amounts, balance: &Amounts, fingerprint: &[u8], now: i64) -> Result<()> {
    let mut stmt = tx.prepare_cached(
        "UPDATE accounts SET original_creditor = ?, current_creditor = ?, product = ?, opened_on = ?, first_delinquency_on = ?, \
         charged_off_on = ?, itemization_on = ?, itemization_basis = ?, last_payment_on = ?, last_payment_minor = ?, flags = ?, \
         rep_principal = ?, rep_interest = ?, rep_fees = ?, rep_costs = ?, \
         bal_principal = ?, bal_interest = ?, bal_fees = ?, bal_costs = ?, bal_credit = ?, fingerprint = ?, updated_at = ? \
         WHERE tenant_id = ? AND id = ?",
    )?;
    stmt.execute(params![
        a.original_creditor,
        a.current_creditor,
        a.product,
        date_text(a.opened_on),
        date_text(a.first_delinquency_on),
        date_text(a.charged_off_on),
        date_text(a.itemization_on),
        a.itemization_basis.map(|b| b.as_str()),
        date_text(a.last_payment_on),
        a.last_payment_minor,
        a.flags.to_text(),
        reported.principal,
        reported.interest,
        reported.fees,
        reported.costs,
        balance.principal,
        balance.interest,
        balance.fees,
        balance.costs,
        balance.credit,
        fingerprint,
        now,
        a.tenant_id,
        a.id,
    ])?;
    Ok(())
}

fn set_balance(tx: &Transaction, tenant_id: Uuid, account_id: Uuid, b: &Amounts) -> Result<()> {
    tx.prepare_cached(
        "UPDATE accounts SET bal_principal = ?, bal_interest = ?, bal_fees = ?, bal_costs = ?, bal_credit = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
    )?
    .execute(params![b.principal, b.interest, b.fees, b.costs, b.credit, ops::now_micros(), tenant_id, account_id])?;
    Ok(())
}

fn insert_party(tx: &Transaction, p: &Party, sealed: &SealedParty, now: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO parties (tenant_id, id, kind, first_name, last_name, company_name, date_of_birth_enc, national_id_enc, \
         national_id_hash, national_id_last4, language, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
    )?
    .execute(params![
        p.tenant_id,
        p.id,
        p.kind.as_str(),
        p.first_name,
        p.last_name,
        p.company_name,
        sealed.date_of_birth_enc,
        sealed.national_id_enc,
        sealed.national_id_hash,
        p.national_id_last4,
        p.language,
        now
    ])?;
    Ok(())
}

/// A re-placement's new details; the plain date column is cleared with them (it is only ever
/// read for rows written before sealing existed).
fn update_party(tx: &Transaction, p: &Party, sealed: &SealedParty) -> Result<()> {
    tx.prepare_cached(
        "UPDATE parties SET kind = ?, first_name = ?, last_name = ?, company_name = ?, date_of_birth = NULL, date_of_birth_enc = ?, \
         national_id_enc = ?, national_id_hash = ?, national_id_last4 = ?, language = COALESCE(?, language) WHERE tenant_id = ? AND id = ?",
    )?
    .execute(params![
        p.kind.as_str(),
        p.first_name,
        p.last_name,
        p.company_name,
        sealed.date_of_birth_enc,
        sealed.national_id_enc,
        sealed.national_id_hash,
        p.national_id_last4,
        p.language,
        p.tenant_id,
        p.id
    ])?;
    Ok(())
}

fn link_party(tx: &Transaction, tenant_id: Uuid, account_id: Uuid, party_id: Uuid, role: PartyRole) -> Result<()> {
    tx.prepare_cached("INSERT INTO account_parties (tenant_id, account_id, party_id, role) VALUES (?,?,?,?)")?.execute(params![
        tenant_id,
        account_id,
        party_id,
        role.as_str()
    ])?;
    Ok(())
}

fn insert_contact(tx: &Transaction, c: &ContactPoint, now: i64) -> Result<()> {
    let a = c.address.as_ref();
    tx.prepare_cached(
        "INSERT INTO contact_points (tenant_id, id, party_id, kind, value, extension, phone_type, line1, line2, city, region, \
         postal_code, country, time_zone, source, verification, consent_call, consent_sms, consent_email, consent_letter, \
         employer_provided, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    )?
    .execute(params![
        c.tenant_id,
        c.id,
        c.party_id,
        c.kind.as_str(),
        c.value,
        c.extension,
        c.phone_type.map(|t| t.as_str()),
        a.map(|a| &a.line1),
        a.and_then(|a| a.line2.as_ref()),
        a.map(|a| &a.city),
        a.map(|a| &a.region),
        a.map(|a| &a.postal_code),
        a.map(|a| &a.country),
        c.time_zone,
        c.source.as_str(),
        c.verification.as_str(),
        c.consent.call.as_str(),
        c.consent.sms.as_str(),
        c.consent.email.as_str(),
        c.consent.letter.as_str(),
        c.employer_provided,
        now,
    ])?;
    Ok(())
}

fn insert_invoice(tx: &Transaction, i: &Invoice) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO invoices (tenant_id, id, account_id, number, issued_on, due_on, amount_minor, open_minor) VALUES (?,?,?,?,?,?,?,?) \
         ON CONFLICT (tenant_id, account_id, number) DO UPDATE SET due_on = excluded.due_on, amount_minor = excluded.amount_minor, open_minor = excluded.open_minor",
    )?
    .execute(params![i.tenant_id, i.id, i.account_id, i.number, i.issued_on.to_string(), i.due_on.to_string(), i.amount_minor, i.open_minor])?;
    Ok(())
}

fn insert_ledger(tx: &Transaction, tenant_id: Uuid, e: &LedgerEntry, now: i64) -> Result<()> {
    let d = &e.delta;
    tx.prepare_cached(
        "INSERT INTO ledger_entries (tenant_id, id, account_id, kind, currency, effective_on, principal, interest, fees, costs, credit, \
         reverses_id, memo, posted_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    )?
    .execute(params![
        tenant_id,
        e.id,
        e.account_id,
        e.kind.as_str(),
        e.currency.code(),
        e.effective_on.to_string(),
        d.principal,
        d.interest,
        d.fees,
        d.costs,
        d.credit,
        e.reverses,
        e.memo,
        now
    ])?;
    Ok(())
}

fn insert_new_account(
    tx: &Transaction,
    keys: &Keyring,
    placement: &Placement,
    row: &PlacedAccount,
    actor: &Actor,
    events: &mut Vec<AuditEvent>,
    now: i64,
) -> Result<()> {
    let (opening, ev) = ops::plan_create(placement, row, actor);
    let a = &row.account;
    insert_account(tx, a, &row.reported, &row.reported, &row.fingerprint, now)?;
    for p in &row.parties {
        insert_party(tx, &p.party, &keys.seal_party(&p.party)?, now)?;
        link_party(tx, a.tenant_id, a.id, p.party.id, p.role)?;
        for c in &p.contact_points {
            insert_contact(tx, c, now)?;
        }
    }
    for i in &row.invoices {
        insert_invoice(tx, i)?;
    }
    if let Some(e) = &opening {
        insert_ledger(tx, a.tenant_id, e, now)?;
    }
    events.push(ev);
    Ok(())
}

/// The floor a placement import is measured against (`recoup bench import`): the same rows,
/// written with the same prepared statements into the same tables, including one audit row per
/// account, but with no lookups, no checks, no hashing, no encryption (sealed columns get
/// stand-ins of the same size) and no batching.
pub fn bare_insert(tx: &Transaction, placement: &Placement, rows: &[PlacedAccount], audit_seq: &mut i64) -> Result<()> {
    let now = ops::now_micros();
    let mut audit = tx.prepare_cached(
        "INSERT INTO audit_log (tenant_id, seq, at, actor, action, entity, entity_id, data, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
    )?;
    for row in rows {
        let a = &row.account;
        insert_account(tx, a, &row.reported, &row.reported, &row.fingerprint, now)?;
        for p in &row.parties {
            insert_party(tx, &p.party, &SealedParty::placeholder(&p.party), now)?;
            link_party(tx, a.tenant_id, a.id, p.party.id, p.role)?;
            for c in &p.contact_points {
                insert_contact(tx, c, now)?;
            }
        }
        for i in &row.invoices {
            insert_invoice(tx, i)?;
        }
        insert_ledger(tx, a.tenant_id, &ops::opening_entry(placement, row), now)?;
        *audit_seq += 1;
        audit.execute(params![
            a.tenant_id,
            *audit_seq,
            now,
            "bench",
            "account.placed",
            "account",
            a.id,
            "{}",
            &GENESIS[..],
            &GENESIS[..]
        ])?;
    }
    Ok(())
}

fn load_existing(tx: &Transaction, tenant_id: Uuid, client_id: Uuid, external_ref: &str) -> Result<Option<Existing>> {
    let sql = format!(
        "SELECT {}, rep_principal, rep_interest, rep_fees, rep_costs, rep_credit, bal_principal, bal_interest, bal_fees, bal_costs, bal_credit, fingerprint \
         FROM accounts WHERE tenant_id = ? AND client_id = ? AND external_ref = ?",
        rows::ACCOUNT_COLS
    );
    let found = query_one(tx, &sql, params![tenant_id, client_id, external_ref], |r| {
        Ok((rows::account(r)?, rows::amounts(r, "rep_")?, rows::amounts(r, "bal_")?, r.bytes("fingerprint")?))
    })?;
    let Some((account, reported, balance, fingerprint)) = found else {
        return Ok(None);
    };
    let primary_party_id = query_one(
        tx,
        "SELECT party_id FROM account_parties WHERE tenant_id = ? AND account_id = ? AND role = 'primary'",
        params![tenant_id, account.id],
        |r| r.uuid("party_id"),
    )?;
    let contacts = match primary_party_id {
        Some(pid) => {
            query_all(tx, "SELECT kind, value FROM contact_points WHERE tenant_id = ? AND party_id = ?", params![tenant_id, pid], |r| {
                Ok((r.parsed("kind", ContactKind::parse)?, r.text("value")?))
            })?
        }
        None => Vec::new(),
    };
    Ok(Some(Existing { account, reported, balance, fingerprint, primary_party_id, contacts }))
}

fn write_rows(tx: &Transaction, keys: &Keyring, placement: &Placement, rows: &[PlacedAccount], actor: &Actor) -> Result<Vec<RowOutcome>> {
    let now = ops::now_micros();
    let mut events = Vec::with_capacity(rows.len());
    let mut outcomes = Vec::with_capacity(rows.len());
    let mut business = Vec::new();
    // A large import builds no events nobody subscribed to.
    let wanted = outbox::placement_events_wanted(tx, placement.tenant_id)?;
    for row in rows {
        let a = &row.account;
        // A lookup sees rows written earlier in this transaction, so a reference given twice in
        // one batch updates the account it created a moment before instead of failing.
        let outcome = match load_existing(tx, a.tenant_id, a.client_id, &a.external_ref)? {
            None => {
                insert_new_account(tx, keys, placement, row, actor, &mut events, now)?;
                if wanted.created {
                    business.push(ops::account_placed(a, true));
                }
                RowOutcome::Created
            }
            Some(existing) => match ops::plan_update(existing, row, placement.placed_on, actor) {
                UpdatePlan::Unchanged => RowOutcome::Unchanged,
                UpdatePlan::Refused(why) => RowOutcome::Refused(why),
                UpdatePlan::Update(u) => {
                    update_account(tx, &u.account, &u.reported, &u.balance, &row.fingerprint, now)?;
                    if let Some(p) = &u.primary_party {
                        update_party(tx, p, &keys.seal_party(p)?)?;
                    }
                    for c in &u.new_contacts {
                        insert_contact(tx, c, now)?;
                    }
                    for i in &row.invoices {
                        insert_invoice(tx, &Invoice { account_id: u.account.id, ..i.clone() })?;
                    }
                    if let Some(e) = &u.adjustment {
                        insert_ledger(tx, a.tenant_id, e, now)?;
                    }
                    events.push(u.event);
                    if wanted.updated {
                        business.push(ops::account_placed(&u.account, false));
                    }
                    RowOutcome::Updated
                }
            },
        };
        outcomes.push(outcome);
    }
    append_audit(tx, placement.tenant_id, events)?;
    outbox::emit(tx, placement.tenant_id, business)?;
    Ok(outcomes)
}

fn apply_migrations(conn: &mut Connection, list: &'static [Migration]) -> Result<Vec<i64>> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS recoup_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    )?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let applied = query_all(&tx, "SELECT version, checksum FROM recoup_migrations", [], |r| Ok((r.int("version")?, r.text("checksum")?)))?;
    let mut now_applied = Vec::new();
    for m in crate::migrate::pending(list, &applied)? {
        tx.execute_batch(m.sql)?;
        tx.execute(
            "INSERT INTO recoup_migrations (version, name, checksum, applied_at) VALUES (?,?,?,?)",
            params![m.version, m.name, m.checksum(), ops::now_micros()],
        )?;
        now_applied.push(m.version);
    }
    tx.commit()?;
    Ok(now_applied)
}

/// Records the check values of keys this database has not seen, or refuses a key that differs
/// from the one recorded under its name.
fn check_keys(conn: &mut Connection, keys: &Keyring) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let recorded = query_all(&tx, "SELECT name, key_check FROM seal_keys", [], |r| Ok((r.text("name")?, r.bytes("key_check")?)))?;
    for (name, check) in seal::unrecorded_keys(keys, &recorded).map_err(StoreError::KeyMismatch)? {
        tx.execute("INSERT INTO seal_keys (name, key_check, created_at) VALUES (?,?,?)", params![name, &check[..], ops::now_micros()])?;
    }
    tx.commit()?;
    Ok(())
}

/// Seals the plain dates of birth rows written before migration 0006 still hold, a batch per
/// transaction, and clears them. Returns how many were sealed.
fn seal_plain_dates(conn: &mut Connection, keys: &Keyring) -> Result<u64> {
    let mut sealed = 0;
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let batch =
            query_all(&tx, "SELECT tenant_id, id, date_of_birth FROM parties WHERE date_of_birth IS NOT NULL LIMIT 1000", [], |r| {
                Ok((r.uuid("tenant_id")?, r.uuid("id")?, r.date("date_of_birth")?))
            })?;
        if batch.is_empty() {
            return Ok(sealed);
        }
        for (tenant_id, id, date) in &batch {
            let enc = keys.seal_date(&Place { column: seal::DATE_OF_BIRTH_ENC, tenant_id: *tenant_id, row_id: *id }, *date)?;
            tx.prepare_cached("UPDATE parties SET date_of_birth_enc = ?, date_of_birth = NULL WHERE tenant_id = ? AND id = ?")?
                .execute(params![enc, tenant_id, id])?;
        }
        tx.commit()?;
        sealed += batch.len() as u64;
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn link_tag(&self, data: &[u8]) -> [u8; 32] {
        self.keys().link_tag(data)
    }

    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn migrate(&self) -> Result<Vec<i64>> {
        let keys = self.keys();
        self.write(move |conn| {
            let applied = apply_migrations(conn, SQLITE)?;
            planner::seed(conn)?;
            check_keys(conn, &keys)?;
            let sealed = seal_plain_dates(conn, &keys)?;
            if sealed > 0 {
                tracing::info!(sealed, "sealed dates of birth stored in plain text before encryption");
            }
            Ok(applied)
        })
        .await
    }

    async fn create_tenant(&self, t: &Tenant) -> Result<()> {
        let t = t.clone();
        self.tx(move |tx| {
            tx.execute(
                "INSERT INTO tenants (tenant_id, slug, name, created_at) VALUES (?,?,?,?)",
                params![t.id, t.slug, t.name, ops::now_micros()],
            )
            .map_err(StoreError::from)
            .map_err(|e| if e.is_unique_violation() { StoreError::Conflict(format!("tenant {}", t.slug)) } else { e })?;
            Ok(())
        })
        .await
    }

    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>> {
        let slug = slug.to_string();
        self.read(move |c| query_one(c, &format!("SELECT {} FROM tenants WHERE slug = ?", rows::TENANT_COLS), [slug], |r| rows::tenant(r)))
            .await
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        self.read(|c| query_all(c, &format!("SELECT {} FROM tenants ORDER BY slug", rows::TENANT_COLS), [], |r| rows::tenant(r))).await
    }

    async fn create_client(&self, cl: &Client, actor: &Actor) -> Result<()> {
        let (cl, actor) = (cl.clone(), actor.clone());
        self.tx(move |tx| {
            tx.execute(
                "INSERT INTO clients (tenant_id, id, code, name, commission_rate, waterfall, default_currency, created_at) VALUES (?,?,?,?,?,?,?,?)",
                params![cl.tenant_id, cl.id, cl.code, cl.name, cl.commission_rate.to_string(), rows::waterfall_text(&cl.waterfall), cl.default_currency.code(), ops::now_micros()],
            )
            .map_err(StoreError::from)
            .map_err(|e| if e.is_unique_violation() { StoreError::Conflict(format!("client {}", cl.code)) } else { e })?;
            let ev = ops::event(&actor, "client.created", "client", cl.id, json!({"code": cl.code, "commission_rate": cl.commission_rate.to_string()}));
            append_audit(tx, cl.tenant_id, vec![ev])
        })
        .await
    }

    async fn client_by_code(&self, tenant_id: Uuid, code: &str) -> Result<Option<Client>> {
        let code = code.to_string();
        let sql = format!("SELECT {} FROM clients WHERE tenant_id = ? AND code = ?", rows::CLIENT_COLS);
        self.read(move |c| query_one(c, &sql, params![tenant_id, code], |r| rows::client(r))).await
    }

    async fn list_clients(&self, tenant_id: Uuid) -> Result<Vec<Client>> {
        let sql = format!("SELECT {} FROM clients WHERE tenant_id = ? ORDER BY code", rows::CLIENT_COLS);
        self.read(move |c| query_all(c, &sql, [tenant_id], |r| rows::client(r))).await
    }

    async fn create_portfolio(&self, p: &Portfolio, actor: &Actor) -> Result<()> {
        let (p, actor) = (p.clone(), actor.clone());
        self.tx(move |tx| {
            tx.execute(
                "INSERT INTO portfolios (tenant_id, id, client_id, code, name, product, created_at) VALUES (?,?,?,?,?,?,?)",
                params![p.tenant_id, p.id, p.client_id, p.code, p.name, p.product, ops::now_micros()],
            )
            .map_err(StoreError::from)
            .map_err(|e| if e.is_unique_violation() { StoreError::Conflict(format!("portfolio {}", p.code)) } else { e })?;
            append_audit(
                tx,
                p.tenant_id,
                vec![ops::event(&actor, "portfolio.created", "portfolio", p.id, json!({"code": p.code, "client_id": p.client_id}))],
            )
        })
        .await
    }

    async fn portfolio_by_code(&self, tenant_id: Uuid, client_id: Uuid, code: &str) -> Result<Option<Portfolio>> {
        let code = code.to_string();
        let sql = format!("SELECT {} FROM portfolios WHERE tenant_id = ? AND client_id = ? AND code = ?", rows::PORTFOLIO_COLS);
        self.read(move |c| query_one(c, &sql, params![tenant_id, client_id, code], |r| rows::portfolio(r))).await
    }

    async fn list_portfolios(&self, tenant_id: Uuid, client_id: Uuid) -> Result<Vec<Portfolio>> {
        let sql = format!("SELECT {} FROM portfolios WHERE tenant_id = ? AND client_id = ? ORDER BY code", rows::PORTFOLIO_COLS);
        self.read(move |c| query_all(c, &sql, params![tenant_id, client_id], |r| rows::portfolio(r))).await
    }

    async fn begin_placement(&self, p: &Placement, actor: &Actor) -> Result<()> {
        let (p, actor) = (p.clone(), actor.clone());
        self.tx(move |tx| {
            tx.execute(
                "INSERT INTO placements (tenant_id, id, client_id, portfolio_id, placed_on, file_name, status, created_at) VALUES (?,?,?,?,?,?,?,?)",
                params![p.tenant_id, p.id, p.client_id, p.portfolio_id, p.placed_on.to_string(), p.file_name, p.status.as_str(), ops::now_micros()],
            )?;
            let ev = ops::event(&actor, "placement.started", "placement", p.id, json!({"file_name": p.file_name, "placed_on": p.placed_on.to_string()}));
            append_audit(tx, p.tenant_id, vec![ev])
        })
        .await
    }

    async fn write_placed(&self, placement: &Placement, rows: Vec<PlacedAccount>, actor: &Actor) -> Result<Vec<RowOutcome>> {
        let (placement, actor, keys) = (placement.clone(), actor.clone(), self.keys());
        self.tx(move |tx| {
            let mut rows = rows;
            for r in &mut rows {
                r.fingerprint = keys.keyed_fingerprint(&r.fingerprint);
            }
            write_rows(tx, &keys, &placement, &rows, &actor)
        })
        .await
    }

    async fn finish_placement(&self, tenant_id: Uuid, placement_id: Uuid, status: PlacementStatus, n: &ImportCounts) -> Result<()> {
        let n = *n;
        self.tx(move |tx| {
            let changed = tx.execute(
                "UPDATE placements SET status = ?, rows_read = ?, rows_created = ?, rows_updated = ?, rows_unchanged = ?, rows_rejected = ? \
                 WHERE tenant_id = ? AND id = ?",
                params![status.as_str(), n.read as i64, n.created as i64, n.updated as i64, n.unchanged as i64, n.rejected as i64, tenant_id, placement_id],
            )?;
            if changed == 0 {
                return Err(StoreError::not_found("placement", placement_id));
            }
            let ev = ops::event(
                &Actor::new(format!("import:{placement_id}")),
                "placement.finished",
                "placement",
                placement_id,
                json!({"status": status.as_str(), "read": n.read, "created": n.created, "updated": n.updated, "unchanged": n.unchanged, "rejected": n.rejected}),
            );
            append_audit(tx, tenant_id, vec![ev])?;
            outbox::emit(tx, tenant_id, vec![ops::placement_completed(tenant_id, placement_id, status, &n)])
        })
        .await
    }

    async fn placement_summaries(&self, tenant_id: Uuid, client_id: Option<Uuid>) -> Result<Vec<crate::reports::PlacementSummary>> {
        let sql = crate::reports::placement_summaries_sql("?1", "?2", client_id.is_some());
        self.read(move |c| match client_id {
            Some(client) => query_all(c, &sql, params![tenant_id, client], |r| crate::reports::placement_summary(r)),
            None => query_all(c, &sql, params![tenant_id], |r| crate::reports::placement_summary(r)),
        })
        .await
    }

    async fn report_data(&self, tenant_id: Uuid, q: &crate::reports::ReportQuery) -> Result<crate::reports::ReportData> {
        use crate::reports::{self as r, Collector, part_sql};
        let ends = r::month_ends(q);
        self.close_month_ends(tenant_id, &r::closable(&ends, ops::today())).await?;
        let placements = r::in_portfolio(self.placement_summaries(tenant_id, q.client_id).await?, q.portfolio_id);
        let q = q.clone();
        self.read(move |c| {
            // One snapshot for every part, so the figures agree with each other.
            let tx = c.unchecked_transaction()?;
            let kept = unkept(&tx, tenant_id, &ends)?.is_empty();
            let mut collector = Collector::new(placements, &q);
            for part in if kept { &r::KEPT_PARTS[..] } else { &r::REPLAYED_PARTS[..] } {
                let (sql, binds) = part_sql(*part, tenant_id, &q, &DIALECT);
                query_each(&tx, &sql, rusqlite::params_from_iter(binds.iter()), |row| collector.collect(*part, row))?;
            }
            Ok(collector.finish())
        })
        .await
    }

    async fn close_month_ends(&self, tenant_id: Uuid, ends: &[Date]) -> Result<u64> {
        use crate::reports::{self as r, Replay};
        let wanted = ends.to_vec();
        let ends = self.read(move |c| unkept(c, tenant_id, &wanted)).await?;
        if ends.is_empty() {
            return Ok(0);
        }
        // Mark the month-ends before replaying: a change from here on that reopens one deletes
        // its mark, and the replay then keeps nothing for it.
        let closer = Uuid::now_v7();
        let marked = ends.clone();
        self.write(move |conn| {
            let tx = conn.transaction()?;
            for end in &marked {
                tx.execute(&r::mark_sql(&DIALECT), params![tenant_id, end.to_string(), closer])?;
            }
            tx.commit()?;
            Ok(())
        })
        .await?;
        let replayed = r::replay_ends(&ends);
        let replay = self
            .read(move |c| {
                let (sql, binds) = r::replay_sql(tenant_id, &replayed, None, &DIALECT);
                let mut replay = Replay::new(replayed);
                query_each(c, &sql, rusqlite::params_from_iter(binds.iter()), |row| replay.add(row))?;
                Ok(replay.finish().closed(&ends))
            })
            .await?;
        self.write(move |conn| {
            let tx = conn.transaction()?;
            let mut kept = Vec::new();
            for end in replay.ends() {
                if tx.execute(&r::keep_sql(&DIALECT), params![tenant_id, end.to_string(), closer])? == 1 {
                    kept.push(end);
                }
            }
            for (sql, binds) in r::close_statements(tenant_id, &kept, &replay, &DIALECT) {
                tx.prepare_cached(&sql)?.execute(rusqlite::params_from_iter(binds.iter()))?;
            }
            tx.commit()?;
            Ok(kept.len() as u64)
        })
        .await
    }

    async fn placement(&self, tenant_id: Uuid, placement_id: Uuid) -> Result<Option<Placement>> {
        let sql = format!("SELECT {} FROM placements WHERE tenant_id = ? AND id = ?", rows::PLACEMENT_COLS);
        self.read(move |c| query_one(c, &sql, params![tenant_id, placement_id], |r| rows::placement(r))).await
    }

    async fn account(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Option<Account>> {
        let sql = format!("SELECT {} FROM accounts WHERE tenant_id = ? AND id = ?", rows::ACCOUNT_COLS);
        self.read_by_key(move |c| query_one(c, &sql, params![tenant_id, account_id], |r| rows::account(r))).await
    }

    async fn account_with_balance(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Option<(Account, Amounts)>> {
        // Built once: this is the API's busiest read.
        static SQL: LazyLock<String> =
            LazyLock::new(|| format!("SELECT {}, {BALANCE_COLS} FROM accounts WHERE tenant_id = ? AND id = ?", rows::ACCOUNT_COLS));
        self.read_by_key(move |c| {
            query_one(c, &SQL, params![tenant_id, account_id], |r| Ok((rows::account(r)?, rows::amounts(r, "bal_")?)))
        })
        .await
    }

    async fn account_by_ref(&self, tenant_id: Uuid, client_id: Uuid, external_ref: &str) -> Result<Option<Account>> {
        let r = external_ref.to_string();
        let sql = format!("SELECT {} FROM accounts WHERE tenant_id = ? AND client_id = ? AND external_ref = ?", rows::ACCOUNT_COLS);
        self.read(move |c| query_one(c, &sql, params![tenant_id, client_id, r], |r| rows::account(r))).await
    }

    async fn find_accounts(&self, tenant_id: Uuid, listing: &AccountListing) -> Result<Vec<ListedAccount>> {
        let (clauses, binds) = listing::account_query(tenant_id, listing, &self.inner.keys, |n| format!("?{n}"));
        let sql = format!("SELECT {}, {} FROM accounts {clauses}", rows::ACCOUNT_COLS, rows::LISTED_COLS);
        self.read(move |c| query_all(c, &sql, rusqlite::params_from_iter(binds.iter()), |r| rows::listed(r))).await
    }

    async fn count_accounts(&self, tenant_id: Uuid) -> Result<u64> {
        self.read(
            move |c| Ok(c.query_row("SELECT COUNT(*) FROM accounts WHERE tenant_id = ?", [tenant_id], |r| r.get::<_, i64>(0))? as u64),
        )
        .await
    }

    async fn parties_of(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Vec<PlacedParty>> {
        let keys = self.keys();
        self.read(move |c| parties_in(c, &keys, tenant_id, account_id)).await
    }

    async fn parties_of_many(&self, tenant_id: Uuid, account_ids: &[Uuid]) -> Result<std::collections::HashMap<Uuid, Vec<PlacedParty>>> {
        let (keys, ids) = (self.keys(), account_ids.to_vec());
        self.read(move |c| parties_of(c, &keys, tenant_id, &ids)).await
    }

    async fn invoices(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Vec<Invoice>> {
        let sql = format!("SELECT {} FROM invoices WHERE tenant_id = ? AND account_id = ? ORDER BY number", rows::INVOICE_COLS);
        self.read(move |c| query_all(c, &sql, params![tenant_id, account_id], |r| rows::invoice(r))).await
    }

    async fn change_status(&self, tenant_id: Uuid, account_id: Uuid, to: AccountStatus, reason: &str, actor: &Actor) -> Result<Account> {
        let (reason, actor) = (reason.to_string(), actor.clone());
        self.tx(move |tx| {
            let sql = format!("SELECT {} FROM accounts WHERE tenant_id = ? AND id = ?", rows::ACCOUNT_COLS);
            let mut a = query_one(tx, &sql, params![tenant_id, account_id], |r| rows::account(r))?
                .ok_or_else(|| StoreError::not_found("account", account_id))?;
            let from = a.status;
            a.status = from.transition(to)?;
            tx.execute(
                "UPDATE accounts SET status = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
                params![to.as_str(), ops::now_micros(), tenant_id, account_id],
            )?;
            let ev = ops::event(
                &actor,
                "account.status_changed",
                "account",
                account_id,
                json!({"from": from.as_str(), "to": to.as_str(), "reason": reason}),
            );
            append_audit(tx, tenant_id, vec![ev])?;
            outbox::emit(tx, tenant_id, vec![ops::status_changed(&a, from, &reason)])?;
            Ok(a)
        })
        .await
    }

    async fn assign(&self, tenant_id: Uuid, account_id: Uuid, change: &crate::Assignment, actor: &Actor) -> Result<Account> {
        let (change, actor) = (change.clone(), actor.clone());
        self.tx(move |tx| {
            let sql = format!("SELECT {} FROM accounts WHERE tenant_id = ? AND id = ?", rows::ACCOUNT_COLS);
            let a = query_one(tx, &sql, params![tenant_id, account_id], |r| rows::account(r))?
                .ok_or_else(|| StoreError::not_found("account", account_id))?;
            let Some((next, audit, business)) = ops::plan_assign(&a, &change, &actor) else { return Ok(a) };
            tx.execute(
                "UPDATE accounts SET stage = ?, queue = ?, agent_id = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
                params![next.stage.as_str(), next.queue, next.agent_id, ops::now_micros(), tenant_id, account_id],
            )?;
            append_audit(tx, tenant_id, vec![audit])?;
            outbox::emit(tx, tenant_id, vec![business])?;
            Ok(next)
        })
        .await
    }

    async fn set_consent(
        &self,
        tenant_id: Uuid,
        contact_point_id: Uuid,
        channel: Channel,
        state: ConsentState,
        actor: &Actor,
    ) -> Result<ContactPoint> {
        let actor = actor.clone();
        self.tx(move |tx| {
            let sql = format!("SELECT {} FROM contact_points WHERE tenant_id = ? AND id = ?", rows::CONTACT_COLS);
            let mut cp = query_one(tx, &sql, params![tenant_id, contact_point_id], |r| rows::contact_point(r))?
                .ok_or_else(|| StoreError::not_found("contact point", contact_point_id))?;
            let from = cp.consent.get(channel);
            cp.consent.set(channel, state);
            // The column name comes from a closed enum, never from input.
            let sql = format!("UPDATE contact_points SET consent_{} = ? WHERE tenant_id = ? AND id = ?", channel.as_str());
            tx.execute(&sql, params![state.as_str(), tenant_id, contact_point_id])?;
            let ev = ops::event(
                &actor,
                "consent.changed",
                "contact_point",
                contact_point_id,
                json!({"channel": channel.as_str(), "from": from.as_str(), "to": state.as_str()}),
            );
            append_audit(tx, tenant_id, vec![ev])?;
            outbox::emit(tx, tenant_id, vec![ops::consent_changed(&cp, channel, from)])?;
            Ok(cp)
        })
        .await
    }

    async fn set_party_language(&self, tenant_id: Uuid, party_id: Uuid, language: &str, actor: &Actor) -> Result<()> {
        let (actor, language) = (actor.clone(), language.to_string());
        self.tx(move |tx| {
            let from: Option<Option<String>> =
                query_one(tx, "SELECT language FROM parties WHERE tenant_id = ? AND id = ?", params![tenant_id, party_id], |r| {
                    use crate::rows::Get;
                    r.opt_text("language")
                })?;
            let Some(from) = from else { return Err(StoreError::not_found("party", party_id)) };
            tx.execute("UPDATE parties SET language = ? WHERE tenant_id = ? AND id = ?", params![language, tenant_id, party_id])?;
            let ev = ops::event(&actor, "party.language_changed", "party", party_id, json!({"from": from, "to": language}));
            append_audit(tx, tenant_id, vec![ev])?;
            Ok(())
        })
        .await
    }

    async fn ledger(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Vec<LedgerEntry>> {
        let sql = format!("SELECT {} FROM ledger_entries WHERE tenant_id = ? AND account_id = ? ORDER BY id", rows::LEDGER_COLS);
        self.read(move |c| query_all(c, &sql, params![tenant_id, account_id], |r| rows::ledger_entry(r))).await
    }

    async fn balance(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Amounts> {
        let sql = "SELECT bal_principal, bal_interest, bal_fees, bal_costs, bal_credit FROM accounts WHERE tenant_id = ? AND id = ?";
        self.read(move |c| {
            query_one(c, sql, params![tenant_id, account_id], |r| rows::amounts(r, "bal_"))?
                .ok_or_else(|| StoreError::not_found("account", account_id))
        })
        .await
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
        let (memo, actor) = (memo.to_string(), actor.clone());
        self.tx(move |tx| {
            let sql = format!(
                "SELECT {}, bal_principal, bal_interest, bal_fees, bal_costs, bal_credit FROM accounts WHERE tenant_id = ? AND id = ?",
                rows::ACCOUNT_COLS
            );
            let (account, balance) =
                query_one(tx, &sql, params![tenant_id, account_id], |r| Ok((rows::account(r)?, rows::amounts(r, "bal_")?)))?
                    .ok_or_else(|| StoreError::not_found("account", account_id))?;
            let csql = format!("SELECT {} FROM clients WHERE tenant_id = ? AND id = ?", rows::CLIENT_COLS);
            let client = query_one(tx, &csql, params![tenant_id, account.client_id], |r| rows::client(r))?
                .ok_or_else(|| StoreError::not_found("client", account.client_id))?;
            let entries = match posting {
                Posting::Reversal { .. } => {
                    let lsql =
                        format!("SELECT {} FROM ledger_entries WHERE tenant_id = ? AND account_id = ? ORDER BY id", rows::LEDGER_COLS);
                    query_all(tx, &lsql, params![tenant_id, account_id], |r| rows::ledger_entry(r))?
                }
                _ => Vec::new(),
            };
            let plan = ops::plan_posting(
                &account,
                &client.waterfall,
                &balance,
                &entries,
                &ops::PostingInput { posting: &posting, effective_on, memo: &memo, actor: &actor },
            )?;
            insert_ledger(tx, tenant_id, &plan.entry, ops::now_micros())?;
            set_balance(tx, tenant_id, account_id, &plan.balance)?;
            append_audit(tx, tenant_id, vec![plan.event])?;
            outbox::emit(tx, tenant_id, plan.business.into_iter().collect())?;
            Ok(plan.entry)
        })
        .await
    }

    async fn create_api_key(&self, key: &ApiKey, secret_hash: &[u8; 32], actor: &Actor) -> Result<()> {
        let (key, hash, actor) = (key.clone(), *secret_hash, actor.clone());
        self.tx(move |tx| {
            tx.execute(
                "INSERT INTO api_keys (tenant_id, id, name, role, client_id, prefix, secret_hash, created_at) VALUES (?,?,?,?,?,?,?,?)",
                params![key.tenant_id, key.id, key.name, key.role.as_str(), key.client_id, key.prefix, &hash[..], key.created_at],
            )?;
            let ev = ops::api_key_event(&actor, "api_key.created", &key);
            append_audit(tx, key.tenant_id, vec![ev])
        })
        .await
    }

    async fn api_key_by_prefix(&self, prefix: &str) -> Result<Option<(ApiKey, [u8; 32])>> {
        if let Some(hit) = self.key_cache.get(prefix) {
            return Ok(Some(hit));
        }
        let generation = self.key_cache.generation();
        let prefix = prefix.to_string();
        let sql = format!("SELECT {}, secret_hash FROM api_keys WHERE prefix = ?", rows::API_KEY_COLS);
        let found = self.read_by_key(move |c| query_one(c, &sql, [prefix], |r| Ok((rows::api_key(r)?, r.hash("secret_hash")?)))).await?;
        if let Some((key, hash)) = &found {
            self.key_cache.put(generation, key, *hash);
        }
        Ok(found)
    }

    async fn list_api_keys(&self, tenant_id: Uuid) -> Result<Vec<ApiKey>> {
        let sql = format!("SELECT {} FROM api_keys WHERE tenant_id = ? ORDER BY id", rows::API_KEY_COLS);
        self.read(move |c| query_all(c, &sql, [tenant_id], |r| rows::api_key(r))).await
    }

    async fn touch_api_key(&self, tenant_id: Uuid, key_id: Uuid, at_micros: i64) -> Result<()> {
        self.write(move |c| {
            c.execute("UPDATE api_keys SET last_used_at = ? WHERE tenant_id = ? AND id = ?", params![at_micros, tenant_id, key_id])?;
            Ok(())
        })
        .await?;
        self.key_cache.touched(key_id, at_micros);
        Ok(())
    }

    async fn revoke_api_key(&self, tenant_id: Uuid, key_id: Uuid, actor: &Actor) -> Result<ApiKey> {
        let actor = actor.clone();
        let revoked = self
            .tx(move |tx| {
                let now = ops::now_micros();
                tx.execute(
                    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant_id = ? AND id = ?",
                    params![now, tenant_id, key_id],
                )?;
                let sql = format!("SELECT {} FROM api_keys WHERE tenant_id = ? AND id = ?", rows::API_KEY_COLS);
                let key = query_one(tx, &sql, params![tenant_id, key_id], |r| rows::api_key(r))?
                    .ok_or_else(|| StoreError::not_found("api key", key_id))?;
                append_audit(tx, tenant_id, vec![ops::api_key_event(&actor, "api_key.revoked", &key)])?;
                Ok(key)
            })
            .await;
        self.key_cache.forget(key_id);
        revoked
    }

    async fn create_user(&self, user: &User, password_hash: &str, actor: &Actor) -> Result<()> {
        let (user, hash, actor) = (user.clone(), password_hash.to_string(), actor.clone());
        self.tx(move |tx| {
            tx.execute(
                "INSERT INTO users (tenant_id, id, email, name, role, client_id, password_hash, disabled, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                params![user.tenant_id, user.id, user.email, user.name, user.role.as_str(), user.client_id, hash, user.disabled, user.created_at],
            )
            .map_err(StoreError::from)
            .map_err(|e| if e.is_unique_violation() { StoreError::Conflict(format!("user {}", user.email)) } else { e })?;
            append_audit(tx, user.tenant_id, vec![ops::user_event(&actor, "user.created", &user)])
        })
        .await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>> {
        let email = email.trim().to_lowercase();
        let sql = format!("SELECT {}, password_hash FROM users WHERE email = ?", rows::USER_COLS);
        self.read(move |c| query_one(c, &sql, [email], |r| Ok((rows::user(r)?, r.text("password_hash")?)))).await
    }

    async fn user(&self, tenant_id: Uuid, user_id: Uuid) -> Result<Option<User>> {
        let sql = format!("SELECT {} FROM users WHERE tenant_id = ? AND id = ?", rows::USER_COLS);
        self.read(move |c| query_one(c, &sql, params![tenant_id, user_id], |r| rows::user(r))).await
    }

    async fn list_users(&self, tenant_id: Uuid) -> Result<Vec<User>> {
        let sql = format!("SELECT {} FROM users WHERE tenant_id = ? ORDER BY email", rows::USER_COLS);
        self.read(move |c| query_all(c, &sql, [tenant_id], |r| rows::user(r))).await
    }

    async fn set_user_disabled(&self, tenant_id: Uuid, user_id: Uuid, disabled: bool, actor: &Actor) -> Result<User> {
        let actor = actor.clone();
        self.tx(move |tx| {
            tx.execute("UPDATE users SET disabled = ? WHERE tenant_id = ? AND id = ?", params![disabled, tenant_id, user_id])?;
            if disabled {
                tx.execute("DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?", params![tenant_id, user_id])?;
            }
            let sql = format!("SELECT {} FROM users WHERE tenant_id = ? AND id = ?", rows::USER_COLS);
            let user = query_one(tx, &sql, params![tenant_id, user_id], |r| rows::user(r))?
                .ok_or_else(|| StoreError::not_found("user", user_id))?;
            let action = if disabled { "user.disabled" } else { "user.enabled" };
            append_audit(tx, tenant_id, vec![ops::user_event(&actor, action, &user)])?;
            Ok(user)
        })
        .await
    }

    async fn create_session(&self, session: &Session) -> Result<()> {
        let s = session.clone();
        self.write(move |c| {
            c.execute(
                "INSERT INTO sessions (token_hash, tenant_id, user_id, created_at, last_seen_at, account_id) VALUES (?,?,?,?,?,?)",
                params![&s.token_hash[..], s.tenant_id, s.user_id, s.created_at, s.last_seen_at, s.account_id],
            )?;
            Ok(())
        })
        .await
    }

    async fn session(&self, token_hash: &[u8; 32]) -> Result<Option<Session>> {
        let hash = *token_hash;
        self.read(move |c| {
            query_one(
                c,
                "SELECT token_hash, tenant_id, user_id, created_at, last_seen_at, account_id FROM sessions WHERE token_hash = ?",
                [&hash[..]],
                |r| rows::session(r),
            )
        })
        .await
    }

    async fn touch_session(&self, token_hash: &[u8; 32], at_micros: i64) -> Result<()> {
        let hash = *token_hash;
        self.write(move |c| {
            c.execute("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", params![at_micros, &hash[..]])?;
            Ok(())
        })
        .await
    }

    async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<()> {
        let hash = *token_hash;
        self.write(move |c| {
            c.execute("DELETE FROM sessions WHERE token_hash = ?", [&hash[..]])?;
            Ok(())
        })
        .await
    }

    async fn work_periods(&self, tenant_id: Uuid, from_micros: i64, to_micros: i64) -> Result<Vec<recoup_domain::kpi::WorkPeriod>> {
        let sql = rows::WORK_PERIODS_SQL.replace("{t}", "?1").replace("{from}", "?2").replace("{to}", "?3");
        self.read(move |c| query_all(c, &sql, params![tenant_id, from_micros, to_micros], |r| rows::work_period(r))).await
    }

    async fn record_sign_in_failure(&self, email: &str, at_micros: i64) -> Result<()> {
        let email = email.trim().to_lowercase();
        self.write(move |c| {
            c.execute("INSERT INTO sign_in_failures (email, at) VALUES (?, ?)", params![email, at_micros])?;
            Ok(())
        })
        .await
    }

    async fn sign_in_failures(&self, email: &str, since_micros: i64) -> Result<Vec<i64>> {
        let email = email.trim().to_lowercase();
        self.read(move |c| {
            query_all(c, "SELECT at FROM sign_in_failures WHERE email = ? AND at >= ? ORDER BY at", params![email, since_micros], |r| {
                r.int("at")
            })
        })
        .await
    }

    async fn clear_sign_in_failures(&self, email: &str) -> Result<()> {
        let email = email.trim().to_lowercase();
        self.write(move |c| {
            c.execute("DELETE FROM sign_in_failures WHERE email = ?", [email])?;
            Ok(())
        })
        .await
    }

    async fn audit_entries(&self, tenant_id: Uuid, after_seq: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        let sql = format!("SELECT {} FROM audit_log WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?", rows::AUDIT_COLS);
        self.read(move |c| query_all(c, &sql, params![tenant_id, after_seq, limit], |r| rows::audit_entry(r))).await
    }

    async fn search_audit(&self, tenant_id: Uuid, q: &AuditQuery, after_seq: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        let sql = format!(
            "SELECT {} FROM audit_log WHERE tenant_id = ? AND seq > ? AND (? IS NULL OR entity_id = ?) AND (? IS NULL OR actor = ?) \
             AND (? IS NULL OR at >= ?) AND (? IS NULL OR at < ?) ORDER BY seq LIMIT ?",
            rows::AUDIT_COLS
        );
        let q = q.clone();
        self.read(move |c| {
            let p = params![
                tenant_id,
                after_seq,
                q.entity_id,
                q.entity_id,
                q.actor,
                q.actor,
                q.from_micros,
                q.from_micros,
                q.to_micros,
                q.to_micros,
                limit
            ];
            query_all(c, &sql, p, |r| rows::audit_entry(r))
        })
        .await
    }
}
