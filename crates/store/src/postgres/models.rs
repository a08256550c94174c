//! Models and scores on PostgreSQL.

use super::{PgStore, all, append_audit, one, sql};
use crate::models::*;
use crate::{Actor, Result, StoreError};
use async_trait::async_trait;
use jiff::civil::Date;
use recoup_domain::scoring::features::Snapshot;
use uuid::Uuid;

/// Scores written per statement.
const SCORE_BATCH: usize = 1_000;

#[async_trait]
impl Models for PgStore {
    async fn snapshots(&self, tenant_id: Uuid, on: Date, horizon_days: i32) -> Result<Vec<Snapshot>> {
        let until =
            on.checked_add(jiff::Span::new().days(horizon_days)).map_err(|e| StoreError::invalid("/horizon_days", e.to_string()))?;
        let (on, until) = (on.to_string(), until.to_string());
        let (mut a, mut l, mut r) = (self.pool.acquire().await?, self.pool.acquire().await?, self.pool.acquire().await?);
        let (accounts, ledger, records) = tokio::try_join!(
            all(&mut a, SNAPSHOT_ACCOUNTS_SQL.into(), |q| q.bind(tenant_id).bind(&on), snapshot_account),
            all(&mut l, SNAPSHOT_LEDGER_SQL.into(), |q| q.bind(tenant_id).bind(&on).bind(&until), ledger_part),
            all(&mut r, SNAPSHOT_RECORDS_SQL.into(), |q| q.bind(tenant_id).bind(&on), records_part),
        )?;
        Ok(join_snapshots(accounts, ledger, records))
    }

    async fn save_model(&self, tenant_id: Uuid, m: &StoredModel, actor: &Actor) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        // One trainer at a time per tenant takes the next version.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('models:' || $1::text))").bind(tenant_id).execute(&mut *tx).await?;
        let (version,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(version), 0) + 1 FROM models WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_one(&mut *tx)
            .await?;
        let [outcome, metrics, model] = model_json(m)?;
        sqlx::query(sql(format!("INSERT INTO models (tenant_id, {MODEL_COLS}) VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8, $9)")))
            .bind(tenant_id)
            .bind(version)
            .bind(m.created_at)
            .bind(&m.created_by)
            .bind(m.trained_on.to_string())
            .bind(m.tested_on.to_string())
            .bind(outcome)
            .bind(metrics)
            .bind(model)
            .execute(&mut *tx)
            .await?;
        append_audit(&mut tx, tenant_id, vec![trained_event(actor, &StoredModel { version, ..m.clone() })]).await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn models(&self, tenant_id: Uuid) -> Result<Vec<StoredModel>> {
        let mut c = self.pool.acquire().await?;
        all(
            &mut c,
            format!("SELECT {MODEL_COLS} FROM models WHERE tenant_id = $1 ORDER BY version DESC"),
            |q| q.bind(tenant_id),
            stored_model,
        )
        .await
    }

    async fn activate_model(&self, tenant_id: Uuid, version: i64, actor: &Actor) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let found = sqlx::query("SELECT version FROM models WHERE tenant_id = $1 AND version = $2 FOR UPDATE")
            .bind(tenant_id)
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
        if found.is_none() {
            return Err(StoreError::not_found("model", version));
        }
        sqlx::query("UPDATE models SET active = 0 WHERE tenant_id = $1 AND active = 1").bind(tenant_id).execute(&mut *tx).await?;
        sqlx::query("UPDATE models SET active = 1 WHERE tenant_id = $1 AND version = $2")
            .bind(tenant_id)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        append_audit(&mut tx, tenant_id, vec![activated_event(actor, version)]).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn save_scores(&self, tenant_id: Uuid, scores: Vec<AccountScore>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for batch in scores.chunks(SCORE_BATCH) {
            let mut ids = Vec::with_capacity(batch.len());
            let (mut versions, mut days, mut marks, mut reasons) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for s in batch {
                ids.push(s.account_id);
                versions.push(s.model_version);
                days.push(s.scored_on.to_string());
                marks.push(i64::from(s.per_mille));
                reasons.push(serde_json::to_string(&s.reasons).map_err(|e| StoreError::Corrupt(e.to_string()))?);
            }
            sqlx::query(
                "INSERT INTO account_scores (tenant_id, account_id, model_version, scored_on, per_mille, reasons) \
                 SELECT $1, * FROM UNNEST($2::uuid[], $3::bigint[], $4::text[], $5::bigint[], $6::text[]) \
                 ON CONFLICT (tenant_id, account_id) DO UPDATE SET model_version = EXCLUDED.model_version, \
                 scored_on = EXCLUDED.scored_on, per_mille = EXCLUDED.per_mille, reasons = EXCLUDED.reasons",
            )
            .bind(tenant_id)
            .bind(&ids)
            .bind(&versions)
            .bind(&days)
            .bind(&marks)
            .bind(&reasons)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn account_score(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Option<AccountScore>> {
        let mut c = self.pool.acquire().await?;
        one(
            &mut c,
            format!("SELECT {SCORE_COLS} FROM account_scores WHERE tenant_id = $1 AND account_id = $2"),
            |q| q.bind(tenant_id).bind(account_id),
            account_score,
        )
        .await
    }

    async fn scores(&self, tenant_id: Uuid) -> Result<Vec<AccountScore>> {
        let mut c = self.pool.acquire().await?;
        all(
            &mut c,
            format!("SELECT {SCORE_COLS} FROM account_scores WHERE tenant_id = $1 ORDER BY account_id"),
            |q| q.bind(tenant_id),
            account_score,
        )
        .await
    }
}
