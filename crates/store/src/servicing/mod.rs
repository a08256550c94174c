//! Account servicing: promises, plans, payments and reversals, settlements, disputes and holds.
//!
//! Every servicing action is one read-decide-write on one account. A backend loads the account's
//! file (the account, its balance, its client, its ledger and its servicing records) inside a
//! transaction that holds the account, hands it to a pure decision (`Op`), and writes what the
//! decision returns (`Changes`): records, ledger entries, the new balance, the account's status
//! and flags, audit entries and business events, all or nothing. The decisions live here, once,
//! for both backends; each backend implements only [`Servicing`].

pub mod accrual;
pub mod contact;
pub mod dispute;
pub mod document;
pub mod hold;
pub mod message;
pub mod payment;
pub mod plan;
pub mod preference;
pub mod promise;
pub mod reconcile;
pub mod remittance;
pub mod settlement;
pub mod task;

pub use reconcile::{DailyReport, daily};

use crate::listing::Bind;
use crate::{Actor, Result, StoreError};
use async_trait::async_trait;
use jiff::civil::Date;
use recoup_domain::account::{Account, AccountStatus};
use recoup_domain::audit::AuditEvent;
use recoup_domain::client_policy::ClientPolicy;
use recoup_domain::event::{Event, EventType};
use recoup_domain::ledger::{Amounts, LedgerEntry};
use recoup_domain::org::Client;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// What a servicing record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Promise,
    Plan,
    Payment,
    Reversal,
    Settlement,
    Dispute,
    Hold,
    Document,
    ContactAttempt,
    ContactDecision,
    Message,
    CallTask,
    ContactPreferences,
}

impl RecordKind {
    pub const ALL: [RecordKind; 13] = [
        RecordKind::Promise,
        RecordKind::Plan,
        RecordKind::Payment,
        RecordKind::Reversal,
        RecordKind::Settlement,
        RecordKind::Dispute,
        RecordKind::Hold,
        RecordKind::Document,
        RecordKind::ContactAttempt,
        RecordKind::ContactDecision,
        RecordKind::Message,
        RecordKind::CallTask,
        RecordKind::ContactPreferences,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Promise => "promise",
            RecordKind::Plan => "plan",
            RecordKind::Payment => "payment",
            RecordKind::Reversal => "reversal",
            RecordKind::Settlement => "settlement",
            RecordKind::Dispute => "dispute",
            RecordKind::Hold => "hold",
            RecordKind::Document => "document",
            RecordKind::ContactAttempt => "contact_attempt",
            RecordKind::ContactDecision => "contact_decision",
            RecordKind::Message => "message",
            RecordKind::CallTask => "call_task",
            RecordKind::ContactPreferences => "contact_preferences",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        RecordKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One servicing record as stored: the searchable columns and the record itself as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub account_id: Uuid,
    pub client_id: Uuid,
    pub kind: RecordKind,
    pub status: String,
    pub on_date: Option<Date>,
    pub data: serde_json::Value,
    /// UTC microseconds.
    pub created_at: i64,
    pub updated_at: i64,
}

/// A typed servicing record: how it is found and stored.
pub trait Kept: Serialize + DeserializeOwned {
    const KIND: RecordKind;
    fn id(&self) -> Uuid;
    fn status(&self) -> String;
    fn on_date(&self) -> Option<Date>;

    /// The stored row for this record on `account`, created at `created_at` (kept on updates).
    fn to_record(&self, account: &Account, created_at: i64, now: i64) -> Record {
        Record {
            id: self.id(),
            tenant_id: account.tenant_id,
            account_id: account.id,
            client_id: account.client_id,
            kind: Self::KIND,
            status: self.status(),
            on_date: self.on_date(),
            data: serde_json::to_value(self).unwrap_or(serde_json::Value::Null),
            created_at,
            updated_at: now,
        }
    }

