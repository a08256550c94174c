//! recoup's storage. It owns the schema and its migrations for both backends (an embedded SQLite
//! file, the default, and PostgreSQL for many nodes), the repositories that return domain types,
//! the bulk path placement imports use, and the append-only, hash-chained audit log.
//!
//! Every write that changes money, status, holds or consent appends its audit entries in the same
//! transaction, so the ledger and the audit trail can never disagree. Every table's key starts
//! with `tenant_id` and no query crosses tenants.

mod error;
pub mod experiment;
mod idempotency;
mod keycache;
pub mod listing;
mod migrate;
pub mod models;
mod notes;
pub mod ops;
pub mod outbox;
pub mod postgres;
pub mod reports;
mod rows;
pub mod seal;
pub mod servicing;
pub mod sqlite;
pub mod strategy;
pub mod templates;
pub mod worklist;

pub use error::StoreError;
pub use idempotency::{Idempotency, IdempotencyBegin, StoredResponse};
pub use keycache::KEY_CACHE_TTL;
pub use listing::{AccountFilter, AccountListing, AccountSort, Cursor, SortKey};
pub use notes::Notes;
pub use outbox::{Attempt, AttemptOutcome, Delivery, DeliveryWork, Job, JobEnd, JobKind, Jobs, NewJob, Webhooks};
pub use postgres::PgStore;
pub use seal::{KeyError, Keyring};
pub use sqlite::SqliteStore;
pub use templates::{ContactLookup, NewTemplate, StoredTemplate, Templates};

use async_trait::async_trait;
use jiff::civil::Date;
use recoup_domain::access::{ApiKey, Session, User};
use recoup_domain::account::{Account, AccountStatus};
use recoup_domain::audit::{AuditEntry, ChainBreak};
use recoup_domain::contact::{Channel, ConsentState, ContactPoint};
use recoup_domain::invoice::Invoice;
use recoup_domain::ledger::{Amounts, LedgerEntry};
use recoup_domain::org::{Client, ImportCounts, Placement, PlacementStatus, Portfolio, Tenant};
use recoup_domain::placement::{PlacedAccount, PlacedParty, RowOutcome};
use std::sync::Arc;
use uuid::Uuid;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a store speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Who made a change, as it goes into the audit chain ("user:<id>", "import:<placement>", "cli").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(pub String);

impl Actor {
    pub fn new(s: impl Into<String>) -> Self {
        Actor(s.into())
    }
}

/// A money movement to post on an account. The store reads the balance, lets the domain check
/// and allocate, and writes the entry, the new balance and the audit entry in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posting {
    /// A payment split over the components by the client's waterfall.
    Payment {
        amount_minor: i64,
    },
    /// Undoes a payment exactly.
    Reversal {
        payment_id: Uuid,
    },
    Interest {
        amount_minor: i64,
    },
    Fee {
        fees_minor: i64,
        costs_minor: i64,
    },
    Charge {
        delta: Amounts,
    },
    Adjustment {
        delta: Amounts,
    },
    /// Writes off everything still owed.
    WriteOffAll,
}

/// Which audit entries a search returns; every field narrows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// The account, user, key or other entity the entry is about.
    pub entity_id: Option<Uuid>,
    /// Who acted, as recorded ("user:<id>", "api_key:<id>", "cli", "import:<placement>").
    pub actor: Option<String>,
    /// UTC microseconds, inclusive.
    pub from_micros: Option<i64>,
    /// UTC microseconds, exclusive.
    pub to_micros: Option<i64>,
}

/// What recoup itself decides about an account's handling, apart from its status: which stage,
/// queue and agent work it. `None` leaves a field as it is; `Some(None)` clears queue or agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    pub stage: Option<recoup_domain::account::Stage>,
    pub queue: Option<Option<String>>,
    pub agent_id: Option<Option<Uuid>>,
}

/// An account as a listing returns it: with its balance and when it last changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedAccount {
    pub account: Account,
    pub balance: Amounts,
    /// UTC microseconds.
    pub updated_at: i64,
}

