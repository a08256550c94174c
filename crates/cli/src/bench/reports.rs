//! `recoup bench reports --accounts N`: a book of N accounts in a fresh SQLite store, loaded
//! through the real import and then given a year of history in bulk (placements spread over
//! twelve monthly vintages, four payments per account so the ledger holds five entries per
//! account, three call attempts per account by twenty agents), then times what the supervisor's
//! dashboard reads for the last 30 days, and scoring every account with a model trained on the
//! book. Targets (issue 8): the whole dashboard within 1 s, scoring 1M accounts within 10 s.
//!
//! The history goes in with bare SQL (a year of servicing through the API would take hours); the
//! rows have the shape servicing writes, without their audit entries, which reports never read.

use super::{Imported, generate, import_with_recoup};
use anyhow::{Context, Result};
use jiff::civil::Date;
use jiff::{Span, ToSpan};
use recoup_server::reports::{self, Context as Names};
use recoup_server::scoring::{self, TrainRequest};
use recoup_store::reports::ReportQuery;
use recoup_store::{Actor, Keyring, SqliteStore, Store};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const DASHBOARD_LIMIT: Duration = Duration::from_secs(1);
const SCORING_LIMIT_PER_MILLION: Duration = Duration::from_secs(10);
/// Dashboard loads timed; the figure is the median.
const ROUNDS: usize = 3;

#[derive(clap::Args)]
pub struct ReportsArgs {
    #[arg(long, default_value_t = 1_000_000)]
    accounts: u64,
    /// Keep the generated file and database in this directory instead of a temporary one.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Time the queries on the book an earlier run kept in --dir (upgrading it first if this
    /// version's migrations are newer) instead of building a new one.
    #[arg(long, requires = "dir")]
    reuse: bool,
}

fn today() -> Date {
    Date::constant(2026, 11, 24)
}

pub async fn run(args: ReportsArgs) -> Result<()> {
    anyhow::ensure!(args.accounts > 0, "--accounts must be above 0");
    let tmp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("recoup.sqlite");
    let keys = Arc::new(Keyring::load_or_create_file(&dir.join("recoup.keys"))?);
    let (store, tenant_id) = if args.reuse { reopen(&path, keys).await? } else { build(&args, &dir, &path, keys).await? };

    let q = ReportQuery::window(today().checked_sub(29.days())?, today());
    // What the scheduler does each night: keep the balances of month-ends just over.
    let t = Instant::now();
    let kept = store.close_month_ends(tenant_id, &recoup_store::reports::closable(&recoup_store::reports::month_ends(&q), today())).await?;
    println!("nightly month-end close: {kept} month-ends replayed and kept in {:.1} s", t.elapsed().as_secs_f64());
    let mut rounds = Vec::new();
    for _ in 0..ROUNDS {
        rounds.push(dashboard(store.as_ref(), tenant_id, &q).await?);
    }
    rounds.sort_by_key(|r| r.total);
    let d = &rounds[ROUNDS / 2];
    println!(
        "dashboard for {} to {} (median of {ROUNDS}): report data {:.0} ms, names {:.0} ms, tables {:.0} ms, netback {:.0} ms, uplift {:.0} ms",
        q.from,
        q.to,
        ms(d.data),
        ms(d.names),
        ms(d.tables),
        ms(d.netback),
        ms(d.uplift)
    );
    verdict("whole dashboard", d.total, DASHBOARD_LIMIT);

    let actor = Actor::new("bench");
    let request = TrainRequest {
        as_of: today(),
        today: today(),
        outcome: recoup_domain::scoring::features::Outcome::default(),
        options: Default::default(),
    };
    let t = Instant::now();
    let model = scoring::train(store.as_ref(), tenant_id, &request, &actor).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "trained in {:.1} s on {} accounts, tested on {}: test AUC {:.4}",
        t.elapsed().as_secs_f64(),
        model.metrics.train_rows,
        model.metrics.test_rows,
        model.metrics.test_auc.unwrap_or(f64::NAN)
    );
    store.activate_model(tenant_id, model.version, &actor).await?;
    // The first of scoring's three steps on its own: reading every account's features.
    let t = Instant::now();
    let rows = store.snapshots(tenant_id, today(), 0).await?.len();
    println!("features of {rows} accounts read in {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let scored = scoring::score(store.as_ref(), tenant_id, today()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let took = t.elapsed();
    println!("scored {} accounts", scored.accounts);
    let limit = SCORING_LIMIT_PER_MILLION.mul_f64(args.accounts as f64 / 1e6);
    verdict(&format!("scoring {} accounts", scored.accounts), took, limit);
    Ok(())
}