    fn from_record(r: &Record) -> Result<Self> {
        if r.kind != Self::KIND {
            return Err(StoreError::Corrupt(format!("record {} is a {}, not a {}", r.id, r.kind.as_str(), Self::KIND.as_str())));
        }
        serde_json::from_value(r.data.clone()).map_err(|e| StoreError::Corrupt(format!("record {}: {e}", r.id)))
    }
}

/// Everything servicing knows about one account, read in the transaction that changes it.
#[derive(Debug, Clone)]
pub struct AccountFile {
    pub account: Account,
    pub balance: Amounts,
    pub client: Client,
    /// The client's servicing policy (defaults when none was set).
    pub policy: ClientPolicy,
    pub ledger: Vec<LedgerEntry>,
    /// Oldest first.
    pub records: Vec<Record>,
}

impl AccountFile {
    /// The account's records of one type, oldest first.
    pub fn all<T: Kept>(&self) -> Result<Vec<T>> {
        self.records.iter().filter(|r| r.kind == T::KIND).map(T::from_record).collect()
    }

    pub fn find<T: Kept>(&self, id: Uuid) -> Result<Option<T>> {
        self.records.iter().find(|r| r.kind == T::KIND && r.id == id).map(T::from_record).transpose()
    }

    fn created_at(&self, id: Uuid) -> Option<i64> {
        self.records.iter().find(|r| r.id == id).map(|r| r.created_at)
    }
}

/// Several accounts' files from rows read together: the accounts with their balances, their
/// clients with their policies, and every ledger entry and record of the accounts, in any order
/// (each file's are sorted here: ledger by id, records by creation).
pub(crate) fn assemble(
    accounts: Vec<(Account, Amounts)>,
    clients: &std::collections::HashMap<Uuid, (Client, ClientPolicy)>,
    ledger: Vec<LedgerEntry>,
    records: Vec<Record>,
) -> Result<std::collections::HashMap<Uuid, AccountFile>> {
    let mut ledgers: std::collections::HashMap<Uuid, Vec<LedgerEntry>> = std::collections::HashMap::new();
    for e in ledger {
        ledgers.entry(e.account_id).or_default().push(e);
    }
    let mut recs: std::collections::HashMap<Uuid, Vec<Record>> = std::collections::HashMap::new();
    for r in records {
        recs.entry(r.account_id).or_default().push(r);
    }
    let mut files = std::collections::HashMap::with_capacity(accounts.len());
    for (account, balance) in accounts {
        let (client, policy) =
            clients.get(&account.client_id).cloned().ok_or_else(|| StoreError::not_found("client", account.client_id))?;
        let (mut ledger, mut records) = (ledgers.remove(&account.id).unwrap_or_default(), recs.remove(&account.id).unwrap_or_default());
        ledger.sort_by_key(|e| e.id);
        records.sort_by_key(|r| (r.created_at, r.id));
        files.insert(account.id, AccountFile { account, balance, client, policy, ledger, records });
    }
    Ok(files)
}

/// What one servicing action writes. Applying it is all or nothing.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// The account as it will be (status, flags, queue, last payment), when it changes.
    pub account: Option<Account>,
    /// New ledger entries, in order.
    pub entries: Vec<LedgerEntry>,
    /// The balance after `entries`, when there are any.
    pub balance: Option<Amounts>,
    /// Records inserted or replaced whole.
    pub records: Vec<Record>,
    pub audit: Vec<AuditEvent>,
    pub events: Vec<Event>,
    /// Work for the job queue (a message to send), enqueued with the change.
    pub jobs: Vec<crate::outbox::NewJob>,
    /// Call tasks' rows in the worklists, written with the tasks.
    pub work: Vec<crate::worklist::WorkEntry>,
}

/// The state a decision works on while it builds its changes: the file as it will be after the
/// changes so far, so later steps (reconciling promises after a payment) see earlier ones.
pub struct Draft<'a> {
    pub file: &'a AccountFile,
    pub account: Account,
    pub balance: Amounts,
    pub ledger: Vec<LedgerEntry>,
    pub records: Vec<Record>,
    pub changes: Changes,
    pub actor: &'a Actor,
    pub now: i64,
}

