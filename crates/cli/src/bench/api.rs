//! `recoup bench api`: loads accounts through the real import, serves them on loopback, and from
//! the same process drives authenticated `GET /api/v1/accounts/{id}` with random ids, then
//! `GET /livez` (same listener, same middleware, no store work: the limit) for the same time,
//! over a real HTTP client with keep-alive connections.

use super::{Imported, generate, import_with_recoup};
use crate::DbArgs;
use anyhow::{Context, Result, bail};
use jiff::civil::Date;
use recoup_domain::access::Role;
use recoup_store::{AccountFilter, Actor, Keyring, PgStore, SqliteStore, Store};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

const TARGET_RATIO: f64 = 0.5;
const TARGET_P99_MS: f64 = 10.0;

#[derive(clap::Args)]
pub struct ApiArgs {
    /// Accounts to load before serving.
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// How long each route is driven.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Requests in flight at once (each on its own keep-alive connection).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Keep the generated file and database in this directory instead of a temporary one.
    #[arg(long)]
    dir: Option<PathBuf>,
}

pub async fn run(db: &DbArgs, args: ApiArgs) -> Result<()> {
    anyhow::ensure!(args.rows > 0 && args.seconds > 0 && args.concurrency > 0, "--rows, --seconds and --concurrency must be above 0");
    let tmp = tempfile::tempdir()?;
    let dir = args.dir.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("bench-placement.csv");
    generate(&file, args.rows, today())?;

    println!("-- SQLite");
    let keys = Arc::new(Keyring::load_or_create_file(&dir.join("recoup.keys"))?);
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.join("recoup.sqlite"), keys).await?);
    bench_store(store, &file, &args).await?;
    if let Some(url) = &db.database_url {
        println!("-- PostgreSQL");
        let store: Arc<dyn Store> = Arc::new(PgStore::connect(url, crate::store::keyring(db)?).await?);
        bench_store(store, &file, &args).await?;
    }
    Ok(())
}

fn today() -> Date {
    Date::constant(2026, 11, 2)
}

async fn bench_store(store: Arc<dyn Store>, file: &std::path::Path, args: &ApiArgs) -> Result<()> {
    let Imported { tenant_id, elapsed, .. } = import_with_recoup(store.clone(), file, today()).await?;
    println!("loaded {} accounts in {:.1} s", args.rows, elapsed.as_secs_f64());
    let ids = Arc::new(account_ids(store.as_ref(), tenant_id).await?);
    let (_, key) = recoup_server::keys::issue(store.as_ref(), tenant_id, "bench", Role::Integrator, None, &Actor::new("bench")).await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(recoup_server::serve(recoup_server::AppState::new(store), listener, async {
        let _ = stopped.await;
    }));
    let driver = Driver::new(addr, &key, args)?;
    println!("{} concurrent requests over keep-alive connections, {} s per route", args.concurrency, args.seconds);

    let account = driver.drive(move || format!("/api/v1/accounts/{}", ids[fastrand::usize(..ids.len())])).await?;
    account.print("GET /api/v1/accounts/{id}");
    let bare = driver.drive(|| "/livez".to_string()).await?;
    bare.print("GET /livez (no store work)");

    let _ = stop.send(());
    server.await.context("the server task stopped")??;
    report(&account, &bare);
    Ok(())
}

/// Every account id of the tenant, to pick from at random.
async fn account_ids(store: &dyn Store, tenant_id: Uuid) -> Result<Vec<Uuid>> {
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let page = store.list_accounts(tenant_id, &AccountFilter::default(), after, 10_000).await?;
        let Some(last) = page.last() else { return Ok(ids) };
        after = Some(last.id);
        ids.extend(page.iter().map(|a| a.id));
    }
}

