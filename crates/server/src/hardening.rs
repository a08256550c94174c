//! What every response carries and every request is held to, whatever the route: security
//! headers, a body size limit, and a panic turned into a plain 500 instead of a dropped socket.

use crate::api::problem::Problem;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// Requests larger than this are refused with 413 before a handler reads them. Routes that
/// take files (placement uploads) will carry their own, larger limit.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;

const HEADERS: [(HeaderName, &str); 5] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    // Pages are server-rendered with their own small inline style and no scripts yet.
    (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"),
    // Account data must not linger in shared or browser caches.
    (header::CACHE_CONTROL, "no-store"),
];

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    Problem::internal().into_response()
}

/// Wraps every route of `router`.
pub fn apply<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let router = HEADERS
        .into_iter()
        .fold(router, |r, (name, value)| r.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))));
    router.layer(CatchPanicLayer::custom(panic_response)).layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
}
