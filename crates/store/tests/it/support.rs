//! Shared setup for the conformance suite: a store per backend, raw access to tamper with it,
//! and a small organisation to work in.

use jiff::civil::{Date, date};
use recoup_domain::account::{Account, AccountStatus, Flags, Stage};
use recoup_domain::contact::{Consent, ContactKind, ContactPoint, PhoneType, Source, Verification};
use recoup_domain::ledger::{Amounts, Waterfall};
use recoup_domain::money::Currency;
use recoup_domain::org::{Client, ImportCounts, Placement, PlacementStatus, Portfolio, Tenant};
use recoup_domain::party::{Party, PartyKind, PartyRole, Secret};
use recoup_domain::placement::{PlacedAccount, PlacedParty};
use recoup_store::{Actor, Keyring, PgStore, SqliteStore, Store};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use uuid::Uuid;

/// Runs each named test once per backend: `sqlite::NAME` always, `postgres::NAME` when
/// `RECOUP_TEST_DATABASE_URL` is set (it passes with a note otherwise, as CI always sets it).
#[macro_export]
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let h = $crate::support::Harness::sqlite().await;
                    super::$name(&h).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(h) = $crate::support::Harness::postgres().await else {
                        eprintln!("RECOUP_TEST_DATABASE_URL is not set: PostgreSQL run skipped");
                        return;
                    };
                    super::$name(&h).await;
                }
            )*
        }
    };
}

/// The fixed test keys every suite shares (the PostgreSQL test database records their check values).
pub fn keys() -> Arc<Keyring> {
    Arc::new(Keyring::parse(include_str!("../../../../testdata/test.keys")).unwrap())
}

pub enum Raw {
    Sqlite(std::path::PathBuf),
    Postgres(sqlx::PgPool),
}

pub struct Harness {
    pub store: Arc<dyn Store>,
    pub raw: Raw,
    _dir: Option<tempfile::TempDir>,
}

impl Harness {
    pub async fn sqlite() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recoup.sqlite");
        let store = SqliteStore::open(&path, keys()).await.unwrap();
        Harness { store: Arc::new(store), raw: Raw::Sqlite(path), _dir: Some(dir) }
    }

    pub async fn postgres() -> Option<Harness> {
        let url = std::env::var("RECOUP_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
        let store = PgStore::connect(&url, keys()).await.expect("RECOUP_TEST_DATABASE_URL is set but PostgreSQL is not reachable");
        let pool = store.pool().clone();
        Some(Harness { store: Arc::new(store), raw: Raw::Postgres(pool), _dir: None })
    }

    /// Another store on the same database, with other keys (as a restart with a new
    /// configuration would open it).
    pub async fn reopen(&self, keys: Arc<Keyring>) -> recoup_store::Result<Arc<dyn Store>> {
        Ok(match &self.raw {
            Raw::Sqlite(path) => Arc::new(SqliteStore::open(path, keys).await?),
            Raw::Postgres(_) => Arc::new(PgStore::connect(&std::env::var("RECOUP_TEST_DATABASE_URL").unwrap(), keys).await?),
        })
    }

    /// A party's stored columns as they are, read behind the store's back.
    pub async fn raw_party(&self, tenant_id: Uuid, id: Uuid) -> RawParty {
        let cols = "date_of_birth, date_of_birth_enc, national_id_enc, national_id_hash, national_id_last4";
        match &self.raw {
            Raw::Sqlite(path) => {
                let c = rusqlite::Connection::open(path).unwrap();
                c.query_row(&format!("SELECT {cols} FROM parties WHERE tenant_id = ? AND id = ?"), rusqlite::params![tenant_id, id], |r| {
                    Ok(RawParty {
                        date_of_birth: r.get(0)?,
                        date_of_birth_enc: r.get(1)?,
                        national_id_enc: r.get(2)?,
                        national_id_hash: r.get(3)?,
                        national_id_last4: r.get(4)?,
                    })
                })
                .unwrap()
            }
            Raw::Postgres(pool) => {
                use sqlx::Row;
                let q = format!("SELECT {cols} FROM parties WHERE tenant_id = $1 AND id = $2");
                let r = sqlx::query(sqlx::AssertSqlSafe(q)).bind(tenant_id).bind(id).fetch_one(pool).await.unwrap();
                RawParty {
                    date_of_birth: r.get(0),
                    date_of_birth_enc: r.get(1),
                    national_id_enc: r.get(2),
                    national_id_hash: r.get(3),
                    national_id_last4: r.get(4),
                }
            }
        }
    }

    /// Every byte the database holds for a tenant's parties, as text a search can run over:
    /// SQLite's files themselves (database and write-ahead log), PostgreSQL's rows as text.
    pub async fn stored_party_text(&self, tenant_id: Uuid) -> String {
        match &self.raw {
            Raw::Sqlite(path) => {
                let mut bytes = std::fs::read(path).unwrap();
                bytes.extend(std::fs::read(path.with_extension("sqlite-wal")).unwrap_or_default());
                String::from_utf8_lossy(&bytes).into_owned()
            }
            Raw::Postgres(pool) => {
                let rows: Vec<String> =
                    sqlx::query_scalar("SELECT p::text FROM parties p WHERE tenant_id = $1").bind(tenant_id).fetch_all(pool).await.unwrap();
                rows.join("\n")
            }
        }
    }

    /// Runs SQL behind the store's back, as someone with direct database access could.
    /// `sqlite` and `postgres` are the statement in each dialect.
    pub async fn raw_execute(&self, sqlite: &str, postgres: &str) {
        match &self.raw {
            Raw::Sqlite(path) => {
                let c = rusqlite::Connection::open(path).unwrap();
                c.execute_batch(sqlite).unwrap();
            }
            Raw::Postgres(pool) => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(postgres.to_string())).execute(pool).await.unwrap();
            }
        }
    }
}

