//! The stylesheet, htmx and our script, compiled into the binary. Their URLs carry a digest of
//! their bytes, so browsers may keep them forever and still fetch a changed file at once.

use crate::AppState;
use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::LazyLock;

const CSS: &[u8] = include_bytes!("../../assets/app.css");
const JS: &[u8] = include_bytes!("../../assets/app.js");
const HTMX: &[u8] = include_bytes!("../../assets/htmx-2.0.11.min.js");

fn versioned(name: &str, bytes: &[u8]) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(bytes);
    format!("/assets/{name}?v={}", recoup_domain::hex::encode(&d[..6]))
}

pub static CSS_URL: LazyLock<String> = LazyLock::new(|| versioned("app.css", CSS));
pub static JS_URL: LazyLock<String> = LazyLock::new(|| versioned("app.js", JS));
pub static HTMX_URL: LazyLock<String> = LazyLock::new(|| versioned("htmx.min.js", HTMX));

pub fn router() -> Router<AppState> {
    Router::new().route("/assets/{name}", get(asset))
}

async fn asset(Path(name): Path<String>) -> Response {
    let (bytes, kind) = match name.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "app.js" => (JS, "text/javascript; charset=utf-8"),
        "htmx.min.js" => (HTMX, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "no such asset").into_response(),
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")], bytes).into_response()
}
