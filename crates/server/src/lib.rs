//! recoup's application layer and HTTP surface. It owns the HTTP router (for now `/healthz` and
//! `/metrics`; the API, console and portal come next), the metrics registry, and the
//! use-cases that drive the store and the importers together, such as a placement import, so the
//! CLI and the HTTP API run the same code.

pub mod import;
pub mod metrics;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use recoup_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::render))
        .layer(axum::middleware::from_fn(metrics::track_requests))
        .with_state(state)
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

/// Serves until `shutdown` resolves.
pub async fn serve(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    metrics::install();
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, "recoup is serving");
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}
