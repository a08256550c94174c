//! `recoup bench import --rows N`: the placement import's speed beside the limit measured in the
//! same run: the same rows written by bare prepared statements in one transaction (SQLite), and
//! the engine's floor for those rows ([`engine_floor`]: copied table by table, no code between).
//! `recoup bench api` (in [`api`]): reading accounts over HTTP beside a route that does no work.
//! `recoup bench strategy` (in [`strategy`]): a full strategy day beside a bare scan and insert.
//! `recoup bench pages` (in [`pages`]): every console and portal page on the demo, against 100 ms
//! and 200 KB. `recoup bench reports` (in [`reports`]): the dashboard's reads and scoring on a
//! year's book.

mod api;
mod pages;
mod reports;
mod strategy;

use crate::DbArgs;
use anyhow::{Context, Result};
use clap::Subcommand;
use jiff::civil::Date;
use recoup_domain::ledger::Waterfall;
use recoup_domain::money::Currency;
use recoup_domain::org::{Client, Placement, PlacementStatus, Portfolio, Tenant};
use recoup_import::{Format, Mapping, PlacementReader, RowResult, synth};
use recoup_server::import::ImportRequest;
use recoup_store::{Actor, Keyring, PgStore, SqliteStore, Store};
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const TARGET_ROWS_PER_SEC: f64 = 100_000.0;
const TARGET_RATIO: f64 = 2.0;
const TARGET_RSS_MB: f64 = 300.0;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Generate a realistic placement file, import it into a fresh SQLite store, then write the
    /// same rows with bare prepared statements in one transaction, and compare.
    Import {
        #[arg(long, default_value_t = 1_000_000)]
        rows: u64,
        /// Keep the generated file and databases in this directory instead of a temporary one.
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
    /// Load accounts into a fresh SQLite store (and PostgreSQL with --database-url), serve them,
    /// and drive authenticated `GET /api/v1/accounts/{id}` with random ids beside `GET /livez`,
    /// a route through the same stack that does no work.
    Api(api::ApiArgs),
    /// Load accounts into a fresh SQLite store (and PostgreSQL with --database-url), save the
    /// demo strategy, and time a full daily run beside a bare scan of the accounts plus a bare
    /// insert of as many action rows.
    Strategy(strategy::StrategyArgs),
    /// Build the demo in a fresh SQLite store, sign in as each role and as a debtor, and time
    /// every console and portal page; prints the slowest pages and the heaviest.
    Pages(pages::PagesArgs),
    /// Build a year's book of accounts (payments, calls, twelve vintages) in a fresh SQLite store
    /// and time the reports dashboard's reads and scoring every account against their targets.
    Reports(reports::ReportsArgs),
}

pub async fn run(db: &DbArgs, cmd: BenchCommand) -> Result<()> {
    match cmd {
        BenchCommand::Import { rows, dir } => import(db, rows, dir).await,
        BenchCommand::Api(args) => api::run(db, args).await,
        BenchCommand::Strategy(args) => strategy::run_bench(db, args).await,
        BenchCommand::Pages(args) => pages::run(args).await,
        BenchCommand::Reports(args) => reports::run(args).await,
    }
}

