//! What every response carries and every request is held to, whatever the route: security
//! headers, a body size limit, and a panic turned into a plain 500 instead of a dropped socket.

use crate::api::problem::Problem;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// Requests larger than this are refused with 413 before a handler reads them.
pub const BODY_LIMIT_BYTES: usize = 1024 * 1024;

/// Placement files are the one thing sent in bulk; they are streamed to disk, not held.
pub const UPLOAD_LIMIT_BYTES: usize = 512 * 1024 * 1024;
pub const UPLOAD_PATH: &str = "/api/v1/placements";

const HEADERS: [(HeaderName, &str); 5] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    // Scripts and styles only from our own embedded files (nothing inline runs or applies,
    // whatever a page echoes); forms post only to us. Documents (receipts, notices) carry their
    // own policy for their inline stylesheet.
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    // Account data must not linger in shared or browser caches.
    (header::CACHE_CONTROL, "no-store"),
];

/// The policy for a page that carries its own small stylesheet inline: documents meant to stand
/// alone when saved (receipts, notices, statements) and the few plain pages outside the console.
/// They run no script and load nothing; only the inline style is allowed beyond the default.
const INLINE_STYLE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// `html` as a page whose own inline stylesheet applies (see [`INLINE_STYLE_CSP`]).
pub fn inline_styled(html: String) -> Response {
    ([(header::CONTENT_SECURITY_POLICY, INLINE_STYLE_CSP)], axum::response::Html(html)).into_response()
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    Problem::internal().into_response()
}

/// Wraps every route of `router`.
pub fn apply<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let router = HEADERS
        .into_iter()
        .fold(router, |r, (name, value)| r.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))));
    // `limit_body` sets each route's limit; axum's own 2 MB default would undercut documents.
    router
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::middleware::from_fn(limit_body))
}

/// Placement files, payment files and documents are the bodies larger than the default.
fn limit_for(path: &str) -> usize {
    if path == UPLOAD_PATH {
        return UPLOAD_LIMIT_BYTES;
    }
    if path == crate::api::payment_files::PAYMENT_FILE_PATH {
        return crate::api::payment_files::PAYMENT_FILE_LIMIT_BYTES;
    }
    if path.starts_with("/api/v1/accounts/") && path.ends_with("/documents") {
        return crate::api::documents::DOCUMENT_LIMIT_BYTES;
    }
    if (path.starts_with("/console/accounts/") && path.ends_with("/documents")) || path == "/portal/documents" {
        // The file comes inside a form: room for its other fields and boundaries.
        return crate::api::documents::DOCUMENT_LIMIT_BYTES + 64 * 1024;
    }
    BODY_LIMIT_BYTES
}

/// Refuses a declared length over the route's limit at once, and cuts off a body that grows past
/// it while being read (chunked uploads declare no length).
async fn limit_body(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let limit = limit_for(req.uri().path());
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(limit);
    }
    next.run(req.map(|b| axum::body::Body::new(http_body_util::Limited::new(b, limit)))).await
}

pub fn too_large(limit: usize) -> Response {
    Problem::new(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        "too-large",
        "Request too large",
        format!("this route takes at most {limit} bytes"),
    )
    .into_response()
}
