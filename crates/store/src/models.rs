//! Propensity models and scores: each trained model is a version with how it was trained and how
//! it tested; at most one is active. Scoring writes each account's score (per mille) and its
//! reasons in plain words to `account_scores`, where an account read (worklists, strategies, the
//! console) finds it.
//!
//! A snapshot reads every account as it stood at the end of a day (the ledger and the servicing
//! history up to it) and what it paid in the days after, for training and scoring.

use crate::rows::Get;
use crate::{Actor, Result};
use async_trait::async_trait;
use jiff::civil::Date;
use recoup_domain::scoring::features::Snapshot;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How a model did on the accounts it was trained on and on a later snapshot it never saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMetrics {
    pub train_rows: usize,
    pub train_paid: usize,
    pub test_rows: usize,
    pub test_paid: usize,
    pub train_auc: Option<f64>,
    pub test_auc: Option<f64>,
    pub test_log_loss: Option<f64>,
    /// Test accounts by decile of score: mean predicted against the share that paid.
    pub calibration: Vec<recoup_domain::scoring::Calibration>,
    /// Each encoded column's weight on the log-odds, largest effect first.
    pub weights: Vec<(String, f64)>,
}

/// A model as kept: its version, what it learnt from and how it tested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredModel {
    pub version: i64,
    pub created_at: i64,
    pub created_by: String,
    pub active: bool,
    /// The training snapshot's day and the (later) test snapshot's.
    pub trained_on: Date,
    pub tested_on: Date,
    pub outcome: recoup_domain::scoring::features::Outcome,
    pub metrics: ModelMetrics,
    pub model: recoup_domain::scoring::Model,
}

/// One account's score as last computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountScore {
    pub account_id: Uuid,
    pub model_version: i64,
    pub scored_on: Date,
    pub per_mille: i32,
    /// The top reasons, in words, strongest first.
    pub reasons: Vec<String>,
}

#[async_trait]
pub trait Models: Send + Sync {
    /// Every account placed by the end of `on` and owing then, as it stood, with what it paid
    /// in the `horizon_days` after; in account order.
    async fn snapshots(&self, tenant_id: Uuid, on: Date, horizon_days: i32) -> Result<Vec<Snapshot>>;
    /// Keeps a trained model as the next version (not active), audited; returns its version.
    async fn save_model(&self, tenant_id: Uuid, m: &StoredModel, actor: &Actor) -> Result<i64>;
    /// Newest first.
    async fn models(&self, tenant_id: Uuid) -> Result<Vec<StoredModel>>;
    /// Makes `version` the one that scores (the last active one stops), audited.
    async fn activate_model(&self, tenant_id: Uuid, version: i64, actor: &Actor) -> Result<()>;
    /// Writes scores in one transaction (accounts read their `score` from them).
    async fn save_scores(&self, tenant_id: Uuid, scores: Vec<AccountScore>) -> Result<()>;
    async fn account_score(&self, tenant_id: Uuid, account_id: Uuid) -> Result<Option<AccountScore>>;
    /// Every account's last score, in account order.
    async fn scores(&self, tenant_id: Uuid) -> Result<Vec<AccountScore>>;
}

// A snapshot is read in three parts, each in account order and each on its own connection so
// they run side by side (at a million accounts each part is seconds of work): the accounts, their
// ledger up to the day (and what came in over the horizon after it), and their contact and
// promise history; `join_snapshots` puts them together. Placeholders: `$1` the tenant, `$2` the
// snapshot day, `$3` the last day of the horizon. The parts are read a moment apart, not in one
// transaction: a payment landing between them can be in one and not the other, which a score
// shrugs off and the next run corrects.

/// Accounts placed by the snapshot day.
pub(crate) const SNAPSHOT_ACCOUNTS_SQL: &str = "SELECT a.id AS account_id, c.code AS client, a.product, p.placed_on, a.first_delinquency_on \
     FROM accounts a \
     JOIN placements p ON p.tenant_id = a.tenant_id AND p.id = a.placement_id \
     JOIN clients c ON c.tenant_id = a.tenant_id AND c.id = a.client_id \
     WHERE a.tenant_id = $1 AND p.placed_on <= $2 ORDER BY a.id";