/// Writes `rows` synthetic placement rows to `file`.
pub(crate) fn generate(file: &Path, rows: u64, today: Date) -> Result<()> {
    let t = Instant::now();
    synth::write_csv(BufWriter::new(File::create(file)?), rows, 42, "BENCH-", today)?;
    let size_mb = file.metadata()?.len() as f64 / 1e6;
    println!("generated {rows} rows ({size_mb:.0} MB) in {:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}

async fn import(db: &DbArgs, rows: u64, dir: Option<std::path::PathBuf>) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let dir = dir.unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let today = Date::constant(2026, 11, 2);
    let file = dir.join("bench-placement.csv");

    generate(&file, rows, today)?;
    read_only(&file, today)?;

    println!("-- SQLite");
    let keys = Arc::new(Keyring::load_or_create_file(&dir.join("recoup.keys"))?);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.join("recoup.sqlite"), keys.clone()).await?);
    let before = disk_writes();
    let Imported { tenant_id, elapsed, peak_mb } = import_with_recoup(store, &file, today).await?;
    let recoup_wrote = disk_writes() - before;
    let before = disk_writes();
    let limit = bare_limit(&dir.join("limit.sqlite"), keys.clone(), &file, today).await?;
    let limit_wrote = disk_writes() - before;
    report(rows, elapsed, peak_mb, limit, "same rows, same statements, one transaction");
    // Most of an import's time beyond the limit is pages written again at each commit.
    println!("written to disk: recoup {:.0} MB, limit {:.0} MB", recoup_wrote as f64 / 1e6, limit_wrote as f64 / 1e6);
    let written = database_rows(&dir.join("recoup.sqlite"))?;
    println!(
        "database rows written: {written} ({:.1} per account: account, party, link, contact points, ledger entry, audit entry), {:.0} rows/s",
        written as f64 / rows as f64,
        written as f64 / elapsed.as_secs_f64()
    );
    let floor = engine_floor(&dir, &dir.join("recoup.sqlite"), keys, ORG_TABLES, IMPORT_WRITES, tenant_id, 0).await?;
    print_floor(rows, floor);

    if let Some(url) = &db.database_url {
        println!("-- PostgreSQL");
        let keys = crate::store::keyring(db)?;
        let store: Arc<dyn Store> = Arc::new(PgStore::connect(url, keys.clone()).await?);
        let Imported { elapsed, peak_mb, .. } = import_with_recoup(store, &file, today).await?;
        let limit = copy_limit(url, keys, &file, today).await?;
        report(rows, elapsed, peak_mb, limit, "same rows COPYed into the same tables, one transaction");
    }
    Ok(())
}

fn report(rows: u64, elapsed: Duration, peak_mb: f64, limit: Duration, what: &str) {
    let rate = rows as f64 / elapsed.as_secs_f64();
    let limit_rate = rows as f64 / limit.as_secs_f64();
    let ratio = elapsed.as_secs_f64() / limit.as_secs_f64();
    let verdict = |ok: bool| if ok { "met" } else { "NOT MET" };
    println!("recoup import : {:>8.2} s  {:>10.0} rows/s  peak RSS {peak_mb:.0} MB", elapsed.as_secs_f64(), rate);
    println!("limit         : {:>8.2} s  {:>10.0} rows/s  ({what})", limit.as_secs_f64(), limit_rate);
    println!("ratio recoup/limit {ratio:.2} (target <= {TARGET_RATIO}: {})", verdict(ratio <= TARGET_RATIO));
    println!("rate {rate:.0} rows/s (target >= {TARGET_ROWS_PER_SEC}: {})", verdict(rate >= TARGET_ROWS_PER_SEC));
    println!("peak RSS {peak_mb:.0} MB (target <= {TARGET_RSS_MB}: {})", verdict(peak_mb <= TARGET_RSS_MB));
}

/// The rows an import's writes refer to.
pub(crate) const ORG_TABLES: &[&str] = &["tenants", "clients", "portfolios", "placements"];
/// The tables an import writes, and its rows in each.
const IMPORT_WRITES: &[Written] = &[
    ("accounts", "tenant_id = ?1"),
    ("parties", "tenant_id = ?1"),
    ("account_parties", "tenant_id = ?1"),
    ("contact_points", "tenant_id = ?1"),
    ("invoices", "tenant_id = ?1"),
    ("ledger_entries", "tenant_id = ?1"),
    ("audit_log", "tenant_id = ?1"),
];

fn print_floor(rows: u64, floor: Duration) {
    let rate = rows as f64 / floor.as_secs_f64();
    println!(
        "engine floor  : {:>8.2} s  {rate:>10.0} rows/s  (the rows the import wrote, copied by one INSERT … SELECT per table into the same schema, one transaction)",
        floor.as_secs_f64()
    );
    if rate < TARGET_ROWS_PER_SEC {
        println!("the floor is below the {TARGET_ROWS_PER_SEC} rows/s target: SQLite cannot write these rows that fast on this machine");
    }
}

fn org(tenant_id: Uuid) -> (Tenant, Client, Portfolio) {
    // A fresh tenant per run, so runs against one PostgreSQL database never collide.
    let tenant = Tenant { id: tenant_id, slug: format!("bench-{}", tenant_id.simple()), name: "Bench".into() };
    let client = Client {
        id: Uuid::now_v7(),
        tenant_id,
        code: "BENCH".into(),
        name: "Bench Bank".into(),
        commission_rate: "0.25".parse().expect("a decimal"),
        waterfall: Waterfall::default(),
        default_currency: Currency::USD,
    };
    let portfolio =
        Portfolio { id: Uuid::now_v7(), tenant_id, client_id: client.id, code: "default".into(), name: "Default".into(), product: None };
    (tenant, client, portfolio)
}