/// A new book: generated, imported, and given its history.
async fn build(args: &ReportsArgs, dir: &std::path::Path, path: &std::path::Path, keys: Arc<Keyring>) -> Result<(Arc<dyn Store>, Uuid)> {
    let file = dir.join("bench-placement.csv");
    let first_placed = today().checked_sub(Span::new().days(360))?;
    generate(&file, args.accounts, first_placed)?;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(path, keys).await?);
    let Imported { tenant_id, elapsed, .. } = import_with_recoup(store.clone(), &file, first_placed).await?;
    println!("imported {} accounts in {:.1} s", args.accounts, elapsed.as_secs_f64());
    let t = Instant::now();
    let counts = history(path, tenant_id).await?;
    println!(
        "history in {:.1} s: {} placements, {} ledger entries, {} contact attempts",
        t.elapsed().as_secs_f64(),
        counts.0,
        counts.1,
        counts.2
    );
    Ok((store, tenant_id))
}

/// The book an earlier run kept, opened (and so upgraded) by this version.
async fn reopen(path: &std::path::Path, keys: Arc<Keyring>) -> Result<(Arc<dyn Store>, Uuid)> {
    anyhow::ensure!(path.exists(), "no book at {}: run once without --reuse", path.display());
    let t = Instant::now();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(path, keys).await?);
    println!("opened the kept book in {:.1} s (migrations included)", t.elapsed().as_secs_f64());
    let tenants = store.list_tenants().await?;
    let [tenant] = tenants.as_slice() else { anyhow::bail!("the kept book should hold one tenant, not {}", tenants.len()) };
    Ok((store.clone(), tenant.id))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn verdict(what: &str, took: Duration, limit: Duration) {
    let ratio = took.as_secs_f64() / limit.as_secs_f64();
    println!(
        "{what}: {:.0} ms, ratio to the {:.0} ms limit {ratio:.3} ({})",
        ms(took),
        ms(limit),
        if ratio <= 1.0 { "met" } else { "NOT MET" }
    );
}

struct Load {
    data: Duration,
    names: Duration,
    tables: Duration,
    netback: Duration,
    uplift: Duration,
    total: Duration,
}

/// What the console's dashboard reads and builds for a period, phase by phase.
async fn dashboard(store: &dyn Store, tenant_id: Uuid, q: &ReportQuery) -> Result<Load> {
    let start = Instant::now();
    let data = reports::data(store, tenant_id, q).await?;
    let after_data = Instant::now();
    let names = Names::read(store, tenant_id, q).await?;
    let after_names = Instant::now();
    for name in reports::DASHBOARD {
        reports::build(name, &data, q, &names)?;
    }
    let after_tables = Instant::now();
    reports::netback(store, tenant_id, q).await?;
    let after_netback = Instant::now();
    reports::uplift(store, tenant_id, q).await?;
    let end = Instant::now();
    Ok(Load {
        data: after_data - start,
        names: after_names - after_data,
        tables: after_tables - after_names,
        netback: after_netback - after_tables,
        uplift: end - after_netback,
        total: end - start,
    })
}