impl<'a> Draft<'a> {
    pub fn new(file: &'a AccountFile, actor: &'a Actor) -> Self {
        Draft {
            file,
            account: file.account.clone(),
            balance: file.balance,
            ledger: file.ledger.clone(),
            records: file.records.clone(),
            changes: Changes::default(),
            actor,
            now: crate::ops::now_micros(),
        }
    }

    /// Records (or replaces) a typed record.
    pub fn put<T: Kept>(&mut self, value: &T) {
        let created = self.records.iter().find(|r| r.id == value.id()).map(|r| r.created_at);
        let created = created.or_else(|| self.file.created_at(value.id())).unwrap_or(self.now);
        let rec = value.to_record(&self.account, created, self.now);
        match self.records.iter_mut().find(|r| r.id == rec.id) {
            Some(slot) => *slot = rec.clone(),
            None => self.records.push(rec.clone()),
        }
        match self.changes.records.iter_mut().find(|r| r.id == rec.id) {
            Some(slot) => *slot = rec,
            None => self.changes.records.push(rec),
        }
    }

    pub fn all<T: Kept>(&self) -> Result<Vec<T>> {
        self.records.iter().filter(|r| r.kind == T::KIND).map(T::from_record).collect()
    }

    pub fn find<T: Kept>(&self, id: Uuid) -> Result<Option<T>> {
        self.records.iter().find(|r| r.kind == T::KIND && r.id == id).map(T::from_record).transpose()
    }

    /// Adds a ledger entry already checked against the balance it leaves.
    pub fn post(&mut self, entry: LedgerEntry, balance: Amounts) {
        self.ledger.push(entry.clone());
        self.balance = balance;
        self.changes.entries.push(entry);
        self.changes.balance = Some(balance);
    }

    pub fn audit(&mut self, action: &str, entity: &str, entity_id: Uuid, data: serde_json::Value) {
        self.changes.audit.push(crate::ops::event(self.actor, action, entity, entity_id, data));
    }

    /// A business event about this account; its data carries the account's references.
    pub fn emit(&mut self, event_type: EventType, subject_id: Uuid, mut data: serde_json::Value) {
        let a = &self.account;
        if let Some(obj) = data.as_object_mut() {
            obj.insert("account_id".into(), serde_json::json!(a.id));
            obj.insert("external_ref".into(), a.external_ref.clone().into());
            obj.insert("client_id".into(), serde_json::json!(a.client_id));
        }
        self.changes.events.push(crate::ops::business_event(a.tenant_id, event_type, subject_id, data));
    }

    /// Moves the account to `to` with the reason, audited and announced; no-op when it is there.
    pub fn set_status(&mut self, to: AccountStatus, reason: &str) -> Result<()> {
        let from = self.account.status;
        if from == to {
            return Ok(());
        }
        self.account.status = from.transition(to)?;
        self.changes.account = Some(self.account.clone());
        self.audit(
            "account.status_changed",
            "account",
            self.account.id,
            serde_json::json!({"from": from.as_str(), "to": to.as_str(), "reason": reason}),
        );
        self.changes.events.push(crate::ops::status_changed(&self.account, from, reason));
        Ok(())
    }

    /// Queues background work to run at `run_at` (UTC microseconds), in this change's transaction.
    pub fn enqueue(&mut self, kind: crate::outbox::JobKind, payload: String, run_at: i64) {
        self.changes.jobs.push(crate::outbox::NewJob { kind, payload, run_at });
    }

    /// Writes (or replaces) a task's row in the worklists.
    pub fn work(&mut self, entry: crate::worklist::WorkEntry) {
        match self.changes.work.iter_mut().find(|w| w.task_id == entry.task_id) {
            Some(slot) => *slot = entry,
            None => self.changes.work.push(entry),
        }
    }

    /// Marks the account as changed (flags, last payment) so it is written.
    pub fn touch_account(&mut self) {
        self.changes.account = Some(self.account.clone());
    }

    pub fn finish(self) -> Changes {
        self.changes
    }
}

/// A servicing decision on one account's file.
pub type Op = Box<dyn FnOnce(&AccountFile) -> Result<Changes> + Send>;