/// Each account's ledger: owed and paid by the snapshot day, and paid over the horizon after it.
pub(crate) const SNAPSHOT_LEDGER_SQL: &str = "SELECT account_id, \
     CAST(SUM(CASE WHEN effective_on <= $2 THEN principal + interest + fees + costs ELSE 0 END) AS BIGINT) AS owed, \
     CAST(SUM(CASE WHEN effective_on <= $2 AND kind IN ('payment', 'reversal') THEN credit - principal - interest - fees - costs ELSE 0 END) AS BIGINT) AS paid, \
     CAST(SUM(CASE WHEN effective_on <= $2 AND kind = 'payment' THEN 1 ELSE 0 END) AS BIGINT) AS payments, \
     MAX(CASE WHEN effective_on <= $2 AND kind = 'payment' THEN effective_on END) AS last_payment_on, \
     CAST(SUM(CASE WHEN effective_on > $2 AND kind IN ('payment', 'reversal') THEN credit - principal - interest - fees - costs ELSE 0 END) AS BIGINT) AS paid_after \
     FROM ledger_entries WHERE tenant_id = $1 AND effective_on <= $3 GROUP BY account_id ORDER BY account_id";

/// Each account's contacts and promises by the snapshot day.
pub(crate) const SNAPSHOT_RECORDS_SQL: &str = "SELECT account_id, \
     CAST(SUM(CASE WHEN kind = 'contact_attempt' THEN 1 ELSE 0 END) AS BIGINT) AS attempts, \
     CAST(SUM(CASE WHEN kind = 'contact_attempt' AND status = 'conversation' THEN 1 ELSE 0 END) AS BIGINT) AS conversations, \
     CAST(SUM(CASE WHEN kind = 'promise' AND status = 'kept' THEN 1 ELSE 0 END) AS BIGINT) AS kept, \
     CAST(SUM(CASE WHEN kind = 'promise' AND status = 'broken' THEN 1 ELSE 0 END) AS BIGINT) AS broken \
     FROM servicing_records WHERE tenant_id = $1 AND kind IN ('contact_attempt', 'promise') AND on_date <= $2 \
     GROUP BY account_id ORDER BY account_id";

fn count(r: &impl Get, col: &str) -> Result<u32> {
    Ok(u32::try_from(r.int(col)?.max(0)).unwrap_or(u32::MAX))
}

/// A row of [`SNAPSHOT_ACCOUNTS_SQL`]: the account, its history not yet read.
pub(crate) fn snapshot_account(r: &impl Get) -> Result<Snapshot> {
    Ok(Snapshot {
        account_id: r.uuid("account_id")?,
        client: r.text("client")?,
        product: r.opt_text("product")?,
        placed_on: r.date("placed_on")?,
        first_delinquency_on: r.opt_date("first_delinquency_on")?,
        owed_minor: 0,
        paid_minor: 0,
        payments: 0,
        last_payment_on: None,
        attempts: 0,
        conversations: 0,
        promises_kept: 0,
        promises_broken: 0,
        paid_after_minor: 0,
    })
}

/// A row of [`SNAPSHOT_LEDGER_SQL`] as the parts of a snapshot it fills.
pub(crate) struct LedgerPart {
    account_id: Uuid,
    owed: i64,
    paid: i64,
    payments: u32,
    last_payment_on: Option<Date>,
    paid_after: i64,
}

pub(crate) fn ledger_part(r: &impl Get) -> Result<LedgerPart> {
    Ok(LedgerPart {
        account_id: r.uuid("account_id")?,
        owed: r.int("owed")?,
        paid: r.int("paid")?,
        payments: count(r, "payments")?,
        last_payment_on: r.opt_date("last_payment_on")?,
        paid_after: r.int("paid_after")?,
    })
}

/// A row of [`SNAPSHOT_RECORDS_SQL`].
pub(crate) struct RecordsPart {
    account_id: Uuid,
    attempts: u32,
    conversations: u32,
    kept: u32,
    broken: u32,
}

