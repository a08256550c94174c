//! `recoup bench strategy`: loads accounts through the real import into a fresh SQLite store,
//! saves the demo strategy, and times a full daily run: every account evaluated, every action
//! asked of the contact policy, positions and actions written (the blocked and unmakeable ones
//! carried out at once with their reasons), the carry-out job queued. In the same run it
//! measures the limit: a bare scan of the same accounts' columns plus a bare insert of as many
//! action rows, in one transaction. The carry-out that follows the run (rendering the messages,
//! queuing them through the policy again, making the call tasks) is timed too and printed apart:
//! it is the job worker's, over the day.

use super::{Imported, ORG_TABLES, Written, engine_floor, generate, import_with_recoup, peak_rss_mb, reset_peak_rss};
use anyhow::{Context, Result};
use jiff::civil::Date;
use recoup_server::strategy::{RunRequest, run};
use recoup_store::{Actor, Keyring, PgStore, SqliteStore, Store};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const TARGET_SECONDS_PER_MILLION: f64 = 30.0;
const TARGET_RATIO: f64 = 3.0;
const TARGET_RSS_MB: f64 = 500.0;

#[derive(clap::Args)]
pub struct StrategyArgs {
    #[arg(long, default_value_t = 1_000_000)]
    accounts: u64,
    /// Keep the generated file and database in this directory instead of a temporary one.
    #[arg(long)]
    dir: Option<PathBuf>,
}

fn placed_on() -> Date {
    Date::constant(2026, 11, 2)
}

pub async fn run_bench(db_args: &crate::DbArgs, args: StrategyArgs) -> Result<()> {
    anyhow::ensure!(args.accounts > 0, "--accounts must be above 0");
    let tmp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("bench-placement.csv");
    generate(&file, args.accounts, placed_on())?;
    let keys = Arc::new(Keyring::load_or_create_file(&dir.join("recoup.keys"))?);
    let db = dir.join("recoup.sqlite");
    println!("-- SQLite");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&db, keys.clone()).await?);
    let mut day = day_run(store.clone(), &file, args.accounts).await?;
    let limit = bare_limit(&db, day.tenant_id, day.report.actions).await?;
    day.print(args.accounts, limit, "bare scan of the accounts + bare insert of the action rows, one transaction");
    let given: Vec<&str> = ORG_TABLES.iter().copied().chain(["accounts"]).collect();
    let floor = engine_floor(&dir, &db, keys, &given, RUN_WRITES, day.tenant_id, day.started_micros).await?;
    print_floor(args.accounts, floor);
    day.carry_out(store.as_ref(), args.accounts).await?;
    if let Some(url) = &db_args.database_url {
        println!("-- PostgreSQL");
        let store: Arc<dyn Store> = Arc::new(PgStore::connect(url, crate::store::keyring(db_args)?).await?);
        let mut day = day_run(store.clone(), &file, args.accounts).await?;
        let limit = pg_limit(url, day.tenant_id, day.report.actions).await?;
        day.print(args.accounts, limit, "bare scan of the accounts + the action rows inserted with UNNEST, one transaction");
        day.carry_out(store.as_ref(), args.accounts).await?;
    }
    Ok(())
}

/// One timed strategy day on a store just loaded with the file's accounts.
struct Day {
    tenant_id: Uuid,
    /// When the live run began, to tell its audit entries and jobs from the import's.
    started_micros: i64,
    deciding: Duration,
    elapsed: Duration,
    peak: f64,
    report: recoup_server::strategy::RunReport,
}

