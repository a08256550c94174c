//! Idempotency keys: a client that retries a request after a timeout must not pay twice. The first
//! request with a key reserves it, runs, and stores its response; a repeat gets that response back.

use crate::Result;
use crate::rows::{Get, corrupt};
use async_trait::async_trait;
use uuid::Uuid;

/// A response kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// The key is new and now reserved: run the request, then `complete` or `release` it.
    Fresh,
    /// The key was used for this very request: answer what was answered then.
    Replay(StoredResponse),
    /// The key was used for a different request (method, path or body).
    Mismatch,
    /// The first request with this key is still running.
    InProgress,
}

#[async_trait]
pub trait Idempotency: Send + Sync {
    /// Reserves `key` for the credential `subject`, or says why not. A key older than
    /// `expires_before` (UTC microseconds) is forgotten and may be used afresh.
    async fn begin_idempotent(
        &self,
        tenant_id: Uuid,
        subject: &str,
        key: &str,
        request_hash: &[u8; 32],
        now: i64,
        expires_before: i64,
    ) -> Result<IdempotencyBegin>;
    async fn complete_idempotent(&self, tenant_id: Uuid, subject: &str, key: &str, response: &StoredResponse) -> Result<()>;
    /// Forgets a reservation whose request failed without changing anything, so it can be retried.
    async fn release_idempotent(&self, tenant_id: Uuid, subject: &str, key: &str) -> Result<()>;
    /// Deletes every key (of every tenant) created before `before` (UTC microseconds); how many.
    async fn purge_idempotent(&self, before: i64) -> Result<u64>;
}

/// A stored key: its request's hash and, once done, the response.
pub(crate) struct Stored {
    hash: Vec<u8>,
    response: Option<StoredResponse>,
}

pub(crate) fn stored(r: &impl Get) -> Result<Stored> {
    let hash = r.bytes("request_hash")?;
    if r.text("state")? != "done" {
        return Ok(Stored { hash, response: None });
    }
    let status = r.int("status")?;
    Ok(Stored {
        hash,
        response: Some(StoredResponse {
            status: u16::try_from(status).map_err(|_| corrupt("status", status))?,
            content_type: r.text("content_type")?,
            body: r.bytes("body")?,
        }),
    })
}

/// What a repeat of a stored key gets.
pub(crate) fn judge(found: Stored, hash: &[u8; 32]) -> IdempotencyBegin {
    if found.hash != hash[..] {
        return IdempotencyBegin::Mismatch;
    }
    match found.response {
        Some(r) => IdempotencyBegin::Replay(r),
        None => IdempotencyBegin::InProgress,
    }
}