/// Which records a cross-account search returns; every field narrows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordQuery {
    pub kind: RecordKind,
    pub statuses: Vec<String>,
    pub client_id: Option<Uuid>,
    pub account_id: Option<Uuid>,
    /// Inclusive.
    pub on_from: Option<Date>,
    /// Inclusive.
    pub on_to: Option<Date>,
    /// Keyset: records with an id above this one.
    pub after: Option<Uuid>,
    pub limit: u32,
}

impl RecordQuery {
    pub fn of(kind: RecordKind) -> Self {
        RecordQuery { kind, statuses: Vec::new(), client_id: None, account_id: None, on_from: None, on_to: None, after: None, limit: 500 }
    }

    /// `WHERE ... ORDER BY id LIMIT n` for this search in `tenant_id`, with `p(n)` writing the n-th
    /// placeholder, and the values to bind in order. Shared by both backends.
    pub(crate) fn clause(&self, tenant_id: Uuid, p: impl Fn(usize) -> String) -> (String, Vec<Bind>) {
        let mut binds = vec![Bind::Uuid(tenant_id), Bind::Text(self.kind.as_str().to_string())];
        let mut sql = format!("WHERE tenant_id = {} AND kind = {}", p(1), p(2));
        let push = |sql: &mut String, cond: &str, v: Bind, binds: &mut Vec<Bind>| {
            binds.push(v);
            sql.push_str(&format!(" AND {cond} {}", p(binds.len())));
        };
        if !self.statuses.is_empty() {
            let first = binds.len() + 1;
            binds.extend(self.statuses.iter().cloned().map(Bind::Text));
            let marks: Vec<String> = (first..=binds.len()).map(&p).collect();
            sql.push_str(&format!(" AND status IN ({})", marks.join(",")));
        }
        if let Some(c) = self.client_id {
            push(&mut sql, "client_id =", Bind::Uuid(c), &mut binds);
        }
        if let Some(a) = self.account_id {
            push(&mut sql, "account_id =", Bind::Uuid(a), &mut binds);
        }
        if let Some(d) = self.on_from {
            push(&mut sql, "on_date >=", Bind::Text(d.to_string()), &mut binds);
        }
        if let Some(d) = self.on_to {
            push(&mut sql, "on_date <=", Bind::Text(d.to_string()), &mut binds);
        }
        if let Some(a) = self.after {
            push(&mut sql, "id >", Bind::Uuid(a), &mut binds);
        }
        sql.push_str(&format!(" ORDER BY id LIMIT {}", self.limit.clamp(1, 10_000)));
        (sql, binds)
    }
}

pub(crate) const RECORD_COLS: &str = "tenant_id, id, account_id, client_id, kind, status, on_date, data, created_at, updated_at";