/// The storage every part of recoup goes through. One implementation per backend; one
/// conformance suite (`tests/it`) holds both to the same behaviour. Newer concerns live in their
/// own traits (webhooks and jobs, idempotency, notes), each implemented in its own module.
#[async_trait]
pub trait Store:
    Webhooks
    + Jobs
    + Idempotency
    + Notes
    + Templates
    + ContactLookup
    + strategy::Strategies
    + experiment::Experiments
    + worklist::Worklists
    + models::Models
    + servicing::Servicing
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;

    /// A keyed tag over `data` for links recoup signs (unsubscribe, portal): only this
    /// deployment's keys make or check one.
    fn link_tag(&self, data: &[u8]) -> [u8; 32];

    /// Applies the embedded migrations not yet applied and returns the versions applied now;
    /// then checks the configured data keys against the ones the database was sealed with, and
    /// seals any plain dates of birth written before encryption existed.
    async fn migrate(&self) -> Result<Vec<i64>>;

    async fn create_tenant(&self, tenant: &Tenant) -> Result<()>;
    async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>>;
    async fn list_tenants(&self) -> Result<Vec<Tenant>>;

    async fn create_client(&self, client: &Client, actor: &Actor) -> Result<()>;
    async fn client_by_code(&self, tenant_id: Uuid, code: &str) -> Result<Option<Client>>;
    async fn list_clients(&self, tenant_id: Uuid) -> Result<Vec<Client>>;

    async fn create_portfolio(&self, portfolio: &Portfolio, actor: &Actor) -> Result<()>;
    async fn portfolio_by_code(&self, tenant_id: Uuid, client_id: Uuid, code: &str) -> Result<Option<Portfolio>>;
    async fn list_portfolios(&self, tenant_id: Uuid, client_id: Uuid) -> Result<Vec<Portfolio>>;

    /// Records a placement as importing, before its rows are written.
    async fn begin_placement(&self, placement: &Placement, actor: &Actor) -> Result<()>;
    /// Writes one batch of validated rows in one transaction: new accounts with their parties,
    /// contact points, invoices, placed balance and audit entries; existing ones (same client and
    /// external reference) updated or left unchanged. Each row lands whole or not at all.
    async fn write_placed(&self, placement: &Placement, rows: Vec<PlacedAccount>, actor: &Actor) -> Result<Vec<RowOutcome>>;
    async fn finish_placement(&self, tenant_id: Uuid, placement_id: Uuid, status: PlacementStatus, counts: &ImportCounts) -> Result<()>;
    async fn placement(&self, tenant_id: Uuid, placement_id: Uuid) -> Result<Option<Placement>>;
    /// Every placement (of one client, when given), newest first, with its accounts, the amount
    /// placed and what has been collected on them.
    async fn placement_summaries(&self, tenant_id: Uuid, client_id: Option<Uuid>) -> Result<Vec<reports::PlacementSummary>>;
    /// What the reports compute from, for the tenant or one client over a window of days, read
    /// as one consistent snapshot.
    async fn report_data(&self, tenant_id: Uuid, q: &reports::ReportQuery) -> Result<reports::ReportData>;
    /// Replays the ledger to each of `ends` (month-ends of months already over) whose balances
    /// are not yet kept, and keeps them by bucket with the moves into them; returns how many it
    /// kept. Reports call it for the month-ends they show, the scheduler nightly, so the first
    /// look after a month closes is fast too. A change dated on or before a kept month-end
    /// reopens it (migration 0018's triggers).
    async fn close_month_ends(&self, tenant_id: Uuid, ends: &[jiff::civil::Date]) -> Result<u64>;

    async fn account(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Option<Account>>;
    /// The account with the balance kept on its row, in one read.
    async fn account_with_balance(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Option<(Account, Amounts)>>;
    async fn account_by_ref(&self, tenant_id: Uuid, client_id: Uuid, external_ref: &str) -> Result<Option<Account>>;
    /// Accounts of a tenant that pass the listing's filter, in its order, after its cursor.
    async fn find_accounts(&self, tenant_id: Uuid, listing: &AccountListing) -> Result<Vec<ListedAccount>>;
    /// Accounts of a tenant that pass `filter`, ordered by id, after `after` (keyset pagination).
    async fn list_accounts(&self, tenant_id: Uuid, filter: &AccountFilter, after: Option<Uuid>, limit: u32) -> Result<Vec<Account>> {
        let listing = AccountListing {
            filter: filter.clone(),
            sort: AccountSort::default(),
            after: after.map(|id| Cursor { value: listing::CursorValue::None, id }),
            limit,
        };
        Ok(self.find_accounts(tenant_id, &listing).await?.into_iter().map(|l| l.account).collect())
    }
    async fn count_accounts(&self, tenant_id: Uuid) -> Result<u64>;
    async fn parties_of(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Vec<PlacedParty>>;
    /// `parties_of` for several accounts at once (accounts with no parties are absent).
    async fn parties_of_many(&self, tenant_id: Uuid, account_ids: &[Uuid]) -> Result<std::collections::HashMap<Uuid, Vec<PlacedParty>>>;
    /// A B2B account's invoices, by number.
    async fn invoices(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Vec<Invoice>>;
    async fn change_status(&self, tenant_id: Uuid, account_id: Uuid, to: AccountStatus, reason: &str, actor: &Actor) -> Result<Account>;
    /// Changes stage, queue or agent, audited with what changed.
    async fn assign(&self, tenant_id: Uuid, account_id: Uuid, change: &Assignment, actor: &Actor) -> Result<Account>;
    async fn set_consent(
        &self,
        tenant_id: Uuid,
        contact_point_id: Uuid,
        channel: Channel,
        state: ConsentState,
        actor: &Actor,
    ) -> Result<ContactPoint>;
    /// The language a party asked to be written to in (`en`, `es`), audited; messages use it from
    /// then on. Unknown parties are `NotFound`.
    async fn set_party_language(&self, tenant_id: Uuid, party_id: Uuid, language: &str, actor: &Actor) -> Result<()>;

    async fn ledger(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Vec<LedgerEntry>>;
    /// The balance kept on the account row, maintained in the same transaction as each entry.
    async fn balance(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Amounts>;
    async fn post(
        &self,
        tenant_id: Uuid,
        account_id: Uuid,
        posting: Posting,
        effective_on: Date,
        memo: &str,
        actor: &Actor,
    ) -> Result<LedgerEntry>;

    /// Stores a new API key with the digest of its secret.
    async fn create_api_key(&self, key: &ApiKey, secret_hash: &[u8; 32], actor: &Actor) -> Result<()>;
    /// The key with this public prefix, in whatever tenant, with its secret's digest: the
    /// request names no tenant, the key does. Asked on every API request, so the answer is
    /// remembered for [`KEY_CACHE_TTL`]: a revocation through this store is seen at once, one made
    /// by another process (`recoup apikey revoke`, another node) within that time.
    async fn api_key_by_prefix(&self, prefix: &str) -> Result<Option<(ApiKey, [u8; 32])>>;
    async fn list_api_keys(&self, tenant_id: Uuid) -> Result<Vec<ApiKey>>;
    /// Records a successful use (not audited: it changes nothing that matters).
    async fn touch_api_key(&self, tenant_id: Uuid, key_id: Uuid, at_micros: i64) -> Result<()>;
    async fn revoke_api_key(&self, tenant_id: Uuid, key_id: Uuid, actor: &Actor) -> Result<ApiKey>;

    async fn create_user(&self, user: &User, password_hash: &str, actor: &Actor) -> Result<()>;
    /// The user with this e-mail (lower-cased), in whatever tenant, with the password hash.
    async fn user_by_email(&self, email: &str) -> Result<Option<(User, String)>>;
    async fn user(&self, tenant_id: Uuid, user_id: Uuid) -> Result<Option<User>>;
    async fn list_users(&self, tenant_id: Uuid) -> Result<Vec<User>>;
    /// Disabling a user also ends its sessions.
    async fn set_user_disabled(&self, tenant_id: Uuid, user_id: Uuid, disabled: bool, actor: &Actor) -> Result<User>;

    async fn create_session(&self, session: &Session) -> Result<()>;
    async fn session(&self, token_hash: &[u8; 32]) -> Result<Option<Session>>;
    async fn touch_session(&self, token_hash: &[u8; 32], at_micros: i64) -> Result<()>;
    async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<()>;
    /// Staff signed-in spans overlapping `[from, to)` microseconds: those of ended sessions (kept
    /// by a trigger as each session ends) and of sessions still open. Not clipped or merged.
    async fn work_periods(&self, tenant_id: Uuid, from_micros: i64, to_micros: i64) -> Result<Vec<recoup_domain::kpi::WorkPeriod>>;

    /// Records a failed sign-in for `email` at `at_micros`.
    async fn record_sign_in_failure(&self, email: &str, at_micros: i64) -> Result<()>;
    /// The times of failed sign-ins for `email` since `since_micros`, oldest first.
    async fn sign_in_failures(&self, email: &str, since_micros: i64) -> Result<Vec<i64>>;
    /// Forgets `email`'s failures (after a successful sign-in).
    async fn clear_sign_in_failures(&self, email: &str) -> Result<()>;

    /// Audit entries in chain order with `seq > after_seq`.
    async fn audit_entries(&self, tenant_id: Uuid, after_seq: i64, limit: u32) -> Result<Vec<AuditEntry>>;
    /// Audit entries that pass `query`, in chain order with `seq > after_seq`.
    async fn search_audit(&self, tenant_id: Uuid, query: &AuditQuery, after_seq: i64, limit: u32) -> Result<Vec<AuditEntry>>;
}

/// Walks a tenant's audit chain page by page; memory stays flat however long the chain is.
pub async fn verify_audit(store: &dyn Store, tenant_id: Uuid) -> Result<Result<u64, ChainBreak>> {
    let mut verifier = recoup_domain::audit::Verifier::default();
    loop {
        let page = store.audit_entries(tenant_id, verifier.last_seq(), 5_000).await?;
        if page.is_empty() {
            return Ok(Ok(verifier.count()));
        }
        for e in page {
            if let Err(b) = verifier.check(&e) {
                return Ok(Err(b));
            }
        }
    }
}

/// An account's parties in the order every read gives them: primary first (by role, descending),
/// then by party id.
pub(crate) fn in_party_order(list: &mut [PlacedParty]) {
    list.sort_by(|a, b| b.role.as_str().cmp(a.role.as_str()).then(a.party.id.cmp(&b.party.id)));
}

/// Opens the store a URL names: `postgres://...` or `sqlite://PATH` (or a bare path), sealing
/// sensitive fields with `keys`.
pub async fn open(url: &str, keys: Arc<Keyring>) -> Result<Arc<dyn Store>> {
    if is_postgres(url) {
        return Ok(Arc::new(PgStore::connect(url, keys).await?));
    }
    let path = url.strip_prefix("sqlite://").unwrap_or(url);
    Ok(Arc::new(SqliteStore::open(path, keys).await?))
}

pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}