impl Harness {
    /// Runs one statement, the same in both dialects, behind the store's back and says whether
    /// the database accepted it.
    pub async fn raw_try(&self, statement: &str) -> Result<(), String> {
        match &self.raw {
            Raw::Sqlite(path) => {
                let c = rusqlite::Connection::open(path).unwrap();
                c.execute_batch(statement).map_err(|e| e.to_string())
            }
            Raw::Postgres(pool) => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string())).execute(pool).await.map(drop).map_err(|e| e.to_string())
            }
        }
    }

    /// An id as a literal in the backend's SQL.
    pub fn uuid_literal(&self, id: Uuid) -> String {
        match &self.raw {
            Raw::Sqlite(_) => format!("x'{}'", id.simple()),
            Raw::Postgres(_) => format!("'{id}'::uuid"),
        }
    }

    /// The count a `SELECT COUNT(*) ...`, the same in both dialects, returns behind the store's back.
    pub async fn raw_count(&self, query: &str) -> i64 {
        match &self.raw {
            Raw::Sqlite(path) => rusqlite::Connection::open(path).unwrap().query_row(query, [], |r| r.get(0)).unwrap(),
            Raw::Postgres(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(query.to_string())).fetch_one(pool).await.unwrap(),
        }
    }
}

#[derive(Debug)]
pub struct RawParty {
    pub date_of_birth: Option<String>,
    pub date_of_birth_enc: Option<Vec<u8>>,
    pub national_id_enc: Option<Vec<u8>>,
    pub national_id_hash: Option<Vec<u8>>,
    pub national_id_last4: Option<String>,
}

pub fn actor() -> Actor {
    Actor::new("test")
}

/// A tenant with one client (default waterfall) and one portfolio, ready for placements.
pub struct Org {
    pub tenant: Tenant,
    pub client: Client,
    pub portfolio: Portfolio,
    pub placement: Placement,
}

pub async fn org(store: &dyn Store) -> Org {
    org_with(store, Waterfall::default()).await
}

pub async fn org_with(store: &dyn Store, waterfall: Waterfall) -> Org {
    let tenant = Tenant { id: Uuid::now_v7(), slug: format!("t-{}", Uuid::now_v7().simple()), name: "Test Recovery".into() };
    store.create_tenant(&tenant).await.unwrap();
    let client = Client {
        id: Uuid::now_v7(),
        tenant_id: tenant.id,
        code: "LSB".into(),
        name: "Lakeshore Bank".into(),
        commission_rate: "0.25".parse().unwrap(),
        waterfall,
        default_currency: Currency::USD,
    };
    store.create_client(&client, &actor()).await.unwrap();
    let portfolio = Portfolio {
        id: Uuid::now_v7(),
        tenant_id: tenant.id,
        client_id: client.id,
        code: "CC".into(),
        name: "Cards".into(),
        product: None,
    };
    store.create_portfolio(&portfolio, &actor()).await.unwrap();
    let placement = placement(&tenant, &client, &portfolio);
    store.begin_placement(&placement, &actor()).await.unwrap();
    Org { tenant, client, portfolio, placement }
}

