//! The `recoup` command: the binary's edge, where arguments, configuration and errors meet the
//! application. Each subcommand lives in its own module and calls into the server and store.

mod account;
mod apikey;
mod bench;
mod channels;
mod demo;
mod import;
mod letters;
mod model;
mod payment_import;
mod report;
mod servicing;
mod setup;
mod store;
mod strategy;
mod user;
mod worklist;

use anyhow::Result;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "recoup", version, about = "Debt collection and receivables recovery")]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives: a SQLite file in the data directory unless a PostgreSQL URL is given.
#[derive(Args, Clone)]
pub struct DbArgs {
    /// PostgreSQL URL (postgres://user@host/db); without it recoup uses SQLite in --data-dir.
    #[arg(long, global = true, env = "RECOUP_DATABASE_URL")]
    database_url: Option<String>,
    /// Directory holding the SQLite database (and later uploaded documents).
    #[arg(long, global = true, env = "RECOUP_DATA_DIR", default_value = "recoup-data")]
    data_dir: PathBuf,
    /// The tenant to act on (a single-organization install uses `default`).
    #[arg(long, global = true, env = "RECOUP_TENANT", default_value = "default")]
    tenant: String,
    /// File with the keys that encrypt national ids and dates of birth (`recoup keys generate`).
    /// RECOUP_DATA_KEYS (the same text) wins over it; SQLite without either uses recoup.keys in
    /// --data-dir, created on first use; PostgreSQL without either refuses to start.
    #[arg(long, global = true, env = "RECOUP_DATA_KEY_FILE")]
    data_key_file: Option<PathBuf>,
    /// Whether --tenant (or RECOUP_TENANT) was given rather than defaulted: `servicing run`
    /// covers every tenant unless one is named.
    #[arg(skip)]
    tenant_named: bool,
}

/// The card processor `serve` charges through.
#[derive(Args, Clone, Default)]
pub struct GatewayArgs {
    /// A Stripe secret key: card payments go through Stripe. Without it the built-in test
    /// gateway takes the documented test cards only (for demos and trials).
    #[arg(long, env = "RECOUP_STRIPE_SECRET_KEY", hide_env_values = true)]
    stripe_secret_key: Option<String>,
    /// Stripe's API address (a local stand-in for tests).
    #[arg(long, env = "RECOUP_STRIPE_API_URL", default_value = "https://api.stripe.com")]
    stripe_api_url: String,
}

/// The server's state for `serve` and `demo`: documents under the data directory, the gateway.
fn app_state(db: &DbArgs, store: std::sync::Arc<dyn recoup_store::Store>, gateway: &GatewayArgs) -> recoup_server::AppState {
    let mut state = recoup_server::AppState::new(store);
    state.blob_dir = db.data_dir.join("blobs");
    match &gateway.stripe_secret_key {
        Some(key) => state.gateway = std::sync::Arc::new(recoup_gateways::StripeGateway::new(gateway.stripe_api_url.clone(), key.clone())),
        None => tracing::warn!("no payment gateway configured: card payments use the built-in test gateway (test cards only)"),
    }
    state
}