/// What one run of the real import did.
pub(crate) struct Imported {
    pub tenant_id: Uuid,
    pub elapsed: Duration,
    pub peak_mb: f64,
}

/// Imports `file` into a fresh tenant of `store` through the same pipeline `recoup import` uses.
pub(crate) async fn import_with_recoup(store: Arc<dyn Store>, file: &Path, today: Date) -> Result<Imported> {
    let (tenant, client, portfolio) = org(Uuid::now_v7());
    store.create_tenant(&tenant).await?;
    let actor = Actor::new("bench");
    store.create_client(&client, &actor).await?;
    store.create_portfolio(&portfolio, &actor).await?;
    let req =
        ImportRequest { tenant_id: tenant.id, client, portfolio, file_name: "bench.csv".into(), placed_on: today, dry_run: false, actor };
    reset_peak_rss();
    let t = Instant::now();
    let mapping = Mapping::standard();
    let ctx = req.context();
    let reader = PlacementReader::open(file, &mapping, ctx.clone())?;
    let summary = recoup_server::import::run::<_, std::io::Sink>(store, reader, ctx, None, req, |_| {}).await?;
    let elapsed = t.elapsed();
    anyhow::ensure!(summary.counts.rejected == 0, "the generated file had {} rejects", summary.counts.rejected);
    Ok(Imported { tenant_id: tenant.id, elapsed, peak_mb: peak_rss_mb() })
}

/// The placement and import context of a limit run, in a tenant of its own.
fn limit_target(today: Date) -> (Placement, recoup_import::ImportContext) {
    let (tenant, client, portfolio) = org(Uuid::now_v7());
    let placement = Placement {
        id: Uuid::now_v7(),
        tenant_id: tenant.id,
        client_id: client.id,
        portfolio_id: portfolio.id,
        placed_on: today,
        file_name: "bench.csv".into(),
        status: PlacementStatus::Importing,
        counts: Default::default(),
    };
    let ctx = recoup_import::ImportContext {
        tenant_id: tenant.id,
        client_id: client.id,
        portfolio_id: portfolio.id,
        placement_id: placement.id,
        default_currency: Currency::USD,
        creditor_name: client.name.clone(),
        today,
    };
    (placement, ctx)
}

/// Reads and checks the whole file with no database, to show how much of an import's time is
/// the file's own: an import cannot go faster than this, however fast its writes.
fn read_only(file: &Path, today: Date) -> Result<()> {
    let (_, ctx) = limit_target(today);
    let t = Instant::now();
    let reader = PlacementReader::new(File::open(file)?, Format::Csv, &Mapping::standard(), ctx)?;
    let mut rows = 0u64;
    for r in reader {
        r?;
        rows += 1;
    }
    let secs = t.elapsed().as_secs_f64();
    println!("reading and checking alone: {secs:.2} s, {:.0} rows/s (one thread, no database)", rows as f64 / secs);
    Ok(())
}

/// The next `n` good rows of the file (reading is not part of the limit).
fn chunk<R: std::io::Read>(reader: &mut PlacementReader<R>, n: usize) -> Vec<recoup_domain::placement::PlacedAccount> {
    reader
        .by_ref()
        .take(n)
        .filter_map(|r| match r {
            Ok(RowResult::Placed(p)) => Some(*p),
            _ => None,
        })
        .collect()
}

/// Reads the same file in chunks (not timed) and times only the inserts of each chunk, all in
/// one transaction.
async fn bare_limit(db: &Path, keys: Arc<Keyring>, file: &Path, today: Date) -> Result<Duration> {
    drop(SqliteStore::open(db, keys).await?); // the same schema, migrated
    let (placement, ctx) = limit_target(today);
    let (db, file) = (db.to_path_buf(), file.to_path_buf());
    tokio::task::spawn_blocking(move || -> Result<Duration> {
        let mut conn = recoup_store::sqlite::connect(&db)?;
        // As recoup's own writer does.
        recoup_store::sqlite::keep_statement_journals_in_memory(&conn)?;
        let tx = conn.transaction()?;
        let mut reader = PlacementReader::new(File::open(&file)?, Format::Csv, &Mapping::standard(), ctx)?;
        let mut timed = Duration::ZERO;
        let mut seq = 0;
        loop {
            let rows = chunk(&mut reader, 10_000);
            if rows.is_empty() {
                break;
            }
            let t = Instant::now();
            recoup_store::sqlite::bare_insert(&tx, &placement, &rows, &mut seq)?;
            timed += t.elapsed();
        }
        let t = Instant::now();
        tx.commit()?;
        Ok(timed + t.elapsed())
    })
    .await
    .context("the limit run stopped")?
}