async fn day_run(store: Arc<dyn Store>, file: &std::path::Path, accounts: u64) -> Result<Day> {
    let Imported { tenant_id, elapsed, .. } = import_with_recoup(store.clone(), file, placed_on()).await?;
    println!("loaded {accounts} accounts through the import in {:.1} s", elapsed.as_secs_f64());
    prepare(store.as_ref(), tenant_id).await?;
    // Ten days after placement: the early stage's experiment, e-mails, texts and letters.
    let date = placed_on().checked_add(jiff::Span::new().days(10))?;
    let out = recoup_server::outbound::Outbound::default();
    let dry = RunRequest { tenant_id, date, dry_run: true, version: None, node: None };
    let t = Instant::now();
    let counted = run(store.as_ref(), &out, &dry, |_| {}).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let deciding = t.elapsed();
    reset_peak_rss();
    let started_micros = jiff::Timestamp::now().as_microsecond();
    let t = Instant::now();
    let live = RunRequest { dry_run: false, ..dry };
    let report = run(store.as_ref(), &out, &live, |_| {}).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let elapsed = t.elapsed();
    let peak = peak_rss_mb();
    // The database file mapped by the readers counts in RSS as its pages are touched.
    let (anon, file) = (super::status_mb("RssAnon:"), super::status_mb("RssFile:"));
    println!("memory at the end of the run: {anon:.0} MB private, {file:.0} MB of mapped files");
    anyhow::ensure!(report.actions == counted.actions, "the live run decided {} actions, the dry run {}", report.actions, counted.actions);
    Ok(Day { tenant_id, started_micros, deciding, elapsed, peak, report })
}

impl Day {
    /// Times the carry-out the job worker would do after the run, and prints what it made.
    async fn carry_out(&mut self, store: &dyn Store, accounts: u64) -> Result<()> {
        let out = recoup_server::outbound::Outbound::default();
        let t = Instant::now();
        recoup_server::strategy::carry_out_day(store, &out, &mut self.report, self.tenant_id).await?;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "carry-out (the job after the run: messages rendered and queued, tasks made): {secs:.2} s, {:.1} s per million accounts ({:?})",
            secs * 1_000_000.0 / accounts as f64,
            self.report.outcomes
        );
        Ok(())
    }

    fn print(&self, accounts: u64, limit: Duration, what: &str) {
        let secs = self.elapsed.as_secs_f64();
        let per_million = secs * 1_000_000.0 / accounts as f64;
        let ratio = secs / limit.as_secs_f64();
        let peak = self.peak;
        let verdict = |ok: bool| if ok { "met" } else { "NOT MET" };
        println!("accounts {}, actions {} ({:?})", self.report.accounts, self.report.actions, self.report.outcomes);
        let decide = self.deciding.as_secs_f64();
        println!("deciding alone (dry run): {decide:.2} s, {:.0} accounts/s", accounts as f64 / decide);
        println!("daily run     : {secs:>8.2} s  {:>10.0} accounts/s  peak RSS {peak:.0} MB", accounts as f64 / secs);
        println!("limit         : {:>8.2} s  ({what}: {} rows)", limit.as_secs_f64(), self.report.actions);
        println!("ratio run/limit {ratio:.2} (target <= {TARGET_RATIO}: {})", verdict(ratio <= TARGET_RATIO));
        println!(
            "per million accounts {per_million:.1} s (target <= {TARGET_SECONDS_PER_MILLION}: {})",
            verdict(per_million <= TARGET_SECONDS_PER_MILLION)
        );
        println!("peak RSS {peak:.0} MB (target <= {TARGET_RSS_MB}: {})", verdict(peak <= TARGET_RSS_MB));
    }
}

/// The rows a live day writes: positions, experiment members, actions, the blocked messages and
/// the decisions that blocked them, the carry-out job, the audit trail.
const RUN_WRITES: &[Written] = &[
    ("strategy_positions", "tenant_id = ?1"),
    ("experiment_members", "tenant_id = ?1"),
    ("strategy_actions", "tenant_id = ?1"),
    ("servicing_records", "tenant_id = ?1"),
    ("jobs", "tenant_id = ?1 AND created_at >= ?2"),
    ("work_items", "tenant_id = ?1"),
    ("audit_log", "tenant_id = ?1 AND at >= ?2"),
];

fn print_floor(accounts: u64, floor: Duration) {
    let per_million = floor.as_secs_f64() * 1_000_000.0 / accounts as f64;
    println!(
        "engine floor  : {:>8.2} s  per million accounts {per_million:.1} s  (the rows the run wrote, copied by one INSERT … SELECT per table into the same schema, one transaction)",
        floor.as_secs_f64()
    );
    if per_million > TARGET_SECONDS_PER_MILLION {
        println!(
            "the floor is above the {TARGET_SECONDS_PER_MILLION} s per million target: SQLite cannot write these rows that fast on this machine"
        );
    }
}