pub fn placement(tenant: &Tenant, client: &Client, portfolio: &Portfolio) -> Placement {
    Placement {
        id: Uuid::now_v7(),
        tenant_id: tenant.id,
        client_id: client.id,
        portfolio_id: portfolio.id,
        placed_on: date(2026, 11, 2),
        file_name: "test.csv".into(),
        status: PlacementStatus::Importing,
        counts: ImportCounts::default(),
    }
}

/// A placed account with one primary debtor and a mobile phone; the fingerprint covers the
/// reference, the balance and the phone, like an importer's would.
pub fn placed(org: &Org, external_ref: &str, reported: Amounts, phone: &str) -> PlacedAccount {
    let t = org.tenant.id;
    let account = Account {
        id: Uuid::now_v7(),
        tenant_id: t,
        client_id: org.client.id,
        portfolio_id: org.portfolio.id,
        placement_id: org.placement.id,
        external_ref: external_ref.into(),
        currency: Currency::USD,
        original_creditor: "Lakeshore Bank".into(),
        current_creditor: "Lakeshore Bank".into(),
        product: Some("credit card".into()),
        opened_on: Some(date(2020, 1, 5)),
        first_delinquency_on: Some(date(2023, 4, 1)),
        charged_off_on: Some(date(2023, 10, 1)),
        itemization_on: Some(date(2023, 10, 1)),
        itemization_basis: Some(recoup_domain::account::ItemizationBasis::ChargeOff),
        last_payment_on: None,
        last_payment_minor: None,
        status: AccountStatus::Active,
        stage: Stage::Early,
        flags: Flags::default(),
        queue: None,
        agent_id: None,
        score: None,
    };
    let party = Party {
        id: Uuid::now_v7(),
        tenant_id: t,
        kind: PartyKind::Person,
        first_name: Some("Zoë".into()),
        last_name: Some("Muñoz".into()),
        company_name: None,
        date_of_birth: Some(Secret::new(date(1980, 2, 29))),
        national_id: Some(Secret::new("987654321".into())),
        national_id_last4: Some("4321".into()),
        language: Some("es".into()),
    };
    let cp = ContactPoint {
        id: Uuid::now_v7(),
        tenant_id: t,
        party_id: party.id,
        kind: ContactKind::Phone,
        value: phone.into(),
        extension: None,
        phone_type: Some(PhoneType::Mobile),
        address: None,
        time_zone: Some("America/Chicago".into()),
        source: Source::Client,
        verification: Verification::Unverified,
        consent: Consent::default(),
        employer_provided: false,
    };
    let mut h = Sha256::new();
    h.update(format!("{external_ref}|{reported:?}|{phone}"));
    PlacedAccount {
        line: 2,
        account,
        parties: vec![PlacedParty { role: PartyRole::Primary, party, contact_points: vec![cp] }],
        reported,
        invoices: Vec::new(),
        fingerprint: h.finalize().into(),
    }
}

pub fn owed(principal: i64, interest: i64, fees: i64) -> Amounts {
    Amounts { principal, interest, fees, costs: 0, credit: 0 }
}

/// Places accounts in a placement of their own dated `on`: each a reference, a balance and, if
/// not the fixture's, the day it first went delinquent. Returns their ids in order.
pub async fn place_on(store: &dyn Store, org: &Org, on: Date, rows: &[(&str, Amounts, Option<Date>)]) -> Vec<Uuid> {
    let mut p = placement(&org.tenant, &org.client, &org.portfolio);
    p.placed_on = on;
    store.begin_placement(&p, &actor()).await.unwrap();
    let placed: Vec<PlacedAccount> = rows
        .iter()
        .enumerate()
        .map(|(i, (reference, owed, since))| {
            let mut row = placed(org, reference, *owed, &format!("+1512555{:04}", 100 + i));
            row.account.placement_id = p.id;
            row.account.first_delinquency_on = since.or(row.account.first_delinquency_on);
            row
        })
        .collect();
    let ids = placed.iter().map(|r| r.account.id).collect();
    store.write_placed(&p, placed, &actor()).await.unwrap();
    ids
}

/// Places one account and returns its id.
pub async fn place_one(store: &dyn Store, org: &Org, external_ref: &str, reported: Amounts) -> Uuid {
    let row = placed(org, external_ref, reported, "+15125557955");
    let id = row.account.id;
    store.write_placed(&org.placement, vec![row], &actor()).await.unwrap();
    id
}