pub(crate) fn records_part(r: &impl Get) -> Result<RecordsPart> {
    Ok(RecordsPart {
        account_id: r.uuid("account_id")?,
        attempts: count(r, "attempts")?,
        conversations: count(r, "conversations")?,
        kept: count(r, "kept")?,
        broken: count(r, "broken")?,
    })
}

/// The accounts owing on the snapshot day with their history: the three parts, each in account
/// order, merged in one pass.
pub(crate) fn join_snapshots(accounts: Vec<Snapshot>, ledger: Vec<LedgerPart>, records: Vec<RecordsPart>) -> Vec<Snapshot> {
    let (mut ledger, mut records) = (ledger.into_iter().peekable(), records.into_iter().peekable());
    let mut out = Vec::with_capacity(accounts.len());
    for mut s in accounts {
        while ledger.next_if(|l| l.account_id < s.account_id).is_some() {}
        while records.next_if(|r| r.account_id < s.account_id).is_some() {}
        let Some(l) = ledger.next_if(|l| l.account_id == s.account_id) else { continue };
        if l.owed <= 0 {
            continue;
        }
        (s.owed_minor, s.paid_minor, s.payments, s.last_payment_on, s.paid_after_minor) =
            (l.owed, l.paid, l.payments, l.last_payment_on, l.paid_after);
        if let Some(r) = records.next_if(|r| r.account_id == s.account_id) {
            (s.attempts, s.conversations, s.promises_kept, s.promises_broken) = (r.attempts, r.conversations, r.kept, r.broken);
        }
        out.push(s);
    }
    out
}

pub(crate) const MODEL_COLS: &str = "version, created_at, created_by, active, trained_on, tested_on, outcome, metrics, model";

fn json<T: for<'de> Deserialize<'de>>(r: &impl Get, col: &str) -> Result<T> {
    serde_json::from_str(&r.text(col)?).map_err(|e| crate::rows::corrupt(col, e))
}

pub(crate) fn stored_model(r: &impl Get) -> Result<StoredModel> {
    Ok(StoredModel {
        version: r.int("version")?,
        created_at: r.int("created_at")?,
        created_by: r.text("created_by")?,
        active: r.int("active")? != 0,
        trained_on: r.date("trained_on")?,
        tested_on: r.date("tested_on")?,
        outcome: json(r, "outcome")?,
        metrics: json(r, "metrics")?,
        model: json(r, "model")?,
    })
}

/// The JSON columns of a model as written: outcome, metrics, model.
pub(crate) fn model_json(m: &StoredModel) -> Result<[String; 3]> {
    let text = |v: serde_json::Result<String>| v.map_err(|e| crate::StoreError::Corrupt(e.to_string()));
    Ok([text(serde_json::to_string(&m.outcome))?, text(serde_json::to_string(&m.metrics))?, text(serde_json::to_string(&m.model))?])
}

pub(crate) const SCORE_COLS: &str = "account_id, model_version, scored_on, per_mille, reasons";

pub(crate) fn account_score(r: &impl Get) -> Result<AccountScore> {
    Ok(AccountScore {
        account_id: r.uuid("account_id")?,
        model_version: r.int("model_version")?,
        scored_on: r.date("scored_on")?,
        per_mille: i32::try_from(r.int("per_mille")?).unwrap_or(0),
        reasons: json(r, "reasons")?,
    })
}

pub(crate) fn trained_event(actor: &Actor, m: &StoredModel) -> recoup_domain::audit::AuditEvent {
    crate::ops::event(
        actor,
        "model.trained",
        "model",
        Uuid::nil(),
        serde_json::json!({"version": m.version, "trained_on": m.trained_on, "tested_on": m.tested_on, "test_auc": m.metrics.test_auc}),
    )
}

pub(crate) fn activated_event(actor: &Actor, version: i64) -> recoup_domain::audit::AuditEvent {
    crate::ops::event(actor, "model.activated", "model", Uuid::nil(), serde_json::json!({"version": version}))
}

pub(crate) const SCORE_UPSERT: &str = "INSERT INTO account_scores (tenant_id, account_id, model_version, scored_on, per_mille, reasons) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, account_id) DO UPDATE SET model_version = excluded.model_version, \
     scored_on = excluded.scored_on, per_mille = excluded.per_mille, reasons = excluded.reasons";
