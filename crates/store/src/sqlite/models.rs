//! Models and scores on SQLite.

use super::{SqliteStore, append_audit, query_all, query_one};
use crate::models::*;
use crate::{Actor, Result, StoreError};
use async_trait::async_trait;
use jiff::civil::Date;
use recoup_domain::scoring::features::Snapshot;
use rusqlite::params;
use uuid::Uuid;

fn q(s: &str) -> String {
    s.replace('$', "?")
}

#[async_trait]
impl Models for SqliteStore {
    async fn snapshots(&self, tenant_id: Uuid, on: Date, horizon_days: i32) -> Result<Vec<Snapshot>> {
        let until =
            on.checked_add(jiff::Span::new().days(horizon_days)).map_err(|e| StoreError::invalid("/horizon_days", e.to_string()))?;
        let (on, until) = (on.to_string(), until.to_string());
        let day = on.clone();
        let accounts = self.read(move |c| query_all(c, &q(SNAPSHOT_ACCOUNTS_SQL), params![tenant_id, day], |r| snapshot_account(r)));
        let day = on.clone();
        let ledger = self.read(move |c| query_all(c, &q(SNAPSHOT_LEDGER_SQL), params![tenant_id, day, until], |r| ledger_part(r)));
        let records = self.read(move |c| query_all(c, &q(SNAPSHOT_RECORDS_SQL), params![tenant_id, on], |r| records_part(r)));
        let (accounts, ledger, records) = tokio::try_join!(accounts, ledger, records)?;
        Ok(join_snapshots(accounts, ledger, records))
    }

    async fn save_model(&self, tenant_id: Uuid, m: &StoredModel, actor: &Actor) -> Result<i64> {
        let (m, actor) = (m.clone(), actor.clone());
        self.tx(move |tx| {
            let version: i64 =
                tx.query_row("SELECT COALESCE(MAX(version), 0) + 1 FROM models WHERE tenant_id = ?", params![tenant_id], |r| r.get(0))?;
            let [outcome, metrics, model] = model_json(&m)?;
            tx.execute(
                &format!("INSERT INTO models (tenant_id, {MODEL_COLS}) VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?)"),
                params![
                    tenant_id,
                    version,
                    m.created_at,
                    m.created_by,
                    m.trained_on.to_string(),
                    m.tested_on.to_string(),
                    outcome,
                    metrics,
                    model
                ],
            )?;
            append_audit(tx, tenant_id, vec![trained_event(&actor, &StoredModel { version, ..m })])?;
            Ok(version)
        })
        .await
    }

    async fn models(&self, tenant_id: Uuid) -> Result<Vec<StoredModel>> {
        let sql = format!("SELECT {MODEL_COLS} FROM models WHERE tenant_id = ? ORDER BY version DESC");
        self.read(move |c| query_all(c, &sql, params![tenant_id], |r| stored_model(r))).await
    }

    async fn activate_model(&self, tenant_id: Uuid, version: i64, actor: &Actor) -> Result<()> {
        let actor = actor.clone();
        self.tx(move |tx| {
            let exists =
                tx.query_row("SELECT COUNT(*) FROM models WHERE tenant_id = ? AND version = ?", params![tenant_id, version], |r| {
                    r.get::<_, i64>(0)
                })?;
            if exists == 0 {
                return Err(StoreError::not_found("model", version));
            }
            tx.execute("UPDATE models SET active = 0 WHERE tenant_id = ? AND active = 1", params![tenant_id])?;
            tx.execute("UPDATE models SET active = 1 WHERE tenant_id = ? AND version = ?", params![tenant_id, version])?;
            append_audit(tx, tenant_id, vec![activated_event(&actor, version)])
        })
        .await
    }

    async fn save_scores(&self, tenant_id: Uuid, scores: Vec<AccountScore>) -> Result<()> {
        self.tx(move |tx| {
            let mut put = tx.prepare_cached(&q(SCORE_UPSERT))?;
            for s in &scores {
                let reasons = serde_json::to_string(&s.reasons).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                put.execute(params![tenant_id, s.account_id, s.model_version, s.scored_on.to_string(), s.per_mille, reasons])?;
            }
            Ok(())
        })
        .await
    }

    async fn account_score(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Option<AccountScore>> {
        let sql = format!("SELECT {SCORE_COLS} FROM account_scores WHERE tenant_id = ? AND account_id = ?");
        self.read_by_key(move |c| query_one(c, &sql, params![tenant_id, account_id], |r| account_score(r))).await
    }

    async fn scores(&self, tenant_id: Uuid) -> Result<Vec<AccountScore>> {
        let sql = format!("SELECT {SCORE_COLS} FROM account_scores WHERE tenant_id = ? ORDER BY account_id");
        self.read(move |c| query_all(c, &sql, params![tenant_id], |r| account_score(r))).await
    }
}