#[async_trait]
pub trait Servicing: Send + Sync {
    /// The account's file, or `None` when the tenant has no such account.
    async fn account_file(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Option<AccountFile>>;
    /// Several accounts' files, read together (unknown accounts are absent).
    async fn account_files(&self, tenant_id: Uuid, account_ids: &[Uuid]) -> Result<std::collections::HashMap<Uuid, AccountFile>>;
    /// The files of accounts the caller has just read (a daily run's batch), as the contact
    /// policy judges them: each with its client, policy and records; the ledger, which no contact
    /// rule reads, is left out (empty). For asking about many contacts at once.
    async fn contact_files(
        &self,
        tenant_id: Uuid,
        accounts: Vec<(Account, Amounts)>,
    ) -> Result<std::collections::HashMap<Uuid, AccountFile>>;
    /// Runs `op` on the account's file inside a transaction that holds the account, writes its
    /// changes, and returns them.
    async fn service(&self, tenant_id: Uuid, account_id: Uuid, op: Op) -> Result<Changes>;
    /// Runs one decision per account in a single transaction (a debtor's payment over several
    /// debts): all land or none. Accounts are held in id order so two such calls cannot deadlock.
    async fn service_many(&self, tenant_id: Uuid, ops: Vec<(Uuid, Op)>) -> Result<Vec<Changes>>;
    /// Records across accounts, by id.
    async fn records(&self, tenant_id: Uuid, query: &RecordQuery) -> Result<Vec<Record>>;
    /// The client's servicing policy; the defaults when none was set.
    async fn client_policy(&self, tenant_id: Uuid, client_id: Uuid) -> Result<ClientPolicy>;
    /// Replaces the client's servicing policy (checked first), audited with the old and new.
    async fn set_client_policy(&self, tenant_id: Uuid, client_id: Uuid, policy: &ClientPolicy, actor: &Actor) -> Result<()>;
    /// Whether the client's accrual postings finished for `month` ("2026-11").
    async fn accrual_done(&self, tenant_id: Uuid, client_id: Uuid, month: &str) -> Result<bool>;
    async fn finish_accrual(&self, tenant_id: Uuid, client_id: Uuid, month: &str) -> Result<()>;
}

pub(crate) const ACCRUAL_DONE: &str = "SELECT COUNT(*) FROM accrual_months WHERE tenant_id = $1 AND client_id = $2 AND month = $3";
pub(crate) const ACCRUAL_FINISH: &str =
    "INSERT INTO accrual_months (tenant_id, client_id, month, finished_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";

/// Reads a stored policy column: NULL is the defaults.
pub(crate) fn parse_policy(text: Option<String>) -> Result<ClientPolicy> {
    match text {
        None => Ok(ClientPolicy::default()),
        Some(t) => serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(format!("client policy: {e}"))),
    }
}

/// Checks a new policy and builds the audit entry for the change.
pub(crate) fn policy_change(client_id: Uuid, old: &ClientPolicy, new: &ClientPolicy, actor: &Actor) -> Result<AuditEvent> {
    new.check().map_err(|f| StoreError::invalid(f.field, f.reason))?;
    Ok(crate::ops::event(actor, "client.policy_changed", "client", client_id, serde_json::json!({"from": old, "to": new})))
}

/// `ops` in account-id order, keeping each result's place: (original index, account, op).
pub(crate) fn in_lock_order(ops: Vec<(Uuid, Op)>) -> Result<Vec<(usize, Uuid, Op)>> {
    let mut v: Vec<(usize, Uuid, Op)> = ops.into_iter().enumerate().map(|(i, (a, op))| (i, a, op)).collect();
    v.sort_by_key(|(_, a, _)| *a);
    if v.windows(2).any(|w| w[0].1 == w[1].1) {
        return Err(StoreError::invalid("/allocations", "each account may appear once"));
    }
    Ok(v)
}

/// Puts results back in the order the ops were given.
pub(crate) fn in_given_order(mut done: Vec<(usize, Changes)>) -> Vec<Changes> {
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, c)| c).collect()
}

/// Runs a decision that builds on a [`Draft`] and returns the changes it made.
pub(crate) fn op<F>(actor: &Actor, f: F) -> Op
where
    F: FnOnce(&mut Draft<'_>) -> Result<()> + Send + 'static,
{
    let actor = actor.clone();
    Box::new(move |file: &AccountFile| {
        let mut d = Draft::new(file, &actor);
        f(&mut d)?;
        Ok(d.finish())
    })
}

/// The single typed record of `T` in `changes` (what an action created or changed).
pub fn changed<T: Kept>(changes: &Changes, id: Uuid) -> Result<T> {
    let rec = changes.records.iter().find(|r| r.id == id).ok_or_else(|| StoreError::not_found(T::KIND.as_str(), id))?;
    T::from_record(rec)
}

/// The first record of `T` an action wrote (the payment a posting made, say).
pub fn first<T: Kept>(changes: &Changes) -> Result<T> {
    let rec =
        changes.records.iter().find(|r| r.kind == T::KIND).ok_or_else(|| StoreError::not_found(T::KIND.as_str(), "in the changes"))?;
    T::from_record(rec)
}

/// Refuses an action on an account that is not open.
pub(crate) fn require_open(a: &Account, what: &str) -> Result<()> {
    if a.status.is_open() {
        return Ok(());
    }
    Err(StoreError::Refused(format!("{what}: the account is {}", a.status.as_str())))
}