fn report(account: &Stats, bare: &Stats) {
    let verdict = |ok: bool| if ok { "met" } else { "NOT MET" };
    let ratio = account.rate() / bare.rate();
    let p99 = account.percentile_ms(99.0);
    println!("ratio accounts/livez {ratio:.2} (target >= {TARGET_RATIO}: {})", verdict(ratio >= TARGET_RATIO));
    println!("p99 accounts {p99:.2} ms (target <= {TARGET_P99_MS} ms: {})", verdict(p99 <= TARGET_P99_MS));
}

/// Sends requests from `concurrency` tasks, each on its own connection, for `seconds`.
struct Driver {
    client: reqwest::Client,
    base: String,
    auth: String,
    concurrency: usize,
    run_for: Duration,
}

impl Driver {
    fn new(addr: SocketAddr, key: &str, args: &ApiArgs) -> Result<Driver> {
        // The client speaks plain HTTP here, but reqwest wants a TLS provider chosen before it
        // builds; another part of the process may have installed one already, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).no_proxy().build()?;
        Ok(Driver {
            client,
            base: format!("http://{addr}"),
            auth: format!("Bearer {key}"),
            concurrency: args.concurrency,
            run_for: Duration::from_secs(args.seconds),
        })
    }

    /// Drives the paths `path` makes; both routes carry the same key, so requests are the same size.
    async fn drive(&self, path: impl Fn() -> String + Send + Sync + 'static) -> Result<Stats> {
        let path = Arc::new(path);
        // One untimed request per task first, so connecting is not counted.
        let warm: Vec<_> = (0..self.concurrency)
            .map(|_| {
                let (client, url, auth) = (self.client.clone(), format!("{}{}", self.base, path()), self.auth.clone());
                tokio::spawn(async move { send(&client, &url, &auth).await })
            })
            .collect();
        for w in warm {
            w.await??;
        }
        let start = Instant::now();
        let deadline = start + self.run_for;
        let tasks: Vec<_> = (0..self.concurrency)
            .map(|_| {
                let (client, base, auth, path) = (self.client.clone(), self.base.clone(), self.auth.clone(), path.clone());
                tokio::spawn(async move {
                    let mut lat = Vec::new();
                    let mut failed = Vec::new();
                    while Instant::now() < deadline {
                        let t = Instant::now();
                        match send(&client, &format!("{base}{}", path()), &auth).await {
                            Ok(()) => lat.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX)),
                            Err(e) => failed.push(e),
                        }
                    }
                    (lat, failed)
                })
            })
            .collect();
        let mut stats = Stats::default();
        let mut failed = Vec::new();
        for t in tasks {
            let (lat, f) = t.await?;
            stats.micros.extend(lat);
            failed.extend(f);
        }
        stats.elapsed = start.elapsed();
        stats.micros.sort_unstable();
        if let Some(first) = failed.first() {
            bail!("{} of {} requests failed, the first with: {first:#}", failed.len(), failed.len() + stats.micros.len());
        }
        Ok(stats)
    }
}

/// One request, read to the end; anything but 200 is a failure.
async fn send(client: &reqwest::Client, url: &str, auth: &str) -> Result<()> {
    let res = client.get(url).header("authorization", auth).send().await?;
    let status = res.status();
    let body = res.bytes().await?;
    if status != reqwest::StatusCode::OK {
        bail!("{url} answered {status}: {}", String::from_utf8_lossy(&body));
    }
    Ok(())
}

#[derive(Default)]
pub(super) struct Stats {
    /// Each request's latency in microseconds, sorted.
    pub(super) micros: Vec<u32>,
    pub(super) elapsed: Duration,
}

impl Stats {
    fn rate(&self) -> f64 {
        self.micros.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// Nearest-rank percentile.
    pub(super) fn percentile_ms(&self, p: f64) -> f64 {
        if self.micros.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.micros.len() as f64).ceil() as usize;
        f64::from(self.micros[rank.clamp(1, self.micros.len()) - 1]) / 1000.0
    }

    fn print(&self, what: &str) {
        println!(
            "{what:<27}: {:>9.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  ({} requests)",
            self.rate(),
            self.percentile_ms(50.0),
            self.percentile_ms(99.0),
            self.micros.len()
        );
    }
}
