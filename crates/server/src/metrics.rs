//! Prometheus metrics: one process-wide recorder, rendered on `/metrics`.

use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the recorder once per process; later calls reuse it (tests start many servers).
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder was installed first, in which case ours renders empty.
        let _ = metrics::set_global_recorder(recorder);
        metrics::gauge!("recoup_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        handle
    })
}

pub async fn render() -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], install().render()).into_response()
}

/// Counts requests and their latency by route pattern (never by raw path, which would make a
/// series per account id).
pub async fn track_requests(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("recoup_http_requests_total", "route" => route.clone(), "method" => method, "status" => status).increment(1);
    metrics::histogram!("recoup_http_request_duration_seconds", "route" => route).record(start.elapsed().as_secs_f64());
    res
}
