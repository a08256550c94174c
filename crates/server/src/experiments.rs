//! Experiments: the live strategy's champion/challenger tests, each arm's results with their
//! intervals, and promoting the arm that won (a new strategy version, checked and made live).

use crate::strategy::{StrategyRefusal, save};
use jiff::civil::Date;
use recoup_domain::experiment::{self, ArmResult, ArmTally, PromoteError};
use recoup_domain::strategy::{self, CHAMPION, CONTROL};
use recoup_store::strategy::StoredStrategy;
use recoup_store::{Actor, Store, StoreError};
use serde::Serialize;
use uuid::Uuid;

/// One arm as the live strategy sets it up.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ArmShare {
    pub arm: String,
    /// The treatment it gets; none for the control group.
    pub treatment: Option<String>,
    pub percent: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExperimentView {
    pub name: String,
    pub segment: String,
    pub version: u32,
    pub arms: Vec<ArmShare>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExperimentReport {
    pub experiment: String,
    /// The last day counted.
    #[schema(value_type = String)]
    pub through: Date,
    /// Whether the live strategy still runs it (after a promotion it does not; results stay).
    pub running: bool,
    pub arms: Vec<ArmResult>,
}

/// The live strategy's experiments with their arms and shares.
pub async fn list(store: &dyn Store, tenant_id: Uuid) -> Result<Vec<ExperimentView>, StrategyRefusal> {
    let Some(live) = store.strategy(tenant_id, None).await? else { return Ok(Vec::new()) };
    let s = strategy::parse(&live.body).map_err(StrategyRefusal::Invalid)?;
    Ok(s.segments
        .iter()
        .filter_map(|seg| {
            let e = seg.experiment.as_ref()?;
            let challengers: u32 = e.challengers.iter().map(|a| a.percent).sum();
            let mut arms = vec![
                ArmShare { arm: CHAMPION.into(), treatment: seg.treatment.clone(), percent: 100 - e.control_percent - challengers },
                ArmShare { arm: CONTROL.into(), treatment: None, percent: e.control_percent },
            ];
            arms.extend(e.challengers.iter().map(|a| ArmShare { arm: a.name.clone(), treatment: a.treatment.clone(), percent: a.percent }));
            Some(ExperimentView { name: e.name.clone(), segment: seg.name.clone(), version: live.version, arms })
        })
        .collect())
}

/// Each arm's results through `through`. Arms the live strategy defines but nobody joined yet
/// are shown empty; an experiment nobody ever joined and the live strategy does not run is
/// not found.
pub async fn results(store: &dyn Store, tenant_id: Uuid, name: &str, through: Date) -> Result<ExperimentReport, StrategyRefusal> {
    let mut tallies = store.experiment_tally(tenant_id, name, through).await?;
    let running = list(store, tenant_id).await?.into_iter().find(|e| e.name == name);
    if tallies.is_empty() && running.is_none() {
        return Err(StoreError::not_found("experiment", name).into());
    }
    for arm in running.iter().flat_map(|e| &e.arms) {
        if !tallies.iter().any(|t| t.arm == arm.arm) {
            tallies.push(ArmTally { arm: arm.arm.clone(), ..Default::default() });
        }
    }
    // Champion, control, then challengers by name.
    tallies.sort_by_key(|t| (t.arm != CHAMPION, t.arm != CONTROL, t.arm.clone()));
    Ok(ExperimentReport {
        experiment: name.into(),
        through,
        running: running.is_some(),
        arms: tallies.iter().map(experiment::result).collect(),
    })
}

/// Ends the experiment in favour of `arm`: a new version of the live strategy in which the
/// segment gives every account the arm's treatment, checked like any save and made live.
pub async fn promote(store: &dyn Store, tenant_id: Uuid, name: &str, arm: &str, actor: &Actor) -> Result<StoredStrategy, StrategyRefusal> {
    let live = store.strategy(tenant_id, None).await?.ok_or_else(|| StoreError::not_found("experiment", name))?;
    let body = match experiment::promote(&live.body, name, arm) {
        Ok(b) => b,
        Err(PromoteError::NoExperiment(_)) => return Err(StoreError::not_found("experiment", name).into()),
        Err(e) => return Err(StoreError::invalid("/arm", e.to_string()).into()),
    };
    let saved = save(store, tenant_id, &body, actor).await?;
    Ok(store.activate_strategy(tenant_id, saved.version, actor).await?)
}
