//! Idempotency keys on SQLite. The writer connection serializes `begin`, so two requests with
//! one key cannot both find it free.

use super::{SqliteStore, query_one};
use crate::Result;
use crate::idempotency::{Idempotency, IdempotencyBegin, StoredResponse, judge, stored};
use async_trait::async_trait;
use rusqlite::params;
use uuid::Uuid;

#[async_trait]
impl Idempotency for SqliteStore {
    async fn begin_idempotent(
        &self,
        tenant_id: Uuid,
        subject: &str,
        key: &str,
        request_hash: &[u8; 32],
        now: i64,
        expires_before: i64,
    ) -> Result<IdempotencyBegin> {
        let (subject, key, hash) = (subject.to_string(), key.to_string(), *request_hash);
        self.tx(move |tx| {
            tx.execute(
                "DELETE FROM idempotency_keys WHERE tenant_id = ? AND subject = ? AND key = ? AND created_at < ?",
                params![tenant_id, subject, key, expires_before],
            )?;
            let found = query_one(
                tx,
                "SELECT request_hash, state, status, content_type, body FROM idempotency_keys WHERE tenant_id = ? AND subject = ? AND key = ?",
                params![tenant_id, subject, key],
                |r| stored(r),
            )?;
            if let Some(found) = found {
                return Ok(judge(found, &hash));
            }
            tx.execute(
                "INSERT INTO idempotency_keys (tenant_id, subject, key, request_hash, state, created_at) VALUES (?,?,?,?,'pending',?)",
                params![tenant_id, subject, key, &hash[..], now],
            )?;
            Ok(IdempotencyBegin::Fresh)
        })
        .await
    }

    async fn complete_idempotent(&self, tenant_id: Uuid, subject: &str, key: &str, response: &StoredResponse) -> Result<()> {
        let (subject, key, resp) = (subject.to_string(), key.to_string(), response.clone());
        self.tx(move |tx| {
            tx.execute(
                "UPDATE idempotency_keys SET state = 'done', status = ?, content_type = ?, body = ? WHERE tenant_id = ? AND subject = ? AND key = ?",
                params![resp.status, resp.content_type, resp.body, tenant_id, subject, key],
            )?;
            Ok(())
        })
        .await
    }

    async fn release_idempotent(&self, tenant_id: Uuid, subject: &str, key: &str) -> Result<()> {
        let (subject, key) = (subject.to_string(), key.to_string());
        self.tx(move |tx| {
            tx.execute("DELETE FROM idempotency_keys WHERE tenant_id = ? AND subject = ? AND key = ?", params![tenant_id, subject, key])?;
            Ok(())
        })
        .await
    }

    async fn purge_idempotent(&self, before: i64) -> Result<u64> {
        self.tx(move |tx| Ok(tx.execute("DELETE FROM idempotency_keys WHERE created_at < ?", params![before])? as u64)).await
    }
}