/// What the demo's strategy needs: the starter templates, the collector named in letters, the
/// strategy itself.
async fn prepare(store: &dyn Store, tenant_id: Uuid) -> Result<()> {
    let actor = Actor::new("bench");
    for d in recoup_channels::template::starter_set() {
        recoup_server::messages::save_template(store, tenant_id, &d, &actor).await?;
    }
    for client in store.list_clients(tenant_id).await? {
        let mut policy = store.client_policy(tenant_id, client.id).await?;
        policy.collector.name = "Bench Recovery LLC".into();
        policy.collector.address = "1 Bench Way\nSpringfield, IL 62701".into();
        store.set_client_policy(tenant_id, client.id, &policy, &actor).await?;
    }
    recoup_server::strategy::save(store, tenant_id, recoup_domain::strategy::DEMO, &actor).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// The same accounts' columns read by a bare scan, and `actions` rows written by one prepared
/// insert in one transaction.
async fn bare_limit(db: &std::path::Path, tenant_id: Uuid, actions: u64) -> Result<Duration> {
    let db = db.to_path_buf();
    tokio::task::spawn_blocking(move || -> Result<Duration> {
        let mut conn = recoup_store::sqlite::connect(&db)?;
        let t = Instant::now();
        let mut scan = conn.prepare(
            "SELECT id, client_id, currency, status, stage, flags, product, first_delinquency_on, charged_off_on, last_payment_on, \
             s.per_mille, bal_principal, rep_principal FROM accounts LEFT JOIN account_scores s \
             ON s.tenant_id = accounts.tenant_id AND s.account_id = accounts.id WHERE accounts.tenant_id = ?",
        )?;
        let mut rows = scan.query([tenant_id])?;
        let mut seen = 0u64;
        while let Some(r) = rows.next()? {
            seen += u64::from(r.get_ref(0)?.as_blob().is_ok());
        }
        drop(rows);
        drop(scan);
        let bench_tenant = Uuid::now_v7();
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO strategy_actions (tenant_id, id, account_id, run_on, version, segment, arm, treatment, step, action, \
                 template, queue, entered_on, status, detail, result_id, created_at) \
                 VALUES (?, ?, ?, '2026-11-12', 1, 'early', 'champion', 'early-email', 0, 'email', 'reminder-email', NULL, \
                 '2026-11-12', 'done', NULL, ?, 0)",
            )?;
            for _ in 0..actions {
                insert.execute(rusqlite::params![bench_tenant, Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7()])?;
            }
        }
        tx.commit()?;
        anyhow::ensure!(seen > 0, "the scan found no accounts");
        Ok(t.elapsed())
    })
    .await
    .context("the limit run stopped")?
}

/// The PostgreSQL limit: the same accounts' columns scanned, and as many action rows inserted
/// with one UNNEST statement per 10,000, in one transaction.
async fn pg_limit(url: &str, tenant_id: Uuid, actions: u64) -> Result<Duration> {
    use sqlx::{Connection, Row};
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let t = Instant::now();
    let rows = sqlx::query(
        "SELECT id, client_id, currency, status, stage, flags, product, first_delinquency_on, charged_off_on, last_payment_on, \
         s.per_mille, bal_principal, rep_principal FROM accounts LEFT JOIN account_scores s \
         ON s.tenant_id = accounts.tenant_id AND s.account_id = accounts.id WHERE accounts.tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_all(&mut conn)
    .await?;
    anyhow::ensure!(rows.iter().any(|r| r.try_get::<Uuid, _>(0).is_ok()), "the scan found no accounts");
    drop(rows);
    let bench_tenant = Uuid::now_v7();
    let mut tx = conn.begin().await?;
    let mut left = actions;
    while left > 0 {
        let n = left.min(10_000);
        left -= n;
        let ids: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
        let accounts: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
        sqlx::query(
            "INSERT INTO strategy_actions (tenant_id, id, account_id, run_on, version, segment, arm, treatment, step, action, \
             template, queue, entered_on, status, detail, result_id, created_at) \
             SELECT $1, i, a, '2026-11-12', 1, 'early', 'champion', 'early-email', 0, 'email', 'reminder-email', NULL, \
             '2026-11-12', 'done', NULL, i, 0 FROM UNNEST($2::uuid[], $3::uuid[]) AS u(i, a)",
        )
        .bind(bench_tenant)
        .bind(&ids)
        .bind(&accounts)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(t.elapsed())
}
