//! `Idempotency-Key` on every API write. A client that lost the answer to a payment or a status
//! change retries with the same key and gets the first answer back; nothing happens twice. The
//! key is the client's, scoped to its credential, kept for a day.

use super::auth::Principal;
use super::problem::Problem;
use crate::AppState;
use crate::hardening::BODY_LIMIT_BYTES;
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use recoup_store::{IdempotencyBegin, StoredResponse};
use sha2::{Digest, Sha256};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// How long a key is remembered; the daily run forgets older ones.
pub const KEEP_MICROS: i64 = 24 * 3_600_000_000;

/// A key is up to 255 printable ASCII characters (a UUID is the usual choice).
fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// What makes two requests "the same": method, path and query, and body, byte for byte. The
/// body is fed in afterwards, so an upload can be hashed as it streams.
pub fn request_hasher(method: &Method, target: &str) -> Sha256 {
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update([0]);
    h.update(target.as_bytes());
    h.update([0]);
    h
}

fn request_hash(method: &Method, target: &str, body: &[u8]) -> [u8; 32] {
    let mut h = request_hasher(method, target);
    h.update(body);
    h.finalize().into()
}

/// The request's key, if it sent one; a malformed key is refused.
pub fn key_of(headers: &axum::http::HeaderMap) -> Result<Option<String>, Problem> {
    let Some(key) = headers.get(HEADER).map(|v| v.to_str().unwrap_or("").to_string()) else { return Ok(None) };
    if !valid_key(&key) {
        let e =
            super::problem::FieldError { pointer: "/headers/Idempotency-Key".into(), detail: "1 to 255 printable ASCII characters".into() };
        return Err(Problem::invalid("the Idempotency-Key header is not valid", vec![e]));
    }
    Ok(Some(key))
}

/// Reserves `key` for this request, or answers in its place: the first answer again, or why not.
pub async fn begin(state: &AppState, p: &Principal, key: &str, hash: &[u8; 32]) -> Option<Response> {
    let now = jiff::Timestamp::now().as_microsecond();
    let subject = p.subject.to_string();
    match state.store.begin_idempotent(p.tenant_id, &subject, key, hash, now, now - KEEP_MICROS).await {
        Err(e) => Some(Problem::from(e).into_response()),
        Ok(IdempotencyBegin::Replay(stored)) => Some(replay(stored)),
        Ok(IdempotencyBegin::Mismatch) => Some(
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency key reused",
                "this Idempotency-Key was already used for a different request; use a new key for a new request",
            )
            .into_response(),
        ),
        Ok(IdempotencyBegin::InProgress) => {
            let mut r = Problem::new(
                StatusCode::CONFLICT,
                "idempotency-key-in-progress",
                "Request in progress",
                "the first request with this Idempotency-Key has not finished; retry shortly",
            )
            .into_response();
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            Some(r)
        }
        Ok(IdempotencyBegin::Fresh) => None,
    }
}

pub async fn layer(State(state): State<std::sync::Arc<AppState>>, req: Request, next: Next) -> Response {
    // Uploads stream to disk and keep their own keys (see `placements`).
    if !matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH) || req.uri().path() == crate::hardening::UPLOAD_PATH {
        return next.run(req).await;
    }
    let key = match key_of(req.headers()) {
        Ok(Some(k)) => k,
        Ok(None) => return next.run(req).await,
        Err(problem) => return problem.into_response(),
    };
    let (mut parts, body) = req.into_parts();
    let principal = match Principal::from_request_parts(&mut parts, &state).await {
        Ok(p) => p,
        // Unauthenticated: the handler refuses it the usual way, and nothing is remembered.
        Err(problem) => return problem.into_response(),
    };
    let Ok(bytes) = to_bytes(body, BODY_LIMIT_BYTES).await else {
        return Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", "Request too large", "the body is over the size limit")
            .into_response();
    };
    let target = parts.uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/").to_string();
    let hash = request_hash(&parts.method, &target, &bytes);
    if let Some(answer) = begin(&state, &principal, &key, &hash).await {
        return answer;
    }
    let resp = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    remember(&state, &principal, &key, resp).await
}

/// Stores the first answer (or frees the key when the server failed, so a retry can succeed)
/// and passes the answer on.
pub async fn remember(state: &AppState, p: &Principal, key: &str, resp: Response) -> Response {
    let subject = &p.subject.to_string();
    let (parts, body) = resp.into_parts();
    let bytes = match to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "could not read a response to remember it");
            let _ = state.store.release_idempotent(p.tenant_id, subject, key).await;
            return Problem::internal().into_response();
        }
    };
    let outcome = if parts.status.is_server_error() {
        state.store.release_idempotent(p.tenant_id, subject, key).await
    } else {
        let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/json");
        let stored = StoredResponse { status: parts.status.as_u16(), content_type: content_type.to_string(), body: bytes.to_vec() };
        state.store.complete_idempotent(p.tenant_id, subject, key, &stored).await
    };
    if let Err(e) = outcome {
        // The change itself is committed; only the memory of the answer is lost, so a retry
        // would be refused as in progress until the key expires. Say so loudly.
        tracing::error!(error = %e, "could not store an idempotent response");
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut r = (status, stored.body).into_response();
    if let Ok(v) = HeaderValue::from_str(&stored.content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r.headers_mut().insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert!(valid_key("0b6f5c1e-4b1e-4c55-9a55-4f5f1f8e2a10"));
        assert!(!valid_key(""));
        assert!(!valid_key("has space"));
        assert!(!valid_key(&"k".repeat(256)));
        assert!(valid_key(&"k".repeat(255)));
    }

    #[test]
    fn the_hash_covers_method_target_and_body() {
        let a = request_hash(&Method::POST, "/api/v1/x", b"{}");
        assert_ne!(a, request_hash(&Method::PATCH, "/api/v1/x", b"{}"));
        assert_ne!(a, request_hash(&Method::POST, "/api/v1/y", b"{}"));
        assert_ne!(a, request_hash(&Method::POST, "/api/v1/x", b"{ }"));
        assert_eq!(a, request_hash(&Method::POST, "/api/v1/x", b"{}"));
    }
}