/// The PostgreSQL limit: the same rows COPYed in chunks of 50,000 (each COPY pays a fixed
/// round-trip cost, so larger chunks flatter the limit, never recoup), in one transaction.
async fn copy_limit(url: &str, keys: Arc<Keyring>, file: &Path, today: Date) -> Result<Duration> {
    use sqlx::Connection;
    drop(PgStore::connect(url, keys).await?); // migrated
    let (placement, ctx) = limit_target(today);
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let mut tx = conn.begin().await?;
    let mut reader = PlacementReader::new(File::open(file)?, Format::Csv, &Mapping::standard(), ctx)?;
    let (mut timed, mut seq) = (Duration::ZERO, 0);
    loop {
        let rows = chunk(&mut reader, 50_000);
        if rows.is_empty() {
            break;
        }
        let t = Instant::now();
        recoup_store::postgres::bare_copy(&mut tx, &placement, &rows, &mut seq).await?;
        timed += t.elapsed();
    }
    let t = Instant::now();
    tx.commit().await?;
    Ok(timed + t.elapsed())
}

/// Rows to copy into a floor database: a table, and the condition that picks the rows a run
/// wrote (`?1` is the run's tenant, `?2` the microsecond it started).
pub(crate) type Written<'a> = (&'a str, &'a str);

/// What SQLite itself needs to write the rows a run wrote, on this machine: a fresh database
/// with the same schema and recoup's connection settings (WAL, synchronous NORMAL), the `given`
/// tables copied first (not timed: what the rows refer to), then the `written` rows copied by
/// one INSERT … SELECT per table, in one transaction, timed with its commit. No parsing, no
/// statement per row, no application code: no run that writes these rows can be faster, so a
/// target beyond this figure cannot be met by any code on top of this schema and this machine.
pub(crate) async fn engine_floor(
    dir: &Path,
    src: &Path,
    keys: Arc<Keyring>,
    given: &[&'static str],
    written: &[Written<'static>],
    tenant_id: Uuid,
    since_micros: i64,
) -> Result<Duration> {
    let db = dir.join("floor.sqlite");
    let _ = std::fs::remove_file(&db);
    drop(SqliteStore::open(&db, keys).await?); // the same schema, migrated
    let (src, given, written) = (src.to_path_buf(), given.to_vec(), written.to_vec());
    tokio::task::spawn_blocking(move || -> Result<Duration> {
        let mut conn = recoup_store::sqlite::connect(&db)?;
        recoup_store::sqlite::keep_statement_journals_in_memory(&conn)?;
        conn.execute("ATTACH DATABASE ?1 AS src", [src.to_string_lossy()])?;
        for table in given {
            conn.execute(&format!("INSERT INTO {table} SELECT * FROM src.{table}"), [])?;
        }
        let t = Instant::now();
        let tx = conn.transaction()?;
        let values: [&dyn rusqlite::ToSql; 2] = [&tenant_id, &since_micros];
        for (table, picked) in written {
            let mut copy = tx.prepare(&format!("INSERT INTO {table} SELECT * FROM src.{table} WHERE {picked}"))?;
            let n = copy.parameter_count();
            copy.execute(&values[..n])?;
        }
        tx.commit()?;
        Ok(t.elapsed())
    })
    .await
    .context("the floor run stopped")?
}

/// Rows in the tables an import writes, to show what one placed account costs the database.
fn database_rows(db: &Path) -> Result<u64> {
    let c = rusqlite::Connection::open(db)?;
    let mut n = 0;
    for (table, _) in IMPORT_WRITES {
        n += c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get::<_, i64>(0))? as u64;
    }
    Ok(n)
}

/// Resets the kernel's peak-RSS mark so the import's own peak is measured.
pub(crate) fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub(crate) fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

/// A memory figure of this process from /proc/self/status, in MB.
pub(crate) fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// Bytes this process has caused to be written to storage so far (Linux; 0 elsewhere).
fn disk_writes() -> u64 {
    let io = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    io.lines().find_map(|l| l.strip_prefix("write_bytes:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
}