#[derive(Subcommand)]
enum Command {
    /// Apply database migrations (they also run at every start).
    Migrate,
    /// Serve the API, /healthz and /metrics, and deliver webhooks.
    Serve {
        #[arg(long, env = "RECOUP_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Mark the session cookie `Secure` (browsers then send it over HTTPS only). Set it
        /// whenever recoup is reached through TLS, such as behind a terminating proxy.
        #[arg(long, env = "RECOUP_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Let webhooks go to receivers on private, loopback or link-local addresses (a receiver
        /// inside your own network). Off by default: a subscription cannot make recoup call into
        /// the network it runs in.
        #[arg(long, env = "RECOUP_ALLOW_PRIVATE_WEBHOOKS")]
        allow_private_webhooks: bool,
        #[command(flatten)]
        gateway: GatewayArgs,
        #[command(flatten)]
        channels: channels::ChannelArgs,
    },
    /// Create a demo tenant with three clients and ~5,000 realistic accounts, then serve it.
    Demo {
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Directory for the demo's database (kept between runs).
        #[arg(long, default_value = "recoup-demo")]
        demo_dir: PathBuf,
        /// Build the data and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Import files.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Strategies: check, save, list, show, activate, compare two versions on a day; experiments,
    /// their results by arm, and promoting a winner.
    #[command(subcommand)]
    Strategy(strategy::StrategyCommand),
    /// Run one strategy day for the tenant: every active account is evaluated and its due step
    /// goes through the contact policy. Running the same day again creates nothing new.
    Run {
        /// The day to run; today (UTC) when left out.
        #[arg(long)]
        date: Option<jiff::civil::Date>,
        /// Print what would happen, by segment, arm, step, action and reason; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Dry-run this version instead of the live one.
        #[arg(long, requires = "dry_run")]
        version: Option<u32>,
        /// Where people reach this recoup: the unsubscribe links in the messages the run queues
        /// (the same setting as `serve`'s).
        #[arg(long, env = "RECOUP_PUBLIC_URL", default_value = "http://127.0.0.1:8080")]
        public_url: String,
    },
    /// Agents: the queues they work and their accounts per day.
    #[command(subcommand)]
    Agent(worklist::AgentCommand),
    /// Worklists: a queue's or an agent's list in order; hand out the next account; skip one.
    #[command(subcommand)]
    Worklist(worklist::WorklistCommand),
    /// Letters: the day's print batch.
    #[command(subcommand)]
    Letters(letters::LettersCommand),
    /// Set up tenants, clients and portfolios.
    #[command(subcommand)]
    Tenant(setup::TenantCommand),
    #[command(subcommand)]
    Client(setup::ClientCommand),
    #[command(subcommand)]
    Portfolio(setup::PortfolioCommand),
    /// People who sign in.
    #[command(subcommand)]
    User(user::UserCommand),
    /// API keys for integrations.
    #[command(subcommand)]
    Apikey(apikey::ApiKeyCommand),
    /// Look at accounts.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// Promises to pay.
    #[command(subcommand)]
    Promise(servicing::PromiseCommand),
    /// Payment plans: quote the schedule, set one up.
    #[command(subcommand)]
    Plan(servicing::PlanCommand),
    /// Payments: post (not card), reverse, list.
    #[command(subcommand)]
    Payment(servicing::PaymentCommand),
    /// Settlements: offer, approve or reject.
    #[command(subcommand)]
    Settlement(servicing::SettlementCommand),
    /// Disputes: open, move on, list the open ones.
    #[command(subcommand)]
    Dispute(servicing::DisputeCommand),
    /// Holds: cease, bankruptcy, deceased, attorney, hardship pause, vulnerability, recall.
    #[command(subcommand)]
    Hold(servicing::HoldCommand),
    /// The daily servicing judgement.
    #[command(subcommand)]
    Servicing(servicing::remittance::ServicingCommand),
    /// Remittance statements for clients.
    #[command(subcommand)]
    Remittance(servicing::remittance::RemittanceCommand),
    /// KPI reports over a period, as text, CSV or JSON: the same figures as the API and console.
    Report(report::ReportArgs),
    /// Propensity-to-pay models: train on the tenant's own history, list, show, activate, score
    #[command(subcommand)]
    Model(model::ModelCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Benchmarks that print their figure beside the limit measured in the same run.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// The keys that encrypt sensitive fields at rest.
    #[command(subcommand)]
    Keys(KeysCommand),
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Print a new key file (a lookup key and data key version 1) to standard output, for
    /// RECOUP_DATA_KEY_FILE or RECOUP_DATA_KEYS. To rotate, copy its `1 = ...` line into your
    /// file as the next version: new writes use the highest version, older ones keep opening.
    Generate,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute the tenant's hash chain and name the first entry that does not match.
    Verify,
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("RECOUP_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    cli.db.tenant_named = matches.value_source("tenant").is_some_and(|s| s != ValueSource::DefaultValue);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<std::process::ExitCode> {
    use std::process::ExitCode;
    match cli.command {
        Command::Migrate => {
            let store = store::open(&cli.db).await?;
            let applied = store.migrate().await?;
            println!("{} database is up to date ({} migrations applied now)", store::describe(&cli.db), applied.len());
        }
        Command::Serve { bind, secure_cookies, allow_private_webhooks, gateway, channels } => {
            let store = store::open(&cli.db).await?;
            let (outbound, twilio_auth_token) = channels::outbound(&channels, &bind.to_string())?;
            let mut state = recoup_server::AppState { secure_cookies, outbound, twilio_auth_token, ..app_state(&cli.db, store, &gateway) };
            state.worker.allow_private_receivers = allow_private_webhooks;
            serve(state, bind).await?;
        }
        Command::Demo { port, demo_dir, no_serve } => {
            let db = DbArgs { data_dir: demo_dir, tenant: demo::TENANT.into(), ..cli.db };
            let store = store::open(&db).await?;
            demo::ensure(store.clone()).await?;
            if !no_serve {
                let bind = SocketAddr::from(([127, 0, 0, 1], port));
                let key = demo::api_key(store.as_ref()).await?;
                let (outbound, _) = channels::outbound(&channels::ChannelArgs::default(), &bind.to_string())?;
                println!("recoup demo is serving on http://{bind}/  (health: http://{bind}/healthz, metrics: http://{bind}/metrics)");
                println!("staff console: http://{bind}/console  sign in as one of:");
                for (email, _, role) in demo::USERS {
                    println!("  {:<11} {email:<32} {}", role.as_str(), demo::demo_password(role));
                }
                if let Some(d) = demo::portal_sample(store.as_ref(), &outbound).await? {
                    println!("debtor portal: {}  (the signed link from {}'s messages)", d.link, d.name);
                    println!(
                        "  prove it is them with date of birth {} and ZIP {}; or open http://{bind}/portal and give reference {}",
                        d.date_of_birth, d.zip, d.reference
                    );
                    println!("  test cards: 4242424242424242 is approved, 4000000000000002 is declined (any future expiry, any CVC)");
                }
                println!("try the API with this run's key:  curl -H 'Authorization: Bearer {key}' 'http://{bind}/api/v1/accounts?limit=2'");
                println!(
                    "messages wait in the outbox (nothing is sent): curl -H 'Authorization: Bearer {key}' 'http://{bind}/api/v1/outbox?limit=5'"
                );
                println!("press Ctrl-C to stop");
                serve(recoup_server::AppState { outbound, ..app_state(&db, store, &GatewayArgs::default()) }, bind).await?;
            }
        }
        Command::Import(cmd) => return import::run(&cli.db, cmd).await,
        Command::Letters(cmd) => letters::run(&cli.db, cmd).await?,
        Command::Strategy(cmd) => strategy::strategy(&cli.db, cmd).await?,
        Command::Run { date, dry_run, version, public_url } => strategy::run(&cli.db, date, dry_run, version, public_url).await?,
        Command::Agent(cmd) => worklist::agent(&cli.db, cmd).await?,
        Command::Worklist(cmd) => worklist::worklist(&cli.db, cmd).await?,
        Command::Tenant(cmd) => setup::tenant(&cli.db, cmd).await?,
        Command::Client(cmd) => setup::client(&cli.db, cmd).await?,
        Command::Portfolio(cmd) => setup::portfolio(&cli.db, cmd).await?,
        Command::Audit(AuditCommand::Verify) => {
            let store = store::open(&cli.db).await?;
            let tenant = store::tenant(store.as_ref(), &cli.db.tenant).await?;
            match recoup_store::verify_audit(store.as_ref(), tenant.id).await? {
                Ok(n) => println!("audit chain of tenant {} verified: {n} entries, unbroken", tenant.slug),
                Err(broken) => {
                    eprintln!("audit chain of tenant {} is BROKEN: {broken}", tenant.slug);
                    return Ok(ExitCode::from(2));
                }
            }
        }
        Command::Bench(cmd) => bench::run(&cli.db, cmd).await?,
        Command::Account(cmd) => account::run(&cli.db, cmd).await?,
        Command::Promise(cmd) => servicing::promise(&cli.db, cmd).await?,
        Command::Plan(cmd) => servicing::plan(&cli.db, cmd).await?,
        Command::Payment(cmd) => servicing::payment(&cli.db, cmd).await?,
        Command::Settlement(cmd) => servicing::settlement(&cli.db, cmd).await?,
        Command::Dispute(cmd) => servicing::dispute(&cli.db, cmd).await?,
        Command::Hold(cmd) => servicing::hold(&cli.db, cmd).await?,
        Command::Servicing(cmd) => return servicing::remittance::run(&cli.db, cmd).await,
        Command::Remittance(cmd) => servicing::remittance::statement(&cli.db, cmd).await?,
        Command::Report(args) => report::run(&cli.db, args).await?,
        Command::Model(cmd) => model::model(&cli.db, cmd).await?,
        Command::Apikey(cmd) => apikey::run(&cli.db, cmd).await?,
        Command::User(cmd) => user::run(&cli.db, cmd).await?,
        Command::Keys(KeysCommand::Generate) => print!("{}", recoup_store::Keyring::generate_text()?),
    }
    Ok(ExitCode::SUCCESS)
}

async fn serve(state: recoup_server::AppState, bind: SocketAddr) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(bind).await.map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?;
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    recoup_server::serve(state, listener, shutdown).await?;
    Ok(())
}
