//! recoup's application layer and HTTP surface. It owns the HTTP router (`/healthz`, `/metrics`,
//! `/api/v1`, the staff console and the debtor portal), API keys, the metrics registry, and the
//! use-cases that drive the store and the importers together, such as a placement import, so the
//! CLI and the HTTP API run the same code.

pub mod api;
pub mod blobs;
pub mod compose;
pub mod documents;
pub mod experiments;
mod hardening;
pub mod import;
pub mod inbound;
pub mod keys;
pub mod letters;
pub mod messages;
pub mod metrics;
pub mod outbound;
pub mod passwords;
pub mod payment_import;
pub mod reconciliation;
pub mod reports;
pub mod scheduler;
pub mod scoring;
pub mod strategy;
pub mod users;
pub mod web;
pub mod webhooks;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use documents::escape;
use recoup_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// A session unused for this long is over (OWASP ASVS 3.3: idle timeout).
    pub session_idle: std::time::Duration,
    /// How `serve`'s background worker polls, times out and retries (webhook deliveries).
    pub worker: webhooks::WorkerConfig,
    /// Recent failed API keys per client address.
    pub key_failures: Arc<api::throttle::KeyFailures>,
    /// Whether the session cookie is marked `Secure` (served over TLS).
    pub secure_cookies: bool,
    /// The card processor payments go through (the built-in test gateway unless configured).
    pub gateway: Arc<dyn recoup_gateways::PaymentGateway>,
    /// Where uploaded documents are kept, one file per content hash.
    pub blob_dir: std::path::PathBuf,
    /// How messages leave (the outbox transport for every medium unless configured).
    pub outbound: outbound::Outbound,
    /// The SMS provider's auth token, which signs its callbacks; without it inbound texts and
    /// delivery reports are refused.
    pub twilio_auth_token: Option<String>,
    /// How often the strategy scheduler looks for tenants whose run time has come.
    pub strategy_tick: std::time::Duration,
    /// This node's name in run claims (host and process).
    pub node: String,
}

impl AppState {
    pub const DEFAULT_SESSION_IDLE: std::time::Duration = std::time::Duration::from_secs(30 * 60);

    pub fn new(store: Arc<dyn Store>) -> Self {
        AppState {
            store,
            session_idle: Self::DEFAULT_SESSION_IDLE,
            worker: webhooks::WorkerConfig::default(),
            key_failures: Arc::default(),
            secure_cookies: false,
            gateway: Arc::new(recoup_gateways::test_gateway::TestGateway::new()),
            blob_dir: std::env::temp_dir().join("recoup-blobs"),
            outbound: outbound::Outbound::default(),
            twilio_auth_token: None,
            strategy_tick: std::time::Duration::from_secs(60),
            node: node_name(),
        }
    }
}

/// The host and process, so a claim says which node holds it.
pub fn node_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "node".into());
    format!("{host}:{}", std::process::id())
}

/// The store alone, for a busy handler that needs nothing else from the state: taking it costs
/// one reference count, where cloning the whole state (as `State<AppState>` does for every
/// request) copies strings too.
#[derive(Clone)]
pub struct StoreOnly(pub Arc<dyn Store>);

impl axum::extract::FromRef<AppState> for StoreOnly {
    fn from_ref(state: &AppState) -> Self {
        StoreOnly(state.store.clone())
    }
}

pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/", get(index))
        .route("/healthz", get(healthz))
        .route("/livez", get(livez))
        .route("/metrics", get(metrics::render))
        .route("/inbound/{tenant}/twilio/sms", axum::routing::post(inbound::sms))
        .route("/inbound/{tenant}/twilio/status", axum::routing::post(inbound::sms_status))
        .route("/u/{token}", get(inbound::unsubscribe_page).post(inbound::unsubscribe))
        .merge(api::router(&state))
        .merge(web::router(&state))
        .layer(axum::middleware::from_fn(metrics::track_requests));
    hardening::apply(routes).with_state(state)
}

/// The front door: what is running, what it holds, and the ways in (console, portal, API).
async fn index(State(state): State<AppState>) -> Response {
    let mut rows = String::new();
    let tenants = match state.store.list_tenants().await {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "listing tenants failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
        }
    };
    for t in tenants {
        let accounts = state.store.count_accounts(t.id).await.unwrap_or(0);
        let clients = state.store.list_clients(t.id).await.map(|c| c.len()).unwrap_or(0);
        rows.push_str(&format!("<tr><td>{}</td><td>{}</td><td>{clients}</td><td>{accounts}</td></tr>", escape(&t.slug), escape(&t.name)));
    }
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>recoup</title><style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}}\
         table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}}</style></head>\
         <body><h1>recoup {}</h1><p>The service is running. Staff sign in to the <a href=\"/console\">console</a>; \
         debtors serve themselves in the <a href=\"/portal\">portal</a>; integrators use the <a href=\"/api/docs\">API</a>.</p>\
         <table><thead><tr><th>tenant</th><th>name</th><th>clients</th><th>accounts</th></tr></thead><tbody>{rows}</tbody></table>\
         <p><a href=\"/healthz\">health</a> &middot; <a href=\"/metrics\">metrics</a></p></body></html>",
        env!("CARGO_PKG_VERSION")
    );
    hardening::inline_styled(html)
}

/// Healthy when the database answers; a load balancer takes a node out when it does not.
async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.list_tenants().await {
        Ok(_) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok", "database": format!("{:?}", state.store.backend()).to_lowercase()})),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(serde_json::json!({"status": "unavailable", "error": "database unreachable"})))
                .into_response()
        }
    }
}

/// Alive when the process answers at all, whatever the database does: a supervisor restarts a
/// node that fails this, while `/healthz` only takes it out of rotation. Doing no work, it is
/// also the floor `recoup bench api` measures the API against.
async fn livez() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}

/// Serves until `shutdown` resolves, with a background worker delivering webhooks and the daily
/// servicing run. Every node runs both; the store's job claims keep them from doing the same
/// delivery twice.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    metrics::install();
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, "recoup is serving");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let worker = webhooks::Worker::new(state.store.clone(), state.worker.clone()).with_outbound(state.outbound.clone());
    let worker = tokio::spawn(worker.run(until_true(stopped.clone())));
    let daily = tokio::spawn(scheduler::run(state.store.clone(), until_true(stopped.clone())));
    let strategy = tokio::spawn(strategy::schedule(
        state.store.clone(),
        state.outbound.clone(),
        state.node.clone(),
        state.strategy_tick,
        until_true(stopped.clone()),
    ));
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app).with_graceful_shutdown(until_true(stopped)).await;
    let _ = worker.await;
    let _ = daily.await;
    let _ = strategy.await;
    served
}

async fn until_true(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}