/// Twelve monthly vintages, four payments and three call attempts per account, in bulk:
/// (placements, ledger entries, contact attempts) afterwards.
async fn history(path: &std::path::Path, tenant_id: Uuid) -> Result<(i64, i64, i64)> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || -> Result<(i64, i64, i64)> {
        let mut conn = recoup_store::sqlite::connect(&path)?;
        let tx = conn.transaction()?;
        let today = today().to_string();
        // Eleven more placements a month apart; each account joins one by the last hex digit
        // of its id (sixteen values over twelve placements: a little uneven, like real books).
        let first: (Vec<u8>, String) =
            tx.query_row("SELECT id, placed_on FROM placements WHERE tenant_id = ?", [tenant_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let mut ids = vec![first.0.clone()];
        for month in 1..12 {
            let id = Uuid::now_v7();
            tx.execute(
                "INSERT INTO placements (tenant_id, id, client_id, portfolio_id, placed_on, file_name, status, created_at) \
                 SELECT tenant_id, ?2, client_id, portfolio_id, date(placed_on, ?3), file_name, status, created_at \
                 FROM placements WHERE tenant_id = ?1 AND id = ?4",
                rusqlite::params![tenant_id, id, format!("+{} months", month), first.0],
            )?;
            ids.push(id.as_bytes().to_vec());
        }
        for (i, id) in ids.iter().enumerate() {
            tx.execute(
                "UPDATE accounts SET placement_id = ?2 WHERE tenant_id = ?1 AND (instr('0123456789ABCDEF', substr(hex(id), 32, 1)) - 1) % 12 = ?3",
                rusqlite::params![tenant_id, id, i as i64],
            )?;
        }
        // Four payments of 3% of the placed balance, 20 days apart from placement plus up to two
        // weeks, none after today; each all to principal, as the default waterfall does with no
        // fees or interest due.
        tx.execute(
            "INSERT INTO ledger_entries (tenant_id, id, account_id, kind, currency, effective_on, principal, interest, fees, costs, credit, reverses_id, memo, posted_at) \
             SELECT a.tenant_id, randomblob(16), a.id, 'payment', a.currency, \
               min(date(p.placed_on, '+' || (k.n * 20 + abs(random()) % 14) || ' days'), ?2), \
               -max(1, (a.rep_principal * 3) / 100), 0, 0, 0, 0, NULL, 'bench payment', 0 \
             FROM accounts a JOIN placements p ON p.tenant_id = a.tenant_id AND p.id = a.placement_id \
             JOIN (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4) k \
             WHERE a.tenant_id = ?1",
            rusqlite::params![tenant_id, today],
        )?;
        tx.execute(
            "UPDATE accounts SET bal_principal = bal_principal - 4 * max(1, (rep_principal * 3) / 100) WHERE tenant_id = ?1",
            [tenant_id],
        )?;
        // Three outbound calls per account in the last 90 days by twenty agents, ending as calls
        // do; the day, result and agent come from the random hex digits of the account's id.
        let digit = |at: &str| format!("(instr('0123456789ABCDEF', substr(hex(a.id), {at}, 1)) - 1)");
        let (d1, d2, d3, d4) = (digit("20 + k.n"), digit("24 + k.n"), digit("28 + k.n"), digit("17 + k.n"));
        tx.execute(
            &format!(
                "INSERT INTO servicing_records (tenant_id, id, account_id, client_id, kind, status, on_date, data, created_at, updated_at) \
                 SELECT tenant_id, randomblob(16), id, client_id, 'contact_attempt', \
                   CASE WHEN result IN ('right_party', 'refused', 'promise_taken') THEN 'conversation' ELSE 'no_conversation' END, \
                   on_date, json_object('medium', 'call', 'result', result, 'inbound', json('false'), 'by', 'user:bench-agent-' || agent), 0, 0 \
                 FROM (SELECT a.tenant_id, a.id, a.client_id, date(?2, '-' || (({d1} * 16 + {d2}) % 90) || ' days') AS on_date, \
                   CASE {d3} % 10 WHEN 0 THEN 'right_party' WHEN 1 THEN 'promise_taken' WHEN 2 THEN 'voicemail' \
                     WHEN 3 THEN 'wrong_number' WHEN 4 THEN 'third_party' ELSE 'no_answer' END AS result, \
                   ({d4} + k.n) % 20 AS agent \
                   FROM accounts a JOIN (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3) k WHERE a.tenant_id = ?1)"
            ),
            rusqlite::params![tenant_id, today],
        )?;
        tx.commit()?;
        conn.execute("ANALYZE", [])?;
        let count = |sql: &str| conn.query_row(sql, [tenant_id], |r| r.get::<_, i64>(0));
        Ok((
            count("SELECT COUNT(*) FROM placements WHERE tenant_id = ?")?,
            count("SELECT COUNT(*) FROM ledger_entries WHERE tenant_id = ?")?,
            count("SELECT COUNT(*) FROM servicing_records WHERE tenant_id = ? AND kind = 'contact_attempt'")?,
        ))
    })
    .await
    .context("building the history stopped")?
}
