//! Idempotency keys on PostgreSQL. `INSERT ... ON CONFLICT DO NOTHING` decides which of two
//! concurrent requests with one key runs; the other sees the reservation.

use super::{PgStore, one};
use crate::Result;
use crate::idempotency::{Idempotency, IdempotencyBegin, StoredResponse, judge, stored};
use async_trait::async_trait;
use uuid::Uuid;

#[async_trait]
impl Idempotency for PgStore {
    async fn begin_idempotent(
        &self,
        tenant_id: Uuid,
        subject: &str,
        key: &str,
        request_hash: &[u8; 32],
        now: i64,
        expires_before: i64,
    ) -> Result<IdempotencyBegin> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM idempotency_keys WHERE tenant_id = $1 AND subject = $2 AND key = $3 AND created_at < $4")
            .bind(tenant_id)
            .bind(subject)
            .bind(key)
            .bind(expires_before)
            .execute(&mut *tx)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (tenant_id, subject, key, request_hash, state, created_at) VALUES ($1,$2,$3,$4,'pending',$5) \
             ON CONFLICT (tenant_id, subject, key) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(subject)
        .bind(key)
        .bind(&request_hash[..])
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let verdict = if inserted.rows_affected() == 1 {
            IdempotencyBegin::Fresh
        } else {
            let q = "SELECT request_hash, state, status::bigint AS status, content_type, body FROM idempotency_keys \
                     WHERE tenant_id = $1 AND subject = $2 AND key = $3"
                .to_string();
            match one(&mut tx, q, |q| q.bind(tenant_id).bind(subject).bind(key), stored).await? {
                Some(found) => judge(found, request_hash),
                // Released between our insert and our read: the caller may simply try again.
                None => IdempotencyBegin::InProgress,
            }
        };
        tx.commit().await?;
        Ok(verdict)
    }

    async fn complete_idempotent(&self, tenant_id: Uuid, subject: &str, key: &str, response: &StoredResponse) -> Result<()> {
        sqlx::query(
            "UPDATE idempotency_keys SET state = 'done', status = $4, content_type = $5, body = $6 WHERE tenant_id = $1 AND subject = $2 AND key = $3",
        )
        .bind(tenant_id)
        .bind(subject)
        .bind(key)
        .bind(i64::from(response.status))
        .bind(&response.content_type)
        .bind(&response.body)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn release_idempotent(&self, tenant_id: Uuid, subject: &str, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM idempotency_keys WHERE tenant_id = $1 AND subject = $2 AND key = $3")
            .bind(tenant_id)
            .bind(subject)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn purge_idempotent(&self, before: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1").bind(before).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }
}
