//! Training a tenant's propensity model from its own history and scoring its accounts with the
//! active one. Training takes two snapshots a horizon apart: the model learns from the earlier
//! (whose outcomes end where the later starts) and is tested on the later, so the test is on
//! accounts and days it never saw (an out-of-time split). Until a model is active, accounts keep
//! the documented heuristic (`recoup_domain::worklist::propensity`), which every page labels.

use jiff::civil::Date;
use recoup_domain::party::PartyRole;
use recoup_domain::scoring::fairness;
use recoup_domain::scoring::features::{self, Outcome, Snapshot};
use recoup_domain::scoring::{Model, TrainError, TrainOptions, auc, calibration, log_loss};
use recoup_store::models::{AccountScore, ModelMetrics, StoredModel};
use recoup_store::{Actor, Store, StoreError};
use uuid::Uuid;

/// Reasons kept with each score.
pub const REASONS: usize = 3;

/// Scores written per transaction, so a large book does not hold the writer for long.
const SCORE_CHUNK: usize = 20_000;

#[derive(Debug, thiserror::Error)]
pub enum ScoringError {
    #[error("the last outcome window must end by today: {as_of} is later")]
    Future { as_of: Date },
    #[error("the horizon is {0} days; it must be 1 to 365")]
    Horizon(i32),
    #[error("on the training snapshot ({on}): {source}")]
    Train { on: Date, source: TrainError },
    #[error("the test snapshot ({on}) has no accounts owing; train with an earlier --as-of or a shorter horizon")]
    NoTest { on: Date },
    #[error(transparent)]
    Model(#[from] recoup_domain::scoring::DataError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to train on: outcomes up to `as_of`, each `outcome.horizon_days` long.
#[derive(Debug, Clone)]
pub struct TrainRequest {
    pub as_of: Date,
    pub today: Date,
    pub outcome: Outcome,
    pub options: TrainOptions,
}

fn labels(rows: &[Snapshot], o: &Outcome) -> Vec<bool> {
    rows.iter().map(|s| o.paid(s)).collect()
}

/// Trains on the snapshot two horizons before `as_of`, tests on the one a horizon before it,
/// and keeps the model (not yet active) with its metrics.
pub async fn train(store: &dyn Store, tenant_id: Uuid, r: &TrainRequest, actor: &Actor) -> Result<StoredModel, ScoringError> {
    if r.as_of > r.today {
        return Err(ScoringError::Future { as_of: r.as_of });
    }
    let h = r.outcome.horizon_days;
    if !(1..=365).contains(&h) {
        return Err(ScoringError::Horizon(h));
    }
    let back = |d: Date| d.checked_sub(jiff::Span::new().days(h)).map_err(|_| ScoringError::Horizon(h));
    let tested_on = back(r.as_of)?;
    let trained_on = back(tested_on)?;
    let train_rows = store.snapshots(tenant_id, trained_on, h).await?;
    let test_rows = store.snapshots(tenant_id, tested_on, h).await?;
    if test_rows.is_empty() {
        return Err(ScoringError::NoTest { on: tested_on });
    }
    let (train_paid, test_paid) = (labels(&train_rows, &r.outcome), labels(&test_rows, &r.outcome));
    let train_table = features::table(&train_rows, trained_on);
    let model = Model::train(&train_table, &train_paid, &r.options).map_err(|source| ScoringError::Train { on: trained_on, source })?;
    let p_train = model.probabilities(&train_table)?;
    let p_test = model.probabilities(&features::table(&test_rows, tested_on))?;
    let mut weights: Vec<(String, f64)> = model.encoder.names().into_iter().map(|(n, _)| n).zip(model.weights.iter().copied()).collect();
    weights.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let metrics = ModelMetrics {
        train_rows: train_rows.len(),
        train_paid: train_paid.iter().filter(|p| **p).count(),
        test_rows: test_rows.len(),
        test_paid: test_paid.iter().filter(|p| **p).count(),
        train_auc: auc(&p_train, &train_paid),
        test_auc: auc(&p_test, &test_paid),
        test_log_loss: log_loss(&p_test, &test_paid),
        calibration: calibration(&p_test, &test_paid),
        weights,
    };
    let mut stored = StoredModel {
        version: 0,
        created_at: jiff::Timestamp::now().as_microsecond(),
        created_by: actor.0.clone(),
        active: false,
        trained_on,
        tested_on,
        outcome: r.outcome,
        metrics,
        model,
    };
    stored.version = store.save_model(tenant_id, &stored, actor).await?;
    Ok(stored)
}

/// The fairness review (recoup_domain::scoring::fairness) of the last scores: groups by age on
/// `on` (from the date of birth), the language the debtor is written to in, and the state they
/// live in, from each account's primary party. `threshold` is the score a strategy favours.
pub async fn fairness(store: &dyn Store, tenant_id: Uuid, on: Date, threshold: i32) -> Result<Vec<fairness::GroupRow>, ScoringError> {
    let mut scored = Vec::new();
    for s in store.scores(tenant_id).await? {
        let parties = store.parties_of(tenant_id, s.account_id).await?;
        let primary = parties.iter().find(|p| p.role == PartyRole::Primary).or(parties.first());
        let born = primary.and_then(|p| p.party.date_of_birth.as_ref()).map(|d| *d.expose());
        let language = primary.and_then(|p| p.party.language.clone()).unwrap_or_else(|| "unknown".into());
        let state = primary
            .and_then(|p| p.contact_points.iter().find_map(|c| c.address.as_ref().map(|a| a.region.clone())))
            .unwrap_or_else(|| "unknown".into());
        let groups = vec![("age", fairness::age_band(born, on)), ("language", language), ("state", state)];
        scored.push(fairness::Scored { per_mille: s.per_mille, groups });
    }
    Ok(fairness::report(&scored, threshold))
}

/// What a scoring pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    /// None: no model is active, so the heuristic stays.
    pub model_version: Option<i64>,
    pub accounts: usize,
}

/// Scores every account owing on `on` with the tenant's active model and keeps each score with
/// its top reasons in words. Without an active model nothing changes.
pub async fn score(store: &dyn Store, tenant_id: Uuid, on: Date) -> Result<Scored, ScoringError> {
    let Some(active) = store.models(tenant_id).await?.into_iter().find(|m| m.active) else {
        return Ok(Scored { model_version: None, accounts: 0 });
    };
    let rows = store.snapshots(tenant_id, on, 0).await?;
    let scored = active.model.score(&features::table(&rows, on), REASONS)?;
    let scores: Vec<AccountScore> = rows
        .iter()
        .zip(scored)
        .map(|(s, (p, reasons))| AccountScore {
            account_id: s.account_id,
            model_version: active.version,
            scored_on: on,
            per_mille: (p * 1000.0).round().clamp(0.0, 1000.0) as i32,
            reasons: reasons.iter().map(|c| features::reason(&c.feature, c.log_odds)).collect(),
        })
        .collect();
    let accounts = scores.len();
    let mut rest = scores.into_iter().peekable();
    while rest.peek().is_some() {
        store.save_scores(tenant_id, rest.by_ref().take(SCORE_CHUNK).collect()).await?;
    }
    Ok(Scored { model_version: Some(active.version), accounts })
}
